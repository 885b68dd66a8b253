// Schema validation of config.json, state.json, `exec --process` files and `update` resources,
// with the precompiled validators from scripts/gen-validators.mjs (schemas/*.json): no schema
// compiler is loaded at run time. A failure throws a SpecError of one line naming the JSON
// pointer and the rule, e.g. `config.json: /process/user/uid: must be integer`.
import { SpecError } from './errors';
import type { LinuxResources, Process, Spec, State } from './types';

/** One error as ajv reports it (see src/spec/generated/validators.d.ts). */
export interface ValidationError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, any>;
  propertyName?: string;
}

interface ValidateFunction {
  (data: unknown): boolean;
  errors?: ValidationError[] | null;
}

interface Generated {
  validateConfig: ValidateFunction;
  validateState: ValidateFunction;
  validateProcess: ValidateFunction;
  validateLinuxResources: ValidateFunction;
}

let generated: Generated | undefined;

/** Loads the generated module on first use (esbuild bundles it; the CLI pays only when it validates). */
function validators(): Generated {
  if (!generated) {
    try {
      generated = require('./generated/validators.js') as Generated;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes('generated/validators')) {
        throw new SpecError('schema validators are not generated: run `node scripts/gen-validators.mjs`');
      }
      throw e;
    }
  }
  return generated;
}

function run(fn: ValidateFunction, obj: unknown, label: string): void {
  if (!fn(obj)) throw new SpecError(formatValidationErrors(fn.errors ?? [], label));
}

/** Validates a parsed config.json against the runtime-spec schema (1.0.0 to 1.3.0). */
export function validateConfig(obj: unknown, label = 'config.json'): asserts obj is Spec {
  run(validators().validateConfig, obj, label);
}

/** Validates a container state (runtime.md "State"; status may also be "paused", as runc reports). */
export function validateState(obj: unknown, label = 'state.json'): asserts obj is State {
  run(validators().validateState, obj, label);
}

/** Validates a process object, as in config.json's `process` or the file of `exec --process`. */
export function validateProcess(obj: unknown, label = 'process.json'): asserts obj is Process {
  run(validators().validateProcess, obj, label);
}

/**
 * The process.json of `exec --process`, checked against what runc takes rather than the config
 * schema: runc decodes it into a Go struct, so a missing `user` (or uid/gid in it) means 0, and
 * then requires only a non-empty `args` and an absolute `cwd` (its validateProcessSpec).
 */
export function validateExecProcess(obj: unknown, label = 'process.json'): asserts obj is Process {
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    const p = obj as { user?: unknown };
    if (p.user === undefined || p.user === null) p.user = { uid: 0, gid: 0 };
    else if (typeof p.user === 'object' && !Array.isArray(p.user)) p.user = { uid: 0, gid: 0, ...p.user };
  }
  validateProcess(obj, label);
  if (!obj.args?.length) throw new SpecError(`${label}: /args: must not be empty`);
}

/** Validates a linux.resources object, as in config.json or the file of `update --resources`. */
export function validateLinuxResources(obj: unknown, label = 'resources'): asserts obj is LinuxResources {
  run(validators().validateLinuxResources, obj, label);
}

// ---- one line out of ajv's errors ----

/** Keywords that only summarise the errors of their subschemas (which say more). */
const SUMMARY_KEYWORDS = new Set(['if', 'anyOf', 'oneOf', 'allOf', 'not', 'propertyNames']);

/** Readable wording for the schemas' patterns (keyed by the pattern as written in schemas/). */
const PATTERN_TEXT: Record<string, string> = {
  '^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$':
    'must be a SemVer 2.0.0 version such as "1.3.0"',
  '^/': 'must be an absolute path',
  '^(/|$)': 'must be an absolute path',
  '^RLIMIT_[A-Z]+$': 'must be an rlimit name such as RLIMIT_NOFILE',
  '^[rwm]*$': 'must be a combination of r, w and m',
  '^[1-9][0-9]*[KMGTPE]B$': 'must be a page size such as 64KB, 2MB or 1GB',
  '^MB:[^\\n]*$': 'must start with "MB:" and contain no newline',
  '^[0-9, -]*$': 'must be a CPU list such as "0-3,7"',
};

function escapePointerToken(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Limits of the integer types, printed exactly (2^64-1 is not representable as a double). */
function formatLimit(n: unknown): string {
  if (n === 2 ** 64) return '18446744073709551615';
  if (n === 2 ** 63) return '9223372036854775807';
  if (n === -(2 ** 63)) return '-9223372036854775808';
  return String(n);
}

function depth(e: ValidationError): number {
  const d = e.instancePath === '' ? 0 : e.instancePath.split('/').length - 1;
  // A missing property is one level below the object that lacks it.
  return e.keyword === 'required' || e.keyword === 'dependencies' ? d + 1 : d;
}

/** `[pointer, message]` for one error. */
function describe(e: ValidationError): [string, string] {
  const p = e.params ?? {};
  const ptr = e.instancePath;
  const nameHint = e.propertyName !== undefined ? `property name ${JSON.stringify(e.propertyName)} ` : '';
  switch (e.keyword) {
    case 'type':
      return [ptr, `${nameHint}must be ${Array.isArray(p.type) ? p.type.join(' or ') : String(p.type).split(',').join(' or ')}`];
    case 'enum':
      return [ptr, `${nameHint}must be one of ${(p.allowedValues as unknown[]).map((v) => (typeof v === 'string' && v !== '' ? v : JSON.stringify(v))).join(', ')}`];
    case 'const':
      return [ptr, `${nameHint}must be ${JSON.stringify(p.allowedValue)}`];
    case 'required':
      return [`${ptr}/${escapePointerToken(String(p.missingProperty))}`, 'is required but missing'];
    case 'dependencies':
      return [`${ptr}/${escapePointerToken(String(p.missingProperty))}`, `is required when ${p.property} is set`];
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return [ptr, `${nameHint}must be ${p.comparison} ${formatLimit(p.limit)}`];
    case 'pattern':
      return [ptr, nameHint + (PATTERN_TEXT[p.pattern] ?? `must match pattern ${JSON.stringify(p.pattern)}`)];
    case 'minLength':
      return [ptr, nameHint + (p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters long`)];
    case 'maxLength':
      return [ptr, `${nameHint}must be at most ${p.limit} characters long`];
    case 'minItems':
      return [ptr, `must have at least ${p.limit} item${p.limit === 1 ? '' : 's'}`];
    case 'maxItems':
      return [ptr, `must have at most ${p.limit} item${p.limit === 1 ? '' : 's'}`];
    case 'additionalProperties':
      return [`${ptr}/${escapePointerToken(String(p.additionalProperty))}`, 'is not allowed'];
    default:
      return [ptr, `${nameHint}fails "${e.keyword}" ${JSON.stringify(p)}`];
  }
}

/**
 * One line for a failed validation: `<label>: <JSON pointer>: <rule>`. ajv stops at the first
 * failure, but a failed anyOf/oneOf/if also lists what each branch found: prefer the deepest
 * specific error, and say "at least one of a, b" for an anyOf whose branches each require one
 * property.
 */
export function formatValidationErrors(errors: readonly ValidationError[], label: string): string {
  if (errors.length === 0) return `${label}: invalid`;
  let best: [string, string] | undefined;

  const anyOf = errors.find((e) => e.keyword === 'anyOf');
  if (anyOf) {
    const branchRequired = errors.filter(
      (e) => e.keyword === 'required' && e.instancePath === anyOf.instancePath && e.schemaPath.includes('/anyOf/'),
    );
    const others = errors.filter((e) => e !== anyOf && !branchRequired.includes(e));
    if (branchRequired.length > 1 && others.every((e) => SUMMARY_KEYWORDS.has(e.keyword))) {
      const names = branchRequired.map((e) => String(e.params.missingProperty));
      best = [anyOf.instancePath, `must set at least one of ${names.join(', ')}`];
    }
  }

  if (!best) {
    const specific = errors.filter((e) => !SUMMARY_KEYWORDS.has(e.keyword));
    const pool = specific.length > 0 ? specific : errors;
    let pick = pool[0]!;
    for (const e of pool) if (depth(e) > depth(pick)) pick = e;
    best = describe(pick);
  }
  const [ptr, msg] = best;
  return ptr ? `${label}: ${ptr}: ${msg}` : `${label}: ${msg}`;
}
