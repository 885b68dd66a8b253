// The calls Docker and containerd make for every container besides create and exec. The
// compiled executable runs their plain forms from a bundle of their own, runc-ts-lite.cjs
// (main.ts built with __LITE__ set: scripts/build.mjs), which holds none of create's, exec's or
// yargs' code: less to load on every one of those calls. Its entry (src/bun-entry.ts) chooses
// by the command word; anything the lite bundle does not parse goes on to the whole CLI.
export const LITE_COMMANDS: ReadonlySet<string> = new Set(['state', 'start', 'kill', 'delete']);
