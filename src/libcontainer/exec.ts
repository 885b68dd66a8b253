// runc exec: a new process in a running container. It joins every namespace of the
// container's init (nsexec.c for all but the mount namespace, which the TypeScript init joins
// once node has loaded), the container's cgroup, and gets the process settings of the
// config (or of --process) with the command line's overrides; seccomp applies as for the init.
import { closeSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Process, State } from '../spec/types';
import { deliverListener, usesNotify } from './seccomp-listener';
import { loadManager } from '../cgroups';
import { enterCgroupPaths, resolveSubCgroupPaths } from '../cgroups/sub-paths';
import type { GlobalOptions } from './container';
import { statusOf } from './container';
import { RuntimeError } from './errors';
import { spawnInit, type SpawnedInit } from './init-process';
import { NS_FILE } from './namespaces';
import { StateDir } from './state';
import { connectUnix } from './sys/unix-socket';
import { check, prctl } from './sys/libc';

export interface ExecOptions {
  id: string;
  process: Process;
  consoleSocket?: string;
  /** fd of our own console socketpair end for a foreground terminal, or -1. */
  consoleFd?: number;
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

export async function execProcess(g: GlobalOptions, o: ExecOptions): Promise<SpawnedInit> {
  const st = new StateDir(g.root, o.id);
  const s = st.read();
  const status = statusOf(st, s);
  if (status === 'stopped') throw new RuntimeError('cannot exec in a stopped container');
  if (status === 'paused' && !o.ignorePaused) throw new RuntimeError('cannot exec in a paused container (use --ignore-paused to override)');
  const spec = s.config;
  const proc = o.process;
  if (!proc.args?.length) throw new RuntimeError('args must not be empty');
  if (!proc.cwd) proc.cwd = '/';
  if (!proc.user) proc.user = { uid: 0, gid: 0 };

  // Every namespace the container has, as its init holds it now.
  const joins = (spec.linux?.namespaces ?? []).map((n) => ({ type: n.type, path: `/proc/${s.pid}/ns/${NS_FILE[n.type]}` }));
  const order = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];
  joins.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));

  let consoleFd = o.consoleFd ?? -1;
  let ownConsoleFd = false;
  if (proc.terminal && consoleFd < 0) {
    if (!o.consoleSocket) throw new RuntimeError('cannot allocate tty if runc-ts will detach without setting console socket');
    consoleFd = connectUnix(o.consoleSocket);
    ownConsoleFd = true;
  } else if (!proc.terminal && o.consoleSocket) {
    throw new RuntimeError('cannot use console socket if runc-ts will not detach or allocate tty');
  }
  const seccomp = spec.linux?.seccomp ? (require('../seccomp/compile') as typeof import('../seccomp/compile')).compileSeccomp(spec.linux.seccomp) : undefined;
  const cgroup = s.cgroup ? loadManager(s.cgroup as any) : undefined;
  const subCgroupDirs = o.subCgroups && cgroup ? resolveSubCgroupPaths(cgroup.paths(), o.subCgroups) : undefined;
  // In the foreground the process may be our grandchild (pid namespace): we reap it.
  if (!o.detach) check(prctl(36 /* PR_SET_CHILD_SUBREAPER */, 1, 0, 0, 0), 'prctl(PR_SET_CHILD_SUBREAPER)');
  let pid = 0;
  try {
    const init = await spawnInit({
      sealedDir: st.dir,
      wantFdSocket: usesNotify(spec.linux?.seccomp),
      plan: { cloneFlags: 0, joins, newTypes: [] },
      consoleSocketFd: consoleFd,
      passFds: o.preserveFds ?? 0,
      config: {
        mode: 'exec',
        id: o.id,
        bundle: s.bundle,
        rootfs: s.rootfs,
        spec,
        process: proc,
        newNamespaces: [],
        noPivot: false,
        noNewKeyring: true,
        seccomp: seccomp && { bpf: seccomp.bpf.toString('base64'), flags: seccomp.flags, notify: seccomp.notify },
        hookState: { ociVersion: spec.ociVersion, id: o.id, bundle: s.bundle, annotations: s.annotations },
        rootless: !!s.rootless,
      },
      handlers: {
        onSpawn() {},
        onPid(p) {
          pid = p;
        },
        async onSeccompListener(p, fd) {
          const st: State = { ociVersion: spec.ociVersion, id: o.id, status: 'running', pid: s.pid, bundle: s.bundle };
          if (s.annotations) st.annotations = s.annotations;
          deliverListener(spec.linux!.seccomp!, fd, p, st);
        },
        // While the process' node boots (see container.ts create).
        beforeConfig() {
          if (subCgroupDirs) enterCgroupPaths(subCgroupDirs, pid);
          else cgroup?.apply(pid);
          return {};
        },
      },
    });
    if (o.pidFile) {
      const abs = resolve(o.pidFile);
      const tmp = join(dirname(abs), `.${Date.now()}.pid`);
      writeFileSync(tmp, String(init.pid));
      renameSync(tmp, abs);
    }
    return init;
  } finally {
    if (ownConsoleFd) closeSync(consoleFd);
  }
}
