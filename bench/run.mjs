#!/usr/bin/env node
// Benchmark: runc-ts on each engine (Bun, the default, and Node) against runc, in the same run,
// alternating the order every round, after warm-up rounds. Medians and ratios to runc for:
//   run          `run` of a container executing /bin/true (create, start, wait, delete)
//   c+s+d        `create` + `start` + `delete` of the same (each timed, summed per round)
//   state        `state` of a running container
//   exec         `exec` of /bin/true in a running container
//   20 parallel  wall time of 20 `run` of /bin/true started at once
//   peak RSS     the largest resident set of the runtime's processes during `run` (the CLI and,
//                reaped by it, the container init before it execs) and during `state`
//                (GNU time's %M: wait4's ru_maxrss)
// plus the bare engine start-up (`bun -e 0`, `node -e 0`) as the floor runc-ts cannot go under.
// Writes the table to bench/results/<date>.md with a description of the machine.
// Usage (as root): node bench/run.mjs [rounds=15] [--rows=run,csd,state,exec,parallel,rss] [--no-node]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 15);
const WARMUP = 2;
const PARALLEL = 20;
const ALL_ROWS = ['run', 'csd', 'state', 'exec', 'parallel', 'rss'];
const rowsArg = args.find((a) => a.startsWith('--rows='));
const ROWS = rowsArg ? rowsArg.slice(7).split(',') : ALL_ROWS;
const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));
const RUNC_TS = join(root, 'bin', 'runc-ts');
const BUN_EXE = join(root, 'dist', 'runc-ts-bun');
const BUN = ['x64', 'aarch64'].map((a) => join(root, 'node_modules', '@oven', `bun-linux-${a}`, 'bin', 'bun')).find((p) => existsSync(p));
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
const GNU_TIME = ['/usr/bin/time'].find((p) => existsSync(p));
if (process.getuid() !== 0) throw new Error('bench/run.mjs: run as root');
if (!RUNC) throw new Error('bench/run.mjs: runc (the reference) is not installed');

/** Each runtime: a name, its binary and the environment that selects the engine. */
const runtimes = [
  ...(existsSync(BUN_EXE) ? [{ name: 'runc-ts (bun)', bin: RUNC_TS, env: { RUNC_TS_ENGINE: 'bun' } }] : []),
  ...(args.includes('--no-node') ? [] : [{ name: 'runc-ts (node)', bin: RUNC_TS, env: { RUNC_TS_ENGINE: 'node' } }]),
  { name: 'runc', bin: RUNC, env: {} },
];

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
function timeCmd(cmd, argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
/** Peak RSS in KiB of the command and the children it waited for (GNU time %M). */
function peakRss(rt, argv) {
  const out = join(work, 'rss');
  const err = openSync(errFile, 'w');
  const r = spawnSync(GNU_TIME, ['-f', '%M', '-o', out, rt.bin, '--root', stateRoot(rt), ...argv], { cwd: bundle, env: envOf(rt), stdio: ['ignore', 'ignore', err] });
  closeSync(err);
  if (r.status !== 0) throw new Error(`${rt.name} ${argv.join(' ')} failed: ${readFileSync(errFile, 'utf8')}`);
  return Number(readFileSync(out, 'utf8').trim().split('\n').pop());
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
const results = new Map(runtimes.map((rt) => [rt.name, Object.fromEntries(ALL_ROWS.map((r) => [r, []]).concat([['rssState', []]]))]));
const floor = { 'bun -e 0': [], 'node -e 0': [] };

// A long-running container per runtime for `state` and `exec`.
const sleeper = 'bench-sleeper';
if (ROWS.includes('state') || ROWS.includes('exec')) {
  setArgs(['/bin/sleep', '100000']);
  for (const rt of runtimes) time(rt, ['run', '--detach', sleeper]);
  setArgs(['/bin/true']);
}

try {
  for (let i = -WARMUP; i < N; i++) {
    const order = i % 2 ? runtimes : [...runtimes].reverse();
    for (const rt of order) {
      const r = {};
      const id = `b${i + WARMUP}`;
      if (ROWS.includes('run')) r.run = time(rt, ['run', `${id}-r`]);
      if (ROWS.includes('csd')) {
        const create = time(rt, ['create', '--bundle', bundle, `${id}-c`]);
        const start = time(rt, ['start', `${id}-c`]);
        waitStopped(rt, `${id}-c`);
        r.csd = create + start + time(rt, ['delete', `${id}-c`]);
      }
      if (ROWS.includes('state')) r.state = time(rt, ['state', sleeper]);
      if (ROWS.includes('exec')) r.exec = time(rt, ['exec', sleeper, '/bin/true']);
      if (ROWS.includes('parallel')) r.parallel = await parallelRuns(rt, i + WARMUP);
      if (ROWS.includes('rss') && GNU_TIME) {
        r.rss = peakRss(rt, ['run', `${id}-m`]) / 1024;
        if (ROWS.includes('state')) r.rssState = peakRss(rt, ['state', sleeper]) / 1024;
      }
      if (i >= 0) for (const [k, v] of Object.entries(r)) results.get(rt.name)[k].push(v);
    }
    if (BUN) { const f = timeCmd(BUN, ['-e', '0']); if (i >= 0) floor['bun -e 0'].push(f); }
    const f = timeCmd(process.execPath, ['-e', '0']);
    if (i >= 0) floor['node -e 0'].push(f);
  }
} finally {
  for (const rt of runtimes) spawnSync(rt.bin, ['--root', stateRoot(rt), 'delete', '--force', sleeper], { env: envOf(rt), stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}

// The table: one row per measurement, a median column and a ratio-to-runc column per runtime.
const labels = {
  run: '`run` /bin/true (ms)',
  csd: 'create + start + delete (ms)',
  state: '`state` of a running container (ms)',
  exec: '`exec` /bin/true (ms)',
  parallel: `${PARALLEL} \`run\` in parallel, wall (ms)`,
  rss: 'peak RSS during `run` (MiB)',
  rssState: 'peak RSS of `state` (MiB)',
};
const runc = results.get('runc');
const cols = runtimes.filter((rt) => rt.name !== 'runc');
let md = `| median of ${N} rounds | ${cols.map((rt) => `${rt.name} | ×runc`).join(' | ')} | runc |\n|---|${cols.map(() => '---:|---:').join('|')}|---:|\n`;
const json = {};
for (const key of Object.keys(labels)) {
  if (!runc[key].length) continue;
  const base = median(runc[key]);
  json[key] = { runc: +base.toFixed(1) };
  const cells = cols.map((rt) => {
    const v = median(results.get(rt.name)[key]);
    json[key][rt.name] = +v.toFixed(1);
    return `${v.toFixed(1)} | **${(v / base).toFixed(2)}**`;
  });
  md += `| ${labels[key]} | ${cells.join(' | ')} | ${base.toFixed(1)} |\n`;
}
for (const [k, v] of Object.entries(floor)) if (v.length) md += `| floor: \`${k}\` (ms) | ${median(v).toFixed(1)} |${cols.map(() => ' |').join('').slice(0, -1)}| |\n`;

const sh = (cmd, a) => { try { return execFileSync(cmd, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return '?'; } };
const machine = [
  `- CPU: ${cpus()[0]?.model ?? '?'} × ${cpus().length}, memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${sh('uname', ['-r'])}`,
  `- runc: ${sh(RUNC, ['--version']).split('\n')[0]}; Node ${process.version}; Bun ${BUN ? sh(BUN, ['--version']) : 'not installed'}`,
  `- runc-ts: ${sh('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD'])}; load average at the end: ${sh('cat', ['/proc/loadavg']).split(' ').slice(0, 3).join(' ')}`,
  `- ${N} rounds after ${WARMUP} warm-up rounds, runtimes alternating order each round; medians`,
].join('\n');
if (failures.length) md += `\n${failures.length} of the parallel runs failed:\n${[...new Set(failures)].map((f) => `- ${f}`).join('\n')}\n`;
const date = new Date().toISOString().slice(0, 10);
const out = `# Benchmark ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC\n\n\`node bench/run.mjs ${args.join(' ')}\`\n\n${machine}\n\n${md}`;
process.stdout.write(out + '\n' + JSON.stringify(json) + '\n');
if (!args.includes('--no-write')) {
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', `${date}.md`), out);
}
