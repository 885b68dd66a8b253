// Device cgroup rules and runc's devices "emulator": the v1 devices controller semantics computed
// in userspace. v1 uses it to write the minimal transition; the v2 eBPF filter uses its clean
// rule list, so both versions agree (including refusing to punch holes into wildcard rules).
import type { LinuxDevice, LinuxDeviceCgroup } from '../../spec/types';

export type DeviceType = 'a' | 'b' | 'c';
export interface DeviceRule {
  type: DeviceType;
  /** -1 = wildcard (*) */
  major: number;
  minor: number;
  /** subset of "rwm", normalised to that order */
  access: string;
  allow: boolean;
}

const normAccess = (s: string) => ['r', 'w', 'm'].filter((c) => s.includes(c)).join('');
const union = (a: string, b: string) => normAccess(a + b);
const minus = (a: string, b: string) => normAccess([...a].filter((c) => !b.includes(c)).join(''));
const intersect = (a: string, b: string) => normAccess([...a].filter((c) => b.includes(c)).join(''));

/** Spec linux.resources.devices entry -> rule (runc's specconv: type 'a', majors/minors '*' by default). */
export function fromSpec(d: LinuxDeviceCgroup, idx = 0): DeviceRule {
  if (!d.access) throw new Error(`cgroup: device access at ${idx} field cannot be empty`);
  const type = d.type ?? 'a';
  if (!['a', 'b', 'c'].includes(type)) throw new Error(`cgroup: invalid cgroup device type ${JSON.stringify(type)}`);
  if ([...d.access].some((c) => !'rwm'.includes(c))) throw new Error(`cgroup: invalid device access ${JSON.stringify(d.access)}`);
  return { type, major: d.major ?? -1, minor: d.minor ?? -1, access: normAccess(d.access), allow: !!d.allow };
}

/** The "c 1:3 rwm" form of devices.allow/deny/list. */
export function ruleString(r: DeviceRule): string {
  const n = (v: number) => (v < 0 ? '*' : String(v));
  return `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

/** runc's always-allowed devices (specconv.AllowedDevices), appended after the spec's rules. */
export const DEFAULT_DEVICE_RULES: LinuxDeviceCgroup[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // /dev/full
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun
];

/** The rule list runc builds at create: spec rules, then the defaults, then linux.devices (rwm). */
export function withDefaultDevices(specRules: LinuxDeviceCgroup[] = [], linuxDevices: LinuxDevice[] = []): LinuxDeviceCgroup[] {
  const extra = linuxDevices
    .filter((d) => d.type === 'c' || d.type === 'b' || d.type === 'u')
    .map((d) => ({ allow: true, type: (d.type === 'b' ? 'b' : 'c') as 'b' | 'c', major: d.major, minor: d.minor, access: 'rwm' }));
  return [...specRules, ...DEFAULT_DEVICE_RULES, ...extra];
}

const key = (t: DeviceType, ma: number, mi: number) => `${t} ${ma} ${mi}`;

export class DeviceEmulator {
  /** false = allow-list (default-deny), which is also where a fresh emulator starts, as in runc. */
  defaultAllow = false;
  exceptions = new Map<string, DeviceRule>();

  static fromRules(rules: DeviceRule[]): DeviceEmulator {
    const e = new DeviceEmulator();
    for (const r of rules) e.apply(r);
    return e;
  }

  /** Parses devices.list: "a *:* rwm" alone means allow-all, anything else is an allow-list. */
  static fromList(text: string): DeviceEmulator {
    const e = new DeviceEmulator();
    for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
      const m = /^([abc]) (\*|\d+):(\*|\d+) ([rwm]+)$/.exec(line);
      if (!m) throw new Error(`cgroup: cannot parse devices.list line ${JSON.stringify(line)}`);
      const num = (s: string) => (s === '*' ? -1 : Number(s));
      e.apply({ type: m[1] as DeviceType, major: num(m[2]), minor: num(m[3]), access: normAccess(m[4]), allow: true });
    }
    return e;
  }

  get isAllowList(): boolean {
    return !this.defaultAllow;
  }

  apply(r: DeviceRule): void {
    // Any 'a' rule is a full reset in the kernel, whatever its major/minor/access say.
    if (r.type === 'a') {
      this.defaultAllow = r.allow;
      this.exceptions.clear();
      return;
    }
    if (r.allow === this.defaultAllow) this.remove(r);
    else this.add(r);
  }

  private add(r: DeviceRule): void {
    const k = key(r.type, r.major, r.minor);
    const old = this.exceptions.get(k);
    this.exceptions.set(k, { ...r, allow: !this.defaultAllow, access: union(old?.access ?? '', r.access) });
  }

  private remove(r: DeviceRule): void {
    // The kernel silently ignores removing part of a wildcard exception: refuse it loudly instead.
    for (const [ma, mi] of [[-1, r.minor], [r.major, -1], [-1, -1]]) {
      if (ma === r.major && mi === r.minor) continue;
      const w = this.exceptions.get(key(r.type, ma, mi));
      if (w && intersect(w.access, r.access)) {
        throw new Error(`cgroup: requested rule [${ruleString(r)}] not supported by devices cgroupv1 (cannot punch hole in existing wildcard rule [${ruleString(w)}])`);
      }
    }
    const k = key(r.type, r.major, r.minor);
    const old = this.exceptions.get(k);
    if (!old) return;
    const left = minus(old.access, r.access);
    if (left) this.exceptions.set(k, { ...old, access: left });
    else this.exceptions.delete(k);
  }

  /** Exceptions sorted by type, major, minor (wildcards first) for deterministic output. */
  sorted(): DeviceRule[] {
    return [...this.exceptions.values()].sort((a, b) => (a.type !== b.type ? (a.type < b.type ? -1 : 1) : a.major !== b.major ? a.major - b.major : a.minor - b.minor));
  }

  /** The default ('a *:* rwm') rule followed by the exceptions. */
  rules(): DeviceRule[] {
    return [{ type: 'a', major: -1, minor: -1, access: 'rwm', allow: this.defaultAllow }, ...this.sorted()];
  }

  /** Rules to write to take a cgroup from this state to `target` (runc's Emulator.Transition). */
  transition(target: DeviceEmulator): DeviceRule[] {
    const out: DeviceRule[] = [];
    let old = this.exceptions;
    // devices.list cannot show deny rules of an allow-all cgroup, so a reset is needed then too.
    if (this.defaultAllow || this.defaultAllow !== target.defaultAllow) {
      out.push({ type: 'a', major: -1, minor: -1, access: 'rwm', allow: target.defaultAllow });
      old = new Map();
    }
    for (const r of this.sorted()) {
      if (!old.has(key(r.type, r.major, r.minor))) continue;
      const dropped = minus(r.access, target.exceptions.get(key(r.type, r.major, r.minor))?.access ?? '');
      if (dropped) out.push({ ...r, access: dropped, allow: target.defaultAllow });
    }
    for (const r of target.sorted()) {
      const gained = minus(r.access, old.get(key(r.type, r.major, r.minor))?.access ?? '');
      if (gained) out.push({ ...r, access: gained, allow: !target.defaultAllow });
    }
    return out;
  }
}
