// sys/spawn.ts: posix_spawn gives the child what node:child_process's spawn gave the init.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ffi } from '../../src/libcontainer/sys/ffi';
import { reap, spawnProcess } from '../../src/libcontainer/sys/spawn';

const O_CLOEXEC = 0o2000000;
/** A pipe, close-on-exec both ends (as every fd the engines open). */
function pipe(): { r: number; w: number } {
  const b = Buffer.alloc(8);
  assert.is(ffi().func('int pipe2(void *, int)')(b, O_CLOEXEC), 0);
  return { r: b.readInt32LE(0), w: b.readInt32LE(4) };
}
/** dup3(from, to, O_CLOEXEC), closing `from`. */
function moveTo(from: number, to: number): number {
  assert.is(ffi().func('int dup3(int, int, int)')(from, to, O_CLOEXEC), to);
  closeSync(from);
  return to;
}
function readAll(fd: number): string {
  const b = Buffer.alloc(4096);
  let out = '';
  for (let n; (n = readSync(fd, b, 0, b.length, null)) > 0; ) out += b.subarray(0, n).toString();
  closeSync(fd);
  return out;
}

/** fds of ours a child inherits whatever we do: open without close-on-exec (the test runner's). */
function inheritedAnyway(): number[] {
  const fcntl = ffi().func('int fcntl(int, int, int)');
  return readdirSync('/proc/self/fd').map(Number).filter((fd) => fd > 2 && fcntl(fd, 1 /* F_GETFD */, 0) === 0);
}
/** Two fd numbers nobody uses here (not the engine's own, which must stay open). */
function freeFds(): [number, number] {
  const fcntl = ffi().func('int fcntl(int, int, int)');
  const free = [];
  for (let fd = 200; free.length < 2; fd++) if (fcntl(fd, 1 /* F_GETFD */, 0) < 0) free.push(fd);
  return free as [number, number];
}

test('each fd lands at its number, also when another source has that number; our copies do not leak', async () => {
  const a = pipe(), b = pipe();
  const [x, y] = freeFds();
  const ax = moveTo(a.w, x), by = moveTo(b.w, y);
  // The child's x is our y (pipe b) and its y our x (pipe a): dup2s in order would overwrite
  // our x before it is copied to y.
  const fds: number[] = [0, 1, 2];
  fds[x] = by;
  fds[y] = ax;
  for (let i = 3; i < fds.length; i++) fds[i] ??= -1;
  const before = inheritedAnyway();
  const child = spawnProcess('/bin/bash', { argv: ['bash', '-c', `echo to-x >&${x}; echo to-y >&${y}; ls /proc/self/fd >&${x}`], env: { PATH: '/usr/bin:/bin' }, cwd: '/', fds });
  closeSync(ax);
  closeSync(by);
  assert.is(await child.exited(), 0);
  assert.is(readAll(a.r), 'to-y\n');
  const [first, ...listed] = readAll(b.r).trim().split('\n');
  assert.is(first, 'to-x');
  // 3 is ls's own directory fd.
  const expected = [...new Set([0, 1, 2, 3, x, y, ...before])].sort((p, q) => p - q);
  assert.equal(listed.map(Number).sort((p, q) => p - q), expected);
});

test('argv[0], environment and cwd are as given; every signal is at its default, none blocked', async () => {
  const dir = mkdtempSync(`${tmpdir()}/runc-ts-spawn-`);
  const out = pipe();
  try {
    // Node and Bun ignore SIGPIPE: an ignored signal would stay ignored across execve.
    const script = 'echo "$0 $A $(pwd)"; grep -E "^Sig(Ign|Blk)" /proc/self/status';
    const child = spawnProcess('/bin/sh', { argv: ['zeroth', '-c', script], env: { A: 'env-a', PATH: '/usr/bin:/bin' }, cwd: dir, fds: [0, out.w, 2] });
    closeSync(out.w);
    assert.is(await child.exited(), 0);
    const [line, ...sigs] = readAll(out.r).trim().split('\n');
    assert.is(line, `zeroth env-a ${dir}`);
    assert.equal(sigs.map((l) => l.replace(/\s+/g, ' ')), ['SigBlk: 0000000000000000', 'SigIgn: 0000000000000000']);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('exited(): the exit code, or 128 + the signal; one reap however often asked', async () => {
  const code = spawnProcess('/bin/sh', { argv: ['sh', '-c', 'exit 3'], env: {}, cwd: '/', fds: [0, 1, 2] });
  assert.is(await code.exited(), 3);
  assert.is(await code.exited(), 3);
  const killed = spawnProcess('/bin/sh', { argv: ['sh', '-c', 'kill -9 $$'], env: {}, cwd: '/', fds: [0, 1, 2] });
  assert.is(await killed.exited(), 128 + 9);
});

test('reap: children that exit in any order, one already gone before it is asked; not our child is 255', async () => {
  const sh = (script: string) => spawnProcess('/bin/sh', { argv: ['sh', '-c', script], env: {}, cwd: '/', fds: [0, 1, 2] });
  const early = sh('exit 7');
  const slow = sh('sleep 0.3; exit 4'), fast = sh('sleep 0.1; exit 5');
  // `early` is a zombie by now: no SIGCHLD will come for it after the listener is installed.
  for (let i = 0; i < 200 && !/^\S+ \(sh\) Z/.test(readFileSync(`/proc/${early.pid}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(await Promise.all([slow.exited(), fast.exited(), early.exited()]), [4, 5, 7]);
  assert.is(await reap(1), 255, 'pid 1 is not our child');
  assert.is(process.listenerCount('SIGCHLD'), 0, 'the listeners are removed once reaped');
});

test('reap keeps the event loop alive until the child exits (SIGCHLD listeners alone do not)', () => {
  // In a fresh process with nothing else pending: a `sleep` child whose status must be printed.
  const script = `const { spawnProcess } = require('./src/libcontainer/sys/spawn'); spawnProcess('/bin/sh', { argv: ['sh', '-c', 'sleep 0.3; exit 6'], env: {}, cwd: '/', fds: [0, 1, 2] }).exited().then((s) => console.log('status', s));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8', timeout: 30_000 });
  assert.is(r.stdout.trim(), 'status 6', r.stderr);
});

test('a file that cannot be executed, or a cwd that does not exist, throws with errno', () => {
  assert.throws(() => spawnProcess('/nonexistent/binary', { argv: ['x'], env: {}, cwd: '/', fds: [0, 1, 2] }), (e: any) => e.errno === 2 && /exec \/nonexistent\/binary: No such file or directory/.test(e.message));
  assert.throws(() => spawnProcess('/bin/true', { argv: ['true'], env: {}, cwd: '/nonexistent-dir', fds: [0, 1, 2] }), (e: any) => e.errno === 2);
});

test.run();
