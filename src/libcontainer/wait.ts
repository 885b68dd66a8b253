// Waiting for a container's init to exit without blocking the event loop. Our direct child is
// the init itself, or, in a new pid namespace, nsexec's first process: the init is then our
// grandchild, reparented to us as a subreaper. Either is reaped at its SIGCHLD (sys/spawn.ts's
// reap), which works alike under Node and Bun and never polls.
import { reap, type Spawned } from './sys/spawn';

/** The exit status as a shell reports it: the code, or 128 + the signal. */
export function waitForExit(pid: number, child: Spawned): Promise<number> {
  if (child.pid === pid) return child.exited();
  // Our grandchild becomes our child (we are its subreaper) only once its parent, our direct
  // child (nsexec's first process), has exited: until then waitpid fails with ECHILD. That
  // exit follows the "pid N" line at once, but a loaded machine may run it later (20 parallel
  // `run`s: one in ~300 exited 255 without a word).
  return child.exited().then(() => reap(pid));
}
