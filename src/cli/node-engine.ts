// RUNC_TS_ENGINE=node under the Bun executable (which bin/runc-ts reaches through
// native/launcher.c): asked for the Node engine, it becomes `node dist/node.cjs` in place (same
// pid, same stdio and signals), with process.env as its environment: Bun does not write its
// changes (bun-entry.ts's) back to the C environment that execvp would pass on.
import { join } from 'node:path';
import { DIST_DIR } from '../engine';
import { SysError, errno, execvpe } from '../libcontainer/sys/libc';

export function execNodeEngine(argv: string[]): never {
  const env = Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
  execvpe('node', ['node', join(DIST_DIR, 'node.cjs'), ...argv, null], [...env, null]);
  throw new SysError('RUNC_TS_ENGINE=node: execute node from $PATH', errno());
}
