// Linux capability names and numbers (include/uapi/linux/capability.h).
import { readFileSync } from 'node:fs';

export const CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

/** The highest capability this kernel knows. */
export function lastCap(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    return CAPABILITIES.length - 1;
  }
}

export interface CapMasks {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
  /** Names the kernel or runc-ts does not know, once each and sorted: runc ignores them with a
   * warning listing them so. */
  unknown: string[];
}

export function capMasks(caps: { bounding?: string[]; effective?: string[]; permitted?: string[]; inheritable?: string[]; ambient?: string[] } = {}): CapMasks {
  const last = lastCap();
  const unknown = new Set<string>();
  const mask = (names: string[] = []) => {
    let m = 0n;
    for (const n of names) {
      const i = (CAPABILITIES as readonly string[]).indexOf(n.toUpperCase());
      if (i < 0 || i > last) unknown.add(n);
      else m |= 1n << BigInt(i);
    }
    return m;
  };
  return {
    bounding: mask(caps.bounding),
    effective: mask(caps.effective),
    permitted: mask(caps.permitted),
    inheritable: mask(caps.inheritable),
    ambient: mask(caps.ambient),
    unknown: [...unknown].sort(),
  };
}
