// native/ffi.c (dist/ffi.node) and its koffi fallback (src/libcontainer/sys/ffi.ts): the same
// contract for what libc.ts declares; and libc.ts's result-or-errno calls of start and delete.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Ffi, koffiBackedFfi, loadFfiAddon, parsePrototype } from '../../src/libcontainer/sys/ffi';
import { flockOrErrno, mkfifo, pidfdOpen, pollIn2 } from '../../src/libcontainer/sys/libc';

const DIST = join(__dirname, '..', '..', 'dist');
const O_WRONLY = 1, O_CREAT = 0o100, O_CLOEXEC = 0o2000000;

test('parsePrototype: the name, and how the result is read', () => {
  assert.equal(parsePrototype('int mount(const char *, const char *, const char *, unsigned long, const char *)'), { name: 'mount', result: 'int' });
  assert.equal(parsePrototype('const char *strerror(int)'), { name: 'strerror', result: 'string' });
  assert.equal(parsePrototype('uint32_t umask(uint32_t)'), { name: 'umask', result: 'uint' });
  assert.equal(parsePrototype('long syscall(long, ...)'), { name: 'syscall', result: 'long' });
  assert.equal(parsePrototype('void *memset(void *, int, size_t)'), { name: 'memset', result: 'long' });
  assert.throws(() => parsePrototype('double sqrt(double)'), /result type "double" of sqrt/);
  assert.throws(() => parsePrototype('mount'), /not a C prototype/);
  assert.equal(parsePrototype('  unsigned   long\tgetauxval (unsigned long) '), { name: 'getauxval', result: 'long' });
  assert.equal(parsePrototype('const char*getenv(const char *)'), { name: 'getenv', result: 'string' });
  assert.throws(() => parsePrototype('int 9lives(void)'), /not a C prototype/);
  assert.throws(() => parsePrototype('int close(int'), /not a C prototype/);
  assert.throws(() => parsePrototype('constructor close(int)'), /result type "constructor" of close/);
});

test('dist/ffi.node is built and loads', () => {
  assert.ok(loadFfiAddon(DIST), 'dist/ffi.node did not load (npm run build)');
});

for (const [name, make] of [['ffi.node', () => loadFfiAddon(DIST)!], ['koffi', koffiBackedFfi]] as const) {
  const withTemp = (body: (dir: string, f: Ffi) => void | Promise<void>) => async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runc-ts-ffi-'));
    try {
      await body(dir, make());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test(`${name}: an int result is sign-extended, and errno is kept for after the call`, () => {
    const f = make();
    assert.is(f.func('int close(int)')(-1), -1);
    assert.is(f.errno(), 9 /* EBADF */);
    assert.is(f.func('const char *strerror(int)')(2), 'No such file or directory');
  });

  test(
    `${name}: strings and Buffers (also a view at an offset) are passed as pointers; bigints keep 64 bits`,
    withTemp((dir, f) => {
      const file = join(dir, 'out');
      const fd = f.func('int open(const char *, int, unsigned int)')(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600);
      assert.ok(fd >= 0, `open: errno ${f.errno()}`);
      try {
        const view = Buffer.from('xxhelloyy').subarray(2, 7);
        assert.is(Number(f.func('long write(int, const void *, size_t)')(fd, view, view.length)), 5);
        assert.is(Number(f.func('long lseek(int, long, int)')(fd, 1n, 0 /* SEEK_SET */)), 1);
        assert.is(Number(f.func('int poll(void *, unsigned long, int)')(null, 0, 0)), 0, 'null is NULL');
      } finally {
        closeSync(fd);
      }
      assert.is(readFileSync(file, 'utf8'), 'hello');
    }),
  );

  test(
    `${name}: address() points at a Buffer's bytes (a struct iovec for writev)`,
    withTemp((dir, f) => {
      const file = join(dir, 'out');
      const fd = openSync(file, 'w');
      try {
        const parts = [Buffer.from('ab'), Buffer.from('--cd').subarray(2)];
        const iov = Buffer.alloc(16 * parts.length);
        parts.forEach((p, i) => {
          iov.writeBigUInt64LE(f.address(p), 16 * i);
          iov.writeBigUInt64LE(BigInt(p.length), 16 * i + 8);
        });
        assert.is(Number(f.func('long writev(int, const void *, int)')(fd, iov, parts.length)), 4);
      } finally {
        closeSync(fd);
      }
      assert.is(readFileSync(file, 'utf8'), 'abcd');
    }),
  );

  test(
    `${name}: arrays of strings are NULL-terminated char *[]`,
    withTemp(async (dir, f) => {
      const pidBuf = Buffer.alloc(4);
      const statusBuf = Buffer.alloc(4);
      const waitpid = f.func('int waitpid(int, void *, int)');
      const wait = (pid: number): [number, number] => [waitpid(pid, statusBuf, 0), statusBuf.readInt32LE(0)];
      const spawnFn = f.func('int posix_spawn(void *, const char *, const void *, const void *, const char **, const char **)');
      const r = spawnFn(pidBuf, '/bin/sh', null, null, ['sh', '-c', 'echo "$0 $A" > "$1"; exit 3', 'zero', join(dir, 'out')], ['A=env']);
      assert.is(r, 0, `posix_spawn: ${r}`);
      const pid = pidBuf.readInt32LE(0);
      const [result, status] = wait(pid);
      assert.is(result, pid);
      assert.is((status >> 8) & 0xff, 3, 'exit status');
      assert.is(readFileSync(join(dir, 'out'), 'utf8'), 'zero env\n');
      // Shorter arrays after longer ones: without a NULL after the last element, execve read
      // on into what the previous call left (koffi: EFAULT from the second call on).
      for (const [argv, env] of [[['sh', '-c', 'exit 4', 'zero'], ['A=1', 'B=2']], [['true'], []], [['sh', '-c', 'exit 5'], ['C=3']]]) {
        assert.is(spawnFn(pidBuf, argv[0] === 'true' ? '/bin/true' : '/bin/sh', null, null, argv, env), 0, `posix_spawn of ${argv.join(' ')}`);
        const [res, st] = wait(pidBuf.readInt32LE(0));
        assert.is(res, pidBuf.readInt32LE(0));
        assert.is((st >> 8) & 0xff, argv[0] === 'true' ? 0 : Number(argv[2]!.split(' ')[1]));
      }
    }),
  );
}

test('ffi.node: writeFileDetached writes an existing file on a thread of its own, and never creates one', async () => {
  const f = loadFfiAddon(DIST)!;
  const dir = mkdtempSync(join(tmpdir(), 'runc-ts-ffi-'));
  try {
    const file = join(dir, 'procs');
    closeSync(openSync(file, 'w'));
    assert.is(f.writeFileDetached!(file, '1234'), 0);
    assert.is(f.writeFileDetached!(join(dir, 'missing'), '1234'), 0, 'the thread starts; its result is nobody\'s');
    // The thread writes when it runs: wait for it (bounded).
    for (let i = 0; i < 200 && readFileSync(file, 'utf8') !== '1234'; i++) await new Promise((r) => setTimeout(r, 5));
    assert.is(readFileSync(file, 'utf8'), '1234');
    await new Promise((r) => setTimeout(r, 50));
    assert.not.ok(existsSync(join(dir, 'missing')), 'O_CREAT is not used');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// libc.ts's calls of `start` and `delete`, result or -errno (the process's own FFI).
const LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8, POLLIN = 1;

test('flockOrErrno excludes a second open file description, and fails with -errno', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runc-ts-ffi-'));
  const a = openSync(dir, 'r'), b = openSync(dir, 'r');
  try {
    assert.is(flockOrErrno(a, LOCK_EX), 0);
    assert.is(flockOrErrno(b, LOCK_EX | LOCK_NB), -11 /* EWOULDBLOCK */);
    assert.is(flockOrErrno(a, LOCK_UN), 0);
    assert.is(flockOrErrno(b, LOCK_EX | LOCK_NB), 0);
    assert.is(flockOrErrno(-1, LOCK_EX), -9 /* EBADF */);
  } finally {
    closeSync(a);
    closeSync(b);
    rmSync(dir, { recursive: true });
  }
});

test('pollIn2 reports which fd is readable, and times out with 0', () => {
  // Two fifos, each open read-write (Linux allows it, without blocking): read and write ends.
  const dir = mkdtempSync(join(tmpdir(), 'runc-ts-ffi-'));
  const fifo = (n: string) => {
    assert.is(mkfifo(join(dir, n), 0o600), 0);
    return openSync(join(dir, n), 'r+');
  };
  const r1 = fifo('1'), r2 = fifo('2');
  try {
    assert.is(pollIn2(r1, r2, 10), 0);
    writeSync(r2, 'x');
    assert.is(pollIn2(r1, r2, 1000), POLLIN << 16);
    writeSync(r1, 'x');
    assert.is(pollIn2(r1, r2, 1000), POLLIN | (POLLIN << 16));
  } finally {
    closeSync(r1);
    closeSync(r2);
    rmSync(dir, { recursive: true });
  }
});

test('a pidfd becomes readable when its process exits; a missing pid is -ESRCH', async () => {
  const child = spawn('sleep', ['0.2']);
  const exited = new Promise((r) => child.once('exit', r));
  const pidfd = pidfdOpen(child.pid!);
  assert.ok(pidfd >= 0, `pidfd_open: ${pidfd}`);
  try {
    assert.is(pollIn2(pidfd, pidfd, 0), 0, 'readable while the process runs');
    assert.is(pollIn2(pidfd, pidfd, 5000) & POLLIN, POLLIN);
  } finally {
    closeSync(pidfd);
  }
  await exited;
  assert.is(pidfdOpen(0x3fffffff), -3 /* ESRCH */);
});

test.run();
