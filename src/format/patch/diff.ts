/**
 * Byte-level differences between two buffers: `mmapx diff` (native patch hunks) and
 * `--format cmp` (GNU `cmp -l` lines).
 *
 * Differing regions are found with `Buffer.compare` (memcmp) over 64 KiB blocks, subdividing a
 * block that differs by halves down to 64 bytes before looking at single bytes; equal stretches of
 * mostly-equal files cost memcmp speed, not a JS loop per byte.
 */

import { hex } from './lex.js';
import type { FileGuards, OffsetHunk, Patch } from './model.js';

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
function diffSpan(
  x: Buffer,
  xs: number,
  y: Buffer,
  ys: number,
  n: number,
  base: number,
  emit: (start: number, end: number) => void,
): void {
  if (n === 0 || y.compare(x, xs, xs + n, ys, ys + n) === 0) return;
  if (n > LEAF) {
    const h = n >> 1;
    diffSpan(x, xs, y, ys, h, base, emit);
    diffSpan(x, xs + h, y, ys + h, n - h, base + h, emit);
    return;
  }
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
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0]!.length === length) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The hunks of a diff computed window by window, so that files of any size can be compared
 * through bounded mappings.
 *
 * Feed consecutive, non-overlapping windows from offset 0 with {@link push}: `b` is NEW's bytes
 * of the window (up to NEW's end), `a` is OLD's bytes at the same offset — shorter or empty past
 * OLD's end, where OLD counts as zeros. Each call returns the hunks completed so far; {@link finish}
 * returns the rest. Nothing of a window is kept after the call: pending bytes are copied.
 */
export class DiffScanner {
  private readonly coalesce: number;
  private readonly maxHunk: number;
  private readonly name: string;
  private line: number;
  /** Offset of the next window. */
  private pos = 0n;
  /** Open region [rs, re), -1 when none, and its bytes so far (copies). */
  private rs = -1n;
  private re = -1n;
  private oldParts: Uint8Array[] = [];
  private newParts: Uint8Array[] = [];
  private partsLength = 0;
  /** INVARIANT: a copy of the equal bytes [re, pos) while a region is open across windows. */
  private tail: Uint8Array = new Uint8Array(0);

  /** @param firstLine source line of the first hunk minus one (the guard lines before it). */
  constructor(opts: Pick<DiffOptions, 'coalesce' | 'maxHunk' | 'name'> & { firstLine?: number } = {}) {
    this.coalesce = Math.max(0, opts.coalesce ?? 8);
    this.maxHunk = opts.maxHunk ?? 32;
    this.name = opts.name ?? 'diff';
    this.line = opts.firstLine ?? 0;
  }

  push(a: Uint8Array, b: Uint8Array): OffsetHunk[] {
    const out: OffsetHunk[] = [];
    const base = this.pos;
    const oldAt = (s: number, e: number): Uint8Array => {
      const bytes = new Uint8Array(e - s);
      if (s < a.length) bytes.set(a.subarray(s, Math.min(e, a.length)));
      return bytes;
    };
    const add = (oldBytes: Uint8Array, newBytes: Uint8Array): void => {
      this.oldParts.push(oldBytes);
      this.newParts.push(newBytes);
      this.partsLength += newBytes.length;
    };
    differingRuns(a.subarray(0, Math.min(a.length, b.length)), b, (s, e) => {
      const S = base + BigInt(s);
      if (this.rs >= 0n && S - this.re <= BigInt(this.coalesce)) {
        // Equal gap [re, S): its part before this window is the carried tail.
        if (this.re < base) add(this.tail, this.tail);
        const g = b.slice(Math.max(0, Number(this.re - base)), s);
        if (g.length > 0) add(g, g);
      } else {
        this.flush(out);
        this.rs = S;
      }
      add(oldAt(s, e), b.slice(s, e));
      this.re = base + BigInt(e);
    });
    this.pos = base + BigInt(b.length);
    if (this.rs >= 0n) {
      if (this.pos - this.re > BigInt(this.coalesce)) {
        this.flush(out);
      } else if (this.re >= base) {
        this.tail = b.slice(Number(this.re - base));
      } else {
        this.tail = concat([this.tail, b], this.tail.length + b.length);
      }
    }
    return out;
  }

  finish(): OffsetHunk[] {
    const out: OffsetHunk[] = [];
    this.flush(out);
    return out;
  }

  private flush(out: OffsetHunk[]): void {
    if (this.rs < 0n) return;
    const old = concat(this.oldParts, this.partsLength);
    const neu = concat(this.newParts, this.partsLength);
    const step = this.maxHunk > 0 ? this.maxHunk : neu.length;
    for (let p = 0; p < neu.length; p += step) {
      const q = Math.min(neu.length, p + step);
      out.push({
        kind: 'offset',
        offset: this.rs + BigInt(p),
        old: old.subarray(p, q),
        new: neu.subarray(p, q),
        source: { name: this.name, line: ++this.line },
      });
    }
    this.rs = -1n;
    this.re = -1n;
    this.oldParts = [];
    this.newParts = [];
    this.partsLength = 0;
    this.tail = new Uint8Array(0);
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

/** `%3o` of every byte value. */
const OCT3: readonly string[] = Array.from({ length: 256 }, (_, v) => v.toString(8).padStart(3, ' '));

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

/** Width of the offset column of `cmp -l` for regular files: digits of the smaller size. */
export function cmpOffsetWidth(sizeA: bigint, sizeB: bigint): number {
  return String(sizeA < sizeB ? sizeA : sizeB).length;
}

/**
 * The `cmp -l` lines of one window: `a` and `b` are both files' bytes at `offset` (same length,
 * within the common size); `width` from {@link cmpOffsetWidth}. For files compared window by window.
 */
export function formatCmpWindow(a: Uint8Array, b: Uint8Array, offset: bigint, width: number): string {
  const parts: string[] = [];
  const base = offset + 1n;
  differingRuns(a, b.subarray(0, a.length), (s, e) => {
    for (let i = s; i < e; i++) {
      parts.push(`${String(base + BigInt(i)).padStart(width, ' ')} ${OCT3[a[i]!]} ${OCT3[b[i]!]}\n`);
    }
  });
  return parts.join('');
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
  return `${p.hunks.length} hunk${p.hunks.length === 1 ? '' : 's'}, ${bytes} byte${bytes === 1 ? '' : 's'}${size}`;
}
