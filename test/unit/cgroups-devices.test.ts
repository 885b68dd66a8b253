// Device rules: runc's emulator semantics and the eBPF program bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_DEVICE_RULES, DeviceEmulator, deviceFilterProgram, disassemble, withDefaultDevices } from '../../src/cgroups/index';
import { fromSpec, ruleString } from '../../src/cgroups/devices/rules';

const rules = (...r: Parameters<typeof fromSpec>[0][]) => r.map((x) => fromSpec(x));
const emu = (...r: Parameters<typeof fromSpec>[0][]) => DeviceEmulator.fromRules(rules(...r));
const list = (e: DeviceEmulator) => e.rules().map((r) => `${r.allow ? 'allow' : 'deny'} ${ruleString(r)}`);

test('spec rules: defaults to type a, wildcards; empty access refused', () => {
  assert.equal(fromSpec({ allow: true, access: 'mwr' }), { type: 'a', major: -1, minor: -1, access: 'rwm', allow: true });
  assert.throws(() => fromSpec({ allow: true, access: '' }, 3), /access at 3/);
  assert.throws(() => fromSpec({ allow: true, access: 'x' }), /invalid device access/);
  assert.throws(() => fromSpec({ allow: true, type: 'u' as 'c', access: 'r' }), /invalid cgroup device type/);
});

test('emulator: starts as an allow-list; a rules reset; exceptions merge and shrink', () => {
  assert.equal(list(new DeviceEmulator()), ['deny a *:* rwm']);
  const e = emu({ allow: true, type: 'c', major: 1, minor: 3, access: 'r' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'w' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'r' });
  assert.equal(list(e), ['deny a *:* rwm', 'allow c 1:3 w']);
  e.apply(fromSpec({ allow: true, access: 'rwm' }));
  assert.equal(list(e), ['allow a *:* rwm']);
  e.apply(fromSpec({ allow: false, type: 'b', major: 8, access: 'w' }));
  assert.equal(list(e), ['allow a *:* rwm', 'deny b 8:* w']);
});

test('emulator: punching a hole into a wildcard exception is refused', () => {
  assert.throws(() => emu({ allow: true, type: 'c', access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'r' }), /cannot punch hole/);
  assert.not.throws(() => emu({ allow: true, type: 'c', access: 'm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'r' }));
});

test('emulator: devices.list parsing and transitions', () => {
  const allowAll = DeviceEmulator.fromList('a *:* rwm\n');
  assert.ok(allowAll.defaultAllow);
  const cur = DeviceEmulator.fromList('c 1:3 rwm\nb *:* m\n');
  assert.not.ok(cur.defaultAllow);
  const target = emu({ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' });
  assert.equal(cur.transition(target).map((r) => `${r.allow ? 'allow' : 'deny'} ${ruleString(r)}`), ['deny b *:* m', 'deny c 1:3 m', 'allow c 1:5 rwm']);
  // From allow-all we must reset, since deny rules are not listed.
  assert.equal(allowAll.transition(target).map((r) => `${r.allow ? 'allow' : 'deny'} ${ruleString(r)}`), ['deny a *:* rwm', 'allow c 1:3 rw', 'allow c 1:5 rwm']);
  assert.equal(target.transition(target), []);
});

test('withDefaultDevices: spec rules, runc defaults, then linux.devices', () => {
  const all = withDefaultDevices([{ allow: false, access: 'rwm' }], [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }]);
  assert.is(all.length, 1 + DEFAULT_DEVICE_RULES.length + 1);
  assert.equal(all[all.length - 1], { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' });
});

const PROLOGUE = ['ldxw r2, [r1+0]', 'and32 r2, 65535', 'ldxw r3, [r1+0]', 'rsh32 r3, 16', 'ldxw r4, [r1+4]', 'ldxw r5, [r1+8]'];

test('eBPF: no rules = deny everything (runc TestDeviceFilter_Nil)', () => {
  const p = deviceFilterProgram([]);
  assert.is(p.length, 8 * 8);
  assert.equal(disassemble(p), [...PROLOGUE, 'mov32 r0, 0', 'exit']);
  // Raw encoding of the first instruction: LDX|MEM|W, dst r2, src r1.
  assert.equal([...p.subarray(0, 8)], [0x61, 0x12, 0, 0, 0, 0, 0, 0]);
  assert.equal([...p.subarray(p.length - 8)], [0x95, 0, 0, 0, 0, 0, 0, 0]);
});

test('eBPF: runc built-in allow list (TestDeviceFilter_BuiltInAllowList layout)', () => {
  const d = disassemble(deviceFilterProgram(DEFAULT_DEVICE_RULES));
  assert.equal(d.slice(0, 6), PROLOGUE);
  // block 0: b *:* m ; block 1: c *:* m (type order b < c, wildcards first)
  assert.equal(d.slice(6, 12), ['jne r2, 1, +5', 'mov32 r1, r3', 'and32 r1, 1', 'jne r1, r3, +2', 'mov32 r0, 1', 'exit']);
  assert.equal(d.slice(12, 18), ['jne r2, 2, +5', 'mov32 r1, r3', 'and32 r1, 1', 'jne r1, r3, +2', 'mov32 r0, 1', 'exit']);
  // block 2: c 1:3 rwm (no access check)
  assert.equal(d.slice(18, 23), ['jne r2, 2, +4', 'jne r4, 1, +3', 'jne r5, 3, +2', 'mov32 r0, 1', 'exit']);
  // c 136:* rwm has no minor check and is the last exception before the default deny
  assert.equal(d.slice(-6), ['jne r2, 2, +3', 'jne r4, 136, +2', 'mov32 r0, 1', 'exit', 'mov32 r0, 0', 'exit']);
  assert.is(d.length, 6 + 2 * 6 + 8 * 5 + 4 + 2);
});

test('eBPF: allow-all with deny exceptions returns 0 in blocks and 1 by default', () => {
  const d = disassemble(deviceFilterProgram([{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 5, access: 'rw' }]));
  assert.equal(d.slice(6), ['jne r2, 2, +7', 'mov32 r1, r3', 'and32 r1, 6', 'jne r1, r3, +4', 'jne r4, 1, +3', 'jne r5, 5, +2', 'mov32 r0, 0', 'exit', 'mov32 r0, 1', 'exit']);
});

test.run();
