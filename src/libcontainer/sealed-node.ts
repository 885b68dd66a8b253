// The container init is `node`: its /proc/<pid>/exe is the host's node binary, and a container
// process with CAP_SYS_PTRACE (held in the host's user namespace by containers without one of
// their own) could open it for writing while the init or an exec'd process still runs it (the
// CVE-2019-5736 class). Like runc's cloned_binary.c, the init is executed instead from a
// read-only bind mount of the binary. The mount only ever exists detached: open_tree(2) clones
// the binary's mount into a new anonymous tree, mount_setattr(2) makes that tree read-only,
// and the fd is all there is. A CLI killed at any point leaves nothing in the host's mount
// table (the bind-then-remount it replaces could leave a read-write mount behind).
import { closeSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SysError, errno, mountSetattr, openTree, umount2 } from './sys/libc';

const OPEN_TREE_CLONE = 1;
const O_CLOEXEC = 0o2000000;
const MOUNT_ATTR_RDONLY = 0x1;
const AT_EMPTY_PATH = 0x1000;

/**
 * An O_PATH fd of a read-only, detached bind mount of `binary`, or -1 when this process may
 * not mount (rootless: no CAP_SYS_PTRACE in the host's user namespace for its containers
 * either).
 */
export function sealedBinaryFd(binary: string): number {
  if (process.getuid?.() !== 0) return -1;
  const fd = openTree(binary, OPEN_TREE_CLONE | O_CLOEXEC);
  if (fd < 0) throw new SysError(`open_tree ${binary}`, errno());
  const attr = Buffer.alloc(32); // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd; }
  attr.writeBigUInt64LE(BigInt(MOUNT_ATTR_RDONLY), 0);
  if (mountSetattr(fd, attr, AT_EMPTY_PATH) < 0) {
    const e = errno();
    closeSync(fd);
    throw new SysError(`make the detached mount of ${binary} read-only`, e);
  }
  return fd;
}

/**
 * Unmounts what an older runc-ts, killed between its bind mount and its unmount, left in a
 * container directory (`.node-<pid>-<time>`), so that the directory can be removed.
 */
export function unmountLeftovers(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith('.node-')) umount2(join(dir, n), 2 /* MNT_DETACH */);
}
