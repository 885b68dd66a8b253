// containerd end to end: a private containerd (scripts/docker-env.sh) driven with ctr, every
// scenario with `--runc-binary <bin/runc-ts>` and with `--runc-binary /usr/sbin/runc` (the
// reference), through containerd-shim-runc-v2 (the io.containerd.runc.v2 runtime). Each
// runtime gets its own --runc-root inside the environment's directory.
import { test } from 'uvu';
import { skip } from '../helpers/skip';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEnv, unavailable, runtimeNames, runtimeBinary, waitFor, type Env, type Result, type RuntimeName } from './lib/env';

const why = unavailable();
let env: Env;

if (why) {
  skip(test, 'containerd end-to-end suite', why);
} else {
  test.before(() => {
    env = startEnv('ctr');
  });
  test.after(() => env?.stop());
}

function show(r: Result) {
  return `exit ${r.status}${r.signal ? ' ' + r.signal : ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}
function runtimeOpts(rt: RuntimeName) {
  return ['--runc-binary', runtimeBinary(rt), '--runc-root', join(env.dir, `runc-root-${rt}`), '--fifo-dir', join(env.dir, 'fifo')];
}
/** `ctr run --rm` in the foreground. */
function run(rt: RuntimeName, id: string, opts: string[], cmd: string[], spawn = {}) {
  return env.ctr(['run', '--rm', ...runtimeOpts(rt), ...opts, env.ctrImage, id, ...cmd], spawn);
}
/** `ctr run -d`: a task left running; returns its id. */
function detached(rt: RuntimeName, scenario: string, opts: string[], cmd: string[] = ['sleep', '300']) {
  const id = `${scenario}-${rt}`;
  remove(id);
  const r = env.ctr(['run', '-d', ...runtimeOpts(rt), ...opts, env.ctrImage, id, ...cmd]);
  assert.is(r.status, 0, show(r) + '\n' + env.diagnostics(id));
  return id;
}
function remove(id: string) {
  env.ctr(['task', 'kill', '-s', 'KILL', id]);
  waitFor(() => !/RUNNING|PAUSED/.test(status(id)), 3000);
  env.ctr(['task', 'rm', '-f', id]);
  env.ctr(['container', 'rm', id]);
}
function status(id: string) {
  const line = env.ctr(['task', 'ls']).stdout.split('\n').find((l) => l.split(/\s+/)[0] === id);
  return line ? line.split(/\s+/)[2] : '';
}
function taskPid(id: string) {
  const line = env.ctr(['task', 'ls']).stdout.split('\n').find((l) => l.split(/\s+/)[0] === id);
  return Number(line?.split(/\s+/)[1]);
}
function exec(id: string, execId: string, script: string, opts: string[] = []) {
  return env.ctr(['task', 'exec', '--fifo-dir', join(env.dir, 'fifo'), '--exec-id', execId, ...opts, id, 'sh', '-c', script]);
}
function cgroupFile(controller: string, id: string, file: string) {
  return readFileSync(join('/sys/fs/cgroup', controller, env.ctrNamespace, id, file), 'utf8').trim();
}

function scenario(title: string, fn: (rt: RuntimeName) => void) {
  if (why) return;
  for (const rt of runtimeNames()) test(`ctr: ${title} [${rt}]`, () => fn(rt));
}

scenario('run --rm: output and exit codes', (rt) => {
  const r = run(rt, `echo-${rt}`, [], ['echo', 'hi']);
  assert.is(r.status, 0, show(r) + '\n' + env.diagnostics());
  assert.is(r.stdout, 'hi\n');
  assert.is(run(rt, `exit-${rt}`, [], ['sh', '-c', 'exit 3']).status, 3);
  // the task's cgroup is /<namespace>/<id>
  const cg = run(rt, `cg-${rt}`, [], ['grep', 'memory', '/proc/self/cgroup']);
  assert.match(cg.stdout, new RegExp(`^\\d+:memory:/${env.ctrNamespace}/cg-${rt}\n$`));
  // --rm leaves no container behind
  assert.not.match(env.ctr(['container', 'ls', '-q']).stdout, new RegExp(`^echo-${rt}$`, 'm'));
});

scenario('run --rm with stdin piped (no -t)', (rt) => {
  // ctr attaches stdin in the foreground but does not pass its EOF on: read one line only
  const r = run(rt, `stdin-${rt}`, [], ['sh', '-c', 'read x; echo $x | tr a-z A-Z'], { input: 'abc\n', stdio: ['pipe', 'pipe', 'pipe'] });
  assert.is(r.status, 0, show(r));
  assert.is(r.stdout, 'ABC\n');
});

scenario('run --rm -t through a pty (script)', (rt) => {
  const id = `tty-${rt}`;
  const opts = runtimeOpts(rt).join(' ');
  const r = env.sh(`printf 'tty\\necho in-$((6*7))\\nexit 6\\n' | script -qec "ctr --address $CONTAINERD_ADDRESS -n $CONTAINERD_NAMESPACE run --rm -t ${opts} ${env.ctrImage} ${id} sh" /dev/null`);
  assert.is(r.status, 6, show(r));
  assert.match(r.stdout, /\/dev\/pts\/0/);
  assert.match(r.stdout, /in-42/);
});

scenario('run -d; task exec (exit code, cwd, image env, -t)', (rt) => {
  const id = detached(rt, 'exec', []);
  try {
    assert.is(status(id), 'RUNNING');
    const pid = taskPid(id);
    assert.ok(pid > 0 && existsSync(`/proc/${pid}`));
    let r = exec(id, 'e1', 'readlink /proc/self/ns/pid; readlink /proc/1/ns/pid; cat /proc/1/cmdline');
    assert.is(r.status, 0, show(r) + '\n' + env.diagnostics(id));
    const [mine, init, cmdline] = r.stdout.split('\n');
    assert.is(mine, init);
    assert.is(cmdline, 'sleep\x00300\x00');
    assert.is(exec(id, 'e2', 'exit 4').status, 4);
    r = exec(id, 'e3', 'pwd; echo $PATH', ['--cwd', '/tmp']);
    assert.is(r.stdout, '/tmp\n/usr/sbin:/usr/bin:/sbin:/bin\n', show(r));
    const opts = `--fifo-dir ${join(env.dir, 'fifo')} --exec-id e4 -t ${id} sh`;
    const t = env.sh(`printf 'tty\\nexit 5\\n' | script -qec "ctr --address $CONTAINERD_ADDRESS -n $CONTAINERD_NAMESPACE task exec ${opts}" /dev/null`);
    assert.is(t.status, 5, show(t));
    assert.match(t.stdout, /\/dev\/pts\/\d+/);
  } finally {
    remove(id);
  }
});

scenario('task ps (runtime ps)', (rt) => {
  const id = detached(rt, 'ps', [], ['sh', '-c', 'sleep 301 & exec sleep 300']);
  try {
    const r = env.ctr(['task', 'ps', id]);
    assert.is(r.status, 0, show(r) + '\n' + env.diagnostics(id));
    const pids = r.stdout.trim().split('\n').slice(1).map((l) => Number(l.split(/\s+/)[0]));
    assert.is(pids.length, 2, r.stdout);
    assert.ok(pids.includes(taskPid(id)));
    for (const p of pids) assert.match(readFileSync(`/proc/${p}/cmdline`, 'utf8'), /^sleep\x00(300|301)\x00$/);
  } finally {
    remove(id);
  }
});

scenario('task pause / resume', (rt) => {
  const id = detached(rt, 'pause', []);
  try {
    let r = env.ctr(['task', 'pause', id]);
    assert.is(r.status, 0, show(r) + '\n' + env.diagnostics(id));
    assert.is(status(id), 'PAUSED');
    assert.is(cgroupFile('freezer', id, 'freezer.state'), 'FROZEN');
    r = env.ctr(['task', 'resume', id]);
    assert.is(r.status, 0, show(r) + '\n' + env.diagnostics(id));
    assert.is(status(id), 'RUNNING');
    assert.is(cgroupFile('freezer', id, 'freezer.state'), 'THAWED');
    assert.is(exec(id, 'after', 'echo alive').stdout, 'alive\n');
  } finally {
    remove(id);
  }
});

scenario('task metrics', (rt) => {
  const id = detached(rt, 'metrics', ['--memory-limit', String(64 << 20)], ['sh', '-c', 'sleep 301 & exec sleep 300']);
  try {
    const r = env.ctr(['task', 'metrics', id]);
    assert.is(r.status, 0, show(r) + '\n' + env.diagnostics(id));
    const m = Object.fromEntries(r.stdout.split('\n').map((l) => l.trim().split(/\s{2,}/)).filter((a) => a.length === 2));
    assert.is(m['memory.limit_in_bytes'], String(64 << 20), r.stdout);
    assert.ok(Number(m['memory.usage_in_bytes']) > 0, r.stdout);
    assert.is(m['pids.current'], '2', r.stdout);
  } finally {
    remove(id);
  }
});

scenario('task kill: SIGTERM to a trap (exit 9), then SIGKILL', (rt) => {
  const id = detached(rt, 'kill', [], ['sh', '-c', 'trap "exit 9" TERM; while :; do sleep 0.1; done']);
  try {
    let r = env.ctr(['task', 'kill', id]);
    assert.is(r.status, 0, show(r));
    assert.ok(waitFor(() => status(id) === 'STOPPED'), `status ${status(id)}`);
    r = env.ctr(['task', 'rm', id]);
    assert.match(r.stderr, /exit code 9/, show(r));
  } finally {
    remove(id);
  }
  const id2 = detached(rt, 'kill9', []);
  try {
    const pid = taskPid(id2);
    assert.is(env.ctr(['task', 'kill', '-s', 'SIGKILL', id2]).status, 0);
    assert.ok(waitFor(() => status(id2) === 'STOPPED'), `status ${status(id2)}`);
    assert.not.ok(existsSync(`/proc/${pid}`));
    const r = env.ctr(['task', 'rm', id2]);
    assert.match(r.stderr, /exit code 137/, show(r));
  } finally {
    remove(id2);
  }
});

scenario('task kill --all reaches exec processes too', (rt) => {
  const id = detached(rt, 'killall', []);
  try {
    assert.is(env.ctr(['task', 'exec', '-d', '--fifo-dir', join(env.dir, 'fifo'), '--exec-id', 'bg', id, 'sleep', '302']).status, 0);
    const r = env.ctr(['task', 'kill', '-a', '-s', 'KILL', id]);
    assert.is(r.status, 0, show(r));
    assert.ok(waitFor(() => status(id) === 'STOPPED'));
    assert.ok(waitFor(() => !readFileSync(join('/sys/fs/cgroup/pids', env.ctrNamespace, id, 'cgroup.procs'), 'utf8').trim()), 'processes left in the cgroup');
  } finally {
    remove(id);
  }
});

scenario('--memory-limit --cpus --cpu-shares in the cgroup; --seccomp on', (rt) => {
  const id = detached(rt, 'res', ['--memory-limit', String(48 << 20), '--cpus', '0.5', '--cpu-shares', '256', '--seccomp']);
  try {
    assert.is(cgroupFile('memory', id, 'memory.limit_in_bytes'), String(48 << 20));
    assert.is(cgroupFile('cpu', id, 'cpu.cfs_quota_us'), '50000');
    assert.is(cgroupFile('cpu', id, 'cpu.cfs_period_us'), '100000');
    assert.is(cgroupFile('cpu', id, 'cpu.shares'), '256');
    assert.match(readFileSync(`/proc/${taskPid(id)}/status`, 'utf8'), /Seccomp:\s+2\n/);
    const pid = taskPid(id);
    assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`:memory:/${env.ctrNamespace}/${id}\n`));
  } finally {
    remove(id);
  }
  // without --seccomp ctr asks for no filter
  const r = run(rt, `noseccomp-${rt}`, [], ['grep', 'Seccomp:', '/proc/self/status']);
  assert.match(r.stdout, /Seccomp:\s+0/, show(r));
});

scenario('task delete: runtime state and cgroup gone', (rt) => {
  const id = detached(rt, 'del', []);
  const stateDir = join(env.dir, `runc-root-${rt}`, env.ctrNamespace, id);
  assert.ok(existsSync(stateDir), `no runtime state at ${stateDir}`);
  remove(id);
  assert.not.ok(existsSync(stateDir), `runtime state left at ${stateDir}`);
  assert.ok(waitFor(() => !existsSync(join('/sys/fs/cgroup/memory', env.ctrNamespace, id))), 'memory cgroup left behind');
});

test.run();
