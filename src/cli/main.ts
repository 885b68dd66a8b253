// runc-ts command line: runc's commands, flags, output shapes and exit codes. The commands
// Docker and containerd call for every container go through a parser of their own (fast.ts);
// everything else through yargs, loaded only then.
import type { CommandModule } from 'yargs';
import { Logger } from './log';
import { RuntimeError } from '../libcontainer/errors';
import type { GlobalOptions } from '../libcontainer/container';
import { deleteCommand, killCommand, lifecycleCommands, startCommand, stateCommand } from './commands/lifecycle';
import { LITE_COMMANDS } from './lite';
import { infoCommands } from './commands/info';
import { liveCommands } from './commands/live';
import { execCommand } from './commands/exec';
import { globalOption, hasFlag, splitGlobal } from './argv';
import { SPEC_VERSION } from '../spec/types';
import { parseFast } from './fast';
import { globalOptions, parseWithYargs } from './yargs-cli';
import { warmUpCgroupMigration } from '../cgroups/warm-up';
import { trace } from '../trace';
import { writeStderr, writeStdout } from '../stdio';
import { BUN_EXECUTABLE } from '../engine';
import { execNodeEngine } from './node-engine';

declare const __VERSION__: string;
declare const __COMMIT__: string;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';
const COMMIT = typeof __COMMIT__ === 'string' ? __COMMIT__ : 'unknown';
/** Set by scripts/build.mjs: true in runc-ts-lite.cjs, the plain forms of LITE_COMMANDS only
 * (lite.ts). A constant in each bundle, so the other's code is left out. */
declare const __LITE__: boolean;

export interface Context {
  g: GlobalOptions;
  log: Logger;
  /** Exit status of the command (set by `run` to the container's). */
  exitCode: number;
}

/** The exit status; undefined when the whole CLI took the command over (lite bundle). */
export async function main(argv: string[]): Promise<number | undefined> {
  if (BUN_EXECUTABLE && process.env.RUNC_TS_ENGINE === 'node') execNodeEngine(argv);
  // Anything else than the plain forms of its commands (help, a flag fast.ts leaves to yargs)
  // the lite bundle hands to the whole CLI, which runs it on being loaded.
  // (parseFast is pure: parsed once, here, for the hand-over and for the command below.)
  const fast = parseFast(argv);
  if (__LITE__ && !LITE_COMMANDS.has(fast?.command ?? '')) {
    require('./runc-ts.cjs');
    return undefined;
  }
  trace(`cli: main${__LITE__ ? ' (lite bundle)' : ''} (${performance.now().toFixed(1)} ms after exec)`);
  const { globals, command, rest } = splitGlobal(argv);
  // create, run and exec join cgroups: the kernel's grace period for that starts now
  // (cgroups/warm-up.ts), while the command is parsed and the config validated.
  if (!__LITE__) {
    if ((command === 'create' || command === 'run' || command === 'exec') && process.getuid?.() === 0 && !hasFlag(globals, '--systemd-cgroup')) warmUpCgroupMigration();
  }
  // --version / -v among the global options (before the command word, as runc takes it): cheap,
  // runc's lines (its "go: go1.x" line names the engine here).
  if (hasFlag(globals, '--version', '-v')) {
    const engine = process.versions.bun ? `bun: ${process.versions.bun}` : `node: ${process.version}`;
    writeStdout(`runc-ts version ${VERSION}\ncommit: ${COMMIT}\nspec: ${SPEC_VERSION}\n${engine}\n`);
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
    if (fast) {
      ctx.g = globalOptions(fast.globals, log);
      // (if/else, not a conditional expression: esbuild leaves out what only a dead branch uses)
      let fastCommands: CommandModule<any, any>[];
      if (__LITE__) fastCommands = [startCommand(ctx), stateCommand(ctx), killCommand(ctx), deleteCommand(ctx)];
      else fastCommands = [...lifecycleCommands(ctx), execCommand(ctx)];
      const cmd = fastCommands.find((c) => String(c.command).split(' ')[0] === fast.command)!;
      await cmd.handler(fast.args as any);
      return ctx.exitCode;
    }
    if (!__LITE__) return await withYargs(argv, command, rest, ctx);
    throw new Error('runc-ts-lite: a command line it cannot parse'); // handed over above
  } catch (failed) {
    const msg = failed instanceof Error ? failed.message : String(failed);
    ctx.log.error(msg.split('\n')[0]!);
    if (!(failed instanceof RuntimeError) && process.env.RUNC_TS_DEBUG) console.error(failed);
    return failed instanceof RuntimeError ? failed.exitCode : 1;
  }
  return ctx.exitCode;
}

/** Every command line but the plain forms of fast.ts: yargs, loaded now. */
async function withYargs(argv: string[], command: string | undefined, rest: string[], ctx: Context): Promise<number> {
  const commands = [...lifecycleCommands(ctx), ...infoCommands(ctx), ...liveCommands(ctx), execCommand(ctx)];
  // runc: an unknown command (also `help foo`, `foo -h`) is "No help topic", exit status 3.
  const topic = command === 'help' ? rest.find((t) => !t.startsWith('-')) : command;
  if (topic !== undefined && !knownCommand(commands, topic)) {
    ctx.log.error(`No help topic for '${topic}'`);
    return 3;
  }
  await parseWithYargs(argv, ctx, commands);
  return ctx.exitCode;
}

function knownCommand(commands: CommandModule<any, any>[], name: string): boolean {
  return name === 'help' || commands.some((c) => String(c.command).split(' ')[0] === name || ([] as string[]).concat(c.aliases ?? []).includes(name));
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code === undefined) return;
    trace('cli: command done');
    process.exitCode = code;
  },
  (e) => {
    writeStderr(`runc-ts: ${e?.message ?? e}\n`);
    process.exitCode = 1;
  },
);
