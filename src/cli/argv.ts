// The shape of runc's command line before and after yargs: global options, the command word,
// and each command's positional arguments (runc's urfave/cli counts them itself and honours
// `--`, which yargs would otherwise leave in `_`).
import { RuntimeError } from '../libcontainer/errors';

/** Global options that take a value (`--root X`); the rest are booleans. */
export const GLOBAL_VALUE_OPTIONS = new Set(['root', 'log', 'log-format', 'rootless', 'criu']);

/**
 * Skips the options starting at argv[i] (`--name value` when `withValue` has the name) and
 * returns the index of the first token that is not an option (or argv.length, or a `--`).
 */
export function skipOptions(argv: string[], i: number, withValue: Set<string>): number {
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '--' && argv[i] !== '-') {
    const name = argv[i]!.replace(/^--?/, '');
    i += !name.includes('=') && withValue.has(name) ? 2 : 1;
  }
  return i;
}

/** The global options and the command line from the command word on. */
export function splitGlobal(argv: string[]): { globals: string[]; command?: string; rest: string[] } {
  const i = skipOptions(argv, 0, GLOBAL_VALUE_OPTIONS);
  return { globals: argv.slice(0, i), command: argv[i], rest: argv.slice(i + 1) };
}

/** The value of a global option (`--log F`, `--log=F`, `-log F`); the last one given wins. */
export function globalOption(globals: string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < globals.length; i++) {
    const t = globals[i]!.replace(/^--?/, '');
    if (t === name) value = globals[++i];
    else if (t.startsWith(`${name}=`)) value = t.slice(name.length + 1);
  }
  return value;
}

export function hasFlag(tokens: string[], ...names: string[]): boolean {
  return tokens.some((t) => names.includes(t) || names.some((n) => t.startsWith(`${n}=`)));
}

/** Positional names and how many arguments each command takes (runc's checkArgs). */
const ARITY: Record<string, { names: string[]; min: number; max: number }> = {
  create: { names: ['id'], min: 1, max: 1 },
  run: { names: ['id'], min: 1, max: 1 },
  start: { names: ['id'], min: 1, max: 1 },
  state: { names: ['id'], min: 1, max: 1 },
  delete: { names: ['id'], min: 1, max: 1 },
  rm: { names: ['id'], min: 1, max: 1 },
  kill: { names: ['id', 'signal'], min: 1, max: 2 },
  pause: { names: ['id'], min: 1, max: 1 },
  resume: { names: ['id'], min: 1, max: 1 },
  update: { names: ['id'], min: 1, max: 1 },
  events: { names: ['id'], min: 1, max: 1 },
  list: { names: [], min: 0, max: 0 },
  'ps-all': { names: [], min: 0, max: 0 },
};

function arityError(cmd: string, min: number, max: number): RuntimeError {
  const what = min === max ? `exactly ${min}` : `a minimum of ${min} and a maximum of ${max}`;
  return new RuntimeError(`runc-ts: "${cmd}" requires ${what} argument(s)`);
}

/**
 * yargs middleware: gathers a command's positionals (named ones, then what followed `--`),
 * checks their number as runc does and stores them under their names, so that `state -- x`
 * and `kill -- -x KILL` mean what they mean to runc.
 */
export function collectPositionals(a: Record<string, unknown> & { _: unknown[] }): void {
  const cmd = String(a._[0] ?? '');
  const arity = ARITY[cmd];
  if (!arity) return;
  const values = arity.names.filter((n) => a[n] !== undefined).map((n) => String(a[n]));
  values.push(...a._.slice(1).map(String));
  if (values.length < arity.min || values.length > arity.max) throw arityError(cmd, arity.min, arity.max);
  arity.names.forEach((n, i) => (a[n] = values[i]));
  a._ = a._.slice(0, 1);
}
