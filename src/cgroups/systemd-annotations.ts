// org.systemd.property.<Name> annotations -> extra properties of the container's unit (runc's
// specconv initSystemdProps): values in GVariant text form, "...Sec" names in seconds turned
// into systemd's "...USec" microseconds.
import type { Spec } from '../spec/types';
import type { UnitProp } from './systemd-props';

const VALID_NAME = /^[a-zA-Z]{3,}$/;
const SEC_SUFFIX = /[a-z]Sec$/;
const INT_TYPES: Record<string, [signature: string, min: bigint, max: bigint]> = {
  byte: ['y', 0n, 255n],
  int16: ['n', -(2n ** 15n), 2n ** 15n - 1n],
  uint16: ['q', 0n, 2n ** 16n - 1n],
  int32: ['i', -(2n ** 31n), 2n ** 31n - 1n],
  uint32: ['u', 0n, 2n ** 32n - 1n],
  int64: ['x', -(2n ** 63n), 2n ** 63n - 1n],
  uint64: ['t', 0n, 2n ** 64n - 1n],
};

/**
 * The GVariant text values annotations use (godbus's ParseVariant, the common subset): booleans,
 * 'strings' or "strings", numbers with an optional type word ("uint64 5", "@t 5"; bare integers
 * are int32, bare decimals double), and [arrays] of those.
 */
export function parseVariantText(text: string): [signature: string, value: unknown] {
  const p = { s: text.trim(), i: 0 };
  const v = parseValue(p, undefined);
  skipWs(p);
  if (p.i !== p.s.length) throw new Error(`unexpected "${p.s.slice(p.i)}"`);
  return v;
}

const SIG_OF_AT: Record<string, string> = { y: 'byte', n: 'int16', q: 'uint16', i: 'int32', u: 'uint32', x: 'int64', t: 'uint64', d: 'double', b: 'boolean', s: 'string' };

function skipWs(p: { s: string; i: number }) {
  while (p.i < p.s.length && /\s/.test(p.s[p.i]!)) p.i++;
}

function parseValue(p: { s: string; i: number }, typeWord: string | undefined): [string, unknown] {
  skipWs(p);
  const rest = p.s.slice(p.i);
  let m: RegExpExecArray | null;
  if ((m = /^@([ynqiuxtdbs])\s+/.exec(rest)) || (m = /^(byte|int16|uint16|int32|uint32|int64|uint64|double|boolean|string)\s+/.exec(rest))) {
    p.i += m[0].length;
    return parseValue(p, SIG_OF_AT[m[1]!] ?? m[1]);
  }
  if (rest[0] === '[') {
    p.i++;
    const items: [string, unknown][] = [];
    skipWs(p);
    if (p.s[p.i] === ']') {
      p.i++;
      throw new Error('empty arrays need a type (not supported)');
    }
    for (;;) {
      items.push(parseValue(p, typeWord));
      skipWs(p);
      if (p.s[p.i] === ',') p.i++;
      else if (p.s[p.i] === ']') {
        p.i++;
        break;
      } else throw new Error(`expected "," or "]" at "${p.s.slice(p.i)}"`);
    }
    const sig = items[0]![0];
    if (items.some((x) => x[0] !== sig)) throw new Error('array elements of different types');
    return ['a' + sig, items.map((x) => x[1])];
  }
  if ((m = /^(true|false)\b/.exec(rest))) {
    if (typeWord && typeWord !== 'boolean') throw new Error(`${m[1]} is not a ${typeWord}`);
    p.i += m[0].length;
    return ['b', m[1] === 'true'];
  }
  if (rest[0] === "'" || rest[0] === '"') {
    const q = rest[0];
    let out = '';
    let j = 1;
    for (; j < rest.length && rest[j] !== q; j++) out += rest[j] === '\\' ? rest[++j] : rest[j];
    if (j >= rest.length) throw new Error('unterminated string');
    if (typeWord && typeWord !== 'string') throw new Error(`string is not a ${typeWord}`);
    p.i += j + 1;
    return ['s', out];
  }
  if ((m = /^[-+]?(\d+(\.\d*)?([eE][-+]?\d+)?|\.\d+)/.exec(rest))) {
    p.i += m[0].length;
    const isFloat = /[.eE]/.test(m[0]);
    if (typeWord === 'double' || (!typeWord && isFloat)) return ['d', Number(m[0])];
    const t = INT_TYPES[typeWord ?? 'int32'];
    if (!t || isFloat) throw new Error(`${m[0]} is not a ${typeWord}`);
    const n = BigInt(m[0].replace(/^\+/, ''));
    if (n < t[1] || n > t[2]) throw new Error(`${m[0]} out of range for ${typeWord ?? 'int32'}`);
    return [t[0], t[0] === 't' || t[0] === 'x' ? n : Number(n)];
  }
  throw new Error(`cannot parse "${rest}"`);
}

/** runc's convertSecToUSec: seconds of any numeric type -> uint64 microseconds. */
function secToUSec(sig: string, v: unknown): bigint {
  if (sig === 'd') return BigInt.asUintN(64, BigInt(Math.trunc((v as number) * 1e6)));
  if (!'ynqiuxt'.includes(sig) || sig.length !== 1) throw new Error('not a number');
  return BigInt.asUintN(64, BigInt(v as number | bigint) * 1000000n);
}

/** org.systemd.property.* annotations -> extra unit properties; "...Sec" names become "...USec". */
export function annotationProperties(annotations: Spec['annotations']): UnitProp[] {
  const props: UnitProp[] = [];
  const prefix = 'org.systemd.property.';
  for (const [k, text] of Object.entries(annotations ?? {})) {
    if (!k.startsWith(prefix)) continue;
    let name = k.slice(prefix.length);
    if (!VALID_NAME.test(name)) throw new Error(`Annotation ${k} name incorrect: ${name}`);
    let sig: string;
    let value: unknown;
    try {
      [sig, value] = parseVariantText(text);
      if (SEC_SUFFIX.test(name)) {
        name = name.slice(0, -'Sec'.length) + 'USec';
        value = secToUSec(sig, value);
        sig = 't';
      }
    } catch (e: any) {
      throw new Error(`Annotation ${k}=${text} value parse error: ${e.message}`);
    }
    props.push([name, sig, value]);
  }
  return props;
}
