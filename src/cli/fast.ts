// The commands Docker and containerd call for every container (state, start, kill, delete)
// and `list`, in their plain forms, parsed without yargs: loading and setting up yargs costs
// more than these commands themselves. Anything else (help, an unknown, misplaced or repeated
// flag, a wrong number of arguments) is left to yargs: parseFast returns undefined and the
// usual parser gives the usual behaviour and messages.

/** runc's global flags: those that take a value, and the booleans. */
const GLOBAL_VALUES = new Set(['root', 'log', 'log-format', 'rootless', 'criu']);
const GLOBAL_BOOLEANS = new Set(['debug', 'systemd-cgroup']);

interface FastSpec {
  /** Positional names, required first; `optional` of them may be missing at the end. */
  positionals: string[];
  optional?: number;
  /** Boolean flags: long name -> short letter (or ''). */
  booleans?: Record<string, string>;
  /** Flags with a value: long name -> [short letter or '', allowed values]. */
  values?: Record<string, [string, string[]]>;
  /** What yargs would fill in for the flags not given (the commands' defaults). */
  defaults: Record<string, unknown>;
}

const SPECS: Record<string, FastSpec> = {
  state: { positionals: ['id'], defaults: {} },
  start: { positionals: ['id'], defaults: {} },
  delete: { positionals: ['id'], booleans: { force: 'f' }, defaults: { force: false } },
  kill: { positionals: ['id', 'signal'], optional: 1, booleans: { all: 'a' }, defaults: { signal: 'SIGTERM', all: false } },
  list: { positionals: [], values: { format: ['f', ['table', 'json']] }, booleans: { quiet: 'q' }, defaults: { format: 'table', quiet: false } },
};

export interface FastCommand {
  /** The global flags given (yargs' defaults are the caller's). */
  globals: Record<string, string | boolean>;
  command: keyof typeof SPECS;
  /** The command's arguments as yargs would pass them to its handler. */
  args: Record<string, unknown>;
}

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
      if (v === undefined || (name === 'log-format' && v !== 'text' && v !== 'json')) return undefined;
      globals[name] = v;
    } else return undefined;
  }
  const command = argv[i];
  const spec = command !== undefined ? SPECS[command] : undefined;
  if (!spec) return undefined;
  const args: Record<string, unknown> = { ...spec.defaults };
  const given = new Set<string>();
  const positionals: string[] = [];
  for (let k = i + 1; k < argv.length; k++) {
    const a = argv[k]!;
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      continue;
    }
    const long = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    const short = /^-([a-z])$/.exec(a);
    const name = long?.[1] ?? Object.keys({ ...spec.booleans, ...spec.values }).find((n) => (spec.booleans?.[n] ?? spec.values?.[n]?.[0]) === short?.[1]);
    if (!name || given.has(name)) return undefined;
    given.add(name);
    if (spec.booleans && name in spec.booleans && long?.[2] === undefined) args[name] = true;
    else if (spec.values && name in spec.values) {
      const v = long?.[2] ?? argv[++k];
      if (v === undefined || !spec.values[name]![1].includes(v)) return undefined;
      args[name] = v;
    } else return undefined;
  }
  const required = spec.positionals.length - (spec.optional ?? 0);
  if (positionals.length < required || positionals.length > spec.positionals.length) return undefined;
  positionals.forEach((v, k) => (args[spec.positionals[k]!] = v));
  return { globals, command: command as keyof typeof SPECS, args };
}
