// The project's skip convention: a case that cannot run here is registered with uvu's test.skip
// (counted as skipped, never as passed) and its reason printed on a `SKIP <title>: <reason>`
// line, which scripts/test.mjs collects and lists at the end of the run.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type TestFn = { (name: string, fn: any): void; skip: (name: string, fn: any) => void };

export function skipLine(title: string, reason: string): string {
  return `SKIP ${title}: ${reason.replace(/\s*\n\s*/g, ' ')}\n`;
}

/** Registers `title` as skipped for `reason`. */
export function skip(t: TestFn, title: string, reason: string, fn: () => void = () => {}): void {
  process.stdout.write(skipLine(title, reason));
  t.skip(`${title} [skipped: ${reason}]`, fn);
}

/** `t` when `reason` is undefined, else a function that registers every test as skipped for it. */
export function unless(t: TestFn, reason: string | undefined): (title: string, fn: () => void) => void {
  return reason === undefined ? t : (title, fn) => skip(t, title, reason, fn);
}
