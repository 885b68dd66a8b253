// The systemd cgroup driver (--systemd-cgroup) on a real systemd host with cgroup v2 (the guest
// harness, test/guest/run.mjs): the container's cgroup is a transient scope that systemd
// reports with the container's limits, the limits hold, update goes through systemd, pause
// freezes, delete removes the unit. runc-ts and runc side by side.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { makeBundle, makeBusyboxRootfs } from '../../helpers/bundle';
import { makeRuntime, runtimeNames, RUNC, RUNC_TS, sleep, type Runtime } from '../../helpers/runtimes';
import { defaultSpec } from '../../../src/spec/default';

const onSystemd = existsSync('/run/systemd/system') && existsSync('/sys/fs/cgroup/cgroup.controllers');

/**
 * `systemctl show` of a unit as a map (values as systemctl prints them: "200ms", "yes", ...);
 * list properties (DeviceAllow) come one line per entry and are joined with newlines.
 */
function show(unit: string, ...props: string[]): Record<string, string> {
  const r = spawnSync('systemctl', ['show', unit, ...props.flatMap((p) => ['-p', p])], { encoding: 'utf8' });
  const out: Record<string, string> = {};
  for (const l of r.stdout.split('\n')) {
    const i = l.indexOf('=');
    if (i > 0) out[l.slice(0, i)] = out[l.slice(0, i)] === undefined ? l.slice(i + 1) : `${out[l.slice(0, i)]}\n${l.slice(i + 1)}`;
  }
  return out;
}

const cg = (path: string, file: string) => readFileSync(`/sys/fs/cgroup${path}/${file}`, 'utf8').trim();
const ownCgroup = (pid: number) => readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().replace(/^0::/, '');

const features = suite('systemd driver: features');
features('runc-ts features says the systemd driver is there', () => {
  const rt = makeRuntime('runc-ts');
  try {
    const f = JSON.parse(rt.run(['features']).stdout);
    assert.equal(f.linux.cgroup, { v1: true, v2: true, systemd: true, systemdUser: true });
  } finally {
    rt.cleanup();
  }
});
features.run();

for (const name of runtimeNames()) {
  const t = suite(`systemd driver [${name}]`);
  let rt: Runtime;
  const sd = (args: string[]) => rt.run(['--systemd-cgroup', ...args]);
  const sdDetached = (args: string[]) => rt.detached(['--systemd-cgroup', ...args]);
  const uniq = `${name.replace('-', '')}${process.pid}`;

  t.before(() => {
    rt = makeRuntime(name);
  });
  t.after(() => {
    // cleanup() deletes with --force but without the flag: the units go through their own delete.
    const l = rt.run(['list', '-q']);
    for (const id of l.stdout.split('\n').filter(Boolean)) sd(['delete', '--force', id]);
    rt.cleanup();
  });

  if (!onSystemd) {
    t.skip('needs systemd as PID 1 with cgroup v2 (run through test/guest/run.mjs --suite systemd)', () => {});
    t.run();
    continue;
  }

  t('create: a transient scope in a nested slice, with the limits as unit properties and in cgroupfs', () => {
    const id = `lim-${uniq}`;
    const unit = `${name}-${id}.scope`;
    const b = makeBundle((c) => {
      c.process.args = ['sleep', '300'];
      c.linux.cgroupsPath = `rtstest-a.slice:${name}:${id}`;
      c.linux.resources = {
        ...c.linux.resources,
        memory: { limit: 64 << 20, reservation: 32 << 20 },
        pids: { limit: 20 },
        cpu: { shares: 512, quota: 20000, period: 100000, cpus: '0' },
      };
      c.annotations = { 'org.systemd.property.TimeoutStopSec': '7', 'org.systemd.property.CollectMode': "'inactive-or-failed'" };
    });
    try {
      const r = sdDetached(['create', '--bundle', b.dir, id]);
      assert.is(r.status, 0, r.stderr);
      const s = show(unit, 'ActiveState', 'ControlGroup', 'Slice', 'Delegate', 'MemoryMax', 'MemoryLow', 'TasksMax', 'CPUWeight', 'CPUQuotaPerSecUSec', 'CPUQuotaPeriodUSec', 'AllowedCPUs', 'DevicePolicy', 'TimeoutStopUSec', 'CollectMode', 'Description');
      assert.equal(s, {
        ActiveState: 'active',
        ControlGroup: `/rtstest.slice/rtstest-a.slice/${unit}`,
        Slice: 'rtstest-a.slice',
        Delegate: 'yes',
        MemoryMax: String(64 << 20),
        MemoryLow: String(32 << 20),
        TasksMax: '20',
        CPUWeight: '20',
        CPUQuotaPerSecUSec: '200ms',
        CPUQuotaPeriodUSec: '100ms',
        AllowedCPUs: '0',
        DevicePolicy: 'strict',
        TimeoutStopUSec: '7s',
        CollectMode: 'inactive-or-failed',
        Description: `libcontainer container ${id}`,
      });
      const path = s.ControlGroup!;
      const pid = JSON.parse(rt.run(['state', id]).stdout).pid;
      assert.is(ownCgroup(pid), path, 'the init is in the scope');
      assert.equal(
        ['memory.max', 'memory.low', 'pids.max', 'cpu.weight', 'cpu.max', 'cpuset.cpus'].map((f) => cg(path, f)),
        [String(64 << 20), String(32 << 20), '20', '20', '20000 100000', '0'],
      );
      assert.is(sd(['start', id]).status, 0);
    } finally {
      sd(['delete', '--force', id]);
      b.remove();
    }
  });

  t('memory.max holds: an allocation over it is OOM-killed, one within it runs', () => {
    const id = `beh-${uniq}`;
    const b = makeBundle((c) => {
      c.process.args = [
        'sh',
        '-c',
        'dd if=/dev/zero of=/dev/null bs=160M count=1 2>/dev/null; echo "dd=$?"; dd if=/dev/zero of=/dev/null bs=8M count=1 2>/dev/null; echo "small=$?"',
      ];
      c.linux.cgroupsPath = `system.slice:${name}:${id}`;
      // 64 MB: room for runc-ts's own init (node) while it waits for start, none for dd's buffer.
      c.linux.resources = { ...c.linux.resources, memory: { limit: 64 << 20, swap: 64 << 20 } };
    });
    try {
      const r = sd(['run', '--bundle', b.dir, id]);
      assert.is(r.status, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
      // dd's 160 MB buffer cannot fit: the kernel kills it (128 + 9).
      assert.match(r.stdout, /dd=137/);
      assert.match(r.stdout, /small=0/);
    } finally {
      sd(['delete', '--force', id]);
      b.remove();
    }
  });

  t('the CPU quota throttles and pids.max refuses forks (cgroupfs counters of the scope)', () => {
    const id = `thr-${uniq}`;
    const unit = `${name}-${id}.scope`;
    const b = makeBundle((c) => {
      c.process.args = ['sh', '-c', 'sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 100 & done" 2>/dev/null; while :; do :; done'];
      c.linux.cgroupsPath = `system.slice:${name}:${id}`;
      c.linux.resources = { ...c.linux.resources, pids: { limit: 5 }, cpu: { quota: 10000, period: 100000 } };
    });
    try {
      assert.is(sdDetached(['run', '-d', '--bundle', b.dir, id]).status, 0);
      const path = show(unit, 'ControlGroup').ControlGroup!;
      const end = Date.now() + 20_000;
      const throttled = () => Number(/nr_throttled (\d+)/.exec(cg(path, 'cpu.stat'))![1]);
      while (Date.now() < end && !(throttled() > 0 && /max [1-9]/.test(cg(path, 'pids.events')))) sleep(200);
      assert.ok(throttled() > 0, `cpu.stat: ${cg(path, 'cpu.stat')}`);
      assert.match(cg(path, 'pids.events'), /^max [1-9]\d*$/);
      assert.ok(Number(cg(path, 'pids.current')) <= 5);
    } finally {
      sd(['delete', '--force', id]);
      b.remove();
    }
  });

  t('update goes through systemd (SetUnitProperties) and cgroupfs; pause/resume freeze the scope', () => {
    const id = `upd-${uniq}`;
    const unit = `${name}-${id}.scope`;
    const b = makeBundle((c) => {
      c.process.args = ['sleep', '300'];
      c.linux.cgroupsPath = `system.slice:${name}:${id}`;
      c.linux.resources = { ...c.linux.resources, memory: { limit: 64 << 20 }, pids: { limit: 20 } };
    });
    try {
      assert.is(sdDetached(['run', '-d', '--bundle', b.dir, id]).status, 0);
      const r = sd(['update', '--memory', String(128 << 20), '--pids-limit', '30', '--cpu-quota', '50000', '--cpu-period', '100000', '--cpu-share', '2048', '--cpuset-cpus', '0-1', id]);
      assert.is(r.status, 0, r.stderr);
      const s = show(unit, 'MemoryMax', 'TasksMax', 'CPUQuotaPerSecUSec', 'CPUWeight', 'AllowedCPUs', 'ControlGroup');
      assert.equal(
        [s.MemoryMax, s.TasksMax, s.CPUQuotaPerSecUSec, s.CPUWeight, s.AllowedCPUs],
        [String(128 << 20), '30', '500ms', '79', '0-1'],
      );
      const path = s.ControlGroup!;
      assert.equal(['memory.max', 'pids.max', 'cpu.max', 'cpu.weight'].map((f) => cg(path, f)), [String(128 << 20), '30', '50000 100000', '79']);

      // exec joins the scope (cgroupfs, from the saved state); events reads its stats.
      assert.is(sdDetached(['exec', '-d', id, 'sleep', '200']).status, 0);
      const pids = JSON.parse(sd(['ps', '--format', 'json', id]).stdout);
      assert.is(pids.length, 2, `ps: ${JSON.stringify(pids)}`);
      assert.equal(cg(path, 'cgroup.procs').split('\n').map(Number).sort(), [...pids].sort());
      const ev = JSON.parse(sd(['events', '--stats', id]).stdout);
      assert.ok(ev.data.memory.usage.usage > 0 && ev.data.pids.current === 2, JSON.stringify(ev.data.pids));

      assert.is(sd(['pause', id]).status, 0);
      assert.is(JSON.parse(rt.run(['state', id]).stdout).status, 'paused');
      assert.is(cg(path, 'cgroup.freeze'), '1');
      assert.is(show(unit, 'ActiveState').ActiveState, 'active');
      assert.is(sd(['resume', id]).status, 0);
      assert.is(cg(path, 'cgroup.freeze'), '0');
      assert.is(JSON.parse(rt.run(['state', id]).stdout).status, 'running');
    } finally {
      sd(['delete', '--force', id]);
      b.remove();
    }
  });

  t('delete: the unit and its cgroup are gone; the default cgroupsPath is <slice>/<prefix>-<id>.scope', () => {
    const id = `del-${uniq}`;
    // runc's own prefix is "runc"; runc-ts names its scopes after itself.
    const unit = `${name}-${id}.scope`;
    const b = makeBundle((c) => {
      c.process.args = ['sleep', '300'];
      delete c.linux.cgroupsPath;
    });
    try {
      assert.is(sdDetached(['run', '-d', '--bundle', b.dir, id]).status, 0);
      const s = show(unit, 'ActiveState', 'ControlGroup');
      assert.equal(s, { ActiveState: 'active', ControlGroup: `/system.slice/${unit}` });
      assert.is(sd(['kill', id, 'KILL']).status, 0);
      const end = Date.now() + 10_000;
      while (Date.now() < end && JSON.parse(rt.run(['state', id]).stdout).status !== 'stopped') sleep(100);
      const d = sd(['delete', id]);
      assert.is(d.status, 0, d.stderr);
      assert.ok(['inactive', ''].includes(show(unit, 'ActiveState').ActiveState ?? ''), JSON.stringify(show(unit, 'ActiveState', 'LoadState')));
      assert.not.ok(existsSync(`/sys/fs/cgroup/system.slice/${unit}`), 'cgroup removed');
    } finally {
      sd(['delete', '--force', id]);
      b.remove();
    }
  });

  t('linux.resources.unified is mapped to unit properties where systemd has one', () => {
    const id = `uni-${uniq}`;
    const unit = `${name}-${id}.scope`;
    const b = makeBundle((c) => {
      c.process.args = ['sleep', '300'];
      c.linux.cgroupsPath = `system.slice:${name}:${id}`;
      c.linux.resources = { ...c.linux.resources, unified: { 'memory.high': String(48 << 20), 'pids.max': '12', 'memory.oom.group': '1' } };
    });
    try {
      const r = sdDetached(['run', '-d', '--bundle', b.dir, id]);
      assert.is(r.status, 0, r.stderr);
      const s = show(unit, 'MemoryHigh', 'TasksMax', 'ControlGroup');
      assert.equal([s.MemoryHigh, s.TasksMax], [String(48 << 20), '12']);
      assert.equal(['memory.high', 'pids.max', 'memory.oom.group'].map((f) => cg(s.ControlGroup!, f)), [String(48 << 20), '12', '1']);
    } finally {
      sd(['delete', '--force', id]);
      b.remove();
    }
  });

  t('device rules: DeviceAllow from the allow-list, and a device outside it stays closed', () => {
    const id = `dev-${uniq}`;
    const unit = `${name}-${id}.scope`;
    const b = makeBundle((c) => {
      c.process.args = ['sh', '-c', 'mknod /tmp/mem c 1 1 && head -c 1 /tmp/mem >/dev/null 2>&1; echo "mem=$?"; head -c 1 /dev/zero >/dev/null; echo "zero=$?"'];
      c.linux.cgroupsPath = `system.slice:${name}:${id}`;
    });
    try {
      const r = sd(['run', '--bundle', b.dir, id]);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout, /mem=1/);
      assert.match(r.stdout, /zero=0/);
    } finally {
      sd(['delete', '--force', id]);
      b.remove();
    }
    // The unit is gone with its container; the properties are checked while it runs.
    const b2 = makeBundle((c) => {
      c.process.args = ['sleep', '300'];
      c.linux.cgroupsPath = `system.slice:${name}:${id}`;
    });
    try {
      assert.is(sdDetached(['run', '-d', '--bundle', b2.dir, id]).status, 0);
      const allow = show(unit, 'DeviceAllow').DeviceAllow ?? '';
      const entries = allow.split('\n');
      for (const want of ['/dev/char/1:3 rwm', '/dev/char/1:5 rwm', 'char-pts rwm', 'char-* m', 'block-* m']) assert.ok(entries.includes(want), `${want} in ${entries}`);
      assert.is(show(unit, 'DevicePolicy').DevicePolicy, 'strict');
    } finally {
      sd(['delete', '--force', id]);
      b2.remove();
    }
  });

  t('bad cgroupsPath: runc\'s one-line error, nothing left behind', () => {
    const id = `bad-${uniq}`;
    const b = makeBundle((c) => {
      c.linux.cgroupsPath = '/not/a/systemd/path';
    });
    try {
      const r = sd(['create', '--bundle', b.dir, id]);
      assert.is.not(r.status, 0);
      // The log line's quotes are escaped (logrus text format, which runc-ts writes too).
      assert.match(r.stderr, /expected cgroupsPath to be of format \\?"slice:prefix:name\\?" for systemd cgroups, got \\?"\/not\/a\/systemd\/path\\?" instead/, r.stderr);
      assert.is(rt.run(['state', id]).status === 0, false, 'no state left');
    } finally {
      b.remove();
    }
  });

  t.run();
}

// Rootless: the user's own systemd (user@UID.service, reached over the user's session bus) gives
// the container a scope in its delegated subtree, and the limits apply there (runc's behaviour).
const USER = 'rtsuser';
const UID = 1500;
const userBusUnit = ['/usr/lib/systemd/user/dbus.socket', '/lib/systemd/user/dbus.socket'].some((p) => existsSync(p));

/** A user with lingering on: systemd starts user@UID.service and its session bus. */
function ensureUserManager(): string | undefined {
  if (spawnSync('id', ['-u', USER]).status !== 0) spawnSync('useradd', ['-m', '-u', String(UID), USER]);
  spawnSync('loginctl', ['enable-linger', USER]);
  const bus = `/run/user/${UID}/bus`;
  const end = Date.now() + 30_000;
  while (Date.now() < end && !existsSync(bus)) sleep(200);
  return existsSync(bus) ? bus : undefined;
}

for (const name of runtimeNames()) {
  const t = suite(`systemd driver, rootless [${name}]`);
  if (!onSystemd || !userBusUnit) {
    t.skip(`needs systemd with user session buses (dbus-user-session in the guest image)`, () => {});
    t.run();
    continue;
  }
  t('a rootless container gets a scope under user@UID.service with its limits', () => {
    assert.ok(ensureUserManager(), `the session bus of ${USER} did not appear`);
    const dir = mkdtempSync('/tmp/rts-rootless-');
    chmodSync(dir, 0o755);
    const root = join(dir, 'state');
    const bundle = join(dir, 'bundle');
    const id = `rl-${name.replace('-', '')}${process.pid}`;
    // The harness's node may not be reachable by other users: the user gets a copy of its own.
    const node = join(dir, 'node');
    // The launcher runs the Bun executable; for its Node engine, the copy is `node` on PATH.
    const bin = name === 'runc' ? [RUNC!] : [`PATH=${dir}:/usr/sbin:/usr/bin:/sbin:/bin`, RUNC_TS];
    const as = (args: string[]) =>
      spawnSync('runuser', ['-u', USER, '--', 'env', `XDG_RUNTIME_DIR=/run/user/${UID}`, `DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/${UID}/bus`, ...bin, '--root', root, '--systemd-cgroup', ...args], { encoding: 'utf8', timeout: 60_000 });
    try {
      if (name !== 'runc') copyFileSync(process.execPath, node);
      makeBusyboxRootfs(join(bundle, 'rootfs'));
      const spec: any = defaultSpec({ rootless: true });
      spec.process.terminal = false;
      spec.process.args = ['sleep', '300'];
      spec.linux.uidMappings = [{ containerID: 0, hostID: UID, size: 1 }];
      spec.linux.gidMappings = [{ containerID: 0, hostID: UID, size: 1 }];
      spec.linux.resources = { memory: { limit: 64 << 20 }, pids: { limit: 25 } };
      // Not this suite's subject: runc-ts fails to mount cgroup2 over the rbind /sys of a
      // rootless container in the guest (EBUSY; runc does not), reported on its own.
      spec.mounts = spec.mounts.filter((m: any) => m.destination !== '/sys/fs/cgroup');
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
      spawnSync('chown', ['-R', `${UID}:${UID}`, dir]);
      const r = as(['run', '-d', '--bundle', bundle, id]);
      assert.is(r.status, 0, r.stderr);
      const pid = JSON.parse(as(['state', id]).stdout).pid;
      const path = ownCgroup(pid);
      const prefix = name === 'runc' ? 'runc' : 'runc-ts';
      assert.is(path, `/user.slice/user-${UID}.slice/user@${UID}.service/user.slice/${prefix}-${id}.scope`);
      assert.equal([cg(path, 'memory.max'), cg(path, 'pids.max')], [String(64 << 20), '25']);
      const d = as(['delete', '--force', id]);
      assert.is(d.status, 0, d.stderr);
      assert.not.ok(existsSync(`/sys/fs/cgroup${path}`), 'the scope is gone');
    } finally {
      as(['delete', '--force', id]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  t.run();
}
