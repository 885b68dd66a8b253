// Runs a program with its stdout/stderr sent to files rather than pipes: a container created
// without a terminal inherits the runtime's stdio and outlives it, so a pipe would keep us waiting
// until the container exits. We wait for the runtime's own exit, then read what it wrote.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ExecResult {
  /** Exit code, or null if killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Files the output went to: a detached container keeps writing to them. */
  stdoutFile: string;
  stderrFile: string;
}

let seq = 0;

export interface ExecOptions {
  /** Directory for the output files. */
  outDir: string;
  timeoutMs?: number;
  /** Written to a file given as stdin; stdin is /dev/null otherwise. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function exec(bin: string, args: string[], opts: ExecOptions): Promise<ExecResult> {
  const n = ++seq;
  const stdoutFile = join(opts.outDir, `exec-${n}.out`);
  const stderrFile = join(opts.outDir, `exec-${n}.err`);
  let inFile = '/dev/null';
  if (opts.input !== undefined) {
    inFile = join(opts.outDir, `exec-${n}.in`);
    writeFileSync(inFile, opts.input);
  }
  const fds = [openSync(inFile, 'r'), openSync(stdoutFile, 'w'), openSync(stderrFile, 'w')];
  return new Promise((resolve) => {
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const done = (code: number | null, signal: NodeJS.Signals | null, err?: Error): void => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      const stderr = readFileSync(stderrFile, 'utf8') + (err ? `\n[spawn error] ${err.message}` : '');
      resolve({ code, signal, stdout: readFileSync(stdoutFile, 'utf8'), stderr, timedOut, stdoutFile, stderrFile });
    };
    let child;
    try {
      child = spawn(bin, args, { stdio: fds, env: opts.env ?? process.env, cwd: opts.cwd });
    } catch (e) {
      fds.forEach((fd) => closeSync(fd));
      done(127, null, e as Error);
      return;
    }
    fds.forEach((fd) => closeSync(fd));
    timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.once('error', (e) => done(127, null, e));
    child.once('exit', (code, signal) => done(code, signal));
  });
}

/** Polls `cond` every 20ms until it is true or `ms` elapse; returns whether it became true. */
export async function waitFor(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > end) return false;
    await sleep(20);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
