// Waiting for a container's init to exit without blocking the event loop. A direct child is
// reaped by Node; an init in a new pid namespace is our grandchild, reparented to us as a
// subreaper: we watch a pidfd (readable at exit) and reap it with waitpid.
import type { ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { constants } from 'node:os';
import koffi from './sys/koffi';
import { SysError, errno, syscall3, SYS, waitpid } from './sys/libc';

function signalNumber(name: string | null): number {
  return name ? ((constants.signals as Record<string, number>)[name] ?? 0) : 0;
}

/** The exit status as a shell reports it: the code, or 128 + the signal. */
export function waitForExit(pid: number, child: ChildProcess): Promise<number> {
  if (child.pid === pid) {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? 128 + signalNumber(child.signalCode));
    return new Promise((resolve) => child.once('exit', (code, sig) => resolve(code ?? 128 + signalNumber(sig))));
  }
  const pidfd = syscall3(SYS.pidfd_open, pid, 0, 0);
  if (pidfd < 0) return Promise.reject(new SysError(`pidfd_open ${pid}`, errno()));
  return new Promise((resolve) => {
    const h = koffi.node.poll(pidfd, { readable: true }, () => {
      const status = Buffer.alloc(4);
      const r = waitpid(pid, status, 1 /* WNOHANG */);
      if (r === 0) return; // not yet a zombie: spurious wake-up
      h.close();
      closeSync(pidfd);
      if (r < 0) return resolve(255);
      const s = status.readInt32LE(0);
      const termsig = s & 0x7f;
      resolve(termsig === 0 ? (s >> 8) & 0xff : 128 + termsig);
    });
  });
}
