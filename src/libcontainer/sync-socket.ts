// One end of the socket between the CLI and its container init (init-process.ts on the CLI's
// side, init/main.ts on the init's): newline-ended lines, read with blocking reads. Each side
// only ever waits for the next message of the handshake, so there is nothing to do meanwhile:
// a blocking read answers as soon as the bytes arrive, where the CLI's event loop under Bun
// saw them 5-10 ms late. A config of tens of MB is read in linear time: each byte is scanned
// once, the bytes after the last newline wait in `rest`.
import { closeSync, readSync, writeSync } from 'node:fs';

export class SyncSocket {
  private rest = Buffer.alloc(0);
  private readonly buf = Buffer.allocUnsafe(1 << 18);

  constructor(readonly fd: number) {}

  /** The next line (without its newline), or null once the other end is closed. */
  readLine(): string | null {
    const parts: Buffer[] = [];
    for (;;) {
      const nl = this.rest.indexOf(10);
      if (nl >= 0) {
        parts.push(this.rest.subarray(0, nl));
        this.rest = this.rest.subarray(nl + 1);
        return Buffer.concat(parts).toString('utf8');
      }
      if (this.rest.length) parts.push(this.rest);
      const n = retrying(() => readSync(this.fd, this.buf, 0, this.buf.length, null));
      if (n === 0) return null;
      this.rest = Buffer.from(this.buf.subarray(0, n));
    }
  }

  write(text: string): void {
    const b = Buffer.from(text);
    for (let off = 0; off < b.length; ) off += retrying(() => writeSync(this.fd, b, off));
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** A read or write interrupted by a signal is simply done again. */
function retrying(io: () => number): number {
  for (;;) {
    try {
      return io();
    } catch (e: any) {
      if (e?.code !== 'EINTR') throw e;
    }
  }
}
