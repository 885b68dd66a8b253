// cgroup v1 (and hybrid) manager: one directory per controller; on hybrid also the same path in
// the unified hierarchy (key ''), joined but not used for limits, as runc 1.1 does.
import { existsSync, mkdirSync } from 'node:fs';
import type { LinuxResources } from '../spec/types';
import { allPids, joinPid, removePaths } from './common';
import { CgroupMode, findHierarchies } from './detect';
import { freezeV1, isFrozenV1, thawV1 } from './freezer';
import { CgroupError } from './fsutil';
import { OomWatcher, oomWatcherV1 } from './oom';
import type { CgroupStats } from './stats';
import type { CgroupManager, SavedCgroup } from './types';
import { setBlkioV1 } from './v1/blkio';
import { ensureCpuset, setCpusetV1, setCpuV1, setRtSched } from './v1/cpu';
import { setDevicesV1 } from './v1/devices';
import { setMemoryV1 } from './v1/memory';
import { setHugetlbV1, setNetClsV1, setNetPrioV1, setPids, setRdma } from './v1/misc';
import { statsV1 } from './v1/stats';

/** Whether anything would be written (0 means unset in the spec's numeric fields). */
export const memoryWanted = ({ memory: m }: LinuxResources) =>
  !!m && !!(m.limit || m.reservation || m.swap || m.kernelTCP || m.disableOOMKiller || (m.swappiness !== undefined && m.swappiness !== -1));
export const cpuWanted = ({ cpu: c }: LinuxResources) =>
  !!c && !!(c.shares || c.quota || c.period || c.realtimePeriod || c.realtimeRuntime || c.burst !== undefined || c.idle !== undefined);

type Setter = [controller: string, field: string, wanted: (r: LinuxResources) => boolean, set: (dir: string, r: LinuxResources) => void];

// runc's subsystem order (cpuset first: its cpus/mems must exist before anything joins).
// `field` names the config the controller serves, for validateResources' refusals.
export const V1_SETTERS: Setter[] = [
  ['cpuset', 'cpu.cpus/mems', (r) => !!(r.cpu?.cpus || r.cpu?.mems), (d, r) => setCpusetV1(d, r.cpu!)],
  ['devices', 'devices', (r) => r.devices !== undefined, (d, r) => setDevicesV1(d, r.devices!)],
  ['memory', 'memory', (r) => memoryWanted(r), (d, r) => setMemoryV1(d, r.memory!)],
  ['cpu', 'cpu', (r) => cpuWanted(r), (d, r) => setCpuV1(d, r.cpu!)],
  ['pids', 'pids', (r) => !!r.pids?.limit, (d, r) => setPids(d, r.pids!.limit)],
  ['blkio', 'blockIO', (r) => !!r.blockIO && Object.values(r.blockIO).some((v) => (Array.isArray(v) ? v.length > 0 : !!v)), (d, r) => setBlkioV1(d, r.blockIO!)],
  ['hugetlb', 'hugepageLimits', (r) => !!r.hugepageLimits?.length, (d, r) => setHugetlbV1(d, r.hugepageLimits!)],
  ['net_cls', 'network.classID', (r) => !!r.network?.classID, (d, r) => setNetClsV1(d, r.network!)],
  ['net_prio', 'network.priorities', (r) => !!r.network?.priorities?.length, (d, r) => setNetPrioV1(d, r.network!)],
  ['rdma', 'rdma', (r) => !!r.rdma && Object.keys(r.rdma).length > 0, (d, r) => setRdma(d, r.rdma!)],
];

export class V1Manager implements CgroupManager {
  readonly version = 1 as const;
  constructor(
    readonly mode: CgroupMode,
    private readonly dirs: Record<string, string>,
    private readonly mountRoot: string,
    private readonly skipDevices = false,
  ) {}

  paths(): Record<string, string> {
    return { ...this.dirs };
  }

  apply(pid: number, resources?: LinuxResources): void {
    const joined = new Set<string>();
    for (const [ctrl, dir] of Object.entries(this.dirs)) {
      if (ctrl === 'cpuset') {
        // The mount point bounds the walk: levels above the container may need cpus/mems too.
        const h = findHierarchies(this.mountRoot).find((x) => !x.v2 && x.controllers.includes('cpuset'));
        ensureCpuset(dir, h?.mountPoint ?? dir, resources?.cpu);
      } else {
        mkdirSync(dir, { recursive: true, mode: 0o755 });
        if (ctrl === 'cpu' && resources?.cpu) setRtSched(dir, resources.cpu);
      }
      // Co-mounted controllers (cpu,cpuacct) share one directory: join it once.
      if (pid !== -1 && !joined.has(dir)) joinPid(dir, pid);
      joined.add(dir);
    }
  }

  set(r: LinuxResources): void {
    if (r.unified && Object.keys(r.unified).length) throw new CgroupError('cgroup: invalid configuration: cannot use unified on cgroup v1');
    for (const [ctrl, , wanted, set] of V1_SETTERS) {
      if (!wanted(r) || (ctrl === 'devices' && this.skipDevices)) continue;
      const dir = this.dirs[ctrl];
      if (!dir) throw new CgroupError(`cgroup: cannot set ${ctrl} limits: the ${ctrl} controller is not mounted (not supported on this host)`, 'ENOENT');
      set(dir, r);
    }
  }

  private need(ctrl: string): string {
    const d = this.dirs[ctrl];
    if (!d) throw new CgroupError(`cgroup: the ${ctrl} controller is not mounted`, 'ENOENT');
    return d;
  }

  freeze(): void {
    freezeV1(this.need('freezer'));
  }
  thaw(): void {
    thawV1(this.need('freezer'));
  }
  isFrozen(): boolean {
    return this.dirs.freezer ? isFrozenV1(this.dirs.freezer) : false;
  }

  private main(): string {
    return this.dirs.devices ?? this.dirs.freezer ?? this.dirs.pids ?? Object.values(this.dirs)[0];
  }

  pids(): number[] {
    return allPids(this.main());
  }

  stats(): CgroupStats {
    return statsV1(this.dirs);
  }

  oomEventFd(blocking = false): OomWatcher {
    return oomWatcherV1(this.need('memory'), blocking);
  }

  destroy(): void {
    removePaths([...new Set(Object.values(this.dirs))]);
  }

  exists(): boolean {
    return existsSync(this.main());
  }

  save(): SavedCgroup {
    return { version: 1, mode: this.mode, mountRoot: this.mountRoot, paths: this.paths(), ...(this.skipDevices ? { skipDevices: true } : {}) };
  }
}
