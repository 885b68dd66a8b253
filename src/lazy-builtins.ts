// Node built-ins that cost milliseconds to load under Bun (over `bun -e 0`: child_process
// ~2.7 ms, worker_threads ~5 ms, os ~0.35 ms): imported at the top of a module they are paid by every
// command and by every container init, whether it spawns anything or not. Loaded on first use.
import type * as ChildProcess from 'node:child_process';
import type * as WorkerThreads from 'node:worker_threads';
import type * as Os from 'node:os';

export const childProcess = (): typeof ChildProcess => require('node:child_process');
export const workerThreads = (): typeof WorkerThreads => require('node:worker_threads');
/** For its constants (errno and signal numbers), looked up only when needed. */
export const os = (): typeof Os => require('node:os');
