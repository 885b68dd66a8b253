// cgroups/warm-up.ts: the cgroup.procs files of our own cgroup, where the CLI writes its own pid
// to start the kernel's grace period for cgroup moves early, on each cgroup layout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ownCgroupProcsFiles } from '../../src/cgroups/warm-up';

const HYBRID = '12:pids:/user.slice\n9:name=systemd:/user.slice/session-1.scope\n1:cpu,cpuacct:/x\n0::/user.slice/session-1.scope\n';

test('v2: the unified line, under /sys/fs/cgroup itself', () => {
  assert.equal(ownCgroupProcsFiles('0::/system.slice/containerd.service\n', true), ['/sys/fs/cgroup/system.slice/containerd.service/cgroup.procs']);
});

test('hybrid: the unified line first, under /sys/fs/cgroup/unified, then real v1 controllers', () => {
  assert.equal(ownCgroupProcsFiles(HYBRID, false), [
    '/sys/fs/cgroup/unified/user.slice/session-1.scope/cgroup.procs',
    '/sys/fs/cgroup/pids/user.slice/cgroup.procs',
    '/sys/fs/cgroup/cpu,cpuacct/x/cgroup.procs',
  ]);
});

test('the root cgroup: no double slash', () => {
  assert.equal(ownCgroupProcsFiles('0::/\n', true), ['/sys/fs/cgroup/cgroup.procs']);
  assert.equal(ownCgroupProcsFiles('3:memory:/\n', false), ['/sys/fs/cgroup/memory/cgroup.procs']);
});

test('nothing usable: none', () => {
  assert.equal(ownCgroupProcsFiles('', false), []);
  assert.equal(ownCgroupProcsFiles('9:name=systemd:/a\n', false), []);
});

test.run();
