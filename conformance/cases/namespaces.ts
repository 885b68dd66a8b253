// config-linux.md#namespaces: each type new (inode differs from the host's), joined by path (inode
// equals the holder's), absent types shared with the host, user mappings, time offsets.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { waitFor } from '../lib/exec';
import { join } from 'node:path';
import { eq, match, ne, ok } from '../lib/assert';
import { Case, hostNs, T } from '../lib/context';

const SPEC = 'config-linux.md#namespaces';
/** Config namespace type → /proc/<pid>/ns entry. */
const NS_FILE: Record<string, string> = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time' };
const TIME_GAP = 'runc 1.1 does not know the time namespace (added in runc 1.2) and rejects the config';

const USER_MAP = { uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 200000, size: 65536 }] };

/** Adds namespace `type` (with `path` if given) to the config, replacing any entry of that type. */
function withNs(type: string, path?: string): (c: any) => void {
  return (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== type);
    c.linux.namespaces.push(path ? { type, path } : { type });
    if (type === 'user' && !path) Object.assign(c.linux, structuredClone(USER_MAP));
  };
}

const readNs = (types: string[]): Record<string, string> =>
  Object.fromEntries(types.map((f) => [f, `readlink /proc/self/ns/${f}`]));

const newCase = (type: string): Case => ({
  name: `namespaces/${type} new`,
  spec: SPEC,
  runcGap: type === 'time' ? TIME_GAP : undefined,
  async run(t) {
    const f = NS_FILE[type];
    const p = await t.inside(withNs(type), readNs([f]));
    eq(p[f].rc, 0, `readlink /proc/self/ns/${f}`);
    match(p[f].out, new RegExp(`^${f}:\\[\\d+\\]`), `/proc/self/ns/${f}`);
    ne(p[f].out.trim(), hostNs(f), `${type} namespace inside vs host`);
  },
});

/** A first container (created, not started) whose namespace of `type` a second one joins by path. */
const joinCase = (type: string): Case => ({
  name: `namespaces/${type} joined by path`,
  spec: SPEC,
  runcGap: type === 'time' ? TIME_GAP : undefined,
  async run(t) {
    const f = NS_FILE[type];
    if (type === 'mount') return joinMountNs(t);
    const holder = await t.create(t.bundle((c) => {
      withNs(type)(c);
      c.process.args = ['sleep', '600'];
    }));
    const target = hostNs(f, holder.pid);
    ne(target, hostNs(f), `holder's ${type} namespace vs host`);
    const p = await t.inside((c) => {
      withNs(type, `/proc/${holder.pid}/ns/${f}`)(c);
      // Joining a user namespace: the mappings are the joined namespace's.
      if (type === 'user') Object.assign(c.linux, structuredClone(USER_MAP));
    }, readNs([f]));
    eq(p[f].out.trim(), target, `${type} namespace inside (joined /proc/${holder.pid}/ns/${f})`);
    await t.delete(holder.id, true);
  },
});

/**
 * Joining a mount namespace: a container's own would have its rootfs set up already, so the holder
 * is a copy of the host's (`unshare --mount=FILE`), bind-mounted on a file, and the runtime sets up
 * the rootfs inside it.
 */
async function joinMountNs(t: T): Promise<void> {
  const file = join(t.hostDir('ns'), 'mnt');
  writeFileSync(file, '');
  // The holder's bind mount must live in a private parent, or it would propagate into itself.
  execFileSync('mount', ['--bind', t.hostDir('ns'), t.hostDir('ns')]);
  execFileSync('mount', ['--make-private', t.hostDir('ns')]);
  t.defer(() => { execFileSync('umount', ['-l', t.hostDir('ns')]); });
  execFileSync('unshare', [`--mount=${file}`, '--propagation', 'private', 'true']);
  t.defer(() => { execFileSync('umount', ['-l', file]); });
  const inode = execFileSync('stat', ['-L', '-c', '%i', file], { encoding: 'utf8' }).trim();
  const p = await t.inside(withNs('mount', file), { ino: 'stat -L -c %i /proc/self/ns/mnt' });
  eq(p.ino.out.trim(), inode, 'mnt namespace inode inside vs the joined nsfs file');
}

export const cases: Case[] = [
  ...['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'].map(newCase),
  ...['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'].map(joinCase),
  {
    name: 'namespaces/types not listed are shared with the host',
    spec: SPEC,
    async run(t) {
      const shared = ['pid', 'net', 'ipc', 'uts', 'cgroup', 'user', 'time'];
      const p = await t.inside((c) => {
        c.linux.namespaces = [{ type: 'mount' }];
        delete c.hostname; // a hostname needs a private UTS namespace
        // sysfs needs a network namespace of its own; bind the host's instead.
        c.mounts = c.mounts.filter((m: any) => m.type !== 'sysfs' && m.type !== 'cgroup');
      }, readNs([...shared, 'mnt']));
      for (const f of shared) eq(p[f].out.trim(), hostNs(f), `${f} namespace (not in config) inside vs host`);
      ne(p.mnt.out.trim(), hostNs('mnt'), 'mnt namespace (in config) inside vs host');
    },
  },
  {
    name: 'namespaces/network joined via a bind-mounted nsfs file',
    spec: SPEC,
    async run(t) {
      const file = join(t.hostDir('ns'), 'net');
      writeFileSync(file, '');
      execFileSync('unshare', [`--net=${file}`, 'true']);
      t.defer(() => { execFileSync("umount", ["-l", file]); });
      const want = execFileSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' }); // host's, for contrast
      const p = await t.inside(withNs('network', file), { net: 'readlink /proc/self/ns/net', ino: 'stat -L -c %i /proc/self/ns/net' });
      const inode = execFileSync('stat', ['-L', '-c', '%i', file], { encoding: 'utf8' }).trim();
      eq(p.ino.out.trim(), inode, 'net namespace inode inside vs the nsfs file');
      ne(p.net.out, want, 'net namespace inside vs host');
    },
  },
  {
    name: 'namespaces/user uid and gid mappings',
    spec: 'config-linux.md#user-namespace-mappings',
    async run(t) {
      const p = await t.inside((c) => {
        withNs('user')(c);
        c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 1000, hostID: 300000, size: 10 }];
        c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
        c.process.user = { uid: 1000, gid: 5 };
      }, { uid: 'cat /proc/self/uid_map', gid: 'cat /proc/self/gid_map', id: 'id -u; id -g' });
      const rows = (s: string): string[] => s.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
      eq(rows(p.uid.out), ['0 100000 1000', '1000 300000 10'], '/proc/self/uid_map');
      eq(rows(p.gid.out), ['0 200000 65536'], '/proc/self/gid_map');
      eq(p.id.out.trim().split('\n'), ['1000', '5'], 'uid and gid inside');
    },
  },
  {
    name: 'namespaces/user process seen from the host',
    spec: 'config-linux.md#user-namespace-mappings',
    async run(t) {
      const b = t.bundle((c) => {
        withNs('user')(c);
        c.process.user = { uid: 7, gid: 8 };
        c.process.args = ['sleep', '600'];
      });
      const { id, pid } = await t.create(b);
      const status = execFileSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' });
      // runc's init runs as container root until exec; after start the process is 7/8 → host 100007/200008.
      await t.start(id);
      await t.waitStatus(id, 'running');
      let after = '';
      await waitFor(() => /^Uid:\s+100007\s/m.test((after = readFileSync(`/proc/${pid}/status`, 'utf8'))), 3000);
      match(after, /^Uid:\s+100007\s+100007\s+100007\s+100007$/m, 'host view of the container uid (7 → 100007)');
      match(after, /^Gid:\s+200008\s+200008\s+200008\s+200008$/m, 'host view of the container gid (8 → 200008)');
      ok(status.length > 0, 'status readable');
      await t.delete(id, true);
    },
  },
  {
    name: 'namespaces/time offsets',
    spec: 'config-linux.md#offset-for-time-namespace',
    runcGap: TIME_GAP,
    async run(t: T) {
      const p = await t.inside((c) => {
        withNs('time')(c);
        c.linux.timeOffsets = { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: 172800, nanosecs: 500 } };
      }, { offsets: 'cat /proc/self/timens_offsets', uptime: 'cat /proc/uptime' });
      const rows = p.offsets.out.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')).sort();
      eq(rows, ['boottime 172800 500', 'monotonic 86400 0'], '/proc/self/timens_offsets');
      const hostUptime = Number(execFileSync('cat', ['/proc/uptime'], { encoding: 'utf8' }).split(' ')[0]);
      const up = Number(p.uptime.out.split(' ')[0]);
      ok(up >= 172800 + hostUptime - 60, `/proc/uptime inside (${up}) should be host uptime + 172800 (${hostUptime + 172800})`);
    },
  },
  {
    name: 'network/netDevices move and rename a host interface',
    spec: 'config-linux.md#network-devices',
    runcGap: 'runc 1.1 does not know linux.netDevices (runtime-spec 1.3, runc 1.3)',
    async run(t) {
      const host = `cf${process.pid % 100000}a`, peer = `cf${process.pid % 100000}b`;
      execFileSync('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
      t.defer(() => {
        try {
          execFileSync('ip', ['link', 'del', peer], { stdio: 'ignore' });
        } catch {}
      });
      execFileSync('ip', ['addr', 'add', '10.254.253.1/30', 'dev', host]);
      const out = await t.sh((c) => { c.linux.netDevices = { [host]: { name: 'ctr0' } }; }, 'ip -o addr show dev ctr0');
      match(out, /ctr0\s+inet 10\.254\.253\.1\/30/, 'the device is in the container, renamed, with its address');
      let onHost = true;
      try {
        execFileSync('ip', ['link', 'show', 'dev', host], { stdio: 'ignore' });
      } catch {
        onHost = false;
      }
      ok(!onHost, 'the device left the host namespace');
    },
  },
];
