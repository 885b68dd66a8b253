// The compiled executable's entry (scripts/build.mjs): the container init when spawnInit started
// it ($_RUNCTS_INITPIPE set); else the CLI (started by native/launcher.c), from
// runc-ts-lite.cjs for the everyday calls (cli/lite.ts), from runc-ts.cjs for the rest. The
// bundles are embedded files of their own.
import { splitGlobal } from './cli/argv';
import { LITE_COMMANDS } from './cli/lite';

// The engine options dist/runc-ts (native/launcher.c) set for this process only: what the CLI
// runs (hooks, a pager, node for RUNC_TS_ENGINE=node) sees the caller's environment.
const launcherSet = process.env._RUNCTS_LAUNCHER_SET;
if (launcherSet !== undefined) {
  for (const name of launcherSet.split(',')) delete process.env[name];
  delete process.env._RUNCTS_LAUNCHER_SET;
}

if (process.env._RUNCTS_INITPIPE) require('./init.cjs');
else if (LITE_COMMANDS.has(splitGlobal(process.argv.slice(2)).command ?? '')) require('./runc-ts-lite.cjs');
else require('./runc-ts.cjs');
