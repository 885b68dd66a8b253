// Idmapped mounts (runtime-spec 1.2 mounts[].uidMappings/gidMappings, options idmap/ridmap):
// the kernel takes the id mapping from a user namespace. The CLI makes one per mount, as host
// root: a throwaway `sleep` with the preloaded namespace stage unshares a user namespace, we
// write its maps, open /proc/<pid>/ns/user and kill it; the fd keeps the namespace alive and
// goes to the init, which applies it with mount_setattr(MOUNT_ATTR_IDMAP).
import { childProcess } from '../lazy-builtins';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { IDMapping, Spec } from '../spec/types';
import { RuntimeError } from './errors';
import { CLONE_FLAGS } from './namespaces';
import { DIST_DIR } from './init-process';
import { SysError, errno, open as openFd } from './sys/libc';
import { writeFileSync } from 'node:fs';

export function idmappedMounts(spec: Spec): { index: number; uid: IDMapping[]; gid: IDMapping[] }[] {
  const out: { index: number; uid: IDMapping[]; gid: IDMapping[] }[] = [];
  (spec.mounts ?? []).forEach((m, index) => {
    const opt = (m.options ?? []).some((o) => o === 'idmap' || o === 'ridmap');
    if (!opt && !m.uidMappings && !m.gidMappings) return;
    const isBind = m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
    if (!isBind) throw new RuntimeError(`mounts[${index}] (${m.destination}): idmapped mounts are supported for bind mounts only`);
    const uid = m.uidMappings ?? spec.linux?.uidMappings ?? [];
    const gid = m.gidMappings ?? spec.linux?.gidMappings ?? [];
    if (!uid.length || !gid.length) throw new RuntimeError(`mounts[${index}] (${m.destination}): an idmapped mount needs uidMappings and gidMappings (of the mount or of linux)`);
    out.push({ index, uid, gid });
  });
  return out;
}

const line = (maps: IDMapping[]) => maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join('\n') + '\n';

/** An O_CLOEXEC fd of a new user namespace with these mappings. */
export async function usernsFd(uid: IDMapping[], gid: IDMapping[]): Promise<number> {
  const child = childProcess().spawn('/bin/sleep', ['60'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { LD_PRELOAD: join(DIST_DIR, 'nsexec.so'), _RUNCTS_INITPIPE: '3' },
  });
  const sock = child.stdio[3] as Socket;
  sock.setEncoding('utf8');
  let buf = '';
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const take = () => {
        const nl = buf.indexOf('\n');
        if (nl < 0) return false;
        const l = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        resolve(l);
        return true;
      };
      if (take()) return;
      const onData = (d: string) => {
        buf += d;
        if (take()) sock.off('data', onData);
      };
      sock.on('data', onData);
      sock.once('close', () => reject(new RuntimeError('idmapped mount: the user namespace holder exited')));
    });
  try {
    sock.write(`clone ${CLONE_FLAGS.user}\n\n`);
    if ((await next()) !== 'userns') throw new RuntimeError('idmapped mount: unexpected reply from the namespace stage');
    writeFileSync(`/proc/${child.pid}/uid_map`, line(uid));
    writeFileSync(`/proc/${child.pid}/gid_map`, line(gid));
    sock.write('ok\n');
    const pidLine = await next();
    const pid = Number(/^pid (\d+)$/.exec(pidLine)?.[1]);
    if (!pid) throw new RuntimeError(`idmapped mount: ${pidLine}`);
    const fd = openFd(`/proc/${pid}/ns/user`, 0o2000000 /* O_RDONLY | O_CLOEXEC */, 0);
    if (fd < 0) throw new SysError(`open /proc/${pid}/ns/user`, errno());
    return fd;
  } finally {
    sock.destroy();
    child.kill('SIGKILL');
  }
}
