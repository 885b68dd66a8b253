// Installs a BPF program compiled by compile.ts. Loaded by the container's init, so it stays
// small: koffi and libc's syscall(), no libseccomp.
//
// seccomp(2) filters attach to the calling thread and are inherited across fork and execve.
// koffi's synchronous calls run on the JS main thread, the one that later calls execve(), so
// the user's program gets the filter; node's helper threads die at execve(). TSYNC (when the
// profile asks for it) applies the filter to those threads too.
// koffi's typings are ESM ("type": "module"); take the types only and require() the CJS build.
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import koffi from '../libcontainer/sys/koffi';
import { constants as osConstants } from 'node:os';
import { BPF_MAXINSNS, FILTER_FLAG, SECCOMP_SET_MODE_FILTER, SOCK_FILTER_SIZE, SYS_SECCOMP } from './constants';

type SyscallFn = (...args: unknown[]) => number | bigint;

let sys: { call: SyscallFn; fprog: Koffi.TypeObject } | undefined;

function bindings() {
  if (sys) return sys;
  const libc = koffi.load('libc.so.6');
  sys = {
    // glibc's syscall() is variadic; koffi passes each extra argument with its type.
    call: libc.func('long syscall(long number, ...)') as SyscallFn,
    // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
    fprog: koffi.struct({ len: 'uint16_t', filter: 'void *' }),
  };
  return sys;
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
  const { call, fprog } = bindings();
  const prog = { len: count, filter: bpf };
  const r = Number(call(sysSeccomp(), 'uint', SECCOMP_SET_MODE_FILTER, 'uint', flags >>> 0, koffi.pointer(fprog), prog));
  if (r < 0) {
    const e = koffi.errno();
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
  const { call } = bindings();
  const r = Number(call(sysSeccomp(), 'uint', SECCOMP_SET_MODE_FILTER, 'uint', flags >>> 0, 'void *', null));
  return r < 0 && koffi.errno() === 14 /* EFAULT */;
}

function errnoText(e: number): string {
  const name = Object.entries(osConstants.errno).find(([, v]) => v === e)?.[0];
  return name ? `${name} (errno ${e})` : `errno ${e}`;
}
