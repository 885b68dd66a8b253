// v1 resource writes against a fixture tree (see test/fixtures/cgroups/tree.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadManager, newManager } from '../../src/cgroups/index';
import { Fixture, makeV1Tree } from '../fixtures/cgroups/tree';

let f: Fixture;
const mk = (opts: Parameters<typeof makeV1Tree>[1] = { unified: true }) => {
  f = makeV1Tree('/c', opts);
  return newManager({ id: 'x', cgroupsPath: '/c', mountRoot: f.root });
};
const writes = (prefix: string) => f.writes.filter(([p]) => p.startsWith(prefix)).map(([p, v]) => `${p.slice(prefix.length)}=${v}`);

test.after.each(() => f?.cleanup());

test('apply: writes the pid to every controller once, the unified dir too; cpuset gets parent cpus/mems first', () => {
  const m = mk();
  m.apply(1234);
  for (const ctrl of ['cpu', 'cpuacct', 'memory', 'devices', 'freezer', 'pids', 'blkio', 'hugetlb', 'net_cls', 'net_prio', 'rdma', 'systemd', 'unified']) {
    assert.is(f.read(`${ctrl}/c/cgroup.procs`), '1234', ctrl);
  }
  assert.is(f.read('cpuset/c/cpuset.cpus'), '0-3');
  assert.is(f.read('cpuset/c/cpuset.mems'), '0');
  const cs = f.writes.filter(([p]) => p.startsWith('cpuset/')).map(([p]) => p);
  assert.equal(cs, ['cpuset/c/cpuset.cpus', 'cpuset/c/cpuset.mems', 'cpuset/c/cgroup.procs']);
});

test('apply with resources: requested cpuset and RT budget are written before the pid moves', () => {
  const m = mk();
  m.apply(42, { cpu: { cpus: '1', mems: '0', realtimePeriod: 500000, realtimeRuntime: 1000 } });
  assert.equal(writes('cpuset/c/'), ['cpuset.cpus=1', 'cpuset.mems=0', 'cgroup.procs=42']);
  assert.equal(writes('cpu/c/'), ['cpu.rt_period_us=500000', 'cpu.rt_runtime_us=1000', 'cgroup.procs=42']);
});

test('apply(-1) only creates', () => {
  const m = mk();
  m.apply(-1);
  assert.is(f.read('memory/c/cgroup.procs'), '');
});

test('memory: limit, swap (memsw) in the right order, reservation, swappiness, oom, kernelTCP', () => {
  const m = mk();
  m.set({ memory: { limit: 100 * 2 ** 20, swap: 200 * 2 ** 20, reservation: 50 * 2 ** 20, swappiness: 0, disableOOMKiller: true, kernelTCP: 8 * 2 ** 20, kernel: 1 } });
  // current limit (unlimited) >= new swap: memory first, then memsw
  assert.equal(writes('memory/c/'), [
    'memory.limit_in_bytes=104857600', 'memory.memsw.limit_in_bytes=209715200', 'memory.kmem.tcp.limit_in_bytes=8388608',
    'memory.soft_limit_in_bytes=52428800', 'memory.oom_control=1', 'memory.swappiness=0',
  ]);
  f.writes.length = 0;
  // now raising both above the current limit: memsw must go first
  m.set({ memory: { limit: 300 * 2 ** 20, swap: 400 * 2 ** 20 } });
  assert.equal(writes('memory/c/'), ['memory.memsw.limit_in_bytes=419430400', 'memory.limit_in_bytes=314572800']);
  f.writes.length = 0;
  m.set({ memory: { limit: -1 } });
  assert.equal(writes('memory/c/'), ['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1']);
});

test('memory: invalid swappiness and checkBeforeUpdate are clear errors', () => {
  const m = mk();
  assert.throws(() => m.set({ memory: { swappiness: 101 } }), /invalid memory swappiness value: 101/);
  // usage in the fixture is 2 MiB
  assert.throws(() => m.set({ memory: { limit: 2 ** 20, checkBeforeUpdate: true } }), /rejecting memory limit 1048576 below current usage 2097152/);
  assert.not.throws(() => m.set({ memory: { limit: 2 ** 30, checkBeforeUpdate: true } }));
  m.set({ memory: { swappiness: -1 } });
  assert.is(f.read('memory/c/memory.swappiness'), '60');
});

test('cpu: shares, period/quota, burst, idle, rt', () => {
  const m = mk();
  m.set({ cpu: { shares: 512, quota: 50000, period: 200000, burst: 1000, idle: 1, realtimePeriod: 1000000, realtimeRuntime: 950000, cpus: '0-1', mems: '0' } });
  assert.equal(writes('cpu/c/'), [
    'cpu.shares=512', 'cpu.cfs_period_us=200000', 'cpu.cfs_quota_us=50000', 'cpu.cfs_burst_us=1000', 'cpu.idle=1',
    'cpu.rt_period_us=1000000', 'cpu.rt_runtime_us=950000',
  ]);
  assert.equal(writes('cpuset/c/'), ['cpuset.cpus=0-1', 'cpuset.mems=0']);
  f.writes.length = 0;
  m.set({ cpu: { quota: -1 } });
  assert.equal(writes('cpu/c/'), ['cpu.cfs_quota_us=-1']);
});

test('cpu: shares clamped by the kernel are reported', () => {
  const m = mk();
  // Simulate the kernel's clamp: make the file read back something else after the write.
  f.write('cpu/c/cpu.shares', '262144');
  const { setWriteHook } = require('../../src/cgroups/fsutil');
  setWriteHook(() => {});
  const fs = require('node:fs');
  const orig = fs.readFileSync;
  fs.readFileSync = (p: string, ...a: unknown[]) => (String(p).endsWith('cpu/c/cpu.shares') ? '262144\n' : orig(p, ...a));
  try {
    assert.throws(() => m.set({ cpu: { shares: 1_000_000 } }), /maximum allowed cpu-shares is 262144/);
  } finally {
    fs.readFileSync = orig;
  }
});

test('pids: limit, -1 = max, 0 = untouched', () => {
  const m = mk();
  m.set({ pids: { limit: 10 } });
  assert.is(f.read('pids/c/pids.max'), '10');
  m.set({ pids: { limit: -1 } });
  assert.is(f.read('pids/c/pids.max'), 'max');
  f.writes.length = 0;
  m.set({ pids: { limit: 0 } });
  assert.equal(writes('pids/'), []);
});

test('blkio: CFQ files, leaf weights, per-device, throttles', () => {
  const m = mk();
  m.set({
    blockIO: {
      weight: 300, leafWeight: 200,
      weightDevice: [{ major: 8, minor: 0, weight: 400, leafWeight: 100 }, { major: 8, minor: 16, leafWeight: 50 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }], throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }], throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
    },
  });
  assert.equal(writes('blkio/c/'), [
    'blkio.weight=300', 'blkio.leaf_weight=200', 'blkio.weight_device=8:0 400', 'blkio.leaf_weight_device=8:0 100',
    'blkio.leaf_weight_device=8:16 50', 'blkio.throttle.read_bps_device=8:0 1048576', 'blkio.throttle.write_bps_device=8:0 2097152',
    'blkio.throttle.read_iops_device=8:0 100', 'blkio.throttle.write_iops_device=8:0 200',
  ]);
});

test('blkio: BFQ file names when blkio.weight is absent', () => {
  const m = mk();
  require('node:fs').renameSync(`${f.root}/blkio/c/blkio.weight`, `${f.root}/blkio/c/blkio.bfq.weight`);
  f.write('blkio/c/blkio.bfq.weight_device', '');
  m.set({ blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 400 }] } });
  assert.equal(writes('blkio/c/'), ['blkio.bfq.weight=300', 'blkio.bfq.weight_device=8:0 400']);
});

test('hugetlb, net_cls, net_prio, rdma', () => {
  const m = mk();
  m.set({
    hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }, { pageSize: '1GB', limit: 0 }],
    network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }, { name: 'lo', priority: 2 }] },
    rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 5 } },
  });
  assert.equal(writes('hugetlb/c/'), ['hugetlb.2MB.limit_in_bytes=4194304', 'hugetlb.1GB.limit_in_bytes=0']);
  assert.equal(writes('net_cls/c/'), ['net_cls.classid=1048577']);
  assert.equal(writes('net_prio/c/'), ['net_prio.ifpriomap=eth0 5', 'net_prio.ifpriomap=lo 2']);
  assert.equal(writes('rdma/c/'), ['rdma.max=mlx5_1 hca_handle=3 hca_object=10000', 'rdma.max=mlx4_0 hca_object=5']);
});

test('controllers that are not mounted: clear "not supported" errors only when used', () => {
  const m = mk({ without: ['net_cls', 'net_prio', 'hugetlb', 'rdma'] });
  assert.throws(() => m.set({ network: { classID: 1 } }), /net_cls controller is not mounted \(not supported/);
  assert.throws(() => m.set({ network: { priorities: [{ name: 'lo', priority: 1 }] } }), /net_prio controller is not mounted/);
  assert.throws(() => m.set({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }), /hugetlb controller is not mounted/);
  assert.throws(() => m.set({ rdma: { x: { hcaHandles: 1 } } }), /rdma controller is not mounted/);
  assert.not.throws(() => m.set({ network: {}, hugepageLimits: [], rdma: {} }));
});

test('unified on v1 is refused like runc', () => {
  const m = mk();
  assert.throws(() => m.set({ unified: { 'memory.high': '1G' } }), /cannot use unified on cgroup v1/);
  assert.not.throws(() => m.set({ unified: {} }));
});

test('kernel errors name the file and value in one line', () => {
  const m = mk();
  require('node:fs').rmSync(`${f.root}/memory/c/memory.swappiness`);
  try {
    m.set({ memory: { swappiness: 10 } });
    assert.unreachable();
  } catch (e) {
    const msg = (e as Error).message;
    assert.match(msg, /failed to write "10" to memory.swappiness/);
    assert.match(msg, /ENOENT/);
    assert.not.match(msg, /\n/);
    assert.is((e as { code?: string }).code, 'ENOENT');
  }
});

test('devices: deny-all reset then allows, then minimal transitions', () => {
  const m = mk();
  m.set({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: true, type: 'b', access: 'm' }] });
  assert.equal(writes('devices/c/'), ['devices.deny=a *:* rwm', 'devices.allow=b *:* m', 'devices.allow=c 1:3 rwm']);
  // Pretend the kernel now lists those rules: an update only writes the difference.
  f.write('devices/c/devices.list', 'b *:* m\nc 1:3 rwm\n');
  f.writes.length = 0;
  m.set({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'r' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'rw' }] });
  assert.equal(writes('devices/c/'), ['devices.deny=b *:* m', 'devices.deny=c 1:3 wm', 'devices.allow=c 1:5 rw']);
});

test('freeze/thaw/isFrozen on freezer.state', () => {
  const m = mk();
  assert.is(m.isFrozen(), false);
  m.freeze();
  assert.is(f.read('freezer/c/freezer.state'), 'FROZEN');
  f.write('freezer/c/freezer.self_freezing', '1');
  assert.is(m.isFrozen(), true);
  f.write('freezer/c/freezer.self_freezing', '0'); // frozen only through a parent
  assert.is(m.isFrozen(), false);
  m.thaw();
  assert.is(f.read('freezer/c/freezer.state'), 'THAWED');
  assert.is(m.isFrozen(), false);
});

test('pids() is recursive; save/load round trip; exists()', () => {
  const m = mk();
  f.write('devices/c/cgroup.procs', '10\n11\n');
  require('node:fs').mkdirSync(`${f.root}/devices/c/sub`);
  f.write('devices/c/sub/cgroup.procs', '12\n');
  assert.equal(m.pids().sort(), [10, 11, 12]);
  const saved = JSON.parse(JSON.stringify(m.save()));
  assert.is(saved.version, 1);
  const l = loadManager(saved);
  assert.equal(l.paths(), m.paths());
  assert.is(l.mode, 'hybrid');
  assert.ok(l.exists());
  l.set({ pids: { limit: 7 } });
  assert.is(f.read('pids/c/pids.max'), '7');
});

test('oomEventFd on v1 registers an eventfd with cgroup.event_control', () => {
  const m = mk();
  const w = m.oomEventFd();
  try {
    assert.type(w.fd, 'number');
    const [efd, ofd] = f.read('memory/c/cgroup.event_control').split(' ').map(Number);
    assert.is(efd, w.fd);
    assert.ok(ofd > 2);
    assert.is(w.count(), 2); // oom_kill in the fixture's memory.oom_control
    assert.ok(w.alive());
  } finally {
    w.close();
  }
});

test.run();
