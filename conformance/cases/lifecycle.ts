// runtime.md#state, #lifecycle, #operations: create/start/state/kill/delete/run/list, their state
// transitions, and the errors the wrong transitions must produce.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq, fail, match, ok } from '../lib/assert';
import { Bundle } from '../lib/bundle';
import { Case, T } from '../lib/context';
import { sleep, waitFor } from '../lib/exec';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    // A zombie is not alive.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

/** A bundle whose process marks that it ran (in a bound host dir), then runs `then`. */
function marking(t: T, then = 'sleep 600', extra?: (c: any) => void): { b: Bundle; marker: string } {
  const out = t.hostDir('out');
  const b = t.bundle((c) => {
    c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['bind', 'rw'] });
    c.process.args = ['sh', '-c', `echo ran > /out/marker; ${then}`];
    extra?.(c);
  });
  return { b, marker: join(out, 'marker') };
}

export const cases: Case[] = [
  {
    name: 'lifecycle/state after create',
    spec: 'runtime.md#state',
    async run(t) {
      const { b, marker } = marking(t, 'sleep 600', (c) => { c.annotations = { 'org.example.key': 'value', 'conformance': 'yes' }; });
      const { id, pid } = await t.create(b);
      const s = await t.state(id);
      ok(typeof s.ociVersion === 'string' && s.ociVersion.length > 0, `state.ociVersion (${JSON.stringify(s.ociVersion)})`);
      eq(s.id, id, 'state.id');
      eq(s.status, 'created', 'state.status');
      eq(s.pid, pid, 'state.pid (vs --pid-file)');
      ok(alive(pid), `the container process ${pid} is alive`);
      eq(s.bundle, b.dir, 'state.bundle (absolute path)');
      eq(s.annotations, { 'org.example.key': 'value', 'conformance': 'yes' }, 'state.annotations');
      await sleep(200);
      ok(!existsSync(marker), 'the user program must not run before start');
      await t.delete(id, true);
    },
  },
  {
    name: 'lifecycle/start runs the program: running',
    spec: 'runtime.md#start',
    async run(t) {
      const { b, marker } = marking(t);
      const { id, pid } = await t.create(b);
      await t.start(id);
      eq(await t.fileAppears(marker), 'ran\n', 'the program ran');
      const s = await t.state(id);
      eq(s.status, 'running', 'state.status after start');
      eq(s.pid, pid, 'state.pid after start');
      await t.delete(id, true);
    },
  },
  {
    name: 'lifecycle/program exit: stopped, state kept until delete',
    spec: 'runtime.md#lifecycle',
    async run(t) {
      const { b } = marking(t, 'exit 0');
      const { id, pid } = await t.create(b);
      await t.start(id);
      await t.waitStatus(id, 'stopped');
      ok(!alive(pid), 'the container process is gone');
      const listed = await t.cli(['list', '-q']);
      ok(listed.stdout.split('\n').includes(id), 'a stopped container is still listed');
      await t.delete(id);
      const after = await t.cli(['state', id]);
      ok(after.code !== 0, 'state after delete must fail');
      ok(!(await t.cli(['list', '-q'])).stdout.split('\n').includes(id), 'not listed after delete');
    },
  },
  {
    name: 'lifecycle/kill with signal names and numbers',
    spec: 'runtime.md#kill',
    async run(t) {
      const b = t.bundle((c) => {
        c.process.args = ['sh', '-c', "trap 'echo got-USR1' USR1; trap 'echo got-USR2' USR2; trap 'echo got-HUP' HUP; trap 'echo got-TERM; exit 3' TERM; echo ready; while :; do sleep 0.05; done"];
      });
      const { id, res } = await t.create(b);
      await t.start(id);
      const out = (): string => readFileSync(res.stdoutFile, 'utf8');
      const expect = async (line: string): Promise<void> => {
        if (!(await waitFor(() => out().includes(line), 5000))) fail(`container never printed ${line}; output: ${JSON.stringify(out())}`);
      };
      await expect('ready');
      await t.kill(id, 'USR1');
      await expect('got-USR1');
      await t.kill(id, 'SIGUSR2');
      await expect('got-USR2');
      await t.kill(id, '1');
      await expect('got-HUP');
      await t.kill(id, '15');
      await expect('got-TERM');
      await t.waitStatus(id, 'stopped');
      await t.delete(id);
    },
  },
  {
    name: 'lifecycle/kill KILL stops a running container',
    spec: 'runtime.md#kill',
    async run(t) {
      const { b } = marking(t);
      const { id, pid } = await t.create(b);
      await t.start(id);
      await t.kill(id, 'KILL');
      await t.waitStatus(id, 'stopped');
      ok(!alive(pid), 'process gone after SIGKILL');
      await t.delete(id);
    },
  },
  {
    name: 'lifecycle/kill a created container',
    spec: 'runtime.md#kill',
    async run(t) {
      const { b, marker } = marking(t);
      const { id, pid } = await t.create(b);
      await t.kill(id, 'KILL');
      await t.waitStatus(id, 'stopped');
      ok(!alive(pid), 'process gone');
      ok(!existsSync(marker), 'the program never ran');
      await t.delete(id);
    },
  },
  {
    name: 'lifecycle/delete removes the container, its process and cgroups',
    spec: 'runtime.md#delete',
    async run(t) {
      const { b } = marking(t, 'exit 0');
      const { id, pid } = await t.create(b);
      const cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /:pids:/.test(l))?.split(':')[2];
      await t.start(id);
      await t.waitStatus(id, 'stopped');
      await t.delete(id);
      ok((await t.cli(['state', id])).code !== 0, 'state fails after delete');
      eq((await t.cli(['list', '-q'])).stdout.trim(), '', 'list after delete');
      if (cg) ok(!existsSync(join('/sys/fs/cgroup/pids', cg)), `pids cgroup ${cg} removed`);
    },
  },
  {
    name: 'lifecycle/delete --force of a running container',
    spec: 'runtime.md#delete',
    async run(t) {
      const { b } = marking(t);
      const { id, pid } = await t.create(b);
      await t.start(id);
      await t.delete(id, true);
      ok(await waitFor(() => !alive(pid), 5000), 'the process is killed');
      ok((await t.cli(['state', id])).code !== 0, 'state fails after delete --force');
    },
  },
  {
    name: 'lifecycle/run -d detaches; run returns the exit code',
    spec: 'runtime.md#lifecycle',
    async run(t) {
      const { b, marker } = marking(t);
      const r = await t.run(b, { detach: true });
      eq(r.code, 0, `run -d exit (${r.stderr.trim()})`);
      eq(await t.fileAppears(marker), 'ran\n', 'program ran');
      eq((await t.state(r.id)).status, 'running', 'status after run -d');
      await t.delete(r.id, true);
      const r2 = await t.run(t.bundle((c) => { c.process.args = ['sh', '-c', 'exit 7']; }));
      eq(r2.code, 7, 'exit code of a foreground run');
      ok((await t.cli(['state', r2.id])).code !== 0, 'a foreground run deletes its container');
    },
  },
  {
    name: 'lifecycle/list shows created and running containers',
    spec: 'runtime.md#state',
    async run(t) {
      const a = await t.create(marking(t).b);
      const c = await t.create(t.bundle((cc) => { cc.process.args = ['sleep', '600']; }));
      await t.start(c.id);
      const ids = (await t.cli(['list', '-q'])).stdout.split('\n').filter(Boolean).sort();
      eq(ids, [a.id, c.id].sort(), 'list -q');
      const full = (await t.cli(['list'])).stdout;
      match(full, new RegExp(`^${a.id}\\s+${a.pid}\\s+created`, 'm'), 'list row of the created container');
      match(full, new RegExp(`^${c.id}\\s+${c.pid}\\s+running`, 'm'), 'list row of the running container');
      await t.delete(a.id, true);
      await t.delete(c.id, true);
    },
  },
  {
    name: 'lifecycle/errors: start twice',
    spec: 'runtime.md#start',
    async run(t) {
      const { id } = await t.create(marking(t).b);
      await t.start(id);
      t.mustFail(await t.cli(['start', id]), 'start of a running container');
      eq((await t.state(id)).status, 'running', 'status unchanged');
      await t.delete(id, true);
    },
  },
  {
    name: 'lifecycle/errors: start a stopped container',
    spec: 'runtime.md#start',
    async run(t) {
      const { id } = await t.create(marking(t, 'exit 0').b);
      await t.start(id);
      await t.waitStatus(id, 'stopped');
      t.mustFail(await t.cli(['start', id]), 'start of a stopped container');
      await t.delete(id);
    },
  },
  {
    name: 'lifecycle/errors: delete a running container without --force',
    spec: 'runtime.md#delete',
    async run(t) {
      const { id, pid } = await t.create(marking(t).b);
      await t.start(id);
      t.mustFail(await t.cli(['delete', id]), 'delete of a running container');
      ok(alive(pid), 'the container keeps running');
      eq((await t.state(id)).status, 'running', 'status unchanged');
      await t.delete(id, true);
    },
  },
  {
    name: 'lifecycle/errors: create with an existing id',
    spec: 'runtime.md#create',
    async run(t) {
      const first = await t.create(marking(t).b);
      const r = await t.cli(['create', '--bundle', t.bundle().dir, '--pid-file', join(t.dir, 'dup.pid'), first.id]);
      t.mustFail(r, 'create with an id in use');
      const s = await t.state(first.id);
      eq([s.status, s.pid], ['created', first.pid], 'the existing container is untouched');
      await t.delete(first.id, true);
    },
  },
  {
    name: 'lifecycle/errors: unknown container id',
    spec: 'runtime.md#operations',
    async run(t) {
      const id = t.id();
      for (const args of [['state', id], ['start', id], ['kill', id, 'KILL'], ['delete', id]]) t.mustFail(await t.cli(args), args.join(' '));
    },
  },
  {
    name: 'lifecycle/errors: invalid container id',
    spec: 'runtime.md#create',
    async run(t) {
      const b = t.bundle();
      for (const bad of ['../escape', 'a/b', '']) {
        t.mustFail(await t.cli(['create', '--bundle', b.dir, bad]), `create with id ${JSON.stringify(bad)}`);
      }
      eq((await t.cli(['list', '-q'])).stdout.trim(), '', 'list');
    },
  },
];
