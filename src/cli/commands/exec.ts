// exec: run a process in a running container (runc exec).
import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import type { Context } from '../main';
import type { Process } from '../../spec/types';
import { execProcess, processFromFlags } from '../../libcontainer/exec';
import { forwardSignals } from '../../libcontainer/launch';
import { load } from '../../libcontainer/container';
import { RuntimeError } from '../../libcontainer/errors';
import { waitForExit } from '../../libcontainer/wait';
import { attachConsole } from '../../libcontainer/tty';
import { parseSubCgroupArgs } from '../../cgroups/sub-paths';
import { GLOBAL_VALUE_OPTIONS, skipOptions } from '../argv';

const VALUE_OPTIONS = new Set(['process', 'p', 'console-socket', 'cwd', 'env', 'e', 'user', 'u', 'additional-gids', 'g', 'cap', 'c', 'apparmor', 'process-label', 'pid-file', 'preserve-fds', 'cgroup']);

/**
 * runc's CLI stops reading options at the container id: in `exec ID sh -c x`, -c is sh's.
 * yargs would take it, so a `--` goes in right after the id.
 */
export function protectExecArgs(argv: string[]): string[] {
  let i = skipOptions(argv, 0, GLOBAL_VALUE_OPTIONS);
  if (argv[i] !== 'exec') return argv;
  i = skipOptions(argv, i + 1, VALUE_OPTIONS);
  if (i >= argv.length || argv[i] === '--') return argv;
  return [...argv.slice(0, i + 1), '--', ...argv.slice(i + 1)];
}

export function execCommand(ctx: Context): CommandModule<any, any> {
  return {
    command: 'exec <id> [command..]',
    describe: 'execute new process inside the container',
    builder: (y) =>
      y
        .positional('id', { type: 'string', describe: 'container id' })
        .positional('command', { type: 'string', array: true })
        .option('process', { alias: 'p', type: 'string', describe: 'path to the process.json' })
        .option('console-socket', { type: 'string', describe: 'path to an AF_UNIX socket which will receive the pty master' })
        .option('cwd', { type: 'string', describe: 'current working directory in the container' })
        .option('env', { alias: 'e', type: 'string', array: true, nargs: 1, describe: 'set environment variables' })
        .option('tty', { alias: 't', type: 'boolean', describe: 'allocate a pseudo-TTY' })
        .option('user', { alias: 'u', type: 'string', describe: 'UID (format: <uid>[:<gid>])' })
        .option('additional-gids', { alias: 'g', type: 'number', array: true, nargs: 1, describe: 'additional gids' })
        .option('cap', { alias: 'c', type: 'string', array: true, nargs: 1, describe: 'add a capability to the bounding set for the process' })
        .option('no-new-privs', { type: 'boolean', describe: 'set the no new privileges value for the process' })
        .option('apparmor', { type: 'string', describe: 'set the apparmor profile for the process' })
        .option('process-label', { type: 'string', describe: 'set the asm process label for the process commonly used with selinux' })
        .option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'detach from the container\'s process' })
        .option('pid-file', { type: 'string', describe: 'specify the file to write the process id to' })
        .option('preserve-fds', { type: 'number', default: 0, describe: 'pass N additional file descriptors to the container' })
        .option('ignore-paused', { type: 'boolean', default: false, describe: 'allow exec in a paused container' })
        .option('cgroup', { type: 'string', array: true, nargs: 1, describe: 'run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.' }),
    // runc exec exits 255 for its own errors, so that they differ from the process' statuses.
    handler: (a) =>
      execHandler(ctx, a).catch((e) => {
        throw new RuntimeError(e instanceof Error ? e.message : String(e), 255);
      }),
  };
}

async function execHandler(ctx: Context, a: any): Promise<void> {
  let proc: Process;
  if (a.process) {
    const load: typeof import('../../spec/load') = require('../../spec/load');
    let text: string;
    try {
      text = readFileSync(a.process, 'utf8');
    } catch (e: any) {
      throw new RuntimeError(`open ${a.process}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
    }
    const p = load.parseJsonWithPosition(text, a.process);
    load.validateExecProcess(p, a.process);
    proc = p as Process;
  } else {
    // After the `--` protectExecArgs() put in, yargs leaves the command in _ (after "exec").
    const args: string[] = [...(a.command ?? []), ...(a._ as unknown[]).slice(1)].map(String);
    if (!args.length) throw new RuntimeError('exec: a command or --process is required');
    const { s } = load(ctx.g, a.id);
    if (!s.config.process) throw new RuntimeError('container has no process in its config');
    proc = processFromFlags(s.config.process, {
      args,
      cwd: a.cwd,
      env: a.env,
      tty: a.tty,
      user: a.user,
      additionalGids: a['additional-gids'],
      cap: a.cap,
      noNewPrivs: a['no-new-privs'],
      apparmor: a.apparmor,
      processLabel: a['process-label'],
    });
  }
  const init = await execProcess(ctx.g, {
    id: a.id,
    process: proc,
    consoleSocket: a['console-socket'],
    ownConsole: !a.detach,
    pidFile: a['pid-file'],
    preserveFds: a['preserve-fds'],
    ignorePaused: a['ignore-paused'],
    detach: a.detach,
    subCgroups: a.cgroup?.length ? parseSubCgroupArgs(a.cgroup.map(String)) : undefined,
  });
  ctx.log.debug(`exec: process ${init.pid} started in container ${a.id}${a.cgroup?.length ? ` (--cgroup ${a.cgroup.join(' ')})` : ''}`);
  if (a.detach) return;
  const tty = init.consoleSock >= 0 ? attachConsole(init.consoleSock) : undefined;
  const stopForwarding = forwardSignals(init.pid);
  const status = await waitForExit(init.pid, init.child);
  if (tty) {
    await Promise.race([tty.done, new Promise((r) => setTimeout(r, 200))]);
    tty.detach();
  }
  stopForwarding();
  ctx.log.debug(`exec: process ${init.pid} exited with status ${status}`);
  ctx.exitCode = status;
}
