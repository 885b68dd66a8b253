// runc-ts command line: runc's commands, flags, output shapes and exit codes (yargs).
import type { Argv } from 'yargs';
import { Logger, type LogFormat } from './log';
import { RuntimeError } from '../libcontainer/errors';
import type { GlobalOptions } from '../libcontainer/container';
import { lifecycleCommands } from './commands/lifecycle';
import { infoCommands } from './commands/info';
import { liveCommands } from './commands/live';
import { execCommand, protectExecArgs } from './commands/exec';
import { SPEC_VERSION } from '../spec/types';
import { parseFast } from './fast';

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

export async function main(argv: string[]): Promise<number> {
  // --version / -v before yargs: cheap, runc's lines (its "go: go1.x" line names the engine here).
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    const engine = process.versions.bun ? `bun: ${process.versions.bun}` : `node: ${process.version}`;
    process.stdout.write(`runc-ts version ${VERSION}\ncommit: ${COMMIT}\nspec: ${SPEC_VERSION}\n${engine}\n`);
    return 0;
  }
  const ctx: Context = { g: { root: defaultRoot(), warn: () => {} }, log: new Logger(), exitCode: 0 };
  /** The global flags (parsed by yargs, or by parseFast) into ctx: the logger and GlobalOptions. */
  const applyGlobals = (a: Record<string, unknown>) => {
    ctx.log = new Logger(a.log as string | undefined, (a['log-format'] ?? 'text') as LogFormat, Boolean(a.debug));
    const rootless = (a.rootless ?? 'auto') as string;
    ctx.g = {
      root: (a.root as string | undefined) ?? defaultRoot(),
      systemdCgroup: Boolean(a['systemd-cgroup']),
      rootless: rootless === 'true' || (rootless === 'auto' && process.getuid?.() !== 0),
      warn: (m) => ctx.log.warn(m),
      debug: (m) => ctx.log.debug(m),
    };
    if (ctx.g.systemdCgroup) throw new RuntimeError('--systemd-cgroup: not supported: runc-ts manages cgroups through cgroupfs only');
  };
  let failed: unknown;
  try {
    const fast = parseFast(argv);
    if (fast) {
      applyGlobals(fast.globals);
      const cmd = lifecycleCommands(ctx).find((c) => String(c.command).split(' ')[0] === fast.command)!;
      await cmd.handler(fast.args as any);
    } else await parseWithYargs(argv, ctx, applyGlobals);
  } catch (e) {
    failed = e;
  }
  if (failed) {
    const msg = failed instanceof Error ? failed.message : String(failed);
    ctx.log.error(msg.split('\n')[0]!);
    if (!(failed instanceof RuntimeError) && process.env.RUNC_TS_DEBUG) console.error(failed);
    return failed instanceof RuntimeError ? failed.exitCode : 1;
  }
  return ctx.exitCode;
}

/** Everything parseFast leaves alone: yargs, loaded only then (it costs more than `state`). */
async function parseWithYargs(argv: string[], ctx: Context, applyGlobals: (a: Record<string, unknown>) => void): Promise<void> {
  const yargs: typeof import('yargs/yargs') = require('yargs/yargs');
  const wantHelp = argv.includes('--help') || argv.includes('-h') || argv.includes('help');
  let failed: unknown;
  const parser: Argv = yargs(protectExecArgs(argv))
    .scriptName('runc-ts')
    // runc's flags named --no-pivot, --no-new-privs, ... are flags of their own, not negations.
    .parserConfiguration({ 'boolean-negation': false })
    .usage('runc-ts [global options] <command> [command options] <container-id>')
    .option('root', { type: 'string', default: defaultRoot(), describe: 'root directory for storage of container state' })
    .option('log', { type: 'string', describe: 'set the log file to write runc-ts logs to (default is stderr)' })
    .option('log-format', { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'set the log format' })
    .option('debug', { type: 'boolean', default: false, describe: 'enable debug logging' })
    .option('systemd-cgroup', { type: 'boolean', default: false, describe: 'enable systemd cgroup support (not supported yet)' })
    .option('rootless', { type: 'string', default: 'auto', describe: "ignore cgroup permission errors ('true', 'false', or 'auto')" })
    .option('criu', { type: 'string', hidden: true })
    .middleware(applyGlobals)
    .command(lifecycleCommands(ctx))
    .command(infoCommands(ctx))
    .command(liveCommands(ctx))
    .command(execCommand(ctx))
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
    .fail((msg, err) => {
      failed = err ?? new RuntimeError(msg);
    });
  await parser.parseAsync();
  if (failed) throw failed;
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
