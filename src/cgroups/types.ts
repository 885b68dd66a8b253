// Public types of the cgroup library.
import type { LinuxResources } from '../spec/types';
import type { CgroupMode } from './detect';
import type { OomWatcher } from './oom';
import type { CgroupStats } from './stats';

export interface ManagerOptions {
  /** Container id: the cgroup name when no cgroupsPath is given. */
  id: string;
  /** linux.cgroupsPath (absolute: from each hierarchy root; relative: from our own cgroup). */
  cgroupsPath?: string;
  /** Where the hierarchies are mounted; '/sys/fs/cgroup' by default. Tests pass a fixture tree. */
  mountRoot?: string;
  /** The systemd driver: cgroupsPath is "slice:prefix:name", the cgroup a transient unit (systemd.ts). */
  systemd?: boolean;
  /** systemd driver: the user's own systemd, user.slice by default (rootless). */
  rootless?: boolean;
  /** systemd driver: org.systemd.property.* annotations become unit properties. */
  annotations?: Record<string, string>;
  /** systemd driver: what systemd cannot be told (some device rules), as runc's warnings. */
  warn?: (msg: string) => void;
  /** Override detection (tests). */
  mode?: CgroupMode;
  /** Contents of /proc/self/cgroup to resolve relative paths against (tests). */
  selfCgroup?: string;
  /** Do not touch device access control (rootless/nested setups, and fixture trees on v2). */
  skipDevices?: boolean;
  /** v2: enable the available controllers in cgroup.subtree_control of every ancestor (default true). */
  enableControllers?: boolean;
}

/** What save() returns; JSON-serialisable, stored in state.json, turned back by loadManager(). */
export interface SavedCgroup {
  version: 1 | 2;
  mode: CgroupMode;
  mountRoot: string;
  /** controller -> directory; '' is the v2 (or hybrid unified) directory */
  paths: Record<string, string>;
  skipDevices?: boolean;
  enableControllers?: boolean;
  /** Set when the cgroup is a systemd unit (--systemd-cgroup). */
  systemd?: SystemdUnitState;
}

export interface SystemdUnitState {
  /** Container id (the unit's Description). */
  id: string;
  /** "runc-ts-<id>.scope" or "<name>.slice" */
  unit: string;
  /** Parent slice, e.g. "system.slice" */
  slice: string;
  /** The user's systemd instance (rootless), reached over the session bus. */
  user?: boolean;
}

export interface CgroupManager {
  readonly version: 1 | 2;
  readonly mode: CgroupMode;
  /** controller -> absolute dir (v1; '' = unified dir on hybrid); { '': dir } on v2. */
  paths(): Record<string, string>;
  /**
   * mkdir -p every path and move pid into it (pid -1: only create). `resources` is optional:
   * given, the v1 cpuset and RT cpu settings are written before the move, as the kernel needs.
   */
  apply(pid: number, resources?: LinuxResources): void;
  /** Writes the limits; errors are one-line CgroupErrors naming the file and value. */
  set(resources: LinuxResources): void;
  freeze(): void;
  thaw(): void;
  isFrozen(): boolean;
  /** All pids of the container, sub-cgroups included. */
  pids(): number[];
  /** runc `events --stats` data (serialise with statsToJSON for exact uint64 values). */
  stats(): CgroupStats;
  /** OOM notifications: see oom.ts. blocking=false (default) makes the v1 eventfd O_NONBLOCK. */
  oomEventFd(blocking?: boolean): OomWatcher;
  /** rmdir every path (sub-cgroups first), retrying briefly on EBUSY; kills nothing. */
  destroy(): void;
  exists(): boolean;
  save(): SavedCgroup;
}
