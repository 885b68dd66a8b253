// The container init: runs in `node` inside the container's namespaces (native/nsexec.c put it
// there before node started), builds the container from the InitConfig the CLI sends, reports
// "ready", waits on exec.fifo for `start`, and execve()s the container's program.
// This file is its own esbuild bundle (dist/init.cjs): everything is loaded before pivot_root,
// and nothing the CLI needs (yargs, validators) is loaded here.
import { closeSync, existsSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { Hook } from '../../spec/types';
import { decodeMessage, encodeMessage, type InitConfig, type InitMessage, type ParentMessage } from './config';
import { RootfsBuilder, finalizeRootfs } from './rootfs';
import { setupConsole } from './console';
import { applyCpuAffinity, applyCredentials, applyIoPriority, applyMemoryPolicy, applyPersonality, applyRlimits, applyScheduler, applySysctl, setNoNewPrivs, setgroupsAllowed } from './process';
import { SysError, check, chdir, closeRangeCloexec, errno, execve, fcntl, open, sethostname, setdomainname, setns, umask, unshare, joinSessionKeyring, describeKey, setKeyPerm } from '../sys/libc';
import { installSeccomp } from '../../seccomp/install';
import { sendFd } from '../sys/fdpass';
import { O } from './root';

const syncFd = Number(process.env._RUNCTS_INITPIPE);
delete process.env._RUNCTS_INITPIPE;

function send(msg: InitMessage): void {
  const b = Buffer.from(encodeMessage(msg));
  for (let off = 0; off < b.length; ) off += writeSync(syncFd, b, off);
}

// Lines from the CLI. Each byte is scanned once (a config of tens of MB is read in linear time):
// the bytes after the last newline wait in `rest`, a line in pieces until its newline comes.
const readBuf = Buffer.allocUnsafe(1 << 18);
let rest = Buffer.alloc(0);
function readLine(): string {
  const parts: Buffer[] = [];
  for (;;) {
    const nl = rest.indexOf(10);
    if (nl >= 0) {
      parts.push(rest.subarray(0, nl));
      rest = rest.subarray(nl + 1);
      return Buffer.concat(parts).toString('utf8');
    }
    if (rest.length) parts.push(rest);
    const n = readSync(syncFd, readBuf, 0, readBuf.length, null);
    if (n === 0) throw new Error('the runtime closed the sync socket');
    rest = Buffer.from(readBuf.subarray(0, n));
  }
}

/** The next message from the CLI, which must be of one of the `expected` types. */
function receive<T extends ParentMessage['type']>(...expected: T[]): Extract<ParentMessage, { type: T }> {
  return decodeMessage<ParentMessage, T>(readLine(), expected, 'the runtime');
}

function warn(msg: string): void {
  process.stderr.write(`runc-ts init: warning: ${msg}\n`);
}

/** Runs a hook from inside the container (createContainer, startContainer). */
function runHook(kind: string, h: Hook, state: object): void {
  const r = spawnSync(h.path, (h.args ?? [h.path]).slice(1), {
    argv0: h.args?.[0] ?? h.path,
    input: JSON.stringify(state),
    env: Object.fromEntries((h.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
    timeout: h.timeout ? h.timeout * 1000 : undefined,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (r.error) throw new Error(`${kind} hook ${h.path}: ${(r.error as any).code === 'ETIMEDOUT' ? `timed out after ${h.timeout}s` : r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
    throw new Error(`${kind} hook ${h.path}: exit status ${r.status ?? 'signal ' + r.signal}${out ? ': ' + out : ''}`);
  }
}

/** exec.LookPath semantics with the container's PATH. */
function lookPath(file: string, env: string[]): string {
  const isExec = (p: string) => {
    try {
      const st = statSync(p);
      return st.isFile() && (st.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  };
  if (file.includes('/')) {
    if (isExec(file)) return file;
    throw new Error(`exec: "${file}": ${existsSync(file) ? 'permission denied' : 'stat ' + file + ': no such file or directory'}`);
  }
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  for (const dir of pathVar.split(':')) {
    const p = `${dir || '.'}/${file}`;
    if (isExec(p)) return p;
  }
  throw new Error(`exec: "${file}": executable file not found in $PATH`);
}

/** setns() into a mount namespace, from TypeScript: node has loaded everything it needs by now
 * (it could not have found its own files had nsexec.c joined the namespace before it started).
 * unshare(CLONE_FS) first, so that only this thread (which will execve) moves. */
function joinMountNamespace(path: string): void {
  const fd = check(open(path, O.RDONLY | O.CLOEXEC, 0), `open mount namespace ${path}`);
  check(unshare(0x00000200 /* CLONE_FS */), 'unshare(CLONE_FS)');
  if (setns(fd, 0x00020000 /* CLONE_NEWNS */) < 0) throw new SysError(`setns ${path}`, errno());
  closeSync(fd);
}

/** Everything between the namespaces and execve that `create` and `exec` share. */
function finishAndExec(cfg: InitConfig, opts: { afterReady?: () => void; beforeExec?: () => void }): never {
  const { spec, process: proc } = cfg;
  if (proc.terminal) {
    if (cfg.consoleSocketFd < 0) throw new Error('process.terminal is true but no --console-socket was given');
    setupConsole(cfg.consoleSocketFd, proc.consoleSize, cfg.mode === 'create');
  }
  applyRlimits(proc);
  applyScheduler(proc.scheduler);
  applyIoPriority(proc.ioPriority);
  applyCpuAffinity(proc.execCPUAffinity?.initial, 'process.execCPUAffinity.initial');
  applyApparmor(proc.apparmorProfile);

  // The program must exist before we say ready: `create` fails, not `start`.
  const env = withHome(proc.env ?? [], proc.user.uid);
  if (chdir(proc.cwd) < 0) throw new SysError(`chdir to cwd ("${proc.cwd}") set in config.json`, errno());
  const args = proc.args ?? [];
  if (!args.length) throw new Error('process.args must not be empty');
  const path = lookPath(args[0]!, env);

  // Seccomp before dropping privileges unless no_new_privs lets us load it last (runc). A
  // filter with SCMP_ACT_NOTIFY is loaded here in any case (with no_new_privs set first if
  // asked): its listener fd must reach the CLI while the sync socket is still open.
  const notify = !!cfg.seccomp?.notify;
  if (cfg.seccomp && (notify || !proc.noNewPrivileges)) {
    if (notify && proc.noNewPrivileges) setNoNewPrivs();
    const listener = installSeccomp(Buffer.from(cfg.seccomp.bpf, 'base64'), cfg.seccomp.flags);
    if (notify) {
      if (cfg.fdSocketFd < 0) throw new Error('seccomp: no socket to pass the notify listener on');
      sendFd(cfg.fdSocketFd, 'seccompFd', listener);
      closeSync(listener);
      send({ type: 'seccomp-listener' });
      const r = receive('seccomp-listener-done', 'seccomp-listener-failed');
      if (r.type === 'seccomp-listener-failed') throw new Error(r.message);
    }
  }
  if (cfg.fdSocketFd >= 0) closeSync(cfg.fdSocketFd);
  applyCredentials(proc, { setgroupsAllowed: setgroupsAllowed(), warn });
  if (chdir(proc.cwd) < 0) throw new SysError(`chdir to cwd ("${proc.cwd}") set in config.json`, errno());
  if (proc.noNewPrivileges) setNoNewPrivs();
  umask(proc.user.umask ?? 0o022);

  // Nothing of ours may leak into the container (CVE-2024-21626 class): fds past stdio and the
  // passed ones are close-on-exec. Node marks every inherited fd close-on-exec at start-up:
  // stdio and the passed fds must survive execve.
  closeRangeCloexec(3 + cfg.passFds);
  for (let fd = 0; fd < 3 + cfg.passFds; fd++) fcntl(fd, 2 /* F_SETFD */, 0);
  send({ type: 'ready' });
  closeSync(syncFd);
  opts.afterReady?.();
  applyCpuAffinity(proc.execCPUAffinity?.final, 'process.execCPUAffinity.final');
  opts.beforeExec?.();
  if (cfg.seccomp && proc.noNewPrivileges && !notify) installSeccomp(Buffer.from(cfg.seccomp.bpf, 'base64'), cfg.seccomp.flags);
  execve(path, [...args, null] as any, [...env, null] as any);
  throw new SysError(`exec ${args[0]}`, errno());
}

/** Like runc: HOME, when the config has none, is the user's home in the container's
 * /etc/passwd, or "/" (Docker leaves HOME to the runtime). */
function withHome(env: string[], uid: number): string[] {
  if (env.some((e) => e.startsWith('HOME='))) return env;
  let home = '/';
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 6 && Number(f[2]) === uid && f[5]) {
        home = f[5];
        break;
      }
    }
  } catch {
    // no /etc/passwd in the image
  }
  return [...env, `HOME=${home}`];
}

/** runc exec: the namespaces are joined already (mount next); no filesystem work, no fifo. */
function execMain(cfg: InitConfig): never {
  if (cfg.joinMount) joinMountNamespace(cfg.joinMount);
  return finishAndExec(cfg, {});
}

function createMain(cfg: InitConfig): never {
  const { spec } = cfg;
  const newNs = new Set(cfg.newNamespaces);
  // The CLI has moved us into the container's cgroups by now: its root is the namespace's.
  if (newNs.has('cgroup')) check(unshare(0x02000000 /* CLONE_NEWCGROUP */), 'unshare(CLONE_NEWCGROUP)');
  const inUserNs = newNs.has('user') || (spec.linux?.namespaces ?? []).some((n) => n.type === 'user');
  // exec.fifo (an O_PATH fd from the CLI) is reopened through /proc after pivot_root.
  const fifoFd = cfg.fifoFd;
  if (cfg.joinMount) joinMountNamespace(cfg.joinMount);

  // 1. The filesystem (only with a new mount namespace: otherwise it is not ours to change).
  let rootfs: RootfsBuilder | undefined;
  if (newNs.has('mount')) {
    rootfs = new RootfsBuilder({ spec, rootfs: cfg.rootfs, bundle: cfg.bundle, inUserNs, inCgroupNs: (spec.linux?.namespaces ?? []).some((n) => n.type === 'cgroup'), idmapFds: cfg.idmapFds ?? {} });
    rootfs.mountAll();
    rootfs.createDevices();
    rootfs.setupDevSymlinks();
  }

  // 2. prestart and createRuntime hooks run in the runtime's namespaces, by the CLI.
  send({ type: 'hooks' });
  const reply = receive('hooks-done', 'hooks-failed');
  if (reply.type === 'hooks-failed') throw new Error(reply.message);

  // 3. createContainer hooks: in the container's namespaces, before pivot_root.
  const hookState = (status: string) => ({ ...cfg.hookState, status, pid: cfg.hostPid, ...(spec.annotations && { annotations: spec.annotations }) });
  for (const h of spec.hooks?.createContainer ?? []) runHook('createContainer', h, hookState('creating'));
  if (rootfs) rootfs.switchRoot(cfg.noPivot);

  if (!cfg.noNewKeyring) newSessionKeyring(cfg.id);

  // 4. Identity of the host (uts), kernel parameters, protected paths, process attributes.
  if (spec.hostname !== undefined && spec.hostname !== '') check(sethostname(spec.hostname, Buffer.byteLength(spec.hostname)), `sethostname ${spec.hostname}`);
  if (spec.domainname) check(setdomainname(spec.domainname, Buffer.byteLength(spec.domainname)), `setdomainname ${spec.domainname}`);
  applySysctl(spec.linux?.sysctl);
  if (rootfs) finalizeRootfs(spec);
  applyPersonality(spec.linux?.personality);
  applyMemoryPolicy(spec.linux?.memoryPolicy);

  return finishAndExec(cfg, {
    // Wait for `start`: opening the fifo for writing blocks until it opens it for reading.
    // (A process may always reopen its own fds through /proc/self/fd, dumpable or not.)
    // startContainer hooks run now, so that `start` learns of a failure: "0" means the
    // program is being executed, anything else is the error.
    afterReady() {
      const w = check(open(`/proc/self/fd/${fifoFd}`, O.WRONLY | O.CLOEXEC, 0), 'open exec fifo');
      closeSync(fifoFd);
      try {
        for (const h of spec.hooks?.startContainer ?? []) runHook('startContainer', h, hookState('created'));
      } catch (e: any) {
        writeSync(w, `1${e.message}`);
        closeSync(w);
        process.exit(1);
      }
      writeSync(w, '0');
      closeSync(w);
    },
  });
}

/**
 * A session keyring of the container's own (runc's "_ses.<id>"), so it does not inherit the
 * runtime's; made searchable by its possessor. Kernels without keyrings (ENOSYS) are fine.
 */
function newSessionKeyring(id: string): void {
  const key = joinSessionKeyring(`_ses.${id}`);
  if (key < 0) {
    if (errno() === 38 /* ENOSYS */) return;
    throw new SysError('join session keyring', errno());
  }
  const desc = describeKey(key);
  const perm = desc ? parseInt(desc.split(';')[3] ?? '0', 16) : 0x3f010000;
  if (setKeyPerm(key, perm | 0x080000 /* KEY_USR_SEARCH */) < 0) throw new SysError('set session keyring permissions', errno());
}

/** AppArmor: the profile applies at execve ("exec <profile>" in attr/exec), as runc does. */
function applyApparmor(profile?: string): void {
  if (!profile) return;
  const data = `exec ${profile}`;
  for (const f of ['/proc/thread-self/attr/apparmor/exec', '/proc/thread-self/attr/exec']) {
    try {
      writeFileSync(f, data);
      return;
    } catch (e: any) {
      if (e.code !== 'ENOENT') throw new Error(`apparmor: set profile ${profile}: ${e.code ?? e.message}`);
    }
  }
  throw new Error(`apparmor: set profile ${profile}: AppArmor is not available`);
}

function main(): void {
  const cfg = receive('config').config;
  if (cfg.mode === 'exec') execMain(cfg);
  else createMain(cfg);
}

try {
  main();
} catch (e: any) {
  const message = String(e?.message ?? e);
  try {
    send({ type: 'error', message, ...(typeof e?.errno === 'number' && { errno: e.errno, code: e.code }) });
  } catch {
    // The CLI is gone (after start): stderr is all we have.
    process.stderr.write(`runc-ts init: ${message}\n`);
  }
  process.exit(1);
}
