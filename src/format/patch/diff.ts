/**
 * Byte-level differences between two buffers: `mmapx diff` (native patch hunks) and
 * `--format cmp` (GNU `cmp -l` lines).
 *
 * Differing regions are found with `Buffer.compare` (memcmp) over 64 KiB blocks, subdividing a
 * block that differs by halves down to 64 bytes before looking at single bytes; equal stretches of
 * mostly-equal files cost memcmp speed, not a JS loop per byte.
 */

import { concatBytes } from '../data.js';
import { IpsEncoder } from './ips.js';
import { hex } from './lex.js';
import type { FileGuards, OffsetHunk, Patch } from './model.js';
import { plural } from '../units.js';

const BLOCK = 64 * 1024;
const LEAF = 64;
let zeroBlock: Buffer | undefined;

function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

/**
 * Reports maximal runs `[start, end)` where `x[xs + i] !== y[ys + i]` for i in `[0, n)`, in
 * increasing order, as absolute positions `base + i`. Adjacent runs from neighbouring calls may
 * touch; the caller merges.
 */
function diffSpan(x: Buffer, xs: number, y: Buffer, ys: number, n: number, base: number, emit: (start: number, end: number) => void): void {
  if (n === 0 || y.compare(x, xs, xs + n, ys, ys + n) === 0) return;
  if (n > LEAF) {
    // Depth log2(BLOCK / LEAF) = 10 at most.
    const h = n >> 1;
    diffSpan(x, xs, y, ys, h, base, emit);
    diffSpan(x, xs + h, y, ys + h, n - h, base + h, emit);
    return;
  }
  diffLeaf(x, xs, y, ys, n, base, emit);
}

/** The runs of a span of at most LEAF bytes, byte by byte. */
function diffLeaf(x: Uint8Array, xs: number, y: Uint8Array, ys: number, n: number, base: number, emit: (start: number, end: number) => void): void {
  let i = 0;
  while (i < n) {
    while (i < n && x[xs + i] === y[ys + i]) i++;
    if (i === n) break;
    const s = i;
    while (i < n && x[xs + i] !== y[ys + i]) i++;
    emit(base + s, base + i);
  }
}

/**
 * Runs where `a` zero-extended to `b.length` differs from `b` — the comparison a patch with a
 * `size after` needs, since growing a file fills it with zeros. Past `b.length` nothing counts.
 */
export function differingRuns(a: Uint8Array, b: Uint8Array, emit: (start: number, end: number) => void): void {
  if (a.length <= LEAF && b.length <= a.length) {
    // A hunk's few bytes (patch counts every hunk's changed bytes): no Buffer views.
    diffLeaf(a, 0, b, 0, b.length, 0, emit);
    return;
  }
  const x = asBuffer(a);
  const y = asBuffer(b);
  const common = Math.min(x.length, y.length);
  for (let p = 0; p < common; p += BLOCK) diffSpan(x, p, y, p, Math.min(BLOCK, common - p), p, emit);
  if (y.length > x.length) {
    zeroBlock ??= Buffer.alloc(BLOCK);
    for (let p = common; p < y.length; p += BLOCK) {
      diffSpan(zeroBlock, 0, y, p, Math.min(BLOCK, y.length - p), p, emit);
    }
  }
}

export interface DiffOptions {
  /** Merge changes separated by at most this many equal bytes into one hunk (default 8). */
  readonly coalesce?: number;
  /** Split hunks longer than this many bytes, for readable lines; 0 = never (default 32). */
  readonly maxHunk?: number;
  /** Hashes the caller computed, emitted as `sha256 before` / `sha256 after` guards. */
  readonly sha256?: { readonly before?: string; readonly after?: string };
  /** Name in the hunks' sources (default `diff`); lines are those of formatNativePatch's output. */
  readonly name?: string;
  /**
   * DiffScanner: copy each window into the same two buffers, so the hunks of a push are only valid
   * until the next push (for a caller that writes them out at once: no garbage per window).
   */
  readonly reuse?: boolean;
}

const EMPTY = new Uint8Array(0);

/** Where a scan's hunks go: an array, or a caller's function. */
type Sink = { push(h: OffsetHunk): unknown };

/**
 * The hunks of a diff computed window by window, so that files of any size can be compared
 * through bounded mappings.
 *
 * Feed consecutive, non-overlapping windows from offset 0 with {@link push}: `b` is NEW's bytes
 * of the window (up to NEW's end), `a` is OLD's bytes at the same offset — shorter or empty past
 * OLD's end, where OLD counts as zeros. Each call returns the hunks completed so far; {@link finish}
 * returns the rest. Nothing of a window is kept after the call: a window with a difference is
 * copied once, and the hunks it yields are views of that copy.
 *
 * Memory is bounded whatever the files: with `maxHunk` > 0 a hunk is handed out as soon as its
 * `maxHunk` bytes are known, so an open region carries at most `maxHunk + coalesce` bytes from one
 * window to the next (a file that differs everywhere is one region). With `maxHunk` 0 a region is
 * held whole until it ends.
 */
export class DiffScanner {
  private readonly coalesce: number;
  private readonly maxHunk: number;
  private readonly name: string;
  private line: number;
  /** Offset of the next window. */
  private pos = 0n;
  /** Differing bytes seen so far (in the hunks handed out and in the open region). */
  private differing = 0;
  /** Open region [rs, re), -1 when none. */
  private rs = -1n;
  private re = -1n;
  /**
   * INVARIANT while a region is open across windows: copies of OLD's and NEW's bytes over
   * [cs, pos), where cs <= rs (the region's start and the equal bytes after its last change).
   */
  private cs = 0n;
  private carriedOld: Uint8Array = EMPTY;
  private carriedNew: Uint8Array = EMPTY;
  private readonly reuse: boolean;
  private spareOld: Uint8Array = EMPTY;
  private spareNew: Uint8Array = EMPTY;

  /** @param firstLine source line of the first hunk minus one (the guard lines before it). */
  constructor(opts: Pick<DiffOptions, 'coalesce' | 'maxHunk' | 'name' | 'reuse'> & { firstLine?: number } = {}) {
    this.reuse = opts.reuse ?? false;
    this.coalesce = Math.max(0, opts.coalesce ?? 8);
    this.maxHunk = opts.maxHunk ?? 32;
    this.name = opts.name ?? 'diff';
    this.line = opts.firstLine ?? 0;
  }

  /** Bytes that differ, counted over the windows pushed so far. */
  get bytesChanged(): number {
    return this.differing;
  }

  /**
   * @param sink given, each hunk goes to it as soon as it is complete (and the array returned is
   *   empty): nothing of a window is held while it is scanned.
   */
  push(a: Uint8Array, b: Uint8Array, sink?: (h: OffsetHunk) => void): OffsetHunk[] {
    const list: OffsetHunk[] = [];
    const out: Sink = sink !== undefined ? { push: sink } : list;
    const base = this.pos;
    const n = b.length;
    // The window's own copies, made at the first difference (OLD zero-extended to NEW's length).
    let oc: Uint8Array | undefined;
    let nc: Uint8Array | undefined;
    const copy = (): void => {
      if (oc !== undefined) return;
      if (this.reuse && this.spareOld.length < n) {
        this.spareOld = new Uint8Array(n);
        this.spareNew = new Uint8Array(n);
      }
      oc = this.reuse ? this.spareOld.subarray(0, n).fill(0) : new Uint8Array(n);
      oc.set(a.length > n ? a.subarray(0, n) : a);
      nc = this.reuse ? this.spareNew.subarray(0, n) : new Uint8Array(n);
      nc.set(b);
    };
    if (this.rs >= 0n) copy(); // the open region continues into this window
    differingRuns(a.length > n ? a.subarray(0, n) : a, b, (s, e) => {
      copy();
      const S = base + BigInt(s);
      this.differing += e - s;
      if (this.rs >= 0n && S - this.re <= BigInt(this.coalesce)) {
        this.re = base + BigInt(e);
      } else {
        this.close(out, base, oc!, nc!);
        this.rs = S;
        this.re = base + BigInt(e);
        this.cs = base; // nothing carried for a region that starts in this window
        this.carriedOld = EMPTY;
        this.carriedNew = EMPTY;
      }
      this.chunks(out, base, oc!, nc!, false);
    });
    this.pos = base + BigInt(n);
    if (this.rs >= 0n) {
      if (this.pos - this.re > BigInt(this.coalesce)) {
        this.close(out, base, oc!, nc!);
      } else {
        // Carry [rs, pos): the region so far and the equal bytes after it (own copies: the
        // window's copy is reused or dropped).
        const own = this.rs >= base;
        const co = this.bytes(this.rs, this.pos, base, oc!, this.carriedOld);
        const cn = this.bytes(this.rs, this.pos, base, nc!, this.carriedNew);
        this.carriedOld = own ? co.slice() : co;
        this.carriedNew = own ? cn.slice() : cn;
        this.cs = this.rs;
      }
    }
    return list;
  }

  finish(sink?: (h: OffsetHunk) => void): OffsetHunk[] {
    const list: OffsetHunk[] = [];
    this.close(sink !== undefined ? { push: sink } : list, this.pos, EMPTY, EMPTY);
    return list;
  }

  /** The bytes [from, to) out of the carried copy [cs, base) and the window's copy from `base`. */
  private bytes(from: bigint, to: bigint, base: bigint, win: Uint8Array, carried: Uint8Array): Uint8Array {
    if (from >= base) return win.subarray(Number(from - base), Number(to - base));
    const c = carried.subarray(Number(from - this.cs));
    if (to <= base) return c.subarray(0, Number(to - from));
    const w = win.subarray(0, Number(to - base));
    const joined = new Uint8Array(c.length + w.length);
    joined.set(c);
    joined.set(w, c.length);
    return joined;
  }

  /** Hands out the region's complete `maxHunk`-byte hunks (all of it when `all`). */
  private chunks(out: Sink, base: bigint, oc: Uint8Array, nc: Uint8Array, all: boolean): void {
    const step = BigInt(this.maxHunk);
    while (this.rs < this.re && (all || (step > 0n && this.re - this.rs >= step))) {
      const to = step > 0n && this.re - this.rs > step ? this.rs + step : this.re;
      out.push({
        kind: 'offset',
        offset: this.rs,
        old: this.bytes(this.rs, to, base, oc, this.carriedOld),
        new: this.bytes(this.rs, to, base, nc, this.carriedNew),
        source: { name: this.name, line: ++this.line },
      });
      this.rs = to;
    }
  }

  /** Hands out the rest of the open region, if any, and closes it. */
  private close(out: Sink, base: bigint, oc: Uint8Array, nc: Uint8Array): void {
    if (this.rs < 0n) return;
    this.chunks(out, base, oc, nc, true);
    this.rs = -1n;
    this.re = -1n;
    this.carriedOld = EMPTY;
    this.carriedNew = EMPTY;
  }
}

/**
 * The native patch that turns `a` into `b`: guarded hunks (old and new bytes) over the changed
 * regions, nearby changes coalesced; when the sizes differ, `size before` / `size after` guards
 * (growing zero-fills, so hunks past the old end expect zeros).
 *
 * Applying it to `a` gives `b`; applying it to `b` finds every hunk already applied. For files
 * too big for one view, use {@link DiffScanner} window by window (same hunks).
 */
export function diffBytes(a: Uint8Array, b: Uint8Array, opts: DiffOptions = {}): Patch {
  const name = opts.name ?? 'diff';
  const guards: { -readonly [K in keyof FileGuards]: FileGuards[K] } = {};
  let line = 0;
  const src = () => ({ name, line: ++line });
  if (a.length !== b.length) {
    guards.sizeBefore = { value: BigInt(a.length), source: src() };
    guards.sizeAfter = { value: BigInt(b.length), source: src() };
  }
  if (opts.sha256?.before !== undefined) guards.sha256Before = { value: opts.sha256.before, source: src() };
  if (opts.sha256?.after !== undefined) guards.sha256After = { value: opts.sha256.after, source: src() };
  const scanner = new DiffScanner({ ...opts, firstLine: line });
  const hunks = [...scanner.push(a, b), ...scanner.finish()];
  return { hunks, guards };
}

export interface CmpResult {
  /** The `cmp -l` lines (stdout), each ending in `\n`. */
  readonly text: string;
  /**
   * When the sizes differ: `EOF on NAME after byte N` or `EOF on NAME which is empty`, naming the
   * shorter file (GNU cmp prints it on stderr after `cmp: `).
   */
  readonly eof?: string;
  /** True when the files differ (cmp's exit status 1). */
  readonly differ: boolean;
}

/**
 * The IPS patch that turns `a` into `b` (what `diff --format ips` writes): a record per changed
 * region (up to 65535 bytes each; none starting at 0x454f46), the truncation extension when `b` is
 * shorter, a record ending at `b`'s last byte when it is longer.
 *
 * @throws {InputError} when IPS cannot express the change (a difference or a size past 16 MiB).
 */
export function diffIps(a: Uint8Array, b: Uint8Array, opts: Pick<DiffOptions, 'coalesce'> = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const enc = new IpsEncoder(
    (c) => chunks.push(c),
    (o, n) => b.subarray(o, o + n),
  );
  const scanner = new DiffScanner({ coalesce: opts.coalesce ?? 8, maxHunk: 0xffff });
  const sink = (h: OffsetHunk): void => enc.hunk(h.offset, h.new);
  scanner.push(a, b, sink);
  scanner.finish(sink);
  enc.finish(BigInt(a.length), BigInt(b.length));
  return concatBytes(chunks);
}

/** Width of the offset column of `cmp -l` for regular files: digits of the smaller size. */
export function cmpOffsetWidth(sizeA: bigint, sizeB: bigint): number {
  return String(sizeA < sizeB ? sizeA : sizeB).length;
}

/** ` ooo` (a space and `%3o`) of every byte value, 4 ASCII bytes each. */
let octTable: Uint8Array | undefined;

/**
 * The `cmp -l` lines of one window as bytes: `a` and `b` are both files' bytes at `offset` (same
 * length, within the common size); `width` from {@link cmpOffsetWidth}. Every line is `width + 9`
 * bytes (no offset in the common part has more digits than the smaller size), so the output is
 * sized up front and filled through a table; for files compared window by window. The lines are
 * written into `into` when it is large enough (a view of it is returned), else into a new buffer.
 */
export function cmpWindowBytes(a: Uint8Array, b: Uint8Array, offset: bigint, width: number, into?: Buffer): Buffer {
  const runs: number[] = [];
  let lines = 0;
  differingRuns(a, b.subarray(0, a.length), (s, e) => {
    runs.push(s, e);
    lines += e - s;
  });
  if (lines === 0) return Buffer.alloc(0);
  if (octTable === undefined) {
    octTable = new Uint8Array(256 * 4);
    for (let v = 0; v < 256; v++) octTable.set(Buffer.from(` ${v.toString(8).padStart(3, ' ')}`, 'latin1'), v * 4);
  }
  const oct = octTable;
  const width1 = Math.max(width, String(offset + BigInt(a.length)).length);
  const lineLength = width1 + 9;
  const size = lines * lineLength;
  const out = into !== undefined && into.length >= size ? into.subarray(0, size).fill(0x20) : Buffer.alloc(size, 0x20);
  const first = offset + 1n;
  // Offsets below 2^53 are exact as numbers; past that (a file of 8 PiB), BigInt digits.
  const exact = first + BigInt(a.length) <= BigInt(Number.MAX_SAFE_INTEGER);
  const base = Number(first);
  let p = 0;
  for (let r = 0; r < runs.length; r += 2) {
    for (let i = runs[r]!; i < runs[r + 1]!; i++) {
      if (exact) {
        let n = base + i;
        let d = p + width1 - 1;
        do {
          out[d--] = 0x30 + (n % 10);
          n = Math.floor(n / 10);
        } while (n > 0);
      } else {
        out.write(String(first + BigInt(i)).padStart(width1, ' '), p, 'latin1');
      }
      // Four bytes each from the table (a subarray per line would be garbage per line).
      const x = a[i]! * 4;
      const y = b[i]! * 4;
      const q = p + width1;
      out[q] = oct[x]!;
      out[q + 1] = oct[x + 1]!;
      out[q + 2] = oct[x + 2]!;
      out[q + 3] = oct[x + 3]!;
      out[q + 4] = oct[y]!;
      out[q + 5] = oct[y + 1]!;
      out[q + 6] = oct[y + 2]!;
      out[q + 7] = oct[y + 3]!;
      out[p + lineLength - 1] = 0x0a;
      p += lineLength;
    }
  }
  return out;
}

/**
 * The `cmp -l` lines of one window: `a` and `b` are both files' bytes at `offset` (same length,
 * within the common size); `width` from {@link cmpOffsetWidth}. For files compared window by window.
 */
export function formatCmpWindow(a: Uint8Array, b: Uint8Array, offset: bigint, width: number): string {
  return cmpWindowBytes(a, b, offset, width).toString('latin1');
}

/** The EOF note of `cmp` when the sizes differ (without the `cmp: ` prefix). */
export function cmpEofNote(sizeA: bigint, sizeB: bigint, names: { a: string; b: string }): string | undefined {
  if (sizeA === sizeB) return undefined;
  const [name, size] = sizeA < sizeB ? [names.a, sizeA] : [names.b, sizeB];
  return size === 0n ? `EOF on ${name} which is empty` : `EOF on ${name} after byte ${size}`;
}

/**
 * The output of GNU `cmp -l A B` for regular files: one line per differing byte over the common
 * length, `%*d %3o %3o` (1-based decimal offset right-aligned to the width of the smaller file
 * size, then both bytes in octal); then, if the sizes differ, the EOF note for the shorter file.
 */
export function formatCmp(a: Uint8Array, b: Uint8Array, names: { a: string; b: string } = { a: 'a', b: 'b' }): CmpResult {
  const common = Math.min(a.length, b.length);
  const sa = BigInt(a.length);
  const sb = BigInt(b.length);
  const text = formatCmpWindow(a.subarray(0, common), b.subarray(0, common), 0n, cmpOffsetWidth(sa, sb));
  const eof = cmpEofNote(sa, sb, names);
  return eof === undefined ? { text, differ: text.length > 0 } : { text, eof, differ: true };
}

/** One-line summary of a diff for reports: `3 hunks, 12 bytes, size 0x40 -> 0x48`. */
export function describeDiff(p: Patch): string {
  let bytes = 0;
  for (const h of p.hunks) bytes += h.new.length;
  const size = p.guards.sizeAfter ? `, size ${hex(p.guards.sizeBefore?.value ?? 0n)} -> ${hex(p.guards.sizeAfter.value)}` : '';
  return `${plural(p.hunks.length, 'hunk')}, ${plural(bytes, 'byte')}${size}`;
}
