// The container's filesystem, built inside its new mount namespace before pivot_root:
// rootfs propagation, every config mount in order, /dev (devices, ptmx, symlinks), then
// pivot_root (or a move + chroot with --no-pivot), and finally the read-only root.
// Follows runc's libcontainer/rootfs_linux.go step by step.
import { chmodSync, closeSync, copyFileSync, existsSync, fstatSync, lchownSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { LinuxDevice, Mount, Spec } from '../../spec/types';
import { MS, parseMountOptions, propagationFlag } from '../mount-options';
import { SysError, check, chdir, chroot, errno, fchdir, fchmodat, fchownat, mknodat, mount, mountSetattr, moveMountFd, open, openTree, pivotRoot, statfs, symlinkat, umount2, unlinkat } from '../sys/libc';
import { ARCH } from '../sys/arch';
import { O, Root, fdPath } from './root';
import { isBindMount } from '../mount-sources';

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

function doMount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null, what: string): void {
  if (mount(source, target, fstype, flags, data) < 0) throw new SysError(what, errno());
}

function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major), mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** The devices every container gets (runc's specconv.AllowedDevices that are created). */
export const DEFAULT_DEVICES: LinuxDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
];

export interface RootfsOptions {
  spec: Spec;
  rootfs: string;
  bundle: string;
  inUserNs: boolean;
  /** In a cgroup namespace (new or joined), cgroupfs is mounted; otherwise the host's is bound. */
  inCgroupNs: boolean;
  /** Mount index -> user namespace fd for idmapped mounts (see InitConfig.idmapFds). */
  idmapFds: Record<number, number>;
  /** Mount index -> detached clone (open_tree) of a bind source made before the namespaces (mount-sources.ts). */
  sourceFds: Record<number, number>;
}

export class RootfsBuilder {
  readonly root: Root;
  private readonly devIsBind: boolean;
  /** A read-only /dev tmpfs is remounted read-only once its devices and links exist. */
  private devReadonly?: { flags: number; data: string | null };

  constructor(private readonly o: RootfsOptions) {
    this.devIsBind = (o.spec.mounts ?? []).some((m) => cleanDest(m.destination) === '/dev' && isBindMount(m));
    this.prepareRoot();
    this.root = new Root(o.rootfs);
  }

  /** Propagation of "/" in the new namespace, then the rootfs bind-mounted onto itself. */
  private prepareRoot(): void {
    const prop = this.o.spec.linux?.rootfsPropagation;
    let flag = MS.SLAVE | MS.REC;
    if (prop) {
      const f = propagationFlag(prop);
      if (f === undefined) throw new Error(`linux.rootfsPropagation: unknown propagation "${prop}"`);
      // An unbindable tree could not be bind-mounted onto itself: that one waits for pivot_root.
      if (!(f & MS.UNBINDABLE)) flag = f;
    }
    doMount(null, '/', null, flag, null, 'make / ' + (prop ?? 'rslave'));
    this.makeParentMountPrivate();
    doMount(this.o.rootfs, this.o.rootfs, 'bind', MS.BIND | MS.REC, null, `bind mount rootfs ${this.o.rootfs}`);
  }

  /** pivot_root fails when the rootfs' parent mount is shared (runc's rootfsParentMountPrivate). */
  private makeParentMountPrivate(): void {
    const mi = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
    let best = '';
    let shared = false;
    for (const line of mi) {
      const f = line.split(' ');
      const mp = unescapeMountinfo(f[4] ?? '');
      if (!mp) continue;
      if ((this.o.rootfs === mp || this.o.rootfs.startsWith(mp.endsWith('/') ? mp : mp + '/')) && mp.length >= best.length) {
        best = mp;
        shared = f.slice(6, f.indexOf('-')).some((x) => x.startsWith('shared:'));
      }
    }
    if (best && shared) doMount(null, best, null, MS.PRIVATE, null, `make ${best} private`);
  }

  mountAll(): void {
    (this.o.spec.mounts ?? []).forEach((m, i) => this.mountOne(m, i));
  }

  private mountOne(m: Mount, index: number): void {
    const dest = cleanDest(m.destination);
    const type = m.type ?? '';
    const opts = parseMountOptions(m.options);
    if (opts.extensions.has('tmpcopyup') && type !== 'tmpfs') throw new Error(`mounts[${dest}]: tmpcopyup is for tmpfs mounts only`);
    const idmapFd = this.o.idmapFds[index];
    if (idmapFd !== undefined) return this.bindMount(m, dest, opts, index, idmapFd);
    if (isBindMount(m)) return this.bindMount(m, dest, opts, index);
    if (type === 'cgroup' || type === 'cgroup2') return this.mountCgroup(m, dest, opts);
    if (type === 'proc' || type === 'sysfs') this.checkOrdinaryDirectory(dest, type);

    let fd = this.root.mkdirAll(dest);
    try {
      let flags = opts.flags;
      // A read-only tmpfs is mounted writable first and remounted read-only once populated.
      const roLater = type === 'tmpfs' && (flags & MS.RDONLY) !== 0;
      if (roLater) flags &= ~MS.RDONLY;
      // tmpcopyup: the tmpfs starts with what the image had at the destination. The fd of
      // the directory opened before the mount still reaches those (now covered) contents.
      const copyUp = type === 'tmpfs' && opts.extensions.has('tmpcopyup') ? this.root.open(dest, O.RDONLY | O.DIRECTORY) : -1;
      doMount(m.source ?? type, fdPath(fd), type, flags, opts.data || null, `mount ${type} on ${dest}`);
      fd = this.reopen(fd, dest);
      if (copyUp >= 0) {
        try {
          copyTree(fdPath(copyUp), fdPath(fd));
        } finally {
          closeSync(copyUp);
        }
      }
      if (roLater && dest === '/dev' && !this.devIsBind) this.devReadonly = { flags, data: opts.data || null };
      else if (roLater) doMount(null, fdPath(fd), null, flags | MS.REMOUNT | MS.RDONLY, opts.data || null, `remount ${dest} read-only`);
      this.applyPropagation(fd, dest, opts.propagation);
      this.applyRecursive(fd, dest, opts);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * A bind mount; with `usernsFd`, an idmapped one (runtime-spec 1.2): a detached clone of the
   * source tree (open_tree) given the user namespace the CLI prepared with the mount's mapping
   * (mount_setattr MOUNT_ATTR_IDMAP), attached at the destination with move_mount.
   */
  private bindMount(m: Mount, dest: string, opts: ReturnType<typeof parseMountOptions>, index: number, usernsFd?: number): void {
    let source = m.source ?? '';
    if (!isAbsolute(source)) source = join(this.o.bundle, source);
    // The source cloned before the namespaces, in a user namespace (see mount-sources.ts).
    const sourceFd = this.o.sourceFds[index];
    let st;
    try {
      st = sourceFd === undefined ? statSync(source) : fstatSync(sourceFd);
    } catch (e: any) {
      if (usernsFd !== undefined) closeSync(usernsFd);
      throw new Error(`mounts[${dest}]: bind source ${source}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
    }
    const tree = usernsFd !== undefined ? this.idmappedTree(source, dest, opts, usernsFd) : sourceFd ?? -1;
    try {
      let fd = st.isDirectory() ? this.root.mkdirAll(dest) : this.root.mkfile(dest);
      try {
        if (tree >= 0) {
          if (moveMountFd(tree, fd) < 0) throw new SysError(`mounts[${dest}]: attach ${usernsFd !== undefined ? 'idmapped mount' : `bind mount of ${source}`}`, errno());
        } else {
          doMount(source, fdPath(fd), 'bind', MS.BIND | (opts.flags & MS.REC), null, `bind mount ${source} on ${dest}`);
        }
        fd = this.reopen(fd, dest);
        // Flags other than bind/rec need a remount of the bind (e.g. ro, nosuid).
        const extra = opts.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
        if (extra) this.remountBind(fd, dest, extra);
        this.applyPropagation(fd, dest, opts.propagation);
        this.applyRecursive(fd, dest, opts);
      } finally {
        closeSync(fd);
      }
    } finally {
      if (tree >= 0 && tree !== sourceFd) closeSync(tree);
    }
  }

  /** A detached, idmapped clone of `source` (closes `usernsFd`). */
  private idmappedTree(source: string, dest: string, opts: ReturnType<typeof parseMountOptions>, usernsFd: number): number {
    const recursive = (opts.flags & MS.REC) !== 0 || opts.extensions.has('ridmap');
    const OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = 0o2000000, AT_RECURSIVE = 0x8000, AT_EMPTY_PATH = 0x1000;
    try {
      const tree = openTree(source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
      if (tree < 0) throw new SysError(`mounts[${dest}]: open_tree ${source}`, errno());
      // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd }
      const attr = Buffer.alloc(32);
      attr.writeBigUInt64LE(0x100000n /* MOUNT_ATTR_IDMAP */, 0);
      attr.writeBigUInt64LE(BigInt(usernsFd), 24);
      if (mountSetattr(tree, attr, AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0)) < 0) {
        const e = errno();
        closeSync(tree);
        throw new SysError(`mounts[${dest}]: idmap ${source}`, e);
      }
      return tree;
    } finally {
      closeSync(usernsFd);
    }
  }

  /**
   * procfs and sysfs only on a real directory of the rootfs (runc): a symlink there, even one
   * resolving inside the rootfs, is refused rather than followed.
   */
  private checkOrdinaryDirectory(dest: string, type: string): void {
    const slash = dest.lastIndexOf('/');
    const parent = this.root.tryOpen(dest.slice(0, slash) || '/', O.PATH | O.DIRECTORY);
    if (parent < 0) return; // created below, as a directory
    try {
      const st = lstatSync(`${fdPath(parent)}/${dest.slice(slash + 1)}`, { throwIfNoEntry: false });
      if (st && !st.isDirectory()) throw new Error(`mounts[${dest}]: filesystem "${type}" must be mounted on ordinary directory`);
    } finally {
      closeSync(parent);
    }
  }

  /** An fd opened before a mount names the covered directory: reopen to reach the new mount. */
  private reopen(fd: number, dest: string): number {
    closeSync(fd);
    return this.root.open(dest);
  }

  /** Remounts a bind with flags; keeps the locked flags (nodev, nosuid...) the mount already has. */
  private remountBind(fd: number, dest: string, flags: number): void {
    const target = fdPath(fd);
    if (mount(null, target, null, MS.BIND | MS.REMOUNT | flags, null) === 0) return;
    const e = errno();
    // EPERM: in a user namespace, flags inherited from the source mount must be kept.
    if (e !== 1) throw new SysError(`remount ${dest}`, e);
    doMount(null, target, null, MS.BIND | MS.REMOUNT | flags | statfsFlags(target), null, `remount ${dest}`);
  }

  private applyPropagation(fd: number, dest: string, props: number[]): void {
    for (const p of props) doMount(null, fdPath(fd), null, p, null, `set propagation of ${dest}`);
  }

  private applyRecursive(fd: number, dest: string, opts: ReturnType<typeof parseMountOptions>): void {
    if (!opts.recAttrSet && !opts.recAttrClear) return;
    // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd }
    const attr = Buffer.alloc(32);
    attr.writeBigUInt64LE(BigInt(opts.recAttrSet), 0);
    attr.writeBigUInt64LE(BigInt(opts.recAttrClear), 8);
    const r = mountSetattr(fd, attr);
    if (r < 0) throw new SysError(`mount_setattr ${dest}`, errno());
  }

  /** cgroup mounts: cgroup2 as is; v1 as runc does it (tmpfs plus one bind per hierarchy). */
  private mountCgroup(m: Mount, dest: string, opts: ReturnType<typeof parseMountOptions>): void {
    let fd = this.root.mkdirAll(dest);
    try {
      const hierarchies = readCgroupHierarchies();
      if (m.type === 'cgroup2' || hierarchies.unifiedOnly) {
        doMount('cgroup2', fdPath(fd), 'cgroup2', opts.flags, opts.data || null, `mount cgroup2 on ${dest}`);
        return;
      }
      // v1 (or hybrid): a tmpfs holding one directory per hierarchy.
      doMount('tmpfs', fdPath(fd), 'tmpfs', opts.flags & ~MS.RDONLY, 'mode=755', `mount tmpfs on ${dest}`);
      fd = this.reopen(fd, dest);
      for (const h of hierarchies.v1) {
        const sub = `${dest}/${h.name}`;
        let subFd = this.root.mkdirAll(sub);
        try {
          if (this.o.inCgroupNs) {
            doMount('cgroup', fdPath(subFd), 'cgroup', opts.flags & ~MS.RDONLY, h.options, `mount cgroup ${h.name} on ${sub}`);
          } else {
            // Without a cgroup namespace: bind the container's own cgroup of that hierarchy.
            const src = join(h.mountpoint, relativeCgroup(h.root, h.cgroup));
            doMount(src, fdPath(subFd), 'bind', MS.BIND | MS.REC, null, `bind mount ${src} on ${sub}`);
          }
          subFd = this.reopen(subFd, sub);
          const f = (opts.flags & ~(MS.BIND | MS.REC)) | MS.NOSUID | MS.NODEV | MS.NOEXEC;
          doMount(null, fdPath(subFd), null, MS.BIND | MS.REMOUNT | f, null, `remount ${sub}`);
        } finally {
          closeSync(subFd);
        }
        // Combined hierarchies ("cpu,cpuacct") get a symlink per controller, like runc.
        if (h.name.includes(',')) {
          for (const c of h.name.split(',')) {
            if (symlinkat(h.name, fd, c) < 0 && errno() !== 17) throw new SysError(`symlink ${dest}/${c}`, errno());
          }
        }
      }
      // Like runc, the tmpfs itself stays writable; each hierarchy carries the ro flag.
    } finally {
      closeSync(fd);
    }
  }

  /** Default devices plus linux.devices; skipped when /dev is a bind mount of the host's. */
  createDevices(): void {
    const list = this.devIsBind ? [] : [...DEFAULT_DEVICES];
    for (const d of this.o.spec.linux?.devices ?? []) {
      const i = list.findIndex((x) => x.path === d.path);
      if (i >= 0) list.splice(i, 1);
      list.push(d);
    }
    for (const d of list) this.createDevice(d);
  }

  private createDevice(d: LinuxDevice): void {
    const dest = cleanDest(d.path);
    const slash = dest.lastIndexOf('/');
    const dir = this.root.mkdirAll(dest.slice(0, slash) || '/');
    const name = dest.slice(slash + 1);
    try {
      if (this.o.inUserNs) {
        // mknod is not allowed in a user namespace: bind the host's device node instead.
        const fd = this.root.mkfile(dest);
        try {
          doMount(d.path, fdPath(fd), 'bind', MS.BIND, null, `bind mount device ${d.path}`);
        } finally {
          closeSync(fd);
        }
        return;
      }
      const typeBits = d.type === 'b' ? S_IFBLK : d.type === 'p' ? S_IFIFO : S_IFCHR;
      const mode = (d.fileMode ?? 0o666) & 0o7777;
      unlinkat(dir, name, 0); // a file shipped in the image's /dev is replaced
      const dev = d.type === 'p' ? 0n : makedev(d.major ?? 0, d.minor ?? 0);
      if (mknodat(dir, name, typeBits | mode, dev) < 0) throw new SysError(`mknod ${dest}`, errno());
      // mknod applies the umask; set the exact mode and owner.
      const fd = this.root.open(dest, O.PATH | O.NOFOLLOW);
      try {
        check(fchmodPath(fd, mode), `chmod ${dest}`);
      } finally {
        closeSync(fd);
      }
      if (fchownat(dir, name, d.uid ?? 0, d.gid ?? 0, 0x100 /* AT_SYMLINK_NOFOLLOW */) < 0) throw new SysError(`chown ${dest}`, errno());
    } finally {
      closeSync(dir);
    }
  }

  /** /dev/ptmx -> pts/ptmx and the standard /dev symlinks (runc's setupPtmx, setupDevSymlinks). */
  setupDevSymlinks(): void {
    if (this.devIsBind) return;
    const dev = this.root.mkdirAll('/dev');
    try {
      const links: [string, string][] = [
        ['/proc/self/fd', 'fd'],
        ['/proc/self/fd/0', 'stdin'],
        ['/proc/self/fd/1', 'stdout'],
        ['/proc/self/fd/2', 'stderr'],
      ];
      if (existsSync('/proc/kcore')) links.push(['/proc/kcore', 'core']);
      unlinkat(dev, 'ptmx', 0);
      links.push(['pts/ptmx', 'ptmx']);
      for (const [target, name] of links) {
        if (symlinkat(target, dev, name) < 0 && errno() !== 17) throw new SysError(`symlink /dev/${name}`, errno());
      }
    } finally {
      closeSync(dev);
    }
  }

  /** The /dev tmpfs read-only at last, if asked (runc's finalizeRootfs): after the console too. */
  finishDev(): void {
    if (!this.devReadonly) return;
    const { flags, data } = this.devReadonly;
    doMount(null, '/dev', null, flags | MS.REMOUNT | MS.RDONLY, data, 'remount /dev read-only');
  }

  /** pivot_root(".", ".") then detach the old root (runc's pivotRoot), or move + chroot. */
  switchRoot(noPivot: boolean): void {
    const newRoot = this.root.open('.', O.RDONLY | O.DIRECTORY);
    try {
      check(fchdir(newRoot), 'chdir to rootfs');
      if (noPivot) {
        hideHostProcAndSys(this.o.rootfs);
        doMount(this.o.rootfs, '/', null, MS.MOVE, null, 'move rootfs to /');
        check(chroot('.'), 'chroot');
      } else {
        const oldRoot = check(openOldRoot(), 'open old root');
        try {
          check(pivotRoot('.', '.'), 'pivot_root');
          check(fchdir(oldRoot), 'chdir to old root');
          // Stop propagation of the unmount to the host, then detach the old root.
          doMount(null, '.', null, MS.SLAVE | MS.REC, null, 'make old root rslave');
          if (umount2('.', 2 /* MNT_DETACH */) < 0) throw new SysError('unmount old root', errno());
        } finally {
          closeSync(oldRoot);
        }
      }
      check(chdirRoot(), 'chdir /');
    } finally {
      closeSync(newRoot);
      this.root.close();
    }
    // rootfsPropagation applies to the new root too (runc re-applies shared/slave after pivot).
    const prop = this.o.spec.linux?.rootfsPropagation;
    if (prop) {
      const f = propagationFlag(prop)!;
      doMount(null, '/', null, f, null, `make / ${prop}`);
    }
  }
}

/**
 * --no-pivot (runc's msMoveRoot): the host's root stays in the mount namespace under the
 * chroot, and the kernel lets a nested user namespace mount a new procfs or sysfs whenever a
 * fully visible one exists in it. So every full procfs and sysfs mount outside the rootfs is
 * detached (made rslave first so the host keeps its own), or covered with a tmpfs when that is
 * not permitted.
 */
function hideHostProcAndSys(rootfs: string): void {
  const inside = (p: string) => p === rootfs || p.startsWith(rootfs + '/');
  const targets: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0) continue;
    const fstype = f[sep + 1];
    const point = unescapeMountinfo(f[4]!);
    if (f[3] === '/' && (fstype === 'proc' || fstype === 'sysfs') && !inside(point)) targets.push(point);
  }
  for (const p of targets) {
    if (mount(null, p, null, MS.SLAVE | MS.REC, null) < 0) {
      if (errno() === 2) continue; // under a mount point detached already
      throw new SysError(`make ${p} rslave`, errno());
    }
    if (umount2(p, 2 /* MNT_DETACH */) === 0) continue;
    const e = errno();
    if (e !== 22 && e !== 1) throw new SysError(`unmount ${p}`, e);
    doMount('tmpfs', p, 'tmpfs', 0, null, `cover ${p}`);
  }
}

/**
 * No mount namespace of the container's own: its mounts are not ours to make (they would be
 * the host's), but the process is still confined to root.path (runc chroots).
 */
export function chrootToRootfs(rootfs: string): void {
  check(chdir(rootfs), `chdir to rootfs ${rootfs}`);
  check(chroot('.'), `chroot ${rootfs}`);
  check(chdirRoot(), 'chdir /');
}

/** Copies a directory's contents with modes and owners (tmpcopyup); symlinks stay as they are. */
function copyTree(from: string, to: string): void {
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const src = `${from}/${e.name}`, dst = `${to}/${e.name}`;
    const st = lstatSync(src);
    if (e.isDirectory()) {
      mkdirSync(dst, { mode: st.mode & 0o7777 });
      copyTree(src, dst);
    } else if (e.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (e.isFile()) copyFileSync(src, dst);
    else continue; // devices, fifos, sockets: not copied up
    lchownSync(dst, st.uid, st.gid);
    if (!e.isSymbolicLink()) chmodSync(dst, st.mode & 0o7777);
  }
}

/** After pivot_root: root.readonly, then readonlyPaths and maskedPaths. */
export function finalizeRootfs(spec: Spec): void {
  for (const p of spec.linux?.readonlyPaths ?? []) readonlyPath(p);
  if (spec.linux?.maskedPaths?.length) maskPaths(spec.linux.maskedPaths);
  if (spec.root?.readonly) {
    const flags = MS.BIND | MS.REMOUNT | MS.RDONLY;
    if (mount(null, '/', null, flags, null) < 0) {
      if (errno() !== 1) throw new SysError('remount / read-only', errno());
      doMount(null, '/', null, flags | statfsFlags('/'), null, 'remount / read-only');
    }
  }
}

function readonlyPath(p: string): void {
  if (mount(p, p, null, MS.BIND | MS.REC, null) < 0) {
    if (errno() === 2) return; // a path that does not exist needs no protection
    throw new SysError(`bind mount ${p}`, errno());
  }
  const flags = MS.BIND | MS.REMOUNT | MS.RDONLY | MS.REC;
  if (mount(null, p, null, flags | statfsFlags(p), null) < 0) throw new SysError(`remount ${p} read-only`, errno());
}

/**
 * Masks paths with a bind of /dev/null (files) or a read-only tmpfs (directories). The
 * /dev/null used is checked to be the real character device 1:3 first, so a container cannot
 * make us bind something else over the masked path (the 2025 runc advisories).
 */
function maskPaths(paths: string[]): void {
  const nullFd = check(openPath('/dev/null'), 'open /dev/null');
  try {
    const st = fstatSync(nullFd);
    if (!st.isCharacterDevice() || st.rdev !== 0x103) throw new Error('/dev/null is not the null device (1:3): refusing to mask paths with it');
    for (const p of paths) {
      if (mount(fdPath(nullFd), p, null, MS.BIND, null) === 0) continue;
      const e = errno();
      if (e === 2) continue;
      if (e === 20 /* ENOTDIR: p is a directory */ || isDirectory(p)) {
        doMount('tmpfs', p, 'tmpfs', MS.RDONLY, null, `mask ${p}`);
        continue;
      }
      throw new SysError(`mask ${p}`, e);
    }
  } finally {
    closeSync(nullFd);
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function cleanDest(dest: string): string {
  const parts: string[] = [];
  for (const p of dest.split('/')) {
    if (!p || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}


function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

interface V1Hierarchy {
  name: string;
  mountpoint: string;
  root: string;
  cgroup: string;
  options: string;
}

/** The host's cgroup hierarchies as this process sees them, with its own cgroup in each. */
function readCgroupHierarchies(): { unifiedOnly: boolean; v1: V1Hierarchy[] } {
  const own = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) own.set(m[1]!, m[2]!);
  }
  const v1: V1Hierarchy[] = [];
  let hasV2 = false;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0) continue;
    const fstype = f[sep + 1];
    if (fstype === 'cgroup2') hasV2 = true;
    if (fstype !== 'cgroup') continue;
    const superOpts = (f[sep + 3] ?? '').split(',');
    const controllers = superOpts.filter((o) => o !== 'rw' && o !== 'ro' && !o.startsWith('release_agent') && o !== 'clone_children' && o !== 'xattr' && o !== 'noprefix' && o !== 'cpuset_v2_mode');
    const key = controllers.map((c) => c).join(',');
    const mountpoint = unescapeMountinfo(f[4]!);
    const name = mountpoint.slice(mountpoint.lastIndexOf('/') + 1);
    if (v1.some((h) => h.name === name)) continue;
    v1.push({ name, mountpoint, root: unescapeMountinfo(f[3]!), cgroup: own.get(key) ?? '/', options: controllers.join(',') });
  }
  return { unifiedOnly: v1.length === 0 && hasV2, v1 };
}

function relativeCgroup(root: string, cgroup: string): string {
  if (root !== '/' && cgroup.startsWith(root)) return cgroup.slice(root.length) || '/';
  return cgroup;
}

function fchmodPath(fd: number, mode: number): number {
  return fchmodat(-100, fdPath(fd), mode, 0);
}

function openPath(p: string): number {
  return open(p, O.PATH | O.CLOEXEC, 0);
}

function openOldRoot(): number {
  return open('/', O.RDONLY | O.DIRECTORY | O.CLOEXEC, 0);
}

function chdirRoot(): number {
  return chdir('/');
}

/** The mount's current ST_* flags as MS_* flags (statfs f_flags), to keep locked flags on remount. */
function statfsFlags(path: string): number {
  const buf = Buffer.alloc(ARCH.statfs.size);
  if (statfs(path, buf) < 0) return 0;
  const st = Number(buf.readBigUInt64LE(ARCH.statfs.flags));
  let flags = 0;
  const map: [number, number][] = [
    [0x1, MS.RDONLY],
    [0x2, MS.NOSUID],
    [0x4, MS.NODEV],
    [0x8, MS.NOEXEC],
    [0x10, MS.SYNCHRONOUS],
    [0x40, MS.MANDLOCK],
    [0x400, MS.NOATIME],
    [0x800, MS.NODIRATIME],
    [0x1000, MS.RELATIME],
  ];
  for (const [s, m] of map) if (st & s) flags |= m;
  return flags;
}

