// Kubernetes end to end on one node: a private containerd with its CRI plugin
// (scripts/docker-env.sh start --cri) driven over CRI v1 gRPC exactly as the kubelet drives it,
// every scenario once with the runtime handler "runc-ts" (this checkout's bin/runc-ts) and once
// with "runc" (Debian's runc, the reference), same assertions. Pods use the host network, so no
// CNI plugin runs and no interface is created. The closing note lists the CRI calls covered.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { startEnv, unavailable, runtimeNames, type Env } from '../docker/lib/env';
import { criClient, type CriClient } from './lib/cri';
import { Pods, until, type Handler } from './lib/pods';
import { streamExec } from './lib/stream';

const why = unavailable({ cri: true });
let env: Env;
let cri: CriClient;
let pods: Pods;
const results: Record<string, { passed: number; failed: number }> = {};

if (why) {
  // The project's skip convention (test/helpers/skip.ts on main): test.skip plus a SKIP line.
  process.stdout.write(`SKIP Kubernetes (CRI) end-to-end suite: ${why}\n`);
  test.skip(`Kubernetes (CRI) end-to-end suite [skipped: ${why}]`, () => {});
} else {
  test.before(() => {
    env = startEnv('k8s', { cri: true });
    cri = criClient(env.vars.RUNCTS_CRI_ENDPOINT);
    pods = new Pods(env, cri);
  });
  test.after(async () => {
    try {
      if (pods) await pods.removeAll();
    } finally {
      cri?.close();
      env?.stop();
    }
    for (const [h, r] of Object.entries(results)) process.stdout.write(`\n# kubernetes [${h}]: ${r.passed} passed, ${r.failed} failed\n`);
    if (cri) process.stdout.write(`\n# CRI calls covered: ${[...cri.called].sort().join(', ')}\n`);
  });
}

function scenario(title: string, fn: (h: Handler) => Promise<void>) {
  if (why) return;
  for (const h of runtimeNames()) {
    test(`cri: ${title} [${h}]`, async () => {
      const r = (results[h] ??= { passed: 0, failed: 0 });
      try {
        await fn(h);
        r.passed++;
      } catch (e: any) {
        r.failed++;
        e.message += `\n${env.diagnostics()}`;
        throw e;
      }
    });
  }
}

if (!why) {
  test('cri: containerd is ready, both handlers configured, images present', async () => {
    const v = await cri.Version({ version: 'v1' });
    assert.is(v.runtime_name, 'containerd');
    assert.is(v.runtime_api_version, 'v1');
    const st = await cri.Status({ verbose: true });
    const ready = st.status.conditions.find((c: any) => c.type === 'RuntimeReady');
    assert.ok(ready?.status, JSON.stringify(st.status));
    const config = JSON.parse(st.info.config);
    for (const h of ['runc-ts', 'runc']) {
      assert.is(config.containerd.runtimes[h]?.runtimeType, 'io.containerd.runc.v2', h);
    }
    const tags = (await cri.ListImages({})).images.flatMap((i: any) => i.repo_tags);
    assert.ok(tags.includes(env.vars.RUNCTS_CRI_IMAGE), tags.join(' '));
    assert.ok(tags.includes(env.vars.RUNCTS_CRI_PAUSE_IMAGE), tags.join(' '));
    const img = await cri.ImageStatus({ image: { image: env.vars.RUNCTS_CRI_IMAGE } });
    assert.ok(img.image?.id?.startsWith('sha256:'));
  });
}

scenario('pod lifecycle: the kubelet sequence from RunPodSandbox to RemovePodSandbox', async (h) => {
  const pod = await pods.run('life', h);
  const ps = (await cri.PodSandboxStatus({ pod_sandbox_id: pod.id })).status;
  assert.is(ps.state, 'SANDBOX_READY');
  assert.is(ps.runtime_handler, h);
  assert.is(ps.linux.namespaces.options.network, 'NODE');
  // The sandbox ("pause") container itself ran through the handler's runtime.
  assert.ok(pods.runtimeStateExists(h, pod.id), `no ${h} state for the sandbox`);
  const listed = (await cri.ListPodSandbox({ filter: { id: pod.id } })).items;
  assert.is(listed.length, 1);
  assert.is(listed[0].runtime_handler, h);

  // A container that ends on SIGTERM: StopContainer's grace period is enough.
  const c = await pods.container(pod, 'app', ['sh', '-c', 'trap "echo got TERM; exit 0" TERM; echo started; while :; do sleep 0.2; done'], {
    envs: [{ key: 'GREETING', value: 'hello from CRI' }],
    working_dir: '/tmp',
  });
  assert.ok(pods.runtimeStateExists(h, c), `no ${h} state for the container`);
  const st = await pods.status(c);
  assert.is(st.state, 'CONTAINER_RUNNING');
  assert.ok(st.started_at > 0 && st.started_at >= st.created_at);
  assert.is(st.metadata.name, 'app');
  const cs = (await cri.ListContainers({ filter: { pod_sandbox_id: pod.id } })).containers;
  assert.equal(cs.map((x: any) => [x.id, x.state]), [[c, 'CONTAINER_RUNNING']]);
  const running = (await cri.ListContainers({ filter: { state: { state: 'CONTAINER_RUNNING' }, label_selector: { container: 'app' } } })).containers;
  assert.ok(running.some((x: any) => x.id === c));

  // ExecSync: output, stderr, exit code, the container's env and cwd; a timeout.
  const e = await pods.exec(c, 'echo "$GREETING"; pwd; echo to-stderr >&2; exit 7');
  assert.equal(e, { stdout: 'hello from CRI\n/tmp\n', stderr: 'to-stderr\n', code: 7 });
  const t0 = Date.now();
  const timedOut = await cri.ExecSync({ container_id: c, cmd: ['sleep', '30'], timeout: 1 }).then(() => undefined, (err: Error) => err);
  assert.match(String(timedOut), /timeout/i);
  assert.ok(Date.now() - t0 < 15_000, 'ExecSync timeout honoured');
  // Exec (streaming, what `kubectl exec` uses): containerd answers with a URL on its
  // streaming server; the command runs when a client connects there.
  const { url } = await cri.Exec({ container_id: c, cmd: ['sh', '-c', 'echo "out $GREETING"; echo err >&2; exit 4'], stdout: true, stderr: true });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/exec\/[\w-]+$/);
  const streamed = await streamExec(url);
  assert.equal([streamed.stdout, streamed.stderr, streamed.code], ['out hello from CRI\n', 'err\n', 4], JSON.stringify(streamed.status));
  const ok = await streamExec((await cri.Exec({ container_id: c, cmd: ['id', '-u'], stdout: true })).url);
  assert.equal([ok.stdout, ok.code], ['0\n', 0]);

  // ContainerStats / ListContainerStats: containerd reads the cgroup the runtime made.
  await pods.exec(c, 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done');
  const stats = (await cri.ContainerStats({ container_id: c })).stats;
  assert.is(stats.attributes.id, c);
  assert.ok(stats.cpu.usage_core_nano_seconds.value > 0, JSON.stringify(stats.cpu));
  assert.ok(stats.memory.working_set_bytes.value > 0, JSON.stringify(stats.memory));
  const all = (await cri.ListContainerStats({ filter: { pod_sandbox_id: pod.id } })).stats;
  assert.ok(all.some((s: any) => s.attributes.id === c));

  // UpdateContainerResources reaches the container's cgroup (runtime `update`).
  await cri.UpdateContainerResources({ container_id: c, linux: { memory_limit_in_bytes: 96 * 1024 * 1024, cpu_period: 100000, cpu_quota: 50000, cpu_shares: 512 } });
  assert.is(pods.cgroupFile(pod, c, 'memory', 'memory.limit_in_bytes'), String(96 * 1024 * 1024));
  assert.is(pods.cgroupFile(pod, c, 'cpu', 'cpu.cfs_quota_us'), '50000');
  assert.is(pods.cgroupFile(pod, c, 'cpu', 'cpu.shares'), '512');
  assert.is((await pods.status(c)).resources.linux.memory_limit_in_bytes, 96 * 1024 * 1024);

  // StopContainer: SIGTERM, the trap runs, exit 0 well within the grace period.
  const s0 = Date.now();
  await cri.StopContainer({ container_id: c, timeout: 10 });
  const done = await pods.status(c);
  assert.is(done.state, 'CONTAINER_EXITED');
  assert.is(done.exit_code, 0);
  assert.is(done.reason, 'Completed');
  assert.ok(Date.now() - s0 < 8_000, `stopped on SIGTERM, not after the grace period (${Date.now() - s0} ms)`);
  assert.match(pods.log(pod, 'app'), /stdout F got TERM/);

  await cri.RemoveContainer({ container_id: c });
  assert.is((await cri.ListContainers({ filter: { pod_sandbox_id: pod.id } })).containers.length, 0);
  assert.not.ok(pods.runtimeStateExists(h, c), 'runtime state removed with the container');

  await cri.StopPodSandbox({ pod_sandbox_id: pod.id });
  assert.is((await cri.PodSandboxStatus({ pod_sandbox_id: pod.id })).status.state, 'SANDBOX_NOTREADY');
  await cri.RemovePodSandbox({ pod_sandbox_id: pod.id });
  assert.is((await cri.ListPodSandbox({ filter: { id: pod.id } })).items.length, 0);
  assert.not.ok(pods.runtimeStateExists(h, pod.id), 'runtime state removed with the sandbox');
  assert.not.ok(existsSync(`/sys/fs/cgroup/memory${pod.cgroupParent}/${c}`), 'container cgroup removed');
});

scenario('two containers share the sandbox\'s IPC, PID, UTS and network namespaces, joined by path', async (h) => {
  const pod = await pods.run('share', h, { pid: 'POD' });
  try {
    const sandboxPid = JSON.parse((await cri.PodSandboxStatus({ pod_sandbox_id: pod.id, verbose: true })).info.info).pid as number;
    assert.ok(sandboxPid > 0);
    const a = await pods.container(pod, 'a', ['sh', '-c', 'exec sleep 1001']);
    // Ignores SIGTERM (and, as pid 1 of nothing, has no default action for it): needs KILL.
    const b = await pods.container(pod, 'b', ['sh', '-c', 'trap "" TERM; while :; do sleep 0.2; done']);
    // What containerd asks of the runtime: the sandbox's namespaces joined by path, each entry
    // typed (the runtime checks that the file is a namespace of that type). A host-network
    // sandbox has the node's network and UTS namespaces, so joining them is joining the node's.
    const nsPath = (t: string) => `/proc/${sandboxPid}/ns/${t}`;
    for (const id of [a, b]) {
      const ns = pods.bundleConfig(id).linux.namespaces;
      for (const [type, file] of [['ipc', 'ipc'], ['pid', 'pid'], ['uts', 'uts'], ['network', 'net']]) {
        assert.ok(ns.some((n: any) => n.type === type && n.path === nsPath(file)), `${type} joined by path: ${JSON.stringify(ns)}`);
      }
    }
    const sandboxNs = ['ipc', 'pid', 'uts', 'net'].map((t) => readlinkSync(nsPath(t)));
    assert.is.not(sandboxNs[0], readlinkSync('/proc/self/ns/ipc'), 'the pod has its own IPC namespace');
    assert.is(sandboxNs[2], readlinkSync('/proc/self/ns/uts'), 'host-network pod: the node\'s UTS namespace');
    assert.is(sandboxNs[3], readlinkSync('/proc/self/ns/net'), 'host-network pod: the node\'s network namespace');
    for (const id of [a, b]) {
      const r = await pods.exec(id, 'for n in ipc pid uts net; do readlink /proc/self/ns/$n; done; hostname');
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stdout, `${sandboxNs.join('\n')}\n${hostname()}\n`);
    }
    // One PID namespace: b sees a's sleep, and the sandbox's pause process as pid 1.
    const ps = await pods.exec(b, 'cat /proc/1/cmdline | tr "\\0" " "; echo; for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done');
    assert.match(ps.stdout, /^sleep inf \n/);
    assert.match(ps.stdout, /sleep 1001/);
    // One IPC namespace: a POSIX message queue made in a (a file in its mqueue mount, which
    // shows its IPC namespace's queues) is seen from b.
    const mk = await pods.exec(a, 'touch /dev/mqueue/from-a && ls /dev/mqueue');
    assert.is(mk.stdout, 'from-a\n', mk.stderr);
    assert.is((await pods.exec(b, 'ls /dev/mqueue')).stdout, 'from-a\n');

    // StopContainer with a short grace period: TERM is ignored, so KILL after it.
    const t0 = Date.now();
    await cri.StopContainer({ container_id: b, timeout: 2 });
    const ms = Date.now() - t0;
    const sb = await pods.status(b);
    assert.is(sb.state, 'CONTAINER_EXITED');
    assert.is(sb.exit_code, 137);
    assert.ok(ms >= 1900, `waited the grace period (${ms} ms)`);
  } finally {
    await pods.remove(pod);
  }
});

scenario('an init-style container runs to completion: exit code, reason, logs at log_path', async (h) => {
  const pod = await pods.run('init', h);
  try {
    const ok = await pods.container(pod, 'init-ok', ['sh', '-c', 'echo line one; echo line two; echo to stderr >&2; exit 0']);
    const bad = await pods.container(pod, 'init-bad', ['sh', '-c', 'echo failing; exit 3']);
    const sOk = await pods.exited(ok);
    assert.is(sOk.exit_code, 0);
    assert.is(sOk.reason, 'Completed');
    // (containerd stamps started_at when StartContainer returns: it can be after finished_at.)
    assert.ok(sOk.finished_at > 0 && sOk.started_at > 0, JSON.stringify(sOk));
    assert.is(sOk.log_path, `${pod.logDir}/init-ok/0.log`);
    const sBad = await pods.exited(bad);
    assert.is(sBad.exit_code, 3);
    assert.is(sBad.reason, 'Error');
    // CRI log format: <RFC3339Nano> <stream> <F|P> <line>
    const log = await until(() => { const l = pods.log(pod, 'init-ok'); return /stderr F to stderr/.test(l) && l; }, 5000);
    assert.ok(log, pods.log(pod, 'init-ok'));
    const lines = String(log).trim().split('\n');
    for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT[\d:.]+Z (stdout|stderr) F /);
    assert.equal(lines.filter((l) => / stdout /.test(l)).map((l) => l.replace(/^\S+ stdout F /, '')), ['line one', 'line two']);
    assert.match(pods.log(pod, 'init-bad'), /stdout F failing\n/);
    // An exited container can still be removed and leaves the pod running.
    await cri.RemoveContainer({ container_id: ok });
    assert.is((await cri.PodSandboxStatus({ pod_sandbox_id: pod.id })).status.state, 'SANDBOX_READY');
  } finally {
    await pods.remove(pod);
  }
});

scenario('a container over its memory limit is OOM-killed and reported as OOMKilled', async (h) => {
  const pod = await pods.run('oom', h);
  try {
    const limit = 24 * 1024 * 1024;
    // Allocate after a pause, so that the shim is already watching the cgroup for OOM events.
    const c = await pods.container(pod, 'hog', ['sh', '-c', 'sleep 1; echo allocating; tail /dev/zero'], {
      linux: { resources: { memory_limit_in_bytes: limit, memory_swap_limit_in_bytes: limit } },
    });
    const s = await pods.exited(c);
    assert.is(s.reason, 'OOMKilled', JSON.stringify(s));
    assert.is(s.exit_code, 137);
  } finally {
    await pods.remove(pod);
  }
});

scenario('securityContext fields end up in the container as requested', async (h) => {
  const pod = await pods.run('sec', h);
  try {
    const c = await pods.container(pod, 'locked', ['sh', '-c', 'sleep 1000'], {
      linux: {
        security_context: {
          run_as_user: { value: 1000 },
          run_as_group: { value: 1000 },
          supplemental_groups: [2000],
          readonly_rootfs: true,
          capabilities: { drop_capabilities: ['ALL'], add_capabilities: ['CHOWN', 'NET_BIND_SERVICE'] },
          seccomp: { profile_type: 'RuntimeDefault' },
          no_new_privs: true,
          masked_paths: ['/proc/kcore', '/proc/cmdline'],
          readonly_paths: ['/proc/sys'],
        },
      },
    });
    const probe = [
      'id -u; id -g; id -G',
      "grep -E '^(CapBnd|CapEff|NoNewPrivs|Seccomp):' /proc/1/status | tr -s '\\t ' ' '",
      'touch /rootfs-write 2>&1 || echo rootfs-ro',
      'touch /tmp/tmp-write 2>&1 || echo tmp-ro',
      'echo -n "cmdline bytes: "; wc -c < /proc/cmdline',
      "grep -E ' /proc/sys ' /proc/self/mounts | grep -q '[ ,]ro[ ,]' && echo proc-sys-ro",
    ].join('; ');
    const r = await pods.exec(c, probe);
    assert.is(r.code, 0, r.stderr);
    const want = [
      '1000', '1000', '1000 2000',
      // CAP_CHOWN (0) and CAP_NET_BIND_SERVICE (10) only; none effective for a non-root user.
      'CapEff: 0000000000000000', 'CapBnd: 0000000000000401', 'NoNewPrivs: 1', 'Seccomp: 2',
    ];
    for (const w of want) assert.ok(r.stdout.split('\n').includes(w), `${w} in:\n${r.stdout}`);
    assert.match(r.stdout, /Read-only file system\nrootfs-ro\n/);
    assert.match(r.stdout, /Read-only file system\ntmp-ro\n/);
    assert.match(r.stdout, /cmdline bytes: 0\n/);
    assert.ok(readFileSync('/proc/cmdline').length > 0, 'the host /proc/cmdline is not empty');
    assert.match(r.stdout, /proc-sys-ro\n/);
    // RuntimeDefault is containerd's profile, passed to the runtime in the OCI config.
    const spec = pods.bundleConfig(c);
    assert.is(spec.linux.seccomp.defaultAction, 'SCMP_ACT_ERRNO');
    assert.ok(spec.linux.maskedPaths.includes('/proc/cmdline'));
    // RuntimeDefault refuses what the profile leaves out even to root-equivalent callers: unshare(CLONE_NEWUSER).
    const u = await pods.exec(c, 'unshare -U true 2>&1; echo rc=$?');
    assert.match(u.stdout, /rc=[1-9]/);
  } finally {
    await pods.remove(pod);
  }
});

test.run();
