// stdout and stderr of the CLI and the init, written with write(2). Under Bun, the first
// touch of process.stdout or process.stderr builds their Node-style stream objects: ~9 ms,
// more than a whole `runc-ts state` otherwise costs. Output here is small and goes out at
// once, as runc's does.
import { writeSync } from 'node:fs';

function writeAll(fd: number, text: string): void {
  const b = Buffer.from(text);
  for (let off = 0; off < b.length; ) {
    try {
      off += writeSync(fd, b, off);
    } catch (e: any) {
      // A reader that went away loses the rest, as with a closed pipe anywhere.
      if (e?.code === 'EPIPE') return;
      // A non-blocking pipe that is full (the caller made it so): wait for room.
      if (e?.code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

export const writeStdout = (text: string): void => writeAll(1, text);
export const writeStderr = (text: string): void => writeAll(2, text);
