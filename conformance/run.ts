// The runtime-spec conformance suite's runner.
//   RUNTIME=/usr/sbin/runc npm run conformance     one runtime, TAP on stdout, exit 1 on any failure
//   CASES=namespaces npm run conformance           only cases whose name contains the substring
//   npm run conformance:report                     runc and bin/runc-ts, writes report.md/report.json
import { rmSync } from 'node:fs';
import { mkdtempOpen } from './lib/bundle';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { allCases } from './cases/index';
import { writeReport, RuntimeRun } from './lib/report';
import { Runtime } from './lib/runtime';
import { exitStatus, runSuite, totals } from './lib/suite';
import { cgroupsNamed, removeCgroup, unmountUnder } from './lib/hygiene';

const REPO = join(__dirname, '..');
const RUNC = '/usr/sbin/runc';
const RUNC_TS = join(REPO, 'bin', 'runc-ts');

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('conformance: must run as root');
    return 2;
  }
  const report = process.argv.includes('--report');
  const filter = process.env.CASES ?? '';
  const cases = allCases.filter((c) => c.name.includes(filter));
  const suiteDir = mkdtempOpen(join(tmpdir(), 'conformance-'));
  const finalCleanup = (): void => {
    unmountUnder(suiteDir);
    for (const c of cgroupsNamed(`cf${process.pid}c`)) removeCgroup(c);
    rmSync(suiteDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    finalCleanup();
    process.exit(130);
  });
  try {
    const targets: Array<[string, string]> = report
      ? [['runc', RUNC], ['runc-ts', RUNC_TS]]
      : [[basename(process.env.RUNTIME ?? RUNC_TS), process.env.RUNTIME ?? RUNC_TS]];
    const runs: RuntimeRun[] = [];
    for (const [name, bin] of targets) {
      const rt = new Runtime(name, bin, suiteDir);
      const results = await runSuite(rt, cases, suiteDir, (l) => console.log(l));
      const t = totals(results);
      console.log(`# ${name}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
      runs.push({ name, bin: bin.startsWith(REPO + '/') ? bin.slice(REPO.length + 1) : bin, version: rt.version, results });
    }
    if (report) {
      writeReport(runs, join(__dirname, 'report.md'), join(__dirname, 'report.json'));
      console.log('# wrote conformance/report.md and conformance/report.json');
    }
    // The closing line: the single runtime's totals, or in --report mode the reference's (runc).
    const t = totals(runs[0].results);
    console.log(`${t.passed} passed, ${t.failed} failed${t.skipped ? `, ${t.skipped} skipped` : ''}`);
    // Every runtime's failures count (runc's known gaps are expected failures, not failures).
    const { status, failing } = exitStatus(runs);
    if (failing.length) console.log(`# failed cases in: ${failing.join(', ')}`);
    return status;
  } finally {
    finalCleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
