// The systemd driver's D-Bus client (worker thread + dbus-next) against a stand-in for systemd
// (test/fixtures/mock-systemd.cjs) on a private dbus-daemon: what goes over the wire (names,
// signatures, uint64s, byte arrays), job waiting, and systemd's errors. Real systemd is in the
// guest suite (test/guest/suites/systemd.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { haveDbusDaemon as haveDaemon, startMockSystemd, type MockSystemd } from '../helpers/mock-systemd';
import { systemdClient, type SystemdClient } from '../../src/cgroups/systemd-client';

let mock: MockSystemd | undefined;
let client: SystemdClient;
const callsFor = (unit: string, count: number) => mock!.callsFor(unit, count);

test.before(async () => {
  if (!haveDaemon) return;
  mock = await startMockSystemd();
  client = systemdClient();
});

test.after(() => {
  client?.close();
  mock?.stop();
});

const t = haveDaemon ? test : test.skip;
if (!haveDaemon) console.log('# skip: dbus-daemon is not installed (Debian package dbus)');

t('StartTransientUnit: properties marshalled with their signatures, job awaited', async () => {
  client.startUnit('runc-ts-a.scope', [
    ['Description', 's', 'libcontainer container a'],
    ['PIDs', 'au', [1234]],
    ['Delegate', 'b', true],
    ['MemoryMax', 't', 18446744073709551615n],
    ['AllowedCPUs', 'ay', [0x0b]],
    ['DeviceAllow', 'a(ss)', [['/dev/char/1:3', 'rwm'], ['char-pts', 'rwm']]],
    ['Wants', 'as', ['system.slice']],
  ]);
  const [c] = await callsFor('runc-ts-a.scope', 1);
  assert.equal(c, {
    member: 'StartTransientUnit',
    body: [
      'runc-ts-a.scope',
      'replace',
      [
        ['Description', { sig: 's', value: 'libcontainer container a' }],
        ['PIDs', { sig: 'au', value: [1234] }],
        ['Delegate', { sig: 'b', value: true }],
        ['MemoryMax', { sig: 't', value: '18446744073709551615' }],
        ['AllowedCPUs', { sig: 'ay', value: [11] }],
        ['DeviceAllow', { sig: 'a(ss)', value: [['/dev/char/1:3', 'rwm'], ['char-pts', 'rwm']] }],
        ['Wants', { sig: 'as', value: ['system.slice'] }],
      ],
      [],
    ],
  });
});

t('SetUnitProperties with runtime=true; errors from systemd name the method and the D-Bus error', async () => {
  client.setUnitProperties('runc-ts-a.scope', [['TasksMax', 't', 10n]]);
  assert.equal((await callsFor('runc-ts-a.scope', 2))[1], { member: 'SetUnitProperties', body: ['runc-ts-a.scope', true, [['TasksMax', { sig: 't', value: '10' }]]] });
  assert.throws(() => client.setUnitProperties('gone.scope', [['TasksMax', 't', 1n]]), /^systemd: SetUnitProperties: org\.freedesktop\.systemd1\.NoSuchUnit: Unit gone\.scope not loaded\.$/);
});

t('a failed job is an error and the unit is reset; a leftover unit is reset and started again', async () => {
  assert.throws(() => client.startUnit('fail-b.scope', []), /^systemd: error creating systemd unit `fail-b\.scope`: got `failed`$/);
  assert.equal((await callsFor('fail-b.scope', 2)).map((c) => c.member), ['StartTransientUnit', 'ResetFailedUnit']);
  client.startUnit('leftover-x.scope', []);
  assert.equal((await callsFor('leftover-x.scope', 3)).map((c) => c.member), ['StartTransientUnit', 'ResetFailedUnit', 'StartTransientUnit']);
});

t('StopUnit waits for the job and resets; a unit already gone is not an error', async () => {
  assert.is(client.stopUnit('runc-ts-a.scope'), undefined);
  assert.is(client.stopUnit('runc-ts-a.scope'), undefined);
  assert.equal((await callsFor('runc-ts-a.scope', 6)).slice(2).map((c) => c.member), ['StopUnit', 'ResetFailedUnit', 'StopUnit', 'ResetFailedUnit']);
});

t('Manager properties: Version as a number, ControlGroup', () => {
  assert.is(client.version(), 252);
  assert.is(client.controlGroup(), '/user.slice/user-1000.slice/user@1000.service');
});

test.run();
