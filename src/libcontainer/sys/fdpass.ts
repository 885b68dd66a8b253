// Passing file descriptors over unix sockets (SCM_RIGHTS), as runc does for the console
// (the pty master goes to --console-socket) and the seccomp notify listener.
import { ffi } from './ffi';
import { SysError, errno, recvmsg, sendmsg } from './libc';
import { ARCH } from './arch';

const { msghdr: M, cmsgInt: C } = ARCH;

const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_CMSG_CLOEXEC = 0x40000000;

function msghdr(iov: Buffer, control: Buffer): Buffer {
  // struct msghdr { void *name; socklen_t namelen; struct iovec *iov; size_t iovlen;
  //                 void *control; size_t controllen; int flags; }
  const h = Buffer.alloc(M.size);
  h.writeBigUInt64LE(ffi().address(iov), M.iov);
  h.writeBigUInt64LE(1n, M.iovlen);
  h.writeBigUInt64LE(ffi().address(control), M.control);
  h.writeBigUInt64LE(BigInt(control.length), M.controllen);
  return h;
}

/** Sends `fd` with `name` as the message bytes (runc's utils.SendFd). */
export function sendFd(sock: number, name: string, fd: number): void {
  const data = Buffer.from(name || ' ');
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(ffi().address(data), 0);
  iov.writeBigUInt64LE(BigInt(data.length), 8);
  const control = Buffer.alloc(C.space);
  control.writeBigUInt64LE(BigInt(C.len), 0);
  control.writeInt32LE(SOL_SOCKET, 8);
  control.writeInt32LE(SCM_RIGHTS, 12);
  control.writeInt32LE(fd, C.data);
  const h = msghdr(iov, control);
  if (Number(sendmsg(sock, h, 0)) < 0) throw new SysError('send fd over socket', errno());
}

/** Receives one fd (close-on-exec) and the message bytes sent with it. */
export function recvFd(sock: number): { fd: number; name: string } {
  const data = Buffer.alloc(4096);
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(ffi().address(data), 0);
  iov.writeBigUInt64LE(BigInt(data.length), 8);
  const control = Buffer.alloc(C.space);
  const h = msghdr(iov, control);
  const n = Number(recvmsg(sock, h, MSG_CMSG_CLOEXEC));
  if (n < 0) throw new SysError('receive fd over socket', errno());
  if (control.readInt32LE(8) !== SOL_SOCKET || control.readInt32LE(12) !== SCM_RIGHTS) throw new Error('receive fd over socket: no file descriptor in message');
  return { fd: control.readInt32LE(C.data), name: data.subarray(0, n).toString() };
}
