// cgroup v2 has no devices.* files: access is decided by a BPF_PROG_TYPE_CGROUP_DEVICE program.
// This generates it from the rules, following runc's devicefilter: the emulator reduces the rules
// to a default action plus exceptions, each exception becomes one block
//   if (type != T) goto next; [if (access & A != access) goto next;] [if (major != M) goto next;]
//   [if (minor != m) goto next;] return allow;
// and the program ends with "return default".
import type { LinuxDeviceCgroup } from '../../spec/types';
import { DeviceEmulator, DeviceRule, fromSpec, ruleString } from './rules';

// struct bpf_cgroup_dev_ctx { u32 access_type /* (access << 16) | type */; u32 major; u32 minor; }
const BPF_DEVCG_DEV_BLOCK = 1;
const BPF_DEVCG_DEV_CHAR = 2;
const BPF_DEVCG_ACC_MKNOD = 1;
const BPF_DEVCG_ACC_READ = 2;
const BPF_DEVCG_ACC_WRITE = 4;

// Opcodes (linux/bpf_common.h, linux/bpf.h)
const LDX_MEM_W = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const ALU_AND_K = 0x54; // BPF_ALU | BPF_AND | BPF_K
const ALU_RSH_K = 0x74; // BPF_ALU | BPF_RSH | BPF_K
const ALU_MOV_K = 0xb4; // BPF_ALU | BPF_MOV | BPF_K
const ALU_MOV_X = 0xbc; // BPF_ALU | BPF_MOV | BPF_X
const JMP_JNE_K = 0x55; // BPF_JMP | BPF_JNE | BPF_K
const JMP_JNE_X = 0x5d; // BPF_JMP | BPF_JNE | BPF_X
const JMP_EXIT = 0x95; // BPF_JMP | BPF_EXIT

export const DEVICE_FILTER_LICENSE = 'Apache';

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** jump to the end of the current block (resolved when encoding) */
  toNext?: boolean;
}
const ins = (code: number, dst: number, src: number, off: number, imm: number, toNext = false): Insn => ({ code, dst, src, off, imm, toNext });

function accessBits(access: string): number {
  let a = 0;
  for (const c of access) a |= c === 'r' ? BPF_DEVCG_ACC_READ : c === 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
  return a;
}

function ruleBlock(r: DeviceRule): Insn[] {
  if (r.type !== 'b' && r.type !== 'c') throw new Error(`cgroup: invalid device type ${JSON.stringify(r.type)} in eBPF rule`);
  if (r.major > 0xffffffff || r.minor > 0xffffffff) throw new Error(`cgroup: invalid device number in rule ${ruleString(r)}`);
  const block: Insn[] = [ins(JMP_JNE_K, 2, 0, 0, r.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, true)];
  const acc = accessBits(r.access);
  if (acc !== 7) {
    // R1 = R3 & acc; if (R1 != R3) goto next: the requested access must be a subset.
    block.push(ins(ALU_MOV_X, 1, 3, 0, 0), ins(ALU_AND_K, 1, 0, 0, acc), ins(JMP_JNE_X, 1, 3, 0, 0, true));
  }
  if (r.major >= 0) block.push(ins(JMP_JNE_K, 4, 0, 0, r.major | 0, true));
  if (r.minor >= 0) block.push(ins(JMP_JNE_K, 5, 0, 0, r.minor | 0, true));
  block.push(ins(ALU_MOV_K, 0, 0, 0, r.allow ? 1 : 0), ins(JMP_EXIT, 0, 0, 0, 0));
  return block;
}

function encode(insns: Insn[]): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((i, n) => {
    buf.writeUInt8(i.code, n * 8);
    buf.writeUInt8((i.src << 4) | i.dst, n * 8 + 1);
    buf.writeInt16LE(i.off, n * 8 + 2);
    buf.writeInt32LE(i.imm | 0, n * 8 + 4);
  });
  return buf;
}

/** The eBPF program (struct bpf_insn[], 8 bytes each, little-endian) for the given spec device rules. */
export function deviceFilterProgram(rules: LinuxDeviceCgroup[]): Buffer {
  const emu = DeviceEmulator.fromRules(rules.map(fromSpec));
  const insns: Insn[] = [
    ins(LDX_MEM_W, 2, 1, 0, 0), // R2 = ctx->access_type
    ins(ALU_AND_K, 2, 0, 0, 0xffff), // R2 &= 0xffff: device type
    ins(LDX_MEM_W, 3, 1, 0, 0), // R3 = ctx->access_type
    ins(ALU_RSH_K, 3, 0, 0, 16), // R3 >>= 16: access
    ins(LDX_MEM_W, 4, 1, 4, 0), // R4 = ctx->major
    ins(LDX_MEM_W, 5, 1, 8, 0), // R5 = ctx->minor
  ];
  for (const r of emu.sorted()) {
    const block = ruleBlock(r);
    const start = insns.length;
    const end = start + block.length;
    block.forEach((b, i) => {
      if (b.toNext) b.off = end - (start + i + 1);
    });
    insns.push(...block);
  }
  insns.push(ins(ALU_MOV_K, 0, 0, 0, emu.defaultAllow ? 1 : 0), ins(JMP_EXIT, 0, 0, 0, 0));
  return encode(insns);
}

/** Human-readable listing of a program (for tests and debugging). */
export function disassemble(prog: Buffer): string[] {
  const names: Record<number, string> = { [LDX_MEM_W]: 'ldxw', [ALU_AND_K]: 'and32', [ALU_RSH_K]: 'rsh32', [ALU_MOV_K]: 'mov32', [ALU_MOV_X]: 'mov32', [JMP_JNE_K]: 'jne', [JMP_JNE_X]: 'jne', [JMP_EXIT]: 'exit' };
  const out: string[] = [];
  for (let n = 0; n < prog.length; n += 8) {
    const code = prog[n];
    const dst = prog[n + 1] & 0xf;
    const src = prog[n + 1] >> 4;
    const off = prog.readInt16LE(n + 2);
    const imm = prog.readInt32LE(n + 4);
    const name = names[code] ?? `op${code.toString(16)}`;
    if (code === LDX_MEM_W) out.push(`${name} r${dst}, [r${src}+${off}]`);
    else if (code === JMP_JNE_K) out.push(`${name} r${dst}, ${imm}, +${off}`);
    else if (code === JMP_JNE_X) out.push(`${name} r${dst}, r${src}, +${off}`);
    else if (code === ALU_MOV_X) out.push(`${name} r${dst}, r${src}`);
    else if (code === JMP_EXIT) out.push(name);
    else out.push(`${name} r${dst}, ${imm}`);
  }
  return out;
}
