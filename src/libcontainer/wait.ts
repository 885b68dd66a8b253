// Waiting for a container's init to exit without blocking the event loop. A direct child is
// reaped by the engine; an init in a new pid namespace is our grandchild, reparented to us as
// a subreaper: a blocking waitpid() runs on a worker thread (sys/ffi.ts), which works alike
// under Node and Bun and never polls.
import type { ChildProcess } from 'node:child_process';
import { waitpid, waitpidAsync } from './sys/libc';
import { os } from '../lazy-builtins';

function signalNumber(name: string | null): number {
  return name ? ((os().constants.signals as Record<string, number>)[name] ?? 0) : 0;
}

function shellStatus(s: number): number {
  const termsig = s & 0x7f;
  return termsig === 0 ? (s >> 8) & 0xff : 128 + termsig;
}

/** The exit status as a shell reports it: the code, or 128 + the signal. */
export function waitForExit(pid: number, child: ChildProcess): Promise<number> {
  if (child.pid === pid) return childExit(child);
  // Our grandchild becomes our child (we are its subreaper) only once its parent, our direct
  // child (nsexec's first process), has exited: until then waitpid fails with ECHILD. That
  // exit follows the "pid N" line at once, but a loaded machine may run it later (20 parallel
  // `run`s: one in ~300 exited 255 without a word).
  return childExit(child).then(() => reap(pid));
}

/** The shell status of our direct child, once it has exited (at once if it has). */
function childExit(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? 128 + signalNumber(child.signalCode));
  return new Promise((resolve) => child.once('exit', (code, sig) => resolve(code ?? 128 + signalNumber(sig))));
}

/** waitpid() of our child `pid` on a worker thread, then its shell status. */
function reap(pid: number): Promise<number> {
  return new Promise((resolve) => {
    const status = Buffer.alloc(4);
    const wait = () =>
      waitpidAsync(pid, 0, (r, s) => {
        if (r === pid) return resolve(shellStatus(s));
        // Interrupted (EINTR) or failed: see whether it is still there to wait for.
        const again = waitpid(pid, status, 1 /* WNOHANG */);
        if (again === pid) resolve(shellStatus(status.readInt32LE(0)));
        else if (again === 0) wait();
        else resolve(255);
      });
    wait();
  });
}
