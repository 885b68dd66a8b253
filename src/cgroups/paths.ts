// cgroupsPath interpretation, as runc 1.1 does for the cgroupfs driver:
//  - absolute "/a/b": relative to each hierarchy's root (mount point);
//  - relative "a/b": relative to the caller's own cgroup in each hierarchy;
//  - none: the container id, relative to the caller's own cgroup (specconv sets c.Name = id).
// The systemd driver's "slice:prefix:name" form is systemd-props.ts's (parseSystemdPath).
import { posix } from 'node:path';

/** runc's utils.CleanPath: clean, and keep relative paths from escaping upwards. */
export function cleanPath(p: string): string {
  if (!p) return '';
  let out = posix.normalize(p);
  if (!posix.isAbsolute(out)) out = posix.relative('/', posix.normalize('/' + out));
  if (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  return out === '' ? '.' : out;
}

/** systemd's slice expansion: "a-b.slice" -> "/a.slice/a-b.slice". */
export function expandSlice(slice: string): string {
  if (!slice.endsWith('.slice') || slice.includes('/')) throw new Error(`invalid slice name: ${slice}`);
  const name = slice.slice(0, -'.slice'.length);
  if (name === '-') return '/';
  let path = '';
  let prefix = '';
  for (const part of name.split('-')) {
    if (part === '') throw new Error(`invalid slice name: ${slice}`);
    path += '/' + prefix + part + '.slice';
    prefix += part + '-';
  }
  return path;
}

/** The inner path: absolute (from the hierarchy roots) or relative (to our own cgroup). */
export function innerPath(id: string, cgroupsPath?: string): string {
  const p = cleanPath(cgroupsPath ?? '');
  if (p && p !== '.' && p !== '/') return p;
  if (p === '/') throw new Error('cgroup: refusing to use the root cgroup as the container cgroup');
  const name = cleanPath(id);
  if (!name || name === '.') throw new Error('cgroup: empty container id');
  return name;
}
