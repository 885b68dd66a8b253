// spec and features: the default config.json, and what this runtime supports.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import type { Context } from '../main';
import { RuntimeError } from '../../libcontainer/errors';
import { CAPABILITIES } from '../../libcontainer/capabilities';
import { knownMountOptions } from '../../libcontainer/mount-options';
import { apparmorEnabled, selinuxEnabled } from '../../libcontainer/supported';
import { SPEC_VERSION } from '../../spec/types';
import { writeStdout } from '../../stdio';

declare const __VERSION__: string;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';

export function infoCommands(ctx: Context): CommandModule<any, any>[] {
  const spec: CommandModule<any, any> = {
    command: 'spec',
    describe: 'create a new specification file',
    builder: (y) =>
      y
        .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'path to the root of the bundle directory' })
        .option('rootless', { type: 'string', describe: 'generate a configuration for a rootless container' }),
    handler: (a) => {
      const { defaultSpec } = require('../../spec/default') as typeof import('../../spec/default');
      const file = join(a.bundle, 'config.json');
      if (existsSync(file)) throw new RuntimeError('File config.json exists. Remove it first.');
      // `--rootless` is also a global option taking a value (yargs reports its default for a
      // bare flag): after `spec` it is a plain flag, read from the command line itself.
      const after = process.argv.slice(process.argv.indexOf('spec') + 1);
      const rootless = after.includes('--rootless') || after.includes('--rootless=true');
      writeFileSync(file, JSON.stringify(defaultSpec({ rootless }), null, '\t'));
    },
  };

  const features: CommandModule<any, any> = {
    command: 'features',
    describe: 'show the enabled features',
    handler: () => {
      const { seccompFeatures } = require('../../seccomp/features') as typeof import('../../seccomp/features');
      const out = {
        ociVersionMin: '1.0.0',
        ociVersionMax: SPEC_VERSION,
        hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
        mountOptions: knownMountOptions(),
        linux: {
          namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
          capabilities: [...CAPABILITIES],
          cgroup: { v1: true, v2: true, systemd: true, systemdUser: true },
          seccomp: seccompFeatures(),
          apparmor: { enabled: apparmorEnabled() },
          selinux: { enabled: selinuxEnabled() },
        },
        annotations: { 'org.opencontainers.runc-ts.version': VERSION },
      };
      writeStdout(JSON.stringify(out, null, 4) + '\n');
    },
  };
  // runc's CRIU-based commands: present so that callers get a clear answer, not "unknown command".
  const criu = (name: string, what: string): CommandModule<any, any> => ({
    command: `${name} [id]`,
    describe: `${what} (not supported: runc-ts has no CRIU integration)`,
    builder: (y) => y.strict(false),
    handler: () => {
      throw new RuntimeError(`${name}: not supported: runc-ts does not implement checkpoint/restore (CRIU)`);
    },
  });
  return [spec, features, criu('checkpoint', 'checkpoint a running container'), criu('restore', 'restore a container from a previous checkpoint')];
}
