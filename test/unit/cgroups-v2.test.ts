// v2 resource writes and conversions against a fixture tree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { loadManager, newManager } from '../../src/cgroups/index';
import { freezeV2 } from '../../src/cgroups/freezer';
import { Fixture, makeV2Tree } from '../fixtures/cgroups/tree';

let f: Fixture;
const mk = (files: Record<string, string | undefined> = {}, opts: { enableControllers?: boolean } = {}) => {
  f = makeV2Tree('/c', files);
  return newManager({ id: 'x', cgroupsPath: '/c', mountRoot: f.root, skipDevices: true, ...opts });
};
const writes = () => f.writes.filter(([p]) => p.startsWith('c/')).map(([p, v]) => `${p.slice(2)}=${v}`);

test.after.each(() => f?.cleanup());

test('apply: enables the root controllers in ancestors, joins the pid', () => {
  const m = mk();
  m.apply(99);
  assert.is(f.read('c/cgroup.procs'), '99');
  assert.equal(f.writes[0], ['cgroup.subtree_control', '+cpuset +cpu +io +memory +hugetlb +pids +rdma']);
  assert.equal(m.paths(), { '': `${f.root}/c` });
});

test('apply: already enabled controllers are not written again; enableControllers=false writes none', () => {
  const m = mk();
  f.write('cgroup.subtree_control', 'cpuset cpu io memory pids');
  m.apply(-1);
  assert.equal(f.writes, [['cgroup.subtree_control', '+hugetlb +rdma']]);
  f.cleanup();
  const m2 = mk({}, { enableControllers: false });
  m2.apply(5);
  assert.equal(f.writes, [['c/cgroup.procs', '5']]);
});

test('memory: max, swap.max = swap - limit, low; swap equal to limit disables swap', () => {
  const m = mk();
  m.set({ memory: { limit: 100 * 2 ** 20, swap: 300 * 2 ** 20, reservation: 10 * 2 ** 20, swappiness: 10, disableOOMKiller: true, kernel: 5 } });
  assert.equal(writes(), ['memory.swap.max=209715200', 'memory.max=104857600', 'memory.low=10485760']);
  f.writes.length = 0;
  m.set({ memory: { limit: 100, swap: 100 } });
  assert.equal(writes(), ['memory.swap.max=0', 'memory.max=100']);
  f.writes.length = 0;
  m.set({ memory: { limit: -1 } });
  assert.equal(writes(), ['memory.swap.max=max', 'memory.max=max']);
  assert.throws(() => m.set({ memory: { limit: 100, swap: 50 } }), />= memory limit/);
});

test('memory: no swap accounting (no memory.swap.max): "max"/"0" ignored, a real value is an error', () => {
  const m = mk({ 'memory.swap.max': undefined });
  m.set({ memory: { limit: -1 } });
  assert.is(f.read('c/memory.max'), 'max');
  m.set({ memory: { limit: 100, swap: 100 } });
  assert.throws(() => m.set({ memory: { limit: 100, swap: 200 } }), /memory.swap.max.*ENOENT/);
});

test('memory: checkBeforeUpdate compares with memory.current', () => {
  const m = mk();
  assert.throws(() => m.set({ memory: { limit: 2 ** 20, checkBeforeUpdate: true } }), /below current usage 3145728/);
});

test('cpu: weight from shares, cpu.max forms, burst, idle; RT ignored', () => {
  const m = mk();
  m.set({ cpu: { shares: 1024, quota: 50000, period: 100000, burst: 10000, idle: 0, realtimeRuntime: 5, realtimePeriod: 10 } });
  assert.equal(writes(), ['cpu.weight=39', 'cpu.idle=0', 'cpu.max.burst=10000', 'cpu.max=50000 100000']);
  f.writes.length = 0;
  m.set({ cpu: { period: 200000 } });
  m.set({ cpu: { quota: -1 } });
  m.set({ cpu: { quota: 1000 } });
  assert.equal(writes(), ['cpu.max=max 200000', 'cpu.max=max', 'cpu.max=1000']);
});

test('cpuset', () => {
  const m = mk();
  m.set({ cpu: { cpus: '0-1', mems: '0' } });
  assert.equal(writes(), ['cpuset.cpus=0-1', 'cpuset.mems=0']);
});

test('io: io.weight with conversion, io.max per throttle; BFQ takes the raw weight and per-device weights', () => {
  const m = mk();
  const blockIO = {
    weight: 500, leafWeight: 300, weightDevice: [{ major: 8, minor: 0, weight: 200 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }], throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2000 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 10 }], throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 20 }],
  };
  m.set({ blockIO });
  assert.equal(writes(), ['io.weight=4950', 'io.max=8:0 rbps=1000', 'io.max=8:0 wbps=2000', 'io.max=8:0 riops=10', 'io.max=8:0 wiops=20']);
  f.write('c/io.bfq.weight', 'default 100');
  f.writes.length = 0;
  m.set({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } });
  assert.equal(writes(), ['io.bfq.weight=500', 'io.bfq.weight=8:0 200']);
});

test('pids, hugetlb (.max), rdma', () => {
  const m = mk();
  m.set({ pids: { limit: 5 }, hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }], rdma: { mlx5_1: { hcaHandles: 2 } } });
  assert.equal(writes(), ['pids.max=5', 'hugetlb.2MB.max=2097152', 'rdma.max=mlx5_1 hca_handle=2']);
});

test('unified: written last, overriding converted values; bad keys are clear errors', () => {
  const m = mk();
  f.write('c/memory.high', 'max');
  f.writes.length = 0;
  m.set({ cpu: { shares: 1024 }, unified: { 'cpu.weight': '500', 'memory.high': '1000000' } });
  assert.equal(writes(), ['cpu.weight=39', 'cpu.weight=500', 'memory.high=1000000']);
  assert.throws(() => m.set({ unified: { '../x': '1' } }), /must be a file name/);
  assert.throws(() => m.set({ unified: { 'misc.max': '1' } }), /controller "misc" not available/);
  assert.throws(() => m.set({ unified: { nodot: '1' } }), /CONTROLLER.PARAMETER/);
});

test('unified: the first attempt above failed on the missing file with a clear message', () => {
  const m = mk();
  assert.throws(() => m.set({ unified: { 'memory.high': '1' } }), /unable to set unified resource "memory.high".*ENOENT/);
});

test('a controller that is not enabled is named in the error', () => {
  const m = mk({ 'cgroup.controllers': 'cpu memory', 'pids.max': undefined });
  assert.throws(() => m.set({ pids: { limit: 3 } }), /controller "pids" is not available/);
});

test('network settings are v1-only', () => {
  const m = mk();
  assert.throws(() => m.set({ network: { classID: 1 } }), /not supported on cgroup v2/);
  assert.not.throws(() => m.set({ network: {} }));
});

test('freeze waits for cgroup.events; timeout thaws back', () => {
  const m = mk({ 'cgroup.events': 'populated 1\nfrozen 1\n' });
  m.freeze();
  assert.is(f.read('c/cgroup.freeze'), '1');
  assert.ok(m.isFrozen());
  m.thaw();
  assert.is(f.read('c/cgroup.freeze'), '0');
  assert.not.ok(m.isFrozen());
  f.write('c/cgroup.events', 'populated 1\nfrozen 0\n');
  assert.throws(() => freezeV2(`${f.root}/c`, 30), /timeout of 30ms/);
  assert.is(f.read('c/cgroup.freeze'), '0');
});

test('save/load round trip keeps the options', () => {
  const m = mk({}, { enableControllers: false });
  const s = JSON.parse(JSON.stringify(m.save()));
  assert.equal(s, { version: 2, mode: 'v2', mountRoot: f.root, paths: { '': `${f.root}/c` }, skipDevices: true, enableControllers: false });
  const l = loadManager(s);
  assert.is(l.version, 2);
  assert.equal(l.paths(), m.paths());
  assert.ok(l.exists());
});

test('oomEventFd on v2 watches memory.events', () => {
  const m = mk();
  const w = m.oomEventFd();
  assert.is(w.fd, undefined);
  assert.is(w.file, `${f.root}/c/memory.events`);
  assert.is(w.count(), 1);
  rmSync(`${f.root}/c/memory.events`);
  assert.throws(() => m.oomEventFd(), /memory controller not enabled/);
});

test.run();
