// compileSeccomp(): the BPF it produces, checked by running it in the BPF interpreter on
// seccomp_data for chosen syscalls (no filter is installed here; see seccomp-install.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LinuxSeccomp } from '../../src/spec/types';
import { compileSeccomp } from '../../src/seccomp/compile';
import { decode, encode, run, seccompData, RET_ENOSYS } from '../../src/seccomp/bpf';
import { ARCHES, FILTER_FLAG, RET } from '../../src/seccomp/constants';
import { libseccomp } from '../../src/seccomp/libseccomp';
import { seccompFeatures, libseccompVersion } from '../../src/seccomp/features';
import { dockerDefaultProfile } from '../../src/seccomp/testdata/docker-profile';

const X86_64 = ARCHES.SCMP_ARCH_X86_64.audit;
const I386 = ARCHES.SCMP_ARCH_X86.audit;
const ERRNO = (e: number) => (RET.ERRNO | e) >>> 0;

function nr(name: string, arch = 'SCMP_ARCH_X86_64'): number {
  const lib = libseccomp();
  const n = lib.syscallResolveNameArch(lib.archResolveName(ARCHES[arch].scmp), name);
  if (n < 0) throw new Error(`no syscall ${name} on ${arch}`);
  return n;
}

/** What the compiled filter returns for syscall `name` (or number) with `args`. */
function verdict(bpf: Buffer, name: string | number, args: Array<number | bigint> = [], arch = 'SCMP_ARCH_X86_64'): number {
  const n = typeof name === 'number' ? name : nr(name, arch);
  return run(decode(bpf), seccompData({ nr: n, arch: ARCHES[arch].audit, args }));
}

const allowBut = (syscalls: LinuxSeccomp['syscalls'], extra: Partial<LinuxSeccomp> = {}): LinuxSeccomp => ({
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls,
  ...extra,
});

test('bpf encode/decode round-trip', () => {
  const prog = [{ code: 0x20, jt: 0, jf: 0, k: 4 }, { code: 0x15, jt: 1, jf: 2, k: X86_64 }, { code: 0x06, jt: 0, jf: 0, k: RET.ALLOW }];
  assert.equal(decode(encode(prog)), prog);
  assert.is(encode(prog).length, 24);
});

test('ERRNO rule with errnoRet; other syscalls get the default', () => {
  const c = compileSeccomp(allowBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 }]));
  assert.is(c.bpf.length % 8, 0);
  assert.is(c.flags, 0);
  assert.is(c.notify, false);
  assert.is(verdict(c.bpf, 'mkdir'), ERRNO(122));
  assert.is(verdict(c.bpf, 'mkdirat'), ERRNO(122));
  assert.is(verdict(c.bpf, 'getpid'), RET.ALLOW);
});

test('a name or a rule repeated 100k times compiles as fast as once, to the same filter', () => {
  // libseccomp's rule adding is quadratic: 100k copies of one name took ~60 s (fuzz, issue #13).
  const once = compileSeccomp(allowBut([{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }]));
  const t0 = performance.now();
  const many = compileSeccomp(allowBut([{ names: Array.from({ length: 100_000 }, () => 'getcwd'), action: 'SCMP_ACT_ERRNO', errnoRet: 1 }]));
  const ms = performance.now() - t0;
  assert.ok(ms < 3000, `took ${ms.toFixed(0)} ms`);
  assert.equal(many.bpf, once.bpf);
  assert.is(verdict(many.bpf, 'getcwd'), ERRNO(1));
  const rule = { names: ['getcwd'], action: 'SCMP_ACT_ERRNO' as const, errnoRet: 1, args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' as const }] };
  const t1 = performance.now();
  const entries = compileSeccomp(allowBut(Array.from({ length: 100_000 }, () => rule)));
  assert.ok(performance.now() - t1 < 3000, 'as many copies of a whole rule');
  assert.equal(entries.bpf, compileSeccomp(allowBut([rule])).bpf);
});

test('every action maps to its kernel return value; ERRNO and TRACE default to EPERM', () => {
  const cases: Array<[string, number | undefined, number]> = [
    ['SCMP_ACT_KILL', undefined, RET.KILL_THREAD],
    ['SCMP_ACT_KILL_THREAD', undefined, RET.KILL_THREAD],
    ['SCMP_ACT_KILL_PROCESS', undefined, RET.KILL_PROCESS],
    ['SCMP_ACT_TRAP', undefined, RET.TRAP],
    ['SCMP_ACT_ERRNO', undefined, ERRNO(1)],
    ['SCMP_ACT_ERRNO', 0, ERRNO(0)],
    ['SCMP_ACT_TRACE', undefined, (RET.TRACE | 1) >>> 0],
    ['SCMP_ACT_TRACE', 4242, (RET.TRACE | 4242) >>> 0],
    ['SCMP_ACT_LOG', undefined, RET.LOG],
    ['SCMP_ACT_NOTIFY', undefined, RET.USER_NOTIF],
  ];
  for (const [action, errnoRet, want] of cases) {
    const c = compileSeccomp(allowBut([{ names: ['getppid'], action: action as never, ...(errnoRet !== undefined ? { errnoRet } : {}) }]));
    assert.is(verdict(c.bpf, 'getppid') >>> 0, want >>> 0, `${action} ${errnoRet}`);
    assert.is(verdict(c.bpf, 'getpid'), RET.ALLOW, action);
  }
  const kill = compileSeccomp({ defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ALLOW' }] });
  assert.is(verdict(kill.bpf, 'getppid'), RET.KILL_PROCESS);
  assert.is(verdict(kill.bpf, 'getpid'), RET.ALLOW);
});

test('defaultErrnoRet is the default action\'s errno', () => {
  const c = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 95, syscalls: [{ names: ['getpid', 'exit_group'], action: 'SCMP_ACT_ALLOW' }] });
  assert.is(verdict(c.bpf, 'getppid'), ERRNO(95));
  assert.is(verdict(c.bpf, 'read'), ERRNO(95));
  const d = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ALLOW' }] });
  assert.is(verdict(d.bpf, 'read'), ERRNO(1));
});

test('operators compare 64-bit arguments', () => {
  const big = 0x1_0000_0005; // above 32 bits: both halves must be compared
  const cases: Array<[string, number, number | undefined, Array<[number | bigint, boolean]>]> = [
    ['SCMP_CMP_EQ', 8, undefined, [[8, true], [9, false], [8n + (1n << 32n), false]]],
    ['SCMP_CMP_NE', 8, undefined, [[8, false], [9, true], [0, true]]],
    ['SCMP_CMP_LT', 8, undefined, [[7, true], [8, false], [9, false]]],
    ['SCMP_CMP_LE', 8, undefined, [[7, true], [8, true], [9, false]]],
    ['SCMP_CMP_GT', 8, undefined, [[7, false], [8, false], [9, true], [1n << 40n, true]]],
    ['SCMP_CMP_GE', 8, undefined, [[7, false], [8, true], [9, true]]],
    ['SCMP_CMP_EQ', big, undefined, [[big, true], [5, false]]],
    // MASKED_EQ: (arg & value) == valueTwo
    ['SCMP_CMP_MASKED_EQ', 0xff00, 0x1200, [[0x1234, true], [0x12ff, true], [0x1334, false], [0x34, false]]],
  ];
  for (const [op, value, valueTwo, probes] of cases) {
    const c = compileSeccomp(allowBut([{
      names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 77,
      args: [{ index: 0, op: op as never, value, ...(valueTwo !== undefined ? { valueTwo } : {}) }],
    }]));
    for (const [arg, denied] of probes) {
      assert.is(verdict(c.bpf, 'personality', [arg]), denied ? ERRNO(77) : RET.ALLOW, `${op} ${value} vs ${arg}`);
    }
  }
});

test('conditions on different arguments are ANDed', () => {
  const c = compileSeccomp(allowBut([{
    names: ['kill'], action: 'SCMP_ACT_ERRNO',
    args: [{ index: 0, op: 'SCMP_CMP_EQ', value: 1 }, { index: 1, op: 'SCMP_CMP_EQ', value: 9 }],
  }]));
  assert.is(verdict(c.bpf, 'kill', [1, 9]), ERRNO(1));
  assert.is(verdict(c.bpf, 'kill', [1, 15]), RET.ALLOW);
  assert.is(verdict(c.bpf, 'kill', [2, 9]), RET.ALLOW);
});

test('several conditions on one argument become one rule each (ORed), as runc does', () => {
  const c = compileSeccomp(allowBut([{
    names: ['personality'], action: 'SCMP_ACT_ERRNO',
    args: [{ index: 0, op: 'SCMP_CMP_EQ', value: 8 }, { index: 0, op: 'SCMP_CMP_EQ', value: 0x20000 }],
  }]));
  assert.is(verdict(c.bpf, 'personality', [8]), ERRNO(1));
  assert.is(verdict(c.bpf, 'personality', [0x20000]), ERRNO(1));
  assert.is(verdict(c.bpf, 'personality', [0xffffffff]), RET.ALLOW);
});

test('unknown syscall names are skipped; rules equal to the default are dropped', () => {
  const c = compileSeccomp(allowBut([
    { names: ['no_such_syscall', 'getppid'], action: 'SCMP_ACT_ERRNO' },
    { names: ['getpid'], action: 'SCMP_ACT_ALLOW' },
  ]));
  assert.is(verdict(c.bpf, 'getppid'), ERRNO(1));
  assert.is(verdict(c.bpf, 'getpid'), RET.ALLOW);
  // A name that only exists on other architectures is fine too (libseccomp maps it per arch).
  const d = compileSeccomp(allowBut([{ names: ['_llseek', 'getppid'], action: 'SCMP_ACT_ERRNO' }], { architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'] }));
  assert.is(verdict(d.bpf, '_llseek', [], 'SCMP_ARCH_X86'), ERRNO(1));
  assert.is(verdict(d.bpf, 'getppid'), ERRNO(1));
});

test('architectures: listed ones are filtered, others get the bad-arch action (kill)', () => {
  const spec = allowBut([{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }]);
  const native = compileSeccomp(spec);
  assert.is(verdict(native.bpf, 'mkdir', [], 'SCMP_ARCH_X86'), RET.KILL_THREAD);
  const multi = compileSeccomp({ ...spec, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] });
  assert.is(verdict(multi.bpf, 'mkdir', [], 'SCMP_ARCH_X86'), ERRNO(1));
  assert.is(verdict(multi.bpf, 'getpid', [], 'SCMP_ARCH_X86'), RET.ALLOW);
  assert.is(verdict(multi.bpf, 'mkdir', [], 'SCMP_ARCH_X32'), ERRNO(1));
  assert.is(verdict(multi.bpf, 'mkdir'), ERRNO(1));
  assert.is(verdict(multi.bpf, 'getpid', [], 'SCMP_ARCH_AARCH64'), RET.KILL_THREAD);
  // x86 syscall numbers differ from x86_64's: mkdir is 39 on x86 (getpid on x86_64).
  assert.is(nr('mkdir', 'SCMP_ARCH_X86'), 39);
});

test('-ENOSYS for syscalls newer than the profile knows (runc patchbpf)', () => {
  const spec: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: ['read', 'write', 'openat2' /* 437 */], action: 'SCMP_ACT_ALLOW' }],
  };
  const c = compileSeccomp(spec);
  assert.is(verdict(c.bpf, 'openat2'), RET.ALLOW);
  assert.is(verdict(c.bpf, 'mkdir'), ERRNO(1), 'known but not allowed: default errno');
  assert.is(verdict(c.bpf, 'close_range' /* 436 */), ERRNO(1));
  assert.is(verdict(c.bpf, 'faccessat2' /* 439 */), RET_ENOSYS, 'newer than any listed: ENOSYS');
  assert.is(verdict(c.bpf, 1000), RET_ENOSYS);
  // x86 and x32 have their own maxima.
  assert.is(verdict(c.bpf, 'faccessat2', [], 'SCMP_ARCH_X86'), RET_ENOSYS);
  assert.is(verdict(c.bpf, 'mkdir', [], 'SCMP_ARCH_X86'), ERRNO(1));
  assert.is(verdict(c.bpf, 'faccessat2', [], 'SCMP_ARCH_X32'), RET_ENOSYS);
  assert.is(verdict(c.bpf, 'openat2', [], 'SCMP_ARCH_X32'), RET.ALLOW);
  assert.is(verdict(c.bpf, 'getpid', [], 'SCMP_ARCH_AARCH64'), RET.KILL_THREAD, 'unlisted arch still killed');

  // No stub when the default is permissive, or already ENOSYS, or no architectures are listed.
  const plain = (s: LinuxSeccomp) => compileSeccomp(s).bpf.length;
  const allow = { ...spec, defaultAction: 'SCMP_ACT_ALLOW' as const, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' as const }] };
  assert.is(verdict(compileSeccomp(allow).bpf, 1000), RET.ALLOW);
  assert.is(verdict(compileSeccomp({ ...spec, defaultErrnoRet: 38 }).bpf, 'mkdir'), RET_ENOSYS);
  const noArch = compileSeccomp({ ...spec, architectures: [] });
  assert.is(verdict(noArch.bpf, 1000), ERRNO(1));
  assert.ok(plain(spec) > plain({ ...spec, architectures: [] }));
});

test('flags: profile flags, NEW_LISTENER for NOTIFY, TSYNC_ESRCH with both', () => {
  const base = allowBut([{ names: ['getppid'], action: 'SCMP_ACT_ERRNO' }]);
  assert.is(compileSeccomp({ ...base, flags: ['SECCOMP_FILTER_FLAG_TSYNC'] }).flags, FILTER_FLAG.TSYNC);
  assert.is(compileSeccomp({ ...base, flags: ['SECCOMP_FILTER_FLAG_LOG'] }).flags, FILTER_FLAG.LOG);
  assert.is(compileSeccomp({ ...base, flags: ['SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }).flags, FILTER_FLAG.SPEC_ALLOW);
  assert.is(compileSeccomp({ ...base, flags: [] }).flags, 0);
  const n = compileSeccomp(allowBut([{ names: ['getppid'], action: 'SCMP_ACT_NOTIFY' }]));
  assert.is(n.notify, true);
  assert.is(n.flags, FILTER_FLAG.NEW_LISTENER);
  const t = compileSeccomp(allowBut([{ names: ['getppid'], action: 'SCMP_ACT_NOTIFY' }], { flags: ['SECCOMP_FILTER_FLAG_TSYNC'] }));
  assert.is(t.flags, FILTER_FLAG.TSYNC | FILTER_FLAG.NEW_LISTENER | FILTER_FLAG.TSYNC_ESRCH);
  // NOTIFY on a syscall libseccomp does not know still asks for a listener (as runc).
  assert.is(compileSeccomp(allowBut([{ names: ['nope_nope'], action: 'SCMP_ACT_NOTIFY' }])).notify, true);
});

test('bad profiles fail with one clear line', () => {
  const bad: Array<[LinuxSeccomp, string]> = [
    [{ defaultAction: 'SCMP_ACT_FOO' as never }, 'seccomp: unknown action SCMP_ACT_FOO'],
    [allowBut([{ names: ['mkdir'], action: 'SCMP_ACT_BAR' as never }]), 'seccomp: unknown action SCMP_ACT_BAR'],
    [allowBut([], { architectures: ['SCMP_ARCH_Z80'] }), 'seccomp: unknown architecture SCMP_ARCH_Z80'],
    [allowBut([], { flags: ['SECCOMP_FILTER_FLAG_FOO'] }), 'seccomp: unknown flag SECCOMP_FILTER_FLAG_FOO'],
    [allowBut([{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_XX' as never }] }]), 'seccomp: unknown operator SCMP_CMP_XX'],
    [allowBut([{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }]), 'seccomp: argument index 6 of mkdir is not from 0 to 5'],
    [allowBut([{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }]), 'seccomp: argument value -1 is not a 64-bit unsigned integer'],
    [allowBut([{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 70000 }]), 'seccomp: errnoRet 70000 for SCMP_ACT_ERRNO is not an integer from 0 to 65535'],
    [allowBut([{ names: [''], action: 'SCMP_ACT_ERRNO' }]), 'seccomp: empty string is not a valid syscall name'],
    [{ defaultAction: 'SCMP_ACT_NOTIFY' }, 'seccomp: SCMP_ACT_NOTIFY cannot be used as default action'],
    [allowBut([{ names: ['read', 'write'], action: 'SCMP_ACT_NOTIFY' }]), 'seccomp: SCMP_ACT_NOTIFY cannot be used for the write syscall'],
  ];
  for (const [spec, msg] of bad) {
    assert.throws(() => compileSeccomp(spec), (e: Error) => e.message === msg && !e.message.includes('\n'), msg);
  }
});

test("Docker's default profile compiles and behaves", () => {
  const spec = dockerDefaultProfile();
  assert.equal(spec.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  compileSeccomp(spec); // warm up koffi/libseccomp before timing
  const n = 20;
  const t0 = performance.now();
  let c = compileSeccomp(spec);
  for (let i = 1; i < n; i++) c = compileSeccomp(spec);
  const ms = (performance.now() - t0) / n;
  console.log(`  docker default profile: ${(c.bpf.length / 8)} instructions, compiled in ${ms.toFixed(2)} ms`);
  assert.ok(ms < 200, `compile took ${ms} ms`);
  for (const s of ['read', 'write', 'mkdir', 'execve', 'getpid', 'mmap', 'futex', 'rseq']) assert.is(verdict(c.bpf, s), RET.ALLOW, s);
  for (const s of ['unshare', 'mount', 'setns', 'reboot', 'bpf', 'kexec_load', 'open_by_handle_at']) assert.is(verdict(c.bpf, s), ERRNO(1), s);
  assert.is(verdict(c.bpf, 'clone3'), ERRNO(38), 'clone3 gets ENOSYS so glibc falls back to clone');
  assert.is(verdict(c.bpf, 'clone', [0x01200011 /* fork-like */]), RET.ALLOW);
  assert.is(verdict(c.bpf, 'clone', [0x10000000 /* CLONE_NEWUSER */]), ERRNO(1));
  assert.is(verdict(c.bpf, 'personality', [0xffffffff]), RET.ALLOW);
  assert.is(verdict(c.bpf, 'personality', [8]), RET.ALLOW);
  assert.is(verdict(c.bpf, 'personality', [1]), ERRNO(1));
  assert.is(verdict(c.bpf, 'socket', [1]), RET.ALLOW);
  assert.is(verdict(c.bpf, 'socket', [40 /* AF_VSOCK */]), ERRNO(1));
  assert.is(verdict(c.bpf, 999), RET_ENOSYS, 'a syscall newer than the profile');
  assert.is(verdict(c.bpf, 'mkdir', [], 'SCMP_ARCH_X86'), RET.ALLOW);
  assert.is(verdict(c.bpf, 'unshare', [], 'SCMP_ARCH_X86'), ERRNO(1));
  // With CAP_SYS_ADMIN Docker allows the namespace calls.
  const admin = compileSeccomp(dockerDefaultProfile(['CAP_SYS_ADMIN']));
  assert.is(verdict(admin.bpf, 'unshare'), RET.ALLOW);
  assert.is(verdict(admin.bpf, 'mount'), RET.ALLOW);
});

test('features', () => {
  const f = seccompFeatures();
  assert.is(f.enabled, true);
  assert.equal(f.actions, ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP']);
  assert.equal(f.operators, ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE']);
  for (const a of ['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_S390X']) assert.ok(f.archs!.includes(a), a);
  assert.equal([...f.archs!].sort(), f.archs);
  assert.ok(f.knownFlags!.includes('SECCOMP_FILTER_FLAG_TSYNC'));
  // Kernel 6.x knows all of them.
  assert.equal(f.supportedFlags, f.knownFlags);
  assert.match(libseccompVersion() ?? '', /^2\.\d+\.\d+$/);
});

test.run();
