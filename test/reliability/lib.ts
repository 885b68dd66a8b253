// Shared by the reliability suites (issue #13): a runtime under test with its own state root
// and bundle, commands run with a hard timeout, and an inventory of everything a container can
// leave on the host — state root entries, host mounts under the root or the bundle, cgroup
// directories, processes, open fds — so that each suite can say exactly what was left behind.
//
// Bounded by default (what `npm test` runs); RELIABILITY_FULL=1 runs the full sizes:
//   RELIABILITY_FULL=1 node scripts/test.mjs test/reliability
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { RUNC, runcTsEngineArgv, runtimeNames } from '../helpers/runtimes';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { cgroupsNamed, mountsUnder, removeCgroup, unmountUnder } from '../../conformance/lib/hygiene';

export const FULL = process.env.RELIABILITY_FULL === '1';
/** `bounded` in CI, `full` with RELIABILITY_FULL=1. */
export const size = (bounded: number, full: number) => (FULL ? full : bounded);
export { runtimeNames };

export interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

/**
 * A runtime with a fresh state root that the runtime itself creates (its parent is a 0755 temp
 * dir, so the root's mode is the runtime's choice) and a busybox bundle running `sleep`.
 * `tag` is in every container id of the suite: cgroups and processes are found by it.
 */
export class Subject {
  readonly parent: string;
  readonly root: string;
  readonly bundle: Bundle;
  readonly tag: string;
  /** argv prefix: node is run directly so that strace's first execve is the CLI itself. */
  readonly argv: string[];
  private n = 0;

  constructor(
    readonly name: 'runc-ts' | 'runc',
    mutate?: (c: any) => void,
  ) {
    this.tag = `r${process.pid.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    this.parent = mkdtempSync(join(tmpdir(), `runc-ts-rel-${name}-`));
    chmodSync(this.parent, 0o755);
    this.root = join(this.parent, 'state');
    this.bundle = makeBundle((c) => {
      c.process.args = ['sleep', '100000'];
      mutate?.(c);
    }, this.parent);
    chmodSync(this.bundle.dir, 0o755);
    // What bin/runc-ts execs (its engine, RUNC_TS_ENGINE): strace -b execve would otherwise
    // stop following at the launcher's own execve.
    this.argv = name === 'runc' ? [RUNC!] : runcTsEngineArgv();
  }

  /** A new container id carrying the suite's tag. */
  id(what = 'c'): string {
    return `${this.tag}-${what}${this.n++}`;
  }

  /** `<runtime> --root <root> ...args`, stdio through files (a container inherits them), killed after `timeoutMs`. */
  run(args: string[], opts: { timeoutMs?: number; prefix?: string[]; uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}): Result {
    return runFiles([...(opts.prefix ?? []), ...this.argv, '--root', this.root, ...args], opts);
  }

  /** Asynchronous form, for racing commands against each other. */
  spawn(args: string[], timeoutMs = 60_000): Promise<Result> {
    return runAsync([...this.argv, '--root', this.root, ...args], timeoutMs);
  }

  /** Ids `list` reports (JSON format), or an error string. */
  list(): { ids: string[]; states: any[] } | string {
    const r = this.run(['list', '--format', 'json']);
    if (r.status !== 0) return `list exit ${r.status}: ${r.stderr.trim()}`;
    try {
      const states = JSON.parse(r.stdout.trim() || '[]') ?? [];
      return { ids: states.map((s: any) => s.id), states };
    } catch {
      return `list printed no JSON: ${r.stdout.slice(0, 200)}`;
    }
  }

  state(id: string): any | undefined {
    const r = this.run(['state', id]);
    if (r.status !== 0) return undefined;
    return JSON.parse(r.stdout);
  }

  /** Everything this subject has on the host now. */
  inventory(): Inventory {
    return inventory({ root: this.root, bundle: this.bundle.dir, tag: this.tag });
  }

  /** Removes whatever a defect left (so the next case starts clean), then the temp dirs. */
  scrub(): void {
    scrub({ root: this.root, bundle: this.bundle.dir, tag: this.tag });
  }

  cleanup(): void {
    const l = this.list();
    if (typeof l !== 'string') for (const id of l.ids) this.run(['delete', '--force', id]);
    for (const name of safeReaddir(this.root)) this.run(['delete', '--force', name]);
    this.scrub();
    rmSync(this.parent, { recursive: true, force: true });
  }
}

export function subjects(mutate?: (c: any) => void): Subject[] {
  return runtimeNames().map((n) => new Subject(n, mutate));
}

function runFiles(argv: string[], opts: { timeoutMs?: number; uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}): Result {
  const dir = mkdtempSync(join(tmpdir(), 'runc-ts-rel-out-'));
  const out = openSync(join(dir, 'out'), 'w+');
  const err = openSync(join(dir, 'err'), 'w+');
  const t0 = Date.now();
  try {
    const r = spawnSync(argv[0]!, argv.slice(1), {
      stdio: ['ignore', out, err],
      timeout: opts.timeoutMs ?? 30_000,
      killSignal: 'SIGKILL',
      uid: opts.uid,
      gid: opts.gid,
      env: opts.env ?? process.env,
    });
    const ms = Date.now() - t0;
    return {
      status: r.status,
      signal: r.signal,
      stdout: readFileSync(join(dir, 'out'), 'utf8'),
      stderr: readFileSync(join(dir, 'err'), 'utf8'),
      timedOut: (r.error as any)?.code === 'ETIMEDOUT',
      ms,
    };
  } finally {
    closeSync(out);
    closeSync(err);
    rmSync(dir, { recursive: true, force: true });
  }
}

function runAsync(argv: string[], timeoutMs: number): Promise<Result> {
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'runc-ts-rel-out-'));
  const out = openSync(join(dir, 'out'), 'w+');
  const err = openSync(join(dir, 'err'), 'w+');
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', out, err] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      closeSync(out);
      closeSync(err);
      const res: Result = { status, signal, stdout: readFileSync(join(dir, 'out'), 'utf8'), stderr: readFileSync(join(dir, 'err'), 'utf8'), timedOut, ms: Date.now() - t0 };
      rmSync(dir, { recursive: true, force: true });
      resolve(res);
    });
  });
}

// ---------------------------------------------------------------- inventory

export interface Where {
  root: string;
  bundle: string;
  tag: string;
}

export interface Inventory {
  /** Entries of the state root, recursively (`id/`, `id/state.json`, `id/.node-…`). */
  stateEntries: string[];
  /** Host mount points under the state root or the bundle. */
  mounts: string[];
  /** cgroup directories whose name carries the tag. */
  cgroups: string[];
  /** Live (non-zombie) processes in the bundle (cwd or root) or in a tagged cgroup. */
  processes: { pid: number; comm: string }[];
  /** Open fds of any process pointing under the state root or the bundle. */
  fds: string[];
}

export function safeReaddir(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

function walkEntries(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const n of safeReaddir(dir).sort()) {
    const p = join(dir, n);
    let isDir = false;
    try {
      isDir = readdirSync(p) !== undefined;
    } catch {}
    out.push(prefix + n + (isDir ? '/' : ''));
    if (isDir) out.push(...walkEntries(p, prefix + n + '/'));
  }
  return out;
}

const under = (p: string, dir: string) => p === dir || p.startsWith(dir + '/');

export function inventory(w: Where): Inventory {
  const processes: Inventory['processes'] = [];
  const fds: string[] = [];
  for (const name of safeReaddir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let stat = '';
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      continue;
    }
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (state === 'Z' || state === 'X') continue;
    let mine = false;
    for (const link of ['cwd', 'root']) {
      try {
        const t = readlinkSync(`/proc/${pid}/${link}`);
        if (under(t, w.bundle) || under(t, w.root)) mine = true;
      } catch {}
    }
    try {
      if (readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(w.tag)) mine = true;
    } catch {}
    if (mine) processes.push({ pid, comm });
    for (const fd of safeReaddir(`/proc/${pid}/fd`)) {
      try {
        const t = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (under(t, w.root) || under(t, w.bundle)) fds.push(`${pid}(${comm}):${fd} -> ${t}`);
      } catch {}
    }
  }
  return {
    stateEntries: walkEntries(w.root),
    mounts: [...mountsUnder(w.root), ...mountsUnder(w.bundle)],
    cgroups: cgroupsNamed(w.tag),
    processes,
    fds,
  };
}

/** What `inv` holds, as one line ('' when nothing). */
export function leftovers(inv: Inventory): string {
  const parts: string[] = [];
  if (inv.stateEntries.length) parts.push(`state root: ${inv.stateEntries.join(', ')}`);
  if (inv.mounts.length) parts.push(`mounts: ${inv.mounts.join(', ')}`);
  if (inv.cgroups.length) parts.push(`cgroups: ${inv.cgroups.join(', ')}`);
  if (inv.processes.length) parts.push(`processes: ${inv.processes.map((p) => `${p.pid}(${p.comm})`).join(', ')}`);
  if (inv.fds.length) parts.push(`fds: ${inv.fds.join(', ')}`);
  return parts.join('; ');
}

/** Kills, unmounts and removes whatever `inventory` finds (after a defect left it). */
export function scrub(w: Where): void {
  for (let round = 0; round < 3; round++) {
    const inv = inventory(w);
    for (const p of inv.processes) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {}
    }
    unmountUnder(w.root);
    unmountUnder(w.bundle);
    for (const cg of inv.cgroups) removeCgroup(cg);
    if (!leftovers(inventory(w))) break;
    spawnSync('sleep', ['0.1']);
  }
  rmSync(w.root, { recursive: true, force: true });
}

/** A one-line error: non-zero exit, one error line on stderr, nothing that looks like a JS trace. */
export function oneLineError(r: Result): string | undefined {
  if (r.timedOut) return `hung (killed after ${r.ms} ms)`;
  if (r.status === 0) return 'exit 0';
  if (r.signal) return `killed by ${r.signal}`;
  // Warnings may come first (runc prints them too); exactly one line is the error.
  const lines = r.stderr.split('\n').filter((l) => l.trim() && !/level=warning|\bwarning: /.test(l));
  if (lines.length !== 1) return `${lines.length} lines on stderr: ${JSON.stringify(r.stderr.slice(0, 400))}`;
  if (/\bat [\w.<>]+ \(|at Object\.|TypeError|ReferenceError|RangeError|SyntaxError: |Maximum call stack|Cannot read propert|undefined is not|is not a function|panic:|goroutine /.test(lines[0]!)) {
    return `internal-looking error: ${lines[0]!.slice(0, 300)}`;
  }
  return undefined;
}

export const STRACE = ['/usr/bin/strace', '/bin/strace'].find((p) => existsSync(p));

/** Deterministic PRNG (mulberry32) for seeded mutations and sampling. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Prints a figure line the reports quote (kept out of uvu's own output format). */
export function figure(line: string): void {
  process.stdout.write(`# ${line}\n`);
}
