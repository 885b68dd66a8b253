// runc exec: a new process in a running container. It joins every namespace of the
// container's init (nsexec.c for all but the mount namespace, which the TypeScript init joins
// once node has loaded), the container's cgroup, and gets the process settings of the
// config (or of --process) with the command line's overrides; seccomp applies as for the init.
import type { Process } from '../spec/types';
import { loadManager } from '../cgroups';
import { enterCgroupPaths, resolveSubCgroupPaths } from '../cgroups/sub-paths';
import type { GlobalOptions } from './container';
import { hookState, statusOf } from './container';
import { RuntimeError } from './errors';
import { Rollback, execPlan, launch, type Launched } from './launch';
import { StateDir } from './state';

export interface ExecOptions {
  id: string;
  process: Process;
  consoleSocket?: string;
  /** Foreground with a terminal and no --console-socket: we are the console (see launch.ts). */
  ownConsole?: boolean;
  pidFile?: string;
  preserveFds?: number;
  ignorePaused?: boolean;
  detach?: boolean;
  /** exec --cgroup: controller ("" = all) -> sub-cgroup of the container's to run in. */
  subCgroups?: Record<string, string>;
}

/** The exec'd process: runc's getProcess() for when no --process file is given. */
export interface ExecFlags {
  args: string[];
  cwd?: string;
  env?: string[];
  tty?: boolean;
  user?: string;
  additionalGids?: number[];
  cap?: string[];
  noNewPrivs?: boolean;
  apparmor?: string;
  processLabel?: string;
}

export function processFromFlags(base: Process, f: ExecFlags): Process {
  const p: Process = JSON.parse(JSON.stringify(base));
  p.args = f.args;
  if (f.cwd) p.cwd = f.cwd;
  if (f.apparmor) p.apparmorProfile = f.apparmor;
  if (f.processLabel) p.selinuxLabel = f.processLabel;
  if (f.cap?.length) {
    p.capabilities ??= {};
    for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const) p.capabilities[set] = [...(p.capabilities[set] ?? []), ...f.cap];
  }
  p.env = [...(p.env ?? []), ...(f.env ?? [])];
  p.terminal = !!f.tty;
  if (f.noNewPrivs !== undefined) p.noNewPrivileges = f.noNewPrivs;
  if (f.user) {
    const [u, g] = f.user.split(':');
    const uid = Number(u), gid = g === undefined ? undefined : Number(g);
    if (!Number.isInteger(uid) || uid < 0 || (gid !== undefined && (!Number.isInteger(gid) || gid < 0))) throw new RuntimeError(`parsing ${f.user} as uid[:gid]: invalid user`);
    p.user = { ...p.user, uid, gid: gid ?? p.user.gid };
  }
  if (f.additionalGids?.length) p.user.additionalGids = [...(p.user.additionalGids ?? []), ...f.additionalGids];
  return p;
}

export async function execProcess(g: GlobalOptions, o: ExecOptions): Promise<Launched> {
  const st = new StateDir(g.root, o.id);
  const s = st.read();
  const status = statusOf(st, s);
  if (status === 'stopped') throw new RuntimeError('cannot exec in a stopped container', { code: 'BAD_STATE' });
  if (status === 'paused' && !o.ignorePaused) throw new RuntimeError('cannot exec in a paused container (use --ignore-paused to override)', { code: 'BAD_STATE' });
  const spec = s.config;
  const proc = o.process;
  if (!proc.args?.length) throw new RuntimeError('args must not be empty', { code: 'INVALID_CONFIG' });
  if (!proc.cwd) proc.cwd = '/';
  if (!proc.user) proc.user = { uid: 0, gid: 0 };
  const cgroup = s.cgroup ? loadManager(s.cgroup as any) : undefined;
  const subCgroupDirs = o.subCgroups && cgroup ? resolveSubCgroupPaths(cgroup.paths(), o.subCgroups) : undefined;

  const rb = new Rollback();
  try {
    const launched = await launch(
      {
        kind: 'exec',
        id: o.id,
        bundle: s.bundle,
        rootfs: s.rootfs,
        spec,
        process: proc,
        // Every namespace the container has, as its init holds it now.
        plan: execPlan(spec, s.pid),
        consoleSocket: o.consoleSocket,
        ownConsole: o.ownConsole,
        pidFile: o.pidFile,
        // In the foreground the process may be our grandchild (pid namespace): we reap it.
        subreaper: !o.detach,
        passFds: o.preserveFds ?? 0,
        debug: g.debug,
        warn: g.warn,
        init: { noPivot: false, noNewKeyring: true, newNamespaces: [], rootless: !!s.rootless },
        applyCgroup: (pid) => (subCgroupDirs ? enterCgroupPaths(subCgroupDirs, pid) : cgroup?.apply(pid)),
        // The agent learns of the container (its init), not of the exec'd process.
        listenerState: () => hookState(s, 'running', s.pid),
      },
      rb,
    );
    rb.commit();
    return launched;
  } catch (e) {
    await rb.unwind(g.warn);
    throw e;
  }
}
