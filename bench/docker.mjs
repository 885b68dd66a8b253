// The benchmark's `docker` row: a private containerd + dockerd pair (scripts/docker-env.sh, the
// same one test/docker uses: own directory, sockets and data root, the host's Docker untouched,
// images imported from the host's busybox since there is no registry) with Docker's runtimes
// "runc-ts" (bin/runc-ts, the Bun engine by default) and "runc" (Debian's runc), plus
// "runc-ts-node" (bin/runc-ts with RUNC_TS_ENGINE=node) when the Node engine is measured.
// `stop()` undoes everything docker-env.sh started: daemons, shims, mounts, cgroups, the directory.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** Why the Docker row cannot run here, or undefined. */
export function dockerUnavailable() {
  const missing = ['dockerd', 'docker', 'containerd', 'ctr', 'containerd-shim-runc-v2'].filter((b) => !has(b));
  if (missing.length) return `Docker is not installed (${missing.join(', ')} missing; scripts/install-docker.sh installs it)`;
  return undefined;
}

/**
 * Starts the private Docker with the runtimes "runc-ts" (runcTs) and "runc" (runc), plus
 * "runc-ts-node" when nodeEngine is set; returns `run(runtimeName)`, `versions` and `stop()`.
 */
export function startDocker({ root, runcTs, runc, nodeEngine }) {
  const script = join(root, 'scripts', 'docker-env.sh');
  // Short path: unix socket paths are limited to 108 bytes.
  const dir = mkdtempSync('/tmp/rts-bench-');
  const stop = () => {
    const s = spawnSync('bash', [script, 'stop', dir], { encoding: 'utf8', timeout: 120_000 });
    if (s.status !== 0) process.stderr.write(`docker-env.sh stop: exit ${s.status}\n${s.stderr}`);
  };
  const r = spawnSync('bash', [script, 'start', dir], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, RUNCTS_BIN: runcTs, RUNC_BIN: runc } });
  if (r.status !== 0) {
    stop();
    throw new Error(`scripts/docker-env.sh start failed (exit ${r.status}):\n${r.stderr}`);
  }
  const vars = Object.fromEntries([...r.stdout.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1], m[2]]));
  const env = { ...process.env, ...vars };
  const cli = vars.DOCKER_CLI || 'docker';
  const docker = (args) => spawnSync(cli, args, { encoding: 'utf8', env, timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const lastErrors = () => {
    try {
      return readFileSync(join(dir, 'dockerd.log'), 'utf8').split('\n').filter((l) => /level=(error|warning)/.test(l)).slice(-5).join('\n');
    } catch { return ''; }
  };
  try {
    if (nodeEngine) registerNodeRuntime(dir, runcTs, docker);
  } catch (e) {
    stop();
    throw e;
  }
  const version = (args) => docker(args).stdout.trim();
  return {
    versions: `Docker ${version(['version', '--format', '{{.Server.Version}}'])}, containerd ${spawnSync('containerd', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ')[2] ?? '?'} (containerd-shim-runc-v2)`,
    /** Wall time (ms) of one `docker run --rm --network none --runtime RT IMAGE true`. */
    run(runtime) {
      const t0 = process.hrtime.bigint();
      const res = docker(['run', '--rm', '--pull', 'never', '--network', 'none', '--runtime', runtime, vars.RUNCTS_IMAGE, 'true']);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (res.status !== 0) throw new Error(`docker run --runtime ${runtime} failed (exit ${res.status}): ${res.stderr.trim()}\n${lastErrors()}`);
      return ms;
    },
    stop,
  };
}

/**
 * Registers "runc-ts-node": docker-env.sh registers one runc-ts, whose engine is chosen by the
 * environment the shim gives it, so the Node engine gets a wrapper that sets RUNC_TS_ENGINE
 * (one more `sh` exec per call). dockerd reloads `runtimes` from its config file on SIGHUP.
 */
function registerNodeRuntime(dir, runcTs, docker) {
  const wrapper = join(dir, 'runc-ts-node');
  writeFileSync(wrapper, `#!/bin/sh\nRUNC_TS_ENGINE=node exec '${runcTs}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  const cfgPath = join(dir, 'daemon.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  cfg.runtimes['runc-ts-node'] = { path: wrapper };
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  process.kill(Number(readFileSync(join(dir, 'dockerd.pid'), 'utf8')), 'SIGHUP');
  for (let k = 0; k < 100; k++) {
    if (docker(['info', '--format', '{{json .Runtimes}}']).stdout.includes('runc-ts-node')) return;
    spawnSync('sleep', ['0.1']);
  }
  throw new Error(`dockerd did not register the runtime runc-ts-node after SIGHUP (config ${cfgPath})`);
}
