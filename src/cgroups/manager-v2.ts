// cgroup v2 manager: a single directory; devices through an eBPF program.
import { existsSync } from 'node:fs';
import type { LinuxResources } from '../spec/types';
import { allPids, joinPid, removePaths } from './common';
import type { CgroupMode } from './detect';
import { attachDeviceFilter } from './devices/bpf';
import { deviceFilterProgram } from './devices/ebpf';
import { freezeV2, isFrozenV2, thawV2 } from './freezer';
import { CgroupError, readOptional } from './fsutil';
import { cpuWanted, memoryWanted } from './manager-v1';
import { OomWatcher, oomWatcherV2 } from './oom';
import type { CgroupStats } from './stats';
import type { CgroupManager, SavedCgroup } from './types';
import { setMemoryV2 } from './v2/memory';
import { setCpusetV2, setCpuV2 } from './v2/cpu';
import { createPathV2 } from './v2/create';
import { setIoV2 } from './v2/io';
import { setHugetlbV2, setUnified } from './v2/misc';
import { setPids, setRdma } from './v1/misc';
import { statsV2 } from './v2/stats';

type Setter = [controller: string, wanted: (r: LinuxResources) => boolean, set: (dir: string, r: LinuxResources) => void];

// runc fs2 order; unified goes last so that explicit values override converted ones.
const SETTERS: Setter[] = [
  ['pids', (r) => !!r.pids?.limit, (d, r) => setPids(d, r.pids!.limit)],
  ['memory', memoryWanted, (d, r) => setMemoryV2(d, r.memory!)],
  ['io', (r) => !!r.blockIO && Object.values(r.blockIO).some((v) => (Array.isArray(v) ? v.length > 0 : !!v)), (d, r) => setIoV2(d, r.blockIO!)],
  ['cpu', cpuWanted, (d, r) => setCpuV2(d, r.cpu!)],
  ['cpuset', (r) => !!(r.cpu?.cpus || r.cpu?.mems), (d, r) => setCpusetV2(d, r.cpu!)],
  ['hugetlb', (r) => !!r.hugepageLimits?.length, (d, r) => setHugetlbV2(d, r.hugepageLimits!)],
  ['rdma', (r) => !!r.rdma && Object.keys(r.rdma).length > 0, (d, r) => setRdma(d, r.rdma!)],
];

export class V2Manager implements CgroupManager {
  readonly version = 2 as const;
  constructor(
    readonly mode: CgroupMode,
    private readonly dir: string,
    private readonly mountRoot: string,
    private readonly skipDevices = false,
    private readonly enableControllers = true,
  ) {}

  paths(): Record<string, string> {
    return { '': this.dir };
  }

  apply(pid: number): void {
    createPathV2(this.dir, this.mountRoot, this.enableControllers);
    if (pid !== -1) joinPid(this.dir, pid);
  }

  set(r: LinuxResources): void {
    for (const [ctrl, wanted, set] of SETTERS) {
      if (!wanted(r)) continue;
      try {
        set(this.dir, r);
      } catch (e) {
        const err = e as CgroupError;
        // A missing file usually means the controller is not enabled for this cgroup: say so.
        const avail = (readOptional(this.dir, 'cgroup.controllers') ?? '').trim().split(/\s+/);
        if (err.code === 'ENOENT' && !avail.includes(ctrl)) {
          throw new CgroupError(`cgroup: cannot set ${ctrl} limits: controller "${ctrl}" is not available in ${this.dir} (${err.message})`, 'ENOENT', err.file, err.value);
        }
        throw e;
      }
    }
    // Devices need no controller: the program is attached to the cgroup itself.
    if (r.devices !== undefined && !this.skipDevices) attachDeviceFilter(this.dir, deviceFilterProgram(r.devices));
    if (r.network?.classID || r.network?.priorities?.length) {
      throw new CgroupError('cgroup: network classID/priorities are not supported on cgroup v2 (net_cls/net_prio are v1-only)');
    }
    if (r.unified) setUnified(this.dir, r.unified);
  }

  freeze(): void {
    freezeV2(this.dir);
  }
  thaw(): void {
    thawV2(this.dir);
  }
  isFrozen(): boolean {
    return isFrozenV2(this.dir);
  }

  pids(): number[] {
    return allPids(this.dir);
  }

  stats(): CgroupStats {
    return statsV2(this.dir);
  }

  oomEventFd(): OomWatcher {
    return oomWatcherV2(this.dir);
  }

  destroy(): void {
    removePaths([this.dir]);
  }

  exists(): boolean {
    return existsSync(this.dir);
  }

  save(): SavedCgroup {
    return {
      version: 2,
      mode: this.mode,
      mountRoot: this.mountRoot,
      paths: this.paths(),
      ...(this.skipDevices ? { skipDevices: true } : {}),
      ...(this.enableControllers ? {} : { enableControllers: false }),
    };
  }
}

