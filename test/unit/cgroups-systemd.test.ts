// The systemd cgroup driver's pure logic against runc 1.1's values (libcontainer/cgroups/systemd:
// common.go, v1.go, v2.go, cpuset_test.go; specconv's org.systemd.property.* annotations).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadManager, newManager, sharesToWeight } from '../../src/cgroups/index';
import { makeV1Tree, makeV2Tree } from '../fixtures/cgroups/tree';
import { annotationProperties, parseVariantText } from '../../src/cgroups/systemd-annotations';
import {
  baseProperties,
  cpuQuotaProperties,
  cpusetProperties,
  deviceProperties,
  findDeviceGroup,
  parseSystemdPath,
  rangeToBits,
  systemdVersionAtoi,
  unifiedProperties,
  USEC_INFINITY,
  v1ResourceProperties,
  v2ResourceProperties,
  type DeviceLookup,
  type UnitProp,
} from '../../src/cgroups/systemd-props';
import { DEFAULT_DEVICE_RULES } from '../../src/cgroups/devices/rules';

const v252 = () => 252;
const byName = (props: UnitProp[]) => Object.fromEntries(props.map(([n, s, v]) => [n, [s, v]]));

test('cgroupsPath "slice:prefix:name": defaults, nesting, root slice, slice units', () => {
  assert.equal(parseSystemdPath(undefined, 'abc'), { slice: 'system.slice', unit: 'runc-ts-abc.scope', path: '/system.slice/runc-ts-abc.scope' });
  assert.equal(parseSystemdPath(undefined, 'abc', true).path, '/user.slice/runc-ts-abc.scope');
  assert.equal(parseSystemdPath('system.slice:docker:1234', 'x').path, '/system.slice/docker-1234.scope');
  // An empty slice is the default one (runc's c.Parent == "").
  assert.equal(parseSystemdPath(':docker:1234', 'x').slice, 'system.slice');
  assert.equal(parseSystemdPath(':docker:1234', 'x', true).slice, 'user.slice');
  // systemd's "-" nesting: test-a-b.slice lives in test.slice/test-a.slice.
  assert.equal(parseSystemdPath('test-a-b.slice:p:n', 'x').path, '/test.slice/test-a.slice/test-a-b.slice/p-n.scope');
  assert.equal(parseSystemdPath('-.slice:p:n', 'x').path, '/p-n.scope');
  // A name ending in .slice is a slice unit of its own, not a scope.
  assert.equal(parseSystemdPath('system.slice:p:pod1.slice', 'x'), { slice: 'system.slice', unit: 'pod1.slice', path: '/system.slice/pod1.slice' });
});

test('cgroupsPath: runc\'s errors', () => {
  assert.throws(() => parseSystemdPath('/a/b', 'x'), /^expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "\/a\/b" instead$/);
  assert.throws(() => parseSystemdPath('a:b:c:d', 'x'), /expected cgroupsPath to be of format/);
  for (const bad of ['a--b.slice', '-a.slice', 'a-.slice', '.slice', 'foo', 'a/b.slice']) {
    assert.throws(() => parseSystemdPath(`${bad}:p:n`, 'x'), /invalid slice name/, bad);
  }
});

test('StartTransientUnit properties of a scope and of a slice (runc Apply)', () => {
  const scope = baseProperties('c1', { slice: 'system.slice', unit: 'runc-ts-c1.scope' }, 42, [['TimeoutStopUSec', 't', 5000000n]]);
  assert.equal(scope, [
    ['Description', 's', 'libcontainer container c1'],
    ['Slice', 's', 'system.slice'],
    ['PIDs', 'au', [42]],
    ['Delegate', 'b', true],
    ['MemoryAccounting', 'b', true],
    ['CPUAccounting', 'b', true],
    ['IOAccounting', 'b', true],
    ['TasksAccounting', 'b', true],
    ['DefaultDependencies', 'b', false],
    ['TimeoutStopUSec', 't', 5000000n],
  ]);
  const slice = byName(baseProperties('c1', { slice: 'system.slice', unit: 'pod.slice' }, -1, []));
  assert.equal(slice.Wants, ['as', ['system.slice']]);
  assert.not.ok(slice.Slice || slice.PIDs || slice.Delegate);
});

test('rangeToBits: runc\'s cpuset_test.go table', () => {
  const ok: [string, number[]][] = [
    ['0', [1]], ['1', [2]], ['0-1', [3]], ['0,1', [3]], [',0,1,', [3]], ['0-3', [0x0f]], ['0,1,2-3', [0x0f]], ['4-7', [0xf0]],
    ['0-7', [0xff]], ['0-15', [0xff, 0xff]], ['16', [1, 0, 0]], ['0-3,32-33', [3, 0, 0, 0, 0x0f]], ['1, 2, 1-2', [6]],
    ['    , 1   , 3  ,  5-7,\t', [0xea]], ['128-130,1', [7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]],
  ];
  for (const [i, o] of ok) assert.equal(rangeToBits(i), o, i);
  for (const bad of ['', '-', '1-', '-3', '54-53', '1 - 2']) assert.throws(() => rangeToBits(bad), undefined, bad);
});

test('CPU quota: CPUQuotaPerSecUSec rounded up to whole percents, period from v242', () => {
  assert.equal(cpuQuotaProperties(25000, 100000, v252), [['CPUQuotaPeriodUSec', 't', 100000n], ['CPUQuotaPerSecUSec', 't', 250000n]]);
  // 123/1000 = 12.3% -> 13%.
  assert.equal(byName(cpuQuotaProperties(123, 1000, v252)).CPUQuotaPerSecUSec, ['t', 130000n]);
  // No period: the kernel default of 100 ms; no period property.
  assert.equal(cpuQuotaProperties(50000, 0, v252), [['CPUQuotaPerSecUSec', 't', 500000n]]);
  // -1 (unlimited) and a period alone: infinity.
  assert.equal(cpuQuotaProperties(-1, 0, v252), [['CPUQuotaPerSecUSec', 't', USEC_INFINITY]]);
  assert.equal(cpuQuotaProperties(0, 50000, v252), [['CPUQuotaPeriodUSec', 't', 50000n], ['CPUQuotaPerSecUSec', 't', USEC_INFINITY]]);
  assert.equal(cpuQuotaProperties(0, 0, v252), []);
  assert.equal(cpuQuotaProperties(25000, 100000, () => 241), [['CPUQuotaPerSecUSec', 't', 250000n]]);
});

test('cpuset: AllowedCPUs/AllowedMemoryNodes bitmasks from v244 only; bad ranges name the field', () => {
  assert.equal(cpusetProperties('0-1,3', '0', v252), [['AllowedCPUs', 'ay', [0x0b]], ['AllowedMemoryNodes', 'ay', [1]]]);
  assert.equal(cpusetProperties('0', undefined, () => 243), []);
  // Not asked: systemd's version is not even looked up (one D-Bus call saved).
  assert.equal(cpusetProperties(undefined, '', () => assert.unreachable('version asked') as never), []);
  assert.throws(() => cpusetProperties('3-1', undefined, v252), /resources\.CPU\.Cpus="3-1" conversion error: invalid range: 3-1/);
});

test('cpu shares -> CPUWeight with runc 1.1\'s linear conversion', () => {
  assert.equal([2, 1024, 262144].map(sharesToWeight), [1, 39, 10000]);
  assert.equal(byName(v2ResourceProperties({ cpu: { shares: 1024 } }, v252)).CPUWeight, ['t', 39n]);
});

const PROC_DEVICES = `Character devices:
  1 mem
  4 /dev/vc/0
  5 /dev/tty
136 pts
180 usb

Block devices:
  8 sd
259 blkext
`;
const fakeDevices: DeviceLookup = { procDevices: () => PROC_DEVICES, exists: (p) => p !== '/dev/char/10:200' };

test('device rules -> DevicePolicy=strict and DeviceAllow (runc generateDeviceProperties)', () => {
  const warnings: string[] = [];
  const props = deviceProperties(DEFAULT_DEVICE_RULES, (m) => warnings.push(m), fakeDevices);
  assert.equal(props, [
    ['DevicePolicy', 's', 'strict'],
    ['DeviceAllow', 'a(ss)', []],
    ['DeviceAllow', 'a(ss)', [
      ['block-*', 'm'],
      ['char-*', 'm'],
      ['/dev/char/1:3', 'rwm'],
      ['/dev/char/1:5', 'rwm'],
      ['/dev/char/1:7', 'rwm'],
      ['/dev/char/1:8', 'rwm'],
      ['/dev/char/1:9', 'rwm'],
      ['/dev/char/5:0', 'rwm'],
      ['/dev/char/5:2', 'rwm'],
      ['char-pts', 'rwm'],
    ]],
  ]);
  // /dev/net/tun is missing on this "host": left to our own rules, with runc's warning.
  assert.equal(warnings, ['skipping device /dev/char/10:200 for systemd: stat /sys/dev/char/10:200: no such file or directory']);
});

test('device rules: allow-all, deny-lists, *:n rules, unknown majors, block groups', () => {
  assert.equal(deviceProperties([{ allow: true, access: 'rwm' }], undefined, fakeDevices), [['DevicePolicy', 's', 'auto'], ['DeviceAllow', 'a(ss)', []]]);
  const warnings: string[] = [];
  const deny = deviceProperties([{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }], (m) => warnings.push(m), fakeDevices);
  assert.equal(deny, [['DevicePolicy', 's', 'strict'], ['DeviceAllow', 'a(ss)', []]]);
  assert.match(warnings[0]!, /blacklist/);
  const mixed = deviceProperties(
    [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', minor: 3, access: 'r' },
      { allow: true, type: 'c', major: 99, access: 'r' },
      { allow: true, type: 'b', major: 8, access: 'rw' },
    ],
    (m) => warnings.push(m),
    fakeDevices,
  );
  assert.equal(mixed[2], ['DeviceAllow', 'a(ss)', [['block-sd', 'rw']]]);
  assert.ok(warnings.some((w) => /'\*:n'/.test(w)) && warnings.some((w) => /c\/99/.test(w)), warnings.join('\n'));
  assert.is(findDeviceGroup('c', 180, PROC_DEVICES), 'char-usb');
  assert.is(findDeviceGroup('b', 180, PROC_DEVICES), '');
});

test('v2 resources -> properties (runc genV2ResourcesProperties order and values)', () => {
  const props = v2ResourceProperties(
    { memory: { limit: 1 << 30, reservation: 1 << 29, swap: 2 * 2 ** 30 }, cpu: { shares: 512, quota: 20000, period: 100000, cpus: '1', mems: '0' }, pids: { limit: -1 } },
    v252,
    { skipDevices: true },
  );
  assert.equal(props, [
    ['MemoryMax', 't', 1073741824n],
    ['MemoryLow', 't', 536870912n],
    // OCI swap is memory+swap: systemd gets the swap alone.
    ['MemorySwapMax', 't', 1073741824n],
    ['CPUWeight', 't', 20n],
    ['CPUQuotaPeriodUSec', 't', 100000n],
    ['CPUQuotaPerSecUSec', 't', 200000n],
    ['TasksMax', 't', USEC_INFINITY],
    ['AllowedCPUs', 'ay', [2]],
    ['AllowedMemoryNodes', 'ay', [1]],
  ]);
  // memory -1 is unlimited: uint64(-1); unlimited memory with no swap means unlimited swap.
  assert.equal(v2ResourceProperties({ memory: { limit: -1 } }, v252), [['MemoryMax', 't', USEC_INFINITY], ['MemorySwapMax', 't', USEC_INFINITY]]);
  assert.throws(() => v2ResourceProperties({ memory: { swap: 100 } }, v252), /unable to set swap limit without memory limit/);
  assert.equal(v2ResourceProperties({}, v252), []);
});

test('v1 resources -> properties (runc genV1ResourcesProperties)', () => {
  assert.equal(v1ResourceProperties({ memory: { limit: 1 << 20 }, cpu: { shares: 512, quota: 50000 }, blockIO: { weight: 300 }, pids: { limit: 10 } }, v252), [
    ['MemoryLimit', 't', 1048576n],
    ['CPUShares', 't', 512n],
    ['CPUQuotaPerSecUSec', 't', 500000n],
    ['BlockIOWeight', 't', 300n],
    ['TasksMax', 't', 10n],
  ]);
});

test('linux.resources.unified -> properties (runc unifiedResToSystemdProps)', () => {
  const p = byName(
    unifiedProperties(
      { 'memory.max': 'max', 'memory.high': ' 1000 ', 'memory.min': '5', 'memory.low': '6', 'memory.swap.max': '0', 'pids.max': '10', 'cpu.weight': '50', 'cpu.max': '50000 200000', 'cpuset.cpus': '0-1', 'memory.oom.group': '1', 'io.weight': '20' },
      v252,
    ),
  );
  assert.equal(p.MemoryMax, ['t', USEC_INFINITY]);
  assert.equal(p.MemoryHigh, ['t', 1000n]);
  assert.equal([p.MemoryMin, p.MemoryLow, p.MemorySwapMax], [['t', 5n], ['t', 6n], ['t', 0n]]);
  assert.equal(p.TasksMax, ['t', 10n]);
  assert.equal(p.CPUWeight, ['t', 50n]);
  assert.equal(p.CPUQuotaPeriodUSec, ['t', 200000n]);
  assert.equal(p.CPUQuotaPerSecUSec, ['t', 250000n]);
  assert.equal(p.AllowedCPUs, ['ay', [3]]);
  // No property for these: cgroupfs only.
  assert.equal(Object.keys(p).length, 10);
  assert.equal(byName(unifiedProperties({ 'cpu.max': 'max' }, v252)).CPUQuotaPerSecUSec, ['t', USEC_INFINITY]);
  assert.throws(() => unifiedProperties({ 'memory/max': '1' }, v252), /must be a file name/);
  assert.throws(() => unifiedProperties({ memory: '1' }, v252), /CONTROLLER\.PARAMETER/);
  assert.throws(() => unifiedProperties({ 'pids.max': 'lots' }, v252), /"pids\.max" value conversion error/);
  assert.throws(() => unifiedProperties({ 'cpu.max': '1 2 3' }, v252), /"cpu\.max" value invalid/);
});

test('org.systemd.property.* annotations: GVariant values, Sec -> USec, name check', () => {
  assert.equal(
    annotationProperties({
      'org.systemd.property.TimeoutStopSec': '5',
      'org.systemd.property.RuntimeMaxSec': '1.5',
      'org.systemd.property.CollectMode': "'inactive-or-failed'",
      'org.systemd.property.TasksMax': 'uint64 100',
      'org.systemd.property.CPUWeight': '@t 7',
      'org.systemd.property.After': "['a.service', 'b.service']",
      'org.systemd.property.TimeoutStopUSec': 'uint64 9',
      'other.annotation': 'ignored',
    }),
    [
      ['TimeoutStopUSec', 't', 5000000n],
      ['RuntimeMaxUSec', 't', 1500000n],
      ['CollectMode', 's', 'inactive-or-failed'],
      ['TasksMax', 't', 100n],
      ['CPUWeight', 't', 7n],
      ['After', 'as', ['a.service', 'b.service']],
      ['TimeoutStopUSec', 't', 9n],
    ],
  );
  assert.throws(() => annotationProperties({ 'org.systemd.property.Ab': '1' }), /^Annotation org\.systemd\.property\.Ab name incorrect: Ab$/);
  assert.throws(() => annotationProperties({ 'org.systemd.property.Foo_Bar': '1' }), /name incorrect: Foo_Bar/);
  assert.throws(() => annotationProperties({ 'org.systemd.property.TimeoutStopSec': "'x'" }), /TimeoutStopSec='x' value parse error: not a number/);
  assert.throws(() => annotationProperties({ 'org.systemd.property.Foo': 'nonsense' }), /value parse error/);
  assert.equal(parseVariantText('true'), ['b', true]);
  assert.equal(parseVariantText('int32 -3'), ['i', -3]);
  assert.throws(() => parseVariantText('byte 300'), /out of range/);
});

test('systemd versions as Manager.Version reports them', () => {
  assert.equal(['252.22-1~deb12u1', 'v245.4-1.fc32', '245', 'v245-1.fc32'].map(systemdVersionAtoi), [252, 245, 245, 245]);
});

test('newManager/loadManager: the unit\'s directories in every hierarchy, saved with the unit', () => {
  // A bus address that leads nowhere: the paths need no D-Bus (only apply/set/destroy do).
  process.env.DBUS_SYSTEM_BUS_ADDRESS = 'unix:path=/nonexistent/bus';
  const v1 = makeV1Tree('/a.slice/a-b.slice/pre-c1.scope', { unified: true });
  const v2 = makeV2Tree('/system.slice/runc-ts-c1.scope');
  try {
    const m1 = newManager({ id: 'c1', systemd: true, cgroupsPath: 'a-b.slice:pre:c1', mountRoot: v1.root });
    assert.is(m1.paths().memory, `${v1.root}/memory/a.slice/a-b.slice/pre-c1.scope`);
    assert.is(m1.paths()[''], `${v1.root}/unified/a.slice/a-b.slice/pre-c1.scope`);
    const m2 = newManager({ id: 'c1', systemd: true, mountRoot: v2.root, selfCgroup: '0::/user.slice/session-1.scope\n' });
    assert.equal(m2.paths(), { '': `${v2.root}/system.slice/runc-ts-c1.scope` });
    const saved = m2.save();
    assert.equal(saved.systemd, { id: 'c1', unit: 'runc-ts-c1.scope', slice: 'system.slice' });
    const back = loadManager(JSON.parse(JSON.stringify(saved)));
    assert.equal([back.version, back.paths(), back.save()], [2, m2.paths(), saved]);
  } finally {
    delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
    v1.cleanup();
    v2.cleanup();
  }
});

test('newManager: without systemd, runc\'s refusal; bad annotations before anything starts', () => {
  delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
  assert.throws(() => newManager({ id: 'c1', systemd: true }), /^systemd not running on this host, cannot use systemd cgroups manager$/);
  process.env.DBUS_SYSTEM_BUS_ADDRESS = 'unix:path=/nonexistent/bus';
  try {
    assert.throws(() => newManager({ id: 'c1', systemd: true, annotations: { 'org.systemd.property.X_Y': '1' } }), /Annotation org\.systemd\.property\.X_Y name incorrect/);
  } finally {
    delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
  }
});

test.run();
