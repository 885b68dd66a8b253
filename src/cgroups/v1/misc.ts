// Small v1 controllers: pids, hugetlb, net_cls, net_prio, rdma.
import type { LinuxHugepageLimit, LinuxNetwork, LinuxRdma } from '../../spec/types';
import { fmtInt, writeFile } from '../fsutil';

/** 0 = unset (runc 1.1), negative = unlimited. */
export function pidsMaxValue(limit: number): string {
  return limit > 0 ? fmtInt(limit) : 'max';
}

export function setPids(dir: string, limit: number | undefined): void {
  if (limit) writeFile(dir, 'pids.max', pidsMaxValue(limit));
}

export function setHugetlbV1(dir: string, limits: LinuxHugepageLimit[]): void {
  for (const h of limits) writeFile(dir, `hugetlb.${h.pageSize}.limit_in_bytes`, fmtInt(h.limit));
}

export function setNetClsV1(dir: string, n: LinuxNetwork): void {
  if (n.classID !== undefined && n.classID !== 0) writeFile(dir, 'net_cls.classid', String(n.classID >>> 0));
}

export function setNetPrioV1(dir: string, n: LinuxNetwork): void {
  for (const p of n.priorities ?? []) writeFile(dir, 'net_prio.ifpriomap', `${p.name} ${p.priority}`);
}

/** rdma.max lines, shared by v1 and v2: "<device> hca_handle=N hca_object=N". */
export function setRdma(dir: string, rdma: Record<string, LinuxRdma>): void {
  for (const [dev, l] of Object.entries(rdma)) {
    let s = dev;
    if (l.hcaHandles !== undefined && l.hcaHandles !== null) s += ` hca_handle=${l.hcaHandles}`;
    if (l.hcaObjects !== undefined && l.hcaObjects !== null) s += ` hca_object=${l.hcaObjects}`;
    writeFile(dir, 'rdma.max', s);
  }
}
