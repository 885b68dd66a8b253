// A guest suite's rows as a conformance report section: each test's outcome per runtime
// (pass, FAIL, or a known runc 1.1 gap with its reason), written as markdown when the suite's
// process exits, next to conformance/report.md.
import { writeFileSync } from 'node:fs';

type Outcome = { kind: 'pass' } | { kind: 'fail'; why: string } | { kind: 'gap'; why: string };
type Fn = () => void | Promise<void>;
export interface TestFn {
  (name: string, fn: Fn): void;
  skip(name: string, fn: Fn): void;
}

export class RowReport {
  private readonly rows = new Map<string, Map<string, Outcome>>();
  private readonly runtimes: string[] = [];

  /** Written to `file` when the process exits (none: only `markdown`). */
  constructor(file: string | undefined, title: string, intro: string) {
    if (file) process.on('exit', () => this.rows.size && writeFileSync(file, this.markdown(title, intro)));
  }

  /** `t` for `runtime`, recording each test's outcome under its name. */
  wrap(t: TestFn, runtime: string): TestFn {
    if (!this.runtimes.includes(runtime)) this.runtimes.push(runtime);
    const put = (name: string, o: Outcome) => {
      if (!this.rows.has(name)) this.rows.set(name, new Map());
      this.rows.get(name)!.set(runtime, o);
    };
    // Rows in the order the suite declares them (runc's gaps are known before anything runs).
    const declare = (name: string) => this.rows.has(name) || this.rows.set(name, new Map());
    const run = (name: string, fn: Fn) => {
      declare(name);
      t(name, async () => {
        try {
          await fn();
          put(name, { kind: 'pass' });
        } catch (e) {
          put(name, { kind: 'fail', why: String((e as Error).message).split('\n')[0]! });
          throw e;
        }
      });
    };
    const skip = (name: string, fn: Fn) => {
      // Skipped rows are named "<title> [skipped: <reason>]" (test/helpers/skip.ts), and a runc
      // 1.1 gap "[runc] <title>" with the reason "runc 1.1 gap: <why>" (unlessRuncGap): its
      // row is the title's, the one runc-ts's result is in.
      const m = /^(.*) \[skipped(?: for runc)?: (.*)\]$/.exec(name);
      const title = (m ? m[1]! : name).replace(`[${runtime}] `, '');
      const why = m ? m[2]!.replace(/^runc 1\.1 gap: /, '') : 'skipped';
      declare(title);
      put(title, { kind: 'gap', why });
      t.skip(name, fn);
    };
    return Object.assign(run, { skip });
  }

  markdown(title: string, intro: string): string {
    const cell = (o?: Outcome) => (!o ? '-' : o.kind === 'pass' ? 'pass' : o.kind === 'fail' ? `**FAIL** (${o.why.replace(/\|/g, '\\|')})` : `expected fail: ${o.why}`);
    const lines = [`# ${title}`, '', intro, '', `| case | ${this.runtimes.join(' | ')} |`, `|---|${this.runtimes.map(() => '---').join('|')}|`];
    for (const [name, by] of this.rows) lines.push(`| ${name.replace(/\|/g, '\\|')} | ${this.runtimes.map((r) => cell(by.get(r))).join(' | ')} |`);
    lines.push('');
    for (const r of this.runtimes) {
      const os = [...this.rows.values()].map((by) => by.get(r)).filter(Boolean) as Outcome[];
      const n = (k: Outcome['kind']) => os.filter((o) => o.kind === k).length;
      lines.push(`- ${r}: ${n('pass')} passed, ${n('fail')} failed${n('gap') ? `, ${n('gap')} expected failures (runc 1.1 gaps)` : ''}`);
    }
    return lines.join('\n') + '\n';
  }
}
