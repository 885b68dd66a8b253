// v1 devices controller: write the minimal transition from devices.list to the requested rules.
import type { LinuxDeviceCgroup } from '../../spec/types';
import { DeviceEmulator, fromSpec, ruleString } from '../devices/rules';
import { readFile, writeFile } from '../fsutil';

export function setDevicesV1(dir: string, devices: LinuxDeviceCgroup[]): void {
  const target = DeviceEmulator.fromRules(devices.map(fromSpec));
  const current = DeviceEmulator.fromList(readFile(dir, 'devices.list'));
  for (const r of current.transition(target)) writeFile(dir, r.allow ? 'devices.allow' : 'devices.deny', ruleString(r));
}
