// linux.netDevices (runtime-spec 1.3): host network interfaces moved into the container's network
// namespace, renamed if asked, with their permanent addresses kept (moving a device between
// namespaces drops its addresses). Done with iproute2 from the CLI once the namespace exists;
// when the namespace goes away the kernel returns physical devices to the host's.
import { childProcess } from '../lazy-builtins';
import type { Spec } from '../spec/types';
import { RuntimeError } from './errors';

function ip(args: string[], what: string): string {
  try {
    return childProcess().execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e: any) {
    throw new RuntimeError(`linux.netDevices: ${what}: ${String(e.stderr || e.message).trim()}`);
  }
}

/** Checks before anything is created: a network namespace of its own, devices that exist. */
export function checkNetDevices(spec: Spec): void {
  const devs = Object.keys(spec.linux?.netDevices ?? {});
  if (!devs.length) return;
  if (!(spec.linux?.namespaces ?? []).some((n) => n.type === 'network')) throw new RuntimeError('linux.netDevices: requires a network namespace');
  for (const d of devs) ip(['link', 'show', 'dev', d], `host device ${d}`);
}

export function moveNetDevices(spec: Spec, pid: number): void {
  for (const [dev, cfg] of Object.entries(spec.linux?.netDevices ?? {})) {
    const addrs = JSON.parse(ip(['-j', 'addr', 'show', 'dev', dev], `addresses of ${dev}`))[0]?.addr_info ?? [];
    const name = cfg.name || dev;
    ip(['link', 'set', 'dev', dev, 'netns', String(pid)], `move ${dev}`);
    const inNs = ['nsenter', `--net=/proc/${pid}/ns/net`, 'ip'];
    const run = (args: string[], what: string) => {
      try {
        childProcess().execFileSync(inNs[0]!, [...inNs.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e: any) {
        throw new RuntimeError(`linux.netDevices: ${what}: ${String(e.stderr || e.message).trim()}`);
      }
    };
    if (name !== dev) run(['link', 'set', 'dev', dev, 'name', name], `rename ${dev} to ${name}`);
    for (const a of addrs) {
      if (a.dynamic) continue;
      run(['addr', 'add', `${a.local}/${a.prefixlen}`, 'dev', name], `address ${a.local} on ${name}`);
    }
  }
}
