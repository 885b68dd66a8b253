// How runc-ts calls into libc: native/ffi.c (dist/ffi.node), a Node-API addon that needs only
// libc and loads in ~0.1 ms, or, where it was not built or cannot load, koffi, whose addon
// links libstdc++ and costs ~1.8 ms to load in the CLI and again in the container init, both on
// the critical path of create, run and exec. Both give the same four things; libc.ts declares
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
  /** waitpid(2) on a worker thread, never blocking the event loop: `done(result or -errno, status)`. */
  waitpidAsync(pid: number, options: number, done: (result: number, status: number) => void): void;
  /** Writes `text` to an existing file on a worker thread: `done(0 or -errno)`. Only ffi.node has it. */
  writeFileAsync?(path: string, text: string, done: (result: number) => void): void;
}

/** dist/ffi.node's exports (native/ffi.c). */
interface Addon {
  call(fn: number, kind: number, ...args: unknown[]): any;
  sym(name: string): number;
  errno(): number;
  address(b: Buffer): bigint;
  waitpidAsync(pid: number, options: number, done: (result: number, status: number) => void): void;
  writeFileAsync(path: string, text: string, done: (result: number) => void): void;
}

/** How call() reads the result register (native/ffi.c's RET_*): a C int must be sign-extended
 * from 32 bits, the upper half of the register being undefined. */
const RESULT = { int: 0, uint: 1, long: 2, string: 3 } as const;

/** `int mount(const char *, ...)` → its name and how to read its result. */
export function parsePrototype(prototype: string): { name: string; result: keyof typeof RESULT } {
  const m = /^\s*(.*?)\s*\b([A-Za-z_]\w*)\s*\((.*)\)\s*$/.exec(prototype);
  if (!m) throw new Error(`ffi: not a C prototype: ${prototype}`);
  const ret = m[1]!.replace(/\s+/g, ' ').trim();
  let result: keyof typeof RESULT;
  if (/^const char ?\*$/.test(ret)) result = 'string';
  else if (/\*$/.test(ret) || /^(long|unsigned long|size_t|ssize_t|int64_t|uint64_t|long long)$/.test(ret)) result = 'long';
  else if (/^(int|int32_t|pid_t)$/.test(ret)) result = 'int';
  else if (/^(unsigned int|unsigned|uint32_t|mode_t|uid_t|gid_t)$/.test(ret)) result = 'uint';
  else throw new Error(`ffi: result type "${ret}" of ${m[2]} is not supported`);
  return { name: m[2]!, result };
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
    waitpidAsync: (pid, options, done) => addon.waitpidAsync(pid, options, done),
    writeFileAsync: (path, text, done) => addon.writeFileAsync(path, text, done),
  };
}

function koffiFfi(koffi: typeof Koffi): Ffi {
  let libc: Koffi.LibraryHandle | undefined;
  const func = (prototype: string) => (libc ??= koffi.load('libc.so.6')).func(prototype);
  let waitpid: Koffi.KoffiFunc<any> | undefined;
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
    waitpidAsync(pid, options, done) {
      const status = Buffer.alloc(4);
      (waitpid ??= func('int waitpid(int, void *, int)')).async(pid, status, options, (err: unknown, r: number) =>
        done(err || r < 0 ? -(koffi.errno() || 4) /* EINTR: the caller looks again */ : r, status.readInt32LE(0)),
      );
    },
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
