// Container operations the CLI commands are made of: create, start, state, kill, delete.
// Each takes the per-container lock; create undoes everything it did when a step fails.
import { chmodSync, chownSync, closeSync, existsSync, readFileSync, openSync, readSync, unlinkSync, writeFileSync } from 'node:fs';
import type { ContainerStatus, IDMapping, Spec, State } from '../spec/types';
import { SPEC_VERSION } from '../spec/types';
import { newManager, loadManager, preflight, withDefaultDevices, type CgroupManager } from '../cgroups';
import { RuntimeError, errnoCode } from './errors';
import { runHooks } from './hooks';
import type { SpawnedInit } from './init-process';
import { Rollback, launch, waitGone } from './launch';
import { checkNamespaces, planNamespaces } from './namespaces';
import { checkSupported } from './supported';
import { trace } from '../trace';
import { os } from '../lazy-builtins';
import { STATE_VERSION, StateDir, deriveStatus, hasExited, isInitAlive, listIds, ownerOf, processStartTime, type SavedState } from './state';
import { SysError, check, kill as sysKill, mkfifo, open as openFd, pidfdOpen, pollIn2 } from './sys/libc';
import { checkNetDevices, moveNetDevices } from './net-devices';
import { idmappedMounts, usernsFd } from './idmap';

export interface GlobalOptions {
  root: string;
  systemdCgroup?: boolean;
  rootless?: boolean;
  warn: (msg: string) => void;
  /** An error that does not fail the command (logged at level error, as runc's logrus.Error). */
  error?: (msg: string) => void;
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

/** The container's cgroup, or undefined when it has none; a state that cannot be loaded is an error. */
function cgroupOf(s: SavedState): CgroupManager | undefined {
  return s.cgroup ? loadManager(s.cgroup as any) : undefined;
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
  const annotations = s.config.annotations;
  if (annotations && Object.keys(annotations).length) out.annotations = annotations;
  return out;
}

export function hookState(s: Pick<SavedState, 'id' | 'bundle' | 'config'>, status: State['status'], pid: number): State {
  const st: State = { ociVersion: s.config.ociVersion ?? SPEC_VERSION, id: s.id, status, pid, bundle: s.bundle };
  if (s.config.annotations) st.annotations = s.config.annotations;
  return st;
}

function countListenFds(): number {
  const n = Number(process.env.LISTEN_FDS ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/**
 * The host uid/gid the container's process runs as: exec.fifo is theirs alone (0600), since
 * the init opens it for writing after it changed user.
 */
function processHostIds(spec: Spec): { uid: number; gid: number } {
  const user = spec.process!.user;
  const userns = spec.linux?.namespaces?.find((n) => n.type === 'user');
  const toHost = (id: number, maps: IDMapping[] | undefined) => {
    const m = maps?.find((m) => id >= m.containerID && id < m.containerID + m.size);
    return m ? m.hostID + (id - m.containerID) : -1;
  };
  if (!userns) return { uid: user.uid, gid: user.gid };
  if (!userns.path) return { uid: toHost(user.uid, spec.linux?.uidMappings), gid: toHost(user.gid, spec.linux?.gidMappings) };
  // A joined user namespace: its mapping is its owner's.
  const dir = /^\/proc\/\d+\//.exec(userns.path)?.[0];
  const read = (f: string): IDMapping[] | undefined => {
    try {
      return readFileSync(`${dir}${f}`, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/).map(Number))
        .map(([c, h, n]) => ({ containerID: c!, hostID: h!, size: n! }));
    } catch {
      return undefined;
    }
  };
  return dir ? { uid: toHost(user.uid, read('uid_map')), gid: toHost(user.gid, read('gid_map')) } : { uid: -1, gid: -1 };
}

/** exec.fifo, 0600 and owned by the container's user; an O_PATH fd of it for the init. */
function makeExecFifo(path: string, spec: Spec): number {
  check(mkfifo(path, 0o600), `mkfifo ${path}`);
  chmodSync(path, 0o600);
  const { uid, gid } = processHostIds(spec);
  if (uid >= 0 && gid >= 0 && (uid !== process.geteuid?.() || gid !== process.getegid?.())) {
    try {
      chownSync(path, uid, gid);
    } catch (e) {
      // Rootless with a subordinate id for the process: we may not give it the fifo. Like
      // runc, writable for others then; the 0700 state root still keeps other users out.
      if (errnoCode(e) !== 'EPERM') throw e;
      chmodSync(path, 0o622);
    }
  }
  return check(openFd(path, 0o10000000 /* O_PATH */ | 0o2000000 /* O_CLOEXEC */, 0), `open ${path}`);
}

export async function create(g: GlobalOptions, o: CreateOptions): Promise<{ pid: number; init: SpawnedInit; state: SavedState; consoleSock: number }> {
  trace('cli: create');
  const st = new StateDir(g.root, o.id);
  // Loading validates: nothing is created for a bundle that cannot run.
  const { loadBundle } = require('../spec/load') as typeof import('../spec/load');
  const { spec, bundle, rootfs } = loadBundle(o.bundle, g.warn);
  if (!spec.process) throw new RuntimeError('config.json: process: required to create a container', { code: 'INVALID_CONFIG' });
  for (const w of checkSupported(spec)) g.warn(w);
  checkNetDevices(spec);
  const idmapped = idmappedMounts(spec);
  const plan = planNamespaces(spec.linux?.namespaces);
  checkNamespaces(spec, plan);
  // Refused here, before anything exists: a cgroup this host cannot apply, a frozen target.
  let cgroup: CgroupManager | undefined = preflight(
    newManager({ id: o.id, cgroupsPath: spec.linux?.cgroupsPath, systemd: g.systemdCgroup, rootless: g.rootless, annotations: spec.annotations, warn: g.warn }),
    spec.linux?.resources,
    g.warn,
  );
  const state: SavedState = {
    version: STATE_VERSION,
    id: o.id,
    bundle,
    rootfs,
    pid: 0,
    pidStartTime: '',
    created: new Date().toISOString(),
    owner: ownerOf(g.root) || 'root',
    config: spec,
    cgroup: cgroup.save(),
    rootless: g.rootless,
  };

  st.create();
  const rb = new Rollback();
  rb.push('remove the state directory', () => st.remove());
  let initPid = 0;
  try {
    // First, before anything slow: a create killed from here on leaves a "creating" container
    // that `delete -f` cleans up.
    st.write(state);
    const fifoFd = makeExecFifo(st.fifoPath, spec);
    const closeFifo = rb.push('close exec.fifo', () => closeSync(fifoFd));
    rb.push('run poststop hooks', async () => {
      if (initPid && spec.hooks?.poststop?.length) await runHooks('poststop', spec.hooks.poststop, hookState(state, 'stopped', initPid));
    });
    rb.push('remove the cgroup', async () => {
      if (!cgroup) return;
      // Without a pid namespace of its own, what the container started outlives its init: the
      // whole cgroup is killed, as runc's destroy does. With one, the init's death (the launch's
      // own undo) took the rest, and whatever is still in the cgroup is not the container's (a
      // process in a populated cgroupsPath, which runc 1.1 accepts): left alone, as runc does.
      if (!ownPidNamespace(spec)) for (const p of cgroupPids(cgroup)) sysKill(p, 9);
      await destroyCgroup(cgroup);
    });
    const closeIdmapFds: (() => Promise<void>)[] = [];
    const idmapFds: Record<number, number> = {};
    for (const im of idmapped) {
      const fd = (idmapFds[im.index] = await usernsFd(im.uid, im.gid));
      closeIdmapFds.push(rb.push("close an idmapped mount's user namespace", () => closeSync(fd)));
    }
    trace('cli: config validated, state written');
    const launched = await launch(
      {
        kind: 'create',
        id: o.id,
        bundle,
        rootfs,
        spec,
        process: spec.process,
        plan,
        consoleSocket: o.consoleSocket,
        ownConsole: o.ownConsole,
        pidFile: o.pidFile,
        subreaper: !!o.subreaper,
        passFds: (o.preserveFds ?? 0) + countListenFds(),
        fifoFd,
        idmapFds,
        debug: g.debug,
        warn: g.warn,
        init: { noPivot: !!o.noPivot, noNewKeyring: !!o.noNewKeyring, newNamespaces: plan.newTypes, rootless: !!g.rootless },
        applyCgroup(pid) {
          // cpuset/realtime settings must exist before a task joins (v1): apply() writes those first.
          try {
            cgroup!.apply(pid, spec.linux?.resources);
          } catch (e: any) {
            // Rootless, like runc: without write access to cgroupfs the container simply has
            // no cgroup of its own, unless the config asks for limits.
            if (!g.rootless || !['EACCES', 'EPERM', 'EROFS'].includes(errnoCode(e) ?? '')) throw e;
            if (hasLimits(spec)) throw new RuntimeError(`rootless container: cannot apply linux.resources without write access to the cgroup hierarchy: ${e.message}`, { code: errnoCode(e), cause: e });
            cgroup = undefined;
            state.cgroup = null;
            st.write(state);
          }
        },
        onPid(pid) {
          initPid = pid;
          if (spec.process!.oomScoreAdj !== undefined) setOomScoreAdj(pid, spec.process!.oomScoreAdj);
          state.pid = pid;
          state.pidStartTime = processStartTime(pid);
          st.write(state);
          moveNetDevices(spec, pid);
        },
        async hooks(pid) {
          const hs = hookState(state, 'creating', pid);
          await runHooks('prestart', spec.hooks?.prestart, hs);
          await runHooks('createRuntime', spec.hooks?.createRuntime, hs);
        },
        listenerState: (pid) => hookState(state, 'creating', pid),
        // Limits once the init is set up and waiting: a low pids.max must not stop node's own
        // threads from starting. Like runc, the device rules always end with the default
        // allow-list (null, zero, tty, ptmx, mknod of anything, ...) after the config's own
        // rules; linux.devices get no rule of their own (runc's specconv adds none either).
        setCgroup() {
          cgroup?.set({ ...spec.linux?.resources, devices: withDefaultDevices(spec.linux?.resources?.devices) });
        },
        // onPid recorded the pid and its start time, which cannot have changed since (the
        // init is alive, we hold the lock): the write would only repeat that file.
        writeState(pid) {
          const startTime = processStartTime(pid);
          if (startTime === state.pidStartTime) return;
          state.pidStartTime = startTime;
          st.write(state);
        },
      },
      rb,
    );
    await closeFifo();
    for (const close of closeIdmapFds) await close();
    rb.commit();
    st.unlock();
    return { pid: launched.pid, init: launched, state, consoleSock: launched.consoleSock };
  } catch (e) {
    await rb.unwind(g.warn);
    throw e;
  }
}

/** Resource limits other than device rules (which rootless containers cannot have anyway). */
function hasLimits(spec: Spec): boolean {
  const r = spec.linux?.resources;
  if (!r) return false;
  return Object.entries(r).some(([k, v]) => k !== 'devices' && v !== undefined && v !== null && (typeof v !== 'object' || Object.keys(v).length > 0));
}

/** A new pid namespace (not one joined by path): the init's death ends every process in it. */
function ownPidNamespace(spec: Spec): boolean {
  return (spec.linux?.namespaces ?? []).some((n) => n.type === 'pid' && !n.path);
}

/** The cgroup's processes; none when the cgroup was never made (or is gone already). */
function cgroupPids(c: CgroupManager): number[] {
  try {
    return c.pids().filter((p) => p > 0);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  }
}

function onlyExitedTasks(c: CgroupManager): boolean {
  try {
    return cgroupPids(c).every((pid) => hasExited(pid));
  } catch {
    return false; // the removal's own error is the one to report
  }
}

/**
 * Removes the container's cgroup. The manager retries EBUSY for ~150 ms, as runc does. Beyond
 * that it is worth waiting (up to 5 s) only while every task left has exited: a zombie not yet
 * reaped holds its cgroup (the init of a container whose `create` has exited is reaped by
 * whoever inherited it). A live process is not the container's to wait for (another container
 * sharing the cgroup, one moved in by hand): the error goes up at once. (It used to retry the
 * whole removal 50 times: ~8 s of `delete` against a cgroup that would never empty.)
 */
async function destroyCgroup(c: CgroupManager): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      c.destroy();
      return;
    } catch (e) {
      if (Date.now() >= deadline || !onlyExitedTasks(c)) throw e;
      await sleep(10);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function load(g: GlobalOptions, id: string): { st: StateDir; s: SavedState } {
  const st = new StateDir(g.root, id);
  return { st, s: st.read() };
}

/**
 * `justCreated`: the state `create` returned to this same process (`run`), which is what it
 * wrote and holds the status it left (created). Like runc's run, which starts the container
 * object it holds, it is not read back and checked again; whoever started or deleted the
 * container meanwhile took exec.fifo with it, and that is what fails then.
 */
export async function start(g: GlobalOptions, id: string, justCreated?: SavedState): Promise<void> {
  const st = new StateDir(g.root, id).lock();
  try {
    const s = justCreated ?? st.read();
    const status = justCreated ? 'created' : statusOf(st, s);
    if (status === 'stopped') throw new RuntimeError('cannot start a container that has stopped');
    if (status === 'running') throw new RuntimeError('cannot start an already running container');
    if (status !== 'created') throw new RuntimeError(`cannot start a container in the ${status} state`);
    // Nothing is written after this: the container runs whether or not the disk has room.
    await releaseInit(st, s);
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

/**
 * Opens exec.fifo for reading: the init, blocked opening it for writing, runs the
 * startContainer hooks, writes "0" (or "1<error>") and execs. We sleep in poll(2) on the fifo
 * and on a pidfd of the init (an init that dies before it writes is a failed start).
 */
async function releaseInit(st: StateDir, s: SavedState): Promise<void> {
  const O_RDONLY = 0, O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
  let fd: number;
  try {
    fd = openSync(st.fifoPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  } catch (e: any) {
    if (e.code === 'ENOENT') throw new RuntimeError('cannot start an already running container', { code: 'BAD_STATE' });
    throw e;
  }
  let reply: string;
  const pidfd = pidfdOpen(s.pid);
  try {
    // The pidfd is of the recorded init only if that is still the process at that pid.
    reply = pidfd >= 0 && isInitAlive(s) ? awaitFifoReply(fd, pidfd) : drainFifo(fd).data;
  } finally {
    closeSync(fd);
    if (pidfd >= 0) closeSync(pidfd);
  }
  if (!reply) throw new RuntimeError('cannot start a container that has stopped', { code: 'BAD_STATE' });
  unlinkSync(st.fifoPath);
  if (!reply.startsWith('0')) throw new RuntimeError(reply.slice(1) || 'container init failed before executing the program', { code: 'INIT_FAILED' });
}

const POLLIN = 0x1, POLLHUP = 0x10;

/** What the init wrote to the fifo, once it closed it (or died). */
function awaitFifoReply(fd: number, pidfd: number): string {
  let reply = '';
  for (;;) {
    const ready = pollIn2(fd, pidfd);
    if (ready < 0) {
      if (ready === -4 /* EINTR */) continue;
      throw new SysError('poll exec fifo', -ready);
    }
    const fifo = ready & 0xffff, init = ready >>> 16;
    if (fifo & (POLLIN | POLLHUP)) {
      // POLLHUP: a writer had it open and closed it (a fifo never opened for writing is quiet).
      const r = drainFifo(fd);
      reply += r.data;
      if (r.eof && fifo & POLLHUP) return reply;
    }
    if (init) return reply + drainFifo(fd).data;
  }
}

function drainFifo(fd: number): { data: string; eof: boolean } {
  const buf = Buffer.alloc(4096);
  let data = '';
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e: any) {
      if (e.code === 'EAGAIN') return { data, eof: false };
      throw e;
    }
    if (n === 0) return { data, eof: true };
    data += buf.toString('utf8', 0, n);
  }
}

/** Signal names to numbers, built when a name is first looked up (node:os costs Bun ~0.35 ms). */
let signals: Record<string, number> | undefined;
function signalNumbers(): Record<string, number> {
  if (signals) return signals;
  const m: Record<string, number> = {};
  for (const [k, v] of Object.entries(os().constants.signals)) m[k] = v as number;
  m.SIGIOT = 6;
  m.SIGCLD = 17;
  m.SIGPOLL = 29;
  return (signals = m);
}

/** "TERM", "SIGTERM", "15", and "RTMIN+3"-style names, like runc. */
export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    // 0 is the liveness check (`kill ID 0`), as runc allows.
    if (n > 64) throw new RuntimeError(`unknown signal "${s}"`);
    return n;
  }
  const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) {
    const base = name.startsWith('SIGRTMIN') ? 34 : 64;
    const n = name.startsWith('SIGRTMIN') ? base + Number(rt[1] ?? 0) : base - Number(rt[1] ?? 0);
    if (n >= 34 && n <= 64) return n;
  }
  const n = signalNumbers()[name];
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
  const running = status !== 'stopped' && !!s.pid;
  // runc: `kill --all` of a stopped container signals what is left in its cgroup, if anything.
  if (!running && !all) throw new RuntimeError('container not running');
  const targets = (all ? (cgroupOf(s)?.pids() ?? (running ? [s.pid] : [])) : [s.pid]).filter((p) => p > 0);
  for (const p of targets) {
    try {
      process.kill(p, signal);
    } catch (e: any) {
      if (p === s.pid && running) throw new RuntimeError(`kill ${p}: ${e.code === 'ESRCH' ? 'no such process' : e.message}`);
    }
  }
  if ((all && signal === 9) || status === 'paused') cgroupOf(s)?.thaw();
}

/** kill(2) of a process that may be gone already (then nothing happens); no koffi needed. */
function killQuietly(pid: number, signal: number): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone, or not ours to signal: delete goes on, as runc's does
  }
}

/** `known`: the state as this process (`run`) wrote it, not read back. */
export async function deleteContainer(g: GlobalOptions, id: string, force: boolean, known?: SavedState): Promise<void> {
  const st = new StateDir(g.root, id).lock();
  let s: SavedState;
  try {
    s = known ?? st.read();
  } catch (e: any) {
    // Like runc: the remains of a create killed before its first state write (a directory
    // without state.json) go; with --force that is success.
    if (e.code === 'NOT_FOUND' && existsSync(st.dir)) {
      st.remove();
      if (force) return;
    }
    // A state file that cannot be read (truncated, corrupt): with --force its remains go too,
    // so that the id is free again; its processes cannot be found without it.
    if (force && e.code === 'INVALID_CONFIG') {
      g.warn(`${e.message}: removing the container's state anyway`);
      st.remove();
      return;
    }
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
      if (s.pid > 0) killQuietly(s.pid, 9);
      // Without its own pid namespace a container's other processes outlive the init.
      if ((!ownPidNamespace(s.config) || status === 'creating') && cg) for (const p of cgroupPids(cg)) if (p > 0) killQuietly(p, 9);
      if (status === 'paused') cg?.thaw();
      await waitGone(s.pid, 5000);
    } else if (cg && !ownPidNamespace(s.config)) {
      for (const p of cgroupPids(cg)) killQuietly(p, 9);
    }
    if (cg) {
      try {
        await destroyCgroup(cg);
      } catch (e: any) {
        // As runc's delete: logged, and the delete goes on (state removed, exit 0). What still
        // holds the cgroup is not the container's and no retry will move it; an error here
        // would leave Docker or containerd with a container they can never delete.
        (g.error ?? g.warn)(e.message);
      }
    }
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
    } catch (e) {
      // Deleted meanwhile: not listed. Unreadable state: listed as "unknown" with the reason,
      // so that a live container never goes invisible (runc 1.1 prints the error, skips it).
      if (e instanceof RuntimeError && e.code === 'NOT_FOUND') continue;
      g.warn(`container ${id}: ${(e as Error).message}`);
      out.push({ ociVersion: SPEC_VERSION, id, pid: 0, status: 'unknown' as unknown as ContainerStatus, bundle: '', rootfs: '', created: '', owner: '' });
    }
  }
  return out;
}

/**
 * Writes the init's oom_score_adj. Lowering it below the inherited value needs
 * CAP_SYS_RESOURCE (containerd's CRI asks -998 for every pod sandbox unless
 * restrict_oom_score_adj is set); without it the kernel answers EACCES and, like runc, the
 * create fails: with an error that names the field and the reason.
 */
function setOomScoreAdj(pid: number, value: number) {
  const file = `/proc/${pid}/oom_score_adj`;
  try {
    writeFileSync(file, String(value));
  } catch (e: any) {
    const why = e.code === 'EACCES' ? ': lowering the OOM score needs CAP_SYS_RESOURCE' : '';
    throw new RuntimeError(`process.oomScoreAdj ${value}: writing ${file}: ${e.code ?? e.message}${why}`, { code: e.code, cause: e });
  }
}
