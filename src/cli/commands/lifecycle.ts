// create, start, run, state, list, kill, delete: the container lifecycle in runc's dialect.
import type { CommandModule } from 'yargs';
import type { Context } from '../main';
import { create, type CreateOptions, deleteContainer, killContainer, listStates, load, parseSignal, specState, start } from '../../libcontainer/container';
import { RuntimeError } from '../../libcontainer/errors';
import { waitForExit } from '../../libcontainer/wait';
import { forwardSignals } from '../../libcontainer/launch';
import { kill as sysKill } from '../../libcontainer/sys/libc';
import { formatTable } from '../table';
import { attachConsole } from '../../libcontainer/tty';
import { trace } from '../../trace';
import { writeStdout } from '../../stdio';

const idArg = { type: 'string' as const, describe: 'container id' };

function createOptions(y: any) {
  return y
    .positional('id', idArg)
    .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'path to the root of the bundle directory' })
    .option('console-socket', { type: 'string', describe: 'path to an AF_UNIX socket which will receive the pty master' })
    .option('pid-file', { type: 'string', describe: 'file to write the process id to' })
    .option('no-pivot', { type: 'boolean', default: false, describe: 'do not use pivot root to jail process inside rootfs' })
    .option('no-new-keyring', { type: 'boolean', default: false, describe: 'do not create a new session keyring for the container' })
    .option('preserve-fds', { type: 'number', default: 0, describe: 'pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)' });
}

/** The options `create` and `run` share. */
function createArgs(a: any): CreateOptions {
  return {
    id: a.id,
    bundle: a.bundle,
    pidFile: a['pid-file'],
    consoleSocket: a['console-socket'],
    noPivot: a['no-pivot'],
    noNewKeyring: a['no-new-keyring'],
    preserveFds: a['preserve-fds'],
  };
}

// One factory per command: the bundle of the everyday calls (runc-ts-lite.cjs, see main.ts) takes
// only start, state, kill and delete, and so none of create's code.
export function createCommand(ctx: Context): CommandModule<any, any> {
  return {
    command: 'create [id]',
    describe: 'create a container',
    builder: createOptions,
    handler: async (a) => {
      // The init lives on without us (reparented to our subreaper, e.g. containerd's shim).
      await create(ctx.g, createArgs(a));
    },
  };
}

export function runCommand(ctx: Context): CommandModule<any, any> {
  return {
    command: 'run [id]',
    describe: 'create and run a container',
    builder: (y) =>
      createOptions(y)
        .option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'detach from the container process' })
        .option('keep', { type: 'boolean', default: false, describe: 'do not delete the container after it exits' })
        .option('no-subreaper', { type: 'boolean', default: false, describe: 'disable the use of the subreaper used to reap reparented processes' }),
    handler: async (a) => {
      const { pid, init, consoleSock, state } = await create(ctx.g, {
        ...createArgs(a),
        subreaper: !a.detach && !a['no-subreaper'],
        ownConsole: !a.detach,
      });
      const tty = consoleSock >= 0 ? attachConsole(consoleSock) : undefined;
      if (a.detach) {
        await start(ctx.g, a.id, state);
        return;
      }
      // Foreground: forward signals to the container, wait, exit with its status.
      const stopForwarding = forwardSignals(pid);
      const exited = waitForExit(pid, init.child);
      try {
        await start(ctx.g, a.id, state);
      } catch (e) {
        sysKill(pid, 9);
        await exited;
        await deleteContainer(ctx.g, a.id, true).catch(() => {});
        throw e;
      }
      trace('cli: started');
      const status = await exited;
      if (tty) {
        await Promise.race([tty.done, new Promise((r) => setTimeout(r, 200))]);
        tty.detach();
      }
      stopForwarding();
      trace('cli: container exited');
      if (!a.keep) await deleteContainer(ctx.g, a.id, true, state);
      trace('cli: deleted');
      ctx.exitCode = status;
    },
  };
}

export function startCommand(ctx: Context): CommandModule<any, any> {
  return {
    command: 'start [id]',
    describe: 'executes the user defined process in a created container',
    builder: (y) => y.positional('id', idArg),
    handler: async (a) => start(ctx.g, a.id),
  };
}

export function stateCommand(ctx: Context): CommandModule<any, any> {
  return {
    command: 'state [id]',
    describe: 'output the state of a container',
    builder: (y) => y.positional('id', idArg),
    handler: (a) => {
      const { st, s } = load(ctx.g, a.id);
      writeStdout(JSON.stringify(specState(st, s), null, 2) + '\n');
    },
  };
}

export function listCommand(ctx: Context): CommandModule<any, any> {
  return {
    command: 'list',
    aliases: ['ps-all'],
    describe: 'lists containers started by runc-ts with the given root',
    builder: (y) =>
      y
        .option('format', { alias: 'f', type: 'string', choices: ['table', 'json'], default: 'table', describe: 'select one of: table or json' })
        .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'display only container IDs' }),
    handler: (a) => {
      const states = listStates(ctx.g);
      if (a.quiet) {
        for (const s of states) writeStdout(s.id + '\n');
        return;
      }
      if (a.format === 'json') {
        writeStdout(JSON.stringify(states.length ? states : null) + '\n');
        return;
      }
      const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])];
      writeStdout(formatTable(rows));
    },
  };
}

export function killCommand(ctx: Context): CommandModule<any, any> {
  return {
    command: 'kill [id] [signal]',
    describe: 'kill sends the specified signal (default: SIGTERM) to the container\'s init process',
    builder: (y) =>
      y
        .positional('id', idArg)
        // No yargs default: collectPositionals() fills the signal from after a `--` too.
        .positional('signal', { type: 'string', describe: 'signal name or number (default: SIGTERM)' })
        .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'send the specified signal to all processes inside the container' }),
    handler: (a) => killContainer(ctx.g, a.id, parseSignal(String(a.signal ?? 'SIGTERM')), a.all),
  };
}

export function deleteCommand(ctx: Context): CommandModule<any, any> {
  return {
    command: 'delete [id]',
    aliases: ['rm'],
    describe: 'delete any resources held by the container often used with detached container',
    builder: (y) =>
      y.positional('id', idArg).option('force', { alias: 'f', type: 'boolean', default: false, describe: 'forcibly deletes the container if it is still running (uses SIGKILL)' }),
    handler: async (a) => {
      try {
        await deleteContainer(ctx.g, a.id, a.force);
      } catch (e) {
        // runc: deleting a container that does not exist with --force is not an error.
        if (a.force && e instanceof RuntimeError && e.message === 'container does not exist') return;
        throw e;
      }
    },
  };
}

/** All of them, in runc's order. */
export function lifecycleCommands(ctx: Context): CommandModule<any, any>[] {
  return [createCommand(ctx), runCommand(ctx), startCommand(ctx), stateCommand(ctx), listCommand(ctx), killCommand(ctx), deleteCommand(ctx)];
}
