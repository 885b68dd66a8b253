// Checks made before anything is created (namespace paths, mask paths without a mount
// namespace) and the bind-source bootstrap lines for nsexec.c (issue #9 items 3 and 9).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkNamespaces, planNamespaces } from '../../src/libcontainer/namespaces';
import { mountSourceLines } from '../../src/libcontainer/mount-sources';

const spec = (namespaces: any[], extra: any = {}): any => ({ ociVersion: '1.0.2', linux: { namespaces, ...extra } });

test('a namespace path of the right type passes', () => {
  const s = spec([{ type: 'uts', path: '/proc/self/ns/uts' }, { type: 'network', path: '/proc/self/ns/net' }, { type: 'mount' }]);
  checkNamespaces(s, planNamespaces(s.linux.namespaces));
});

test('a namespace path of another type is refused, naming the field and both types', () => {
  const s = spec([{ type: 'uts', path: '/proc/self/ns/ipc' }, { type: 'mount' }]);
  assert.throws(() => checkNamespaces(s, planNamespaces(s.linux.namespaces)), /^linux\.namespaces: uts namespace path \/proc\/self\/ns\/ipc: not a uts namespace \(it is of type ipc\)$/);
});

test('a file that is no namespace, or none at all, is refused', () => {
  let s = spec([{ type: 'pid', path: '/etc/hostname' }, { type: 'mount' }]);
  assert.throws(() => checkNamespaces(s, planNamespaces(s.linux.namespaces)), /pid namespace path \/etc\/hostname: not a pid namespace \(not a namespace file\)/);
  s = spec([{ type: 'pid', path: '/nonexistent/ns' }, { type: 'mount' }]);
  assert.throws(() => checkNamespaces(s, planNamespaces(s.linux.namespaces)), /pid namespace path \/nonexistent\/ns: no such file or directory/);
});

test('masked or read-only paths need a mount namespace', () => {
  const s = spec([{ type: 'pid' }], { maskedPaths: ['/proc/kcore'] });
  assert.throws(() => checkNamespaces(s, planNamespaces(s.linux.namespaces)), /without a private MNT namespace/);
  const joined = spec([{ type: 'mount', path: '/proc/self/ns/mnt' }], { maskedPaths: ['/proc/kcore'] });
  checkNamespaces(joined, planNamespaces(joined.linux.namespaces));
});

test('bind sources are cloned ahead only with a user namespace; idmapped ones are not', () => {
  const mounts = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/a', type: 'bind', source: '/src/a', options: ['rbind', 'ro'] },
    { destination: '/b', source: 'rel/b', options: ['bind'] },
    { destination: '/c', type: 'bind', source: '/src/c', options: ['rbind', 'idmap'] },
  ];
  assert.is(mountSourceLines({ ...spec([{ type: 'mount' }]), mounts }, '/bundle'), '');
  assert.is(mountSourceLines({ ...spec([{ type: 'mount' }, { type: 'user' }]), mounts }, '/bundle'), 'source 1 1 /src/a\nsource 2 0 /bundle/rel/b\n');
});

test.run();
