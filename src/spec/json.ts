// Guards for JSON the runtime reads from disk (config.json, process.json, state.json): V8
// parses any depth, but JSON.stringify, structured clone and recursive validators overflow the
// stack on a few thousand levels, far from the file. Refuse such a document up front, naming it.

/** Far beyond any real config (the runtime-spec's deepest path has 6 levels). */
export const MAX_JSON_DEPTH = 1000;

/**
 * Throws `makeError(message)` when `text` nests arrays/objects deeper than MAX_JSON_DEPTH. A
 * document with no more opening brackets than that cannot nest deeper: counted with indexOf
 * (native), that settles every real config. Only beyond it are the characters walked one by
 * one, which in the interpreter cost ~1 ms per 16 KB (Docker's config with its seccomp
 * profile, and every state.json that holds it, read by each start, state, kill and delete).
 */
export function checkJsonDepth(text: string, fileLabel: string, makeError: (m: string) => Error): void {
  if (countAtMost(text, '{', countAtMost(text, '[', MAX_JSON_DEPTH)) >= 0) return;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string (escapes included); an unterminated one is the parser's to report.
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > MAX_JSON_DEPTH) throw makeError(`${fileLabel}: JSON nested deeper than ${MAX_JSON_DEPTH} levels (at offset ${i})`);
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
}

/** `budget` less the occurrences of `ch` in `text`; negative (stopping there) once they exceed it. */
function countAtMost(text: string, ch: string, budget: number): number {
  for (let i = text.indexOf(ch); i !== -1 && budget >= 0; i = text.indexOf(ch, i + 1)) budget--;
  return budget;
}

/** Parses a file that must hold one JSON object (state.json): a one-line error otherwise. */
export function parseJsonObject(text: string, fileLabel: string, makeError: (m: string) => Error): Record<string, unknown> {
  checkJsonDepth(text, fileLabel, makeError);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw makeError(`${fileLabel}: invalid JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw makeError(`${fileLabel}: expected a JSON object, found ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  }
  return v as Record<string, unknown>;
}
