// parseFast: the plain forms of create/run/exec/state/start/kill/delete/list parsed without
// yargs, everything else left to yargs (undefined). What it gives a handler is held to what
// yargs gives the same handler for the same argv (the real parser of src/cli/yargs-cli.ts,
// with the commands' real builders), so that the two paths cannot drift apart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFast } from '../../src/cli/fast';
import { globalOptions, parseWithYargs } from '../../src/cli/yargs-cli';
import { lifecycleCommands } from '../../src/cli/commands/lifecycle';
import { execCommand } from '../../src/cli/commands/exec';
import { Logger } from '../../src/cli/log';
import type { Context } from '../../src/cli/main';
import type { GlobalOptions } from '../../src/libcontainer/container';

const GLOBAL_KEYS = new Set(['root', 'log', 'log-format', 'debug', 'systemd-cgroup', 'rootless', 'criu']);

/** What a handler reads of the global options (the functions aside). */
const globalsSeen = (g: GlobalOptions) => ({ root: g.root, systemdCgroup: g.systemdCgroup, rootless: g.rootless });

/**
 * The arguments yargs hands the command's handler, without what no handler reads (the
 * globals, which reach it as ctx.g; aliases; camelCase copies; `$0`; unset keys).
 */
async function viaYargs(argv: string[]): Promise<{ g: ReturnType<typeof globalsSeen>; args: Record<string, unknown> } | { error: string }> {
  const ctx: Context = { g: globalOptions({}, new Logger()), log: new Logger(), exitCode: 0 };
  let seen: Record<string, unknown> | undefined;
  const capture = (a: Record<string, unknown>) => {
    seen = a;
  };
  const commands = [...lifecycleCommands(ctx), execCommand(ctx)].map((c) => ({ ...c, handler: capture }));
  try {
    await parseWithYargs(argv, ctx, commands);
  } catch (e) {
    return { error: (e as Error).message };
  }
  if (!seen) return { error: 'no handler ran' };
  const args = Object.fromEntries(
    Object.entries(seen).filter(([k, v]) => v !== undefined && k !== '$0' && !GLOBAL_KEYS.has(k) && !/[A-Z]/.test(k) && (k === '_' || k.length > 1)),
  );
  return { g: globalsSeen(ctx.g), args };
}

async function sameAsYargs(argv: string[]): Promise<Record<string, unknown>> {
  const fast = parseFast(argv);
  assert.ok(fast, `parseFast left ${JSON.stringify(argv)} to yargs`);
  const expected = await viaYargs(argv);
  assert.not.ok('error' in expected && expected.error, `yargs refused ${JSON.stringify(argv)}: ${'error' in expected ? expected.error : ''}`);
  assert.equal({ g: globalsSeen(globalOptions(fast!.globals, new Logger())), args: fast!.args }, expected, JSON.stringify(argv));
  return fast!.args;
}

// containerd's go-runc and Docker (through containerd's shim) call runc in these shapes.
const GO_RUNC_GLOBALS = ['--root', '/run/containerd/runc/moby', '--log', '/run/containerd/c1/log.json', '--log-format', 'json'];

test('Docker and containerd: create, run, exec as go-runc spells them, as yargs reads them', async () => {
  const create = await sameAsYargs([...GO_RUNC_GLOBALS, 'create', '--bundle', '/b', '--pid-file', '/b/init.pid', 'c1']);
  assert.equal(create, { _: ['create'], id: 'c1', bundle: '/b', 'pid-file': '/b/init.pid', 'no-pivot': false, 'no-new-keyring': false, 'preserve-fds': 0 });
  await sameAsYargs([...GO_RUNC_GLOBALS, '--systemd-cgroup', 'create', '--bundle', '/b', '--pid-file', '/p', '--console-socket', '/s.sock', '--no-pivot', '--no-new-keyring', '--preserve-fds', '2', 'c1']);
  await sameAsYargs(['--root', '/r', '--log', '/l', '--log-format', 'json', '--rootless', 'true', 'create', '--bundle', '/b', 'c1']);
  await sameAsYargs([...GO_RUNC_GLOBALS, 'run', '--bundle', '/b', '--pid-file', '/p', '--detach', 'c1']);
  const exec = await sameAsYargs([...GO_RUNC_GLOBALS, 'exec', '--process', '/tmp/runc-process1', '--detach', '--pid-file', '/p', 'c1']);
  assert.equal(exec, { _: ['exec'], id: 'c1', command: [], process: '/tmp/runc-process1', detach: true, 'pid-file': '/p', 'preserve-fds': 0, 'ignore-paused': false });
  await sameAsYargs([...GO_RUNC_GLOBALS, 'exec', '--process', '/tmp/p.json', '--console-socket', '/s.sock', '--detach', '--pid-file', '/p', 'c1']);
  await sameAsYargs([...GO_RUNC_GLOBALS, 'exec', '--process', '/tmp/p.json', '--detach', '--pid-file', '/p', '--console-socket', '/s.sock', 'c1']);
});

test('create and run: every flag, both spellings of a value, flags after the id', async () => {
  for (const argv of [
    ['create', 'c1'],
    ['create', '-b', '/b', 'c1'],
    ['create', '--bundle=/b', '--pid-file=/p', '--console-socket=/s', '--preserve-fds=3', 'c1'],
    ['create', 'c1', '--bundle', '/b'],
    ['create', '--bundle=', 'c1'],
    ['create', '--bundle', 'true', 'c1'], // a string flag's value "true" is a string
    ['create', '--pid-file', '1e3', '0123'], // nothing number-like becomes a number
    ['create', '--preserve-fds', '0', 'c1'],
    ['create', '--preserve-fds', '10', 'c1'],
    ['create', ''],
    ['--debug', 'create', '--no-pivot', 'c1'],
    ['--root=/r', '--criu', 'criu', 'create', 'c1'],
    ['run', 'c1'],
    ['run', '-d', 'c1'],
    ['run', '-d', '1'], // only true/false go with a boolean flag
    ['run', '--detach', '--keep', '--no-subreaper', '--no-pivot', '--no-new-keyring', '-b', '/b', 'c1'],
    ['run', '--keep', 'c1', '--preserve-fds', '1'],
  ])
    await sameAsYargs(argv);
});

test('exec: the forms people use; options end at the id, the rest is the command verbatim', async () => {
  const args = await sameAsYargs(['exec', 'c1', 'sh', '-c', 'echo x']);
  assert.equal(args._, ['exec', 'sh', '-c', 'echo x']);
  for (const argv of [
    ['exec', '-t', 'c1', 'sh'],
    ['exec', '--tty', 'c1', 'sh'],
    ['exec', 'c1', 'ls', '-la', '--color=never', '-t'],
    ['exec', 'c1', 'sh', '--help'],
    ['exec', 'c1', 'sh', '-h'],
    ['exec', 'c1', 'git', 'log', '--', 'f'],
    ['exec', 'c1', 'cat', '-'],
    ['exec', 'c1', '--', 'sh'], // runc too takes a `--` after the id as the command's
    ['exec', 'c1', 'echo', '0x10', '010', '1e3', '-1'], // not numbers: what runc passes on
    ['exec', 'c1'], // no command: the handler's error, on both paths
    ['exec', '0123', 'true'],
    ['exec', '-e', 'A=1', '-e', 'B=2', '--env=C=3', '-u', '1000:1000', '--cwd', '/tmp', 'c1', 'env'],
    ['exec', '-g', '10', '--additional-gids', '20', '--additional-gids=30', 'c1', 'id'],
    ['exec', '-c', 'CAP_KILL', '--cap', 'CAP_CHOWN', '--no-new-privs', '--apparmor', 'p', '--process-label', 'l', 'c1', 'true'],
    ['exec', '--cgroup', 'memory:sub', '--cgroup', 'cpu:other', '--ignore-paused', '--preserve-fds', '1', 'c1', 'true'],
    ['exec', '-p', '/p.json', '-d', '--pid-file=/p', 'c1'],
    ['exec', '--user', '0', '--cwd', '0x10', 'c1', 'true'],
    ['exec', '-d', 'c1', 'true', 'false'],
    ['exec', '-g', '10', '20', 'id'], // one value per -g: 20 is the id
    ['exec', '-e', '5', 'c1', 'env'],
  ])
    await sameAsYargs(argv);
});

test('state, start, kill, delete, list: as before, and as yargs reads them', async () => {
  assert.equal(parseFast(['--root', '/r', 'state', 'c1']), { globals: { root: '/r' }, command: 'state', args: { _: ['state'], id: 'c1' } });
  for (const argv of [
    ['--root', '/r', 'state', 'c1'],
    ['--root=/r', '--log', '/l', '--log-format', 'json', 'start', 'c1'],
    ['--debug', 'kill', 'c1'],
    ['kill', '--all', 'c1', '9'],
    ['kill', '-a', 'c1', 'KILL'],
    ['delete', '-f', 'c1'],
    ['delete', 'c1', '--force'],
    ['list'],
    ['list', '-q', '--format=json'],
    ['list', '-f', 'json'],
  ])
    await sameAsYargs(argv);
});

test('anything unusual is left to yargs', () => {
  for (const argv of [
    [],
    ['state'], // no id
    ['state', 'a', 'b'], // too many
    ['kill', 'a', 'KILL', 'x'],
    ['state', '--help'],
    ['--help'],
    ['help', 'state'],
    ['state', '-h', 'a'],
    ['--bogus', 'state', 'a'],
    ['state', '--bogus', 'a'],
    ['delete', '--force=true', 'a'], // a boolean with a value
    ['delete', '-f', 'true'], // yargs takes `true` as -f's value: no id left
    ['delete', '-f', '-f', 'a'], // repeated
    ['--root', '/a', '--root', '/b', 'state', 'a'],
    ['--root'], // a value missing
    ['--root', '-x', 'state', 'a'], // yargs: an empty root and an unknown -x
    ['--log-format', 'yaml', 'state', 'a'],
    ['list', '-f', 'yaml'],
    ['list', '--format'],
    ['--debug=true', 'state', 'a'],
    ['--debug', 'true', 'state', 'a'],
    ['-v'],
    ['ps', 'a'],
    ['rm', 'a'],
    ['kill', 'a', '-9'],
    ['state', '--', 'a'],
    ['__proto__', 'a'],
    // create / run
    ['create'],
    ['create', 'a', 'b'],
    ['create', '--help', 'a'],
    ['create', '--bundle'],
    ['create', '--bundle', '-x', 'a'],
    ['create', '--bundle=-x', 'a'],
    ['create', '-b', '/a', '--bundle', '/b', 'c'], // repeated through the alias
    ['create', '--pid-file', '/a', '--pid-file', '/b', 'c'], // yargs would make an array
    ['create', '--preserve-fds', 'x', 'c'],
    ['create', '--preserve-fds', '010', 'c'],
    ['create', '--preserve-fds', '-1', 'c'],
    ['create', '--preserve-fds=', 'c'],
    ['create', '--preserve-fds', '1e3', 'c'],
    ['create', '--no-pivot=false', 'c'],
    ['create', '--no-pivot', 'false', 'c'],
    ['create', '--pidFile', '/p', 'c'], // camelCase
    ['create', '--b', '/b', 'c'],
    ['create', '-'], // yargs reads `-` as an empty id
    ['state', '-'],
    ['exec', '-', 'sh'],
    ['create', '-b=/b', 'c'],
    ['create', '--detach', 'c'], // run's, not create's
    ['create', '--root', '/r', 'c'], // a global after the command word
    ['run', '-dt', 'c'],
    ['run', '-d', 'true', 'c'],
    ['run', '--', 'c'],
    // exec
    ['exec'],
    ['exec', '-t'],
    ['exec', '--help', 'c', 'sh'],
    ['exec', '-h', 'c', 'sh'],
    ['exec', '--', 'c', 'sh'],
    ['exec', '-x', 'c', 'sh'],
    ['exec', '-it', 'c', 'sh'],
    ['exec', '-t', 'true', 'c', 'sh'],
    ['exec', '-d', 'false', 'c', 'sh'],
    ['exec', '-t', '-t', 'c', 'sh'],
    ['exec', '--cwd', '/a', '--cwd', '/b', 'c', 'sh'],
    ['exec', '-e', '-X', 'c', 'sh'],
    ['exec', '-e'],
    ['exec', '-g', 'x', 'c', 'id'],
    ['exec', '-g', '0x10', 'c', 'id'],
    ['exec', '-g=30', 'c', 'id'],
    ['exec', '--keep', 'c', 'sh'], // run's, not exec's
    ['exec', '--no-new-privs=true', 'c', 'sh'],
  ]) assert.is(parseFast(argv), undefined, JSON.stringify(argv));
});

test.run();
