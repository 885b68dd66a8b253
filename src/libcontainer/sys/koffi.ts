// koffi's typings resolve as ESM; its CommonJS build is what the bundles load. Take the types
// only and require() the module, in one place.
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
const koffi: typeof Koffi = require('koffi');
export default koffi;
