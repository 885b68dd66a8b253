// Runs cases sequentially against one runtime, each under a timeout, each followed by the hygiene
// check and a forced clean-up; reports TAP lines as it goes.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CaseFailure, CaseSkip } from './assert';
import { BundleFactory } from './bundle';
import { Case, T } from './context';
import { cgroupsNamed, mountsUnder, processesRootedUnder, removeCgroup, unmountUnder } from './hygiene';
import { Runtime } from './runtime';

export type Status = 'pass' | 'fail' | 'skip' | 'xfail' | 'xpass';

export interface Result {
  name: string;
  spec: string;
  status: Status;
  reason?: string;
  ms: number;
}

export interface Totals {
  passed: number;
  failed: number;
  skipped: number;
}

export function totals(results: Result[]): Totals {
  return {
    passed: results.filter((r) => r.status === 'pass' || r.status === 'xpass').length,
    failed: results.filter((r) => r.status === 'fail').length,
    skipped: results.filter((r) => r.status === 'skip' || r.status === 'xfail').length,
  };
}

/**
 * The runner's exit status: 1 when any runtime of the run failed a case (in --report mode that
 * includes runc-ts, not only the reference named on the closing line), else 0.
 */
export function exitStatus(runs: ReadonlyArray<{ name: string; results: Result[] }>): { status: 0 | 1; failing: string[] } {
  const failing = runs.filter((r) => totals(r.results).failed > 0).map((r) => r.name);
  return { status: failing.length ? 1 : 0, failing };
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim().slice(0, 600);

export function tapLine(n: number, r: Result): string {
  const desc = `${n} - ${r.name}`;
  switch (r.status) {
    case 'pass':
      return `ok ${desc}`;
    case 'xpass':
      return `ok ${desc} # TODO expected to fail (${oneLine(r.reason ?? '')}) but passed`;
    case 'skip':
      return `ok ${desc} # SKIP ${oneLine(r.reason ?? '')}`;
    case 'xfail':
      return `not ok ${desc} # TODO ${oneLine(r.reason ?? '')}`;
    case 'fail':
      return `not ok ${desc} # ${oneLine(r.reason ?? 'failed')}`;
  }
}

async function withTimeout<V>(p: Promise<V>, ms: number, onTimeout: () => void): Promise<V> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, rej) => {
    timer = setTimeout(() => {
      onTimeout();
      rej(new CaseFailure(`case timed out after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** Forced clean-up after a case; returns what the case (or the runtime) had left behind. */
async function cleanUp(t: T, caseDir: string): Promise<string[]> {
  const left: string[] = [];
  t.aborted = false;
  for (const fn of t.cleanups.reverse()) {
    try {
      await fn();
    } catch {
      /* best effort */
    }
  }
  // The case's own containers are the suite's to remove (a failing case stops half-way); what the
  // runtime still lists after `delete --force` is a leftover.
  for (const id of t.ids) await t.cli(['delete', '--force', id], { timeoutMs: 15_000 });
  const listed = await t.cli(['list', '-q'], { timeoutMs: 15_000 });
  const live = listed.code === 0 ? listed.stdout.split('\n').filter(Boolean) : [];
  if (live.length) left.push(`containers still listed after delete --force: ${live.join(' ')}`);
  for (const id of live) await t.cli(['delete', '--force', id], { timeoutMs: 15_000 });
  let stateEntries: string[] = [];
  try {
    stateEntries = readdirSync(t.rt.root).filter((e) => t.ids.includes(e));
  } catch {
    /* root not created */
  }
  if (stateEntries.length) {
    left.push(`state entries left in --root: ${stateEntries.join(' ')}`);
    for (const e of stateEntries) rmSync(join(t.rt.root, e), { recursive: true, force: true });
  }
  const procs = processesRootedUnder(caseDir);
  if (procs.length) {
    left.push(`container processes still running: ${procs.join(' ')}`);
    for (const p of procs) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  const cgs = cgroupsNamed(t.idPrefix + '-');
  if (cgs.length) {
    left.push(`cgroups left: ${cgs.join(' ')}`);
    for (const c of cgs) removeCgroup(c);
  }
  const mounts = mountsUnder(caseDir);
  if (mounts.length) {
    left.push(`mounts left: ${mounts.join(' ')}`);
    unmountUnder(caseDir);
  }
  rmSync(caseDir, { recursive: true, force: true });
  return left;
}

let caseSeq = 0;

export async function runSuite(rt: Runtime, cases: Case[], suiteDir: string, out: (line: string) => void): Promise<Result[]> {
  const bundles = new BundleFactory(suiteDir);
  const results: Result[] = [];
  out(`TAP version 13`);
  out(`# runtime: ${rt.name} (${rt.bin}) ${rt.version}`);
  out(`1..${cases.length}`);
  let n = 0;
  for (const c of cases) {
    n++;
    const t0 = Date.now();
    const res: Result = { name: c.name, spec: c.spec, status: 'pass', ms: 0 };
    const envSkip = c.skipIf?.();
    if (envSkip) {
      res.status = 'skip';
      res.reason = envSkip;
    } else {
      const caseDir = join(suiteDir, `case-${rt.name}-${n}`);
      mkdirSync(caseDir, { recursive: true, mode: 0o755 });
      const t = new T(rt, caseDir, `cf${process.pid}c${++caseSeq}`, bundles);
      try {
        await withTimeout(c.run(t), c.timeoutMs ?? 60_000, () => { t.aborted = true; });
      } catch (e) {
        if (e instanceof CaseSkip) {
          res.status = 'skip';
          res.reason = e.message;
        } else {
          res.status = 'fail';
          res.reason = e instanceof CaseFailure ? e.message : `error: ${(e as Error)?.stack ?? String(e)}`;
        }
      }
      const left = await cleanUp(t, caseDir);
      const clean = (x: string): string =>
        x.split(suiteDir).join('$TMP').replace(/\$TMP\/state-[^/\s]+/g, '$ROOT').replace(/cf\d+c\d+/g, '<id>').replace(/time="[^"]*" level=(\w+) msg=/g, '$1: ');
      if (res.reason) res.reason = clean(res.reason);
      left.splice(0, left.length, ...left.map(clean));
      if (left.length && res.status !== 'fail') {
        res.status = 'fail';
        res.reason = `left behind: ${left.join('; ')}`;
      } else if (left.length) {
        res.reason += ` (and left behind: ${left.join('; ')})`;
      }
      if (c.runcGap && rt.isRunc11) {
        if (res.status === 'fail') {
          res.status = 'xfail';
          res.reason = `known runc 1.1 gap: ${c.runcGap} [observed: ${res.reason}]`;
        } else if (res.status === 'pass') {
          res.status = 'xpass';
          res.reason = c.runcGap;
        }
      }
    }
    res.ms = Date.now() - t0;
    results.push(res);
    out(tapLine(n, res));
  }
  return results;
}
