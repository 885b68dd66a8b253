// The v1 (hybrid on this host) manager on the REAL hierarchies under /sys/fs/cgroup, with a
// temporary /runc-ts-test-<pid>-N cgroup and child processes; everything is removed afterwards.
import { test } from 'uvu';
import { skip } from '../helpers/skip';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CgroupManager, detectCgroupMode, newManager, statsToJSON } from '../../src/cgroups/index';
import { parseCpuList } from '../../src/cgroups/stats';
import { freshPath, killAll, teardown, procCgroup, procState, startShell, startSleep, sweep, waitFor } from '../fixtures/cgroups/real';

const mode = detectCgroupMode();
const enabled = process.getuid?.() === 0 && mode !== 'v2';
let m: CgroupManager | undefined;
const mk = () => (m = newManager({ id: 'ctr', cgroupsPath: freshPath() }));
const rd = (ctrl: string, file: string) => readFileSync(join(m!.paths()[ctrl], file), 'utf8').trim();

test.after.each(async () => {
  const cur = m;
  m = undefined;
  await teardown(cur);
});

test.after(() => {
  const left = sweep();
  assert.equal(left, [], 'no cgroup directory left behind');
});

if (!enabled) {
  skip(test, 'cgroup v1 manager on the real hierarchies', 'needs root and a v1/hybrid host');
} else {
  test('apply moves the process into every hierarchy (and the unified one on hybrid)', () => {
    const c = startSleep();
    const p = mk().paths();
    m!.apply(c.pid);
    const name = p.memory.slice('/sys/fs/cgroup/memory'.length);
    const lines = procCgroup(c.pid).trim().split('\n');
    for (const l of lines) assert.ok(l.endsWith(`:${name}`), l);
    assert.ok(lines.some((l) => l.startsWith('0::')) === (mode === 'hybrid'));
    if (mode === 'hybrid') assert.is(p[''], `/sys/fs/cgroup/unified${name}`);
    assert.equal(m!.pids(), [c.pid]);
    assert.ok(m!.exists());
  });

  test('memory limit, memsw, reservation, swappiness are written and read back', () => {
    const c = startSleep();
    mk().apply(c.pid);
    m!.set({ memory: { limit: 64 * 2 ** 20, swap: 128 * 2 ** 20, reservation: 32 * 2 ** 20, swappiness: 10 } });
    assert.is(rd('memory', 'memory.limit_in_bytes'), String(64 * 2 ** 20));
    if (existsSync(join(m!.paths().memory, 'memory.memsw.limit_in_bytes'))) assert.is(rd('memory', 'memory.memsw.limit_in_bytes'), String(128 * 2 ** 20));
    assert.is(rd('memory', 'memory.soft_limit_in_bytes'), String(32 * 2 ** 20));
    assert.is(rd('memory', 'memory.swappiness'), '10');
    // lowering both below the current memsw works thanks to the write order
    m!.set({ memory: { limit: 16 * 2 ** 20, swap: 16 * 2 ** 20 } });
    assert.is(rd('memory', 'memory.limit_in_bytes'), String(16 * 2 ** 20));
    m!.set({ memory: { limit: -1 } });
    assert.is(rd('memory', 'memory.limit_in_bytes'), '9223372036854771712');
  });

  test('a memory limit below usage is a clear EBUSY error', async () => {
    const c = startShell('exec dd if=/dev/zero of=/dev/null bs=32M');
    mk().apply(c.pid);
    c.go();
    await waitFor(() => Number(rd('memory', 'memory.usage_in_bytes')) > 32 * 2 ** 20, 5000, 'dd to use 32M');
    try {
      m!.set({ memory: { limit: 4 * 2 ** 20 } });
      assert.unreachable('limit below usage accepted');
    } catch (e) {
      const err = e as Error & { code?: string };
      assert.is(err.code, 'EBUSY');
      assert.match(err.message, /unable to set memory limit to 4194304 \(current usage: \d+, peak usage: \d+\)/);
      assert.not.match(err.message, /\n/);
    }
  });

  test('OOM: the v1 eventfd fires and oom_kill counts', async () => {
    const c = startShell('exec dd if=/dev/zero of=/dev/null bs=64M count=1');
    mk().apply(c.pid);
    m!.set({ memory: { limit: 16 * 2 ** 20, swap: 16 * 2 ** 20 } });
    const w = m!.oomEventFd();
    try {
      c.go();
      const code = await c.exited;
      assert.is.not(code, 0);
      const buf = Buffer.alloc(8);
      await waitFor(() => {
        try {
          return readSync(w.fd!, buf) === 8;
        } catch {
          return false; // EAGAIN: nothing yet
        }
      }, 3000, 'the OOM eventfd');
      assert.ok(buf.readBigUInt64LE() >= 1n);
      assert.ok(w.count() >= 1);
      assert.ok(w.alive());
    } finally {
      w.close();
    }
  });

  test('pids limit stops forks', async () => {
    const c = startShell('sleep 0 & wait; echo forked');
    mk().apply(c.pid);
    m!.set({ pids: { limit: 1 } });
    assert.is(rd('pids', 'pids.max'), '1');
    c.go();
    await c.exited;
    assert.not.match(c.out(), /forked/);
    assert.match(c.out(), /fork/i);
    assert.ok(Number(rd('pids', 'pids.events').split(' ')[1] ?? '1') >= 1);
  });

  test('cpu and cpuset values land in the files', () => {
    const c = startSleep();
    mk().apply(c.pid, { cpu: { cpus: '0', mems: '0' } });
    m!.set({ cpu: { shares: 512, quota: 20000, period: 50000, cpus: '0', mems: '0' } });
    assert.is(rd('cpu', 'cpu.shares'), '512');
    assert.is(rd('cpu', 'cpu.cfs_quota_us'), '20000');
    assert.is(rd('cpu', 'cpu.cfs_period_us'), '50000');
    assert.is(rd('cpuset', 'cpuset.cpus'), '0');
    assert.throws(() => m!.set({ cpu: { shares: 1 } }), /minimum allowed cpu-shares is 2/);
  });

  test('devices: deny-all plus /dev/null is enforced', async () => {
    const c = startShell('if true < /dev/zero; then echo zero-ok; else echo zero-denied; fi; if true > /dev/null; then echo null-ok; fi');
    mk().apply(c.pid);
    m!.set({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
    assert.is(rd('devices', 'devices.list'), 'c 1:3 rwm');
    c.go();
    await c.exited;
    assert.match(c.out(), /zero-denied/);
    assert.match(c.out(), /null-ok/);
  });

  test('freeze/thaw on the v1 freezer', async () => {
    const c = startSleep();
    mk().apply(c.pid);
    m!.freeze();
    assert.is(rd('freezer', 'freezer.state'), 'FROZEN');
    assert.ok(m!.isFrozen());
    assert.match(procState(c.pid), /^D/);
    m!.thaw();
    assert.is(rd('freezer', 'freezer.state'), 'THAWED');
    assert.not.ok(m!.isFrozen());
    await waitFor(() => /^S/.test(procState(c.pid)), 2000, 'the task to sleep again');
  });

  test('stats match the files', () => {
    const c = startSleep();
    mk().apply(c.pid);
    m!.set({ memory: { limit: 256 * 2 ** 20 }, pids: { limit: 50 } });
    const s = m!.stats();
    assert.equal(s.pids, { current: Number(rd('pids', 'pids.current')), limit: 50 });
    assert.is(s.memory.usage.limit, Number(rd('memory', 'memory.limit_in_bytes')));
    assert.is(s.memory.kernel.limit, 9223372036854771712);
    assert.is(s.memory.raw?.hierarchical_memory_limit, 256 * 2 ** 20);
    assert.ok((s.cpu.usage.total ?? 0) <= Number(rd('cpuacct', 'cpuacct.usage'))); // monotonic counter
    assert.equal(s.cpuset.cpus, parseCpuList(rd('cpuset', 'cpuset.cpus')));
    const json = statsToJSON(s);
    assert.match(json, /"kernel":\{"limit":9223372036854771712,/);
    assert.ok(JSON.parse(json).pids.current === 1);
  });

  test('pids() and destroy cover sub-cgroups; destroy refuses while a process lives', async () => {
    const c = startSleep();
    const p = mk().paths();
    m!.apply(c.pid);
    const sub = join(p.devices, 'sub');
    mkdirSync(sub);
    writeFileSync(join(sub, 'cgroup.procs'), String(c.pid));
    assert.equal(m!.pids(), [c.pid]);
    assert.throws(() => m!.destroy(), /EBUSY|failed to remove/);
    assert.ok(existsSync(sub));
    await killAll();
    m!.destroy();
    for (const d of Object.values(p)) assert.not.ok(existsSync(d), d);
    assert.not.ok(m!.exists());
  });

  test('default path: the container id under our own cgroup in each hierarchy', () => {
    const self = readFileSync('/proc/self/cgroup', 'utf8');
    const memLine = self.split('\n').find((l) => /:memory:/.test(l))!;
    const p = newManager({ id: 'some-id' }).paths(); // not applied: nothing is created
    assert.is(p.memory, join('/sys/fs/cgroup/memory', memLine.split(':')[2], 'some-id'));
  });
}

test.run();
