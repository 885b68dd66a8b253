// Hooks that run in the runtime's namespaces (prestart, createRuntime, poststart, poststop):
// the container state as JSON on stdin, args/env/timeout as configured (config.md "Hooks").
import type { execa as Execa } from 'execa' with { 'resolution-mode': 'import' };
import type { Hook, HookName, State } from '../spec/types';

export class HookError extends Error {}

export async function runHooks(kind: HookName, hooks: Hook[] | undefined, state: State): Promise<void> {
  if (!hooks?.length) return;
  // execa is loaded only when a container has hooks: most `create`s never pay for it.
  const { execa } = require('execa') as { execa: typeof Execa };
  for (const h of hooks) {
    const env = Object.fromEntries((h.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    const r = await execa(h.path, (h.args ?? [h.path]).slice(1), {
      argv0: h.args?.[0] ?? h.path,
      input: JSON.stringify(state),
      env,
      extendEnv: false,
      timeout: h.timeout ? h.timeout * 1000 : undefined,
      reject: false,
      all: true,
    });
    if (r.timedOut) throw new HookError(`${kind} hook ${h.path}: timed out after ${h.timeout}s`);
    if (r.failed) {
      const why = r.exitCode !== undefined ? `exit status ${r.exitCode}` : r.signal ? `signal ${r.signal}` : r.shortMessage;
      const out = String(r.all ?? '').trim();
      throw new HookError(`${kind} hook ${h.path}: ${why}${out ? ': ' + out : ''}`);
    }
  }
}
