// The CLI's side of starting a container init: spawn the engine (sys/spawn.ts) running
// dist/init.cjs with the native namespace stage preloaded, then drive the handshake over a
// socketpair:
//
//   CLI                                  init (nsexec.c, then init/main.ts)
//   spawn ------------------------------> constructor reads bootstrap lines
//   [cgroup apply/set on the pid]
//   join/clone/timens lines, "" -------->  setns / unshare(user)
//                      <---------------- "userns"  (only with a new user namespace)
//   write uid_map/gid_map, "ok" -------->  unshare(rest), fork for pid/time namespaces
//                      <---------------- "pid N"   (node starts in N)
//   {"type":"config"} ------------------>  mounts, devices, ...
//                      <---------------- {"type":"hooks"}
//   prestart + createRuntime hooks
//   {"type":"hooks-done"} -------------->  createContainer hooks, pivot_root, ...
//                      <---------------- {"type":"ready"}  (blocks on exec.fifo)
// The JSON part is typed (init/config.ts): each side fails on a message it does not expect.
import { check, fcntl } from './sys/libc';
import { spawnProcess, type Spawned } from './sys/spawn';
import { closeSync, writeFileSync } from 'node:fs';
import { consoleSocketPair } from './tty';
import { recvFd } from './sys/fdpass';
import { sealedBinaryFd } from './sealed-node';
import { join } from 'node:path';
import { SyncSocket } from './sync-socket';
import { trace, traceEnv } from '../trace';
import type { IDMapping } from '../spec/types';
import { decodeMessage, encodeMessage, type InitConfig, type InitMessage } from './init/config';
import { CLONE_FLAGS, type NamespacePlan } from './namespaces';
import { RuntimeError } from './errors';
import { mountSourceLines } from './mount-sources';
import { DIST_DIR, initArgs, initDistEnv, initEngineEnv } from '../engine';

export { DIST_DIR };

export interface InitHandlers {
  /** Right after spawn, before any namespace exists: the caller owns the child from now on. */
  onSpawn(child: Spawned): void;
  /** The init's final pid is known. */
  onPid(pid: number): void;
  /**
   * Work that can overlap with node's start-up in the init (it is booting now and reads its
   * InitConfig only when done): cgroup limits, compiling seccomp. Returns config additions.
   */
  beforeConfig?(): Partial<InitConfig> | Promise<Partial<InitConfig>>;
  /** prestart + createRuntime hooks (create only). */
  onHooks?(pid: number): Promise<void>;
  /** The seccomp notify listener fd arrived (SCMP_ACT_NOTIFY): deliver it, then close it. */
  onSeccompListener?(pid: number, fd: number): Promise<void>;
}

export interface InitSpawnOptions {
  plan: NamespacePlan;
  /** Execute node from a read-only detached mount of itself (see sealed-node.ts). */
  sealed: boolean;
  debug?: (msg: string) => void;
  /** The init's warnings: logged as the CLI's own. */
  warn: (msg: string) => void;
  uidMappings?: IDMapping[];
  gidMappings?: IDMapping[];
  timeOffsets?: Record<string, { secs?: number; nanosecs?: number }>;
  config: Omit<InitConfig, 'consoleSocketFd' | 'passFds' | 'joinMount' | 'fifoFd' | 'hostPid' | 'fdSocketFd' | 'idmapFds'>;
  /** Mount index -> fd (in this process) of a user namespace for an idmapped mount. */
  idmapFds?: Record<number, number>;
  /** A socketpair for fds coming back from the init (the seccomp listener). */
  wantFdSocket?: boolean;
  /** fd (in this process) of the connected console socket, or -1. */
  consoleSocketFd: number;
  /** fd (in this process) of exec.fifo opened O_PATH, or -1 (exec). */
  fifoFd?: number;
  /** fds 3..3+n-1 of this process go to the container as the same numbers. */
  passFds: number;
  handlers: InitHandlers;
}

export interface SpawnedInit {
  pid: number;
  /** Our direct child: nsexec's first process, or the init itself without a new pid namespace. */
  child: Spawned;
}

function writeIdMap(pid: number, file: 'uid_map' | 'gid_map', maps: IDMapping[] = []): void {
  if (!maps.length) return;
  const text = maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join('\n') + '\n';
  try {
    writeFileSync(`/proc/${pid}/${file}`, text);
  } catch (e: any) {
    throw new RuntimeError(`linux.${file === 'uid_map' ? 'uidMappings' : 'gidMappings'}: writing /proc/${pid}/${file}: ${e.code ?? e.message}`);
  }
}

/**
 * The child execs /proc/self/fd/<n> after spawn has put fds[i] at fd i: an fd of ours numbered
 * below fds.length would by then be another file (an idmapped mount's user namespace, the
 * fifo...) and execve fail with EACCES. Moved above that range (still close-on-exec).
 */
export function aboveStdio(fd: number, count: number): number {
  if (fd < 0 || fd >= count) return fd;
  const moved = check(fcntl(fd, 1030 /* F_DUPFD_CLOEXEC */, count), 'dup the sealed engine binary');
  closeSync(fd);
  return moved;
}

export async function spawnInit(o: InitSpawnOptions): Promise<SpawnedInit> {
  const syncIndex = 3 + o.passFds;
  // Our own socketpair rather than a pipe: the handshake reads it blocking.
  const sync = consoleSocketPair();
  // The child's fds: stdio as ours, the passed fds at their numbers, then the init's own. (A
  // loop, not Array.from: the engine compiles that builtin on first use, ~0.15 ms without JIT.)
  const fds: number[] = [0, 1, 2];
  for (let fd = 3; fd < syncIndex; fd++) fds.push(fd);
  fds.push(sync.theirs);
  let consoleFdInInit = -1;
  if (o.consoleSocketFd >= 0) {
    consoleFdInInit = fds.length;
    fds.push(o.consoleSocketFd);
  }
  let fdSock: { ours: number; theirs: number } | undefined;
  let fdSocketInInit = -1;
  if (o.wantFdSocket) {
    fdSock = consoleSocketPair();
    fdSocketInInit = fds.length;
    fds.push(fdSock.theirs);
  }
  const idmapFdsInInit: Record<number, number> = {};
  for (const [index, fd] of Object.entries(o.idmapFds ?? {})) {
    idmapFdsInInit[Number(index)] = fds.length;
    fds.push(fd);
  }
  let fifoFdInInit = -1;
  if (o.fifoFd !== undefined && o.fifoFd >= 0) {
    fifoFdInInit = fds.length;
    fds.push(o.fifoFd);
  }
  const t0 = performance.now();
  trace('cli: spawning the init');
  const since = () => `${(performance.now() - t0).toFixed(1)} ms`;
  // The engine (node, or the compiled Bun executable) from a read-only detached mount
  // (see sealed-node.ts).
  const sealed = o.sealed ? aboveStdio(sealedBinaryFd(process.execPath), fds.length) : -1;
  let child: Spawned;
  try {
    child = spawnProcess(sealed >= 0 ? `/proc/self/fd/${sealed}` : process.execPath, {
      argv: ['runc-ts-init', ...initArgs()],
      fds,
      env: { LD_PRELOAD: join(DIST_DIR, 'nsexec.so'), _RUNCTS_INITPIPE: String(syncIndex), ...initDistEnv(), ...initEngineEnv(), ...traceEnv() },
      cwd: o.config.bundle,
    });
  } catch (e: any) {
    closeSync(sync.ours);
    if (fdSock) closeSync(fdSock.ours);
    throw new RuntimeError(`starting the container init: ${e.message}`);
  } finally {
    closeSync(sync.theirs);
    if (fdSock) closeSync(fdSock.theirs);
    if (sealed >= 0) closeSync(sealed);
  }
  o.handlers.onSpawn(child);
  const chan = new SyncSocket(sync.ours);
  try {
    return await handshake(o, child, chan, fdSock, { consoleFdInInit, fdSocketInInit, idmapFdsInInit, fifoFdInInit }, since);
  } finally {
    if (fdSock) closeSync(fdSock.ours);
    chan.close();
  }
}

/** The fd numbers the init finds its resources under. */
interface InitFds {
  consoleFdInInit: number;
  fdSocketInInit: number;
  idmapFdsInInit: Record<number, number>;
  fifoFdInInit: number;
}

async function handshake(o: InitSpawnOptions, child: Spawned, chan: SyncSocket, fdSock: { ours: number } | undefined, fds: InitFds, since: () => string): Promise<SpawnedInit> {
  // A write to an init that has died fails with EPIPE: the read that follows reports it.
  const send = (s: string) => {
    try {
      chan.write(s);
    } catch (e: any) {
      if (e?.code !== 'EPIPE') throw e;
    }
  };
  const fail = (what: string): never => {
    throw new RuntimeError(what, { code: 'INIT_FAILED' });
  };

  let boot = '';
  // The mount namespace is joined later, from TypeScript: node must find its files first.
  for (const j of o.plan.joins) if (j.type !== 'mount') boot += `join ${j.type} ${j.path}\n`;
  // The cgroup namespace too is left to TypeScript: it must come after the move into the
  // container's cgroups, which now overlaps with node's start-up.
  if (o.config.mode === 'create') boot += mountSourceLines(o.config.spec, o.config.bundle);
  const cloneFlags = o.plan.cloneFlags & ~CLONE_FLAGS.cgroup;
  if (cloneFlags) boot += `clone ${cloneFlags}\n`;
  const offsets = Object.entries(o.timeOffsets ?? {});
  if (o.plan.newTypes.includes('time') && offsets.length) boot += 'timens\n';
  send(boot + '\n');

  let pid = 0;
  for (;;) {
    const line = chan.readLine();
    if (line === null) fail('container init exited before it was set up (see its stderr)');
    if (line!.startsWith('error ')) fail(`container init: ${line!.slice(6)}`);
    if (line === 'userns') {
      // setgroups must be denied before an unprivileged gid_map; as root we leave it allowed.
      if (process.getuid?.() !== 0) writeFileSync(`/proc/${child.pid}/setgroups`, 'deny');
      writeIdMap(child.pid, 'uid_map', o.uidMappings);
      writeIdMap(child.pid, 'gid_map', o.gidMappings);
      send('ok\n');
      continue;
    }
    if (line === 'timens') {
      const text = offsets.map(([clock, off]) => `${clock} ${off.secs ?? 0} ${off.nanosecs ?? 0}`).join('\n') + '\n';
      try {
        writeFileSync(`/proc/${child.pid}/timens_offsets`, text);
      } catch (e: any) {
        throw new RuntimeError(`linux.timeOffsets: writing /proc/${child.pid}/timens_offsets: ${e.code ?? e.message}`);
      }
      send('ok\n');
      continue;
    }
    const m = /^pid (\d+)$/.exec(line!);
    if (m) {
      pid = Number(m[1]);
      break;
    }
    fail(`container init: unexpected message "${line}"`);
  }
  // nsexec's first process (not the init itself) exits now: reaped at once, as runc does its
  // bootstrap process, rather than left to whoever inherits it.
  if (child.pid !== pid) void child.exited();
  o.debug?.(`init: pid ${pid} in its namespaces after ${since()}`);
  trace(`cli: init ${pid} in its namespaces`);
  o.handlers.onPid(pid);
  const extra = (await o.handlers.beforeConfig?.()) ?? {};
  o.debug?.(`init: cgroups and config prepared after ${since()}`);

  const joinMount = o.plan.joins.find((j) => j.type === 'mount')?.path;
  const config: InitConfig = { ...o.config, ...extra, joinMount, consoleSocketFd: fds.consoleFdInInit, fifoFd: fds.fifoFdInInit, fdSocketFd: fds.fdSocketInInit, idmapFds: fds.idmapFdsInInit, passFds: o.passFds, hostPid: pid };
  send(encodeMessage({ type: 'config', config }));
  trace('cli: config sent');
  // hooks: once, and only for a new container; seccomp-listener: only with SCMP_ACT_NOTIFY.
  let hooksDone = o.config.mode !== 'create';
  for (;;) {
    const line = chan.readLine();
    if (line === null) fail('container init exited before it was ready (see its stderr)');
    const expected: InitMessage['type'][] = ['ready', 'error', 'warning', ...(hooksDone ? [] : ['hooks' as const]), ...(fdSock ? ['seccomp-listener' as const] : [])];
    const msg = decodeMessage<InitMessage, InitMessage['type']>(line!, expected, 'the container init');
    if (msg.type === 'error') throw new RuntimeError(msg.message, { code: msg.code ?? 'INIT_FAILED' });
    if (msg.type === 'warning') {
      o.warn(msg.message);
      continue;
    }
    if (msg.type === 'hooks') {
      hooksDone = true;
      o.debug?.(`init: filesystem ready after ${since()}`);
      try {
        await o.handlers.onHooks?.(pid);
        send(encodeMessage({ type: 'hooks-done' }));
      } catch (e: any) {
        send(encodeMessage({ type: 'hooks-failed', message: e.message }));
        throw e;
      }
      continue;
    }
    if (msg.type === 'seccomp-listener') {
      try {
        const { fd } = recvFd(fdSock!.ours);
        await o.handlers.onSeccompListener?.(pid, fd);
        send(encodeMessage({ type: 'seccomp-listener-done' }));
      } catch (e: any) {
        send(encodeMessage({ type: 'seccomp-listener-failed', message: e.message }));
        throw e;
      }
      continue;
    }
    break; // ready
  }
  o.debug?.(`init: ready after ${since()}`);
  trace('cli: init ready');
  return { pid, child };
}
