// Known container-escape classes, against runc-ts and runc: each test plays the attacker's side
// of a published runc vulnerability and checks that the host is untouched.
//   CVE-2019-5736  overwrite the runtime's binary through /proc/<pid>/exe
//   CVE-2021-30465 symlinks in the rootfs used to send mounts outside of it
//   CVE-2024-21626 leaked fds of host directories (process.cwd = /proc/self/fd/N)
//   CVE-2025-31133 class: masked paths bound from a fake /dev/null; the console
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { makeRuntime, runtimeNames, RUNC, type Runtime } from '../helpers/runtimes';
import { consoleReceiver, hostBinaryHashes, mountPoints, runDetached, runtimeFromCopy, unlessRuncGap, scratch, sha256, sleep } from '../helpers/security-util';

/** "dev:ino" as busybox `stat -L -c %d:%i` prints it inside the container. */
function devIno(path: string): string {
  const st = statSync(path);
  return `${st.dev}:${st.ino}`;
}

for (const name of runtimeNames()) {
  const t = suite(`security: escapes [${name}]`);
  let rt: Runtime;
  let b: Bundle;
  let n = 0;
  const id = () => `sec-esc-${process.pid}-${++n}`;
  let hashes: Map<string, string>;

  t.before(() => {
    rt = makeRuntime(name);
    hashes = hostBinaryHashes(RUNC ? [RUNC] : []);
  });
  t.after(() => {
    rt.cleanup();
    // Whatever happened in between, node, runc-ts and runc are what they were.
    for (const [f, h] of hostBinaryHashes(RUNC ? [RUNC] : [])) assert.is(h, hashes.get(f), `${f} changed`);
  });
  t.before.each(() => {
    b = makeBundle();
  });
  t.after.each(() => b.remove());

  // ---------------------------------------------------------------- CVE-2019-5736

  t('CVE-2019-5736: /proc/self/exe and /proc/1/exe of a running container cannot be opened for writing', () => {
    // (`true`, not `:`: a failed redirection of a special builtin ends the shell.)
    b.config.process.args = [
      'sh', '-c',
      'true >> /proc/self/exe; echo "self=$?"; true >> /proc/1/exe; echo "one=$?"; exec 3</proc/1/exe; true >> /proc/self/fd/3; echo "reopen=$?"',
    ];
    b.write();
    const r = rt.run(['run', '--bundle', b.dir, id()]);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, 'self=1\none=1\nreopen=1\n');
    assert.match(r.stderr, /Text file busy/);
    for (const [f, h] of hostBinaryHashes(RUNC ? [RUNC] : [])) assert.is(h, hashes.get(f), `${f} changed`);
  });

  // The attack proper: open /proc/1/exe while pid 1 is still the runtime's init (a created
  // container), keep the fd, and reopen it for writing through /proc/self/fd once no process
  // runs the binary any more. Run against a private copy of the runtime's binary (see
  // runtimeFromCopy), so that success is visible and harmless.
  const HOLDER =
    'exec 3</proc/1/exe || { echo noopen > /out/result; exit; }; echo held > /out/held; i=0; ' +
    'while [ $i -lt 150 ]; do if true 2>/dev/null >> /proc/self/fd/3; then echo PWNED >> /proc/self/fd/3; echo wrote > /out/result; exit; fi; ' +
    'i=$((i+1)); usleep 20000; done; true >> /proc/self/fd/3 2>> /out/result; echo gaveup >> /out/result';

  for (const caps of [[], ['--cap', 'CAP_SYS_PTRACE']]) {
    t(`CVE-2019-5736: a process exec'd into a created container${caps.length ? ' with CAP_SYS_PTRACE' : ''} cannot overwrite the runtime's binary`, () => {
      const copy = runtimeFromCopy(rt);
      const out = scratch('5736-out');
      const before = sha256(copy.binary);
      const cid = id();
      try {
        b.config.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
        b.config.process.args = ['sleep', '60'];
        b.write();
        let r = copy.run(['create', '--bundle', b.dir, cid]);
        assert.is(r.status, 0, r.stderr);
        r = copy.run(['exec', '-d', ...caps, cid, 'sh', '-c', HOLDER]);
        assert.is(r.status, 0, r.stderr);
        const end = Date.now() + 3000;
        while (!existsSync(join(out, 'held')) && !existsSync(join(out, 'result')) && Date.now() < end) sleep(20);
        r = copy.run(['start', cid]);
        assert.is(r.status, 0, r.stderr);
        // Now nothing runs the copy: the holder either writes within 3 s or gives up.
        const stop = Date.now() + 6000;
        while (!existsSync(join(out, 'result')) && Date.now() < stop) sleep(50);
        const result = existsSync(join(out, 'result')) ? readFileSync(join(out, 'result'), 'utf8') : '(none)';
        assert.is(sha256(copy.binary), before, `the container overwrote the runtime's binary (holder: ${result.trim()})`);
        assert.ok(!/wrote/.test(result), result);
      } finally {
        rt.run(['delete', '--force', cid]);
        copy.remove();
        rmSync(out, { recursive: true, force: true });
      }
    });
  }

  t("CVE-2019-5736: during exec, container processes cannot grab and overwrite the exec'ing runtime's binary", () => {
    // Scanners in the container (the init without CAP_SYS_PTRACE, an exec'd one with it) watch
    // every process; one whose exe is the runtime's binary (an exec in progress) is held open
    // and written once the exec is over.
    const copy = runtimeFromCopy(rt);
    const out = scratch('exe-scan');
    const before = sha256(copy.binary);
    const cid = id();
    try {
      b.config.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
      b.config.process.env.push(`TARGET=${devIno(copy.binary)}`);
      const scan =
        'echo up > /out/ready.$1; seen=""; while :; do for p in /proc/[0-9]*; do s=$(stat -L -c "%d:%i" $p/exe 2>/dev/null) || continue; ' +
        '[ "$s" = "$TARGET" ] || continue; case "$seen" in *" $p "*) continue;; esac; seen="$seen $p "; ' +
        '( exec 3<$p/exe || exit; echo "$1 held $p" >> /out/hits; i=0; while [ $i -lt 150 ]; do ' +
        'if true 2>/dev/null >> /proc/self/fd/3; then echo PWNED >> /proc/self/fd/3; echo "$1 WROTE via $p" >> /out/hits; exit; fi; i=$((i+1)); usleep 20000; done ) & ' +
        'done; done';
      b.config.process.args = ['sh', '-c', scan, 'sh', 'init'];
      b.write();
      let r = copy.run(['run', '-d', '--bundle', b.dir, cid]);
      assert.is(r.status, 0, r.stderr);
      r = copy.run(['exec', '-d', '--cap', 'CAP_SYS_PTRACE', cid, 'sh', '-c', scan, 'sh', 'ptrace']);
      assert.is(r.status, 0, r.stderr);
      const end = Date.now() + 5000;
      while (!(existsSync(join(out, 'ready.init')) && existsSync(join(out, 'ready.ptrace'))) && Date.now() < end) sleep(20);
      for (let i = 0; i < 5; i++) {
        r = copy.run(['exec', cid, 'true']);
        assert.is(r.status, 0, r.stderr);
      }
      // The execs are over: nothing runs the copy; give the holders time to write.
      const stop = Date.now() + 4000;
      while (Date.now() < stop && !(readFileSync(join(out, 'hits'), { flag: 'a+' }).toString().includes('WROTE'))) sleep(100);
      const hits = readFileSync(join(out, 'hits'), { flag: 'a+' }).toString();
      assert.is(sha256(copy.binary), before, `the container overwrote the runtime's binary:\n${hits}`);
      assert.ok(!hits.split('\n').some((l) => l.startsWith('init ')), `a process without CAP_SYS_PTRACE reached the runtime's binary:\n${hits}`);
    } finally {
      rt.run(['delete', '--force', cid]);
      copy.remove();
      rmSync(out, { recursive: true, force: true });
    }
  });

  // ---------------------------------------------------------------- CVE-2024-21626

  t('CVE-2024-21626: the container sees only fds 0, 1, 2 (run, exec, and the init of run -d)', () => {
    b.config.process.args = ['ls', '/proc/self/fd'];
    b.write();
    let r = rt.run(['run', '--bundle', b.dir, id()]);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, '0\n1\n2\n3\n', 'ls lists its own directory fd as 3 and nothing else');
    b.config.process.args = ['sleep', '60'];
    b.write();
    const cid = id();
    const pid = runDetached(rt, b.dir, cid);
    try {
      assert.equal(readdirSync(`/proc/${pid}/fd`).map(Number).sort((x, y) => x - y), [0, 1, 2], 'fds of the init');
      r = rt.run(['exec', cid, 'ls', '/proc/self/fd']);
      assert.is(r.status, 0, r.stderr);
      assert.is(r.stdout, '0\n1\n2\n3\n');
      r = rt.run(['exec', '--preserve-fds', '0', cid, 'sh', '-c', 'ls /proc/self/fd; ls -l /proc/1/fd | grep -c -- "->"']);
      assert.is(r.stdout, '0\n1\n2\n3\n3\n', r.stderr);
      // The exec'd process' parent is outside the container: no /proc/<ppid>/exe to reach.
      r = rt.run(['exec', cid, 'sh', '-c', 'echo $PPID; ls /proc/$PPID/exe 2>&1 >/dev/null | grep -c "No such file"']);
      assert.is(r.stdout, '0\n1\n', r.stderr);
    } finally {
      rt.run(['delete', '--force', cid]);
    }
  });

  t('CVE-2024-21626: process.cwd /proc/self/fd/N (N = 3..20) never leaves the container root', () => {
    // If cwd were a leaked host directory, `..` would climb the host's tree up to its /
    // (which has /work, /usr/sbin/runc, ...) instead of stopping at the container's root.
    const hostOnly = readdirSync('/').filter((e) => !existsSync(join(b.dir, 'rootfs', e)));
    assert.ok(hostOnly.length > 0);
    const check = (out: string, what: string) => {
      const entries = out.split('\n').slice(1);
      for (const e of hostOnly) assert.ok(!entries.includes(e), `${what}: the host's /${e} is visible:\n${out}`);
    };
    const probe = 'pwd; cd ../../../../../../../../..; ls -a';
    b.config.process.args = ['sh', '-c', probe];
    for (let fd = 3; fd <= 20; fd++) {
      b.config.process.cwd = `/proc/self/fd/${fd}`;
      b.write();
      const r = rt.run(['run', '--bundle', b.dir, id()]);
      if (r.status === 0) check(r.stdout, `run with cwd /proc/self/fd/${fd}`);
      else assert.match(r.stderr, /cwd|not a directory|no such file/i);
    }
    b.config.process.cwd = '/';
    b.config.process.args = ['sleep', '60'];
    b.write();
    const cid = id();
    runDetached(rt, b.dir, cid);
    try {
      for (let fd = 3; fd <= 20; fd++) {
        const r = rt.run(['exec', '--cwd', `/proc/self/fd/${fd}`, cid, 'sh', '-c', probe]);
        if (r.status === 0) check(r.stdout, `exec --cwd /proc/self/fd/${fd}`);
      }
    } finally {
      rt.run(['delete', '--force', cid]);
    }
  });

  t('CVE-2024-21626: process.args[0] through /proc/self/fd/N runs nothing of the host', () => {
    // runc's variant 2: an exec'd binary path through a leaked fd. The host's /usr/bin/node
    // (or runc) would run if a host directory were reachable that way.
    for (let fd = 3; fd <= 12; fd++) {
      const rel = `/proc/self/fd/${fd}/../../../../../../../usr/sbin/runc`;
      b.config.process.args = [rel, '--version'];
      b.write();
      const o = rt.run(['run', '--bundle', b.dir, id()]);
      assert.ok(!/runc version/.test(o.stdout), `host runc ran from the container via fd ${fd}`);
    }
  });

  // ---------------------------------------------------------------- CVE-2021-30465

  function symlinkMountBundle(hostBase: string): void {
    // Destinations reached through symlinks in the rootfs that point at host paths (absolute,
    // relative with too many "..", and a symlinked parent); none of the targets exist.
    b.config.root.readonly = false;
    b.config.mounts.push({ destination: '/evil-abs', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    b.config.mounts.push({ destination: '/evil-rel', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    b.config.mounts.push({ destination: '/evil-parent/sub', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    symlinkSync(`${hostBase}-abs`, join(b.dir, 'rootfs', 'evil-abs'));
    symlinkSync(`../../../../../../../../../..${hostBase}-rel`, join(b.dir, 'rootfs', 'evil-rel'));
    symlinkSync(`${hostBase}-parent`, join(b.dir, 'rootfs', 'evil-parent'));
  }
  const hostPaths = (base: string) => [`${base}-abs`, `${base}-rel`, `${base}-parent`, `${base}-parent/sub`];

  t('CVE-2021-30465: mount destinations through symlinks to host paths stay inside the rootfs', () => {
    const base = `/tmp/runc-ts-sec-30465-${process.pid}-${name}`;
    symlinkMountBundle(base);
    // The targets exist inside the rootfs (a dangling symlink is the next test's case).
    for (const p of [`${base}-abs`, `${base}-rel`, `${base}-parent/sub`]) mkdirSync(join(b.dir, 'rootfs', p), { recursive: true });
    b.config.process.args = ['sh', '-c', 'for d in /evil-abs /evil-rel /evil-parent/sub; do echo hi > $d/marker; stat -f -c "$d %T" $d/; done; sleep 60'];
    b.write();
    const cid = id();
    const r = rt.detached(['run', '-d', '--bundle', b.dir, cid]);
    try {
      // Whatever the runtime does with them, nothing appears on (or is mounted at) the host paths.
      const hostCheck = (when: string) => {
        for (const p of hostPaths(base)) assert.ok(!existsSync(p), `${when}: ${p} was created on the host`);
        const m = mountPoints().filter((x) => x.point.startsWith(base));
        assert.equal(m, [], `${when}: mounted on the host`);
      };
      hostCheck('while running');
      assert.is(r.status, 0, r.stderr);
      const pid = JSON.parse(rt.run(['state', cid]).stdout).pid;
      sleep(300);
      // In the container's own mount table, the tmpfs are on the symlinks' targets resolved
      // inside the rootfs.
      const inside = mountPoints(`/proc/${pid}/mountinfo`).filter((x) => x.fstype === 'tmpfs').map((x) => x.point);
      for (const p of [`${base}-abs`, `${base}-rel`, `${base}-parent/sub`]) assert.ok(inside.includes(p), `no tmpfs at ${p} inside: ${inside.join(' ')}`);
      // The markers went to the tmpfs, not to the rootfs' (host) directories behind them.
      for (const p of [`${base}-abs`, `${base}-rel`, `${base}-parent/sub`]) {
        assert.ok(!existsSync(join(b.dir, 'rootfs', p, 'marker')), `marker written through ${p} landed on the rootfs, not on its tmpfs`);
      }
      rt.run(['delete', '--force', cid]);
      hostCheck('after delete');
    } finally {
      rt.run(['delete', '--force', cid]);
      for (const p of hostPaths(base).reverse()) rmSync(p, { recursive: true, force: true });
    }
  });

  t('CVE-2021-30465 (runc compatibility): dangling in-rootfs symlinks as mount destinations are created inside the rootfs', () => {
    const base = `/tmp/runc-ts-sec-30465c-${process.pid}-${name}`;
    symlinkMountBundle(base);
    b.config.process.args = ['sh', '-c', 'for d in /evil-abs /evil-rel /evil-parent/sub; do stat -f -c "$d %T" $d/; done'];
    b.write();
    const r = rt.run(['run', '--bundle', b.dir, id()]);
    for (const p of hostPaths(base)) assert.ok(!existsSync(p), `${p} was created on the host`);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, '/evil-abs tmpfs\n/evil-rel tmpfs\n/evil-parent/sub tmpfs\n');
  });

  t('CVE-2021-30465: a symlink inside a bind-mounted host directory cannot redirect a later mount to the host', () => {
    // The first mount brings a directory whose symlink points at a host path; the second mount's
    // destination goes through it. Resolving it on the host (before pivot_root) would mount
    // over, or create, the host path.
    const src = scratch('30465-src');
    const hostTarget = scratch('30465-target');
    try {
      writeFileSync(join(hostTarget, 'host-file'), 'host\n');
      symlinkSync(hostTarget, join(src, 'link'));
      mkdirSync(join(b.dir, 'rootfs', hostTarget.slice(1)), { recursive: true });
      b.config.root.readonly = false;
      b.config.mounts.push({ destination: '/data', type: 'bind', source: src, options: ['rbind', 'rw'] });
      b.config.mounts.push({ destination: '/data/link', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      b.config.process.args = ['sh', '-c', 'ls -a /data/link/; echo pwned > /data/link/host-file; echo x > /data/link/new; sleep 60'];
      b.write();
      const cid = id();
      const r = rt.detached(['run', '-d', '--bundle', b.dir, cid]);
      try {
        const m = mountPoints().filter((x) => x.point.startsWith(hostTarget));
        assert.equal(m, [], 'mounted on the host');
        if (r.status === 0) {
          const pid = JSON.parse(rt.run(['state', cid]).stdout).pid;
          const inside = mountPoints(`/proc/${pid}/mountinfo`).filter((x) => x.fstype === 'tmpfs').map((x) => x.point);
          assert.ok(inside.includes(hostTarget), `the tmpfs is at ${hostTarget} inside the container: ${inside.join(' ')}`);
          sleep(300);
        }
        assert.is(readFileSync(join(hostTarget, 'host-file'), 'utf8'), 'host\n', 'the host file was written');
        assert.equal(readdirSync(hostTarget), ['host-file'], 'files created in the host directory');
      } finally {
        rt.run(['delete', '--force', cid]);
      }
      assert.equal(mountPoints().filter((x) => x.point.startsWith(hostTarget)), []);
    } finally {
      rmSync(src, { recursive: true, force: true });
      rmSync(hostTarget, { recursive: true, force: true });
    }
  });

  // ---------------------------------------------------------------- masked paths, console

  function fakeDevNullBundle(kind: 'file' | 'symlink', hostFile: string): void {
    // No /dev tmpfs: the rootfs' own /dev is used, with a /dev/null that is not the device.
    b.config.root.readonly = false;
    b.config.mounts = b.config.mounts.filter((m: any) => !m.destination.startsWith('/dev'));
    b.config.linux.maskedPaths = [...b.config.linux.maskedPaths, '/etc/secret'];
    writeFileSync(join(b.dir, 'rootfs', 'etc', 'secret'), 'TOPSECRET\n');
    const devNull = join(b.dir, 'rootfs', 'dev', 'null');
    if (kind === 'file') writeFileSync(devNull, 'FAKE-NULL-CONTENT\n');
    else symlinkSync(hostFile, devNull);
    // head bounds the output: with a fake /dev/null as stdout and as /etc/secret, cat could
    // copy the file into itself forever.
    b.config.process.args = ['sh', '-c', 'head -c 200 /etc/secret; echo; head -c 200 /proc/kcore | head -c 20; echo; stat -L -c "%F %t:%T" /dev/null; echo written > /dev/null'];
    b.write();
  }

  unlessRuncGap(
    t,
    name,
    'maskedPaths with a rootfs /dev/null that is a regular file: the masked paths are still empty',
    "runc 1.1.5 binds the rootfs' regular /dev/null over masked paths (CVE-2025-31133, fixed in runc 1.2.8/1.3.3): " +
      'they show its content, and its stdio reopened on it made `cat` copy the file into itself until the disk filled',
    () => {
      fakeDevNullBundle('file', '');
      const r = rt.run(['run', '--bundle', b.dir, id()], { timeout: 15000 });
      if (r.status !== 0) {
        assert.match(r.stderr, /null/); // refusing to run is fine
        return;
      }
      assert.ok(!r.stdout.includes('TOPSECRET'), 'the masked path shows its content');
      assert.ok(!r.stdout.includes('FAKE-NULL'), 'the masked path shows the fake /dev/null');
      assert.match(r.stdout, /character special file 1:3\n$/);
    },
  );

  t('maskedPaths with a rootfs /dev/null symlinked to a host file: nothing of the host is bound or written', () => {
    const dir = scratch('devnull');
    const hostFile = join(dir, 'host-file');
    writeFileSync(hostFile, 'HOSTDATA\n');
    try {
      fakeDevNullBundle('symlink', hostFile);
      const r = rt.run(['run', '--bundle', b.dir, id()], { timeout: 15000 });
      assert.is(readFileSync(hostFile, 'utf8'), 'HOSTDATA\n', 'the host file was written');
      assert.equal(readdirSync(dir), ['host-file']);
      if (r.status !== 0) {
        assert.match(r.stderr, /null/);
        return;
      }
      assert.ok(!r.stdout.includes('TOPSECRET'), 'the masked path shows its content');
      assert.ok(!r.stdout.includes('HOSTDATA'), 'a host file was bound over the masked path');
      assert.match(r.stdout, /character special file 1:3\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  function consoleCheck(out: string, what: string): void {
    const lines = out.replace(/\r/g, '').split('\n');
    // tty, the console's and stdin's device numbers, then the mountinfo lines of /dev/pts and /dev/console.
    assert.match(lines[0] ?? '', /^\/dev\/pts\/\d+$/, `${what}: tty: ${out}`);
    const n = lines[0]!.slice('/dev/pts/'.length);
    assert.is(lines[1], `88:${Number(n).toString(16)}`, `${what}: /dev/console is the pty (136:${n})`);
    assert.is(lines[2], lines[1], `${what}: stdin is the same pty`);
    const mi = lines.slice(3).filter(Boolean).map((l) => l.split(' '));
    const pts = mi.find((f) => f[4] === '/dev/pts');
    const con = mi.find((f) => f[4] === '/dev/console');
    assert.ok(pts && con, `${what}: mounts ${out}`);
    assert.is(con![2], pts![2], `${what}: /dev/console comes from the container's own devpts`);
    assert.is(con![3], `/${n}`);
    const hostPts = mountPoints().filter((x) => x.fstype === 'devpts').map((x) => x.dev);
    assert.ok(!hostPts.includes(pts![2]!), `${what}: the container's devpts is the host's (${pts![2]})`);
  }
  const CONSOLE_PROBE = 'tty; stat -L -c "%t:%T" /dev/console; stat -L -c "%t:%T" /proc/self/fd/0; grep -E " /dev/(pts|console) " /proc/self/mountinfo';

  t('console: with --console-socket, /dev/console inside is the container\'s pty, not a host path', () => {
    b.config.process.terminal = true;
    b.config.process.args = ['sh', '-c', CONSOLE_PROBE];
    b.write();
    const hostConsole = statSync('/dev/console').rdev;
    const rc = consoleReceiver();
    const cid = id();
    try {
      const r = rt.detached(['run', '-d', '--console-socket', rc.socket, '--bundle', b.dir, cid]);
      assert.is(r.status, 0, r.stderr);
      consoleCheck(rc.output(), 'run');
      assert.is(statSync('/dev/console').rdev, hostConsole);
    } finally {
      rc.stop();
      rt.run(['delete', '--force', cid]);
    }
  });

  t('console: a rootfs /dev/console symlinked to a host file does not bind the pty onto the host file', () => {
    const dir = scratch('console-target');
    const hostFile = join(dir, 'host-file');
    writeFileSync(hostFile, 'HOSTDATA\n');
    const rc = consoleReceiver();
    const cid = id();
    try {
      b.config.root.readonly = false;
      b.config.mounts = b.config.mounts.filter((m: any) => m.destination !== '/dev');
      mkdirSync(join(b.dir, 'rootfs', 'dev', 'pts'), { recursive: true });
      symlinkSync(hostFile, join(b.dir, 'rootfs', 'dev', 'console'));
      b.config.process.terminal = true;
      b.config.process.args = ['sh', '-c', CONSOLE_PROBE + '; echo written > /dev/console'];
      b.write();
      const r = rt.detached(['run', '-d', '--console-socket', rc.socket, '--bundle', b.dir, cid]);
      if (r.status === 0) consoleCheck(rc.output(), 'run');
      else assert.match(r.stderr, /console/);
      assert.is(readFileSync(hostFile, 'utf8'), 'HOSTDATA\n');
      assert.equal(readdirSync(dir), ['host-file']);
    } finally {
      rc.stop();
      rt.run(['delete', '--force', cid]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  t('console: exec -t with --console-socket gets a pty of the container\'s devpts', () => {
    b.config.process.args = ['sleep', '60'];
    b.write();
    const cid = id();
    runDetached(rt, b.dir, cid);
    const rc = consoleReceiver();
    try {
      const r = rt.detached(['exec', '-d', '-t', '--console-socket', rc.socket, cid, 'sh', '-c', 'tty; stat -L -c "%t:%T %d" /proc/self/fd/0 /dev/pts/ptmx']);
      assert.is(r.status, 0, r.stderr);
      const lines = rc.output().replace(/\r/g, '').split('\n');
      assert.match(lines[0]!, /^\/dev\/pts\/\d+$/);
      const [fd0, ptmx] = [lines[1]!.split(' '), lines[2]!.split(' ')];
      assert.is(fd0[0], `88:${Number(lines[0]!.slice(9)).toString(16)}`);
      assert.is(fd0[1], ptmx[1], 'the pty is on the container\'s devpts');
    } finally {
      rc.stop();
      rt.run(['delete', '--force', cid]);
    }
  });

  t.run();
}
