// v2 memory controller (runc fs2/memory.go): memory.max, memory.swap.max (swap alone, not
// memory+swap), memory.low for the reservation. swappiness/disableOOMKiller/kernel have no v2
// equivalent and are ignored, as runc does.
import type { LinuxMemory } from '../../spec/types';
import { numToStr, swapToV2 } from '../convert';
import { CgroupError, readUintOptional, writeFile } from '../fsutil';
import { checkUsage } from '../v1/memory';

export function setMemoryV2(dir: string, m: LinuxMemory): void {
  const limit = m.limit ?? 0;
  const swap = swapToV2(m.swap ?? 0, limit);
  let swapStr = numToStr(swap);
  // memory == memory+swap: no swap at all.
  if (swapStr === '' && swap === 0 && (m.swap ?? 0) > 0) swapStr = '0';
  if (swapStr) {
    try {
      writeFile(dir, 'memory.swap.max', swapStr);
    } catch (e) {
      // No swap accounting: silently accept "max" and "0", as they change nothing.
      if (!((e as CgroupError).code === 'ENOENT' && (swapStr === 'max' || swapStr === '0'))) throw e;
    }
  }
  const limitStr = numToStr(limit);
  if (limitStr) {
    if (m.checkBeforeUpdate) checkUsage(dir, limit, 'memory.current');
    try {
      writeFile(dir, 'memory.max', limitStr);
    } catch (e) {
      if ((e as CgroupError).code === 'EBUSY') {
        throw new CgroupError(`cgroup: unable to set memory limit to ${limitStr} (current usage: ${readUintOptional(dir, 'memory.current')}): memory.max: EBUSY`, 'EBUSY', 'memory.max', limitStr);
      }
      throw e;
    }
  }
  const low = numToStr(m.reservation);
  if (low) writeFile(dir, 'memory.low', low);
}
