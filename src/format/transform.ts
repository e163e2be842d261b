/**
 * The byte transforms of `transform` (and of the patch statements that name one): pure kernels
 * that rewrite a window of a range in place, so that the engine can walk a range of any size one
 * window at a time.
 *
 * - `xor KEY`, `and KEY`, `or KEY`: KEY is hex bytes of any length (`5a`, `de ad be ef`,
 *   `0x1234`); key byte `i mod KEY.length` applies to the range's byte `i`, so the key repeats
 *   from the range's start whatever the windows are. Bytewise: no unit (or `u8`).
 * - `not`: every bit flipped. Bytewise.
 * - `add N`, `sub N`: N added to (subtracted from) every unit, modulo 2^bits (wrap-around).
 *   N may be written signed or unsigned (`-1` and `255` are the same for u8).
 * - `rol N`, `ror N`: true rotates of every unit's bits (0 <= N < bits).
 * - `shl N`, `shr N`: logical shifts of every unit's bits, zeros shifted in (0 <= N < bits).
 * - `swap16`, `swap32`, `swap64`: the byte order of every 2-, 4-, 8-byte unit reversed;
 *   `bswap` does the same for the unit given (u16, u32 or u64).
 * - `reverse`: the bit order of every unit reversed (bit 0 <-> bit bits-1). For u8, within each
 *   byte; for wider units that is each byte's bits reversed and the unit's bytes reversed, the
 *   same for either byte order.
 *
 * Units: `u8`, `u16le`, `u16be`, `u32le`, `u32be`, `u64le`, `u64be` (default u8); `bswap` and
 * `reverse` do not depend on the byte order and also take `u16`, `u32`, `u64`. A range must be a
 * whole number of units (the caller checks it against {@link Transform.unit}).
 *
 * Left out: reversing the order of a whole range's bytes. Byte `i` of the result is byte
 * `n-1-i` of the input, so no window can be computed from itself and its phase alone; it is not
 * a {@link Transform}. Within units, `swap16/32/64` (`bswap`) reverse bytes.
 *
 * Speed: the kernels work on 32-bit words through a DataView (explicit byte order, any
 * alignment; V8 compiles its accessors to plain loads and stores), lanes of 8 and 16 bits by
 * SWAR masks, 64-bit units as two words with a carry; a window's last 1 to 3 bytes go through
 * a word of scratch. No loop runs per byte.
 */

import { stringArg } from './args.js';
import { InputError } from '../errors.js';
import { parseHexData } from './data.js';
import { type SimdKernel, simdKernel } from './simd.js';
import { scanNumber } from './number.js';
import { badInput, quote } from './quote.js';

/** One parsed transform: what it is, its unit, and the kernel. */
export interface Transform {
  /** For messages: `xor 5a`, `add 3 (u32le)`. */
  readonly text: string;
  /** Bytes per unit (1, 2, 4 or 8); a range must be a whole number of units. */
  readonly unit: number;
  /**
   * Transforms `bytes` in place. `phase` is the offset of `bytes[0]` from the range's start (a
   * multiple of {@link unit}; keys repeat from the range's start), and `bytes.length` is a
   * multiple of {@link unit}.
   *
   * @throws {RangeError} when `phase` or the length is not a multiple of the unit.
   */
  apply(bytes: Uint8Array, phase: number): void;
  /**
   * How {@link parseTransform} reads this transform back: its three arguments as given. A journal
   * that describes the transform instead of saving the original bytes stores them (src/edit/
   * transform-run.ts); a transform made any other way has none and is journaled by its bytes.
   */
  readonly spec?: TransformSpec;
  /**
   * Bytes of `length` starting `phase` bytes into the range that the transform changes, whatever
   * they hold, when that does not depend on them (`xor KEY`: the bytes under nonzero key bytes;
   * `not`: all; an identity such as `rol 0` or `xor 00`: none). Absent when it depends on the bytes.
   */
  changedBytes?(phase: number, length: number): number;
  /**
   * Whether zero bytes come out as something else (`xor` with a nonzero key, `not`, `add 1`):
   * then a range in holes of a sparse file is all written. Set by {@link parseTransform}.
   */
  readonly changesZeros?: boolean;
  /**
   * A buffer of `n` bytes that {@link apply} transforms fastest (the WebAssembly SIMD kernel's
   * memory, src/format/simd.ts): read a window straight into it. Valid until the next `window`
   * call of any transform. Absent for the transforms that only have JS kernels.
   */
  window?(n: number): Uint8Array;
}

/** The arguments of {@link parseTransform} that made a {@link Transform}. */
export interface TransformSpec {
  readonly op: string;
  readonly arg?: string | undefined;
  readonly unit?: string | undefined;
}

/** Every operation name, in the order the help lists them. */
export const TRANSFORM_OPS: readonly string[] = [
  'xor',
  'and',
  'or',
  'not',
  'add',
  'sub',
  'rol',
  'ror',
  'shl',
  'shr',
  'swap16',
  'swap32',
  'swap64',
  'bswap',
  'reverse',
];

/** Every unit name `--unit` accepts for the ops that depend on the byte order. */
export const TRANSFORM_UNITS: readonly string[] = ['u8', 'u16le', 'u16be', 'u32le', 'u32be', 'u64le', 'u64be'];

/**
 * Rewrites the first `n` bytes of `dv` (n a multiple of 4, and of 8 for 64-bit units), which
 * start `phase` bytes into the range.
 */
type Kernel = (dv: DataView, n: number, phase: number) => void;

interface Unit {
  readonly name: string;
  readonly bytes: 1 | 2 | 4 | 8;
  /** The byte order; `undefined` for u8 and for `u16`, `u32`, `u64` written without one. */
  readonly little: boolean | undefined;
}

function parseUnit(text: string): Unit {
  const m = /^u(8|16|32|64)(le|be)?$/.exec(text);
  if (!m || (m[1] === '8' && m[2] !== undefined)) {
    throw new InputError(`bad unit ${quote(text)}: expected one of ${TRANSFORM_UNITS.join(', ')}`, { token: text, position: 0 });
  }
  const bytes = (Number(m[1]) / 8) as 1 | 2 | 4 | 8;
  return { name: text, bytes, little: m[2] === undefined ? undefined : m[2] === 'le' };
}

const U8: Unit = { name: 'u8', bytes: 1, little: undefined };

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Wraps a kernel into a {@link Transform}: argument checks, the tail of 1 to 3 bytes. */
function transform(text: string, unit: number, kernel: Kernel): Transform {
  return {
    text,
    unit,
    apply(bytes: Uint8Array, phase: number): void {
      if (!Number.isSafeInteger(phase) || phase < 0 || phase % unit !== 0) {
        throw new RangeError(`transform ${text}: phase ${phase} is not a multiple of the unit (${unit} bytes)`);
      }
      const length = bytes.length;
      if (length % unit !== 0) throw new RangeError(`transform ${text}: ${length} bytes are not a whole number of ${unit}-byte units`);
      const tail = length % 4; // 0 for 4- and 8-byte units
      const main = length - tail;
      if (main > 0) kernel(new DataView(bytes.buffer, bytes.byteOffset, main), main, phase);
      if (tail > 0) {
        const word = new Uint8Array(4);
        word.set(bytes.subarray(main));
        kernel(new DataView(word.buffer), 4, phase + main);
        bytes.set(word.subarray(0, tail), main);
      }
    },
  };
}

const identity: Kernel = () => {};

/**
 * `t` with the WebAssembly kernel for bytes in its memory (a window from `window`); the JS kernel
 * does the rest of them, and bytes anywhere else.
 */
function withSimd(t: Transform, simd: SimdKernel | undefined): Transform {
  if (simd === undefined) return t;
  return {
    ...t,
    window: (n) => simd.window(n),
    apply(bytes, phase) {
      if (!Number.isSafeInteger(phase) || phase < 0) return t.apply(bytes, phase); // its RangeError
      const done = simd.run(bytes, phase);
      if (done < bytes.length) t.apply(bytes.subarray(done), phase + done);
    },
  };
}

/** The closed form of an identity: nothing changes. */
const none = (): number => 0;

/**
 * The closed form of `xor KEY`: a byte changes exactly when its key byte is not zero. Counted
 * from prefix sums over one period of the key: no byte of the data is looked at.
 */
function xorChanges(key: Uint8Array): (phase: number, length: number) => number {
  const L = key.length;
  const prefix = new Float64Array(L + 1);
  for (let i = 0; i < L; i++) prefix[i + 1] = prefix[i]! + (key[i] !== 0 ? 1 : 0);
  const perPeriod = prefix[L]!;
  // Nonzero key bytes under the range's bytes [0, a).
  const upTo = (a: number): number => Math.floor(a / L) * perPeriod + prefix[a % L]!;
  return (phase, length) => upTo(phase + length) - upTo(phase);
}

// ---------------------------------------------------------------------------------------------
// Keyed bytewise ops
// ---------------------------------------------------------------------------------------------

function keyKernel(op: 'xor' | 'and' | 'or', key: Uint8Array): Kernel {
  // The key repeated over lcm(length, 4) bytes (a whole number of words), plus one word so
  // that a word read at any position below the period wraps around the key.
  const period = (key.length * 4) / gcd(key.length, 4);
  const ext = new Uint8Array(period + 4);
  ext.set(key);
  for (let filled = key.length; filled < ext.length; filled *= 2) ext.copyWithin(filled, 0, filled);
  const kv = new DataView(ext.buffer);
  if (period === 4) {
    // One word: a constant per window.
    if (op === 'xor') {
      return (dv, n, phase) => {
        const c = kv.getUint32(phase % 4, true);
        for (let i = 0; i < n; i += 4) dv.setUint32(i, dv.getUint32(i, true) ^ c, true);
      };
    }
    if (op === 'and') {
      return (dv, n, phase) => {
        const c = kv.getUint32(phase % 4, true);
        for (let i = 0; i < n; i += 4) dv.setUint32(i, dv.getUint32(i, true) & c, true);
      };
    }
    return (dv, n, phase) => {
      const c = kv.getUint32(phase % 4, true);
      for (let i = 0; i < n; i += 4) dv.setUint32(i, dv.getUint32(i, true) | c, true);
    };
  }
  // Several words: the key's words for each of the 4 byte shifts a window can start at.
  const words = period / 4;
  const byShift = [0, 1, 2, 3].map((shift) => Uint32Array.from({ length: words }, (_, j) => kv.getUint32(shift + 4 * j, true)));
  const start = (phase: number): [Uint32Array, number] => {
    const k = phase % period;
    return [byShift[k % 4]!, k >>> 2];
  };
  if (op === 'xor') {
    return (dv, n, phase) => {
      let [kw, j] = start(phase);
      for (let i = 0; i < n; i += 4) {
        dv.setUint32(i, dv.getUint32(i, true) ^ kw[j]!, true);
        if (++j === words) j = 0;
      }
    };
  }
  if (op === 'and') {
    return (dv, n, phase) => {
      let [kw, j] = start(phase);
      for (let i = 0; i < n; i += 4) {
        dv.setUint32(i, dv.getUint32(i, true) & kw[j]!, true);
        if (++j === words) j = 0;
      }
    };
  }
  return (dv, n, phase) => {
    let [kw, j] = start(phase);
    for (let i = 0; i < n; i += 4) {
      dv.setUint32(i, dv.getUint32(i, true) | kw[j]!, true);
      if (++j === words) j = 0;
    }
  };
}

const notKernel: Kernel = (dv, n) => {
  for (let i = 0; i < n; i += 4) dv.setUint32(i, ~dv.getUint32(i, true), true);
};

// ---------------------------------------------------------------------------------------------
// Per-unit arithmetic and bit ops
// ---------------------------------------------------------------------------------------------

/** `lane` (a value of 8 or 16 bits) in every lane of a 32-bit word. */
function repeat(lane: number, bits: 8 | 16): number {
  return bits === 8 ? (lane & 0xff) * 0x01010101 : ((lane & 0xffff) * 0x10001) >>> 0;
}

/** Adds `v` (0 <= v < 2^bits) to every unit. */
function addKernel(unit: Unit, v: bigint): Kernel {
  const little = unit.little ?? true;
  if (unit.bytes === 8) {
    const vlo = Number(v & 0xffffffffn);
    const vhi = Number(v >> 32n);
    const lo = little ? 0 : 4;
    const hi = 4 - lo;
    return (dv, n) => {
      for (let i = 0; i < n; i += 8) {
        const sum = dv.getUint32(i + lo, little) + vlo;
        dv.setUint32(i + lo, sum, little);
        dv.setUint32(i + hi, dv.getUint32(i + hi, little) + vhi + (sum > 0xffffffff ? 1 : 0), little);
      }
    };
  }
  if (unit.bytes === 4) {
    const c = Number(v);
    return (dv, n) => {
      for (let i = 0; i < n; i += 4) dv.setUint32(i, dv.getUint32(i, little) + c, little);
    };
  }
  // SWAR: add without the lanes' top bits (no carry crosses a lane), then xor the top bits in.
  const bits = unit.bytes === 1 ? 8 : 16;
  const top = repeat(1 << (bits - 1), bits);
  const low = ~top;
  const c = repeat(Number(v), bits);
  const cLow = c & low;
  const cTop = c & top;
  return (dv, n) => {
    for (let i = 0; i < n; i += 4) {
      const x = dv.getUint32(i, little);
      dv.setUint32(i, ((x & low) + cLow) ^ ((x & top) ^ cTop), little);
    }
  };
}

/** Rotates every unit's bits left by `r` (0 < r < bits). */
function rolKernel(unit: Unit, r: number): Kernel {
  const little = unit.little ?? true;
  if (unit.bytes === 8) {
    const lo = little ? 0 : 4;
    const hi = 4 - lo;
    const swap = r >= 32; // a rotate by 32 swaps the halves; the rest is a rotate below 32
    const s = r % 32;
    return (dv, n) => {
      for (let i = 0; i < n; i += 8) {
        let a = dv.getUint32(i + lo, little);
        let b = dv.getUint32(i + hi, little);
        if (swap) [a, b] = [b, a];
        if (s !== 0) [a, b] = [(a << s) | (b >>> (32 - s)), (b << s) | (a >>> (32 - s))];
        dv.setUint32(i + lo, a, little);
        dv.setUint32(i + hi, b, little);
      }
    };
  }
  if (unit.bytes === 4) {
    return (dv, n) => {
      for (let i = 0; i < n; i += 4) {
        const x = dv.getUint32(i, little);
        dv.setUint32(i, (x << r) | (x >>> (32 - r)), little);
      }
    };
  }
  const bits = unit.bytes === 1 ? 8 : 16;
  const laneMask = (1 << bits) - 1;
  const left = repeat((laneMask << r) & laneMask, bits);
  const right = repeat((1 << r) - 1, bits);
  const back = bits - r;
  return (dv, n) => {
    for (let i = 0; i < n; i += 4) {
      const x = dv.getUint32(i, little);
      dv.setUint32(i, ((x << r) & left) | ((x >>> back) & right), little);
    }
  };
}

/** Shifts every unit's bits left (`left`) or right by `s` (0 < s < bits), zeros shifted in. */
function shiftKernel(unit: Unit, s: number, left: boolean): Kernel {
  const little = unit.little ?? true;
  if (unit.bytes === 8) {
    const lo = little ? 0 : 4;
    const hi = 4 - lo;
    return (dv, n) => {
      for (let i = 0; i < n; i += 8) {
        const a = dv.getUint32(i + lo, little);
        const b = dv.getUint32(i + hi, little);
        let na: number;
        let nb: number;
        if (left) {
          if (s >= 32) [na, nb] = [0, a << (s - 32)];
          else [na, nb] = [a << s, (b << s) | (a >>> (32 - s))];
        } else if (s >= 32) [na, nb] = [b >>> (s - 32), 0];
        else [na, nb] = [(a >>> s) | (b << (32 - s)), b >>> s];
        dv.setUint32(i + lo, na, little);
        dv.setUint32(i + hi, nb, little);
      }
    };
  }
  if (unit.bytes === 4) {
    if (left) {
      return (dv, n) => {
        for (let i = 0; i < n; i += 4) dv.setUint32(i, dv.getUint32(i, little) << s, little);
      };
    }
    return (dv, n) => {
      for (let i = 0; i < n; i += 4) dv.setUint32(i, dv.getUint32(i, little) >>> s, little);
    };
  }
  const bits = unit.bytes === 1 ? 8 : 16;
  const laneMask = (1 << bits) - 1;
  if (left) {
    const keep = repeat((laneMask << s) & laneMask, bits);
    return (dv, n) => {
      for (let i = 0; i < n; i += 4) dv.setUint32(i, (dv.getUint32(i, little) << s) & keep, little);
    };
  }
  const keep = repeat(laneMask >>> s, bits);
  return (dv, n) => {
    for (let i = 0; i < n; i += 4) dv.setUint32(i, (dv.getUint32(i, little) >>> s) & keep, little);
  };
}

// ---------------------------------------------------------------------------------------------
// Byte and bit order
// ---------------------------------------------------------------------------------------------

const swap16: Kernel = (dv, n) => {
  for (let i = 0; i < n; i += 4) {
    const x = dv.getUint32(i, true);
    dv.setUint32(i, ((x & 0x00ff00ff) << 8) | ((x >>> 8) & 0x00ff00ff), true);
  }
};

const swap32: Kernel = (dv, n) => {
  for (let i = 0; i < n; i += 4) dv.setUint32(i, dv.getUint32(i, true), false);
};

const swap64: Kernel = (dv, n) => {
  for (let i = 0; i < n; i += 8) {
    const a = dv.getUint32(i, true);
    dv.setUint32(i, dv.getUint32(i + 4, true), false);
    dv.setUint32(i + 4, a, false);
  }
};

/** Each byte's bits reversed, in every byte of a word. */
function reverseBytesBits(x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  return ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
}

function reverseKernel(bytes: 1 | 2 | 4 | 8): Kernel {
  if (bytes === 1) {
    return (dv, n) => {
      for (let i = 0; i < n; i += 4) dv.setUint32(i, reverseBytesBits(dv.getUint32(i, true)), true);
    };
  }
  if (bytes === 2) {
    return (dv, n) => {
      for (let i = 0; i < n; i += 4) {
        const x = reverseBytesBits(dv.getUint32(i, true));
        dv.setUint32(i, ((x & 0x00ff00ff) << 8) | ((x >>> 8) & 0x00ff00ff), true);
      }
    };
  }
  if (bytes === 4) {
    return (dv, n) => {
      for (let i = 0; i < n; i += 4) dv.setUint32(i, reverseBytesBits(dv.getUint32(i, true)), false);
    };
  }
  return (dv, n) => {
    for (let i = 0; i < n; i += 8) {
      const a = reverseBytesBits(dv.getUint32(i, true));
      dv.setUint32(i, reverseBytesBits(dv.getUint32(i + 4, true)), false);
      dv.setUint32(i + 4, a, false);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

const BYTEWISE = new Set(['xor', 'and', 'or', 'not']);
const WITH_COUNT = new Set(['rol', 'ror', 'shl', 'shr']);
const NO_ARGUMENT = new Set(['not', 'swap16', 'swap32', 'swap64', 'bswap', 'reverse']);

/** The key of xor/and/or, shown in full up to 16 bytes. */
function keyText(key: Uint8Array): string {
  const hex = Buffer.from(key.subarray(0, 16)).toString('hex');
  return key.length <= 16 ? hex : `${hex}... (${key.length} bytes)`;
}

/**
 * Parses one transform: the operation, its argument and the unit (`--unit`).
 *
 * @param op one of {@link TRANSFORM_OPS}.
 * @param arg the key (hex bytes) of xor/and/or, the constant of add/sub, the bit count of
 *   rol/ror/shl/shr; `undefined` for the others.
 * @param unit one of {@link TRANSFORM_UNITS} (also `u16`, `u32`, `u64` for bswap and reverse);
 *   default u8. xor/and/or/not are bytewise and take no other unit.
 * @throws {InputError} with one line: unknown op, a missing or extra argument, a bad key or
 *   number, a constant that does not fit the unit, a count outside 0..bits-1, a unit the op
 *   does not take.
 */
export function parseTransform(op: string, arg: string | undefined, unit?: string): Transform {
  stringArg(op, 'the transform');
  stringArg(arg, 'its argument', true);
  stringArg(unit, 'its unit', true);
  const t = parseKernel(op, arg, unit);
  const spec: TransformSpec = { op, ...(arg !== undefined && { arg }), ...(unit !== undefined && { unit }) };
  // Zeros through the kernel once: as long as the key (its hex is longer), a multiple of 8 bytes.
  const zeros = Buffer.alloc(Math.ceil(Math.max(4096, arg?.length ?? 0) / 8) * 8);
  t.apply(zeros, 0);
  return { ...t, spec, changesZeros: !zeros.equals(Buffer.alloc(zeros.length)) };
}

function parseKernel(op: string, arg: string | undefined, unit?: string): Transform {
  if (!TRANSFORM_OPS.includes(op)) {
    throw new InputError(`unknown transform ${quote(op)} (expected one of ${TRANSFORM_OPS.join(', ')})`, { token: op, position: 0 });
  }
  if (NO_ARGUMENT.has(op) && arg !== undefined) {
    throw new InputError(`${op} takes no argument (got ${quote(arg)})`, { token: arg, position: 0 });
  }
  if (!NO_ARGUMENT.has(op) && arg === undefined) {
    const what = BYTEWISE.has(op) ? 'a key of hex bytes (as in xor 5a)' : WITH_COUNT.has(op) ? 'a bit count (as in rol 3)' : 'a number (as in add 3)';
    throw new InputError(`${op} needs ${what}`);
  }
  const u = unit === undefined ? undefined : parseUnit(unit);
  const suffix = u === undefined ? '' : ` (${u.name})`;

  if (BYTEWISE.has(op)) {
    if (u !== undefined && u.bytes !== 1) {
      throw new InputError(`${op} works byte by byte: --unit ${u.name} does not apply (only u8)`, { token: unit, position: 0 });
    }
    if (op === 'not') return { ...withSimd(transform('not', 1, notKernel), simdKernel('xor', Uint8Array.of(0xff))), changedBytes: (_phase, length) => length };
    let key: Uint8Array;
    try {
      key = parseHexData([arg!]);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      throw new InputError(error.message.replace(/^bad hex data /, `bad ${op} key `), error.location);
    }
    const t = withSimd(transform(`${op} ${keyText(key)}`, 1, keyKernel(op as 'xor' | 'and' | 'or', key)), simdKernel(op as 'xor' | 'and' | 'or', key));
    if (op === 'xor') return { ...t, changedBytes: xorChanges(key) };
    // and ff.., or 00..: identities.
    return key.every((b) => b === (op === 'and' ? 0xff : 0)) ? { ...t, changedBytes: none } : t;
  }

  if (op === 'swap16' || op === 'swap32' || op === 'swap64') {
    const bytes = Number(op.slice(4)) / 8;
    if (u !== undefined && u.bytes !== bytes) {
      throw new InputError(`${op} works on ${bytes}-byte units: --unit ${u.name} does not apply`, { token: unit, position: 0 });
    }
    return transform(op, bytes, bytes === 2 ? swap16 : bytes === 4 ? swap32 : swap64);
  }
  if (op === 'bswap') {
    if (u === undefined || u.bytes === 1) {
      throw new InputError('bswap needs --unit u16, u32 or u64 (the size of the units whose bytes it reverses)', { token: unit ?? '', position: 0 });
    }
    return transform(`bswap (${u.name})`, u.bytes, u.bytes === 2 ? swap16 : u.bytes === 4 ? swap32 : swap64);
  }
  const un = u ?? U8;
  if (op === 'reverse') return transform(`reverse${suffix}`, un.bytes, reverseKernel(un.bytes));

  // add, sub, rol, ror, shl, shr: the byte order matters beyond u8.
  if (un.bytes > 1 && un.little === undefined) {
    throw new InputError(`${op} needs the byte order of ${un.name}: ${un.name}le or ${un.name}be`, { token: unit, position: 0 });
  }
  const bits = un.bytes * 8;
  const what = `${op} ${WITH_COUNT.has(op) ? 'count' : 'value'}`;
  const value = scanNumber(arg!, what);
  if (WITH_COUNT.has(op)) {
    if (value < 0n || value >= BigInt(bits)) {
      throw badInput(what, arg!, 0, `must be 0..${bits - 1} for ${un.name}`);
    }
    const count = Number(value);
    const text = `${op} ${count}${suffix}`;
    if (count === 0) return { ...transform(text, un.bytes, identity), changedBytes: none };
    if (op === 'rol' || op === 'ror') return transform(text, un.bytes, rolKernel(un, op === 'rol' ? count : bits - count));
    return transform(text, un.bytes, shiftKernel(un, count, op === 'shl'));
  }
  const modulus = 1n << BigInt(bits);
  if (value < -(modulus >> 1n) || value >= modulus) {
    throw badInput(what, arg!, 0, `does not fit in ${un.name} (${-(modulus >> 1n)}..${modulus - 1n})`);
  }
  const add = BigInt.asUintN(bits, op === 'add' ? value : -value);
  const t = transform(`${op} ${value}${suffix}`, un.bytes, add === 0n ? identity : addKernel(un, add));
  return add === 0n ? { ...t, changedBytes: none } : t;
}
