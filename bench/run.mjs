#!/usr/bin/env node
// Start-up benchmark: `run` of a container executing /bin/true, runc-ts against runc, in the
// same run, alternating, reporting medians and the ratio. Also bare `node -e 0` (the floor
// every runc-ts command pays) and the split create/start/delete times.
// Usage: node bench/run.mjs [iterations=30]   (as root)
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 30);
const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));
const RUNC_TS = join(root, 'bin', 'runc-ts');
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

const work = mkdtempSync(join(tmpdir(), 'runc-ts-bench-'));
const bundle = join(work, 'bundle');
mkdirSync(join(bundle, 'rootfs', 'bin'), { recursive: true });
copyFileSync(BUSYBOX, join(bundle, 'rootfs', 'bin', 'busybox'));
symlinkSync('busybox', join(bundle, 'rootfs', 'bin', 'true'));
execFileSync(RUNC_TS, ['spec', '--bundle', bundle]);
const cfgPath = join(bundle, 'config.json');
const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
cfg.process.terminal = false;
cfg.process.args = ['/bin/true'];
writeFileSync(cfgPath, JSON.stringify(cfg));

// stderr goes to a file: a created container inherits it, and a pipe would keep spawnSync
// waiting until the container exits.
const errFile = join(work, 'stderr');
function time(cmd, args) {
  const err = openSync(errFile, 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: bundle, stdio: ['ignore', 'ignore', err] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  closeSync(err);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${readFileSync(errFile, 'utf8')}`);
  return ms;
}
const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

const runtimes = [['runc-ts', RUNC_TS], ...(RUNC ? [['runc', RUNC]] : [])];
const results = Object.fromEntries(runtimes.map(([n]) => [n, { run: [], create: [], start: [], delete: [] }]));
const nodeFloor = [];
try {
  for (let i = -2; i < N; i++) {
    for (const [name, bin] of (i % 2 ? runtimes : [...runtimes].reverse())) {
      const stateRoot = join(work, `state-${name}`);
      const id = `bench-${i + 2}`;
      const r = { run: time(bin, ['--root', stateRoot, 'run', id]) };
      r.create = time(bin, ['--root', stateRoot, 'create', '--bundle', bundle, `${id}-c`]);
      r.start = time(bin, ['--root', stateRoot, 'start', `${id}-c`]);
      // wait for the container to stop before delete
      for (let k = 0; k < 200; k++) {
        const s = spawnSync(bin, ['--root', stateRoot, 'state', `${id}-c`], { encoding: 'utf8' });
        if (s.stdout.includes('"stopped"')) break;
      }
      r.delete = time(bin, ['--root', stateRoot, 'delete', `${id}-c`]);
      if (i >= 0) for (const k of Object.keys(r)) results[name][k].push(r[k]);
    }
    const f = time(process.execPath, ['-e', '0']);
    if (i >= 0) nodeFloor.push(f);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const row = (name) => ['run', 'create', 'start', 'delete'].map((k) => median(results[name][k]).toFixed(1).padStart(8)).join('');
console.log(`iterations: ${N} (alternating order; medians in ms)`);
console.log(`${'runtime'.padEnd(10)}${'run'.padStart(8)}${'create'.padStart(8)}${'start'.padStart(8)}${'delete'.padStart(8)}`);
for (const [n] of runtimes) console.log(`${n.padEnd(10)}${row(n)}`);
console.log(`node -e 0 floor: ${median(nodeFloor).toFixed(1)} ms`);
if (RUNC) {
  const ratio = median(results['runc-ts'].run) / median(results['runc'].run);
  console.log(`ratio run(runc-ts)/run(runc): ${ratio.toFixed(2)}`);
  console.log(JSON.stringify({ iterations: N, median_ms: Object.fromEntries(runtimes.map(([n]) => [n, Object.fromEntries(['run', 'create', 'start', 'delete'].map((k) => [k, +median(results[n][k]).toFixed(1)]))])), node_floor_ms: +median(nodeFloor).toFixed(1), ratio_run: +ratio.toFixed(2) }));
}
