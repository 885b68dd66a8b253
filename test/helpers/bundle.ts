// Test bundles: a busybox rootfs built from the host's busybox-static, and a config.json that
// starts from runc's own default (`runc spec`), so the same bundle runs on runc and runc-ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

// One definition of the busybox rootfs and of runc's default config, shared with the
// conformance suite (which must stand on its own: it tests any runtime).
export { BUSYBOX, buildRootfs as makeBusyboxRootfs, defaultConfig } from '../../conformance/lib/bundle';
import { buildRootfs as makeBusyboxRootfs, defaultConfig } from '../../conformance/lib/bundle';

export interface Bundle {
  dir: string;
  config: any;
  /** Writes config.json again after changes to `config`. */
  write(): void;
  remove(): void;
}

/** A bundle with its own rootfs under a fresh temp dir; `mutate` edits the default config. */
export function makeBundle(mutate?: (c: any) => void, parent = tmpdir()): Bundle {
  const dir = mkdtempSync(join(parent, 'runc-ts-bundle-'));
  makeBusyboxRootfs(join(dir, 'rootfs'));
  const config = defaultConfig();
  mutate?.(config);
  const b: Bundle = {
    dir,
    config,
    write: () => writeFileSync(join(dir, 'config.json'), JSON.stringify(b.config, null, 2)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  b.write();
  return b;
}
