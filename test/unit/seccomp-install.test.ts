// installSeccomp() for real: each test compiles a profile here, then a child node process
// (like the container's init) loads only src/seccomp/install.ts, installs the BPF and tries
// syscalls through koffi, or execve()s busybox.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LinuxSeccomp } from '../../src/spec/types';
import { compileSeccomp } from '../../src/seccomp/compile';
import { ARCHES } from '../../src/seccomp/constants';
import { libseccomp } from '../../src/seccomp/libseccomp';
import { dockerDefaultProfile } from '../../src/seccomp/testdata/docker-profile';

const ROOT = resolve(__dirname, '../..');
const INSTALL = join(ROOT, 'src/seccomp/install.ts');
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) ?? '/bin/busybox';
const NOBODY = 65534;

// The child: plain CommonJS run by `node --import tsx -e`, so it can require install.ts.
const CHILD = `
const fs = require('fs');
const req = JSON.parse(process.env.SECCOMP_REQ);
const t0 = performance.now();
const { installSeccomp } = require(req.install);
const loadMs = performance.now() - t0;
const koffi = require('koffi');
const libc = koffi.load('libc.so.6');
const prctl = libc.func('int prctl(int op, unsigned long a, unsigned long b, unsigned long c, unsigned long d)');
const syscall = libc.func('long syscall(long number, ...)');
const execv = libc.func('int execv(const char *path, const char **argv)');
const fcntl = libc.func('int fcntl(int fd, int cmd, ...)');
const out = (o) => fs.writeSync(1, JSON.stringify(o) + '\\n');
const res = { loadMs, libseccomp: fs.readFileSync('/proc/self/maps', 'utf8').includes('libseccomp') };
if (req.nnp) prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0, 0);
if (req.bpf) {
  try {
    res.fd = installSeccomp(Buffer.from(req.bpf, 'base64'), req.flags);
  } catch (e) {
    out({ ...res, error: e.message, errno: e.errno });
    process.exit(3);
  }
}
if (req.exec) {
  // node opens its stdio with O_CLOEXEC; the exec'd program needs them.
  for (const fd of [0, 1, 2]) fcntl(fd, 2 /* F_SETFD */, 'int', 0);
  execv(req.exec[0], [...req.exec, null]);
  out({ ...res, execErrno: koffi.errno() });
  process.exit(4);
}
res.calls = (req.calls || []).map(([nr, ...args]) => {
  const r = Number(syscall(nr, ...args));
  return [r, r < 0 ? koffi.errno() : 0];
});
if (res.fd >= 0) res.fdLink = fs.readlinkSync('/proc/self/fd/' + res.fd);
res.threads = fs.readdirSync('/proc/self/task').map((t) => +/Seccomp:\\s+(\\d)/.exec(fs.readFileSync('/proc/self/task/' + t + '/status', 'utf8'))[1]);
out(res);
`;

interface Req {
  spec?: LinuxSeccomp;
  nnp?: boolean;
  /** [syscall name, ...koffi variadic (type, value) pairs] */
  calls?: Array<[string, ...unknown[]]>;
  exec?: string[];
  uid?: number;
}

interface Res {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  json: any;
}

function nr(name: string): number {
  const lib = libseccomp();
  const n = lib.syscallResolveNameArch(lib.archResolveName(ARCHES.SCMP_ARCH_X86_64.scmp), name);
  assert.ok(n >= 0, name);
  return n;
}

function child(req: Req): Res {
  const compiled = req.spec ? compileSeccomp(req.spec) : undefined;
  const payload = {
    install: INSTALL,
    nnp: req.nnp ?? true,
    bpf: compiled?.bpf.toString('base64'),
    flags: compiled?.flags ?? 0,
    exec: req.exec,
    calls: (req.calls ?? []).map(([name, ...args]) => [nr(name), ...args]),
  };
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', CHILD], {
    cwd: ROOT,
    env: { ...process.env, SECCOMP_REQ: JSON.stringify(payload) },
    encoding: 'utf8',
    timeout: 30_000,
    ...(req.uid !== undefined ? { uid: req.uid, gid: req.uid } : {}),
  });
  let json: any;
  try { json = JSON.parse(r.stdout.trim().split('\n').pop() ?? ''); } catch { json = undefined; }
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, json };
}

const allowBut = (syscalls: LinuxSeccomp['syscalls'], extra: Partial<LinuxSeccomp> = {}): LinuxSeccomp => ({
  defaultAction: 'SCMP_ACT_ALLOW', syscalls, ...extra,
});

const EDQUOT = 122;
const EOPNOTSUPP = 95;
const EPERM = 1;
const ENOSYS = 38;

let tmp = '';
test.before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'runcts-seccomp-'));
  chmodSync(tmp, 0o777);
});
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('install.ts loads without libseccomp; a child without a filter runs freely', () => {
  const r = child({ calls: [['getpid']] });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.json.libseccomp, false, 'libseccomp must not be mapped in the init');
  assert.ok(r.json.calls[0][0] > 0);
  assert.equal(r.json.threads.filter((s: number) => s !== 0), []);
  console.log(`  install.ts load (tsx, incl. koffi): ${r.json.loadMs.toFixed(1)} ms`);
});

test('ERRNO with errnoRet comes back from the syscall; others are allowed', () => {
  const dir = join(tmp, 'errno');
  const r = child({
    spec: allowBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: EDQUOT }]),
    calls: [['mkdir', 'str', dir, 'int', 0o755], ['getpid']],
  });
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.json.calls[0], [-1, EDQUOT]);
  assert.ok(r.json.calls[1][0] > 0);
  assert.not.ok(existsSync(dir));
  assert.is(r.json.threads[0], 2, 'main thread in SECCOMP_MODE_FILTER');
});

test('the filter survives execve: busybox mkdir shows the errno', () => {
  const dir = join(tmp, 'bb-errno');
  const r = child({
    spec: allowBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: EDQUOT }]),
    exec: [BUSYBOX, 'mkdir', dir],
  });
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /Disk quota exceeded/, r.stderr);
  assert.not.ok(existsSync(dir));
  // Control: without the filter the same command works.
  const ok = child({ exec: [BUSYBOX, 'mkdir', dir] });
  assert.is(ok.status, 0, ok.stderr);
  assert.ok(existsSync(dir));
});

test('KILL kills the (single-threaded) program with SIGSYS', () => {
  const dir = join(tmp, 'kill');
  const r = child({ spec: allowBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL' }]), exec: [BUSYBOX, 'mkdir', dir] });
  assert.is(r.signal, 'SIGSYS', `status ${r.status} ${r.stderr}`);
  assert.not.ok(existsSync(dir));
});

test('KILL_PROCESS kills the whole multi-threaded node process with SIGSYS', () => {
  const r = child({ spec: allowBut([{ names: ['getppid'], action: 'SCMP_ACT_KILL_PROCESS' }]), calls: [['getpid'], ['getppid']] });
  assert.is(r.signal, 'SIGSYS', `status ${r.status} ${r.stdout}`);
  assert.is(r.json, undefined);
});

test('argument conditions: personality(0xffffffff) allowed, personality(8) denied; MASKED_EQ on unshare flags', () => {
  const r = child({
    spec: allowBut([
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_NE' }] },
      // CLONE_NEWUSER (0x10000000) set in the flags, whatever else is: (flags & mask) == mask
      { names: ['unshare'], action: 'SCMP_ACT_ERRNO', errnoRet: EOPNOTSUPP, args: [{ index: 0, value: 0x10000000, valueTwo: 0x10000000, op: 'SCMP_CMP_MASKED_EQ' }] },
    ]),
    calls: [['personality', 'uint', 0xffffffff], ['personality', 'uint', 8], ['unshare', 'int', 0x10000000 | 0x00020000], ['unshare', 'int', 0]],
  });
  assert.is(r.status, 0, r.stderr);
  const [query, set, newuser, none] = r.json.calls;
  assert.ok(query[0] >= 0, `personality query ${query}`);
  assert.equal(set, [-1, EPERM]);
  assert.equal(newuser, [-1, EOPNOTSUPP]);
  assert.equal(none, [0, 0]);
});

test('several conditions on one argument: either one matches', () => {
  const r = child({
    spec: allowBut([{ names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: EOPNOTSUPP, args: [
      { index: 0, value: 8, op: 'SCMP_CMP_EQ' }, { index: 0, value: 0x20000, op: 'SCMP_CMP_EQ' },
    ] }]),
    calls: [['personality', 'uint', 8], ['personality', 'uint', 0x20000], ['personality', 'uint', 0xffffffff]],
  });
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.json.calls[0], [-1, EOPNOTSUPP]);
  assert.equal(r.json.calls[1], [-1, EOPNOTSUPP]);
  assert.ok(r.json.calls[2][0] >= 0);
});

test('defaultErrnoRet for unlisted syscalls, -ENOSYS above the highest listed one', () => {
  // Docker's allow-list, minus mkdir, cut below close_range (436) so that close_range is "newer".
  const docker = dockerDefaultProfile();
  const names = docker.syscalls!.flatMap((s) => (s.action === 'SCMP_ACT_ALLOW' && !s.args ? s.names : []))
    .filter((n) => !['mkdir', 'mkdirat'].includes(n))
    .filter((n) => { const k = libseccomp().syscallResolveName(n); return k >= 0 && k < 436; });
  const r = child({
    spec: { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: EOPNOTSUPP, architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }] },
    calls: [['mkdir', 'str', join(tmp, 'dflt'), 'int', 0o755], ['close_range', 'uint', 1000, 'uint', 1001, 'uint', 0], ['getpid']],
  });
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.json.calls[0], [-1, EOPNOTSUPP]);
  assert.equal(r.json.calls[1], [-1, ENOSYS]);
  assert.ok(r.json.calls[2][0] > 0);
});

test("Docker's default profile: normal commands work, unshare is blocked for an unprivileged process", () => {
  const dir = join(tmp, 'docker');
  const script = `mkdir ${dir} && ls / >/dev/null && echo ok; unshare -U true; echo unshare=$?`;
  // Control: without the filter, nobody may create a user namespace on this kernel.
  const control = child({ uid: NOBODY, exec: [BUSYBOX, 'sh', '-c', `unshare -U true; echo unshare=$?`] });
  assert.match(control.stdout, /unshare=0/, `control: ${control.status} ${control.signal} ${control.stdout} ${control.stderr}`);
  const r = child({ uid: NOBODY, spec: dockerDefaultProfile(), exec: [BUSYBOX, 'sh', '-c', script] });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^ok$/m);
  assert.ok(existsSync(dir));
  assert.match(r.stdout, /unshare=1/);
  assert.match(r.stderr, /unshare.*Operation not permitted/);
});

test('without no_new_privs: refused for an unprivileged process, allowed with CAP_SYS_ADMIN (root)', () => {
  const spec = allowBut([{ names: ['getppid'], action: 'SCMP_ACT_ERRNO' }]);
  const nobody = child({ uid: NOBODY, nnp: false, spec, calls: [['getppid']] });
  assert.is(nobody.status, 3, nobody.stderr);
  assert.is(nobody.json.errno, 13);
  assert.match(nobody.json.error, /^seccomp: loading the filter: EACCES/);
  if (process.getuid?.() === 0) {
    const root = child({ nnp: false, spec, calls: [['getppid']] });
    assert.is(root.status, 0, root.stderr);
    assert.equal(root.json.calls[0], [-1, EPERM]);
  }
});

test('TSYNC puts every thread of the node process under the filter; without it only the caller', () => {
  const spec = allowBut([{ names: ['getppid'], action: 'SCMP_ACT_ERRNO' }]);
  const plain = child({ spec });
  assert.is(plain.status, 0, plain.stderr);
  assert.ok(plain.json.threads.length > 1, 'node has helper threads');
  assert.is(plain.json.threads[0], 2);
  assert.ok(plain.json.threads.some((s: number) => s === 0), 'other threads unfiltered');
  const tsync = child({ spec: { ...spec, flags: ['SECCOMP_FILTER_FLAG_TSYNC'] } });
  assert.is(tsync.status, 0, tsync.stderr);
  assert.equal(tsync.json.threads.filter((s: number) => s !== 2), []);
});

test('NOTIFY: installing returns a seccomp listener fd', () => {
  const r = child({ spec: allowBut([{ names: ['acct'], action: 'SCMP_ACT_NOTIFY' }]) });
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.json.fd >= 0);
  assert.is(r.json.fdLink, 'anon_inode:seccomp notify');
  const none = child({ spec: allowBut([{ names: ['acct'], action: 'SCMP_ACT_ERRNO' }]) });
  assert.is(none.json.fd, -1);
});

test.run();
