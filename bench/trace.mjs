#!/usr/bin/env node
// Summarises a RUNC_TS_TRACE file (src/trace.ts): for each command traced (a line
// "-- <label>" separates them; bench/trace.mjs --run adds them), each event with its time
// since the first event and since the previous one.
//   node bench/trace.mjs FILE                       print FILE
//   node bench/trace.mjs --run N [runc-ts args...]  run `runc-ts args` N times traced, print the median timeline
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs of events: [{ t, pid, event }] per traced command, times relative to its start. */
function parse(text) {
  const runs = [];
  let cur = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('-- ')) {
      if (cur.length) runs.push(cur);
      cur = [];
      continue;
    }
    const m = /^([\d.]+) (\d+) (.*)$/.exec(line);
    if (m) cur.push({ t: Number(m[1]), pid: m[2], event: m[3] });
  }
  if (cur.length) runs.push(cur);
  return runs.map((r) => {
    r.sort((a, b) => a.t - b.t);
    return r.map((e) => ({ ...e, t: e.t - r[0].t }));
  });
}

function print(events) {
  let prev = 0;
  for (const e of events) {
    console.log(`${e.t.toFixed(1).padStart(7)} ms  +${(e.t - prev).toFixed(1).padStart(5)}  ${e.event}`);
    prev = e.t;
  }
}

if (args[0] === '--run') {
  const n = Number(args[1]);
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'runc-ts');
  const dir = mkdtempSync(join(tmpdir(), 'runc-ts-trace-'));
  const file = join(dir, 'trace');
  const runs = [];
  // The work directory goes in any case: a failed run throws out of the loop.
  try {
    for (let i = 0; i < n; i++) {
      const argv = args.slice(2).map((a) => a.replaceAll('{i}', String(i)));
      // stderr to a file: a created container's init inherits it, and a pipe would keep
      // spawnSync waiting until the container exits.
      const err = openSync(join(dir, 'stderr'), 'w');
      const t0 = Date.now();
      const r = spawnSync(bin, argv, { env: { ...process.env, RUNC_TS_TRACE: file }, stdio: ['ignore', 'ignore', err] });
      const total = Date.now() - t0;
      closeSync(err);
      if (r.status !== 0) throw new Error(`runc-ts ${argv.join(' ')}: exit ${r.status}: ${readFileSync(join(dir, 'stderr'), 'utf8')}`);
      const [events] = parse(readFileSync(file, 'utf8'));
      rmSync(file);
      runs.push({ events, total });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The median time of each event (by name, in the order of the first run).
  // Events are matched across runs by name (numbers masked) and occurrence.
  const keyed = (events) => {
    const seen = new Map();
    return events.map((e) => {
      const name = e.event.replace(/\d+(\.\d+)?/g, 'N');
      seen.set(name, (seen.get(name) ?? 0) + 1);
      return { ...e, name, key: `${name}#${seen.get(name)}` };
    });
  };
  const first = keyed(runs[0].events);
  const all = runs.map((r) => keyed(r.events));
  const med = first.map((f) => ({ event: f.name, t: median(all.map((r) => r.find((e) => e.key === f.key)?.t ?? NaN)) }));
  med.sort((a, b) => a.t - b.t);
  print(med);
  console.log(`total (wall, as the caller sees it): median ${median(runs.map((r) => r.total))} ms over ${n} runs`);
} else {
  for (const run of parse(readFileSync(args[0], 'utf8'))) {
    print(run);
    console.log();
  }
}
