// test/guest/report.ts: the guest suites' conformance section (conformance/report-cgroup-v2.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RowReport, type TestFn } from '../guest/report';
import { unlessRuncGap } from '../helpers/security-util';

test("a runc 1.1 gap is runc's cell of the case's row, beside runc-ts's result", async () => {
  const report = new RowReport(undefined, 'T', 'intro');
  const registered: (() => void | Promise<void>)[] = [];
  const fake = Object.assign((_name: string, fn: () => void | Promise<void>) => void registered.push(fn), { skip: () => {} }) as TestFn;
  // unlessRuncGap prints its SKIP line (scripts/test.mjs would list it as this file's skip).
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    for (const runtime of ['runc-ts', 'runc']) {
      const t = report.wrap(fake, runtime);
      t('memory: max', () => {});
      unlessRuncGap(t, runtime, 'cpu: burst (cpu.max.burst)', 'runc 1.1 has no cpu burst', () => {});
    }
  } finally {
    process.stdout.write = write;
  }
  for (const fn of registered) await fn();
  const md = report.markdown('T', 'intro');
  assert.ok(md.includes('| memory: max | pass | pass |'), md);
  assert.ok(md.includes('| cpu: burst (cpu.max.burst) | pass | expected fail: runc 1.1 has no cpu burst |'), md);
  assert.not.ok(md.includes('[runc]'), md);
  assert.ok(md.includes('- runc: 1 passed, 0 failed, 1 expected failures (runc 1.1 gaps)'), md);
});

test.run();
