// Privileges as a security boundary, against runc-ts and runc: no_new_privs and the dropped
// capabilities hold for exec'd processes as for the init; a user namespace maps root as
// configured and leaves container root powerless over host-owned files and devices; LSM
// profiles this host cannot apply make the container fail rather than run unconfined.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { makeRuntime, runtimeNames, type Runtime } from '../helpers/runtimes';
import { runDetached, scratch } from '../helpers/security-util';

const DEFAULT_CAPS = '0000000020000420'; // AUDIT_WRITE(29), NET_BIND_SERVICE(10), KILL(5)
const HOST_UID = 100000;
const HOST_GID = 200000;

function caps(status: string, field: string): string {
  return new RegExp(`^${field}:\\s+([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '';
}

for (const name of runtimeNames()) {
  const t = suite(`security: privileges [${name}]`);
  let rt: Runtime;
  let b: Bundle;
  let n = 0;
  const id = () => `sec-priv-${process.pid}-${++n}`;

  t.before(() => {
    rt = makeRuntime(name);
  });
  t.after(() => rt.cleanup());
  t.before.each(() => {
    b = makeBundle();
  });
  t.after.each(() => b.remove());

  t("exec'd processes: no_new_privs and the config's capabilities, not the runtime's", () => {
    b.config.process.args = ['sleep', '60'];
    b.write();
    const cid = id();
    const initPid = runDetached(rt, b.dir, cid);
    try {
      const host = readFileSync(`/proc/${initPid}/status`, 'utf8');
      assert.match(host, /NoNewPrivs:\s+1/);
      assert.is(caps(host, 'CapEff'), DEFAULT_CAPS);
      for (const args of [[], ['--user', '1000:1000'], ['--cwd', '/tmp']]) {
        const r = rt.run(['exec', ...args, cid, 'cat', '/proc/self/status']);
        assert.is(r.status, 0, r.stderr);
        const what = `exec ${args.join(' ')}`;
        assert.match(r.stdout, /NoNewPrivs:\s+1/, `NoNewPrivs for ${what}`);
        assert.is(caps(r.stdout, 'CapBnd'), DEFAULT_CAPS, `CapBnd for ${what}`);
        // The config's ambient set cannot be raised without inheritable capabilities (the kernel
        // requires both), so a non-root user ends up with nothing after execve.
        const eff = args[0] === '--user' ? '0000000000000000' : DEFAULT_CAPS;
        assert.is(caps(r.stdout, 'CapEff'), eff, `CapEff for ${what}`);
        assert.is(caps(r.stdout, 'CapPrm'), eff, `CapPrm for ${what}`);
        assert.is(caps(r.stdout, 'CapInh'), '0000000000000000');
        assert.is(caps(r.stdout, 'CapAmb'), '0000000000000000');
      }
      // The missing capabilities are really missing: sethostname (SYS_ADMIN), chown (CHOWN),
      // mknod (MKNOD), reading a file of another user (DAC_OVERRIDE).
      const r = rt.run([
        'exec', cid, 'sh', '-c',
        'hostname evil; echo "hostname=$?"; touch /dev/shm/f; chown 1000 /dev/shm/f; echo "chown=$?"; ' +
          'mknod /dev/shm/null c 1 3; echo "mknod=$?"; echo secret > /dev/shm/s; chown 0 /dev/shm/s; chmod 600 /dev/shm/s; ' +
          'setpriv --reuid=1000 --regid=1000 --clear-groups cat /dev/shm/s; echo "dac=$?"; hostname',
      ]);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout, /hostname=1\nchown=1\nmknod=1\n/);
      assert.ok(!/^secret$/m.test(r.stdout), 'a uid 1000 process read a root 0600 file');
      assert.match(r.stdout, /dac=1\nrunc\n$/);
    } finally {
      rt.run(['delete', '--force', cid]);
    }
  });

  t('exec --no-new-privs sets no_new_privs when the config does not; exec --cap adds only that capability', () => {
    b.config.process.noNewPrivileges = false;
    b.config.process.args = ['sleep', '60'];
    b.write();
    const cid = id();
    runDetached(rt, b.dir, cid);
    try {
      let r = rt.run(['exec', cid, 'grep', 'NoNewPrivs', '/proc/self/status']);
      assert.match(r.stdout, /NoNewPrivs:\s+0/, r.stderr);
      r = rt.run(['exec', '--no-new-privs', cid, 'grep', 'NoNewPrivs', '/proc/self/status']);
      assert.is(r.status, 0, `exec --no-new-privs: ${r.stderr}`);
      assert.match(r.stdout, /NoNewPrivs:\s+1/, r.stderr);
      r = rt.run(['exec', '--cap', 'CAP_CHOWN', cid, 'sh', '-c', 'grep CapEff /proc/self/status; hostname x; echo "hostname=$?"']);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout, /CapEff:\s+0000000020000421\nhostname=1\n/);
    } finally {
      rt.run(['delete', '--force', cid]);
    }
  });

  t('a process that is not root gets no capabilities at all without ambient ones', () => {
    b.config.process.user = { uid: 1000, gid: 1000 };
    b.config.process.capabilities = { bounding: ['CAP_SYS_ADMIN', 'CAP_CHOWN'], effective: ['CAP_SYS_ADMIN', 'CAP_CHOWN'], permitted: ['CAP_SYS_ADMIN', 'CAP_CHOWN'] };
    b.config.process.args = ['sh', '-c', 'grep -E "^Cap(Eff|Prm)" /proc/self/status; hostname evil; echo "hostname=$?"'];
    b.write();
    const r = rt.run(['run', '--bundle', b.dir, id()]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /CapPrm:\s+0000000000000000\nCapEff:\s+0000000000000000\nhostname=1\n/);
  });

  t('user namespace: root is mapped as configured; files it creates belong to the mapped host ids', () => {
    const data = scratch('userns-data');
    const hostOwned = scratch('userns-hostowned');
    try {
      chownSync(data, HOST_UID, HOST_GID);
      writeFileSync(join(hostOwned, 'file'), 'host data\n');
      chmodSync(hostOwned, 0o755);
      chmodSync(join(hostOwned, 'file'), 0o644);
      chmodSync(b.dir, 0o755);
      // Mount points exist: the rootfs belongs to the host's root, unmapped inside.
      for (const d of ['data', 'hostowned']) mkdirSync(join(b.dir, 'rootfs', d));
      b.config.linux.namespaces.push({ type: 'user' });
      b.config.linux.uidMappings = [{ containerID: 0, hostID: HOST_UID, size: 65536 }];
      b.config.linux.gidMappings = [{ containerID: 0, hostID: HOST_GID, size: 65536 }];
      b.config.mounts = b.config.mounts.filter((m: any) => m.destination !== '/sys/fs/cgroup');
      b.config.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] });
      b.config.mounts.push({ destination: '/hostowned', type: 'bind', source: hostOwned, options: ['rbind', 'rw'] });
      b.config.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
      // Every capability: inside a user namespace they are worth nothing on the host.
      const all = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_SYS_ADMIN', 'CAP_SETUID', 'CAP_SETGID', 'CAP_SYS_MODULE', 'CAP_SYS_TIME', 'CAP_SYS_RAWIO'];
      b.config.process.capabilities = { bounding: all, effective: all, permitted: all };
      b.config.process.args = [
        'sh', '-c',
        [
          'cat /proc/self/uid_map /proc/self/gid_map; id -u',
          'touch /data/by-root && mkdir /data/dir && echo created',
          'touch /data/by-1000 && chown 1000:1000 /data/by-1000',
          'echo pwned >> /hostowned/file; echo "write=$?"',
          'touch /hostowned/new; echo "create=$?"',
          'chown 0:0 /hostowned/file; echo "chown=$?"',
          'mknod /tmp/sda b 8 0; echo "mknod=$?"',
          'mknod /tmp/mem c 1 1; echo "mknodc=$?"',
          'date -s 2000-01-01 >/dev/null 2>&1; echo "year=$(date +%Y)"',
          'ls -ln /hostowned/file | awk \'{print $3":"$4}\'',
        ].join('; '),
      ];
      b.write();
      const r = rt.run(['run', '--bundle', b.dir, id()]);
      assert.is(r.status, 0, r.stderr);
      const maps = r.stdout.split('\n').slice(0, 2).map((l) => l.trim().split(/\s+/).join(' '));
      assert.equal(maps, [`0 ${HOST_UID} 65536`, `0 ${HOST_GID} 65536`]);
      assert.match(r.stdout, /\n0\ncreated\n/);
      // Host-owned files: neither written, created, nor chowned; no device nodes; no clock.
      assert.match(r.stdout, /write=1\ncreate=1\nchown=1\nmknod=1\nmknodc=1\nyear=(?!2000)\d+\n/, r.stdout + r.stderr);
      assert.ok(new Date().getFullYear() !== 2000, 'the container set the host clock');
      // The host's root shows up as the overflow id inside.
      assert.match(r.stdout, /65534:65534\n$/);
      assert.is(readFileSync(join(hostOwned, 'file'), 'utf8'), 'host data\n');
      assert.ok(!existsSync(join(hostOwned, 'new')));
      assert.is(statSync(join(hostOwned, 'file')).uid, 0);
      for (const [f, uid, gid] of [['by-root', HOST_UID, HOST_GID], ['dir', HOST_UID, HOST_GID], ['by-1000', HOST_UID + 1000, HOST_GID + 1000]] as const) {
        const st = statSync(join(data, f));
        assert.is(`${st.uid}:${st.gid}`, `${uid}:${gid}`, `host owner of ${f}`);
      }
    } finally {
      rmSync(data, { recursive: true, force: true });
      rmSync(hostOwned, { recursive: true, force: true });
    }
  });

  t("user namespace: exec'd processes join it (same mapping, same powerlessness)", () => {
    chmodSync(b.dir, 0o755);
    b.config.linux.namespaces.push({ type: 'user' });
    b.config.linux.uidMappings = [{ containerID: 0, hostID: HOST_UID, size: 65536 }];
    b.config.linux.gidMappings = [{ containerID: 0, hostID: HOST_GID, size: 65536 }];
    b.config.mounts = b.config.mounts.filter((m: any) => m.destination !== '/sys/fs/cgroup');
    b.config.process.args = ['sleep', '60'];
    b.write();
    const cid = id();
    const initPid = runDetached(rt, b.dir, cid);
    try {
      const st = statSync(`/proc/${initPid}`);
      assert.is(`${st.uid}:${st.gid}`, `${HOST_UID}:${HOST_GID}`, 'the init runs as the mapped host ids');
      const pidFile = join(b.dir, 'exec.pid');
      const d = rt.detached(['exec', '--detach', '--pid-file', pidFile, cid, 'sleep', '30']);
      assert.is(d.status, 0, d.stderr);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      const est = statSync(`/proc/${pid}`);
      assert.is(`${est.uid}:${est.gid}`, `${HOST_UID}:${HOST_GID}`, "the exec'd process runs as the mapped host ids");
      assert.is(readFileSync(`/proc/${pid}/uid_map`, 'utf8'), readFileSync(`/proc/${initPid}/uid_map`, 'utf8'));
      const r = rt.run(['exec', cid, 'sh', '-c', 'cat /proc/self/uid_map; mknod /dev/shm/x c 1 3; echo "mknod=$?"']);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^\\s*0\\s+${HOST_UID}\\s+65536\\nmknod=1\\n$`));
    } finally {
      rt.run(['delete', '--force', cid]);
    }
  });

  t('process.apparmorProfile on a host without AppArmor: the container does not run (unconfined)', () => {
    assert.ok(!existsSync('/sys/kernel/security/apparmor'), 'this test expects a host without AppArmor');
    const marker = join(b.dir, 'rootfs', 'ran');
    b.config.root.readonly = false;
    b.config.process.apparmorProfile = 'docker-default';
    b.config.process.args = ['touch', '/ran'];
    b.write();
    const cid = id();
    const r = rt.run(['run', '--bundle', b.dir, cid]);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /apparmor/i);
    assert.ok(!existsSync(marker), 'the program ran without its AppArmor profile');
    assert.is(rt.run(['list', '-q']).stdout.includes(cid), false, 'no container left behind');
    // exec with a profile of its own (process.json) into a container without one: refused too.
    b.config.process.apparmorProfile = undefined;
    b.config.process.args = ['sleep', '60'];
    b.write();
    const cid2 = id();
    runDetached(rt, b.dir, cid2);
    try {
      const pj = join(b.dir, 'process.json');
      writeFileSync(pj, JSON.stringify({ terminal: false, user: { uid: 0, gid: 0 }, args: ['touch', '/ran-exec'], env: ['PATH=/bin'], cwd: '/', apparmorProfile: 'docker-default' }));
      const e = rt.run(['exec', '--process', pj, cid2]);
      assert.ok(e.status !== 0, 'exec with an AppArmor profile ran');
      assert.match(e.stderr, /apparmor/i);
      assert.ok(!existsSync(join(b.dir, 'rootfs', 'ran-exec')), 'the exec\'d program ran without its AppArmor profile');
      const e2 = rt.run(['exec', '--apparmor', 'docker-default', cid2, 'touch', '/ran-exec2']);
      assert.ok(e2.status !== 0, 'exec --apparmor ran');
      assert.ok(!existsSync(join(b.dir, 'rootfs', 'ran-exec2')));
    } finally {
      rt.run(['delete', '--force', cid2]);
    }
  });

  t('process.selinuxLabel on a host without SELinux: the container does not run', () => {
    assert.ok(!existsSync('/sys/fs/selinux/enforce'), 'this test expects a host without SELinux');
    b.config.root.readonly = false;
    b.config.process.selinuxLabel = 'system_u:system_r:container_t:s0:c1,c2';
    b.config.process.args = ['touch', '/ran'];
    b.write();
    const cid = id();
    const r = rt.run(['run', '--bundle', b.dir, cid]);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /selinux/i);
    assert.ok(!existsSync(join(b.dir, 'rootfs', 'ran')));
    assert.is(rt.run(['list', '-q']).stdout.includes(cid), false, 'no container left behind');
  });

  t.run();
}
