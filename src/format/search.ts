/**
 * Fast search for byte patterns with wildcards, over one buffer or a stream of windows.
 *
 * Strategy: the longest run of fully fixed bytes in the pattern (the "anchor", at most 6 bytes of
 * it) is searched with `Buffer.indexOf` (native memchr + compare); each hit is verified against
 * the rest of the pattern. A pattern without wildcards is its own anchor and needs no verification. A pattern
 * with no fixed byte at all falls back to a per-position check.
 *
 * Matches are every position where the pattern matches, so they may overlap (`aa` occurs twice in
 * `aaa`); `overlapping: false` reports leftmost non-overlapping matches instead (like `grep -o`).
 *
 * Pure: no fs, no process. Windows passed in are only read during the call; nothing keeps a view.
 */

/**
 * A byte pattern with wildcards. Byte `i` of a file matches when
 * `(file[i] & mask[i]) === (bytes[i] & mask[i])`.
 *
 * `mask[i]` is `0xff` for a fixed byte, `0x00` for `??`, and `0xf0` / `0x0f` for the nibble
 * wildcards `4?` / `?4`. `bytes` and `mask` have the same, non-zero length.
 */
export interface BytePattern {
  readonly bytes: Uint8Array;
  readonly mask: Uint8Array;
  /**
   * Only matches that start at a multiple of this many bytes count (default 1: anywhere). The
   * offset is the match's absolute one: in a file, from the file's start; in one buffer given
   * alone ({@link findAll}, {@link countMatches}, {@link findNext}), from the buffer's start.
   */
  readonly align?: number;
}

/** A pattern prepared for searching; build once with {@link compilePattern}. */
export interface CompiledPattern {
  readonly length: number;
  /** Pattern bytes, already ANDed with the mask. */
  readonly bytes: Uint8Array;
  readonly mask: Uint8Array;
  /** True when every byte is fixed: an indexOf hit is a match. */
  readonly literal: boolean;
  /** The longest run of fixed bytes (empty when there is none). */
  readonly anchor: Buffer;
  /** Where {@link anchor} starts inside the pattern. */
  readonly anchorAt: number;
  /** Positions outside the anchor that must be verified, with their byte and mask. */
  readonly checkAt: Int32Array;
  /** Matches start at multiples of this (1: anywhere); see {@link BytePattern.align}. */
  readonly align: number;
}

/** Longest needle handed to Buffer.indexOf (see compilePattern). */
const ANCHOR_MAX = 6;

/**
 * Prepares a pattern for searching.
 *
 * @throws {RangeError} when the pattern is empty or `bytes` and `mask` differ in length
 *   (a programming error: parsers never produce such patterns).
 */
export function compilePattern(pattern: BytePattern): CompiledPattern {
  const { mask } = pattern;
  const length = pattern.bytes.length;
  if (length === 0) throw new RangeError('empty search pattern');
  if (mask.length !== length) throw new RangeError('pattern bytes and mask differ in length');
  const align = pattern.align ?? 1;
  if (!Number.isSafeInteger(align) || align < 1) throw new RangeError(`pattern alignment ${align} is not a whole number of at least 1`);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = pattern.bytes[i]! & mask[i]!;
  // Longest run of 0xff mask bytes.
  let bestAt = 0;
  let bestLen = 0;
  for (let i = 0; i < length; ) {
    if (mask[i] !== 0xff) {
      i++;
      continue;
    }
    let j = i;
    while (j < length && mask[j] === 0xff) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  // Node's Buffer.indexOf searches needles of up to 7 bytes with memchr on the first byte, and
  // longer ones with Boyer-Moore-Horspool, which measured 2-3x slower on varied data (bench/
  // scenarios/find.mjs): so the needle is at most ANCHOR_MAX bytes and the rest is verified.
  if (bestLen > ANCHOR_MAX) bestLen = ANCHOR_MAX;
  const checks: number[] = [];
  for (let i = 0; i < length; i++) {
    if ((i < bestAt || i >= bestAt + bestLen) && mask[i] !== 0) checks.push(i);
  }
  return {
    length,
    bytes,
    mask: Uint8Array.from(mask),
    literal: bestLen === length,
    anchor: Buffer.from(bytes.subarray(bestAt, bestAt + bestLen)),
    anchorAt: bestAt,
    checkAt: Int32Array.from(checks),
    align,
  };
}

/** A zero-copy Buffer over any Uint8Array (Buffer.indexOf needs a Buffer receiver). */
function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

function verify(hay: Uint8Array, at: number, p: CompiledPattern): boolean {
  const { checkAt, bytes, mask } = p;
  for (let k = 0; k < checkAt.length; k++) {
    const i = checkAt[k]!;
    if ((hay[at + i]! & mask[i]!) !== bytes[i]) return false;
  }
  return true;
}

/**
 * Start of the first match of `p` in `hay` that starts at or after `from` and ends at or before
 * `to`; -1 if none.
 */
export function findNext(hay: Uint8Array, p: CompiledPattern, from = 0, to = hay.length): number {
  return nextAligned(asBuffer(to === hay.length ? hay : hay.subarray(0, to)), p, from, 0);
}

/**
 * {@link nextIn} keeping only starts at multiples of `p.align`, where `buf[0]` sits `phase` bytes
 * past a multiple of it (phase < align).
 */
function nextAligned(buf: Buffer, p: CompiledPattern, from: number, phase: number): number {
  const { align } = p;
  if (align === 1) return nextIn(buf, p, from);
  for (;;) {
    const off = (phase + from) % align;
    if (off !== 0) from += align - off;
    const hit = nextIn(buf, p, from);
    if (hit < 0 || (phase + hit) % align === 0) return hit;
    from = hit + 1;
  }
}

/** findNext over `buf` = the haystack cut at `to` (prepared once per scan). */
function nextIn(buf: Buffer, p: CompiledPattern, from: number): number {
  const last = buf.length - p.length; // last possible start
  if (from < 0) from = 0;
  if (last < from) return -1;
  if (p.anchor.length === 0) {
    for (let s = from; s <= last; s++) if (verify(buf, s, p)) return s;
    return -1;
  }
  const { anchor, anchorAt } = p;
  let at = from + anchorAt;
  for (;;) {
    const hit = buf.indexOf(anchor, at);
    if (hit < 0) return -1;
    const s = hit - anchorAt;
    if (s > last) return -1;
    if (p.literal || verify(buf, s, p)) return s;
    at = hit + 1;
  }
}

export interface SearchOptions {
  /** Stop after this many matches. */
  readonly max?: number;
  /** Report overlapping matches (default true); false = leftmost non-overlapping. */
  readonly overlapping?: boolean;
}

/**
 * Calls `onMatch` for each match in `hay[from, to)`, in order; returns the count. `hay[0]` sits
 * `phase` bytes past a multiple of `p.align` (0 when the pattern is not aligned).
 */
function scanRange(
  hay: Uint8Array,
  p: CompiledPattern,
  from: number,
  to: number,
  max: number,
  step: number,
  onMatch: ((at: number) => void) | undefined,
  phase = 0,
): { count: number; next: number } {
  let count = 0;
  let s = from;
  const buf = asBuffer(to === hay.length ? hay : hay.subarray(0, to));
  if (p.literal && p.align === 1 && max === Infinity && onMatch === undefined) {
    // The hot path of `find --count`: nothing but indexOf.
    const needle = p.anchor;
    for (;;) {
      const hit = buf.indexOf(needle, s);
      if (hit < 0) return { count, next: Math.max(s, to - p.length + 1) };
      count++;
      s = hit + step;
    }
  }
  while (count < max) {
    const hit = nextAligned(buf, p, s, phase);
    if (hit < 0) return { count, next: Math.max(s, to - p.length + 1) };
    count++;
    onMatch?.(hit);
    s = hit + step;
  }
  return { count, next: s };
}

/** Number of matches of `p` in `hay`. */
export function countMatches(hay: Uint8Array, p: CompiledPattern, opts: SearchOptions = {}): number {
  const step = opts.overlapping === false ? p.length : 1;
  return scanRange(hay, p, 0, hay.length, opts.max ?? Infinity, step, undefined).count;
}

/** Start offsets of the matches of `p` in `hay`, at most `opts.max` of them. */
export function findAll(hay: Uint8Array, p: CompiledPattern, opts: SearchOptions = {}): number[] {
  const out: number[] = [];
  const step = opts.overlapping === false ? p.length : 1;
  scanRange(hay, p, 0, hay.length, opts.max ?? Infinity, step, (at) => out.push(at));
  return out;
}

/**
 * Searches a file that arrives as consecutive windows (each typically a mapping of part of it),
 * reporting every match exactly once with its absolute offset.
 *
 * Windows must come in increasing order and leave no gap: each window starts at or before the end
 * of the previous one. They may overlap by any amount (a caller that maps windows overlapping by
 * `pattern.length - 1` bytes finds every straddling match inside a window) or be exactly adjacent:
 * the scanner keeps a copy of the last `pattern.length - 1` bytes of each window, so matches that
 * straddle a boundary are found either way. A match is reported once however often its bytes are
 * seen, because the scanner tracks the first start offset not yet examined.
 *
 * ```ts
 * const scan = new WindowScanner(compilePattern(p), { max: 100 });
 * for (let off = 0n; off < size && !scan.done; off += step) {
 *   scan.scan(readWindow(off), off, (at) => offsets.push(at));
 * }
 * ```
 */
export class WindowScanner {
  readonly pattern: CompiledPattern;
  private readonly max: number;
  private readonly step: number;
  /** Matches reported so far. */
  count = 0;
  /** First absolute start offset not examined yet; undefined before the first window. */
  private next: bigint | undefined;
  /** End (absolute, exclusive) of the data seen so far. */
  private seenEnd = 0n;
  /**
   * INVARIANT: a copy (never a view: the caller may unmap its windows) of the bytes
   * [next, seenEnd), fewer than pattern.length of them once a window was scanned to its end.
   */
  private carry = new Uint8Array(0);

  constructor(pattern: CompiledPattern, opts: SearchOptions = {}) {
    this.pattern = pattern;
    this.max = opts.max ?? Infinity;
    this.step = opts.overlapping === false ? pattern.length : 1;
  }

  /** How far the absolute offset `at` is past a multiple of the pattern's alignment. */
  private phaseOf(at: bigint): number {
    const { align } = this.pattern;
    return align === 1 ? 0 : Number(at % BigInt(align));
  }

  /** True once `max` matches were reported: further windows are ignored. */
  get done(): boolean {
    return this.count >= this.max;
  }

  /**
   * Scans one window that starts at absolute `offset`; calls `onMatch` with the absolute start of
   * each new match, in increasing order. Returns the number of new matches.
   *
   * @throws {RangeError} when the window leaves a gap after the data seen so far, or ends before
   *   its end (windows must move forward).
   */
  scan(window: Uint8Array, offset: bigint, onMatch?: (at: bigint) => void): number {
    if (this.next === undefined) {
      this.next = offset;
      this.seenEnd = offset;
    }
    const end = offset + BigInt(window.length);
    if (offset > this.seenEnd || end < this.seenEnd) {
      throw new RangeError(`window ${offset}..${end} does not continue the data seen up to ${this.seenEnd}`);
    }
    if (this.done) return 0;
    const before = this.count;
    const L = this.pattern.length;
    const wantsEach = onMatch !== undefined || this.max !== Infinity;
    let next = this.next;
    // 1. Starts in [next, offset) straddle into this window: scan the carried bytes joined with
    //    the window's first L - 1 bytes. Every match that fits there starts before `offset`.
    if (next < offset) {
      const head = this.carry.subarray(0, Number(offset - next));
      const take = Math.min(window.length, L - 1);
      const joint = new Uint8Array(head.length + take);
      joint.set(head, 0);
      joint.set(window.subarray(0, take), head.length);
      const base = next;
      const r = scanRange(
        joint,
        this.pattern,
        0,
        joint.length,
        this.max - this.count,
        this.step,
        wantsEach ? (at) => onMatch?.(base + BigInt(at)) : undefined,
        this.phaseOf(base),
      );
      this.count += r.count;
      next = base + BigInt(r.next);
    }
    // 2. Starts inside the window.
    if (next >= offset && !this.done) {
      const r = scanRange(
        window,
        this.pattern,
        Number(next - offset),
        window.length,
        this.max - this.count,
        this.step,
        wantsEach ? (at) => onMatch?.(offset + BigInt(at)) : undefined,
        this.phaseOf(offset),
      );
      this.count += r.count;
      next = offset + BigInt(r.next);
    }
    // 3. Carry the bytes [next, end) that later windows may need.
    if (this.done) {
      this.carry = new Uint8Array(0);
    } else if (next >= offset) {
      this.carry = window.slice(Number(next - offset));
    } else {
      // Only when the window is shorter than the pattern: keep the old carry in front of it.
      const old = this.carry.subarray(Number(next - this.next), Number(offset - this.next));
      const joined = new Uint8Array(old.length + window.length);
      joined.set(old, 0);
      joined.set(window, old.length);
      this.carry = joined;
    }
    this.next = next;
    this.seenEnd = end;
    return this.count - before;
  }
}
