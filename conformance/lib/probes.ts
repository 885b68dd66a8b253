// Small config edits and inside-the-container commands shared by cases.
import { decodeCaps, parseStatus } from './proc';

/** Adds a writable tmpfs on /tmp (the default rootfs is read-only). */
export function tmpTmpfs(c: any): void {
  c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
}

/**
 * Prints /proc/1/status: the container process itself (pid 1 of its pid namespace, the `sh` we
 * asked for), not a child that exec'd with its own capability computation.
 */
export const STATUS = 'cat /proc/1/status';

export function capSets(statusText: string): Record<'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient', string[]> {
  const s = parseStatus(statusText);
  return {
    bounding: decodeCaps(s.CapBnd ?? '0'),
    effective: decodeCaps(s.CapEff ?? '0'),
    permitted: decodeCaps(s.CapPrm ?? '0'),
    inheritable: decodeCaps(s.CapInh ?? '0'),
    ambient: decodeCaps(s.CapAmb ?? '0'),
  };
}

/** `stat` line for a path: type, major, minor (decimal), octal mode, uid, gid. */
export const statCmd = (path: string): string => `stat -c '%F %t %T %a %u %g' ${path}`;

export function parseStat(line: string): { type: string; major: number; minor: number; mode: string; uid: number; gid: number } {
  const f = line.trim().split(' ');
  const n = f.length;
  return { type: f.slice(0, n - 5).join(' '), major: parseInt(f[n - 5], 16), minor: parseInt(f[n - 4], 16), mode: f[n - 3], uid: Number(f[n - 2]), gid: Number(f[n - 1]) };
}
