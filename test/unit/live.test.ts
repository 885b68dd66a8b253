// Pure parsing of the live-operation commands: sizes, durations, ps output, update flags.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filterPsOutput, mergeResources, parseDuration, pidIndex, ramInBytes, resourcesFromFlags } from '../../src/libcontainer/live';
import { parsePsArgv } from '../../src/cli/commands/live';

test('ramInBytes: binary units like docker/go-units (k, m, g, optional i and b, truncation)', () => {
  assert.is(ramInBytes('512k'), 512 * 1024);
  assert.is(ramInBytes('1g'), 1024 ** 3);
  assert.is(ramInBytes('1G'), 1024 ** 3);
  assert.is(ramInBytes('100M'), 100 * 1024 * 1024);
  assert.is(ramInBytes('100MB'), 100 * 1024 * 1024);
  assert.is(ramInBytes('3mib'), 3 * 1024 * 1024);
  assert.is(ramInBytes('3 MB'), 3 * 1024 * 1024);
  assert.is(ramInBytes('1.5k'), 1536);
  assert.is(ramInBytes('1.7'), 1);
  assert.is(ramInBytes('10'), 10);
  assert.is(ramInBytes('2t'), 2 * 1024 ** 4);
  assert.throws(() => ramInBytes('10x'), /invalid size: '10x'/);
  assert.throws(() => ramInBytes('-5'), /invalid size: '-5'/);
  assert.throws(() => ramInBytes(''), /invalid size/);
  assert.throws(() => ramInBytes('1.5.2m'), /strconv.ParseFloat: parsing "1.5.2": invalid syntax/);
});

test('parseDuration: Go durations in milliseconds', () => {
  assert.is(parseDuration('5s'), 5000);
  assert.is(parseDuration('100ms'), 100);
  assert.is(parseDuration('1m30s'), 90_000);
  assert.is(parseDuration('1.5h'), 5_400_000);
  assert.is(parseDuration('250us'), 0.25);
  assert.is(parseDuration('0'), 0);
  assert.is(parseDuration('-2s'), -2000);
  assert.throws(() => parseDuration('abc'), /invalid duration/);
  assert.throws(() => parseDuration('5'), /invalid duration/);
  assert.throws(() => parseDuration(''), /invalid duration/);
});

test('ps: PID column from the header, lines of the container kept', () => {
  assert.is(pidIndex('UID        PID  PPID  C STIME TTY          TIME CMD'), 1);
  assert.is(pidIndex('  PID COMMAND'), 0);
  assert.is(pidIndex('USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND'), 1);
  assert.throws(() => pidIndex('COMMAND'), /couldn't find PID field in ps output/);
  const out = [
    'UID        PID  PPID  C STIME TTY          TIME CMD',
    'root         1     0  0 10:00 ?        00:00:01 /sbin/init',
    'root       420     1  0 10:00 ?        00:00:00 sh -c sleep 1000 & wait',
    'root       421   420  0 10:00 ?        00:00:00 sleep 1000',
    'root      4200     1  0 10:00 ?        00:00:00 other 420',
    '',
  ].join('\n');
  assert.is(
    filterPsOutput(out, [420, 421]),
    'UID        PID  PPID  C STIME TTY          TIME CMD\nroot       420     1  0 10:00 ?        00:00:00 sh -c sleep 1000 & wait\nroot       421   420  0 10:00 ?        00:00:00 sleep 1000\n',
  );
  assert.is(filterPsOutput('  PID COMMAND\n', [1]), '  PID COMMAND\n');
  assert.throws(() => filterPsOutput('PID CMD\nabc x\n', [1]), /unable to parse pid/);
});

test('ps argv: runc stops at the id, the rest is for ps', () => {
  assert.equal(parsePsArgv(['c1']), { format: 'table', id: 'c1', psArgs: [] });
  assert.equal(parsePsArgv(['--format', 'json', 'c1']), { format: 'json', id: 'c1', psArgs: [] });
  assert.equal(parsePsArgv(['-f', 'json', 'c1']), { format: 'json', id: 'c1', psArgs: [] });
  assert.equal(parsePsArgv(['--format=json', 'c1']), { format: 'json', id: 'c1', psArgs: [] });
  assert.equal(parsePsArgv(['c1', '-o', 'pid,comm']), { format: 'table', id: 'c1', psArgs: ['-o', 'pid,comm'] });
  assert.equal(parsePsArgv(['c1', '-f']), { format: 'table', id: 'c1', psArgs: ['-f'] });
  assert.equal(parsePsArgv(['c1', '--', '-ef']), { format: 'table', id: 'c1', psArgs: ['-ef'] });
  assert.equal(parsePsArgv(['--', 'c1', 'aux']), { format: 'table', id: 'c1', psArgs: ['aux'] });
});

test('update flags: runc parsing, units, ignored and unset values', () => {
  assert.equal(resourcesFromFlags({}), {});
  assert.equal(resourcesFromFlags({ memory: '', pidsLimit: '0', blkioWeight: '0' }), {});
  assert.equal(resourcesFromFlags({ memory: '100M', memorySwap: '-1', memoryReservation: '512k' }), {
    memory: { limit: 104857600, swap: -1, reservation: 524288 },
  });
  assert.equal(resourcesFromFlags({ cpuShare: '512', cpuQuota: '-1', cpuPeriod: '100000', cpusetCpus: '0', cpusetMems: '0', cpuRtRuntime: '0', cpuRtPeriod: '1000000' }), {
    cpu: { cpus: '0', mems: '0', period: 100000, realtimePeriod: 1000000, shares: 512, quota: -1, realtimeRuntime: 0 },
  });
  assert.equal(resourcesFromFlags({ pidsLimit: '20', blkioWeight: '500' }), { pids: { limit: 20 }, blockIO: { weight: 500 } });
  assert.equal(resourcesFromFlags({ pidsLimit: '0x10' }), { pids: { limit: 16 } });
  assert.equal(resourcesFromFlags({ kernelMemory: '10M' }), { memory: { kernel: 0 } });
  assert.throws(() => resourcesFromFlags({ memory: '10x' }), /invalid value for memory: invalid size: '10x'/);
  assert.throws(() => resourcesFromFlags({ cpuShare: 'abc' }), /invalid value for cpu-share: strconv.ParseUint: parsing "abc": invalid syntax/);
  assert.throws(() => resourcesFromFlags({ cpuQuota: '1.5' }), /invalid value for cpu-quota: strconv.ParseInt/);
  assert.throws(() => resourcesFromFlags({ pidsLimit: 'abc' }), /invalid value "abc" for flag -pids-limit: parse error/);
});

test('update merge: given fields replace, the rest (devices, hugepages) stays; -1 memory means -1 swap', () => {
  const old = {
    devices: [{ allow: false, access: 'rwm' }],
    memory: { limit: 1000, reservation: 500 },
    cpu: { shares: 1024, cpus: '0-1' },
    pids: { limit: 10 },
    hugepageLimits: [{ pageSize: '2MB', limit: 0 }],
  };
  const warnings: string[] = [];
  const m = mergeResources(old, { memory: { limit: 2000, kernel: 0 }, cpu: { quota: 5000, cpus: '' }, pids: { limit: 20 } }, (w) => warnings.push(w));
  assert.equal(m, {
    devices: [{ allow: false, access: 'rwm' }],
    memory: { limit: 2000, reservation: 500 },
    cpu: { shares: 1024, cpus: '0-1', quota: 5000 },
    pids: { limit: 20 },
    hugepageLimits: [{ pageSize: '2MB', limit: 0 }],
  });
  assert.equal(warnings, ['Kernel memory settings are ignored and will be removed']);
  assert.equal(old.memory, { limit: 1000, reservation: 500 }, 'the old resources are not changed');
  assert.equal(mergeResources(undefined, { memory: { limit: -1 } }), { memory: { limit: -1, swap: -1 } });
  assert.equal(mergeResources(undefined, { memory: { limit: -1, swap: 0 } }), { memory: { limit: -1, swap: 0 } });
  assert.equal(mergeResources({}, { blockIO: { weight: 300, leafWeight: 10 }, unified: { 'pids.max': '5' } }), { blockIO: { weight: 300 }, unified: { 'pids.max': '5' } });
});

test.run();
