// A connected AF_UNIX stream socket as a raw fd (Node's net.Socket hides its fd, and the fd is
// what the init inherits to send the console's pty master through).
import { SysError, check, close, connect, errno, socket } from './libc';

export function connectUnix(path: string): number {
  const fd = check(socket(1 /* AF_UNIX */, 1 /* SOCK_STREAM */ | 0o2000000 /* SOCK_CLOEXEC */, 0), 'socket');
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(1, 0);
  const p = Buffer.from(path);
  if (p.length > 107) {
    close(fd);
    throw new Error(`console socket path too long: ${path}`);
  }
  p.copy(addr, 2);
  if (connect(fd, addr, 2 + p.length + 1) < 0) {
    const e = errno();
    close(fd);
    throw new SysError(`connect to console socket ${path}`, e);
  }
  return fd;
}
