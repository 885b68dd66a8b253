// v2 cpu and cpuset (runc fs2/cpu.go): cpu.weight from shares, cpu.max = "quota period",
// cpu.max.burst, cpu.idle. RT runtime/period have no v2 files and are ignored, as runc does.
import type { LinuxCPU } from '../../spec/types';
import { sharesToWeight } from '../convert';
import { CgroupError, fmtInt, writeFile } from '../fsutil';

export function setCpuV2(dir: string, c: LinuxCPU): void {
  const weight = sharesToWeight(c.shares ?? 0);
  if (weight) writeFile(dir, 'cpu.weight', String(weight));
  if (c.idle !== undefined) writeFile(dir, 'cpu.idle', fmtInt(c.idle));
  let burst = '';
  if (c.burst !== undefined) {
    burst = fmtInt(c.burst);
    try {
      writeFile(dir, 'cpu.max.burst', burst);
      burst = '';
    } catch (e) {
      // A burst above the old quota is refused (EINVAL): retry once the new quota is in.
      if ((e as CgroupError).code !== 'EINVAL' || !c.quota) throw e;
    }
  }
  if (c.quota || c.period) {
    let s = c.quota && c.quota > 0 ? fmtInt(c.quota) : 'max';
    if (c.period) s += ' ' + fmtInt(c.period);
    writeFile(dir, 'cpu.max', s);
    if (burst) writeFile(dir, 'cpu.max.burst', burst);
  }
}

export function setCpusetV2(dir: string, c: LinuxCPU): void {
  if (c.cpus) writeFile(dir, 'cpuset.cpus', c.cpus);
  if (c.mems) writeFile(dir, 'cpuset.mems', c.mems);
}
