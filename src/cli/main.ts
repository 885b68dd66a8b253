// runc-ts command line: runc's commands, flags, output shapes and exit codes. The commands
// Docker and containerd call for every container go through a parser of their own (fast.ts);
// everything else through yargs, loaded only then.
import type { Argv, CommandModule } from 'yargs';
import { Logger } from './log';
import { RuntimeError } from '../libcontainer/errors';
import type { GlobalOptions } from '../libcontainer/container';
import { lifecycleCommands } from './commands/lifecycle';
import { infoCommands } from './commands/info';
import { liveCommands } from './commands/live';
import { execCommand, protectExecArgs } from './commands/exec';
import { collectPositionals, globalOption, hasFlag, splitGlobal } from './argv';
import { SPEC_VERSION } from '../spec/types';
import { parseFast } from './fast';
import { warmUpCgroupMigration } from '../cgroups/warm-up';

declare const __VERSION__: string;
declare const __COMMIT__: string;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';
const COMMIT = typeof __COMMIT__ === 'string' ? __COMMIT__ : 'unknown';

export interface Context {
  g: GlobalOptions;
  log: Logger;
  /** Exit status of the command (set by `run` to the container's). */
  exitCode: number;
}

function defaultRoot(): string {
  // Rootless (not root): state under $XDG_RUNTIME_DIR, as runc does.
  if (process.getuid?.() !== 0 && process.env.XDG_RUNTIME_DIR) return `${process.env.XDG_RUNTIME_DIR}/runc-ts`;
  return '/run/runc-ts';
}

/** The global flags (parsed by yargs, or by parseFast) into GlobalOptions; the logger is made before. */
function globalOptions(a: Record<string, unknown>, log: Logger): GlobalOptions {
  const rootless = String(a.rootless ?? 'auto');
  return {
    root: (a.root as string | undefined) ?? defaultRoot(),
    systemdCgroup: Boolean(a['systemd-cgroup']),
    rootless: rootless === 'true' || (rootless === 'auto' && process.getuid?.() !== 0),
    warn: (m) => log.warn(m),
    debug: (m) => log.debug(m),
  };
}

export async function main(argv: string[]): Promise<number> {
  const { globals, command, rest } = splitGlobal(argv);
  // create, run and exec join cgroups: the kernel's grace period for that starts now
  // (cgroups/warm-up.ts), while the command is parsed and the config validated.
  if ((command === 'create' || command === 'run' || command === 'exec') && process.getuid?.() === 0 && !hasFlag(globals, '--systemd-cgroup')) warmUpCgroupMigration();
  // --version / -v among the global options (before the command word, as runc takes it): cheap,
  // runc's lines (its "go: go1.x" line names the engine here).
  if (hasFlag(globals, '--version', '-v')) {
    const engine = process.versions.bun ? `bun: ${process.versions.bun}` : `node: ${process.version}`;
    process.stdout.write(`runc-ts version ${VERSION}\ncommit: ${COMMIT}\nspec: ${SPEC_VERSION}\n${engine}\n`);
    return 0;
  }
  // The logger comes first, from the global options as given: the log file exists, and holds
  // the error, even when the command line itself is refused (callers read it from there).
  let log: Logger;
  try {
    log = new Logger(globalOption(globals, 'log'), globalOption(globals, 'log-format') === 'json' ? 'json' : 'text', hasFlag(globals, '--debug', '-debug'));
  } catch (e) {
    new Logger().error((e as Error).message);
    return 1;
  }
  const ctx: Context = { g: globalOptions({}, log), log, exitCode: 0 };
  try {
    const fast = parseFast(argv);
    if (fast) {
      ctx.g = globalOptions(fast.globals, log);
      const cmd = lifecycleCommands(ctx).find((c) => String(c.command).split(' ')[0] === fast.command)!;
      await cmd.handler(fast.args as any);
      return ctx.exitCode;
    }
    const commands = [...lifecycleCommands(ctx), ...infoCommands(ctx), ...liveCommands(ctx), execCommand(ctx)];
    // runc: an unknown command (also `help foo`, `foo -h`) is "No help topic", exit status 3.
    const topic = command === 'help' ? rest.find((t) => !t.startsWith('-')) : command;
    if (topic !== undefined && !knownCommand(commands, topic)) {
      ctx.log.error(`No help topic for '${topic}'`);
      return 3;
    }
    await parseWithYargs(argv, ctx, commands, argv.includes('--help') || argv.includes('-h') || command === 'help');
  } catch (failed) {
    const msg = failed instanceof Error ? failed.message : String(failed);
    ctx.log.error(msg.split('\n')[0]!);
    if (!(failed instanceof RuntimeError) && process.env.RUNC_TS_DEBUG) console.error(failed);
    return failed instanceof RuntimeError ? failed.exitCode : 1;
  }
  return ctx.exitCode;
}

/** Everything parseFast leaves alone: yargs, loaded only then (it costs more than `state`). */
async function parseWithYargs(argv: string[], ctx: Context, commands: CommandModule<any, any>[], wantHelp: boolean): Promise<void> {
  const yargs: typeof import('yargs/yargs') = require('yargs/yargs');
  const parser: Argv = yargs(protectExecArgs(argv))
    .scriptName('runc-ts')
    // runc's flags named --no-pivot, --no-new-privs, ... are flags of their own, not negations.
    .parserConfiguration({ 'boolean-negation': false })
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

function knownCommand(commands: CommandModule<any, any>[], name: string): boolean {
  return name === 'help' || commands.some((c) => String(c.command).split(' ')[0] === name || ([] as string[]).concat(c.aliases ?? []).includes(name));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`runc-ts: ${e?.message ?? e}\n`);
    process.exitCode = 1;
  },
);
