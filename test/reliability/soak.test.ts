// Soak (issue #13): create/start/kill/delete cycles of one bundle. Before and after (and every
// tenth of the way), the counts of what a container holds on the host — state root entries,
// host mounts under the root or bundle, cgroups, processes, fds — are equal, and the memory of
// what runs does not grow: the CLI's peak RSS (create and delete, via /usr/bin/time) and the
// waiting init's RSS in the last tenth of the cycles stay within the first tenth's.
// Bounded: 50 cycles; RELIABILITY_FULL=1: 1000.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { Subject, figure, inventory, leftovers, runtimeNames, size, type Inventory } from './lib';

const TIME = ['/usr/bin/time'].find((p) => existsSync(p));
const CYCLES = size(50, 1000);

const counts = (i: Inventory) => ({ stateEntries: i.stateEntries.length, mounts: i.mounts.length, cgroups: i.cgroups.length, processes: i.processes.length, fds: i.fds.length });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Peak RSS in kB from /usr/bin/time's last stderr line ("maxrss=N"), and the stderr without it. */
function peak(stderr: string): { kb: number; rest: string } {
  const m = /maxrss=(\d+)\s*$/.exec(stderr);
  return { kb: m ? Number(m[1]) : 0, rest: m ? stderr.slice(0, m.index) : stderr };
}

function vmRss(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

for (const name of runtimeNames()) {
  test(`${name}: ${CYCLES} create/start/kill/delete cycles: nothing accumulates, no memory grows`, () => {
    const s = new Subject(name);
    const where = { root: s.root, bundle: s.bundle.dir, tag: s.tag };
    const prefix = TIME ? [TIME, '-f', 'maxrss=%M'] : [];
    const createRss: number[] = [];
    const deleteRss: number[] = [];
    const initRss: number[] = [];
    const drift: string[] = [];
    try {
      const before = counts(inventory(where));
      const t0 = Date.now();
      for (let i = 0; i < CYCLES; i++) {
        const id = s.id('soak');
        const c = s.run(['create', '-b', s.bundle.dir, id], { prefix });
        const cp = peak(c.stderr);
        assert.is(c.status, 0, `cycle ${i}: create: ${cp.rest}`);
        createRss.push(cp.kb);
        const st = s.state(id);
        assert.is(st?.status, 'created', `cycle ${i}`);
        initRss.push(vmRss(st.pid));
        assert.is(s.run(['start', id]).status, 0, `cycle ${i}: start`);
        const k = s.run(['kill', id, 'KILL']);
        assert.is(k.status, 0, `cycle ${i}: kill: ${k.stderr}`);
        const d = s.run(['delete', '--force', id], { prefix });
        const dp = peak(d.stderr);
        assert.is(d.status, 0, `cycle ${i}: delete: ${dp.rest}`);
        deleteRss.push(dp.kb);
        if ((i + 1) % Math.max(1, Math.floor(CYCLES / 10)) === 0) {
          const now = counts(inventory(where));
          if (JSON.stringify(now) !== JSON.stringify(before)) drift.push(`after cycle ${i + 1}: ${JSON.stringify(now)} (${leftovers(inventory(where))})`);
        }
      }
      const after = counts(inventory(where));
      const tenth = Math.max(3, Math.floor(CYCLES / 10));
      const growth = (xs: number[]) => ({ first: median(xs.slice(0, tenth)), last: median(xs.slice(-tenth)) });
      const g = { create: growth(createRss), delete: growth(deleteRss), init: growth(initRss) };
      figure(`soak ${name}: ${CYCLES} cycles in ${((Date.now() - t0) / 1000).toFixed(1)} s; before ${JSON.stringify(before)} after ${JSON.stringify(after)}; median RSS kB first/last tenth: ${JSON.stringify(g)}`);
      assert.equal(drift, [], 'counts drift during the soak');
      assert.equal(after, before, `left behind: ${leftovers(inventory(where))}`);
      for (const [what, v] of Object.entries(g)) {
        if (!v.first) continue; // /usr/bin/time missing: nothing measured
        // Page cache and ASLR move RSS by a few hundred kB; growth per cycle would show as more.
        assert.ok(v.last <= v.first * 1.1 + 2048, `${what} RSS grew: ${v.first} kB -> ${v.last} kB`);
      }
    } finally {
      s.cleanup();
    }
  });
}

test.run();
