// The test runners report truthfully: scripts/test.mjs counts a skipped case as skipped (not
// passed) and lists its reason; the conformance runner fails when any runtime fails a case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitStatus, type Result } from '../../conformance/lib/suite';

const ROOT = join(__dirname, '..', '..');

/** Runs scripts/test.mjs on one generated uvu file (inside the repo, so that uvu resolves). */
function runner(body: string): { status: number | null; stdout: string } {
  const dir = mkdtempSync(join(ROOT, 'test', '.runner-'));
  try {
    const file = join(dir, 'case.test.ts');
    writeFileSync(file, `import { test } from 'uvu';\nimport * as assert from 'uvu/assert';\nimport { skip, unless } from '../helpers/skip';\n${body}\ntest.run();\n`);
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'test.mjs'), file], { cwd: ROOT, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a skipped case is counted as skipped, with its reason listed, not as passed', () => {
  const r = runner(`test('runs', () => assert.ok(true));\nskip(test, 'needs a frobnicator', 'no frobnicator on this host');\nunless(test, 'no widget')('needs a widget', () => assert.ok(false));`);
  assert.is(r.status, 0, r.stdout);
  assert.match(r.stdout, /\n1 passed, 0 failed, 2 skipped\n/);
  assert.match(r.stdout, /Skipped:\n.*case\.test\.ts: needs a frobnicator: no frobnicator on this host\n.*needs a widget: no widget/);
});

test('a failing case fails the run', () => {
  const r = runner(`test('fails', () => assert.is(1, 2));`);
  assert.is(r.status, 1);
  assert.match(r.stdout, /\n0 passed, 1 failed\n/);
});

test('the conformance runner fails when runc-ts fails a case, even when runc (the reference) passes', () => {
  const res = (status: Result['status']): Result[] => [{ name: 'c', spec: 's', status, ms: 1 }];
  assert.equal(exitStatus([{ name: 'runc', results: res('pass') }, { name: 'runc-ts', results: res('fail') }]), { status: 1, failing: ['runc-ts'] });
  assert.equal(exitStatus([{ name: 'runc', results: res('xfail') }, { name: 'runc-ts', results: res('pass') }]), { status: 0, failing: [] });
  assert.equal(exitStatus([{ name: 'runc', results: res('skip') }, { name: 'runc-ts', results: res('skip') }]), { status: 0, failing: [] });
});

test.run();
