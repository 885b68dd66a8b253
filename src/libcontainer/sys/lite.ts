// The system calls of `start` and `delete` (the lock, waiting on exec.fifo and the init) from
// native/lite.c, a libc-only addon in dist/: koffi's addon costs those commands ~1.7 ms to load
// (its libstdc++), a third of what they do. Without the addon (not built), koffi does the same.
// Each call returns the system call's result, or -errno.
import { join } from 'node:path';
import { DIST_DIR } from '../../engine';
import { SYS, errno, flock as koffiFlock, poll as koffiPoll, syscall3 } from './libc';

interface Lite {
  flock(fd: number, op: number): number;
  pidfdOpen(pid: number): number;
  /** POLLIN on two fds for up to `timeoutMs` (default: none): revents of `a` in bits 0-15, of
   * `b` in bits 16-30; 0 on timeout. */
  pollIn2(a: number, b: number, timeoutMs?: number): number;
}

const viaKoffi: Lite = {
  flock: (fd, op) => (koffiFlock(fd, op) < 0 ? -errno() : 0),
  pidfdOpen: (pid) => {
    const fd = syscall3(SYS.pidfd_open, pid, 0, 0);
    return fd < 0 ? -errno() : fd;
  },
  pollIn2(a, b, timeoutMs = -1) {
    const fds = Buffer.alloc(16); // struct pollfd { int fd; short events; short revents; } [2]
    fds.writeInt32LE(a, 0);
    fds.writeInt16LE(1 /* POLLIN */, 4);
    fds.writeInt32LE(b, 8);
    fds.writeInt16LE(1, 12);
    if (koffiPoll(fds, 2, timeoutMs) < 0) return -errno();
    return (fds.readUInt16LE(6) & 0xffff) | ((fds.readUInt16LE(14) & 0x7fff) << 16);
  },
};

/** dist/lite.node, or undefined when it is missing or cannot load here. */
export function loadLiteAddon(dir = DIST_DIR): Lite | undefined {
  try {
    const addon = { exports: {} as Lite };
    process.dlopen(addon, join(dir, 'lite.node'));
    return typeof addon.exports.pollIn2 === 'function' ? addon.exports : undefined;
  } catch {
    return undefined;
  }
}

let loaded: Lite | undefined;
export function lite(): Lite {
  return (loaded ??= loadLiteAddon() ?? viaKoffi);
}

export { viaKoffi as liteViaKoffi };
