// process.oomScoreAdj below the runtime's own score, as containerd's CRI asks for every pod
// sandbox (-998): the kernel lets only a CAP_SYS_RESOURCE holder lower it. Without that
// capability (the runtime started under `setpriv --bounding-set -sys_resource`) create fails
// with both runtimes; runc-ts's one-line error names the field and the missing capability,
// and nothing is left behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeBundle } from '../helpers/bundle';
import { makeRuntime, runtimeNames } from '../helpers/runtimes';

/** `create` under setpriv without CAP_SYS_RESOURCE; output through files (an init would keep pipes open). */
function createWithoutSysResource(bin: string, root: string, bundle: string, id: string) {
  const dir = mkdtempSync(join(tmpdir(), 'runc-ts-out-'));
  const err = openSync(join(dir, 'err'), 'w+');
  try {
    const r = spawnSync('setpriv', ['--bounding-set', '-sys_resource', bin, '--root', root, 'create', '--bundle', bundle, id], { stdio: ['ignore', 'ignore', err], timeout: 30_000 });
    return { status: r.status, stderr: readFileSync(join(dir, 'err'), 'utf8') };
  } finally {
    closeSync(err);
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const name of runtimeNames()) {
  test(`oomScoreAdj -998 without CAP_SYS_RESOURCE: create fails, nothing left [${name}]`, () => {
    const rt = makeRuntime(name);
    const b = makeBundle((c) => { c.process.args = ['sleep', '30']; c.process.oomScoreAdj = -998; });
    try {
      const r = createWithoutSysResource(rt.bin, rt.root, b.dir, 'oomadj');
      assert.is.not(r.status, 0, r.stderr);
      if (name === 'runc-ts') {
        assert.match(r.stderr, /process\.oomScoreAdj -998: writing \/proc\/\d+\/oom_score_adj: EACCES: lowering the OOM score needs CAP_SYS_RESOURCE/);
        assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
      }
      assert.is(rt.run(['list', '-q']).stdout.trim(), '', 'no container left');
    } finally {
      rt.cleanup();
      b.remove();
    }
  });
}

test.run();
