// The compiled executable's entry (scripts/build.mjs): the container init when spawnInit started
// it ($_RUNCTS_INITPIPE set); else the CLI, from runc-ts-lite.cjs for the everyday calls
// (cli/lite.ts), from runc-ts.cjs for the rest. The bundles are embedded files of their own.
import { splitGlobal } from './cli/argv';
import { LITE_COMMANDS } from './cli/lite';

if (process.env._RUNCTS_INITPIPE) require('./init.cjs');
else if (LITE_COMMANDS.has(splitGlobal(process.argv.slice(2)).command ?? '')) require('./runc-ts-lite.cjs');
else require('./runc-ts.cjs');
