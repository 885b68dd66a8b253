'use strict';
// Loads runc-ts's bundles through V8's code cache (Node 20 has no module compile cache of its
// own): compiling a bundle from source on every command costs several milliseconds. Each cache
// sits next to its bundle (<bundle>.cache); V8 rejects it if the source or the Node version
// changed, and it is then written again at exit (when the directory is writable). The lazily
// loaded chunks (`require('./x.cjs')` from a bundle) go through the same path.
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const Module = require('module');

const loaded = new Map();

function load(name) {
  const file = path.join(__dirname, name);
  const done = loaded.get(file);
  if (done) return done.exports;
  const cacheFile = file + '.cache';
  const source = fs.readFileSync(file, 'utf8');
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {}
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    // Written at exit so that the functions this command ran are in it, compiled.
    process.once('exit', () => {
      try {
        fs.writeFileSync(cacheFile + '.tmp', script.createCachedData());
        fs.renameSync(cacheFile + '.tmp', cacheFile);
      } catch {}
    });
  }
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(__dirname);
  loaded.set(file, m);
  const req = (id) => (id.startsWith('./') && id.endsWith('.cjs') ? load(id.slice(2)) : m.require(id));
  script.runInThisContext().call(m.exports, m.exports, req, m, file, __dirname);
  return m.exports;
}

module.exports = load;

// `node boot.cjs <bundle>` runs a bundle (the container init is started this way);
// `node boot.cjs --precompile <bundle>` only writes its cache.
if (require.main === module) {
  if (process.argv[2] === '--precompile') {
    const file = path.join(__dirname, process.argv[3]);
    const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file });
    fs.writeFileSync(file + '.cache', script.createCachedData());
  } else {
    load(process.argv[2]);
  }
}
