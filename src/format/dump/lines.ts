import { Buffer } from 'node:buffer';
import type { OutBuffer } from './out.js';
import type { Dumper } from './types.js';

/** A dialect that prints whole lines of `cols` bytes (canonical, xxd, json). */
export interface LineFormatter {
  /** Format the full lines `src[from..to)`; `to - from` is a positive multiple of the line length. */
  full(src: Buffer, from: number, to: number): void;
  /** Format the short last line `src[0..n)`, 0 < n < line length. */
  partial(src: Buffer, n: number): void;
  /** Everything was pushed: write trailers (the feeder then flushes). */
  finish(): void;
  /**
   * A mark's line is about to be written between two lines: write what a run being squeezed still
   * owes, and forget the line before (the next line is printed even when it repeats it). Only the
   * dialects that take {@link DumpOptions.marks} have it.
   */
  interrupt?(): void;
}

/**
 * Cuts the pushed windows into whole lines for a {@link LineFormatter}. Windows may split a line
 * anywhere: the head of a split line is copied to a carry buffer (fewer than `cols` bytes) and
 * completed by the next window, so window boundaries never change the output.
 */
export class LineFeeder implements Dumper {
  private readonly carry: Buffer;
  private carryLen = 0;
  private ended = false;

  constructor(
    private readonly cols: number,
    private readonly formatter: LineFormatter,
    private readonly out: OutBuffer,
  ) {
    this.carry = Buffer.alloc(cols);
  }

  push(bytes: Uint8Array): void {
    if (this.ended) throw new Error('dumper: push() after end()');
    const n = bytes.length;
    if (n === 0) return;
    const cols = this.cols;
    // A zero-copy Buffer view, for Buffer#compare and Buffer#copy.
    const src = Buffer.from(bytes.buffer, bytes.byteOffset, n);
    let i = 0;
    if (this.carryLen > 0) {
      i = Math.min(cols - this.carryLen, n);
      src.copy(this.carry, this.carryLen, 0, i);
      this.carryLen += i;
      if (this.carryLen < cols) return;
      this.carryLen = 0;
      this.formatter.full(this.carry, 0, cols);
    }
    const whole = i + Math.floor((n - i) / cols) * cols;
    if (whole > i) this.formatter.full(src, i, whole);
    if (whole < n) {
      src.copy(this.carry, 0, whole, n);
      this.carryLen = n - whole;
    }
  }

  /**
   * Writes `text` (ASCII lines, each ending in `\n`) between the lines formatted so far and the
   * next one (whose first bytes may be carried already: it is formatted once complete).
   */
  mark(text: string): void {
    if (this.ended) throw new Error('dumper: mark() after end()');
    this.formatter.interrupt?.();
    this.out.ascii(text);
  }

  end(): void {
    if (this.ended) throw new Error('dumper: end() called twice');
    this.ended = true;
    if (this.carryLen > 0) this.formatter.partial(this.carry, this.carryLen);
    this.formatter.finish();
    this.out.flush();
  }
}

/**
 * Whether the line of `cols` bytes at `j` in `src` equals the line before it: the one in `src` when
 * it starts at or after `from` (the first byte of this call), else `prev` (the last line of the
 * previous call; undefined before the first line). The squeezing dialects (canonical, hexyl, od)
 * ask this of each line.
 */
export function repeatsLine(src: Buffer, j: number, from: number, cols: number, prev: Uint8Array | undefined): boolean {
  if (j - cols >= from) {
    // Cheap rejection first: random data almost never survives the first byte.
    if (src[j] !== src[j - cols] || src[j + cols - 1] !== src[j - 1]) return false;
    return src.compare(src, j - cols, j, j, j + cols) === 0;
  }
  return prev !== undefined && src.compare(prev, 0, cols, j, j + cols) === 0;
}

/**
 * Given that every line of `cols` bytes in `src[start..lo)` equals the line before it, find where
 * that run ends: the first line at or after `lo` that differs from its predecessor, or `to`.
 * Needs `lo - cols >= 0`. Works on whole ranges with `Buffer#compare` (memcmp): comparing
 * `src[a..b)` with `src[a-cols..b-cols)` tests every line of the range against its predecessor at
 * once, so a long run costs a few calls, galloping forward then bisecting the mismatch.
 */
export function runEnd(src: Buffer, lo: number, to: number, cols: number): number {
  let step = cols * 16;
  while (lo < to) {
    const hi = Math.min(to, lo + step);
    if (src.compare(src, lo - cols, hi - cols, lo, hi) === 0) {
      lo = hi;
      if (step < 1 << 26) step *= 2;
      continue;
    }
    // The first line that differs is in [lo, hi): bisect on whole lines.
    let a = lo;
    let b = hi;
    while (b - a > cols) {
      const m = a + Math.floor((b - a) / cols / 2) * cols;
      if (src.compare(src, a - cols, m - cols, a, m) === 0) a = m;
      else b = m;
    }
    return a;
  }
  return to;
}
