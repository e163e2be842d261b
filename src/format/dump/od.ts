import { Buffer } from 'node:buffer';
import { InputError } from '../../errors.js';
import { byteTables } from './bytes.js';
import { repeatsLine, runEnd, type LineFormatter } from './lines.js';
import { type Offset, TWO32 } from './offset.js';
import type { OutBuffer } from './out.js';
import type { AddressRadix } from './types.js';

/**
 * The od dialect (`od -A x -t x1z -v` by default, any `-t` list, `-A`, `-w`) and hexdump's
 * one-letter formats (`hexdump -x -d -o -c -b`), which are od-like lines: an address, then per
 * type one line of right-aligned fields. Facts reproduced from GNU od and util-linux hexdump
 * (checked by the differential tests in test/format/dump-od.test.ts):
 *
 * - Multi-byte units are read little-endian (od and hexdump use the host's order; mmapx runs on
 *   little-endian hosts only, x86-64 and arm64).
 * - od lays the types of one block out on a common width: per type `fields = cols / size`, the
 *   block's width is the widest `(fieldWidth + 1) * fields`, and each type's spare width
 *   `pad = width - fieldWidth * fields` is shared among its fields, field k (0-based) getting
 *   `floor(pad (fields - k) / fields) - floor(pad (fields - k - 1) / fields)` leading spaces.
 * - A short last block of n bytes prints `fields - floor((cols - n) / size)` fields of each type,
 *   a partial unit zero-filled; od ends the line there, hexdump pads the missing fields with
 *   blanks to the full width. od's `z` trailer (`  >text<`) is padded to where it stands on a
 *   full line.
 * - Squeezing (unless `-v`): a full block equal to the one before prints `*` once per run.
 * - The second and later type lines of a block start with as many spaces as the address's
 *   minimum width (6 for `-A x`, 7 for `d` and `o`, 0 for `n`) even when the address is longer.
 * - The last line is the end address: od prints it always (but with `-A n`), hexdump only after
 *   data or when the dump starts past offset 0 (as `hexdump -C`).
 */

/** One od `-t` type, or one of hexdump's one-letter formats' field. */
export interface OdType {
  /** `x` hex, `o` octal, `d` signed decimal, `u` unsigned decimal, `c` character, `a` named character. */
  readonly kind: 'x' | 'o' | 'd' | 'u' | 'c' | 'a';
  /** Bytes per unit: 1, 2, 4 or 8. */
  readonly size: 1 | 2 | 4 | 8;
  /** od's `z` suffix: the `  >text<` trailer after the fields. */
  readonly trailer: boolean;
}

/** One output line per block: a type with its widths worked out. */
interface Spec extends OdType {
  readonly fields: number;
  /** Digits (or characters) of one field, without the leading spaces. */
  readonly width: number;
  /** Zero-fill to `width` (od's x and o, hexdump's %05u) rather than space-fill. */
  readonly zeroFill: boolean;
  /** Leading spaces of field k. */
  readonly pre: Uint8Array;
  /** od's pad width (for the trailer's position on a short line). */
  readonly pad: number;
  /** For 1-byte types and the 2-byte o, d, u: `width` characters per unit value (65536 values for 2 bytes). */
  readonly cells: Uint8Array | undefined;
  /** Upper bound of the line's length (address excluded). */
  readonly maxLine: number;
}

/** The layout an od-like dialect prints with; built by {@link odLayout}. */
export interface OdLayout {
  readonly cols: number;
  readonly radix: AddressRadix;
  /** Minimum address digits (0 with radix `n`). */
  readonly addrDigits: number;
  readonly specs: readonly Spec[];
  /** hexdump: the missing fields of a short last line are printed as blanks. */
  readonly padTail: boolean;
  /** od: the end address is printed even after empty input at offset 0. */
  readonly endAlways: boolean;
}

const OCT_DIGITS = { 1: 3, 2: 6, 4: 11, 8: 22 } as const;
const SIGNED_DIGITS = { 1: 4, 2: 6, 4: 11, 8: 20 } as const;
const UNSIGNED_DIGITS = { 1: 3, 2: 5, 4: 10, 8: 20 } as const;
const SIZE_LETTERS: Readonly<Record<string, 1 | 2 | 4 | 8>> = { C: 1, S: 2, I: 4, L: 8 };
/** Largest od `-w`: keeps one line well inside an output chunk. */
export const OD_MAX_COLS = 65536;

const TYPE_HELP = 'a, c, or d, o, u, x with an optional size 1, 2, 4, 8 (or C, S, I, L; default 4), each with an optional z';

/**
 * Parse od `-t` type strings (each may hold several types, as `x1z`, `cx1`, `o2d4`).
 * @throws InputError for anything else (floating point `f` is not supported).
 */
export function parseOdTypes(texts: readonly string[]): OdType[] {
  const types: OdType[] = [];
  for (const text of texts) {
    if (typeof text !== 'string' || text === '') throw new InputError(`invalid od type '${String(text)}' (expected ${TYPE_HELP})`, { token: String(text) });
    let i = 0;
    while (i < text.length) {
      const at = i;
      const kind = text[i++]!;
      let size: 1 | 2 | 4 | 8 = 1;
      if (kind === 'd' || kind === 'o' || kind === 'u' || kind === 'x') {
        size = 4;
        const letter = SIZE_LETTERS[text[i] ?? ''];
        if (letter !== undefined) {
          size = letter;
          i++;
        } else {
          const m = /^[0-9]+/.exec(text.slice(i));
          if (m) {
            const n = Number(m[0]);
            if (n !== 1 && n !== 2 && n !== 4 && n !== 8) {
              throw new InputError(`invalid od type size ${m[0]} in '${text}' (sizes: 1, 2, 4, 8)`, { token: text, position: i });
            }
            size = n;
            i += m[0].length;
          }
        }
      } else if (kind !== 'a' && kind !== 'c') {
        const why = kind === 'f' ? 'floating-point types are not supported' : `expected ${TYPE_HELP}`;
        throw new InputError(`invalid od type '${text}' at '${text.slice(at)}' (${why})`, { token: text, position: at });
      }
      const trailer = text[i] === 'z';
      if (trailer) i++;
      types.push({ kind, size, trailer });
    }
  }
  return types;
}

/** hexdump's one-letter formats as od-like types: the type, its field width with leading spaces, zero fill. */
const HEXDUMP_FORMATS = {
  'hexdump-x': { kind: 'x', size: 2, field: 8, zeroFill: true },
  'hexdump-d': { kind: 'u', size: 2, field: 8, zeroFill: true },
  'hexdump-o': { kind: 'o', size: 2, field: 8, zeroFill: true },
  'hexdump-c': { kind: 'c', size: 1, field: 4, zeroFill: false },
  'hexdump-b': { kind: 'o', size: 1, field: 4, zeroFill: true },
} as const;

export type HexdumpLetterFormat = keyof typeof HEXDUMP_FORMATS;

function fieldWidth(t: OdType): number {
  switch (t.kind) {
    case 'x':
      return 2 * t.size;
    case 'o':
      return OCT_DIGITS[t.size];
    case 'd':
      return SIGNED_DIGITS[t.size];
    case 'u':
      return UNSIGNED_DIGITS[t.size];
    default:
      return 3;
  }
}

/**
 * The layout of `od -A radix -t types -w cols` (`format` 'od'), or of a hexdump one-letter format
 * (16 bytes per line, 7-digit hex addresses; `types`, `radix` and `cols` must then be absent).
 * @throws InputError for a width that is not a positive multiple of the largest unit size.
 */
export function odLayout(format: 'od' | HexdumpLetterFormat, types: OdType[], radix: AddressRadix, cols: number, upper: boolean): OdLayout {
  if (format !== 'od') {
    const h = HEXDUMP_FORMATS[format];
    const type: OdType = { kind: h.kind, size: h.size, trailer: false };
    const width = fieldWidth(type);
    const fields = 16 / h.size;
    const pre = new Uint8Array(fields).fill(h.field - width);
    return { cols: 16, radix: 'x', addrDigits: 7, specs: [spec(type, fields, width, h.zeroFill, pre, 0, upper)], padTail: true, endAlways: false };
  }
  // The largest unit (a reduce, not a spread: -t may be given any number of times).
  const lcm = types.reduce((m, t) => Math.max(m, t.size), 1);
  const c = cols === 0 ? lcm * Math.max(1, Math.floor(16 / lcm)) : cols;
  if (c % lcm !== 0 || c > OD_MAX_COLS) {
    throw new InputError(`invalid od width ${c}: it must be a multiple of ${lcm} (the largest unit of the types) up to ${OD_MAX_COLS}`, { token: String(c) });
  }
  let blockWidth = 0;
  for (const t of types) blockWidth = Math.max(blockWidth, (fieldWidth(t) + 1) * (c / t.size));
  const specs = types.map((t) => {
    const fields = c / t.size;
    const width = fieldWidth(t);
    const pad = blockWidth - width * fields;
    const pre = new Uint8Array(fields);
    for (let k = 0; k < fields; k++) pre[k] = Math.floor((pad * (fields - k)) / fields) - Math.floor((pad * (fields - k - 1)) / fields);
    return spec(t, fields, width, t.kind === 'x' || t.kind === 'o', pre, pad, upper);
  });
  const addrDigits = radix === 'n' ? 0 : radix === 'x' ? 6 : 7;
  return { cols: c, radix, addrDigits, specs, padTail: false, endAlways: true };
}

function spec(t: OdType, fields: number, width: number, zeroFill: boolean, pre: Uint8Array, pad: number, upper: boolean): Spec {
  let spaces = 0;
  for (const p of pre) spaces += p;
  const maxLine = spaces + fields * width + (t.trailer ? fields * t.size + 4 + pad : 0) + 1;
  const cells = t.size === 1 ? byteCells(t.kind, width, zeroFill, upper) : t.size === 2 && t.kind !== 'x' ? wordCells(t.kind, width, zeroFill) : undefined;
  return { ...t, fields, width, zeroFill, pre, pad, cells, maxLine };
}

/** od `-t a` names of 0x00..0x20 and 0x7f (bytes above 0x7f are named as their low 7 bits). */
const NAMES = 'nul soh stx etx eot enq ack bel bs ht nl vt ff cr so si dle dc1 dc2 dc3 dc4 nak syn etb can em sub esc fs gs rs us sp'.split(' ');
/** od `-t c` (and hexdump `%_c`) escapes. */
const ESCAPES: Readonly<Record<number, string>> = { 0: '\\0', 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };

function unitText(kind: OdType['kind'], b: number, width: number, zeroFill: boolean, upper: boolean): string {
  switch (kind) {
    case 'a': {
      const v = b & 0x7f;
      return v <= 0x20 ? NAMES[v]! : v === 0x7f ? 'del' : String.fromCharCode(v);
    }
    case 'c':
      return ESCAPES[b] ?? (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : b.toString(8).padStart(3, '0'));
    case 'd':
      return String(b >= 0x80 ? b - 256 : b);
    case 'u':
      return zeroFill ? String(b).padStart(width, '0') : String(b);
    case 'o':
      return b.toString(8).padStart(width, '0');
    case 'x': {
      const s = b.toString(16).padStart(2, '0');
      return upper ? s.toUpperCase() : s;
    }
  }
}

const wordTables = new Map<string, Uint8Array>();

/**
 * `width` right-aligned characters per 16-bit value, for o2, d2 and u2 (hexdump -o and -d):
 * 384 KiB at most, built once per process and kind, so a 2-byte field is one lookup.
 */
function wordCells(kind: 'o' | 'd' | 'u' | 'c' | 'a', width: number, zeroFill: boolean): Uint8Array {
  const key = `${kind}${width}${zeroFill}`;
  let cells = wordTables.get(key);
  if (cells === undefined) {
    cells = new Uint8Array(65536 * width);
    const base = kind === 'o' ? 8 : 10;
    for (let v = 0; v < 65536; v++) {
      const s = (kind === 'd' && v >= 0x8000 ? v - 65536 : v).toString(base).padStart(width, zeroFill ? '0' : ' ');
      for (let k = 0; k < width; k++) cells[v * width + k] = s.charCodeAt(k);
    }
    wordTables.set(key, cells);
  }
  return cells;
}

/** `width` right-aligned characters per byte value, for the 1-byte types. */
function byteCells(kind: OdType['kind'], width: number, zeroFill: boolean, upper: boolean): Uint8Array {
  const cells = new Uint8Array(256 * width);
  for (let b = 0; b < 256; b++) {
    const s = unitText(kind, b, width, zeroFill, upper).padStart(width, ' ');
    for (let k = 0; k < width; k++) cells[b * width + k] = s.charCodeAt(k);
  }
  return cells;
}

const SPACE = 0x20;
/** Lowercase digit characters by value (addresses are lowercase, as od and hexdump print them). */
const DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const ADDR_SLACK = 32;

/**
 * Prints od-like lines for a {@link OdLayout}; a {@link LineFormatter} fed by the LineFeeder with
 * lines of `layout.cols` bytes.
 */
export class OdFormatter implements LineFormatter {
  private readonly off: Offset;
  private readonly cols: number;
  private readonly startsAtZero: boolean;
  private readonly prev: Buffer;
  private hasPrev = false;
  private starred = false;
  private any = false;
  /** A short last line, zero-filled to whole units. */
  private readonly tail: Buffer;
  private readonly hex: Uint16Array;
  private readonly text = byteTables().text;
  private readonly addrSpaces: number;

  constructor(
    private readonly layout: OdLayout,
    start: Offset,
    private readonly squeeze: boolean,
    private readonly out: OutBuffer,
    upper: boolean,
  ) {
    this.off = start;
    this.cols = layout.cols;
    this.startsAtZero = start.hi === 0 && start.lo === 0;
    this.prev = Buffer.alloc(layout.cols);
    this.tail = Buffer.alloc(layout.cols + 8);
    this.hex = upper ? byteTables().hex16Upper : byteTables().hex16;
    this.addrSpaces = layout.addrDigits;
  }

  full(src: Buffer, from: number, to: number): void {
    const cols = this.cols;
    let j = from;
    while (j < to) {
      if (this.squeeze && repeatsLine(src, j, from, this.cols, this.hasPrev ? this.prev : undefined)) {
        if (!this.starred) this.out.ascii('*\n');
        this.starred = true;
        const e = runEnd(src, j + cols, to, cols);
        this.off.add(e - j);
        j = e;
        continue;
      }
      this.starred = false;
      this.block(src, j, cols);
      this.off.add(cols);
      j += cols;
    }
    src.copy(this.prev, 0, to - cols, to);
    this.hasPrev = true;
    this.any = true;
  }

  interrupt(): void {
    this.hasPrev = false;
    this.starred = false;
  }

  partial(src: Buffer, n: number): void {
    this.tail.fill(0);
    src.copy(this.tail, 0, 0, n);
    this.block(this.tail, 0, n);
    this.off.add(n);
    this.any = true;
  }

  finish(): void {
    const l = this.layout;
    if (l.radix === 'n') return;
    if (!l.endAlways && !this.any && this.startsAtZero) return;
    let p = this.out.reserve(ADDR_SLACK);
    p = this.address(p);
    this.out.bytes[p++] = 0x0a;
    this.out.pos = p;
  }

  /** One block: a line per type for the `n` bytes at `src[j..)` (zero-filled past n up to whole units). */
  private block(src: Buffer, j: number, n: number): void {
    const out = this.out;
    const specs = this.layout.specs;
    for (let s = 0; s < specs.length; s++) {
      const sp = specs[s]!;
      let p = out.reserve(sp.maxLine + ADDR_SLACK);
      const buf = out.bytes;
      if (s === 0) p = this.address(p);
      else for (let k = 0; k < this.addrSpaces; k++) buf[p++] = SPACE;
      const blank = Math.floor((this.cols - n) / sp.size);
      const shown = sp.fields - blank;
      p =
        sp.cells === undefined
          ? this.units(sp, src, j, shown, buf, p)
          : sp.size === 1
            ? this.bytes(sp, src, j, shown, buf, p)
            : this.words(sp, src, j, shown, buf, p);
      if (this.layout.padTail) {
        for (let k = shown; k < sp.fields; k++) {
          for (let e = p + sp.pre[k]! + sp.width; p < e; p++) buf[p] = SPACE;
        }
      }
      if (sp.trailer) {
        if (blank > 0) {
          for (let e = p + blank * sp.width + Math.floor((sp.pad * blank) / sp.fields); p < e; p++) buf[p] = SPACE;
        }
        buf[p++] = SPACE;
        buf[p++] = SPACE;
        buf[p++] = 0x3e; // >
        const text = this.text;
        for (let k = 0; k < n; k++) buf[p++] = text[src[j + k]!]!;
        buf[p++] = 0x3c; // <
      }
      buf[p++] = 0x0a;
      out.pos = p;
    }
  }

  /** The fields of a 1-byte type, through its table of cells. */
  private bytes(sp: Spec, src: Buffer, j: number, shown: number, buf: Uint8Array, p: number): number {
    const cells = sp.cells!;
    const pre = sp.pre;
    const w = sp.width;
    if (w === 2) {
      for (let k = 0; k < shown; k++) {
        for (let e = p + pre[k]!; p < e; p++) buf[p] = SPACE;
        const c = src[j + k]! * 2;
        buf[p] = cells[c]!;
        buf[p + 1] = cells[c + 1]!;
        p += 2;
      }
      return p;
    }
    for (let k = 0; k < shown; k++) {
      for (let e = p + pre[k]!; p < e; p++) buf[p] = SPACE;
      const c = src[j + k]! * w;
      for (let t = 0; t < w; t++) buf[p++] = cells[c + t]!;
    }
    return p;
  }

  /** The fields of o2, d2 or u2, through the 16-bit table (little-endian units). */
  private words(sp: Spec, src: Buffer, j: number, shown: number, buf: Uint8Array, p: number): number {
    const cells = sp.cells!;
    const pre = sp.pre;
    const w = sp.width;
    for (let k = 0; k < shown; k++) {
      for (let e = p + pre[k]!; p < e; p++) buf[p] = SPACE;
      const c = (src[j + 2 * k]! | (src[j + 2 * k + 1]! << 8)) * w;
      for (let t = 0; t < w; t++) buf[p++] = cells[c + t]!;
    }
    return p;
  }

  /** The fields of a 2-, 4- or 8-byte type (little-endian units). */
  private units(sp: Spec, src: Buffer, j: number, shown: number, buf: Uint8Array, p: number): number {
    const size = sp.size;
    const pre = sp.pre;
    const w = sp.width;
    for (let k = 0; k < shown; k++) {
      for (let e = p + pre[k]!; p < e; p++) buf[p] = SPACE;
      const at = j + k * size;
      if (sp.kind === 'x') {
        const hex = this.hex;
        for (let b = size - 1; b >= 0; b--) {
          const h = hex[src[at + b]!]!;
          buf[p++] = h & 0xff;
          buf[p++] = h >> 8;
        }
        continue;
      }
      const base = sp.kind === 'o' ? 8 : 10;
      if (size === 8) {
        // Beyond 2^53: the bigint's digits (8-byte units are the rare case).
        const s = (sp.kind === 'd' ? src.readBigInt64LE(at) : src.readBigUInt64LE(at)).toString(base);
        const fill = sp.zeroFill ? 0x30 : SPACE;
        for (let e = p + w - s.length; p < e; p++) buf[p] = fill;
        for (let t = 0; t < s.length; t++) buf[p++] = s.charCodeAt(t);
        continue;
      }
      let v = size === 2 ? (sp.kind === 'd' ? src.readInt16LE(at) : src.readUInt16LE(at)) : sp.kind === 'd' ? src.readInt32LE(at) : src.readUInt32LE(at);
      // The digits right to left into the field (every value fits its width), then the fill.
      const neg = v < 0;
      if (neg) v = -v;
      let q = p + w;
      if (base === 8) {
        do {
          buf[--q] = 0x30 + (v & 7);
          v = Math.floor(v / 8);
        } while (v > 0);
      } else {
        do {
          const d = Math.floor(v / 10);
          buf[--q] = 0x30 + v - d * 10;
          v = d;
        } while (v > 0);
      }
      if (neg) buf[--q] = 0x2d; // -
      const fill = sp.zeroFill ? 0x30 : SPACE;
      while (q > p) buf[--q] = fill;
      p += w;
    }
    return p;
  }

  /** The address of the current offset, at least `addrDigits` digits, in the layout's radix. */
  private address(p: number): number {
    const radix = this.layout.radix;
    if (radix === 'n') return p;
    const off = this.off;
    const base = radix === 'x' ? 16 : radix === 'o' ? 8 : 10;
    const buf = this.out.bytes;
    const min = this.layout.addrDigits;
    if (off.hi >= 0x200000) {
      // Past 2^53 (no file is that big, but offsets are exact everywhere): the bigint's digits.
      const digits = ((BigInt(off.hi) << 32n) | BigInt(off.lo)).toString(base);
      for (let k = digits.length; k < min; k++) buf[p++] = 0x30;
      for (let k = 0; k < digits.length; k++) buf[p++] = digits.charCodeAt(k);
      return p;
    }
    // Once per line: digits by arithmetic, no string. Count them, then write right to left.
    const value = off.hi * TWO32 + off.lo;
    let n = 1;
    for (let v = Math.floor(value / base); v > 0; v = Math.floor(v / base)) n++;
    if (n < min) n = min;
    let v = value;
    for (let q = p + n - 1; q >= p; q--) {
      const d = Math.floor(v / base);
      buf[q] = DIGITS[v - d * base]!;
      v = d;
    }
    return p + n;
  }
}
