#!/usr/bin/env node
// Benchmark: runc-ts on each engine (Bun, the default, and Node) against runc, in the same run,
// alternating the order every round, after warm-up rounds. Medians and ratios to runc for:
//   run          `run` of a container executing /bin/true (create, start, wait, delete)
//   run CPU      CPU time of a `run` and of every process it starts (the container init, the
//                container's /bin/true): where `perf` works (linux-perf), `perf stat`'s
//                task-clock of a separate `run`, a median; else the kernel's cutime + cstime of
//                this process across the timed spawn (reaped children only), a mean, since those
//                tick in 10 ms. (No user/system split: the kernel divides a process's time
//                between them by the timer ticks that fell in each, and for processes that
//                live milliseconds that split moved by 2 × from one run to the next.)
//   state CPU    the same for `state` (with perf only)
//   c+s+d        `create` + `start` + `delete` of the same (each timed, summed per round)
//   state        `state` of a running container
//   exec         `exec` of /bin/true in a running container
//   20 parallel  wall time of 20 `run` of /bin/true started at once
//   peak RSS     the largest resident set of the runtime's processes during `run` (the CLI and,
//                reaped by it, the container init before it execs) and during `state`
//                (GNU time's %M: wait4's ru_maxrss)
//   memory       the peak memory charged to a memory cgroup of the call's own during `run` and
//                `state`: what the call costs the host (its private memory, page tables, the page
//                cache it reads first, every process of it at once). RSS counts instead every
//                page of the executable mapped from the page cache, which all the processes of
//                a runtime share: for Bun's 110 MiB executable that is most of runc-ts's RSS.
//   docker       `docker run --rm --network none --runtime RT busybox true` on a private dockerd +
//                containerd (bench/docker.mjs); a default row only where Docker is installed
// plus the bare engine start-up (`bun -e 0`, `node -e 0`, and an empty executable compiled
// and run like runc-ts's, with its peak RSS and, with perf, its CPU time) as the floor runc-ts
// cannot go under, and the CPU time of `runc --version` as runc's own.
// Writes the table to bench/results/<date>.md with a description of the machine.
// Usage (as root): node bench/run.mjs [rounds=15] [--rows=run,csd,state,exec,parallel,rss,docker]
//   [--no-node] [--no-write]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerUnavailable, startDocker } from './docker.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 15);
const WARMUP = 2;
const PARALLEL = 20;
const noDocker = dockerUnavailable();
const ALL_ROWS = ['run', 'csd', 'state', 'exec', 'parallel', 'rss', ...(noDocker ? [] : ['docker'])];
const rowsArg = args.find((a) => a.startsWith('--rows='));
const ROWS = rowsArg ? rowsArg.slice(7).split(',') : ALL_ROWS;
if (noDocker) process.stderr.write(`bench/run.mjs: skipping the docker row: ${noDocker}\n`);
const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));
const RUNC_TS = join(root, 'bin', 'runc-ts');
const BUN_EXE = join(root, 'dist', 'runc-ts-bun');
const BUN = ['x64', 'aarch64'].map((a) => join(root, 'node_modules', '@oven', `bun-linux-${a}`, 'bin', 'bun')).find((p) => existsSync(p));
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
const GNU_TIME = ['/usr/bin/time'].find((p) => existsSync(p));
if (process.getuid() !== 0) throw new Error('bench/run.mjs: run as root');
if (!RUNC) throw new Error('bench/run.mjs: runc (the reference) is not installed');

/** Each runtime: a name, its binary, the environment that selects the engine, its name in Docker. */
const runtimes = [
  ...(existsSync(BUN_EXE) ? [{ name: 'runc-ts (bun)', bin: RUNC_TS, env: { RUNC_TS_ENGINE: 'bun' }, docker: 'runc-ts' }] : []),
  ...(args.includes('--no-node') ? [] : [{ name: 'runc-ts (node)', bin: RUNC_TS, env: { RUNC_TS_ENGINE: 'node' }, docker: 'runc-ts-node' }]),
  { name: 'runc', bin: RUNC, env: {}, docker: 'runc' },
];
const DOCKER = ROWS.includes('docker') && !noDocker;

const work = mkdtempSync(join(tmpdir(), 'runc-ts-bench-'));
const bundle = join(work, 'bundle');
mkdirSync(join(bundle, 'rootfs', 'bin'), { recursive: true });
copyFileSync(BUSYBOX, join(bundle, 'rootfs', 'bin', 'busybox'));
for (const c of ['true', 'sleep', 'sh']) symlinkSync('busybox', join(bundle, 'rootfs', 'bin', c));
execFileSync(RUNC, ['spec', '--bundle', bundle]);
const cfgPath = join(bundle, 'config.json');
const baseCfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
baseCfg.process.terminal = false;
const setArgs = (argv) => writeFileSync(cfgPath, JSON.stringify({ ...baseCfg, process: { ...baseCfg.process, args: argv } }));
setArgs(['/bin/true']);

// stderr goes to a file: a created container inherits it, and a pipe would keep spawnSync
// waiting until the container exits.
const errFile = join(work, 'stderr');
const envOf = (rt) => ({ ...process.env, ...rt.env });
const stateRoot = (rt) => join(work, 'state-' + rt.name.replace(/\W+/g, '-'));
function time(rt, argv) {
  const err = openSync(errFile, 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(rt.bin, ['--root', stateRoot(rt), ...argv], { cwd: bundle, env: envOf(rt), stdio: ['ignore', 'ignore', err] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  closeSync(err);
  if (r.status !== 0) throw new Error(`${rt.name} ${argv.join(' ')} failed (${r.status}): ${readFileSync(errFile, 'utf8')}`);
  return ms;
}
/** User + system CPU (ms) of the waited-for children of this process so far (/proc/self/stat). */
function childrenCpuMs() {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[13]) + Number(f[14])) * (1000 / CLK_TCK);
}
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
// perf stat counts the CPU time of a command and of every process it starts, to the
// nanosecond, whatever cgroup or namespace they move to (counters inherited across fork).
const PERF = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', '--', 'true'], { encoding: 'utf8' }).stderr?.includes('task-clock');
/** CPU time (ms) of a command and its descendants (perf stat's task-clock). */
function perfCpu(cmd, argv, env = process.env, name = cmd) {
  const out = join(work, 'perf');
  const err = openSync(errFile, 'w');
  const r = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', '-o', out, '--', cmd, ...argv], { cwd: bundle, env, stdio: ['ignore', 'ignore', err] });
  closeSync(err);
  if (r.status !== 0) throw new Error(`${name} ${argv.join(' ')} failed (perf stat): ${readFileSync(errFile, 'utf8')}`);
  // A CSV line: value,unit,event,... (task-clock in msec)
  const line = readFileSync(out, 'utf8').split('\n').find((l) => l.split(',')[2] === 'task-clock');
  if (!line) throw new Error(`perf stat wrote no task-clock for ${name} ${argv.join(' ')}`);
  return Number(line.split(',')[0]);
}
function timeCmd(cmd, argv, env = process.env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { stdio: 'ignore', env });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
/** Peak RSS in KiB of the command and the children it waited for (GNU time %M). */
function peakRss(rt, argv) {
  return gnuTimeRss(rt.bin, ['--root', stateRoot(rt), ...argv], envOf(rt), rt.name);
}
function gnuTimeRss(cmd, argv, env = process.env, name = cmd) {
  const out = join(work, 'rss');
  const err = openSync(errFile, 'w');
  const r = spawnSync(GNU_TIME, ['-f', '%M', '-o', out, cmd, ...argv], { cwd: bundle, env, stdio: ['ignore', 'ignore', err] });
  closeSync(err);
  if (r.status !== 0) throw new Error(`${name} ${argv.join(' ')} failed: ${readFileSync(errFile, 'utf8')}`);
  return Number(readFileSync(out, 'utf8').trim().split('\n').pop());
}
// Where the memory rows measure: cgroup v1's memory hierarchy, else cgroup v2's root when it
// delegates the memory controller (memory.peak needs Linux 5.19).
const MEMCG = (() => {
  const v1 = '/sys/fs/cgroup/memory';
  if (existsSync(join(v1, 'memory.max_usage_in_bytes'))) return { cgroup: join(v1, `runc-ts-bench-${process.pid}`), peak: 'memory.max_usage_in_bytes' };
  try {
    if (readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').split(/\s+/).includes('memory')) return { cgroup: `/sys/fs/cgroup/runc-ts-bench-${process.pid}`, peak: 'memory.peak' };
  } catch {}
  return undefined;
})();
/** Peak memory (MiB) charged to a new memory cgroup that the command starts in (MEMCG). */
function peakCharge(rt, argv) {
  return chargedPeak(rt.bin, ['--root', stateRoot(rt), ...argv], envOf(rt), rt.name);
}
function chargedPeak(cmd, argv, env = process.env, name = cmd) {
  mkdirSync(MEMCG.cgroup);
  try {
    const err = openSync(errFile, 'w');
    // The shell joins the cgroup and execs the command: nothing of the benchmark's is charged.
    const r = spawnSync('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', MEMCG.cgroup, cmd, ...argv], { cwd: bundle, env, stdio: ['ignore', 'ignore', err] });
    closeSync(err);
    if (r.status !== 0) throw new Error(`${name} ${argv.join(' ')} failed: ${readFileSync(errFile, 'utf8')}`);
    return Number(readFileSync(join(MEMCG.cgroup, MEMCG.peak), 'utf8')) / 2 ** 20;
  } finally {
    rmdirSync(MEMCG.cgroup);
  }
}
function stateOf(rt, id) {
  const r = spawnSync(rt.bin, ['--root', stateRoot(rt), 'state', id], { env: envOf(rt), encoding: 'utf8' });
  return r.status === 0 ? JSON.parse(r.stdout).status : 'gone';
}
function waitStopped(rt, id) {
  for (let k = 0; k < 500 && stateOf(rt, id) !== 'stopped'; k++) spawnSync('sleep', ['0.01']);
}
function parallelRuns(rt, round) {
  const t0 = process.hrtime.bigint();
  const kids = Array.from({ length: PARALLEL }, (_, k) =>
    new Promise((resolve, reject) => {
      const err = join(work, `par-${k}.err`);
      const fd = openSync(err, 'w');
      const c = spawn(rt.bin, ['--root', stateRoot(rt), 'run', `par-${round}-${k}`], { cwd: bundle, env: envOf(rt), stdio: ['ignore', 'ignore', fd] });
      closeSync(fd);
      // A failed run is counted and reported with its message, not a reason to stop.
      c.on('exit', (code) => {
        if (code !== 0) failures.push(`${rt.name}: exit ${code}: ${readFileSync(err, 'utf8').trim()}`);
        resolve();
      });
    }),
  );
  return Promise.all(kids).then(() => Number(process.hrtime.bigint() - t0) / 1e6);
}
const failures = [];

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
// The table's rows, in order: label and how the rounds are summarised.
const rows = {
  run: ['`run` /bin/true (ms)', median],
  runCpu: PERF ? ['`run` CPU, every process it starts (ms, perf stat task-clock)', median] : ['`run` CPU user+sys, incl. reaped children (ms, mean)', mean],
  csd: ['create + start + delete (ms)', median],
  state: ['`state` of a running container (ms)', median],
  stateCpu: ['`state` CPU (ms, perf stat task-clock)', median],
  exec: ['`exec` /bin/true (ms)', median],
  parallel: [`${PARALLEL} \`run\` in parallel, wall (ms)`, median],
  rss: ['peak RSS during `run` (MiB)', median],
  rssState: ['peak RSS of `state` (MiB)', median],
  mem: ['peak memory charged during `run` (MiB, memory cgroup)', median],
  memState: ['peak memory charged by `state` (MiB, memory cgroup)', median],
  docker: ['`docker run --rm --network none` busybox true (ms)', median],
};
const results = new Map(runtimes.map((rt) => [rt.name, Object.fromEntries(Object.keys(rows).map((r) => [r, []]))]));
// The empty executable runs as runc-ts's does: without JIT (native/launcher.c).
const EMPTY = 'an empty `bun build --compile` executable, no JIT';
const NO_JIT = { ...process.env, BUN_JSC_useJIT: '0' };
const floor = { 'bun -e 0': [], 'node -e 0': [], [EMPTY]: [] };
const floorRss = [];
const floorMem = [];
const floorCpu = [];
const runcFloorCpu = [];
// What the Bun executable costs before any of runc-ts's code runs: one compiled from `0`.
let emptyExe;
if (BUN) {
  emptyExe = join(work, 'empty-exe');
  writeFileSync(emptyExe + '.cjs', '0\n');
  execFileSync(BUN, ['build', '--compile', '--bytecode', '--format=cjs', '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', emptyExe + '.cjs', '--outfile', emptyExe], { stdio: 'ignore' });
}

// Peak RSS counts every page of an executable that a fault maps, and how many pages one fault
// maps depends on how the file's pages came into the page cache: those of a binary just built
// (written) sit in large folios, mapped whole. `state` peaked at 31.9 MiB from a fresh build and
// at 26.9 MiB from the same build read back from disk; runc's binary, installed long ago, 8.4
// either way. So every executable measured here starts from the disk, as after a boot: its
// pages are written out (dirty ones cannot be dropped) and dropped from the cache (GNU dd's
// nocache), and the warm-up rounds read them back (runc-ts's launcher reads its engine through
// on the first call, as it does after a boot: native/launcher.c).
function evictFromPageCache(files) {
  for (const f of files) {
    if (!f || !existsSync(f)) continue;
    spawnSync('sync', [f]);
    spawnSync('dd', [`if=${f}`, 'iflag=nocache', 'count=0', 'status=none']);
  }
}
evictFromPageCache([RUNC, realpathSync(RUNC_TS), BUN_EXE, ...['ffi.node', 'nsexec.so'].map((f) => join(root, 'dist', f)), BUN, emptyExe, process.execPath]);

const sleeper = 'bench-sleeper';
let docker, dockerVersions;
/** Undoes everything the benchmark made: the private Docker, the sleepers, the work directory. */
function cleanUp() {
  docker?.stop();
  docker = undefined;
  for (const rt of runtimes) spawnSync(rt.bin, ['--root', stateRoot(rt), 'delete', '--force', sleeper], { env: envOf(rt), stdio: 'ignore' });
  try {
    if (MEMCG) rmdirSync(MEMCG.cgroup); // left by an interrupted measurement
  } catch {}
  rmSync(work, { recursive: true, force: true });
}
// The rounds yield to the event loop once each, so that these run mid-benchmark.
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => { cleanUp(); process.exit(130); });
try {
  // A long-running container per runtime for `state` and `exec`.
  if (ROWS.includes('state') || ROWS.includes('exec')) {
    setArgs(['/bin/sleep', '100000']);
    for (const rt of runtimes) time(rt, ['run', '--detach', sleeper]);
    setArgs(['/bin/true']);
  }
  if (DOCKER) docker = startDocker({ root, runcTs: RUNC_TS, runc: RUNC, nodeEngine: runtimes.some((rt) => rt.docker === 'runc-ts-node') });
  dockerVersions = docker?.versions;
  for (let i = -WARMUP; i < N; i++) {
    const order = i % 2 ? runtimes : [...runtimes].reverse();
    for (const rt of order) {
      const r = {};
      const id = `b${i + WARMUP}`;
      if (ROWS.includes('run')) {
        const cpu0 = childrenCpuMs();
        r.run = time(rt, ['run', `${id}-r`]);
        r.runCpu = PERF ? perfCpu(rt.bin, ['--root', stateRoot(rt), 'run', `${id}-p`], envOf(rt), rt.name) : childrenCpuMs() - cpu0;
      }
      if (ROWS.includes('csd')) {
        const create = time(rt, ['create', '--bundle', bundle, `${id}-c`]);
        const start = time(rt, ['start', `${id}-c`]);
        waitStopped(rt, `${id}-c`);
        r.csd = create + start + time(rt, ['delete', `${id}-c`]);
      }
      if (ROWS.includes('state')) r.state = time(rt, ['state', sleeper]);
      if (ROWS.includes('state') && PERF) r.stateCpu = perfCpu(rt.bin, ['--root', stateRoot(rt), 'state', sleeper], envOf(rt), rt.name);
      if (ROWS.includes('exec')) r.exec = time(rt, ['exec', sleeper, '/bin/true']);
      if (ROWS.includes('parallel')) r.parallel = await parallelRuns(rt, i + WARMUP);
      if (ROWS.includes('rss') && GNU_TIME) {
        r.rss = peakRss(rt, ['run', `${id}-m`]) / 1024;
        if (ROWS.includes('state')) r.rssState = peakRss(rt, ['state', sleeper]) / 1024;
      }
      if (ROWS.includes('rss') && MEMCG) {
        r.mem = peakCharge(rt, ['run', `${id}-g`]);
        if (ROWS.includes('state')) r.memState = peakCharge(rt, ['state', sleeper]);
      }
      if (docker) r.docker = docker.run(rt.docker);
      if (i >= 0) for (const [k, v] of Object.entries(r)) results.get(rt.name)[k].push(v);
    }
    if (BUN) { const f = timeCmd(BUN, ['-e', '0']); if (i >= 0) floor['bun -e 0'].push(f); }
    if (emptyExe) {
      const f = timeCmd(emptyExe, [], NO_JIT);
      if (i >= 0) floor[EMPTY].push(f);
      if (i >= 0 && GNU_TIME && ROWS.includes('rss')) floorRss.push(gnuTimeRss(emptyExe, [], NO_JIT) / 1024);
      if (i >= 0 && MEMCG && ROWS.includes('rss')) floorMem.push(chargedPeak(emptyExe, [], NO_JIT));
      if (i >= 0 && PERF) floorCpu.push(perfCpu(emptyExe, [], NO_JIT));
    }
    if (i >= 0 && PERF) runcFloorCpu.push(perfCpu(RUNC, ['--version']));
    const f = timeCmd(process.execPath, ['-e', '0']);
    if (i >= 0) floor['node -e 0'].push(f);
    await new Promise((resolve) => setImmediate(resolve));
  }
} finally {
  cleanUp();
}

// The table: one row per measurement, a median (or mean) column and a ratio-to-runc column per runtime.
const runc = results.get('runc');
const cols = runtimes.filter((rt) => rt.name !== 'runc');
let md = `| median of ${N} rounds | ${cols.map((rt) => `${rt.name} | ×runc`).join(' | ')} | runc |\n|---|${cols.map(() => '---:|---:').join('|')}|---:|\n`;
const json = {};
for (const [key, [label, summary]] of Object.entries(rows)) {
  if (!runc[key].length) continue;
  const base = summary(runc[key]);
  json[key] = { runc: +base.toFixed(1) };
  const cells = cols.map((rt) => {
    const v = summary(results.get(rt.name)[key]);
    json[key][rt.name] = +v.toFixed(1);
    return `${v.toFixed(1)} | **${(v / base).toFixed(2)}**`;
  });
  md += `| ${label} | ${cells.join(' | ')} | ${base.toFixed(1)} |\n`;
}
const blank = cols.map(() => ' |').join('').slice(0, -1);
for (const [k, v] of Object.entries(floor)) if (v.length) md += `| floor: ${k.includes('`') ? k : `\`${k}\``} (ms) | ${median(v).toFixed(1)} |${blank}| |\n`;
if (floorRss.length) md += `| floor: peak RSS of ${EMPTY} (MiB) | ${median(floorRss).toFixed(1)} |${blank}| |\n`;
if (floorMem.length) md += `| floor: peak memory charged by ${EMPTY} (MiB) | ${median(floorMem).toFixed(1)} |${blank}| |\n`;
if (floorCpu.length) md += `| floor: CPU of ${EMPTY} (ms, perf stat) | ${median(floorCpu).toFixed(1)} |${blank}| ${median(runcFloorCpu).toFixed(1)} (\`runc --version\`) |\n`;

const sh = (cmd, a) => { try { return execFileSync(cmd, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return '?'; } };
const machine = [
  `- CPU: ${cpus()[0]?.model ?? '?'} × ${cpus().length}, memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${sh('uname', ['-r'])}`,
  `- runc: ${sh(RUNC, ['--version']).split('\n')[0]}; Node ${process.version}; Bun ${BUN ? sh(BUN, ['--version']) : 'not installed'}`,
  `- runc-ts: ${sh('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD'])}; load average at the end: ${sh('cat', ['/proc/loadavg']).split(' ').slice(0, 3).join(' ')}`,
  ...(dockerVersions ? [`- docker row: ${dockerVersions}, a private daemon pair (scripts/docker-env.sh), overlay2, runtimes registered by path (runc-ts through bin/runc-ts)`] : []),
  ...(noDocker && (!rowsArg || ROWS.includes('docker')) ? [`- docker row skipped: ${noDocker}`] : []),
  `- ${N} rounds after ${WARMUP} warm-up rounds, runtimes alternating order each round; medians${PERF ? '' : ' (CPU: means)'}; every executable dropped from the page cache first, as after a boot`,
].join('\n');
if (failures.length) md += `\n${failures.length} of the parallel runs failed:\n${[...new Set(failures)].map((f) => `- ${f}`).join('\n')}\n`;
const date = new Date().toISOString().slice(0, 10);
const out = `# Benchmark ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC\n\n\`node bench/run.mjs ${args.join(' ')}\`\n\n${machine}\n\n${md}`;
process.stdout.write(out + '\n' + JSON.stringify(json) + '\n');
if (!args.includes('--no-write')) {
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', `${date}.md`), out);
}
