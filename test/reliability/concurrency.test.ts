// Concurrency (issue #13): commands racing on one state root, as an orchestrator issues them.
// Same-id creates have exactly one winner; parallel creates of distinct ids all work; `list`
// and `state` during churn always answer (a container mid-create or mid-delete is either shown
// or not, never an error or a crash); kill racing delete, and parallel execs, end correct.
// After each: nothing left (state root, mounts, cgroups, processes, fds).
// Bounded sizes in CI; RELIABILITY_FULL=1 for the sizes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Subject, figure, leftovers, oneLineError, runtimeNames, size, type Result } from './lib';

let commands = 0;
const all = (ps: Promise<Result>[]) => {
  commands += ps.length;
  return Promise.all(ps);
};

function mustCreate(s: Subject, id: string, start = false) {
  const r = s.run(['create', '-b', s.bundle.dir, id]);
  assert.is(r.status, 0, `create ${id}: ${r.stderr}`);
  if (start) assert.is(s.run(['start', id]).status, 0, `start ${id}`);
}

function assertClean(s: Subject) {
  assert.is(leftovers(s.inventory()), '', 'left behind');
}

for (const name of runtimeNames()) {
  test(`${name}: 20 creates of one id at once: exactly one winner, the others a one-line error`, async () => {
    const s = new Subject(name);
    try {
      const id = s.id('same');
      const rs = await all(Array.from({ length: 20 }, () => s.spawn(['create', '-b', s.bundle.dir, id])));
      const winners = rs.filter((r) => r.status === 0);
      assert.is(winners.length, 1, `winners: ${winners.length}; errors: ${rs.filter((r) => r.status !== 0).map((r) => r.stderr.trim()).join(' | ')}`);
      for (const r of rs.filter((r) => r.status !== 0)) {
        assert.is(oneLineError(r), undefined, r.stderr);
        assert.match(r.stderr, /exist/i);
      }
      assert.is(s.state(id)?.status, 'created');
      assert.is(s.run(['start', id]).status, 0);
      assert.is(s.run(['delete', '--force', id]).status, 0);
      assertClean(s);
    } finally {
      s.cleanup();
    }
  });

  test(`${name}: parallel creates of distinct ids all work, then parallel deletes leave nothing`, async () => {
    const s = new Subject(name);
    const n = size(12, 50);
    try {
      const ids = Array.from({ length: n }, () => s.id('par'));
      const rs = await all(ids.map((id) => s.spawn(['create', '-b', s.bundle.dir, id])));
      const failed = rs.map((r, i) => (r.status === 0 ? '' : `${ids[i]}: exit ${r.status} ${r.stderr.trim()}`)).filter(Boolean);
      assert.equal(failed, [], 'every create succeeds');
      const l = s.list();
      assert.type(l, 'object', String(l));
      assert.equal((l as any).ids.sort(), [...ids].sort());
      assert.ok((l as any).states.every((st: any) => st.status === 'created'), 'all created');
      const starts = await all(ids.map((id) => s.spawn(['start', id])));
      assert.ok(starts.every((r) => r.status === 0), starts.map((r) => r.stderr.trim()).filter(Boolean).join(' | '));
      const dels = await all(ids.map((id) => s.spawn(['delete', '--force', id])));
      assert.ok(dels.every((r) => r.status === 0), dels.map((r) => r.stderr.trim()).filter(Boolean).join(' | '));
      assertClean(s);
      figure(`concurrency ${name}: ${n} parallel creates, starts, deletes`);
    } finally {
      s.cleanup();
    }
  });

  test(`${name}: list and state during churn always answer truthfully`, async () => {
    const s = new Subject(name);
    const workers = size(3, 6);
    const rounds = size(3, 10);
    try {
      const stable = s.id('stable');
      mustCreate(s, stable, true);
      let churning = true;
      const churnIds: string[] = [];
      const churn = async () => {
        for (let i = 0; i < rounds; i++) {
          const id = s.id('churn');
          churnIds.push(id);
          for (const args of [['create', '-b', s.bundle.dir, id], ['start', id], ['kill', id, 'KILL'], ['delete', '--force', id]]) {
            const r = await s.spawn(args);
            commands++;
            // kill of a container that already stopped may fail; nothing else may.
            if (r.status !== 0 && args[0] !== 'kill') throw new Error(`${args.join(' ')}: ${r.stderr.trim()}`);
          }
        }
      };
      const problems: string[] = [];
      const observe = async () => {
        while (churning) {
          const [l, st] = await all([s.spawn(['list', '--format', 'json']), s.spawn(['state', stable])]);
          if (l.status !== 0) problems.push(`list: exit ${l.status}: ${l.stderr.trim()}`);
          else {
            const states = JSON.parse(l.stdout.trim() || '[]') ?? [];
            if (!states.some((x: any) => x.id === stable && x.status === 'running')) problems.push(`list lost the running container: ${l.stdout.slice(0, 300)}`);
            for (const x of states) if (!['creating', 'created', 'running', 'stopped', 'paused'].includes(x.status)) problems.push(`list: status ${x.status}`);
          }
          if (st.status !== 0 || JSON.parse(st.stdout).status !== 'running') problems.push(`state ${stable}: exit ${st.status} ${st.stdout.slice(0, 100)} ${st.stderr.trim()}`);
        }
      };
      const obs = observe();
      try {
        await Promise.all(Array.from({ length: workers }, churn));
      } finally {
        churning = false;
        await obs;
      }
      assert.equal(problems, []);
      assert.is(s.run(['delete', '--force', stable]).status, 0);
      assertClean(s);
    } finally {
      s.cleanup();
    }
  });

  test(`${name}: kill racing delete --force: the container goes, nothing left`, async () => {
    const s = new Subject(name);
    const n = size(6, 20);
    try {
      const ids = Array.from({ length: n }, () => s.id('kd'));
      for (const id of ids) mustCreate(s, id, true);
      const rs = await all(ids.flatMap((id) => [s.spawn(['kill', id, 'KILL']), s.spawn(['delete', '--force', id])]));
      for (let i = 0; i < rs.length; i += 2) {
        const [k, d] = [rs[i]!, rs[i + 1]!];
        assert.is(d.status, 0, `delete -f ${ids[i / 2]}: ${d.stderr}`);
        // kill may lose the race ("not running" / "does not exist"), with a one-line error.
        if (k.status !== 0) assert.is(oneLineError(k), undefined, k.stderr);
      }
      const l = s.list();
      assert.equal(typeof l === 'string' ? l : l.ids, []);
      assertClean(s);
    } finally {
      s.cleanup();
    }
  });

  test(`${name}: 20 concurrent execs in one container all run and exit, nothing left`, async () => {
    const s = new Subject(name);
    try {
      const id = s.id('ex');
      mustCreate(s, id, true);
      const rs = await all(Array.from({ length: 20 }, (_, i) => s.spawn(['exec', id, 'sh', '-c', `echo exec-${i}; exit ${i % 3}`])));
      rs.forEach((r, i) => {
        assert.is(r.status, i % 3, `exec ${i}: exit ${r.status}: ${r.stderr}`);
        assert.is(r.stdout.trim(), `exec-${i}`);
      });
      const ps = s.run(['ps', id]);
      assert.is(ps.status, 0, ps.stderr);
      assert.not.match(ps.stdout, /sh -c|echo/, 'no exec left running');
      assert.is(s.run(['delete', '--force', id]).status, 0);
      assertClean(s);
    } finally {
      s.cleanup();
    }
  });
}

test.after(() => figure(`concurrency: ${commands} commands run in parallel`));

test.run();
