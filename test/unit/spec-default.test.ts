// defaultSpec (src/spec/default.ts) against `runc spec` from the runc installed here (1.1.5),
// with the documented differences: ociVersion 1.3.0 and newer runc's example.go changes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { skip } from '../helpers/skip';
import * as assert from 'uvu/assert';

execFileSync(process.execPath, [join(__dirname, '../../scripts/gen-validators.mjs')], { stdio: 'inherit' });

import { defaultSpec } from '../../src/spec/default';
import { validateConfig } from '../../src/spec/validate';

const RUNC = ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'].find((p) => existsSync(p));

/** What `runc spec [--rootless]` writes, parsed. */
function runcSpec(rootless: boolean): any {
  const dir = mkdtempSync(join(tmpdir(), 'runc-ts-spec-default-'));
  try {
    execFileSync(RUNC!, ['spec', ...(rootless ? ['--rootless'] : []), '--bundle', dir]);
    return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** runc 1.1's example, brought to what newer runc writes (see the header of default.ts). */
function asNewerRunc(spec: any, cgroupNamespace: boolean): any {
  spec.ociVersion = '1.3.0';
  delete spec.process.capabilities.ambient;
  delete spec.process.capabilities.inheritable;
  spec.linux.maskedPaths.push('/sys/devices/virtual/tpm');
  if (cgroupNamespace && !spec.linux.namespaces.some((n: any) => n.type === 'cgroup')) {
    const userAt = spec.linux.namespaces.findIndex((n: any) => n.type === 'user');
    spec.linux.namespaces.splice(userAt === -1 ? spec.linux.namespaces.length : userAt, 0, { type: 'cgroup' });
  }
  return spec;
}

if (RUNC) {
  for (const rootless of [false, true]) {
    test(`matches \`runc spec${rootless ? ' --rootless' : ''}\`, key order included`, () => {
      const cgroupNs = existsSync('/sys/fs/cgroup/cgroup.controllers');
      const want = asNewerRunc(runcSpec(rootless), cgroupNs);
      const got = defaultSpec({ rootless });
      // Same text: same content and the same key order as Go's encoder.
      assert.fixture(JSON.stringify(got, null, '\t'), JSON.stringify(want, null, '\t'));
    });
  }
} else {
  skip(test, 'matches `runc spec`', 'no runc installed');
}

test('default spec: the fields runc users rely on', () => {
  const s = defaultSpec({ cgroupNamespace: false });
  assert.is(s.ociVersion, '1.3.0');
  assert.is(s.process?.terminal, true);
  assert.equal(s.process?.user, { uid: 0, gid: 0 });
  assert.equal(s.root, { path: 'rootfs', readonly: true });
  assert.equal(s.process?.capabilities, {
    bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
  });
  assert.equal(s.linux?.namespaces?.map((n) => n.type), ['pid', 'network', 'ipc', 'uts', 'mount']);
  assert.equal(s.linux?.resources, { devices: [{ allow: false, access: 'rwm' }] });
  assert.ok(s.linux?.maskedPaths?.includes('/sys/devices/virtual/tpm'));
  assert.is(s.mounts?.find((m) => m.destination === '/dev/pts')?.options?.includes('gid=5'), true);
  validateConfig(s);
});

test('cgroupNamespace adds a cgroup namespace (after mount; before user when rootless)', () => {
  assert.equal(defaultSpec({ cgroupNamespace: true }).linux?.namespaces?.map((n) => n.type), ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']);
  assert.equal(defaultSpec({ rootless: true, cgroupNamespace: true }).linux?.namespaces?.map((n) => n.type), ['pid', 'ipc', 'uts', 'mount', 'cgroup', 'user']);
});

test('rootless: user namespace mapping the current euid/egid, /sys bind, no gid= options, no resources', () => {
  const s = defaultSpec({ rootless: true, cgroupNamespace: false });
  assert.equal(s.linux?.uidMappings, [{ containerID: 0, hostID: process.geteuid!(), size: 1 }]);
  assert.equal(s.linux?.gidMappings, [{ containerID: 0, hostID: process.getegid!(), size: 1 }]);
  assert.equal(s.linux?.namespaces?.map((n) => n.type), ['pid', 'ipc', 'uts', 'mount', 'user']);
  assert.is(s.linux?.resources, undefined);
  assert.equal(s.mounts?.find((m) => m.destination === '/sys'), {
    destination: '/sys',
    type: 'none',
    source: '/sys',
    options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
  });
  assert.ok(s.mounts?.every((m) => !m.options?.some((o) => o.startsWith('gid=') || o.startsWith('uid='))));
  validateConfig(s);
});

test('each call returns a fresh object', () => {
  const a = defaultSpec();
  a.process!.capabilities!.bounding!.push('CAP_SYS_ADMIN');
  a.mounts![0]!.destination = '/changed';
  const b = defaultSpec();
  assert.is(b.process!.capabilities!.bounding!.length, 3);
  assert.is(b.mounts![0]!.destination, '/proc');
});

test.run();
