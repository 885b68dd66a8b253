// Classic BPF as seccomp uses it: encoding to and from struct sock_filter bytes, the -ENOSYS
// stub runc prepends to libseccomp's program (libcontainer/seccomp/patchbpf), and a small
// interpreter so tests (and debugging) can ask "what does this filter return for syscall X?".
// No native code here.
import { endianness } from 'node:os';
import { ENOSYS, RET, SOCK_FILTER_SIZE, X32_SYSCALL_BIT } from './constants';

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const LE = endianness() === 'LE';

// Opcodes (<linux/filter.h>): class | size/op | source.
const LD_W_ABS = 0x20;
const JA = 0x05;
const JEQ_K = 0x15;
const JGT_K = 0x25;
const JSET_K = 0x45;
const RET_K = 0x06;

const ins = (code: number, jt: number, jf: number, k: number): Insn => ({ code, jt, jf, k: k >>> 0 });
const ld = (off: number) => ins(LD_W_ABS, 0, 0, off);
const ja = (k: number) => ins(JA, 0, 0, k);
const ret = (k: number) => ins(RET_K, 0, 0, k);
const jeq = (k: number, jt: number, jf: number) => ins(JEQ_K, jt, jf, k);
const jgt = (k: number, jt: number, jf: number) => ins(JGT_K, jt, jf, k);
const jset = (k: number, jt: number, jf: number) => ins(JSET_K, jt, jf, k);

/** struct sock_filter[] bytes in host byte order (what seccomp_export_bpf writes). */
export function decode(buf: Buffer): Insn[] {
  if (buf.length % SOCK_FILTER_SIZE !== 0) throw new Error(`seccomp: BPF length ${buf.length} is not a multiple of ${SOCK_FILTER_SIZE}`);
  const out: Insn[] = [];
  for (let o = 0; o < buf.length; o += SOCK_FILTER_SIZE) {
    out.push({
      code: LE ? buf.readUInt16LE(o) : buf.readUInt16BE(o),
      jt: buf[o + 2],
      jf: buf[o + 3],
      k: LE ? buf.readUInt32LE(o + 4) : buf.readUInt32BE(o + 4),
    });
  }
  return out;
}

export function encode(prog: Insn[]): Buffer {
  const buf = Buffer.alloc(prog.length * SOCK_FILTER_SIZE);
  prog.forEach((i, n) => {
    const o = n * SOCK_FILTER_SIZE;
    if (LE) buf.writeUInt16LE(i.code, o); else buf.writeUInt16BE(i.code, o);
    buf[o + 2] = i.jt;
    buf[o + 3] = i.jf;
    if (LE) buf.writeUInt32LE(i.k >>> 0, o + 4); else buf.writeUInt32BE(i.k >>> 0, o + 4);
  });
  return buf;
}

/** The kernel's answer for "unknown syscall": -ENOSYS, as if the kernel did not have it. */
export const RET_ENOSYS = (RET.ERRNO | ENOSYS) >>> 0;

/** Per AUDIT_ARCH value: the highest syscall number the profile names, per libseccomp arch
 *  (two entries only for x86_64, which hosts both x86_64 and x32 syscalls). */
export type LastSyscalls = Map<number, Map<string, number>>;

const AUDIT_X86_64 = 0xc000003e;
const AUDIT_S390 = 0x16;
const AUDIT_S390X = 0x80000016;

/**
 * runc's -ENOSYS stub (patchbpf.generateEnosysStub): for each architecture, syscall numbers
 * above the highest one the profile knows return -ENOSYS instead of the default action, so
 * that programs probing for newer syscalls (clone3, openat2, ...) fall back gracefully rather
 * than seeing EPERM. Everything else falls through to the libseccomp program, which follows.
 * Built back to front because jumps are counted from the end. Keys of the inner maps are
 * libseccomp arch names ('x86_64', 'x32', ...).
 */
export function enosysStub(last: LastSyscalls): Insn[] {
  // Fall-through jumps into the filter; jumps to the last instruction get -ENOSYS.
  let tail: Insn[] = [ja(1), ret(RET_ENOSYS)];
  const archJump = new Map<number, number>();

  for (const [audit, maxes] of last) {
    if (maxes.size === 0) continue;
    const baseJumpEnosys = tail.length - 1;
    const baseJumpFilter = baseJumpEnosys + 1;
    const section: Insn[] = [ld(0)]; // seccomp_data.nr
    if (maxes.size === 1) {
      const [[arch, sysno]] = [...maxes];
      // s390: unknown syscalls are multiplexed through setup(2) = 0, which nobody calls anymore.
      if (audit === AUDIT_S390 || audit === AUDIT_S390X) section.push(jeq(0, 0, 1), ret(RET_ENOSYS));
      let sectionTail: Insn[] = baseJumpEnosys + 1 <= 255
        ? [jgt(sysno, baseJumpEnosys + 1, 0), ja(baseJumpFilter)]
        : [jgt(sysno, 0, 1), ret(RET_ENOSYS), ja(baseJumpFilter)];
      if (audit === AUDIT_X86_64) {
        // Only look at the numbers of the matching ABI: x32 numbers have bit 30 set.
        const skip = sectionTail.length - 1;
        if (arch === 'x86_64') sectionTail = [jset(X32_SYSCALL_BIT, skip, 0), ...sectionTail];
        else if (arch === 'x32') sectionTail = [jset(X32_SYSCALL_BIT, 0, skip), ...sectionTail];
        else throw new Error(`seccomp: unknown x86_64 sub-architecture ${arch}`);
      }
      section.push(...sectionTail);
    } else if (maxes.size === 2) {
      const x86 = maxes.get('x86_64');
      const x32 = maxes.get('x32');
      if (audit !== AUDIT_X86_64 || x86 === undefined || x32 === undefined) {
        throw new Error(`seccomp: unexpected architecture overlap on audit arch 0x${audit.toString(16)}`);
      }
      if (baseJumpEnosys + 2 <= 255) {
        section.push(jset(X32_SYSCALL_BIT, 1, 0), jgt(x86, baseJumpEnosys + 2, 1), jgt(x32, baseJumpEnosys + 1, 0), ja(baseJumpFilter));
      } else {
        section.push(jset(X32_SYSCALL_BIT, 1, 0), jgt(x86, 1, 2), jgt(x32, 0, 1), ret(RET_ENOSYS), ja(baseJumpFilter));
      }
    } else {
      throw new Error(`seccomp: ${maxes.size} architectures overlap on audit arch 0x${audit.toString(16)}`);
    }
    tail = [...section, ...tail];
    archJump.set(audit, tail.length);
  }

  // Architectures without a section go straight to the filter (which applies its bad-arch action).
  tail = [ja(tail.length), ...tail];
  for (const audit of archJump.keys()) {
    const jump = tail.length - archJump.get(audit)!;
    tail = jump <= 255 ? [jeq(audit, jump, 0), ...tail] : [jeq(audit, 0, 1), ja(jump), ...tail];
  }
  return [ld(4) /* seccomp_data.arch */, ...tail];
}

/** Input for {@link run}: struct seccomp_data. */
export interface SeccompData {
  nr: number;
  arch: number;
  ip?: bigint;
  args?: Array<bigint | number>;
}

export function seccompData(d: SeccompData): Buffer {
  const b = Buffer.alloc(64);
  const w32 = (v: number, o: number) => (LE ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  const w64 = (v: bigint, o: number) => (LE ? b.writeBigUInt64LE(BigInt.asUintN(64, v), o) : b.writeBigUInt64BE(BigInt.asUintN(64, v), o));
  w32(d.nr, 0);
  w32(d.arch, 4);
  w64(d.ip ?? 0n, 8);
  (d.args ?? []).forEach((a, i) => w64(BigInt(a), 16 + 8 * i));
  return b;
}

/**
 * Runs a classic BPF program on a seccomp_data buffer and returns the filter's u32 verdict,
 * as the kernel would (the subset of cBPF that seccomp allows; throws on anything else).
 */
export function run(prog: Insn[], data: Buffer): number {
  let A = 0, X = 0, pc = 0;
  const M = new Uint32Array(16);
  const load = (off: number) => {
    if (off % 4 !== 0 || off + 4 > data.length) throw new Error(`bpf: bad load offset ${off}`);
    return LE ? data.readUInt32LE(off) : data.readUInt32BE(off);
  };
  for (let steps = 0; steps < 1_000_000; steps++) {
    const i = prog[pc];
    if (!i) throw new Error(`bpf: fell off the program at ${pc}`);
    pc++;
    const cls = i.code & 0x07;
    const src = i.code & 0x08 ? X : i.k;
    switch (cls) {
      case 0x00: { // LD
        const mode = i.code & 0xe0;
        if (mode === 0x20) A = load(i.k); else if (mode === 0x00) A = i.k; else if (mode === 0x60) A = M[i.k];
        else if (mode === 0x80) A = data.length; else throw new Error(`bpf: bad ld 0x${i.code.toString(16)}`);
        break;
      }
      case 0x01: { // LDX
        const mode = i.code & 0xe0;
        if (mode === 0x00) X = i.k; else if (mode === 0x60) X = M[i.k]; else if (mode === 0x80) X = data.length;
        else throw new Error(`bpf: bad ldx 0x${i.code.toString(16)}`);
        break;
      }
      case 0x02: M[i.k] = A; break; // ST
      case 0x03: M[i.k] = X; break; // STX
      case 0x04: { // ALU
        const op = i.code & 0xf0;
        const s = src >>> 0;
        switch (op) {
          case 0x00: A = A + s; break;
          case 0x10: A = A - s; break;
          case 0x20: A = Number((BigInt(A) * BigInt(s)) & 0xffffffffn); break;
          case 0x30: if (s === 0) return 0; A = Math.floor((A >>> 0) / s); break;
          case 0x40: A = A | s; break;
          case 0x50: A = A & s; break;
          case 0x60: A = s >= 32 ? 0 : A << s; break;
          case 0x70: A = s >= 32 ? 0 : A >>> s; break;
          case 0x80: A = -A; break;
          case 0x90: if (s === 0) return 0; A = (A >>> 0) % s; break;
          case 0xa0: A = A ^ s; break;
          default: throw new Error(`bpf: bad alu 0x${i.code.toString(16)}`);
        }
        A >>>= 0;
        break;
      }
      case 0x05: { // JMP
        const op = i.code & 0xf0;
        const s = src >>> 0;
        let cond: boolean;
        if (op === 0x00) { pc += i.k; break; }
        else if (op === 0x10) cond = A === s;
        else if (op === 0x20) cond = A > s;
        else if (op === 0x30) cond = A >= s;
        else if (op === 0x40) cond = (A & s) !== 0;
        else throw new Error(`bpf: bad jmp 0x${i.code.toString(16)}`);
        pc += cond ? i.jt : i.jf;
        break;
      }
      case 0x06: return ((i.code & 0x18) === 0x10 ? A : i.k) >>> 0; // RET
      case 0x07: if (i.code & 0x80) A = X; else X = A; break; // MISC: TXA / TAX
    }
  }
  throw new Error('bpf: program does not terminate');
}
