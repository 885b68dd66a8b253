// parseFast: the plain forms of state/start/kill/delete/list parsed without yargs, everything
// else left to yargs (undefined), so that yargs' behaviour and messages stay the only ones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFast } from '../../src/cli/fast';

test('the forms Docker and containerd use, with the defaults yargs would give', () => {
  assert.equal(parseFast(['--root', '/r', 'state', 'c1']), { globals: { root: '/r' }, command: 'state', args: { id: 'c1' } });
  assert.equal(parseFast(['--root=/r', '--log', '/l', '--log-format', 'json', 'start', 'c1']), {
    globals: { root: '/r', log: '/l', 'log-format': 'json' },
    command: 'start',
    args: { id: 'c1' },
  });
  assert.equal(parseFast(['--debug', 'kill', 'c1']), { globals: { debug: true }, command: 'kill', args: { id: 'c1', signal: 'SIGTERM', all: false } });
  assert.equal(parseFast(['kill', '--all', 'c1', '9'])!.args, { id: 'c1', signal: '9', all: true });
  assert.equal(parseFast(['kill', '-a', 'c1', 'KILL'])!.args, { id: 'c1', signal: 'KILL', all: true });
  assert.equal(parseFast(['delete', '-f', 'c1'])!.args, { id: 'c1', force: true });
  assert.equal(parseFast(['delete', 'c1', '--force'])!.args, { id: 'c1', force: true });
  assert.equal(parseFast(['list'])!.args, { format: 'table', quiet: false });
  assert.equal(parseFast(['list', '-q', '--format=json'])!.args, { format: 'json', quiet: true });
  assert.equal(parseFast(['list', '-f', 'json'])!.args, { format: 'json', quiet: false });
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
    ['delete', '-f', '-f', 'a'], // repeated
    ['--root', '/a', '--root', '/b', 'state', 'a'],
    ['--root'], // a value missing
    ['--log-format', 'yaml', 'state', 'a'],
    ['list', '-f', 'yaml'],
    ['list', '--format'],
    ['--debug=true', 'state', 'a'],
    ['-v'],
    ['create', 'a'],
    ['exec', 'a', 'true'],
    ['ps', 'a'],
    ['kill', 'a', '-9'],
    ['state', '--', 'a'],
  ]) assert.is(parseFast(argv), undefined, argv.join(' '));
});

test.run();
