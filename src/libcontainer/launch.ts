// One launch path for `create` (a new container init) and `exec` (a process joining one): runc's
// parentProcess with its initProcess/setnsProcess, youki's builder. What both need is written
// here once: the console, the subreaper, the namespaces to join and their order, seccomp, the
// spawn and handshake (init-process.ts), the cgroup join, the pid file.
//
// A launch is a list of named steps. Whatever a step acquires (an fd, a process, a cgroup, a
// state directory, a pid file) is registered on a Rollback with the code that releases it;
// a failure unwinds the stack in reverse, so each resource is released exactly once, and the
// first error is the one reported (failures while unwinding are warnings). RUNC_TS_FAULT names
// a step to fail right after it (tests prove that a failure at any step leaves nothing behind).
import type { Spawned } from './sys/spawn';
import { closeSync, existsSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Process, Spec, State } from '../spec/types';
import type { CgroupManager } from '../cgroups';
import { RuntimeError } from './errors';
import { spawnInit, type SpawnedInit } from './init-process';
import type { InitConfig } from './init/config';
import { NS_FILE, type NamespacePlan } from './namespaces';
import { deliverListener, usesNotify } from './seccomp-listener';
import { assertSupportedArch } from './sys/arch';
import { check, kill as sysKill, pidfdOpen, pollIn2, prctl } from './sys/libc';
import { connectUnix } from './sys/unix-socket';
import { consoleSocketPair } from './tty';
import { hasExited } from './state';
import { trace } from '../trace';
import { os } from '../lazy-builtins';

/** The named points of a launch where RUNC_TS_FAULT can fail it. */
export const LAUNCH_STEPS = ['spawn', 'cgroup-apply', 'cgroup-set', 'hooks', 'state-write', 'pid-file'] as const;
export type LaunchStep = (typeof LAUNCH_STEPS)[number];
export type LaunchKind = 'create' | 'exec';

/**
 * RUNC_TS_FAULT=<step> or <kind>:<step> (e.g. `exec:pid-file`): fail the launch right after
 * that step, as a real failure there would. For tests; unset, this costs one env lookup.
 */
export function faultPoint(kind: LaunchKind, step: LaunchStep): void {
  const f = process.env.RUNC_TS_FAULT;
  if (f && (f === step || f === `${kind}:${step}`)) throw new RuntimeError(`fault injected after ${kind} step ${step}`, { code: 'FAULT_INJECTED' });
}

/** The undo stack of a launch. */
export class Rollback {
  private stack: { what: string; undo: () => unknown }[] = [];

  /** Registers how to release a resource; the returned function releases it now instead (once). */
  push(what: string, undo: () => unknown): () => Promise<void> {
    const entry = { what, undo };
    this.stack.push(entry);
    return async () => {
      const i = this.stack.indexOf(entry);
      if (i < 0) return;
      this.stack.splice(i, 1);
      await entry.undo();
    };
  }

  /** Releases everything still registered, last first; a failing undo is a warning. */
  async unwind(warn: (msg: string) => void): Promise<void> {
    for (let e = this.stack.pop(); e; e = this.stack.pop()) {
      try {
        await e.undo();
      } catch (err: any) {
        warn(`cleanup after failure: ${e.what}: ${err?.message ?? err}`);
      }
    }
  }

  /** Success: nothing is undone any more. */
  commit(): void {
    this.stack = [];
  }
}

export interface LaunchOptions {
  kind: LaunchKind;
  id: string;
  bundle: string;
  rootfs: string;
  spec: Spec;
  process: Process;
  plan: NamespacePlan;
  /** --console-socket. */
  consoleSocket?: string;
  /** With a terminal and no --console-socket: make a socketpair and be the console ourselves. */
  ownConsole?: boolean;
  pidFile?: string;
  /** Become a subreaper: the launched process may be our grandchild (pid namespace). */
  subreaper: boolean;
  /** fds 3.. passed on (--preserve-fds, LISTEN_FDS). */
  passFds: number;
  /** exec.fifo opened O_PATH (create). */
  fifoFd?: number;
  idmapFds?: Record<number, number>;
  /** The container's cgroup to put the process in (undefined: none). */
  cgroup?: () => CgroupManager | undefined;
  /** Puts `pid` in the cgroup (step cgroup-apply); create's may also decide there is none. */
  applyCgroup(pid: number): void;
  /** Limits once the process waits (step cgroup-set; create). */
  setCgroup?(): void;
  /** The process' final pid is known (create: record it). */
  onPid?(pid: number): void;
  /** prestart + createRuntime (step hooks; create). */
  hooks?(pid: number): Promise<void>;
  /** The container state a seccomp agent gets. */
  listenerState(pid: number): State;
  /** Records the launched process (step state-write; create). */
  writeState?(pid: number): void;
  init: Pick<InitConfig, 'noPivot' | 'noNewKeyring' | 'newNamespaces' | 'rootless'>;
  debug?: (msg: string) => void;
  /** Warnings, the init's included. */
  warn: (msg: string) => void;
}

export interface Launched extends SpawnedInit {
  /** Our end of the console socketpair (ownConsole), or -1. */
  consoleSock: number;
}

/** Namespaces an exec'd process joins: all of the container's, in runc's order (mount last). */
export function execPlan(spec: Spec, initPid: number): NamespacePlan {
  const order = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];
  const joins = (spec.linux?.namespaces ?? []).map((n) => ({ type: n.type, path: `/proc/${initPid}/ns/${NS_FILE[n.type]}` }));
  joins.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
  return { cloneFlags: 0, joins, newTypes: [] };
}

/** The console socket fd the process gets (or -1), and our end when we are the console. */
function openConsole(o: LaunchOptions, rb: Rollback): { fd: number; ours: number; release: () => Promise<void> } {
  const none = { fd: -1, ours: -1, release: async () => {} };
  if (!o.process.terminal) {
    if (o.consoleSocket) throw new RuntimeError('cannot use console socket if runc-ts will not detach or allocate tty', { code: 'INVALID_CONFIG' });
    return none;
  }
  if (!o.consoleSocket && o.ownConsole) {
    const pair = consoleSocketPair();
    rb.push('close our console socket', () => closeSync(pair.ours));
    return { fd: pair.theirs, ours: pair.ours, release: rb.push('close the console socket', () => closeSync(pair.theirs)) };
  }
  if (!o.consoleSocket) throw new RuntimeError('cannot allocate tty if runc-ts will detach without setting console socket', { code: 'INVALID_CONFIG' });
  const fd = connectUnix(o.consoleSocket);
  return { fd, ours: -1, release: rb.push('close the console socket', () => closeSync(fd)) };
}

/** Writes the pid file the way runc does: to a temp file, then renamed into place. */
function writePidFile(path: string, pid: number, rb: Rollback): void {
  const abs = resolve(path);
  const tmp = join(dirname(abs), `.${Date.now()}.pid`);
  try {
    writeFileSync(tmp, String(pid));
    renameSync(tmp, abs);
  } catch (e: any) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw new RuntimeError(`--pid-file ${path}: ${e.message}`, { code: e.code, cause: e });
  }
  rb.push(`remove the pid file ${abs}`, () => unlinkSync(abs));
}

/** Kills a launched process that did not make it, and waits until it is gone. */
async function killLaunched(child: Spawned, pid: () => number): Promise<void> {
  const p = pid();
  if (p > 0) sysKill(p, 9);
  if (child.pid !== p) sysKill(child.pid, 9);
  await waitGone(p, 2000);
  await waitGone(child.pid, 2000);
  // Our own child: reaped (at once, it has exited), not left a zombie while we live.
  await child.exited();
}

export async function launch(o: LaunchOptions, rb: Rollback): Promise<Launched> {
  assertSupportedArch();
  if (!o.process.args?.length) throw new RuntimeError('process.args must not be empty', { code: 'INVALID_CONFIG' });
  const console_ = openConsole(o, rb);
  if (o.subreaper) check(prctl(36 /* PR_SET_CHILD_SUBREAPER */, 1, 0, 0, 0), 'prctl(PR_SET_CHILD_SUBREAPER)');
  const seccomp = o.spec.linux?.seccomp;
  let pid = 0;
  const init = await spawnInit({
    debug: o.debug,
    warn: o.warn,
    sealed: true,
    idmapFds: o.idmapFds,
    wantFdSocket: usesNotify(seccomp),
    plan: o.plan,
    uidMappings: o.kind === 'create' ? o.spec.linux?.uidMappings : undefined,
    gidMappings: o.kind === 'create' ? o.spec.linux?.gidMappings : undefined,
    timeOffsets: o.kind === 'create' ? o.spec.linux?.timeOffsets : undefined,
    consoleSocketFd: console_.fd,
    fifoFd: o.fifoFd,
    passFds: o.passFds,
    config: {
      mode: o.kind,
      id: o.id,
      bundle: o.bundle,
      rootfs: o.rootfs,
      spec: o.spec,
      process: o.process,
      ...o.init,
      hookState: { ociVersion: o.spec.ociVersion, id: o.id, bundle: o.bundle },
    },
    handlers: {
      onSpawn(child) {
        rb.push(`kill the ${o.kind === 'create' ? 'container init' : "exec'd process"}`, () => killLaunched(child, () => pid));
        faultPoint(o.kind, 'spawn');
      },
      onPid(p) {
        pid = p;
        o.onPid?.(p);
      },
      // While the init's node boots (it reads its config only when done): joining the cgroups
      // costs an RCU grace period per v1 hierarchy, compiling seccomp a few ms.
      beforeConfig() {
        o.applyCgroup(pid);
        faultPoint(o.kind, 'cgroup-apply');
        if (!seccomp) return {};
        // Loaded on demand: libseccomp is not for every command. A profile compiled before (the
        // same default profile for every Docker container) comes from the cache.
        const sc = (require('../seccomp/cache') as typeof import('../seccomp/cache')).compileSeccompCached(seccomp);
        return { seccomp: { bpf: sc.bpf.toString('base64'), flags: sc.flags, notify: sc.notify } };
      },
      async onSeccompListener(p, fd) {
        deliverListener(seccomp!, fd, p, o.listenerState(p));
      },
      onHooks: o.hooks
        ? async (p) => {
            await o.hooks!(p);
            faultPoint(o.kind, 'hooks');
          }
        : undefined,
    },
  });
  // The process holds its own copies now.
  await console_.release();
  if (o.setCgroup) {
    o.setCgroup();
    faultPoint(o.kind, 'cgroup-set');
    trace('cli: cgroup limits set');
  }
  if (o.writeState) {
    o.writeState(init.pid);
    faultPoint(o.kind, 'state-write');
    trace('cli: state written');
  }
  if (o.pidFile) {
    writePidFile(o.pidFile, init.pid, rb);
    faultPoint(o.kind, 'pid-file');
  }
  return { ...init, consoleSock: console_.ours };
}

/** The signals a foreground `run`/`exec` passes on to its process (runc forwards them all). */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

/** Foreground: signals to us go to the launched process until the returned function is called. */
export function forwardSignals(pid: number): () => void {
  const handlers = FORWARDED.map((s) => {
    const h = () => sysKill(pid, os().constants.signals[s]);
    process.on(s, h);
    return [s, h] as const;
  });
  return () => {
    for (const [s, h] of handlers) process.off(s, h);
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (up to `ms`) until `pid` has exited; a zombie counts as gone (its parent reaps it). */
export async function waitGone(pid: number, ms: number): Promise<void> {
  if (!pid) return;
  // A pidfd is readable once the process has exited (zombie or reaped): one poll, no loop.
  const pidfd = pidfdOpen(pid);
  if (pidfd === -3 /* ESRCH */) return;
  if (pidfd >= 0) {
    try {
      for (let r = -4; r === -4 /* EINTR */; ) r = pollIn2(pidfd, pidfd, ms);
    } finally {
      closeSync(pidfd);
    }
    return;
  }
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (hasExited(pid)) return;
    await sleep(5);
  }
}
