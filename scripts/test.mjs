#!/usr/bin/env node
// Runs every uvu test file in its own node process (integration tests start real containers,
// so isolation between files matters) and ends with the plain line "N passed, N failed, N skipped".
// A skipped case is a skip, never a pass: uvu's test.skip, with its reason on a `SKIP <title>:
// <reason>` line (test/helpers/skip.ts); the run lists every reason at the end.
// Usage: node scripts/test.mjs [unit|integration|reliability|docker|kubernetes|conformance|guest|node-engine|<file>...]
// bin/runc-ts runs on Bun by default; `node-engine` runs NODE_ENGINE_FILES again with
// RUNC_TS_ENGINE=node (runc-ts only), proving the Node path. The whole suite includes it.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const suites = ['unit', 'integration', 'reliability', 'docker', 'kubernetes'];

function walk(dir) {
  let out = [];
  let names = [];
  try { names = readdirSync(dir).sort(); } catch { return out; }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (n.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const NODE_ENGINE_FILES = ['lifecycle', 'exec', 'live', 'state', 'security-escapes'].map((n) => join(root, 'test', 'integration', `${n}.test.ts`));
const nodeEngine = { RUNC_TS_ENGINE: 'node', RUNTIMES: 'runc-ts' };

const args = process.argv.slice(2);
/** [file, extra environment] */
let files = [];
const add = (list, env = {}) => (files = files.concat(list.map((f) => [f, env])));
if (args.length === 0) for (const s of suites) add(walk(join(root, 'test', s)));
if (args.length === 0 || args.includes('node-engine')) add(NODE_ENGINE_FILES, nodeEngine);
const isDir = (p) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};
// A suite name, a directory of test files (e.g. test/reliability), or one file.
for (const a of args.filter((x) => !['conformance', 'guest', 'node-engine'].includes(x))) add(suites.includes(a) ? walk(join(root, 'test', a)) : isDir(resolve(process.cwd(), a)) ? walk(resolve(process.cwd(), a)) : [resolve(process.cwd(), a)]);

let passed = 0, failed = 0, skipped = 0;
const failures = [];
const skipReasons = [];
for (const [f, env] of files) {
  const name = relative(root, f) + (env.RUNC_TS_ENGINE ? ` (RUNC_TS_ENGINE=${env.RUNC_TS_ENGINE})` : '');
  process.stdout.write(`\n# ${name}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', f], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  process.stdout.write(r.stdout || '');
  for (const l of (r.stdout || '').matchAll(/^\s*SKIP (.+)$/gm)) skipReasons.push(`${name}: ${l[1]}`);
  const m = /Total:\s+(\d+)[\s\S]*?Passed:\s+(\d+)[\s\S]*?Skipped:\s+(\d+)/.exec((r.stdout || '').replace(/\x1b\[[0-9;]*m/g, ''));
  if (m) {
    const total = +m[1], pass = +m[2], skip = +m[3];
    // uvu's Total counts the tests that ran; skipped ones are not in it.
    passed += pass; skipped += skip; failed += total - pass;
    if (total - pass > 0 || r.status !== 0) failures.push(name);
    if (r.status !== 0 && total - pass === 0) failed += 1;
  } else {
    failed += 1;
    failures.push(`${name} (no uvu summary; exit ${r.status}${r.signal ? ' ' + r.signal : ''})`);
  }
}
// The whole suite (no arguments) ends with the conformance report: both runtimes, report.md.
if (args.length === 0 || args.includes('conformance')) {
  process.stdout.write('\n# conformance (runc and runc-ts) -> conformance/report.md\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'conformance/run.ts', '--report'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(r.stdout || '');
  const totals = [...(r.stdout || '').matchAll(/^# (runc-ts|runc): (\d+) passed, (\d+) failed(?:, (\d+) skipped)?/gm)];
  // A non-zero exit that the failed cases explain is counted through them, not once more.
  if (totals.length < 2 || (r.status !== 0 && !totals.some((m) => +m[3] > 0))) {
    failed += 1;
    failures.push(`conformance (exit ${r.status})`);
  }
  // TAP: `ok N - name # SKIP reason` (runc's expected failures are `# TODO` and counted apart).
  for (const l of (r.stdout || '').matchAll(/^ok \d+ (.+?) # SKIP (.+)$/gm)) skipReasons.push(`conformance: ${l[1]}: ${l[2]}`);
  for (const m of totals) {
    passed += +m[2];
    failed += +m[3];
    skipped += +(m[4] ?? 0);
    if (+m[3] > 0) failures.push(`conformance: ${m[1]} failed ${m[3]}`);
  }
}
// The guest VM suite (test/guest: cgroup v2 with systemd as PID 1) when QEMU is installed.
if (args.length === 0 || args.includes('guest')) {
  if (spawnSync('sh', ['-c', 'command -v qemu-system-x86_64']).status !== 0) {
    process.stdout.write('\n# guest: skipped (qemu-system-x86_64 not installed; scripts/install.sh installs it)\n');
    skipped += 1;
    skipReasons.push('guest: qemu-system-x86_64 not installed (scripts/install.sh installs it)');
  } else {
    process.stdout.write('\n# guest (test/guest/run.mjs: Debian 12 VM, systemd, cgroup v2)\n');
    const r = spawnSync(process.execPath, ['test/guest/run.mjs'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    process.stdout.write(r.stdout || '');
    for (const l of (r.stdout || '').matchAll(/^\s*SKIP (.+)$/gm)) skipReasons.push(`guest: ${l[1]}`);
    const m = [...(r.stdout || '').matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)].pop();
    passed += m ? +m[1] : 0;
    failed += m ? +m[2] : 1;
    skipped += m?.[3] ? +m[3] : 0;
    if (!m || +m[2] > 0 || r.status !== 0) failures.push(`guest (exit ${r.status})`);
  }
}
if (skipReasons.length) process.stdout.write(`\nSkipped:\n${skipReasons.map((r) => '  ' + r).join('\n')}\n`);
if (failures.length) process.stdout.write(`\nFailed files:\n${failures.map((f) => '  ' + f).join('\n')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed ? 1 : 0);
