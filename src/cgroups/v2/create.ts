// Creating a v2 cgroup: mkdir each level and, unless disabled, enable the available controllers
// in cgroup.subtree_control of every ancestor (runc's CreateCgroupPath). Only missing controllers
// are written, one write per level, falling back to one controller at a time.
import { mkdirSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { readOptional, writeFile } from '../fsutil';

function enable(dir: string, wanted: string[]): void {
  const have = new Set((readOptional(dir, 'cgroup.subtree_control') ?? '').trim().split(/\s+/).filter(Boolean));
  const missing = wanted.filter((c) => !have.has(c));
  if (!missing.length) return;
  try {
    writeFile(dir, 'cgroup.subtree_control', missing.map((c) => '+' + c).join(' '));
  } catch {
    // Some controllers may not be delegatable here (threaded, rootless): enable what we can;
    // setting a limit of a missing controller reports the problem later.
    for (const c of missing) {
      try {
        writeFile(dir, 'cgroup.subtree_control', '+' + c);
      } catch {
        /* see above */
      }
    }
  }
}

export function createPathV2(dir: string, mountPoint: string, enableControllers: boolean): void {
  const levels: string[] = [];
  for (let d = dir; d !== mountPoint && d.startsWith(mountPoint + '/'); d = dirname(d)) levels.unshift(d);
  const created: string[] = [];
  try {
    const wanted = enableControllers ? (readOptional(mountPoint, 'cgroup.controllers') ?? '').trim().split(/\s+/).filter(Boolean) : [];
    let parent = mountPoint;
    for (const d of levels) {
      if (wanted.length) enable(parent, wanted);
      try {
        mkdirSync(d, { mode: 0o755 });
        created.push(d);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      parent = d;
    }
  } catch (e) {
    // Do not leave directories we made behind on failure.
    for (const d of created.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        /* best effort */
      }
    }
    throw e;
  }
}
