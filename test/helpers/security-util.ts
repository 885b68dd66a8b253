// Shared pieces of the security integration tests (test/integration/security*.test.ts): waiting
// for container states, hashing host files, reading mount tables, a --console-socket receiver,
// and recording where the reference runc 1.1.5 is known to fall short of the expectation.
import { createHash } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Runtime } from './runtimes';
import { ROOT_DIR, runcTsEngine } from './runtimes';

export { sleep, waitStatus } from './runtimes';
import { sleep } from './runtimes';
import { skip } from './skip';

/** `run -d` a container and return its init's host pid (throws with the runtime's stderr). */
export function runDetached(rt: Runtime, bundleDir: string, id: string): number {
  const r = rt.detached(['run', '-d', '--bundle', bundleDir, id]);
  if (r.status !== 0) throw new Error(`${rt.name} run -d ${id} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(rt.run(['state', id]).stdout).pid;
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Hashes of the host files a container must never be able to change: node and runc-ts itself. */
export function hostBinaryHashes(extra: string[] = []): Map<string, string> {
  const files = [process.execPath, join(ROOT_DIR, 'bin', 'runc-ts'), ...extra];
  const dist = join(ROOT_DIR, 'dist');
  for (const f of readdirSync(dist)) {
    // V8 code caches (*.cache) are written by runc-ts itself on first use: not code.
    if (f.endsWith('.cache') || f.endsWith('.tmp')) continue;
    const p = join(dist, f);
    if (statSync(p).isFile()) files.push(p);
  }
  const m = new Map<string, string>();
  for (const f of files) m.set(f, sha256(f));
  return m;
}

/** Mount points (unescaped) in a mountinfo file, e.g. /proc/self/mountinfo or /proc/<pid>/mountinfo. */
export function mountPoints(mountinfo = '/proc/self/mountinfo'): Array<{ point: string; root: string; fstype: string; dev: string }> {
  const out: Array<{ point: string; root: string; fstype: string; dev: string }> = [];
  for (const line of readFileSync(mountinfo, 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const sep = f.indexOf('-');
    const un = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    out.push({ point: un(f[4]!), root: un(f[3]!), fstype: f[sep + 1] ?? '', dev: f[2]! });
  }
  return out;
}

/** A unique scratch directory (removed by the caller). */
export function scratch(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `runc-ts-sec-${prefix}-`));
}

/**
 * A --console-socket receiver of our own: a python3 process that listens on a unix socket,
 * takes the pty master sent with SCM_RIGHTS, and copies what the container writes to a file
 * until the slave side is closed. `output()` waits for it to finish.
 */
export interface ConsoleReceiver {
  socket: string;
  output(ms?: number): string;
  stop(): void;
}

const RECEIVER = String.raw`
import os, select, socket, sys, time
path, out_path = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(20)
conn, _ = srv.accept()
msg, fds, _f, _a = socket.recv_fds(conn, 4096, 4)
if not fds:
    sys.exit(2)
master = fds[0]
buf = b''
end = time.time() + 20
while time.time() < end:
    r, _, _ = select.select([master], [], [], 0.2)
    if not r:
        continue
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    buf += chunk
with open(out_path + '.tmp', 'wb') as f:
    f.write(buf)
os.rename(out_path + '.tmp', out_path)
`;

export function consoleReceiver(): ConsoleReceiver {
  const dir = scratch('console');
  const script = join(dir, 'recv.py');
  writeFileSync(script, RECEIVER);
  const sock = join(dir, 'console.sock');
  const outFile = join(dir, 'out');
  const errFd = openSync(join(dir, 'err'), 'w');
  const child: ChildProcess = spawn('python3', [script, sock, outFile], { stdio: ['ignore', 'ignore', errFd], detached: false });
  closeSync(errFd);
  const end = Date.now() + 5000;
  while (!existsSync(sock) && Date.now() < end) sleep(10);
  return {
    socket: sock,
    output(ms = 15000) {
      const stop = Date.now() + ms;
      while (!existsSync(outFile) && Date.now() < stop) sleep(20);
      if (!existsSync(outFile)) throw new Error(`console receiver got nothing: ${readFileSync(join(dir, 'err'), 'utf8')}`);
      return readFileSync(outFile, 'utf8');
    },
    stop() {
      if (child.exitCode === null && child.pid) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {}
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Where runc 1.1.5 (the reference here) is known not to meet an expectation, the test is
 * registered as skipped for runc, with the reason in its name and printed, never silently
 * passed. Returns the suite's test function to use (t or t.skip).
 */
export function unlessRuncGap<T extends { (name: string, fn: () => void): void; skip: (name: string, fn: () => void) => void }>(
  t: T,
  runtime: string,
  title: string,
  reason: string,
  fn: () => void,
): void {
  if (runtime !== 'runc') return t(title, fn);
  skip(t, `[runc] ${title}`, `runc 1.1 gap: ${reason}`, fn);
}

/**
 * The runtime started from a private copy of its binary (the engine for runc-ts, whose init is
 * process.execPath: the compiled Bun executable, with nsexec.so beside it, or node; runc
 * itself for runc), with the same --root: an attack on "the runtime's binary" then aims at the
 * copy, which no other process runs, so the kernel's "text file busy" does not hide a
 * successful attack and the host's own binaries are never at risk.
 */
export interface RuntimeCopy {
  binary: string;
  run(args: string[], timeout?: number): { status: number | null; stdout: string; stderr: string };
  remove(): void;
}

export function runtimeFromCopy(rt: Runtime): RuntimeCopy {
  const dir = scratch('binary-copy');
  const engine = rt.name === 'runc' ? 'runc' : runcTsEngine();
  const src = { runc: rt.bin, bun: join(ROOT_DIR, 'dist', 'runc-ts-bun'), node: process.execPath }[engine];
  const binary = join(dir, engine === 'node' ? 'node' : basename(src));
  writeFileSync(binary, readFileSync(src), { mode: 0o755 });
  // The executable finds nsexec.so next to itself; node runs the bundles where they are.
  if (engine === 'bun') copyFileSync(join(ROOT_DIR, 'dist', 'nsexec.so'), join(dir, 'nsexec.so'));
  const argv0 = engine === 'node' ? [join(ROOT_DIR, 'dist', 'node.cjs')] : [];
  return {
    binary,
    run(args, timeout = 30_000) {
      // stdio to files: commands that leave processes behind would keep pipes open.
      const out = join(dir, `out-${Date.now()}`);
      const fdOut = openSync(out, 'w+');
      const fdErr = openSync(out + '.err', 'w+');
      try {
        const r = spawnSync(binary, [...argv0, '--root', rt.root, ...args], { stdio: ['ignore', fdOut, fdErr], timeout });
        return { status: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(out + '.err', 'utf8') };
      } finally {
        closeSync(fdOut);
        closeSync(fdErr);
      }
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
