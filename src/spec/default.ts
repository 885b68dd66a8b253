// The default config.json that `runc spec` writes (libcontainer/specconv/example.go), for
// `runc-ts spec`. Fields are built in the order Go's encoder writes them, so
// JSON.stringify(defaultSpec(), null, '\t') matches runc's output byte for byte where the
// content is the same.
//
// Base: runc 1.1.5's output (`runc spec`, `runc spec --rootless`), with these changes:
// - ociVersion is this project's spec version, 1.3.0 (runc 1.1.5 says "1.0.2-dev").
// - From newer runc (1.2 and later; we follow the newest release's example.go):
//   * no `ambient` capabilities: runc 1.2 dropped inheritable and then ambient capabilities from
//     the example, since ambient ones cannot be raised without inheritable ones (runc PR #4367);
//   * "/sys/devices/virtual/tpm" is masked too;
//   * a `cgroup` namespace is added when the host runs cgroup v2 in unified mode (example.go:
//     `if cgroups.IsCgroup2UnifiedMode()`), so the default follows the host like runc's does.
//     Pass `cgroupNamespace` to force the choice (tests, reproducible output).
import { existsSync } from 'node:fs';
import { SPEC_VERSION, type Mount, type Namespace, type Spec } from './types';

export interface DefaultSpecOptions {
  /** `runc spec --rootless`: user namespace mapping the current euid/egid, no network namespace, /sys bind, no cgroup resources. */
  rootless?: boolean;
  /** Include a cgroup namespace. Default: whether /sys/fs/cgroup is a cgroup v2 unified hierarchy. */
  cgroupNamespace?: boolean;
}

/** Whether the host has cgroup v2 mounted in unified mode at /sys/fs/cgroup. */
function isCgroup2UnifiedMode(): boolean {
  // cgroup.controllers exists only at the root of a cgroup2 mount; in v1 or hybrid mode
  // /sys/fs/cgroup is a tmpfs holding per-controller mounts.
  return existsSync('/sys/fs/cgroup/cgroup.controllers');
}

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/** The spec `runc spec` (or `runc spec --rootless`) writes, as a fresh object the caller may change. */
export function defaultSpec(opts: DefaultSpecOptions = {}): Spec {
  const rootless = opts.rootless === true;
  const cgroupNs = opts.cgroupNamespace ?? isCgroup2UnifiedMode();

  let mounts: Mount[] = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
  let namespaces: Namespace[] = [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (cgroupNs) namespaces.push({ type: 'cgroup' });

  if (rootless) {
    // specconv.ToRootless: sysfs cannot be mounted without a network namespace the user owns,
    // so bind the host's; uid=/gid= options cannot be honoured with a single-id mapping.
    mounts = mounts.map((m) =>
      m.destination === '/sys'
        ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
        : m.options
          ? { ...m, options: m.options.filter((o) => !o.startsWith('gid=') && !o.startsWith('uid=')) }
          : m,
    );
    namespaces = namespaces.filter((ns) => ns.type !== 'network' && ns.type !== 'user');
    namespaces.push({ type: 'user' });
  }

  const euid = typeof process.geteuid === 'function' ? process.geteuid() : 0;
  const egid = typeof process.getegid === 'function' ? process.getegid() : 0;

  return {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...CAPS], effective: [...CAPS], permitted: [...CAPS] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts,
    linux: {
      ...(rootless
        ? {
            uidMappings: [{ containerID: 0, hostID: euid, size: 1 }],
            gidMappings: [{ containerID: 0, hostID: egid, size: 1 }],
          }
        : { resources: { devices: [{ allow: false, access: 'rwm' }] } }),
      namespaces,
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
        '/sys/devices/virtual/tpm',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
