// src/fast-fs.ts (node:fs's synchronous calls through libc, for the Bun bundles) against
// node:fs itself: the same results, and the same errors (code, errno, syscall, path, message).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bind, makeFastFs } from '../../src/fast-fs';
import { loadFfiAddon } from '../../src/libcontainer/sys/ffi';

const fast = makeFastFs(bind(loadFfiAddon(join(__dirname, '..', '..', 'dist'))!)) as typeof fs;

/** What a call returned or threw, comparable between the two. */
function outcome(f: () => unknown): unknown {
  try {
    const r = f();
    if (r && typeof r === 'object' && 'isDirectory' in r && 'mode' in r) {
      const s = r as fs.Stats;
      return { dev: s.dev, ino: s.ino, mode: s.mode, uid: s.uid, gid: s.gid, size: s.size, rdev: s.rdev, nlink: s.nlink, mtimeMs: Math.floor(s.mtimeMs), dir: s.isDirectory(), file: s.isFile(), link: s.isSymbolicLink(), fifo: s.isFIFO() };
    }
    if (Array.isArray(r) && r.length && typeof r[0] === 'object') return r.map((d: fs.Dirent) => ({ name: d.name, dir: d.isDirectory(), file: d.isFile(), link: d.isSymbolicLink() }));
    return r;
  } catch (e: any) {
    return { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, dest: e.dest };
  }
}

function sameAsNode(name: string, call: (f: typeof fs) => unknown, setup?: () => void): void {
  setup?.();
  const expected = outcome(() => call(fs));
  setup?.();
  assert.equal(outcome(() => call(fast)), expected, name);
}

test('reads, stats, lists, links and errors as node:fs does', () => {
  const dir = fs.mkdtempSync(join(tmpdir(), 'runc-ts-fast-fs-'));
  try {
    const file = join(dir, 'f');
    fs.writeFileSync(file, 'héllo\n');
    fs.mkdirSync(join(dir, 'sub'));
    fs.symlinkSync('f', join(dir, 'link'));
    const cases: [string, (f: typeof fs) => unknown][] = [
      ['readFileSync utf8', (f) => f.readFileSync(file, 'utf8')],
      ['readFileSync Buffer', (f) => f.readFileSync(file)],
      ['readFileSync {encoding}', (f) => f.readFileSync(file, { encoding: 'latin1' })],
      ['readFileSync /proc (size 0)', (f) => f.readFileSync('/proc/self/status', 'utf8').split('\n')[0]],
      ['readFileSync missing', (f) => f.readFileSync(join(dir, 'nope'), 'utf8')],
      ['readFileSync a directory', (f) => f.readFileSync(dir, 'utf8')],
      ['existsSync', (f) => [f.existsSync(file), f.existsSync(join(dir, 'nope')), f.existsSync(''), f.existsSync(join(dir, 'link'))]],
      ['statSync', (f) => f.statSync(file)],
      ['statSync dir', (f) => f.statSync(dir)],
      ['statSync follows links', (f) => f.statSync(join(dir, 'link'))],
      ['lstatSync link', (f) => f.lstatSync(join(dir, 'link'))],
      ['statSync missing', (f) => f.statSync(join(dir, 'nope', 'x'))],
      ['lstatSync throwIfNoEntry', (f) => f.lstatSync(join(dir, 'nope'), { throwIfNoEntry: false })],
      ['statSync /dev/null', (f) => f.statSync('/dev/null')],
      ['readdirSync', (f) => f.readdirSync(dir)],
      ['readdirSync withFileTypes', (f) => f.readdirSync(dir, { withFileTypes: true })],
      ['readdirSync missing', (f) => f.readdirSync(join(dir, 'nope'))],
      ['readdirSync a file', (f) => f.readdirSync(file)],
      ['readlinkSync', (f) => f.readlinkSync(join(dir, 'link'))],
      ['readlinkSync not a link', (f) => f.readlinkSync(file)],
      ['realpathSync', (f) => f.realpathSync(join(dir, 'sub', '..', 'link'))],
      ['rmdirSync not empty', (f) => f.rmdirSync(dir)],
      ['unlinkSync missing', (f) => f.unlinkSync(join(dir, 'nope'))],
      ['renameSync missing', (f) => f.renameSync(join(dir, 'nope'), join(dir, 'x'))],
      ['mkdirSync exists', (f) => f.mkdirSync(join(dir, 'sub'))],
      ['mkdirSync recursive, exists', (f) => f.mkdirSync(join(dir, 'sub'), { recursive: true })],
      ['mkdirSync recursive over a file', (f) => f.mkdirSync(join(dir, 'f', 'x'), { recursive: true })],
      ['symlinkSync exists', (f) => f.symlinkSync('f', join(dir, 'link'))],
      ['openSync missing', (f) => f.openSync(join(dir, 'nope'), 'r')],
      ['chmodSync missing', (f) => f.chmodSync(join(dir, 'nope'), 0o600)],
    ];
    for (const [name, call] of cases) sameAsNode(name, call);

    // Calls that change things: each made from the same starting point.
    const fresh = join(dir, 'fresh');
    const reset = () => fs.rmSync(fresh, { recursive: true, force: true });
    sameAsNode('mkdirSync recursive returns the first made', (f) => [f.mkdirSync(join(fresh, 'a', 'b'), { recursive: true, mode: 0o755 }), f.statSync(join(fresh, 'a', 'b')).isDirectory()], reset);
    sameAsNode('writeFileSync then read', (f) => (f.mkdirSync(fresh), f.writeFileSync(join(fresh, 'w'), 'one'), f.writeFileSync(join(fresh, 'w'), Buffer.from('two')), f.readFileSync(join(fresh, 'w'), 'utf8')), reset);
    sameAsNode('writeFileSync flag wx on an existing file', (f) => (f.mkdirSync(fresh), f.writeFileSync(join(fresh, 'w'), 'a'), f.writeFileSync(join(fresh, 'w'), 'b', { flag: 'wx' })), reset);
    sameAsNode('writeFileSync mode', (f) => (f.mkdirSync(fresh), f.writeFileSync(join(fresh, 'm'), 'x', { mode: 0o600 }), f.statSync(join(fresh, 'm')).mode & 0o777), reset);
    sameAsNode('openSync/writeSync/readSync/closeSync', (f) => {
      f.mkdirSync(fresh);
      const w = f.openSync(join(fresh, 'o'), 'w', 0o644);
      const n = [f.writeSync(w, 'abc'), f.writeSync(w, Buffer.from('--def'), 2), f.writeSync(w, Buffer.from('ghij'), 1, 2)];
      f.closeSync(w);
      const r = f.openSync(join(fresh, 'o'), 'r');
      const b = Buffer.alloc(16);
      n.push(f.readSync(r, b, 1, 4, null), f.readSync(r, b, 8, 8, null));
      f.closeSync(r);
      return [n, b.toString('latin1')];
    }, reset);
    sameAsNode('renameSync, unlinkSync, rmdirSync, chmodSync', (f) => {
      f.mkdirSync(fresh);
      f.writeFileSync(join(fresh, 'a'), 'x');
      f.renameSync(join(fresh, 'a'), join(fresh, 'b'));
      f.chmodSync(join(fresh, 'b'), 0o640);
      const mode = f.statSync(join(fresh, 'b')).mode & 0o777;
      f.unlinkSync(join(fresh, 'b'));
      f.rmdirSync(fresh);
      return [mode, f.existsSync(fresh)];
    }, reset);
    sameAsNode('appendFileSync creates, then appends', (f) => (f.mkdirSync(fresh), f.appendFileSync(join(fresh, 'log'), 'one\n'), f.appendFileSync(join(fresh, 'log'), 'two\n'), f.readFileSync(join(fresh, 'log'), 'utf8')), reset);
    // rm -rf: a tree with a link to a directory outside it, which must survive; a missing path.
    const outside = join(dir, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(join(outside, 'keep'), 'x');
    const tree = () => {
      reset();
      fs.mkdirSync(join(fresh, 'a', 'b'), { recursive: true });
      fs.writeFileSync(join(fresh, 'a', 'b', 'f'), 'x');
      fs.symlinkSync(outside, join(fresh, 'a', 'out'));
    };
    sameAsNode('rmSync recursive force', (f) => [f.rmSync(fresh, { recursive: true, force: true }), f.existsSync(fresh), f.readdirSync(outside)], tree);
    sameAsNode('rmSync recursive force of a missing path', (f) => f.rmSync(join(dir, 'nope', 'x'), { recursive: true, force: true }));
    sameAsNode('rmSync of a file, with a trailing slash', (f) => (f.mkdirSync(fresh), f.writeFileSync(join(fresh, 'x'), ''), f.rmSync(join(fresh, 'x') + '/', { recursive: true, force: true })), reset);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('files are opened close-on-exec, as libuv opens them', () => {
  const fd = fast.openSync('/proc/self/status', 'r');
  try {
    const flags = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/flags:\s+(\d+)/)![1]!;
    assert.ok(parseInt(flags, 8) & 0o2000000, `flags ${flags}`);
  } finally {
    fast.closeSync(fd);
  }
});

test.run();
