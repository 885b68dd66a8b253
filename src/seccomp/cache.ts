// Compiled seccomp filters, kept by what they were compiled from. Docker and Kubernetes give
// every container the same default profile, and compiling it (libseccomp, 3 architectures, ~360
// syscalls) took ~14 ms of each create's critical path: the init waited for it. An entry holds
// the whole key it was compiled for (the profile, libseccomp's version and API level, the
// kernel, the architecture, this build of runc-ts) and serves only a compilation of that same
// key; its file name is a hash of the key, so a collision costs a compilation, never a wrong
// filter. Best effort: a cache that cannot be read or written is no cache.
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import type { LinuxSeccomp } from '../spec/types';
import { compileSeccomp, type CompiledSeccomp } from './compile';
import { BPF_MAXINSNS, SOCK_FILTER_SIZE } from './constants';
import { libseccomp } from './libseccomp';
import { ffiAddon, type Ffi } from '../libcontainer/sys/ffi';

declare const __VERSION__: string;
declare const __COMMIT__: string;
const BUILD = `${typeof __VERSION__ === 'string' ? __VERSION__ : 'dev'}+${typeof __COMMIT__ === 'string' ? __COMMIT__ : 'source'}`;
/** Entries kept; the oldest go first. */
const MAX_ENTRIES = 64;

/** Where the cache lives: /run for root, $XDG_RUNTIME_DIR otherwise (both emptied at boot). */
export function defaultCacheDir(): string | undefined {
  if (process.geteuid?.() === 0) return '/run/runc-ts-cache/seccomp';
  const xdg = process.env.XDG_RUNTIME_DIR;
  return xdg ? join(xdg, 'runc-ts-cache', 'seccomp') : undefined;
}

/** What a compilation depends on, as one string. */
function cacheKey(spec: LinuxSeccomp): string {
  return JSON.stringify({ build: BUILD, arch: process.arch, kernel: release(), ...libseccompIdentity(), spec }, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));
}

const RTLD_NOW = 0x2;
const RTLD_GLOBAL = 0x100;
/**
 * libseccomp's version and API level, as the key holds them. Through ffi.node where it is here
 * (`native`): loading koffi (libstdc++) only to ask for two numbers cost ~1.8 ms of every
 * create whose profile is cached. A compilation loads koffi anyway.
 */
export function libseccompIdentity(native: Ffi | null = ffiAddon() ?? null): { libseccomp: string; api: number } {
  // RTLD_GLOBAL: ffi.node finds functions in every loaded library (dlsym of RTLD_DEFAULT).
  if (native?.func('void *dlopen(const char *file, int mode)')('libseccomp.so.2', RTLD_NOW | RTLD_GLOBAL)) {
    const v = new Uint32Array(3); // struct scmp_version { unsigned int major, minor, micro; }
    native.func('void *memcpy(void *dest, const void *src, size_t n)')(v, native.func('void *seccomp_version(void)')(), v.byteLength);
    return { libseccomp: `${v[0]}.${v[1]}.${v[2]}`, api: native.func('unsigned int seccomp_api_get(void)')() };
  }
  const lib = libseccomp();
  const v = lib.version();
  return { libseccomp: `${v.major}.${v.minor}.${v.micro}`, api: lib.apiGet() };
}

/** 16 hex digits of a hash of the key: a file name, not a proof (the key is compared in full).
 * Native: a character loop in the interpreter cost ~1 ms on Docker's profile (14 KB of key). */
function fileHash(s: string): string {
  const bun = (globalThis as { Bun?: { hash(s: string): bigint | number } }).Bun;
  if (bun) return BigInt.asUintN(64, BigInt(bun.hash(s))).toString(16).padStart(16, '0');
  return (require('node:crypto') as typeof import('node:crypto')).createHash('sha256').update(s).digest('hex').slice(0, 16);
}

/** Ours alone: a directory (or file) owned by us that nobody else may write. */
function ours(path: string, dir: boolean): boolean {
  try {
    const st = lstatSync(path);
    return (dir ? st.isDirectory() : st.isFile()) && st.uid === process.geteuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

interface Entry {
  key: string;
  flags: number;
  notify: boolean;
  bpf: string;
}

function read(file: string, key: string): CompiledSeccomp | undefined {
  if (!ours(file, false)) return undefined;
  try {
    const e = JSON.parse(readFileSync(file, 'utf8')) as Entry;
    if (e.key !== key || typeof e.flags !== 'number' || typeof e.notify !== 'boolean' || typeof e.bpf !== 'string') return undefined;
    const bpf = Buffer.from(e.bpf, 'base64');
    if (bpf.length === 0 || bpf.length % SOCK_FILTER_SIZE !== 0 || bpf.length / SOCK_FILTER_SIZE > BPF_MAXINSNS) return undefined;
    return { bpf, flags: e.flags, notify: e.notify };
  } catch {
    return undefined;
  }
}

function write(dir: string, file: string, key: string, c: CompiledSeccomp): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!ours(dir, true)) return;
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ key, flags: c.flags, notify: c.notify, bpf: c.bpf.toString('base64') } satisfies Entry));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    const names = readdirSync(dir);
    if (names.length > MAX_ENTRIES) {
      const byAge = names.map((n) => ({ n, t: lstatSync(join(dir, n)).mtimeMs })).sort((a, b) => a.t - b.t);
      for (const { n } of byAge.slice(0, names.length - MAX_ENTRIES)) unlinkSync(join(dir, n));
    }
  } catch {
    // no cache this time
  }
}

/** compileSeccomp, or what it returned for the same key before (`dir` null: no cache). */
export function compileSeccompCached(spec: LinuxSeccomp, dir: string | null = defaultCacheDir() ?? null): CompiledSeccomp {
  if (dir === null) return compileSeccomp(spec);
  let key: string;
  try {
    key = cacheKey(spec);
  } catch {
    // libseccomp missing or unusable: compileSeccomp says so in its own words.
    return compileSeccomp(spec);
  }
  const file = join(dir, `${fileHash(key)}.json`);
  if (ours(dir, true)) {
    const hit = read(file, key);
    if (hit) return hit;
  }
  const compiled = compileSeccomp(spec);
  write(dir, file, key, compiled);
  return compiled;
}
