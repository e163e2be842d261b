/**
 * A tiny WebAssembly assembler: just what the dump kernels need (i32 locals and globals, loads
 * and stores, structured control flow), written as nested expressions so that a kernel reads like
 * code rather than like a stack of opcodes. Each helper returns the bytecode of one expression or
 * statement; `module` wraps functions into a binary module that imports its memory as `e.m`.
 *
 * Opcodes and encodings follow the WebAssembly core specification (binary format, section 5).
 */

/** Bytecode of one expression or statement. */
export type Code = readonly number[];

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
function sleb32(n: number): number[] {
  n |= 0;
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const seq = (...parts: Code[]): number[] => parts.flat();

/** Statements in order. */
export const block = (...body: Code[]): Code => seq([0x02, 0x40], ...body, [0x0b]);
export const loop = (...body: Code[]): Code => seq([0x03, 0x40], ...body, [0x0b]);
export const if_ = (cond: Code, ...then: Code[]): Code => seq(cond, [0x04, 0x40], ...then, [0x0b]);
/** Branch to the label `depth` levels out (0 = innermost block/loop/if). */
export const br = (depth: number): Code => [0x0c, ...uleb(depth)];
export const brIf = (depth: number, cond: Code): Code => seq(cond, [0x0d], uleb(depth));

export const i32 = (n: number): Code => [0x41, ...sleb32(n)];
const bin =
  (op: number) =>
  (a: Code, b: Code): Code =>
    seq(a, b, [op]);
export const add = bin(0x6a);
export const sub = bin(0x6b);
export const mul = bin(0x6c);
export const divU = bin(0x6e);
export const remU = bin(0x70);
export const and = bin(0x71);
export const or = bin(0x72);
export const shl = bin(0x74);
export const shrU = bin(0x76);
export const eq = bin(0x46);
export const ne = bin(0x47);
export const ltU = bin(0x49);
export const gtU = bin(0x4b);
export const geU = bin(0x4f);
/** i64 equality of two i64 operands (e.g. two {@link load64}); an i32 result. */
export const eq64 = bin(0x51);
/** `cond ? a : b`, both evaluated. */
export const select = (a: Code, b: Code, cond: Code): Code => seq(a, b, cond, [0x1b]);

// Loads and stores take an address expression and a constant offset; alignment hint 0 (any).
const memarg = (offset: number): number[] => [0, ...uleb(offset)];
export const load8 = (addr: Code, offset = 0): Code => seq(addr, [0x2d], memarg(offset));
export const load16 = (addr: Code, offset = 0): Code => seq(addr, [0x2f], memarg(offset));
export const load32 = (addr: Code, offset = 0): Code => seq(addr, [0x28], memarg(offset));
/** An i64 load: fed into {@link store64} (an 8-byte copy) or {@link eq64}. */
export const load64 = (addr: Code, offset = 0): Code => seq(addr, [0x29], memarg(offset));
export const store8 = (addr: Code, v: Code, offset = 0): Code => seq(addr, v, [0x3a], memarg(offset));
export const store16 = (addr: Code, v: Code, offset = 0): Code => seq(addr, v, [0x3b], memarg(offset));
export const store32 = (addr: Code, v: Code, offset = 0): Code => seq(addr, v, [0x36], memarg(offset));
export const store64 = (addr: Code, v: Code, offset = 0): Code => seq(addr, v, [0x37], memarg(offset));
/** A v128 (SIMD) load; only ever fed straight into {@link store128}: a 16-byte copy. */
export const load128 = (addr: Code, offset = 0): Code => seq(addr, [0xfd, 0x00], memarg(offset));
export const store128 = (addr: Code, v: Code, offset = 0): Code => seq(addr, v, [0xfd, 0x0b], memarg(offset));
/** A v128 constant with every byte lane set to `b`. */
export const splat8 = (b: number): Code => [0xfd, 0x0c, ...Array<number>(16).fill(b & 0xff)];
/** Lane-wise i8x16 operations. */
export const sub8x16 = (a: Code, b: Code): Code => seq(a, b, [0xfd, ...uleb(0x71)]);
export const ltU8x16 = (a: Code, b: Code): Code => seq(a, b, [0xfd, ...uleb(0x26)]);
/** `(a & mask) | (b & ~mask)`. */
export const bitselect = (a: Code, b: Code, mask: Code): Code => seq(a, b, mask, [0xfd, ...uleb(0x52)]);

export const globalGet = (i: number): Code => [0x23, ...uleb(i)];
export const globalSet = (i: number, v: Code): Code => seq(v, [0x24], uleb(i));

/**
 * Named i32 locals of one function: parameters first, then locals.
 * `get('p')`, `set('p', expr)`, `inc('p', expr)` (p += expr).
 */
export class Locals<N extends string> {
  private readonly index = new Map<string, number>();
  constructor(
    readonly params: readonly N[],
    readonly locals: readonly N[],
  ) {
    [...params, ...locals].forEach((n, i) => {
      this.index.set(n, i);
    });
  }
  private at(name: N): number[] {
    const i = this.index.get(name);
    if (i === undefined) throw new Error(`wasm-asm: unknown local ${name}`);
    return uleb(i);
  }
  get(name: N): Code {
    return [0x20, ...this.at(name)];
  }
  set(name: N, v: Code): Code {
    return seq(v, [0x21], this.at(name));
  }
  inc(name: N, v: Code): Code {
    return this.set(name, add(this.get(name), v));
  }
}

/** One exported function: all parameters and locals are i32; it returns one i32 or nothing. */
export interface FuncDef {
  readonly name: string;
  readonly vars: Locals<string>;
  readonly returns: boolean;
  readonly body: Code;
}

const I32 = 0x7f;

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  const bytes = Array.from(s, (c) => c.charCodeAt(0));
  return [...uleb(bytes.length), ...bytes];
}

/**
 * A module importing one memory (`e.m`, at least `memoryPages` pages of 64 KiB), with `globals`
 * mutable i32 globals exported as `g0`, `g1`, ..., and the functions exported by name.
 */
export function module(funcs: readonly FuncDef[], memoryPages: number, globals: number): Uint8Array {
  const types = funcs.map((f) => [0x60, ...uleb(f.vars.params.length), ...f.vars.params.map(() => I32), ...(f.returns ? [1, I32] : [0])]);
  const imports = [[...name('e'), ...name('m'), 0x02, 0x00, ...uleb(memoryPages)]];
  const functions = funcs.map((_, i) => uleb(i));
  const globalDefs = Array.from({ length: globals }, () => [I32, 0x01, ...i32(0), 0x0b]);
  const exports = [
    ...funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
    ...Array.from({ length: globals }, (_, i) => [...name(`g${i}`), 0x03, ...uleb(i)]),
  ];
  const bodies = funcs.map((f) => {
    const locals = f.vars.locals.length > 0 ? [1, ...uleb(f.vars.locals.length), I32] : [0];
    const code = [...locals, ...f.body, 0x0b];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(functions)),
    ...section(6, vec(globalDefs)),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}
