// src/posix-path.ts, node:path in the bundles: node's own results for what our sources call,
// and each bundle loading the package once rather than once per importing module.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import * as nodePath from 'node:path';
import { join } from 'node:path';
import * as posixPath from '../../src/posix-path';

const PATHS = ['', '.', '..', '/', '//', '/a/b/../c', 'a//b/./c/', '../../x', '/sys/fs/cgroup/memory/', 'a/b/..', '/..', 'ünï/cödé', 'a\\b'];

test('dirname, isAbsolute, normalize: the same as node:path', () => {
  for (const p of PATHS) {
    for (const f of ['dirname', 'isAbsolute', 'normalize'] as const) assert.is(posixPath[f](p), nodePath.posix[f](p), `${f}(${JSON.stringify(p)})`);
  }
});

test('join, relative, resolve: the same as node:path', () => {
  for (const a of PATHS) {
    for (const b of PATHS) {
      assert.is(posixPath.join(a, b), nodePath.posix.join(a, b), `join(${JSON.stringify(a)}, ${JSON.stringify(b)})`);
      assert.is(posixPath.relative(a, b), nodePath.posix.relative(a, b), `relative(${JSON.stringify(a)}, ${JSON.stringify(b)})`);
      assert.is(posixPath.resolve('/base', a, b), nodePath.posix.resolve('/base', a, b), `resolve(/base, ${JSON.stringify(a)}, ${JSON.stringify(b)})`);
    }
  }
  assert.is(posixPath.posix.join('/a', 'b'), '/a/b');
});

test('each bundle loads path-browserify at most once (no per-module copy of its exports)', () => {
  const dist = join(__dirname, '..', '..', 'dist');
  const bundles = readdirSync(dist).filter((f) => f.endsWith('.cjs'));
  assert.ok(bundles.includes('runc-ts.cjs'), 'dist/ holds the bundles (npm test builds first)');
  for (const f of bundles) {
    const loads = readFileSync(join(dist, f), 'utf8').split('require_path_browserify()').length - 1;
    assert.ok(loads <= 1, `dist/${f} loads path-browserify ${loads} times`);
  }
});

test.run();
