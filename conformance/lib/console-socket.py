# A --console-socket server for conformance cases: listens on argv[1], receives the pty master
# the runtime sends with SCM_RIGHTS, optionally writes argv[2] to it, then copies everything the
# container prints to stdout until the slave side closes (EIO) or 15 s pass.
import os, select, socket, sys, time

path = sys.argv[1]
to_write = sys.argv[2].encode() if len(sys.argv) > 2 else b''
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(15)
conn, _ = srv.accept()
msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 4)
if not fds:
    sys.stderr.write('no fd received\n')
    sys.exit(2)
master = fds[0]
sys.stderr.write('received fd\n')
sys.stderr.flush()
if to_write:
    os.write(master, to_write)
end = time.time() + 15
out = b''
while time.time() < end:
    r, _, _ = select.select([master], [], [], 0.5)
    if not r:
        continue
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.buffer.write(out)
sys.stdout.flush()
