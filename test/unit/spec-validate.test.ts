// Schema validation (src/spec/validate.ts with the generated validators): what passes, and the
// one-line message each kind of violation gives.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

// The validators are generated code (gitignored): make sure they exist and are current.
execFileSync(process.execPath, [join(__dirname, '../../scripts/gen-validators.mjs')], { stdio: 'inherit' });

import { defaultSpec } from '../../src/spec/default';
import { SpecError } from '../../src/spec/errors';
import {
  formatValidationErrors,
  validateConfig,
  validateLinuxResources,
  validateProcess,
  validateState,
} from '../../src/spec/validate';

function base(): any {
  return defaultSpec({ cgroupNamespace: false });
}

/** The SpecError message validateConfig throws for the default spec changed by `mut`. */
function configError(mut: (s: any) => void): string {
  const s = base();
  mut(s);
  try {
    validateConfig(s);
  } catch (e) {
    assert.instance(e, SpecError);
    const msg = (e as Error).message;
    assert.not.match(msg, /\n/);
    return msg;
  }
  throw new Error('validateConfig accepted an invalid config');
}

function accepts(mut: (s: any) => void): void {
  const s = base();
  mut(s);
  validateConfig(s);
}

/** A config using every 1.3.0 field this project knows of. */
function fullConfig(): any {
  const s = base();
  s.process.consoleSize = { height: 24, width: 80 };
  s.process.user = { uid: 1000, gid: 1000, umask: 18, additionalGids: [5, 6], username: 'u' };
  s.process.capabilities.inheritable = [];
  s.process.capabilities.ambient = ['CAP_KILL'];
  s.process.oomScoreAdj = -500;
  s.process.apparmorProfile = 'p';
  s.process.selinuxLabel = 'system_u:system_r:container_t:s0';
  s.process.scheduler = { policy: 'SCHED_DEADLINE', nice: -5, priority: 0, flags: ['SCHED_FLAG_RESET_ON_FORK'], runtime: 1, deadline: 2, period: 3 };
  s.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 4 };
  s.process.execCPUAffinity = { initial: '0-3, 7', final: '1' };
  s.domainname = 'example.org';
  s.annotations = { 'org.example.key': 'value' };
  s.hooks = {
    prestart: [{ path: '/bin/true' }],
    createRuntime: [{ path: '/bin/hook', args: ['hook', 'x'], env: ['A=b'], timeout: 5 }],
    createContainer: [{ path: '/bin/true' }],
    startContainer: [{ path: '/bin/true' }],
    poststart: [{ path: '/bin/true' }],
    poststop: [{ path: '/bin/true' }],
  };
  s.mounts.push({
    destination: '/data',
    type: 'bind',
    source: '/srv/data',
    options: ['rbind', 'idmap'],
    uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
  });
  s.mounts.push({ destination: '/tmp' });
  s.linux = {
    ...s.linux,
    namespaces: [
      { type: 'pid' },
      { type: 'network', path: '/var/run/netns/x' },
      { type: 'mount' },
      { type: 'ipc' },
      { type: 'uts' },
      { type: 'user' },
      { type: 'cgroup' },
      { type: 'time' },
    ],
    uidMappings: [{ containerID: 0, hostID: 1000, size: 32000 }],
    gidMappings: [{ containerID: 0, hostID: 1000, size: 32000 }],
    timeOffsets: { monotonic: { secs: -86400, nanosecs: 0 }, boottime: { secs: 1 } },
    devices: [
      { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0 },
      { path: '/dev/fifo', type: 'p' },
    ],
    netDevices: { eth1: { name: 'net0' }, eth2: {} },
    sysctl: { 'net.ipv4.ip_forward': '1' },
    cgroupsPath: '/runc-ts/test',
    resources: {
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
        { allow: true, type: 'a', major: null, minor: null, access: '' },
      ],
      memory: { limit: 536870912, reservation: 1, swap: -1, kernel: -1, kernelTCP: -1, swappiness: 0, disableOOMKiller: false, useHierarchy: true, checkBeforeUpdate: true },
      cpu: { shares: 1024, quota: 1000000, burst: 1000, period: 500000, realtimeRuntime: 950000, realtimePeriod: 1000000, cpus: '2-3', mems: '0-7', idle: 0 },
      pids: { limit: 32771 },
      blockIO: {
        weight: 10,
        leafWeight: 10,
        weightDevice: [{ major: 8, minor: 0, weight: 500, leafWeight: 300 }, { major: 8, minor: 16, leafWeight: 500 }],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 600 }],
        throttleWriteBpsDevice: [],
        throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 1 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 300 }],
      },
      hugepageLimits: [{ pageSize: '2MB', limit: 9223372036854772000 }, { pageSize: '64KB', limit: 1000000 }],
      network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }] },
      rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, rxe3: { hcaObjects: 10000 } },
      unified: { 'io.max': '259:0 rbps=2097152', 'hugetlb.1GB.max': '1073741824' },
    },
    seccomp: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_RISCV64'],
      flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
      listenerPath: '/run/seccomp-agent.sock',
      listenerMetadata: 'meta',
      syscalls: [
        { names: ['getcwd', 'chmod'], action: 'SCMP_ACT_ALLOW' },
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, valueTwo: 8, op: 'SCMP_CMP_MASKED_EQ' }] },
        ...['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY'].map((action) => ({ names: ['x'], action })),
        ...['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GE', 'SCMP_CMP_GT'].map((op) => ({ names: ['y'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 2, op }] })),
      ],
    },
    rootfsPropagation: 'slave',
    mountLabel: 'system_u:object_r:container_file_t:s0',
    intelRdt: { closID: 'guaranteed_group', l3CacheSchema: 'L3:0=7f0;1=1f', memBwSchema: 'MB:0=20;1=70', schemata: ['L2:0=f'], enableMonitoring: true, enableCMT: true, enableMBM: false },
    personality: { domain: 'LINUX32', flags: [] },
    memoryPolicy: { mode: 'MPOL_INTERLEAVE', nodes: '0-1', flags: ['MPOL_F_STATIC_NODES'] },
  };
  return s;
}

test('the default spec (plain, rootless, with a cgroup namespace) validates', () => {
  validateConfig(defaultSpec({ cgroupNamespace: false }));
  validateConfig(defaultSpec({ rootless: true, cgroupNamespace: true }));
});

test('a config using every 1.3.0 feature validates', () => {
  validateConfig(fullConfig());
});

test('configs from older 1.0.x writers validate (runc 1.1 output, extensions, Go-isms)', () => {
  accepts((s) => {
    s.ociVersion = '1.0.2-dev';
    s.process.capabilities.ambient = ['CAP_KILL'];
  });
  accepts((s) => (s.ociVersion = '1.0.0'));
  accepts((s) => (s.ociVersion = '1.2.1+dev.3'));
  // Unknown properties are extensions: allowed at the top level and inside objects.
  accepts((s) => {
    s['org.example.extension'] = { anything: [1, 2] };
    s.process['x-future'] = true;
    s.linux.resources['futureController'] = { limit: 'x' };
  });
  // Go's encoding of unset pointers and maps.
  accepts((s) => (s.annotations = null));
  accepts((s) => (s.linux.resources.devices[0].major = null));
  accepts((s) => (s.linux.namespaces[0].path = ''));
  // Mount type and source are optional since 1.0.0.
  accepts((s) => s.mounts.push({ destination: '/x' }));
  // runc also accepts the recursive propagation forms (Docker writes "rslave"/"rshared").
  for (const p of ['private', 'shared', 'slave', 'unbindable', 'rprivate', 'rshared', 'rslave', 'runbindable', '']) {
    accepts((s) => (s.linux.rootfsPropagation = p));
  }
  // uint64 limits at their maximum (RLIM_INFINITY) and int64 -1 "unlimited".
  accepts((s) => (s.process.rlimits[0].hard = 18446744073709551615));
  accepts((s) => (s.linux.resources.memory = { limit: -1, swap: 9223372036854775807 }));
});

test('type violations name the pointer', () => {
  assert.is(configError((s) => (s.process.user.uid = 'x')), 'config.json: /process/user/uid: must be integer');
  assert.is(configError((s) => (s.process.user.uid = 1.5)), 'config.json: /process/user/uid: must be integer');
  assert.is(configError((s) => (s.process.terminal = 'yes')), 'config.json: /process/terminal: must be boolean');
  assert.is(configError((s) => (s.mounts = {})), 'config.json: /mounts: must be array');
  assert.is(configError((s) => (s.mounts[2].options[1] = 7)), 'config.json: /mounts/2/options/1: must be string');
  assert.is(configError((s) => (s.linux = [])), 'config.json: /linux: must be object');
  assert.is(configError((s) => (s.annotations = 5)), 'config.json: /annotations: must be object or null');
  assert.is(configError((s) => (s.annotations = { a: 1 })), 'config.json: /annotations/a: must be string');
  assert.is(configError((s) => (s.linux.sysctl = { 'kernel.x': 1 })), 'config.json: /linux/sysctl/kernel.x: must be string');
  assert.is(configError((s) => (s.linux.resources.unified = { 'a/b': true })), 'config.json: /linux/resources/unified/a~1b: must be string');
  assert.is(configError((s) => (s.linux.resources.devices[0].major = 'x')), 'config.json: /linux/resources/devices/0/major: must be integer or null');
});

test('the document itself must be an object', () => {
  for (const v of [[], 'x', 1, null]) {
    assert.throws(() => validateConfig(v), (e: Error) => e.message === 'config.json: must be object');
  }
});

test('integer ranges (uint32, int32, uint64, int64) are enforced with exact limits', () => {
  assert.is(configError((s) => (s.process.user.uid = -1)), 'config.json: /process/user/uid: must be >= 0');
  assert.is(configError((s) => (s.process.user.gid = 4294967296)), 'config.json: /process/user/gid: must be <= 4294967295');
  assert.is(configError((s) => (s.process.user.additionalGids = [1, -2])), 'config.json: /process/user/additionalGids/1: must be >= 0');
  assert.is(configError((s) => (s.process.scheduler = { policy: 'SCHED_OTHER', nice: 2 ** 31 })), 'config.json: /process/scheduler/nice: must be <= 2147483647');
  assert.is(configError((s) => (s.process.rlimits[0].soft = 2 ** 65)), 'config.json: /process/rlimits/0/soft: must be <= 18446744073709551615');
  assert.is(configError((s) => (s.linux.resources.memory = { limit: 2 ** 64 })), 'config.json: /linux/resources/memory/limit: must be <= 9223372036854775807');
  assert.is(configError((s) => (s.linux.resources.memory = { limit: -(2 ** 65) })), 'config.json: /linux/resources/memory/limit: must be >= -9223372036854775808');
  assert.is(configError((s) => (s.linux.resources.blockIO = { weight: 65536 })), 'config.json: /linux/resources/blockIO/weight: must be <= 65535');
  assert.is(configError((s) => (s.hooks = { poststop: [{ path: '/bin/true', timeout: 0 }] })), 'config.json: /hooks/poststop/0/timeout: must be >= 1');
  assert.is(configError((s) => (s.linux.timeOffsets = { monotonic: { nanosecs: -1 } })), 'config.json: /linux/timeOffsets/monotonic/nanosecs: must be >= 0');
});

test('enums: namespaces, seccomp actions/operators/arches/flags, and the rest', () => {
  assert.is(
    configError((s) => (s.linux.namespaces[0].type = 'foo')),
    'config.json: /linux/namespaces/0/type: must be one of pid, network, mount, ipc, uts, user, cgroup, time',
  );
  assert.is(
    configError((s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_BOGUS' })),
    'config.json: /linux/seccomp/defaultAction: must be one of SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_NOTIFY',
  );
  assert.match(
    configError((s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'EQ' }] }] })),
    /^config\.json: \/linux\/seccomp\/syscalls\/0\/args\/0\/op: must be one of SCMP_CMP_NE, .*SCMP_CMP_MASKED_EQ$/,
  );
  assert.match(
    configError((s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_Z80'] })),
    /^config\.json: \/linux\/seccomp\/architectures\/0: must be one of SCMP_ARCH_X86, SCMP_ARCH_X86_64, /,
  );
  assert.is(
    configError((s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] })),
    'config.json: /linux/seccomp/flags/0: must be one of SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
  );
  assert.is(configError((s) => (s.linux.devices = [{ path: '/dev/x', type: 'x', major: 1, minor: 1 }])), 'config.json: /linux/devices/0/type: must be one of c, b, u, p');
  assert.is(configError((s) => (s.linux.resources.devices[0].type = 'p')), 'config.json: /linux/resources/devices/0/type: must be one of a, c, b');
  assert.is(configError((s) => (s.linux.personality = { domain: 'LINUX64' })), 'config.json: /linux/personality/domain: must be one of LINUX, LINUX32');
  assert.is(configError((s) => (s.process.ioPriority = { class: 'RT' })), 'config.json: /process/ioPriority/class: must be one of IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE');
  assert.match(configError((s) => (s.process.scheduler = { policy: 'SCHED_FAST' })), /^config\.json: \/process\/scheduler\/policy: must be one of SCHED_OTHER, /);
  assert.match(configError((s) => (s.linux.memoryPolicy = { mode: 'MPOL_X' })), /^config\.json: \/linux\/memoryPolicy\/mode: must be one of MPOL_DEFAULT, /);
  assert.match(configError((s) => (s.linux.memoryPolicy = { mode: 'MPOL_BIND', flags: ['X'] })), /^config\.json: \/linux\/memoryPolicy\/flags\/0: must be one of MPOL_F_NUMA_BALANCING, /);
  assert.match(configError((s) => (s.linux.rootfsPropagation = 'private2')), /^config\.json: \/linux\/rootfsPropagation: must be one of private, shared, slave, unbindable, .*, ""$/);
});

test('required fields name the missing property', () => {
  assert.is(configError((s) => delete s.ociVersion), 'config.json: /ociVersion: is required but missing');
  assert.is(configError((s) => delete s.process.cwd), 'config.json: /process/cwd: is required but missing');
  assert.is(configError((s) => delete s.process.user), 'config.json: /process/user: is required but missing');
  assert.is(configError((s) => delete s.process.user.gid), 'config.json: /process/user/gid: is required but missing');
  assert.is(configError((s) => delete s.root.path), 'config.json: /root/path: is required but missing');
  assert.is(configError((s) => delete s.mounts[0].destination), 'config.json: /mounts/0/destination: is required but missing');
  assert.is(configError((s) => delete s.process.rlimits[0].soft), 'config.json: /process/rlimits/0/soft: is required but missing');
  assert.is(configError((s) => (s.linux.namespaces = [{ path: '/proc/1/ns/pid' }])), 'config.json: /linux/namespaces/0/type: is required but missing');
  assert.is(configError((s) => (s.linux.uidMappings = [{ containerID: 0, hostID: 0 }])), 'config.json: /linux/uidMappings/0/size: is required but missing');
  assert.is(configError((s) => s.mounts.push({ destination: '/m', uidMappings: [{ hostID: 1, size: 1 }] })), 'config.json: /mounts/7/uidMappings/0/containerID: is required but missing');
  assert.is(configError((s) => (s.hooks = { prestart: [{ args: [] }] })), 'config.json: /hooks/prestart/0/path: is required but missing');
  assert.is(configError((s) => (s.linux.seccomp = {})), 'config.json: /linux/seccomp/defaultAction: is required but missing');
  assert.is(configError((s) => (s.linux.resources.pids = {})), 'config.json: /linux/resources/pids/limit: is required but missing');
  assert.is(configError((s) => (s.linux.resources.hugepageLimits = [{ pageSize: '2MB' }])), 'config.json: /linux/resources/hugepageLimits/0/limit: is required but missing');
  assert.is(configError((s) => (s.linux.resources.blockIO = { throttleReadBpsDevice: [{ major: 8, minor: 0 }] })), 'config.json: /linux/resources/blockIO/throttleReadBpsDevice/0/rate: is required but missing');
  assert.is(configError((s) => (s.linux.resources.blockIO = { throttleReadBpsDevice: [{ major: 8, rate: 1 }] })), 'config.json: /linux/resources/blockIO/throttleReadBpsDevice/0/minor: is required but missing');
  assert.is(configError((s) => (s.linux.resources.devices = [{ access: 'rwm' }])), 'config.json: /linux/resources/devices/0/allow: is required but missing');
  assert.is(configError((s) => (s.process.consoleSize = { height: 1 })), 'config.json: /process/consoleSize/width: is required but missing');
  assert.is(configError((s) => (s.linux.personality = {})), 'config.json: /linux/personality/domain: is required but missing');
  assert.is(configError((s) => (s.linux.memoryPolicy = { nodes: '0' })), 'config.json: /linux/memoryPolicy/mode: is required but missing');
});

test('conditional rules: device numbers, at-least-one-of, seccomp listener, non-empty names', () => {
  // major/minor are REQUIRED unless the device is a fifo.
  assert.is(configError((s) => (s.linux.devices = [{ type: 'c', path: '/dev/x', major: 1 }])), 'config.json: /linux/devices/0/minor: is required but missing');
  assert.is(configError((s) => (s.linux.devices = [{ type: 'b', path: '/dev/x' }])), 'config.json: /linux/devices/0/major: is required but missing');
  accepts((s) => (s.linux.devices = [{ type: 'p', path: '/dev/fifo' }]));
  assert.is(
    configError((s) => (s.linux.resources.blockIO = { weightDevice: [{ major: 8, minor: 0 }] })),
    'config.json: /linux/resources/blockIO/weightDevice/0: must set at least one of weight, leafWeight',
  );
  // A branch error deeper than the anyOf wins over the summary.
  assert.is(configError((s) => (s.linux.resources.blockIO = { weightDevice: [{ major: 8, minor: 0, weight: -1 }] })), 'config.json: /linux/resources/blockIO/weightDevice/0/weight: must be >= 0');
  assert.is(configError((s) => (s.linux.resources.blockIO = { weightDevice: [{ minor: 0, weight: 1 }] })), 'config.json: /linux/resources/blockIO/weightDevice/0/major: is required but missing');
  assert.is(configError((s) => (s.linux.resources.rdma = { mlx4_0: {} })), 'config.json: /linux/resources/rdma/mlx4_0: must set at least one of hcaHandles, hcaObjects');
  assert.is(configError((s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'm' })), 'config.json: /linux/seccomp/listenerPath: is required when listenerMetadata is set');
  assert.is(configError((s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] })), 'config.json: /linux/seccomp/syscalls/0/names: must have at least 1 item');
  assert.is(configError((s) => (s.annotations = { '': 'x' })), 'config.json: /annotations: property name "" must not be empty');
});

test('patterns get a readable rule', () => {
  assert.is(configError((s) => (s.ociVersion = '1.0')), 'config.json: /ociVersion: must be a SemVer 2.0.0 version such as "1.3.0"');
  assert.is(configError((s) => (s.process.cwd = 'relative/dir')), 'config.json: /process/cwd: must be an absolute path');
  assert.is(configError((s) => (s.hooks = { poststart: [{ path: 'true' }] })), 'config.json: /hooks/poststart/0/path: must be an absolute path');
  assert.is(configError((s) => (s.linux.namespaces[1].path = 'netns')), 'config.json: /linux/namespaces/1/path: must be an absolute path');
  assert.is(configError((s) => (s.process.rlimits[0].type = 'NOFILE')), 'config.json: /process/rlimits/0/type: must be an rlimit name such as RLIMIT_NOFILE');
  assert.is(configError((s) => (s.linux.resources.devices[0].access = 'rwx')), 'config.json: /linux/resources/devices/0/access: must be a combination of r, w and m');
  assert.is(configError((s) => (s.linux.resources.hugepageLimits = [{ pageSize: '2M', limit: 1 }])), 'config.json: /linux/resources/hugepageLimits/0/pageSize: must be a page size such as 64KB, 2MB or 1GB');
  assert.is(configError((s) => (s.linux.intelRdt = { memBwSchema: 'L3:0=1' })), 'config.json: /linux/intelRdt/memBwSchema: must start with "MB:" and contain no newline');
  assert.is(configError((s) => (s.process.execCPUAffinity = { initial: 'all' })), 'config.json: /process/execCPUAffinity/initial: must be a CPU list such as "0-3,7"');
});

test('the deepest error wins when ajv reports several', () => {
  const msg = formatValidationErrors(
    [
      { instancePath: '/a/b/c', schemaPath: '#/x/type', keyword: 'type', params: { type: 'string' } },
      { instancePath: '/a', schemaPath: '#/oneOf', keyword: 'oneOf', params: { passingSchemas: null } },
      { instancePath: '/a/b', schemaPath: '#/y/type', keyword: 'type', params: { type: 'null' } },
    ],
    'x.json',
  );
  assert.is(msg, 'x.json: /a/b/c: must be string');
  // Only summary errors: still one line naming the pointer.
  assert.is(formatValidationErrors([{ instancePath: '/q', schemaPath: '#/not', keyword: 'not', params: {} }], 'x.json'), 'x.json: /q: fails "not" {}');
});

test('validateState: the spec state, with pid required while created/running', () => {
  const st = { ociVersion: '1.3.0', id: 'c1', status: 'running', pid: 4422, bundle: '/containers/redis', annotations: { myKey: 'myValue' } };
  validateState(st);
  validateState({ ...st, status: 'creating', pid: undefined });
  validateState({ ...st, status: 'stopped', pid: 0 });
  validateState({ ...st, status: 'paused' });
  const err = (v: unknown) => {
    try {
      validateState(v);
    } catch (e) {
      assert.instance(e, SpecError);
      return (e as Error).message;
    }
    throw new Error('validateState accepted an invalid state');
  };
  const { pid: _pid, ...noPid } = st;
  assert.is(err(noPid), 'state.json: /pid: is required but missing');
  assert.is(err({ ...noPid, status: 'created' }), 'state.json: /pid: is required but missing');
  assert.is(err({ ...st, status: 'zombie' }), 'state.json: /status: must be one of creating, created, running, stopped, paused');
  assert.is(err({ ...st, bundle: 'relative' }), 'state.json: /bundle: must be an absolute path');
  assert.is(err({ ...st, id: '' }), 'state.json: /id: must not be empty');
  assert.is(err({ ...st, pid: '1' }), 'state.json: /pid: must be integer');
  const { id: _id, ...noId } = st;
  assert.is(err(noId), 'state.json: /id: is required but missing');
});

test('validateProcess and validateLinuxResources check the pieces alone, with their own label', () => {
  const proc = base().process;
  validateProcess(proc);
  assert.throws(() => validateProcess({ ...proc, args: 'sh' }, 'process.json'), (e: Error) => e.message === 'process.json: /args: must be array');
  assert.throws(() => validateProcess({ user: { uid: 0, gid: 0 } }), (e: Error) => e.message === 'process.json: /cwd: is required but missing');
  validateLinuxResources(fullConfig().linux.resources);
  assert.throws(
    () => validateLinuxResources({ memory: { limit: '1G' } }, 'update --resources'),
    (e: Error) => e.message === 'update --resources: /memory/limit: must be integer',
  );
});

test('validate.ts never loads the ajv compiler', () => {
  validateConfig(fullConfig());
  const cached = Object.keys(require.cache);
  // The check below only means something if this process's module cache is what we look at.
  assert.ok(cached.some((p) => p.endsWith('/src/spec/generated/validators.js')), 'generated validators not in require.cache');
  const loaded = cached.filter((p) => p.includes('/node_modules/ajv/'));
  assert.ok(loaded.every((p) => p.includes('/ajv/dist/runtime/')), `unexpected ajv modules: ${loaded.join(', ')}`);
});

test.run();
