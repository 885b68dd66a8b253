import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanPath, detectCgroupMode, expandSlice, innerPath, newManager, parseMountInfo, parseProcCgroup, sharesToWeight, blkioWeightToIoWeight, swapToV2, findHierarchies } from '../../src/cgroups/index';
import { hugePageSizeName, numToStr } from '../../src/cgroups/convert';
import { makeV1Tree, makeV2Tree } from '../fixtures/cgroups/tree';

const HYBRID = `
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
50 23 0:40 / /mnt/other\\040dir rw - cgroup cgroup rw,pids
`;
const V2 = `30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n`;
const V1 = HYBRID.split('\n').filter((l) => !l.includes('cgroup2')).join('\n');

test('parseMountInfo: v1 controllers from super options, cgroup2, escapes', () => {
  const hs = parseMountInfo(HYBRID);
  assert.equal(hs.length, 7);
  assert.equal(hs[0], { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', root: '/', controllers: ['cpu', 'cpuacct'], v2: false });
  assert.equal(hs[2].root, '/docker/abc');
  assert.equal(hs[4].controllers, ['name=systemd']);
  assert.ok(hs[5].v2);
  assert.equal(hs[6].mountPoint, '/mnt/other dir');
});

test('detectCgroupMode: v1, hybrid, v2 from mountinfo; hierarchies outside the root ignored', () => {
  assert.is(detectCgroupMode('/sys/fs/cgroup', HYBRID), 'hybrid');
  assert.is(detectCgroupMode('/sys/fs/cgroup', V1), 'v1');
  assert.is(detectCgroupMode('/sys/fs/cgroup', V2), 'v2');
  assert.is(detectCgroupMode('/sys/fs/cgroup/unified', HYBRID), 'v2');
  assert.not.ok(findHierarchies('/sys/fs/cgroup', HYBRID).some((h) => h.mountPoint.startsWith('/mnt')));
});

test('detectCgroupMode: this host (real mountinfo) and fixture layouts', () => {
  assert.ok(['v1', 'hybrid', 'v2'].includes(detectCgroupMode()));
  const a = makeV1Tree('/c');
  const b = makeV1Tree('/c', { unified: true });
  const c = makeV2Tree('/c');
  try {
    assert.is(detectCgroupMode(a.root), 'v1');
    assert.is(detectCgroupMode(b.root), 'hybrid');
    assert.is(detectCgroupMode(c.root), 'v2');
  } finally {
    a.cleanup();
    b.cleanup();
    c.cleanup();
  }
});

test('parseProcCgroup', () => {
  const p = parseProcCgroup('12:cpu,cpuacct:/a\n4:name=systemd:/s\n0::/u\n');
  assert.equal(p, { cpu: '/a', cpuacct: '/a', 'name=systemd': '/s', '': '/u' });
});

test('cleanPath: runc CleanPath semantics', () => {
  assert.is(cleanPath(''), '');
  assert.is(cleanPath('/a/../b/'), '/b');
  assert.is(cleanPath('../../../etc/x'), 'etc/x');
  assert.is(cleanPath('a/./b'), 'a/b');
  assert.is(cleanPath('/'), '/');
  assert.is(cleanPath('/../..'), '/');
});

test('innerPath: explicit path, default = id, root refused', () => {
  assert.is(innerPath('ctr', '/docker/ctr'), '/docker/ctr');
  assert.is(innerPath('ctr', 'mine/x'), 'mine/x');
  assert.is(innerPath('ctr'), 'ctr');
  assert.is(innerPath('ctr', ''), 'ctr');
  assert.throws(() => innerPath('ctr', '/'), /root cgroup/);
});

test('systemd: slice expansion', () => {
  assert.is(expandSlice('system.slice'), '/system.slice');
  assert.is(expandSlice('a-b-c.slice'), '/a.slice/a-b.slice/a-b-c.slice');
  assert.is(expandSlice('-.slice'), '/');
  assert.throws(() => expandSlice('a--b.slice'));
  // The systemd driver's cgroupsPath form: test/unit/cgroups-systemd.test.ts.
});

test('conversions: shares->weight, blkio weight->io.weight, swap, numToStr, hugepage names', () => {
  assert.is(sharesToWeight(0), 0);
  assert.is(sharesToWeight(2), 1);
  assert.is(sharesToWeight(1024), 39);
  assert.is(sharesToWeight(262144), 10000);
  assert.is(blkioWeightToIoWeight(0), 0);
  assert.is(blkioWeightToIoWeight(10), 1);
  assert.is(blkioWeightToIoWeight(500), 4950);
  assert.is(blkioWeightToIoWeight(1000), 10000);
  assert.is(swapToV2(0, -1), -1);
  assert.is(swapToV2(-1, 100), -1);
  assert.is(swapToV2(0, 100), 0);
  assert.is(swapToV2(300, 100), 200);
  assert.is(swapToV2(100, 100), 0);
  assert.throws(() => swapToV2(50, 100), />= memory/);
  assert.throws(() => swapToV2(100, 0), /without memory limit/);
  assert.is(numToStr(0), '');
  assert.is(numToStr(-1), 'max');
  assert.is(numToStr(9223372036854771712), '9223372036854771712');
  assert.is(hugePageSizeName(2048), '2MB');
  assert.is(hugePageSizeName(1048576), '1GB');
  assert.is(hugePageSizeName(64), '64KB');
});

test('newManager v1: absolute path under every mount, relative and default under own cgroups', () => {
  const f = makeV1Tree('/c', { unified: true });
  try {
    const abs = newManager({ id: 'x', cgroupsPath: '/docker/x', mountRoot: f.root });
    assert.is(abs.version, 1);
    assert.is(abs.mode, 'hybrid');
    const p = abs.paths();
    assert.is(p.memory, `${f.root}/memory/docker/x`);
    assert.is(p['name=systemd'], `${f.root}/systemd/docker/x`);
    assert.is(p[''], `${f.root}/unified/docker/x`);
    assert.is(p.net_cls, `${f.root}/net_cls/docker/x`);
    const self = '9:memory:/process/abc\n8:cpu:/\n1:name=systemd:/user.slice\n0::/user.slice/u\n';
    const rel = newManager({ id: 'x', cgroupsPath: 'sub/x', mountRoot: f.root, selfCgroup: self }).paths();
    assert.is(rel.memory, `${f.root}/memory/process/abc/sub/x`);
    assert.is(rel.cpu, `${f.root}/cpu/sub/x`);
    assert.is(rel['name=systemd'], `${f.root}/systemd/user.slice/sub/x`);
    assert.is(rel[''], `${f.root}/unified/user.slice/u/sub/x`);
    const def = newManager({ id: 'ctr1', mountRoot: f.root, selfCgroup: self }).paths();
    assert.is(def.memory, `${f.root}/memory/process/abc/ctr1`);
    // systemd driver paths: test/unit/cgroups-systemd.test.ts.
  } finally {
    f.cleanup();
  }
});

test('newManager v2: relative paths go under the parent of our own cgroup (runc fs2)', () => {
  const f = makeV2Tree('/c');
  try {
    const m = newManager({ id: 'x', cgroupsPath: 'x', mountRoot: f.root, selfCgroup: '0::/user.slice/session-1.scope\n' });
    assert.is(m.version, 2);
    assert.equal(m.paths(), { '': `${f.root}/user.slice/x` });
    assert.equal(newManager({ id: 'x', cgroupsPath: '/a/b', mountRoot: f.root }).paths(), { '': `${f.root}/a/b` });
  } finally {
    f.cleanup();
  }
});

test('newManager v1: refuses to run without a devices hierarchy (unless skipDevices)', () => {
  const f = makeV1Tree('/c', { without: ['devices'] });
  try {
    assert.throws(() => newManager({ id: 'x', cgroupsPath: '/c', mountRoot: f.root }), /devices controller is not mounted/);
    assert.not.throws(() => newManager({ id: 'x', cgroupsPath: '/c', mountRoot: f.root, skipDevices: true }));
  } finally {
    f.cleanup();
  }
});

test.run();
