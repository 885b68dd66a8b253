// koffi's typings resolve as ESM; its CommonJS build is what the bundles load. Take the types
// only and require() the module, in one place, on first use: commands that make no foreign
// call (state, list) never pay for loading it.
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };

let loaded: typeof Koffi | undefined;
export function getKoffi(): typeof Koffi {
  return (loaded ??= require('koffi') as typeof Koffi);
}

/** The koffi module, loaded when a property is first read. */
const koffi = new Proxy({} as typeof Koffi, { get: (_, key) => (getKoffi() as any)[key] });
export default koffi;
