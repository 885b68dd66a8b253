// Stats from a v2 cgroup, mapped onto runc's (v1-shaped) events structure as runc fs2 does.
import { hugePageSizes } from '../convert';
import { MAX_U64, parseKeyValues, parseUint, readOptional, readUintOptional } from '../fsutil';
import { BlkioEntry, CgroupStats, emptyStats, memoryEntry, omitEmpty } from '../stats';

function memoryStats(dir: string, s: CgroupStats): void {
  const text = readOptional(dir, 'memory.stat');
  const usage = readUintOptional(dir, 'memory.current');
  if (text === undefined || usage === undefined) return;
  const kv = parseKeyValues(text);
  const raw: Record<string, number> = {};
  for (const k of Object.keys(kv).sort()) raw[k] = kv[k];
  const limit = readUintOptional(dir, 'memory.max') ?? MAX_U64;
  const ev = parseKeyValues(readOptional(dir, 'memory.events') ?? '');
  const mem = memoryEntry(limit, usage, readUintOptional(dir, 'memory.peak') ?? 0, ev.max ?? 0);
  // v1 reported memory+swap: keep that meaning for compatibility.
  const swapUsage = readUintOptional(dir, 'memory.swap.current');
  const swapLimit = readUintOptional(dir, 'memory.swap.max') ?? MAX_U64;
  const swap = swapUsage === undefined ? memoryEntry(0, 0, 0, 0) : memoryEntry(swapLimit >= MAX_U64 ? MAX_U64 : swapLimit + limit, swapUsage + usage, 0, 0);
  const empty = memoryEntry(0, 0, 0, 0);
  s.memory = omitEmpty({ cache: kv.file ?? 0, usage: mem, swap, kernel: empty, kernelTCP: empty, raw }, ['cache', 'raw']);
}

function cpuStats(dir: string, s: CgroupStats): void {
  const st = parseKeyValues(readOptional(dir, 'cpu.stat') ?? '');
  s.cpu.usage = omitEmpty({ total: (st.usage_usec ?? 0) * 1000, kernel: (st.system_usec ?? 0) * 1000, user: (st.user_usec ?? 0) * 1000 }, ['total']);
  s.cpu.throttling = omitEmpty(
    { periods: st.nr_periods, throttledPeriods: st.nr_throttled, throttledTime: st.throttled_usec === undefined ? undefined : st.throttled_usec * 1000 },
    ['periods', 'throttledPeriods', 'throttledTime'],
  );
}

function pidsStats(dir: string, s: CgroupStats): void {
  let current = readUintOptional(dir, 'pids.current');
  // Without the pids controller, count the member processes.
  if (current === undefined) current = (readOptional(dir, 'cgroup.procs') ?? '').split('\n').filter(Boolean).length;
  const max = (readOptional(dir, 'pids.max') ?? 'max').trim();
  s.pids = omitEmpty({ current, limit: max === 'max' ? 0 : parseUint(max) }, ['current', 'limit']);
}

function ioStats(dir: string, s: CgroupStats): void {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  const map: Record<string, [string, BlkioEntry[]]> = { rbytes: ['Read', bytes], wbytes: ['Write', bytes], rios: ['Read', ios], wios: ['Write', ios] };
  for (const line of (readOptional(dir, 'io.stat') ?? '').split('\n')) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    for (const kv of kvs) {
      const [k, v] = kv.split('=');
      const t = map[k];
      if (t) t[1].push(omitEmpty({ major: +m[1], minor: +m[2], op: t[0], value: parseUint(v) }, ['major', 'minor', 'value']));
    }
  }
  s.blkio = omitEmpty({ ioServiceBytesRecursive: bytes, ioServicedRecursive: ios }, ['ioServiceBytesRecursive', 'ioServicedRecursive']);
}

function hugetlbStats(dir: string, s: CgroupStats): void {
  for (const size of hugePageSizes()) {
    const usage = readUintOptional(dir, `hugetlb.${size}.current`);
    if (usage === undefined) continue;
    const ev = parseKeyValues(readOptional(dir, `hugetlb.${size}.events`) ?? '');
    s.hugetlb[size] = omitEmpty({ usage, failcnt: ev.max ?? 0 }, ['usage']);
  }
}

export function statsV2(dir: string): CgroupStats {
  const s = emptyStats();
  for (const read of [memoryStats, cpuStats, pidsStats, ioStats, hugetlbStats]) read(dir, s);
  return s;
}
