// Container operations the CLI commands are made of: create, start, state, kill, delete.
// Each takes the per-container lock; create undoes everything it did when a step fails.
import { chmodSync, closeSync, existsSync, readFileSync, openSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Spec, State } from '../spec/types';
import { SPEC_VERSION } from '../spec/types';
import { newManager, loadManager, withDefaultDevices, type CgroupManager } from '../cgroups';
import { RuntimeError } from './errors';
import { runHooks } from './hooks';
import { spawnInit, type SpawnedInit } from './init-process';
import { CLONE_FLAGS, NS_FILE, planNamespaces } from './namespaces';
import { checkSupported } from './supported';
import { StateDir, deriveStatus, isInitAlive, listIds, ownerOf, processStartTime, type SavedState } from './state';
import { check, kill as sysKill, mkfifo, open as openFd, prctl } from './sys/libc';
import { connectUnix } from './sys/unix-socket';
import { consoleSocketPair } from './tty';
import { deliverListener, usesNotify } from './seccomp-listener';
import { checkNetDevices, moveNetDevices } from './net-devices';
import { idmappedMounts, usernsFd } from './idmap';

export interface GlobalOptions {
  root: string;
  systemdCgroup?: boolean;
  rootless?: boolean;
  warn: (msg: string) => void;
  /** --debug messages (timings of the init's start-up, ...). */
  debug?: (msg: string) => void;
}

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** `run` in the foreground: become a subreaper so that the init is ours to wait for. */
  subreaper?: boolean;
  /** `run` in the foreground: with process.terminal and no console socket, we are the console. */
  ownConsole?: boolean;
}

function cgroupOf(s: SavedState): CgroupManager | undefined {
  if (!s.cgroup) return undefined;
  try {
    return loadManager(s.cgroup as any);
  } catch {
    return undefined;
  }
}

export function statusOf(st: StateDir, s: SavedState) {
  return deriveStatus(st, s, () => {
    try {
      return cgroupOf(s)?.isFrozen() ?? false;
    } catch {
      return false;
    }
  });
}

export function specState(st: StateDir, s: SavedState): State & { rootfs: string; created: string; owner: string } {
  const status = statusOf(st, s);
  const out: any = {
    ociVersion: s.config.ociVersion ?? SPEC_VERSION,
    id: s.id,
    pid: status === 'stopped' ? 0 : s.pid,
    status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    owner: s.owner,
  };
  if (s.annotations && Object.keys(s.annotations).length) out.annotations = s.annotations;
  return out;
}

function hookState(s: Pick<SavedState, 'id' | 'bundle' | 'annotations' | 'config'>, status: State['status'], pid: number): State {
  const st: State = { ociVersion: s.config.ociVersion ?? SPEC_VERSION, id: s.id, status, pid, bundle: s.bundle };
  if (s.annotations) st.annotations = s.annotations;
  return st;
}

/** Writes the pid file the way runc does: to a temp file, then renamed into place. */
function writePidFile(path: string, pid: number): void {
  const abs = resolve(path);
  const tmp = join(dirname(abs), `.${Date.now()}.pid`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, abs);
}

function countListenFds(): number {
  const n = Number(process.env.LISTEN_FDS ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

export async function create(g: GlobalOptions, o: CreateOptions): Promise<{ pid: number; init: SpawnedInit; state: SavedState; consoleSock: number }> {
  const st = new StateDir(g.root, o.id);
  // Loading validates: nothing is created for a bundle that cannot run.
  const { loadBundle } = require('../spec/load') as typeof import('../spec/load');
  const { spec, bundle, rootfs } = loadBundle(o.bundle);
  if (!spec.process) throw new RuntimeError('config.json: process: required to create a container');
  for (const w of checkSupported(spec)) g.warn(w);
  checkNetDevices(spec);
  const idmapped = idmappedMounts(spec);
  const plan = planNamespaces(spec.linux?.namespaces);
  for (const j of plan.joins) {
    if (!existsSync(j.path)) throw new RuntimeError(`linux.namespaces: ${j.type} namespace path ${j.path}: no such file or directory`);
  }

  st.create();
  st.lock();
  let cgroup: CgroupManager | undefined;
  let init: SpawnedInit | undefined;
  let initPid = 0;
  let consoleFd = -1;
  let consoleSock = -1;
  let fifoFd = -1;
  const idmapFds: Record<number, number> = {};
  const state: SavedState = {
    id: o.id,
    bundle,
    rootfs,
    pid: 0,
    pidStartTime: '',
    created: new Date().toISOString(),
    owner: ownerOf(st.root) || 'root',
    annotations: spec.annotations,
    config: spec,
    cgroup: null,
    namespacePaths: {},
    rootless: g.rootless,
  };
  try {
    check(mkfifo(st.fifoPath, 0o622), `mkfifo ${st.fifoPath}`);
    // The umask took bits away: the init may open it for writing after changing user.
    chmodSync(st.fifoPath, 0o622);
    fifoFd = check(openFd(st.fifoPath, 0o10000000 /* O_PATH */ | 0o2000000 /* O_CLOEXEC */, 0), `open ${st.fifoPath}`);
    st.write(state);
    cgroup = newManager({ id: o.id, cgroupsPath: spec.linux?.cgroupsPath, systemd: g.systemdCgroup });
    state.cgroup = cgroup.save();
    if (spec.process.terminal && !o.consoleSocket && o.ownConsole) {
      const pair = consoleSocketPair();
      consoleFd = pair.theirs;
      consoleSock = pair.ours;
    } else if (spec.process.terminal) {
      if (!o.consoleSocket) throw new RuntimeError('cannot allocate tty if runc-ts will detach without setting console socket');
      consoleFd = connectUnix(o.consoleSocket);
    } else if (o.consoleSocket) {
      throw new RuntimeError('cannot use console socket if runc-ts will not detach or allocate tty');
    }
    if (o.subreaper) check(prctlSubreaper(), 'prctl(PR_SET_CHILD_SUBREAPER)');
    const passFds = (o.preserveFds ?? 0) + countListenFds();
    for (const im of idmapped) idmapFds[im.index] = await usernsFd(im.uid, im.gid);
    init = await spawnInit({
      debug: g.debug,
      idmapFds,
      sealedDir: st.dir,
      wantFdSocket: usesNotify(spec.linux?.seccomp),
      plan,
      uidMappings: spec.linux?.uidMappings,
      gidMappings: spec.linux?.gidMappings,
      timeOffsets: spec.linux?.timeOffsets,
      consoleSocketFd: consoleFd,
      fifoFd,
      passFds,
      config: {
        mode: 'create',
        id: o.id,
        bundle,
        rootfs,
        spec,
        process: spec.process,
        newNamespaces: plan.newTypes,
        noPivot: !!o.noPivot,
        noNewKeyring: !!o.noNewKeyring,
        hookState: { ociVersion: spec.ociVersion, id: o.id, bundle, annotations: spec.annotations },
        rootless: !!g.rootless,
      },
      handlers: {
        onSpawn() {},
        beforeConfig() {
          // Joining the cgroups costs an RCU grace period per v1 hierarchy (~15 ms in all):
          // done while the init's node boots, before the init is told to go on (it unshares
          // its cgroup namespace only then). cpuset/realtime settings must exist before a
          // task joins (v1), so apply() writes those first.
          try {
            cgroup!.apply(initPid, spec.linux?.resources);
          } catch (e: any) {
            // Rootless, like runc: without write access to cgroupfs the container simply has
            // no cgroup of its own, unless the config asks for limits.
            if (!g.rootless || !/EACCES|EPERM|EROFS|permission denied/i.test(`${e.code} ${e.message}`)) throw e;
            if (hasLimits(spec)) throw new RuntimeError(`rootless container: cannot apply linux.resources without write access to the cgroup hierarchy: ${e.message}`);
            cgroup = undefined;
            state.cgroup = null;
          }
          if (!spec.linux?.seccomp) return {};
          const sc = (require('../seccomp/compile') as typeof import('../seccomp/compile')).compileSeccomp(spec.linux.seccomp);
          return { seccomp: { bpf: sc.bpf.toString('base64'), flags: sc.flags, notify: sc.notify } };
        },
        onPid(pid) {
          initPid = pid;
          if (spec.process!.oomScoreAdj !== undefined) writeFileSync(`/proc/${pid}/oom_score_adj`, String(spec.process!.oomScoreAdj));
          state.pid = pid;
          state.pidStartTime = processStartTime(pid);
          for (const t of Object.keys(CLONE_FLAGS) as (keyof typeof NS_FILE)[]) {
            const joined = plan.joins.find((j) => j.type === t);
            state.namespacePaths[t] = joined?.path ?? `/proc/${pid}/ns/${NS_FILE[t]}`;
          }
          st.write(state);
          moveNetDevices(spec, pid);
        },
        async onSeccompListener(pid, fd) {
          deliverListener(spec.linux!.seccomp!, fd, pid, hookState(state, 'creating', pid));
        },
        async onHooks(pid) {
          const hs = hookState(state, 'creating', pid);
          await runHooks('prestart', spec.hooks?.prestart, hs);
          await runHooks('createRuntime', spec.hooks?.createRuntime, hs);
        },
      },
    });
    if (consoleFd >= 0) closeSync(consoleFd);
    closeSync(fifoFd);
    for (const fd of Object.values(idmapFds)) closeSync(fd);
    // Limits once the init is set up and waiting: a low pids.max must not stop node's own
    // threads from starting. Like runc, the device rules always end with the default
    // allow-list (null, zero, tty, ptmx, mknod of anything, ...) after the config's own
    // rules; linux.devices get no rule of their own (runc's specconv adds none either).
    cgroup?.set({ ...spec.linux?.resources, devices: withDefaultDevices(spec.linux?.resources?.devices) });
    state.pidStartTime = processStartTime(init.pid);
    st.write(state);
    if (o.pidFile) writePidFile(o.pidFile, init.pid);
    st.unlock();
    return { pid: init.pid, init, state, consoleSock };
  } catch (e) {
    // Undo: the init (and anything it started) dies, the cgroup and the state go.
    if (initPid) sysKill(initPid, 9);
    if (init?.child.pid) sysKill(init.child.pid, 9);
    if (consoleFd >= 0) closeSync(consoleFd);
    if (consoleSock >= 0) closeSync(consoleSock);
    if (fifoFd >= 0) closeSync(fifoFd);
    for (const fd of Object.values(idmapFds)) closeSync(fd);
    await waitGone(initPid, 2000);
    if (cgroup) {
      for (const p of safePids(cgroup)) sysKill(p, 9);
      await destroyCgroup(cgroup);
    }
    if (initPid && spec.hooks?.poststop?.length) {
      await runHooks('poststop', spec.hooks.poststop, hookState(state, 'stopped', initPid)).catch((err) => g.warn(err.message));
    }
    st.remove();
    throw e;
  }
}

/** Resource limits other than device rules (which rootless containers cannot have anyway). */
function hasLimits(spec: Spec): boolean {
  const r = spec.linux?.resources;
  if (!r) return false;
  return Object.entries(r).some(([k, v]) => k !== 'devices' && v !== undefined && v !== null && (typeof v !== 'object' || Object.keys(v).length > 0));
}

function safePids(c: CgroupManager): number[] {
  try {
    return c.pids().filter((p) => p > 0);
  } catch {
    return [];
  }
}

async function destroyCgroup(c: CgroupManager): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      c.destroy();
      return;
    } catch (e) {
      if (i === 49) throw e;
      await sleep(10);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGone(pid: number, ms: number): Promise<void> {
  if (!pid) return;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!existsSync(`/proc/${pid}`)) return;
    // A zombie counts as gone: its parent reaps it.
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
      if (s.slice(s.lastIndexOf(')') + 2).startsWith('Z')) return;
    } catch {
      return;
    }
    await sleep(5);
  }
}

export function load(g: GlobalOptions, id: string): { st: StateDir; s: SavedState } {
  const st = new StateDir(g.root, id);
  return { st, s: st.read() };
}

export async function start(g: GlobalOptions, id: string): Promise<void> {
  const st = new StateDir(g.root, id).lock();
  try {
    const s = st.read();
    const status = statusOf(st, s);
    if (status === 'stopped') throw new RuntimeError('cannot start a container that has stopped');
    if (status === 'running') throw new RuntimeError('cannot start an already running container');
    if (status !== 'created') throw new RuntimeError(`cannot start a container in the ${status} state`);
    await releaseInit(st, s);
    s.started = true;
    st.write(s);
    try {
      await runHooks('poststart', s.config.hooks?.poststart, hookState(s, 'running', s.pid));
    } catch (e: any) {
      // The spec: a failing poststart hook is a warning; the container keeps running.
      g.warn(e.message);
    }
  } finally {
    st.unlock();
  }
}

/** Opens exec.fifo for reading: the init, blocked opening it for writing, writes and execs. */
async function releaseInit(st: StateDir, s: SavedState): Promise<void> {
  const O_RDONLY = 0, O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
  let fd: number;
  try {
    fd = openSync(st.fifoPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  } catch (e: any) {
    if (e.code === 'ENOENT') throw new RuntimeError('cannot start an already running container');
    throw e;
  }
  let reply = '';
  try {
    const buf = Buffer.alloc(4096);
    let opened = false;
    for (;;) {
      // Liveness is sampled before the read: an init that wrote, closed and exited (its program
      // done) between a read and a later check would otherwise look as if it never started.
      const alive = isInitAlive(s);
      let n = -1;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e: any) {
        if (e.code !== 'EAGAIN') throw e;
        opened = true; // EAGAIN: the init has the fifo open and is running startContainer hooks
      }
      if (n > 0) {
        reply += buf.toString('utf8', 0, n);
        opened = true;
        continue;
      }
      // EOF: the writer closed (done) — or has not opened yet.
      if (n === 0 && (opened || reply)) break;
      if (!alive) {
        if (reply) break;
        throw new RuntimeError('cannot start a container that has stopped');
      }
      await sleep(1);
    }
  } finally {
    closeSync(fd);
  }
  unlinkSync(st.fifoPath);
  if (!reply.startsWith('0')) throw new RuntimeError(reply.slice(1) || 'container init failed before executing the program');
}

const SIGNALS: Record<string, number> = (() => {
  const m: Record<string, number> = {};
  const os = require('node:os') as typeof import('node:os');
  for (const [k, v] of Object.entries(os.constants.signals)) m[k] = v as number;
  m.SIGIOT = 6;
  m.SIGCLD = 17;
  m.SIGPOLL = 29;
  return m;
})();

/** "TERM", "SIGTERM", "15", and "RTMIN+3"-style names, like runc. */
export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 64) throw new RuntimeError(`unknown signal "${s}"`);
    return n;
  }
  const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) {
    const base = name.startsWith('SIGRTMIN') ? 34 : 64;
    const n = name.startsWith('SIGRTMIN') ? base + Number(rt[1] ?? 0) : base - Number(rt[1] ?? 0);
    if (n >= 34 && n <= 64) return n;
  }
  const n = SIGNALS[name];
  if (n === undefined) throw new RuntimeError(`unknown signal "${s}"`);
  return n;
}

/**
 * kill takes no lock (a signal needs no serialisation, and runc takes none): it stays free of
 * koffi, which containerd's shim and Docker call on every stop. The pid is checked by start time
 * first, so a reused pid is never signalled.
 */
export function killContainer(g: GlobalOptions, id: string, signal: number, all = false): void {
  const st = new StateDir(g.root, id);
  const s = st.read();
  const status = statusOf(st, s);
  if (status === 'stopped' || !s.pid) throw new RuntimeError('container not running');
  const targets = (all ? (cgroupOf(s)?.pids() ?? [s.pid]) : [s.pid]).filter((p) => p > 0);
  for (const p of targets) {
    try {
      process.kill(p, signal);
    } catch (e: any) {
      if (p === s.pid) throw new RuntimeError(`kill ${p}: ${e.code === 'ESRCH' ? 'no such process' : e.message}`);
    }
  }
  if ((all && signal === 9) || status === 'paused') cgroupOf(s)?.thaw();
}

export async function deleteContainer(g: GlobalOptions, id: string, force: boolean): Promise<void> {
  const st = new StateDir(g.root, id);
  let s: SavedState;
  try {
    st.lock();
    s = st.read();
  } catch (e) {
    st.unlock();
    throw e;
  }
  try {
    const status = statusOf(st, s);
    if (status !== 'stopped' && status !== 'created' && !force) {
      throw new RuntimeError(`cannot delete container ${id} that is not stopped: ${status}`);
    }
    const cg = cgroupOf(s);
    if (status !== 'stopped') {
      // pid 0: a `create` that died before its init was known ("creating"); never kill(0, ...),
      // which would hit our own process group.
      if (s.pid > 0) sysKill(s.pid, 9);
      // Without its own pid namespace a container's other processes outlive the init.
      const ownPidNs = !(s.config.linux?.namespaces ?? []).some((n) => n.type === 'pid' && n.path) && (s.config.linux?.namespaces ?? []).some((n) => n.type === 'pid');
      if ((!ownPidNs || status === 'creating') && cg) for (const p of safePids(cg)) if (p > 0) sysKill(p, 9);
      if (status === 'paused') cg?.thaw();
      await waitGone(s.pid, 5000);
    } else if (cg && !(s.config.linux?.namespaces ?? []).some((n) => n.type === 'pid' && !n.path)) {
      for (const p of safePids(cg)) sysKill(p, 9);
    }
    if (cg) await destroyCgroup(cg);
    try {
      await runHooks('poststop', s.config.hooks?.poststop, hookState(s, 'stopped', 0));
    } catch (e: any) {
      g.warn(e.message);
    }
    st.remove();
  } finally {
    st.unlock();
  }
}

export function listStates(g: GlobalOptions) {
  const out = [];
  for (const id of listIds(g.root)) {
    try {
      const st = new StateDir(g.root, id);
      out.push(specState(st, st.read()));
    } catch {
      // A container being deleted right now.
    }
  }
  return out;
}

function prctlSubreaper(): number {
  return prctl(36 /* PR_SET_CHILD_SUBREAPER */, 1, 0, 0, 0);
}
