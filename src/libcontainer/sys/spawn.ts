// Starting the container init (and exec's process) with posix_spawn(3) through libc, not
// node:child_process: under Bun, loading that module cost ~1 ms and its spawn() another ~1 ms,
// both on the critical path of create, run and exec (measured in the compiled executable).
// What the child gets is what libuv gives it: the fds asked for at their numbers (inherited,
// not close-on-exec), the cwd, the environment, and every signal at its default and unblocked
// (an engine ignores SIGPIPE, and an ignored signal would stay ignored across execve).
import { check, fcntl, waitpid } from './libc';
import { ffi } from './ffi';
import { closeSync } from 'node:fs';

export interface Spawned {
  readonly pid: number;
  /** Its status as a shell reports it (the code, or 128 + the signal), once it has exited
   * (reap). */
  exited(): Promise<number>;
}

export interface SpawnOptions {
  /** argv[0] included. */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** fds[i] (an fd of ours) becomes the child's fd i; -1 leaves fd i as it is (0-2: inherited). */
  fds: number[];
}

// glibc's posix_spawnattr_t is 336 bytes and posix_spawn_file_actions_t 80 on 64-bit
// architectures; sigset_t 128. Rounded up: they are only ever passed by address.
const ATTR_SIZE = 512, ACTIONS_SIZE = 256, SIGSET_SIZE = 128;
const POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;
const F_DUPFD_CLOEXEC = 1030, F_GETFD = 1;

let libc: ReturnType<typeof bind> | undefined;
function bind() {
  const f = ffi();
  return {
    spawn: f.func('int posix_spawn(void *, const char *, const void *, const void *, const char **, const char **)'),
    attrInit: f.func('int posix_spawnattr_init(void *)'),
    attrDestroy: f.func('int posix_spawnattr_destroy(void *)'),
    attrSetFlags: f.func('int posix_spawnattr_setflags(void *, int)'),
    attrSetSigDefault: f.func('int posix_spawnattr_setsigdefault(void *, const void *)'),
    attrSetSigMask: f.func('int posix_spawnattr_setsigmask(void *, const void *)'),
    actionsInit: f.func('int posix_spawn_file_actions_init(void *)'),
    actionsDestroy: f.func('int posix_spawn_file_actions_destroy(void *)'),
    addDup2: f.func('int posix_spawn_file_actions_adddup2(void *, int, int)'),
    addChdir: f.func('int posix_spawn_file_actions_addchdir_np(void *, const char *)'),
    strerror: f.func('const char *strerror(int)'),
  };
}

/** The posix_spawn functions return an error number rather than set errno. */
function ok(r: number, what: string): void {
  if (r !== 0) throw Object.assign(new Error(`${what}: ${String(libc!.strerror(r))}`), { errno: r });
}

function shellStatus(s: number): number {
  const termsig = s & 0x7f;
  return termsig === 0 ? (s >> 8) & 0xff : 128 + termsig;
}

/** Starts `file`; throws (with `errno`) when it could not be executed. */
export function spawnProcess(file: string, o: SpawnOptions): Spawned {
  libc ??= bind();
  const attr = Buffer.alloc(ATTR_SIZE);
  const actions = Buffer.alloc(ACTIONS_SIZE);
  // Each fd first goes above every number the child is given (close-on-exec, so the copies
  // end there): an fd of ours numbered like another one's target is not overwritten before
  // its own dup2.
  const copies: number[] = [];
  ok(libc.attrInit(attr), 'posix_spawnattr_init');
  ok(libc.actionsInit(actions), 'posix_spawn_file_actions_init');
  try {
    // Every bit set, glibc's own signals (32, 33) too: sigfillset leaves them out, and
    // posix_spawn sets a signal it handles that is not in this set to SIG_IGN in the child.
    const all = Buffer.alloc(SIGSET_SIZE, 0xff), none = Buffer.alloc(SIGSET_SIZE);
    ok(libc.attrSetSigDefault(attr, all), 'posix_spawnattr_setsigdefault');
    ok(libc.attrSetSigMask(attr, none), 'posix_spawnattr_setsigmask');
    ok(libc.attrSetFlags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK), 'posix_spawnattr_setflags');
    o.fds.forEach((fd, target) => {
      // stdio that is not open here (a caller that closed it) stays closed in the child.
      if (fd < 0 || (target < 3 && fd === target && fcntl(fd, F_GETFD, 0) < 0)) return;
      const copy = check(fcntl(fd, F_DUPFD_CLOEXEC, o.fds.length), `dup fd ${fd} for the child`);
      copies.push(copy);
      ok(libc!.addDup2(actions, copy, target), 'posix_spawn_file_actions_adddup2');
    });
    ok(libc.addChdir(actions, o.cwd), 'posix_spawn_file_actions_addchdir_np');
    const pidBuf = Buffer.alloc(4);
    ok(libc.spawn(pidBuf, file, actions, attr, o.argv, Object.entries(o.env).map(([k, v]) => `${k}=${v}`)), `exec ${file}`);
    const pid = pidBuf.readInt32LE(0);
    let status: Promise<number> | undefined;
    return {
      pid,
      exited: () => (status ??= reap(pid)),
    };
  } finally {
    for (const c of copies) closeSync(c);
    libc.actionsDestroy(actions);
    libc.attrDestroy(attr);
  }
}

/**
 * Our child `pid`'s shell status once it has exited (255 if it cannot be had), reaped without
 * a thread: waitpid(WNOHANG) now and at every SIGCHLD. (A blocking waitpid on the engine's
 * thread pool started its threads: ~0.5 ms of CPU per process.) The listener is installed
 * before the first look, so an exit in between is not missed; SIGCHLD listeners do not keep
 * the event loop alive, the timer does.
 */
export function reap(pid: number): Promise<number> {
  const status = Buffer.alloc(4);
  return new Promise((resolve) => {
    const keepAlive = setInterval(() => {}, 0x7fffffff);
    const look = () => {
      const r = waitpid(pid, status, 1 /* WNOHANG */);
      if (r === 0) return; // still running
      process.off('SIGCHLD', look);
      clearInterval(keepAlive);
      resolve(r === pid ? shellStatus(status.readInt32LE(0)) : 255);
    };
    process.on('SIGCHLD', look);
    look();
  });
}
