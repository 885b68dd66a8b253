// Checks that a config mount's type and options show up in mountinfo exactly.
import { fail } from './assert';
import { MountInfo, mountAt } from './proc';

const FLAG_OPTS = new Set(['ro', 'rw', 'nosuid', 'nodev', 'noexec', 'noatime', 'nodiratime', 'relatime']);
const CLEARING: Record<string, string> = { suid: 'nosuid', dev: 'nodev', exec: 'noexec' };
const IGNORED = new Set(['bind', 'rbind', 'newinstance', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable', 'defaults', 'async', 'sync']);

function sizeKb(v: string): string {
  const m = /^(\d+)([kmg]?)$/i.exec(v);
  if (!m) return v;
  const mult = { '': 1 / 1024, k: 1, m: 1024, g: 1024 * 1024 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return `${Math.round(Number(m[1]) * mult)}k`;
}

/** The superblock option as the kernel shows it (size in k, modes without leading zeros). */
function normalizeData(opt: string): string {
  const [k, v] = opt.split('=');
  if (v === undefined) return opt;
  if (k === 'size') return `size=${sizeKb(v)}`;
  if (k === 'mode' || k === 'ptmxmode') return `${k}=${v.replace(/^0+(?=\d)/, '')}`;
  return opt;
}

/** Fails unless a mount exists at `dest` with `fstype` (if given) and every option applied. */
export function assertMount(mounts: MountInfo[], dest: string, fstype: string | undefined, options: string[] = []): MountInfo {
  const m = mountAt(mounts, dest);
  if (!m) fail(`no mount at ${dest} in mountinfo (mount points: ${mounts.map((x) => x.mountPoint).join(' ')})`);
  if (fstype && m.fstype !== fstype) fail(`${dest}: fstype ${m.fstype}, expected ${fstype}`);
  for (const o of options) {
    if (IGNORED.has(o)) continue;
    if (FLAG_OPTS.has(o)) {
      if (!m.opts.includes(o)) fail(`${dest}: option ${o} not applied (mount options: ${m.opts.join(',')})`);
    } else if (CLEARING[o]) {
      if (m.opts.includes(CLEARING[o])) fail(`${dest}: option ${o} not applied (mount options: ${m.opts.join(',')})`);
    } else if (o === 'strictatime') {
      if (m.opts.includes('relatime') || m.opts.includes('noatime')) fail(`${dest}: strictatime not applied (mount options: ${m.opts.join(',')})`);
    } else if (o.includes('=')) {
      const want = normalizeData(o);
      // tmpfs does not show its default mode (1777).
      if (want === 'mode=1777' && m.fstype === 'tmpfs' && !m.superOpts.some((x) => x.startsWith('mode='))) continue;
      if (!m.superOpts.includes(want)) fail(`${dest}: ${o} not applied (superblock options: ${m.superOpts.join(',')})`);
    }
  }
  return m;
}
