// What the CLI hands the container init over the sync socket once the namespaces exist: the
// spec plus everything the CLI already resolved, so the init loads and decides as little as
// possible (its start-up is on every container's critical path).
import type { Spec, Process } from '../../spec/types';
import { RuntimeError } from '../errors';

export interface InitConfig {
  /** create: a new container init; exec: a process joining a running container. */
  mode: 'create' | 'exec';
  /** A mount namespace to join from TypeScript (see init/main.ts joinMountNamespace). */
  joinMount?: string;
  id: string;
  bundle: string;
  /** Absolute host path of the rootfs. */
  rootfs: string;
  spec: Spec;
  /** The process to run: spec.process for the init. */
  process: Process;
  /** Namespace types the init got new (not joined): mount setup depends on it. */
  newNamespaces: string[];
  noPivot: boolean;
  noNewKeyring: boolean;
  /** fd (in the init) of exec.fifo, opened O_PATH by the CLI: in a user namespace the init may
   * not be able to reach the state directory itself (runc passes it the same way). */
  fifoFd: number;
  /** fd (in the init) of a socket to pass fds back to the CLI (seccomp listener), or -1. */
  fdSocketFd: number;
  /** For idmapped mounts: mount index -> fd (in the init) of a user namespace with its mapping. */
  idmapFds: Record<number, number>;
  /** The init's pid as the host sees it (hooks get this one, not 1). */
  hostPid: number;
  /** fd (in the init) of a connected console socket, or -1. */
  consoleSocketFd: number;
  /** How many fds after stdio go to the container (--preserve-fds plus LISTEN_FDS). */
  passFds: number;
  /** Compiled seccomp filter (src/seccomp), base64 of struct sock_filter[]. */
  seccomp?: { bpf: string; flags: number; notify: boolean };
  /** runc's state JSON fields for hooks that run inside (createContainer, startContainer);
   * the annotations are the spec's (sent once). */
  hookState: { ociVersion: string; id: string; bundle: string };
  rootless: boolean;
}

// The sync socket after nsexec.c's bootstrap lines: one JSON object a line, each direction a
// discriminated union. Each side reads with decodeMessage and names the types it accepts at
// that point of the handshake: an unknown or out-of-order message is an error, not ignored.
//
//   CLI -> init   config                      (first, always)
//   init -> CLI   hooks                       (create: prestart + createRuntime now)
//   CLI -> init   hooks-done | hooks-failed
//   init -> CLI   seccomp-listener            (SCMP_ACT_NOTIFY: the fd went on the fd socket)
//   CLI -> init   seccomp-listener-done | seccomp-listener-failed
//   init -> CLI   ready | error               (error: at any point, then the init exits)
//   init -> CLI   warning                     (at any point before ready: the CLI logs it)

/** Messages from the init to the CLI. */
export type InitMessage =
  | { type: 'hooks' }
  | { type: 'seccomp-listener' }
  | { type: 'ready' }
  /** Logged by the CLI as its own warnings are (runc's init sends its log lines to runc): the
   * init's stderr is the container's. */
  | { type: 'warning'; message: string }
  /** errno and its name when a system call failed in the init. */
  | { type: 'error'; message: string; errno?: number; code?: string };

/** Messages from the CLI to the init. */
export type ParentMessage =
  | { type: 'config'; config: InitConfig }
  | { type: 'hooks-done' }
  | { type: 'hooks-failed'; message: string }
  | { type: 'seccomp-listener-done' }
  | { type: 'seccomp-listener-failed'; message: string };

const FIELDS: Record<string, Record<string, 'string' | 'number' | 'object'>> = {
  config: { config: 'object' },
  'hooks-failed': { message: 'string' },
  'seccomp-listener-failed': { message: 'string' },
  error: { message: 'string' },
  warning: { message: 'string' },
};

/** One line of the protocol, checked: its type must be one of `expected`, its fields typed. */
export function decodeMessage<M extends { type: string }, T extends M['type']>(line: string, expected: readonly T[], peer: string): Extract<M, { type: T }> {
  const fail = (why: string) => new RuntimeError(`protocol error: ${peer} sent ${why} (expected ${expected.join(' or ')})`, { code: 'PROTOCOL' });
  let msg: any;
  try {
    msg = JSON.parse(line);
  } catch {
    throw fail(`a line that is not JSON: ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') throw fail('a message without a type');
  if (!(expected as readonly string[]).includes(msg.type)) throw fail(`"${msg.type}"`);
  for (const [k, t] of Object.entries(FIELDS[msg.type] ?? {})) if (typeof msg[k] !== t || msg[k] === null) throw fail(`"${msg.type}" without ${k}`);
  return msg;
}

export function encodeMessage(msg: InitMessage | ParentMessage): string {
  return JSON.stringify(msg) + '\n';
}
