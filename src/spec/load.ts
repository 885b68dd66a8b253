// Loading an OCI bundle: <bundle>/config.json read, parsed (with line:column on a syntax error),
// version-checked, schema-validated, and root.path resolved against the bundle directory.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SpecError } from './errors';
import type { Spec } from './types';
import { validateConfig } from './validate';
import { checkJsonDepth } from './json';

export interface LoadedBundle {
  spec: Spec;
  /** The bundle directory: absolute, symlinks resolved. */
  bundle: string;
  /** root.path resolved against the bundle directory (absolute paths kept as they are). */
  rootfs: string;
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

/**
 * Loads and checks the bundle at `bundleDir` (relative to the current directory). Throws a
 * one-line SpecError naming the path or JSON pointer at fault.
 */
export function loadBundle(bundleDir: string, warn: (message: string) => void = () => {}): LoadedBundle {
  const abs = resolve(bundleDir);
  let bundle: string;
  try {
    if (!statSync(abs).isDirectory()) throw new SpecError(`bundle ${abs} is not a directory`);
    bundle = realpathSync(abs);
  } catch (e) {
    if (e instanceof SpecError) throw e;
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') throw new SpecError(`bundle directory ${abs} does not exist`);
    throw new SpecError(`bundle ${abs}: ${(e as Error).message}`);
  }

  const configPath = join(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') throw new SpecError(`config.json not found in bundle ${bundle} (${configPath})`);
    if (errnoCode(e) === 'EISDIR') throw new SpecError(`${configPath} is a directory, not a file`);
    throw new SpecError(`cannot read ${configPath}: ${(e as Error).message}`);
  }

  const obj = parseJsonWithPosition(text, 'config.json');
  checkOciVersion(obj, 'config.json');
  relaxDeviceAccess(obj, 'config.json', warn);
  validateConfig(obj, 'config.json');
  const spec = obj;
  // Upstream's schema, and Go's decoder, take `"annotations": null` as no annotations.
  if (spec.annotations === null) delete spec.annotations;

  if (!spec.root) throw new SpecError('config.json: /root: is required but missing (root.path is REQUIRED on Linux)');
  if (spec.root.path === '') throw new SpecError('config.json: /root/path: must not be empty');
  const rootfs = resolve(bundle, spec.root.path);
  let st;
  try {
    st = statSync(rootfs);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') {
      throw new SpecError(`rootfs ${rootfs} does not exist (root.path ${JSON.stringify(spec.root.path)} in ${configPath})`);
    }
    throw new SpecError(`rootfs ${rootfs}: ${(e as Error).message}`);
  }
  if (!st.isDirectory()) throw new SpecError(`rootfs ${rootfs} is not a directory (root.path ${JSON.stringify(spec.root.path)} in ${configPath})`);
  // runc refuses a rootfs reached through a symlink up front ("invalid rootfs: not an absolute
  // path, or a symlink"): a link to / would otherwise fail late, with an unrelated error.
  const real = realpathSync(rootfs);
  if (real !== rootfs) {
    throw new SpecError(`invalid rootfs ${rootfs}: a symlink (resolves to ${real}; root.path ${JSON.stringify(spec.root.path)} in ${configPath})`);
  }

  return { spec, bundle, rootfs };
}

/**
 * linux.resources.devices[].access: the spec allows only r, w and m, but runc ignores any other
 * letter ("rwa" is "rw"), and callers send such configs. Take them as runc does, with a warning.
 * A rule left with no permission changes nothing, unless it is a type-"a" rule, which resets the
 * whole allow/deny list whatever its access says (runc's devices emulator): that one keeps "rwm".
 */
export function relaxDeviceAccess(obj: unknown, fileLabel: string, warn: (message: string) => void): void {
  const devices = (obj as { linux?: { resources?: { devices?: unknown } } } | null)?.linux?.resources?.devices;
  if (!Array.isArray(devices)) return;
  for (let i = devices.length - 1; i >= 0; i--) {
    const d = devices[i] as { access?: unknown; type?: unknown } | null;
    if (typeof d !== 'object' || d === null || typeof d.access !== 'string' || d.access === '' || /^[rwm]*$/.test(d.access)) continue;
    const kept = [...new Set(d.access.replace(/[^rwm]/g, ''))].join('');
    const wildcard = d.type === undefined || d.type === 'a';
    warn(`${fileLabel}: /linux/resources/devices/${i}/access: ${JSON.stringify(d.access)} has letters other than r, w and m: ignored as runc does`);
    if (kept) d.access = kept;
    else if (wildcard) d.access = 'rwm';
    else devices.splice(i, 1);
  }
}

/**
 * Refuses a document whose ociVersion has a major version other than 1. A missing or malformed
 * ociVersion is left to the schema, which names the rule.
 */
export function checkOciVersion(obj: unknown, fileLabel: string): void {
  if (typeof obj !== 'object' || obj === null) return;
  const v = (obj as { ociVersion?: unknown }).ociVersion;
  if (typeof v !== 'string') return;
  const m = /^(0|[1-9][0-9]*)\.[0-9]+\.[0-9]+/.exec(v);
  if (m && m[1] !== '1') throw new SpecError(`${fileLabel}: unsupported ociVersion ${JSON.stringify(v)}: runc-ts supports 1.x`);
}

/** Reads and parses a JSON file, with one-line errors naming `fileLabel` (default: the path). */
export function readJsonFile(path: string, fileLabel = path): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') throw new SpecError(`${fileLabel}: no such file`);
    throw new SpecError(`cannot read ${fileLabel}: ${(e as Error).message}`);
  }
  return parseJsonWithPosition(text, fileLabel);
}

/**
 * JSON.parse, but a syntax error becomes a SpecError giving line and column (1-based), e.g.
 * `config.json: invalid JSON at line 3, column 5: expected ',' or '}' after property value`.
 */
export function parseJsonWithPosition(text: string, fileLabel: string): unknown {
  checkJsonDepth(text, fileLabel, (m) => new SpecError(m));
  try {
    return JSON.parse(text);
  } catch (e) {
    // Only on failure: find the offending offset ourselves (V8's messages do not always carry one).
    const found = findJsonSyntaxError(text);
    let pos: number;
    let what: string;
    if (found) {
      [pos, what] = found;
    } else {
      const m = /at position (\d+)/.exec((e as Error).message);
      pos = m ? Number(m[1]) : text.length;
      what = (e as Error).message;
    }
    const { line, column } = lineColumn(text, pos);
    throw new SpecError(`${fileLabel}: invalid JSON at line ${line}, column ${column}: ${what}`);
  }
}

/** 1-based line and column of `offset` in `text` (columns count UTF-16 code units). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function describeChar(c: string | undefined): string {
  if (c === undefined) return 'end of input';
  const code = c.charCodeAt(0);
  if (code < 0x20 || code === 0x7f || code === 0xfeff) return `character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `character ${JSON.stringify(c)}`;
}

/**
 * A strict JSON (RFC 8259) syntax check that returns [offset, description] of the first error,
 * or undefined when the text is valid. Iterative, so deep nesting cannot overflow the stack.
 */
export function findJsonSyntaxError(s: string): [number, string] | undefined {
  let i = 0;
  const n = s.length;
  const ws = () => {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const unexpected = (expected: string): [number, string] =>
    i >= n ? [n, `unexpected end of input, expected ${expected}`] : [i, `unexpected ${describeChar(s[i])}, expected ${expected}`];

  /** Scans a string starting at s[i] === '"'; returns an error or undefined. */
  const scanString = (): [number, string] | undefined => {
    i++;
    while (i < n) {
      const c = s[i]!;
      const code = c.charCodeAt(0);
      if (c === '"') {
        i++;
        return undefined;
      }
      if (code < 0x20) return [i, `bad control ${describeChar(c)} in string (escape it)`];
      if (c === '\\') {
        const e = s[i + 1];
        if (e === undefined) break;
        if ('"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) return [i, 'bad \\u escape in string (expected 4 hex digits)'];
          i += 6;
        } else return [i, `bad escape \\${e} in string`];
      } else i++;
    }
    return [n, 'unexpected end of input in string (missing closing quote)'];
  };

  const scanNumber = (): [number, string] | undefined => {
    const m = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    m.lastIndex = i;
    const r = m.exec(s);
    if (!r || r[0] === '-' || r[0] === '') return [i, 'invalid number'];
    const end = i + r[0].length;
    // A number directly followed by more digits or number characters is malformed (e.g. 01, 1., 1e).
    if (end < n && /[0-9.eE+-]/.test(s[end]!)) return [end, `invalid number (unexpected ${describeChar(s[end])})`];
    i = end;
    return undefined;
  };

  // Open containers, innermost last, and what the grammar wants next.
  const stack: ('{' | '[')[] = [];
  let want: 'value' | 'valueOrEnd' | 'key' | 'keyOrEnd' | 'colon' | 'after' = 'value';

  for (;;) {
    ws();
    const c = s[i];
    if (want === 'valueOrEnd' && c === ']') {
      i++;
      stack.pop();
      want = 'after';
    } else if (want === 'value' || want === 'valueOrEnd') {
      if (c === '{') {
        i++;
        stack.push('{');
        want = 'keyOrEnd';
      } else if (c === '[') {
        i++;
        stack.push('[');
        want = 'valueOrEnd';
      } else if (c === '"') {
        const err = scanString();
        if (err) return err;
        want = 'after';
      } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
        const err = scanNumber();
        if (err) return err;
        want = 'after';
      } else {
        const lit = ['true', 'false', 'null'].find((l) => s.startsWith(l, i));
        if (!lit) return unexpected('a JSON value');
        i += lit.length;
        want = 'after';
      }
    } else if (want === 'keyOrEnd' && c === '}') {
      i++;
      stack.pop();
      want = 'after';
    } else if (want === 'key' || want === 'keyOrEnd') {
      if (c !== '"') return unexpected(want === 'keyOrEnd' ? "a property name in double quotes or '}'" : 'a property name in double quotes');
      const err = scanString();
      if (err) return err;
      want = 'colon';
    } else if (want === 'colon') {
      if (c !== ':') return unexpected("':' after property name");
      i++;
      want = 'value';
    } else {
      // After a complete value: the end of the document, a ',' or the end of the container.
      const top = stack[stack.length - 1];
      if (top === undefined) return i < n ? [i, `unexpected ${describeChar(c)} after the JSON value`] : undefined;
      if (c === ',') {
        i++;
        want = top === '{' ? 'key' : 'value';
      } else if (c === (top === '{' ? '}' : ']')) {
        i++;
        stack.pop();
      } else {
        return unexpected(top === '{' ? "',' or '}' after property value" : "',' or ']' after array element");
      }
    }
  }
}

// For exec --process and update --resources (this module is a lazily loaded chunk).
export { validateExecProcess, validateLinuxResources } from './validate';
