// One error family for everything the runtime reports. A RuntimeError carries a code that
// callers test (never the message text) and, when it wraps another failure, that failure as
// its cause. System-call failures (SysError in sys/libc.ts) are RuntimeErrors whose code is the
// errno name, like Node's own fs errors, so `e.code === 'EACCES'` holds for either.

/** What went wrong, for callers that decide on it; errno names (EACCES, ...) for system calls. */
export type ErrorCode =
  | 'INVALID_CONFIG' // bad bundle, flags or state input
  | 'NOT_FOUND' // no such container
  | 'EXISTS' // a container with this id exists
  | 'BAD_STATE' // the container is not in a state that allows the command
  | 'INIT_FAILED' // the container init reported an error or died
  | 'PROTOCOL' // the init sent something the CLI did not expect (or the reverse)
  | 'HOOK_FAILED'
  | 'FAULT_INJECTED' // RUNC_TS_FAULT (see launch.ts)
  | 'FAILED' // anything else
  | (string & {}); // errno names

export interface RuntimeErrorOptions {
  code?: ErrorCode;
  cause?: unknown;
  /** Exit status of the command (runc exits 1 for every error; exec 255 for its own). */
  exitCode?: number;
}

/** An error meant for the user: its message is printed as the one-line error of the command. */
export class RuntimeError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(message: string, opts: RuntimeErrorOptions | number = {}) {
    const o = typeof opts === 'number' ? { exitCode: opts } : opts;
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.code = o.code ?? 'FAILED';
    this.exitCode = o.exitCode ?? 1;
  }
}

/** The errno name of a Node or runtime error (`EACCES`), or undefined. */
export function errnoCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' && /^E[A-Z0-9]+$/.test(c) ? c : undefined;
}
