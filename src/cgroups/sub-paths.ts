// `exec --cgroup [<controller>[,<controller>...]:]<path>` (runc 1.1+): run the exec'd process in
// an existing sub-cgroup of the container's. One path without a controller applies to every
// hierarchy (and is the only form cgroup v2 has); the controller forms pick hierarchies, the
// others keep the container's own cgroup. A path that leaves the container's cgroup is refused.
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { CgroupError } from './fsutil';
import { joinPid } from './common';

/** runc's getSubCgroupPaths: the --cgroup arguments as controller ("" = all) -> sub path. */
export function parseSubCgroupArgs(args: readonly string[]): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const arg of args) {
    const parts = arg.split(':');
    if (parts.length > 2) throw new CgroupError(`invalid --cgroup argument: ${arg}`);
    if (parts.length === 1) {
      if (args.length !== 1) throw new CgroupError(`invalid --cgroup argument: ${arg} (missing <controller>: prefix)`);
      paths[''] = arg;
      continue;
    }
    for (const ctrl of parts[0]!.split(',')) {
      if (ctrl === '') throw new CgroupError(`invalid --cgroup argument: ${arg} (empty <controller> prefix)`);
      if (ctrl in paths) throw new CgroupError(`invalid --cgroup argument(s): controller ${ctrl} specified multiple times`);
      paths[ctrl] = parts[1]!;
    }
  }
  return paths;
}

/**
 * The directories the exec'd process joins: the container's cgroup paths (controller -> dir, as
 * CgroupManager.paths() gives them) with the requested sub paths appended. Each must exist
 * (--cgroup joins, it never creates): checked here, before anything is started.
 */
export function resolveSubCgroupPaths(container: Readonly<Record<string, string>>, sub: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...container };
  const below = (base: string, add: string): string => {
    const p = posix.join(base, add);
    // A real path-component prefix (runc compares strings: /a/bc would pass for /a/b).
    if (p !== base && !p.startsWith(base.endsWith('/') ? base : `${base}/`)) throw new CgroupError(`${add} is not a sub cgroup path`);
    return p;
  };
  if ('' in sub) {
    for (const ctrl of Object.keys(out)) out[ctrl] = below(container[ctrl]!, sub['']!);
  } else {
    for (const [ctrl, add] of Object.entries(sub)) {
      if (!(ctrl in container)) throw new CgroupError(`unknown controller ${ctrl} in SubCgroupPaths`);
      out[ctrl] = below(container[ctrl]!, add);
    }
  }
  for (const dir of Object.values(out)) {
    if (!existsSync(join(dir, 'cgroup.procs'))) throw new CgroupError(`cannot join cgroup ${dir}: no such cgroup`);
  }
  return out;
}

/** Moves `pid` into each directory (once per directory: co-mounted controllers share one). */
export function enterCgroupPaths(paths: Readonly<Record<string, string>>, pid: number): void {
  for (const dir of new Set(Object.values(paths))) {
    try {
      joinPid(dir, pid);
    } catch (e) {
      const code = (e as CgroupError).code;
      throw new CgroupError(`adding pid ${pid} to cgroups: ${dir}/cgroup.procs: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, code);
    }
  }
}
