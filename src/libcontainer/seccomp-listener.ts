// SCMP_ACT_NOTIFY: the init's seccomp listener fd goes to the agent at linux.seccomp.listenerPath,
// with the container process state as the message (runtime-spec config-linux.md "seccomp",
// state.md "Container process state"), then our copy is closed.
import { closeSync } from 'node:fs';
import type { LinuxSeccomp, State } from '../spec/types';
import { SPEC_VERSION } from '../spec/types';
import { sendFd } from './sys/fdpass';
import { connectUnix } from './sys/unix-socket';
import { RuntimeError } from './errors';

/**
 * Whether the profile notifies an agent. The init hands its listener over with sendmsg and
 * tells the runtime with write: like runc (which refuses `write`), those two cannot wait on an
 * agent that does not have the listener yet.
 */
export function usesNotify(s?: LinuxSeccomp): boolean {
  const rules = (s?.syscalls ?? []).filter((r) => r.action === 'SCMP_ACT_NOTIFY');
  for (const name of ['write', 'sendmsg']) {
    if (rules.some((r) => r.names.includes(name))) throw new RuntimeError(`linux.seccomp: SCMP_ACT_NOTIFY cannot be used for the ${name} syscall`);
  }
  return rules.length > 0;
}

export function deliverListener(seccomp: LinuxSeccomp, fd: number, pid: number, state: State): void {
  try {
    let sock: number;
    try {
      sock = connectUnix(seccomp.listenerPath!);
    } catch (e: any) {
      throw new RuntimeError(`failed to connect with seccomp agent specified in the seccomp profile: ${seccomp.listenerPath}: ${e.code ?? e.message}`);
    }
    try {
      const msg = { ociVersion: SPEC_VERSION, fds: ['seccompFd'], pid, metadata: seccomp.listenerMetadata ?? '', state };
      sendFd(sock, JSON.stringify(msg), fd);
    } finally {
      closeSync(sock);
    }
  } finally {
    closeSync(fd);
  }
}
