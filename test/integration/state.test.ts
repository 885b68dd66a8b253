// runc-ts's own state handling (runc keeps a different state format, so runc-ts only): a
// `create` that died before its init was known leaves a "creating" container that kill refuses
// and delete --force removes, without ever signalling pid 0 (our own process group).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { RUNC_TS } from '../helpers/runtimes';

test('a half-created container (pid 0) is refused by kill and removed by delete --force', () => {
  const root = mkdtempSync(join(tmpdir(), 'runc-ts-state-'));
  try {
    mkdirSync(join(root, 'half'));
    writeFileSync(
      join(root, 'half', 'state.json'),
      JSON.stringify({ id: 'half', bundle: '/tmp', rootfs: '/tmp', pid: 0, pidStartTime: '', created: new Date().toISOString(), owner: 'root', config: { ociVersion: '1.0.2', linux: { namespaces: [{ type: 'pid' }] } }, cgroup: null, namespacePaths: {} }),
    );
    const run = (...args: string[]) => spawnSync(RUNC_TS, ['--root', root, ...args], { encoding: 'utf8' });
    assert.match(run('state', 'half').stdout, /"status": "creating"/);
    const k = run('kill', 'half', 'KILL');
    assert.is(k.status, 1);
    assert.match(k.stderr, /container not running/);
    assert.is(run('delete', 'half').status, 1, 'not without --force');
    const d = run('delete', '--force', 'half');
    assert.is(d.status, 0, d.stderr);
    assert.not.ok(existsSync(join(root, 'half')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
