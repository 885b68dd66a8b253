// SCMP_ACT_NOTIFY: the runtime hands the listener fd to the agent at listenerPath with the
// container process state; once the agent closes it, the notified syscall fails with ENOSYS.
// Both runtimes; the agent is a few lines of python3 (socket.recv_fds).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeBundle } from '../helpers/bundle';
import { makeRuntime, runtimeNames, sleep } from '../helpers/runtimes';

const AGENT = `
import json, os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(1)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 65536, 4)
link = os.readlink('/proc/self/fd/%d' % fds[0]) if fds else ''
for fd in fds: os.close(fd)
open(out, 'w').write(json.dumps({'msg': json.loads(msg.decode()), 'link': link}))
`;


for (const name of runtimeNames()) {
  const t = suite(`seccomp notify [${name}]`);
  t('the listener reaches listenerPath with the state; closed, the syscall gets ENOSYS', () => {
    const rt = makeRuntime(name);
    const dir = mkdtempSync(join(tmpdir(), 'runc-ts-notify-'));
    const sock = join(dir, 'agent.sock');
    const out = join(dir, 'agent.json');
    writeFileSync(join(dir, 'agent.py'), AGENT);
    const agent = spawn('python3', [join(dir, 'agent.py'), sock, out], { stdio: 'ignore' });
    const id = `notify-${process.pid}`;
    const b = makeBundle((c) => {
      c.root.readonly = false;
      c.process.args = ['sh', '-c', 'sleep 0.3; mkdir /tmp/notified 2>&1; echo done'];
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: sock,
        listenerMetadata: 'test-metadata',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
      };
    });
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) sleep(20);
      const r = rt.run(['run', '--bundle', b.dir, id]);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stdout, /mkdir: can't create directory '\/tmp\/notified': Function not implemented/);
      const got = JSON.parse(readFileSync(out, 'utf8'));
      assert.is(got.link, 'anon_inode:seccomp notify');
      assert.equal(got.msg.fds, ['seccompFd']);
      assert.is(got.msg.metadata, 'test-metadata');
      assert.is(got.msg.state.id, id);
      assert.ok(got.msg.pid > 0);
    } finally {
      agent.kill('SIGKILL');
      rt.cleanup();
      b.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  t.run();
}
