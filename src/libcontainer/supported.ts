// Every config.json field is applied or refused: this is the list of what runc-ts refuses
// (with "not supported: <field>"), checked before anything is created.
import { existsSync, readFileSync } from 'node:fs';
import type { Spec } from '../spec/types';
import { RuntimeError } from './errors';

function notSupported(field: string, why = ''): never {
  throw new RuntimeError(`not supported: ${field}${why ? ` (${why})` : ''}`);
}

export function apparmorEnabled(): boolean {
  try {
    return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}

export function selinuxEnabled(): boolean {
  return existsSync('/sys/fs/selinux/enforce');
}

/** Throws for fields runc-ts cannot apply; returns warnings for fields it deliberately skips. */
export function checkSupported(spec: Spec): string[] {
  const warnings: string[] = [];
  for (const os of ['solaris', 'windows', 'vm', 'zos', 'freebsd'] as const) {
    if (spec[os] !== undefined) notSupported(os, 'runc-ts runs Linux containers');
  }
  const l = spec.linux;
  if (!l) notSupported('config without "linux"', 'runc-ts runs Linux containers');
  if (l.intelRdt) notSupported('linux.intelRdt');
  if (l.netDevices && Object.keys(l.netDevices).length) notSupported('linux.netDevices');
  if (l.seccomp?.listenerPath || (l.seccomp?.syscalls ?? []).some((s) => s.action === 'SCMP_ACT_NOTIFY') || l.seccomp?.defaultAction === 'SCMP_ACT_NOTIFY') {
    notSupported('linux.seccomp SCMP_ACT_NOTIFY');
  }
  (spec.mounts ?? []).forEach((m, i) => {
    if (m.uidMappings || m.gidMappings || (m.options ?? []).some((o) => o === 'idmap' || o === 'ridmap')) notSupported(`mounts[${i}] idmapped mount (${m.destination})`);
  });
  if (l.personality?.flags?.length) notSupported('linux.personality.flags');
  if (spec.process?.apparmorProfile && !apparmorEnabled()) {
    notSupported('process.apparmorProfile', 'AppArmor is not enabled on this host');
  }
  if (spec.process?.selinuxLabel && !selinuxEnabled()) {
    notSupported('process.selinuxLabel', 'SELinux is not enabled on this host');
  }
  if (spec.process?.selinuxLabel || (l.mountLabel && selinuxEnabled())) notSupported('SELinux labels');
  if (l.mountLabel) warnings.push('linux.mountLabel ignored: SELinux is not enabled on this host');
  if (l.resources?.rdma && Object.keys(l.resources.rdma).length) notSupported('linux.resources.rdma');
  return warnings;
}
