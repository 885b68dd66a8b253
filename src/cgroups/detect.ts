// Finding the cgroup hierarchies (from /proc/self/mountinfo) and the caller's own cgroups
// (from /proc/self/cgroup). A fixture directory that is no mount point is recognised by its
// layout instead, so unit tests need no mounts.
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

export type CgroupMode = 'v1' | 'hybrid' | 'v2';
export const DEFAULT_ROOT = '/sys/fs/cgroup';

/** One mounted hierarchy: v1 with its controllers (e.g. ['cpu','cpuacct'] or ['name=systemd']), or cgroup2. */
export interface Hierarchy {
  mountPoint: string;
  /** The cgroup mounted there (mountinfo field 4), '/' unless in a cgroup namespace / bind mount. */
  root: string;
  controllers: string[];
  v2: boolean;
}

const V1_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio', 'blkio',
  'perf_event', 'hugetlb', 'pids', 'rdma', 'misc',
]);

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parses mountinfo text into cgroup hierarchies. */
export function parseMountInfo(text: string): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const [fstype, , superOpts = ''] = line.slice(dash + 3).split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const root = unescape(left[3]);
    const mountPoint = unescape(left[4]);
    if (fstype === 'cgroup2') {
      out.push({ mountPoint, root, controllers: [], v2: true });
    } else {
      const controllers = superOpts.split(',').filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name='));
      out.push({ mountPoint, root, controllers, v2: false });
    }
  }
  return out;
}

/** Layout-based discovery for a fixture tree: <root>/cgroup.controllers = v2; <root>/<ctrl>[,<ctrl>]/ = v1; <root>/unified = v2. */
function scanFixture(mountRoot: string): Hierarchy[] {
  if (existsSync(join(mountRoot, 'cgroup.controllers'))) return [{ mountPoint: mountRoot, root: '/', controllers: [], v2: true }];
  const out: Hierarchy[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(mountRoot).sort();
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(mountRoot, n);
    if (!lstatSync(p).isDirectory()) continue; // skips symlinks such as cpu -> cpu,cpuacct
    if (existsSync(join(p, 'cgroup.controllers'))) out.push({ mountPoint: p, root: '/', controllers: [], v2: true });
    else out.push({ mountPoint: p, root: '/', controllers: n.split(',').map((c) => (c === 'systemd' ? 'name=systemd' : c)), v2: false });
  }
  return out;
}

const cache = new Map<string, Hierarchy[]>();

/** The hierarchies mounted at or directly under mountRoot (first mount of each wins). */
export function findHierarchies(mountRoot = DEFAULT_ROOT, mountInfo?: string): Hierarchy[] {
  const key = mountRoot + '\0' + (mountInfo ?? '');
  const hit = cache.get(key);
  if (hit) return hit;
  const text = mountInfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
  const seen = new Set<string>();
  const found = parseMountInfo(text).filter((h) => {
    const under = h.mountPoint === mountRoot || h.mountPoint.startsWith(mountRoot.replace(/\/$/, '') + '/');
    if (!under || seen.has(h.mountPoint)) return false;
    seen.add(h.mountPoint);
    return true;
  });
  const res = found.length ? found : scanFixture(mountRoot);
  // Only real mounts are cached: fixture trees are created and removed by tests.
  if (found.length) cache.set(key, res);
  return res;
}

/** v2 if mountRoot itself is cgroup2; hybrid if cgroup2 is mounted under it (e.g. /sys/fs/cgroup/unified); else v1. */
export function detectCgroupMode(root = DEFAULT_ROOT, mountInfo?: string): CgroupMode {
  const hs = findHierarchies(root, mountInfo);
  if (hs.some((h) => h.v2 && h.mountPoint === root)) return 'v2';
  if (hs.some((h) => h.v2)) return 'hybrid';
  return 'v1';
}

/** Parses /proc/<pid>/cgroup: controller (or 'name=x', '' for v2) -> cgroup path. */
export function parseProcCgroup(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const c of m[1] === '' ? [''] : m[1].split(',')) out[c] = m[2];
  }
  return out;
}

/** The directory of the caller's own cgroup in a hierarchy (runc's GetOwnCgroupPath). */
export function ownCgroupDir(h: Hierarchy, self: Record<string, string>): string {
  const key = h.v2 ? '' : h.controllers.find((c) => c in self);
  const cg = key === undefined ? undefined : self[key];
  if (cg === undefined) return h.mountPoint;
  // Paths in /proc/self/cgroup are relative to the hierarchy root, the mount shows h.root of it.
  const rel = relative(h.root, cg);
  return rel.startsWith('..') ? h.mountPoint : join(h.mountPoint, rel);
}
