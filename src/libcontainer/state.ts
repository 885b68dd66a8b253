// Container state on disk: <root>/<id>/state.json (written atomically) plus exec.fifo while
// the container is "created". The status is never stored: like runc, it is derived from the
// init process (alive and the same process, by start time), the fifo and the freezer.
// The root and every container directory are 0700 (runc): another user may neither learn
// which ids exist nor reach exec.fifo.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerStatus, Spec } from '../spec/types';
import { SysError, flockOrErrno } from './sys/libc';
import { RuntimeError } from './errors';
import { parseJsonObject } from '../spec/json';
import { unmountLeftovers } from './sealed-node';

/** Bumped when the layout changes; a state file of another version is refused by name. */
export const STATE_VERSION = 1;

export interface SavedState {
  version: typeof STATE_VERSION;
  id: string;
  bundle: string;
  rootfs: string;
  /** The init's pid (0 while creating) and its start time (field 22 of /proc/<pid>/stat). */
  pid: number;
  pidStartTime: string;
  created: string;
  owner: string;
  /** The bundle's config.json as validated at create (annotations live here, once). */
  config: Spec;
  /** What the cgroup manager saved (src/cgroups), or null when cgroups are not used. */
  cgroup: unknown;
  rootless?: boolean;
}

/**
 * The one loader of state.json: parses, checks every field's type, and reads the version-0
 * layout (no `version`, with `annotations`, `namespacePaths`, `started`) by dropping what is
 * no longer kept. A bad file is an error naming the file and the field.
 */
export function parseState(text: string, file: string): SavedState {
  // Depth-checked, and null/arrays refused, naming the file.
  const raw: any = parseJsonObject(text, file, (m) => new RuntimeError(m, { code: 'INVALID_CONFIG' }));
  const bad = (what: string) => new RuntimeError(`${file}: invalid state: ${what}`, { code: 'INVALID_CONFIG' });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad('not an object');
  const version = raw.version ?? 0;
  if (version !== 0 && version !== STATE_VERSION) throw bad(`version ${JSON.stringify(version)} (this runc-ts reads ${STATE_VERSION})`);
  for (const k of ['id', 'bundle', 'rootfs', 'pidStartTime', 'created', 'owner'] as const) if (typeof raw[k] !== 'string') throw bad(`${k}: expected a string`);
  if (!Number.isInteger(raw.pid) || raw.pid < 0) throw bad('pid: expected a non-negative integer');
  if (raw.config === null || typeof raw.config !== 'object' || Array.isArray(raw.config)) throw bad('config: expected an object');
  if (raw.cgroup !== null && typeof raw.cgroup !== 'object') throw bad('cgroup: expected an object or null');
  if (raw.rootless !== undefined && typeof raw.rootless !== 'boolean') throw bad('rootless: expected a boolean');
  return { version: STATE_VERSION, id: raw.id, bundle: raw.bundle, rootfs: raw.rootfs, pid: raw.pid, pidStartTime: raw.pidStartTime, created: raw.created, owner: raw.owner, config: raw.config, cgroup: raw.cgroup ?? null, rootless: raw.rootless };
}

export const FIFO_NAME = 'exec.fifo';
const STATE_NAME = 'state.json';

/** The ids runc accepts: letters, digits, and _ + - . (not starting with . and not . or ..). */
const ID_RE = /^[\w+\-.]+$/;
export function validateId(id: string): void {
  if (!id) throw new RuntimeError('container id cannot be empty');
  if (!ID_RE.test(id) || id === '.' || id === '..' || id.length > 1024) throw new RuntimeError(`invalid container ID format: ${id}`);
}

export class StateDir {
  readonly dir: string;
  private lockFd = -1;

  constructor(
    readonly root: string,
    readonly id: string,
  ) {
    validateId(id);
    this.dir = join(root, id);
  }

  get fifoPath(): string {
    return join(this.dir, FIFO_NAME);
  }

  exists(): boolean {
    return existsSync(join(this.dir, STATE_NAME));
  }

  /**
   * Creates the directory and takes its lock at once (a `delete -f` of remains must wait for
   * the first state write); fails if a container with this id exists.
   */
  create(): this {
    if (mkdirSync(this.root, { recursive: true, mode: 0o700 }) === undefined) tightenRoot(this.root);
    try {
      mkdirSync(this.dir, { mode: 0o700 });
    } catch (e: any) {
      if (e.code === 'EEXIST') throw new RuntimeError('container with given ID already exists', { code: 'EXISTS' });
      throw e;
    }
    return this.lock();
  }

  /** Serialises commands on one container (flock on the directory itself). */
  lock(): this {
    if (this.lockFd >= 0) return this;
    try {
      this.lockFd = openSync(this.dir, 'r');
    } catch (e: any) {
      if (e.code === 'ENOENT') throw new RuntimeError('container does not exist', { code: 'NOT_FOUND' });
      throw e;
    }
    const r = flockOrErrno(this.lockFd, 2 /* LOCK_EX */);
    if (r < 0) {
      this.unlock();
      throw new SysError(`lock ${this.dir}`, -r);
    }
    return this;
  }

  unlock(): void {
    if (this.lockFd >= 0) closeSync(this.lockFd);
    this.lockFd = -1;
  }

  read(): SavedState {
    const file = join(this.dir, STATE_NAME);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e: any) {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new RuntimeError('container does not exist', { code: 'NOT_FOUND', cause: e });
      throw e;
    }
    return parseState(text, file);
  }

  /** Atomic: a reader sees the old or the new file, never half of one; no temp file stays. */
  write(s: SavedState): void {
    const tmp = join(this.dir, `.${STATE_NAME}.${process.pid}`);
    try {
      writeFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
      renameSync(tmp, join(this.dir, STATE_NAME));
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // never written
      }
      throw e;
    }
  }

  /** Removes the directory and whatever is in it (also mounts a killed older runc-ts left). */
  remove(): void {
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch (e: any) {
      if (e.code !== 'EBUSY') throw e;
      unmountLeftovers(this.dir);
      rmSync(this.dir, { recursive: true, force: true });
    }
    this.unlock();
  }
}

/** An existing root that others can read or search is made 0700 (older runc-ts made it 0711). */
function tightenRoot(root: string): void {
  try {
    const st = statSync(root);
    if (st.uid === process.geteuid?.() && (st.mode & 0o077) !== 0) chmodSync(root, st.mode & 0o700);
  } catch {
    // not ours to change
  }
}

export function listIds(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch (e: any) {
    // No root yet: no containers. Anything else (not a directory, no permission) is an error, as in runc.
    if (e.code === 'ENOENT') return [];
    throw new RuntimeError(`open ${root}: ${e.code === 'ENOTDIR' ? 'not a directory' : e.code === 'EACCES' ? 'permission denied' : e.message}`);
  }
  return names.filter((n) => ID_RE.test(n) && existsSync(join(root, n, STATE_NAME))).sort();
}

/** The fields of /proc/<pid>/stat after the command name (state first), or undefined when the
 * process is gone. */
export function procStatFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may contain spaces and parentheses: skip past the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** True when `pid` has exited (a zombie not reaped yet, or gone). */
export function hasExited(pid: number): boolean {
  const state = procStatFields(pid)?.[0];
  return state === undefined || state === 'Z' || state === 'X';
}

/** Field 22 (starttime) of /proc/<pid>/stat, or '' when the process is gone. */
export function processStartTime(pid: number): string {
  return procStatFields(pid)?.[19] ?? '';
}

/** True when `pid` is still the process that was recorded (not a zombie, not a reused pid). */
export function isInitAlive(s: SavedState): boolean {
  if (!s.pid) return false;
  const rest = procStatFields(s.pid);
  if (!rest || rest[0] === 'Z' || rest[0] === 'X') return false;
  return rest[19] === s.pidStartTime;
}

export function deriveStatus(st: StateDir, s: SavedState, isFrozen: () => boolean): ContainerStatus {
  if (!s.pid) return 'creating';
  if (!isInitAlive(s)) return 'stopped';
  // runc: a frozen cgroup means "paused", even before start (a created container can be paused).
  if (isFrozen()) return 'paused';
  if (existsSync(st.fifoPath) && initHoldsFifo(s.pid, st.fifoPath)) return 'created';
  return 'running';
}

/**
 * Whether the init still waits on exec.fifo (it holds it, O_PATH or open for writing, until it
 * execs): a `start` killed after it opened the fifo, which releases the init, but before it
 * removed it leaves the file behind while the program runs. Where /proc/<pid>/fd cannot be
 * read (a rootless CLI and its non-dumpable init) the fifo alone decides, as in runc.
 */
function initHoldsFifo(pid: number, fifo: string): boolean {
  let want: { dev: number; ino: number };
  let fds: string[];
  try {
    want = statSync(fifo);
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return true;
  }
  return fds.some((fd) => {
    try {
      const st = statSync(`/proc/${pid}/fd/${fd}`);
      return st.ino === want.ino && st.dev === want.dev;
    } catch {
      return false;
    }
  });
}

export function ownerOf(path: string): string {
  try {
    const uid = statSync(path).uid;
    if (uid === 0) return 'root';
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(uid));
    return line ? line.split(':')[0]! : `#${uid}`;
  } catch {
    return '';
  }
}
