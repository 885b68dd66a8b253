// v2 hugetlb and the free-form "unified" map.
import type { LinuxHugepageLimit } from '../../spec/types';
import { CgroupError, fmtInt, readOptional, writeFile } from '../fsutil';

export function setHugetlbV2(dir: string, limits: LinuxHugepageLimit[]): void {
  for (const h of limits) writeFile(dir, `hugetlb.${h.pageSize}.max`, fmtInt(h.limit));
}

/** linux.resources.unified: file name -> value, written last so it overrides the converted values. */
export function setUnified(dir: string, unified: Record<string, string>): void {
  const available = new Set((readOptional(dir, 'cgroup.controllers') ?? '').trim().split(/\s+/));
  for (const [k, v] of Object.entries(unified)) {
    if (k.includes('/')) throw new CgroupError(`cgroup: unified resource ${JSON.stringify(k)} must be a file name (no slashes)`);
    try {
      writeFile(dir, k, v);
    } catch (e) {
      const code = (e as CgroupError).code;
      if (code === 'ENOENT' || code === 'EPERM' || code === 'EACCES') {
        const [ctrl, param] = k.split('.', 2);
        if (!param) throw new CgroupError(`cgroup: unified resource ${JSON.stringify(k)} must be in the form CONTROLLER.PARAMETER`, code);
        if (!available.has(ctrl) && ctrl !== 'cgroup') throw new CgroupError(`cgroup: unified resource ${JSON.stringify(k)} can't be set: controller ${JSON.stringify(ctrl)} not available`, code);
      }
      throw new CgroupError(`cgroup: unable to set unified resource ${JSON.stringify(k)}: ${(e as Error).message.replace(/^cgroup: /, '')}`, code, k, v);
    }
  }
}
