// exec into a running container, against runc-ts and runc: same namespaces and cgroup as the
// init, the config's process settings with the command line's overrides, exit codes, errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { DELAY_EXITS, makeRuntime, runtimeNames, type Runtime, sleep, straceBin } from '../helpers/runtimes';


const NS = ['pid', 'net', 'ipc', 'uts', 'mnt'];

for (const name of runtimeNames()) {
  const t = suite(`exec [${name}]`);
  let rt: Runtime;
  let b: Bundle;
  let id: string;
  let initPid: number;

  t.before(() => {
    rt = makeRuntime(name);
    b = makeBundle((c) => {
      c.process.args = ['sleep', '120'];
      c.process.env.push('FROM_CONFIG=yes');
      c.hostname = 'exec-test';
    });
    id = `exec-${process.pid}`;
    const r = rt.detached(['run', '-d', '--bundle', b.dir, id]);
    assert.is(r.status, 0, r.stderr);
    initPid = JSON.parse(rt.run(['state', id]).stdout).pid;
  });
  t.after(() => {
    rt.run(['delete', '--force', id]);
    rt.cleanup();
    b.remove();
  });

  t('the exec\'d process shares the init\'s namespaces and cgroups', () => {
    const pidFile = join(b.dir, `exec.pid`);
    const r = rt.detached(['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '30']);
    assert.is(r.status, 0, r.stderr);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(pid > 0 && pid !== initPid);
    for (const ns of NS) assert.is(readlinkSync(`/proc/${pid}/ns/${ns}`), readlinkSync(`/proc/${initPid}/ns/${ns}`), `${ns} namespace`);
    assert.is(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), readFileSync(`/proc/${initPid}/cgroup`, 'utf8'), 'same cgroups');
    assert.is(readlinkSync(`/proc/${pid}/root`), '/', 'root is the container rootfs (seen from inside)');
    process.kill(pid, 'SIGKILL');
  });

  t('exit code, args after the id (with their own flags), env from the config plus --env', () => {
    const r = rt.run(['exec', '--env', 'EXTRA=1', id, 'sh', '-c', 'echo "$FROM_CONFIG $EXTRA $(hostname)"; exit 3']);
    assert.is(r.status, 3, r.stderr);
    assert.is(r.stdout, 'yes 1 exec-test\n');
  });

  // As for `run` (lifecycle.test.ts): the exec'd process' parent, nsexec's first process, may
  // exit late on a loaded machine; its status must still arrive (it was 255, silently).
  t('exit code when the exec\'d process\' parent exits late', () => {
    const r = spawnSync(straceBin(), [...DELAY_EXITS, rt.bin, '--root', rt.root, 'exec', id, 'sh', '-c', 'exit 4'], { encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 4, r.stderr);
  });

  t('--user, --cwd, --additional-gids, --cap, --no-new-privs', () => {
    let r = rt.run(['exec', '--user', '1000:1000', '--additional-gids', '29', '--cwd', '/tmp', id, 'sh', '-c', 'id; pwd']);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, 'uid=1000(tester) gid=1000(tester) groups=29(audio)\n/tmp\n');
    r = rt.run(['exec', '--cap', 'CAP_SYS_ADMIN', id, 'grep', 'CapBnd', '/proc/self/status']);
    assert.is(r.status, 0, r.stderr);
    // default bounding set (AUDIT_WRITE, KILL, NET_BIND_SERVICE) plus SYS_ADMIN (bit 21)
    assert.match(r.stdout, /CapBnd:\s+0000000020200420/);
  });

  t('--process with a process.json as containerd writes it', () => {
    const file = join(b.dir, 'process.json');
    writeFileSync(file, JSON.stringify({ terminal: false, user: { uid: 65534, gid: 65534 }, args: ['sh', '-c', 'id -u; echo $A'], env: ['PATH=/bin', 'A=b'], cwd: '/', noNewPrivileges: true }));
    const r = rt.run(['exec', '--process', file, id]);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, '65534\nb\n');
  });

  t('errors: missing binary, stopped container', () => {
    let r = rt.run(['exec', id, '/no/such/binary']);
    assert.is(r.status === 0, false);
    const other = `exec-stopped-${process.pid}`;
    b.config.process.args = ['true'];
    b.write();
    assert.is(rt.detached(['run', '-d', '--bundle', b.dir, other]).status, 0);
    const end = Date.now() + 3000;
    while (Date.now() < end && !rt.run(['state', other]).stdout.includes('"stopped"')) sleep(20);
    r = rt.run(['exec', other, 'true']);
    assert.is(r.status, 255, 'runc exec exits 255 for its own errors');
    assert.match(r.stderr, /cannot exec in a stopped container/);
    assert.is(rt.run(['delete', other]).status, 0);
  });

  t.run();
}
