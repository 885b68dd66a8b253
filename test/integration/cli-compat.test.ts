// runc's command line as its callers use it (containerd's go-runc, Docker, scripts), run against
// runc-ts and runc 1.1.5: global flags before --version, unknown commands, `--`, unknown flags,
// kill's signal 0 and --all, exec --cgroup, --log/--debug, exec -p without a user, device access
// letters, a terminal's bytes, list/state on a bad root or a bad state file, deep JSON and a
// symlinked rootfs (issues #10 and #13).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { makeRuntime, runtimeNames, waitStatus, type Runtime } from '../helpers/runtimes';
import { skip } from '../helpers/skip';

/** The hierarchy directory of `ctrl` ("" = cgroup2) in which pid's cgroup is, from /proc. */
function cgroupDir(pid: number, ctrl: string): string | undefined {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, ctrls, path] = line.split(':') as [string, string, string];
    if (ctrl === '' ? ctrls === '' : ctrls.split(',').includes(ctrl)) {
      const mount = ctrl === '' ? (existsSync('/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup') : `/sys/fs/cgroup/${ctrls}`;
      return join(mount, path);
    }
  }
  return undefined;
}

/** Runs argv with a pty as its controlling terminal (stdin/stdout/stderr), returns what it printed. */
function inPty(argv: string[]): { status: number; bytes: string } {
  const py = String.raw`
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.hex())
sys.exit(os.waitstatus_to_exitcode(st))
`;
  const r = spawnSync('python3', ['-c', py, ...argv], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status ?? -1, bytes: Buffer.from(r.stdout, 'hex').toString('latin1') };
}

for (const name of runtimeNames()) {
  const t = suite(`cli-compat [${name}]`);
  let rt: Runtime;
  const tmp = mkdtempSync(join(tmpdir(), 'runc-ts-cli-'));
  const bundles: Bundle[] = [];
  let seq = 0;
  const newId = () => `cli-${process.pid}-${++seq}`;
  const bundle = (mutate?: (c: any) => void): Bundle => {
    const b = makeBundle(mutate, tmp);
    bundles.push(b);
    return b;
  };
  /** `run -d` of a sleeping container; returns its id. */
  const sleeper = (mutate?: (c: any) => void): string => {
    const id = newId();
    const b = bundle((c) => {
      c.process.args = ['sleep', '300'];
      mutate?.(c);
    });
    const r = rt.detached(['run', '-d', '--bundle', b.dir, id]);
    assert.is(r.status, 0, r.stderr);
    return id;
  };
  const stopped = (id: string): void => {
    rt.run(['kill', id, 'KILL']);
    assert.is(waitStatus(rt, id, 'stopped')?.status, 'stopped');
  };

  t.before(() => {
    rt = makeRuntime(name);
  });
  t.after(() => {
    rt.cleanup();
    for (const b of bundles) b.remove();
    rmSync(tmp, { recursive: true, force: true });
  });

  // #10.1
  t('--version and -v after global flags print the version', () => {
    for (const flag of ['--version', '-v']) {
      const r = rt.run(['--log-format', 'json', flag]); // run() puts --root <dir> first
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout.split('\n')[0]!, new RegExp(`^${name} version `));
    }
  });

  // #10.2
  t('an unknown command, also with -h, is "No help topic" and a failure', () => {
    for (const argv of [['foo', '-h'], ['foo'], ['help', 'foo']]) {
      const r = rt.run(argv);
      assert.is.not(r.status, 0, argv.join(' '));
      assert.match(r.stderr, /No help topic for 'foo'/);
    }
    const h = rt.run(['--help']);
    assert.is(h.status, 0);
  });

  // #10.3
  t('kill ID 0 checks liveness; kill --all on a stopped container succeeds', () => {
    const id = sleeper();
    let r = rt.run(['kill', id, '0']);
    assert.is(r.status, 0, r.stderr);
    assert.is(waitStatus(rt, id, 'running')?.status, 'running', 'signal 0 leaves it running');
    stopped(id);
    r = rt.run(['kill', '--all', id, 'KILL']);
    assert.is(r.status, 0, r.stderr);
    r = rt.run(['kill', id, '0']);
    assert.is.not(r.status, 0, 'signal 0 to a stopped container reports it');
    assert.match(r.stderr, /container not running/);
    assert.is(rt.run(['delete', id]).status, 0);
  });

  // #10.4
  t('exec --cgroup runs in a sub-cgroup (all or per controller); a path outside is refused', () => {
    const cgPath = `/runc-ts-cli-${process.pid}-${name}`;
    const id = sleeper((c) => (c.linux.cgroupsPath = cgPath));
    const init = JSON.parse(rt.run(['state', id]).stdout).pid as number;
    const memory = cgroupDir(init, 'memory')!;
    const pids = cgroupDir(init, 'pids')!;
    assert.ok(memory.endsWith(cgPath) && pids.endsWith(cgPath), `${memory} ${pids}`);
    const sub = join(memory, 'sub');
    mkdirSync(sub);
    try {
      let r = rt.run(['exec', '--cgroup', 'memory:sub', id, 'cat', '/proc/self/cgroup']);
      assert.is(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.ok(lines.some((l) => /:memory:/.test(l) && l.endsWith(`${cgPath}/sub`)), r.stdout);
      assert.ok(lines.some((l) => /:pids:/.test(l) && l.endsWith(cgPath)), r.stdout);
      r = rt.run(['exec', '--cgroup', '..', id, 'true']);
      assert.is.not(r.status, 0);
      assert.match(r.stderr, /\.\. is not a sub cgroup path/);
      r = rt.run(['exec', '--cgroup', 'whaat:/', id, 'true']);
      assert.is.not(r.status, 0);
      assert.match(r.stderr, /unknown controller/);
      // Nothing was left running by the refused execs.
      assert.equal(readFileSync(join(memory, 'cgroup.procs'), 'utf8').trim().split('\n'), [String(init)]);
    } finally {
      stopped(id);
      rmdirSync(sub);
      rt.run(['delete', id]);
    }
  });

  // #10.5
  t('--log FILE exists after any command; --debug exec writes debug records to it', () => {
    const log = join(tmp, `${name}-list.log`);
    let r = rt.run(['--log', log, 'list']);
    assert.is(r.status, 0, r.stderr);
    assert.ok(existsSync(log), 'log file created even with nothing logged');
    // A refused command line is an error record in the file too (go-runc reads it from there).
    const jlog = join(tmp, `${name}-refused.log`);
    r = rt.run(['--log', jlog, '--log-format', 'json', 'state', '--bogus', 'x']);
    assert.is.not(r.status, 0);
    const rec = JSON.parse(readFileSync(jlog, 'utf8').trim().split('\n').pop()!);
    assert.is(rec.level, 'error');
    assert.match(rec.msg, /bogus/);
    const id = sleeper();
    const dlog = join(tmp, `${name}-exec.log`);
    r = rt.run(['--debug', '--log', dlog, 'exec', id, 'true']);
    assert.is(r.status, 0, r.stderr);
    assert.match(readFileSync(dlog, 'utf8'), /level=debug/);
    assert.not.match(r.stderr, /level=debug/, 'with --log, debug records go to the file only');
    rt.run(['delete', '--force', id]);
  });

  // The container init's warnings are the runtime's, logged where its own go (runc's init sends
  // its log lines to runc): not on the init's stderr, which is the container's (Docker's logs).
  t("the init's warnings go to --log, not to the container's stderr", () => {
    const b = bundle((c) => {
      c.process.args = ['sh', '-c', 'echo container-out; echo container-err >&2'];
      for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_BOGUS');
    });
    const warning = 'ignoring unknown or unavailable capabilities: [CAP_BOGUS]';
    const log = join(tmp, `${name}-init-warning.log`);
    let r = rt.run(['--log', log, '--log-format', 'json', 'run', '--bundle', b.dir, newId()]);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, 'container-out\n');
    assert.is(r.stderr, 'container-err\n', 'the container\'s stderr has only its own output');
    const recs = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(recs.some((x) => x.level === 'warning' && x.msg === warning), JSON.stringify(recs));
    // Without --log: a text record on the runtime's stderr, as runc's own warnings.
    r = rt.run(['run', '--bundle', b.dir, newId()]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^time="[^"]+" level=warning msg="${warning.replace(/[[\]]/g, '\\$&')}"\\ncontainer-err\\n$`));
  });

  // #10.6
  t('exec -p process.json without "user" runs as uid/gid 0', () => {
    const id = sleeper();
    const p = join(tmp, `${name}-process.json`);
    writeFileSync(p, JSON.stringify({ args: ['sh', '-c', 'echo $(id -u):$(id -g)'], cwd: '/', env: ['PATH=/bin:/usr/bin'] }));
    const r = rt.run(['exec', '-p', p, id]);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, '0:0\n');
    writeFileSync(p, JSON.stringify({ args: [], cwd: '/' }));
    assert.is.not(rt.run(['exec', '-p', p, id]).status, 0, 'empty args are refused by both');
    rt.run(['delete', '--force', id]);
  });

  // #10.7
  t('device cgroup access with letters other than r, w, m ("rwa") is accepted', () => {
    const b = bundle((c) => {
      c.process.args = ['sh', '-c', 'echo ok > /dev/null && echo done'];
      c.linux.resources.devices.push({ allow: true, type: 'c', major: 1, minor: 3, access: 'rwa' });
    });
    const r = rt.run(['run', '--bundle', b.dir, newId()]);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, 'done\n');
  });

  // #10.13
  t('foreground run with a terminal: "\\n" stays "\\n" unless our stdout is a terminal', () => {
    const b = bundle((c) => {
      c.process.terminal = true;
      c.process.args = ['printf', 'a\\nb\\n'];
    });
    const out = join(tmp, `${name}-tty.out`);
    // stdin a terminal, stdout a file: the container's bytes as they are.
    let r = inPty(['sh', '-c', `exec "$0" --root "$1" run --bundle "$2" "$3" > "$4"`, rt.bin, rt.root, b.dir, newId(), out]);
    assert.is(r.status, 0, r.bytes);
    assert.is(readFileSync(out, 'latin1'), 'a\nb\n');
    // stdout the terminal too: one "\r\n" per line (our terminal's output processing), never two.
    r = inPty([rt.bin, '--root', rt.root, 'run', '--bundle', b.dir, newId()]);
    assert.is(r.status, 0, r.bytes);
    assert.is(r.bytes, 'a\r\nb\r\n');
  });

  // #13.7
  t('list fails on a --root that is a file, or that the user cannot read', () => {
    const file = join(tmp, 'not-a-dir');
    writeFileSync(file, '');
    let r = spawnSync(rt.bin, ['--root', file, 'list'], { encoding: 'utf8' });
    assert.is.not(r.status, 0, r.stdout);
    assert.match(r.stderr, /not a directory/);
    const priv = join(tmp, `${name}-private-root`);
    mkdirSync(join(priv, 'someid'), { recursive: true });
    chmodSync(priv, 0o700);
    chmodSync(tmp, 0o755);
    r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', rt.bin, '--root', priv, 'list'], { encoding: 'utf8' });
    assert.is.not(r.status, 0, r.stdout);
    assert.match(r.stderr, /permission denied/);
  });

  t('deep JSON in config.json is refused with a message, nothing left', () => {
    const b = bundle();
    const depth = 100_000;
    const text = readFileSync(join(b.dir, 'config.json'), 'utf8').replace(/}\s*$/, `, "x": ${'['.repeat(depth)}${']'.repeat(depth)}}`);
    writeFileSync(join(b.dir, 'config.json'), text);
    const id = newId();
    const r = rt.detached(['create', '--bundle', b.dir, id]);
    assert.is.not(r.status, 0);
    assert.not.match(r.stderr, /Maximum call stack/);
    if (name === 'runc-ts') assert.match(r.stderr, /config\.json: JSON nested deeper than/);
    assert.is(rt.run(['state', id]).status, 1, 'no container');
  });

  // #13.8
  t('"--" ends the options: state -- ID; an unknown flag is named, not taken for a missing id', () => {
    const id = sleeper();
    let r = rt.run(['state', '--', id]);
    assert.is(r.status, 0, r.stderr);
    assert.is(JSON.parse(r.stdout).id, id);
    r = rt.run(['kill', '--', id, '0']);
    assert.is(r.status, 0, r.stderr);
    r = rt.run(['state', '--bogus', id]);
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /bogus/);
    assert.not.match(r.stderr, /container id cannot be empty/);
    r = rt.run(['kill', '--bogus', id, 'KILL']);
    assert.is.not(r.status, 0, 'an unknown flag stops the command before it acts');
    assert.is(waitStatus(rt, id, 'running')?.status, 'running');
    rt.run(['delete', '--force', id]);
  });

  t('a rootfs reached through a symlink is refused up front, nothing left', () => {
    for (const target of ['real-rootfs', '/']) {
      const b = bundle();
      if (target === '/') rmSync(join(b.dir, 'rootfs'), { recursive: true, force: true });
      else renameSync(join(b.dir, 'rootfs'), join(b.dir, target));
      symlinkSync(target, join(b.dir, 'rootfs'));
      const id = newId();
      const r = rt.detached(['create', '--bundle', b.dir, id]);
      assert.is.not(r.status, 0, `symlink to ${target}`);
      assert.match(r.stderr, /symlink/, `symlink to ${target}: ${r.stderr}`);
      assert.is(rt.run(['state', id]).status, 1, 'no container');
    }
  });

  t.run();
}

// runc-ts's own state files (runc keeps a different format): an unreadable state is shown, not
// hidden, and read errors name the file.
const own = suite('cli-compat [runc-ts state files]');
if (!runtimeNames().includes('runc-ts')) {
  skip(own, 'unreadable state.json', 'RUNTIMES excludes runc-ts');
} else {
  own('list shows a container with an unreadable state.json as "unknown"; state names the file', () => {
    const rt = makeRuntime('runc-ts');
    try {
      for (const [id, text] of [['nullstate', 'null'], ['deepstate', `{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`], ['emptyobj', '{}']] as const) {
        mkdirSync(join(rt.root, id));
        writeFileSync(join(rt.root, id, 'state.json'), text);
        const s = rt.run(['state', id]);
        assert.is(s.status, 1);
        assert.match(s.stderr, new RegExp(`${id}/state\\.json: `));
        assert.not.match(s.stderr, /Cannot read properties|Maximum call stack/);
      }
      const l = rt.run(['list']);
      assert.is(l.status, 0, l.stderr);
      assert.match(l.stdout, /nullstate\s+0\s+unknown/);
      assert.equal(rt.run(['list', '-q']).stdout.trim().split('\n'), ['deepstate', 'emptyobj', 'nullstate']);
    } finally {
      rmSync(rt.root, { recursive: true, force: true });
    }
  });
}
own.run();
