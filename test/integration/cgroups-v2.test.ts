// The v2 manager on the REAL cgroup2 hierarchy. On this hybrid host that is /sys/fs/cgroup/unified:
// no resource controllers there (so enableControllers:false: the host's subtree_control is never
// touched), but process moves, cgroup.freeze and eBPF device filters all work.
import { test } from 'uvu';
import { skip } from '../helpers/skip';
import * as assert from 'uvu/assert';
import { closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CgroupManager, DEFAULT_DEVICE_RULES, deviceFilterProgram, findHierarchies, newManager } from '../../src/cgroups/index';
import { loadDeviceProgram, queryDevicePrograms } from '../../src/cgroups/devices/bpf';
import { freshPath, killAll, teardown, procCgroup, startShell, startSleep, sweep, waitFor } from '../fixtures/cgroups/real';

const v2 = findHierarchies('/sys/fs/cgroup').find((h) => h.v2);
const enabled = process.getuid?.() === 0 && !!v2;
const root = v2?.mountPoint ?? '';
let m: CgroupManager | undefined;
const mk = () => (m = newManager({ id: 'ctr', cgroupsPath: freshPath(), mountRoot: root, enableControllers: false }));
const dir = () => m!.paths()[''];
const rd = (file: string) => readFileSync(join(dir(), file), 'utf8');

test.after.each(async () => {
  const cur = m;
  m = undefined;
  await teardown(cur);
});

test.after(() => {
  assert.equal(sweep(), [], 'no cgroup directory left behind');
});

if (!enabled) {
  skip(test, 'cgroup v2 manager on the real hierarchy', 'needs root and a cgroup2 mount');
} else {
  test('v2 manager on the cgroup2 mount; apply moves the process', () => {
    const c = startSleep();
    mk();
    assert.is(m!.version, 2);
    m!.apply(c.pid);
    const name = dir().slice(root.length);
    assert.match(procCgroup(c.pid), new RegExp(`^0::${name}$`, 'm'));
    assert.equal(m!.pids(), [c.pid]);
  });

  test('freeze/thaw through cgroup.freeze and cgroup.events; a frozen task makes no progress', async () => {
    // /proc shows v2-frozen tasks as S (they wait in the freezer trap), so progress is the proof.
    const c = startShell('while :; do echo tick; sleep 0.02; done');
    mk().apply(c.pid);
    c.go();
    await waitFor(() => c.out().length > 20, 3000, 'ticks');
    m!.freeze();
    assert.match(rd('cgroup.events'), /^frozen 1$/m);
    assert.ok(m!.isFrozen());
    await new Promise((r) => setTimeout(r, 50));
    const before = c.out().length;
    await new Promise((r) => setTimeout(r, 300));
    assert.is(c.out().length, before, 'no output while frozen');
    m!.thaw();
    assert.match(rd('cgroup.events'), /^frozen 0$/m);
    assert.not.ok(m!.isFrozen());
    await waitFor(() => c.out().length > before, 3000, 'ticks after thaw');
  });

  test('the kernel verifier accepts the generated device programs', () => {
    for (const rules of [[], DEFAULT_DEVICE_RULES, [{ allow: true, access: 'rwm' }, { allow: false, type: 'b' as const, major: 8, access: 'w' }]]) {
      const fd = loadDeviceProgram(deviceFilterProgram(rules));
      assert.ok(fd > 2);
      closeSync(fd);
    }
  });

  test('devices: the eBPF filter is attached, enforced, and replaced on update', async () => {
    const c = startShell('if true < /dev/zero; then echo zero-ok; else echo zero-denied; fi; if true > /dev/null; then echo null-ok; fi');
    mk().apply(c.pid);
    m!.set({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
    m!.set({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] });
    const fd = openSync(dir(), constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      assert.is(queryDevicePrograms(fd).length, 1, 'the old program was detached');
    } finally {
      closeSync(fd);
    }
    c.go();
    await c.exited;
    assert.match(c.out(), /zero-denied/);
    assert.match(c.out(), /null-ok/);
  });

  test('stats: pids counted from cgroup.procs, cpu from cpu.stat', () => {
    const c = startSleep();
    mk().apply(c.pid);
    const s = m!.stats();
    assert.is(s.pids.current, 1);
    const usec = Number(/^usage_usec (\d+)$/m.exec(rd('cpu.stat'))![1]);
    assert.ok((s.cpu.usage.total ?? 0) <= usec * 1000);
  });

  test('limits of controllers that are not enabled fail with a clear message', () => {
    const c = startSleep();
    mk().apply(c.pid);
    const avail = rd('cgroup.controllers');
    if (!avail.includes('pids')) assert.throws(() => m!.set({ pids: { limit: 5 } }), /controller "pids" is not available/);
    if (!avail.includes('memory')) assert.throws(() => m!.oomEventFd(), /memory controller not enabled/);
  });

  test('destroy removes the directory', async () => {
    const c = startSleep();
    mk().apply(c.pid);
    const d = dir();
    await killAll();
    m!.destroy();
    assert.not.ok(existsSync(d));
  });
}

test.run();
