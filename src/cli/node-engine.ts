// RUNC_TS_ENGINE=node under the Bun executable. bin/runc-ts is a symlink to dist/runc-ts, which
// the build makes the Bun executable itself (no launcher process: a `sh` one cost every call
// ~0.8 ms); asked for the Node engine, the executable becomes `node dist/node.cjs` in place
// (same pid, same stdio and signals, as the launcher's `exec` did).
import { join } from 'node:path';
import { DIST_DIR } from '../engine';
import { SysError, errno, execvp } from '../libcontainer/sys/libc';

export function execNodeEngine(argv: string[]): never {
  execvp('node', ['node', join(DIST_DIR, 'node.cjs'), ...argv, null]);
  throw new SysError('RUNC_TS_ENGINE=node: execute node from $PATH', errno());
}
