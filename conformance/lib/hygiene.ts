// What a case must not leave behind, checked after every case and cleaned up regardless: live
// containers in the runtime's state, mounts under the suite's temp dir, cgroups named after the
// case's container ids, and processes whose root is inside the case's bundles.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseMountinfo } from './proc';

export function mountsUnder(dir: string): string[] {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'))
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(dir + '/'));
}

export function unmountUnder(dir: string): void {
  for (const p of mountsUnder(dir).reverse()) {
    try {
      execFileSync('umount', ['-l', p], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
}

/** Cgroup directories (v1 hierarchies and the unified one) whose name contains `needle`. */
export function cgroupsNamed(needle: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      let isDir = false;
      try {
        isDir = statSync(p).isDirectory();
      } catch {
        continue;
      }
      if (!isDir) continue;
      if (e.includes(needle)) found.push(p);
      else if (depth < 5) walk(p, depth + 1);
    }
  };
  if (existsSync('/sys/fs/cgroup')) walk('/sys/fs/cgroup', 0);
  return found;
}

export function removeCgroup(path: string): void {
  // Children first, killing whatever still runs in them.
  for (const e of readdirSync(path)) {
    const p = join(path, e);
    try {
      if (statSync(p).isDirectory()) removeCgroup(p);
    } catch {
      /* raced */
    }
  }
  try {
    for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  } catch {
    /* no procs file */
  }
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(path);
      return;
    } catch {
      execFileSync('sleep', ['0.05']);
    }
  }
}

/** Pids of processes whose root directory is inside `dir` (container processes of a case). */
export function processesRootedUnder(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const root = readlinkSync(`/proc/${e}/root`);
      if (root === dir || root.startsWith(dir + '/')) out.push(Number(e));
    } catch {
      /* gone or kernel thread */
    }
  }
  return out;
}
