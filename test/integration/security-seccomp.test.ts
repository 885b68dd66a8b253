// Seccomp as a security boundary, against runc-ts and runc: what the profile denies is denied
// inside the container (errno, kill, argument conditions, default action), for the init and for
// exec'd processes alike; Docker's default profile stops unshare and mount but not normal work.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { makeRuntime, runtimeNames, type Runtime } from '../helpers/runtimes';
import { runDetached } from '../helpers/security-util';
import { dockerDefaultProfile, DOCKER_DEFAULT_CAPS } from '../../src/seccomp/testdata/docker-profile';

const ARCHES = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];

function allowAll(syscalls: any[], extra: any = {}) {
  return { defaultAction: 'SCMP_ACT_ALLOW', architectures: ARCHES, syscalls, ...extra };
}

for (const name of runtimeNames()) {
  const t = suite(`security: seccomp [${name}]`);
  let rt: Runtime;
  let b: Bundle;
  let n = 0;
  const id = () => `sec-seccomp-${process.pid}-${++n}`;

  t.before(() => {
    rt = makeRuntime(name);
  });
  t.after(() => rt.cleanup());
  t.before.each(() => {
    b = makeBundle();
  });
  t.after.each(() => b.remove());

  t('SCMP_ACT_ERRNO with errnoRet: mkdir fails inside with exactly that errno', () => {
    // ENETDOWN (100) is nothing mkdir could fail with by itself.
    b.config.linux.seccomp = allowAll([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 100 }]);
    b.config.root.readonly = false;
    b.config.process.args = ['sh', '-c', 'mkdir /tmp/x; echo "rc=$?"; touch /tmp/y && echo touched'];
    b.write();
    const r = rt.run(['run', '--bundle', b.dir, id()]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, /Network is down/);
    assert.match(r.stdout, /rc=1\ntouched\n/);
  });

  t('SCMP_ACT_ERRNO without errnoRet means EPERM', () => {
    b.config.linux.seccomp = allowAll([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }]);
    b.config.process.args = ['sh', '-c', 'mkdir /tmp/x'];
    b.write();
    const r = rt.run(['run', '--bundle', b.dir, id()]);
    assert.is(r.status, 1);
    assert.match(r.stderr, /Operation not permitted/);
  });

  t('SCMP_ACT_KILL kills the process with SIGSYS: run exits 159', () => {
    b.config.linux.seccomp = allowAll([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL' }]);
    b.config.process.args = ['mkdir', '/tmp/x'];
    b.write();
    const r = rt.run(['run', '--bundle', b.dir, id()]);
    assert.is(r.status, 128 + 31, `${r.status} ${r.stderr}`);
    // A shell that runs the killed command survives and sees the signal.
    b.config.process.args = ['sh', '-c', 'mkdir /tmp/x; echo "rc=$?"'];
    b.write();
    const r2 = rt.run(['run', '--bundle', b.dir, id()]);
    assert.is(r2.status, 0, r2.stderr);
    assert.is(r2.stdout, 'rc=159\n');
  });

  t('argument conditions: personality(PER_LINUX32) denied, personality(PER_LINUX) allowed', () => {
    b.config.linux.seccomp = allowAll([
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
    ]);
    b.config.process.args = ['sh', '-c', 'linux64 uname -m; echo "64=$?"; linux32 uname -m; echo "32=$?"'];
    b.write();
    const r = rt.run(['run', '--bundle', b.dir, id()]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /x86_64\n64=0\n32=1\n/);
    assert.match(r.stderr, /Permission denied/);
  });

  t('argument conditions: SCMP_CMP_MASKED_EQ on the open flags (O_CREAT) of open/openat', () => {
    // Deny any open with O_CREAT (0100): reading works, creating does not.
    const cond = (index: number) => ({ index, value: 0o100, valueTwo: 0o100, op: 'SCMP_CMP_MASKED_EQ' });
    b.config.root.readonly = false;
    b.config.linux.seccomp = allowAll([
      { names: ['open'], action: 'SCMP_ACT_ERRNO', errnoRet: 122, args: [cond(1)] },
      { names: ['openat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122, args: [cond(2)] },
      { names: ['creat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 },
    ]);
    b.config.process.args = ['sh', '-c', 'cat /etc/hostname; echo x > /tmp/new; echo "rc=$?"; ls /tmp'];
    b.write();
    const r = rt.run(['run', '--bundle', b.dir, id()]);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, 'busybox\nrc=1\n');
    assert.match(r.stderr, /Disk quota exceeded/); // EDQUOT = 122
  });

  t('defaultAction SCMP_ACT_ERRNO with defaultErrnoRet: unlisted syscalls fail with it', () => {
    // Allow what a static busybox needs to run `sh -c` and echo; everything else → ENETDOWN.
    const allowed = [
      'execve', 'brk', 'arch_prctl', 'set_tid_address', 'set_robust_list', 'rseq', 'prlimit64', 'uname', 'readlink',
      'getuid', 'geteuid', 'getgid', 'getegid', 'getpid', 'getppid', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn',
      'write', 'writev', 'read', 'exit', 'exit_group', 'fstat', 'newfstatat', 'fcntl', 'ioctl', 'close', 'mmap', 'munmap',
      'mprotect', 'getcwd', 'futex', 'clone', 'clone3', 'fork', 'vfork', 'wait4', 'statx', 'stat', 'lstat', 'dup2', 'dup3',
      'access', 'faccessat', 'faccessat2', 'sched_getaffinity', 'getrandom', 'prctl',
      // runc's own init (Go) still runs after the filter is loaded: opening exec.fifo, signals.
      'open', 'openat', 'getdents64', 'lseek', 'sigaltstack', 'gettid', 'tgkill', 'nanosleep', 'madvise', 'sched_yield',
      'epoll_create1', 'epoll_ctl', 'epoll_pwait', 'epoll_wait', 'pipe2', 'close_range', 'mincore', 'fstatfs', 'statfs',
      'getdents', 'setns', 'fchdir', 'chdir', 'capget', 'capset', 'kill', 'getpgid', 'setpgid', 'setsid', 'umask',
    ];
    b.config.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 100,
      architectures: ARCHES,
      syscalls: [{ names: allowed, action: 'SCMP_ACT_ALLOW' }],
    };
    b.config.process.args = ['sh', '-c', 'echo start; mkdir /tmp/x; cat /etc/hostname; hostname evil; echo "rc=$?"'];
    b.write();
    const r = rt.run(['run', '--bundle', b.dir, id()]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /^start\n/);
    assert.match(r.stderr, /mkdir: can't create directory '\/tmp\/x': Network is down/);
    assert.match(r.stdout, /busybox\nrc=1\n$/);
    assert.match(r.stderr, /hostname: sethostname: Network is down/);
  });

  t("Docker's default profile: unshare, mount and keyctl are refused, normal commands work", () => {
    const caps = DOCKER_DEFAULT_CAPS;
    b.config.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
    b.config.process.noNewPrivileges = false;
    b.config.linux.seccomp = dockerDefaultProfile();
    b.config.process.args = [
      'sh',
      '-c',
      [
        'echo hi; ls / > /dev/null && echo ls-ok; id -u; cat /etc/hostname',
        'unshare -m true; echo "unshare=$?"',
        'unshare -U true; echo "unshare-user=$?"',
        'mount -t tmpfs none /mnt; echo "mount=$?"',
        'grep -E "^Seccomp:" /proc/self/status',
      ].join('; '),
    ];
    b.write();
    const r = rt.run(['run', '--bundle', b.dir, id()]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /^hi\nls-ok\n0\nbusybox\n/);
    assert.match(r.stdout, /unshare=1\n/);
    assert.match(r.stdout, /unshare-user=1\n/);
    assert.match(r.stdout, /mount=255\n|mount=1\n/);
    assert.match(r.stdout, /Seccomp:\s+2\n/);
    assert.match(r.stderr, /unshare: unshare\(0x20000\): Operation not permitted/);
    assert.match(r.stderr, /mount: permission denied|Operation not permitted/);
  });

  t("seccomp applies to exec'd processes too, with and without --no-new-privs", () => {
    b.config.linux.seccomp = allowAll([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 100 }]);
    b.config.process.args = ['sleep', '60'];
    b.write();
    const cid = id();
    runDetached(rt, b.dir, cid);
    try {
      let r = rt.run(['exec', cid, 'sh', '-c', 'mkdir /tmp/x; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status']);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stderr, /Network is down/);
      assert.match(r.stdout, /NoNewPrivs:\s+1\nSeccomp:\s+2\n/);
      // A process.json without noNewPrivileges (containerd's default) still gets the filter.
      r = rt.run(['exec', '--user', '1000:1000', cid, 'sh', '-c', 'mkdir /tmp/x; id -u']);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stderr, /Network is down/);
      assert.is(r.stdout, '1000\n');
    } finally {
      rt.run(['delete', '--force', cid]);
    }
  });

  t('seccomp without noNewPrivileges: the filter still holds for a non-root user', () => {
    b.config.process.noNewPrivileges = false;
    b.config.process.user = { uid: 1000, gid: 1000 };
    b.config.linux.seccomp = allowAll([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 100 }]);
    b.config.process.args = ['sh', '-c', 'mkdir /tmp/x; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'];
    b.write();
    const r = rt.run(['run', '--bundle', b.dir, id()]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, /Network is down/);
    assert.match(r.stdout, /NoNewPrivs:\s+0\nSeccomp:\s+2\n/);
  });

  t.run();
}
