// What runc checks before a container's cgroup is created or joined (runc 1.1's config validator
// and factory Create): resources this host's cgroup mode cannot honour, and a target cgroup that
// is frozen or already populated. Called before the init is spawned, so a refusal leaves nothing.
import type { LinuxResources } from '../spec/types';
import { swapToV2 } from './convert';
import { CgroupError } from './fsutil';
import { V1_SETTERS } from './manager-v1';
import type { CgroupManager } from './types';

function invalid(field: string, why: string): CgroupError {
  return new CgroupError(`invalid configuration: linux.resources.${field}: ${why}`, 'EINVAL');
}

/**
 * Refuses resources the manager's cgroup version cannot apply, with one line naming the field.
 * runc 1.1 refuses `unified` on v1 up front and the rest only when writing the files (after the
 * init is running); refusing all of them here gives the same error class with nothing started.
 */
export function validateResources(m: Pick<CgroupManager, 'version' | 'paths'>, r: LinuxResources | undefined): void {
  if (!r) return;
  if (m.version === 1) {
    // runc's exact text (cgroups.ErrV1NoUnified): callers match on it.
    if (r.unified && Object.keys(r.unified).length) throw new CgroupError('invalid configuration: cannot use unified on cgroup v1', 'EINVAL');
    const paths = m.paths();
    for (const [ctrl, field, wanted] of V1_SETTERS) {
      // devices: newManager refuses a host without it, unless device control is skipped.
      if (ctrl !== 'devices' && wanted(r) && !paths[ctrl]) throw invalid(field, `cannot set ${ctrl} limit: the ${ctrl} controller is not mounted on this host`);
    }
    const sw = r.memory?.swappiness;
    if (sw !== undefined && sw !== -1 && (sw < 0 || sw > 100)) throw invalid('memory.swappiness', `invalid memory swappiness value: ${sw} (valid range is 0-100)`);
  } else {
    if (r.network?.classID) throw invalid('network.classID', 'net_cls is not available on cgroup v2');
    if (r.network?.priorities?.length) throw invalid('network.priorities', 'net_prio is not available on cgroup v2');
    for (const k of Object.keys(r.unified ?? {})) {
      if (k.includes('/') || !/^[^.]+\.[^.]/.test(k)) throw invalid(`unified[${JSON.stringify(k)}]`, 'must be a file name of the form CONTROLLER.PARAMETER');
    }
  }
  // memory.swap is memory+swap on both versions: the kernel (v1 memsw) and runc's v2 conversion
  // refuse the same combinations.
  if (r.memory?.swap) {
    try {
      swapToV2(r.memory.swap, r.memory.limit ?? 0);
    } catch (e) {
      throw invalid('memory.swap', (e as Error).message.replace(/^cgroup: /, ''));
    }
  }
}

/**
 * The cgroup about to be joined, as runc 1.1 checks it: frozen is an error (the init would hang
 * in it), populated is a warning (runc 1.1 still allows it).
 */
export function checkTargetCgroup(m: CgroupManager, warn: (msg: string) => void): void {
  const pids = m.exists() ? m.pids() : [];
  if (pids.length) {
    warn(`container's cgroup is not empty: ${pids.length} process(es) found`);
    warn('DEPRECATED: running a container in a non-empty cgroup will not be supported in future releases (runc 1.2 refuses it; https://github.com/opencontainers/runc/issues/3132)');
  }
  let frozen = false;
  try {
    frozen = m.isFrozen();
  } catch (e) {
    // Not created yet (v1 freezer dir missing): nothing can be frozen.
    if ((e as CgroupError).code !== 'ENOENT') throw e;
  }
  if (frozen) throw new CgroupError("container's cgroup unexpectedly frozen", 'EBUSY');
}

/** Both checks, in runc's order; returns the manager so that a refusal never assigns it. */
export function preflight(m: CgroupManager, r: LinuxResources | undefined, warn: (msg: string) => void): CgroupManager {
  validateResources(m, r);
  checkTargetCgroup(m, warn);
  return m;
}
