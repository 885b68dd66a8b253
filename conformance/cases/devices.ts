// config-linux.md#devices, #default-devices, and the /dev symlinks of runtime-linux.md#dev-symbolic-links.
import { eq, match, ok } from '../lib/assert';
import { Case } from '../lib/context';
import { parseStat, statCmd } from '../lib/probes';

const DEFAULT_DEVICES: Array<[string, number, number]> = [
  ['/dev/null', 1, 3], ['/dev/zero', 1, 5], ['/dev/full', 1, 7], ['/dev/random', 1, 8], ['/dev/urandom', 1, 9], ['/dev/tty', 5, 0],
];

export const cases: Case[] = [
  {
    name: 'devices/default devices',
    spec: 'config-linux.md#default-devices',
    async run(t) {
      const probes = Object.fromEntries(DEFAULT_DEVICES.map(([p], i) => [`d${i}`, statCmd(p)]));
      const p = await t.inside(undefined, {
        ...probes,
        zero: 'head -c 4 /dev/zero | od -An -tx1',
        full: 'echo x > /dev/full',
        null: 'echo x > /dev/null && wc -c < /dev/null',
        rand: 'head -c 16 /dev/urandom | wc -c',
      });
      DEFAULT_DEVICES.forEach(([path, major, minor], i) => {
        const s = parseStat(p[`d${i}`].out);
        eq(s, { type: 'character special file', major, minor, mode: '666', uid: 0, gid: 0 }, `${path} (type, major, minor, mode, uid, gid)`);
      });
      eq(p.zero.out.trim(), '00 00 00 00', '/dev/zero reads zeros');
      match(p.full.out, /No space left on device/, 'writing /dev/full');
      eq(p.null.out.trim(), '0', '/dev/null swallows writes and reads empty');
      eq(p.rand.out.trim(), '16', '/dev/urandom is readable');
    },
  },
  {
    name: 'devices/dev symlinks',
    spec: 'runtime-linux.md#dev-symbolic-links',
    async run(t) {
      const links: Record<string, string> = { fd: '/proc/self/fd', stdin: '/proc/self/fd/0', stdout: '/proc/self/fd/1', stderr: '/proc/self/fd/2', ptmx: 'pts/ptmx' };
      const p = await t.inside(undefined, Object.fromEntries(Object.keys(links).map((k) => [k, `readlink /dev/${k}`])));
      for (const [k, v] of Object.entries(links)) eq(p[k].out.trim(), v, `/dev/${k} target`);
    },
  },
  {
    name: 'devices/linux.devices created with type, numbers, mode and owner',
    spec: 'config-linux.md#devices',
    async run(t) {
      const devices = [
        { path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: 1000, gid: 100 },
        { path: '/dev/myblk', type: 'b', major: 7, minor: 200, fileMode: 0o600, uid: 0, gid: 0 },
        { path: '/dev/myfifo', type: 'p', fileMode: 0o620, uid: 1000, gid: 1000 },
        { path: '/dev/sub/dir/myzero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
      ];
      const p = await t.inside((c) => {
        c.linux.devices = devices;
      }, { ...Object.fromEntries(devices.map((d, i) => [`d${i}`, statCmd(d.path)])), use: 'head -c 2 /dev/sub/dir/myzero | wc -c' });
      const types: Record<string, string> = { c: 'character special file', b: 'block special file', p: 'fifo' };
      devices.forEach((d, i) => {
        const s = parseStat(p[`d${i}`].out);
        const want = { type: types[d.type], major: d.major ?? 0, minor: d.minor ?? 0, mode: d.fileMode.toString(8), uid: d.uid, gid: d.gid };
        if (d.type === 'p') { s.major = 0; s.minor = 0; }
        eq(s, want, `${d.path} (type, major, minor, mode, uid, gid)`);
      });
      eq(p.use.out.trim(), '2', 'the created devices work');
    },
  },
  {
    name: 'devices/device cgroup denies and allows',
    spec: 'config-linux.md#allowed-device-list',
    async run(t) {
      // 42 is the "demo/sample" major: no driver, so an allowed open fails with ENXIO (past the
      // cgroup), a denied one with EPERM (at the cgroup).
      const p = await t.inside((c) => {
        c.linux.devices = [
          { path: '/dev/denied', type: 'c', major: 42, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
          { path: '/dev/allowed', type: 'c', major: 42, minor: 1, fileMode: 0o666, uid: 0, gid: 0 },
        ];
        c.linux.resources.devices.push({ allow: true, type: 'c', major: 42, minor: 1, access: 'rw' });
      }, { denied: 'cat /dev/denied', allowed: 'cat /dev/allowed', list: 'cat /sys/fs/cgroup/devices/devices.list 2>/dev/null || true' });
      ok(p.denied.rc !== 0 && p.allowed.rc !== 0, 'neither device has a driver');
      match(p.denied.out, /Operation not permitted/, 'opening a device the cgroup denies');
      match(p.allowed.out, /No such device or address/, 'opening a device the cgroup allows (reaches the missing driver)');
    },
  },
];
