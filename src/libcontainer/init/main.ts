// The container init: runs in `node` inside the container's namespaces (native/nsexec.c put it
// there before node started), builds the container from the InitConfig the CLI sends, reports
// "ready", waits on exec.fifo for `start`, and execve()s the container's program.
// This file is its own esbuild bundle (dist/init.cjs): everything is loaded before pivot_root,
// and nothing the CLI needs (yargs, validators) is loaded here.
import { closeSync, existsSync, readFileSync, statSync, writeSync } from 'node:fs';
import { childProcess } from '../../lazy-builtins';
import type { Hook, HookName } from '../../spec/types';
import { hookEnv, hookFailure } from '../hooks';
import { decodeMessage, encodeMessage, type InitConfig, type InitMessage, type ParentMessage } from './config';
import { RootfsBuilder, chrootToRootfs, finalizeRootfs } from './rootfs';
import { openProcRoot, reopenOwnFd, writeProc } from './procfs';
import { takeMountSourceFds } from '../mount-sources';
import { setupConsole } from './console';
import { applyCpuAffinity, applyCredentials, applyIoPriority, applyMemoryPolicy, applyPersonality, applyRlimits, applyScheduler, applySysctl, setNoNewPrivs, setgroupsAllowed } from './process';
import { SysError, check, chdir, loadLibc, closeRangeCloexec, dup3, errno, execve, fcntl, open, sethostname, setdomainname, setns, umask, unshare, joinSessionKeyring, describeKey, setKeyPerm } from '../sys/libc';
import { installSeccomp } from '../../seccomp/install';
import { sendFd } from '../sys/fdpass';
import { O } from './root';
import { SyncSocket } from '../sync-socket';
import { trace } from '../../trace';
import { writeStderr } from '../../stdio';

const syncFd = Number(process.env._RUNCTS_INITPIPE);
delete process.env._RUNCTS_INITPIPE;

const cli = new SyncSocket(syncFd);

function send(msg: InitMessage): void {
  cli.write(encodeMessage(msg));
}

function readLine(): string {
  const line = cli.readLine();
  if (line === null) throw new Error('the runtime closed the sync socket');
  return line;
}

/** The next message from the CLI, which must be of one of the `expected` types. */
function receive<T extends ParentMessage['type']>(...expected: T[]): Extract<ParentMessage, { type: T }> {
  return decodeMessage<ParentMessage, T>(readLine(), expected, 'the runtime');
}

/** To the CLI, which logs it (--log, or its stderr): ours is the container's stderr. Only
 * while the sync socket is open, that is before `ready`. */
function warn(msg: string): void {
  try {
    send({ type: 'warning', message: msg });
  } catch {
    writeStderr(`runc-ts init: warning: ${msg}\n`); // the CLI is gone
  }
}

/**
 * Runs a hook from inside the container (createContainer, startContainer), in the init's cwd:
 * the rootfs for createContainer, process.cwd for startContainer (as runc).
 */
function runHook(kind: HookName, h: Hook, state: object): void {
  const r = childProcess().spawnSync(h.path, (h.args ?? [h.path]).slice(1), {
    argv0: h.args?.[0] ?? h.path,
    input: JSON.stringify(state),
    env: hookEnv(h),
    timeout: h.timeout ? h.timeout * 1000 : undefined,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  // A hook need not read the state: writing it to a hook that has exited fails with EPIPE,
  // which Go's exec (runc) ignores too. The hook's own exit status is what counts.
  const ran = r.status !== null || r.signal !== null;
  const spawnError = r.error && !(code === 'EPIPE' && ran) && code !== 'ETIMEDOUT' ? (code ?? r.error.message) : undefined;
  const err = hookFailure(kind, h, { timedOut: code === 'ETIMEDOUT', exitCode: r.status, signal: r.signal, spawnError, output: `${r.stdout ?? ''}${r.stderr ?? ''}` });
  if (err) throw err;
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

/** The pty (process.terminal): for the init it is bound over /dev/console as well. */
function setupTerminal(cfg: InitConfig): void {
  if (cfg.consoleSocketFd < 0) throw new Error('process.terminal is true but no --console-socket was given');
  setupConsole(cfg.consoleSocketFd, cfg.process.consoleSize, cfg.mode === 'create');
}

/** chdir to process.cwd; with `tolerateDenied`, EACCES/EPERM returns false (try again later). */
function enterCwd(cwd: string, tolerateDenied: boolean): boolean {
  if (chdir(cwd) === 0) return true;
  const e = errno();
  if (tolerateDenied && (e === 13 || e === 1)) return false;
  throw new SysError(`chdir to cwd ("${cwd}") set in config.json`, e);
}

/**
 * Everything between the namespaces and execve that `create` and `exec` share. The seccomp
 * filter, capabilities and no_new_privs are in place before anything runs in the container:
 * startContainer hooks (in `afterReady`) run under the filter, as with runc.
 */
function finishAndExec(cfg: InitConfig, opts: { consoleReady?: boolean; afterReady?: (lockDown: () => void) => void }): never {
  const { spec, process: proc } = cfg;
  if (proc.terminal && !opts.consoleReady) setupTerminal(cfg);
  applyRlimits(proc);
  applyScheduler(proc.scheduler);
  applyIoPriority(proc.ioPriority);
  applyCpuAffinity(proc.execCPUAffinity?.initial, 'process.execCPUAffinity.initial');
  applyApparmor(proc.apparmorProfile);

  // The program must exist before we say ready: `create` fails, not `start`. Like runc, the
  // cwd is entered while still privileged (a directory the user cannot search, /root for
  // uid 42) and, if that was refused (root squashed in a user namespace), again as the user.
  const env = withHome(proc.env ?? [], proc.user.uid);
  const inCwd = enterCwd(proc.cwd, true);
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
      // From here any syscall of ours may be one the agent must answer (read, close, openat,
      // execve...): the listener is sent first, and our own reference to it goes without a
      // close(2) (dup3 over it), so that once the agent has it nothing waits on us.
      sendFd(cfg.fdSocketFd, 'seccompFd', listener);
      check(dup3(cfg.fdSocketFd, listener, O.CLOEXEC), 'drop our seccomp listener');
      send({ type: 'seccomp-listener' });
      const r = receive('seccomp-listener-done', 'seccomp-listener-failed');
      if (r.type === 'seccomp-listener-failed') throw new ReportedByCli(r.message);
      closeSync(listener);
    }
  }
  if (cfg.fdSocketFd >= 0) closeSync(cfg.fdSocketFd);
  applyCredentials(proc, { setgroupsAllowed: setgroupsAllowed(), warn });
  if (!inCwd) enterCwd(proc.cwd, false);
  if (proc.noNewPrivileges) setNoNewPrivs();
  umask(proc.user.umask ?? 0o022);

  // Nothing of ours may leak into the container (CVE-2024-21626 class): fds past stdio and the
  // passed ones are close-on-exec. Node marks every inherited fd close-on-exec at start-up:
  // stdio and the passed fds must survive execve.
  closeRangeCloexec(3 + cfg.passFds);
  for (let fd = 0; fd < 3 + cfg.passFds; fd++) fcntl(fd, 2 /* F_SETFD */, 0);
  // With no_new_privs the filter comes last (it need not allow what we do before), but before
  // anything of the container's runs: startContainer hooks and the program.
  let lateSeccomp = !!cfg.seccomp && !!proc.noNewPrivileges && !notify;
  const lockDown = () => {
    if (lateSeccomp) installSeccomp(Buffer.from(cfg.seccomp!.bpf, 'base64'), cfg.seccomp!.flags);
    lateSeccomp = false;
  };
  trace('init: ready');
  send({ type: 'ready' });
  cli.close();
  opts.afterReady?.(lockDown);
  applyCpuAffinity(proc.execCPUAffinity?.final, 'process.execCPUAffinity.final');
  lockDown();
  trace('init: execve');
  execve(path, [...args, null] as any, [...env, null] as any);
  throw new SysError(`exec ${args[0]}`, errno());
}

/** A failure the CLI found and told us of (hooks, the seccomp agent): it reports it, we stop. */
class ReportedByCli extends Error {}

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
  const sourceFds = takeMountSourceFds();
  if (cfg.joinMount) joinMountNamespace(cfg.joinMount);

  // 1. The filesystem, in the container's mount namespace, new or joined (runc prepares a
  // joined one as a new one). Without one, the host's mounts are not ours to change: the
  // process is only confined to the rootfs (chroot, below).
  let rootfs: RootfsBuilder | undefined;
  try {
    if (newNs.has('mount') || cfg.joinMount) {
      rootfs = new RootfsBuilder({ spec, rootfs: cfg.rootfs, bundle: cfg.bundle, inUserNs, inCgroupNs: (spec.linux?.namespaces ?? []).some((n) => n.type === 'cgroup'), idmapFds: cfg.idmapFds ?? {}, sourceFds });
      rootfs.mountAll();
      rootfs.createDevices();
      rootfs.setupDevSymlinks();
    } else if (spec.mounts?.length) {
      warn('mounts are not applied: the container has no mount namespace of its own');
    }
  } finally {
    for (const fd of Object.values(sourceFds)) closeSync(fd);
  }

  // 2. prestart and createRuntime hooks run in the runtime's namespaces, by the CLI.
  trace('init: filesystem ready');
  send({ type: 'hooks' });
  const reply = receive('hooks-done', 'hooks-failed');
  if (reply.type === 'hooks-failed') throw new ReportedByCli(reply.message);
  // runc enters the rootfs (its mounts set up) at this point: createContainer hooks run there.
  if (chdir(cfg.rootfs) < 0) throw new SysError(`chdir to rootfs ${cfg.rootfs}`, errno());

  // 3. createContainer hooks: in the container's namespaces, before pivot_root.
  const hookState = (status: string) => ({ ...cfg.hookState, status, pid: cfg.hostPid, ...(spec.annotations && { annotations: spec.annotations }) });
  for (const h of spec.hooks?.createContainer ?? []) runHook('createContainer', h, hookState('creating'));
  if (rootfs) {
    rootfs.switchRoot(cfg.noPivot);
  } else {
    openProcRoot(); // the host's /proc, the only one there is (procfs.ts)
    chrootToRootfs(cfg.rootfs);
  }

  if (!cfg.noNewKeyring) newSessionKeyring(cfg.id);
  // The console before the rootfs is finalised (runc): /dev may become read-only.
  if (spec.process?.terminal) setupTerminal(cfg);

  // 4. Identity of the host (uts), kernel parameters, protected paths, process attributes.
  if (spec.hostname !== undefined && spec.hostname !== '') check(sethostname(spec.hostname, Buffer.byteLength(spec.hostname)), `sethostname ${spec.hostname}`);
  if (spec.domainname) check(setdomainname(spec.domainname, Buffer.byteLength(spec.domainname)), `setdomainname ${spec.domainname}`);
  applySysctl(spec.linux?.sysctl);
  if (rootfs) {
    rootfs.finishDev();
    finalizeRootfs(spec);
  }
  applyPersonality(spec.linux?.personality);
  applyMemoryPolicy(spec.linux?.memoryPolicy);

  return finishAndExec(cfg, {
    consoleReady: true,
    // Wait for `start`: opening the fifo for writing blocks until it opens it for reading.
    // (A process may always reopen its own fds through /proc, dumpable or not.)
    // startContainer hooks run now, under the seccomp filter, so that `start` learns of a
    // failure: "0" means the program is being executed, anything else is the error.
    afterReady(lockDown) {
      const w = reopenOwnFd(fifoFd, O.WRONLY, 'open exec fifo');
      closeSync(fifoFd);
      try {
        lockDown();
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

/** AppArmor: the profile applies at execve ("exec <profile>" in attr/exec), as runc does;
 * written through the verified procfs handle (procfs.ts). */
function applyApparmor(profile?: string): void {
  if (!profile) return;
  const what = `apparmor: set profile ${profile}`;
  for (const f of ['thread-self/attr/apparmor/exec', 'thread-self/attr/exec']) {
    try {
      writeProc(f, `exec ${profile}`, what);
      return;
    } catch (e: any) {
      if (!(e instanceof SysError && e.errno === 2)) throw e;
    }
  }
  throw new Error(`${what}: AppArmor is not available`);
}

function main(): void {
  // koffi and libc load while the CLI is still joining the cgroups, not after the config.
  trace(`init: loaded (${performance.now().toFixed(1)} ms after exec)`);
  loadLibc();
  trace('init: libc loaded');
  const cfg = receive('config').config;
  trace('init: config received');
  if (cfg.mode === 'exec') execMain(cfg);
  else createMain(cfg);
}

try {
  main();
} catch (e: any) {
  // The CLI reports it (and is killing us): a line of ours would only say it twice.
  if (e instanceof ReportedByCli) process.exit(1);
  const message = String(e?.message ?? e);
  try {
    send({ type: 'error', message, ...(typeof e?.errno === 'number' && { errno: e.errno, code: e.code }) });
  } catch {
    // The CLI is gone (after start): stderr is all we have.
    writeStderr(`runc-ts init: ${message}\n`);
  }
  process.exit(1);
}
