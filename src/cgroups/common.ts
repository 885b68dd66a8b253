// Operations shared by both versions: joining a process, listing processes, removing directories.
import { readdirSync, rmdirSync, Dirent } from 'node:fs';
import { join } from 'node:path';
import { CgroupError, readOptional, sleepMs, writeFile } from './fsutil';

/** Writes pid to cgroup.procs; EINVAL can mean the task is still being created (TASK_NEW): retry. */
export function joinPid(dir: string, pid: number): void {
  for (let i = 0; ; i++) {
    try {
      writeFile(dir, 'cgroup.procs', String(pid));
      return;
    } catch (e) {
      if ((e as CgroupError).code !== 'EINVAL' || i >= 4) throw e;
      sleepMs(30);
    }
  }
}

function subdirs(dir: string): string[] {
  let ents: Dirent[] = [];
  try {
    ents = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return ents.filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
}

/** Pids in dir and all its descendants (a container may create sub-cgroups). */
export function allPids(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    for (const l of (readOptional(d, 'cgroup.procs') ?? '').split('\n')) if (l) out.push(Number(l));
    for (const s of subdirs(d)) walk(s);
  };
  walk(dir);
  return out;
}

/** rmdir dir after its sub-cgroups (depth first). Missing directories are fine. */
function removeTree(dir: string): void {
  // rmdir first, as runc does: a container's cgroup seldom has sub-cgroups, and listing each
  // hierarchy's directory (30-odd control files in v1's memory) before it costs every delete.
  const rmdir = (): unknown => {
    try {
      rmdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return e;
    }
    return undefined;
  };
  const failed = rmdir();
  if (!failed) return;
  const subs = subdirs(dir);
  if (!subs.length) throw failed;
  for (const s of subs) removeTree(s);
  const again = rmdir();
  if (again) throw again;
}

/**
 * Removes every path; EBUSY (tasks still exiting) is retried briefly with backoff (about 150ms in
 * all, as runc). Nothing is killed: a cgroup with live processes stays and the error says so.
 */
export function removePaths(paths: string[]): void {
  const left = new Set(paths);
  let delay = 10;
  let last: unknown;
  for (let i = 0; i < 5 && left.size; i++) {
    if (i) {
      sleepMs(delay);
      delay *= 2;
    }
    for (const p of [...left]) {
      try {
        removeTree(p);
        left.delete(p);
      } catch (e) {
        last = e;
      }
    }
  }
  if (left.size) {
    const err = last as NodeJS.ErrnoException;
    throw new CgroupError(`cgroup: failed to remove ${[...left].join(', ')}: ${err.code ?? ''} ${err.message.split('\n')[0]}`.trim(), err.code);
  }
}
