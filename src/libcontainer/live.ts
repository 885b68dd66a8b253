// Operations on a live container: ps, pause, resume, update and events, in runc 1.1's dialect.
// Each takes the per-container lock while it reads the state and acts (events only while it
// looks the container up: it runs for as long as the container does).
import { readFileSync, readSync, watch, type FSWatcher } from 'node:fs';
import type { LinuxResources } from '../spec/types';
import { loadManager, statsToJSON, type CgroupManager } from '../cgroups';
import { RuntimeError } from './errors';
import { StateDir, isInitAlive, type SavedState } from './state';
import { statusOf, type GlobalOptions } from './container';
import koffi from './sys/koffi';
import { HAS_UV_POLL } from '../engine';

// ---------------------------------------------------------------------------------------------
// Pure parsing (unit-tested)

const UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * docker/go-units RAMInBytes, as runc update uses it: "512k", "1g", "1.5 MiB", "100MB" (binary
 * multiples, case-insensitive unit, optional "i" and "b"); the result is truncated to an integer.
 */
export function ramInBytes(s: string): number {
  const m = /^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw new RuntimeError(`invalid size: '${s}'`);
  if (!/^\d+(\.\d+)?$/.test(m[1]!)) throw new RuntimeError(`strconv.ParseFloat: parsing "${m[1]}": invalid syntax`);
  const size = Number(m[1]) * (m[3] ? UNITS[m[3].toLowerCase()]! : 1);
  return Math.trunc(size);
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds: "5s", "100ms", "1m30s", "1.5h", "-2s", "0". */
export function parseDuration(s: string): number {
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (!rest) throw new RuntimeError(`time: invalid duration "${s}"`);
  let total = 0;
  while (rest) {
    const m = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m) throw new RuntimeError(`time: invalid duration "${s}"`);
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** Index of the PID column in a `ps` header line (runc's getPidIndex). */
export function pidIndex(header: string): number {
  const i = header.trim().split(/\s+/).indexOf('PID');
  if (i < 0) throw new RuntimeError("couldn't find PID field in ps output");
  return i;
}

/** runc ps (table): the header, then the lines whose PID column is one of `pids`. */
export function filterPsOutput(output: string, pids: number[]): string {
  const lines = output.split('\n');
  const idx = pidIndex(lines[0] ?? '');
  const want = new Set(pids);
  let out = lines[0] + '\n';
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const field = line.trim().split(/\s+/)[idx] ?? '';
    if (!/^[+-]?\d+$/.test(field)) throw new RuntimeError(`unable to parse pid: strconv.Atoi: parsing "${field}": invalid syntax`);
    if (want.has(Number(field))) out += line + '\n';
  }
  return out;
}

/** The `runc update` flags, as strings the way they were given (undefined: not given). */
export interface UpdateFlags {
  blkioWeight?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuBurst?: string;
  cpuShare?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  cpuIdle?: string;
  kernelMemory?: string;
  kernelMemoryTcp?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  pidsLimit?: string;
}

/** Go's strconv.ParseInt(s, 0, 64) as urfave/cli's IntFlag does it (decimal, 0x, 0o, 0b). */
function parseGoInt(flag: string, s: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[1-9][0-9_]*|0)$/.exec(s.trim() === s ? s : '');
  if (!m) throw new RuntimeError(`invalid value "${s}" for flag -${flag}: parse error`);
  const body = m[2]!.replace(/_/g, '');
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
  else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
  else if (body.length > 1 && body.startsWith('0')) n = parseInt(body.slice(1), 8);
  else n = Number(body);
  return m[1] === '-' ? -n : n;
}

function parseUint(flag: string, s: string): number {
  if (!/^\d+$/.test(s)) throw new RuntimeError(`invalid value for ${flag}: strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(s);
}

function parseInt64(flag: string, s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new RuntimeError(`invalid value for ${flag}: strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(s);
}

function parseMem(flag: string, s: string): number {
  if (s === '-1') return -1;
  try {
    return ramInBytes(s);
  } catch (e: any) {
    throw new RuntimeError(`invalid value for ${flag}: ${e.message}`);
  }
}

/** The resources an update asks for, from runc's flags; empty strings count as not given. */
export function resourcesFromFlags(f: UpdateFlags): LinuxResources {
  const given = (v: string | undefined): v is string => v !== undefined && v !== '';
  const r: LinuxResources = {};
  const cpu: NonNullable<LinuxResources['cpu']> = {};
  const mem: NonNullable<LinuxResources['memory']> = {};
  if (given(f.blkioWeight)) {
    const w = parseGoInt('blkio-weight', f.blkioWeight);
    if (w !== 0) r.blockIO = { weight: w & 0xffff };
  }
  if (given(f.cpusetCpus)) cpu.cpus = f.cpusetCpus;
  if (given(f.cpusetMems)) cpu.mems = f.cpusetMems;
  if (given(f.cpuIdle)) {
    if (!/^[+-]?\d+$/.test(f.cpuIdle)) throw new RuntimeError(`invalid value for cpu-idle: strconv.ParseInt: parsing ${JSON.stringify(f.cpuIdle)}: invalid syntax`);
    cpu.idle = Number(f.cpuIdle);
  }
  if (given(f.cpuBurst)) cpu.burst = parseUint('cpu-burst', f.cpuBurst);
  if (given(f.cpuPeriod)) cpu.period = parseUint('cpu-period', f.cpuPeriod);
  if (given(f.cpuRtPeriod)) cpu.realtimePeriod = parseUint('cpu-rt-period', f.cpuRtPeriod);
  if (given(f.cpuShare)) cpu.shares = parseUint('cpu-share', f.cpuShare);
  if (given(f.cpuQuota)) cpu.quota = parseInt64('cpu-quota', f.cpuQuota);
  if (given(f.cpuRtRuntime)) cpu.realtimeRuntime = parseInt64('cpu-rt-runtime', f.cpuRtRuntime);
  if (given(f.memory)) mem.limit = parseMem('memory', f.memory);
  if (given(f.memorySwap)) mem.swap = parseMem('memory-swap', f.memorySwap);
  if (given(f.memoryReservation)) mem.reservation = parseMem('memory-reservation', f.memoryReservation);
  // Only noticed to be warned about (runc: "ignored and will be removed").
  if (given(f.kernelMemory)) mem.kernel = 0;
  if (given(f.kernelMemoryTcp)) mem.kernelTCP = 0;
  if (given(f.pidsLimit)) {
    const n = parseGoInt('pids-limit', f.pidsLimit);
    if (n !== 0) r.pids = { limit: n };
  }
  if (Object.keys(cpu).length) r.cpu = cpu;
  if (Object.keys(mem).length) r.memory = mem;
  return r;
}

const KERNEL_MEMORY_WARNING = 'Kernel memory settings are ignored and will be removed';

/**
 * The container's resources after an update: the fields runc's update honours (memory limit,
 * reservation, swap, checkBeforeUpdate; the CPU settings; blockIO weight; pids limit; unified)
 * replace the saved ones when given; everything else (devices, hugepages, ...) stays.
 */
export function mergeResources(old: LinuxResources | undefined, r: LinuxResources, warn: (m: string) => void = () => {}): LinuxResources {
  const out: LinuxResources = JSON.parse(JSON.stringify(old ?? {}));
  const m = r.memory;
  if (m) {
    if (m.kernel !== undefined || m.kernelTCP !== undefined) warn(KERNEL_MEMORY_WARNING);
    const mem = { ...out.memory };
    if (m.limit !== undefined) {
      mem.limit = m.limit;
      // runc: unlimited memory without a swap value means unlimited swap too.
      if (m.limit === -1 && m.swap === undefined) mem.swap = -1;
    }
    if (m.reservation !== undefined) mem.reservation = m.reservation;
    if (m.swap !== undefined) mem.swap = m.swap;
    if (m.checkBeforeUpdate !== undefined) mem.checkBeforeUpdate = m.checkBeforeUpdate;
    if (Object.keys(mem).length) out.memory = mem;
  }
  const c = r.cpu;
  if (c) {
    const cpu = { ...out.cpu };
    for (const k of ['shares', 'quota', 'burst', 'period', 'realtimeRuntime', 'realtimePeriod', 'idle'] as const) {
      if (c[k] !== undefined && c[k] !== null) cpu[k] = c[k];
    }
    if (c.cpus) cpu.cpus = c.cpus;
    if (c.mems) cpu.mems = c.mems;
    if (Object.keys(cpu).length) out.cpu = cpu;
  }
  if (r.blockIO?.weight !== undefined && r.blockIO.weight !== null) out.blockIO = { ...out.blockIO, weight: r.blockIO.weight };
  if (r.pids && r.pids.limit !== undefined && r.pids.limit !== null) out.pids = { limit: r.pids.limit };
  if (r.unified) out.unified = { ...r.unified };
  return out;
}

// ---------------------------------------------------------------------------------------------
// Operations

function managerOf(s: SavedState): CgroupManager {
  if (!s.cgroup) throw new RuntimeError('container has no cgroup');
  return loadManager(s.cgroup as any);
}

function withLock<T>(g: GlobalOptions, id: string, fn: (st: StateDir, s: SavedState) => T): T {
  const st = new StateDir(g.root, id).lock();
  try {
    return fn(st, st.read());
  } finally {
    st.unlock();
  }
}

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** All pids in the container's cgroup (runc ps --format json); none once the cgroup is gone. */
export function containerPids(g: GlobalOptions, id: string): number[] {
  return withLock(g, id, (_st, s) => {
    if (!s.cgroup) return [];
    const m = managerOf(s);
    try {
      return m.pids();
    } catch (e: any) {
      if (!m.exists()) return [];
      throw new RuntimeError(errMsg(e));
    }
  });
}

export function pause(g: GlobalOptions, id: string): void {
  withLock(g, id, (st, s) => {
    const status = statusOf(st, s);
    if (status !== 'running' && status !== 'created') throw new RuntimeError('container not running');
    try {
      managerOf(s).freeze();
    } catch (e) {
      throw new RuntimeError(errMsg(e));
    }
  });
}

export function resume(g: GlobalOptions, id: string): void {
  withLock(g, id, (st, s) => {
    if (statusOf(st, s) !== 'paused') throw new RuntimeError('container not paused');
    try {
      managerOf(s).thaw();
    } catch (e) {
      throw new RuntimeError(errMsg(e));
    }
  });
}

/**
 * Applies the requested resources on top of the saved ones (devices are left alone, as runc's
 * update does) and saves the result in state.json's config.linux.resources. On failure the old
 * values are written back.
 */
export function update(g: GlobalOptions, id: string, r: LinuxResources): LinuxResources {
  return withLock(g, id, (st, s) => {
    if (statusOf(st, s) === 'stopped') throw new RuntimeError('container not running');
    const old = s.config.linux?.resources;
    const merged = mergeResources(old, r, g.warn);
    const m = managerOf(s);
    const { devices: _d, ...apply } = merged;
    try {
      m.set(apply);
    } catch (e) {
      const { devices: _o, ...back } = old ?? {};
      try {
        m.set(back);
      } catch (e2) {
        g.warn(`Setting back cgroup configs failed due to error: ${errMsg(e2)}, your state.json and actual configs might be inconsistent.`);
      }
      throw new RuntimeError(errMsg(e));
    }
    s.config.linux = { ...s.config.linux, resources: merged };
    st.write(s);
    return merged;
  });
}

export interface EventsOptions {
  /** Print one stats event and return. */
  stats: boolean;
  /** Milliseconds between stats events. */
  intervalMs: number;
  /** One JSON line per event (without the newline). */
  write: (line: string) => void;
  /** Errors while the command runs (stats that could not be read): logged, not fatal. */
  error: (msg: string) => void;
  /** How often to check whether the container is still there (ms; default 100). */
  pollMs?: number;
}

function statsEvent(id: string, m: CgroupManager): string {
  return statsToJSON({ type: 'stats', id, data: m.stats() });
}

/**
 * runc events: with `stats`, one stats event. Otherwise a stats event every interval and an
 * {"type":"oom"} event for each OOM kill, until the container stops or its cgroup is removed.
 */
export async function events(g: GlobalOptions, id: string, o: EventsOptions): Promise<void> {
  if (!(o.intervalMs > 0)) throw new RuntimeError('duration interval must be greater than 0');
  const { s, m } = withLock(g, id, (st, s) => {
    if (statusOf(st, s) === 'stopped') throw new RuntimeError(`container with id ${id} is not running`);
    return { s, m: managerOf(s) };
  });
  if (o.stats) {
    try {
      o.write(statsEvent(id, m));
    } catch (e) {
      throw new RuntimeError(errMsg(e));
    }
    return;
  }
  const st = new StateDir(g.root, id);
  let oom: ReturnType<CgroupManager['oomEventFd']> | undefined;
  try {
    oom = m.oomEventFd(false);
  } catch (e) {
    // No memory controller: stats only (runc would fail here; there is nothing to watch).
    g.warn(`events: OOM notifications unavailable: ${errMsg(e)}`);
  }
  // One event per OOM kill: the oom_kill counter (memory.oom_control on v1, memory.events on
  // v2) says how many. The v1 eventfd also fires for every failed charge of an OOM episode and
  // when the cgroup is removed: it only wakes us up, unless no kill can be counted (the OOM
  // killer disabled, or a kernel without the counter): then a wakeup is one event.
  const v1fd = oom?.fd;
  let seen = oom ? safeCount(oom) : 0;
  let pendingSince = 0;
  const oomLine = JSON.stringify({ type: 'oom', id });
  await new Promise<void>((resolve) => {
    let done = false;
    let pollHandle: { close(): void } | undefined;
    let watcher: FSWatcher | undefined;
    const buf = Buffer.alloc(8);
    /** Empties the v1 eventfd; true when it had fired (for a live cgroup). */
    const drainEventFd = (): boolean => {
      let fired = false;
      for (;;) {
        try {
          if (readSync(v1fd!, buf, 0, 8, null) !== 8) break;
          fired = true;
        } catch {
          break;
        }
      }
      return fired && oom!.alive();
    };
    const emitOoms = (final: boolean) => {
      if (!oom) return;
      if (v1fd !== undefined && drainEventFd() && !pendingSince && !killsCounted(oom.file)) pendingSince = Date.now();
      const n = safeCount(oom);
      if (n > seen) {
        for (; seen < n; seen++) o.write(oomLine);
        pendingSince = 0;
      } else if (pendingSince && (final || Date.now() - pendingSince >= 100)) {
        o.write(oomLine);
        pendingSince = 0;
      }
    };
    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(statsTimer);
      clearInterval(aliveTimer);
      pollHandle?.close();
      watcher?.close();
      emitOoms(true);
      oom?.close();
      resolve();
    };
    const statsTimer = setInterval(() => {
      try {
        o.write(statsEvent(id, m));
      } catch (e) {
        o.error(errMsg(e));
      }
    }, o.intervalMs);
    const gone = () => !st.exists() || !m.exists() || !isInitAlive(s);
    const aliveTimer = setInterval(() => {
      if (gone()) finish();
      else emitOoms(false);
    }, o.pollMs ?? 100);
    // Under Bun the alive timer above drains the eventfd every pollMs instead.
    if (v1fd !== undefined && HAS_UV_POLL) {
      pollHandle = koffi.node.poll(v1fd, { readable: true }, () => {
        if (!oom!.alive()) return finish();
        emitOoms(false);
      });
    } else if (oom) {
      try {
        watcher = watch(oom.file, () => emitOoms(false));
      } catch {
        /* the poll timer still compares the counter */
      }
    }
  });
}

/** v1: memory.oom_control has an oom_kill counter and the OOM killer is enabled. */
function killsCounted(file: string): boolean {
  try {
    const t = readFileSync(file, 'utf8');
    return /^oom_kill \d+$/m.test(t) && /^oom_kill_disable 0$/m.test(t);
  } catch {
    return false;
  }
}

function safeCount(w: { count(): number }): number {
  try {
    return w.count();
  } catch {
    return 0;
  }
}
