// The process attributes the init applies to itself just before execve(): they are per-process
// or per-thread kernel state, so they must be set by the process that becomes the container's
// program. Order follows runc (standard_init_linux.go, finalizeNamespace).
import { fstatSync, readFileSync, statSync } from 'node:fs';
import type { Process, LinuxPersonality, LinuxMemoryPolicy, Scheduler, IOPriority } from '../../spec/types';
import { capMasks, lastCap } from '../capabilities';
import { writeProc } from './procfs';
import { SysError, capset, fchown, check, errno, personality, prctl, sched_setaffinity, setgroups, setresgid, setresuid, setrlimit, syscall3, SYS, sysSchedSetattr, setMempolicy } from '../sys/libc';

const PR = {
  SET_PDEATHSIG: 1,
  SET_KEEPCAPS: 8,
  SET_NO_NEW_PRIVS: 38,
  CAPBSET_DROP: 24,
  CAP_AMBIENT: 47,
  CAP_AMBIENT_RAISE: 2,
  CAP_AMBIENT_CLEAR_ALL: 4,
};

export const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
};

export function applyRlimits(p: Process): void {
  for (const r of p.rlimits ?? []) {
    const n = RLIMITS[r.type];
    if (n === undefined) throw new Error(`process.rlimits: unknown rlimit type ${r.type}`);
    if (setrlimit(n, BigInt(r.soft), BigInt(r.hard)) < 0) throw new SysError(`setrlimit ${r.type} (soft ${r.soft}, hard ${r.hard})`, errno());
  }
}

/** Through the verified procfs handle (procfs.ts): a mount over the file is refused. */
export function applySysctl(sysctl: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(sysctl)) writeProc('sys/' + k.replace(/\./g, '/'), v, `linux.sysctl: write ${k}=${v}`);
}

const PERSONALITY_DOMAIN: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };
export function applyPersonality(p?: LinuxPersonality): void {
  if (!p) return;
  const d = PERSONALITY_DOMAIN[p.domain];
  if (d === undefined) throw new Error(`linux.personality.domain: unknown domain ${p.domain}`);
  if (p.flags?.length) throw new Error('linux.personality.flags: not supported');
  check(personality(d), `personality ${p.domain}`);
}

const SCHED_POLICY: Record<string, number> = { SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6 };
const SCHED_FLAG: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01,
  SCHED_FLAG_RECLAIM: 0x02,
  SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};
export function applyScheduler(s?: Scheduler): void {
  if (!s) return;
  const policy = SCHED_POLICY[s.policy];
  if (policy === undefined) throw new Error(`process.scheduler.policy: unknown policy ${s.policy}`);
  let flags = 0;
  for (const f of s.flags ?? []) {
    const v = SCHED_FLAG[f];
    if (v === undefined) throw new Error(`process.scheduler.flags: unknown flag ${f}`);
    flags |= v;
  }
  // struct sched_attr (SCHED_ATTR_SIZE_VER0 = 48 bytes)
  const a = Buffer.alloc(48);
  a.writeUInt32LE(48, 0);
  a.writeUInt32LE(policy, 4);
  a.writeBigUInt64LE(BigInt(flags), 8);
  a.writeInt32LE(s.nice ?? 0, 16);
  a.writeUInt32LE(s.priority ?? 0, 20);
  a.writeBigUInt64LE(BigInt(s.runtime ?? 0), 24);
  a.writeBigUInt64LE(BigInt(s.deadline ?? 0), 32);
  a.writeBigUInt64LE(BigInt(s.period ?? 0), 40);
  if (sysSchedSetattr(a) < 0) throw new SysError(`sched_setattr ${s.policy}`, errno());
}

const IOPRIO_CLASS: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
export function applyIoPriority(p?: IOPriority): void {
  if (!p) return;
  const cls = IOPRIO_CLASS[p.class];
  if (cls === undefined) throw new Error(`process.ioPriority.class: unknown class ${p.class}`);
  // ioprio_set(IOPRIO_WHO_PROCESS, 0 = self, class << 13 | data)
  if (syscall3(SYS.ioprio_set, 1, 0, (cls << 13) | (p.priority ?? 0)) < 0) throw new SysError(`ioprio_set ${p.class}`, errno());
}

/** "0-3,7" -> a cpu_set_t mask. */
export function parseCpuList(list: string, what: string): Buffer {
  const mask = Buffer.alloc(128);
  for (const part of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`${what}: invalid CPU list "${list}"`);
    const a = Number(m[1]), b = Number(m[2] ?? m[1]);
    if (b < a || b >= 1024) throw new Error(`${what}: invalid CPU range "${part}"`);
    for (let c = a; c <= b; c++) mask[c >> 3]! |= 1 << (c & 7);
  }
  return mask;
}

export function applyCpuAffinity(list: string | undefined, what: string): void {
  if (!list) return;
  if (sched_setaffinity(0, 128, parseCpuList(list, what)) < 0) throw new SysError(`sched_setaffinity ${list}`, errno());
}

const MPOL_MODE: Record<string, number> = { MPOL_DEFAULT: 0, MPOL_PREFERRED: 1, MPOL_BIND: 2, MPOL_INTERLEAVE: 3, MPOL_LOCAL: 4, MPOL_PREFERRED_MANY: 5, MPOL_WEIGHTED_INTERLEAVE: 6 };
const MPOL_FLAG: Record<string, number> = { MPOL_F_NUMA_BALANCING: 1 << 13, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_STATIC_NODES: 1 << 15 };
export function applyMemoryPolicy(p?: LinuxMemoryPolicy): void {
  if (!p) return;
  let mode = MPOL_MODE[p.mode];
  if (mode === undefined) throw new Error(`linux.memoryPolicy.mode: unknown mode ${p.mode}`);
  for (const f of p.flags ?? []) {
    const v = MPOL_FLAG[f];
    if (v === undefined) throw new Error(`linux.memoryPolicy.flags: unknown flag ${f}`);
    mode |= v;
  }
  const nodes = p.nodes ? parseCpuList(p.nodes, 'linux.memoryPolicy.nodes') : null;
  if (setMempolicy(mode, nodes, nodes ? 1024 : 0) < 0) throw new SysError(`set_mempolicy ${p.mode}`, errno());
}

export function setNoNewPrivs(): void {
  check(prctl(PR.SET_NO_NEW_PRIVS, 1, 0, 0, 0), 'prctl(PR_SET_NO_NEW_PRIVS)');
}

/**
 * Capabilities and identity, in runc's order: drop the bounding set while we still have
 * CAP_SETPCAP, keep capabilities across the uid change, switch user and groups, then set the
 * effective/permitted/inheritable sets and raise the ambient ones.
 */
export function applyCredentials(p: Process, opts: { setgroupsAllowed: boolean; warn: (msg: string) => void }): void {
  const caps = capMasks(p.capabilities);
  if (caps.unknown.length) opts.warn(`ignoring unknown or unavailable capabilities: [${caps.unknown.join(' ')}]`);
  const last = lastCap();
  if (p.capabilities) {
    for (let c = 0; c <= last; c++) {
      if (!(caps.bounding & (1n << BigInt(c)))) {
        if (prctl(PR.CAPBSET_DROP, c, 0, 0, 0) < 0 && errno() !== 22) throw new SysError(`drop capability ${c} from the bounding set`, errno());
      }
    }
  }
  check(prctl(PR.SET_KEEPCAPS, 1, 0, 0, 0), 'prctl(PR_SET_KEEPCAPS)');
  const { uid, gid, additionalGids = [] } = p.user;
  fixStdioOwner(uid);
  if (opts.setgroupsAllowed) {
    const groups = Buffer.alloc(4 * Math.max(1, additionalGids.length));
    additionalGids.forEach((g, i) => groups.writeUInt32LE(g, i * 4));
    if (setgroups(additionalGids.length, groups) < 0) throw new SysError(`setgroups [${additionalGids.join(' ')}]`, errno());
  }
  if (setresgid(gid, gid, gid) < 0) throw new SysError(`setgid ${gid}`, errno());
  if (setresuid(uid, uid, uid) < 0) throw new SysError(`setuid ${uid}`, errno());
  check(prctl(PR.SET_KEEPCAPS, 0, 0, 0, 0), 'prctl(PR_SET_KEEPCAPS)');
  if (p.capabilities) {
    if (capset(caps.effective, caps.permitted, caps.inheritable) < 0) throw new SysError('capset', errno());
    prctl(PR.CAP_AMBIENT, PR.CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (let c = 0; c <= last; c++) {
      if (caps.ambient & (1n << BigInt(c))) {
        // Ambient needs the cap in permitted and inheritable; runc ignores failures here.
        prctl(PR.CAP_AMBIENT, PR.CAP_AMBIENT_RAISE, c, 0, 0);
      }
    }
  }
}

/** setgroups(2) is denied in a user namespace whose /proc/self/setgroups says "deny". */
export function setgroupsAllowed(): boolean {
  try {
    return readFileSync('/proc/self/setgroups', 'utf8').trim() !== 'deny';
  } catch {
    return true;
  }
}

/**
 * runc's fixStdioPermissions: before the switch to the process' user, its terminal (and pipes)
 * on stdio are given to that uid (the group, tty's, is kept), so that the process can reopen
 * them (/dev/stdout, `tty`). /dev/null is left alone; so are regular files, which belong to
 * the caller. EINVAL/EPERM (an owner not mapped in the user namespace) are not errors.
 */
function fixStdioOwner(uid: number): void {
  let nullRdev = -1;
  try {
    nullRdev = statSync('/dev/null').rdev;
  } catch {
    // no /dev/null in the container
  }
  for (const fd of [0, 1, 2]) {
    let st;
    try {
      st = fstatSync(fd);
    } catch {
      continue;
    }
    if (st.uid === uid || st.isFile() || st.isDirectory() || (st.isCharacterDevice() && st.rdev === nullRdev)) continue;
    if (fchown(fd, uid, 0xffffffff) < 0 && errno() !== 22 && errno() !== 1) throw new SysError(`chown stdio fd ${fd} to uid ${uid}`, errno());
  }
}
