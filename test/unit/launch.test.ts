// The launch path's pieces that need no container: the undo stack, the fault hook, the typed
// CLI<->init protocol, the state.json loader, the per-architecture table, the engine binary's fd.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rollback, faultPoint } from '../../src/libcontainer/launch';
import { decodeMessage, type InitMessage, type ParentMessage } from '../../src/libcontainer/init/config';
import { parseState, STATE_VERSION } from '../../src/libcontainer/state';
import { RuntimeError } from '../../src/libcontainer/errors';
import { assertSupportedArch } from '../../src/libcontainer/sys/arch';
import { aboveStdio } from '../../src/libcontainer/init-process';
import { closeSync, fstatSync, openSync } from 'node:fs';

test('Rollback: undoes in reverse, each once; a released resource is not undone again', async () => {
  const done: string[] = [];
  const rb = new Rollback();
  rb.push('a', () => done.push('a'));
  const releaseB = rb.push('b', () => done.push('b'));
  rb.push('c', () => done.push('c'));
  await releaseB();
  await releaseB();
  assert.equal(done, ['b']);
  await rb.unwind(() => {});
  assert.equal(done, ['b', 'c', 'a']);
  await rb.unwind(() => {});
  assert.equal(done, ['b', 'c', 'a'], 'unwinding twice releases nothing twice');
});

test('Rollback: a failing undo is a warning, the rest still runs', async () => {
  const warnings: string[] = [];
  const done: string[] = [];
  const rb = new Rollback();
  rb.push('first', () => done.push('first'));
  rb.push('broken', () => {
    throw new Error('EBUSY');
  });
  await rb.unwind((w) => warnings.push(w));
  assert.equal(done, ['first']);
  assert.equal(warnings, ['cleanup after failure: broken: EBUSY']);
});

test('Rollback: commit keeps everything', async () => {
  const done: string[] = [];
  const rb = new Rollback();
  rb.push('x', () => done.push('x'));
  rb.commit();
  await rb.unwind(() => {});
  assert.equal(done, []);
});

test('faultPoint: RUNC_TS_FAULT=<step> or <kind>:<step> fails there with FAULT_INJECTED', () => {
  const saved = process.env.RUNC_TS_FAULT;
  try {
    process.env.RUNC_TS_FAULT = 'pid-file';
    assert.throws(() => faultPoint('exec', 'pid-file'), (e: RuntimeError) => e.code === 'FAULT_INJECTED');
    faultPoint('exec', 'spawn');
    process.env.RUNC_TS_FAULT = 'create:hooks';
    assert.throws(() => faultPoint('create', 'hooks'), /fault injected after create step hooks/);
    faultPoint('exec', 'hooks');
  } finally {
    if (saved === undefined) delete process.env.RUNC_TS_FAULT;
    else process.env.RUNC_TS_FAULT = saved;
  }
});

test('protocol: a message of an expected type is returned typed', () => {
  const m = decodeMessage<InitMessage, 'ready' | 'error'>('{"type":"error","message":"mount: EPERM","errno":1,"code":"EPERM"}', ['ready', 'error'], 'the init');
  assert.is(m.type, 'error');
  if (m.type === 'error') assert.is(m.errno, 1);
});

test('protocol: unknown, out-of-order, malformed and incomplete messages are errors', () => {
  const isProtocol = (e: RuntimeError) => e.code === 'PROTOCOL';
  assert.throws(() => decodeMessage<InitMessage, 'ready'>('{"type":"surprise"}', ['ready'], 'the init'), isProtocol);
  assert.throws(() => decodeMessage<InitMessage, 'ready'>('{"type":"hooks"}', ['ready'], 'the init'), /sent "hooks" \(expected ready\)/);
  assert.throws(() => decodeMessage<InitMessage, 'ready'>('not json', ['ready'], 'the init'), isProtocol);
  assert.throws(() => decodeMessage<InitMessage, 'ready'>('null', ['ready'], 'the init'), isProtocol);
  assert.throws(() => decodeMessage<ParentMessage, 'hooks-failed'>('{"type":"hooks-failed"}', ['hooks-failed'], 'the runtime'), /without message/);
  assert.throws(() => decodeMessage<ParentMessage, 'config'>('{"type":"config","config":null}', ['config'], 'the runtime'), /without config/);
});

const v1 = { version: STATE_VERSION, id: 'c', bundle: '/b', rootfs: '/b/rootfs', pid: 7, pidStartTime: '123', created: '2026-01-01T00:00:00Z', owner: 'root', config: { ociVersion: '1.0.2' }, cgroup: null };

test('state.json: the current layout loads as is', () => {
  assert.equal(parseState(JSON.stringify(v1), 'state.json'), { ...v1, rootless: undefined });
});

test('state.json: the version-0 layout loads without its dead fields', () => {
  const { version: _, ...rest } = v1;
  const old = { ...rest, annotations: { a: 'b' }, namespacePaths: { pid: '/proc/7/ns/pid' }, started: true };
  const s = parseState(JSON.stringify(old), 'state.json') as any;
  assert.is(s.version, STATE_VERSION);
  assert.is(s.namespacePaths, undefined);
  assert.is(s.started, undefined);
  assert.is(s.annotations, undefined);
});

test('state.json: bad files are errors naming the file and the field', () => {
  assert.throws(() => parseState('null', '/r/c/state.json'), /\/r\/c\/state.json: expected a JSON object, found null/);
  assert.throws(() => parseState('{', '/r/c/state.json'), /\/r\/c\/state.json: invalid JSON/);
  assert.throws(() => parseState(JSON.stringify({ ...v1, pid: 'x' }), 's'), /pid: expected a non-negative integer/);
  assert.throws(() => parseState(JSON.stringify({ ...v1, version: 99 }), 's'), /version 99/);
  assert.throws(() => parseState(JSON.stringify({ ...v1, config: [] }), 's'), /config: expected an object/);
});

test('architecture: x64 and arm64 have tables, anything else is refused by name', () => {
  assert.is(assertSupportedArch('x64').sys.pivot_root, 155);
  assert.is(assertSupportedArch('arm64').sys.pivot_root, 41);
  assert.throws(() => assertSupportedArch('riscv64'), /unsupported architecture riscv64/);
});

// The init is spawned as /proc/self/fd/<n> of the sealed engine binary, resolved in the child
// after stdio[i] was put at fd i: n below stdio's length named another file there (an idmapped
// mount's user namespace) and execve failed with EACCES (seen in the conformance run).
test('the engine binary fd is moved above the fds the init gets as stdio', () => {
  const fd = openSync('/proc/self/exe', 'r');
  const ino = fstatSync(fd).ino;
  const moved = aboveStdio(fd, fd + 10);
  try {
    assert.ok(moved >= fd + 10, `fd ${moved} is not above ${fd + 10}`);
    assert.is(fstatSync(moved).ino, ino);
    assert.throws(() => fstatSync(fd), /EBADF/);
  } finally {
    closeSync(moved);
  }
  const high = openSync('/proc/self/exe', 'r');
  assert.is(aboveStdio(high, 3), high, 'an fd already above stdio stays');
  closeSync(high);
});

test.run();
