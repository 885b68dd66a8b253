// A v2-only resource on a host whose resource controllers are cgroup v1 (this hybrid VM):
// linux.resources.unified is refused naming it, by both runtimes, with nothing left behind.
// (The other direction, a v1-only resource on a v2 host, is in test/guest/suites/cgroup-v2.)
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { makeBundle } from '../helpers/bundle';
import { makeRuntime, runtimeNames, type Runtime } from '../helpers/runtimes';

// Resource controllers on v1: a "cgroup" (not cgroup2) mount with the memory controller.
const v1Memory = readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => {
  const f = l.split(' ');
  return f[2] === 'cgroup' && (f[3] ?? '').split(',').includes('memory');
});

for (const name of runtimeNames()) {
  const t = suite(`cgroup v2-only on v1 [${name}]`);
  let rt: Runtime;
  t.before(() => {
    rt = makeRuntime(name);
  });
  t.after(() => rt.cleanup());

  if (!v1Memory) {
    t.skip('unified refused on a v1 host [skipped: this host has no cgroup v1 resource controllers]', () => {});
  } else {
    t('linux.resources.unified is refused on cgroup v1, naming it; no state, no cgroup', () => {
      const cg = `/runc-ts-v2only-${name}-${process.pid}`;
      const b = makeBundle((c) => {
        c.process.args = ['true'];
        c.linux.cgroupsPath = cg;
        c.linux.resources = { unified: { 'pids.max': '5' } };
      });
      try {
        const r = rt.run(['run', '--bundle', b.dir, `v2only-${name}`]);
        assert.is.not(r.status, 0);
        assert.match(r.stderr, /unified.*cgroup v1/);
        assert.is(rt.run(['list', '-q']).stdout.trim(), '', 'no container left in the state dir');
        for (const root of ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/pids', '/sys/fs/cgroup/unified']) assert.not.ok(existsSync(root + cg), `no cgroup under ${root}`);
      } finally {
        b.remove();
      }
    });
  }
  t.run();
}
