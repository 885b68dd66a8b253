// v1 blkio controller (runc 1.1 fs/blkio.go). CFQ exposes blkio.weight, BFQ blkio.bfq.weight.
import type { LinuxBlockIO, LinuxThrottleDevice } from '../../spec/types';
import { fileExists, fmtInt, writeFile } from '../fsutil';

const throttles: [keyof LinuxBlockIO, string][] = [
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
];

export function setBlkioV1(dir: string, b: LinuxBlockIO): void {
  const cfq = fileExists(dir, 'blkio.weight');
  const weightFile = cfq ? 'blkio.weight' : 'blkio.bfq.weight';
  const weightDevFile = cfq ? 'blkio.weight_device' : 'blkio.bfq.weight_device';
  if (b.weight) writeFile(dir, weightFile, String(b.weight));
  if (b.leafWeight) writeFile(dir, 'blkio.leaf_weight', String(b.leafWeight));
  for (const wd of b.weightDevice ?? []) {
    if (wd.weight) writeFile(dir, weightDevFile, `${wd.major}:${wd.minor} ${wd.weight}`);
    if (wd.leafWeight) writeFile(dir, 'blkio.leaf_weight_device', `${wd.major}:${wd.minor} ${wd.leafWeight}`);
  }
  for (const [key, file] of throttles) {
    for (const td of (b[key] as LinuxThrottleDevice[] | undefined) ?? []) writeFile(dir, file, `${td.major}:${td.minor} ${fmtInt(td.rate)}`);
  }
}
