// Everything about the machine that the runtime lays out or numbers by hand, in one table per
// architecture: syscall numbers for calls glibc has no wrapper for, and the struct layouts we
// fill in Buffers (msghdr, cmsghdr, statfs). Both supported architectures are LP64 with the
// generic struct layouts; only the syscall numbers differ. Any other architecture is refused
// before a container is touched (assertSupportedArch), not with a wrong syscall later.
import { RuntimeError } from '../errors';

export interface ArchTable {
  /** Syscall numbers (x86_64: arch/x86/entry/syscalls/syscall_64.tbl; aarch64: asm-generic/unistd.h). */
  sys: {
    pivot_root: number;
    capget: number;
    capset: number;
    ioprio_set: number;
    sched_setattr: number;
    seccomp: number;
    set_mempolicy: number;
    close_range: number;
    openat2: number;
    pidfd_open: number;
    keyctl: number;
    pidfd_send_signal: number;
    getdents64: number;
    newfstatat: number;
    mount_setattr: number;
    open_tree: number;
    move_mount: number;
  };
  /** struct msghdr: size and the offsets of msg_iov, msg_iovlen, msg_control, msg_controllen. */
  msghdr: { size: number; iov: number; iovlen: number; control: number; controllen: number };
  /** CMSG_SPACE(sizeof(int)), CMSG_LEN(sizeof(int)) and the offset of the data in a cmsghdr. */
  cmsgInt: { space: number; len: number; data: number };
  /** struct statfs: size and the offset of f_flags (a 64-bit word). */
  statfs: { size: number; flags: number };
}

const LP64_LAYOUT = {
  msghdr: { size: 56, iov: 16, iovlen: 24, control: 32, controllen: 40 },
  cmsgInt: { space: 24, len: 20, data: 16 },
  statfs: { size: 120, flags: 80 },
};

const TABLES: Record<string, ArchTable> = {
  x64: {
    sys: { pivot_root: 155, capget: 125, capset: 126, ioprio_set: 251, sched_setattr: 314, seccomp: 317, set_mempolicy: 238, close_range: 436, openat2: 437, pidfd_open: 434, keyctl: 250, pidfd_send_signal: 424, mount_setattr: 442, open_tree: 428, move_mount: 429, getdents64: 217, newfstatat: 262 },
    ...LP64_LAYOUT,
  },
  arm64: {
    sys: { pivot_root: 41, capget: 90, capset: 91, ioprio_set: 30, sched_setattr: 274, seccomp: 277, set_mempolicy: 237, close_range: 436, openat2: 437, pidfd_open: 434, keyctl: 219, pidfd_send_signal: 424, mount_setattr: 442, open_tree: 428, move_mount: 429, getdents64: 61, newfstatat: 79 },
    ...LP64_LAYOUT,
  },
};

/** Refuses an architecture without a table, naming it. */
export function assertSupportedArch(arch: string = process.arch): ArchTable {
  const t = TABLES[arch];
  if (!t) throw new RuntimeError(`unsupported architecture ${arch}: runc-ts supports x86_64 (x64) and aarch64 (arm64)`, { code: 'INVALID_CONFIG' });
  return t;
}

/** This machine's table; on an unsupported architecture an empty-numbered one (every call fails ENOSYS) so that read-only commands still work, while launch refuses. */
export const ARCH: ArchTable = TABLES[process.arch] ?? { sys: Object.fromEntries(Object.keys(TABLES.x64!.sys).map((k) => [k, -1])) as ArchTable['sys'], ...LP64_LAYOUT };
