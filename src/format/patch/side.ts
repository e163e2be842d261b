/**
 * The side-by-side view of two files (`mmapx diff --format side`): OLD's bytes on the left, NEW's
 * on the right, `cols` bytes of each per line under one absolute offset, the differing bytes marked
 * (a colour pair around each, or `^^` marker lines without colour; bytes in one file only are
 * shown against blanks, unmarked). Only the lines with a
 * difference are shown, with `context` equal lines around them; `*` stands for the equal lines left
 * out between two hunks. Where the shorter file ends, a `#` line says so, and the longer one's tail
 * is shown against blanks (every byte of it differs).
 *
 *     --- a.bin
 *     +++ b.bin
 *     00000000  68 65 6c 6c 6f 0a 00 00 |hello...|  68 65 4c 6c 6f 0a 00 00 |heLlo...|
 *                     ^^           ^        ^^           ^
 *
 * Pure: the caller finds the differing runs (window by window for big files: {@link SideWriter})
 * and reads the bytes of the lines to show ({@link SideRead}); {@link formatSide} does it all for
 * two buffers.
 */

import type { ColorPair } from '../dump/types.js';
import { differingRuns } from './diff.js';
import { hex } from './lex.js';
import { shownPath } from '../quote.js';

/** The colours of the differing bytes: OLD's (left) and NEW's (right). */
export interface SideColors {
  readonly old: ColorPair;
  readonly new: ColorPair;
}

/** How the side-by-side view looks. */
export interface SideLayout {
  /** Bytes of each file per line (1..64). */
  readonly cols: number;
  /** Equal lines shown before and after each differing line (0..1000000). */
  readonly context: number;
  /** Hex digits of the offset column ({@link sideOffsetDigits}). */
  readonly digits: number;
  /** The two files' names, for the header and the end-of-file line. */
  readonly names: { readonly old: string; readonly new: string };
  readonly sizeOld: bigint;
  readonly sizeNew: bigint;
  /** Colour pairs around the differing bytes; without, `^^` marker lines under each line that differs. */
  readonly colors?: SideColors | undefined;
}

export const SIDE_MAX_COLS = 64;
export const SIDE_MAX_CONTEXT = 1_000_000;
/** Lines rendered at a time: what {@link SideRead} is asked for at most. */
export const SIDE_CHUNK_LINES = 1024;

/** Hex digits of the offsets: 8, or more for files past 4 GiB (every line of both files fits). */
export function sideOffsetDigits(sizeOld: bigint, sizeNew: bigint): number {
  const max = sizeOld > sizeNew ? sizeOld : sizeNew;
  return Math.max(8, max > 0n ? (max - 1n).toString(16).length : 1);
}

/** Characters of one side's hex column: `hh` per byte, one space between, two every 8 bytes. */
function hexWidth(cols: number): number {
  return 3 * cols - 1 + Math.floor((cols - 1) / 8);
}

/** Characters of a full line: offset, two spaces, then per side the hex, a space and `|text|`, two spaces between the sides. */
export function sideLineWidth(cols: number, digits: number): number {
  return digits + 2 + 2 * (hexWidth(cols) + 1 + cols + 2) + 2;
}

/** Bytes per side for a terminal `width` columns wide: 16 (146 columns with 8 offset digits), 8 (80), else 4. */
export function sideColsFor(width: number, digits: number): number {
  for (const c of [16, 8]) if (sideLineWidth(c, digits) <= width) return c;
  return 4;
}

/** Two ASCII hex digits per byte value, and the character shown for it (`.` unless printable ASCII). */
const HEX2 = Buffer.from(Array.from({ length: 256 }, (_, v) => v.toString(16).padStart(2, '0')).join(''), 'latin1');
const CHAR = Uint8Array.from({ length: 256 }, (_, v) => (v >= 0x20 && v < 0x7f ? v : 0x2e));
const DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const SP = 0x20;
const BAR = 0x7c;
const CARET = 0x5e;

/** Copies a colour string's few bytes (a loop: cheaper than Buffer#copy for a handful). */
function put(buf: Buffer, p: number, s: Buffer): number {
  for (let k = 0; k < s.length; k++) buf[p++] = s[k]!;
  return p;
}

/** A colour pair as bytes. */
interface PairBytes {
  readonly open: Buffer;
  readonly close: Buffer;
}

/**
 * Renders lines into bytes through lookup tables (no string per byte). Keeps one piece of state:
 * whether the end-of-file line (files of different sizes) has been written; it goes right after
 * the line where the shorter file ends.
 */
export class SideRenderer {
  readonly #o: SideLayout;
  readonly #min: bigint;
  #noted: boolean;
  readonly #note: Buffer;
  readonly #diff: Uint8Array;
  readonly #old: PairBytes | undefined;
  readonly #new: PairBytes | undefined;
  /** Bytes one line and its marker line take at most. */
  readonly #perLine: number;
  /** Where lines are rendered (grown as needed, reused). */
  #buf: Buffer = Buffer.alloc(0);

  constructor(layout: SideLayout) {
    this.#o = layout;
    const { sizeOld, sizeNew, names, cols, digits, colors } = layout;
    this.#min = sizeOld < sizeNew ? sizeOld : sizeNew;
    this.#noted = sizeOld === sizeNew;
    const [short, long] = sizeOld < sizeNew ? [names.old, names.new] : [names.new, names.old];
    const max = sizeOld < sizeNew ? sizeNew : sizeOld;
    this.#note = Buffer.from(`# ${short} ends at ${hex(this.#min)} (${this.#min} bytes); ${long} goes on to ${hex(max)} (${max} bytes)\n`);
    this.#diff = new Uint8Array(cols);
    const bytes = (c: ColorPair | undefined): PairBytes | undefined =>
      c === undefined ? undefined : { open: Buffer.from(c.open), close: Buffer.from(c.close) };
    this.#old = bytes(colors?.old);
    this.#new = bytes(colors?.new);
    const pairLength = (c: PairBytes | undefined) => (c === undefined ? 0 : c.open.length + c.close.length);
    const width = sideLineWidth(cols, digits) + 1;
    this.#perLine = 2 * width + 2 * cols * (pairLength(this.#old) + pairLength(this.#new));
  }

  header(): string {
    return `--- ${shownPath(this.#o.names.old)}\n+++ ${shownPath(this.#o.names.new)}\n`;
  }

  /** The line standing for equal lines left out between two hunks. */
  gap(): string {
    return '*\n';
  }

  /** The end-of-file line, if the sizes differ and it has not been written yet. */
  finish(): Uint8Array {
    if (this.#noted) return new Uint8Array(0);
    this.#noted = true;
    return this.#note;
  }

  /**
   * Lines `first` .. `first + count - 1`: `a` and `b` are OLD's and NEW's bytes from offset
   * `first * cols` (each shorter where its file ends, empty past it). The text is UTF-8 (ASCII but
   * for the names and the colour strings), in a buffer the next call reuses.
   */
  lines(first: bigint, count: number, a: Uint8Array, b: Uint8Array): Buffer {
    const { cols, digits } = this.#o;
    const C = BigInt(cols);
    const d = this.#diff;
    const size = count * this.#perLine + this.#note.length;
    if (this.#buf.length < size) this.#buf = Buffer.allocUnsafe(size);
    const buf = this.#buf;
    let p = 0;
    const trim = (): void => {
      while (p > 0 && buf[p - 1] === SP) p--;
    };
    for (let i = 0; i < count; i++) {
      const line = first + BigInt(i);
      const at = line * C;
      if (!this.#noted && at >= this.#min) {
        this.#noted = true;
        buf.set(this.#note, p);
        p += this.#note.length;
      }
      const q = i * cols;
      const la = Math.max(0, Math.min(cols, a.length - q));
      const lb = Math.max(0, Math.min(cols, b.length - q));
      const both = Math.min(la, lb);
      let any = false;
      for (let j = 0; j < cols; j++) {
        const x = j < both && a[q + j] !== b[q + j];
        d[j] = x ? 1 : 0;
        if (x) any = true;
      }
      // The offset, `digits` hex digits (exact as a number below 2^53).
      if (at <= BigInt(Number.MAX_SAFE_INTEGER)) {
        let v = Number(at);
        for (let k = digits - 1; k >= 0; k--) {
          buf[p + k] = DIGITS[v % 16]!;
          v = Math.floor(v / 16);
        }
      } else {
        buf.write(at.toString(16).padStart(digits, '0'), p, 'latin1');
      }
      p += digits;
      buf[p++] = SP;
      buf[p++] = SP;
      p = this.#side(buf, p, a, q, la, this.#old, true);
      if (lb > 0) {
        buf[p++] = SP;
        buf[p++] = SP;
        p = this.#side(buf, p, b, q, lb, this.#new, false);
      } else trim();
      buf[p++] = 0x0a;
      if (any && this.#o.colors === undefined) {
        buf.fill(SP, p, p + digits + 2);
        p += digits + 2;
        p = this.#marks(buf, p, la, true);
        buf[p++] = SP;
        buf[p++] = SP;
        p = this.#marks(buf, p, lb, false);
        trim();
        buf[p++] = 0x0a;
      }
    }
    return buf.subarray(0, p);
  }

  /** One side of a line at `p`: `n` bytes of `bytes` from `q`, blanks for the rest (`pad`: up to the full width). */
  #side(buf: Buffer, p: number, bytes: Uint8Array, q: number, n: number, pair: PairBytes | undefined, pad: boolean): number {
    const { cols } = this.#o;
    const d = this.#diff;
    for (let j = 0; j < cols; j++) {
      if (j > 0) {
        buf[p++] = SP;
        if (j % 8 === 0) buf[p++] = SP;
      }
      if (j >= n) {
        buf[p++] = SP;
        buf[p++] = SP;
        continue;
      }
      const v = bytes[q + j]! * 2;
      const on = pair !== undefined && d[j] === 1;
      if (on) p = put(buf, p, pair.open);
      buf[p++] = HEX2[v]!;
      buf[p++] = HEX2[v + 1]!;
      if (on) p = put(buf, p, pair.close);
    }
    if (n === 0) {
      if (!pad) return p;
      buf.fill(SP, p, p + cols + 3);
      return p + cols + 3;
    }
    buf[p++] = SP;
    buf[p++] = BAR;
    for (let j = 0; j < n; j++) {
      const on = pair !== undefined && d[j] === 1;
      if (on) p = put(buf, p, pair.open);
      buf[p++] = CHAR[bytes[q + j]!]!;
      if (on) p = put(buf, p, pair.close);
    }
    buf[p++] = BAR;
    if (pad && n < cols) {
      buf.fill(SP, p, p + cols - n);
      p += cols - n;
    }
    return p;
  }

  /** The marker line's part for one side at `p`: `^^` under each differing byte, `^` under its character. */
  #marks(buf: Buffer, p: number, n: number, pad: boolean): number {
    const { cols } = this.#o;
    const d = this.#diff;
    for (let j = 0; j < cols; j++) {
      if (j > 0) {
        buf[p++] = SP;
        if (j % 8 === 0) buf[p++] = SP;
      }
      const m = j < n && d[j] === 1 ? CARET : SP;
      buf[p++] = m;
      buf[p++] = m;
    }
    buf[p++] = SP;
    buf[p++] = SP;
    for (let j = 0; j < n; j++) buf[p++] = d[j] === 1 ? CARET : SP;
    buf[p++] = SP;
    const rest = pad ? cols - n : 0;
    buf.fill(SP, p, p + rest);
    return p + rest;
  }
}

/** Where the lines to show go. */
export interface SidePlanSink {
  /** Lines `from` .. `to - 1` are shown. */
  lines(from: bigint, to: bigint): void;
  /** Equal lines are left out here (between two hunks). */
  gap(): void;
}

/**
 * Which lines to show: the differing lines, as they are found in increasing order, and `context`
 * lines either side, hunks that touch or overlap joined. Nothing is held but three numbers.
 */
export class SideHunks {
  readonly #context: bigint;
  readonly #total: bigint;
  /** Lines before it are shown or left out. */
  #next = 0n;
  /** The trailing context still to show ends here. */
  #end = 0n;
  /** Hunks begun. */
  hunks = 0;

  /** @param total lines of the longer file. */
  constructor(context: number, total: bigint) {
    this.#context = BigInt(context);
    this.#total = total;
  }

  /** Lines `from` .. `to - 1` differ (`from` not below an earlier call's). */
  differ(from: bigint, to: bigint, sink: SidePlanSink): void {
    if (to <= this.#next && this.hunks > 0) return;
    const start = from > this.#context ? from - this.#context : 0n;
    if (this.hunks === 0) {
      this.hunks = 1;
      this.#next = start;
    } else if (start > this.#end) {
      if (this.#end > this.#next) sink.lines(this.#next, this.#end);
      sink.gap();
      this.hunks++;
      this.#next = start;
    }
    if (to > this.#next) {
      sink.lines(this.#next, to);
      this.#next = to;
    }
    const end = to + this.#context;
    if (end > this.#end) this.#end = end < this.#total ? end : this.#total;
  }

  /** The last hunk's trailing context. */
  finish(sink: SidePlanSink): void {
    if (this.#end > this.#next) sink.lines(this.#next, this.#end);
    this.#next = this.#end;
  }
}

/** OLD's and NEW's bytes at `offset`, `length` of each at most (shorter where a file ends). */
export type SideRead = (offset: bigint, length: number) => { readonly old: Uint8Array; readonly new: Uint8Array };

/**
 * The whole view, fed run by run: {@link differ} for each run of differing bytes in increasing order
 * (runs of the common part, then the longer file's tail), then {@link finish}. The lines to show are
 * read through `read` ({@link SIDE_CHUNK_LINES} at a time) and their text goes to `out` at once, so
 * memory stays flat whatever the sizes and however much differs. `out` gets strings and buffers
 * (UTF-8); a buffer is reused after the call (write it at once or copy it).
 */
export class SideWriter {
  readonly #layout: SideLayout;
  readonly #render: SideRenderer;
  readonly #hunks: SideHunks;
  readonly #sink: SidePlanSink;
  readonly #out: (text: string | Uint8Array) => void;
  /** Renders lines `from` .. `to - 1`, a chunk at a time. */
  readonly #show: (from: bigint, to: bigint) => void;
  #started = false;
  /** Lines gathered to show, [from, to); from -1 when none. */
  #pendingFrom = -1n;
  #pendingTo = -1n;

  constructor(layout: SideLayout, read: SideRead, out: (text: string | Uint8Array) => void) {
    this.#layout = layout;
    this.#out = out;
    this.#render = new SideRenderer(layout);
    const C = BigInt(layout.cols);
    const max = layout.sizeOld > layout.sizeNew ? layout.sizeOld : layout.sizeNew;
    this.#hunks = new SideHunks(layout.context, (max + C - 1n) / C);
    const start = (): void => {
      if (!this.#started) out(this.#render.header());
      this.#started = true;
    };
    // Lines to show are gathered while they follow on (runs close together come one by one) and
    // rendered a chunk at a time: one read of each file per chunk, not per run.
    this.#show = (from, to) => {
      for (let l = from; l < to; ) {
        const n = to - l < BigInt(SIDE_CHUNK_LINES) ? Number(to - l) : SIDE_CHUNK_LINES;
        const got = read(l * C, n * layout.cols);
        out(this.#render.lines(l, n, got.old, got.new));
        l += BigInt(n);
      }
    };
    this.#sink = {
      lines: (from, to) => {
        start();
        if (this.#pendingTo !== from) this.flush();
        if (this.#pendingFrom < 0n) this.#pendingFrom = from;
        this.#pendingTo = to;
        if (to - this.#pendingFrom >= BigInt(SIDE_CHUNK_LINES)) this.flush();
      },
      gap: () => {
        this.flush();
        out(this.#render.gap());
      },
    };
  }

  /** Renders the lines gathered so far (a caller that writes out step by step calls it after each step). */
  flush(): void {
    if (this.#pendingFrom < 0n) return;
    const [from, to] = [this.#pendingFrom, this.#pendingTo];
    this.#pendingFrom = -1n;
    this.#pendingTo = -1n;
    this.#show(from, to);
  }

  /** Hunks begun so far. */
  get hunks(): number {
    return this.#hunks.hunks;
  }

  /** Bytes `start` .. `end - 1` differ (or are in one file only). */
  differ(start: bigint, end: bigint): void {
    if (end <= start) return;
    const C = BigInt(this.#layout.cols);
    this.#hunks.differ(start / C, (end - 1n) / C + 1n, this.#sink);
  }

  /** The trailing context and the end-of-file line. */
  finish(): void {
    this.#hunks.finish(this.#sink);
    this.flush();
    if (this.#started) {
      const note = this.#render.finish();
      if (note.length > 0) this.#out(note);
    }
  }
}

/** The defaults of {@link formatSide}. */
export interface FormatSideOptions {
  cols?: number;
  context?: number;
  names?: { readonly old: string; readonly new: string };
  colors?: SideColors;
}

/**
 * The side-by-side view of `a` (OLD) and `b` (NEW), whole: what `mmapx diff A B --format side`
 * prints for two files with these bytes (empty when they are equal). Defaults: 16 bytes per side,
 * 3 lines of context, names `a` and `b`, no colour.
 */
export function formatSide(a: Uint8Array, b: Uint8Array, opts: FormatSideOptions = {}): string {
  const sizeOld = BigInt(a.length);
  const sizeNew = BigInt(b.length);
  const layout: SideLayout = {
    cols: opts.cols ?? 16,
    context: opts.context ?? 3,
    digits: sideOffsetDigits(sizeOld, sizeNew),
    names: opts.names ?? { old: 'a', new: 'b' },
    sizeOld,
    sizeNew,
    colors: opts.colors,
  };
  const parts: Buffer[] = [];
  const w = new SideWriter(
    layout,
    (o, n) => ({ old: a.subarray(Number(o), Number(o) + n), new: b.subarray(Number(o), Number(o) + n) }),
    (t) => parts.push(Buffer.from(t)), // a copy: the writer reuses its buffers
  );
  const common = Math.min(a.length, b.length);
  differingRuns(a.subarray(0, common), b.subarray(0, common), (s, e) => w.differ(BigInt(s), BigInt(e)));
  w.differ(BigInt(common), BigInt(Math.max(a.length, b.length)));
  w.finish();
  return Buffer.concat(parts).toString();
}
