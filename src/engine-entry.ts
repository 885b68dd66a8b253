// Entry point of the compiled Bun executable (src/engine.ts): the container init when
// spawnInit started it ($_RUNCTS_INITPIPE set, as for `node dist/init.cjs`), the CLI otherwise.
// Both are required lazily so that each loads only its own modules.
require('./trace').trace(`engine started (${performance.now().toFixed(1)} ms after exec)`);
if (process.env._RUNCTS_INITPIPE) require('./libcontainer/init/main');
else require('./cli/main');
