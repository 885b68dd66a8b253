// OCI hooks (config.md "Hooks"): the container state as JSON on stdin, args/env/timeout as
// configured. prestart, createRuntime, poststart and poststop run here, in the runtime's
// namespaces; createContainer and startContainer run in the init (init/main.ts) and share the
// helpers below, so both sides build the environment and report a failure the same way.
import type { execa as Execa } from 'execa' with { 'resolution-mode': 'import' };
import type { Hook, HookName, State } from '../spec/types';

export class HookError extends Error {}

/** A hook gets exactly its `env` ("KEY=VALUE"), nothing of ours (runc passes only these). */
export function hookEnv(h: Hook): Record<string, string> {
  return Object.fromEntries((h.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

/** How a hook ended, from either side's spawn result. */
export interface HookOutcome {
  timedOut?: boolean;
  exitCode?: number | null;
  signal?: string | null;
  /** The errno name when it could not be run at all (ENOENT, EACCES, ...). */
  spawnError?: string;
  output?: string;
}

/** The one-line error for a failed hook, or undefined when it succeeded. */
export function hookFailure(kind: HookName, h: Hook, o: HookOutcome): HookError | undefined {
  if (o.timedOut) return new HookError(`${kind} hook ${h.path}: timed out after ${h.timeout}s`);
  const why = o.spawnError ? cannotRun(o.spawnError) : o.signal ? `signal ${o.signal}` : o.exitCode ? `exit status ${o.exitCode}` : undefined;
  if (!why) return undefined;
  const out = (o.output ?? '').trim();
  return new HookError(`${kind} hook ${h.path}: ${why}${out ? ': ' + out : ''}`);
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  ENOEXEC: 'exec format error',
  ENOTDIR: 'not a directory',
};

/** One line, as runc words it ("fork/exec PATH: no such file or directory"). */
function cannotRun(code: string): string {
  return `cannot execute: ${ERRNO_TEXT[code] ?? code}`;
}

/**
 * Where a runtime-side hook runs, as in runc: `create`/`run` chdir into the bundle, and runc
 * runs poststart in the bundle too; poststop (from `delete`) runs wherever `delete` was called.
 */
function hookCwd(kind: HookName, state: State): string | undefined {
  return kind === 'poststop' ? undefined : state.bundle;
}

export async function runHooks(kind: HookName, hooks: Hook[] | undefined, state: State): Promise<void> {
  if (!hooks?.length) return;
  // execa is loaded only when a container has hooks: most `create`s never pay for it.
  const { execa } = require('execa') as { execa: typeof Execa };
  for (const h of hooks) {
    const r = await execa(h.path, (h.args ?? [h.path]).slice(1), {
      argv0: h.args?.[0] ?? h.path,
      cwd: hookCwd(kind, state),
      input: JSON.stringify(state),
      env: hookEnv(h),
      extendEnv: false,
      timeout: h.timeout ? h.timeout * 1000 : undefined,
      reject: false,
      all: true,
    });
    const err = hookFailure(kind, h, {
      timedOut: r.timedOut,
      exitCode: r.exitCode,
      signal: r.signal,
      spawnError: r.failed && r.exitCode === undefined && !r.signal && !r.timedOut ? (r.code ?? String(r.shortMessage).split('\n')[0]) : undefined,
      output: String(r.all ?? ''),
    });
    if (err) throw err;
  }
}
