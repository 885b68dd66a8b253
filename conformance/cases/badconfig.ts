// Invalid bundles (config.md's requirements, runtime.md#create: "MUST generate an error"): each is
// rejected by `create` with a non-zero exit and a message, and leaves nothing behind.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq, ok } from '../lib/assert';
import { Bundle } from '../lib/bundle';
import { Case, T } from '../lib/context';
import { processesRootedUnder } from '../lib/hygiene';

async function rejected(t: T, b: Bundle): Promise<void> {
  const id = t.id();
  t.mustFail(await t.cli(['create', '--bundle', b.dir, '--pid-file', join(t.dir, 'p.pid'), id]), 'create');
  eq((await t.cli(['list', '-q'])).stdout.trim(), '', '`list` after the rejected create');
  ok((await t.cli(['state', id])).code !== 0, '`state` of the rejected container must fail');
  const { readdirSync } = await import('node:fs');
  eq(readdirSync(t.rt.root).filter((e) => e === id), [], 'state directory entries in --root');
  eq(processesRootedUnder(b.dir), [], 'processes left in the bundle');
}

/** A bad-config case: `edit` breaks an otherwise valid bundle. */
const bad = (name: string, spec: string, edit: (c: any, b: Bundle) => void, runcGap?: string): Case => ({
  name: `badconfig/${name}`,
  spec,
  runcGap,
  async run(t) {
    await rejected(t, t.bundle(edit));
  },
});

export const cases: Case[] = [
  {
    name: 'badconfig/invalid JSON',
    spec: 'config.md',
    async run(t) {
      const b = t.bundle();
      writeFileSync(join(b.dir, 'config.json'), '{ "ociVersion": "1.0.2", "process": { "args": ["sh"] ');
      await rejected(t, b);
    },
  },
  {
    name: 'badconfig/missing config.json',
    spec: 'bundle.md',
    async run(t) {
      const b = t.bundle();
      rmSync(join(b.dir, 'config.json'));
      await rejected(t, b);
    },
  },
  bad('missing process.cwd', 'config.md#process', (c) => { delete c.process.cwd; }),
  bad('relative process.cwd', 'config.md#process', (c) => { c.process.cwd = 'tmp'; }),
  bad('empty process.args', 'config.md#process', (c) => { c.process.args = []; }),
  bad('process.args of the wrong type', 'config.md#process', (c) => { c.process.args = 'sh -c true'; }),
  bad('process.user.uid of the wrong type', 'config.md#posix-platform-user', (c) => { c.process.user.uid = 'root'; }),
  bad('unknown namespace type', 'config-linux.md#namespaces', (c) => { c.linux.namespaces.push({ type: 'bogus' }); }),
  bad('duplicate namespace type', 'config-linux.md#namespaces', (c) => { c.linux.namespaces.push({ type: 'uts' }); }),
  bad('namespace path that does not exist', 'config-linux.md#namespaces', (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'network').concat({ type: 'network', path: '/proc/self/ns/doesnotexist' });
  }),
  bad('rootfs missing', 'config.md#root', (c, b) => { rmSync(b.rootfs, { recursive: true }); }),
  bad('root.path missing', 'config.md#root', (c) => { delete c.root; }),
  bad('relative mount destination', 'config.md#mounts', (c) => { c.mounts.push({ destination: 'mnt/rel', type: 'tmpfs', source: 'tmpfs' }); },
    'runc 1.1 accepts a relative mount destination (it warns and treats it as relative to /)'),
  bad('unknown rlimit type', 'config.md#posix-process', (c) => { c.process.rlimits.push({ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }); }),
  bad('unknown seccomp action', 'config-linux.md#seccomp', (c) => {
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_BOGUS' }] };
  }),
  bad('mount without a destination', 'config.md#mounts', (c) => { c.mounts.push({ type: 'tmpfs', source: 'tmpfs' }); }),
  bad('hostname without a UTS namespace', 'config.md#hostname', (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'uts');
  }),
  bad('missing ociVersion', 'config.md#specification-version', (c) => { delete c.ociVersion; },
    'runc 1.1 does not validate ociVersion'),
];
