// native/lite.c (the libc-only addon of `start` and `delete`) and its koffi fallback
// (src/libcontainer/sys/lite.ts): the same contract, result or -errno.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLiteAddon, liteViaKoffi } from '../../src/libcontainer/sys/lite';
import { mkfifo } from '../../src/libcontainer/sys/libc';

const DIST = join(__dirname, '..', '..', 'dist');
const LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8, POLLIN = 1;

test('dist/lite.node is built and loads', () => {
  assert.ok(loadLiteAddon(DIST), 'dist/lite.node did not load (npm run build)');
});

for (const [name, impl] of [['addon', () => loadLiteAddon(DIST)!], ['koffi', () => liteViaKoffi]] as const) {
  test(`${name}: flock excludes a second open file description, and fails with -errno`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'runc-ts-lite-'));
    const a = openSync(dir, 'r'), b = openSync(dir, 'r');
    try {
      assert.is(impl().flock(a, LOCK_EX), 0);
      assert.is(impl().flock(b, LOCK_EX | LOCK_NB), -11 /* EWOULDBLOCK */);
      assert.is(impl().flock(a, LOCK_UN), 0);
      assert.is(impl().flock(b, LOCK_EX | LOCK_NB), 0);
      assert.is(impl().flock(-1, LOCK_EX), -9 /* EBADF */);
    } finally {
      closeSync(a);
      closeSync(b);
      rmSync(dir, { recursive: true });
    }
  });

  test(`${name}: pollIn2 reports which fd is readable, and times out with 0`, () => {
    // Two fifos, each open read-write (Linux allows it, without blocking): read and write ends.
    const dir = mkdtempSync(join(tmpdir(), 'runc-ts-lite-'));
    const fifo = (n: string) => {
      assert.is(mkfifo(join(dir, n), 0o600), 0);
      return openSync(join(dir, n), 'r+');
    };
    const r1 = fifo('1'), w1 = r1, r2 = fifo('2'), w2 = r2;
    try {
      assert.is(impl().pollIn2(r1, r2, 10), 0);
      writeSync(w2, 'x');
      assert.is(impl().pollIn2(r1, r2, 1000), POLLIN << 16);
      writeSync(w1, 'x');
      assert.is(impl().pollIn2(r1, r2, 1000), POLLIN | (POLLIN << 16));
    } finally {
      closeSync(r1);
      closeSync(r2);
      rmSync(dir, { recursive: true });
    }
  });

  test(`${name}: a pidfd becomes readable when its process exits; a missing pid is -ESRCH`, async () => {
    const child = spawn('sleep', ['0.2']);
    const exited = new Promise((r) => child.once('exit', r));
    const pidfd = impl().pidfdOpen(child.pid!);
    assert.ok(pidfd >= 0, `pidfd_open: ${pidfd}`);
    try {
      assert.is(impl().pollIn2(pidfd, pidfd, 0), 0, 'readable while the process runs');
      assert.is(impl().pollIn2(pidfd, pidfd, 5000) & POLLIN, POLLIN);
    } finally {
      closeSync(pidfd);
    }
    await exited;
    assert.is(impl().pidfdOpen(0x3fffffff), -3 /* ESRCH */);
  });
}

test.run();
