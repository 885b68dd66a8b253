// Moving a task into a cgroup takes the kernel's cgroup_threadgroup_rwsem for writing, and the
// first writer after a quiet spell waits for an RCU grace period (rcu_sync_enter): 10-20 ms on
// these 2-core VMs; writers within about one more grace period pass at once. A container's
// first join (its init's pid, once the namespaces exist) would wait for all of it, on the
// critical path of create and exec. So that grace period starts when the command does: our
// own pid is written, on a thread of its own (ffi.node's writeFileDetached, else fs.writeFile
// on the engine's pool), to the cgroup.procs of the cgroup we are already in. Such a move
// changes nothing (the process stays where it is) but takes the lock like any other: by the
// time the container's pid is written, the wait is behind us.
// Best effort: any error (no permission, a threaded cgroup, no cgroupfs) is ignored.
import { existsSync, readFileSync, writeFile } from 'node:fs';
import { DEFAULT_ROOT } from './detect';
import { ffiAddon } from '../libcontainer/sys/ffi';

/**
 * The cgroup.procs files of our own cgroup, best first: the v2 one (a "0::" line is there even
 * where no cgroup2 is mounted), then those of the v1 hierarchies of real controllers (named
 * ones such as name=systemd may be mounted anywhere).
 */
export function ownCgroupProcsFiles(procSelfCgroup: string, unifiedAtRoot: boolean, root = DEFAULT_ROOT): string[] {
  const out: string[] = [];
  for (const line of procSelfCgroup.split('\n')) {
    const [, ctrls, ...rest] = line.split(':');
    if (ctrls === undefined || !rest.length) continue;
    const path = rest.join(':');
    const sub = path === '/' ? '' : path;
    if (ctrls === '') out.unshift(`${unifiedAtRoot ? root : `${root}/unified`}${sub}/cgroup.procs`);
    else if (!ctrls.startsWith('name=')) out.push(`${root}/${ctrls}${sub}/cgroup.procs`);
  }
  return out;
}

export function warmUpCgroupMigration(): void {
  try {
    const file = ownCgroupProcsFiles(readFileSync('/proc/self/cgroup', 'utf8'), existsSync(`${DEFAULT_ROOT}/cgroup.controllers`)).find((f) => existsSync(f));
    if (!file) return;
    const addon = ffiAddon();
    // The callback form: under Bun, fs.promises costs ~0.3 ms more to set up on the first call.
    if (!addon?.writeFileDetached || addon.writeFileDetached(file, String(process.pid)) < 0) writeFile(file, String(process.pid), () => {});
  } catch {
    // nothing to warm up
  }
}
