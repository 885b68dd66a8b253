// Hooks as runc runs them: where (cwd, namespaces) each of the six kinds runs, and in-container
// hooks that ignore the state on their stdin. Run against runc-ts and runc alike.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { makeRuntime, runtimeNames, type Runtime } from '../helpers/runtimes';

const KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
type Kind = (typeof KINDS)[number];

/** A hook that records its cwd, namespaces and the state it was given into `<dir>/<kind>`. */
function probeHook(kind: Kind, dir: string) {
  const script = `state=$(cat); { echo "cwd=$(pwd)"; for n in mnt pid uts; do echo "$n=$(readlink /proc/self/ns/$n)"; done; echo "state=$state"; } > ${dir}/${kind}`;
  return [{ path: '/bin/sh', args: ['sh', '-c', script] }];
}

function parseProbe(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

const hostNs = (n: string) => readlinkSync(`/proc/self/ns/${n}`);

for (const name of runtimeNames()) {
  const t = suite(`hooks [${name}]`);
  let rt: Runtime;
  let b: Bundle | undefined;
  let out: string | undefined;

  t.before(() => {
    rt = makeRuntime(name);
  });
  t.after(() => {
    rt.cleanup();
  });
  t.after.each(() => {
    b?.remove();
    b = undefined;
    if (out) rmSync(out, { recursive: true, force: true });
    out = undefined;
  });

  t('each kind runs where runc runs it: runtime hooks in the bundle, createContainer in the rootfs, startContainer in process.cwd', () => {
    out = mkdtempSync(join(tmpdir(), 'runc-ts-hookprobe-'));
    chmodSync(out, 0o777); // startContainer runs as the container's user
    const dir = out;
    b = makeBundle((c) => {
      c.process.args = ['true'];
      c.process.cwd = '/tmp';
      c.process.user = { uid: 1000, gid: 1000 };
      // startContainer runs after pivot_root: it writes through this bind mount.
      c.mounts.push({ destination: '/probe', type: 'bind', source: dir, options: ['rbind', 'rw'] });
      c.hooks = Object.fromEntries(KINDS.map((k) => [k, probeHook(k, k === 'startContainer' ? '/probe' : dir)]));
    });
    const id = `hookcwd-${process.pid}`;
    // The caller's cwd is '/' for every command: a hook in the bundle got there by the runtime.
    const c = rt.run(['create', '--bundle', b.dir, id], { cwd: '/', stdio: ['ignore', 'ignore', 'pipe'] });
    assert.is(c.status, 0, c.stderr);
    const s = rt.run(['start', id], { cwd: '/' });
    assert.is(s.status, 0, s.stderr);
    const d = rt.run(['delete', '--force', id], { cwd: '/' });
    assert.is(d.status, 0, d.stderr);

    const p = Object.fromEntries(KINDS.map((k) => [k, existsSync(join(dir, k)) ? parseProbe(join(dir, k)) : undefined])) as Record<Kind, Record<string, string> | undefined>;
    for (const k of KINDS) assert.ok(p[k], `${k} hook ran`);
    for (const k of ['prestart', 'createRuntime', 'poststart'] as const) {
      assert.is(p[k]!.cwd, b.dir, `${k}: cwd is the bundle`);
      assert.is(p[k]!.mnt, hostNs('mnt'), `${k}: runtime mount namespace`);
      assert.is(p[k]!.pid, hostNs('pid'), `${k}: runtime pid namespace`);
    }
    // runc: `delete` runs poststop where it was called.
    assert.is(p.poststop!.cwd, '/', 'poststop: the caller of delete\'s cwd');
    assert.is(p.poststop!.mnt, hostNs('mnt'));
    // In the container: its mount, pid and uts namespaces; createContainer before pivot_root,
    // in the rootfs (mounts set up); startContainer in process.cwd.
    assert.is(p.createContainer!.cwd, join(b.dir, 'rootfs'), 'createContainer: cwd is the container root');
    assert.is(p.startContainer!.cwd, '/tmp', 'startContainer: cwd is process.cwd');
    for (const k of ['createContainer', 'startContainer'] as const) {
      for (const n of ['mnt', 'pid', 'uts']) assert.is.not(p[k]![n], hostNs(n), `${k}: container ${n} namespace`);
    }
    assert.is(p.createContainer!.mnt, p.startContainer!.mnt);
    const states = Object.fromEntries(KINDS.map((k) => [k, JSON.parse(p[k]!.state)]));
    for (const k of KINDS) {
      assert.is(states[k].id, id, `${k}: state.id`);
      assert.is(states[k].bundle, b.dir, `${k}: state.bundle`);
    }
    assert.is(states.createContainer.status, 'creating');
    assert.is(states.startContainer.status, 'created');
  });

  t('in-container hooks that never read the state on stdin do not fail (20 runs)', () => {
    b = makeBundle((c) => {
      c.process.args = ['true'];
      // `true` exits at once: the runtime's write of the state to its stdin races the exit.
      const quick = [{ path: '/bin/true' }];
      c.hooks = { prestart: quick, createRuntime: quick, createContainer: quick, startContainer: quick, poststart: quick, poststop: quick };
    });
    const failures: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = rt.run(['run', '--bundle', b.dir, `hookpipe-${process.pid}-${i}`], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
      if (r.status !== 0) failures.push(`run ${i}: status ${r.status} signal ${r.signal}: ${r.stderr.trim()}`);
    }
    assert.equal(failures, []);
    assert.is(rt.run(['list', '-q']).stdout.trim(), '', 'nothing left');
  });

  t('a failing, timed-out or missing hook fails run promptly with one line and leaves nothing', () => {
    const cases = [
      { kind: 'createContainer', hook: { path: '/bin/sh', args: ['sh', '-c', 'exit 3'] }, error: /exit status 3/ },
      { kind: 'startContainer', hook: { path: '/bin/sh', args: ['sh', '-c', 'exit 3'] }, error: /exit status 3/ },
      // runc: "hook ran past specified timeout of 1.0s"
      { kind: 'createContainer', hook: { path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }, error: /timed out after 1s|ran past specified timeout of 1\.0s/ },
      { kind: 'startContainer', hook: { path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }, error: /timed out after 1s|ran past specified timeout of 1\.0s/ },
      // A hook that cannot be executed at all; also on the runtime side (execa).
      { kind: 'createContainer', hook: { path: '/nonexistent/hook', args: ['hook'] }, error: /\/nonexistent\/hook: .*no such file or directory/ },
      { kind: 'prestart', hook: { path: '/nonexistent/hook', args: ['hook'] }, error: /\/nonexistent\/hook: .*no such file or directory/ },
    ];
    for (const [i, c] of cases.entries()) {
      b?.remove();
      b = makeBundle((conf) => {
        conf.process.args = ['true'];
        conf.hooks = { [c.kind]: [c.hook] };
      });
      const started = Date.now();
      const r = rt.run(['run', '--bundle', b.dir, `hookfail-${process.pid}-${i}`], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
      const what = `${c.kind} ${c.hook.args.join(' ')}`;
      assert.is(r.signal, null, `${what}: run did not hang`);
      assert.is.not(r.status, 0, `${what}: run fails`);
      assert.match(r.stderr, c.error, what);
      assert.is(r.stderr.trim().split('\n').length, 1, `${what}: one error line: ${r.stderr}`);
      assert.ok(Date.now() - started < 10_000, `${what}: promptly`);
      assert.is(rt.run(['list', '-q']).stdout.trim(), '', `${what}: nothing left`);
    }
  });

  t.run();
}
