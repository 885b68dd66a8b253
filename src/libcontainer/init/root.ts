// Paths inside the container's rootfs, resolved by the kernel as if the rootfs were "/"
// (openat2 RESOLVE_IN_ROOT): a symlink in the rootfs, even one swapped in while we work, can
// never send a mount or a device node outside of it (the CVE-2021-30465 class). Mounts then
// target the resolved O_PATH fd through /proc/self/fd/N, as runc does.
import { closeSync, fstatSync, readlinkSync } from 'node:fs';
import { SysError, check, errno, mkdirat, openat, openat2 } from '../sys/libc';

export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  NONBLOCK: 0o4000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  CLOEXEC: 0o2000000,
  PATH: 0o10000000,
} as const;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_IN_ROOT = 0x10;
const ENOENT = 2;
const EEXIST = 17;

export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** The target of `name` in the directory `dirFd` if it is a symlink, else undefined. */
function danglingTarget(dirFd: number, name: string): string | undefined {
  try {
    return readlinkSync(`${fdPath(dirFd)}/${name}`);
  } catch {
    return undefined;
  }
}

export class Root {
  readonly fd: number;
  constructor(readonly path: string) {
    this.fd = check(openat(-100, path, O.PATH | O.DIRECTORY | O.CLOEXEC, 0), `open rootfs ${path}`);
  }

  /** Opens `rel` (a path inside the rootfs), or returns -1 with errno ENOENT if missing. */
  tryOpen(rel: string, flags: number = O.PATH): number {
    const fd = openat2(this.fd, rel.replace(/^\/+/, '') || '.', flags | O.CLOEXEC, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (fd < 0 && errno() !== ENOENT) throw new SysError(`open ${rel} in rootfs`, errno());
    return fd;
  }

  open(rel: string, flags: number = O.PATH): number {
    const fd = this.tryOpen(rel, flags);
    if (fd < 0) throw new SysError(`open ${rel} in rootfs`, ENOENT);
    return fd;
  }

  /** mkdir -p inside the rootfs; returns an O_PATH fd of the directory. */
  mkdirAll(rel: string, mode = 0o755, depth = 0): number {
    if (depth > 40) throw new SysError(`mkdir ${rel} in rootfs`, 40 /* ELOOP */);
    const parts = rel.split('/').filter((p) => p && p !== '.');
    let fd = this.tryOpen(parts.join('/'), O.PATH | O.DIRECTORY);
    if (fd >= 0) return fd;
    // Walk down from the rootfs: each missing component is created with mkdirat() relative
    // to its resolved parent, so a name cannot escape; existing ones resolve in-root.
    let parent = this.open('.', O.PATH | O.DIRECTORY);
    try {
      for (let i = 0; i < parts.length; i++) {
        const sub = parts.slice(0, i + 1).join('/');
        fd = this.tryOpen(sub, O.PATH | O.DIRECTORY);
        if (fd < 0) {
          if (parts[i] === '..') throw new SysError(`mkdir ${rel} in rootfs`, ENOENT);
          if (mkdirat(parent, parts[i]!, mode) < 0) {
            if (errno() !== EEXIST) throw new SysError(`mkdir ${sub} in rootfs`, errno());
            // A dangling symlink: like runc, create its target, resolved inside the rootfs.
            const target = danglingTarget(parent, parts[i]!);
            if (target !== undefined) {
              const base = '/' + parts.slice(0, i).join('/');
              closeSync(this.mkdirAll(target.startsWith('/') ? target : `${base}/${target}`, mode, depth + 1));
            }
          }
          fd = this.open(sub, O.PATH | O.DIRECTORY);
        }
        closeSync(parent);
        parent = fd;
      }
      return parent;
    } catch (e) {
      closeSync(parent);
      throw e;
    }
  }

  /** Ensures `rel` exists as a regular file (for bind mounts of files); returns an O_PATH fd. */
  mkfile(rel: string): number {
    const existing = this.tryOpen(rel);
    if (existing >= 0) return existing;
    const slash = rel.replace(/\/+$/, '').lastIndexOf('/');
    const dir = this.mkdirAll(slash > 0 ? rel.slice(0, slash) : '/');
    const name = rel.slice(slash + 1);
    try {
      const fd = openat(dir, name, O.CREAT | O.EXCL | O.WRONLY | O.CLOEXEC | O.NOFOLLOW, 0o644);
      if (fd < 0 && errno() !== EEXIST) throw new SysError(`create ${rel} in rootfs`, errno());
      if (fd >= 0) closeSync(fd);
    } finally {
      closeSync(dir);
    }
    return this.open(rel);
  }

  isDir(fd: number): boolean {
    return fstatSync(fd).isDirectory();
  }

  close(): void {
    closeSync(this.fd);
  }
}
