// cgroupsPath interpretation, as runc 1.1 does for the cgroupfs driver:
//  - absolute "/a/b": relative to each hierarchy's root (mount point);
//  - relative "a/b": relative to the caller's own cgroup in each hierarchy;
//  - none: the container id, relative to the caller's own cgroup (specconv sets c.Name = id).
// With systemd=true the "slice:prefix:name" form is converted to the path systemd would use
// (we still drive cgroupfs directly: no D-Bus from a synchronous runtime).
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

/** "slice:prefix:name" (runc --systemd-cgroup syntax) -> absolute cgroup path. */
export function systemdPath(cgroupsPath: string | undefined, id: string): string {
  let slice = 'system.slice';
  let prefix = 'runc';
  let name = id;
  if (cgroupsPath) {
    const parts = cgroupsPath.split(':');
    if (parts.length !== 3) throw new Error(`expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "${cgroupsPath}" instead`);
    [slice, prefix, name] = parts;
    if (!slice) slice = 'system.slice';
  }
  const unit = name.endsWith('.slice') ? name : `${prefix}-${name}.scope`;
  return posix.join(expandSlice(slice), unit);
}

/** The inner path: absolute (from the hierarchy roots) or relative (to our own cgroup). */
export function innerPath(id: string, cgroupsPath?: string, systemd?: boolean): string {
  if (systemd) return systemdPath(cgroupsPath, id);
  const p = cleanPath(cgroupsPath ?? '');
  if (p && p !== '.' && p !== '/') return p;
  if (p === '/') throw new Error('cgroup: refusing to use the root cgroup as the container cgroup');
  const name = cleanPath(id);
  if (!name || name === '.') throw new Error('cgroup: empty container id');
  return name;
}
