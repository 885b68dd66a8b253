// Worker thread of the systemd cgroup driver: owns the D-Bus connection (an async library) so
// that the main thread can call systemd synchronously, like the cgroupfs managers (see
// systemd-client.ts for the protocol: one request at a time, the answer in shared memory).
import { parentPort, workerData } from 'node:worker_threads';
import { SystemdBus, type BusOptions } from './systemd-dbus';

interface Shared {
  sab: SharedArrayBuffer;
  bus: BusOptions;
}

const { sab, bus: busOpts } = workerData as Shared;
const flag = new Int32Array(sab, 0, 3);
// HEADER_BYTES of systemd-client.ts (not imported: the worker bundle stays without it).
const data = new Uint8Array(sab, 16);
let connected: Promise<SystemdBus> | undefined;

function answer(msg: { ok?: unknown; error?: string }): void {
  let bytes = Buffer.from(JSON.stringify(msg, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  if (bytes.length > data.length) bytes = Buffer.from(JSON.stringify({ error: 'systemd: answer too large' }));
  data.set(bytes);
  flag[1] = bytes.length;
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

// Started: from here on, failures are answers.
Atomics.store(flag, 2, 1);
Atomics.notify(flag, 2);

parentPort!.on('message', async ({ op, args }: { op: keyof SystemdBus; args: unknown[] }) => {
  try {
    const sd = await (connected ??= SystemdBus.connect(busOpts));
    answer({ ok: await (sd[op] as (...a: unknown[]) => Promise<unknown>)(...args) });
  } catch (e: any) {
    answer({ error: e?.message ?? String(e) });
  }
});
