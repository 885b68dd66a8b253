// Minimal assertions for conformance cases: each throws a CaseFailure whose message becomes the
// TAP reason, so a failing case says what was expected and what was observed.
import { isDeepStrictEqual, inspect } from 'node:util';

export class CaseFailure extends Error {}

/** Thrown by a case (or a precondition) that cannot run on this machine: reported as SKIP. */
export class CaseSkip extends Error {}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : inspect(v, { depth: 4, breakLength: Infinity }));

export function fail(msg: string): never {
  throw new CaseFailure(msg);
}

export function ok(cond: unknown, msg: string): asserts cond {
  if (!cond) fail(msg);
}

export function eq<T>(actual: T, expected: T, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export function ne<T>(actual: T, unexpected: T, what: string): void {
  if (isDeepStrictEqual(actual, unexpected)) fail(`${what}: expected something other than ${show(unexpected)}`);
}

export function match(actual: string, re: RegExp, what: string): void {
  if (!re.test(actual)) fail(`${what}: expected to match ${re}, got ${show(actual.slice(0, 400))}`);
}

export function noMatch(actual: string, re: RegExp, what: string): void {
  if (re.test(actual)) fail(`${what}: expected not to match ${re}, got ${show(actual.slice(0, 400))}`);
}

/** Sets compared regardless of order, reporting what is missing and what is extra. */
export function sameSet(actual: Iterable<string>, expected: Iterable<string>, what: string): void {
  const a = new Set(actual);
  const e = new Set(expected);
  const missing = [...e].filter((x) => !a.has(x));
  const extra = [...a].filter((x) => !e.has(x));
  if (missing.length || extra.length) fail(`${what}: missing ${show(missing)}, unexpected ${show(extra)}`);
}

export function skip(reason: string): never {
  throw new CaseSkip(reason);
}
