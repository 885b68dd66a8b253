// Freezing: v1 freezer.state (FREEZING can stick while tasks fork: retry, thawing now and then,
// as runc does), v2 cgroup.freeze confirmed by "frozen 1" in cgroup.events.
import { CgroupError, readFile, readOptional, sleepMs, writeFile } from './fsutil';

export function freezeV1(dir: string): void {
  try {
    for (let i = 0; i < 1000; i++) {
      if (i % 50 === 49) {
        writeFile(dir, 'freezer.state', 'THAWED');
        sleepMs(10);
      }
      writeFile(dir, 'freezer.state', 'FROZEN');
      if (i % 25 === 24) sleepMs(1);
      const state = readFile(dir, 'freezer.state').trim();
      if (state === 'FROZEN') return;
      if (state !== 'FREEZING') throw new CgroupError(`cgroup: unexpected state ${state} while freezing ${dir}`);
    }
    throw new CgroupError(`cgroup: unable to freeze ${dir} (stuck in FREEZING)`);
  } catch (e) {
    // Never leave a cgroup half frozen.
    try {
      writeFile(dir, 'freezer.state', 'THAWED');
    } catch {
      /* keep the first error */
    }
    throw e;
  }
}

export function thawV1(dir: string): void {
  writeFile(dir, 'freezer.state', 'THAWED');
}

/** Frozen by itself (not merely through a frozen ancestor), as runc reports it. */
export function isFrozenV1(dir: string): boolean {
  for (let i = 0; i < 1000; i++) {
    const state = readFile(dir, 'freezer.state').trim();
    if (state === 'THAWED') return false;
    if (state === 'FROZEN') return (readOptional(dir, 'freezer.self_freezing') ?? '1').trim() === '1';
    sleepMs(1); // FREEZING: wait for a stable state
  }
  return false;
}

function eventsFrozen(dir: string): boolean {
  return /^frozen 1$/m.test(readFile(dir, 'cgroup.events'));
}

export function freezeV2(dir: string, timeoutMs = 10_000): void {
  writeFile(dir, 'cgroup.freeze', '1');
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; !eventsFrozen(dir); i++) {
    if (Date.now() > deadline) {
      try {
        writeFile(dir, 'cgroup.freeze', '0');
      } catch {
        /* keep the timeout error */
      }
      throw new CgroupError(`cgroup: timeout of ${timeoutMs}ms reached waiting for ${dir} to freeze`, 'ETIMEDOUT');
    }
    sleepMs(i < 10 ? 1 : 10);
  }
}

export function thawV2(dir: string): void {
  writeFile(dir, 'cgroup.freeze', '0');
}

export function isFrozenV2(dir: string): boolean {
  return (readOptional(dir, 'cgroup.freeze') ?? '0').trim() === '1';
}
