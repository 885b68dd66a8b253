// RUNC_TS_TRACE=<file>: every process of runc-ts (the CLI, the container init) appends
// "<wall-clock ms> <pid> <event>" lines to <file> at the points of a launch where time goes,
// so one file shows a whole `run` across processes (bench/trace.mjs summarises it). Unset,
// it costs one lookup per call.
import { openSync, writeSync } from 'node:fs';

const file = process.env.RUNC_TS_TRACE;
// Wall-clock milliseconds with performance.now()'s resolution, comparable across processes.
const origin = Date.now() - performance.now();

// Opened once (O_APPEND, close-on-exec like every fd Node and Bun open): the init goes on
// tracing after pivot_root, where the file's path is gone.
let fd: number | undefined;

export function trace(event: string): void {
  if (!file) return;
  try {
    fd ??= openSync(file, 'a');
    writeSync(fd, `${(origin + performance.now()).toFixed(2)} ${process.pid} ${event}\n`);
  } catch {
    // tracing never fails a command
  }
}

/** The init's environment is built from scratch: it carries the variable on. */
export function traceEnv(): Record<string, string> {
  return file ? { RUNC_TS_TRACE: file } : {};
}
