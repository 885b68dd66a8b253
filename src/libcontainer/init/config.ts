// What the CLI hands the container init over the sync socket once the namespaces exist: the
// spec plus everything the CLI already resolved, so the init loads and decides as little as
// possible (its start-up is on every container's critical path).
import type { Spec, Process } from '../../spec/types';

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
  /** runc's state JSON fields for hooks that run inside (createContainer, startContainer). */
  hookState: { ociVersion: string; id: string; bundle: string; annotations?: Record<string, string> };
  rootless: boolean;
}

/** Messages from the init to the CLI (one JSON object a line on the sync socket). */
export type InitMessage =
  | { type: 'hooks' } // run prestart + createRuntime now, then answer hooks-done
  | { type: 'seccomp-listener' } // the listener fd was sent on the fd socket (NOTIFY)
  | { type: 'ready' } // set up; waiting on exec.fifo
  | { type: 'error'; message: string };

export type ParentMessage =
  | { type: 'hooks-done' }
  | { type: 'hooks-failed'; message: string }
  | { type: 'seccomp-listener-done' }
  | { type: 'seccomp-listener-failed'; message: string };
