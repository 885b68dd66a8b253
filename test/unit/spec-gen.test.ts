// scripts/gen-validators.mjs: standalone output that needs only ajv's small runtime helpers,
// skipped when up to date, and one validator per schema export.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = join(__dirname, '../..');
const script = join(root, 'scripts/gen-validators.mjs');
const outJs = join(root, 'src/spec/generated/validators.js');
const outDts = join(root, 'src/spec/generated/validators.d.ts');

function gen(...args: string[]): string {
  return execFileSync(process.execPath, [script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

test.before(() => {
  gen();
});

test('outputs are newer than every schema', () => {
  const out = Math.min(statSync(outJs).mtimeMs, statSync(outDts).mtimeMs);
  for (const n of readdirSync(join(root, 'schemas')).filter((f) => f.endsWith('.json'))) {
    assert.ok(statSync(join(root, 'schemas', n)).mtimeMs <= out, `${n} is newer than the generated validators`);
  }
});

test('a second run is skipped (outputs untouched)', () => {
  const before = statSync(outJs).mtimeMs;
  gen();
  assert.is(statSync(outJs).mtimeMs, before);
});

test('the generated code requires only ajv runtime helpers, never the compiler', () => {
  const code = readFileSync(outJs, 'utf8');
  const requires = [...code.matchAll(/require\(("[^"]+")\)/g)].map((m) => JSON.parse(m[1]!) as string);
  for (const r of requires) assert.match(r, /^ajv\/dist\/runtime\//);
  assert.not.match(code, /new Function|\beval\(/);
});

test('exports one validator per schema entry point, declared in the .d.ts', () => {
  const mod = require(outJs);
  const dts = readFileSync(outDts, 'utf8');
  for (const name of ['validateConfig', 'validateState', 'validateProcess', 'validateLinuxResources']) {
    assert.type(mod[name], 'function', name);
    assert.ok(dts.includes(`export declare const ${name}: ValidateFunction;`), `${name} missing from validators.d.ts`);
  }
  assert.is(mod.validateState({ ociVersion: '1.3.0', id: 'x', status: 'stopped', bundle: '/b' }), true);
  assert.is(mod.validateState({ ociVersion: '1.3.0', id: 'x', status: 'stopped' }), false);
  assert.is(mod.validateState.errors[0].keyword, 'required');
});

test.run();
