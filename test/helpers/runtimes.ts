// The runtimes every integration test runs against: our own and the reference runc, each with
// its own --root so that neither sees the other's state. RUNTIMES=runc-ts or RUNTIMES=runc
// narrows the list.
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync, SpawnSyncOptions } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

export const ROOT_DIR = join(__dirname, '..', '..');
export const RUNC_TS = join(ROOT_DIR, 'bin', 'runc-ts');
export const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));

/** The engine bin/runc-ts runs on here: RUNC_TS_ENGINE=node, or Bun when it was built. */
export function runcTsEngine(): 'bun' | 'node' {
  return process.env.RUNC_TS_ENGINE !== 'node' && existsSync(join(ROOT_DIR, 'dist', 'runc-ts-bun')) ? 'bun' : 'node';
}

/**
 * The engine bin/runc-ts ends up running, as argv: for tools that follow one program and stop
 * at its execve (strace -b execve in the fault suite), an exec on the way (the Bun executable
 * becoming node for RUNC_TS_ENGINE=node) is in the way.
 */
export function runcTsEngineArgv(): string[] {
  return runcTsEngine() === 'bun' ? [join(ROOT_DIR, 'dist', 'runc-ts-bun')] : [process.execPath, join(ROOT_DIR, 'dist', 'node.cjs')];
}

export interface Runtime {
  name: 'runc-ts' | 'runc';
  bin: string;
  root: string;
  /** Runs `<bin> --root <root> ...args` synchronously. */
  run(args: string[], opts?: SpawnSyncOptions): { status: number | null; stdout: string; stderr: string; signal: NodeJS.Signals | null };
  /**
   * For commands that leave a container behind (create, run -d): its processes inherit our
   * stdio, so pipes would keep spawnSync waiting; stdout/stderr go through files instead.
   */
  detached(args: string[]): { status: number | null; stdout: string; stderr: string };
  cleanup(): void;
}

export function makeRuntime(name: 'runc-ts' | 'runc'): Runtime {
  const bin = name === 'runc' ? RUNC! : RUNC_TS;
  const root = mkdtempSync(join(tmpdir(), `runc-ts-state-${name}-`));
  return {
    name,
    bin,
    root,
    run(args, opts = {}) {
      const r = spawnSync(bin, ['--root', root, ...args], { encoding: 'utf8', timeout: 30_000, ...opts });
      return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), signal: r.signal };
    },
    detached(args) {
      const dir = mkdtempSync(join(tmpdir(), 'runc-ts-out-'));
      const out = openSync(join(dir, 'out'), 'w+');
      const err = openSync(join(dir, 'err'), 'w+');
      try {
        const r = spawnSync(bin, ['--root', root, ...args], { stdio: ['ignore', out, err], timeout: 30_000 });
        return { status: r.status, stdout: readFileSync(join(dir, 'out'), 'utf8'), stderr: readFileSync(join(dir, 'err'), 'utf8') };
      } finally {
        closeSync(out);
        closeSync(err);
        rmSync(dir, { recursive: true, force: true });
      }
    },
    cleanup() {
      // Force-delete anything a failed test left, then drop the state root.
      const l = spawnSync(bin, ['--root', root, 'list', '-q'], { encoding: 'utf8' });
      for (const id of String(l.stdout ?? '').split('\n').filter(Boolean)) spawnSync(bin, ['--root', root, 'delete', '--force', id]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function runtimeNames(): Array<'runc-ts' | 'runc'> {
  const want = (process.env.RUNTIMES ?? 'runc-ts,runc').split(',').map((s) => s.trim());
  return (['runc-ts', 'runc'] as const).filter((n) => want.includes(n) && (n !== 'runc' || RUNC));
}

/** Alive and not a zombie (/proc/<pid>/stat's state): a killed child of ours stays a zombie
 * until the event loop reaps it, and kill(pid, 0) still succeeds on it. */
export function aliveNotZombie(pid: number): boolean {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(s.slice(s.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

export function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Polls `runtime state` until the container has status `want` (or the time is up). */
export function waitStatus(rt: Runtime, id: string, want: string, ms = 5000): any {
  const end = Date.now() + ms;
  let s: any;
  while (Date.now() < end) {
    const r = rt.run(['state', id]);
    s = r.status === 0 ? JSON.parse(r.stdout) : undefined;
    if (s?.status === want) return s;
    sleep(20);
  }
  return s;
}

/** strace, which scripts/install.sh installs: its absence fails a test rather than skipping it. */
export function straceBin(): string {
  const strace = spawnSync('sh', ['-c', 'command -v strace'], { encoding: 'utf8' }).stdout.trim();
  if (!strace) throw new Error('strace is not installed (scripts/install.sh installs it)');
  return strace;
}

/** strace options that hold every call of `syscall` in the traced tree for 200 ms. */
export function straceDelay(syscall: string): string[] {
  return ['-f', '-qq', '-o', '/dev/null', '-e', `trace=${syscall}`, '-e', `inject=${syscall}:delay_enter=200000`];
}

/** A process that exits at once on an idle machine (nsexec's first process) exits late, as on a loaded one. */
export const DELAY_EXITS = straceDelay('exit_group');
