// The end-to-end environment for test/docker: installs docker.io + containerd when missing
// (scripts/install-docker.sh), starts a PRIVATE containerd + dockerd pair in a temporary
// directory (scripts/docker-env.sh: own sockets, data root, exec root, config file; the host's
// /etc/docker and any running daemon are left alone) with both runtimes registered, and undoes
// all of it at the end (daemons, containers, shims, mounts, cgroups, the directory).
import { spawnSync, SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT_DIR = join(__dirname, '..', '..', '..');
export const RUNC_TS = join(ROOT_DIR, 'bin', 'runc-ts');
export const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p)) ?? 'runc';

/** Docker's runtime names as registered by docker-env.sh; ctr gets the binaries instead. */
export type RuntimeName = 'runc-ts' | 'runc';
export function runtimeNames(): RuntimeName[] {
  const only = process.env.RUNTIMES?.split(',').filter(Boolean) as RuntimeName[] | undefined;
  return only?.length ? only : ['runc-ts', 'runc'];
}
export function runtimeBinary(name: RuntimeName) {
  return name === 'runc-ts' ? RUNC_TS : RUNC;
}

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
  signal: NodeJS.Signals | null;
  ms: number;
}

export interface Env {
  dir: string;
  vars: Record<string, string>;
  image: string;
  ctrImage: string;
  ctrNamespace: string;
  cgroupParent: string;
  docker(args: string[], opts?: SpawnSyncOptions): Result;
  ctr(args: string[], opts?: SpawnSyncOptions): Result;
  /** Runs a shell command line with the environment's variables (DOCKER_HOST...). */
  sh(cmd: string, opts?: SpawnSyncOptions): Result;
  /** The runtime's log.json files and the daemons' last error lines: for failure messages. */
  diagnostics(id?: string): string;
  stop(): void;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, opts: SpawnSyncOptions = {}): Result {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL', env, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') + (r.error ? String(r.error) : ''), signal: r.signal, ms: Date.now() - t0 };
}

/** Why the suite cannot run (docker.io not installable / not root), or undefined. */
export function unavailable(opts: EnvOptions = {}): string | undefined {
  if (process.getuid?.() !== 0) return `not root: the ${opts.cri ? 'Kubernetes (CRI)' : 'Docker'} end-to-end suite needs root`;
  if (opts.cri) {
    // Only containerd (with its CRI plugin) and its runc shim are needed: no install attempt.
    const missing = ['containerd', 'ctr', 'containerd-shim-runc-v2'].filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
    if (missing.length) return `containerd is not installed (${missing.join(', ')} missing; scripts/install-docker.sh installs it)`;
    if (!existsSync(RUNC_TS) || !existsSync(join(ROOT_DIR, 'dist', 'runc-ts.cjs'))) return 'runc-ts is not built (npm run build)';
    return undefined;
  }
  const r = spawnSync('bash', [join(ROOT_DIR, 'scripts', 'install-docker.sh')], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return `docker.io could not be installed (scripts/install-docker.sh exit ${r.status}): ${String(r.stderr).trim().slice(-500)}`;
  if (!existsSync(RUNC_TS) || !existsSync(join(ROOT_DIR, 'dist', 'runc-ts.cjs'))) return 'runc-ts is not built (npm run build)';
  return undefined;
}

function findFiles(dir: string, name: string, out: string[] = [], depth = 0): string[] {
  if (depth > 8) return out;
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { return out; }
  for (const n of names) {
    const p = join(dir, n);
    let st;
    try { st = statSync(p); } catch { continue; }
    if (st.isDirectory()) findFiles(p, name, out, depth + 1);
    else if (n === name) out.push(p);
  }
  return out;
}

export interface EnvOptions {
  /** containerd with its CRI plugin (handlers runc-ts and runc) and no dockerd: test/kubernetes. */
  cri?: boolean;
}

export function startEnv(label: string, opts: EnvOptions = {}): Env {
  // Short path: unix socket paths are limited to 108 bytes.
  const dir = mkdtempSync(`/tmp/rts-${label}-`);
  const script = join(ROOT_DIR, 'scripts', 'docker-env.sh');
  const startArgs = opts.cri ? ['start', '--cri', dir] : ['start', dir];
  const r = spawnSync('bash', [script, ...startArgs], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, RUNCTS_BIN: RUNC_TS, RUNC_BIN: RUNC } });
  if (r.status !== 0) {
    spawnSync('bash', [script, 'stop', dir], { stdio: 'inherit' });
    throw new Error(`scripts/docker-env.sh start failed (exit ${r.status}):\n${r.stderr}`);
  }
  const vars: Record<string, string> = {};
  for (const m of String(r.stdout).matchAll(/^export (\w+)='([^']*)'$/gm)) vars[m[1]] = m[2];
  const env = { ...process.env, ...vars };
  const dockerCli = vars.DOCKER_CLI || 'docker';
  let stopped = false;
  const e: Env = {
    dir,
    vars,
    image: vars.RUNCTS_IMAGE,
    ctrImage: vars.RUNCTS_CTR_IMAGE,
    ctrNamespace: vars.CONTAINERD_NAMESPACE,
    cgroupParent: vars.RUNCTS_DOCKER_CGROUP_PARENT,
    docker: (args, opts) => run(dockerCli, args, env, opts),
    ctr: (args, opts) => run('ctr', ['--address', vars.CONTAINERD_ADDRESS, '-n', vars.CONTAINERD_NAMESPACE, ...args], env, opts),
    sh: (cmd, opts) => run('bash', ['-c', cmd], env, opts),
    diagnostics(id) {
      const parts: string[] = [];
      for (const f of findFiles(join(dir, 'containerd', 'state'), 'log.json')) {
        if (id && !f.includes(id)) continue;
        const text = readFileSync(f, 'utf8').trim();
        if (text) parts.push(`${f}:\n${text.split('\n').slice(-10).join('\n')}`);
      }
      for (const f of ['dockerd.log', 'containerd.log']) {
        try {
          const lines = readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => /level=(error|warning)/.test(l) && (!id || l.includes(id.slice(0, 12))));
          if (lines.length) parts.push(`${f}:\n${lines.slice(-8).join('\n')}`);
        } catch { /* not there */ }
      }
      return parts.join('\n');
    },
    stop() {
      if (stopped) return;
      stopped = true;
      const s = spawnSync('bash', [script, 'stop', dir], { encoding: 'utf8', timeout: 120_000 });
      if (s.status !== 0) process.stderr.write(`docker-env.sh stop: exit ${s.status}\n${s.stderr}`);
    },
  };
  // Undo even when a test throws out of the suite or the process is interrupted.
  process.once('exit', () => e.stop());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { e.stop(); process.exit(130); });
  return e;
}

export function sleep(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Polls fn until it returns a truthy value or the time runs out; returns the last value. */
export function waitFor<T>(fn: () => T, ms = 10_000, step = 100): T {
  const end = Date.now() + ms;
  let v = fn();
  while (!v && Date.now() < end) {
    sleep(step);
    v = fn();
  }
  return v;
}
