// Synchronous calls to systemd. The cgroup managers are synchronous (runc's and youki's are too:
// Go and Rust simply block), but every maintained D-Bus library for JavaScript is asynchronous.
// So the D-Bus connection lives in a worker thread, and the caller blocks on Atomics.wait until
// the worker has written the answer into shared memory. The worker starts on the first call
// only: commands that merely read the cgroup (state, ps, events, pause) never load D-Bus.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { workerThreads } from '../lazy-builtins';
import type { BusOptions } from './systemd-dbus';
import type { SystemdBus } from './systemd-dbus';

const ANSWER_BYTES = 64 * 1024;
// Longer than the library's own 30 s job timeout, so that one reports first.
const CALL_TIMEOUT_MS = 45_000;
// A worker that could not load its script (whose 'error' event a blocked thread never sees) is
// reported after this long without its "started" mark.
const START_TIMEOUT_MS = 15_000;
// Shared memory: int32 [answer ready, answer length, worker started], then the answer's JSON.
const HEADER_BYTES = 16;

type Ops = Pick<SystemdBus, 'version' | 'controlGroup' | 'startUnit' | 'stopUnit' | 'resetFailedUnit' | 'setUnitProperties'>;
type Sync<T> = { [K in keyof T]: T[K] extends (...a: infer A) => Promise<infer R> ? (...a: A) => R : never };
export type SystemdClient = Sync<Ops> & {
  /** Starts the worker and connects now, without waiting: overlaps with other start-up work. */
  warmUp(): void;
  close(): void;
};

/**
 * Starts the worker script: from the sources under tsx (tests), the .ts file; next to the Node
 * bundles, the bundled chunk through boot.cjs (the V8 code cache made at build time); under Bun,
 * that chunk, which the Bun executable embeds next to the CLI's (scripts/build.mjs).
 */
function startWorker(workerData: unknown): Worker {
  const file = join(__dirname, 'systemd-worker.cjs');
  const { Worker } = workerThreads();
  if (process.versions.bun) return new Worker(file, { workerData });
  if (__filename.endsWith('.ts')) {
    const src = JSON.stringify(join(__dirname, 'systemd-worker.ts'));
    return new Worker(`require('tsx/cjs'); require(${src});`, { eval: true, workerData });
  }
  // A missing script would only show as a worker 'error' event, which a blocked thread never sees.
  if (!existsSync(file)) throw new Error(`systemd: ${file} is missing (run the build)`);
  const boot = JSON.stringify(join(__dirname, 'boot.cjs'));
  return new Worker(`require(${boot})('systemd-worker.cjs');`, { eval: true, workerData });
}

export function systemdClient(opts: BusOptions = {}): SystemdClient {
  let worker: Worker | undefined;
  const sab = new SharedArrayBuffer(HEADER_BYTES + ANSWER_BYTES);
  const flag = new Int32Array(sab, 0, 3);
  const data = new Uint8Array(sab, HEADER_BYTES);

  let pending: string | undefined;

  const post = (op: keyof Ops, args: unknown[]) => {
    if (!worker) {
      worker = startWorker({ sab, bus: opts });
      // Never keeps the CLI alive: between calls the worker only waits for the next one.
      worker.unref();
    }
    Atomics.store(flag, 0, 0);
    worker.postMessage({ op, args });
    pending = op;
  };
  const answer = (): any => {
    const op = pending;
    pending = undefined;
    if (Atomics.wait(flag, 2, 0, START_TIMEOUT_MS) === 'timed-out') throw new Error(`systemd: the D-Bus worker thread did not start in ${START_TIMEOUT_MS / 1000} s`);
    if (Atomics.wait(flag, 0, 0, CALL_TIMEOUT_MS) === 'timed-out') throw new Error(`systemd: no answer to ${op} after ${CALL_TIMEOUT_MS / 1000} s`);
    const msg = JSON.parse(Buffer.from(data.subarray(0, flag[1])).toString());
    if (msg.error !== undefined) throw new Error(msg.error);
    return msg.ok;
  };
  const call = (op: keyof Ops, args: unknown[]): any => {
    // The warm-up's answer first (its error, e.g. no bus, is the one this call would get too).
    if (pending) answer();
    post(op, args);
    return answer();
  };

  return {
    warmUp: () => {
      if (!worker) post('version', []);
    },
    version: () => call('version', []),
    controlGroup: () => call('controlGroup', []),
    startUnit: (unit, props) => call('startUnit', [unit, props]),
    stopUnit: (unit) => call('stopUnit', [unit]),
    resetFailedUnit: (unit) => call('resetFailedUnit', [unit]),
    setUnitProperties: (unit, props) => call('setUnitProperties', [unit, props]),
    close: () => {
      void worker?.terminate();
      worker = undefined;
    },
  };
}
