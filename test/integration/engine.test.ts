// The engine runc-ts runs on (src/engine.ts, bin/runc-ts): the compiled Bun executable by
// default when it was built, Node with RUNC_TS_ENGINE=node; the container init runs on the
// same engine as the CLI, from the same binary. runc-ts only (runc has no engine).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT_DIR, RUNC_TS, makeRuntime, runcTsEngine } from '../helpers/runtimes';
import { makeBundle } from '../helpers/bundle';

const BUN_EXE = join(ROOT_DIR, 'dist', 'runc-ts-bun');
const versionWith = (env: Record<string, string>) => spawnSync(RUNC_TS, ['--version'], { encoding: 'utf8', env: { ...process.env, ...env } });
/** The node bin/runc-ts runs with RUNC_TS_ENGINE=node: the first `node` on PATH. */
const nodeOnPath = () => spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).stdout.trim();

test('--version names the engine: Bun by default once built, Node with RUNC_TS_ENGINE=node', () => {
  const node = versionWith({ RUNC_TS_ENGINE: 'node' });
  assert.is(node.status, 0, node.stderr);
  assert.match(node.stdout, /^runc-ts version .*\ncommit: .*\nspec: .*\nnode: v\d+/);
  const dflt = versionWith({ RUNC_TS_ENGINE: '' });
  assert.is(dflt.status, 0, dflt.stderr);
  if (existsSync(BUN_EXE)) assert.match(dflt.stdout, /\nbun: \d+\.\d+/);
  else assert.match(dflt.stdout, /\nnode: v\d+/);
});

test('the container init runs on the engine of the CLI that started it', () => {
  const rt = makeRuntime('runc-ts');
  const b = makeBundle((c) => {
    c.process.terminal = false;
    c.process.args = ['/bin/true'];
  });
  try {
    const r = rt.detached(['create', '--bundle', b.dir, 'eng']);
    assert.is(r.status, 0, r.stderr);
    const pid = JSON.parse(rt.run(['state', 'eng']).stdout).pid;
    // Created: the init waits on exec.fifo before its execve, still the engine's binary (run
    // from a sealed read-only bind of it, so compare sizes rather than paths).
    const engineBinary = runcTsEngine() === 'bun' ? BUN_EXE : nodeOnPath();
    assert.is(statSync(`/proc/${pid}/exe`).size, statSync(engineBinary).size, `init ${pid} is not ${engineBinary}`);
  } finally {
    rt.cleanup();
    b.remove();
  }
});

test.run();
