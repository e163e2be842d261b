import { Buffer } from 'node:buffer';
import { byteTables } from './bytes.js';
import { HexPrinter, type HexLayout } from './hexlines.js';
import type { Kernel } from './kernel.js';
import { runEnd, type LineFormatter } from './lines.js';
import { Offset } from './offset.js';
import type { ResolvedOptions } from './options.js';
import type { OutBuffer } from './out.js';

/**
 * xxd's line: `%08x:` offset (`%08ld` with -d), a space, byte k at column `floor((wg+1)k/g)` of
 * the hex area (w digits per byte: 2, or 8 with -b; groups of g bytes, one space between groups),
 * the text column two spaces after a full line's hex area, no trailing spaces. With -e, byte k
 * takes the place of byte `k XOR (g-1)`: the bytes of each group in reverse order, and a short
 * last group at the right end of its place.
 */
function xxdLayout(opts: ResolvedOptions): HexLayout {
  const { cols, group, bits, littleEndian } = opts;
  const cell = bits ? 8 : 2;
  const flip = littleEndian ? group - 1 : 0;
  const pos = new Uint16Array(cols);
  for (let k = 0; k < cols; k++) pos[k] = Math.floor(((cell * group + 1) * (k ^ flip)) / group);
  const textCol = 2 + Math.floor(((cell * group + 1) * cols - 1) / group);
  const overlaps: { k: number; c: number }[] = [];
  for (let k = 0; k < cols; k++) for (const c of [pos[k]!, pos[k]! + 1]) if (c >= textCol) overlaps.push({ k, c });
  return {
    cols,
    // ':' then ' ', little-endian.
    sep: 0x203a,
    pos,
    textCol,
    overlaps,
    upper: opts.upper,
    bar: false,
    cell: bits ? 2 : flip > 0 ? 1 : 0,
    text: opts.ebcdic ? byteTables().textEbcdic : undefined,
    decimal: opts.decimal,
  };
}

const ZEROS = Buffer.alloc(256);

/**
 * The xxd dialect (with -b, -e, -d, -o, -E as layouts of the same line printer), with xxd's autoskip (`-a`): runs of all-zero lines (non-zero repeated lines are
 * never squeezed). xxd's rule, reproduced from its behaviour: a run of one or two zero lines is
 * printed in full; a longer run prints its first line and one `*` line, and the dump goes on with
 * the line after the run. A run that reaches the end of the input also prints its last zero line
 * after the `*`, except that a run of exactly three zero lines at the very end prints all three
 * (xxd's quirk).
 */
export class XxdFormatter implements LineFormatter {
  private readonly printer: HexPrinter;
  private readonly off: Offset;
  private readonly cols: number;
  private readonly autoskip: boolean;
  /** Autoskip state: length of the current run of zero lines, and offsets of its second and last lines. */
  private zeroRun = 0;
  private second = new Offset(0, 0);
  private last = new Offset(0, 0);

  constructor(opts: ResolvedOptions, out: OutBuffer, kernel: Kernel) {
    this.printer = new HexPrinter(out, kernel, xxdLayout(opts), opts.colors);
    this.off = new Offset(opts.shownHi, opts.shownLo);
    this.cols = opts.cols;
    this.autoskip = opts.autoskip;
  }

  full(src: Buffer, from: number, to: number): void {
    const cols = this.cols;
    if (!this.autoskip) {
      this.printer.lines(src, from, (to - from) / cols, this.off);
      return;
    }
    let j = from;
    while (j < to) {
      if (isZeroLine(src, j, cols)) {
        // Every line of a run of zero lines equals its predecessor: find the run's end in a few calls.
        const e = runEnd(src, j + cols, to, cols);
        this.zeroLines(e - j);
        j = e;
        continue;
      }
      if (this.zeroRun > 0) this.closeZeroRun();
      let k = j + cols;
      for (; k < to; k += cols) {
        if (src[k] === 0 && src[k + cols - 1] === 0 && src.compare(ZEROS, 0, cols, k, k + cols) === 0) break;
      }
      this.printer.lines(src, j, (k - j) / cols, this.off);
      j = k;
    }
  }

  /** `bytes` (a whole number of lines) of zeros at the current offset. */
  private zeroLines(bytes: number): void {
    const cols = this.cols;
    const before = this.zeroRun;
    const k = bytes / cols;
    if (before === 0) this.printer.line(ZEROS, 0, cols, this.off);
    if (before < 2 && before + k >= 2) this.second = this.off.plus((1 - before) * cols);
    this.last = this.off.plus(bytes - cols);
    this.zeroRun = before + k;
    this.off.add(bytes);
  }

  /** A line that is not a zero line follows a run: print what the run still owes. */
  private closeZeroRun(): void {
    if (this.zeroRun === 2) this.printer.line(ZEROS, 0, this.cols, this.second);
    else if (this.zeroRun > 2) this.printer.star();
    this.zeroRun = 0;
  }

  partial(src: Buffer, n: number): void {
    if (this.zeroRun > 0) this.closeZeroRun();
    this.printer.line(src, 0, n, this.off);
    this.off.add(n);
  }

  /** A mark: a run of zero lines ends there as it does at the end of the input. */
  interrupt(): void {
    this.finish();
  }

  finish(): void {
    // The input ended on a full line inside a run of zero lines (xxd's last-chance flush).
    const r = this.zeroRun - 1;
    if (r === 2) this.printer.line(ZEROS, 0, this.cols, this.second);
    else if (r > 2) this.printer.star();
    if (r > 0) this.printer.line(ZEROS, 0, this.cols, this.last);
    this.zeroRun = 0;
  }
}

function isZeroLine(src: Buffer, j: number, cols: number): boolean {
  return src[j] === 0 && src[j + cols - 1] === 0 && src.compare(ZEROS, 0, cols, j, j + cols) === 0;
}
