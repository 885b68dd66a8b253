// Bind-mount sources are opened by the native stage (native/nsexec.c "source" lines) as the
// host's root, before any namespace is joined or created, and the init mounts from those fds:
// inside a user namespace the source (or a directory above it) may not be reachable any more
// (runc does the same with its mount source fds). Idmapped mounts have their own path.
import { isAbsolute, join } from 'node:path';
import type { Mount, Spec } from '../spec/types';

export function isBindMount(m: Mount): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

function isIdmapped(m: Mount): boolean {
  return !!m.uidMappings || !!m.gidMappings || (m.options ?? []).some((o) => o === 'idmap' || o === 'ridmap');
}

/** The bind sources as bootstrap lines for nsexec.c: "source <mount index> <absolute path>". */
export function mountSourceLines(spec: Spec, bundle: string): string {
  let out = '';
  (spec.mounts ?? []).forEach((m, i) => {
    if (!isBindMount(m) || isIdmapped(m) || !m.source || m.source.includes('\n')) return;
    out += `source ${i} ${isAbsolute(m.source) ? m.source : join(bundle, m.source)}\n`;
  });
  return out;
}

/** In the init: mount index -> O_PATH fd of its source, as nsexec.c left them. */
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
