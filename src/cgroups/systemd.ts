// The systemd cgroup driver (runc --systemd-cgroup): the container's cgroup is a transient unit
// of systemd (a scope, or a slice when the name ends in ".slice"), created and changed over
// D-Bus; what systemd has no property for is then written to cgroupfs by the ordinary v1/v2
// manager of the same directories, exactly as runc 1.1's systemd managers wrap fs/fs2.
import type { LinuxResources } from '../spec/types';
import type { OomWatcher } from './oom';
import type { CgroupStats } from './stats';
import { systemdClient, type SystemdClient } from './systemd-client';
import { baseProperties, v1ResourceProperties, v2ResourceProperties, type UnitProp } from './systemd-props';
import type { CgroupManager, SavedCgroup, SystemdUnitState } from './types';

export class SystemdManager implements CgroupManager {
  private sdVersion?: number;

  /**
   * `fs` manages the unit's directories once systemd has made them. `created` is true for a new
   * container (apply starts the unit); a manager loaded from state only joins (exec).
   */
  constructor(
    private readonly fs: CgroupManager,
    private readonly unit: SystemdUnitState,
    private readonly client: SystemdClient,
    private readonly opts: { created: boolean; properties?: UnitProp[]; skipDevices?: boolean; warn?: (m: string) => void },
  ) {}

  get version() {
    return this.fs.version;
  }
  get mode() {
    return this.fs.mode;
  }
  paths(): Record<string, string> {
    return this.fs.paths();
  }

  apply(pid: number, resources?: LinuxResources): void {
    if (!this.opts.created) return this.fs.apply(pid, resources);
    this.opts.created = false;
    const props = baseProperties(this.unit.id, this.unit, pid, this.opts.properties ?? []);
    this.client.startUnit(this.unit.unit, props);
    // systemd moved the pid into the unit; v1 controllers systemd does not manage (freezer,
    // net_cls, ...) still need it, and cpuset needs its values before anything joins.
    this.fs.apply(this.version === 1 ? pid : -1, resources);
  }

  set(r: LinuxResources): void {
    const ver = () => (this.sdVersion ??= this.client.version());
    const o = { skipDevices: this.opts.skipDevices, warn: this.opts.warn };
    const props = this.version === 2 ? v2ResourceProperties(r, ver, o) : v1ResourceProperties(r, ver, o);
    // v1: systemd rewrites the device rules disruptively (deny all, then allow), so running
    // tasks are frozen meanwhile, as runc does, unless they already are.
    const freeze = this.version === 1 && r.devices !== undefined && !this.opts.skipDevices && !this.fs.isFrozen() && !!this.fs.paths().freezer;
    if (freeze) this.fs.freeze();
    try {
      try {
        this.client.setUnitProperties(this.unit.unit, props);
      } catch (e: any) {
        throw new Error(`cgroup: unable to set unit properties: ${e.message}`);
      }
    } finally {
      if (freeze) this.fs.thaw();
    }
    this.fs.set(r);
  }

  freeze(): void {
    this.fs.freeze();
  }
  thaw(): void {
    this.fs.thaw();
  }
  isFrozen(): boolean {
    return this.fs.isFrozen();
  }
  pids(): number[] {
    return this.fs.pids();
  }
  stats(): CgroupStats {
    return this.fs.stats();
  }
  oomEventFd(blocking?: boolean): OomWatcher {
    return this.fs.oomEventFd(blocking);
  }
  exists(): boolean {
    return this.fs.exists();
  }

  /** StopUnit (systemd removes the cgroup), then whatever directories are left. */
  destroy(): void {
    const warning = this.client.stopUnit(this.unit.unit);
    if (warning) this.opts.warn?.(warning);
    this.fs.destroy();
  }

  save(): SavedCgroup {
    return { ...this.fs.save(), systemd: { ...this.unit } };
  }
}

/** A client for the unit's bus: the system bus, or the user's own (rootless). */
export function clientFor(unit: Pick<SystemdUnitState, 'user'>): SystemdClient {
  return systemdClient({ user: !!unit.user });
}
