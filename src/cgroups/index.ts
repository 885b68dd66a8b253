// The runtime's entry points to cgroups. newManager() resolves paths once (mountinfo is cached,
// /proc/self/cgroup read once) and everything after is plain synchronous file I/O.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { CgroupMode, DEFAULT_ROOT, detectCgroupMode, findHierarchies, Hierarchy, ownCgroupDir, parseProcCgroup } from './detect';
import { V1Manager } from './manager-v1';
import { V2Manager } from './manager-v2';
import { innerPath } from './paths';
import { clientFor, SystemdManager } from './systemd';
import { annotationProperties } from './systemd-annotations';
import { parseSystemdPath } from './systemd-props';
import type { CgroupManager, ManagerOptions, SavedCgroup } from './types';

export { detectCgroupMode, findHierarchies, parseMountInfo, parseProcCgroup } from './detect';
export type { CgroupMode, Hierarchy } from './detect';
export { cleanPath, expandSlice, innerPath } from './paths';
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

/**
 * --systemd-cgroup: the unit's directories (from the hierarchy roots; rootless: below the user
 * manager's own cgroup) are managed by the cgroupfs manager of this host's mode, wrapped.
 */
function newSystemdManager(opts: ManagerOptions, mountRoot: string): CgroupManager {
  // runc's IsRunningSystemd (sd_booted). An explicit system bus address (tests talking to a
  // stand-in for systemd) is trusted instead.
  if (!process.env.DBUS_SYSTEM_BUS_ADDRESS && !existsSync('/run/systemd/system')) {
    throw new Error('systemd not running on this host, cannot use systemd cgroups manager');
  }
  const u = parseSystemdPath(opts.cgroupsPath, opts.id, opts.rootless);
  const properties = annotationProperties(opts.annotations);
  const unit = { id: opts.id, unit: u.unit, slice: u.slice, ...(opts.rootless ? { user: true } : {}) };
  const client = clientFor(unit);
  // Connecting (worker thread, library, bus) overlaps with the init's start-up.
  if (!opts.rootless) client.warmUp();
  const path = opts.rootless ? join(client.controlGroup(), u.path) : u.path;
  // Delegation has enabled the controllers already; a user cannot write the root's anyway.
  // Rootless: no device control either (an eBPF program needs privileges), as runc ignores it.
  const skipDevices = opts.skipDevices || opts.rootless;
  const fs = newManager({ ...opts, systemd: false, cgroupsPath: path, skipDevices, enableControllers: opts.rootless ? false : opts.enableControllers });
  return new SystemdManager(fs, unit, client, { created: true, properties, skipDevices, warn: opts.warn });
}

export function newManager(opts: ManagerOptions): CgroupManager {
  const mountRoot = opts.mountRoot ?? DEFAULT_ROOT;
  const mode = opts.mode ?? detectCgroupMode(mountRoot);
  const hs = findHierarchies(mountRoot);
  if (opts.systemd) return newSystemdManager(opts, mountRoot);
  const inner = innerPath(opts.id, opts.cgroupsPath);
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
  if (saved.systemd) {
    const { systemd, ...fs } = saved;
    return new SystemdManager(loadManager(fs, mountRoot), systemd, clientFor(systemd), { created: false, skipDevices: saved.skipDevices });
  }
  const root = mountRoot ?? saved.mountRoot ?? DEFAULT_ROOT;
  if (saved.version === 2) {
    const dir = saved.paths[''];
    if (!dir) throw new Error('cgroup: saved v2 cgroup has no path');
    return new V2Manager(saved.mode ?? 'v2', dir, root, saved.skipDevices, saved.enableControllers ?? true);
  }
  return new V1Manager(saved.mode ?? 'v1', { ...saved.paths }, root, saved.skipDevices);
}
