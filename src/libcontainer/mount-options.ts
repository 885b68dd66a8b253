// Mount options of config.json mounts: what becomes mount(2) flags, propagation changes,
// recursive attributes (mount_setattr), and what is passed on as filesystem data.

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  SILENT: 0x8000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  I_VERSION: 0x800000,
  STRICTATIME: 0x1000000,
  LAZYTIME: 0x2000000,
} as const;

/** option -> [clear?, flag]: "clear" options remove the flag (rw, suid, dev, ...). */
const FLAG_OPTIONS: Record<string, [boolean, number]> = {
  acl: [false, 1 << 16],
  async: [true, MS.SYNCHRONOUS],
  atime: [true, MS.NOATIME],
  bind: [false, MS.BIND],
  defaults: [false, 0],
  dev: [true, MS.NODEV],
  diratime: [true, MS.NODIRATIME],
  dirsync: [false, MS.DIRSYNC],
  exec: [true, MS.NOEXEC],
  iversion: [false, MS.I_VERSION],
  lazytime: [false, MS.LAZYTIME],
  loud: [true, MS.SILENT],
  mand: [false, MS.MANDLOCK],
  noacl: [true, 1 << 16],
  noatime: [false, MS.NOATIME],
  nodev: [false, MS.NODEV],
  nodiratime: [false, MS.NODIRATIME],
  noexec: [false, MS.NOEXEC],
  noiversion: [true, MS.I_VERSION],
  nolazytime: [true, MS.LAZYTIME],
  nomand: [true, MS.MANDLOCK],
  norelatime: [true, MS.RELATIME],
  nostrictatime: [true, MS.STRICTATIME],
  nosuid: [false, MS.NOSUID],
  nosymfollow: [false, MS.NOSYMFOLLOW],
  rbind: [false, MS.BIND | MS.REC],
  relatime: [false, MS.RELATIME],
  remount: [false, MS.REMOUNT],
  ro: [false, MS.RDONLY],
  rw: [true, MS.RDONLY],
  silent: [false, MS.SILENT],
  strictatime: [false, MS.STRICTATIME],
  suid: [true, MS.NOSUID],
  sync: [false, MS.SYNCHRONOUS],
};

const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

// mount_setattr(2) MOUNT_ATTR_* for the recursive options ("rro", "rnosuid", ...).
const MOUNT_ATTR = { RDONLY: 0x1, NOSUID: 0x2, NODEV: 0x4, NOEXEC: 0x8, RELATIME: 0x0, NOATIME: 0x10, STRICTATIME: 0x20, NODIRATIME: 0x80, NOSYMFOLLOW: 0x200000 };
const ATIME_MASK = 0x70;
const RECURSIVE_OPTIONS: Record<string, { set: number; clear: number }> = {
  rro: { set: MOUNT_ATTR.RDONLY, clear: 0 },
  rrw: { set: 0, clear: MOUNT_ATTR.RDONLY },
  rnosuid: { set: MOUNT_ATTR.NOSUID, clear: 0 },
  rsuid: { set: 0, clear: MOUNT_ATTR.NOSUID },
  rnodev: { set: MOUNT_ATTR.NODEV, clear: 0 },
  rdev: { set: 0, clear: MOUNT_ATTR.NODEV },
  rnoexec: { set: MOUNT_ATTR.NOEXEC, clear: 0 },
  rexec: { set: 0, clear: MOUNT_ATTR.NOEXEC },
  rnodiratime: { set: MOUNT_ATTR.NODIRATIME, clear: 0 },
  rdiratime: { set: 0, clear: MOUNT_ATTR.NODIRATIME },
  rrelatime: { set: MOUNT_ATTR.RELATIME, clear: ATIME_MASK },
  rnorelatime: { set: 0, clear: ATIME_MASK },
  rnoatime: { set: MOUNT_ATTR.NOATIME, clear: ATIME_MASK },
  ratime: { set: 0, clear: ATIME_MASK },
  rstrictatime: { set: MOUNT_ATTR.STRICTATIME, clear: ATIME_MASK },
  rnostrictatime: { set: 0, clear: ATIME_MASK },
  rnosymfollow: { set: MOUNT_ATTR.NOSYMFOLLOW, clear: 0 },
  rsymfollow: { set: 0, clear: MOUNT_ATTR.NOSYMFOLLOW },
};

/** Options that runc-ts itself interprets (not mount flags, not fs data). */
const EXTENSION_OPTIONS = new Set(['tmpcopyup', 'idmap', 'ridmap']);

export interface ParsedOptions {
  flags: number;
  /** Each propagation change, applied in order after the mount. */
  propagation: number[];
  /** mount_setattr attributes for recursive options, applied after the mount. */
  recAttrSet: number;
  recAttrClear: number;
  /** Comma-joined options that are not flags: passed as the filesystem's data. */
  data: string;
  extensions: Set<string>;
}

export function parseMountOptions(options: string[] = []): ParsedOptions {
  let flags = 0;
  const propagation: number[] = [];
  let recAttrSet = 0;
  let recAttrClear = 0;
  const data: string[] = [];
  const extensions = new Set<string>();
  for (const o of options) {
    const f = FLAG_OPTIONS[o];
    if (f) {
      if (f[0]) flags &= ~f[1];
      else flags |= f[1];
      continue;
    }
    const p = PROPAGATION_OPTIONS[o];
    if (p !== undefined) {
      propagation.push(p);
      continue;
    }
    const r = RECURSIVE_OPTIONS[o];
    if (r) {
      recAttrClear |= r.clear;
      recAttrSet |= r.set;
      continue;
    }
    if (EXTENSION_OPTIONS.has(o)) {
      extensions.add(o);
      continue;
    }
    data.push(o);
  }
  return { flags, propagation, recAttrSet, recAttrClear, data: data.join(','), extensions };
}

export function propagationFlag(name: string): number | undefined {
  return PROPAGATION_OPTIONS[name];
}

/** Every option name runc-ts applies, for `features`. */
export function knownMountOptions(): string[] {
  return [...Object.keys(FLAG_OPTIONS), ...Object.keys(PROPAGATION_OPTIONS), ...Object.keys(RECURSIVE_OPTIONS), ...EXTENSION_OPTIONS].sort();
}
