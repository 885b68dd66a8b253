// Compiles an OCI seccomp profile (linux.seccomp) to a raw BPF program, in the CLI process,
// so that the container's init only has to hand bytes to seccomp(2) (see install.ts).
// Follows runc 1.1's libcontainer/seccomp: the same rule translation, the same handling of
// unknown syscall names and of several conditions on one argument, and the same -ENOSYS stub.
import { closeSync, fstatSync, readSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { LinuxSeccomp, SeccompArg, SeccompSyscall } from '../spec/types';
import { enosysStub, encode, type LastSyscalls } from './bpf';
import {
  ACTIONS, ARCHES, BPF_MAXINSNS, ENOSYS, EPERM, FILTER_FLAG, FLAGS, OPERATORS, RET_DATA_MASK, SOCK_FILTER_SIZE,
} from './constants';
import { ATTR, NR_SCMP_ERROR, libseccomp, type LibSeccomp, type ScmpArgCmp } from './libseccomp';

export interface CompiledSeccomp {
  /** struct sock_filter[] in host byte order, ready for seccomp(SECCOMP_SET_MODE_FILTER). */
  bpf: Buffer;
  /** SECCOMP_FILTER_FLAG_* bits to pass to seccomp(2). */
  flags: number;
  /** True when a rule uses SCMP_ACT_NOTIFY: installing returns a listener fd (NEW_LISTENER). */
  notify: boolean;
}

/** Linux system calls have at most 6 arguments. */
const MAX_ARGS = 6;
const MFD_CLOEXEC = 1;

/** One rule per syscall name, as runc's configs.Syscall. */
interface Rule {
  name: string;
  action: number;
  notify: boolean;
  args: SeccompArg[];
}

export function compileSeccomp(spec: LinuxSeccomp): CompiledSeccomp {
  // Validate everything first, so that a bad profile fails with a clear message before any
  // native code runs.
  if (spec.defaultAction === 'SCMP_ACT_NOTIFY') {
    // The init reports the listener fd with write(2); notifying on everything would deadlock it.
    throw new Error('seccomp: SCMP_ACT_NOTIFY cannot be used as default action');
  }
  const defaultAction = actionValue(spec.defaultAction, spec.defaultErrnoRet);
  const arches = (spec.architectures ?? []).map((a) => {
    if (!Object.hasOwn(ARCHES, a)) throw new Error(`seccomp: unknown architecture ${a}`);
    return a;
  });
  let flags = 0;
  for (const f of spec.flags ?? []) {
    if (!Object.hasOwn(FLAGS, f)) throw new Error(`seccomp: unknown flag ${f}`);
    flags |= FLAGS[f];
  }
  const rules = flattenRules(spec.syscalls ?? []);
  const notify = rules.some((r) => r.notify);
  if (notify) flags |= FILTER_FLAG.NEW_LISTENER;
  // The kernel refuses TSYNC with NEW_LISTENER (it could not say which thread failed) unless
  // TSYNC_ESRCH asks it to report that with ESRCH instead.
  if (flags & FILTER_FLAG.TSYNC && notify) flags |= FILTER_FLAG.TSYNC_ESRCH;
  if (flags & FILTER_FLAG.WAIT_KILLABLE_RECV && !notify) {
    throw new Error('seccomp: flag SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a rule with SCMP_ACT_NOTIFY');
  }

  const lib = libseccomp();
  const tokens = arches.map((a) => {
    const t = lib.archResolveName(ARCHES[a].scmp);
    if (!t) throw new Error(`seccomp: architecture ${a} is not supported by libseccomp ${versionString(lib)}`);
    return t;
  });

  const ctx = lib.init(defaultAction);
  if (!ctx) throw new Error(`seccomp: seccomp_init failed for default action ${spec.defaultAction}`);
  let program: Buffer;
  try {
    // no_new_privs is the runtime's business (process.noNewPrivileges), not the filter's.
    check(lib.attrSet(ctx, ATTR.CTL_NNP, 0), 'disabling SCMP_FLTATR_CTL_NNP');
    tokens.forEach((t, i) => {
      const rc = lib.archAdd(ctx, t);
      // -EEXIST: the native architecture is always in the filter already.
      if (rc < 0 && rc !== -osConstants.errno.EEXIST) check(rc, `adding architecture ${arches[i]}`);
    });
    // As runc 1.2 (1.1 does not): a binary tree of syscalls for long profiles, O(log n) per
    // syscall instead of a linear scan; same verdicts (test/unit/seccomp-runc.test.ts).
    // libseccomp <= 2.5.4 misbehaves with a tree and no rules; 4 syscalls a node, so 32.
    if (rules.length > 32) check(lib.attrSet(ctx, ATTR.CTL_OPTIMIZE, 2), 'enabling the binary tree optimization');
    for (const r of rules) addRule(lib, ctx, r, defaultAction);
    program = exportBpf(lib, ctx);
  } finally {
    lib.release(ctx);
  }

  if (needsEnosysStub(spec)) {
    const last = lastSyscalls(lib, arches, rules);
    if (last.size > 0) program = Buffer.concat([encode(enosysStub(last)), program]);
  }
  const count = program.length / SOCK_FILTER_SIZE;
  if (count > BPF_MAXINSNS) throw new Error(`seccomp: filter has ${count} instructions, more than the kernel's limit of ${BPF_MAXINSNS}`);
  return { bpf: program, flags, notify };
}

/** The u32 filter return value for an OCI action (runc's getAction). */
export function actionValue(name: string, errnoRet: number | undefined): number {
  if (!Object.hasOwn(ACTIONS, name)) throw new Error(`seccomp: unknown action ${name}`);
  const a = ACTIONS[name];
  if (!a.takesData) return a.base; // errnoRet means nothing here; runc ignores it too.
  const data = errnoRet ?? EPERM;
  if (!Number.isInteger(data) || data < 0 || data > RET_DATA_MASK) {
    throw new Error(`seccomp: errnoRet ${errnoRet} for ${name} is not an integer from 0 to ${RET_DATA_MASK}`);
  }
  return (a.base | data) >>> 0;
}

function flattenRules(syscalls: SeccompSyscall[]): Rule[] {
  const rules: Rule[] = [];
  const seen = new Set<string>();
  for (const sc of syscalls) {
    const action = actionValue(sc.action, sc.errnoRet);
    const notify = sc.action === 'SCMP_ACT_NOTIFY';
    const args = sc.args ?? [];
    for (const a of args) {
      if (!Object.hasOwn(OPERATORS, a.op)) throw new Error(`seccomp: unknown operator ${a.op}`);
      if (!Number.isInteger(a.index) || a.index < 0 || a.index >= MAX_ARGS) {
        throw new Error(`seccomp: argument index ${a.index} of ${(sc.names ?? []).join(',')} is not from 0 to ${MAX_ARGS - 1}`);
      }
      toU64(a.value, 'value');
      if (a.valueTwo !== undefined) toU64(a.valueTwo, 'valueTwo');
    }
    const argsKey = JSON.stringify(args, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
    for (const name of sc.names ?? []) {
      if (!name) throw new Error('seccomp: empty string is not a valid syscall name');
      // The init writes the listener fd to its parent with write(2) after installing.
      if (notify && name === 'write') throw new Error('seccomp: SCMP_ACT_NOTIFY cannot be used for the write syscall');
      // A repeated rule changes nothing: once is enough (libseccomp's rule adding is
      // quadratic, so 100k copies of one rule took a minute).
      const key = `${name}\0${action}\0${argsKey}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rules.push({ name, action, notify, args });
    }
  }
  return rules;
}

function toU64(v: number | bigint, what: string): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v > 0xffffffffffffffffn) throw new Error(`seccomp: argument ${what} ${v} is not a 64-bit unsigned integer`);
    return v;
  }
  if (!Number.isInteger(v) || v < 0) throw new Error(`seccomp: argument ${what} ${v} is not a 64-bit unsigned integer`);
  return BigInt(v);
}

/** runc's matchCall. */
function addRule(lib: LibSeccomp, ctx: bigint, r: Rule, defaultAction: number): void {
  // libseccomp refuses rules that repeat the default action; they change nothing anyway.
  if (r.action === defaultAction) return;
  const nr = lib.syscallResolveName(r.name);
  // Unknown on every architecture libseccomp knows: runc assumes the kernel lacks it and skips.
  // (Names that only exist on other architectures resolve to negative pseudo numbers, which
  // libseccomp maps per architecture.)
  if (nr === NR_SCMP_ERROR) return;
  const conds: ScmpArgCmp[] = r.args.map((a) => ({
    arg: a.index,
    op: OPERATORS[a.op],
    // For MASKED_EQ, libseccomp tests (arg & datum_a) == datum_b: value is the mask.
    datum_a: toU64(a.value, 'value'),
    datum_b: toU64(a.valueTwo ?? 0, 'valueTwo'),
  }));
  const add = (c: ScmpArgCmp[]) =>
    check(lib.ruleAddArray(ctx, r.action, nr, c.length, c.length ? c : null), `adding a rule for syscall ${r.name}`);
  // libseccomp ANDs the conditions of one rule but cannot hold two on the same argument; for
  // that case runc falls back to one rule per condition (which ORs them).
  const perIndex = new Array<number>(MAX_ARGS).fill(0);
  for (const c of conds) perIndex[c.arg]++;
  if (perIndex.some((n) => n > 1)) for (const c of conds) add([c]);
  else add(conds);
}

function exportBpf(lib: LibSeccomp, ctx: bigint): Buffer {
  const fd = lib.memfdCreate('runc-ts-seccomp', MFD_CLOEXEC);
  if (fd < 0) throw new Error('seccomp: memfd_create failed');
  try {
    check(lib.exportBpf(ctx, fd), 'exporting the BPF program');
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** runc's generatePatch condition: only when unknown syscalls would otherwise be refused. */
function needsEnosysStub(spec: LinuxSeccomp): boolean {
  const permissive = ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'];
  if (permissive.includes(spec.defaultAction)) return false;
  // Already -ENOSYS for everything unknown.
  if (spec.defaultAction === 'SCMP_ACT_ERRNO' && spec.defaultErrnoRet === ENOSYS) return false;
  return true;
}

/** runc's findLastSyscalls: over the profile's architectures (not the implicit native one). */
function lastSyscalls(lib: LibSeccomp, arches: string[], rules: Rule[]): LastSyscalls {
  const last: LastSyscalls = new Map();
  for (const a of arches) {
    const { scmp, audit } = ARCHES[a];
    const token = lib.archResolveName(scmp);
    let m = last.get(audit);
    if (!m) last.set(audit, (m = new Map()));
    if (m.has(scmp)) continue;
    let max = 0;
    for (const r of rules) {
      const nr = lib.syscallResolveNameArch(token, r.name);
      if (nr > max) max = nr;
    }
    if (max > 0) m.set(scmp, max);
  }
  for (const [audit, m] of last) if (m.size === 0) last.delete(audit);
  return last;
}

function check(rc: number, what: string): void {
  if (rc < 0) throw new Error(`seccomp: ${what}: ${errnoName(-rc)}`);
}

function errnoName(e: number): string {
  const name = Object.entries(osConstants.errno).find(([, v]) => v === e)?.[0];
  return name ? `${name} (errno ${e})` : `errno ${e}`;
}

function versionString(lib: LibSeccomp): string {
  const v = lib.version();
  return `${v.major}.${v.minor}.${v.micro}`;
}
