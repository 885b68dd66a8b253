// The systemd manager's D-Bus API (org.freedesktop.systemd1.Manager) through dbus-next's
// low-level Message calls: no introspection round trip, only the few methods runc's systemd
// cgroup driver uses. Jobs are awaited through the JobRemoved signal, as go-systemd does.
import { existsSync } from 'node:fs';
import { systemdVersionAtoi, type UnitProp } from './systemd-props';

const DEST = 'org.freedesktop.systemd1';
const PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const JOB_TIMEOUT_MS = 30_000;

export interface BusOptions {
  /** The user's own systemd (rootless): $DBUS_SESSION_BUS_ADDRESS or $XDG_RUNTIME_DIR/bus. */
  user?: boolean;
}

type DBusNext = typeof import('@particle/dbus-next');

export class SystemdBus {
  private readonly jobs = new Map<string, string>();
  private readonly waiters = new Map<string, (result: string) => void>();
  private versionCache?: number;

  private constructor(
    private readonly dbus: DBusNext,
    private readonly bus: import('@particle/dbus-next').MessageBus,
  ) {
    // JobRemoved can come before the reply that names the job: keep every result until asked.
    bus.on('message', (m: any) => {
      if (m.type !== dbus.MessageType.SIGNAL || m.interface !== MANAGER || m.member !== 'JobRemoved') return;
      const [, job, , result] = m.body as [number, string, string, string];
      const w = this.waiters.get(job);
      if (w) w(result);
      else this.jobs.set(job, result);
    });
  }

  static async connect(opts: BusOptions = {}): Promise<SystemdBus> {
    const dbus = require('@particle/dbus-next') as DBusNext;
    let bus;
    if (opts.user) {
      const runtimeBus = process.env.XDG_RUNTIME_DIR ? `${process.env.XDG_RUNTIME_DIR}/bus` : '';
      const addr = process.env.DBUS_SESSION_BUS_ADDRESS || (runtimeBus && existsSync(runtimeBus) ? `unix:path=${runtimeBus}` : '');
      if (!addr) throw new Error('systemd: rootless cgroup manager needs the user\'s session bus: DBUS_SESSION_BUS_ADDRESS is not set and there is no $XDG_RUNTIME_DIR/bus (hint: the dbus-user-session package provides it)');
      bus = dbus.sessionBus({ busAddress: addr });
    } else {
      bus = dbus.systemBus();
    }
    const sd = new SystemdBus(dbus, bus);
    await new Promise<void>((resolve, reject) => {
      bus.once('connect', () => resolve());
      bus.once('error', (e: Error) => reject(new Error(`systemd: cannot connect to the ${opts.user ? 'user' : 'system'} bus: ${e.message}`)));
    });
    await sd.callDBus('AddMatch', 's', [`type='signal',sender='${DEST}',interface='${MANAGER}',member='JobRemoved',path='${PATH}'`]);
    return sd;
  }

  close(): void {
    this.bus.disconnect();
  }

  private async callDBus(member: string, signature: string, body: unknown[]): Promise<any> {
    const { Message } = this.dbus;
    return this.bus.call(new Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member, signature, body }));
  }

  private async call(member: string, signature: string, body: unknown[], iface = MANAGER): Promise<any[]> {
    const { Message } = this.dbus;
    try {
      const reply = await this.bus.call(new Message({ destination: DEST, path: PATH, interface: iface, member, signature, body }));
      return reply?.body ?? [];
    } catch (e: any) {
      throw Object.assign(new Error(`systemd: ${member}: ${e.type ? `${e.type}: ` : ''}${e.text ?? e.message}`), { dbusName: e.type });
    }
  }

  private variants(props: UnitProp[]) {
    const { Variant } = this.dbus;
    return props.map(([name, sig, value]) => [name, new Variant(sig, sig === 'ay' ? Buffer.from(value as number[]) : value)]);
  }

  private waitJob(job: string, what: string): Promise<string> {
    const done = this.jobs.get(job);
    if (done !== undefined) {
      this.jobs.delete(job);
      return Promise.resolve(done);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(job);
        reject(new Error(`systemd: timeout waiting for systemd to ${what}`));
      }, JOB_TIMEOUT_MS);
      this.waiters.set(job, (result) => {
        clearTimeout(timer);
        this.waiters.delete(job);
        resolve(result);
      });
    });
  }

  /** Manager.Version as a number (runc's systemdVersion), cached; -1 when unreadable. */
  async version(): Promise<number> {
    if (this.versionCache === undefined) {
      try {
        const [v] = await this.call('Get', 'ss', [MANAGER, 'Version'], 'org.freedesktop.DBus.Properties');
        this.versionCache = systemdVersionAtoi(String(v.value));
      } catch {
        this.versionCache = -1;
      }
    }
    return this.versionCache;
  }

  /** Manager.ControlGroup: the user manager's own cgroup (rootless slices live below it). */
  async controlGroup(): Promise<string> {
    const [v] = await this.call('Get', 'ss', [MANAGER, 'ControlGroup'], 'org.freedesktop.DBus.Properties');
    return String(v.value);
  }

  /**
   * StartTransientUnit in "replace" mode and wait for its job. A unit of that name left over
   * (failed) is reset and the start retried once, as runc does.
   */
  async startUnit(unit: string, props: UnitProp[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let job: string;
      try {
        [job] = await this.call('StartTransientUnit', 'ssa(sv)a(sa(sv))', [unit, 'replace', this.variants(props), []]);
      } catch (e: any) {
        if (e.dbusName !== 'org.freedesktop.systemd1.UnitExists' || attempt > 0) throw e;
        await this.resetFailedUnit(unit).catch(() => {});
        continue;
      }
      let result: string;
      try {
        result = await this.waitJob(job, `create ${unit}`);
      } catch (e) {
        await this.resetFailedUnit(unit).catch(() => {});
        throw e;
      }
      if (result !== 'done') {
        await this.resetFailedUnit(unit).catch(() => {});
        throw new Error(`systemd: error creating systemd unit \`${unit}\`: got \`${result}\``);
      }
      return;
    }
  }

  /** StopUnit and wait; a unit already gone is fine. Failed units are reset so systemd drops them. */
  async stopUnit(unit: string): Promise<string | undefined> {
    let warning: string | undefined;
    try {
      const [job] = await this.call('StopUnit', 'ss', [unit, 'replace']);
      const result = await this.waitJob(job, `remove ${unit}`);
      if (result !== 'done') warning = `error removing unit \`${unit}\`: got \`${result}\`. Continuing...`;
    } catch (e: any) {
      if (/timeout/.test(e.message)) throw e;
    }
    await this.resetFailedUnit(unit).catch(() => {});
    return warning;
  }

  async resetFailedUnit(unit: string): Promise<void> {
    await this.call('ResetFailedUnit', 's', [unit]);
  }

  /** SetUnitProperties(runtime=true), as `runc update` does. */
  async setUnitProperties(unit: string, props: UnitProp[]): Promise<void> {
    if (props.length === 0) return;
    await this.call('SetUnitProperties', 'sba(sv)', [unit, true, this.variants(props)]);
  }
}
