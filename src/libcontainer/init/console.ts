// The container's terminal (process.terminal): a pty from the container's own devpts, the
// slave made the controlling terminal of the process and bound over /dev/console, the master
// sent to whoever listens on --console-socket (runc's setupConsole).
import { closeSync } from 'node:fs';
import { SysError, check, dup3, errno, ioctl, ioctlPtr, mount, open, setsid } from '../sys/libc';
import { sendFd } from '../sys/fdpass';
import { MS } from '../mount-options';
import { O } from './root';

const TIOCGPTN = 0x80045430;
const TIOCSPTLCK = 0x40045431;
const TIOCSCTTY = 0x540e;
const TIOCSWINSZ = 0x5414;

export function setupConsole(socketFd: number, size: { height: number; width: number } | undefined, bindConsole: boolean): void {
  const master = check(open('/dev/ptmx', O.RDWR | O.NOCTTY | O.CLOEXEC, 0), 'open /dev/ptmx');
  const zero = Buffer.alloc(4);
  check(ioctlPtr(master, TIOCSPTLCK, zero), 'unlock pty');
  const n = Buffer.alloc(4);
  check(ioctlPtr(master, TIOCGPTN, n), 'get pty number');
  const slavePath = `/dev/pts/${n.readUInt32LE(0)}`;
  if (size) {
    const ws = Buffer.alloc(8);
    ws.writeUInt16LE(size.height, 0);
    ws.writeUInt16LE(size.width, 2);
    check(ioctlPtr(master, TIOCSWINSZ, ws), 'set console size');
  }
  // /dev/console (the container init only): a bind of the slave (on an empty file first).
  if (bindConsole) {
    const c = open('/dev/console', O.CREAT | O.WRONLY | O.CLOEXEC | O.NOFOLLOW, 0o600);
    if (c >= 0) closeSync(c);
    if (mount(slavePath, '/dev/console', 'bind', MS.BIND, null) < 0) throw new SysError('bind mount /dev/console', errno());
  }
  sendFd(socketFd, slavePath, master);
  closeSync(master);
  closeSync(socketFd);
  // New session, slave as controlling terminal and as stdio.
  setsid();
  const slave = check(open(slavePath, O.RDWR, 0), `open ${slavePath}`);
  check(ioctl(slave, TIOCSCTTY, 0), 'set controlling terminal');
  for (const fd of [0, 1, 2]) check(dup3(slave, fd, 0), `dup console to fd ${fd}`);
  if (slave > 2) closeSync(slave);
}
