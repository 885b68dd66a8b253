// Test helper: turns Docker's default profile (docker-default.json, Docker's format) into an OCI
// linux.seccomp the way Docker does (moby profiles/seccomp): keep the architectures of the
// native one's archMap entry, and the rules whose includes/excludes match arch and capabilities.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LinuxSeccomp, SeccompSyscall } from '../../spec/types';

interface DockerRule extends SeccompSyscall {
  comment?: string;
  includes?: { arches?: string[]; caps?: string[]; minKernel?: string };
  excludes?: { arches?: string[]; caps?: string[] };
}

interface DockerProfile {
  defaultAction: LinuxSeccomp['defaultAction'];
  defaultErrnoRet?: number;
  archMap: Array<{ architecture: string; subArchitectures: string[] | null }>;
  syscalls: DockerRule[];
}

/** Docker's default capability set. */
export const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const GO_ARCH: Record<string, [string, string]> = {
  // node arch: [Go arch used in includes/excludes, seccomp arch of the archMap entry]
  x64: ['amd64', 'SCMP_ARCH_X86_64'],
  arm64: ['arm64', 'SCMP_ARCH_AARCH64'],
  s390x: ['s390x', 'SCMP_ARCH_S390X'],
  riscv64: ['riscv64', 'SCMP_ARCH_RISCV64'],
};

export function dockerDefaultProfile(caps: string[] = DOCKER_DEFAULT_CAPS, arch = process.arch): LinuxSeccomp {
  const p = JSON.parse(readFileSync(join(__dirname, 'docker-default.json'), 'utf8')) as DockerProfile;
  const [goArch, scmpArch] = GO_ARCH[arch] ?? [arch, ''];
  const entry = p.archMap.find((m) => m.architecture === scmpArch);
  const syscalls: SeccompSyscall[] = [];
  for (const r of p.syscalls) {
    const inc = r.includes ?? {};
    const exc = r.excludes ?? {};
    if (inc.arches?.length && !inc.arches.includes(goArch)) continue;
    if (inc.caps?.length && !inc.caps.every((c) => caps.includes(c))) continue;
    if (exc.arches?.includes(goArch)) continue;
    if (exc.caps?.some((c) => caps.includes(c))) continue;
    const { names, action, errnoRet, args } = r;
    syscalls.push({ names, action, ...(errnoRet !== undefined ? { errnoRet } : {}), ...(args ? { args } : {}) });
  }
  return {
    defaultAction: p.defaultAction,
    ...(p.defaultErrnoRet !== undefined ? { defaultErrnoRet: p.defaultErrnoRet } : {}),
    architectures: entry ? [entry.architecture, ...(entry.subArchitectures ?? [])] : [],
    syscalls,
  };
}
