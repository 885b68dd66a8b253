// The container init is `node`: its /proc/<pid>/exe is the host's node binary, and a container
// process with CAP_SYS_PTRACE (held in the host's user namespace by containers without one of
// their own) could open it for writing while the init or an exec'd process still runs it (the
// CVE-2019-5736 class). Like runc's cloned_binary.c, the init is executed instead from a
// read-only bind mount of the binary, opened and then detached at once: no mount stays behind,
// and the exe link then points at a read-only mount (writes fail with EROFS).
import { closeSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { MS } from './mount-options';
import { SysError, errno, mount, open as openFd, umount2 } from './sys/libc';

const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;

/**
 * An O_PATH fd of a read-only, detached bind mount of `binary`, made in `dir` (a directory we
 * own, e.g. the state root), or -1 when this process may not mount (rootless: no
 * CAP_SYS_PTRACE in the host's user namespace for its containers either).
 */
export function sealedBinaryFd(binary: string, dir: string): number {
  if (process.getuid?.() !== 0) return -1;
  const tmp = join(dir, `.node-${process.pid}-${Date.now()}`);
  closeSync(openSync(tmp, 'wx', 0o500));
  try {
    if (mount(binary, tmp, null, MS.BIND, null) < 0) throw new SysError(`bind mount ${binary}`, errno());
    try {
      if (mount(null, tmp, null, MS.BIND | MS.REMOUNT | MS.RDONLY, null) < 0) throw new SysError(`remount ${tmp} read-only`, errno());
      const fd = openFd(tmp, O_PATH | O_CLOEXEC, 0);
      if (fd < 0) throw new SysError(`open ${tmp}`, errno());
      return fd;
    } finally {
      umount2(tmp, 2 /* MNT_DETACH */);
    }
  } finally {
    unlinkSync(tmp);
  }
}
