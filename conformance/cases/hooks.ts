// config.md#posix-platform-hooks and runtime.md#lifecycle: every hook kind records the state it got
// on stdin, its argv and env, and its mount namespace; cases assert order, state fields, where
// each ran, and what a failing hook does.
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { eq, fail, match, ok } from '../lib/assert';
import { Case, T } from '../lib/context';
import { sleep, waitFor } from '../lib/exec';

const SPEC = 'config.md#posix-platform-hooks';
const POSTSTART_GAP = 'runc 1.1 runs poststart hooks at the end of `create`, before `start` (fixed in runc 1.2)';
const KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
type Kind = (typeof KINDS)[number];

/**
 * A hook that records what it received into `dir` (a host path; `/hooks` inside the container for
 * startContainer, which runs there) and appends its name to `dir`/order.
 */
function recorder(kind: Kind, dir: string, extra = ''): any {
  const script = `cat > ${dir}/${kind}.state; echo "$0|$1|$2" > ${dir}/${kind}.args; echo "$HOOK_KIND|$HOOK_EXTRA" > ${dir}/${kind}.env; ` +
    `readlink /proc/self/ns/mnt > ${dir}/${kind}.mnt; echo ${kind} >> ${dir}/order; ${extra}`;
  return { path: '/bin/sh', args: ['sh', '-c', script, kind, 'first arg', 'second'], env: [`HOOK_KIND=${kind}`, 'HOOK_EXTRA=x y', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin'] };
}

interface Scenario {
  id: string;
  pid: number;
  bundle: string;
  dir: string;
  containerMnt: string;
  read(kind: Kind, what: 'state' | 'args' | 'env' | 'mnt'): string;
  order(): string[];
}

/** Waits until the `kind` recorder has finished (its last step appends to `order`). */
async function hookDone(dir: string, kind: Kind): Promise<void> {
  const f = join(dir, 'order');
  if (!(await waitFor(() => existsSync(f) && readFileSync(f, 'utf8').split('\n').includes(kind), 5000))) fail(`the ${kind} hook did not run`);
}

/** Runs create → start → (exit) → delete with all six hooks recording. */
async function scenario(t: T): Promise<Scenario> {
  const dir = t.hostDir('hooks');
  const b = t.bundle((c) => {
    c.mounts.push({ destination: '/hooks', type: 'bind', source: dir, options: ['bind', 'rw'] });
    c.hooks = Object.fromEntries(KINDS.map((k) => [k, [recorder(k, k === 'startContainer' ? '/hooks' : dir)]]));
    c.annotations = { 'hook.test': 'yes' };
    c.process.args = ['sh', '-c', 'echo program >> /hooks/order; read x < /hooks/go 2>/dev/null; sleep 600'];
  });
  const { id, pid } = await t.create(b);
  const containerMnt = readlinkSync(`/proc/${pid}/ns/mnt`);
  await t.start(id);
  await hookDone(dir, 'poststart');
  await t.kill(id, 'KILL');
  await t.waitStatus(id, 'stopped');
  await t.delete(id);
  await hookDone(dir, 'poststop');
  return {
    id, pid, bundle: b.dir, dir, containerMnt,
    read: (kind, what) => {
      const f = join(dir, `${kind}.${what}`);
      if (!existsSync(f)) fail(`the ${kind} hook did not run (no ${kind}.${what}; hook files: ${readdirSync(dir).join(' ')})`);
      return readFileSync(f, 'utf8');
    },
    order: () => readFileSync(join(dir, 'order'), 'utf8').trim().split('\n'),
  };
}

function parseState(s: Scenario, kind: Kind): any {
  const text = s.read(kind, 'state');
  try {
    return JSON.parse(text);
  } catch {
    fail(`${kind} hook stdin is not the state JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
}

/** A config whose `kind` hook exits 1 (after recording); the others record. */
function failing(t: T, kind: Kind): { dir: string; b: ReturnType<T['bundle']>; marker: string } {
  const dir = t.hostDir('hooks');
  const b = t.bundle((c) => {
    c.mounts.push({ destination: '/hooks', type: 'bind', source: dir, options: ['bind', 'rw'] });
    c.hooks = Object.fromEntries(KINDS.map((k) => [k, [recorder(k, k === 'startContainer' ? '/hooks' : dir, k === kind ? 'echo hook failing >&2; exit 1' : '')]]));
    c.process.args = ['sh', '-c', 'echo ran > /hooks/program; sleep 600'];
  });
  return { dir, b, marker: join(dir, 'program') };
}

/** create must fail, leave no container, and never run the program. */
const failsCreate = (kind: Kind): Case => ({
  name: `hooks/failing ${kind} hook fails create`,
  spec: 'runtime.md#lifecycle',
  async run(t) {
    const { dir, b, marker } = failing(t, kind);
    const id = t.id();
    t.mustFail(await t.cli(['create', '--bundle', b.dir, '--pid-file', join(t.dir, 'p.pid'), id]), `create with a failing ${kind} hook`);
    ok(existsSync(join(dir, `${kind}.state`)), `the ${kind} hook ran`);
    ok(!existsSync(marker), 'the program never ran');
    eq((await t.cli(['list', '-q'])).stdout.trim(), '', 'no container left listed');
    ok((await t.cli(['state', id])).code !== 0, 'state of the failed container fails');
  },
});

export const cases: Case[] = [
  {
    name: 'hooks/all six run in lifecycle order',
    spec: 'runtime.md#lifecycle',
    runcGap: POSTSTART_GAP,
    async run(t) {
      const order = (await scenario(t)).order();
      const at = (x: string): number => {
        const i = order.indexOf(x);
        if (i < 0) fail(`${x} missing from the run order ${order.join(' → ')}`);
        return i;
      };
      for (const k of [...KINDS, 'program']) at(k);
      eq(order.length, KINDS.length + 1, `each hook runs once (order: ${order.join(' → ')})`);
      ok(at('createRuntime') < at('createContainer'), `createRuntime before createContainer (${order.join(' → ')})`);
      ok(at('prestart') < at('createContainer'), `prestart before createContainer (${order.join(' → ')})`);
      ok(at('createContainer') < at('startContainer'), `createContainer before startContainer (${order.join(' → ')})`);
      ok(at('startContainer') < at('program'), `startContainer before the program (${order.join(' → ')})`);
      ok(at('program') < at('poststart'), `poststart after the program has started (${order.join(' → ')})`);
      ok(at('poststart') < at('poststop'), `poststop last (${order.join(' → ')})`);
    },
  },
  {
    name: 'hooks/state on stdin (id, pid, status, bundle, annotations)',
    spec: 'runtime.md#state',
    runcGap: 'runc 1.1 gives createContainer and startContainer hooks the pid as seen inside the container, and runs poststart during create (status "created")',
    async run(t) {
      const s = await scenario(t);
      const want: Record<Kind, string> = {
        prestart: 'creating', createRuntime: 'creating', createContainer: 'creating',
        startContainer: 'created', poststart: 'running', poststop: 'stopped',
      };
      const errors: string[] = [];
      const check = (what: string, got: unknown, exp: unknown): void => {
        if (JSON.stringify(got) !== JSON.stringify(exp)) errors.push(`${what}: expected ${JSON.stringify(exp)}, got ${JSON.stringify(got)}`);
      };
      for (const k of KINDS) {
        const st = parseState(s, k);
        check(`${k}: state.id`, st.id, s.id);
        check(`${k}: state.bundle`, st.bundle, s.bundle);
        check(`${k}: state.ociVersion is a string`, typeof st.ociVersion, 'string');
        check(`${k}: state.annotations`, st.annotations, { 'hook.test': 'yes' });
        if (k !== 'poststop') check(`${k}: state.pid (as seen by the host)`, st.pid, s.pid);
        check(`${k}: state.status`, st.status, want[k]);
      }
      if (errors.length) fail(errors.join('; '));
    },
  },
  {
    name: 'hooks/args and env passed',
    spec: SPEC,
    async run(t) {
      const s = await scenario(t);
      for (const k of KINDS) {
        eq(s.read(k, 'args').trim(), `${k}|first arg|second`, `${k}: argv ($0|$1|$2)`);
        eq(s.read(k, 'env').trim(), `${k}|x y`, `${k}: env`);
      }
    },
  },
  {
    name: 'hooks/namespaces: runtime hooks on the host, createContainer and startContainer in the container',
    spec: SPEC,
    async run(t) {
      const s = await scenario(t);
      const host = readlinkSync('/proc/self/ns/mnt');
      for (const k of ['prestart', 'createRuntime', 'poststart', 'poststop'] as const) eq(s.read(k, 'mnt').trim(), host, `${k} runs in the runtime's mount namespace`);
      for (const k of ['createContainer', 'startContainer'] as const) eq(s.read(k, 'mnt').trim(), s.containerMnt, `${k} runs in the container's mount namespace`);
    },
  },
  failsCreate('prestart'),
  failsCreate('createRuntime'),
  failsCreate('createContainer'),
  {
    name: 'hooks/failing startContainer hook fails start and stops the container',
    spec: 'runtime.md#lifecycle',
    runcGap: 'runc 1.1 runs startContainer hooks in the container init after `start` has returned 0; the program does not run and the container stops, but no error is reported',
    async run(t) {
      const { dir, b, marker } = failing(t, 'startContainer');
      const { id, pid } = await t.create(b);
      t.defer(async () => { await t.cli(['delete', '--force', id]); });
      const r = await t.cli(['start', id]);
      await sleep(300);
      ok(existsSync(join(dir, 'startContainer.state')), 'the startContainer hook ran');
      ok(!existsSync(marker), 'the program never ran');
      let gone = false;
      try { process.kill(pid, 0); } catch { gone = true; }
      ok(gone || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')), 'the container process is stopped');
      t.mustFail(r, 'start with a failing startContainer hook');
      await t.cli(['delete', '--force', id]);
    },
  },
  {
    name: 'hooks/failing poststart hook: warning, lifecycle continues',
    spec: 'runtime.md#lifecycle',
    runcGap: `${POSTSTART_GAP}, and treats a poststart failure as an error (create fails)`,
    async run(t) {
      const { b, marker } = failing(t, 'poststart');
      const { id } = await t.create(b);
      t.must(await t.cli(['start', id]), 'start with a failing poststart hook');
      eq(await t.fileAppears(marker), 'ran\n', 'the program runs');
      eq((await t.state(id)).status, 'running', 'status');
      await t.delete(id, true);
    },
  },
  {
    name: 'hooks/failing poststop hook: warning, delete succeeds',
    spec: 'runtime.md#lifecycle',
    async run(t) {
      const { dir, b } = failing(t, 'poststop');
      const { id } = await t.create(b);
      await t.start(id);
      await t.kill(id, 'KILL');
      await t.waitStatus(id, 'stopped');
      t.must(await t.cli(['delete', id]), 'delete with a failing poststop hook');
      ok(existsSync(join(dir, 'poststop.state')), 'the poststop hook ran');
      ok((await t.cli(['state', id])).code !== 0, 'the container is gone');
    },
  },
  {
    name: 'hooks/timeout aborts a hook and fails create',
    spec: SPEC,
    async run(t) {
      const b = t.bundle((c) => {
        c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'exec sleep 20'], timeout: 1 }] };
      });
      const t0 = Date.now();
      const r = await t.cli(['create', '--bundle', b.dir, '--pid-file', join(t.dir, 'p.pid'), t.id()], { timeoutMs: 30_000 });
      t.mustFail(r, 'create with a hook exceeding its timeout');
      ok(Date.now() - t0 < 15_000, `create must give up after the 1s timeout (took ${Date.now() - t0} ms)`);
      match(r.stderr, /timed out|timeout|killed/i, 'error message');
    },
  },
];
