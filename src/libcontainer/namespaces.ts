// Namespace types of the runtime-spec and their CLONE_NEW* flags.
import type { Namespace, NamespaceType } from '../spec/types';

export const CLONE_FLAGS: Record<NamespaceType, number> = {
  mount: 0x00020000,
  uts: 0x04000000,
  ipc: 0x08000000,
  user: 0x10000000,
  pid: 0x20000000,
  network: 0x40000000,
  cgroup: 0x02000000,
  time: 0x00000080,
};

/** /proc/<pid>/ns/<name> for each spec type. */
export const NS_FILE: Record<NamespaceType, string> = {
  mount: 'mnt',
  uts: 'uts',
  ipc: 'ipc',
  user: 'user',
  pid: 'pid',
  network: 'net',
  cgroup: 'cgroup',
  time: 'time',
};

/** Join order: the user namespace first, so that joining the others is permitted; mount last. */
const JOIN_ORDER: NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

export interface NamespacePlan {
  cloneFlags: number;
  joins: { type: NamespaceType; path: string }[];
  newTypes: NamespaceType[];
}

export function planNamespaces(list: Namespace[] = []): NamespacePlan {
  const seen = new Set<string>();
  let cloneFlags = 0;
  const joins: NamespacePlan['joins'] = [];
  const newTypes: NamespaceType[] = [];
  for (const ns of list) {
    if (seen.has(ns.type)) throw new Error(`linux.namespaces: duplicate namespace type ${ns.type}`);
    seen.add(ns.type);
    if (ns.path) joins.push({ type: ns.type, path: ns.path });
    else {
      cloneFlags |= CLONE_FLAGS[ns.type];
      newTypes.push(ns.type);
    }
  }
  joins.sort((a, b) => JOIN_ORDER.indexOf(a.type) - JOIN_ORDER.indexOf(b.type));
  return { cloneFlags, joins, newTypes };
}
