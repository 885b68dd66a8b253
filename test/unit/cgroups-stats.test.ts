// Stats from fixture files, in runc's `events --stats` JSON shape.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_U64, newManager, statsToJSON } from '../../src/cgroups/index';
import { hugePageSizes } from '../../src/cgroups/convert';
import { parseBlkio } from '../../src/cgroups/v1/stats';
import { parseCpuList } from '../../src/cgroups/stats';
import { Fixture, makeV1Tree, makeV2Tree } from '../fixtures/cgroups/tree';

let f: Fixture;
test.after.each(() => f?.cleanup());
const has2MB = hugePageSizes().includes('2MB');

test('v1 stats: memory, cpu, cpuset, pids, blkio, hugetlb', () => {
  f = makeV1Tree('/c');
  f.write('cpuset/c/cpuset.cpus', '0-2,4');
  f.write('cpuset/c/cpuset.mems', '0');
  f.write('pids/c/pids.max', '64');
  const s = newManager({ id: 'x', cgroupsPath: '/c', mountRoot: f.root }).stats();
  assert.equal(s.memory.usage, { limit: 9223372036854771712, usage: 2097152, max: 4194304, failcnt: 1 });
  assert.equal(s.memory.swap, { limit: 9223372036854771712, usage: 2101248, max: 4198400, failcnt: 0 });
  assert.equal(s.memory.kernelTCP, { limit: 9223372036854771712, failcnt: 0 });
  assert.is(s.memory.cache, 8192);
  assert.equal(Object.keys(s.memory.raw!), ['cache', 'rss', 'swap', 'total_rss']);
  assert.equal(s.cpu.usage, { total: 5000000, percpu: [3000000, 2000000], percpu_kernel: [2000000, 1500000], percpu_user: [1000000, 500000], kernel: 340000000, user: 120000000 });
  assert.equal(s.cpu.throttling, { periods: 10, throttledPeriods: 3, throttledTime: 123456 });
  assert.equal(s.cpuset.cpus, [0, 1, 2, 4]);
  assert.is(s.cpuset.sched_relax_domain_level, -1);
  assert.equal(s.pids, { current: 3, limit: 64 });
  assert.equal(s.blkio.ioServiceBytesRecursive!.slice(0, 2), [{ major: 8, op: 'Read', value: 4096 }, { major: 8, op: 'Write', value: 8192 }]);
  assert.equal(s.blkio.ioServiceBytesRecursive![2], { major: 8, op: 'Sync' }); // zero minor/value omitted (Go omitempty)
  assert.is(s.blkio.ioServicedRecursive!.length, 2);
  if (has2MB) assert.equal(s.hugetlb['2MB'], { usage: 2097152, max: 4194304, failcnt: 1 });
  assert.equal(s.intel_rdt, {});
  assert.is(s.network_interfaces, null);
  // key order as runc prints it
  assert.equal(Object.keys(s), ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
});

test('v1 stats: pids.max "max" is limit 0 (omitted); missing controllers give defaults', () => {
  f = makeV1Tree('/c', { without: ['blkio', 'hugetlb', 'cpuacct'] });
  const s = newManager({ id: 'x', cgroupsPath: '/c', mountRoot: f.root }).stats();
  assert.equal(s.pids, { current: 3 });
  assert.equal(s.blkio, {});
  assert.equal(s.hugetlb, {});
  assert.equal(s.cpu.usage, { kernel: 0, user: 0 });
});

test('v2 stats: memory (swap reported as mem+swap), cpu usec->ns, pids, io, hugetlb', () => {
  f = makeV2Tree('/c', { 'memory.max': '104857600', 'pids.max': '20' });
  const s = newManager({ id: 'x', cgroupsPath: '/c', mountRoot: f.root, skipDevices: true }).stats();
  assert.equal(s.memory.usage, { limit: 104857600, usage: 3145728, max: 5242880, failcnt: 4 });
  assert.equal(s.memory.swap, { limit: MAX_U64, usage: 4194304, failcnt: 0 });
  assert.is(s.memory.cache, 2097152);
  assert.equal(s.cpu.usage, { total: 1500000, kernel: 500000, user: 1000000 });
  assert.equal(s.cpu.throttling, { periods: 7, throttledPeriods: 2, throttledTime: 30000 });
  assert.equal(s.pids, { current: 2, limit: 20 });
  assert.equal(s.blkio, {
    ioServiceBytesRecursive: [{ major: 8, op: 'Read', value: 4096 }, { major: 8, op: 'Write', value: 8192 }],
    ioServicedRecursive: [{ major: 8, op: 'Read', value: 1 }, { major: 8, op: 'Write', value: 2 }],
  });
  if (has2MB) assert.equal(s.hugetlb['2MB'], { failcnt: 0 });
});

test('v2 stats: without the pids controller, processes are counted', () => {
  f = makeV2Tree('/c', { 'pids.current': undefined, 'pids.max': undefined });
  f.write('c/cgroup.procs', '1\n2\n3\n');
  const s = newManager({ id: 'x', cgroupsPath: '/c', mountRoot: f.root, skipDevices: true }).stats();
  assert.equal(s.pids, { current: 3 });
});

test('statsToJSON prints uint64 values exactly', () => {
  assert.is(statsToJSON({ a: 9223372036854771712, b: MAX_U64, c: 5, d: 'x' }), '{"a":9223372036854771712,"b":18446744073709551615,"c":5,"d":"x"}');
  assert.is(JSON.parse(statsToJSON({ n: [1, 2] }, 1)).n[1], 2);
});

test('parsers: blkio lines and cpu lists', () => {
  assert.equal(parseBlkio('8:0 123\n8:16 Read 5\nTotal 9\n'), [{ major: 8, value: 123 }, { major: 8, minor: 16, op: 'Read', value: 5 }]);
  assert.equal(parseCpuList('0-2,5,7-8\n'), [0, 1, 2, 5, 7, 8]);
  assert.equal(parseCpuList(''), []);
});

test.run();
