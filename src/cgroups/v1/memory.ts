// v1 memory controller (runc 1.1 fs/memory.go semantics).
import type { LinuxMemory } from '../../spec/types';
import { CgroupError, fileExists, fmtInt, readUint, readUintOptional, writeFile } from '../fsutil';

const LIMIT = 'memory.limit_in_bytes';
const SWAP = 'memory.memsw.limit_in_bytes';

function setMemory(dir: string, limit: number): void {
  if (!limit) return;
  try {
    writeFile(dir, LIMIT, fmtInt(limit));
  } catch (e) {
    if ((e as CgroupError).code === 'EBUSY') {
      const usage = readUintOptional(dir, 'memory.usage_in_bytes');
      const peak = readUintOptional(dir, 'memory.max_usage_in_bytes');
      throw new CgroupError(`cgroup: unable to set memory limit to ${fmtInt(limit)} (current usage: ${usage}, peak usage: ${peak}): ${LIMIT}: EBUSY`, 'EBUSY', LIMIT, fmtInt(limit));
    }
    throw e;
  }
}

function setSwap(dir: string, swap: number): void {
  if (!swap) return;
  writeFile(dir, SWAP, fmtInt(swap));
}

/** Writes memory and memsw in the order the kernel accepts (memsw must stay >= memory). */
function setMemoryAndSwap(dir: string, limit: number, swap: number): void {
  // Unlimited memory with swap unset also lifts the swap limit (when swap accounting exists).
  if (limit === -1 && swap === 0 && fileExists(dir, SWAP)) swap = -1;
  if (limit !== 0 && swap !== 0) {
    const cur = readUint(dir, LIMIT);
    if (swap === -1 || cur < swap) {
      setSwap(dir, swap);
      setMemory(dir, limit);
      return;
    }
  }
  setMemory(dir, limit);
  setSwap(dir, swap);
}

/** memory.checkBeforeUpdate: refuse a limit below current usage instead of letting the kernel reclaim/OOM. */
export function checkUsage(dir: string, limit: number | undefined, usageFile: string): void {
  if (!limit || limit <= 0) return;
  const usage = readUintOptional(dir, usageFile);
  if (usage !== undefined && usage >= limit) {
    throw new CgroupError(`cgroup: rejecting memory limit ${fmtInt(limit)} below current usage ${usage}`, 'EBUSY', usageFile, fmtInt(limit));
  }
}

export function setMemoryV1(dir: string, m: LinuxMemory): void {
  if (m.checkBeforeUpdate) checkUsage(dir, m.limit, 'memory.usage_in_bytes');
  setMemoryAndSwap(dir, m.limit ?? 0, m.swap ?? 0);
  // Kernel memory (kmem) limits are deprecated and ignored, as runc 1.1 does; TCP kmem is
  // still honoured where the kernel has the file.
  if (m.kernelTCP && fileExists(dir, 'memory.kmem.tcp.limit_in_bytes')) {
    writeFile(dir, 'memory.kmem.tcp.limit_in_bytes', fmtInt(m.kernelTCP));
  }
  if (m.reservation) writeFile(dir, 'memory.soft_limit_in_bytes', fmtInt(m.reservation));
  if (m.disableOOMKiller) writeFile(dir, 'memory.oom_control', '1');
  if (m.swappiness !== undefined && m.swappiness !== -1) {
    if (m.swappiness < 0 || m.swappiness > 100) throw new CgroupError(`cgroup: invalid memory swappiness value: ${m.swappiness} (valid range is 0-100)`);
    writeFile(dir, 'memory.swappiness', String(m.swappiness));
  }
}
