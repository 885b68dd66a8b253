// exec --cgroup (src/cgroups/sub-paths.ts): runc's argument forms, and sub paths resolved below
// the container's cgroups only, existing ones only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseSubCgroupArgs, resolveSubCgroupPaths } from '../../src/cgroups/sub-paths';

test('parseSubCgroupArgs: one path for all, or controller(s):path', () => {
  assert.equal(parseSubCgroupArgs(['sub']), { '': 'sub' });
  assert.equal(parseSubCgroupArgs(['cpu,cpuacct:a', 'memory:b']), { cpu: 'a', cpuacct: 'a', memory: 'b' });
  assert.throws(() => parseSubCgroupArgs(['a', 'b']), /invalid --cgroup argument: a \(missing <controller>: prefix\)/);
  assert.throws(() => parseSubCgroupArgs([':a']), /empty <controller> prefix/);
  assert.throws(() => parseSubCgroupArgs(['a:b:c']), /invalid --cgroup argument: a:b:c/);
  assert.throws(() => parseSubCgroupArgs(['memory:a', 'memory:b']), /controller memory specified multiple times/);
});

test('resolveSubCgroupPaths: below the container only, existing cgroups only', () => {
  const root = mkdtempSync(join(tmpdir(), 'runc-ts-subcg-'));
  try {
    const mem = join(root, 'memory', 'ctr');
    const pids = join(root, 'pids', 'ctr');
    for (const d of [join(mem, 'a'), join(pids, 'a'), join(mem, 'b')]) {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'cgroup.procs'), '');
    }
    writeFileSync(join(pids, 'cgroup.procs'), '');
    const ctr = { memory: mem, pids };
    assert.equal(resolveSubCgroupPaths(ctr, { '': 'a' }), { memory: join(mem, 'a'), pids: join(pids, 'a') });
    assert.equal(resolveSubCgroupPaths(ctr, { memory: '/b' }), { memory: join(mem, 'b'), pids }, 'a leading / is the container cgroup');
    assert.throws(() => resolveSubCgroupPaths(ctr, { '': '..' }), /\.\. is not a sub cgroup path/);
    // runc compares strings, so ../ctrX would pass there: here a sibling is never "below".
    mkdirSync(join(root, 'memory', 'ctrX'));
    assert.throws(() => resolveSubCgroupPaths(ctr, { memory: '../ctrX' }), /\.\.\/ctrX is not a sub cgroup path/);
    assert.throws(() => resolveSubCgroupPaths(ctr, { cpu: 'a' }), /unknown controller cpu in SubCgroupPaths/);
    assert.throws(() => resolveSubCgroupPaths(ctr, { '': 'b' }), /cannot join cgroup .*pids\/ctr\/b: no such cgroup/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
