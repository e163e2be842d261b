import type { Buffer } from 'node:buffer';
import { byteTables } from './bytes.js';
import { IN_CAP, type Kernel } from './kernel.js';
import { TWO32, type Offset } from './offset.js';
import type { CompiledColors } from './options.js';
import { CHUNK_BYTES, type OutBuffer } from './out.js';

/**
 * Where things go on a line of the two hex-dump dialects (canonical, xxd). Columns are relative
 * to the first hex digit, which follows the offset digits and the two `sep` characters.
 */
export interface HexLayout {
  /** Bytes per (full) line. */
  readonly cols: number;
  /** The two characters after the offset digits, as a little-endian 16-bit value. */
  readonly sep: number;
  /** Column of the first hex digit of byte k of the line. */
  readonly pos: Uint16Array;
  /** Column where the text area starts (its `|` in the canonical dialect). */
  readonly textCol: number;
  /** Whether the text area is enclosed in `|...|` (canonical). */
  readonly bar: boolean;
  /** How a byte's digits are written: 0 or absent hex (fast), 1 hex with bytes out of column order (xxd -e), 2 bits (xxd -b). */
  readonly cell?: 0 | 1 | 2;
  /** The text column's character per byte, when it is not printable ASCII (xxd -E). */
  readonly text?: Uint8Array;
  /** Decimal offsets (xxd -d): `%08ld` of the offset, negative from 2^63 on as xxd prints them. */
  readonly decimal?: boolean;
  /**
   * Hex digit columns at or past `textCol` (xxd -e with a line length that is not a multiple of
   * the group size): digit `c - pos[k]` of byte k lands on text character `c - textCol`. xxd
   * writes each byte's hex digits, then its text character, byte after byte, so the later write
   * wins; the kernel writes all the digits first, and {@link HexPrinter} rewrites the digits that
   * xxd writes last.
   */
  readonly overlaps?: readonly { readonly k: number; readonly c: number }[];
  /** Upper-case digits (needed only to rewrite `overlaps`). */
  readonly upper?: boolean;
}

/**
 * Prints hex-dump lines through the kernel: runs of full lines, single (short or remembered)
 * lines, and the `*` and offset-only lines. The dialects decide which lines to print.
 */
export class HexPrinter {
  /** Upper bound of one line's length, colour codes included. */
  private readonly maxLine: number;
  private readonly cols: number;
  private readonly decimal: boolean;
  private readonly layout: HexLayout;

  constructor(
    private readonly out: OutBuffer,
    private readonly kernel: Kernel,
    layout: HexLayout,
    colors: CompiledColors | undefined,
  ) {
    this.cols = layout.cols;
    this.decimal = layout.decimal ?? false;
    this.layout = layout;
    kernel.setLayout(layout, colors);
    // Offset (≤ 16 digits), sep, hex area, bars, text, newline; with colours, per byte at most a
    // close+open before its digits, a close after them and a close+open before its character,
    // and one close at the end; then what the kernel's wide stores may write past the end.
    const pair = colors?.maxPair ?? 0;
    this.maxLine = 16 + 2 + layout.textCol + 2 + layout.cols + 1 + (3 * layout.cols + 1) * pair + 128;
  }

  /**
   * Print up to `n` full lines at `src[j..)`, the first at offset `off`, which advances past the
   * lines printed. With `squeeze` (16-byte lines), stop before a line equal to the line before it,
   * except the first (the caller has already decided to print it). Returns the lines printed.
   */
  lines(src: Buffer, j: number, n: number, off: Offset, squeeze = false): number {
    const cols = this.cols;
    const kernel = this.kernel;
    const out = this.out;
    // The kernel starts a line only at or before `limit`, so a chunk never exceeds CHUNK_BYTES.
    const limit = CHUNK_BYTES - this.maxLine;
    let done = 0;
    while (done < n) {
      if ((this.decimal && off.hi >= 0x80000000) || this.layout.overlaps?.length) {
        // A decimal offset of 2^63 or more prints negative (xxd's %ld): JS writes each such
        // field, one line per call (only a display offset gets there; never squeezed: xxd).
        // Overlapping digits are rewritten line by line too.
        this.line(src, j + done * cols, cols, off, true);
        done++;
        continue;
      }
      // One load per input slice, with the line before it in front (at IN) so the kernel can
      // compare the slice's first line too; the first line of the call is never compared. The
      // lines of one kernel call must share the high half of their offsets (the kernel advances
      // only the low 32 bits).
      const m = Math.min(n - done, Math.floor(IN_CAP / cols) - 1, Math.floor((TWO32 - 1 - off.lo) / cols) + 1);
      const start = j + done * cols;
      if (done === 0) kernel.load(src, start, start + m * cols, cols);
      else kernel.load(src, start - cols, start + m * cols, 0);
      const checkFrom = squeeze ? (done === 0 ? 2 * cols : cols) : -1;
      let k = 0;
      while (k < m) {
        // Decimal offsets: the kernel counts on from the field of the call's first line.
        if (this.decimal) kernel.setOffsetField(off.signedDecimal08());
        kernel.hexLines(cols + k * cols, m - k, cols, off.hi, off.lo, out.pos, limit, false, checkFrom);
        out.pos = kernel.pos;
        k += kernel.lines;
        off.add(kernel.lines * cols);
        if (out.pos > limit) out.flush();
        else if (k < m) return done + k; // stopped before a repeated line
      }
      done += m;
    }
    return done;
  }

  /** Print one line of `len` bytes (1..cols) from `src[j..)` at offset `off` (advanced only with `advance`). */
  line(src: Buffer, j: number, len: number, off: Offset, advance = false): void {
    const pos = this.out.reserve(this.maxLine);
    this.kernel.load(src, j, j + len);
    if (this.decimal) this.kernel.setOffsetField(off.signedDecimal08());
    this.kernel.hexLines(0, 1, len, off.hi, off.lo, pos, pos, len < this.cols);
    this.out.pos = this.kernel.pos;
    if (this.layout.overlaps?.length) this.rewriteOverlaps(src, j, len);
    if (advance) off.add(len);
  }

  /** The line just printed from `src[j..j+len)`: the hex digits xxd writes over text characters. */
  private rewriteOverlaps(src: Buffer, j: number, len: number): void {
    const { textCol, pos, upper } = this.layout;
    const hex = upper ? byteTables().hex16Upper : byteTables().hex16;
    const b = this.out.bytes;
    // The line ends with its text column and a newline: find where its hex area starts.
    const hexStart = this.out.pos - 1 - len - textCol;
    for (const { k, c } of this.layout.overlaps!) {
      const t = c - textCol;
      // Text character t was written before byte k's digits (t < k), and is on the line (t < len).
      if (k < len && t < k && t < len) {
        const d = hex[src[j + k]!]!;
        b[hexStart + c] = c === pos[k] ? d & 0xff : d >> 8;
      }
    }
  }

  /** `*` on its own line: a squeezed run. */
  star(): void {
    this.out.ascii('*\n');
  }

  /** A line holding only an offset (hexdump's last line). */
  offsetLine(off: Offset): void {
    this.out.ascii(`${off.hex()}\n`);
  }
}
