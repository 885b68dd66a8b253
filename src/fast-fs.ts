// node:fs for the bundles (scripts/build.mjs resolves `node:fs` here): under Bun, loading
// node:fs costs every process ~1.2 ms (measured in a compiled executable; with node:path, which
// it loads too, ~2 ms), more than a third of what `runc-ts state` or `start` does beyond the
// engine's own start. The synchronous calls the everyday commands and the init make are done
// here through libc (sys/ffi.ts's addon, ~0.1 ms to load); anything else goes to the real
// node:fs, loaded then. A failure is reported as node:fs would (code, errno, syscall, path,
// message): with libuv's message where UV_ERRORS has it, else by making the call again in
// node:fs (a system call that failed changed nothing, and the second attempt fails alike).
// Under Node (node:fs is loaded at start-up anyway) or without the addon, this is node:fs.
import type * as NodeFs from 'node:fs';
import { ffiAddon, type Ffi } from './libcontainer/sys/ffi';
import { ARCH } from './libcontainer/sys/arch';

// The real module; `fs` without the node: prefix is not redirected here by the build.
const realFs = (): typeof NodeFs => require('fs');

interface Libc {
  open(path: string, flags: number, mode: number): number;
  close(fd: number): number;
  read(fd: number, buf: Buffer, len: number): number;
  write(fd: number, buf: Buffer, len: number): number;
  access(path: string, mode: number): number;
  unlink(path: string): number;
  rmdir(path: string): number;
  rename(from: string, to: string): number;
  chmod(path: string, mode: number): number;
  mkdir(path: string, mode: number): number;
  readlink(path: string, buf: Buffer, len: number): number;
  symlink(target: string, path: string): number;
  getdents64(fd: number, buf: Buffer, len: number): number;
  /** newfstatat(2) into a struct stat. */
  fstatat(dirfd: number, path: string, buf: Buffer, flags: number): number;
  realpath(path: string, resolved: Buffer): number;
  errno(): number;
}

export function bind(f: Ffi): Libc {
  // Each function is looked up (dlsym) on its first call: a command uses a few of them, and a
  // bundle binds its copy of this module when it loads.
  const lazy = (prototype: string): ((...args: any[]) => any) => {
    let fn: ((...args: any[]) => any) | undefined;
    return (...args) => (fn ??= f.func(prototype))(...args);
  };
  const syscall4 = lazy('long syscall(long, int, void *, size_t)');
  const syscall5 = lazy('long syscall(long, int, const char *, void *, int)');
  return {
    open: lazy('int open(const char *, int, unsigned int)'),
    close: lazy('int close(int)'),
    read: lazy('long read(int, void *, size_t)'),
    write: lazy('long write(int, const void *, size_t)'),
    access: lazy('int access(const char *, int)'),
    unlink: lazy('int unlink(const char *)'),
    rmdir: lazy('int rmdir(const char *)'),
    rename: lazy('int rename(const char *, const char *)'),
    chmod: lazy('int chmod(const char *, unsigned int)'),
    mkdir: lazy('int mkdir(const char *, unsigned int)'),
    readlink: lazy('long readlink(const char *, void *, size_t)'),
    symlink: lazy('int symlink(const char *, const char *)'),
    getdents64: (fd, buf, len) => syscall4(ARCH.sys.getdents64, fd, buf, len),
    fstatat: (dirfd, path, buf, flags) => syscall5(ARCH.sys.newfstatat, dirfd, path, buf, flags),
    realpath: lazy('long realpath(const char *, void *)'),
    errno: () => f.errno(),
  };
}

const O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0o100, O_EXCL = 0o200, O_TRUNC = 0o1000, O_APPEND = 0o2000;
const O_DIRECTORY = 0o200000, O_CLOEXEC = 0o2000000;
/** node:fs's string flags (the ones it documents without 's' and 'y' variants). */
const FLAGS: Record<string, number> = {
  r: O_RDONLY,
  'r+': O_RDWR,
  w: O_TRUNC | O_CREAT | O_WRONLY,
  wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  'w+': O_TRUNC | O_CREAT | O_RDWR,
  'wx+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  a: O_APPEND | O_CREAT | O_WRONLY,
  ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  'a+': O_APPEND | O_CREAT | O_RDWR,
  'ax+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
};
const ENCODINGS = new Set(['utf8', 'utf-8', 'latin1', 'binary', 'ascii', 'hex', 'base64']);

/** The encoding an options argument asks for ('' for a Buffer), or undefined for options handled elsewhere. */
function encodingOf(options: unknown, allowed: string[] = []): string | undefined {
  if (options === undefined || options === null) return '';
  if (typeof options === 'string') return ENCODINGS.has(options) ? options : undefined;
  if (typeof options !== 'object') return undefined;
  const o = options as Record<string, unknown>;
  if (Object.keys(o).some((k) => k !== 'encoding' && !allowed.includes(k))) return undefined;
  if (o.encoding === undefined || o.encoding === null) return '';
  return typeof o.encoding === 'string' && ENCODINGS.has(o.encoding) ? o.encoding : undefined;
}

/** libuv's messages (node:fs's, and Bun's) for the errors met in everyday paths; others are
 * left to node:fs to describe. */
const UV_ERRORS: Record<number, [string, string]> = {
  1: ['EPERM', 'operation not permitted'],
  2: ['ENOENT', 'no such file or directory'],
  3: ['ESRCH', 'no such process'],
  13: ['EACCES', 'permission denied'],
  16: ['EBUSY', 'resource busy or locked'],
  17: ['EEXIST', 'file already exists'],
  20: ['ENOTDIR', 'not a directory'],
  21: ['EISDIR', 'illegal operation on a directory'],
  22: ['EINVAL', 'invalid argument'],
  30: ['EROFS', 'read-only file system'],
  39: ['ENOTEMPTY', 'directory not empty'],
  40: ['ELOOP', 'too many symbolic links encountered'],
};

/** node:fs's error for a failed call on `path` (and `dest`), or undefined for an errno not known here. */
function fsError(errno: number, syscall: string, path: string, dest?: string): Error | undefined {
  const known = UV_ERRORS[errno];
  if (!known) return undefined;
  const [code, text] = known;
  const e = new Error(`${code}: ${text}, ${syscall} '${path}'${dest === undefined ? '' : ` -> '${dest}'`}`) as NodeJS.ErrnoException;
  e.errno = -errno;
  e.code = code;
  e.syscall = syscall;
  e.path = path;
  if (dest !== undefined) (e as { dest?: string }).dest = dest;
  return e;
}

/** struct stat's layout: x86-64's, or the generic one of arm64. */
const STAT = process.arch === 'x64'
  ? { size: 144, nlink: [16, 8], mode: 24, uid: 28, gid: 32, rdev: 40, blksize: [56, 8] }
  : { size: 128, nlink: [20, 4], mode: 16, uid: 24, gid: 28, rdev: 32, blksize: [56, 4] };
const S_IFMT = 0o170000;
const timeMs = (b: Buffer, off: number) => Number(b.readBigInt64LE(off)) * 1000 + Number(b.readBigInt64LE(off + 8)) / 1e6;

/** What statSync returns, from a struct stat: the fields and methods of fs.Stats. */
class FastStats {
  dev: number; ino: number; mode: number; nlink: number; uid: number; gid: number; rdev: number;
  size: number; blksize: number; blocks: number; atimeMs: number; mtimeMs: number; ctimeMs: number; birthtimeMs: number;
  constructor(b: Buffer) {
    const n = (at: number[]) => (at[1] === 8 ? Number(b.readBigUInt64LE(at[0]!)) : b.readUInt32LE(at[0]!));
    this.dev = Number(b.readBigUInt64LE(0));
    this.ino = Number(b.readBigUInt64LE(8));
    this.mode = b.readUInt32LE(STAT.mode);
    this.nlink = n(STAT.nlink);
    this.uid = b.readUInt32LE(STAT.uid);
    this.gid = b.readUInt32LE(STAT.gid);
    this.rdev = Number(b.readBigUInt64LE(STAT.rdev));
    this.size = Number(b.readBigInt64LE(48));
    this.blksize = n(STAT.blksize);
    this.blocks = Number(b.readBigInt64LE(64));
    this.atimeMs = timeMs(b, 72);
    this.mtimeMs = timeMs(b, 88);
    this.ctimeMs = timeMs(b, 104);
    this.birthtimeMs = 0;
  }
  get atime() { return new Date(this.atimeMs); }
  get mtime() { return new Date(this.mtimeMs); }
  get ctime() { return new Date(this.ctimeMs); }
  get birthtime() { return new Date(this.birthtimeMs); }
  isFile() { return (this.mode & S_IFMT) === 0o100000; }
  isDirectory() { return (this.mode & S_IFMT) === 0o040000; }
  isSymbolicLink() { return (this.mode & S_IFMT) === 0o120000; }
  isFIFO() { return (this.mode & S_IFMT) === 0o010000; }
  isSocket() { return (this.mode & S_IFMT) === 0o140000; }
  isCharacterDevice() { return (this.mode & S_IFMT) === 0o020000; }
  isBlockDevice() { return (this.mode & S_IFMT) === 0o060000; }
}

/** What readdirSync(dir, { withFileTypes: true }) returns, from a d_type. */
class FastDirent {
  constructor(readonly name: string, readonly parentPath: string, private readonly type: number) {}
  get path() { return this.parentPath; }
  isFile() { return this.type === 8; }
  isDirectory() { return this.type === 4; }
  isSymbolicLink() { return this.type === 10; }
  isFIFO() { return this.type === 1; }
  isSocket() { return this.type === 12; }
  isCharacterDevice() { return this.type === 2; }
  isBlockDevice() { return this.type === 6; }
}

/** fs with the calls below done through libc, or undefined where that is not to be. */
export function makeFastFs(libc: Libc): Partial<typeof NodeFs> {
  // A call made through node:fs instead: not handled here, or failed here (for its error).
  const real = (name: keyof typeof NodeFs, args: IArguments | unknown[]): any => (realFs()[name] as (...a: unknown[]) => unknown)(...Array.from(args));
  /** After a failed system call: node:fs's error, made here when it can be, else by node:fs. */
  const fail = (name: keyof typeof NodeFs, args: IArguments, syscall: string, path: string, dest?: string): any => {
    const e = fsError(libc.errno(), syscall, path, dest);
    if (e) throw e;
    return real(name, args);
  };

  function readAll(fd: number): Buffer | undefined {
    const chunks: Buffer[] = [];
    for (let size = 8192; ; size = Math.min(size * 2, 1 << 20)) {
      const b = Buffer.allocUnsafe(size);
      const n = libc.read(fd, b, size);
      if (n < 0) return undefined;
      if (n === 0) return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      chunks.push(n === size ? b : b.subarray(0, n));
    }
  }

  function openFlags(flags: unknown): number | undefined {
    if (flags === undefined || flags === null) return O_RDONLY;
    if (typeof flags === 'number') return flags;
    return typeof flags === 'string' ? FLAGS[flags] : undefined;
  }

  function stat(name: 'statSync' | 'lstatSync', args: IArguments, path: unknown, options: unknown, flags: number): any {
    // { throwIfNoEntry } alone; node:fs does the rest (bigint...).
    const keys = typeof options === 'object' && options !== null ? Object.keys(options) : [];
    if (typeof path !== 'string' || path === '' || !(options === undefined || (keys.length === 1 && keys[0] === 'throwIfNoEntry'))) return real(name, args);
    const b = Buffer.alloc(STAT.size);
    if (libc.fstatat(-100 /* AT_FDCWD */, path, b, flags) === 0) return new FastStats(b);
    const e = libc.errno();
    if (keys.length && (options as { throwIfNoEntry?: unknown }).throwIfNoEntry === false && (e === 2 || e === 20)) return undefined;
    return fail(name, args, name === 'statSync' ? 'stat' : 'lstat', path);
  }

  /** Names in a directory (without . and ..) with their d_type, or undefined on an error. */
  function listDir(path: string, flags = 0): { names: string[]; types: number[] } | undefined {
    const fd = libc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | flags, 0);
    if (fd < 0) return undefined;
    const names: string[] = [];
    const types: number[] = [];
    const buf = Buffer.allocUnsafe(32768);
    try {
      for (;;) {
        const n = libc.getdents64(fd, buf, buf.length);
        if (n < 0) return undefined;
        if (n === 0) return { names, types };
        // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        for (let off = 0; off < n; ) {
          const reclen = buf.readUInt16LE(off + 16);
          const end = buf.indexOf(0, off + 19);
          const name = buf.toString('utf8', off + 19, end < 0 || end > off + reclen ? off + reclen : end);
          if (name !== '.' && name !== '..') {
            names.push(name);
            types.push(buf.readUInt8(off + 18));
          }
          off += reclen;
        }
      }
    } finally {
      libc.close(fd);
    }
  }

  /** rm -rf without following symbolic links: false on any failure (node:fs then does it all,
   * and reports its own error). */
  function removeTree(path: string): boolean {
    const b = Buffer.alloc(STAT.size);
    if (libc.fstatat(-100, path, b, 0x100 /* AT_SYMLINK_NOFOLLOW */) !== 0) return libc.errno() === 2 /* ENOENT */;
    if (!new FastStats(b).isDirectory()) return libc.unlink(path) === 0 || libc.errno() === 2;
    const list = listDir(path, 0o400000 /* O_NOFOLLOW */);
    if (!list) return false;
    for (const name of list.names) if (!removeTree(`${path}/${name}`)) return false;
    return libc.rmdir(path) === 0 || libc.errno() === 2;
  }

  /** mkdir -p: the first directory made (undefined: none), or false for node:fs to do it (and
   * report its error). */
  function mkdirp(path: string, mode: number): string | undefined | false {
    if (libc.mkdir(path, mode) === 0) return path;
    const e = libc.errno();
    if (e === 17 /* EEXIST */) {
      const b = Buffer.alloc(STAT.size);
      return libc.fstatat(-100, path, b, 0) === 0 && new FastStats(b).isDirectory() ? undefined : false;
    }
    const parent = path.slice(0, path.lastIndexOf('/'));
    if (e !== 2 /* ENOENT */ || parent === '') return false;
    const first = mkdirp(parent, mode);
    if (first === false) return false;
    if (libc.mkdir(path, mode) !== 0 && libc.errno() !== 17) return false;
    return first ?? path;
  }

  return {
    existsSync(path: unknown) {
      if (typeof path !== 'string') return real('existsSync', arguments);
      return path !== '' && libc.access(path, 0 /* F_OK */) === 0;
    },
    openSync(path: unknown, flags?: unknown, mode?: unknown): number {
      const f = openFlags(flags);
      if (typeof path !== 'string' || f === undefined || !(mode === undefined || mode === null || typeof mode === 'number')) return real('openSync', arguments);
      // libuv (node:fs) opens every file close-on-exec.
      const fd = libc.open(path, f | O_CLOEXEC, (mode as number | undefined) ?? 0o666);
      return fd >= 0 ? fd : fail('openSync', arguments, 'open', path);
    },
    closeSync(fd: unknown) {
      if (typeof fd !== 'number' || libc.close(fd) !== 0) return real('closeSync', arguments);
    },
    readFileSync(path: unknown, options?: unknown): any {
      const enc = encodingOf(options);
      if (typeof path !== 'string' || enc === undefined) return real('readFileSync', arguments);
      const fd = libc.open(path, O_RDONLY | O_CLOEXEC, 0);
      if (fd < 0) return fail('readFileSync', arguments, 'open', path);
      const data = readAll(fd);
      libc.close(fd);
      if (!data) return real('readFileSync', arguments);
      return enc ? data.toString(enc as BufferEncoding) : data;
    },
    writeFileSync(path: unknown, data: unknown, options?: unknown) {
      const enc = encodingOf(options, ['mode', 'flag']);
      const o = (typeof options === 'object' && options ? options : {}) as { mode?: unknown; flag?: unknown };
      const flags = openFlags(o.flag ?? 'w');
      const bytes = typeof data === 'string' ? Buffer.from(data, (enc || 'utf8') as BufferEncoding) : Buffer.isBuffer(data) ? data : undefined;
      if (typeof path !== 'string' || enc === undefined || flags === undefined || !bytes || !(o.mode === undefined || typeof o.mode === 'number')) return real('writeFileSync', arguments);
      const fd = libc.open(path, flags | O_CLOEXEC, (o.mode as number | undefined) ?? 0o666);
      if (fd < 0) return fail('writeFileSync', arguments, 'open', path);
      try {
        for (let off = 0; off < bytes.length; ) {
          const n = libc.write(fd, off ? bytes.subarray(off) : bytes, bytes.length - off);
          // Failed part-way: node:fs writes it all again, and throws its own error if it fails.
          if (n <= 0) return real('writeFileSync', arguments);
          off += n;
        }
      } finally {
        libc.close(fd);
      }
    },
    writeSync(fd: unknown, buffer: unknown, offset?: unknown, length?: unknown, position?: unknown): number {
      const plain = (p: unknown) => p === undefined || p === null;
      let bytes: Buffer | undefined;
      if (typeof buffer === 'string' && plain(offset) && plain(length)) bytes = Buffer.from(buffer);
      else if (Buffer.isBuffer(buffer) && plain(position) && (plain(offset) || typeof offset === 'number') && (plain(length) || typeof length === 'number')) {
        const off = (offset as number | undefined) ?? 0;
        const len = (length as number | undefined) ?? buffer.length - off;
        if (off >= 0 && len >= 0 && off + len <= buffer.length) bytes = buffer.subarray(off, off + len);
      }
      if (typeof fd !== 'number' || !bytes) return real('writeSync', arguments);
      const n = libc.write(fd, bytes, bytes.length);
      return n >= 0 ? n : real('writeSync', arguments);
    },
    readSync(fd: unknown, buffer: unknown, offset?: unknown, length?: unknown, position?: unknown): number {
      if (typeof fd !== 'number' || !Buffer.isBuffer(buffer) || !(position === undefined || position === null)) return real('readSync', arguments);
      const off = offset === undefined ? 0 : offset;
      const len = length === undefined ? buffer.length - (off as number) : length;
      if (typeof off !== 'number' || typeof len !== 'number' || off < 0 || len < 0 || off + len > buffer.length) return real('readSync', arguments);
      const n = libc.read(fd, off ? buffer.subarray(off) : buffer, len);
      return n >= 0 ? n : real('readSync', arguments);
    },
    unlinkSync(path: unknown) {
      if (typeof path !== 'string') return real('unlinkSync', arguments);
      if (libc.unlink(path) !== 0) return fail('unlinkSync', arguments, 'unlink', path);
    },
    rmdirSync(path: unknown, options?: unknown) {
      if (typeof path !== 'string' || options !== undefined) return real('rmdirSync', arguments);
      if (libc.rmdir(path) !== 0) return fail('rmdirSync', arguments, 'rmdir', path);
    },
    renameSync(from: unknown, to: unknown) {
      if (typeof from !== 'string' || typeof to !== 'string') return real('renameSync', arguments);
      if (libc.rename(from, to) !== 0) return fail('renameSync', arguments, 'rename', from, to);
    },
    chmodSync(path: unknown, mode: unknown) {
      if (typeof path !== 'string' || typeof mode !== 'number') return real('chmodSync', arguments);
      if (libc.chmod(path, mode) !== 0) return fail('chmodSync', arguments, 'chmod', path);
    },
    mkdirSync(path: unknown, options?: unknown): any {
      const o = (typeof options === 'object' && options !== null ? options : {}) as { recursive?: unknown; mode?: unknown };
      const known = typeof options !== 'object' || options === null || Object.keys(o).every((k) => k === 'recursive' || k === 'mode');
      const mode = options === undefined ? 0o777 : typeof options === 'number' ? options : o.mode === undefined ? 0o777 : o.mode;
      if (typeof path !== 'string' || typeof mode !== 'number' || !known) return real('mkdirSync', arguments);
      if (o.recursive === true) {
        // Absolute, normalised paths only (node:fs resolves the others first).
        if (!/^(\/[^/]+)+\/?$/.test(path) || /\/\.\.?(\/|$)/.test(path)) return real('mkdirSync', arguments);
        const made = mkdirp(path.replace(/\/$/, ''), mode);
        return made === false ? real('mkdirSync', arguments) : made;
      }
      if (libc.mkdir(path, mode) !== 0) return fail('mkdirSync', arguments, 'mkdir', path);
      return undefined;
    },
    readlinkSync(path: unknown, options?: unknown): any {
      const enc = encodingOf(options);
      if (typeof path !== 'string' || enc === undefined) return real('readlinkSync', arguments);
      const b = Buffer.allocUnsafe(4096);
      const n = libc.readlink(path, b, b.length);
      if (n < 0) return fail('readlinkSync', arguments, 'readlink', path);
      if (n === b.length) return real('readlinkSync', arguments);
      // Without an encoding, a string (utf8), unlike readFileSync.
      return b.toString((enc || 'utf8') as BufferEncoding, 0, n);
    },
    symlinkSync(target: unknown, path: unknown, type?: unknown) {
      if (typeof target !== 'string' || typeof path !== 'string' || type !== undefined) return real('symlinkSync', arguments);
      if (libc.symlink(target, path) !== 0) return fail('symlinkSync', arguments, 'symlink', target, path);
    },
    rmSync(path: unknown, options?: unknown): any {
      const o = options as { recursive?: unknown; force?: unknown } | undefined;
      const plain = typeof o === 'object' && o !== null && Object.keys(o).length === 2 && o.recursive === true && o.force === true;
      if (typeof path !== 'string' || path === '' || !plain || !removeTree(path)) return real('rmSync', arguments);
    },
    appendFileSync(path: unknown, data: unknown, options?: unknown) {
      if (typeof path !== 'string' || typeof data !== 'string' || options !== undefined) return real('appendFileSync', arguments);
      const bytes = Buffer.from(data);
      const fd = libc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o666);
      if (fd < 0) return fail('appendFileSync', arguments, 'open', path);
      try {
        for (let off = 0; off < bytes.length; ) {
          const n = libc.write(fd, off ? bytes.subarray(off) : bytes, bytes.length - off);
          if (n <= 0) return real('appendFileSync', [fd, bytes.subarray(off)]);
          off += n;
        }
      } finally {
        libc.close(fd);
      }
    },
    statSync(path: unknown, options?: unknown): any {
      return stat('statSync', arguments, path, options, 0);
    },
    lstatSync(path: unknown, options?: unknown): any {
      return stat('lstatSync', arguments, path, options, 0x100 /* AT_SYMLINK_NOFOLLOW */);
    },
    fstatSync(fd: unknown, options?: unknown): any {
      if (typeof fd !== 'number' || options !== undefined) return real('fstatSync', arguments);
      const b = Buffer.alloc(STAT.size);
      return libc.fstatat(fd, '', b, 0x1000 /* AT_EMPTY_PATH */) === 0 ? new FastStats(b) : real('fstatSync', arguments);
    },
    realpathSync(path: unknown, options?: unknown): any {
      if (typeof path !== 'string' || options !== undefined) return real('realpathSync', arguments);
      const b = Buffer.alloc(4097);
      if (libc.realpath(path, b) === 0) return real('realpathSync', arguments);
      return b.toString('utf8', 0, b.indexOf(0));
    },
    readdirSync(path: unknown, options?: unknown): any {
      const withTypes = typeof options === 'object' && options !== null && (options as { withFileTypes?: unknown }).withFileTypes === true;
      let enc = encodingOf(options);
      if (withTypes) {
        const { withFileTypes: _, recursive, ...rest } = options as { withFileTypes?: unknown; recursive?: unknown };
        enc = recursive ? undefined : encodingOf(rest);
      }
      if (typeof path !== 'string' || (enc !== '' && enc !== 'utf8' && enc !== 'utf-8')) return real('readdirSync', arguments);
      const list = listDir(path);
      if (!list) return fail('readdirSync', arguments, 'scandir', path);
      const { names, types } = list;
      // libuv's scandir sorts the names (strcmp order).
      const order = names.map((_, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
      if (!withTypes) return order.map((i) => names[i]);
      // A file system that does not fill in d_type (DT_UNKNOWN): node:fs stats each entry.
      if (types.includes(0)) return real('readdirSync', arguments);
      return order.map((i) => new FastDirent(names[i]!, path, types[i]!));
    },
  } as Partial<typeof NodeFs>;
}

// One per process, on globalThis: the lazily loaded chunks (spec-load.cjs...) carry their own copy
// of this module and use the CLI bundle's.
const FAST = Symbol.for('runc-ts.fast-fs');
const fast: Partial<typeof NodeFs> | undefined = ((globalThis as { [FAST]?: Partial<typeof NodeFs> | null })[FAST] ??= (() => {
  const ffi = process.versions.bun ? ffiAddon() : undefined;
  return ffi ? makeFastFs(bind(ffi)) : null;
})()) ?? undefined;

/** The call done here when it can be, else node:fs's (loaded on first use). */
function pick<K extends keyof typeof NodeFs>(name: K): (typeof NodeFs)[K] {
  return (fast?.[name] ?? ((...a: unknown[]) => (realFs()[name] as (...b: unknown[]) => unknown)(...a))) as (typeof NodeFs)[K];
}

// The names the sources import from node:fs (a missing one fails the build).
export const existsSync = pick('existsSync');
export const openSync = pick('openSync');
export const closeSync = pick('closeSync');
export const readFileSync = pick('readFileSync');
export const writeFileSync = pick('writeFileSync');
export const writeSync = pick('writeSync');
export const readSync = pick('readSync');
export const unlinkSync = pick('unlinkSync');
export const rmdirSync = pick('rmdirSync');
export const renameSync = pick('renameSync');
export const chmodSync = pick('chmodSync');
export const mkdirSync = pick('mkdirSync');
export const readlinkSync = pick('readlinkSync');
export const symlinkSync = pick('symlinkSync');
export const readdirSync = pick('readdirSync');
export const statSync = pick('statSync');
export const lstatSync = pick('lstatSync');
export const fstatSync = pick('fstatSync');
export const rmSync = pick('rmSync');
export const realpathSync = pick('realpathSync');
export const lchownSync = pick('lchownSync');
export const chownSync = pick('chownSync');
export const copyFileSync = pick('copyFileSync');
export const appendFileSync = pick('appendFileSync');
export const writeFile = pick('writeFile');
export const watch = pick('watch');
/** Linux's values of the flags the sources use; any other from node:fs. */
export const constants: typeof NodeFs.constants = new Proxy({ O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_CLOEXEC, O_NONBLOCK: 0o4000 } as unknown as typeof NodeFs.constants, {
  get: (known, key) => (key in known ? (known as any)[key] : (realFs().constants as any)[key]),
});
export type { Dirent, FSWatcher, Stats } from 'node:fs';
