// Pods and containers the way the kubelet asks for them over CRI: one PodSandboxConfig per
// pod (host network, so containerd never calls CNI), reused verbatim in CreateContainer, and
// the container configs the tests vary. Also where containerd keeps what the tests inspect
// from the host side (bundles, runtime roots, cgroups, logs).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from '../../docker/lib/env';
import type { CriClient } from './cri';

export type Handler = 'runc-ts' | 'runc';
type Msg = Record<string, any>;

export interface Pod {
  id: string;
  name: string;
  handler: Handler;
  config: Msg;
  logDir: string;
  cgroupParent: string;
}

export interface PodOptions {
  /** NamespaceMode for pid: CONTAINER (the kubelet's default) or POD (shareProcessNamespace). */
  pid?: 'CONTAINER' | 'POD';
}

export function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls fn until it returns a truthy value or the time runs out; returns the last value. */
export async function until<T>(fn: () => Promise<T> | T, ms = 20_000, step = 200): Promise<T> {
  const end = Date.now() + ms;
  let v = await fn();
  while (!v && Date.now() < end) {
    await sleep(step);
    v = await fn();
  }
  return v;
}

export class Pods {
  constructor(readonly env: Env, readonly cri: CriClient) {}

  get image() { return this.env.vars.RUNCTS_CRI_IMAGE; }

  /** RunPodSandbox with the handler (what a RuntimeClass sets), host network, IPC shared. */
  async run(name: string, handler: Handler, opts: PodOptions = {}): Promise<Pod> {
    const podName = `${name}-${handler}`;
    const logDir = join(this.env.dir, 'pods', podName);
    const cgroupParent = `${this.env.vars.RUNCTS_CRI_CGROUP_PARENT}/pod-${podName}`;
    const config = {
      metadata: { name: podName, uid: `uid-${podName}`, namespace: 'runc-ts-test', attempt: 0 },
      log_directory: logDir,
      labels: { suite: 'runc-ts-kubernetes', pod: podName },
      linux: {
        cgroup_parent: cgroupParent,
        security_context: { namespace_options: { network: 'NODE', pid: opts.pid ?? 'CONTAINER', ipc: 'POD' } },
      },
    };
    const { pod_sandbox_id } = await this.cri.RunPodSandbox({ config, runtime_handler: handler });
    return { id: pod_sandbox_id, name: podName, handler, config, logDir, cgroupParent };
  }

  /**
   * CreateContainer (+ StartContainer unless start is false); returns the container id. Like
   * the kubelet, repeats the pod's namespace options in the container's security context
   * (containerd decides from those which sandbox namespaces a container joins).
   */
  async container(pod: Pod, name: string, command: string[], extra: Msg = {}, start = true): Promise<string> {
    const namespace_options = pod.config.linux.security_context.namespace_options;
    const linux = { ...extra.linux, security_context: { namespace_options, ...extra.linux?.security_context } };
    const config = {
      metadata: { name, attempt: 0 },
      image: { image: this.image },
      command,
      log_path: `${name}/0.log`,
      labels: { container: name },
      ...extra,
      linux,
    };
    const { container_id } = await this.cri.CreateContainer({ pod_sandbox_id: pod.id, config, sandbox_config: pod.config });
    if (start) await this.cri.StartContainer({ container_id });
    return container_id;
  }

  async status(id: string): Promise<Msg> {
    return (await this.cri.ContainerStatus({ container_id: id })).status;
  }

  /** Waits for the container to exit; returns its final status. */
  async exited(id: string, ms = 30_000): Promise<Msg> {
    const s = await until(async () => { const st = await this.status(id); return st.state === 'CONTAINER_EXITED' && st; }, ms);
    if (!s) throw new Error(`container ${id} did not exit within ${ms} ms: ${JSON.stringify(await this.status(id))}`);
    return s;
  }

  async exec(id: string, script: string, timeout = 20) {
    const r = await this.cri.ExecSync({ container_id: id, cmd: ['sh', '-c', script], timeout });
    return { stdout: Buffer.from(r.stdout).toString(), stderr: Buffer.from(r.stderr).toString(), code: r.exit_code as number };
  }

  /** StopPodSandbox + RemovePodSandbox, as the kubelet does when a pod is deleted. */
  async remove(pod: Pod) {
    await this.cri.StopPodSandbox({ pod_sandbox_id: pod.id });
    await this.cri.RemovePodSandbox({ pod_sandbox_id: pod.id });
  }

  /** Every pod the suite made that is still there (a failed test's leftovers). */
  async removeAll() {
    const { items } = await this.cri.ListPodSandbox({ filter: { label_selector: { suite: 'runc-ts-kubernetes' } } });
    for (const p of items) {
      await this.cri.StopPodSandbox({ pod_sandbox_id: p.id }).catch(() => {});
      await this.cri.RemovePodSandbox({ pod_sandbox_id: p.id }).catch(() => {});
    }
  }

  /** The OCI config.json containerd wrote for a container (or sandbox) task. */
  bundleConfig(id: string): Msg {
    return JSON.parse(readFileSync(join(this.env.dir, 'containerd', 'state', 'io.containerd.runtime.v2.task', 'k8s.io', id, 'config.json'), 'utf8'));
  }

  /** The runtime's own state for a container: in the handler's Root, so it names the runtime. */
  runtimeStateExists(handler: Handler, id: string) {
    return existsSync(join(this.env.dir, `runc-root-cri-${handler}`, 'k8s.io', id, 'state.json'));
  }

  /** A v1 cgroup file of a container: cgroupfs driver, so <cgroup_parent>/<container id>. */
  cgroupFile(pod: Pod, id: string, controller: string, file: string) {
    return readFileSync(join('/sys/fs/cgroup', controller, pod.cgroupParent, id, file), 'utf8').trim();
  }

  log(pod: Pod, container: string) {
    const f = join(pod.logDir, container, '0.log');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }
}
