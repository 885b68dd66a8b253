// A terminal in the foreground (`run`/`exec` with process.terminal and no --console-socket):
// like runc, we are our own console socket. The init sends the pty master over a socketpair;
// we copy our stdin to it and it to our stdout, with our terminal in raw mode and its size
// forwarded (SIGWINCH).
import type * as Tty from 'node:tty';
import { closeSync } from 'node:fs';
import { SysError, errno, ioctlPtr, socketpair, tcgetattr, tcsetattr } from './sys/libc';
import { recvFd } from './sys/fdpass';

const TIOCSWINSZ = 0x5414;

/** Clears output flags (c_oflag, at offset 4 of struct termios) of the terminal at `fd`. */
function clearOutputFlags(fd: number, flags: number): void {
  const termios = Buffer.alloc(60);
  if (tcgetattr(fd, termios) < 0) return;
  termios.writeUInt32LE(termios.readUInt32LE(4) & ~flags, 4);
  tcsetattr(fd, 0 /* TCSANOW */, termios);
}
const ONLCR = 0x4;

export function consoleSocketPair(): { ours: number; theirs: number } {
  const fds = Buffer.alloc(8);
  // AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC
  if (socketpair(1, 1 | 0o2000000, 0, fds) < 0) throw new SysError('socketpair', errno());
  return { ours: fds.readInt32LE(0), theirs: fds.readInt32LE(4) };
}

function resize(master: number): void {
  const out = process.stdout;
  if (!out.isTTY) return;
  const ws = Buffer.alloc(8);
  ws.writeUInt16LE(out.rows, 0);
  ws.writeUInt16LE(out.columns, 2);
  ioctlPtr(master, TIOCSWINSZ, ws);
}

/** Receives the master and starts copying; returns a function that stops it and restores stdin. */
export function attachConsole(sock: number): { detach: () => void; done: Promise<void> } {
  const { fd: master } = recvFd(sock);
  closeSync(sock);
  // runc's recvtty clears ONLCR on the container's pty: its "\n" reaches our stdout as "\n",
  // not "\r\n" (output captured through a terminal stays byte for byte what the process wrote).
  clearOutputFlags(master, ONLCR);
  resize(master);
  const stdin = process.stdin;
  const wasRaw = stdin.isTTY ? stdin.isRaw : false;
  // Raw input; output processing (OPOST) stays on, as in runc's console.SetRaw: with ONLCR off
  // on the container's pty, a "\n" is turned into "\r\n" once, by our own terminal if stdout
  // is one, and never when stdout is a pipe or a file.
  if (stdin.isTTY) stdin.setRawMode(true);
  // node:tty loads on demand: it costs ~0.5-1 ms at start-up (it pulls in node:net under Bun)
  // and only `run`/`exec` with a terminal use it.
  const tty: typeof Tty = require('node:tty');
  const fromPty = new tty.ReadStream(master);
  const toPty = new tty.WriteStream(master);
  const onWinch = () => resize(master);
  process.on('SIGWINCH', onWinch);
  stdin.pipe(toPty);
  // EIO from the master once the last slave is closed is the end of output, not an error.
  const done = new Promise<void>((resolve) => {
    fromPty.on('error', () => resolve());
    fromPty.on('end', () => resolve());
    fromPty.on('close', () => resolve());
  });
  fromPty.pipe(process.stdout, { end: false });
  return {
    done,
    detach() {
      process.off('SIGWINCH', onWinch);
      stdin.unpipe(toPty);
      if (stdin.isTTY) stdin.setRawMode(wasRaw);
      stdin.pause();
      fromPty.destroy();
      toPty.destroy();
    },
  };
}

