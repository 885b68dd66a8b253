// The systemd cgroup driver's pure half: unit and slice names from cgroupsPath, and the D-Bus
// unit properties runc 1.1's systemd managers generate from linux.resources (common.go, v1.go,
// v2.go; the annotations are systemd-annotations.ts's). No I/O except /proc/devices and
// /dev/{block,char} lookups for DeviceAllow, which take injectable readers for tests.
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { LinuxResources } from '../spec/types';
import { sharesToWeight, swapToV2 } from './convert';
import { DeviceEmulator, fromSpec, type DeviceRule } from './devices/rules';
import { expandSlice } from './paths';

/** One unit property as D-Bus sends it: name, signature of the variant, value (uint64s as bigint). */
export type UnitProp = [name: string, signature: string, value: unknown];
/** systemd's version, asked for only when a property depends on it (one more D-Bus call). */
export type VersionOf = () => number;

export const USEC_INFINITY = 0xffff_ffff_ffff_ffffn;
/** Default CFS period (µs), v1 and v2 alike. */
const DEFAULT_PERIOD = 100000n;

export interface SystemdUnit {
  /** The parent slice as given (or the default), e.g. "system.slice". */
  slice: string;
  /** "prefix-name.scope", or "name.slice" when the name itself is a slice. */
  unit: string;
  /** Cgroup path of the unit from the hierarchy root (rootless: from the user manager's cgroup). */
  path: string;
}

/**
 * "slice:prefix:name" -> unit. Defaults as runc's specconv: no cgroupsPath = the container id in
 * system.slice (user.slice rootless) with runc-ts as the scope prefix.
 */
export function parseSystemdPath(cgroupsPath: string | undefined, id: string, rootless = false): SystemdUnit {
  let slice = '';
  let prefix = 'runc-ts';
  let name = id;
  if (cgroupsPath) {
    const parts = cgroupsPath.split(':');
    if (parts.length !== 3) throw new Error(`expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "${cgroupsPath}" instead`);
    [slice, prefix, name] = parts as [string, string, string];
  }
  if (!name) throw new Error(`cgroup: systemd cgroupsPath "${cgroupsPath}" has no unit name`);
  if (!slice) slice = rootless ? 'user.slice' : 'system.slice';
  // By default a scope; a slice only when asked for by name (runc's getUnitName).
  const unit = name.endsWith('.slice') ? name : `${prefix}-${name}.scope`;
  if (unit.includes('/')) throw new Error(`cgroup: invalid systemd unit name "${unit}"`);
  return { slice, unit, path: posix.join(expandSlice(slice), unit) };
}

export const unitIsSlice = (unit: string) => unit.endsWith('.slice');

/** The properties of StartTransientUnit that do not depend on resources (runc's Apply). */
export function baseProperties(id: string, u: Pick<SystemdUnit, 'unit' | 'slice'>, pid: number, extra: UnitProp[]): UnitProp[] {
  const props: UnitProp[] = [['Description', 's', `libcontainer container ${id}`]];
  // A slice gets its parent through Wants=, a scope through Slice=.
  props.push(unitIsSlice(u.unit) ? ['Wants', 'as', [u.slice]] : ['Slice', 's', u.slice]);
  if (pid !== -1) props.push(['PIDs', 'au', [pid]]);
  if (!unitIsSlice(u.unit)) props.push(['Delegate', 'b', true]);
  props.push(['MemoryAccounting', 'b', true], ['CPUAccounting', 'b', true], ['IOAccounting', 'b', true], ['TasksAccounting', 'b', true]);
  props.push(['DefaultDependencies', 'b', false]);
  return [...props, ...extra];
}

/** runc's RangeToBits: "1,3-5" -> big-endian bytes of the bitmask, leading zero bytes dropped. */
export function rangeToBits(str: string): number[] {
  let mask = 0n;
  for (let r of str.split(',')) {
    r = r.trim();
    if (r === '') continue;
    const [a, b] = r.split(/-(.*)/s, 2) as [string, string | undefined];
    const num = (s: string) => {
      if (!/^\d+$/.test(s) || Number(s) > 0xffffffff) throw new Error(`invalid number "${s}"`);
      return BigInt(s);
    };
    if (b !== undefined) {
      const start = num(a);
      const end = num(b);
      if (start > end) throw new Error(`invalid range: ${r}`);
      for (let i = start; i <= end; i++) mask |= 1n << i;
    } else {
      mask |= 1n << num(a);
    }
  }
  if (mask === 0n) throw new Error('empty value');
  const out: number[] = [];
  while (mask > 0n) {
    out.unshift(Number(mask & 0xffn));
    mask >>= 8n;
  }
  return out;
}

/** systemd's version string ("252.22-1~deb12u1", "v245.4-1.fc32") -> 252 (runc's systemdVersionAtoi). */
export function systemdVersionAtoi(s: string): number {
  const m = /v?(\d+)/.exec(s);
  if (!m) throw new Error(`can't parse version ${s}`);
  return Number(m[1]);
}

/** runc's addCpuQuota: CPUQuotaPeriodUSec (systemd >= 242) and CPUQuotaPerSecUSec, rounded up to 1%. */
export function cpuQuotaProperties(quota: number, period: number, ver: VersionOf): UnitProp[] {
  const props: UnitProp[] = [];
  if (period !== 0 && ver() >= 242) props.push(['CPUQuotaPeriodUSec', 't', BigInt(period)]);
  if (quota !== 0 || period !== 0) {
    let perSec = USEC_INFINITY;
    if (quota > 0) {
      const p = period === 0 ? DEFAULT_PERIOD : BigInt(period);
      perSec = (BigInt(quota) * 1000000n) / p;
      // systemd keeps CPUQuota as a whole percentage: round up so the child can set its own quota.
      if (perSec % 10000n !== 0n) perSec = (perSec / 10000n + 1n) * 10000n;
    }
    props.push(['CPUQuotaPerSecUSec', 't', perSec]);
  }
  return props;
}

/** runc's addCpuset: AllowedCPUs/AllowedMemoryNodes as bitmasks (systemd >= 244 only). */
export function cpusetProperties(cpus: string | undefined, mems: string | undefined, ver: VersionOf): UnitProp[] {
  if ((!cpus && !mems) || ver() < 244) return [];
  const props: UnitProp[] = [];
  const bits = (field: string, v: string) => {
    try {
      return rangeToBits(v);
    } catch (e: any) {
      throw new Error(`cgroup: resources.CPU.${field}=${JSON.stringify(v)} conversion error: ${e.message}`);
    }
  };
  if (cpus) props.push(['AllowedCPUs', 'ay', bits('Cpus', cpus)]);
  if (mems) props.push(['AllowedMemoryNodes', 'ay', bits('Mems', mems)]);
  return props;
}

export interface DeviceLookup {
  /** Contents of /proc/devices. */
  procDevices(): string;
  /** Whether /dev/{block,char}/M:m or its /sys twin exists. */
  exists(path: string): boolean;
}

const hostDevices: DeviceLookup = {
  procDevices: () => readFileSync('/proc/devices', 'utf8'),
  exists: (p) => existsSync(p) || existsSync('/sys' + p),
};

/** The /proc/devices group name of (type, major), e.g. "char-pts" for c 136 (runc's findDeviceGroup). */
export function findDeviceGroup(type: 'b' | 'c', major: number, procDevices: string): string {
  let current = '';
  for (const raw of procDevices.split('\n')) {
    const line = raw.trim();
    if (line === 'Block devices:') current = 'b';
    else if (line === 'Character devices:') current = 'c';
    else if (line && current === type) {
      const m = /^(\d+)\s+(\S+)/.exec(line);
      if (!m) throw new Error(`scan /proc/devices line ${JSON.stringify(line)}: wrong number of fields`);
      if (Number(m[1]) === major) return (type === 'b' ? 'block-' : 'char-') + m[2];
    }
  }
  return '';
}

/**
 * DevicePolicy/DeviceAllow from the device rules (runc's generateDeviceProperties). systemd
 * knows no deny-lists and no "*:n" rules: those are left to our own cgroupfs/eBPF rules, which
 * are applied after systemd's anyway. `warn` gets what systemd could not be told.
 */
export function deviceProperties(rules: LinuxResources['devices'], warn: (m: string) => void = () => {}, look: DeviceLookup = hostDevices): UnitProp[] {
  const emptyAllow: UnitProp = ['DeviceAllow', 'a(ss)', []];
  const emu = DeviceEmulator.fromRules((rules ?? []).map((d, i) => fromSpec(d, i)));
  if (emu.defaultAllow) {
    if (emu.exceptions.size === 0) return [['DevicePolicy', 's', 'auto'], emptyAllow];
    warn("systemd doesn't support blacklist device rules -- applying temporary deny-all rule");
    return [['DevicePolicy', 's', 'strict'], emptyAllow];
  }
  let procDevices: string | undefined;
  const allow: [string, string][] = [];
  for (const r of emu.sorted()) {
    const path = deviceAllowPath(r, () => (procDevices ??= look.procDevices()), look, warn);
    if (path) allow.push([path, r.access]);
  }
  return [['DevicePolicy', 's', 'strict'], emptyAllow, ['DeviceAllow', 'a(ss)', allow]];
}

function deviceAllowPath(r: DeviceRule, procDevices: () => string, look: DeviceLookup, warn: (m: string) => void): string {
  const t = r.type as 'b' | 'c';
  if (r.major === -1) {
    if (r.minor !== -1) {
      warn(`systemd doesn't support '*:n' device rules -- temporarily ignoring rule: ${t} *:${r.minor} ${r.access}`);
      return '';
    }
    return (t === 'b' ? 'block-' : 'char-') + '*';
  }
  if (r.minor === -1) {
    const group = findDeviceGroup(t, r.major, procDevices());
    if (!group) warn(`could not find device group for '${t}/${r.major}' in /proc/devices -- temporarily ignoring rule`);
    return group;
  }
  const path = `/dev/${t === 'b' ? 'block' : 'char'}/${r.major}:${r.minor}`;
  // systemd warns about paths that do not exist; our own rules cover them anyway.
  if (!look.exists(path)) {
    warn(`skipping device ${path} for systemd: stat /sys${path}: no such file or directory`);
    return '';
  }
  return path;
}

const u64 = (v: string, key: string): bigint => {
  if (v === 'max') return USEC_INFINITY;
  if (!/^\d+$/.test(v)) throw new Error(`cgroup: unified resource "${key}" value conversion error: invalid number "${v}"`);
  return BigInt(v);
};

const UNIFIED_MEMORY: Record<string, string> = {
  'memory.high': 'MemoryHigh',
  'memory.low': 'MemoryLow',
  'memory.min': 'MemoryMin',
  'memory.max': 'MemoryMax',
  'memory.swap.max': 'MemorySwapMax',
};

/** linux.resources.unified -> unit properties, best effort (runc's unifiedResToSystemdProps). */
export function unifiedProperties(unified: Record<string, string>, ver: VersionOf): UnitProp[] {
  const props: UnitProp[] = [];
  for (const [k, raw] of Object.entries(unified)) {
    if (k.includes('/')) throw new Error(`cgroup: unified resource "${k}" must be a file name (no slashes)`);
    if (!k.includes('.')) throw new Error(`cgroup: unified resource "${k}" must be in the form CONTROLLER.PARAMETER`);
    const v = raw.trim();
    if (k === 'cpu.max') {
      const f = v.split(/\s+/).filter(Boolean);
      if (f.length < 1 || f.length > 2) throw new Error(`cgroup: unified resource "${k}" value invalid: "${v}"`);
      const quota = f[0] === 'max' ? 0 : Number(f[0]);
      const period = f.length === 2 ? Number(f[1]) : Number(DEFAULT_PERIOD);
      if (!Number.isSafeInteger(quota) || !Number.isSafeInteger(period) || period < 0) throw new Error(`cgroup: unified resource "${k}" value conversion error: "${v}"`);
      props.push(...cpuQuotaProperties(quota, period, ver));
    } else if (k === 'cpu.weight') {
      // No "max" here: runc parses a plain number.
      if (!/^\d+$/.test(v)) throw new Error(`cgroup: unified resource "${k}" value conversion error: invalid number "${v}"`);
      props.push(['CPUWeight', 't', BigInt(v)]);
    } else if (k === 'cpuset.cpus' || k === 'cpuset.mems') {
      let bits: number[];
      try {
        bits = rangeToBits(v);
      } catch (e: any) {
        throw new Error(`cgroup: unified resource "${k}"=${JSON.stringify(v)} conversion error: ${e.message}`);
      }
      if (ver() >= 244) props.push([k === 'cpuset.cpus' ? 'AllowedCPUs' : 'AllowedMemoryNodes', 'ay', bits]);
    } else if (UNIFIED_MEMORY[k]) {
      props.push([UNIFIED_MEMORY[k], 't', u64(v, k)]);
    } else if (k === 'pids.max') {
      props.push(['TasksMax', 't', u64(v, k)]);
    }
    // Anything else (memory.oom.group included) is written to cgroupfs only.
  }
  return props;
}

/** cgroup v2 resources -> unit properties (runc's genV2ResourcesProperties). */
export function v2ResourceProperties(r: LinuxResources, ver: VersionOf, opts: { skipDevices?: boolean; warn?: (m: string) => void } = {}): UnitProp[] {
  const props: UnitProp[] = opts.skipDevices || r.devices === undefined ? [] : deviceProperties(r.devices, opts.warn);
  const mem = r.memory ?? {};
  if (mem.limit) props.push(['MemoryMax', 't', toU64(mem.limit)]);
  if (mem.reservation) props.push(['MemoryLow', 't', toU64(mem.reservation)]);
  const swap = swapToV2(mem.swap ?? 0, mem.limit ?? 0);
  if (swap !== 0) props.push(['MemorySwapMax', 't', toU64(swap)]);
  const weight = sharesToWeight(r.cpu?.shares ?? 0);
  if (weight !== 0) props.push(['CPUWeight', 't', BigInt(weight)]);
  props.push(...cpuQuotaProperties(r.cpu?.quota ?? 0, r.cpu?.period ?? 0, ver));
  const pids = r.pids?.limit ?? 0;
  if (pids > 0 || pids === -1) props.push(['TasksMax', 't', toU64(pids)]);
  props.push(...cpusetProperties(r.cpu?.cpus, r.cpu?.mems, ver));
  if (r.unified) props.push(...unifiedProperties(r.unified, ver));
  return props;
}

/** cgroup v1 resources -> unit properties (runc's genV1ResourcesProperties). */
export function v1ResourceProperties(r: LinuxResources, ver: VersionOf, opts: { skipDevices?: boolean; warn?: (m: string) => void } = {}): UnitProp[] {
  const props: UnitProp[] = opts.skipDevices || r.devices === undefined ? [] : deviceProperties(r.devices, opts.warn);
  if (r.memory?.limit) props.push(['MemoryLimit', 't', toU64(r.memory.limit)]);
  if (r.cpu?.shares) props.push(['CPUShares', 't', BigInt(r.cpu.shares)]);
  props.push(...cpuQuotaProperties(r.cpu?.quota ?? 0, r.cpu?.period ?? 0, ver));
  if (r.blockIO?.weight) props.push(['BlockIOWeight', 't', BigInt(r.blockIO.weight)]);
  const pids = r.pids?.limit ?? 0;
  if (pids > 0 || pids === -1) props.push(['TasksMax', 't', toU64(pids)]);
  props.push(...cpusetProperties(r.cpu?.cpus, r.cpu?.mems, ver));
  return props;
}

/** Go's uint64(int64) conversion: -1 becomes 2^64-1 ("infinity" to systemd). */
function toU64(n: number): bigint {
  return BigInt.asUintN(64, BigInt(Math.trunc(n)));
}
