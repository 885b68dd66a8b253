// libc from JavaScript: the system calls Node does not expose (mount, pivot_root, setns,
// capset, prctl, execve, ...), declared by their C prototypes and called through ffi.ts
// (native/ffi.c, or koffi). Structs are passed as Buffers laid out by hand: each layout is a few
// lines.
import { ffi } from './ffi';
import { ARCH } from './arch';
import { RuntimeError } from '../errors';
import { os } from '../../lazy-builtins';

// The FFI is loaded on the first call, not at start-up: `state`, `list` and `kill` never need it.
/** A libc function declared from its C prototype when first called. */
function fn(prototype: string): (...args: any[]) => any {
  let f: ((...args: any[]) => any) | undefined;
  return (...args: any[]) => (f ??= ffi().func(prototype))(...args);
}

/** Loads the FFI now rather than at the first call (the init, while it waits). */
export function loadLibc(): void {
  ffi();
}

/** Syscall numbers of this architecture (see arch.ts). */
export const SYS = ARCH.sys;

/** errno numbers' names (ENOENT...), built on the first error. */
let errnoNames: Record<number, string> | undefined;
function errnoName(errno: number): string | undefined {
  if (!errnoNames) {
    errnoNames = {};
    for (const [name, num] of Object.entries(os().constants.errno)) errnoNames[num as number] = name;
  }
  return errnoNames[errno];
}

/** An error from a system call: `what: ENOENT (No such file or directory)`. */
export class SysError extends RuntimeError {
  constructor(
    readonly what: string,
    readonly errno: number,
  ) {
    super(`${what}: ${strerror(errno)}`, { code: errnoName(errno) ?? `E${errno}` });
  }
}

const _strerror = fn('const char *strerror(int)');
export function strerror(errno: number): string {
  return String(_strerror(errno));
}

export function errno(): number {
  return ffi().errno();
}

/** Throws SysError when a libc call returned -1. */
export function check(ret: number | bigint, what: string): number {
  if (Number(ret) === -1) throw new SysError(what, ffi().errno());
  return Number(ret);
}

const _syscall3 = fn('long syscall(long, long, long, long)');
const _syscallP = fn('long syscall(long, void *, void *, unsigned int)');
const _syscallIPI = fn('long syscall(long, int, void *, unsigned int)');
const _syscallISI = fn('long syscall(long, int, const char *, void *, size_t)');
const _syscallMS = fn('long syscall(long, int, const char *, unsigned int, void *, size_t)');
const _syscallIPL = fn('long syscall(long, int, void *, unsigned long)');
const _keyctlS = fn('long syscall(long, int, const char *)');
const _keyctlDescribe = fn('long syscall(long, int, int, void *, size_t)');
const _keyctlSetperm = fn('long syscall(long, int, int, uint32_t)');
const _syscallSS = fn('long syscall(long, const char *, const char *)');

export const mount = fn('int mount(const char *, const char *, const char *, unsigned long, const char *)');
export const open = fn('int open(const char *, int, unsigned int)');
export const chdir = fn('int chdir(const char *)');
export const fchmodat = fn('int fchmodat(int, const char *, unsigned int, int)');
export const statfs = fn('int statfs(const char *, void *)');
export const umount2 = fn('int umount2(const char *, int)');
export const chroot = fn('int chroot(const char *)');
export const fchdir = fn('int fchdir(int)');
export const sethostname = fn('int sethostname(const char *, size_t)');
export const setdomainname = fn('int setdomainname(const char *, size_t)');
export const mknod = fn('int mknod(const char *, unsigned int, uint64_t)');
export const openat = fn('int openat(int, const char *, int, unsigned int)');
export const symlinkat = fn('int symlinkat(const char *, int, const char *)');
export const fchown = fn('int fchown(int, uint32_t, uint32_t)');
export const fchownat = fn('int fchownat(int, const char *, uint32_t, uint32_t, int)');
export const mknodat = fn('int mknodat(int, const char *, unsigned int, uint64_t)');
export const unlinkat = fn('int unlinkat(int, const char *, int)');
export const mkdirat = fn('int mkdirat(int, const char *, unsigned int)');
export const unshare = fn('int unshare(int)');
export const setns = fn('int setns(int, int)');
export const prctl = fn('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)');
export const setresuid = fn('int setresuid(uint32_t, uint32_t, uint32_t)');
export const setresgid = fn('int setresgid(uint32_t, uint32_t, uint32_t)');
export const setgroups = fn('int setgroups(size_t, const uint32_t *)');
export const umask = fn('uint32_t umask(uint32_t)');
export const personality = fn('int personality(unsigned long)');
export const setsid = fn('int setsid()');
export const ioctl = fn('int ioctl(int, unsigned long, unsigned long)');
export const ioctlPtr = fn('int ioctl(int, unsigned long, void *)');
export const execve = fn('int execve(const char *, const char **, const char **)');
export const execvpe = fn('int execvpe(const char *, const char **, const char **)');
export const prlimit = fn('int prlimit(int, int, const void *, void *)');
export const kill = fn('int kill(int, int)');
export const getpid = fn('int getpid()');
export const flock = fn('int flock(int, int)');
export const mkfifo = fn('int mkfifo(const char *, unsigned int)');
export const sched_setaffinity = fn('int sched_setaffinity(int, size_t, const void *)');
export const socket = fn('int socket(int, int, int)');
export const connect = fn('int connect(int, const void *, uint32_t)');
export const sendmsg = fn('long sendmsg(int, const void *, int)');
export const recvmsg = fn('long recvmsg(int, void *, int)');
export const socketpair = fn('int socketpair(int, int, int, void *)');
export const close = fn('int close(int)');
export const dup3 = fn('int dup3(int, int, int)');
export const fcntl = fn('int fcntl(int, int, int)');
export const waitpid = fn('int waitpid(int, void *, int)');
export const poll = fn('int poll(void *, unsigned long, int)');
export const tcgetattr = fn('int tcgetattr(int, void *)');
export const tcsetattr = fn('int tcsetattr(int, int, const void *)');

export function pivotRoot(newRoot: string, putOld: string): number {
  return Number(_syscallSS(SYS.pivot_root, newRoot, putOld));
}

export function syscall3(nr: number, a: number, b: number, c: number): number {
  return Number(_syscall3(nr, a, b, c));
}

/** capset(2) with a v3 header: each set is a 64-bit mask. */
export function capset(effective: bigint, permitted: bigint, inheritable: bigint): number {
  const hdr = Buffer.alloc(8);
  hdr.writeUInt32LE(0x20080522, 0); // _LINUX_CAPABILITY_VERSION_3
  const data = Buffer.alloc(24);
  const lo = (v: bigint) => Number(v & 0xffffffffn);
  const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
  data.writeUInt32LE(lo(effective), 0);
  data.writeUInt32LE(lo(permitted), 4);
  data.writeUInt32LE(lo(inheritable), 8);
  data.writeUInt32LE(hi(effective), 12);
  data.writeUInt32LE(hi(permitted), 16);
  data.writeUInt32LE(hi(inheritable), 20);
  return Number(_syscallP(SYS.capset, hdr, data, 0));
}

/** openat2(2) with struct open_how { u64 flags; u64 mode; u64 resolve; }. */
export function openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number {
  const how = Buffer.alloc(24);
  how.writeBigUInt64LE(BigInt(flags), 0);
  how.writeBigUInt64LE(BigInt(mode), 8);
  how.writeBigUInt64LE(BigInt(resolve), 16);
  return Number(_syscallISI(SYS.openat2, dirfd, path, how, 24));
}

export function setrlimit(resource: number, soft: bigint, hard: bigint): number {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(soft, 0);
  b.writeBigUInt64LE(hard, 8);
  return prlimit(0, resource, b, null);
}

export function sysSchedSetattr(attr: Buffer): number {
  return Number(_syscallIPI(SYS.sched_setattr, 0, attr, 0));
}

export function closeRangeCloexec(first: number): number {
  // CLOSE_RANGE_CLOEXEC = 4
  return syscall3(SYS.close_range, first, 0x7fffffff, 4);
}

/** mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, attr): recursive mount attributes. */
export function mountSetattr(fd: number, attr: Buffer, flags = 0x1000 | 0x8000): number {
  return Number(_syscallMS(SYS.mount_setattr, fd, '', flags, attr, attr.length));
}

const _openTree = fn('long syscall(long, int, const char *, unsigned int)');
const _moveMount = fn('long syscall(long, int, const char *, int, const char *, unsigned int)');

/** open_tree(AT_FDCWD, path, flags): a detached copy of a mount tree (OPEN_TREE_CLONE). */
export function openTree(path: string, flags: number): number {
  return Number(_openTree(SYS.open_tree, -100, path, flags));
}

/** move_mount(from, "", to, "", F_EMPTY_PATH | T_EMPTY_PATH): attach a detached tree at an fd. */
export function moveMountFd(fromFd: number, toFd: number): number {
  return Number(_moveMount(SYS.move_mount, fromFd, '', toFd, '', 0x4 | 0x40));
}

/** set_mempolicy(mode, nodemask, maxnode). */
export function setMempolicy(mode: number, nodemask: Buffer | null, maxnode: number): number {
  return Number(_syscallIPL(SYS.set_mempolicy, mode, nodemask, maxnode));
}

/** keyctl(KEYCTL_JOIN_SESSION_KEYRING, name): a new (or named) session keyring. */
export function joinSessionKeyring(name: string): number {
  return Number(_keyctlS(SYS.keyctl, 1, name));
}

/** keyctl(KEYCTL_DESCRIBE): "type;uid;gid;perm;description". */
export function describeKey(id: number): string | null {
  const buf = Buffer.alloc(512);
  const n = Number(_keyctlDescribe(SYS.keyctl, 6, id, buf, buf.length));
  return n < 0 ? null : buf.toString('utf8', 0, Math.max(0, n - 1));
}

export function setKeyPerm(id: number, perm: number): number {
  return Number(_keyctlSetperm(SYS.keyctl, 5, id, perm >>> 0));
}

// The system calls of `start` and `delete` (the per-container lock, waiting on exec.fifo and
// on the init), returning the result or -errno.

/** flock(2), retried on EINTR. */
export function flockOrErrno(fd: number, op: number): number {
  for (;;) {
    if (flock(fd, op) === 0) return 0;
    const e = errno();
    if (e !== 4 /* EINTR */) return -e;
  }
}

/** pidfd_open(pid, 0). */
export function pidfdOpen(pid: number): number {
  const fd = syscall3(SYS.pidfd_open, pid, 0, 0);
  return fd < 0 ? -errno() : fd;
}

/** POLLIN on two fds for up to `timeoutMs` (default: none): revents of `a` in bits 0-15, of `b`
 * in bits 16-30; 0 on timeout. */
export function pollIn2(a: number, b: number, timeoutMs = -1): number {
  const fds = Buffer.alloc(16); // struct pollfd { int fd; short events; short revents; } [2]
  fds.writeInt32LE(a, 0);
  fds.writeInt16LE(1 /* POLLIN */, 4);
  fds.writeInt32LE(b, 8);
  fds.writeInt16LE(1, 12);
  if (poll(fds, 2, timeoutMs) < 0) return -errno();
  return (fds.readUInt16LE(6) & 0xffff) | ((fds.readUInt16LE(14) & 0x7fff) << 16);
}
