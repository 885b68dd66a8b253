// The commands Docker and containerd call for every container (create, start, state, kill,
// delete, exec) and run and list, in their plain forms, parsed without yargs: loading and
// setting up yargs costs more than most of these commands themselves. Anything else (help, an
// unknown, misplaced or repeated flag, a wrong number of arguments, a value yargs would read
// differently) is left to yargs: parseFast returns undefined and the usual parser gives the
// usual behaviour and messages. test/unit/cli-fast.test.ts holds parseFast to yargs' results.

/** runc's global flags: those that take a value, and the booleans. */
const GLOBAL_VALUES = new Set(['root', 'log', 'log-format', 'rootless', 'criu']);
const GLOBAL_BOOLEANS = new Set(['debug', 'systemd-cgroup']);

/** A flag with a value, as declared to yargs (commands/*.ts). */
interface ValueFlag {
  short?: string;
  number?: true;
  /** Repeatable (yargs `array: true, nargs: 1`): the values in order. */
  array?: true;
  choices?: string[];
}

interface FastSpec {
  /** Positional names, required first; `optional` of them may be missing at the end. */
  positionals: string[];
  optional?: number;
  /** runc's exec: options end at the container id; what follows is the command, verbatim in `_`. */
  commandAfterId?: true;
  /** Boolean flags: long name -> short letter (or ''). */
  booleans?: Record<string, string>;
  values?: Record<string, ValueFlag>;
  /** What yargs fills in for the flags not given (the commands' defaults). */
  defaults: Record<string, unknown>;
}

/** create's and run's flags (createOptions in commands/lifecycle.ts). */
const CREATE: Pick<FastSpec, 'booleans' | 'values' | 'defaults'> = {
  booleans: { 'no-pivot': '', 'no-new-keyring': '' },
  values: { bundle: { short: 'b' }, 'console-socket': {}, 'pid-file': {}, 'preserve-fds': { number: true } },
  defaults: { bundle: '.', 'no-pivot': false, 'no-new-keyring': false, 'preserve-fds': 0 },
};

const SPECS: Record<string, FastSpec> = {
  create: { positionals: ['id'], ...CREATE },
  run: {
    positionals: ['id'],
    booleans: { ...CREATE.booleans, detach: 'd', keep: '', 'no-subreaper': '' },
    values: CREATE.values,
    defaults: { ...CREATE.defaults, detach: false, keep: false, 'no-subreaper': false },
  },
  exec: {
    positionals: ['id'],
    commandAfterId: true,
    booleans: { tty: 't', 'no-new-privs': '', detach: 'd', 'ignore-paused': '' },
    values: {
      process: { short: 'p' },
      'console-socket': {},
      cwd: {},
      env: { short: 'e', array: true },
      user: { short: 'u' },
      'additional-gids': { short: 'g', number: true, array: true },
      cap: { short: 'c', array: true },
      apparmor: {},
      'process-label': {},
      'pid-file': {},
      'preserve-fds': { number: true },
      cgroup: { array: true },
    },
    defaults: { command: [], detach: false, 'preserve-fds': 0, 'ignore-paused': false },
  },
  state: { positionals: ['id'], defaults: {} },
  start: { positionals: ['id'], defaults: {} },
  delete: { positionals: ['id'], booleans: { force: 'f' }, defaults: { force: false } },
  kill: { positionals: ['id', 'signal'], optional: 1, booleans: { all: 'a' }, defaults: { all: false } },
  list: { positionals: [], values: { format: { short: 'f', choices: ['table', 'json'] } }, booleans: { quiet: 'q' }, defaults: { format: 'table', quiet: false } },
};

export interface FastCommand {
  /** The global flags given (yargs' defaults are the caller's). */
  globals: Record<string, string | boolean>;
  command: string;
  /** The command's arguments as yargs would pass them to its handler (without aliases, camelCase copies and globals). */
  args: Record<string, unknown>;
}

/** A value yargs takes as it is: nothing that looks like a flag (`--pid-file -x` is an error there). */
const plainValue = (v: string | undefined): v is string => v !== undefined && !v.startsWith('-');
/** yargs lets a boolean flag take a following `true`/`false` as its value. */
const booleanValue = (v: string | undefined) => v === 'true' || v === 'false';
/** Numbers in the one spelling whose meaning yargs and runc agree on. */
const DECIMAL = /^(0|[1-9][0-9]{0,8})$/;

export function parseFast(argv: string[]): FastCommand | undefined {
  const globals: Record<string, string | boolean> = {};
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]!);
    if (!m || m[1]! in globals) return undefined;
    const [, name, inline] = m as unknown as [string, string, string | undefined];
    if (GLOBAL_BOOLEANS.has(name) && inline === undefined) globals[name] = true;
    else if (GLOBAL_VALUES.has(name)) {
      const v = inline ?? argv[++i];
      if (!plainValue(v) || (name === 'log-format' && v !== 'text' && v !== 'json')) return undefined;
      globals[name] = v;
    } else return undefined;
  }
  const command = argv[i];
  const spec = command !== undefined && Object.hasOwn(SPECS, command) ? SPECS[command]! : undefined;
  if (!spec) return undefined;
  const args: Record<string, unknown> = { _: [command] };
  for (const [k, v] of Object.entries(spec.defaults)) args[k] = Array.isArray(v) ? [...v] : v;
  const given = new Set<string>();
  const positionals: string[] = [];
  for (let k = i + 1; k < argv.length; k++) {
    const a = argv[k]!;
    if (spec.commandAfterId && positionals.length === spec.positionals.length) {
      (args._ as string[]).push(a);
      continue;
    }
    if (!a.startsWith('-')) {
      positionals.push(a);
      continue;
    }
    const flag = flagOf(spec, a);
    if (!flag) return undefined;
    const { name, inline } = flag;
    const value = spec.values?.[name];
    if (given.has(name) && !value?.array) return undefined;
    given.add(name);
    if (!value) {
      if (inline !== undefined || booleanValue(argv[k + 1])) return undefined;
      args[name] = true;
      continue;
    }
    const v = inline ?? argv[++k];
    if (!plainValue(v) || (value.choices && !value.choices.includes(v)) || (value.number && !DECIMAL.test(v))) return undefined;
    const parsed = value.number ? Number(v) : v;
    if (value.array) ((args[name] as unknown[] | undefined) ?? (args[name] = [])).push(parsed);
    else args[name] = parsed;
  }
  const required = spec.positionals.length - (spec.optional ?? 0);
  if (positionals.length < required || positionals.length > spec.positionals.length) return undefined;
  positionals.forEach((v, k) => (args[spec.positionals[k]!] = v));
  return { globals, command, args };
}

/** The flag a token names (`--name`, `--name=value`, `-x`) among the command's, if it is one. */
function flagOf(spec: FastSpec, token: string): { name: string; inline?: string } | undefined {
  const long = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(token);
  if (long) {
    const name = long[1]!;
    return Object.hasOwn(spec.booleans ?? {}, name) || Object.hasOwn(spec.values ?? {}, name) ? { name, inline: long[2] } : undefined;
  }
  const short = /^-([a-zA-Z])$/.exec(token)?.[1];
  if (!short) return undefined;
  const name =
    Object.keys(spec.booleans ?? {}).find((n) => spec.booleans![n] === short) ?? Object.keys(spec.values ?? {}).find((n) => spec.values![n]!.short === short);
  return name ? { name } : undefined;
}
