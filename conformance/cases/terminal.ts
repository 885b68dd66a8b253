// config.md#process (terminal, consoleSize) and runtime.md / runc's --console-socket: the case is
// the console socket server (a python3 helper receives the pty master over SCM_RIGHTS).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq, fail, match, skip } from '../lib/assert';
import { Case } from '../lib/context';
import { waitFor } from '../lib/exec';

const HELPER = join(__dirname, '..', 'lib', 'console-socket.py');

export const cases: Case[] = [
  {
    name: 'terminal/console socket receives the pty; process has a tty',
    spec: 'config.md#process (terminal, consoleSize)',
    skipIf: () => (existsSync('/usr/bin/python3') ? undefined : 'python3 (the SCM_RIGHTS receiver) is not installed'),
    async run(t) {
      const sock = join(t.dir, 'console.sock');
      const outFile = join(t.dir, 'console.out');
      const { openSync } = await import('node:fs');
      const helper = spawn('/usr/bin/python3', [HELPER, sock], { stdio: ['ignore', openSync(outFile, 'w'), 'pipe'] });
      let helperErr = '';
      helper.stderr!.on('data', (d) => { helperErr += String(d); });
      const exited = new Promise<number | null>((r) => helper.once('exit', (c) => r(c)));
      t.defer(() => { helper.kill('SIGKILL'); });
      if (!(await waitFor(() => existsSync(sock), 5000))) skip(`the console socket helper did not start: ${helperErr}`);
      const b = t.bundle((c) => {
        c.process.terminal = true;
        c.process.consoleSize = { height: 33, width: 101 };
        c.process.args = ['sh', '-c', 'tty; stty size; for f in 0 1 2; do readlink /proc/self/fd/$f; done; stat -c "console %t %T" /dev/console; echo done'];
      });
      const { id } = await t.create(b, { consoleSocket: sock });
      await t.start(id);
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
      if (code === 'timeout') fail(`the console helper never saw the pty close; helper: ${helperErr}`);
      const out = readFileSync(outFile, 'utf8').replace(/\r\n/g, '\n');
      match(out, /^\/dev\/pts\/\d+$/m, '`tty` output');
      const tty = /^(\/dev\/pts\/\d+)$/m.exec(out)![1];
      match(out, /^33 101$/m, '`stty size` (consoleSize)');
      const lines = out.split('\n');
      eq(lines.filter((l) => l === tty).length, 4, `lines naming ${tty} (tty, then fds 0, 1, 2): ${JSON.stringify(out)}`);
      match(out, /^console 88 [0-9a-f]+$/m, '/dev/console is a pty slave (major 136)');
      match(out, /^done$/m, 'the program completed');
      await t.waitStatus(id, 'stopped');
      await t.delete(id);
    },
  },
  {
    name: 'terminal/terminal true without --console-socket is rejected',
    spec: 'config.md#process (terminal)',
    async run(t) {
      const b = t.bundle((c) => { c.process.terminal = true; });
      t.mustFail(await t.cli(['create', '--bundle', b.dir, t.id()]), 'create with terminal: true and no console socket');
      eq((await t.cli(['list', '-q'])).stdout.trim(), '', 'list');
    },
  },
];
