// node:path in the bundles (scripts/build.mjs maps it here): path-browserify, node's posix path
// ported, loaded once and exported by name. Imported as the CommonJS package itself, each of
// the ~20 importing modules copied its properties into getters of its own at start-up (~1% of
// a `run`'s CLI samples) and every call went through one.
const path: typeof import('node:path') = require('path-browserify');

export const { dirname, isAbsolute, join, normalize, relative, resolve, posix } = path;
