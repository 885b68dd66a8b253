// A launch that fails at any step leaves nothing behind (no state, cgroup, mount, process) and
// reports the failure that happened (issue #10 "one launch path", #13 defect 4). The failures
// are injected at each named step of create and exec (RUNC_TS_FAULT, runc-ts only), and real
// ones the kernel or the file system produces are run against runc-ts and runc alike.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { makeRuntime, runtimeNames, type Runtime } from '../helpers/runtimes';
import { LAUNCH_STEPS } from '../../src/libcontainer/launch';
import { prctl, waitpid } from '../../src/libcontainer/sys/libc';
import { sleep } from '../helpers/runtimes';

// Every process a runtime leaves behind is reparented to us: "nothing left" is checkable.
prctl(36 /* PR_SET_CHILD_SUBREAPER */, 1, 0, 0, 0);

/**
 * Our live children other than `except` and the ones we had before (tsx's esbuild service).
 * As the subreaper we reap the zombies first, as a container's reaper (a shim) would: a
 * killed pid-namespace init finishes exiting only when its namespace's zombies are reaped.
 */
function orphans(except: number[] = []): number[] {
  const end = Date.now() + 3000;
  for (;;) {
    const zombies = children(true);
    for (const z of zombies) waitpid(z, Buffer.alloc(4), 1 /* WNOHANG */);
    const live = children(false).filter((p) => !except.includes(p) && !BASELINE.includes(p));
    if ((!live.length && !zombies.length) || Date.now() > end) return live;
    sleep(20);
  }
}

function liveChildren(): number[] {
  return children(false);
}

function children(zombies: boolean): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === process.pid && (f[0] === 'Z') === zombies) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

const BASELINE = liveChildren();
const CG_ROOT = '/sys/fs/cgroup';
let seq = 0;

/** A bundle whose container sleeps, in a cgroup of its own name. */
function bundleWith(mutate?: (c: any) => void): Bundle & { cgroup: string } {
  const cgroup = `/runc-ts-launch-${process.pid}-${++seq}`;
  const b = makeBundle((c) => {
    c.process.args = ['sleep', '300'];
    c.linux.cgroupsPath = cgroup;
    mutate?.(c);
  });
  return Object.assign(b, { cgroup });
}

/** What is left of container `id`: [] when nothing. */
function leftovers(rt: Runtime, id: string, b: Bundle & { cgroup: string }, keep: number[] = []): string[] {
  const left: string[] = [];
  if (existsSync(join(rt.root, id))) left.push(`state directory ${join(rt.root, id)}`);
  if (rt.run(['list', '-q']).stdout.split('\n').includes(id)) left.push('listed by list');
  for (const h of readdirSync(CG_ROOT)) if (existsSync(join(CG_ROOT, h, b.cgroup))) left.push(`cgroup ${h}${b.cgroup}`);
  for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) if (l.includes(rt.root) || l.includes(b.dir)) left.push(`mount ${l}`);
  for (const p of orphans(keep)) left.push(`process ${p}: ${readFileSync(`/proc/${p}/status`, "latin1").split("\n").slice(0, 3).join(" ")}`);
  return left;
}

// 1. Injected: a failure right after each step of create.
if (runtimeNames().includes('runc-ts')) {
  const t = suite('launch faults [runc-ts]');
  let rt: Runtime;
  t.before(() => {
    rt = makeRuntime('runc-ts');
  });
  t.after(() => rt.cleanup());

  for (const step of LAUNCH_STEPS) {
    t(`create: a failure after "${step}" is the error reported, and nothing is left`, () => {
      const b = bundleWith((c) => {
        c.hooks = { poststop: [{ path: '/bin/true' }] };
      });
      const id = `fault-${step}`;
      try {
        const r = rt.run(['create', '--bundle', b.dir, '--pid-file', join(b.dir, 'pid'), id], { env: { ...process.env, RUNC_TS_FAULT: `create:${step}` } });
        assert.is.not(r.status, 0, `create must fail after ${step}`);
        assert.match(r.stderr, `fault injected after create step ${step}`);
        assert.not.match(r.stderr, /EBADF|cleanup after failure/);
        assert.equal(leftovers(rt, id, b), []);
        assert.not.ok(existsSync(join(b.dir, 'pid')), 'no pid file');
      } finally {
        rt.run(['delete', '--force', id]);
        b.remove();
      }
    });
  }

  // 2. Injected: exec into a running container; the container stays as it was.
  for (const step of ['spawn', 'cgroup-apply', 'pid-file'] as const) {
    t(`exec: a failure after "${step}" is the error reported, and no process is left`, () => {
      const b = bundleWith();
      const id = `fault-exec-${step}`;
      try {
        assert.is(rt.detached(['run', '-d', '--bundle', b.dir, id]).status, 0);
        const initPid = JSON.parse(rt.run(['state', id]).stdout).pid;
        const before = readFileSync(join(CG_ROOT, 'pids', b.cgroup, 'cgroup.procs'), 'utf8');
        const r = rt.run(['exec', '--detach', '--pid-file', join(b.dir, 'exec.pid'), id, 'sleep', '301'], { env: { ...process.env, RUNC_TS_FAULT: `exec:${step}` } });
        assert.is(r.status, 255, r.stderr);
        assert.match(r.stderr, `fault injected after exec step ${step}`);
        assert.is(readFileSync(join(CG_ROOT, 'pids', b.cgroup, 'cgroup.procs'), 'utf8'), before, 'only the init in the cgroup');
        assert.equal(orphans([initPid]), [], 'no process of the exec left');
        assert.not.ok(existsSync(join(b.dir, 'exec.pid')), 'no pid file');
        assert.is(JSON.parse(rt.run(['state', id]).stdout).status, 'running');
      } finally {
        rt.run(['delete', '--force', id]);
        b.remove();
      }
      assert.equal(leftovers(rt, id, b), []);
    });
  }
  t.run();
}

// 3. Real failures after the init is spawned: the kernel's or the file system's error is the
// one reported (not EBADF), and nothing is left.
for (const name of runtimeNames()) {
  const t = suite(`launch failures [${name}]`);
  let rt: Runtime;
  t.before(() => {
    rt = makeRuntime(name);
  });
  t.after(() => rt.cleanup());

  const cases: { what: string; mutate: (c: any) => void; args?: string[]; error: RegExp }[] = [
    // The kernel takes 1 and clamps it to 2; runc (and runc-ts) read it back and refuse.
    { what: 'linux.resources.cpu.shares 1', mutate: (c) => (c.linux.resources.cpu = { shares: 1 }), error: /cpu-shares is 2/ },
    // A device the blkio controller does not know: the write fails with ENODEV.
    { what: 'a blkio throttle for a device that does not exist', mutate: (c) => (c.linux.resources.blockIO = { throttleReadBpsDevice: [{ major: 250, minor: 250, rate: 1000 }] }), error: /no such device/i },
    { what: '--pid-file in a directory that does not exist', mutate: () => {}, args: ['--pid-file', '/nonexistent/dir/pid'], error: /\/nonexistent\/dir/ },
  ];
  for (const c of cases) {
    for (const cmd of ['create', 'run'] as const) {
      t(`${cmd}${cmd === 'run' ? ' -d' : ''} with ${c.what}: the real error, nothing left`, () => {
        const b = bundleWith(c.mutate);
        const id = `fail-${cmd}-${++seq}`;
        try {
          const r = rt.detached([cmd, ...(cmd === 'run' ? ['-d'] : []), '--bundle', b.dir, ...(c.args ?? []), id]);
          assert.is.not(r.status, 0);
          assert.match(r.stderr, c.error);
          assert.not.match(r.stderr, /EBADF/);
          assert.equal(leftovers(rt, id, b), []);
        } finally {
          rt.run(['delete', '--force', id]);
          b.remove();
        }
      });
    }
  }

  t('exec --pid-file in a directory that does not exist: exit 255, the exec\'d process does not stay', () => {
    const b = bundleWith();
    const id = `fail-exec-${++seq}`;
    try {
      assert.is(rt.detached(['run', '-d', '--bundle', b.dir, id]).status, 0);
      const initPid = JSON.parse(rt.run(['state', id]).stdout).pid;
      const r = rt.run(['exec', '--detach', '--pid-file', '/nodir/p', id, 'sleep', '302']);
      assert.is(r.status, 255, r.stderr);
      assert.match(r.stderr, /\/nodir/);
      assert.is(readFileSync(join(CG_ROOT, 'pids', b.cgroup, 'cgroup.procs'), 'utf8').trim(), String(initPid), 'only the init in the cgroup');
      assert.equal(orphans([initPid]), []);
    } finally {
      rt.run(['delete', '--force', id]);
      b.remove();
    }
  });
  t.run();
}
