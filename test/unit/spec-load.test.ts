// Loading bundles (src/spec/load.ts): config.json lookup, JSON syntax errors with line:column,
// ociVersion check, validation, and root.path resolution.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

execFileSync(process.execPath, [join(__dirname, '../../scripts/gen-validators.mjs')], { stdio: 'inherit' });

import { defaultSpec } from '../../src/spec/default';
import { SpecError } from '../../src/spec/errors';
import { checkOciVersion, lineColumn, loadBundle, parseJsonWithPosition, readJsonFile, validateExecProcess } from '../../src/spec/load';
import { parseJsonObject } from '../../src/spec/json';

let tmp = '';
test.before.each(() => {
  tmp = mkdtempSync(join(tmpdir(), 'runc-ts-spec-load-'));
});
test.after.each(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** A bundle directory with `config` (object, or raw text) and, unless told otherwise, ./rootfs. */
function makeBundle(config: unknown, opts: { rootfs?: boolean; name?: string } = {}): string {
  const dir = join(tmp, opts.name ?? 'bundle');
  mkdirSync(dir, { recursive: true });
  if (opts.rootfs !== false) mkdirSync(join(dir, 'rootfs'));
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, '\t'));
  return dir;
}

function loadError(dir: string): string {
  try {
    loadBundle(dir);
  } catch (e) {
    assert.instance(e, SpecError);
    assert.not.match((e as Error).message, /\n/);
    return (e as Error).message;
  }
  throw new Error('loadBundle accepted a bad bundle');
}

test('loads a bundle: spec, realpath bundle, rootfs resolved against the bundle', () => {
  const dir = makeBundle(defaultSpec());
  const b = loadBundle(dir);
  assert.is(b.bundle, dir);
  assert.is(b.rootfs, join(dir, 'rootfs'));
  assert.is(b.spec.ociVersion, '1.3.0');
  assert.equal(b.spec.process?.args, ['sh']);
});

test('a relative bundle argument is taken from the current directory', () => {
  const dir = makeBundle(defaultSpec());
  const b = loadBundle(relative(process.cwd(), dir));
  assert.is(b.bundle, dir);
  assert.is(b.rootfs, join(dir, 'rootfs'));
});

test('the bundle path is resolved through symlinks; a relative rootfs follows the real bundle', () => {
  const dir = makeBundle(defaultSpec());
  const link = join(tmp, 'link');
  symlinkSync(dir, link);
  const b = loadBundle(link);
  assert.is(b.bundle, dir);
  assert.is(b.rootfs, join(dir, 'rootfs'));
});

test('an absolute root.path is kept; relative paths may leave the bundle', () => {
  const outside = join(tmp, 'elsewhere', 'root');
  mkdirSync(outside, { recursive: true });
  const spec: any = defaultSpec();
  spec.root.path = outside;
  assert.is(loadBundle(makeBundle(spec, { rootfs: false, name: 'abs' })).rootfs, outside);
  spec.root.path = '../elsewhere/./root/';
  assert.is(loadBundle(makeBundle(spec, { rootfs: false, name: 'rel' })).rootfs, outside);
});

test('missing bundle, bundle that is a file, missing config.json', () => {
  const missing = join(tmp, 'nope');
  assert.is(loadError(missing), `bundle directory ${missing} does not exist`);
  const file = join(tmp, 'file');
  writeFileSync(file, '');
  assert.is(loadError(file), `bundle ${file} is not a directory`);
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  assert.is(loadError(empty), `config.json not found in bundle ${empty} (${join(empty, 'config.json')})`);
  const dirConfig = join(tmp, 'dirconfig');
  mkdirSync(join(dirConfig, 'config.json'), { recursive: true });
  assert.is(loadError(dirConfig), `${join(dirConfig, 'config.json')} is a directory, not a file`);
});

test('rootfs missing, or not a directory, names the path', () => {
  const dir = makeBundle(defaultSpec(), { rootfs: false });
  assert.is(loadError(dir), `rootfs ${join(dir, 'rootfs')} does not exist (root.path "rootfs" in ${join(dir, 'config.json')})`);
  writeFileSync(join(dir, 'rootfs'), 'not a dir');
  assert.is(loadError(dir), `rootfs ${join(dir, 'rootfs')} is not a directory (root.path "rootfs" in ${join(dir, 'config.json')})`);
  const spec: any = defaultSpec();
  delete spec.root;
  assert.match(loadError(makeBundle(spec, { name: 'noroot' })), /^config\.json: \/root: is required but missing/);
  spec.root = { path: '' };
  assert.is(loadError(makeBundle(spec, { name: 'emptyroot' })), 'config.json: /root/path: must not be empty');
});

test('invalid JSON in config.json gives line and column', () => {
  const text = JSON.stringify(defaultSpec(), null, '\t').replace('"hostname": "runc",', '"hostname": "runc"');
  const dir = makeBundle(text);
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes('"mounts"')) + 1;
  const column = lines[line - 1]!.indexOf('"') + 1;
  assert.is(loadError(dir), `config.json: invalid JSON at line ${line}, column ${column}: unexpected character "\\"", expected ',' or '}' after property value`);
  assert.is(loadError(makeBundle('', { name: 'empty' })), 'config.json: invalid JSON at line 1, column 1: unexpected end of input, expected a JSON value');
});

test('parseJsonWithPosition: positions and descriptions for common mistakes', () => {
  const err = (text: string) => {
    try {
      parseJsonWithPosition(text, 'process.json');
    } catch (e) {
      assert.instance(e, SpecError);
      return (e as Error).message;
    }
    throw new Error('parsed invalid JSON');
  };
  assert.equal(parseJsonWithPosition('{"a": [1, 2.5e3, "x\\u00e9"]}', 'f'), { a: [1, 2500, 'xé'] });
  assert.is(err('{\n  "a": 1,\n}'), 'process.json: invalid JSON at line 3, column 1: unexpected character "}", expected a property name in double quotes');
  assert.is(err('{\n  "a": [1,\n  ]\n}'), 'process.json: invalid JSON at line 3, column 3: unexpected character "]", expected a JSON value');
  assert.is(err("{'a': 1}"), `process.json: invalid JSON at line 1, column 2: unexpected character "'", expected a property name in double quotes or '}'`);
  assert.is(err('{"a" 1}'), `process.json: invalid JSON at line 1, column 6: unexpected character "1", expected ':' after property name`);
  assert.is(err('{"a": tru}'), 'process.json: invalid JSON at line 1, column 7: unexpected character "t", expected a JSON value');
  assert.is(err('{"a": 01}'), 'process.json: invalid JSON at line 1, column 8: invalid number (unexpected character "1")');
  assert.is(err('{"a": "x\ty"}'), 'process.json: invalid JSON at line 1, column 9: bad control character U+0009 in string (escape it)');
  assert.is(err('{"a": "\\q"}'), 'process.json: invalid JSON at line 1, column 8: bad escape \\q in string');
  assert.is(err('{"a": "open'), 'process.json: invalid JSON at line 1, column 12: unexpected end of input in string (missing closing quote)');
  assert.is(err('{"a": 1}\n{"b": 2}'), 'process.json: invalid JSON at line 2, column 1: unexpected character "{" after the JSON value');
  assert.is(err('\ufeff{}'), 'process.json: invalid JSON at line 1, column 1: unexpected character U+FEFF, expected a JSON value');
  assert.is(err('[1, 2'), `process.json: invalid JSON at line 1, column 6: unexpected end of input, expected ',' or ']' after array element`);
  // CRLF files: \r is whitespace, lines are counted by \n.
  assert.is(err('{\r\n"a": 1\r\n"b": 2}'), `process.json: invalid JSON at line 3, column 1: unexpected character "\\"", expected ',' or '}' after property value`);
});

test('lineColumn counts 1-based lines and columns', () => {
  assert.equal(lineColumn('abc', 0), { line: 1, column: 1 });
  assert.equal(lineColumn('ab\ncd\n\nx', 4), { line: 2, column: 2 });
  assert.equal(lineColumn('ab\ncd\n\nx', 7), { line: 4, column: 1 });
});

test('unsupported ociVersion majors are refused before validation', () => {
  const spec: any = defaultSpec();
  spec.ociVersion = '2.0.0';
  spec.process = 'a 2.x process would not validate as 1.x';
  assert.is(loadError(makeBundle(spec, { name: 'v2' })), 'config.json: unsupported ociVersion "2.0.0": runc-ts supports 1.x');
  spec.ociVersion = '0.5.0-dev';
  assert.is(loadError(makeBundle(spec, { name: 'v0' })), 'config.json: unsupported ociVersion "0.5.0-dev": runc-ts supports 1.x');
  for (const ok of ['1.0.0', '1.0.2-dev', '1.2.1', '1.3.0', '1.9.0']) checkOciVersion({ ociVersion: ok }, 'config.json');
  // Not a version at all: left to the schema, which names the rule.
  spec.ociVersion = 'latest';
  spec.process = defaultSpec().process;
  assert.is(loadError(makeBundle(spec, { name: 'vx' })), 'config.json: /ociVersion: must be a SemVer 2.0.0 version such as "1.3.0"');
});

test('schema violations surface from loadBundle with the config.json label', () => {
  const spec: any = defaultSpec();
  spec.linux.namespaces.push({ type: 'time', path: 3 });
  assert.is(loadError(makeBundle(spec)), `config.json: /linux/namespaces/${spec.linux.namespaces.length - 1}/path: must be string`);
});

test('"annotations": null loads as no annotations', () => {
  const spec: any = defaultSpec();
  spec.annotations = null;
  const b = loadBundle(makeBundle(spec));
  assert.not.ok('annotations' in b.spec);
});

test('readJsonFile names the file when it is missing or malformed', () => {
  const p = join(tmp, 'process.json');
  assert.throws(() => readJsonFile(p, 'process.json'), (e: Error) => e instanceof SpecError && e.message === 'process.json: no such file');
  writeFileSync(p, '{\n"cwd": "/",\n"user": {"uid": 0 "gid": 0}}');
  assert.throws(() => readJsonFile(p), (e: Error) => e.message === `${p}: invalid JSON at line 3, column 19: unexpected character "\\"", expected ',' or '}' after property value`);
  writeFileSync(p, '{"cwd": "/"}');
  assert.equal(readJsonFile(p), { cwd: '/' });
});

test('a rootfs reached through a symlink is refused up front (as runc), a link to / too', () => {
  for (const target of ['real', '/']) {
    const dir = makeBundle(defaultSpec(), { rootfs: false, name: `b-${target === '/' ? 'slash' : target}` });
    if (target !== '/') mkdirSync(join(dir, target));
    symlinkSync(target, join(dir, 'rootfs'));
    assert.match(loadError(dir), new RegExp(`invalid rootfs ${dir}/rootfs: a symlink \\(resolves to ${target === '/' ? '/' : `${dir}/real`};`));
  }
});

test('JSON nested deeper than 1000 levels is refused naming the file, before any recursion', () => {
  const deep = (n: number) => `{"x":${'['.repeat(n)}${']'.repeat(n)}}`;
  assert.throws(() => parseJsonWithPosition(deep(100_000), 'config.json'), (e: Error) => e instanceof SpecError && /^config\.json: JSON nested deeper than 1000 levels/.test(e.message));
  assert.equal(parseJsonWithPosition(deep(998), 'config.json') !== undefined, true);
  // The limit itself: 1000 levels pass, 1001 do not (the object is one of them).
  assert.equal(parseJsonWithPosition(deep(999), 'config.json') !== undefined, true);
  assert.throws(() => parseJsonWithPosition(deep(1000), 'config.json'), /nested deeper than 1000 levels \(at offset 1004\)/);
  // Many brackets, none deep: counted first, then walked, and let through.
  const wide = JSON.stringify({ a: Array.from({ length: 3000 }, () => ({ b: [] })) });
  assert.equal((parseJsonWithPosition(wide, 'config.json') as any).a.length, 3000);
  // Brackets inside strings do not count.
  assert.equal(parseJsonWithPosition(JSON.stringify({ s: '['.repeat(5000) }), 'config.json'), { s: '['.repeat(5000) });
  const dir = makeBundle(deep(100_000));
  assert.match(loadError(dir), /^config\.json: JSON nested deeper than 1000 levels/);
});

test('a state file must hold a JSON object: null, arrays, bad JSON get one line naming the file', () => {
  const mk = (m: string) => new Error(m);
  assert.throws(() => parseJsonObject('null', '/r/x/state.json', mk), /\/r\/x\/state\.json: expected a JSON object, found null/);
  assert.throws(() => parseJsonObject('[1]', 'f', mk), /f: expected a JSON object, found an array/);
  assert.throws(() => parseJsonObject('{', 'f', mk), /^f: invalid JSON: /);
  assert.equal(parseJsonObject('{"a":1}', 'f', mk), { a: 1 });
});

test('device access letters other than r, w, m are taken as runc does, with a warning', () => {
  const spec: any = defaultSpec();
  spec.linux.resources = {
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwa' },
      { allow: true, type: 'c', major: 1, minor: 5, access: 'xyz' },
      { allow: true, type: 'a', access: 'q' },
    ],
  };
  const warnings: string[] = [];
  const b = loadBundle(makeBundle(spec), (w) => warnings.push(w));
  // "rwa" is "rw"; a rule left with no permission does nothing and goes, except a type-a one,
  // which resets the list whatever its access says.
  assert.equal(b.spec.linux!.resources!.devices, [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
    { allow: true, type: 'a', access: 'rwm' },
  ]);
  assert.is(warnings.length, 3);
  assert.match(warnings[0]!, /\/linux\/resources\/devices\/3\/access: "q"/);
});

test('exec --process files are checked as runc takes them: user optional, args and cwd required', () => {
  const p: any = { args: ['sh'], cwd: '/' };
  validateExecProcess(p);
  assert.equal(p.user, { uid: 0, gid: 0 });
  const q: any = { args: ['sh'], cwd: '/', user: { uid: 5 } };
  validateExecProcess(q);
  assert.equal(q.user, { uid: 5, gid: 0 });
  assert.throws(() => validateExecProcess({ args: [], cwd: '/' }), /process\.json: \/args: must not be empty/);
  assert.throws(() => validateExecProcess({ args: ['sh'] }), /process\.json: \/cwd: is required but missing/);
  assert.throws(() => validateExecProcess({ args: ['sh'], cwd: 'rel' }), /process\.json: \/cwd: must be an absolute path/);
});

test.run();
