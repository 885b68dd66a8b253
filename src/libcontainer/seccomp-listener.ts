// SCMP_ACT_NOTIFY: the init's seccomp listener fd goes to the agent at linux.seccomp.listenerPath,
// with the container process state as the message (runtime-spec config-linux.md "seccomp",
// state.md "Container process state"), then our copy is closed.
import { closeSync } from 'node:fs';
import type { LinuxSeccomp, State } from '../spec/types';
import { SPEC_VERSION } from '../spec/types';
import { sendFd } from './sys/fdpass';
import { connectUnix } from './sys/unix-socket';

export function usesNotify(s?: LinuxSeccomp): boolean {
  return !!s && (s.syscalls ?? []).some((r) => r.action === 'SCMP_ACT_NOTIFY');
}

export function deliverListener(seccomp: LinuxSeccomp, fd: number, pid: number, state: State): void {
  try {
    const sock = connectUnix(seccomp.listenerPath!);
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
