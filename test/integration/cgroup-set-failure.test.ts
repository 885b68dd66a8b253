// A limit the kernel refuses once the init is waiting (a throttle for a block device that does
// not exist): the kernel's error is the one reported, and nothing is left behind: no container
// state, no cgroup. (runc-ts used to report "EBADF: bad file descriptor, close" from its undo
// path and leave the container in its state dir.)
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { makeBundle } from '../helpers/bundle';
import { makeRuntime, runtimeNames, type Runtime } from '../helpers/runtimes';

for (const name of runtimeNames()) {
  const t = suite(`cgroup set failure [${name}]`);
  let rt: Runtime;
  t.before(() => {
    rt = makeRuntime(name);
  });
  t.after(() => rt.cleanup());

  t('io throttle for a missing device: the kernel error, no state, no cgroup', () => {
    const cg = `/runc-ts-setfail-${name}-${process.pid}`;
    const b = makeBundle((c) => {
      c.process.args = ['true'];
      c.linux.cgroupsPath = cg;
      c.linux.resources = { blockIO: { throttleReadBpsDevice: [{ major: 254, minor: 250, rate: 1000 }] } };
    });
    try {
      const r = rt.run(['run', '--bundle', b.dir, `setfail-${name}`]);
      assert.is.not(r.status, 0);
      assert.match(r.stderr, /read_bps_device|io\.max/);
      assert.not.match(r.stderr, /EBADF/);
      assert.is(rt.run(['list', '-q']).stdout.trim(), '', 'no container left in the state dir');
      for (const root of ['/sys/fs/cgroup/blkio', '/sys/fs/cgroup/unified', '/sys/fs/cgroup']) assert.not.ok(existsSync(root + cg), `no cgroup left under ${root}`);
    } finally {
      b.remove();
    }
  });

  t.run();
}
