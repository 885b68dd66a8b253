// Passing file descriptors over unix sockets (SCM_RIGHTS), as runc does for the console
// (the pty master goes to --console-socket) and the seccomp notify listener.
import koffi from './koffi';
import { SysError, errno, recvmsg, sendmsg } from './libc';

const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const CMSG_SPACE_INT = 24; // CMSG_SPACE(sizeof(int)) on x86_64
const MSG_CMSG_CLOEXEC = 0x40000000;

function msghdr(iov: Buffer, control: Buffer): Buffer {
  // struct msghdr { void *name; socklen_t namelen; struct iovec *iov; size_t iovlen;
  //                 void *control; size_t controllen; int flags; } = 56 bytes on x86_64
  const h = Buffer.alloc(56);
  h.writeBigUInt64LE(koffi.address(iov), 16);
  h.writeBigUInt64LE(1n, 24);
  h.writeBigUInt64LE(koffi.address(control), 32);
  h.writeBigUInt64LE(BigInt(control.length), 40);
  return h;
}

/** Sends `fd` with `name` as the message bytes (runc's utils.SendFd). */
export function sendFd(sock: number, name: string, fd: number): void {
  const data = Buffer.from(name || ' ');
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(koffi.address(data), 0);
  iov.writeBigUInt64LE(BigInt(data.length), 8);
  const control = Buffer.alloc(CMSG_SPACE_INT);
  control.writeBigUInt64LE(20n, 0); // CMSG_LEN(sizeof(int))
  control.writeInt32LE(SOL_SOCKET, 8);
  control.writeInt32LE(SCM_RIGHTS, 12);
  control.writeInt32LE(fd, 16);
  const h = msghdr(iov, control);
  if (Number(sendmsg(sock, h, 0)) < 0) throw new SysError('send fd over socket', errno());
}

/** Receives one fd (close-on-exec) and the message bytes sent with it. */
export function recvFd(sock: number): { fd: number; name: string } {
  const data = Buffer.alloc(4096);
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(koffi.address(data), 0);
  iov.writeBigUInt64LE(BigInt(data.length), 8);
  const control = Buffer.alloc(CMSG_SPACE_INT);
  const h = msghdr(iov, control);
  const n = Number(recvmsg(sock, h, MSG_CMSG_CLOEXEC));
  if (n < 0) throw new SysError('receive fd over socket', errno());
  if (control.readInt32LE(8) !== SOL_SOCKET || control.readInt32LE(12) !== SCM_RIGHTS) throw new Error('receive fd over socket: no file descriptor in message');
  return { fd: control.readInt32LE(16), name: data.subarray(0, n).toString() };
}
