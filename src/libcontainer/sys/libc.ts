// libc through koffi: the system calls Node does not expose (mount, pivot_root, setns,
// capset, prctl, execve, ...). Structs are passed as Buffers laid out by hand: it is cheaper
// to load than declaring koffi struct types, and each layout is a few lines.
import koffi from './koffi';
import { constants } from 'node:os';

const lib = koffi.load('libc.so.6');

// x86_64 syscall numbers for calls glibc 2.36 has no wrapper for.
export const SYS = {
  pivot_root: 155,
  capget: 125,
  capset: 126,
  ioprio_set: 251,
  sched_setattr: 314,
  seccomp: 317,
  set_mempolicy: 238,
  close_range: 436,
  openat2: 437,
  pidfd_open: 434,
  keyctl: 250,
  pidfd_send_signal: 424,
  mount_setattr: 442,
  open_tree: 428,
  move_mount: 429,
} as const;

const errnoNames: Record<number, string> = {};
for (const [name, num] of Object.entries(constants.errno)) errnoNames[num as number] = name;

/** An error from a system call: `what: ENOENT (No such file or directory)`. */
export class SysError extends Error {
  constructor(
    readonly what: string,
    readonly errno: number,
  ) {
    super(`${what}: ${strerror(errno)}`);
  }
  get code(): string {
    return errnoNames[this.errno] ?? `E${this.errno}`;
  }
}

const _strerror = lib.func('const char *strerror(int)');
export function strerror(errno: number): string {
  return String(_strerror(errno));
}

export function errno(): number {
  return koffi.errno();
}

/** Throws SysError when a libc call returned -1. */
export function check(ret: number | bigint, what: string): number {
  if (Number(ret) === -1) throw new SysError(what, koffi.errno());
  return Number(ret);
}

const _syscall3 = lib.func('long syscall(long, long, long, long)');
const _syscallP = lib.func('long syscall(long, void *, void *, unsigned int)');
const _syscallIPI = lib.func('long syscall(long, int, void *, unsigned int)');
const _syscallISI = lib.func('long syscall(long, int, const char *, void *, size_t)');
const _syscallMS = lib.func('long syscall(long, int, const char *, unsigned int, void *, size_t)');
const _syscallIPL = lib.func('long syscall(long, int, void *, unsigned long)');
const _keyctlS = lib.func('long syscall(long, int, const char *)');
const _keyctlDescribe = lib.func('long syscall(long, int, int, void *, size_t)');
const _keyctlSetperm = lib.func('long syscall(long, int, int, uint32_t)');
const _syscallSS = lib.func('long syscall(long, const char *, const char *)');

export const mount = lib.func('int mount(const char *, const char *, const char *, unsigned long, const char *)');
export const open = lib.func('int open(const char *, int, unsigned int)');
export const chdir = lib.func('int chdir(const char *)');
export const fchmodat = lib.func('int fchmodat(int, const char *, unsigned int, int)');
export const statfs = lib.func('int statfs(const char *, void *)');
export const umount2 = lib.func('int umount2(const char *, int)');
export const chroot = lib.func('int chroot(const char *)');
export const fchdir = lib.func('int fchdir(int)');
export const sethostname = lib.func('int sethostname(const char *, size_t)');
export const setdomainname = lib.func('int setdomainname(const char *, size_t)');
export const mknod = lib.func('int mknod(const char *, unsigned int, uint64_t)');
export const openat = lib.func('int openat(int, const char *, int, unsigned int)');
export const symlinkat = lib.func('int symlinkat(const char *, int, const char *)');
export const fchownat = lib.func('int fchownat(int, const char *, uint32_t, uint32_t, int)');
export const mknodat = lib.func('int mknodat(int, const char *, unsigned int, uint64_t)');
export const unlinkat = lib.func('int unlinkat(int, const char *, int)');
export const mkdirat = lib.func('int mkdirat(int, const char *, unsigned int)');
export const unshare = lib.func('int unshare(int)');
export const setns = lib.func('int setns(int, int)');
export const prctl = lib.func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)');
export const setresuid = lib.func('int setresuid(uint32_t, uint32_t, uint32_t)');
export const setresgid = lib.func('int setresgid(uint32_t, uint32_t, uint32_t)');
export const setgroups = lib.func('int setgroups(size_t, const uint32_t *)');
export const umask = lib.func('uint32_t umask(uint32_t)');
export const personality = lib.func('int personality(unsigned long)');
export const setsid = lib.func('int setsid()');
export const ioctl = lib.func('int ioctl(int, unsigned long, unsigned long)');
export const ioctlPtr = lib.func('int ioctl(int, unsigned long, void *)');
export const execve = lib.func('int execve(const char *, const char **, const char **)');
export const prlimit = lib.func('int prlimit(int, int, const void *, void *)');
export const kill = lib.func('int kill(int, int)');
export const getpid = lib.func('int getpid()');
export const flock = lib.func('int flock(int, int)');
export const mkfifo = lib.func('int mkfifo(const char *, unsigned int)');
export const sched_setaffinity = lib.func('int sched_setaffinity(int, size_t, const void *)');
export const socket = lib.func('int socket(int, int, int)');
export const connect = lib.func('int connect(int, const void *, uint32_t)');
export const sendmsg = lib.func('long sendmsg(int, const void *, int)');
export const recvmsg = lib.func('long recvmsg(int, void *, int)');
export const socketpair = lib.func('int socketpair(int, int, int, void *)');
export const close = lib.func('int close(int)');
export const dup3 = lib.func('int dup3(int, int, int)');
export const fcntl = lib.func('int fcntl(int, int, int)');
export const waitpid = lib.func('int waitpid(int, void *, int)');
export const tcgetattr = lib.func('int tcgetattr(int, void *)');
export const tcsetattr = lib.func('int tcsetattr(int, int, const void *)');

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
export function mountSetattr(fd: number, attr: Buffer): number {
  return Number(_syscallMS(SYS.mount_setattr, fd, '', 0x1000 | 0x8000, attr, attr.length));
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
