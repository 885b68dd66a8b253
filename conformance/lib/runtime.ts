// Drives a runtime binary through runc's CLI dialect only, with a private --root per suite run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { exec, ExecResult } from './exec';

export class Runtime {
  readonly root: string;
  /** `<bin> --version` first line, for the report. */
  readonly version: string;

  constructor(readonly name: string, readonly bin: string, suiteDir: string) {
    this.root = mkdtempSync(join(suiteDir, `state-${name}-`));
    let v = '';
    try {
      v = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0];
    } catch (e) {
      v = `(--version failed: ${String((e as Error).message).split('\n')[0]})`;
    }
    this.version = v;
  }

  /** Is this the reference runc 1.1.x (whose known gaps cases declare as expected failures)? */
  get isRunc11(): boolean {
    return /^runc version 1\.1\./.test(this.version);
  }

  cli(args: string[], outDir: string, opts: { timeoutMs?: number; input?: string; cwd?: string } = {}): Promise<ExecResult> {
    return exec(this.bin, ['--root', this.root, ...args], { outDir, ...opts });
  }
}
