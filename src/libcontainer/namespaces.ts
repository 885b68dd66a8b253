// Namespace types of the runtime-spec, their CLONE_NEW* flags, and checks of joined paths.
import { closeSync, openSync } from 'node:fs';
import type { Namespace, NamespaceType, Spec } from '../spec/types';
import { RuntimeError } from './errors';
import { ioctl } from './sys/libc';

/** _IO(0xb7, 0x3): the CLONE_NEW* type of an nsfs file. */
const NS_GET_NSTYPE = 0xb703;

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

/**
 * Checks each namespace joined by path before anything is created: the file must exist and be
 * a namespace of the type it is given as (ioctl NS_GET_NSTYPE, which also works on a
 * bind-mounted nsfs file). Kubernetes pods join their sandbox's namespaces by path: a wrong
 * file would silently leave the container in the host's namespace of that type. nsexec.c
 * passes the type to setns() as well, so the kernel checks again.
 * Masked and read-only paths need a mount namespace of the container's (runc's validator).
 */
export function checkNamespaces(spec: Spec, plan: NamespacePlan): void {
  for (const j of plan.joins) {
    const field = `linux.namespaces: ${j.type} namespace path ${j.path}`;
    let fd: number;
    try {
      fd = openSync(j.path, 'r');
    } catch (e: any) {
      throw new RuntimeError(`${field}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
    }
    let nstype: number;
    try {
      nstype = ioctl(fd, NS_GET_NSTYPE, 0);
    } finally {
      closeSync(fd);
    }
    if (nstype === CLONE_FLAGS[j.type]) continue;
    const actual = (Object.keys(CLONE_FLAGS) as NamespaceType[]).find((t) => CLONE_FLAGS[t] === nstype);
    throw new RuntimeError(`${field}: not a ${j.type} namespace (${actual ? `it is of type ${actual}` : 'not a namespace file'})`);
  }
  const hasMountNs = (spec.linux?.namespaces ?? []).some((n) => n.type === 'mount');
  if (!hasMountNs && (spec.linux?.maskedPaths?.length || spec.linux?.readonlyPaths?.length)) {
    throw new RuntimeError('linux.maskedPaths, linux.readonlyPaths: unable to restrict sys entries without a private MNT namespace');
  }
}
