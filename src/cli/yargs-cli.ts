// The yargs side of the command line: every form parseFast (fast.ts) leaves alone. yargs is
// loaded only here, when it is needed: it costs more than `state` itself.
import type { Argv, CommandModule } from 'yargs';
import type { Context } from './main';
import { RuntimeError } from '../libcontainer/errors';
import type { GlobalOptions } from '../libcontainer/container';
import type { Logger } from './log';
import { collectPositionals, splitGlobal } from './argv';
import { protectExecArgs } from './commands/exec';

export function defaultRoot(): string {
  // Rootless (not root): state under $XDG_RUNTIME_DIR, as runc does.
  if (process.getuid?.() !== 0 && process.env.XDG_RUNTIME_DIR) return `${process.env.XDG_RUNTIME_DIR}/runc-ts`;
  return '/run/runc-ts';
}

/** The global flags (parsed by yargs, or by parseFast) into GlobalOptions; the logger is made before. */
export function globalOptions(a: Record<string, unknown>, log: Logger): GlobalOptions {
  const rootless = String(a.rootless ?? 'auto');
  return {
    root: (a.root as string | undefined) ?? defaultRoot(),
    systemdCgroup: Boolean(a['systemd-cgroup']),
    rootless: rootless === 'true' || (rootless === 'auto' && process.getuid?.() !== 0),
    warn: (m) => log.warn(m),
    error: (m) => log.error(m),
    debug: (m) => log.debug(m),
  };
}

/** Parses argv with yargs and runs the command's handler (which sets ctx.g first, through the middleware). */
export async function parseWithYargs(argv: string[], ctx: Context, commands: CommandModule<any, any>[]): Promise<void> {
  const yargs: typeof import('yargs/yargs') = require('yargs/yargs');
  const command = splitGlobal(argv).command;
  const wantHelp = argv.includes('--help') || argv.includes('-h') || command === 'help';
  const parser: Argv = yargs(protectExecArgs(argv))
    .scriptName('runc-ts')
    // runc's flags named --no-pivot, --no-new-privs, ... are flags of their own, not negations;
    // positionals stay strings (`exec ID echo 0x10` prints 0x10, as with runc, not 16).
    .parserConfiguration({ 'boolean-negation': false, 'parse-positional-numbers': false })
    .usage('runc-ts [global options] <command> [command options] <container-id>')
    .option('root', { type: 'string', default: defaultRoot(), describe: 'root directory for storage of container state' })
    .option('log', { type: 'string', describe: 'set the log file to write runc-ts logs to (default is stderr)' })
    .option('log-format', { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'set the log format' })
    .option('debug', { type: 'boolean', default: false, describe: 'enable debug logging' })
    .option('systemd-cgroup', { type: 'boolean', default: false, describe: 'enable systemd cgroup support, expects cgroupsPath to be of form "slice:prefix:name" for e.g. "system.slice:runc-ts:434234"' })
    .option('rootless', { type: 'string', default: 'auto', describe: "ignore cgroup permission errors ('true', 'false', or 'auto')" })
    .option('criu', { type: 'string', hidden: true })
    .middleware((a) => {
      collectPositionals(a);
      ctx.g = globalOptions(a, ctx.log);
    })
    .command(commands)
    .demandCommand(1, 'runc-ts: a command is required (see --help)')
    .strictCommands()
    .strictOptions()
    .version(false)
    // yargs renders (and caches) every command's help text while parsing when help is on:
    // ~5 ms per call. Only when help is asked for.
    .help(wantHelp ? 'help' : (false as unknown as string))
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    // Throwing here is what stops yargs: it would otherwise go on to run the command's handler
    // after a validation failure (an unknown flag, a missing argument).
    .fail((msg, err) => {
      throw err ?? new RuntimeError(msg);
    });
  await parser.parseAsync();
}
