// Low-level cgroupfs file access. Everything is synchronous: `create` runs newManager+apply+set
// on every container start, and cgroupfs reads/writes never block on I/O.
import { closeSync, constants, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** 2^64-1 as cgroup files spell "max"/unlimited in stats (runc uses math.MaxUint64). Not exact as a double: see statsToJSON. */
export const MAX_U64 = 2 ** 64;

/** An error from a cgroup file operation: one line naming the file, the value and the errno. */
export class CgroupError extends Error {
  constructor(message: string, readonly code?: string, readonly file?: string, readonly value?: string) {
    super(message);
    this.name = 'CgroupError';
  }
}

type WriteHook = (path: string, value: string) => void;
let writeHook: WriteHook | undefined;
/** Test hook: observe every write (fixture files only keep the last value written). */
export function setWriteHook(hook: WriteHook | undefined): void {
  writeHook = hook;
}

function errText(e: NodeJS.ErrnoException): string {
  // "EBUSY: resource busy or locked, open '/x'" -> "EBUSY (resource busy or locked)"
  const m = /^(E[A-Z0-9]+): ([^,]*)/.exec(e.message);
  return m ? `${m[1]} (${m[2]})` : e.message.split('\n')[0];
}

/**
 * Writes `value` to dir/file in one write(2), as the kernel expects one value per write.
 * No O_CREAT: a missing file means the controller/knob is absent, and must not be created
 * in a fixture tree either.
 */
export function writeFile(dir: string, file: string, value: string): void {
  const path = join(dir, file);
  writeHook?.(path, value);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_TRUNC);
  } catch (e) {
    throw wrapErr(e, path, file, value);
  }
  try {
    writeSync(fd, value);
  } catch (e) {
    throw wrapErr(e, path, file, value);
  } finally {
    closeSync(fd);
  }
}

function wrapErr(e: unknown, path: string, file: string, value: string): Error {
  const err = e as NodeJS.ErrnoException;
  return new CgroupError(`cgroup: failed to write ${JSON.stringify(value)} to ${file} (${path}): ${errText(err)}`, err.code, path, value);
}

export function readFile(dir: string, file: string): string {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CgroupError(`cgroup: failed to read ${file} (${join(dir, file)}): ${errText(err)}`, err.code, join(dir, file));
  }
}

/** Reads a file, or undefined when it does not exist (optional knobs/controllers). */
export function readOptional(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function fileExists(dir: string, file: string): boolean {
  return existsSync(join(dir, file));
}

/** Parses one unsigned value as runc's GetCgroupParamUint: "max" -> MAX_U64, negatives -> 0. */
export function parseUint(s: string): number {
  const t = s.trim();
  if (t === 'max') return MAX_U64;
  const n = Number(t);
  if (!Number.isFinite(n)) throw new CgroupError(`cgroup: cannot parse ${JSON.stringify(t)} as a number`);
  return n < 0 ? 0 : n;
}

export function readUint(dir: string, file: string): number {
  return parseUint(readFile(dir, file));
}

export function readUintOptional(dir: string, file: string): number | undefined {
  const s = readOptional(dir, file);
  return s === undefined ? undefined : parseUint(s);
}

/** Parses "key value" lines (memory.stat, cpu.stat, ...). */
export function parseKeyValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = parseUint(v);
  }
  return out;
}

/** Integer to decimal without exponent or rounding artefacts (e.g. 9223372036854771712). */
export function fmtInt(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : BigInt(Math.trunc(n)).toString();
}

const sleepBuf = new Int32Array(new SharedArrayBuffer(4));
/** Synchronous sleep (freeze polling, EBUSY retries) without a subprocess. */
export function sleepMs(ms: number): void {
  Atomics.wait(sleepBuf, 0, 0, ms);
}
