// ps, pause, resume, update, events: operations on a live container, in runc's dialect.
import { readFileSync } from 'node:fs';
import { childProcess } from '../../lazy-builtins';
import type { CommandModule } from 'yargs';
import type { Context } from '../main';
import { RuntimeError } from '../../libcontainer/errors';
import { containerPids, events, filterPsOutput, parseDuration, pause, resume, resourcesFromFlags, update, type UpdateFlags } from '../../libcontainer/live';
import type { LinuxResources } from '../../spec/types';
import { splitGlobal } from '../argv';
import { writeStdout } from '../../stdio';

const idArg = { type: 'string' as const, describe: 'container id' };

/**
 * `ps [--format F] <id> [ps options]`: runc stops parsing its own flags at the container id, so
 * everything after it (even -f, -ef, --sort) belongs to ps. A `--` right after the id is
 * dropped (runc would hand it to ps, which refuses it).
 */
export function parsePsArgv(tokens: string[]): { format: string; id?: string; psArgs: string[] } {
  let format = 'table';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '--format' || t === '-f' || t === '--f' || t === '-format') {
      format = tokens[++i] ?? '';
      continue;
    }
    const eq = /^--?(?:format|f)=(.*)$/.exec(t);
    if (eq) {
      format = eq[1]!;
      continue;
    }
    if (t === '--') {
      const id = tokens[i + 1];
      return { format, id, psArgs: tokens.slice(i + 2) };
    }
    let psArgs = tokens.slice(i + 1);
    if (psArgs[0] === '--') psArgs = psArgs.slice(1);
    return { format, id: t, psArgs };
  }
  return { format, psArgs: [] };
}

/** The tokens after the `ps` command word (global options before it are skipped). */
function psTokens(argv: string[]): string[] | undefined {
  const { command, rest } = splitGlobal(argv);
  return command === 'ps' ? rest : undefined;
}

export function liveCommands(ctx: Context): CommandModule<any, any>[] {
  const ps: CommandModule<any, any> = {
    command: 'ps <id> [ps-options..]',
    describe: 'ps displays the processes running inside a container',
    builder: (y) =>
      y
        .positional('id', idArg)
        .positional('ps-options', { type: 'string', array: true, describe: 'options for ps(1) (default -ef)' })
        .option('format', { alias: 'f', type: 'string', default: 'table', describe: 'select one of: table or json' })
        // ps's own options (-o pid,comm, -ef, --sort) come after the id: not ours to refuse.
        .parserConfiguration({ 'unknown-options-as-args': true }),
    handler: (a) => {
      const raw = psTokens(process.argv.slice(2));
      const p = raw ? parsePsArgv(raw) : { format: String(a.format), id: String(a.id), psArgs: ((a['ps-options'] as unknown[]) ?? []).map(String) };
      const id = p.id ?? String(a.id);
      const pids = containerPids(ctx.g, id);
      if (p.format === 'json') {
        writeStdout(JSON.stringify(pids.length ? pids : null) + '\n');
        return;
      }
      if (p.format !== 'table') throw new RuntimeError('invalid format option');
      const args = p.psArgs.length ? p.psArgs : ['-ef'];
      const r = childProcess().spawnSync('ps', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      if (r.error) throw new RuntimeError(`exec: "ps": ${r.error.message}`);
      const output = (r.stdout ?? '') + (r.stderr ?? '');
      if (r.status !== 0) throw new RuntimeError(`exit status ${r.status ?? 1}: ${output}`);
      writeStdout(filterPsOutput(r.stdout ?? '', pids));
    },
  };

  const pauseCmd: CommandModule<any, any> = {
    command: 'pause [id]',
    describe: 'pause suspends all processes inside the container',
    builder: (y) => y.positional('id', idArg),
    handler: (a) => pause(ctx.g, a.id),
  };

  const resumeCmd: CommandModule<any, any> = {
    command: 'resume [id]',
    describe: 'resumes all processes that have been previously paused',
    builder: (y) => y.positional('id', idArg),
    handler: (a) => resume(ctx.g, a.id),
  };

  // nargs 1: the value is taken even when it looks like an option ("-" for stdin, "-1").
  const str = (d: string) => ({ type: 'string' as const, nargs: 1, describe: d });
  const updateCmd: CommandModule<any, any> = {
    command: 'update [id]',
    describe: 'update container resource constraints',
    builder: (y) =>
      y
        .positional('id', idArg)
        .option('resources', {
          alias: 'r',
          type: 'string',
          nargs: 1,
          describe: "path to the file containing the resources to update (linux.resources JSON) or '-' to read from the standard input; all other options are then ignored",
        })
        .option('blkio-weight', str('Specifies per cgroup weight, range is from 10 to 1000'))
        .option('cpu-period', str('CPU CFS period to be used for hardcapping (in usecs). 0 to use system default'))
        .option('cpu-quota', str('CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period'))
        .option('cpu-burst', str('CPU CFS hardcap burst limit (in usecs). Allowed accumulated cpu time additionally for burst a given period'))
        .option('cpu-share', { ...str('CPU shares (relative weight vs. other containers)'), alias: 'cpu-shares' })
        .option('cpu-rt-period', str('CPU realtime period to be used for hardcapping (in usecs). 0 to use system default'))
        .option('cpu-rt-runtime', str('CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period'))
        .option('cpuset-cpus', str('CPU(s) to use'))
        .option('cpuset-mems', str('Memory node(s) to use'))
        .option('cpu-idle', str('set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE'))
        .option('kernel-memory', { ...str('(obsoleted; do not use)'), hidden: true })
        .option('kernel-memory-tcp', { ...str('(obsoleted; do not use)'), hidden: true })
        .option('memory', str('Memory limit (in bytes; units such as 512k, 100M, 1g accepted)'))
        .option('memory-reservation', str('Memory reservation or soft_limit (in bytes)'))
        .option('memory-swap', str("Total memory usage (memory + swap); set '-1' to enable unlimited swap"))
        .option('pids-limit', str('Maximum number of pids allowed in the container'))
        .option('l3-cache-schema', str('The string of Intel RDT/CAT L3 cache schema'))
        .option('mem-bw-schema', str('The string of Intel RDT/MBA memory bandwidth schema')),
    handler: (a) => {
      const last = (v: unknown): string | undefined => (Array.isArray(v) ? last(v[v.length - 1]) : v === undefined ? undefined : String(v));
      let r: LinuxResources;
      const file = last(a.resources);
      if (file !== undefined && file !== '') {
        let text: string;
        try {
          text = readFileSync(file === '-' ? 0 : file, 'utf8');
        } catch (e: any) {
          throw new RuntimeError(`open ${file}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
        }
        let obj: unknown;
        try {
          obj = JSON.parse(text);
        } catch (e: any) {
          throw new RuntimeError(`resources: invalid JSON: ${e.message}`);
        }
        // Through spec/load: the validators are a chunk of their own, loaded only here and by create.
        const validate: typeof import('../../spec/load') = require('../../spec/load');
        try {
          validate.validateLinuxResources(obj, 'resources');
        } catch (e: any) {
          throw new RuntimeError(e.message);
        }
        r = obj as LinuxResources;
      } else {
        const flags: UpdateFlags = {
          blkioWeight: last(a['blkio-weight']),
          cpuPeriod: last(a['cpu-period']),
          cpuQuota: last(a['cpu-quota']),
          cpuBurst: last(a['cpu-burst']),
          cpuShare: last(a['cpu-share']),
          cpuRtPeriod: last(a['cpu-rt-period']),
          cpuRtRuntime: last(a['cpu-rt-runtime']),
          cpusetCpus: last(a['cpuset-cpus']),
          cpusetMems: last(a['cpuset-mems']),
          cpuIdle: last(a['cpu-idle']),
          kernelMemory: last(a['kernel-memory']),
          kernelMemoryTcp: last(a['kernel-memory-tcp']),
          memory: last(a.memory),
          memoryReservation: last(a['memory-reservation']),
          memorySwap: last(a['memory-swap']),
          pidsLimit: last(a['pids-limit']),
        };
        r = resourcesFromFlags(flags);
      }
      // Intel RDT is not supported: like runc on a host without resctrl CAT/MBA.
      if (last(a['l3-cache-schema'])) throw new RuntimeError('Intel RDT/CAT: l3 cache schema is not enabled');
      if (last(a['mem-bw-schema'])) throw new RuntimeError('Intel RDT/MBA: memory bandwidth schema is not enabled');
      update(ctx.g, a.id, r);
    },
  };

  const eventsCmd: CommandModule<any, any> = {
    command: 'events [id]',
    describe: 'display container events such as OOM notifications, cpu, memory, and IO usage statistics',
    builder: (y) =>
      y
        .positional('id', idArg)
        .option('interval', { type: 'string', default: '5s', describe: 'set the stats collection interval' })
        .option('stats', { type: 'boolean', default: false, describe: "display the container's stats then exit" }),
    handler: async (a) => {
      let intervalMs: number;
      try {
        intervalMs = parseDuration(String(a.interval));
      } catch {
        throw new RuntimeError(`invalid value "${a.interval}" for flag -interval: parse error`);
      }
      await events(ctx.g, a.id, {
        stats: !!a.stats,
        intervalMs,
        write: (line) => writeStdout(line + '\n'),
        error: (m) => ctx.log.error(m),
      });
    },
  };

  return [ps, pauseCmd, resumeCmd, updateCmd, eventsCmd];
}
