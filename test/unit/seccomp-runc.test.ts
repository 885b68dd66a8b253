// Cross-check against the reference: run a container with runc and Docker's default profile,
// read the filter runc installed (ptrace PTRACE_SECCOMP_GET_FILTER, root only) and compare it
// with compileSeccomp()'s program: same verdict for every syscall of x86_64/x86/x32 and some
// argument values. (The bytes differ: runc 1.1 does not ask libseccomp for a binary tree, and
// orders the -ENOSYS stub's architectures at random.)
import { test } from 'uvu';
import { unless } from '../helpers/skip';
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { makeBundle } from '../helpers/bundle';
import { compileSeccomp } from '../../src/seccomp/compile';
import { decode, run, seccompData } from '../../src/seccomp/bpf';
import { ARCHES } from '../../src/seccomp/constants';
import { dockerDefaultProfile } from '../../src/seccomp/testdata/docker-profile';

const koffi = require('koffi');
const RUNC = '/usr/sbin/runc';
const canRun = existsSync(RUNC) && process.getuid?.() === 0 && process.arch === 'x64';

function runcFilter(spec: ReturnType<typeof dockerDefaultProfile>): Buffer {
  const b = makeBundle((c) => { c.process.args = ['sleep', '60']; c.linux.seccomp = spec; });
  const id = `runcts-seccomp-${process.pid}`;
  const p = spawn(RUNC, ['run', '-b', b.dir, id], { stdio: 'ignore' });
  try {
    let pid = 0;
    for (let i = 0; i < 100 && !pid; i++) {
      try {
        const st = JSON.parse(execFileSync(RUNC, ['state', id], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
        if (st.status === 'running') pid = st.pid;
      } catch { /* not yet */ }
      if (!pid) execFileSync('sleep', ['0.05']);
    }
    assert.ok(pid > 0, 'runc container started');
    const libc = koffi.load('libc.so.6');
    const ptrace = libc.func('long ptrace(long req, int pid, unsigned long addr, void *data)');
    const waitpid = libc.func('int waitpid(int pid, _Out_ int *status, int options)');
    const PTRACE_SEIZE = 0x4206, PTRACE_INTERRUPT = 0x4207, PTRACE_SECCOMP_GET_FILTER = 0x420c, PTRACE_DETACH = 17, WALL = 0x40000000;
    assert.is(Number(ptrace(PTRACE_SEIZE, pid, 0, null)), 0);
    ptrace(PTRACE_INTERRUPT, pid, 0, null);
    waitpid(pid, [0], WALL);
    const n = Number(ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, null));
    assert.ok(n > 0, `filter length ${n}, errno ${koffi.errno()}`);
    const buf = Buffer.alloc(n * 8);
    assert.is(Number(ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, buf)), n);
    ptrace(PTRACE_DETACH, pid, 0, null);
    return buf;
  } finally {
    try { execFileSync(RUNC, ['delete', '-f', id], { stdio: 'ignore' }); } catch { /* gone */ }
    p.kill('SIGKILL');
    rmSync(b.dir, { recursive: true, force: true });
  }
}

unless(test, canRun ? undefined : 'needs root, x86_64 and /usr/sbin/runc')("runc 1.1's filter and ours give the same verdicts for Docker's default profile", () => {
  const spec = dockerDefaultProfile();
  const theirs = decode(runcFilter(spec));
  const ours = decode(compileSeccomp(spec).bpf);
  let n = 0;
  const diffs: string[] = [];
  for (const arch of ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64']) {
    for (let nr = 0; nr < 520; nr++) {
      for (const x32 of [0, 0x40000000]) {
        for (const arg of [0, 1, 8, 40, 0xffffffff, 0x10000000, 0x01200011, 2 ** 40]) {
          n++;
          const d = seccompData({ nr: nr + x32, arch: ARCHES[arch].audit, args: [arg, arg] });
          const a = run(theirs, d), b = run(ours, d);
          if (a !== b && diffs.length < 5) diffs.push(`${arch} nr ${nr + x32} arg ${arg}: runc 0x${a.toString(16)} ours 0x${b.toString(16)}`);
        }
      }
    }
  }
  assert.equal(diffs, [], `${diffs.length} of ${n} inputs differ`);
});

test.run();
