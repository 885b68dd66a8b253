// config-linux.md#control-groups: resources applied to the container's cgroups, seen on the host
// (cgroup files of the container's init, found through /proc/<pid>/cgroup) and from inside.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq, match, noMatch, ok, skip } from '../lib/assert';
import { Case, Mutate, T } from '../lib/context';

const V1 = '/sys/fs/cgroup';

/** The host directory of `pid`'s cgroup for a v1 controller. */
function cgroupDir(pid: number, ctl: string): string {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, ctls, path] = line.split(':');
    if (ctls.split(',').includes(ctl)) return join(V1, ctl, path);
  }
  throw new Error(`no ${ctl} cgroup for ${pid}`);
}

const read = (p: string): string => readFileSync(p, 'utf8').trim();

/** Creates a container with `mutate`, hands its cgroup files to `check`, deletes it. */
async function withContainer(t: T, mutate: Mutate, check: (pid: number) => void | Promise<void>): Promise<void> {
  const b = t.bundle((c, bb) => {
    mutate(c, bb);
    c.process.args = ['sleep', '600'];
  });
  const { id, pid } = await t.create(b);
  await check(pid);
  await t.delete(id, true);
}

const needV1 = (ctl: string) => (): string | undefined =>
  existsSync(join(V1, ctl, 'cgroup.procs')) ? undefined : `no cgroup v1 ${ctl} hierarchy at ${V1}/${ctl} on this machine`;

export const cases: Case[] = [
  {
    name: 'cgroups/memory limit, reservation, swap, swappiness',
    spec: 'config-linux.md#memory',
    skipIf: needV1('memory'),
    async run(t) {
      const memory = { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20, swappiness: 10 };
      let dir = '';
      await withContainer(t, (c) => { c.linux.resources.memory = memory; }, (pid) => {
        dir = cgroupDir(pid, 'memory');
        eq(read(join(dir, 'memory.limit_in_bytes')), String(memory.limit), 'memory.limit_in_bytes');
        eq(read(join(dir, 'memory.soft_limit_in_bytes')), String(memory.reservation), 'memory.soft_limit_in_bytes');
        if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) eq(read(join(dir, 'memory.memsw.limit_in_bytes')), String(memory.swap), 'memory.memsw.limit_in_bytes');
        eq(read(join(dir, 'memory.swappiness')), String(memory.swappiness), 'memory.swappiness');
      });
      ok(!existsSync(dir), `the container's cgroup ${dir} must be removed by delete`);
      const inside = await t.sh((c) => { c.linux.resources.memory = { limit: 48 << 20 }; }, 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes');
      eq(inside.trim(), String(48 << 20), 'memory.limit_in_bytes seen inside');
    },
  },
  {
    name: 'cgroups/memory limit enforced',
    spec: 'config-linux.md#memory',
    skipIf: needV1('memory'),
    async run(t) {
      // Filling a tmpfs past the limit gets the writer OOM-killed or refused.
      const r = await t.run(t.bundle((c) => {
        c.linux.resources.memory = { limit: 16 << 20, swap: 16 << 20 };
        c.mounts.push({ destination: '/mnt/fill', type: 'tmpfs', source: 'tmpfs', options: ['size=64m'] });
        c.process.args = ['sh', '-c', 'dd if=/dev/zero of=/mnt/fill/f bs=1M count=40 2>/dev/null; echo "dd=$?"; echo end'];
      }));
      const m = /dd=(\d+)/.exec(r.stdout);
      ok(r.code !== 0 || (m && m[1] !== '0'), `writing 40M into tmpfs under a 16M memory limit must fail (exit ${r.code}, output ${JSON.stringify(r.stdout)})`);
    },
  },
  {
    name: 'cgroups/cpu shares, quota, period',
    spec: 'config-linux.md#cpu',
    skipIf: needV1('cpu'),
    async run(t) {
      const cpu = { shares: 512, quota: 50000, period: 100000 };
      await withContainer(t, (c) => { c.linux.resources.cpu = cpu; }, (pid) => {
        const dir = cgroupDir(pid, 'cpu');
        eq(read(join(dir, 'cpu.shares')), '512', 'cpu.shares');
        eq(read(join(dir, 'cpu.cfs_quota_us')), '50000', 'cpu.cfs_quota_us');
        eq(read(join(dir, 'cpu.cfs_period_us')), '100000', 'cpu.cfs_period_us');
      });
    },
  },
  {
    name: 'cgroups/cpuset cpus and mems',
    spec: 'config-linux.md#cpu',
    skipIf: () => needV1('cpuset')() ?? (read(join(V1, 'cpuset', 'cpuset.cpus')) === '0' ? 'only one CPU: cannot restrict the cpuset' : undefined),
    async run(t) {
      const cpus = read(join(V1, 'cpuset', 'cpuset.cpus')).split(/[-,]/).pop()!; // the last cpu
      const mems = read(join(V1, 'cpuset', 'cpuset.mems')).split(/[-,]/)[0];
      await withContainer(t, (c) => { c.linux.resources.cpu = { cpus, mems }; }, (pid) => {
        const dir = cgroupDir(pid, 'cpuset');
        eq(read(join(dir, 'cpuset.cpus')), cpus, 'cpuset.cpus');
        eq(read(join(dir, 'cpuset.mems')), mems, 'cpuset.mems');
      });
      const out = await t.sh((c) => { c.linux.resources.cpu = { cpus, mems }; }, 'grep Cpus_allowed_list /proc/self/status');
      match(out, new RegExp(`Cpus_allowed_list:\\s+${cpus}$`, 'm'), 'Cpus_allowed_list inside');
    },
  },
  {
    name: 'cgroups/pids limit',
    spec: 'config-linux.md#pids',
    skipIf: needV1('pids'),
    async run(t) {
      await withContainer(t, (c) => { c.linux.resources.pids = { limit: 32 }; }, (pid) => {
        eq(read(join(cgroupDir(pid, 'pids'), 'pids.max')), '32', 'pids.max');
      });
      const p = await t.inside((c) => { c.linux.resources.pids = { limit: 10 }; }, {
        // A failed fork ends a non-interactive sh, hence the subshell.
        fork: '( i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); done; echo forked all ); true',
      });
      match(p.fork.out, /can't fork|Resource temporarily unavailable/, 'forking past pids.limit fails');
      noMatch(p.fork.out, /forked all/, 'forking past pids.limit');
    },
  },
  {
    name: 'cgroups/blkio weight',
    spec: 'config-linux.md#block-io',
    skipIf: () => existsSync(join(V1, 'blkio', 'blkio.weight')) || existsSync(join(V1, 'blkio', 'blkio.bfq.weight'))
      ? undefined : 'the kernel has no blkio weight (neither blkio.weight nor blkio.bfq.weight in the blkio hierarchy)',
    async run(t) {
      await withContainer(t, (c) => { c.linux.resources.blockIO = { weight: 300 }; }, (pid) => {
        const dir = cgroupDir(pid, 'blkio');
        const f = existsSync(join(dir, 'blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight';
        match(read(join(dir, f)), /(^|\s)300$/m, f);
      });
    },
  },
  {
    name: 'cgroups/blkio throttle',
    spec: 'config-linux.md#block-io',
    skipIf: () => needV1('blkio')() ?? (existsSync(join(V1, 'blkio', 'blkio.throttle.read_bps_device')) ? undefined : 'no blkio throttling in this kernel'),
    async run(t) {
      // The block device holding the bundles.
      const dev = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[4] === '/')?.[2];
      if (!dev || dev.startsWith('0:')) skip(`the root filesystem is not on a block device (${dev})`);
      const [major, minor] = dev.split(':').map(Number);
      await withContainer(t, (c) => {
        c.linux.resources.blockIO = {
          throttleReadBpsDevice: [{ major, minor, rate: 1048576 }],
          throttleWriteIOPSDevice: [{ major, minor, rate: 300 }],
        };
      }, (pid) => {
        const dir = cgroupDir(pid, 'blkio');
        eq(read(join(dir, 'blkio.throttle.read_bps_device')), `${major}:${minor} 1048576`, 'blkio.throttle.read_bps_device');
        eq(read(join(dir, 'blkio.throttle.write_iops_device')), `${major}:${minor} 300`, 'blkio.throttle.write_iops_device');
      });
    },
  },
  {
    name: 'cgroups/hugetlb limit',
    spec: 'config-linux.md#huge-page-limits',
    skipIf: () => existsSync(join(V1, 'hugetlb')) || existsSync('/sys/fs/cgroup/unified/cgroup.controllers') && read('/sys/fs/cgroup/unified/cgroup.controllers').includes('hugetlb')
      ? (existsSync(join(V1, 'hugetlb')) ? undefined : 'hugetlb is only on the cgroup2 hierarchy, which a hybrid-mode runtime does not use')
      : 'no hugetlb cgroup controller on this machine (not among the cgroup v1 hierarchies, nor in cgroup2)',
    async run(t) {
      await withContainer(t, (c) => { c.linux.resources.hugepageLimits = [{ pageSize: '2MB', limit: 4 << 20 }]; }, (pid) => {
        eq(read(join(cgroupDir(pid, 'hugetlb'), 'hugetlb.2MB.limit_in_bytes')), String(4 << 20), 'hugetlb.2MB.limit_in_bytes');
      });
    },
  },
  {
    name: 'cgroups/devices list on the host',
    spec: 'config-linux.md#allowed-device-list',
    skipIf: needV1('devices'),
    async run(t) {
      await withContainer(t, (c) => {
        c.linux.resources.devices.push({ allow: true, type: 'c', major: 42, minor: 1, access: 'rw' });
      }, (pid) => {
        const list = read(join(cgroupDir(pid, 'devices'), 'devices.list')).split('\n');
        ok(list.includes('c 42:1 rw'), `devices.list should allow c 42:1 rw: ${list.join(', ')}`);
        ok(!list.includes('a *:* rwm'), 'devices.list must not allow everything');
        ok(!list.some((l) => l.startsWith('c 42:0')), 'c 42:0 is not allowed');
      });
    },
  },
  {
    name: 'cgroups/cgroupsPath',
    spec: 'config-linux.md#cgroups-path',
    async run(t) {
      const path = `/${t.idPrefix}-cgpath`;
      let dirs: string[] = [];
      await withContainer(t, (c) => { c.linux.cgroupsPath = path; }, (pid) => {
        for (const ctl of ['memory', 'pids', 'cpu', 'devices']) {
          const d = cgroupDir(pid, ctl);
          eq(d, join(V1, ctl, path), `${ctl} cgroup of the container`);
          dirs.push(d);
        }
      });
      dirs = dirs.filter((d) => existsSync(d));
      eq(dirs, [], 'cgroups removed after delete');
    },
  },
];
