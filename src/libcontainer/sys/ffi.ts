// How runc-ts calls into libc: native/ffi.c (dist/ffi.node), a Node-API addon that needs only
// libc and loads in ~0.1 ms, or, where it was not built or cannot load, koffi, whose addon
// links libstdc++ and costs ~1.8 ms to load in the CLI and again in the container init, both on
// the critical path of create, run and exec. Both give the same three things; libc.ts declares
// its functions through whichever is here. (libseccomp's bindings use koffi itself: structs.)
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import { join } from 'node:path';
import { DIST_DIR } from '../../engine';
import { getKoffi } from './koffi';

export interface Ffi {
  readonly name: 'ffi.node' | 'koffi';
  /** A libc function declared by its C prototype: integer, pointer and string arguments; an
   * integer or string (`const char *`) result. */
  func(prototype: string): (...args: any[]) => any;
  /** errno after the last call. */
  errno(): number;
  /** Where a Buffer's bytes are: for pointers inside structs laid out by hand. */
  address(b: Buffer): bigint;
  /** Writes `text` to an existing file on a thread of its own, result ignored: 0, or -errno if
   * the thread could not start. Only ffi.node has it. */
  writeFileDetached?(path: string, text: string): number;
}

/** dist/ffi.node's exports (native/ffi.c). */
interface Addon {
  call(fn: number, kind: number, ...args: unknown[]): any;
  sym(name: string): number;
  errno(): number;
  address(b: Buffer): bigint;
  writeFileDetached(path: string, text: string): number;
}

/** How call() reads the result register (native/ffi.c's RET_*): a C int must be sign-extended
 * from 32 bits, the upper half of the register being undefined. */
const RESULT = { int: 0, uint: 1, long: 2, string: 3 } as const;

// Result types by their C spelling (single spaces; other pointers read as 'long').
const RESULT_TYPES: Record<string, keyof typeof RESULT> = {
  'const char *': 'string', 'const char*': 'string',
  long: 'long', 'unsigned long': 'long', size_t: 'long', ssize_t: 'long', int64_t: 'long', uint64_t: 'long', 'long long': 'long',
  int: 'int', int32_t: 'int', pid_t: 'int',
  'unsigned int': 'uint', unsigned: 'uint', uint32_t: 'uint', mode_t: 'uint', uid_t: 'uint', gid_t: 'uint',
};
const isWordChar = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '_';

/**
 * `int mount(const char *, ...)` → its name and how to read its result. (String operations, no
 * regular expressions or array builtins: every process binds its functions through here, and
 * without JIT the engine compiles each of those on first use.)
 */
export function parsePrototype(prototype: string): { name: string; result: keyof typeof RESULT } {
  const text = prototype.trim();
  const open = text.indexOf('(');
  const head = open > 0 && text.endsWith(')') ? text.slice(0, open).trimEnd() : '';
  let start = head.length;
  while (start > 0 && isWordChar(head[start - 1]!)) start--;
  const name = head.slice(start);
  if (!name || (name[0]! >= '0' && name[0]! <= '9')) throw new Error(`ffi: not a C prototype: ${prototype}`);
  let ret = '';
  // An index loop: for-of over a string goes through the engine's string iterator (a builtin).
  for (let i = 0; i < start; i++) {
    const c = head[i]!;
    if (c > ' ') ret += c;
    else if (ret && !ret.endsWith(' ')) ret += ' ';
  }
  ret = ret.trimEnd();
  const result = Object.hasOwn(RESULT_TYPES, ret) ? RESULT_TYPES[ret] : ret.endsWith('*') ? 'long' : undefined;
  if (!result) throw new Error(`ffi: result type "${ret}" of ${name} is not supported`);
  return { name, result };
}

function nativeFfi(addon: Addon): Ffi {
  return {
    name: 'ffi.node',
    func(prototype) {
      const { name, result } = parsePrototype(prototype);
      const fn = addon.sym(name);
      if (!fn) throw new Error(`ffi: libc has no function ${name}`);
      const kind = RESULT[result];
      return (...args) => addon.call(fn, kind, ...args);
    },
    errno: () => addon.errno(),
    address: (b) => addon.address(b),
    writeFileDetached: (path, text) => addon.writeFileDetached(path, text),
  };
}

function koffiFfi(koffi: typeof Koffi): Ffi {
  let libc: Koffi.LibraryHandle | undefined;
  const func = (prototype: string) => (libc ??= koffi.load('libc.so.6')).func(prototype);
  return {
    name: 'koffi',
    // koffi passes a JavaScript array as a C array without a NULL after it (argv, envp...):
    // the contract, and ffi.node, have one.
    func(prototype) {
      const f = func(prototype);
      return (...args) => f(...args.map((a) => (Array.isArray(a) && a[a.length - 1] !== null ? [...a, null] : a)));
    },
    errno: () => koffi.errno(),
    address: (b) => koffi.address(b) as bigint,
  };
}

/** dist/ffi.node (from `dir`), or undefined when it is missing or cannot load here. */
export function loadFfiAddon(dir = DIST_DIR): Ffi | undefined {
  try {
    const addon = { exports: {} as Addon };
    process.dlopen(addon, join(dir, 'ffi.node'));
    return typeof addon.exports.call === 'function' ? nativeFfi(addon.exports) : undefined;
  } catch {
    return undefined;
  }
}

/** koffi with the same contract (the fallback; tests hold both to it). */
export const koffiBackedFfi = (): Ffi => koffiFfi(getKoffi());

// Kept on globalThis: each lazily loaded chunk of the bundle (spec-load.cjs...) has its own copy of
// this module, and one load per process is enough.
const ADDON = Symbol.for('runc-ts.ffi-addon');
const shared = globalThis as { [ADDON]?: Ffi | null };
/** dist/ffi.node of this process, loaded on first use; undefined where it cannot be. */
export function ffiAddon(): Ffi | undefined {
  if (shared[ADDON] === undefined) shared[ADDON] = loadFfiAddon() ?? null;
  return shared[ADDON] ?? undefined;
}

let loaded: Ffi | undefined;
/** The FFI of this process, loaded on first use. */
export function ffi(): Ffi {
  return (loaded ??= ffiAddon() ?? koffiBackedFfi());
}
