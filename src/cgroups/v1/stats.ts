// Stats from v1 controllers, converted to runc's events shape (runc 1.1 fs/*.go GetStats).
import { hugePageSizes } from '../convert';
import { parseKeyValues, parseUint, readOptional, readUintOptional } from '../fsutil';
import { BlkioEntry, BlkioStats, CgroupStats, emptyStats, memoryEntry, MemoryEntry, omitEmpty, parseCpuList } from '../stats';

const NS_PER_TICK = 1e9 / 100; // cpuacct.stat is in USER_HZ (100 on Linux)

function memoryData(dir: string, prefix: string): MemoryEntry | undefined {
  const usage = readUintOptional(dir, `${prefix}.usage_in_bytes`);
  if (usage === undefined) return undefined; // memsw/kmem are optional in the kernel
  const n = (f: string) => readUintOptional(dir, `${prefix}.${f}`) ?? 0;
  return memoryEntry(n('limit_in_bytes'), usage, n('max_usage_in_bytes'), n('failcnt'));
}

function memoryStats(dir: string, s: CgroupStats): void {
  const text = readOptional(dir, 'memory.stat');
  if (text === undefined) return;
  const kv = parseKeyValues(text);
  const raw: Record<string, number> = {};
  for (const k of Object.keys(kv).sort()) raw[k] = kv[k]; // Go sorts map keys
  const empty = s.memory.usage;
  s.memory = omitEmpty(
    {
      cache: kv.cache ?? 0,
      usage: memoryData(dir, 'memory') ?? empty,
      swap: memoryData(dir, 'memory.memsw') ?? empty,
      kernel: memoryData(dir, 'memory.kmem') ?? empty,
      kernelTCP: memoryData(dir, 'memory.kmem.tcp') ?? empty,
      raw,
    },
    ['cache', 'raw'],
  );
}

function cpuacctStats(dir: string, s: CgroupStats): void {
  const total = readUintOptional(dir, 'cpuacct.usage') ?? 0;
  const percpu = (readOptional(dir, 'cpuacct.usage_percpu') ?? '').trim().split(/\s+/).filter(Boolean).map(parseUint);
  const pk: number[] = [];
  const pu: number[] = [];
  const all = readOptional(dir, 'cpuacct.usage_all');
  for (const line of (all ?? '').trim().split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 3) {
      pu.push(parseUint(f[1]));
      pk.push(parseUint(f[2]));
    }
  }
  const st = parseKeyValues(readOptional(dir, 'cpuacct.stat') ?? '');
  s.cpu.usage = omitEmpty(
    { total, percpu, percpu_kernel: pk, percpu_user: pu, kernel: (st.system ?? 0) * NS_PER_TICK, user: (st.user ?? 0) * NS_PER_TICK },
    ['total', 'percpu', 'percpu_kernel', 'percpu_user'],
  );
}

function cpuStats(dir: string, s: CgroupStats): void {
  const st = parseKeyValues(readOptional(dir, 'cpu.stat') ?? '');
  s.cpu.throttling = omitEmpty({ periods: st.nr_periods, throttledPeriods: st.nr_throttled, throttledTime: st.throttled_time }, ['periods', 'throttledPeriods', 'throttledTime']);
}

function cpusetStats(dir: string, s: CgroupStats): void {
  const n = (f: string) => readUintOptional(dir, `cpuset.${f}`) ?? 0;
  const relax = readOptional(dir, 'cpuset.sched_relax_domain_level');
  s.cpuset = omitEmpty(
    {
      cpus: parseCpuList(readOptional(dir, 'cpuset.cpus') ?? ''),
      cpu_exclusive: n('cpu_exclusive'),
      mems: parseCpuList(readOptional(dir, 'cpuset.mems') ?? ''),
      mem_hardwall: n('mem_hardwall'),
      mem_exclusive: n('mem_exclusive'),
      memory_migrate: n('memory_migrate'),
      memory_spread_page: n('memory_spread_page'),
      memory_spread_slab: n('memory_spread_slab'),
      memory_pressure: n('memory_pressure'),
      sched_load_balance: n('sched_load_balance'),
      sched_relax_domain_level: relax === undefined ? 0 : Number(relax.trim()),
    },
    ['cpus', 'mems'],
  );
}

function pidsStats(dir: string, s: CgroupStats): void {
  const current = readUintOptional(dir, 'pids.current') ?? 0;
  const max = (readOptional(dir, 'pids.max') ?? 'max').trim();
  s.pids = omitEmpty({ current, limit: max === 'max' ? 0 : parseUint(max) }, ['current', 'limit']);
}

/** Parses blkio stat files: "8:0 Read 4096" lines (or "8:0 4096"); "Total N" summary lines skipped. */
export function parseBlkio(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (!m) continue;
    const e: BlkioEntry = f.length >= 3 ? { major: +m[1], minor: +m[2], op: f[1], value: parseUint(f[2]) } : { major: +m[1], minor: +m[2], value: parseUint(f[1] ?? '0') };
    out.push(omitEmpty(e, ['major', 'minor', 'op', 'value']));
  }
  return out;
}

// Groups tried in order; the first group whose first file has data wins (runc's orderedStats).
const BLKIO_GROUPS: [string, keyof BlkioStats][][] = [
  [['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'], ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive']],
  [
    ['blkio.sectors_recursive', 'sectorsRecursive'], ['blkio.io_service_time_recursive', 'ioServiceTimeRecursive'],
    ['blkio.io_wait_time_recursive', 'ioWaitTimeRecursive'], ['blkio.io_merged_recursive', 'ioMergedRecursive'],
    ['blkio.io_queued_recursive', 'ioQueueRecursive'], ['blkio.time_recursive', 'ioTimeRecursive'],
    ['blkio.io_service_bytes_recursive', 'ioServiceBytesRecursive'], ['blkio.io_serviced_recursive', 'ioServicedRecursive'],
  ],
  [['blkio.throttle.io_service_bytes_recursive', 'ioServiceBytesRecursive'], ['blkio.throttle.io_serviced_recursive', 'ioServicedRecursive']],
  [['blkio.throttle.io_service_bytes', 'ioServiceBytesRecursive'], ['blkio.throttle.io_serviced', 'ioServicedRecursive']],
];

function blkioStats(dir: string, s: CgroupStats): void {
  for (const group of BLKIO_GROUPS) {
    const first = parseBlkio(readOptional(dir, group[0][0]) ?? '');
    if (!first.length) continue;
    const b: BlkioStats = {};
    for (const [file, key] of group) {
      const entries = file === group[0][0] ? first : parseBlkio(readOptional(dir, file) ?? '');
      if (entries.length) b[key] = entries;
    }
    s.blkio = b;
    return;
  }
}

function hugetlbStats(dir: string, s: CgroupStats): void {
  for (const size of hugePageSizes()) {
    const usage = readUintOptional(dir, `hugetlb.${size}.usage_in_bytes`);
    if (usage === undefined) continue;
    s.hugetlb[size] = omitEmpty(
      { usage, max: readUintOptional(dir, `hugetlb.${size}.max_usage_in_bytes`) ?? 0, failcnt: readUintOptional(dir, `hugetlb.${size}.failcnt`) ?? 0 },
      ['usage', 'max'],
    );
  }
}

const READERS: Record<string, (dir: string, s: CgroupStats) => void> = {
  memory: memoryStats, cpuacct: cpuacctStats, cpu: cpuStats, cpuset: cpusetStats, pids: pidsStats, blkio: blkioStats, hugetlb: hugetlbStats,
};

export function statsV1(paths: Record<string, string>): CgroupStats {
  const s = emptyStats();
  // Order matters only for cpu vs cpuacct (distinct fields); missing controllers leave defaults.
  for (const [ctrl, read] of Object.entries(READERS)) if (paths[ctrl]) read(paths[ctrl], s);
  return s;
}
