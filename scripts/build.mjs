#!/usr/bin/env node
// Build: generated schema validators, the two esbuild bundles (CLI and container init), and
// the native namespace stage (native/nsexec.c) compiled from source for this machine.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
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
  define: { __VERSION__: JSON.stringify(pkg.version), __COMMIT__: JSON.stringify(commit) },
};
await Promise.all([
  build({ ...common, entryPoints: [join(root, 'src/cli/main.ts')], outfile: join(dist, 'runc-ts.cjs') }),
  build({ ...common, entryPoints: [join(root, 'src/libcontainer/init/main.ts')], outfile: join(dist, 'init.cjs') }),
]);

// 3. The native stage: a constructor preloaded into the init's node (see native/nsexec.c).
const src = join(root, 'native', 'nsexec.c');
const so = join(dist, 'nsexec.so');
if (!existsSync(so) || statSync(so).mtimeMs < statSync(src).mtimeMs) {
  execFileSync('cc', ['-O2', '-Wall', '-Werror', '-shared', '-fPIC', '-o', so, src], { stdio: 'inherit' });
}
