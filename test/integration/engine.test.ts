// The engine runc-ts runs on (src/engine.ts, bin/runc-ts): the compiled Bun executable by
// default when it was built, Node with RUNC_TS_ENGINE=node; the container init runs on the
// same engine as the CLI, from the same binary. runc-ts only (runc has no engine).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT_DIR, RUNC_TS, makeRuntime, runcTsEngine, runcTsEngineArgv, straceBin } from '../helpers/runtimes';
import { makeBundle } from '../helpers/bundle';
import { unless } from '../helpers/skip';

const BUN_EXE = join(ROOT_DIR, 'dist', 'runc-ts-bun');
const versionWith = (env: Record<string, string>) => spawnSync(RUNC_TS, ['--version'], { encoding: 'utf8', env: { ...process.env, ...env } });
/** The node bin/runc-ts runs with RUNC_TS_ENGINE=node: the first `node` on PATH. */
const nodeOnPath = () => spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).stdout.trim();


test('--version names the engine: Bun by default once built, Node with RUNC_TS_ENGINE=node', () => {
  const node = versionWith({ RUNC_TS_ENGINE: 'node' });
  assert.is(node.status, 0, node.stderr);
  assert.match(node.stdout, /^runc-ts version .*\ncommit: .*\nspec: .*\nnode: v\d+/);
  const dflt = versionWith({ RUNC_TS_ENGINE: '' });
  assert.is(dflt.status, 0, dflt.stderr);
  if (existsSync(BUN_EXE)) assert.match(dflt.stdout, /\nbun: \d+\.\d+/);
  else assert.match(dflt.stdout, /\nnode: v\d+/);
});

test('the container init runs on the engine of the CLI that started it', () => {
  const rt = makeRuntime('runc-ts');
  const b = makeBundle((c) => {
    c.process.terminal = false;
    c.process.args = ['/bin/true'];
  });
  try {
    const r = rt.detached(['create', '--bundle', b.dir, 'eng']);
    assert.is(r.status, 0, r.stderr);
    const pid = JSON.parse(rt.run(['state', 'eng']).stdout).pid;
    // Created: the init waits on exec.fifo before its execve, still the engine's binary (run
    // from a sealed read-only bind of it, so compare sizes rather than paths).
    const engineBinary = runcTsEngine() === 'bun' ? BUN_EXE : nodeOnPath();
    assert.is(statSync(`/proc/${pid}/exe`).size, statSync(engineBinary).size, `init ${pid} is not ${engineBinary}`);
    // Bun's heap warm-up thread is off in the init (engine.ts's initEngineEnv).
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    if (runcTsEngine() === 'bun') assert.ok(environ.includes('BUN_JSC_useWarmUpMarkedBlocks=0'), environ.join(' '));
    const threads = readdirSync(`/proc/${pid}/task`).map((t) => readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim());
    assert.not.ok(threads.includes('JSCWarmUp'), threads.join(' '));
  } finally {
    rt.cleanup();
    b.remove();
  }
});

// Two start-up defects of koffi's own loader (require('koffi')): it parses the engine binary's
// ELF header to choose between its glibc and musl builds (~9 ms under Bun), and in the init,
// whose execPath is a /proc/self/fd path closed by then, it tried the musl build first. The
// CLI and the init load the addon directly (sys/koffi.ts); the init learns where from
// $_RUNCTS_DIST_DIR. Seen from the outside: neither opens koffi's JS loader nor its musl build.
// koffi is loaded for libseccomp only (the CLI compiling a seccomp profile), and as the fallback
// of native/ffi.c.
test("koffi, when loaded (to compile a seccomp profile), is not loaded through its own loader", () => {
  const strace = straceBin();
  const rt = makeRuntime('runc-ts');
  const b = makeBundle((c) => {
    c.process.terminal = false;
    c.process.args = ['/bin/true'];
    // A profile of its own (errnoRet): one the seccomp cache holds would not load koffi at all.
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 + ((Date.now() + process.pid) % 4000) }] };
  });
  const dir = mkdtempSync(join(tmpdir(), 'runc-ts-strace-'));
  try {
    const log = join(dir, 'openat');
    const r = spawnSync(strace, ['-f', '-qq', '-e', 'trace=openat,open', '-o', log, RUNC_TS, '--root', rt.root, 'run', '--bundle', b.dir, 'koffi-load'], { encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    const opened = readFileSync(log, 'utf8');
    // The addon was loaded (libseccomp compiled the profile), from its glibc build.
    assert.match(opened, /linux_x64\/koffi\.node|linux_arm64\/koffi\.node/);
    assert.not.match(opened, /musl_/, 'the musl build of koffi was tried');
    assert.not.match(opened, /koffi-linux-[a-z0-9]+\/index\.js|node_modules\/koffi\/src\/koffi\/index/, "koffi's JS loader was used");
  } finally {
    rt.cleanup();
    b.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

// bin/runc-ts used to be a sh launcher that exec'd the engine: one more exec on every call
// (~0.8 ms, four calls per Docker container). It is a symlink to dist/runc-ts, a small static
// launcher (native/launcher.c, ~0.2 ms) that sets the engine's options and executes the Bun
// executable, which becomes node in place when asked for the Node engine.
test('a call is the launcher, then the Bun executable; RUNC_TS_ENGINE=node execs node in place', () => {
  const strace = straceBin();
  const execs = (env: Record<string, string>) => {
    const r = spawnSync(strace, ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', RUNC_TS, '--version'], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.is(r.status, 0, r.stderr);
    return [...r.stderr.matchAll(/execve\("([^"]+)"[^\n]*= 0/g)].map((m) => m[1]);
  };
  if (existsSync(BUN_EXE)) {
    assert.equal(execs({ RUNC_TS_ENGINE: '' }), [RUNC_TS, BUN_EXE]);
    const viaNode = execs({ RUNC_TS_ENGINE: 'node' });
    assert.is(viaNode.length, 3, viaNode.join(' '));
    assert.match(viaNode[2]!, /\/node$/);
  } else {
    // No Bun build: dist/runc-ts is a sh launcher of the Node bundles.
    assert.match(execs({})[1] ?? '', /\/node$/);
  }
});

// The launcher turns the engine's JIT off (BUN_JSC_useJIT=0) for the CLI, and the CLI for the
// init: both live a few milliseconds; and the allocator's scavenger thread
// (MIMALLOC_PURGE_DELAY=-1). The variables are the engine's only: what the CLI runs (a hook, the
// node it becomes with RUNC_TS_ENGINE=node) sees the caller's environment, and a value the
// caller set is theirs.
unless(test, existsSync(BUN_EXE) ? undefined : 'no Bun build, hence no launcher')('the CLI and the init run without JIT; what the CLI runs sees the caller\'s environment', () => {
  const rt = makeRuntime('runc-ts');
  const out = mkdtempSync(join(tmpdir(), 'runc-ts-env-'));
  // A hook's parent is the CLI: it records the CLI's environment as the CLI started, and its own.
  const b = makeBundle((c) => {
    c.process.terminal = false;
    c.process.args = ['sleep', '100'];
    c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `tr '\\0' '\\n' < /proc/$PPID/environ > "$OUT/cli"; env > "$OUT/hook"`], env: [`OUT=${out}`] }] };
  });
  const created = (id: string, env: Record<string, string>) => {
    const r = spawnSync(RUNC_TS, ['--root', rt.root, 'create', '--bundle', b.dir, id], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    const lines = (f: string) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean);
    return { cli: lines('cli'), hook: lines('hook'), init: readFileSync(`/proc/${JSON.parse(rt.run(['state', id]).stdout).pid}/environ`, 'utf8').split('\0') };
  };
  try {
    const bun = created('jit-off', { RUNC_TS_ENGINE: '' });
    assert.ok(bun.cli.includes('BUN_JSC_useJIT=0'), `the CLI ran with the JIT: ${bun.cli.join(' ')}`);
    assert.ok(bun.cli.includes('MIMALLOC_PURGE_DELAY=-1'), `the CLI's allocator may start its scavenger thread: ${bun.cli.join(' ')}`);
    assert.ok(bun.init.includes('BUN_JSC_useJIT=0'), `the init ran with the JIT: ${bun.init.join(' ')}`);
    assert.equal(bun.hook.filter((l) => !/^(PWD|SHLVL|_)=/.test(l)).sort(), [`OUT=${out}`]);
    // Under node, the launcher's variables are gone; the caller's are there.
    const node = created('jit-node', { RUNC_TS_ENGINE: 'node' });
    assert.ok(node.cli.includes('RUNC_TS_ENGINE=node'), node.cli.join(' '));
    assert.not.ok(node.cli.some((l) => /^(BUN_JSC_useJIT|MIMALLOC_PURGE_DELAY|_RUNCTS_LAUNCHER_SET)=/.test(l)), `node got the launcher's variables: ${node.cli.join(' ')}`);
    // A caller's own setting is kept, and not taken away from what the CLI runs.
    const own = created('jit-own', { BUN_JSC_useJIT: '1', RUNC_TS_ENGINE: 'node' });
    assert.ok(own.cli.includes('BUN_JSC_useJIT=1'), own.cli.join(' '));
    assert.not.ok(own.cli.some((l) => l.startsWith('MIMALLOC_PURGE_DELAY=')), `the launcher's other variable stays with it: ${own.cli.join(' ')}`);
    const ownPurge = created('purge-own', { MIMALLOC_PURGE_DELAY: '10', RUNC_TS_ENGINE: 'node' });
    assert.ok(ownPurge.cli.includes('MIMALLOC_PURGE_DELAY=10'), ownPurge.cli.join(' '));
    assert.not.ok(ownPurge.cli.some((l) => l.startsWith('BUN_JSC_useJIT=')), ownPurge.cli.join(' '));
  } finally {
    rt.cleanup();
    b.remove();
    rmSync(out, { recursive: true, force: true });
  }
});

// A cold page cache (after a boot) is filled by the launcher reading the engine's file through,
// in large folios, rather than by the engine's own faults: ~2.6 ms less CPU per `run`
// (native/launcher.c). A partly cached file is left as it is. cachestat(2) is Linux 6.5.
const kernelAtLeast = (major: number, minor: number) => {
  const [ma = 0, mi = 0] = release().split('.').map((n) => parseInt(n, 10));
  return ma > major || (ma === major && mi >= minor);
};
const coldCacheSkip = !existsSync(BUN_EXE) ? 'no Bun build, hence no launcher' : !kernelAtLeast(6, 5) ? 'cachestat(2) needs Linux 6.5' : !spawnSync('sh', ['-c', 'command -v fincore'], { encoding: 'utf8' }).stdout.trim() ? 'no fincore (util-linux)' : undefined;
unless(test, coldCacheSkip)('the launcher reads the engine through when none of it is cached, and leaves a partly cached one alone', () => {
  const cachedBytes = () => Number(spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', BUN_EXE], { encoding: 'utf8' }).stdout.trim());
  const evict = () => {
    assert.is(spawnSync('sync', [BUN_EXE]).status, 0);
    assert.is(spawnSync('dd', [`if=${BUN_EXE}`, 'iflag=nocache', 'count=0', 'status=none']).status, 0);
    assert.is(cachedBytes(), 0, 'the engine is out of the page cache');
  };
  const size = statSync(BUN_EXE).size;
  const pageAligned = Math.ceil(size / 4096) * 4096;
  evict();
  assert.is(versionWith({ RUNC_TS_ENGINE: '' }).status, 0);
  assert.is(cachedBytes(), pageAligned, 'a cold engine file is read whole');
  // Its first 4 MiB cached, nothing else: the engine brings in what it uses, no more.
  evict();
  assert.is(spawnSync('dd', [`if=${BUN_EXE}`, 'of=/dev/null', 'bs=1M', 'count=4', 'status=none']).status, 0);
  assert.is(versionWith({ RUNC_TS_ENGINE: '' }).status, 0);
  assert.ok(cachedBytes() < pageAligned, `a partly cached engine file was read whole (${cachedBytes()} of ${pageAligned} bytes)`);
  // As a cold start leaves it, for the tests after this one.
  evict();
  assert.is(versionWith({ RUNC_TS_ENGINE: '' }).status, 0);
});

// koffi's addon (with its libstdc++) cost every process that made a libc call ~1.8 ms to load:
// `start` and `delete`, and create's CLI and container init, both on its critical path. Those
// calls go through native/ffi.c now (src/libcontainer/sys/ffi.ts). Traced with -f: the init too.
test('create (its CLI and its init), start, exec and delete of a running container do not load koffi', () => {
  const strace = straceBin();
  const rt = makeRuntime('runc-ts');
  const b = makeBundle((c) => {
    c.process.terminal = false;
    c.process.args = ['sleep', '100'];
  });
  const dir = mkdtempSync(join(tmpdir(), 'runc-ts-strace-'));
  const noKoffi = (what: string, text: string) => {
    assert.not.match(text, /koffi\.node/, `${what} loaded koffi`);
    assert.match(text, /dist\/ffi\.node/, `${what} did not load dist/ffi.node`);
  };
  try {
    // The CLI alone for create (-f would wait for the init, which lives on); start, exec and delete
    // with their children. The engine itself: with RUNC_TS_ENGINE=node the Bun executable would
    // load koffi to exec node.
    for (const [args, follow] of [[['create', '--bundle', b.dir, 'noffi'], false], [['start', 'noffi'], true], [['exec', 'noffi', 'true'], true], [['delete', '--force', 'noffi'], true]] as const) {
      const log = join(dir, args[0]);
      // stderr to a file: create's init keeps it, and a pipe would be waited on until it exits.
      const err = openSync(log + '.stderr', 'w');
      const t = spawnSync(strace, [...(follow ? ['-f'] : []), '-qq', '-e', 'trace=openat,open', '-o', log, ...runcTsEngineArgv(), '--root', rt.root, ...args], {
        timeout: 30_000,
        stdio: ['ignore', 'ignore', err],
      });
      closeSync(err);
      assert.is(t.status, 0, readFileSync(log + '.stderr', 'utf8'));
      noKoffi(args[0], readFileSync(log, 'utf8'));
      if (args[0] === 'create') {
        // The init, waiting for start: what it has mapped.
        const pid = JSON.parse(rt.run(['state', 'noffi']).stdout).pid;
        noKoffi('the init', readFileSync(`/proc/${pid}/maps`, 'utf8'));
      }
    }
    assert.is(rt.run(['state', 'noffi']).status, 1, 'the container is gone');
  } finally {
    rt.cleanup();
    b.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

// The calls Docker and containerd make for every container besides create and exec (state,
// start, kill, delete) load runc-ts-lite.cjs, the CLI without create's, exec's and yargs' code
// (src/cli/lite.ts); anything it does not parse (help, an unknown flag) goes on to the whole CLI.
test('state, start, kill and delete run from the lite bundle; other command lines from the whole CLI', () => {
  const lite = readFileSync(join(ROOT_DIR, 'dist', 'runc-ts-lite.cjs'), 'utf8');
  const full = readFileSync(join(ROOT_DIR, 'dist', 'runc-ts.cjs'), 'utf8');
  for (const fn of ['async function launch(', 'async function create(', 'function parseWithYargs(', 'function liveCommands(']) {
    assert.ok(full.includes(fn), `runc-ts.cjs has ${fn}`);
    assert.not.ok(lite.includes(fn), `runc-ts-lite.cjs has ${fn}`);
  }
  assert.ok(lite.length < full.length * 0.7, `${lite.length} bytes against ${full.length}`);
  if (runcTsEngine() !== 'bun') return; // the Node engine always loads the whole CLI
  const rt = makeRuntime('runc-ts');
  const b = makeBundle((c) => {
    c.process.terminal = false;
    c.process.args = ['sleep', '100'];
  });
  const dir = mkdtempSync(join(tmpdir(), 'runc-ts-lite-'));
  /** The bundle that ran `args`, from its trace ("cli: main (lite bundle) ..."), and the result. */
  const traced = (args: string[]) => {
    const file = join(dir, 'trace');
    rmSync(file, { force: true });
    // create: the init inherits stdout and stderr, and would hold pipes of ours open.
    const stdio = args[0] === 'create' ? 'ignore' : 'pipe';
    const r = spawnSync(RUNC_TS, ['--root', rt.root, ...args], { encoding: 'utf8', env: { ...process.env, RUNC_TS_TRACE: file }, stdio: ['ignore', stdio, stdio] });
    const mains = readFileSync(file, 'utf8').split('\n').filter((l) => l.includes(' cli: main'));
    return { r, bundles: mains.map((l) => (l.includes('(lite bundle)') ? 'lite' : 'full')) };
  };
  try {
    assert.equal(traced(['create', '--bundle', b.dir, 'lite']).bundles, ['full']);
    let t = traced(['state', 'lite']);
    assert.is(t.r.status, 0, t.r.stderr);
    assert.equal(t.bundles, ['lite']);
    assert.is(JSON.parse(t.r.stdout).status, 'created');
    // Refused by yargs, as ever: handed over before the lite bundle logs or parses anything.
    t = traced(['state', '--bogus', 'lite']);
    assert.is(t.r.status, 1);
    assert.match(t.r.stderr, /Unknown argument: bogus/);
    assert.equal(t.bundles, ['full']);
    t = traced(['start', 'lite']);
    assert.is(t.r.status, 0, t.r.stderr);
    assert.equal(t.bundles, ['lite']);
    t = traced(['kill', 'lite', 'KILL']);
    assert.is(t.r.status, 0, t.r.stderr);
    assert.equal(t.bundles, ['lite']);
    for (let i = 0; i < 100 && JSON.parse(rt.run(['state', 'lite']).stdout).status !== 'stopped'; i++) spawnSync('sleep', ['0.02']);
    t = traced(['delete', 'lite']);
    assert.is(t.r.status, 0, t.r.stderr);
    assert.equal(t.bundles, ['lite']);
    t = traced(['delete', '--force', 'lite']);
    assert.is(t.r.status, 0, 'delete --force of a container that is gone succeeds');
    assert.equal(t.bundles, ['lite']);
  } finally {
    rt.cleanup();
    b.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
