// v1 cpu and cpuset controllers (runc 1.1 fs/cpu.go, fs/cpuset.go).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LinuxCPU } from '../../spec/types';
import { CgroupError, fmtInt, readFile, readUint, writeFile } from '../fsutil';

/** Real-time budget must be in place before a SCHED_RR/FIFO task joins, so apply() calls this too. */
export function setRtSched(dir: string, c: LinuxCPU): void {
  if (c.realtimePeriod) writeFile(dir, 'cpu.rt_period_us', fmtInt(c.realtimePeriod));
  if (c.realtimeRuntime) writeFile(dir, 'cpu.rt_runtime_us', fmtInt(c.realtimeRuntime));
}

export function setCpuV1(dir: string, c: LinuxCPU): void {
  if (c.shares) {
    writeFile(dir, 'cpu.shares', fmtInt(c.shares));
    // The kernel clamps silently; read back to report it as runc does.
    const got = readUint(dir, 'cpu.shares');
    if (c.shares > got) throw new CgroupError(`cgroup: the maximum allowed cpu-shares is ${got}`, 'EINVAL', 'cpu.shares', String(c.shares));
    if (c.shares < got) throw new CgroupError(`cgroup: the minimum allowed cpu-shares is ${got}`, 'EINVAL', 'cpu.shares', String(c.shares));
  }
  let period = '';
  if (c.period) {
    period = fmtInt(c.period);
    try {
      writeFile(dir, 'cpu.cfs_period_us', period);
      period = '';
    } catch (e) {
      // A smaller period can be refused (EINVAL) while the old quota is in place: retry after quota.
      if ((e as CgroupError).code !== 'EINVAL' || !c.quota) throw e;
    }
  }
  if (c.quota) {
    writeFile(dir, 'cpu.cfs_quota_us', fmtInt(c.quota));
    if (period) writeFile(dir, 'cpu.cfs_period_us', period);
  }
  if (c.burst !== undefined) writeFile(dir, 'cpu.cfs_burst_us', fmtInt(c.burst));
  if (c.idle !== undefined) writeFile(dir, 'cpu.idle', fmtInt(c.idle));
  setRtSched(dir, c);
}

export function setCpusetV1(dir: string, c: LinuxCPU): void {
  if (c.cpus) writeFile(dir, 'cpuset.cpus', c.cpus);
  if (c.mems) writeFile(dir, 'cpuset.mems', c.mems);
}

/** A new v1 cpuset cgroup starts with empty cpus/mems, where no task may join: copy from the parent. */
function copyIfEmpty(dir: string, parent: string): void {
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    if (readFile(dir, f).trim() === '') writeFile(dir, f, readFile(parent, f).trim());
  }
}

/** mkdir the cpuset path level by level (below the mount point), filling cpus/mems of each new level. */
export function ensureCpuset(dir: string, mountPoint: string, c: LinuxCPU | undefined): void {
  const chain: string[] = [];
  for (let d = dir; d !== mountPoint && d.startsWith(mountPoint + '/'); d = dirname(d)) chain.unshift(d);
  for (const d of chain) {
    mkdirSync(d, { recursive: true, mode: 0o755 });
    // The container's own level gets the requested values first, so it needs no inherited ones
    // (inheriting could clash with cpu_exclusive).
    if (d === dir && c) setCpusetV1(d, c);
    copyIfEmpty(d, dirname(d));
  }
}
