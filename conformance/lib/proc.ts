// Parsers for what the container prints about itself: /proc/<pid>/status, mountinfo, limits.

/** Capability names by bit number (linux/capability.h). */
export const CAP_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Decodes a CapXxx hex mask into capability names (unknown bits as CAP_<n>). */
export function decodeCaps(hex: string): string[] {
  const v = BigInt('0x' + hex.trim());
  const out: string[] = [];
  for (let i = 0; i < 64; i++) if ((v >> BigInt(i)) & 1n) out.push(CAP_NAMES[i] ?? `CAP_${i}`);
  return out;
}

/** `Key:\tvalue` lines of /proc/<pid>/status. */
export function parseStatus(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

export interface MountInfo {
  id: number;
  parent: number;
  root: string;
  mountPoint: string;
  /** Per-mount options (ro, nosuid, nodev, noexec, relatime...). */
  opts: string[];
  /** Optional fields: shared:N, master:N, propagate_from:N, unbindable. */
  optional: string[];
  fstype: string;
  source: string;
  /** Per-superblock options (size=, mode=, gid=...). */
  superOpts: string[];
}

const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    if (f.length < 10) continue;
    const sep = f.indexOf('-', 6);
    if (sep < 0) continue;
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      root: unescape(f[3]),
      mountPoint: unescape(f[4]),
      opts: f[5].split(','),
      optional: f.slice(6, sep),
      fstype: f[sep + 1],
      source: unescape(f[sep + 2]),
      superOpts: (f[sep + 3] ?? '').split(','),
    });
  }
  return out;
}

/** The mount visible at `path` (the last one mounted there). */
export function mountAt(mounts: MountInfo[], path: string): MountInfo | undefined {
  return mounts.filter((m) => m.mountPoint === path).pop();
}

/** /proc/<pid>/limits as { 'Max open files': { soft, hard } }. */
export function parseLimits(text: string): Record<string, { soft: string; hard: string }> {
  const out: Record<string, { soft: string; hard: string }> = {};
  for (const line of text.split('\n').slice(1)) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (m) out[m[1].trim()] = { soft: m[2], hard: m[3] };
  }
  return out;
}

/** RLIMIT_* type to the row name in /proc/<pid>/limits. */
export const LIMIT_ROWS: Record<string, string> = {
  RLIMIT_CPU: 'Max cpu time', RLIMIT_FSIZE: 'Max file size', RLIMIT_DATA: 'Max data size', RLIMIT_STACK: 'Max stack size',
  RLIMIT_CORE: 'Max core file size', RLIMIT_RSS: 'Max resident set', RLIMIT_NPROC: 'Max processes', RLIMIT_NOFILE: 'Max open files',
  RLIMIT_MEMLOCK: 'Max locked memory', RLIMIT_AS: 'Max address space', RLIMIT_LOCKS: 'Max file locks',
  RLIMIT_SIGPENDING: 'Max pending signals', RLIMIT_MSGQUEUE: 'Max msgqueue size', RLIMIT_NICE: 'Max nice priority',
  RLIMIT_RTPRIO: 'Max realtime priority', RLIMIT_RTTIME: 'Max realtime timeout',
};
