// --systemd-cgroup on this development host, which has no systemd: both runtimes refuse it with
// runc's message and leave nothing behind. Then runc-ts's whole lifecycle against a stand-in
// for systemd's D-Bus API (test/fixtures/mock-systemd.cjs on a private bus): the unit calls it
// makes from separate CLI invocations (state saved and loaded), with the cgroupfs part real
// (this hybrid host takes the v1 path of the driver; the v2 path and real systemd are the guest
// suite's). runc only talks to the real systemd, so that part is runc-ts only.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../helpers/bundle';
import { haveDbusDaemon as haveDaemon, startMockSystemd, type MockSystemd } from '../helpers/mock-systemd';
import { makeRuntime, runtimeNames, type Runtime } from '../helpers/runtimes';

const hostHasSystemd = existsSync('/run/systemd/system');

for (const name of runtimeNames()) {
  const t = suite(`systemd cgroup driver without systemd [${name}]`);
  let rt: Runtime;
  t.before(() => {
    rt = makeRuntime(name);
  });
  t.after(() => rt.cleanup());
  (hostHasSystemd ? t.skip : t)('refused with runc\'s message; no state, no cgroup', () => {
    const id = `nosd-${name}-${process.pid}`;
    const b = makeBundle((c) => {
      c.linux.cgroupsPath = `rtsnosd.slice:${name}:${id}`;
    });
    try {
      const r = rt.run(['--systemd-cgroup', 'create', '--bundle', b.dir, id], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: '' } });
      assert.is(r.status, 1);
      assert.match(r.stderr, /systemd not running on this host, cannot use systemd cgroups manager/);
      assert.not.ok(existsSync(join(rt.root, id)), 'no state dir');
      assert.not.ok(existsSync('/sys/fs/cgroup/memory/rtsnosd.slice'), 'no cgroup');
    } finally {
      b.remove();
    }
  });
  t.run();
}

const mockSuite = suite('systemd cgroup driver against a stand-in systemd [runc-ts]');
let mock: MockSystemd | undefined;
let rt: Runtime;
const id = `sdmock-${process.pid}`;
const unit = `runc-ts-${id}.scope`;
const SLICE = 'rtsmock.slice';

const callsFor = (u: string, count: number) => mock!.callsFor(u, count);
const props = (c: any) => Object.fromEntries(c.body[2].map(([n, v]: any) => [n, v.value]));
const v1 = (ctrl: string, file: string) => readFileSync(`/sys/fs/cgroup/${ctrl}/${SLICE}/${unit}/${file}`, 'utf8').trim();

mockSuite.before(async () => {
  rt = makeRuntime('runc-ts');
  if (haveDaemon && runtimeNames().includes('runc-ts')) mock = await startMockSystemd();
});

mockSuite.after(() => {
  rt.run(['--systemd-cgroup', 'delete', '--force', id]);
  rt.cleanup();
  mock?.stop();
  // The slice's directories: systemd's on a real host, ours to remove here.
  for (const ctrl of readdirSync('/sys/fs/cgroup')) {
    try {
      rmdirSync(`/sys/fs/cgroup/${ctrl}/${SLICE}`);
    } catch {}
  }
});

const mt = haveDaemon && runtimeNames().includes('runc-ts') && !hostHasSystemd ? mockSuite : mockSuite.skip;
if (!haveDaemon) console.log('# skip: dbus-daemon is not installed (Debian package dbus)');

mt('create, update, pause, delete from separate CLI calls: the unit calls and the cgroupfs part', async () => {
  const b = makeBundle((c) => {
    c.process.args = ['sleep', '300'];
    c.linux.cgroupsPath = `${SLICE}:runc-ts:${id}`;
    c.linux.resources = { ...c.linux.resources, memory: { limit: 64 << 20 }, pids: { limit: 20 }, cpu: { shares: 512 } };
    c.annotations = { 'org.systemd.property.TimeoutStopSec': '7' };
  });
  try {
    const r = rt.detached(['--systemd-cgroup', 'create', '--bundle', b.dir, id]);
    assert.is(r.status, 0, r.stderr);
    const pid = JSON.parse(rt.run(['state', id]).stdout).pid;
    const [start, set] = await callsFor(unit, 2);
    assert.is(start.member, 'StartTransientUnit');
    const sp = props(start);
    assert.equal([sp.Slice, sp.PIDs, sp.Delegate, sp.TimeoutStopUSec], [SLICE, [pid], true, '7000000']);
    assert.is(set.member, 'SetUnitProperties');
    assert.equal([props(set).MemoryLimit, props(set).TasksMax, props(set).CPUShares, props(set).DevicePolicy], [String(64 << 20), '20', '512', 'strict']);
    // The stand-in moves nothing: the pid is in the unit's directories through our cgroupfs join.
    assert.ok(v1('memory', 'cgroup.procs').split('\n').includes(String(pid)));
    assert.is(v1('memory', 'memory.limit_in_bytes'), String(64 << 20));
    assert.equal(JSON.parse(readFileSync(join(rt.root, id, 'state.json'), 'utf8')).cgroup.systemd, { id, unit, slice: SLICE });

    const u = rt.run(['--systemd-cgroup', 'update', '--memory', String(128 << 20), id]);
    assert.is(u.status, 0, u.stderr);
    const upd = (await callsFor(unit, 3))[2];
    assert.equal([upd.member, props(upd).MemoryLimit], ['SetUnitProperties', String(128 << 20)]);
    assert.is(v1('memory', 'memory.limit_in_bytes'), String(128 << 20));

    assert.is(rt.run(['pause', id]).status, 0);
    assert.is(v1('freezer', 'freezer.state'), 'FROZEN');
    assert.is(rt.run(['resume', id]).status, 0);

    const d = rt.run(['--systemd-cgroup', 'delete', '--force', id]);
    assert.is(d.status, 0, d.stderr);
    assert.equal((await callsFor(unit, 5)).slice(3).map((c) => c.member), ['StopUnit', 'ResetFailedUnit']);
    assert.not.ok(existsSync(`/sys/fs/cgroup/memory/${SLICE}/${unit}`), 'cgroup removed');
  } finally {
    b.remove();
  }
});

mt('a unit systemd fails to start: create fails with systemd\'s answer and leaves nothing', () => {
  const bad = `fail-${process.pid}`;
  const b = makeBundle((c) => {
    // The stand-in fails units whose name starts with "fail-".
    c.linux.cgroupsPath = `${SLICE}:fail:${process.pid}`;
  });
  try {
    const r = rt.run(['--systemd-cgroup', 'create', '--bundle', b.dir, bad]);
    assert.is(r.status, 1);
    assert.match(r.stderr, new RegExp(`error creating systemd unit \`fail-${process.pid}\\.scope\`: got \`failed\``));
    assert.not.ok(existsSync(join(rt.root, bad)), 'no state dir');
    assert.not.ok(existsSync(`/sys/fs/cgroup/memory/${SLICE}/fail-${process.pid}.scope`), 'no cgroup');
  } finally {
    b.remove();
  }
});

mockSuite.run();

if (runtimeNames().includes('runc')) {
  const r = suite('systemd cgroup driver against a stand-in systemd [runc]');
  r.skip('runc 1.1 talks to systemd only when /run/systemd/system exists: the guest suite runs it', () => {});
  r.run();
}
