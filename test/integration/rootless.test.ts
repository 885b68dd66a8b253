// Rootless: an unprivileged user runs a container from `spec --rootless` (a user namespace
// mapping only its own uid/gid, no cgroups, state under $XDG_RUNTIME_DIR), with runc-ts and
// with runc. The test user is created for the run and removed afterwards.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { makeBusyboxRootfs } from '../helpers/bundle';
import { RUNC, RUNC_TS, runtimeNames } from '../helpers/runtimes';

const USER = 'runcts-rootless';
let createdUser = false;
let uid = 0;
let work = '';

function asUser(cmd: string[], env: Record<string, string>, cwd: string) {
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--init-groups', 'env', '-i', `PATH=${process.env.PATH}`, `HOME=${work}`, ...envArgs, ...cmd], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const name of runtimeNames()) {
  const t = suite(`rootless [${name}]`);
  const bin = name === 'runc' ? RUNC! : RUNC_TS;

  t.before(() => {
    if (spawnSync('id', ['-u', USER]).status !== 0) {
      execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
      createdUser = true;
    }
    uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
    work = mkdtempSync('/tmp/runc-ts-rootless-');
    chmodSync(work, 0o755);
  });
  t.after(() => {
    rmSync(work, { recursive: true, force: true });
    if (createdUser) {
      spawnSync('userdel', [USER]);
      createdUser = false;
    }
  });

  t('spec --rootless maps only the caller; the container runs as its root without host privileges', () => {
    const bundle = join(work, 'bundle');
    makeBusyboxRootfs(join(bundle, 'rootfs'));
    execFileSync('chown', ['-R', `${uid}:${uid}`, work]);
    const xdg = join(work, 'xdg');
    let r = asUser([bin, 'spec', '--rootless'], {}, bundle);
    assert.is(r.status, 0, r.stderr);
    const cfgPath = join(bundle, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    assert.equal(cfg.linux.uidMappings, [{ containerID: 0, hostID: uid, size: 1 }]);
    assert.ok(cfg.linux.namespaces.some((n: any) => n.type === 'user'));
    cfg.process.terminal = false;
    cfg.root.readonly = false;
    cfg.process.args = ['sh', '-c', 'id -u; cat /proc/self/uid_map; touch /made-inside; mknod /dev/evil c 1 3 2>&1 || echo mknod-denied; cat /proc/self/status | grep CapEff'];
    writeFileSync(cfgPath, JSON.stringify(cfg));
    chownSync(cfgPath, uid, uid);
    const args = name === 'runc' ? ['--root', join(xdg, 'runc')] : [];
    r = asUser([bin, ...args, 'run', `rootless-${process.pid}`], { XDG_RUNTIME_DIR: xdg }, bundle);
    assert.is(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.is(lines[0], '0', 'root inside');
    assert.match(lines[1]!, new RegExp(`^\\s+0\\s+${uid}\\s+1$`), 'uid_map');
    assert.match(r.stdout, /mknod-denied/, 'no mknod in a user namespace');
    // The file made by "root" inside belongs to the unprivileged user on the host.
    const st = spawnSync('stat', ['-c', '%u', join(bundle, 'rootfs/made-inside')], { encoding: 'utf8' });
    assert.is(st.stdout.trim(), String(uid));
    if (name === 'runc-ts') {
      assert.ok(existsSync(join(xdg, 'runc-ts')), 'state under $XDG_RUNTIME_DIR/runc-ts');
      assert.equal(readdirSync(join(xdg, 'runc-ts')), [], 'run removed its state');
    }
  });

  t.run();
}
