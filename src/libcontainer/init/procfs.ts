// Writes to /proc from the init (sysctl, the AppArmor exec attribute, the exec fifo) go through
// one handle on the container's procfs, verified to be the root of a procfs (statfs magic,
// root inode), and are resolved beneath it without crossing any mount (RESOLVE_NO_XDEV): a
// config mount over a /proc file cannot redirect the write to another file, procfs or not
// (runc's CVE-2025-52881 fixes). Opened once the container's /proc is in place (after
// pivot_root), or before the chroot of a container without a mount namespace.
import { closeSync, fstatSync, writeSync } from 'node:fs';
import { SysError, errno, openat, openat2, statfs } from '../sys/libc';
import { O, fdPath } from './root';

const PROC_SUPER_MAGIC = 0x9fa0;
const PROC_ROOT_INO = 1;
const RESOLVE_NO_XDEV = 0x01;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_BENEATH = 0x08;
const EXDEV = 18;

let rootFd = -1;

/** Opens and verifies /proc as the process sees it now (see the header). */
export function openProcRoot(): void {
  if (rootFd >= 0) closeSync(rootFd);
  rootFd = -1;
  const fd = openat(-100, '/proc', O.PATH | O.DIRECTORY | O.CLOEXEC | O.NOFOLLOW, 0);
  if (fd < 0) throw new SysError('open /proc', errno());
  const buf = Buffer.alloc(120);
  const ok = statfs(fdPath(fd), buf) === 0 && Number(buf.readBigInt64LE(0)) === PROC_SUPER_MAGIC && fstatSync(fd).ino === PROC_ROOT_INO;
  if (!ok) {
    closeSync(fd);
    throw new Error('/proc is not the root of a procfs: refusing to write to it');
  }
  rootFd = fd;
}

export function closeProcRoot(): void {
  if (rootFd >= 0) closeSync(rootFd);
  rootFd = -1;
}

/** Opens `rel` (e.g. "sys/kernel/hostname") beneath the verified /proc, crossing no mount. */
export function openProc(rel: string, flags: number, what: string): number {
  if (rootFd < 0) openProcRoot();
  const fd = openat2(rootFd, rel, flags | O.CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS);
  if (fd >= 0) return fd;
  const e = errno();
  if (e === EXDEV) throw new Error(`${what}: /proc/${rel} is covered by a mount (not the container's procfs): refusing to write through it`);
  throw new SysError(`${what}: open /proc/${rel}`, e);
}

/** Writes `data` to /proc/<rel> through the verified handle. */
export function writeProc(rel: string, data: string, what: string): void {
  const fd = openProc(rel, O.WRONLY, what);
  try {
    const b = Buffer.from(data);
    writeSync(fd, b, 0, b.length);
  } catch (e: any) {
    throw new Error(`${what}: write /proc/${rel}: ${e.code ?? e.message}`);
  } finally {
    closeSync(fd);
  }
}

/** Reopens one of our own fds (an O_PATH one, say) through /proc/thread-self/fd. */
export function reopenOwnFd(fd: number, flags: number, what: string): number {
  const dir = openProc('thread-self/fd', O.PATH | O.DIRECTORY, what);
  try {
    const r = openat(dir, String(fd), flags | O.CLOEXEC, 0);
    if (r < 0) throw new SysError(what, errno());
    return r;
  } finally {
    closeSync(dir);
  }
}
