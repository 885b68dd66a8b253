import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMountOptions, MS } from '../../src/libcontainer/mount-options';
import { planNamespaces, CLONE_FLAGS } from '../../src/libcontainer/namespaces';
import { capMasks } from '../../src/libcontainer/capabilities';
import { validateId } from '../../src/libcontainer/state';
import { formatTable } from '../../src/cli/table';
import { parseCpuList } from '../../src/libcontainer/init/process';

test('mount options: flags, clearing flags, propagation, recursive attrs and data', () => {
  const p = parseMountOptions(['nosuid', 'noexec', 'ro', 'rw', 'nodev', 'mode=755', 'size=65536k', 'rslave', 'rro']);
  assert.is(p.flags, MS.NOSUID | MS.NOEXEC | MS.NODEV);
  assert.is(p.data, 'mode=755,size=65536k');
  assert.equal(p.propagation, [MS.SLAVE | MS.REC]);
  assert.is(p.recAttrSet, 1);
  const b = parseMountOptions(['rbind', 'ro']);
  assert.is(b.flags, MS.BIND | MS.REC | MS.RDONLY);
  assert.is(b.data, '');
});

test('namespaces: new ones become clone flags, joined ones are ordered user first', () => {
  const p = planNamespaces([{ type: 'pid' }, { type: 'network', path: '/proc/1/ns/net' }, { type: 'mount' }, { type: 'user', path: '/proc/1/ns/user' }]);
  assert.is(p.cloneFlags, CLONE_FLAGS.pid | CLONE_FLAGS.mount);
  assert.equal(p.joins.map((j) => j.type), ['user', 'network']);
  assert.equal(p.newTypes, ['pid', 'mount']);
  assert.throws(() => planNamespaces([{ type: 'pid' }, { type: 'pid' }]), /duplicate namespace type pid/);
});

test('capabilities: masks per set, unknown names reported', () => {
  const m = capMasks({ bounding: ['CAP_CHOWN', 'CAP_KILL'], effective: ['CAP_NET_BIND_SERVICE'], ambient: ['CAP_NOPE'] });
  assert.is(m.bounding, (1n << 0n) | (1n << 5n));
  assert.is(m.effective, 1n << 10n);
  assert.is(m.ambient, 0n);
  assert.equal(m.unknown, ['CAP_NOPE']);
  // Once each and sorted, as runc's warning lists them (its mapKeys).
  assert.equal(capMasks({ bounding: ['CAP_ZZZ', 'CAP_AAA'], effective: ['CAP_ZZZ'], permitted: ['CAP_MMM'] }).unknown, ['CAP_AAA', 'CAP_MMM', 'CAP_ZZZ']);
});

test('container ids follow runc rules', () => {
  validateId('abc-1.2_x+y');
  assert.throws(() => validateId('bad/id'), /invalid container ID format/);
  assert.throws(() => validateId('..'), /invalid container ID format/);
  assert.throws(() => validateId(''), /cannot be empty/);
});

test('tables are laid out like Go tabwriter (minwidth 12, padding 3)', () => {
  const t = formatTable([
    ['ID', 'PID', 'STATUS'],
    ['a-long-container-id', '1', 'running'],
  ]);
  assert.is(t, 'ID                    PID         STATUS\na-long-container-id   1           running\n');
});

test('cpu lists', () => {
  const m = parseCpuList('0-2,5', 'x');
  assert.is(m[0], 0b100111);
  assert.throws(() => parseCpuList('3-1', 'x'), /invalid CPU range/);
  assert.throws(() => parseCpuList('a', 'x'), /invalid CPU list/);
});

test.run();
