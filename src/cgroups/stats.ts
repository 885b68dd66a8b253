// The `runc events --stats` data shape (runc types/events.go). Optional fields are the ones Go
// marks omitempty: builders below leave zeros out, so JSON.stringify output matches runc's.
import { MAX_U64 } from './fsutil';

export interface Throttling { periods?: number; throttledPeriods?: number; throttledTime?: number }
export interface CpuUsage {
  total?: number; percpu?: number[]; percpu_kernel?: number[]; percpu_user?: number[];
  kernel: number; user: number;
}
export interface CpuStats { usage: CpuUsage; throttling: Throttling }
export interface CpusetStats {
  cpus?: number[]; cpu_exclusive: number; mems?: number[]; mem_hardwall: number; mem_exclusive: number;
  memory_migrate: number; memory_spread_page: number; memory_spread_slab: number; memory_pressure: number;
  sched_load_balance: number; sched_relax_domain_level: number;
}
export interface MemoryEntry { limit: number; usage?: number; max?: number; failcnt: number }
export interface MemoryStats {
  cache?: number; usage: MemoryEntry; swap: MemoryEntry; kernel: MemoryEntry; kernelTCP: MemoryEntry;
  raw?: Record<string, number>;
}
export interface PidsStats { current?: number; limit?: number }
export interface BlkioEntry { major?: number; minor?: number; op?: string; value?: number }
export interface BlkioStats {
  ioServiceBytesRecursive?: BlkioEntry[]; ioServicedRecursive?: BlkioEntry[]; ioQueueRecursive?: BlkioEntry[];
  ioServiceTimeRecursive?: BlkioEntry[]; ioWaitTimeRecursive?: BlkioEntry[]; ioMergedRecursive?: BlkioEntry[];
  ioTimeRecursive?: BlkioEntry[]; sectorsRecursive?: BlkioEntry[];
}
export interface HugetlbStats { usage?: number; max?: number; failcnt: number }
export interface CgroupStats {
  cpu: CpuStats;
  cpuset: CpusetStats;
  memory: MemoryStats;
  pids: PidsStats;
  blkio: BlkioStats;
  hugetlb: Record<string, HugetlbStats>;
  intel_rdt: Record<string, unknown>;
  network_interfaces: null | unknown[];
}

/** Copies obj without undefined, zero or empty-array/empty-object values of the given keys (Go's omitempty). */
export function omitEmpty<T extends object>(obj: T, keys: (keyof T)[]): T {
  const out = { ...obj };
  for (const k of keys) {
    const v = out[k] as unknown;
    if (v === undefined || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) || (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)) delete out[k];
  }
  return out;
}

export const memoryEntry = (limit: number, usage: number, max: number, failcnt: number): MemoryEntry =>
  omitEmpty({ limit, usage, max, failcnt }, ['usage', 'max']);

export function emptyStats(): CgroupStats {
  const mem = () => memoryEntry(0, 0, 0, 0);
  return {
    cpu: { usage: { kernel: 0, user: 0 }, throttling: {} },
    cpuset: {
      cpu_exclusive: 0, mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0,
      memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
    },
    memory: { usage: mem(), swap: mem(), kernel: mem(), kernelTCP: mem() },
    pids: {},
    blkio: {},
    hugetlb: {},
    intel_rdt: {},
    network_interfaces: null,
  };
}

/**
 * JSON.stringify for stats, exact for uint64 values: 2^63-4096 (v1 "unlimited") and 2^64-1
 * ("max") are not printed in exponent or rounded form.
 */
export function statsToJSON(value: unknown, space?: number): string {
  const s = JSON.stringify(
    value,
    (_k, v) => (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v) ? `\u0000${v >= MAX_U64 ? '18446744073709551615' : BigInt(v).toString()}` : v),
    space,
  );
  return s.replace(/"\\u0000(\d+)"/g, '$1');
}

/** "0-3,5" -> [0,1,2,3,5] */
export function parseCpuList(s: string): number[] {
  const out: number[] = [];
  for (const part of s.trim().split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}
