// The container lifecycle and the in-container view, run against runc-ts and runc alike: a
// difference between the two is a runc-ts bug (or a documented choice).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { DELAY_EXITS, makeRuntime, runtimeNames, type Runtime, sleep, straceBin, waitStatus } from '../helpers/runtimes';



function mountsUnder(path: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[4]?.startsWith(path));
}

for (const name of runtimeNames()) {
  const t = suite(`lifecycle [${name}]`);
  let rt: Runtime;
  let b: Bundle;

  t.before(() => {
    rt = makeRuntime(name);
  });
  t.after(() => {
    rt.cleanup();
  });
  t.before.each(() => {
    b = makeBundle();
  });
  t.after.each(() => {
    b.remove();
  });

  // On a loaded machine nsexec's first process (the init's parent, which exits right after its
  // fork into the pid namespace) may run late. runc-ts's `run` then waited for the init before
  // it had become its child (we are its subreaper) and exited 255 without a word: 1 in ~300 of
  // 20 parallel runs. strace holds every exit_group for 200 ms, that parent's included.
  t('run: the exit status arrives even when the init\'s parent exits late', () => {
    b.config.process.args = ['sh', '-c', 'exit 3'];
    b.write();
    const r = spawnSync(straceBin(), [...DELAY_EXITS, rt.bin, '--root', rt.root, 'run', '--bundle', b.dir, `late-${process.pid}`], { encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 3, r.stderr);
  });

  t('run: output, exit code and the in-container view match config.json', () => {
    b.config.hostname = 'lifecycle-test';
    b.config.process.cwd = '/tmp';
    b.config.process.env.push('GREETING=hello world');
    b.config.process.user = { uid: 1000, gid: 1000, additionalGids: [29, 100] };
    b.config.process.rlimits = [
      { type: 'RLIMIT_NOFILE', hard: 512, soft: 256 },
      { type: 'RLIMIT_NPROC', hard: 300, soft: 200 },
    ];
    b.config.process.capabilities = {
      bounding: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_BIND_SERVICE'],
      effective: ['CAP_KILL'],
      permitted: ['CAP_KILL', 'CAP_CHOWN'],
      inheritable: ['CAP_KILL'],
      ambient: ['CAP_KILL'],
    };
    b.config.process.args = ['sh', '-c', 'hostname; pwd; echo "$GREETING"; id; grep -E "^(Cap|NoNewPrivs)" /proc/self/status; grep -E "open files|processes" /proc/self/limits; exit 7'];
    b.write();
    const r = rt.run(['run', '--bundle', b.dir, `run-${process.pid}`]);
    assert.is(r.status, 7, r.stderr);
    const out = r.stdout;
    assert.match(out, /^lifecycle-test\n\/tmp\nhello world\n/);
    assert.match(out, /uid=1000\(tester\) gid=1000\(tester\) groups=29\(audio\),100\(users\)/);
    // CAP_KILL = bit 5, CAP_CHOWN = bit 0, CAP_NET_BIND_SERVICE = bit 10
    assert.match(out, /CapInh:\s+0000000000000020/);
    // Non-root after execve: permitted = ambient (file caps are empty), as the kernel computes it.
    assert.match(out, /CapPrm:\s+0000000000000020/);
    assert.match(out, /CapEff:\s+0000000000000020/);
    assert.match(out, /CapBnd:\s+0000000000000421/);
    assert.match(out, /CapAmb:\s+0000000000000020/);
    assert.match(out, /NoNewPrivs:\s+1/);
    assert.match(out, /Max open files\s+256\s+512/);
    assert.match(out, /Max processes\s+200\s+300/);
    assert.not.ok(existsSync(join(rt.root, `run-${process.pid}`)), 'run removes the container afterwards');
  });

  t('mounts, /dev, masked and read-only paths are as runc sets them up', () => {
    b.config.process.args = [
      'sh',
      '-c',
      'cat /proc/self/mountinfo | cut -d" " -f5,6 | sort; stat -c "%A %t:%T %n" /dev/null /dev/zero /dev/full /dev/tty /dev/random /dev/urandom; for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; touch /x 2>&1; echo kcore=$(cat /proc/kcore 2>/dev/null | wc -c); echo firmware=$(ls /sys/firmware | wc -l); (echo 1 > /proc/sys/kernel/domainname) 2>&1; true',
    ];
    b.write();
    const r = rt.run(['run', '--bundle', b.dir, `mnt-${process.pid}`]);
    assert.is(r.status, 0, r.stderr);
    const out = r.stdout;
    for (const line of ['/ ro,relatime', '/proc rw,relatime', '/dev rw,nosuid', '/dev/pts rw,nosuid,noexec,relatime', '/dev/shm rw,nosuid,nodev,noexec,relatime', '/dev/mqueue rw,nosuid,nodev,noexec,relatime', '/sys ro,nosuid,nodev,noexec,relatime', '/proc/sys ro', '/sys/firmware ro'])
      assert.ok(out.includes(line + '\n') || out.includes(line + ','), `mountinfo has "${line}"\n${out}`);
    assert.match(out, /crw-rw-rw- 1:3 \/dev\/null\ncrw-rw-rw- 1:5 \/dev\/zero\ncrw-rw-rw- 1:7 \/dev\/full\ncrw-rw-rw- 5:0 \/dev\/tty\ncrw-rw-rw- 1:8 \/dev\/random\ncrw-rw-rw- 1:9 \/dev\/urandom\n/);
    assert.match(out, /\/proc\/self\/fd\n\/proc\/self\/fd\/0\n\/proc\/self\/fd\/1\n\/proc\/self\/fd\/2\npts\/ptmx\n/);
    assert.match(out, /touch: \/x: Read-only file system/);
    assert.match(out, /kcore=0\nfirmware=0\n/, 'masked /proc/kcore reads empty and /sys/firmware is an empty tmpfs');
    assert.match(out, /can't create \/proc\/sys\/kernel\/domainname: Read-only file system/);
  });

  t('create → created → start → running → kill → stopped → delete, leaving nothing', () => {
    const id = `life-${process.pid}`;
    b.config.process.args = ['sleep', '60'];
    b.write();
    const pidFile = join(b.dir, 'pid');
    let r: { status: number | null; stderr: string; stdout: string } = rt.detached(['create', '--bundle', b.dir, '--pid-file', pidFile, id]);
    assert.is(r.status, 0, r.stderr);
    let s = JSON.parse(rt.run(['state', id]).stdout);
    assert.is(s.status, 'created');
    assert.is(s.id, id);
    assert.is(s.bundle, b.dir);
    assert.is(Number(readFileSync(pidFile, 'utf8')), s.pid, 'pid file holds the init pid');
    assert.ok(existsSync(`/proc/${s.pid}`));
    // The init is not our child, nor the child of a lingering runtime process.
    const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${s.pid}/status`, 'utf8'))![1]);
    assert.not.ok(readFileSync(`/proc/${ppid}/cmdline`, 'utf8').includes(rt.bin), 'init parent is not the runtime');
    const list = JSON.parse(rt.run(['list', '--format', 'json']).stdout);
    assert.equal(list.map((c: any) => [c.id, c.status]), [[id, 'created']]);
    r = rt.run(['start', id]);
    assert.is(r.status, 0, r.stderr);
    s = waitStatus(rt, id, 'running');
    assert.is(s.status, 'running');
    assert.match(readFileSync(`/proc/${s.pid}/cmdline`, 'utf8'), /^sleep\x0060\x00$/);
    r = rt.run(['start', id]);
    assert.is(r.status, 1);
    assert.match(r.stderr, /cannot start an already running container/);
    r = rt.run(['delete', id]);
    assert.is(r.status, 1);
    assert.match(r.stderr, /cannot delete container .* that is not stopped: running/);
    r = rt.run(['kill', id, 'KILL']);
    assert.is(r.status, 0, r.stderr);
    s = waitStatus(rt, id, 'stopped');
    assert.is(s.status, 'stopped');
    assert.is(s.pid, 0);
    r = rt.run(['start', id]);
    assert.is(r.status, 1);
    r = rt.run(['delete', id]);
    assert.is(r.status, 0, r.stderr);
    assert.not.ok(existsSync(join(rt.root, id)), 'state dir removed');
    assert.is(rt.run(['state', id]).status, 1);
    assert.equal(mountsUnder(b.dir), [], 'no mounts left under the bundle');
    assert.not.ok(existsSync(`/sys/fs/cgroup/pids/${id}`) || existsSync(`/sys/fs/cgroup/memory/${id}`), 'cgroups removed');
  });

  t('kill takes signal names and numbers; delete --force removes a running container', () => {
    const id = `kill-${process.pid}`;
    b.config.process.args = ['sh', '-c', 'trap "echo got-usr1 > /tmp/sig" USR1; while true; do sleep 0.05; done'];
    b.config.root.readonly = false;
    b.write();
    const d = rt.detached(['run', '-d', '--bundle', b.dir, id]);
    assert.is(d.status, 0, d.stderr);
    const s = waitStatus(rt, id, 'running');
    sleep(100);
    assert.is(rt.run(['kill', id, 'SIGUSR1']).status, 0);
    const deadline = Date.now() + 3000;
    while (!existsSync(join(b.dir, 'rootfs/tmp/sig')) && Date.now() < deadline) sleep(20);
    assert.is(readFileSync(join(b.dir, 'rootfs/tmp/sig'), 'utf8'), 'got-usr1\n');
    assert.is(rt.run(['kill', id, '10']).status, 0);
    const bad = rt.run(['kill', id, 'NOPE']);
    assert.is(bad.status, 1);
    const r = rt.run(['delete', '--force', id]);
    assert.is(r.status, 0, r.stderr);
    assert.not.ok(existsSync(`/proc/${s.pid}`) && !readFileSync(`/proc/${s.pid}/stat`, 'utf8').includes(') Z'), 'init killed');
    assert.is(rt.run(['state', id]).status, 1);
  });

  t('errors: unknown id, existing id, invalid id, bad config leave no state behind', () => {
    let r: { status: number | null; stdout: string; stderr: string } = rt.run(['state', 'does-not-exist']);
    assert.is(r.status, 1);
    assert.match(r.stderr, /container does not exist/);
    r = rt.run(['kill', 'does-not-exist']);
    assert.is(r.status, 1);
    r = rt.run(['create', '--bundle', b.dir, 'bad/id']);
    assert.is(r.status, 1);
    assert.match(r.stderr, /invalid container ID format/);
    const id = `dup-${process.pid}`;
    b.config.process.args = ['sleep', '30'];
    b.write();
    assert.is(rt.detached(['create', '--bundle', b.dir, id]).status, 0);
    r = rt.run(['create', '--bundle', b.dir, id]);
    assert.is(r.status, 1);
    assert.match(r.stderr, /container with given ID already exists/);
    assert.is(rt.run(['delete', id]).status, 0, 'a created container can be deleted');
    writeFileSync(join(b.dir, 'config.json'), '{ "ociVersion": "1.0.2", ');
    r = rt.detached(['create', '--bundle', b.dir, `badjson-${process.pid}`]);
    assert.is(r.status, 1);
    b.config.process.args = ['/does/not/exist'];
    b.write();
    r = rt.detached(['create', '--bundle', b.dir, `nobin-${process.pid}`]);
    assert.is(r.status, 1);
    assert.match(r.stderr, /does\/not\/exist/);
    assert.equal(readdirSync(rt.root).filter((n) => !n.startsWith('.')), [], 'no state left after failed creates');
  });

  t.run();
}
