#!/usr/bin/env node
// The guest harness: runs a test suite of a runc-ts checkout inside a Debian 12 VM with systemd
// as PID 1 and the unified cgroup v2 hierarchy (what real container hosts run), under QEMU/TCG
// (KVM hangs on the nested development VMs). The image and kernel are built once by
// build-image.sh and cached, keyed by their inputs; each run boots a throw-away snapshot of it,
// shares the checkout (with its dist/ and node_modules/, so any engine it carries comes along)
// and the host's node over 9p, streams the suite's output from the guest's second serial port
// and exits with the suite's status. Nothing is mounted on the host, no loop device is used, and
// QEMU and the run's temp dir are gone when this exits.
//
// Usage: node test/guest/run.mjs [--checkout DIR] [--suite NAME]... [--cmd 'SHELL'] [--timeout S]
//                                [--cache DIR] [--build-only] [--memory MB]
//   --suite NAME  test/guest/suites/NAME.test.ts of the checkout, or any argument scripts/test.mjs
//                 takes (a test file path relative to the checkout, `unit`, ...). Default: every
//                 file in test/guest/suites.
//   --cmd SHELL   run a shell command in the checkout instead (its exit status is the result).
// Environment: GUEST_CHECKOUT, GUEST_CACHE (default /var/cache/runc-ts-guest), GUEST_TIMEOUT,
// GUEST_ACCEL (default tcg,thread=multi), GUEST_SMP (2), GUEST_MEMORY (2048).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const started = Date.now();
const secs = (ms) => (ms / 1000).toFixed(1);
const say = (line) => process.stdout.write(`# guest: ${line}\n`);

function parseArgs(argv) {
  const o = {
    checkout: process.env.GUEST_CHECKOUT ?? resolve(here, '..', '..'),
    suites: [],
    cmd: undefined,
    timeout: +(process.env.GUEST_TIMEOUT ?? 900),
    cache: process.env.GUEST_CACHE ?? '/var/cache/runc-ts-guest',
    memory: +(process.env.GUEST_MEMORY ?? 2048),
    buildOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--checkout') o.checkout = resolve(val());
    else if (a === '--suite') o.suites.push(val());
    else if (a === '--cmd') o.cmd = val();
    else if (a === '--timeout') o.timeout = +val();
    else if (a === '--cache') o.cache = resolve(val());
    else if (a === '--memory') o.memory = +val();
    else if (a === '--build-only') o.buildOnly = true;
    else fail(`unknown argument ${a}`);
  }
  if (!(o.timeout > 0)) fail('--timeout must be a positive number of seconds');
  if (!existsSync(join(o.checkout, 'package.json'))) fail(`--checkout ${o.checkout}: not a runc-ts checkout (no package.json)`);
  return o;
}

function fail(msg) {
  process.stderr.write(`test/guest/run.mjs: ${msg}\n`);
  process.stdout.write('0 passed, 1 failed\n');
  process.exit(1);
}

/** The cache key: everything the image is made from (Debian's kernel version as apt sees it). */
function imageKey() {
  const h = createHash('sha256');
  for (const f of ['packages.txt', 'build-image.sh', 'runc-ts-guest.service']) h.update(readFileSync(join(here, f)));
  const policy = spawnSync('apt-cache', ['policy', 'linux-image-amd64'], { encoding: 'utf8' });
  h.update(/Candidate:\s*(\S+)/.exec(policy.stdout ?? '')?.[1] ?? 'unknown-kernel');
  return h.digest('hex').slice(0, 16);
}

/** Returns the image directory, building it first (under a lock: helpers may run in parallel). */
function ensureImage(cache) {
  const dir = join(cache, `image-${imageKey()}`);
  if (existsSync(join(dir, 'root.ext4'))) {
    say(`image ${dir} (cached, kernel ${readFileSync(join(dir, 'kernel-version'), 'utf8').trim()})`);
    return dir;
  }
  for (const tool of ['debootstrap', 'mke2fs', 'flock']) {
    if (spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool} || test -x /sbin/${tool}`]).status !== 0) fail(`${tool} is not installed (scripts/install.sh installs it)`);
  }
  if (process.getuid?.() !== 0) fail('building the guest image needs root (debootstrap)');
  mkdirSync(cache, { recursive: true });
  const t0 = Date.now();
  say(`building image ${dir} (debootstrap, a few minutes)`);
  const r = spawnSync('flock', ['-w', '1800', join(cache, 'build.lock'), 'sh', '-c', '[ -f "$1/root.ext4" ] || bash "$2" "$1"', 'sh', dir, join(here, 'build-image.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
    timeout: 1900_000,
  });
  if (r.status !== 0 || !existsSync(join(dir, 'root.ext4'))) fail(`building the guest image failed (exit ${r.status ?? r.signal})`);
  say(`image built in ${secs(Date.now() - t0)} s`);
  return dir;
}

/** The command the guest runs in the checkout. */
function suiteCommand(o) {
  if (o.cmd) return o.cmd;
  let files = o.suites.map((s) => (existsSync(join(o.checkout, 'test/guest/suites', `${s}.test.ts`)) ? `test/guest/suites/${s}.test.ts` : s));
  if (files.length === 0) {
    const dir = join(o.checkout, 'test/guest/suites');
    files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => `test/guest/suites/${f}`) : [];
  }
  if (files.length === 0) fail(`no guest suites in ${o.checkout}/test/guest/suites`);
  return `node scripts/test.mjs ${files.map(shq).join(' ')}`;
}

const shq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** run.sh, executed by the image's runc-ts-guest.service with stdout on /dev/ttyS1. */
function guestScript(checkout, cmd, timeout) {
  return `#!/bin/sh
# Written by test/guest/run.mjs for one run.
stty raw -echo 2>/dev/null
export PATH=/run/guest-job/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb NO_COLOR=1
echo "# guest: up $(cut -d' ' -f1 /proc/uptime) s; kernel $(uname -r); /sys/fs/cgroup is $(stat -fc %T /sys/fs/cgroup); PID 1 is $(cat /proc/1/comm)"
mkdir -p ${shq(checkout)} && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose checkout ${shq(checkout)} || { echo 1 > /run/guest-job/rc; systemctl poweroff --force --force; }
cd ${shq(checkout)}
timeout -k 10 ${timeout} sh -c ${shq(cmd)} </dev/null 2>&1
rc=$?
echo "# guest: suite exit $rc"
echo $rc > /run/guest-job/rc
sync
systemctl poweroff --force --force
`;
}

function qemuArgs(image, job, checkout, memory) {
  const cmdline = [
    // A kernel oops ends the run at once (panic, and QEMU exits on the reboot) instead of
    // leaving a test hung until the timeout; the console log then shows it.
    'root=/dev/vda rw console=ttyS0 oops=panic panic=-1 quiet loglevel=4',
    'systemd.unified_cgroup_hierarchy=1 systemd.show_status=0 net.ifnames=0',
    'hugepagesz=2M hugepages=16', // for the hugetlb rows: a few 2 MiB pages to charge
  ].join(' ');
  return [
    '-accel', process.env.GUEST_ACCEL ?? 'tcg,thread=multi',
    '-machine', 'q35', '-cpu', 'max', '-smp', process.env.GUEST_SMP ?? '2', '-m', String(memory),
    '-nodefaults', '-display', 'none', '-no-reboot', '-nic', 'none',
    '-kernel', join(image, 'vmlinuz'), '-initrd', join(image, 'initrd.img'), '-append', cmdline,
    // snapshot=on: writes go to a temp file (in TMPDIR = the job dir), never to the cached image.
    '-drive', `file=${join(image, 'root.ext4')},format=raw,if=virtio,snapshot=on`,
    '-device', 'virtio-rng-pci',
    '-virtfs', `local,path=${job},mount_tag=job,security_model=none,id=job`,
    '-virtfs', `local,path=${checkout},mount_tag=checkout,security_model=none,id=checkout`,
    '-serial', `file:${join(job, 'console.log')}`,
    '-chardev', 'stdio,id=out,signal=off', '-serial', 'chardev:out',
  ];
}

/** A copy of the host's node for the guest (same Debian 12 libraries): a hard link if possible. */
function bringNode(job) {
  mkdirSync(join(job, 'bin'));
  try { linkSync(process.execPath, join(job, 'bin', 'node')); } catch { copyFileSync(process.execPath, join(job, 'bin', 'node')); }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync('/usr/bin/qemu-system-x86_64') && spawnSync('sh', ['-c', 'command -v qemu-system-x86_64']).status !== 0) fail('qemu-system-x86_64 is not installed (scripts/install.sh installs it)');
  const image = ensureImage(o.cache);
  if (o.buildOnly) {
    process.stdout.write('1 passed, 0 failed\n');
    return 0;
  }
  const cmd = suiteCommand(o);
  mkdirSync(join(o.cache, 'runs'), { recursive: true });
  const job = mkdtempSync(join(o.cache, 'runs', 'run-'));
  let qemu;
  const cleanup = () => {
    if (qemu && qemu.exitCode === null && qemu.signalCode === null) qemu.kill('SIGKILL');
    rmSync(job, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { cleanup(); process.exit(130); });
  try {
    bringNode(job);
    writeFileSync(join(job, 'run.sh'), guestScript(o.checkout, cmd, o.timeout), { mode: 0o755 });
    say(`checkout ${o.checkout}; running: ${cmd}`);
    const t0 = Date.now();
    let firstLine = 0;
    let output = '';
    qemu = spawn('qemu-system-x86_64', qemuArgs(image, job, o.checkout, o.memory), {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, TMPDIR: job },
    });
    qemu.stdout.setEncoding('utf8');
    qemu.stdout.on('data', (d) => {
      if (!firstLine) firstLine = Date.now();
      const text = d.replace(/\r/g, '');
      output += text;
      process.stdout.write(text);
    });
    // Boot + suite + power-off, with a margin over the suite's own timeout inside the guest.
    const limit = (o.timeout + 180) * 1000;
    const timer = setTimeout(() => { say(`timed out after ${secs(limit)} s; killing QEMU`); qemu.kill('SIGKILL'); }, limit);
    const [code, signal] = await new Promise((res) => qemu.on('exit', (c, s) => res([c, s])));
    clearTimeout(timer);
    const rcFile = join(job, 'rc');
    const rc = existsSync(rcFile) ? +readFileSync(rcFile, 'utf8').trim() : undefined;
    say(`boot to first output ${firstLine ? secs(firstLine - t0) : '-'} s; suite and shutdown ${firstLine ? secs(Date.now() - firstLine) : '-'} s; total ${secs(Date.now() - started)} s`);
    if (rc === undefined) {
      const saved = join(o.cache, 'last-console.log');
      try { copyFileSync(join(job, 'console.log'), saved); } catch {}
      say(`the guest ended without a result (QEMU exit ${code ?? signal}); its console is in ${saved}; the end of it:`);
      try { process.stdout.write(readFileSync(saved, 'utf8').replace(/\r/g, '').split('\n').slice(-40).map((l) => `#   ${l}`).join('\n') + '\n'); } catch {}
    }
    // Per-runtime counts from the report sections the suites rewrote during this run.
    for (const f of existsSync(join(o.checkout, 'conformance')) ? readdirSync(join(o.checkout, 'conformance')) : []) {
      const path = join(o.checkout, 'conformance', f);
      if (!/^report-.*\.md$/.test(f) || statSync(path).mtimeMs < t0) continue;
      for (const l of readFileSync(path, 'utf8').split('\n')) if (/^- [\w-]+: \d+ passed/.test(l)) say(`conformance/${f}: ${l.slice(2)}`);
    }
    // The closing line: the suite's own totals, plus one failure if the guest itself failed.
    const totals = [...output.matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)].pop();
    let passed = totals ? +totals[1] : 0;
    let failed = totals ? +totals[2] : 0;
    const skipped = totals?.[3] ? +totals[3] : 0;
    if (rc === undefined || (rc !== 0 && failed === 0)) failed += 1;
    if (!totals && rc === 0) passed += 1; // a --cmd without a summary line of its own
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
    return failed ? 1 : 0;
  } finally {
    cleanup();
  }
}

main().then((c) => process.exit(c), (e) => fail(e?.stack ?? String(e)));
