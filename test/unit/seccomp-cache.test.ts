// seccomp/cache.ts: a profile compiled before is read back, only for the very key it was
// compiled for, only from a directory and files that are ours alone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LinuxSeccomp } from '../../src/spec/types';
import { compileSeccomp } from '../../src/seccomp/compile';
import { compileSeccompCached, libseccompIdentity } from '../../src/seccomp/cache';
import { loadFfiAddon } from '../../src/libcontainer/sys/ffi';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { dockerDefaultProfile } from '../../src/seccomp/testdata/docker-profile';

const ROOT = resolve(__dirname, '../..');
const DIST = join(ROOT, 'dist');
const profile = (): LinuxSeccomp => ({ ...dockerDefaultProfile(), architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] });

function withDir(body: (dir: string) => void): () => void {
  return () => {
    const parent = mkdtempSync(join(tmpdir(), 'runc-ts-seccomp-cache-'));
    try {
      body(join(parent, 'cache'));
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  };
}
const entries = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.json'));
/** The one entry, with its filter replaced by `bpf` (still a well-formed program). */
function tamper(dir: string, bpf: Buffer): void {
  const file = join(dir, entries(dir)[0]!);
  const e = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...e, bpf: bpf.toString('base64') }));
}
const RET_ALLOW = Buffer.from([6, 0, 0, 0, 0, 0, 0xff, 0x7f]); // BPF_RET|BPF_K SECCOMP_RET_ALLOW

test(
  'the first compilation is stored (0700 directory), the next one read back, equal',
  withDir((dir) => {
    const first = compileSeccompCached(profile(), dir);
    assert.equal(first.bpf, compileSeccomp(profile()).bpf);
    assert.is(entries(dir).length, 1);
    assert.is(readdirSync(join(dir, '..'))[0], 'cache');
    // Read back, not compiled again: a changed entry is what comes out.
    tamper(dir, RET_ALLOW);
    const again = compileSeccompCached(profile(), dir);
    assert.equal(again.bpf, RET_ALLOW);
    assert.is(again.flags, first.flags);
    assert.is(again.notify, first.notify);
  }),
);

test(
  'another profile is another entry; an entry is only for the key it holds',
  withDir((dir) => {
    compileSeccompCached(profile(), dir);
    const other = { ...profile(), defaultErrnoRet: 38 };
    const compiled = compileSeccompCached(other, dir);
    assert.equal(compiled.bpf, compileSeccomp(other).bpf);
    assert.is(entries(dir).length, 2);
    // An entry whose key differs (as a hash collision would give) is not used, and replaced.
    rmSync(dir, { recursive: true });
    compileSeccompCached(profile(), dir);
    const file = join(dir, entries(dir)[0]!);
    const e = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...e, key: e.key.replace('"defaultAction"', '"defaultAction "'), bpf: RET_ALLOW.toString('base64') }));
    assert.equal(compileSeccompCached(profile(), dir).bpf, compileSeccomp(profile()).bpf);
    assert.not.equal(JSON.parse(readFileSync(file, 'utf8')).bpf, RET_ALLOW.toString('base64'));
  }),
);

test(
  'a malformed entry, or one in a directory or file others may write, is not used',
  withDir((dir) => {
    const compiled = compileSeccomp(profile()).bpf;
    compileSeccompCached(profile(), dir);
    const file = join(dir, entries(dir)[0]!);
    for (const bad of ['{', JSON.stringify({ key: 1 }), null]) {
      if (bad === null) tamper(dir, Buffer.alloc(12)); // not whole instructions
      else writeFileSync(file, bad);
      assert.equal(compileSeccompCached(profile(), dir).bpf, compiled);
    }
    tamper(dir, RET_ALLOW);
    chmodSync(file, 0o666);
    assert.equal(compileSeccompCached(profile(), dir).bpf, compiled, 'a world-writable entry');
    tamper(dir, RET_ALLOW);
    chmodSync(file, 0o600);
    chmodSync(dir, 0o777);
    assert.equal(compileSeccompCached(profile(), dir).bpf, compiled, 'a world-writable directory');
  }),
);

test('without a directory it compiles, and errors are compileSeccomp\'s', () => {
  assert.equal(compileSeccompCached(profile(), null).bpf, compileSeccomp(profile()).bpf);
  assert.throws(() => compileSeccompCached({ defaultAction: 'SCMP_ACT_BOGUS' } as unknown as LinuxSeccomp, null), /unknown action SCMP_ACT_BOGUS/);
  const dir = mkdtempSync(join(tmpdir(), 'runc-ts-seccomp-cache-'));
  try {
    assert.throws(() => compileSeccompCached({ defaultAction: 'SCMP_ACT_BOGUS' } as unknown as LinuxSeccomp, dir), /unknown action SCMP_ACT_BOGUS/);
    assert.equal(entries(dir), [], 'nothing stored for a profile that does not compile');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('libseccomp\'s version and API level read through ffi.node are those koffi reads', () => {
  const addon = loadFfiAddon(DIST);
  if (!addon) throw new Error('dist/ffi.node is not built (npm run build)');
  const native = libseccompIdentity(addon);
  assert.equal(native, libseccompIdentity(null));
  assert.match(native.libseccomp, /^\d+\.\d+\.\d+$/);
  assert.ok(native.api >= 1);
});

// A cached profile is the common case (Docker's default for every container): koffi, whose
// addon links libstdc++, is not loaded for it. Checked in a process of its own.
test(
  'a profile served from the cache loads neither koffi nor libseccomp\'s bindings',
  withDir((dir) => {
    compileSeccompCached(profile(), dir);
    const child = `
      const { compileSeccompCached } = require('./src/seccomp/cache.ts');
      const { dockerDefaultProfile } = require('./src/seccomp/testdata/docker-profile.ts');
      const c = compileSeccompCached({ ...dockerDefaultProfile(), architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }, process.env.CACHE_DIR);
      const maps = require('fs').readFileSync('/proc/self/maps', 'utf8');
      console.log(JSON.stringify({ insns: c.bpf.length / 8, koffi: maps.includes('koffi'), libseccomp: maps.includes('libseccomp') }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', child], { cwd: ROOT, env: { ...process.env, CACHE_DIR: dir, _RUNCTS_DIST_DIR: DIST }, encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.is(out.insns, compileSeccomp(profile()).bpf.length / 8);
    assert.is(out.koffi, false, 'koffi was loaded for a cache hit');
    assert.is(out.libseccomp, true, 'libseccomp itself gives the key its version');
  }),
);

test.run();
