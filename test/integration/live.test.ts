// Operations on running containers (ps, pause/resume, update, events, kill --all), run against
// runc-ts and runc alike: each test checks the effect on the host (cgroup files, processes).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { aliveNotZombie, makeRuntime, runtimeNames, type Runtime, sleep } from '../helpers/runtimes';


function until<T>(fn: () => T | undefined | false, ms = 5000): T | undefined {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) return undefined;
    sleep(20);
  }
}

function state(rt: Runtime, id: string): any {
  const r = rt.run(['state', id]);
  return r.status === 0 ? JSON.parse(r.stdout) : undefined;
}

/** The host directory of `pid`'s cgroup for a v1 controller (from /proc/<pid>/cgroup). */
function cgroupDir(pid: number, controller: string): string {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const [, ctrls, path] = line.split(':');
    if (ctrls?.split(',').includes(controller)) return join('/sys/fs/cgroup', controller, path!);
  }
  throw new Error(`no ${controller} cgroup for ${pid}`);
}

const cgread = (pid: number, controller: string, file: string) => readFileSync(join(cgroupDir(pid, controller), file), 'utf8').trim();

function ppid(pid: number): number {
  return Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

for (const name of runtimeNames()) {
  const t = suite(`live [${name}]`);
  let rt: Runtime;
  let b: Bundle;
  let n = 0;
  const newId = (what: string) => `${what}-${name}-${process.pid}-${n++}`;

  t.before(() => {
    rt = makeRuntime(name);
  });
  t.after(() => {
    rt.cleanup();
  });
  t.before.each(() => {
    b = makeBundle((c) => {
      c.root.readonly = false;
    });
  });
  t.after.each(() => {
    b.remove();
  });

  /** run -d with the given command; returns the running container's state. */
  function runDetached(id: string, args: string[], mutate?: (c: any) => void): any {
    b.config.process.args = args;
    mutate?.(b.config);
    b.write();
    const r = rt.detached(['run', '-d', '--bundle', b.dir, id]);
    assert.is(r.status, 0, r.stderr);
    const s = until(() => state(rt, id)?.status === 'running' && state(rt, id));
    assert.ok(s, 'container running');
    return s;
  }

  function psJson(id: string): number[] {
    const r = rt.run(['ps', '--format', 'json', id]);
    assert.is(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) ?? [];
  }

  t('ps: json lists the init and its child; table keeps the container lines; ps options pass through', () => {
    const id = newId('ps');
    try {
      const s = runDetached(id, ['sh', '-c', 'sleep 1000 & wait']);
      const child = until(() => psJson(id).find((p) => p !== s.pid && cmdline(p) === 'sleep 1000'));
      assert.ok(child, 'the sleep child is listed');
      assert.is(ppid(child!), s.pid, 'child of the init');
      const pids = psJson(id);
      assert.equal([...pids].sort((a, b) => a - b), [s.pid, child!].sort((a, b) => a - b));

      let r = rt.run(['ps', id]);
      assert.is(r.status, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
      assert.is(lines.length, 3, r.stdout);
      assert.equal(lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[1])).sort((a, b) => a - b), [s.pid, child!].sort((a, b) => a - b));
      assert.ok(lines.some((l) => l.endsWith('sleep 1000')));

      r = rt.run(['ps', id, '-o', 'pid,comm']);
      assert.is(r.status, 0, r.stderr);
      assert.equal(r.stdout.trimEnd().split('\n').map((l) => l.trim().split(/\s+/)), [['PID', 'COMMAND'], [String(s.pid), 'sh'], [String(child), 'sleep']].sort((a, b) => (a[0] === 'PID' ? -1 : b[0] === 'PID' ? 1 : Number(a[0]) - Number(b[0]))));

      r = rt.run(['ps', id, '-o', 'comm']);
      assert.is(r.status, 1);
      assert.match(r.stderr, /couldn't find PID field in ps output/);
      r = rt.run(['ps', '--format', 'xml', id]);
      assert.is(r.status, 1);
      assert.match(r.stderr, /invalid format option/);
    } finally {
      rt.run(['delete', '--force', id]);
    }
  });

  t('pause freezes every process (state paused, counter stops); resume thaws; wrong states are errors', () => {
    const id = newId('pause');
    const counter = join(b.dir, 'rootfs/tmp/counter');
    const read = () => Number(readFileSync(counter, 'utf8').trim() || 0);
    try {
      runDetached(id, ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/counter; sleep 0.01; done']);
      assert.ok(until(() => existsSync(counter) && read() > 3), 'counter advances');
      let r = rt.run(['resume', id]);
      assert.is(r.status, 1);
      assert.match(r.stderr, /container not paused/);

      r = rt.run(['pause', id]);
      assert.is(r.status, 0, r.stderr);
      assert.is(state(rt, id).status, 'paused');
      assert.is(JSON.parse(rt.run(['list', '--format', 'json']).stdout).find((c: any) => c.id === id).status, 'paused');
      assert.is(cgread(state(rt, id).pid, 'freezer', 'freezer.state'), 'FROZEN');
      const frozenAt = read();
      sleep(300);
      assert.is(read(), frozenAt, 'counter stopped while paused');
      for (const p of psJson(id)) assert.match(readFileSync(`/proc/${p}/status`, 'utf8'), /State:\s+D/, `process ${p} is frozen`);

      r = rt.run(['pause', id]);
      assert.is(r.status, 1);
      assert.match(r.stderr, /container not running/);

      r = rt.run(['resume', id]);
      assert.is(r.status, 0, r.stderr);
      assert.is(state(rt, id).status, 'running');
      assert.ok(until(() => read() > frozenAt + 3), 'counter advances again after resume');
    } finally {
      rt.run(['delete', '--force', id]);
    }
  });

  t('pause a created container: paused, then back to created', () => {
    const id = newId('pausec');
    try {
      b.config.process.args = ['sleep', '1000'];
      b.write();
      const r = rt.detached(['create', '--bundle', b.dir, id]);
      assert.is(r.status, 0, r.stderr);
      assert.is(rt.run(['pause', id]).status, 0);
      assert.is(state(rt, id).status, 'paused');
      const st = rt.run(['start', id]);
      assert.is(st.status, 1, 'a paused container cannot be started');
      assert.is(rt.run(['resume', id]).status, 0);
      assert.is(state(rt, id).status, 'created');
    } finally {
      rt.run(['delete', '--force', id]);
    }
  });

  t('update --memory/--memory-reservation/--cpu-share change the cgroup files (units like 100M)', () => {
    const id = newId('upd');
    try {
      const s = runDetached(id, ['sleep', '1000']);
      let r = rt.run(['update', '--memory', '100M', '--memory-reservation', '50m', '--cpu-share', '512', id]);
      assert.is(r.status, 0, r.stderr);
      assert.is(cgread(s.pid, 'memory', 'memory.limit_in_bytes'), String(100 * 1024 * 1024));
      assert.is(cgread(s.pid, 'memory', 'memory.soft_limit_in_bytes'), String(50 * 1024 * 1024));
      assert.is(cgread(s.pid, 'cpu', 'cpu.shares'), '512');
      // Saved for later reads (each runtime in its own state format).
      const saved = JSON.parse(readFileSync(join(rt.root, id, 'state.json'), 'utf8'));
      if (name === 'runc') assert.is(saved.config.cgroups.memory, 104857600);
      else assert.equal(saved.config.linux.resources.memory, { limit: 104857600, reservation: 52428800 });

      r = rt.run(['update', '--memory', '10x', id]);
      assert.is(r.status, 1);
      assert.match(r.stderr, /invalid value for memory: invalid size: '10x'/);
      r = rt.run(['update', '--memory', '4096', id]);
      assert.is(r.status, 1, 'a limit below the usage is refused');
      assert.is(cgread(s.pid, 'memory', 'memory.limit_in_bytes'), String(100 * 1024 * 1024), 'limit unchanged after a failed update');
      r = rt.run(['update', '--l3-cache-schema', 'L3:0=f', id]);
      assert.is(r.status, 1);
      assert.match(r.stderr, /Intel RDT\/CAT: l3 cache schema is not enabled/);
      r = rt.run(['update', '--memory', '1g', 'does-not-exist']);
      assert.is(r.status, 1);
      assert.match(r.stderr, /container does not exist/);
    } finally {
      rt.run(['delete', '--force', id]);
    }
  });

  t('update --pids-limit: forks beyond the new limit fail inside the container', () => {
    const id = newId('pids');
    const tmp = join(b.dir, 'rootfs/tmp');
    try {
      // busybox sh gives up at the first fork that fails ("can't fork").
      const s = runDetached(id, ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.05; done; for i in 1 2 3 4 5 6; do sleep 1000 & echo $i >> /tmp/started; done 2>/tmp/err; wait']);
      const r = rt.run(['update', '--pids-limit', '4', id]);
      assert.is(r.status, 0, r.stderr);
      const dir = cgroupDir(s.pid, 'pids');
      assert.is(readFileSync(join(dir, 'pids.max'), 'utf8'), '4\n');
      const maxEvents = () => Number(readFileSync(join(dir, 'pids.events'), 'utf8').split(' ')[1]);
      const events = maxEvents();
      require('node:fs').writeFileSync(join(tmp, 'go'), '');
      assert.ok(until(() => existsSync(join(tmp, 'err')) && /fork/.test(readFileSync(join(tmp, 'err'), 'utf8'))), 'a fork failed inside');
      assert.match(readFileSync(join(tmp, 'err'), 'utf8'), /can't fork|Resource temporarily unavailable/);
      assert.is(readFileSync(join(tmp, 'started'), 'utf8'), '1\n2\n3\n', 'three sleeps fit next to the shell, the fourth did not');
      assert.ok(maxEvents() > events, 'pids.events counts the refused fork');
    } finally {
      rt.run(['delete', '--force', id]);
    }
  });

  t('update --resources - reads linux.resources JSON from stdin', () => {
    const id = newId('updres');
    try {
      const s = runDetached(id, ['sleep', '1000']);
      const res = { memory: { limit: 200 * 1024 * 1024, swap: 300 * 1024 * 1024 }, cpu: { shares: 300, quota: 50000, period: 100000 }, pids: { limit: 50 }, blockIO: { weight: 200 } };
      let r = rt.run(['update', '--resources', '-', id], { input: JSON.stringify(res) });
      assert.is(r.status, 0, r.stderr);
      assert.is(cgread(s.pid, 'memory', 'memory.limit_in_bytes'), String(200 * 1024 * 1024));
      if (existsSync(join(cgroupDir(s.pid, 'memory'), 'memory.memsw.limit_in_bytes'))) assert.is(cgread(s.pid, 'memory', 'memory.memsw.limit_in_bytes'), String(300 * 1024 * 1024));
      assert.is(cgread(s.pid, 'cpu', 'cpu.shares'), '300');
      assert.is(cgread(s.pid, 'cpu', 'cpu.cfs_quota_us'), '50000');
      assert.is(cgread(s.pid, 'cpu', 'cpu.cfs_period_us'), '100000');
      assert.is(cgread(s.pid, 'pids', 'pids.max'), '50');
      r = rt.run(['update', '-r', '-', id], { input: '{"pids": {"limit": "many"}}' });
      assert.is(r.status, 1, 'a bad value is refused');
      assert.is(cgread(s.pid, 'pids', 'pids.max'), '50');
      r = rt.run(['update', '-r', '-', id], { input: '{bad' });
      assert.is(r.status, 1, 'bad JSON is refused');
      r = rt.run(['update', '-r', '/does/not/exist', id]);
      assert.is(r.status, 1);
      assert.match(r.stderr, /open \/does\/not\/exist: no such file or directory/);
    } finally {
      rt.run(['delete', '--force', id]);
    }
  });

  t('events --stats: one stats event whose memory and pids match the cgroup files', () => {
    const id = newId('stats');
    try {
      const s = runDetached(id, ['sh', '-c', 'sleep 1000 & sleep 1000 & wait'], (c) => {
        c.linux.resources.memory = { limit: 64 * 1024 * 1024 };
        c.linux.resources.pids = { limit: 30 };
      });
      until(() => psJson(id).length === 3);
      const r = rt.run(['events', '--stats', id]);
      assert.is(r.status, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.is(lines.length, 1);
      const ev = JSON.parse(lines[0]!);
      assert.is(ev.type, 'stats');
      assert.is(ev.id, id);
      const usage = Number(cgread(s.pid, 'memory', 'memory.usage_in_bytes'));
      assert.ok(ev.data.memory.usage.usage > 0);
      assert.ok(Math.abs(ev.data.memory.usage.usage - usage) < 1024 * 1024, `usage ${ev.data.memory.usage.usage} ~ ${usage}`);
      assert.is(ev.data.memory.usage.limit, 64 * 1024 * 1024);
      assert.is(ev.data.memory.usage.limit, Number(cgread(s.pid, 'memory', 'memory.limit_in_bytes')));
      assert.is(ev.data.pids.current, 3);
      assert.is(ev.data.pids.current, Number(cgread(s.pid, 'pids', 'pids.current')));
      assert.is(ev.data.pids.limit, 30);
      assert.ok(ev.data.cpu.usage.total > 0);
      assert.ok(/"limit":9223372036854771712/.test(lines[0]!), 'unlimited v1 values are printed exactly');

      let e = rt.run(['events', '--interval', '0s', id]);
      assert.is(e.status, 1);
      assert.match(e.stderr, /duration interval must be greater than 0/);
      rt.run(['kill', id, 'KILL']);
      until(() => state(rt, id)?.status === 'stopped');
      e = rt.run(['events', '--stats', id]);
      assert.is(e.status, 1);
      assert.match(e.stderr, new RegExp(`container with id ${id} is not running`));
    } finally {
      rt.run(['delete', '--force', id]);
    }
  });

  t('events: stats every interval and an oom event, until the container is gone', async () => {
    const id = newId('events');
    const events = spawnEvents();
    try {
      runDetached(id, ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.05; done; x=$(head -c 200000000 /dev/zero | tr "\\0" a); sleep 1000'], (c) => {
        c.linux.resources.memory = { limit: 30 * 1024 * 1024 };
      });
      const ev = events.start(['events', '--interval', '200ms', id]);
      await delay(700);
      require('node:fs').writeFileSync(join(b.dir, 'rootfs/tmp/go'), '');
      const end = Date.now() + 8000;
      while (!ev.lines().some((l) => l.type === 'oom') && Date.now() < end) await delay(50);
      const lines = ev.lines();
      assert.ok(lines.filter((l) => l.type === 'stats').length >= 2, `stats events: ${lines.length}`);
      for (const l of lines) assert.is(l.id, id);
      assert.equal(lines.find((l) => l.type === 'oom'), { type: 'oom', id });
      assert.is(rt.run(['delete', '--force', id]).status, 0);
      const code = await ev.exited(5000);
      assert.is(code, 0, 'events ends once the container is gone');
    } finally {
      events.kill();
      rt.run(['delete', '--force', id]);
    }
  });

  function spawnEvents() {
    let child: ReturnType<typeof spawn> | undefined;
    let out = '';
    let code: number | null | undefined;
    return {
      start(args: string[]) {
        child = spawn(rt.bin, ['--root', rt.root, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
        child.stdout!.on('data', (d) => (out += d));
        child.on('exit', (c) => (code = c));
        return this;
      },
      lines: (): any[] =>
        out
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      async exited(ms: number): Promise<number | null | undefined> {
        const end = Date.now() + ms;
        while (code === undefined && Date.now() < end) await delay(20);
        return code;
      },
      kill() {
        if (code === undefined) child?.kill('SIGKILL');
      },
    };
  }

  t('kill --all signals every process of the container, kill only the init', () => {
    const id = newId('killall');
    try {
      const s = runDetached(id, ['sh', '-c', 'sleep 1000 & sleep 1000 & while true; do sleep 0.1; done']);
      const sleeps = until(() => {
        const p = psJson(id).filter((x) => cmdline(x) === 'sleep 1000');
        return p.length === 2 && p;
      });
      assert.ok(sleeps, 'two sleeps');
      // The init (pid 1 of its namespace, no TERM handler) ignores TERM; its children do not.
      assert.is(rt.run(['kill', id, 'TERM']).status, 0);
      sleep(300);
      assert.ok(sleeps!.every(aliveNotZombie), 'kill without --all leaves the children alone');
      let r = rt.run(['kill', '--all', id, 'TERM']);
      assert.is(r.status, 0, r.stderr);
      assert.ok(until(() => !sleeps!.some(aliveNotZombie)), 'kill --all TERM reached every child');
      assert.ok(aliveNotZombie(s.pid), 'the init ignored TERM and lives on');
      assert.is(state(rt, id).status, 'running');

      r = rt.run(['kill', '-a', id, 'KILL']);
      assert.is(r.status, 0, r.stderr);
      assert.ok(until(() => state(rt, id)?.status === 'stopped'), 'stopped after kill --all KILL');
      assert.ok(until(() => psJson(id).length === 0), 'no process left in the cgroup');
    } finally {
      rt.run(['delete', '--force', id]);
    }
  });

  t('kill --all of a paused container with KILL leaves nothing', () => {
    const id = newId('killp');
    try {
      runDetached(id, ['sh', '-c', 'sleep 1000 & wait']);
      assert.is(rt.run(['pause', id]).status, 0);
      const r = rt.run(['kill', '--all', id, 'KILL']);
      assert.is(r.status, 0, r.stderr);
      assert.ok(until(() => state(rt, id)?.status === 'stopped'), 'stopped');
      assert.ok(until(() => psJson(id).length === 0), 'no process left');
    } finally {
      rt.run(['delete', '--force', id]);
    }
  });

  t.run();
}

function delay(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
