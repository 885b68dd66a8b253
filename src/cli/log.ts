// Error and warning output in runc's shapes. containerd and Docker pass `--log FILE
// --log-format json` and read the last error record from that file; without --log, runc
// prints logrus text lines on stderr.
import { appendFileSync, closeSync, openSync } from 'node:fs';

import { RuntimeError } from '../libcontainer/errors';
import { writeStderr } from '../stdio';

export type LogFormat = 'text' | 'json';

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function textRecord(level: string, msg: string): string {
  return `time="${now()}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

export class Logger {
  constructor(
    private file?: string,
    private readonly format: LogFormat = 'text',
    private readonly debugEnabled = false,
  ) {
    // runc opens the log file at start: callers tail it, and expect it even when empty.
    if (file) {
      try {
        closeSync(openSync(file, 'a', 0o644));
      } catch (e) {
        this.file = undefined;
        // Node's "ENOENT: no such file or directory, open '<file>'" -> runc's "open <file>: no such file or directory".
        throw new RuntimeError(`open ${file}: ${(e as Error).message.replace(/^[A-Z]+: (.*?), open '.*'$/, '$1')}`);
      }
    }
  }

  private record(level: string, msg: string): string {
    return this.format === 'json' ? JSON.stringify({ level, msg, time: now() }) + '\n' : textRecord(level, msg);
  }

  private write(level: string, msg: string): boolean {
    if (!this.file) return false;
    try {
      appendFileSync(this.file, this.record(level, msg));
      return true;
    } catch {
      return false;
    }
  }

  /** The command's one-line error: in the log file (if any) and on stderr. */
  error(msg: string): void {
    if (this.write('error', msg)) writeStderr(msg + '\n');
    else writeStderr(textRecord('error', msg));
  }

  warn(msg: string): void {
    if (!this.write('warning', msg)) writeStderr(textRecord('warning', msg));
  }

  debug(msg: string): void {
    if (!this.debugEnabled) return;
    if (!this.write('debug', msg)) writeStderr(textRecord('debug', msg));
  }
}
