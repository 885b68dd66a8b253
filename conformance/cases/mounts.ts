// config.md#mounts, config-linux.md#mount-propagation, #rootfs-mount-propagation,
// config.md#root (readonly), config-linux.md#masked-paths, #readonly-paths.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq, match, ok } from '../lib/assert';
import { Case, T } from '../lib/context';
import { assertMount } from '../lib/mounts';
import { defaultConfig } from '../lib/bundle';
import { mountAt, parseMountinfo } from '../lib/proc';

const SPEC = 'config.md#mounts';
const MI = 'cat /proc/self/mountinfo';

/** A host directory with a file in it, to bind into containers. */
function hostSrc(t: T, name = 'src'): string {
  const d = t.hostDir(name);
  writeFileSync(join(d, 'marker'), `host ${name}\n`);
  return d;
}

/** Mounts a tmpfs on the host (cleaned up after the case). */
function hostMount(t: T, args: string[], target: string): void {
  mkdirSync(target, { recursive: true });
  execFileSync('mount', [...args, target]);
  t.defer(() => { execFileSync('umount', ['-l', target]); });
}

/** A one-mount case: adds `m` to the config, runs `probes`, hands both to `check`. */
function mountCase(name: string, m: (t: T) => any, check: (mounts: ReturnType<typeof parseMountinfo>, p: Record<string, { out: string; rc: number }>, t: T) => void, probes: Record<string, string> = {}, spec = SPEC): Case {
  return {
    name,
    spec,
    async run(t) {
      const mount = m(t);
      const p = await t.inside((c) => { c.mounts.push(mount); }, { mi: MI, ...probes });
      const mounts = parseMountinfo(p.mi.out);
      assertMount(mounts, mount.destination, mount.type === 'bind' || mount.options?.includes('bind') || mount.options?.includes('rbind') ? undefined : mount.type, mount.options);
      check(mounts, p, t);
    },
  };
}

export const cases: Case[] = [
  {
    name: 'mounts/default mounts applied with their options',
    spec: SPEC,
    async run(t) {
      const mounts = parseMountinfo(await t.sh(undefined, MI));
      for (const m of defaultConfig().mounts) {
        if (m.type === 'cgroup') continue; // mounts/cgroup
        assertMount(mounts, m.destination, m.type, m.options);
      }
    },
  },
  mountCase('mounts/bind read-only with nosuid,nodev,noexec', (t) => ({ destination: '/mnt/bind', type: 'bind', source: hostSrc(t), options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] }), (mounts, p, t) => {
    eq(p.cat.out, 'host src\n', 'file read through the bind mount');
    ok(p.write.rc !== 0, 'writing to a ro bind mount must fail');
    match(p.write.out, /Read-only file system/, 'write error');
    ok(mountAt(mounts, '/mnt/bind')!.root.endsWith(join(t.dir, 'src')), `mount root ${mountAt(mounts, '/mnt/bind')!.root} should be the host source`);
  }, { cat: 'cat /mnt/bind/marker', write: 'touch /mnt/bind/new' }),
  mountCase('mounts/bind read-write: writes reach the host', (t) => ({ destination: '/mnt/rw', type: 'none', source: hostSrc(t), options: ['bind', 'rw'] }), (_m, p, t) => {
    eq(p.write.rc, 0, `write inside: ${p.write.out}`);
    eq(readFileSync(join(t.dir, 'src', 'frominside'), 'utf8'), 'hello\n', 'file written inside, read on the host');
  }, { write: 'echo hello > /mnt/rw/frominside' }),
  mountCase('mounts/bind of a single file', (t) => {
    writeFileSync(join(t.hostDir('f'), 'conf'), 'single file\n');
    return { destination: '/etc/bound.conf', type: 'bind', source: join(t.dir, 'f', 'conf'), options: ['bind', 'ro'] };
  }, (_m, p) => eq(p.cat.out, 'single file\n', '/etc/bound.conf'), { cat: 'cat /etc/bound.conf' }),
  {
    name: 'mounts/bind is not recursive, rbind is',
    spec: SPEC,
    async run(t) {
      const src = hostSrc(t);
      hostMount(t, ['-t', 'tmpfs', 'tmpfs'], join(src, 'sub'));
      writeFileSync(join(src, 'sub', 'inner'), 'submount\n');
      const p = await t.inside((c) => {
        c.mounts.push({ destination: '/mnt/bind', type: 'bind', source: src, options: ['bind'] });
        c.mounts.push({ destination: '/mnt/rbind', type: 'bind', source: src, options: ['rbind'] });
      }, { bind: 'ls /mnt/bind/sub', rbind: 'cat /mnt/rbind/sub/inner', mi: MI });
      eq(p.bind.out.trim(), '', '/mnt/bind/sub (the host submount must not be carried by bind)');
      eq(p.rbind.out, 'submount\n', '/mnt/rbind/sub/inner (carried by rbind)');
      assertMount(parseMountinfo(p.mi.out), '/mnt/rbind/sub', 'tmpfs');
    },
  },
  mountCase('mounts/tmpfs with size, mode, uid, gid', () => ({ destination: '/mnt/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=1m', 'mode=1750', 'uid=1000', 'gid=100'] }), (_m, p) => {
    eq(p.st.out.trim(), '1750 1000 100', 'mode, owner and group of the tmpfs root');
    match(p.df.out, /\s1024\s/, 'tmpfs size in df (1024 KiB)');
  }, { st: 'stat -c "%a %u %g" /mnt/tmp', df: 'df -k /mnt/tmp | tail -1' }),
  {
    name: 'mounts/noexec forbids execution',
    spec: SPEC,
    async run(t) {
      const p = await t.inside((c) => {
        c.mounts.push({ destination: '/mnt/noexec', type: 'tmpfs', source: 'tmpfs', options: ['noexec'] });
        c.mounts.push({ destination: '/mnt/exec', type: 'tmpfs', source: 'tmpfs', options: ['exec'] });
      }, { noexec: 'cp /bin/busybox /mnt/noexec/true && /mnt/noexec/true', exec: 'cp /bin/busybox /mnt/exec/true && /mnt/exec/true' });
      ok(p.noexec.rc !== 0, 'executing from a noexec mount must fail');
      match(p.noexec.out, /Permission denied/, 'exec error');
      eq(p.exec.rc, 0, `executing from an exec mount: ${p.exec.out}`);
    },
  },
  {
    name: 'mounts/nodev forbids opening devices',
    spec: SPEC,
    async run(t) {
      const caps = ['CAP_MKNOD', 'CAP_DAC_OVERRIDE'];
      const p = await t.inside((c) => {
        c.mounts.push({ destination: '/mnt/nodev', type: 'tmpfs', source: 'tmpfs', options: ['nodev'] });
        c.mounts.push({ destination: '/mnt/dev', type: 'tmpfs', source: 'tmpfs', options: ['dev'] });
        for (const k of ['bounding', 'effective', 'permitted']) c.process.capabilities[k].push(...caps);
      }, { nodev: 'mknod /mnt/nodev/null c 1 3 && echo x > /mnt/nodev/null', dev: 'mknod /mnt/dev/null c 1 3 && echo x > /mnt/dev/null' });
      ok(p.nodev.rc !== 0, 'opening a device on a nodev mount must fail');
      match(p.nodev.out, /Permission denied/, 'nodev error');
      eq(p.dev.rc, 0, `opening a device on a dev mount: ${p.dev.out}`);
    },
  },
  mountCase('mounts/proc', () => ({ destination: '/mnt/proc', type: 'proc', source: 'proc', options: ['nosuid', 'nodev', 'noexec'] }), (_m, p) => {
    eq(p.comm.out.trim(), 'sh', '/mnt/proc/1/comm (the container\'s pid namespace)');
  }, { comm: 'cat /mnt/proc/1/comm' }),
  mountCase('mounts/sysfs', () => ({ destination: '/mnt/sys', type: 'sysfs', source: 'sysfs', options: ['ro', 'nosuid', 'nodev', 'noexec'] }), (_m, p) => {
    eq(p.ls.rc, 0, `ls /mnt/sys/kernel: ${p.ls.out}`);
    ok(p.ls.out.trim().length > 0, '/mnt/sys/kernel is populated');
  }, { ls: 'ls /mnt/sys/kernel' }),
  mountCase('mounts/mqueue', () => ({ destination: '/mnt/mq', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'nodev', 'noexec'] }), () => undefined),
  mountCase('mounts/devpts new instance', () => ({ destination: '/mnt/pts', type: 'devpts', source: 'devpts', options: ['newinstance', 'ptmxmode=0600', 'mode=0600', 'nosuid', 'noexec'] }), (_m, p) => {
    eq(p.ptmx.out.trim(), '600 5 2', '/mnt/pts/ptmx mode and device');
  }, { ptmx: 'stat -c "%a %t %T" /mnt/pts/ptmx' }),
  {
    name: 'mounts/cgroup (read-only, the container\'s own cgroups)',
    spec: SPEC,
    async run(t) {
      const p = await t.inside(undefined, { mi: MI, cg: 'cat /proc/self/cgroup' });
      const mounts = parseMountinfo(p.mi.out);
      const base = assertMount(mounts, '/sys/fs/cgroup', undefined, ['nosuid', 'noexec', 'nodev']);
      if (base.fstype === 'cgroup2') {
        ok(base.opts.includes('ro'), '/sys/fs/cgroup is ro');
        return;
      }
      // cgroup v1: one read-only cgroup mount per hierarchy, rooted at the container's cgroup.
      const own = new Map(p.cg.out.trim().split('\n').map((l) => { const [, ctl, path] = l.split(':'); return [ctl, path] as [string, string]; }));
      for (const ctl of ['cpu', 'memory', 'pids', 'devices', 'freezer', 'cpuset', 'blkio']) {
        const m = assertMount(mounts, `/sys/fs/cgroup/${ctl}`, 'cgroup', ['ro', 'nosuid', 'nodev', 'noexec']);
        eq(m.root, own.get(ctl), `root of the ${ctl} cgroup mount (the container's own cgroup)`);
      }
    },
  },
  {
    name: 'mounts/propagation: rslave receives host mounts, rprivate does not, rshared is shared',
    spec: 'config-linux.md#mount-propagation',
    async run(t) {
      const src = hostSrc(t);
      // A shared host mount to be slave of.
      execFileSync('mount', ['--bind', src, src]);
      t.defer(() => { execFileSync('umount', ['-l', src]); });
      execFileSync('mount', ['--make-shared', src]);
      const b = t.bundle((c) => {
        c.mounts.push({ destination: '/mnt/slave', type: 'bind', source: src, options: ['rbind', 'rslave'] });
        c.mounts.push({ destination: '/mnt/private', type: 'bind', source: src, options: ['rbind', 'rprivate'] });
        c.mounts.push({ destination: '/mnt/shared', type: 'bind', source: src, options: ['rbind', 'rshared'] });
        c.process.args = ['sleep', '600'];
      });
      const { id, pid } = await t.create(b);
      await t.start(id);
      hostMount(t, ['-t', 'tmpfs', 'tmpfs'], join(src, 'late'));
      const mounts = parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
      const slave = mountAt(mounts, '/mnt/slave')!;
      ok(slave?.optional.some((o) => o.startsWith('master:')), `/mnt/slave should be a slave (optional fields: ${slave?.optional.join(' ')})`);
      ok(mountAt(mounts, '/mnt/slave/late'), 'a host mount made after start must propagate to /mnt/slave');
      const priv = mountAt(mounts, '/mnt/private')!;
      eq(priv?.optional ?? [], [], '/mnt/private propagation fields');
      ok(!mountAt(mounts, '/mnt/private/late'), 'a host mount must not propagate to /mnt/private');
      const shared = mountAt(mounts, '/mnt/shared')!;
      ok(shared?.optional.some((o) => o.startsWith('shared:')), `/mnt/shared should be shared (optional fields: ${shared?.optional.join(' ')})`);
      await t.delete(id, true);
    },
  },
  ...(['private', 'shared', 'unbindable'] as const).map((prop): Case => ({
    name: `mounts/rootfsPropagation ${prop}`,
    spec: 'config-linux.md#rootfs-mount-propagation',
    runcGap: {
      private: undefined,
      shared: 'runc 1.1 applies rootfsPropagation to the old root before pivot_root and makes the rootfs parent private, so the container\'s / is not shared',
      unbindable: 'runc 1.1 marks the old root unbindable and then fails to bind-mount the rootfs (EINVAL)',
    }[prop],
    async run(t) {
      const root = mountAt(parseMountinfo(await t.sh((c) => { c.linux.rootfsPropagation = prop; }, MI)), '/')!;
      const tags = root.optional;
      if (prop === 'private') eq(tags, [], 'propagation fields of /');
      if (prop === 'shared') ok(tags.some((x) => x.startsWith('shared:')), `/ should be shared (fields: ${tags.join(' ')})`);
      if (prop === 'unbindable') ok(tags.includes('unbindable'), `/ should be unbindable (fields: ${tags.join(' ')})`);
    },
  })),
  {
    name: 'mounts/root readonly',
    spec: 'config.md#root',
    async run(t) {
      const p = await t.inside((c) => { c.root.readonly = true; }, { mi: MI, w: 'touch /newfile' });
      ok(mountAt(parseMountinfo(p.mi.out), '/')!.opts.includes('ro'), '/ mounted ro');
      ok(p.w.rc !== 0, 'writing to a readonly root must fail');
      match(p.w.out, /Read-only file system/, 'write error');
    },
  },
  {
    name: 'mounts/root read-write',
    spec: 'config.md#root',
    async run(t) {
      let rootfs = '';
      const p = await t.inside((c, b) => { c.root.readonly = false; rootfs = b.rootfs; }, { mi: MI, w: 'echo rw > /newfile' });
      ok(mountAt(parseMountinfo(p.mi.out), '/')!.opts.includes('rw'), '/ mounted rw');
      eq(p.w.rc, 0, `write to a read-write root: ${p.w.out}`);
      ok(existsSync(join(rootfs, 'newfile')), 'the file written inside is in the bundle rootfs');
    },
  },
  {
    name: 'mounts/maskedPaths',
    spec: 'config-linux.md#masked-paths',
    async run(t) {
      const present = Object.fromEntries(defaultConfig().linux.maskedPaths.filter((x: string) => existsSync(x)).map((x: string, i: number) => [`d${i}`, x]));
      const defaults = Object.fromEntries(Object.entries(present).map(([k, x]) => [k, statSync(x).isDirectory() ? `ls -A ${x}` : `head -c 100 ${x}`]));
      const p = await t.inside((c, b) => {
        mkdirSync(join(b.rootfs, 'etc/secretdir'));
        writeFileSync(join(b.rootfs, 'etc/secretdir/key'), 'secret\n');
        writeFileSync(join(b.rootfs, 'etc/secret.txt'), 'secret\n');
        c.linux.maskedPaths.push('/etc/secretdir', '/etc/secret.txt');
      }, { dir: 'ls -A /etc/secretdir', file: 'cat /etc/secret.txt', wdir: 'touch /etc/secretdir/x', ...defaults });
      eq(p.dir.out, '', 'a masked directory lists empty');
      eq(p.file.out, '', 'a masked file reads empty');
      ok(p.wdir.rc !== 0, 'a masked directory is read-only');
      // The default masked paths that exist on this host.
      for (const [k, path] of Object.entries(present)) eq(p[k].out, '', `${path} (masked by default) content`);
    },
  },
  {
    name: 'mounts/readonlyPaths',
    spec: 'config-linux.md#readonly-paths',
    async run(t) {
      const p = await t.inside((c) => {
        c.root.readonly = false;
        c.linux.readonlyPaths.push('/home');
      }, { home: 'touch /home/x', root: 'touch /root/x && echo ok', sys: 'echo 1 > /proc/sys/kernel/printk_ratelimit', read: 'cat /proc/sys/kernel/ostype' });
      ok(p.home.rc !== 0, 'writing under a readonlyPath must fail');
      match(p.home.out, /Read-only file system/, '/home write error');
      eq(p.root.out.trim(), 'ok', 'writing elsewhere on the rw root');
      ok(p.sys.rc !== 0, 'writing /proc/sys (readonly by default) must fail');
      eq(p.read.out.trim(), 'Linux', 'reading a readonlyPath still works');
    },
  },
  {
    name: 'mounts/tmpfs with tmpcopyup',
    spec: 'config.md#mounts (tmpfs, runc extension tmpcopyup)',
    async run(t) {
      const p = await t.inside((c, b) => {
        mkdirSync(join(b.rootfs, 'opt/seeded/sub'), { recursive: true });
        writeFileSync(join(b.rootfs, 'opt/seeded/sub/file'), 'from the image\n');
        c.mounts.push({ destination: '/opt/seeded', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'mode=755'] });
      }, { cat: 'cat /opt/seeded/sub/file', fs: "grep ' /opt/seeded ' /proc/self/mountinfo | cut -d' ' -f9", w: 'echo new > /opt/seeded/new && cat /opt/seeded/new' });
      eq(p.cat.out, 'from the image\n', 'the tmpfs starts with the image\'s contents');
      eq(p.fs.out.trim(), 'tmpfs', 'a tmpfs is mounted there');
      eq(p.w.out, 'new\n', 'and it is writable');
    },
  },
  {
    name: 'mounts/idmapped bind mount (uidMappings, gidMappings)',
    spec: 'config.md#posix-platform-mounts (uidMappings, gidMappings)',
    runcGap: 'runc 1.1 does not know idmapped mounts (runtime-spec 1.2, runc 1.2)',
    async run(t) {
      const src = t.dir;
      writeFileSync(join(src, 'owned-by-root'), 'x\n');
      const out = await t.sh((c) => {
        c.mounts.push({
          destination: '/mnt/idmapped',
          type: 'bind',
          source: src,
          options: ['bind'],
          uidMappings: [{ containerID: 0, hostID: 1234, size: 1 }],
          gidMappings: [{ containerID: 0, hostID: 2345, size: 1 }],
        });
      }, 'stat -c "%u:%g" /mnt/idmapped/owned-by-root');
      eq(out.trim(), '1234:2345', 'a file owned by 0:0 on disk, seen through the idmapped mount');
    },
  },
];
