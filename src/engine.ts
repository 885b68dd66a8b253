// Which JavaScript engine runs runc-ts, and how the container init is started with it.
//
// Two builds of the same sources (scripts/build.mjs):
// - the Node bundles (dist/*.cjs: the CLI, the init and lazily required chunks), run by node
//   with RUNC_TS_ENGINE=node or when there is no Bun on the machine;
// - the default: one Bun executable (dist/runc-ts-bun, `bun build --compile --bytecode`) that
//   embeds those same bundles, each as a file of its own, as bytecode; it starts in a few
//   milliseconds. koffi's addon stays in node_modules (Bun would extract an embedded one to a
//   temporary file on every start).
// bin/runc-ts is a symlink to dist/runc-ts: a small launcher (native/launcher.c) that sets the
// engine's options and executes the Bun executable (which becomes node for
// RUNC_TS_ENGINE=node), or without Bun a sh launcher of the Node bundles. The init always runs
// on the engine the CLI runs on.
import { dirname, join } from 'node:path';

/**
 * True inside the compiled Bun executable, whose entry lives in Bun's virtual /$bunfs (the
 * bundles embedded next to it keep their build-time paths as __dirname).
 */
export const BUN_EXECUTABLE = String((globalThis as { Bun?: { main?: string } }).Bun?.main ?? '').startsWith('/$bunfs/');

/**
 * dist/ of this installation, where nsexec.so lives: next to the executable, or next to the
 * bundles (the executable's own __dirname is a virtual file system).
 */
export const DIST_DIR = process.env._RUNCTS_DIST_DIR || (BUN_EXECUTABLE ? dirname(process.execPath) : __dirname);

/**
 * The environment that tells the container init where this installation is: it runs from a
 * detached mount of the executable (sealed-node.ts), whose path says nothing about dist/.
 */
export function initDistEnv(): Record<string, string> {
  return { _RUNCTS_DIST_DIR: DIST_DIR };
}

/**
 * Engine settings for the container init, which lives a few milliseconds before it execs:
 * - no JIT (as the CLI, native/launcher.c): its executable memory, compiler thread and code
 *   compiled once cost more than interpreting the init's run-once code. Measured alternating
 *   (task-clock of `run`, 25–31 rounds): 34.2 → 31.9 ms, 35.6 → 33.6; with a Docker-sized
 *   seccomp profile 42.6 → 39.6.
 * - no heap warm-up: once a process has allocated 1 MiB of heap, JavaScriptCore starts a thread
 *   that keeps heap blocks resident ahead of need ("JSCWarmUp"): CPU and pages spent for
 *   nothing (measured on `state`, where the same applies: 9.7 → 8.6 ms CPU).
 */
export function initEngineEnv(): Record<string, string> {
  return BUN_EXECUTABLE ? { BUN_JSC_useJIT: '0', BUN_JSC_useWarmUpMarkedBlocks: '0' } : {};
}

/** Arguments after the engine binary that make it run the container init. */
export function initArgs(): string[] {
  // The executable becomes the init when $_RUNCTS_INITPIPE is set (dist/bun-entry.cjs).
  return BUN_EXECUTABLE ? [] : [join(DIST_DIR, 'boot.cjs'), 'init.cjs'];
}

/**
 * koffi.node.poll (a libuv poll handle on an fd) exists under Node only: Bun has no
 * uv_poll_init_socket and aborts. Without it, callers fall back to their timers.
 */
export const HAS_UV_POLL = !process.versions.bun;
