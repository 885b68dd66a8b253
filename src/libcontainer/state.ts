// Container state on disk: <root>/<id>/state.json (written atomically) plus exec.fifo while
// the container is "created". The status is never stored: like runc, it is derived from the
// init process (alive and the same process, by start time), the fifo and the freezer.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerStatus, Spec } from '../spec/types';
import { flock, check } from './sys/libc';
import { RuntimeError } from './errors';
import { parseJsonObject } from '../spec/json';

export interface SavedState {
  id: string;
  bundle: string;
  rootfs: string;
  /** The init's pid (0 while creating) and its start time (field 22 of /proc/<pid>/stat). */
  pid: number;
  pidStartTime: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  config: Spec;
  /** What the cgroup manager saved (src/cgroups), or null when cgroups are not used. */
  cgroup: unknown;
  /** /proc/<pid>/ns/<type> of the init at creation, for exec and for joiners. */
  namespacePaths: Record<string, string>;
  /** Set once `start` released the init (the fifo is gone). */
  started?: boolean;
  rootless?: boolean;
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

  /** Creates the directory; fails if a container with this id exists. */
  create(): void {
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    try {
      mkdirSync(this.dir, { mode: 0o711 });
    } catch (e: any) {
      if (e.code === 'EEXIST') throw new RuntimeError('container with given ID already exists');
      throw e;
    }
  }

  /** Serialises commands on one container (flock on the directory itself). */
  lock(): this {
    if (this.lockFd >= 0) return this;
    try {
      this.lockFd = openSync(this.dir, 'r');
    } catch (e: any) {
      if (e.code === 'ENOENT') throw new RuntimeError('container does not exist');
      throw e;
    }
    check(flock(this.lockFd, 2 /* LOCK_EX */), `lock ${this.dir}`);
    return this;
  }

  unlock(): void {
    if (this.lockFd >= 0) closeSync(this.lockFd);
    this.lockFd = -1;
  }

  read(): SavedState {
    let text: string;
    try {
      text = readFileSync(join(this.dir, STATE_NAME), 'utf8');
    } catch (e: any) {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new RuntimeError('container does not exist');
      throw e;
    }
    const path = join(this.dir, STATE_NAME);
    const s = parseJsonObject(text, path, (m) => new RuntimeError(m));
    if (typeof s.pid !== 'number' || typeof s.config !== 'object' || s.config === null) throw new RuntimeError(`${path}: not a container state (no pid or config)`);
    return s as unknown as SavedState;
  }

  /** Atomic: a reader sees the old or the new file, never half of one. */
  write(s: SavedState): void {
    const tmp = join(this.dir, `.${STATE_NAME}.${process.pid}`);
    writeFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
    renameSync(tmp, join(this.dir, STATE_NAME));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
    this.unlock();
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

/** Field 22 (starttime) of /proc/<pid>/stat, or '' when the process is gone. */
export function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may contain spaces and parentheses: skip past the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? '';
  } catch {
    return '';
  }
}

/** True when `pid` is still the process that was recorded (not a zombie, not a reused pid). */
export function isInitAlive(s: SavedState): boolean {
  if (!s.pid) return false;
  try {
    const stat = readFileSync(`/proc/${s.pid}/stat`, 'latin1');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return false;
    return rest[19] === s.pidStartTime;
  } catch {
    return false;
  }
}

export function deriveStatus(st: StateDir, s: SavedState, isFrozen: () => boolean): ContainerStatus {
  if (!s.pid) return 'creating';
  if (!isInitAlive(s)) return 'stopped';
  // runc: a frozen cgroup means "paused", even before start (a created container can be paused).
  if (isFrozen()) return 'paused';
  if (existsSync(st.fifoPath)) return 'created';
  return 'running';
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
