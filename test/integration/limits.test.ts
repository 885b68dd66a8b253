// Resource limits that must hold, not just be written: a memory limit kills an allocation over
// it, pids.max stops a fork bomb, a CPU quota caps usage. Both runtimes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { makeBundle } from '../helpers/bundle';
import { makeRuntime, runtimeNames, type Runtime, sleep } from '../helpers/runtimes';


/** The host directory of `pid`'s cgroup in a v1 hierarchy (paths can be nested on this host). */
function cgroupDir(pid: number, controller: string): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1]!.split(',').includes(controller))!;
  const mount = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .find((f) => f[f.indexOf('-') + 1] === 'cgroup' && (f[f.indexOf('-') + 3] ?? '').split(',').includes(controller))!;
  return mount[4] + line.split(':')[2]!;
}

for (const name of runtimeNames()) {
  const t = suite(`limits [${name}]`);
  let rt: Runtime;
  t.before(() => {
    rt = makeRuntime(name);
  });
  t.after(() => rt.cleanup());

  t('a memory limit kills an allocation over it (OOM: 128 + SIGKILL)', () => {
    const b = makeBundle((c) => {
      c.process.args = ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=128M', 'count=1'];
      c.linux.resources.memory = { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 };
    });
    try {
      const r = rt.run(['run', '--bundle', b.dir, `oom-${name}-${process.pid}`]);
      assert.is(r.status, 137, `exit status (stderr: ${r.stderr})`);
      const ok = makeBundle((c) => {
        c.process.args = ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=8M', 'count=1'];
        c.linux.resources.memory = { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 };
      });
      try {
        assert.is(rt.run(['run', '--bundle', ok.dir, `fits-${name}-${process.pid}`]).status, 0, 'an allocation within the limit succeeds');
      } finally {
        ok.remove();
      }
    } finally {
      b.remove();
    }
  });

  t('pids.max stops a fork bomb', () => {
    const b = makeBundle((c) => {
      // The bomb runs in a child shell (busybox sh gives up when fork fails); afterwards only
      // shell builtins: at the limit nothing else could be started.
      c.process.args = ['sh', '-c', 'sh -c "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 3 & done" 2>/dev/null; read cur < /sys/fs/cgroup/pids/pids.current; read ev < /sys/fs/cgroup/pids/pids.events; echo "$cur|$ev"'];
      c.linux.resources.pids = { limit: 10 };
    });
    try {
      const r = rt.run(['run', '--bundle', b.dir, `pids-${name}-${process.pid}`]);
      assert.is(r.status, 0, r.stderr);
      const [cur, ev] = r.stdout.trim().split('|');
      assert.ok(Number(cur) >= 9 && Number(cur) <= 10, `pids.current at the limit (${r.stdout.trim()})`);
      assert.match(ev!, /^max [1-9]\d*$/, 'forks were refused (pids.events)');
    } finally {
      b.remove();
    }
  });

  t('a CPU quota caps usage', () => {
    const id = `cpu-${name}-${process.pid}`;
    const b = makeBundle((c) => {
      c.process.args = ['sh', '-c', 'while :; do :; done'];
      c.linux.resources.cpu = { quota: 20000, period: 100000 };
    });
    try {
      const d = rt.detached(['run', '-d', '--bundle', b.dir, id]);
      assert.is(d.status, 0, d.stderr);
      const pid = JSON.parse(rt.run(['state', id]).stdout).pid;
      const usage = () => Number(readFileSync(`${cgroupDir(pid, 'cpuacct')}/cpuacct.usage`, 'utf8'));
      sleep(300);
      const u0 = usage(), t0 = process.hrtime.bigint();
      sleep(1500);
      const share = (usage() - u0) / Number(process.hrtime.bigint() - t0);
      assert.ok(share > 0.05 && share < 0.3, `CPU share under a 20% quota: ${share.toFixed(3)}`);
    } finally {
      rt.run(['delete', '--force', id]);
      b.remove();
    }
  });

  t.run();
}
