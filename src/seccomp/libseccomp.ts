// libseccomp bindings through koffi, loaded on first use. Only the CLI (compile.ts,
// features.ts) comes here; the container's init installs raw BPF and never loads libseccomp.
// libseccomp functions return negative errno values on failure.
// koffi's typings are ESM ("type": "module"); take the types only and require() the CJS build.
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import koffi from '../libcontainer/sys/koffi';

export interface ScmpArgCmp {
  arg: number;
  op: number;
  datum_a: bigint;
  datum_b: bigint;
}

export interface LibSeccomp {
  init(defAction: number): bigint;
  release(ctx: bigint): void;
  archAdd(ctx: bigint, token: number): number;
  archResolveName(name: string): number;
  archNative(): number;
  syscallResolveName(name: string): number;
  syscallResolveNameArch(token: number, name: string): number;
  ruleAddArray(ctx: bigint, action: number, syscall: number, count: number, args: ScmpArgCmp[] | null): number;
  attrSet(ctx: bigint, attr: number, value: number): number;
  exportBpf(ctx: bigint, fd: number): number;
  version(): { major: number; minor: number; micro: number };
  apiGet(): number;
  memfdCreate(name: string, flags: number): number;
}

/** libseccomp's __NR_SCMP_ERROR: the name is not a syscall on any architecture it knows. */
export const NR_SCMP_ERROR = -1;

/** enum scmp_filter_attr */
export const ATTR = {
  ACT_DEFAULT: 1,
  ACT_BADARCH: 2,
  CTL_NNP: 3,
  CTL_TSYNC: 4,
  CTL_LOG: 6,
  CTL_SSB: 7,
  CTL_OPTIMIZE: 8,
} as const;

let cached: LibSeccomp | undefined;

export function libseccomp(): LibSeccomp {
  if (cached) return cached;
  let lib: Koffi.LibraryHandle;
  try {
    lib = koffi.load('libseccomp.so.2');
  } catch (e) {
    throw new Error(`seccomp: cannot load libseccomp.so.2 (is libseccomp installed?): ${(e as Error).message}`);
  }
  const libc = koffi.load('libc.so.6');
  const Version = koffi.struct({ major: 'uint', minor: 'uint', micro: 'uint' });
  const ArgCmp = koffi.struct({ arg: 'uint', op: 'int', datum_a: 'uint64_t', datum_b: 'uint64_t' });

  // scmp_filter_ctx is an opaque pointer; koffi 3 hands pointers over as bigint.
  const init = lib.func('void *seccomp_init(uint32_t def_action)');
  const release = lib.func('void seccomp_release(void *ctx)');
  const archAdd = lib.func('int seccomp_arch_add(void *ctx, uint32_t arch_token)');
  const archResolveName = lib.func('uint32_t seccomp_arch_resolve_name(const char *name)');
  const archNative = lib.func('uint32_t seccomp_arch_native(void)');
  const syscallResolveName = lib.func('int seccomp_syscall_resolve_name(const char *name)');
  const syscallResolveNameArch = lib.func('int seccomp_syscall_resolve_name_arch(uint32_t arch_token, const char *name)');
  const ruleAddArray = lib.func('seccomp_rule_add_array', 'int', ['void *', 'uint32_t', 'int', 'uint', koffi.pointer(ArgCmp)]);
  const attrSet = lib.func('int seccomp_attr_set(void *ctx, int attr, uint32_t value)');
  const exportBpf = lib.func('int seccomp_export_bpf(void *ctx, int fd)');
  const version = lib.func('seccomp_version', koffi.pointer(Version), []);
  const apiGet = lib.func('unsigned int seccomp_api_get(void)');
  const memfdCreate = libc.func('int memfd_create(const char *name, unsigned int flags)');

  cached = {
    init: (a) => BigInt(init(a >>> 0) ?? 0),
    release: (c) => release(c),
    archAdd: (c, t) => archAdd(c, t >>> 0),
    archResolveName: (n) => archResolveName(n),
    archNative: () => archNative(),
    syscallResolveName: (n) => syscallResolveName(n),
    syscallResolveNameArch: (t, n) => syscallResolveNameArch(t >>> 0, n),
    ruleAddArray: (c, a, s, n, args) => ruleAddArray(c, a >>> 0, s, n, args),
    attrSet: (c, a, v) => attrSet(c, a, v >>> 0),
    exportBpf: (c, fd) => exportBpf(c, fd),
    version: () => koffi.decode(version(), Version) as { major: number; minor: number; micro: number },
    apiGet: () => apiGet(),
    memfdCreate: (n, f) => memfdCreate(n, f),
  };
  return cached;
}
