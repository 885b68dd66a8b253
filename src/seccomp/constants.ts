// Kernel and libseccomp constants for seccomp, and the OCI names that map onto them.
// Pure data: safe to load from the container's init (no native library is touched here).

/** Kernel filter return values (SECCOMP_RET_*), which libseccomp's SCMP_ACT_* equal. */
export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

/** The low 16 bits of a return value carry the errno (ERRNO) or the ptrace message (TRACE). */
export const RET_DATA_MASK = 0x0000ffff;
export const RET_ACTION_MASK = 0xffff0000;

/** EPERM is the errno runc uses for ERRNO and TRACE when the profile gives no errnoRet. */
export const EPERM = 1;
export const ENOSYS = 38;

export interface ActionInfo {
  /** The return value without data. */
  base: number;
  /** Whether errnoRet goes into the low 16 bits (ERRNO, TRACE). */
  takesData: boolean;
}

/**
 * OCI action names (runtime-spec config-linux.md "seccomp"). SCMP_ACT_KILL is KILL_THREAD,
 * as in libseccomp and runc.
 */
export const ACTIONS: Record<string, ActionInfo> = {
  SCMP_ACT_KILL: { base: RET.KILL_THREAD, takesData: false },
  SCMP_ACT_KILL_THREAD: { base: RET.KILL_THREAD, takesData: false },
  SCMP_ACT_KILL_PROCESS: { base: RET.KILL_PROCESS, takesData: false },
  SCMP_ACT_TRAP: { base: RET.TRAP, takesData: false },
  SCMP_ACT_ERRNO: { base: RET.ERRNO, takesData: true },
  SCMP_ACT_TRACE: { base: RET.TRACE, takesData: true },
  SCMP_ACT_ALLOW: { base: RET.ALLOW, takesData: false },
  SCMP_ACT_LOG: { base: RET.LOG, takesData: false },
  SCMP_ACT_NOTIFY: { base: RET.USER_NOTIF, takesData: false },
};

/** OCI operator names to libseccomp's enum scmp_compare. */
export const OPERATORS: Record<string, number> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

// AUDIT_ARCH_* building blocks (<linux/audit.h>, <linux/elf-em.h>).
const A64 = 0x80000000;
const LE = 0x40000000;
const MIPS_N32 = 0x20000000;
/** JS bitwise operators give signed 32-bit results; seccomp_data.arch is unsigned. */
const u32 = (v: number) => v >>> 0;

export interface ArchInfo {
  /** libseccomp's name for seccomp_arch_resolve_name(). */
  scmp: string;
  /** The AUDIT_ARCH_* value the kernel puts in seccomp_data.arch. */
  audit: number;
}

/**
 * OCI architecture names. SCMP_ARCH_X32 shares AUDIT_ARCH_X86_64 with x86_64 (x32 system
 * calls are told apart by bit 30 of the number); libseccomp gives it a token of its own.
 */
export const ARCHES: Record<string, ArchInfo> = {
  SCMP_ARCH_X86: { scmp: 'x86', audit: u32(3 | LE) },
  SCMP_ARCH_X86_64: { scmp: 'x86_64', audit: u32(62 | A64 | LE) },
  SCMP_ARCH_X32: { scmp: 'x32', audit: u32(62 | A64 | LE) },
  SCMP_ARCH_ARM: { scmp: 'arm', audit: u32(40 | LE) },
  SCMP_ARCH_AARCH64: { scmp: 'aarch64', audit: u32(183 | A64 | LE) },
  SCMP_ARCH_MIPS: { scmp: 'mips', audit: u32(8) },
  SCMP_ARCH_MIPS64: { scmp: 'mips64', audit: u32(8 | A64) },
  SCMP_ARCH_MIPS64N32: { scmp: 'mips64n32', audit: u32(8 | A64 | MIPS_N32) },
  SCMP_ARCH_MIPSEL: { scmp: 'mipsel', audit: u32(8 | LE) },
  SCMP_ARCH_MIPSEL64: { scmp: 'mipsel64', audit: u32(8 | A64 | LE) },
  SCMP_ARCH_MIPSEL64N32: { scmp: 'mipsel64n32', audit: u32(8 | A64 | LE | MIPS_N32) },
  SCMP_ARCH_PPC: { scmp: 'ppc', audit: u32(20) },
  SCMP_ARCH_PPC64: { scmp: 'ppc64', audit: u32(21 | A64) },
  SCMP_ARCH_PPC64LE: { scmp: 'ppc64le', audit: u32(21 | A64 | LE) },
  SCMP_ARCH_S390: { scmp: 's390', audit: u32(22) },
  SCMP_ARCH_S390X: { scmp: 's390x', audit: u32(22 | A64) },
  SCMP_ARCH_PARISC: { scmp: 'parisc', audit: u32(15) },
  SCMP_ARCH_PARISC64: { scmp: 'parisc64', audit: u32(15 | A64) },
  SCMP_ARCH_RISCV64: { scmp: 'riscv64', audit: u32(243 | A64 | LE) },
  SCMP_ARCH_LOONGARCH64: { scmp: 'loongarch64', audit: u32(258 | A64 | LE) },
};

/** x32 system call numbers have this bit set (__X32_SYSCALL_BIT). */
export const X32_SYSCALL_BIT = 0x40000000;

/** seccomp(2) operations. */
export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_GET_ACTION_AVAIL = 2;

/** seccomp(2) SECCOMP_SET_MODE_FILTER flags. */
export const FILTER_FLAG = {
  TSYNC: 1 << 0,
  LOG: 1 << 1,
  SPEC_ALLOW: 1 << 2,
  NEW_LISTENER: 1 << 3,
  TSYNC_ESRCH: 1 << 4,
  WAIT_KILLABLE_RECV: 1 << 5,
} as const;

/** The flags a profile may name (runtime-spec "flags"), in runc's order. */
export const FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: FILTER_FLAG.TSYNC,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: FILTER_FLAG.SPEC_ALLOW,
  SECCOMP_FILTER_FLAG_LOG: FILTER_FLAG.LOG,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: FILTER_FLAG.WAIT_KILLABLE_RECV,
};

/** __NR_seccomp for the architectures node runs on (process.arch). */
export const SYS_SECCOMP: Record<string, number> = {
  x64: 317,
  ia32: 354,
  arm64: 277,
  riscv64: 277,
  loong64: 277,
  arm: 383,
  ppc64: 358,
  s390x: 348,
  mips64el: 5312,
};

/** Each struct sock_filter is { u16 code; u8 jt; u8 jf; u32 k; }. */
export const SOCK_FILTER_SIZE = 8;
/** BPF_MAXINSNS: the kernel refuses longer programs. */
export const BPF_MAXINSNS = 4096;
