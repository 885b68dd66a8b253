// The per-case context: a private temp dir, fresh container ids, bundles, and the runtime
// operations cases use (create/start/state/kill/delete/run), plus `inside`, which runs a set of
// named shell probes in one container and returns each probe's output and exit status.
import { existsSync, mkdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from './assert';
import { Bundle, BundleFactory } from './bundle';
import { ExecResult, sleep, waitFor } from './exec';
import { Runtime } from './runtime';

export interface Case {
  /** `area/what`, unique: the TAP description and the report's row. */
  name: string;
  /** The runtime-spec section it exercises, e.g. `config-linux.md#namespaces`. */
  spec: string;
  /** Returns a reason when this machine cannot run the case (skipped on every runtime). */
  skipIf?: () => string | undefined;
  /** A known gap of runc 1.1 (the reference): the case is expected to fail there, with this reason. */
  runcGap?: string;
  timeoutMs?: number;
  run(t: T): Promise<void>;
}

export type Mutate = (config: any, bundle: Bundle) => void;

export interface Probe {
  out: string;
  rc: number;
}

export class T {
  private n = 0;
  /** Every container id handed out, for clean-up. */
  readonly ids: string[] = [];
  /** Clean-up steps registered by the case (host mounts, helper processes), run last-first. */
  readonly cleanups: Array<() => void | Promise<void>> = [];

  constructor(
    readonly rt: Runtime,
    readonly dir: string,
    readonly idPrefix: string,
    private readonly bundles: BundleFactory,
  ) {}

  id(): string {
    const id = `${this.idPrefix}-${++this.n}`;
    this.ids.push(id);
    return id;
  }

  /** A host directory inside the case's temp dir. */
  hostDir(name: string): string {
    const d = join(this.dir, name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  bundle(mutate?: Mutate): Bundle {
    return this.bundles.make(this.dir, mutate);
  }

  defer(fn: () => void | Promise<void>): void {
    this.cleanups.push(fn);
  }

  /** Set when the case timed out: a case still running in the background must stop driving the runtime. */
  aborted = false;

  cli(args: string[], opts: { timeoutMs?: number; input?: string; cwd?: string } = {}): Promise<ExecResult> {
    if (this.aborted) fail('case aborted (timed out)');
    return this.rt.cli(args, this.dir, opts);
  }

  /** Asserts a runtime command succeeded. */
  must(r: ExecResult, what: string): ExecResult {
    if (r.code !== 0) fail(`${what} failed (exit ${r.code}${r.signal ? ` ${r.signal}` : ''}${r.timedOut ? ', timed out' : ''}): ${r.stderr.trim().slice(-500)}`);
    return r;
  }

  /** Asserts a runtime command was rejected: non-zero exit and an error message. */
  mustFail(r: ExecResult, what: string): ExecResult {
    if (r.timedOut) fail(`${what}: timed out instead of failing`);
    if (r.code === 0) fail(`${what}: expected a non-zero exit, got 0`);
    if (!r.stderr.trim()) fail(`${what}: exited ${r.code} without an error message on stderr`);
    return r;
  }

  /** `create --bundle B --pid-file F ID`; asserts success and returns the id and the pid from the pid file. */
  async create(b: Bundle, opts: { id?: string; consoleSocket?: string } = {}): Promise<{ id: string; pid: number; res: ExecResult }> {
    const id = opts.id ?? this.id();
    const pidFile = join(this.dir, `${id}.pid`);
    const args = ['create', '--bundle', b.dir, '--pid-file', pidFile];
    if (opts.consoleSocket) args.push('--console-socket', opts.consoleSocket);
    const res = this.must(await this.cli([...args, id]), `create ${id}`);
    if (!existsSync(pidFile)) fail(`create ${id}: pid file ${pidFile} was not written`);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!(pid > 0)) fail(`create ${id}: pid file holds ${JSON.stringify(readFileSync(pidFile, 'utf8'))}`);
    return { id, pid, res };
  }

  async start(id: string): Promise<ExecResult> {
    return this.must(await this.cli(['start', id]), `start ${id}`);
  }

  async state(id: string): Promise<any> {
    const r = this.must(await this.cli(['state', id]), `state ${id}`);
    try {
      return JSON.parse(r.stdout);
    } catch {
      fail(`state ${id}: not JSON: ${JSON.stringify(r.stdout.slice(0, 300))}`);
    }
  }

  async kill(id: string, sig?: string): Promise<ExecResult> {
    return this.must(await this.cli(sig ? ['kill', id, sig] : ['kill', id]), `kill ${id} ${sig ?? ''}`);
  }

  async delete(id: string, force = false): Promise<ExecResult> {
    return this.must(await this.cli(force ? ['delete', '--force', id] : ['delete', id]), `delete ${id}`);
  }

  /** Waits until `state` reports `status` (polling), failing after `ms`. */
  async waitStatus(id: string, status: string, ms = 10_000): Promise<any> {
    const end = Date.now() + ms;
    let last: any;
    for (;;) {
      const r = await this.cli(['state', id]);
      if (r.code === 0) {
        try {
          last = JSON.parse(r.stdout);
        } catch {
          /* retry */
        }
        if (last?.status === status) return last;
      }
      if (Date.now() > end) fail(`${id}: status never became ${status} (last: ${JSON.stringify(last?.status)})`);
      await sleep(50);
    }
  }

  /** `run --bundle B ID` in the foreground; returns the result (exit code = the container's). */
  async run(b: Bundle, opts: { id?: string; detach?: boolean; timeoutMs?: number } = {}): Promise<ExecResult & { id: string }> {
    const id = opts.id ?? this.id();
    const args = ['run', ...(opts.detach ? ['-d'] : []), '--bundle', b.dir, id];
    return { ...(await this.cli(args, { timeoutMs: opts.timeoutMs })), id };
  }

  /**
   * Runs one container whose process is `sh -c <probes>` and returns each named probe's output
   * (stdout and stderr merged) and exit status. The container must exit 0; it is deleted after.
   */
  async inside(mutate: Mutate | undefined, probes: Record<string, string>): Promise<Record<string, Probe>> {
    const script = Object.entries(probes)
      .map(([k, cmd]) => `echo "@@@ ${k}"; { ${cmd}\n} 2>&1; echo "@@@rc $?"`)
      .join('\n') + '\nexit 0';
    const b = this.bundle((c, bb) => {
      mutate?.(c, bb);
      c.process.args = ['sh', '-c', script];
    });
    const r = await this.run(b);
    await this.cli(['delete', '--force', r.id]);
    if (r.code !== 0) fail(`run exited ${r.code}${r.timedOut ? ' (timed out)' : ''}: ${(r.stderr || r.stdout).trim().slice(-600)}`);
    const out: Record<string, Probe> = {};
    const re = /^@@@ (\S+)\n([\s\S]*?)^@@@rc (\d+)$/gm;
    for (let m; (m = re.exec(r.stdout)); ) out[m[1]] = { out: m[2], rc: Number(m[3]) };
    for (const k of Object.keys(probes)) if (!out[k]) fail(`probe ${k} printed nothing; container output: ${JSON.stringify(r.stdout.slice(0, 400))} stderr: ${r.stderr.slice(0, 300)}`);
    return out;
  }

  /** Convenience: the output of a single probe that must succeed. */
  async sh(mutate: Mutate | undefined, cmd: string): Promise<string> {
    const p = (await this.inside(mutate, { p: cmd })).p;
    if (p.rc !== 0) fail(`\`${cmd}\` exited ${p.rc} inside: ${p.out.trim().slice(0, 400)}`);
    return p.out;
  }

  /** Waits for a file to appear with complete content (non-empty, ending in a newline). */
  async fileAppears(path: string, ms = 5000): Promise<string> {
    const full = (): boolean => existsSync(path) && readFileSync(path, 'utf8').endsWith('\n');
    if (!(await waitFor(full, ms))) fail(`${path} was never written${existsSync(path) ? ` completely (${JSON.stringify(readFileSync(path, 'utf8'))})` : ''}`);
    return readFileSync(path, 'utf8');
  }
}

/** Namespace link target on the host, e.g. `net:[4026531840]`. */
export function hostNs(type: string, pid: number | 'self' = 'self'): string {
  return readlinkSync(`/proc/${pid}/ns/${type}`);
}
