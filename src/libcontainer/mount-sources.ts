// In a user namespace, the container's root may not reach a bind-mount source (a directory
// above it closed to ids it does not map): the native stage (native/nsexec.c "source" lines)
// clones each source as a detached mount (open_tree) as the host's root, before any namespace
// is joined or created, and the init attaches those (runc's mount sources). Without a user
// namespace the init binds by path. Idmapped mounts have their own path.
import { isAbsolute, join } from 'node:path';
import type { Mount, Spec } from '../spec/types';

export function isBindMount(m: Mount): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

function isIdmapped(m: Mount): boolean {
  return !!m.uidMappings || !!m.gidMappings || (m.options ?? []).some((o) => o === 'idmap' || o === 'ridmap');
}

/** The bind sources as bootstrap lines for nsexec.c: "source <mount index> <rbind 0|1> <path>". */
export function mountSourceLines(spec: Spec, bundle: string): string {
  if (!(spec.linux?.namespaces ?? []).some((n) => n.type === 'user')) return '';
  let out = '';
  (spec.mounts ?? []).forEach((m, i) => {
    if (!isBindMount(m) || isIdmapped(m) || !m.source || m.source.includes('\n')) return;
    const rec = (m.options ?? []).includes('rbind') ? 1 : 0;
    out += `source ${i} ${rec} ${isAbsolute(m.source) ? m.source : join(bundle, m.source)}\n`;
  });
  return out;
}

/** In the init: mount index -> fd of its detached source mount, as nsexec.c left them. */
export function takeMountSourceFds(): Record<number, number> {
  const env = process.env._RUNCTS_MOUNTFDS ?? '';
  delete process.env._RUNCTS_MOUNTFDS;
  const fds: Record<number, number> = {};
  for (const pair of env.split(',').filter(Boolean)) {
    const [index, fd] = pair.split(':').map(Number);
    if (Number.isInteger(index) && Number.isInteger(fd)) fds[index!] = fd!;
  }
  return fds;
}
