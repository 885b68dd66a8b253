// Loading and attaching the device filter with bpf(2), called through sys/ffi.ts (no
// subprocess). Attaching replaces whatever device programs the cgroup had: the new one is
// attached with BPF_F_ALLOW_MULTI first and the old ones detached after, so the cgroup is never
// without a filter (as runc's LoadAttachCgroupDeviceFilter does).
import { closeSync, constants, openSync } from 'node:fs';
import { CgroupError } from '../fsutil';
import { ffi } from '../../libcontainer/sys/ffi';
import { os } from '../../lazy-builtins';
import { DEVICE_FILTER_LICENSE } from './ebpf';

const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_DETACH = 9;
const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_PROG_QUERY = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 2;
const ATTR_SIZE = 128; // smaller than the kernel's union bpf_attr; the rest is implicitly zero

const SYS_BPF: Record<string, number> = { x64: 321, arm64: 280, ia32: 357, arm: 386, riscv64: 280, ppc64: 361, s390x: 351 };

type SyscallFn = (...args: unknown[]) => number | bigint;
let sys: { call: SyscallFn; address: (b: Buffer) => bigint; errno: () => number; errnoName: (n: number) => string } | undefined;

function native() {
  if (sys) return sys;
  // Loaded lazily: most containers on v1/hybrid never need it.
  const f = ffi();
  const names: Record<number, string> = {};
  for (const [k, v] of Object.entries(os().constants.errno as Record<string, number>)) names[v] ??= k;
  sys = {
    call: f.func('long syscall(long, int, void *, unsigned int)'),
    address: (b: Buffer) => f.address(b),
    errno: () => f.errno(),
    errnoName: (n: number) => names[n] ?? `errno ${n}`,
  };
  return sys;
}

function bpf(cmd: number, attr: Buffer, what: string): number {
  const n = native();
  const nr = SYS_BPF[process.arch];
  if (nr === undefined) throw new CgroupError(`cgroup: bpf(2) syscall number unknown for ${process.arch}`);
  const r = Number(n.call(nr, cmd, attr, ATTR_SIZE));
  if (r < 0) {
    const e = n.errno();
    throw new CgroupError(`cgroup: bpf ${what} failed: ${n.errnoName(e)}`, n.errnoName(e));
  }
  return r;
}

/** BPF_PROG_LOAD of a CGROUP_DEVICE program; returns its fd. On verifier errors the log is in the message. */
export function loadDeviceProgram(insns: Buffer): number {
  const n = native();
  const license = Buffer.from(DEVICE_FILTER_LICENSE + '\0');
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(BPF_PROG_TYPE_CGROUP_DEVICE, 0);
  attr.writeUInt32LE(insns.length / 8, 4);
  attr.writeBigUInt64LE(n.address(insns), 8);
  attr.writeBigUInt64LE(n.address(license), 16);
  try {
    return bpf(BPF_PROG_LOAD, attr, 'prog load');
  } catch (e) {
    // Retry with the verifier log to say why.
    const log = Buffer.alloc(1 << 16);
    attr.writeUInt32LE(1, 24);
    attr.writeUInt32LE(log.length, 28);
    attr.writeBigUInt64LE(n.address(log), 32);
    try {
      return bpf(BPF_PROG_LOAD, attr, 'prog load');
    } catch {
      const text = log.toString('utf8', 0, Math.max(0, log.indexOf(0))).trim().replace(/\n/g, '; ');
      throw new CgroupError(`${(e as Error).message}${text ? ` (verifier: ${text})` : ''}`, (e as CgroupError).code);
    }
  }
}

/** Ids of the device programs attached to the cgroup open as dirFd. */
export function queryDevicePrograms(dirFd: number): number[] {
  const n = native();
  const ids = Buffer.alloc(64 * 4);
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(dirFd, 0);
  attr.writeUInt32LE(BPF_CGROUP_DEVICE, 4);
  attr.writeBigUInt64LE(n.address(ids), 16);
  attr.writeUInt32LE(64, 24);
  bpf(BPF_PROG_QUERY, attr, 'prog query');
  const cnt = attr.readUInt32LE(24);
  return Array.from({ length: Math.min(cnt, 64) }, (_, i) => ids.readUInt32LE(i * 4));
}

function progFdById(id: number): number {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(id, 0);
  return bpf(BPF_PROG_GET_FD_BY_ID, attr, 'prog get fd by id');
}

function attachCmd(cmd: number, dirFd: number, progFd: number, flags: number, what: string): void {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(dirFd, 0);
  attr.writeUInt32LE(progFd, 4);
  attr.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
  attr.writeUInt32LE(flags, 12);
  bpf(cmd, attr, what);
}

/** Loads `insns` and makes it the only device program of the cgroup directory `dir`. */
export function attachDeviceFilter(dir: string, insns: Buffer): void {
  const dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const old = queryDevicePrograms(dirFd).map(progFdById);
    const progFd = loadDeviceProgram(insns);
    try {
      attachCmd(BPF_PROG_ATTACH, dirFd, progFd, BPF_F_ALLOW_MULTI, `attach to ${dir}`);
      for (const fd of old) attachCmd(BPF_PROG_DETACH, dirFd, fd, 0, `detach old program from ${dir}`);
    } finally {
      closeSync(progFd); // the cgroup holds its own reference
      for (const fd of old) closeSync(fd);
    }
  } finally {
    closeSync(dirFd);
  }
}
