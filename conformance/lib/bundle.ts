// Bundles for conformance cases: one busybox rootfs template built per suite run from the host's
// busybox-static, copied (cp -a) into each bundle, and a config.json derived from runc 1.1's
// `runc spec` default (terminal off), which every case edits declaratively.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';

/** mkdtemp, but traversable (0755): a container in a user namespace must reach its rootfs. */
export function mkdtempOpen(prefix: string): string {
  const d = mkdtempSync(prefix);
  chmodSync(d, 0o755);
  return d;
}
import { join } from 'node:path';

export const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) ?? '/bin/busybox';

/** Builds a minimal busybox rootfs in `dir`: busybox, its applet symlinks, passwd and group. */
export function buildRootfs(dir: string): string {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'home', 'var', 'run', 'mnt']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) {
    if (a === 'busybox') continue;
    const p = join(dir, 'bin', a);
    if (!existsSync(p)) symlinkSync('busybox', p);
  }
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\ntester:x:1000:1000:tester:/home:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\ntty:x:5:\naudio:x:29:\nusers:x:100:\nnogroup:x:65534:\ntester:x:1000:\n');
  writeFileSync(join(dir, 'etc/hostname'), 'busybox\n');
  return dir;
}

/** `runc spec` (runc 1.1) with terminal off: the base every case's config.json starts from. */
export function defaultConfig(): any {
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        ambient: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export interface Bundle {
  dir: string;
  rootfs: string;
  config: any;
  /** Writes config.json (again, after edits to `config`). */
  write(): void;
}

/** Copies of one template rootfs, made under a case's own temp dir. */
export class BundleFactory {
  private template: string | undefined;
  constructor(private readonly suiteDir: string) {}

  private templateDir(): string {
    if (!this.template) this.template = buildRootfs(join(mkdtempOpen(join(this.suiteDir, 'template-')), 'rootfs'));
    return this.template;
  }

  make(parent: string, mutate?: (c: any, b: Bundle) => void): Bundle {
    const dir = mkdtempOpen(join(parent, 'bundle-'));
    const rootfs = join(dir, 'rootfs');
    execFileSync('cp', ['-a', this.templateDir(), rootfs]);
    const b: Bundle = {
      dir,
      rootfs,
      config: defaultConfig(),
      write: () => writeFileSync(join(dir, 'config.json'), JSON.stringify(b.config, null, 2)),
    };
    mutate?.(b.config, b);
    b.write();
    return b;
  }
}
