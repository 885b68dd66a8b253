// v2 io controller (runc fs2/io.go): BFQ's io.bfq.weight takes the v1 weight as is (and per-device
// weights); otherwise io.weight with the [10..1000] -> [1..10000] conversion. Throttles -> io.max.
import type { LinuxBlockIO, LinuxThrottleDevice } from '../../spec/types';
import { blkioWeightToIoWeight } from '../convert';
import { fileExists, fmtInt, writeFile } from '../fsutil';

const throttles: [keyof LinuxBlockIO, string][] = [
  ['throttleReadBpsDevice', 'rbps'],
  ['throttleWriteBpsDevice', 'wbps'],
  ['throttleReadIOPSDevice', 'riops'],
  ['throttleWriteIOPSDevice', 'wiops'],
];

export function setIoV2(dir: string, b: LinuxBlockIO): void {
  const bfq = (b.weight || b.weightDevice?.length) && fileExists(dir, 'io.bfq.weight');
  if (b.weight) {
    if (bfq) writeFile(dir, 'io.bfq.weight', String(b.weight));
    else writeFile(dir, 'io.weight', String(blkioWeightToIoWeight(b.weight)));
  }
  // Only BFQ has per-device weights; leafWeight has no v2 equivalent.
  if (bfq) for (const wd of b.weightDevice ?? []) if (wd.weight) writeFile(dir, 'io.bfq.weight', `${wd.major}:${wd.minor} ${wd.weight}`);
  for (const [key, name] of throttles) {
    for (const td of (b[key] as LinuxThrottleDevice[] | undefined) ?? []) writeFile(dir, 'io.max', `${td.major}:${td.minor} ${name}=${fmtInt(td.rate)}`);
  }
}
