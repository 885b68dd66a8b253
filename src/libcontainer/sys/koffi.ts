// koffi's typings resolve as ESM; its CommonJS build is what the bundles load. Take the types
// only and load the module, in one place, on first use: commands that make no foreign call
// (state, list, kill) never pay for loading it.
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import { join } from 'node:path';
import { DIST_DIR } from '../../engine';

/**
 * koffi's native addon, loaded directly. `require('koffi')` finds it by reading the engine
 * binary's ELF header (glibc or musl) and then wraps a few deprecated names: ~9 ms of every
 * start under Bun (its JS has no bytecode cache), and in the container init, whose execPath
 * is a /proc/self/fd path closed by then, it tries the musl build first. The addon alone loads
 * in ~1.3 ms. It is looked for in the node_modules of the checkout the bundles were built in
 * (their __dirname, kept by the Bun executable too, even for a copy of it elsewhere), then of
 * DIST_DIR (the sources under tsx); failing that (another layout, musl), koffi's own loader
 * does the work, resolved from the same checkout.
 */
function loadAddon(): typeof Koffi {
  const arch = process.arch;
  for (const dir of new Set([__dirname, DIST_DIR])) {
    try {
      // process.dlopen rather than require: no module resolution (Bun scans the directories).
      const addon = { exports: {} as any };
      process.dlopen(addon, join(dir, '..', 'node_modules', '@koromix', `koffi-linux-${arch}`, `linux_${arch}`, 'koffi.node'));
      if (typeof addon.exports?.load === 'function') return addon.exports;
    } catch {
      // not installed there, or not loadable on this libc
    }
  }
  // From our own file's place on disk: the Bun executable's modules are in /$bunfs for require.
  const { createRequire } = require('node:module') as typeof import('node:module');
  return createRequire(__filename)('koffi');
}

let loaded: typeof Koffi | undefined;
export function getKoffi(): typeof Koffi {
  return (loaded ??= loadAddon());
}

/** The koffi module, loaded when a property is first read. */
const koffi = new Proxy({} as typeof Koffi, { get: (_, key) => (getKoffi() as any)[key] });
export default koffi;
