// A private dbus-daemon with test/fixtures/mock-systemd.cjs on it (a stand-in for systemd's
// D-Bus API), for the systemd driver's tests on hosts without systemd. DBUS_SYSTEM_BUS_ADDRESS
// points at it (and so do the runtimes this process starts) until stop().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const haveDbusDaemon = spawnSync('dbus-daemon', ['--version']).status === 0;

export interface MockSystemd {
  /** Every Manager call received: { member, body } with uint64s as strings, variants as { sig, value }. */
  calls: any[];
  /** The calls for one unit, once there are `count` of them (the mock's output is read by this thread). */
  callsFor(unit: string, count: number): Promise<any[]>;
  stop(): void;
}

export async function startMockSystemd(): Promise<MockSystemd> {
  const dir = mkdtempSync(join(tmpdir(), 'runc-ts-dbus-'));
  const address = `unix:path=${join(dir, 'bus')}`;
  const daemon: ChildProcess = spawn('dbus-daemon', ['--session', '--nofork', `--address=${address}`, '--print-address'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((r) => daemon.stdout!.once('data', r));
  process.env.DBUS_SYSTEM_BUS_ADDRESS = address;
  const mock = spawn(process.execPath, [join(__dirname, '../fixtures/mock-systemd.cjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const calls: any[] = [];
  await new Promise<void>((resolve) => {
    createInterface({ input: mock.stdout! }).on('line', (l) => {
      const m = JSON.parse(l);
      if (m.ready) resolve();
      else calls.push(m);
    });
  });
  return {
    calls,
    async callsFor(unit, count) {
      const mine = () => calls.filter((c) => c.body[0] === unit);
      for (let i = 0; i < 100 && mine().length < count; i++) await new Promise((r) => setTimeout(r, 20));
      return mine();
    },
    stop() {
      mock.kill();
      daemon.kill();
      delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
