// Bad input fuzz (issue #13): seeded, deterministic mutations of the valid default config —
// wrong types, huge arrays and strings, deep nesting, NUL bytes, absurd numbers, `..` and
// symlinks in paths, missing and unknown keys. Each case must end in a correct container
// (state "created", deleted cleanly) or a clear error: non-zero exit, one line on stderr, no
// JavaScript trace text, within a timeout; and never leave partial state (state root entry,
// mount, cgroup, process). FUZZ_SEED picks another sequence; the closing line gives the count.
// Bounded: 40 cases per runtime; RELIABILITY_FULL=1: 1000.
//
// Never mutated: linux.namespaces (a config without a mount namespace would mount on the host),
// hooks (none in the base: nothing of the host is run), root.path towards the host's "/".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FULL, Subject, figure, leftovers, oneLineError, prng, runtimeNames, size } from './lib';
import { defaultConfig } from '../helpers/bundle';

const SEED = Number(process.env.FUZZ_SEED ?? 13);
const CASES = size(40, 1000);
const DEPTH = 100_000;

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Raw JSON text a mutation puts in place of a value (numbers JSON.stringify cannot write, deep nesting). */
const RAW = new Map<string, string>();
function raw(text: string): string {
  const key = `\u0001raw${RAW.size}\u0001`;
  RAW.set(key, text);
  return key;
}
function serialise(config: any): string {
  let text = JSON.stringify(config, null, 1);
  for (const [k, v] of RAW) text = text.split(JSON.stringify(k)).join(v);
  return text;
}

/** Paths (arrays of keys) of every value in the config, except the never-mutated subtrees. */
function paths(v: any, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  const here = at.join('.');
  if (here === 'linux.namespaces' || here === 'hooks') return out;
  if (at.length) out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths(v[k], [...at, k], out);
  return out;
}

function get(o: any, p: (string | number)[]): any {
  return p.reduce((x, k) => x?.[k], o);
}
function set(o: any, p: (string | number)[], v: any): void {
  const parent = get(o, p.slice(0, -1));
  const k = p[p.length - 1]!;
  if (v === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(k), 1);
    else delete parent[k];
  } else parent[k] = v;
}

/** Path-like strings: `..`, symlinks prepared in the bundle, NULs, odd forms. */
const PATHS = ['../../../../etc', '/../../..', 'rootfs/../rootfs', '/proc/../..', '/escape/x', '/escape', 'rootlink', '/dev/../../tmp', '', '.', '//', '/a\u0000b', 'a'.repeat(5000), '/' + 'd/'.repeat(3000)];
/** For root.path: tricks that stay inside the bundle (the host's "/" as a rootfs is not a game). */
const ROOT_PATHS = ['rootlink', 'rootfs/../rootfs', 'rootfs/', './rootfs', 'no-such-dir', 'config.json', 'rootfs/bin/busybox', '', 'rootfs\u0000x', 'r'.repeat(5000)];
const NUMBERS = ['1e400', '-1e400', '18446744073709551616', '-9223372036854775809', '9007199254740993', '-1', '0.5', '-0', '4294967296', '65536', '1e-400'];

const MUTATIONS: Record<string, (r: Rand, c: any, p: (string | number)[]) => void> = {
  'wrong type'(r, c, p) {
    const cur = get(c, p);
    const others = [0, 1, -1, true, false, null, 'x', '', [], {}, [1, 'a'], { a: 1 }].filter((x) => typeof x !== typeof cur || Array.isArray(x) !== Array.isArray(cur));
    set(c, p, pick(r, others));
  },
  'huge array'(r, c, p) {
    const cur = get(c, p);
    const n = pick(r, [1000, 100_000]);
    let item = Array.isArray(cur) && cur.length ? cur[0] : cur ?? 'x';
    if (JSON.stringify(item).length > 200) item = 'x'; // a few MB in all, not GBs
    const text = JSON.stringify(item ?? null);
    // Copies, not one shared object: a later mutation inside one element must not hit all of them.
    set(c, p, Array.from({ length: n }, () => JSON.parse(text)));
  },
  'huge string'(r, c, p) {
    set(c, p, 'A'.repeat(pick(r, [65_536, 4_000_000])));
  },
  'deep nesting'(r, c, p) {
    const d = pick(r, [1000, DEPTH]);
    set(c, p, raw(pick(r, ['[', '{"a":'])  === '[' ? '['.repeat(d) + ']'.repeat(d) : '{"a":'.repeat(d) + '1' + '}'.repeat(d)));
  },
  'NUL byte'(r, c, p) {
    const cur = get(c, p);
    set(c, p, typeof cur === 'string' ? cur.slice(0, 1) + '\u0000' + cur.slice(1) : '\u0000');
  },
  'absurd number'(r, c, p) {
    set(c, p, raw(pick(r, NUMBERS)));
  },
  'path trick'(r, c, p) {
    set(c, p, pick(r, p.join('.') === 'root.path' ? ROOT_PATHS : PATHS));
  },
  'missing key'(_r, c, p) {
    set(c, p, undefined);
  },
  'unknown key'(r, c, p) {
    const cur = get(c, p);
    if (cur && typeof cur === 'object' && !Array.isArray(cur)) cur[pick(r, ['x-fuzz', '__proto__', 'constructor', ''])] = pick(r, [1, 'x', null, {}]);
    else set(c, p, { unknown: cur ?? null });
  },
};

/** Targeted paths, mutated with path tricks more often than random ones. */
const PATH_FIELDS = [['root', 'path'], ['process', 'cwd'], ['mounts', 1, 'destination'], ['mounts', 1, 'source'], ['mounts', 0, 'destination'], ['linux', 'maskedPaths', 0], ['linux', 'readonlyPaths', 0], ['process', 'args', 0]];

/** runc's default config plus the sections with numbers and names worth mutating. */
function base(): any {
  const c = defaultConfig();
  c.process.args = ['sleep', '100000'];
  c.process.oomScoreAdj = 0;
  c.process.user.additionalGids = [1, 2];
  c.linux.resources = { ...c.linux.resources, memory: { limit: 268435456 }, cpu: { shares: 512 }, pids: { limit: 100 } };
  c.linux.sysctl = { 'kernel.msgmax': '8192' };
  c.linux.devices = [{ path: '/dev/fuzz', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }];
  c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
  return c;
}

interface Case {
  n: number;
  what: string;
  text: string;
}

function* cases(seed: number, count: number): Generator<Case> {
  const r = prng(seed);
  for (let n = 0; n < count; n++) {
    RAW.clear();
    const c = base();
    const what: string[] = [];
    const k = 1 + Math.floor(r() * 3);
    for (let i = 0; i < k; i++) {
      const all = paths(c);
      if (!all.length) break;
      const usePath = r() < 0.3;
      const p = usePath ? pick(r, PATH_FIELDS) : pick(r, all);
      const m = usePath ? 'path trick' : pick(r, Object.keys(MUTATIONS));
      if (get(c, p.slice(0, -1)) === undefined || typeof get(c, p.slice(0, -1)) !== 'object' || get(c, p.slice(0, -1)) === null) continue;
      MUTATIONS[m]!(r, c, p);
      what.push(`${m} at ${p.join('.')}`);
    }
    yield { n, what: what.join(', ') || 'none', text: serialise(c) };
  }
}

for (const name of runtimeNames()) {
  test(`${name}: ${CASES} mutated configs (seed ${SEED}): a container or a one-line error, never a trace, hang or partial state`, () => {
    const s = new Subject(name);
    // Symlinks the path tricks aim at: one inside the rootfs pointing out of it, one for root.path.
    symlinkSync('/', join(s.bundle.dir, 'rootfs', 'escape'));
    symlinkSync('rootfs', join(s.bundle.dir, 'rootlink'));
    const problems: string[] = [];
    let ok = 0;
    let errors = 0;
    try {
      for (const c of cases(SEED, CASES)) {
        writeFileSync(join(s.bundle.dir, 'config.json'), c.text);
        const id = s.id('fz');
        const r = s.run(['create', '-b', s.bundle.dir, id], { timeoutMs: 20_000 });
        const label = `case ${c.n} (${c.what})`;
        if (process.env.FUZZ_VERBOSE) figure(`${label}: exit ${r.status} in ${r.ms} ms: ${r.stderr.trim().slice(0, 200)}`);
        if (r.status === 0) {
          ok++;
          const st = s.state(id);
          if (st?.status !== 'created') problems.push(`${label}: created, but state says ${st?.status ?? 'nothing'}`);
          const d = s.run(['delete', '--force', id]);
          if (d.status !== 0) problems.push(`${label}: delete -f: ${d.stderr.trim()}`);
        } else {
          errors++;
          // runc's messages are its own business: for runc only the hang and the state matter.
          const bad = name === 'runc' ? (r.timedOut ? 'hung' : undefined) : oneLineError(r);
          if (bad) problems.push(`${label}: ${bad}`);
          if (s.state(id)) {
            problems.push(`${label}: failed create left a container`);
            s.run(['delete', '--force', id]);
          }
        }
        const left = leftovers(s.inventory());
        if (left) {
          problems.push(`${label}: left behind: ${left}`);
          s.scrub();
        }
      }
      figure(`fuzz ${name}: ${CASES} cases (seed ${SEED}): ${ok} containers, ${errors} errors, ${problems.length} problems`);
    } finally {
      s.cleanup();
    }
    assert.ok(problems.length === 0, `${problems.length} problems:\n  ${problems.slice(0, 20).join('\n  ')}`);
  });

  test(`${name}: a config with MBs of annotations works; a 24 MB one ends in time with bounded memory`, () => {
    const s = new Subject(name);
    try {
      const TIME = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', 'maxrss=%M'] : [];
      for (const [mb, limitMs] of [
        [4, 10_000],
        [24, 15_000],
      ] as const) {
        const c = defaultConfig();
        c.process.args = ['sleep', '100000'];
        c.annotations = {};
        for (let i = 0; i < mb * 16; i++) c.annotations[`fuzz.big/${i}`] = 'v'.repeat(65_536 - 20);
        writeFileSync(join(s.bundle.dir, 'config.json'), JSON.stringify(c));
        const id = s.id('big');
        const r = s.run(['create', '-b', s.bundle.dir, id], { timeoutMs: 60_000, prefix: TIME });
        const kb = Number(/maxrss=(\d+)\s*$/.exec(r.stderr)?.[1] ?? 0);
        const stderr = r.stderr.replace(/maxrss=\d+\s*$/, '');
        figure(`fuzz ${name}: ${mb} MB config: exit ${r.status} in ${r.ms} ms, CLI peak RSS ${Math.round(kb / 1024)} MB`);
        if (mb === 4) assert.is(r.status, 0, `4 MB of annotations (runc-like sizes) must work: ${stderr}`);
        else if (r.status !== 0) assert.is(oneLineError({ ...r, stderr }), undefined);
        assert.ok(r.ms < limitMs, `${mb} MB config took ${r.ms} ms`);
        assert.ok(!kb || kb < 1024 * 1024, `${mb} MB config: CLI peak RSS ${kb} kB`);
        // The init holds the config too: its peak memory is bounded as well.
        const initKb = r.status === 0 ? Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${s.state(id)?.pid}/status`, 'utf8'))?.[1] ?? 0) : 0;
        figure(`fuzz ${name}: ${mb} MB config: init peak RSS ${Math.round(initKb / 1024)} MB`);
        assert.ok(initKb < 1024 * 1024, `${mb} MB config: init peak RSS ${initKb} kB`);
        s.run(['delete', '--force', id]);
        assert.is(leftovers(s.inventory()), '');
      }
    } finally {
      s.cleanup();
    }
  });
}

test.run();
