// The runtime's entry points to cgroups. newManager() resolves paths once (mountinfo is cached,
// /proc/self/cgroup read once) and everything after is plain synchronous file I/O.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { CgroupMode, DEFAULT_ROOT, detectCgroupMode, findHierarchies, Hierarchy, ownCgroupDir, parseProcCgroup } from './detect';
import { V1Manager } from './manager-v1';
import { V2Manager } from './manager-v2';
import { innerPath } from './paths';
import type { CgroupManager, ManagerOptions, SavedCgroup } from './types';

export { detectCgroupMode, findHierarchies, parseMountInfo, parseProcCgroup } from './detect';
export type { CgroupMode, Hierarchy } from './detect';
export { cleanPath, expandSlice, innerPath, systemdPath } from './paths';
export { blkioWeightToIoWeight, hugePageSizes, sharesToWeight, swapToV2 } from './convert';
export { CgroupError, MAX_U64 } from './fsutil';
export { DEFAULT_DEVICE_RULES, DeviceEmulator, withDefaultDevices } from './devices/rules';
export { deviceFilterProgram, disassemble } from './devices/ebpf';
export { statsToJSON } from './stats';
export { checkTargetCgroup, preflight, validateResources } from './preflight';
export type { CgroupStats } from './stats';
export type { OomWatcher } from './oom';
export type { CgroupManager, ManagerOptions, SavedCgroup } from './types';

// The v1 hierarchies runc manages (fs.subsystems); other named hierarchies are left alone.
const V1_MANAGED = ['cpuset', 'devices', 'memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'hugetlb', 'net_cls', 'net_prio', 'perf_event', 'freezer', 'rdma', 'name=systemd', 'misc'];

function dirFor(h: Hierarchy, inner: string, self: () => Record<string, string>, parentOfOwn: boolean): string {
  if (isAbsolute(inner)) return join(h.mountPoint, inner);
  const own = ownCgroupDir(h, self());
  // runc's fs2 uses the parent of its own cgroup: a populated cgroup cannot have controllers
  // enabled for children (no internal processes rule).
  return join(parentOfOwn && own !== h.mountPoint ? dirname(own) : own, inner);
}

export function newManager(opts: ManagerOptions): CgroupManager {
  const mountRoot = opts.mountRoot ?? DEFAULT_ROOT;
  const mode = opts.mode ?? detectCgroupMode(mountRoot);
  const hs = findHierarchies(mountRoot);
  const inner = innerPath(opts.id, opts.cgroupsPath, opts.systemd);
  let selfCache: Record<string, string> | undefined;
  const self = () => (selfCache ??= parseProcCgroup(opts.selfCgroup ?? readFileSync('/proc/self/cgroup', 'utf8')));

  if (mode === 'v2') {
    const h = hs.find((x) => x.v2);
    if (!h) throw new Error(`cgroup: no cgroup2 hierarchy found at ${mountRoot}`);
    return new V2Manager('v2', dirFor(h, inner, self, true), h.mountPoint, opts.skipDevices, opts.enableControllers ?? true);
  }
  const paths: Record<string, string> = {};
  for (const h of hs) {
    if (h.v2) {
      if (mode === 'hybrid') paths[''] = dirFor(h, inner, self, false);
      continue;
    }
    const dir = dirFor(h, inner, self, false);
    for (const c of h.controllers) if (V1_MANAGED.includes(c)) paths[c] = dir;
  }
  // Without the devices controller the container would get every device: refuse, as runc does.
  if (!paths.devices && !opts.skipDevices) throw new Error(`cgroup: the devices controller is not mounted under ${mountRoot}`);
  // Stable order: runc's subsystem order, then the unified directory.
  const ordered: Record<string, string> = {};
  for (const c of [...V1_MANAGED, '']) if (paths[c] !== undefined) ordered[c] = paths[c];
  return new V1Manager(mode, ordered, mountRoot, opts.skipDevices);
}

export function loadManager(saved: SavedCgroup, mountRoot?: string): CgroupManager {
  const root = mountRoot ?? saved.mountRoot ?? DEFAULT_ROOT;
  if (saved.version === 2) {
    const dir = saved.paths[''];
    if (!dir) throw new Error('cgroup: saved v2 cgroup has no path');
    return new V2Manager(saved.mode ?? 'v2', dir, root, saved.skipDevices, saved.enableControllers ?? true);
  }
  return new V1Manager(saved.mode ?? 'v1', { ...saved.paths }, root, saved.skipDevices);
}
