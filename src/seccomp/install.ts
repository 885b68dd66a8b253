// Installs a BPF program compiled by compile.ts. Loaded by the container's init, so it stays
// small: libc's syscall() through sys/ffi.ts, no libseccomp.
//
// seccomp(2) filters attach to the calling thread and are inherited across fork and execve.
// The FFI's synchronous calls run on the JS main thread, the one that later calls execve(), so
// the user's program gets the filter; the engine's helper threads die at execve(). TSYNC (when
// the profile asks for it) applies the filter to those threads too.
import { ffi } from '../libcontainer/sys/ffi';
import { os } from '../lazy-builtins';
import { BPF_MAXINSNS, FILTER_FLAG, SECCOMP_SET_MODE_FILTER, SOCK_FILTER_SIZE, SYS_SECCOMP } from './constants';

let seccompCall: ((nr: number, op: number, flags: number, prog: Buffer | null) => number | bigint) | undefined;
const seccomp = (op: number, flags: number, prog: Buffer | null): number =>
  Number((seccompCall ??= ffi().func('long syscall(long, unsigned int, unsigned int, void *)'))(sysSeccomp(), op, flags >>> 0, prog));

/** struct sock_fprog { unsigned short len; struct sock_filter *filter; } for `bpf`. */
function sockFprog(bpf: Buffer, count: number): Buffer {
  const fprog = Buffer.alloc(16);
  fprog.writeUInt16LE(count, 0);
  fprog.writeBigUInt64LE(ffi().address(bpf), 8);
  return fprog;
}

function sysSeccomp(): number {
  const nr = SYS_SECCOMP[process.arch];
  if (nr === undefined) throw new Error(`seccomp: no seccomp(2) syscall number known for ${process.arch}`);
  return nr;
}

/** A SeccompError carries the errno of the failed seccomp(2) call. */
export class SeccompError extends Error {
  constructor(message: string, readonly errno: number) {
    super(message);
  }
}

/**
 * seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog) on the calling (main) thread.
 * Needs no_new_privs set, or CAP_SYS_ADMIN in the current user namespace.
 * Returns the notification listener fd when flags has SECCOMP_FILTER_FLAG_NEW_LISTENER, else -1.
 */
export function installSeccomp(bpf: Buffer, flags: number): number {
  const count = bpf.length / SOCK_FILTER_SIZE;
  if (!Number.isInteger(count) || count === 0 || count > BPF_MAXINSNS) {
    throw new Error(`seccomp: invalid BPF program of ${bpf.length} bytes`);
  }
  const r = seccomp(SECCOMP_SET_MODE_FILTER, flags, sockFprog(bpf, count));
  if (r < 0) {
    const e = ffi().errno();
    const hint = e === 13 ? ' (needs no_new_privs or CAP_SYS_ADMIN)' : '';
    throw new SeccompError(`seccomp: loading the filter: ${errnoText(e)}${hint}`, e);
  }
  return flags & FILTER_FLAG.NEW_LISTENER ? r : -1;
}

/**
 * Whether the kernel knows a SECCOMP_FILTER_FLAG_* combination: with a NULL program it fails
 * with EFAULT after accepting the flags, and with EINVAL when it does not know them. Installs
 * nothing, needs no privilege.
 */
export function kernelSupportsFilterFlags(flags: number): boolean {
  const r = seccomp(SECCOMP_SET_MODE_FILTER, flags, null);
  return r < 0 && ffi().errno() === 14 /* EFAULT */;
}

function errnoText(e: number): string {
  const name = Object.entries(os().constants.errno).find(([, v]) => v === e)?.[0];
  return name ? `${name} (errno ${e})` : `errno ${e}`;
}
