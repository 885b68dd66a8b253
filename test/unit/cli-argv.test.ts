// The command line's shape before and after yargs (src/cli/argv.ts): global options and the
// command word, and each command's positionals counted as runc does, `--` included.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectPositionals, hasFlag, splitGlobal } from '../../src/cli/argv';

test('splitGlobal: global options (with their values) come before the command word', () => {
  assert.equal(splitGlobal(['--root', '/r', '--debug', '-v']), { globals: ['--root', '/r', '--debug', '-v'], command: undefined, rest: [] });
  assert.equal(splitGlobal(['--root=/r', 'state', '-v', 'x']), { globals: ['--root=/r'], command: 'state', rest: ['-v', 'x'] });
  assert.equal(splitGlobal(['--log', 'list', 'list']).command, 'list', "--log's value is not the command");
  assert.ok(hasFlag(['--root', 'x', '--version'], '--version', '-v'));
  assert.not.ok(hasFlag(['--root', '-v'], '--version'));
});

test('collectPositionals: named positionals, then what followed --, counted per command', () => {
  const a: any = { _: ['state', 'x'] };
  collectPositionals(a);
  assert.equal(a, { _: ['state'], id: 'x' });
  const k: any = { _: ['kill', '-x', 'KILL'] };
  collectPositionals(k);
  assert.equal([k.id, k.signal], ['-x', 'KILL']);
  const k2: any = { _: ['kill'], id: 'c' };
  collectPositionals(k2);
  assert.equal([k2.id, k2.signal], ['c', undefined]);
  assert.throws(() => collectPositionals({ _: ['state'] }), /runc-ts: "state" requires exactly 1 argument\(s\)/);
  assert.throws(() => collectPositionals({ _: ['state', 'b'], id: 'a' }), /requires exactly 1/);
  assert.throws(() => collectPositionals({ _: ['kill', 'a', 'b', 'c'] }), /"kill" requires a minimum of 1 and a maximum of 2 argument\(s\)/);
  const other: any = { _: ['exec', 'x', 'sh'] };
  collectPositionals(other);
  assert.equal(other, { _: ['exec', 'x', 'sh'] }, 'commands with their own parsing are left alone');
});

test.run();
