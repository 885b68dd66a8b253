// The guest is what the harness promises: systemd as PID 1, cgroup v2 unified at /sys/fs/cgroup,
// no network; and both runtimes run a container there.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { makeBundle } from '../../helpers/bundle';
import { makeRuntime, runtimeNames, type Runtime } from '../../helpers/runtimes';

const host = suite('guest host');
host('systemd is PID 1 and cgroup2 is the only hierarchy, with the resource controllers', () => {
  assert.is(readFileSync('/proc/1/comm', 'utf8').trim(), 'systemd');
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' '));
  assert.equal(mounts.filter((f) => f[2] === 'cgroup2').map((f) => f[1]), ['/sys/fs/cgroup']);
  assert.equal(mounts.filter((f) => f[2] === 'cgroup'), [], 'no v1 hierarchy');
  const ctrls = readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').trim().split(' ');
  for (const c of ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids']) assert.ok(ctrls.includes(c), `${c} in ${ctrls}`);
});
host('no network hardware (virtual links made by suites aside)', () => {
  assert.equal(readdirSync('/sys/class/net').filter((n) => existsSync(`/sys/class/net/${n}/device`)), []);
});
host.run();

for (const name of runtimeNames()) {
  const t = suite(`guest smoke [${name}]`);
  let rt: Runtime;
  t.before(() => {
    rt = makeRuntime(name);
  });
  t.after(() => rt.cleanup());
  t('run: a container in its own cgroup v2 group', () => {
    const b = makeBundle((c) => {
      c.process.args = ['cat', '/proc/self/cgroup'];
      c.linux.cgroupsPath = `/smoke-${name}-${process.pid}`;
      c.linux.namespaces.push({ type: 'cgroup' });
    });
    try {
      const r = rt.run(['run', '--bundle', b.dir, `smoke-${name}-${process.pid}`]);
      assert.is(r.status, 0, r.stderr);
      // The container's cgroup namespace is rooted at its own group.
      assert.is(r.stdout.trim(), '0::/');
    } finally {
      b.remove();
    }
  });
  t.run();
}
