// Bad input that is not a config (issue #13, defects 4, 7, 8): pid files that cannot be
// written, a corrupt state.json under a live container, a state root that is a file, `--`,
// unknown flags, a symlinked root.path. Each ends in a one-line error (or the right answer)
// and leaves nothing: no container, no process, no cgroup, no mount.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Subject, leftovers, oneLineError, runtimeNames, sleepMs } from './lib';

const running = (s: Subject, id: string) => {
  const c = s.run(['create', '-b', s.bundle.dir, id]);
  assert.is(c.status, 0, c.stderr);
  assert.is(s.run(['start', id]).status, 0);
};

for (const name of runtimeNames()) {
  const msg = (r: { stderr: string }) => r.stderr.trim().split('\n')[0];

  test(`${name}: create and run -d with an unwritable --pid-file fail and leave nothing`, () => {
    const s = new Subject(name);
    try {
      for (const cmd of [['create'], ['run', '-d']]) {
        const id = s.id('pidfile');
        const r = s.run([...cmd, '--pid-file', '/nonexistent-dir/p', '-b', s.bundle.dir, id]);
        assert.ok(r.status !== 0, `${cmd.join(' ')}: exit 0`);
        if (name === 'runc-ts') assert.is(oneLineError(r), undefined);
        assert.is(s.state(id), undefined, `${cmd.join(' ')}: the failed command left container ${id}`);
        assert.is(leftovers(s.inventory()), '', `${cmd.join(' ')} (${msg(r)})`);
      }
    } finally {
      s.cleanup();
    }
  });

  test(`${name}: exec with an unwritable --pid-file fails and leaves no process in the container`, () => {
    const s = new Subject(name);
    try {
      const id = s.id('execpid');
      running(s, id);
      const before = s.inventory().processes.length;
      const r = s.run(['exec', '-d', '--pid-file', '/nonexistent-dir/p', id, 'sleep', '1000']);
      assert.ok(r.status !== 0, 'exec: exit 0');
      if (name === 'runc-ts') assert.is(oneLineError(r), undefined);
      sleepMs(200);
      const after = s.inventory().processes;
      assert.is(after.length, before, `the failed exec left: ${after.map((p) => `${p.pid}(${p.comm})`).join(', ')} (${msg(r)})`);
      assert.is(s.run(['delete', '--force', id]).status, 0);
      assert.is(leftovers(s.inventory()), '');
    } finally {
      s.cleanup();
    }
  });

  test(`${name}: a state root that is a file is an error, not an empty list`, () => {
    const s = new Subject(name);
    try {
      const file = join(s.parent, 'a-file');
      writeFileSync(file, 'x');
      const r = s.run(['--root', file, 'list']);
      assert.ok(r.status !== 0, `list --root <file> exits 0: ${JSON.stringify(r.stdout)}`);
      assert.is(oneLineError(r), undefined);
    } finally {
      s.cleanup();
    }
  });

  test(`${name}: "--" ends the options (state -- <id>); an unknown flag is named`, () => {
    const s = new Subject(name);
    try {
      const id = s.id('dashdash');
      assert.is(s.run(['create', '-b', s.bundle.dir, id]).status, 0);
      const r = s.run(['state', '--', id]);
      assert.is(r.status, 0, r.stderr);
      assert.is(JSON.parse(r.stdout).id, id);
      const u = s.run(['state', '--no-such-flag', id]);
      assert.ok(u.status !== 0);
      assert.match(u.stderr, /no-such-flag/, 'the error names the flag');
      if (name === 'runc-ts') assert.is(oneLineError(u), undefined);
    } finally {
      s.cleanup();
    }
  });

  test(`${name}: a symlinked root.path is refused up front`, () => {
    const s = new Subject(name);
    try {
      symlinkSync('rootfs', join(s.bundle.dir, 'rootlink'));
      s.bundle.config.root.path = 'rootlink';
      s.bundle.write();
      const id = s.id('rootlink');
      const r = s.run(['create', '-b', s.bundle.dir, id]);
      assert.ok(r.status !== 0, 'a symlinked root.path was accepted');
      if (name === 'runc-ts') {
        assert.is(oneLineError(r), undefined);
        assert.match(r.stderr, /root|rootfs/i);
      }
      assert.is(leftovers(s.inventory()), '');
    } finally {
      s.cleanup();
    }
  });

  test(`${name}: a 100k-deep config.json is a one-line error naming the file, nothing left`, () => {
    const s = new Subject(name);
    try {
      const text = JSON.stringify(s.bundle.config).replace('"resources":{', `"resources":{"cpu":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)},`);
      writeFileSync(join(s.bundle.dir, 'config.json'), text);
      const r = s.run(['create', '-b', s.bundle.dir, s.id('deep')]);
      assert.ok(r.status !== 0, 'accepted');
      if (name === 'runc-ts') {
        assert.is(oneLineError(r), undefined);
        assert.match(r.stderr, /config\.json/);
      }
      assert.is(leftovers(s.inventory()), '');
    } finally {
      s.cleanup();
    }
  });

  // runc 1.1 panics on these (a nil pointer in LinuxFactory.Load): runc-ts only.
  if (name === 'runc-ts') {
    for (const [what, text] of [
      ['null', 'null'],
      ['truncated', '{"id":'],
      ['100k-deep nesting', '['.repeat(100_000) + ']'.repeat(100_000)],
    ] as const) {
      test(`runc-ts: state.json that is ${what} under a running container: listed, a one-line error, delete -f cleans up`, () => {
        const s = new Subject(name);
        try {
          const id = s.id('corrupt');
          running(s, id);
          writeFileSync(join(s.root, id, 'state.json'), text);
          const l = s.run(['list', '--format', 'json']);
          assert.is(l.status, 0, `list: ${l.stderr}`);
          assert.match(l.stdout, id, 'list hides the container whose state is corrupt');
          const st = s.run(['state', id]);
          assert.ok(st.status !== 0, 'state of a corrupt container exits 0');
          assert.is(oneLineError(st), undefined);
          assert.match(st.stderr, /state\.json|state/i, 'the error names the file');
          const d = s.run(['delete', '--force', id]);
          assert.is(d.status, 0, `delete -f: ${d.stderr}`);
          assert.not.ok(existsSync(join(s.root, id)), 'delete -f left the state dir');
          // Its processes and cgroup are not found without a readable state: s.cleanup() scrubs them.
          assert.equal(s.inventory().mounts, []);
        } finally {
          s.cleanup();
        }
      });
    }
  }
}

test.run();
