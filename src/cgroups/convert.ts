// Value conversions between the OCI (cgroup v1 flavoured) spec and cgroup v2, as runc 1.1 does them.
import { readdirSync } from 'node:fs';

/** cpu.shares [2..262144] -> cpu.weight [1..10000] (runc 1.1's linear mapping; 0 = unset). */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** blkio.weight [10..1000] -> io.weight [1..10000] (0 = unset). */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * OCI memory.swap is memory+swap (v1 memsw); v2 memory.swap.max is swap alone.
 * Returns -1 for "max", 0 for "unset" (runc's ConvertMemorySwapToCgroupV2Value).
 */
export function swapToV2(memorySwap: number, memory: number): number {
  if (memory === -1 && memorySwap === 0) return -1; // unlimited memory implies unlimited swap
  if (memorySwap === -1 || memorySwap === 0) return memorySwap;
  if (memory === 0 || memory === -1) throw new Error('cgroup: unable to set swap limit without memory limit');
  if (memory < 0) throw new Error(`cgroup: invalid memory value: ${memory}`);
  if (memorySwap < memory) throw new Error('cgroup: memory+swap limit should be >= memory limit');
  return memorySwap - memory;
}

/** 0 -> '' (leave alone), -1 -> 'max', n -> 'n' (runc's numToStr for v2 files). */
export function numToStr(n: number | undefined): string {
  if (n === undefined || n === 0) return '';
  if (n === -1) return 'max';
  return Number.isSafeInteger(n) ? String(n) : BigInt(Math.trunc(n)).toString();
}

/** "hugepages-2048kB" -> "2MB": the page-size names cgroup files use (runc's HugePageSizes). */
export function hugePageSizeName(kb: number): string {
  const units = ['KB', 'MB', 'GB', 'TB', 'PB'];
  let v = kb;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v}${units[i]}`;
}

let sizes: string[] | undefined;
/** Huge page sizes supported by the kernel, e.g. ['1GB', '2MB'] (cached). */
export function hugePageSizes(dir = '/sys/kernel/mm/hugepages'): string[] {
  if (sizes && dir === '/sys/kernel/mm/hugepages') return sizes;
  let out: string[] = [];
  try {
    out = readdirSync(dir)
      .map((n) => /^hugepages-(\d+)kB$/.exec(n))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => hugePageSizeName(Number(m[1])));
  } catch {
    out = [];
  }
  if (dir === '/sys/kernel/mm/hugepages') sizes = out;
  return out;
}
