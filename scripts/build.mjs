#!/usr/bin/env node
// Build: generated schema validators, the Node bundles (CLI and container init), the
// Bun executable (the default engine, src/engine.ts) when Bun is installed, and
// the native namespace stage (native/nsexec.c) compiled from source for this machine.
import { build as esbuild } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

// 1. JSON Schema validators, precompiled (ajv standalone) so the CLI never compiles schemas.
const gen = join(root, 'scripts', 'gen-validators.mjs');
if (existsSync(gen)) execFileSync(process.execPath, [gen], { stdio: 'inherit' });

// Version and commit for `runc-ts --version`, fixed at build time.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {}

// 2. Bundles. koffi stays external: it loads a native .node file next to its package.
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['koffi'],
  sourcemap: false,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: { __VERSION__: JSON.stringify(pkg.version), __COMMIT__: JSON.stringify(commit), __LITE__: 'false' },
  // Written by us, atomically (temp file + rename): containers started while a build runs
  // must never load half a bundle.
  write: false,
};
const writeAtomic = (file, contents) => {
  writeFileSync(file + '.tmp', contents);
  renameSync(file + '.tmp', file);
};
const build = async (opts) => {
  const r = await esbuild(opts);
  for (const f of r.outputFiles) writeAtomic(f.path, f.contents);
};
// Code most commands never run is not parsed by them either: modules the CLI only require()s
// lazily (validation, the default spec, seccomp compilation, execa for hooks) become chunks of
// their own next to the main bundle. Measured: a 900 KB single bundle cost ~30 ms per command.
const LAZY = {
  'src/spec/load.ts': 'spec-load',
  'src/spec/default.ts': 'spec-default',
  'src/seccomp/cache.ts': 'seccomp-compile',
  'src/seccomp/features.ts': 'seccomp-features',
};
// Packages required lazily (execa for hooks, yargs for all but the everyday commands): chunks too.
const PACKAGE_CHUNKS = { execa: 'execa', 'yargs/yargs': 'yargs' };
const lazyChunks = {
  name: 'lazy-chunks',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'require-call' && args.path in PACKAGE_CHUNKS) return { path: `./${PACKAGE_CHUNKS[args.path]}.cjs`, external: true };
      if (args.kind !== 'require-call' || !args.path.startsWith('.')) return undefined;
      // Another bundle by its file name (the lite CLI handing a command to the whole one).
      if (args.path.endsWith('.cjs')) return { path: args.path, external: true };
      const rel = join(args.resolveDir, args.path).slice(root.length + 1) + '.ts';
      return LAZY[rel] ? { path: `./${LAZY[rel]}.cjs`, external: true } : undefined;
    });
  },
};
// Under Bun, node:fs and node:path cost every process ~2 ms to load: the bundles take the
// synchronous fs calls our sources make from src/fast-fs.ts (libc through native/ffi.c, node:fs for
// the rest and for errors) and path from src/posix-path.ts (path-browserify: node's posix path,
// ported). Only `fs` without the prefix, as fast-fs.ts requires it, is node's own.
const fastBuiltins = {
  name: 'fast-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:(fs|path)$/ }, (args) => {
      // Our sources only: packages (execa...) keep node's modules, and are loaded lazily.
      if (!args.importer.startsWith(join(root, 'src'))) return undefined;
      if (args.path === 'node:path') return { path: join(root, 'src', 'posix-path.ts') };
      return args.importer.endsWith(join('src', 'fast-fs.ts')) ? undefined : { path: join(root, 'src', 'fast-fs.ts') };
    });
  },
};
await Promise.all([
  build({ ...common, entryPoints: [join(root, 'src/cli/main.ts')], outfile: join(dist, 'runc-ts.cjs'), plugins: [lazyChunks, fastBuiltins] }),
  // The same CLI for the everyday calls only (src/cli/lite.ts), and the executable's entry that
  // chooses between them and the init.
  build({ ...common, define: { ...common.define, __LITE__: 'true' }, entryPoints: [join(root, 'src/cli/main.ts')], outfile: join(dist, 'runc-ts-lite.cjs'), plugins: [lazyChunks, fastBuiltins] }),
  build({ ...common, entryPoints: [join(root, 'src/bun-entry.ts')], outfile: join(dist, 'bun-entry.cjs'), plugins: [lazyChunks] }),
  build({ ...common, entryPoints: [join(root, 'src/libcontainer/init/main.ts')], outfile: join(dist, 'init.cjs'), plugins: [fastBuiltins] }),
  ...Object.entries(LAZY).map(([src, name]) => build({ ...common, entryPoints: [join(root, src)], outfile: join(dist, `${name}.cjs`), plugins: [fastBuiltins] })),
  // The systemd driver's D-Bus connection runs in a worker thread (src/cgroups/systemd-client.ts);
  // dbus-next's optional X11 session-bus discovery (never used: we pass the address) stays out.
  build({ ...common, external: ['koffi', 'x11'], entryPoints: [join(root, 'src/cgroups/systemd-worker.ts')], outfile: join(dist, 'systemd-worker.cjs') }),
  build({ ...common, stdin: { contents: "export { execa } from 'execa';", resolveDir: root, loader: 'js' }, outfile: join(dist, 'execa.cjs') }),
  build({ ...common, stdin: { contents: "module.exports = require('yargs/yargs');", resolveDir: root, loader: 'js' }, outfile: join(dist, 'yargs.cjs') }),
]);

// The loader with the code cache; stale caches go (V8 would reject them anyway).
writeAtomic(join(dist, 'boot.cjs'), readFileSync(join(root, 'scripts', 'boot.cjs')));
for (const f of readdirSync(dist)) if (f.endsWith('.cache')) rmSync(join(dist, f));
// The init never exits normally (it execs), so its cache is made here, from compilation alone.
execFileSync(process.execPath, [join(dist, 'boot.cjs'), '--precompile', 'init.cjs']);
// Likewise the systemd driver's worker thread (it is terminated, not exited, with the CLI).
execFileSync(process.execPath, [join(dist, 'boot.cjs'), '--precompile', 'systemd-worker.cjs']);

// The Node engine's entry (dist/runc-ts runs it with RUNC_TS_ENGINE=node or without Bun).
writeAtomic(join(dist, 'node.cjs'), "'use strict';\nrequire('./boot.cjs')('runc-ts.cjs');\n");

// 3. The Bun engine: one executable holding the same bundles as the Node engine, each
// precompiled to bytecode (no parsing at start-up) and embedded as a file of its own: a command
// loads the CLI bundle and only the chunks it requires, the container init only init.cjs.
// (One bundle of everything cost every call and every init ~2 ms and ~8 MiB to load.) koffi's
// addon stays in node_modules. Bun comes from the npm registry (optionalDependencies
// @oven/bun-linux-*); without it, dist/runc-ts runs the Node bundles.
const bun = findBun();
const exe = join(dist, 'runc-ts-bun');
if (bun) {
  // The executable's entry is dist/bun-entry.cjs (src/bun-entry.ts).
  const chunks = ['runc-ts', 'runc-ts-lite', 'init', ...Object.values(LAZY), ...Object.values(PACKAGE_CHUNKS), 'systemd-worker'].map((n) => `${n}.cjs`);
  execFileSync(bun, [
    'build', '--compile', '--bytecode', '--format=cjs',
    // Every process of runc-ts is short-lived: a call or an init that execs. At the normal JIT
    // policy the engine compiles start-up code it will never run again (a JIT thread's CPU, its
    // pages); 10 × the tier-up thresholds leaves that code in the interpreter. Measured
    // alternating (task-clock, 21 rounds): --version 9.4 → 8.1 ms CPU, start 11.6 → 9.6, delete
    // 13.9 → 11.3, run 48.1 → 41.5; create + start + delete 61.3 → 55.9 ms wall.
    '--compile-jit-policy=10',
    // Docker starts the runtime in the bundle directory: no .env or bunfig.toml from there.
    '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig',
    // The bundles require each other by relative path: resolved among the embedded files at
    // run time, not bundled again.
    '--external', './*.cjs', '--external', 'koffi', '--external', 'x11',
    'bun-entry.cjs', ...chunks, '--outfile', exe + '.tmp',
  ], { cwd: dist, stdio: ['ignore', 'ignore', 'inherit'] });
  renameSync(exe + '.tmp', exe);
} else {
  rmSync(exe, { force: true });
  console.warn('build: no Bun in node_modules/@oven (optional dependency): runc-ts runs on Node');
}

// dist/runc-ts, what bin/runc-ts (a symlink) points at: with Bun, native/launcher.c, which
// sets the engine options only the environment carries and executes the Bun executable (that
// becomes node itself for RUNC_TS_ENGINE=node: src/cli/node-engine.ts). Static where libc.a is
// installed: ~0.15 ms less per call than dynamically linked. Without Bun, a sh launcher of the
// Node bundles. Replaced atomically, like the bundles.
const entry = join(dist, 'runc-ts');
rmSync(entry + '.tmp', { force: true });
if (bun) {
  const cc = (...flags) => execFileSync('cc', ['-O2', '-Wall', '-Werror', ...flags, '-o', entry + '.tmp', join(root, 'native', 'launcher.c')], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    cc('-static');
  } catch {
    cc();
  }
} else {
  writeFileSync(entry + '.tmp', '#!/bin/sh\n# runc-ts on Node (no Bun build): exec keeps the pid.\nexec node "$(dirname "$(readlink -f "$0")")/node.cjs" "$@"\n', { mode: 0o755 });
}
renameSync(entry + '.tmp', entry);

function findBun() {
  const arch = { x64: 'x64', arm64: 'aarch64' }[process.arch];
  const bin = join(root, 'node_modules', '@oven', `bun-linux-${arch}`, 'bin', 'bun');
  if (!existsSync(bin)) return undefined;
  try {
    // A binary that cannot run here (e.g. no AVX2 on an old x86-64) is as good as none.
    execFileSync(bin, ['--version'], { stdio: 'ignore' });
    return bin;
  } catch {
    return undefined;
  }
}

// 4. Native code, compiled for this machine: the namespace stage, a constructor preloaded into
// the init (native/nsexec.c), and the libc-only FFI addon (native/ffi.c).
// (dlsym and pthread_create are in libc from glibc 2.34; older ones have them in libdl and libpthread.)
rmSync(join(dist, 'lite.node'), { force: true }); // the addon ffi.node replaced
for (const [name, out, libs] of [['nsexec.c', 'nsexec.so', []], ['ffi.c', 'ffi.node', ['-ldl', '-lpthread']]]) {
  const src = join(root, 'native', name);
  const so = join(dist, out);
  if (!existsSync(so) || statSync(so).mtimeMs < statSync(src).mtimeMs) {
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-shared', '-fPIC', '-o', so + '.tmp', src, ...libs], { stdio: 'inherit' });
    renameSync(so + '.tmp', so);
  }
}
