// config.md#process: args, env, cwd, user, additionalGids, umask, rlimits, capabilities,
// noNewPrivileges, oomScoreAdj; config-linux.md#sysctl; config.md#hostname, #domainname; stdio.
import { eq, match, ok, sameSet } from '../lib/assert';
import { Case } from '../lib/context';
import { capSets, STATUS, tmpTmpfs } from '../lib/probes';
import { LIMIT_ROWS, parseLimits, parseStatus } from '../lib/proc';

const CAPS_SPEC = 'config.md#linux-process (capabilities)';

export const cases: Case[] = [
  {
    name: 'process/args passed exactly',
    spec: 'config.md#process (args)',
    async run(t) {
      const args = ['sh', '-c', 'tr "\\0" "\\n" </proc/1/cmdline; exit 0', 'arg one', '  two  spaces ', 'quote"s\'', '', 'ünïcödé', '$HOME'];
      const r = await t.run(t.bundle((c) => { c.process.args = args; }));
      eq(r.code, 0, `exit code (stderr: ${r.stderr.trim()})`);
      eq(r.stdout, args.join('\n') + '\n', '/proc/1/cmdline');
    },
  },
  {
    name: 'process/env passed exactly',
    spec: 'config.md#process (env)',
    async run(t) {
      const env = ['PATH=/bin:/usr/bin', 'TERM=dumb', 'WITH_SPACE=a b  c', 'EMPTY=', 'EQUALS=x=y=z', 'HOME=/home/conf'];
      const out = await t.sh((c) => { c.process.env = env; }, 'tr "\\0" "\\n" </proc/1/environ');
      eq(out.split('\n').filter(Boolean), env, '/proc/1/environ');
    },
  },
  {
    name: 'process/cwd',
    spec: 'config.md#process (cwd)',
    async run(t) {
      const p = await t.inside((c) => { c.process.cwd = '/etc'; }, { cwd: 'readlink /proc/1/cwd', pwd: 'pwd' });
      eq(p.cwd.out.trim(), '/etc', '/proc/1/cwd');
      eq(p.pwd.out.trim(), '/etc', 'pwd');
    },
  },
  {
    name: 'process/user uid and gid',
    spec: 'config.md#posix-platform-user',
    async run(t) {
      const p = await t.inside((c) => { c.process.user = { uid: 1000, gid: 100 }; }, { status: STATUS, id: 'id' });
      const s = parseStatus(p.status.out);
      eq(s.Uid.split(/\s+/), ['1000', '1000', '1000', '1000'], 'Uid (real, effective, saved, fs)');
      eq(s.Gid.split(/\s+/), ['100', '100', '100', '100'], 'Gid (real, effective, saved, fs)');
      match(p.id.out, /^uid=1000\(tester\) gid=100\(users\)/, 'id');
    },
  },
  {
    name: 'process/user additionalGids',
    spec: 'config.md#posix-platform-user',
    async run(t) {
      const p = await t.inside((c) => { c.process.user = { uid: 1000, gid: 1000, additionalGids: [5, 29, 100, 4242] }; }, { status: STATUS });
      const s = parseStatus(p.status.out);
      sameSet(s.Groups.split(/\s+/).filter(Boolean), ['5', '29', '100', '4242'], 'Groups');
    },
  },
  {
    name: 'process/user umask',
    spec: 'config.md#posix-platform-user',
    async run(t) {
      const p = await t.inside((c) => {
        tmpTmpfs(c);
        c.process.user = { uid: 0, gid: 0, umask: 0o027 };
      }, { status: STATUS, file: 'touch /tmp/f && mkdir /tmp/d && stat -c %a /tmp/f /tmp/d' });
      eq(parseStatus(p.status.out).Umask, '0027', 'Umask in /proc/1/status');
      eq(p.file.out.trim().split('\n'), ['640', '750'], 'modes of a new file and directory');
    },
  },
  {
    name: 'process/rlimits',
    spec: 'config.md#posix-process (rlimits)',
    async run(t) {
      const rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 512, hard: 1000 },
        { type: 'RLIMIT_CORE', soft: 1024, hard: 4096 },
        { type: 'RLIMIT_MSGQUEUE', soft: 4096, hard: 8192 },
        { type: 'RLIMIT_NPROC', soft: 500, hard: 1000 },
        { type: 'RLIMIT_CPU', soft: 3600, hard: 7200 },
      ];
      const lim = parseLimits(await t.sh((c) => { c.process.rlimits = rlimits; }, 'cat /proc/1/limits'));
      for (const r of rlimits) eq(lim[LIMIT_ROWS[r.type]], { soft: String(r.soft), hard: String(r.hard) }, `${r.type} in /proc/1/limits`);
    },
  },
  {
    name: 'process/capabilities as root (all five sets)',
    spec: CAPS_SPEC,
    async run(t) {
      const caps = {
        bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_NET_RAW', 'CAP_SYS_CHROOT'],
        permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'],
        effective: ['CAP_CHOWN', 'CAP_KILL'],
        inheritable: ['CAP_KILL', 'CAP_NET_RAW', 'CAP_SYS_CHROOT'],
        ambient: ['CAP_KILL', 'CAP_NET_RAW'],
      };
      const got = capSets(await t.sh((c) => { c.process.capabilities = caps; }, STATUS));
      sameSet(got.bounding, caps.bounding, 'CapBnd');
      sameSet(got.inheritable, caps.inheritable, 'CapInh');
      sameSet(got.ambient, caps.ambient, 'CapAmb');
      // execve as uid 0 without file caps computes P' = bounding ∪ inheritable, but the default
      // noNewPrivileges caps that at the old permitted set, and root's E' = P' (capabilities(7)).
      sameSet(got.permitted, caps.permitted, 'CapPrm (root, noNewPrivileges: the permitted set)');
      sameSet(got.effective, caps.permitted, 'CapEff (root after execve: = permitted)');
    },
  },
  {
    name: 'process/capabilities as root without noNewPrivileges',
    spec: CAPS_SPEC,
    async run(t) {
      const caps = {
        bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_SETUID', 'CAP_NET_RAW'],
        permitted: ['CAP_KILL'],
        effective: ['CAP_KILL'],
        inheritable: ['CAP_NET_RAW'],
        ambient: [],
      };
      const got = capSets(await t.sh((c) => {
        c.process.noNewPrivileges = false;
        c.process.capabilities = caps;
      }, STATUS));
      sameSet(got.bounding, caps.bounding, 'CapBnd');
      sameSet(got.inheritable, caps.inheritable, 'CapInh');
      sameSet(got.ambient, [], 'CapAmb');
      // Without noNewPrivileges, execve as uid 0 gives P' = E' = bounding ∪ inheritable.
      sameSet(got.permitted, caps.bounding, 'CapPrm (root after execve: bounding ∪ inheritable)');
      sameSet(got.effective, caps.bounding, 'CapEff (root after execve: bounding ∪ inheritable)');
    },
  },
  {
    name: 'process/capabilities as non-root with ambient',
    spec: CAPS_SPEC,
    async run(t) {
      const caps = {
        bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_DAC_OVERRIDE'],
        permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
        effective: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
        ambient: ['CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
      };
      const got = capSets(await t.sh((c) => {
        c.process.user = { uid: 1000, gid: 1000 };
        c.process.capabilities = caps;
      }, STATUS));
      sameSet(got.bounding, caps.bounding, 'CapBnd');
      sameSet(got.inheritable, caps.inheritable, 'CapInh');
      sameSet(got.ambient, caps.ambient, 'CapAmb');
      // execve as non-root without file caps: P' = E' = ambient.
      sameSet(got.permitted, caps.ambient, 'CapPrm (non-root after execve: ambient)');
      sameSet(got.effective, caps.ambient, 'CapEff (non-root after execve: ambient)');
    },
  },
  {
    name: 'process/capabilities empty',
    spec: CAPS_SPEC,
    async run(t) {
      const p = await t.inside((c) => {
        tmpTmpfs(c);
        c.process.capabilities = { bounding: [], permitted: [], effective: [], inheritable: [], ambient: [] };
      }, { status: STATUS, chown: 'touch /tmp/f && chown 1000 /tmp/f' });
      const got = capSets(p.status.out);
      for (const [k, v] of Object.entries(got)) eq(v, [], `${k} set`);
      ok(p.chown.rc !== 0, 'chown without CAP_CHOWN must fail');
      match(p.chown.out, /Operation not permitted/, 'chown error');
    },
  },
  {
    name: 'process/noNewPrivileges',
    spec: 'config.md#linux-process (noNewPrivileges)',
    async run(t) {
      const on = parseStatus(await t.sh((c) => { c.process.noNewPrivileges = true; }, STATUS));
      eq(on.NoNewPrivs, '1', 'NoNewPrivs with noNewPrivileges: true');
      const off = parseStatus(await t.sh((c) => { c.process.noNewPrivileges = false; }, STATUS));
      eq(off.NoNewPrivs, '0', 'NoNewPrivs with noNewPrivileges: false');
    },
  },
  {
    name: 'process/oomScoreAdj',
    spec: 'config.md#linux-process (oomScoreAdj)',
    async run(t) {
      const out = await t.sh((c) => { c.process.oomScoreAdj = 432; }, 'cat /proc/1/oom_score_adj');
      eq(out.trim(), '432', '/proc/1/oom_score_adj');
    },
  },
  {
    name: 'process/scheduler',
    spec: 'config.md#linux-process (scheduler)',
    runcGap: 'runc 1.1 does not know process.scheduler (runtime-spec 1.2, runc 1.2)',
    async run(t) {
      // /proc/1/stat: field 19 is the nice value, field 41 the policy (3 = SCHED_BATCH).
      const out = await t.sh((c) => { c.process.scheduler = { policy: 'SCHED_BATCH', nice: 7 }; }, "awk '{print $19, $41}' /proc/1/stat");
      eq(out.trim(), '7 3', 'nice and policy of pid 1');
    },
  },
  {
    name: 'process/ioPriority',
    spec: 'config.md#linux-process (ioPriority)',
    runcGap: 'runc 1.1 does not know process.ioPriority (runtime-spec 1.2, runc 1.2)',
    async run(t) {
      const out = await t.sh((c) => { c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 }; }, 'ionice -p 1');
      match(out, /best-effort: prio 6/, 'ionice -p 1');
    },
  },
  {
    name: 'process/execCPUAffinity',
    spec: 'config.md#linux-process (execCPUAffinity)',
    runcGap: 'runc 1.1 does not know process.execCPUAffinity (runtime-spec 1.3, runc 1.3)',
    async run(t) {
      const out = await t.sh((c) => { c.process.execCPUAffinity = { initial: '0', final: '0' }; }, 'grep Cpus_allowed_list /proc/1/status');
      match(out, /Cpus_allowed_list:\s+0\n/, 'the final affinity of pid 1');
    },
  },
  {
    name: 'linux/personality LINUX32',
    spec: 'config-linux.md#personality',
    runcGap: 'runc 1.1 does not know linux.personality (runtime-spec 1.1, runc 1.2)',
    async run(t) {
      const out = await t.sh((c) => { c.linux.personality = { domain: 'LINUX32' }; }, 'uname -m');
      match(out, /^i[3-6]86\n$/, 'uname -m under the 32-bit personality');
    },
  },
  {
    name: 'process/exit code through run',
    spec: 'runtime.md#lifecycle',
    async run(t) {
      const r = await t.run(t.bundle((c) => { c.process.args = ['sh', '-c', 'exit 42']; }));
      eq(r.code, 42, 'exit code of `run`');
    },
  },
  {
    name: 'process/stdio without a terminal',
    spec: 'config.md#process (terminal)',
    async run(t) {
      const b = t.bundle((c) => { c.process.args = ['sh', '-c', 'read line; echo "out:$line"; echo "err:$line" >&2']; });
      const r = await t.cli(['run', '--bundle', b.dir, t.id()], { input: 'hello stdin\n' });
      eq(r.code, 0, 'exit code');
      eq(r.stdout, 'out:hello stdin\n', 'stdout');
      match(r.stderr, /^err:hello stdin$/m, 'stderr');
    },
  },
  {
    name: 'process/sysctl',
    spec: 'config-linux.md#sysctl',
    async run(t) {
      const sysctl = { 'kernel.shmmax': '12345678', 'net.ipv4.ip_forward': '1', 'kernel.msgmax': '4321' };
      const p = await t.inside((c) => { c.linux.sysctl = sysctl; }, {
        shmmax: 'cat /proc/sys/kernel/shmmax', fwd: 'cat /proc/sys/net/ipv4/ip_forward', msgmax: 'cat /proc/sys/kernel/msgmax',
      });
      eq(p.shmmax.out.trim(), '12345678', 'kernel.shmmax');
      eq(p.fwd.out.trim(), '1', 'net.ipv4.ip_forward');
      eq(p.msgmax.out.trim(), '4321', 'kernel.msgmax');
    },
  },
  {
    name: 'process/hostname',
    spec: 'config.md#hostname',
    async run(t) {
      const p = await t.inside((c) => { c.hostname = 'conformance-host'; }, { h: 'hostname', k: 'cat /proc/sys/kernel/hostname' });
      eq(p.h.out.trim(), 'conformance-host', 'hostname');
      eq(p.k.out.trim(), 'conformance-host', '/proc/sys/kernel/hostname');
    },
  },
  {
    name: 'process/domainname',
    spec: 'config.md#domainname',
    runcGap: 'runc 1.1 ignores `domainname` (supported from runc 1.2)',
    async run(t) {
      const out = await t.sh((c) => { c.domainname = 'conformance.example'; }, 'cat /proc/sys/kernel/domainname');
      eq(out.trim(), 'conformance.example', '/proc/sys/kernel/domainname');
    },
  },
];
