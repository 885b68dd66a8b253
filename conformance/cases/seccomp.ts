// config-linux.md#seccomp: ERRNO with errnoRet, default EPERM, KILL, argument conditions, and
// defaultAction ERRNO with defaultErrnoRet over an allow-list.
import { eq, match, ok } from '../lib/assert';
import { Case } from '../lib/context';
import { tmpTmpfs } from '../lib/probes';

const SPEC = 'config-linux.md#seccomp';
const MKDIR = ['mkdir', 'mkdirat'];

function seccomp(c: any, s: any): void {
  tmpTmpfs(c);
  c.linux.seccomp = { architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'], ...s };
}

/** Enough syscalls for runc's/any runtime's last steps and busybox sh; mkdir/mkdirat left out. */
const ALLOW = `read write open openat openat2 close stat fstat lstat newfstatat statx poll ppoll lseek mmap mprotect munmap brk
rt_sigaction rt_sigprocmask rt_sigreturn ioctl pread64 pwrite64 readv writev access faccessat faccessat2 pipe pipe2 select
pselect6 sched_yield mremap madvise dup dup2 dup3 nanosleep clock_nanosleep getitimer setitimer alarm getpid sendfile socket
connect accept sendto recvfrom sendmsg recvmsg shutdown bind listen getsockname getpeername socketpair setsockopt getsockopt
clone clone3 fork vfork execve execveat exit exit_group wait4 waitid kill tkill tgkill uname fcntl flock fsync fdatasync
truncate ftruncate getdents getdents64 getcwd chdir fchdir rename renameat renameat2 rmdir creat link linkat unlink unlinkat
symlink symlinkat readlink readlinkat chmod fchmod fchmodat chown fchown lchown fchownat umask gettimeofday getrlimit setrlimit
prlimit64 getrusage sysinfo times getuid getgid setuid setgid geteuid getegid setpgid getppid getpgrp setsid setreuid setregid
getgroups setgroups setresuid getresuid setresgid getresgid getpgid setfsuid setfsgid getsid capget capset rt_sigpending
rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend sigaltstack arch_prctl prctl gettid futex set_tid_address set_robust_list
get_robust_list restart_syscall clock_gettime clock_getres time epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait
eventfd eventfd2 signalfd signalfd4 timerfd_create timerfd_settime timerfd_gettime getrandom rseq membarrier statfs fstatfs
sched_getaffinity sched_setaffinity getpriority setpriority close_range fadvise64 utimensat futimesat utime utimes mount
umount2 pivot_root chroot sethostname setdomainname personality keyctl seccomp unshare setns`.split(/\s+/).filter(Boolean);

export const cases: Case[] = [
  {
    name: 'seccomp/ERRNO with errnoRet',
    spec: SPEC,
    async run(t) {
      const p = await t.inside((c) => seccomp(c, {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: MKDIR, action: 'SCMP_ACT_ERRNO', errnoRet: 18 }],
      }), { mkdir: 'mkdir /tmp/x', touch: 'touch /tmp/y && echo ok' });
      ok(p.mkdir.rc !== 0, 'mkdir must fail');
      match(p.mkdir.out, /Invalid cross-device link/, 'mkdir error (errnoRet 18 = EXDEV)');
      eq(p.touch.out.trim(), 'ok', 'other syscalls are allowed');
    },
  },
  {
    name: 'seccomp/ERRNO without errnoRet is EPERM',
    spec: SPEC,
    async run(t) {
      const out = (await t.inside((c) => seccomp(c, {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: MKDIR, action: 'SCMP_ACT_ERRNO' }],
      }), { mkdir: 'mkdir /tmp/x' })).mkdir;
      ok(out.rc !== 0, 'mkdir must fail');
      match(out.out, /Operation not permitted/, 'mkdir error (EPERM)');
    },
  },
  {
    name: 'seccomp/KILL',
    spec: SPEC,
    async run(t) {
      const p = await t.inside((c) => seccomp(c, {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: MKDIR, action: 'SCMP_ACT_KILL' }],
      }), { mkdir: 'mkdir /tmp/x; echo "status=$?"', after: 'ls -d /tmp/x' });
      match(p.mkdir.out, /status=159/, 'mkdir is killed by SIGSYS (128+31)');
      ok(p.after.rc !== 0, 'the directory was not created');
    },
  },
  {
    name: 'seccomp/argument conditions',
    spec: SPEC,
    async run(t) {
      // kill(pid, sig) with sig == SIGUSR1 (10) fails with EXDEV; other signals pass.
      const p = await t.inside((c) => seccomp(c, {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 18, args: [{ index: 1, value: 10, op: 'SCMP_CMP_EQ' }] }],
      }), { usr1: "trap '' USR1; kill -USR1 $$", usr2: "trap '' USR2; kill -USR2 $$ && echo sent" });
      ok(p.usr1.rc !== 0, 'kill -USR1 must fail');
      match(p.usr1.out, /Invalid cross-device link/, 'kill -USR1 error');
      eq(p.usr2.out.trim(), 'sent', 'kill -USR2 (argument does not match) works');
    },
  },
  {
    name: 'seccomp/defaultAction ERRNO with defaultErrnoRet',
    spec: SPEC,
    async run(t) {
      const p = await t.inside((c) => seccomp(c, {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 71,
        syscalls: [{ names: ALLOW, action: 'SCMP_ACT_ALLOW' }],
      }), { mkdir: 'mkdir /tmp/x', touch: 'touch /tmp/y && echo ok' });
      ok(p.mkdir.rc !== 0, 'mkdir (not allow-listed) must fail');
      match(p.mkdir.out, /Protocol error/, 'mkdir error (defaultErrnoRet 71 = EPROTO)');
      eq(p.touch.out.trim(), 'ok', 'allow-listed syscalls work');
    },
  },
];
