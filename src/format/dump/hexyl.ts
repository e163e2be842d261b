/**
 * The `hexyl` dialect: hexyl's view of the bytes (panels of 8 bytes, a border, the five byte
 * categories as colours and as symbols in a character panel), with any repeated line squeezed to
 * a `*` line (hexdump's rule; hexyl itself squeezes only lines of one repeated byte, its issue
 * 186). The layout of one line, for 2 panels, the unicode border and the default table:
 *
 * ```
 * ┌────────┬─────────────────────────┬─────────────────────────┬────────┬────────┐
 * │00000000│ 48 65 6c 6c 6f 2c 20 77 ┊ 6f 72 6c 64 21 0a 00 ff │Hello, w┊orld!_⋄×│
 * └────────┴─────────────────────────┴─────────────────────────┴────────┴────────┘
 * ```
 *
 * Everything is table-driven: each byte's digits and its character (UTF-8) are looked up in
 * 256-entry tables built once per dumper, and written into the output chunk in place.
 */
import type { Buffer } from 'node:buffer';
import { byteTables } from './bytes.js';
import { repeatsLine, runEnd, type LineFormatter } from './lines.js';
import { Offset } from './offset.js';
import type { ResolvedOptions } from './options.js';
import type { OutBuffer } from './out.js';

export type HexylBorder = 'unicode' | 'ascii' | 'none';
export type HexylBase = 2 | 8 | 10 | 16;
export type HexylEndianness = 'big' | 'little';
/**
 * How a byte shows in the character panel:
 * - `default`: hexyl's symbols: printable ASCII as itself, `⋄` NUL, space as space, `_` other
 *   whitespace, `•` other ASCII, `×` non-ASCII.
 * - `ascii`: printable ASCII and space as themselves, `.` for everything else.
 * - `cp437`: the IBM PC character set, with its graphic symbols for 0x01–0x1f and 0x7f (`☺ ♥ ⌂`),
 *   and `⋄` for NUL.
 * - `cp1047`: the byte read as EBCDIC (IBM-1047): its printable characters (Latin-1 included) as
 *   themselves, 0x40 as space, `.` for everything else.
 * - `braille`: as `default` for NUL, space and printable ASCII, `→ ↵ ←` for tab, newline and
 *   carriage return, and every other byte as the braille cell whose 8 dots are its bits, read
 *   row by row (bits 0 and 1 the top row, bits 6 and 7 the bottom one).
 */
export type HexylCharacterTable = 'default' | 'ascii' | 'cp437' | 'cp1047' | 'braille';

export const HEXYL_BASES: readonly HexylBase[] = [2, 8, 10, 16];
export const HEXYL_BORDERS: readonly HexylBorder[] = ['unicode', 'ascii', 'none'];
export const HEXYL_TABLES: readonly HexylCharacterTable[] = ['default', 'ascii', 'cp437', 'cp1047', 'braille'];
export const HEXYL_GROUPS: readonly number[] = [1, 2, 4, 8];
/** Most panels of a line: 2048 bytes per line keeps the longest coloured line well below a chunk. */
export const HEXYL_MAX_PANELS = 256;

/** The hexyl settings, checked (see {@link resolveHexyl}). */
export interface HexylSettings {
  readonly panels: number;
  readonly border: HexylBorder;
  readonly base: HexylBase;
  readonly group: number;
  readonly littleEndian: boolean;
  readonly table: HexylCharacterTable;
  /** Hex digits of the offset column (at least 8). */
  readonly offsetDigits: number;
}

/** Digits of one byte in each base (`%08b`, `%03o`, `%03d`, `%02x`). */
export function baseDigits(base: HexylBase): number {
  return base === 2 ? 8 : base === 16 ? 2 : 3;
}

/** Width in characters of one hex panel: a space before each group, a space at the end. */
function panelWidth(base: HexylBase, group: number): number {
  return 1 + (8 / group) * (baseDigits(base) * group + 1);
}

/** Hex digits the offset column needs for offsets below `end` (at least 8). */
export function offsetDigitsFor(start: bigint, end: bigint | undefined): number {
  const last = end !== undefined && end > start ? end - 1n : start;
  return Math.max(8, last.toString(16).length);
}

/**
 * The width in terminal columns of a line with `panels` panels: the offset column and its two
 * bars, then per panel its hex part and its 8 characters, each followed by a bar.
 */
export function hexylLineWidth(panels: number, base: HexylBase, group: number, offsetDigits: number): number {
  return offsetDigits + 2 + panels * (panelWidth(base, group) + 1 + 9);
}

/** The most panels (at least 1, at most {@link HEXYL_MAX_PANELS}) whose lines fit in `columns`. */
export function panelsToFit(columns: number, base: HexylBase, group: number, offsetDigits: number): number {
  const per = panelWidth(base, group) + 10;
  const n = Math.floor((columns - offsetDigits - 2) / per);
  return Math.min(HEXYL_MAX_PANELS, Math.max(1, n));
}

// ---- The character tables -------------------------------------------------------------------

/** CP437's graphic symbols for 0x00..0x1f (NUL shown as hexyl shows it) and for 0x7f. */
const CP437_LOW = '⋄☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼';
/** CP437 0x80..0xff (0xff is the no-break space). */
const CP437_HIGH = 'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';
/** IBM-1047 (EBCDIC): the printable character of each byte, `.` where there is none, 0x40 a space. */
const CP1047 =
  '................................................................' +
  ' .âäàáãåçñ¢.<(+|&éêëèíîïìß!$*);^-/ÂÄÀÁÃÅÇÑ¦,%_>?øÉÊËÈÍÎÏÌ`:#@\'="' +
  'Øabcdefghi«»ðýþ±°jklmnopqrªºæ¸Æ¤µ~stuvwxyz¡¿Ð[Þ®¬£¥·©§¶¼½¾Ý¨¯]´×' +
  '{ABCDEFGHI.ôöòóõ}JKLMNOPQR¹ûüùúÿ\\÷STUVWXYZ²ÔÖÒÓÕ0123456789³ÛÜÙÚ.';

/** The braille cell of a byte: its bits row by row on the 2x4 dots (dots 1-8 are bits 0-7 of U+28xx). */
function brailleCell(b: number): string {
  // Byte bit k -> dot bit: the left column holds bits 0, 2, 4 (dots 1, 2, 3) and 6 (dot 7), the right 1, 3, 5, 7.
  const dot = [0, 3, 1, 4, 2, 5, 6, 7];
  let v = 0;
  for (let k = 0; k < 8; k++) if (b & (1 << k)) v |= 1 << dot[k]!;
  return String.fromCharCode(0x2800 + v);
}

/** The character byte `b` shows in the character panel with `table` (one character, maybe outside ASCII). */
export function hexylChar(b: number, table: HexylCharacterTable): string {
  if (!Number.isInteger(b) || b < 0 || b > 255) throw new RangeError(`not a byte: ${b}`);
  const printable = b > 0x20 && b < 0x7f;
  switch (table) {
    case 'ascii':
      return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    case 'cp1047':
      return CP1047[b]!;
    case 'cp437':
      if (b < 0x20) return CP437_LOW[b]!;
      if (b === 0x7f) return '⌂';
      return b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]!;
    case 'braille':
      if (b === 0) return '⋄';
      if (printable || b === 0x20) return String.fromCharCode(b);
      if (b === 0x09) return '→';
      if (b === 0x0a) return '↵';
      if (b === 0x0d) return '←';
      return brailleCell(b);
    case 'default': {
      const category = byteTables().category[b];
      return ['⋄', String.fromCharCode(b), b === 0x20 ? ' ' : '_', '•', '×'][category!]!;
    }
  }
}

const utf8 = new TextEncoder();

/** Border pieces, UTF-8: corners and joints of the top and bottom lines, the line, the bars. */
interface Frame {
  readonly top: Uint8Array | undefined;
  readonly bottom: Uint8Array | undefined;
  readonly outer: Uint8Array;
  readonly inner: Uint8Array;
}

function frame(s: HexylSettings, panelW: number): Frame {
  const pieces = {
    unicode: { top: '┌─┬┐', bottom: '└─┴┘', outer: '│', inner: '┊' },
    ascii: { top: '+-++', bottom: '+-++', outer: '|', inner: '|' },
    none: { top: undefined, bottom: undefined, outer: ' ', inner: ' ' },
  }[s.border];
  const rule = (p: string | undefined) => {
    if (p === undefined) return undefined;
    const [left, h, joint, right] = [...p] as [string, string, string, string];
    const parts = [h.repeat(s.offsetDigits)];
    for (let k = 0; k < s.panels; k++) parts.push(h.repeat(panelW));
    for (let k = 0; k < s.panels; k++) parts.push(h.repeat(8));
    return utf8.encode(`${left}${parts.join(joint)}${right}\n`);
  };
  return { top: rule(pieces.top), bottom: rule(pieces.bottom), outer: utf8.encode(pieces.outer), inner: utf8.encode(pieces.inner) };
}

const SPACE = 0x20;

/** Writes colour transition `t` at `p` in 32-bit stores; returns the position after it. */
function transition(dv: DataView, p: number, words: Uint32Array, at: Uint16Array, len: Uint8Array, t: number): number {
  // INVARIANT: up to 3 bytes past the transition are written, inside the reserved line, and overwritten next.
  for (let w = at[t]!, q = p, e = at[t + 1]!; w < e; w++, q += 4) dv.setUint32(q, words[w]!, true);
  return p + len[t]!;
}

/** Up to 4 bytes as the value of a little-endian 32-bit store, and their count. */
function packed(b: Uint8Array): [number, number] {
  let v = 0;
  for (let k = Math.min(4, b.length) - 1; k >= 0; k--) v = v * 256 + b[k]!;
  return [v, b.length];
}

/**
 * Formats whole lines of `8 * panels` bytes (fed by the LineFeeder). The top border goes out
 * before the first line, the bottom one at the end; empty input gives the frame around a
 * `No content` line, as hexyl prints it.
 */
export class HexylFormatter implements LineFormatter {
  private readonly s: HexylSettings;
  private readonly cols: number;
  private readonly digits: number;
  /** Per byte value: its first 4 digit characters (as a little-endian 32-bit store), and digits 5 to 8 (base 2). */
  private readonly cellA = new Uint32Array(256);
  private readonly cellB = new Uint32Array(256);
  /**
   * Per byte value: its character's UTF-8 bytes (1 to 3: every table is in the BMP) in the low 24
   * bits, as a little-endian 32-bit store, and their count in the high 8.
   */
  private readonly chars = new Uint32Array(256);
  private readonly category: Uint8Array;
  /**
   * Colour transitions, from state s (a category 0..4 open, or 5: none) to state t: the close of
   * s then the open of t, `transLen[s * 6 + t]` bytes (none when s = t), stored as the 32-bit
   * words `trans[transAt[i]..transAt[i + 1])`.
   */
  private readonly trans: Uint32Array | undefined;
  private readonly transAt = new Uint16Array(37);
  private readonly transLen = new Uint8Array(36);
  /** Per byte value: a space then its digits, one 32-bit store (bases 8, 10, 16: the first cell of a group). */
  private readonly spaced = new Uint32Array(256);
  private readonly frame: Frame;
  /** The bars as 32-bit stores and their lengths in bytes. */
  private readonly outerV: number;
  private readonly outerLen: number;
  private readonly innerV: number;
  private readonly innerLen: number;
  private readonly panelW: number;
  /** Upper bound of one line's bytes, colour codes included. */
  private readonly maxLine: number;
  /** The byte order of the hex part: index of the byte shown in each cell of a full line. */
  private readonly order: Uint16Array;
  private readonly off: Offset;
  private readonly squeeze: boolean;
  private readonly prev: Uint8Array;
  private readonly view: DataView;
  private hasPrev = false;
  /** A `*` line was printed for the current run of repeated lines (and nothing since). */
  private starred = false;
  private started = false;
  /** Offset digits as characters, cached for the current high half. */
  private hiDigits = '';
  private hiOf = -1;

  constructor(
    opts: ResolvedOptions,
    hexyl: HexylSettings,
    private readonly out: OutBuffer,
  ) {
    this.s = hexyl;
    this.cols = 8 * hexyl.panels;
    this.digits = baseDigits(hexyl.base);
    this.panelW = panelWidth(hexyl.base, hexyl.group);
    this.off = new Offset(opts.startHi, opts.startLo);
    this.squeeze = opts.squeeze;
    this.prev = new Uint8Array(this.cols);
    this.category = byteTables().category;
    this.frame = frame(hexyl, this.panelW);
    this.view = new DataView(out.bytes.buffer, out.bytes.byteOffset, out.bytes.byteLength);
    [this.outerV, this.outerLen] = packed(this.frame.outer);
    [this.innerV, this.innerLen] = packed(this.frame.inner);

    const d = this.digits;
    for (let b = 0; b < 256; b++) {
      let text = b.toString(hexyl.base).padStart(d, '0');
      if (opts.upper) text = text.toUpperCase();
      const digits = utf8.encode(text);
      this.cellA[b] = packed(digits.subarray(0, 4))[0];
      this.cellB[b] = packed(digits.subarray(4, 8))[0];
      const [v, len] = packed(utf8.encode(hexylChar(b, hexyl.table)));
      if (len > 3) throw new Error('unreachable: a character table entry outside the BMP');
      this.chars[b] = (v + len * 0x1000000) >>> 0;
    }
    for (let b = 0; b < 256; b++) this.spaced[b] = d > 3 ? 0 : ((this.cellA[b]! * 256) | SPACE) >>> 0;
    const colors = opts.colors;
    if (colors !== undefined) {
      const words: number[] = [];
      for (let i = 0; i < 36; i++) {
        const [from, to] = [Math.floor(i / 6), i % 6];
        const bytes = from === to ? [] : [...colors.close[from]!, ...colors.open[to]!];
        this.transAt[i] = words.length;
        this.transLen[i] = bytes.length;
        for (let k = 0; k < bytes.length; k += 4) words.push(packed(Uint8Array.from(bytes.slice(k, k + 4)))[0]);
      }
      this.transAt[36] = words.length;
      this.trans = Uint32Array.from(words);
    }
    const g = hexyl.group;
    this.order = new Uint16Array(this.cols);
    for (let k = 0; k < this.cols; k++) this.order[k] = hexyl.littleEndian ? k - (k % g) + (g - 1 - (k % g)) : k;
    const pair = colors?.maxPair ?? 0;
    // Offset, bars and newline; per byte its space, digits, character (and the bytes a 32-bit
    // store writes past them) and a transition before each; a transition before each bar.
    this.maxLine = 4 * (hexyl.offsetDigits + 16) + this.cols * (d + 1 + 4 + 4 + 2 * pair) + 4 * hexyl.panels * (4 + pair) + 64;
  }

  full(src: Buffer, from: number, to: number): void {
    this.begin();
    const cols = this.cols;
    let j = from;
    while (j < to) {
      if (this.squeeze && repeatsLine(src, j, from, this.cols, this.hasPrev ? this.prev : undefined)) {
        if (!this.starred) this.blankLine(true);
        this.starred = true;
        // Line j repeats its predecessor: skip the whole run in a few memcmp calls.
        const e = runEnd(src, j + cols, to, cols);
        this.off.add(e - j);
        j = e;
        continue;
      }
      this.starred = false;
      this.line(src, j, cols);
      this.off.add(cols);
      j += cols;
    }
    if (this.squeeze) {
      this.prev.set(src.subarray(to - cols, to));
      this.hasPrev = true;
    }
  }

  partial(src: Buffer, n: number): void {
    this.begin();
    this.starred = false;
    this.line(src, 0, n);
    this.off.add(n);
  }

  finish(): void {
    if (!this.started) {
      this.begin();
      this.noContent();
    } else if (this.starred) {
      // The input ended inside a squeezed run: a last line tells where it ends.
      this.blankLine(false);
    }
    const bottom = this.frame.bottom;
    if (bottom) this.bytes(bottom);
  }

  private begin(): void {
    if (this.started) return;
    this.started = true;
    const top = this.frame.top;
    if (top) this.bytes(top);
  }

  private bytes(b: Uint8Array): void {
    const p = this.out.reserve(b.length);
    this.out.bytes.set(b, p);
    this.out.pos = p + b.length;
  }

  /** Writes `b` at `p` in the output, returns the position after it. */
  private put(p: number, b: Uint8Array): number {
    this.out.bytes.set(b, p);
    return p + b.length;
  }

  /** The offset column's digits at `p` (lower-case hex, zero-padded to the column's width). */
  private offset(p: number): number {
    const o = this.out.bytes;
    const off = this.off;
    let lead = this.s.offsetDigits - 8;
    if (off.hi !== 0) {
      if (this.hiOf !== off.hi) {
        this.hiOf = off.hi;
        this.hiDigits = off.hi.toString(16);
      }
      const h = this.hiDigits;
      for (; lead > h.length; lead--) o[p++] = 0x30;
      for (let k = 0; k < h.length; k++) o[p++] = h.charCodeAt(k);
    } else {
      for (; lead > 0; lead--) o[p++] = 0x30;
    }
    const hex = byteTables().hex16;
    const lo = off.lo;
    for (let shift = 24; shift >= 0; shift -= 8) {
      const v = hex[(lo >>> shift) & 0xff]!;
      o[p++] = v & 0xff;
      o[p++] = v >> 8;
    }
    return p;
  }

  /** One line of `n` bytes (1..cols) from `src[j..)`: offset, hex panels, character panels. */
  private line(src: Buffer, j: number, n: number): void {
    const out = this.out;
    let p = out.reserve(this.maxLine);
    const o = out.bytes;
    const dv = this.view;
    const { outerV, outerLen, innerV, innerLen } = this;
    const cols = this.cols;
    const d = this.digits;
    const gm = this.s.group - 1;
    const { cellA, cellB, category, order, trans, transAt, transLen } = this;
    // INVARIANT: every 32-bit store below stays inside the `maxLine` bytes reserved; the bytes it
    // writes past its length are overwritten by what follows.
    dv.setUint32(p, outerV, true);
    p += outerLen;
    p = this.offset(p);
    dv.setUint32(p, outerV, true);
    p += outerLen;

    // The hex panels. Cells past a short line's end are blank; a short last group keeps its
    // bytes (reversed among themselves when little-endian).
    let state = 5;
    const tail = n - (n % (gm + 1));
    const little = this.s.littleEndian;
    const spaced = this.spaced;
    // Bases 8, 10 and 16 with groups of 1 and no colour: a space and the digits in one store.
    const oneStore = d <= 3 && gm === 0 && trans === undefined;
    for (let k = 0; k < cols; k++) {
      if (k < n && oneStore) {
        dv.setUint32(p, spaced[src[j + k]!]!, true);
        p += d + 1;
      } else if (k < n) {
        if ((k & gm) === 0) o[p++] = SPACE;
        const b = src[j + (k < tail ? order[k]! : little ? tail + (n - 1 - k) : k)]!;
        if (trans !== undefined) {
          const c = category[b]!;
          if (c !== state) {
            p = transition(dv, p, trans, transAt, transLen, state * 6 + c);
            state = c;
          }
        }
        dv.setUint32(p, cellA[b]!, true);
        if (d === 8) dv.setUint32(p + 4, cellB[b]!, true);
        p += d;
      } else {
        if ((k & gm) === 0) o[p++] = SPACE;
        if (trans !== undefined && state !== 5) {
          p = transition(dv, p, trans, transAt, transLen, state * 6 + 5);
          state = 5;
        }
        for (let t = 0; t < d; t++) o[p++] = SPACE;
      }
      if ((k & 7) === 7) {
        if (trans !== undefined && state !== 5) {
          p = transition(dv, p, trans, transAt, transLen, state * 6 + 5);
          state = 5;
        }
        o[p++] = SPACE;
        if (k === cols - 1) {
          dv.setUint32(p, outerV, true);
          p += outerLen;
        } else {
          dv.setUint32(p, innerV, true);
          p += innerLen;
        }
      }
    }

    // The character panels: runs of one category share a colour pair within a panel.
    const chars = this.chars;
    for (let k = 0; k < cols; k++) {
      if (k < n) {
        const b = src[j + k]!;
        if (trans !== undefined) {
          const c = category[b]!;
          if (c !== state) {
            p = transition(dv, p, trans, transAt, transLen, state * 6 + c);
            state = c;
          }
        }
        const v = chars[b]!;
        dv.setUint32(p, v, true);
        p += v >>> 24;
      } else {
        if (trans !== undefined && state !== 5) {
          p = transition(dv, p, trans, transAt, transLen, state * 6 + 5);
          state = 5;
        }
        o[p++] = SPACE;
      }
      if ((k & 7) === 7) {
        if (trans !== undefined && state !== 5) {
          p = transition(dv, p, trans, transAt, transLen, state * 6 + 5);
          state = 5;
        }
        if (k === cols - 1) {
          dv.setUint32(p, outerV, true);
          p += outerLen;
        } else {
          dv.setUint32(p, innerV, true);
          p += innerLen;
        }
      }
    }
    o[p++] = 0x0a;
    out.pos = p;
  }

  /**
   * A line without bytes: the `*` of a squeezed run, or (`star` false) the offset where the data
   * ends, after a run that reached the end.
   */
  private blankLine(star: boolean): void {
    const out = this.out;
    let p = out.reserve(this.maxLine);
    const o = out.bytes;
    const { outer } = this.frame;
    p = this.put(p, outer);
    if (star) {
      o[p++] = 0x2a;
      for (let k = 1; k < this.s.offsetDigits; k++) o[p++] = SPACE;
    } else {
      p = this.offset(p);
    }
    p = this.put(p, outer);
    out.pos = p;
    this.blankPanels('');
  }

  /** hexyl's line for empty input. */
  private noContent(): void {
    const out = this.out;
    let p = out.reserve(this.maxLine);
    const o = out.bytes;
    const { outer } = this.frame;
    p = this.put(p, outer);
    for (let k = 0; k < this.s.offsetDigits; k++) o[p++] = SPACE;
    p = this.put(p, outer);
    out.pos = p;
    this.blankPanels(' No content');
  }

  /** Empty panels after the offset column, `text` at the start of the first, then the newline. */
  private blankPanels(text: string): void {
    const { outer, inner } = this.frame;
    const panels = this.s.panels;
    const bar = (k: number) => (k === panels - 1 ? outer : inner);
    const out = this.out;
    let p = out.reserve(this.maxLine);
    for (let k = 0; k < panels; k++) {
      const cell = k === 0 ? text.padEnd(this.panelW) : ' '.repeat(this.panelW);
      p = this.put(p, utf8.encode(cell));
      p = this.put(p, bar(k));
    }
    for (let k = 0; k < panels; k++) {
      p = this.put(p, utf8.encode('        '));
      p = this.put(p, bar(k));
    }
    out.bytes[p++] = 0x0a;
    out.pos = p;
  }
}
