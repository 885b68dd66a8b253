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
  if (spec.process?.commandLine !== undefined) notSupported('process.commandLine', 'Windows only');
  if (spec.process?.user?.username !== undefined) notSupported('process.user.username', 'Windows only');
  const l = spec.linux;
  if (!l) notSupported('config without "linux"', 'runc-ts runs Linux containers');
  if (l.intelRdt) notSupported('linux.intelRdt');
  if ((l.seccomp?.syscalls ?? []).some((s) => s.action === 'SCMP_ACT_NOTIFY') && !l.seccomp?.listenerPath) {
    throw new RuntimeError('linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY');
  }
  if (l.personality?.flags?.length) notSupported('linux.personality.flags');
  checkConsistency(spec);
  if (spec.process?.apparmorProfile && !apparmorEnabled()) {
    notSupported('process.apparmorProfile', 'AppArmor is not enabled on this host');
  }
  if (spec.process?.selinuxLabel && !selinuxEnabled()) {
    notSupported('process.selinuxLabel', 'SELinux is not enabled on this host');
  }
  if (spec.process?.selinuxLabel || (l.mountLabel && selinuxEnabled())) notSupported('SELinux labels');
  if (l.mountLabel) warnings.push('linux.mountLabel ignored: SELinux is not enabled on this host');
  return warnings;
}

/** Rules of the spec that the schema cannot express. */
function checkConsistency(spec: Spec): void {
  const ns = new Set((spec.linux?.namespaces ?? []).map((n) => n.type));
  (spec.mounts ?? []).forEach((m, i) => {
    if (!m.destination.startsWith('/')) throw new RuntimeError(`mounts[${i}].destination: must be an absolute path, got "${m.destination}"`);
  });
  if (spec.hostname && !ns.has('uts')) throw new RuntimeError('hostname: unable to set hostname without a private UTS namespace');
  if (spec.domainname && !ns.has('uts')) throw new RuntimeError('domainname: unable to set domainname without a private UTS namespace');
  if ((spec.linux?.uidMappings?.length || spec.linux?.gidMappings?.length) && !ns.has('user')) throw new RuntimeError('linux.uidMappings: user namespace mappings require a user namespace');
  if (ns.has('user') && !(spec.linux?.namespaces ?? []).find((n) => n.type === 'user')!.path && !spec.linux?.uidMappings?.length) {
    throw new RuntimeError('linux.uidMappings: a new user namespace needs uid and gid mappings');
  }
  if (spec.linux?.timeOffsets && Object.keys(spec.linux.timeOffsets).length && !ns.has('time')) throw new RuntimeError('linux.timeOffsets: time offsets require a time namespace');
  for (const [k] of Object.entries(spec.linux?.sysctl ?? {})) {
    // Namespaced sysctls only, as runc validates: the others would change the host.
    const ok = (k.startsWith('net.') && ns.has('network')) || (/^(kernel\.(msg|sem|shm)|fs\.mqueue\.)/.test(k) && ns.has('ipc')) || ((k === 'kernel.hostname' || k === 'kernel.domainname') && ns.has('uts'));
    if (!ok) throw new RuntimeError(`linux.sysctl: sysctl "${k}" is not allowed: it is not namespaced or the container does not have that namespace`);
  }
}
