/**
 * Fast search for byte patterns with wildcards, over one buffer or a stream of windows.
 *
 * Strategy: a run of fully fixed bytes of the pattern (the "anchor", at most 6 bytes) is searched
 * with `Buffer.indexOf`, which finds a short needle with memchr on its first byte and compares the
 * rest; each hit is verified against the rest of the pattern. The anchor is chosen so that memchr
 * stops seldom and indexOf returns seldomer (by the byte frequencies of a sample of the data when
 * the caller has one, otherwise by a fixed table of what is common in files: 00, ff, small
 * numbers, ASCII text): `00 00 c0 ff ee` in a file of mostly zeros is looked for by `c0 ff ee`.
 * A pattern without wildcards that fits in the anchor needs no verification. A
 * pattern with no fixed byte at all falls back to a per-position check.
 *
 * Counting a fully fixed pattern with a period (`41 41 41 41`, `ab cd ab cd`) over data full of it
 * does not look for each of its overlapping matches: from a match on, the data repeating with the
 * pattern's period is measured with memcmp (Buffer.compare) and every match in it counted at once.
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
  /**
   * The smallest period of a pattern whose every byte is fixed (`41 41 41` has 1, `ab cd ab` 2);
   * its length when it has none shorter, and for a pattern with wildcards.
   */
  readonly period: number;
}

/** Longest needle handed to Buffer.indexOf (see compilePattern). */
const ANCHOR_MAX = 6;

/**
 * How common each byte value is in files, as a rank (higher: more common), when no sample of the
 * data says: zero above all, then ff, 01 and space, then small numbers, digits, letters, newline
 * and a few x86 opcodes; every other value 0.
 */
export const COMMON_BYTES: Readonly<Uint8Array> = (() => {
  const t = new Uint8Array(256);
  for (let b = 0x02; b <= 0x10; b++) t[b] = 1;
  for (let b = 0x30; b <= 0x39; b++) t[b] = 1;
  for (let b = 0x41; b <= 0x5a; b++) t[b] = 1;
  for (let b = 0x61; b <= 0x7a; b++) t[b] = 1;
  for (const b of [0x0a, 0x24, 0x40, 0x48, 0x80, 0x89, 0x8b, 0xe8, 0xfe]) t[b] = 1;
  for (const b of [0x01, 0x20, 0xff]) t[b] = 2;
  t[0] = 3;
  return t;
})();

/**
 * The smallest p such that `bytes[i] === bytes[i + p]` for every i (the length when there is
 * none shorter): the failure function of Knuth-Morris-Pratt, over at most a few dozen bytes.
 */
function smallestPeriod(bytes: Uint8Array): number {
  const n = bytes.length;
  const fail = new Int32Array(n + 1);
  fail[0] = -1;
  for (let i = 1, k = -1; i <= n; i++) {
    while (k >= 0 && bytes[k] !== bytes[i - 1]) k = fail[k]!;
    k++;
    fail[i] = k;
  }
  return n - fail[n]!;
}

/**
 * Prepares a pattern for searching. `frequencies` (256 counts, e.g. of {@link byteFrequencies} of
 * a sample of the data) says how common each byte is, which decides the anchor; without it,
 * {@link COMMON_BYTES} does.
 *
 * @throws {RangeError} when the pattern is empty or `bytes` and `mask` differ in length
 *   (a programming error: parsers never produce such patterns).
 */
export function compilePattern(pattern: BytePattern, frequencies?: ArrayLike<number>): CompiledPattern {
  const { mask } = pattern;
  const length = pattern.bytes.length;
  if (length === 0) throw new RangeError('empty search pattern');
  if (mask.length !== length) throw new RangeError('pattern bytes and mask differ in length');
  const align = pattern.align ?? 1;
  if (!Number.isSafeInteger(align) || align < 1) throw new RangeError(`pattern alignment ${align} is not a whole number of at least 1`);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = pattern.bytes[i]! & mask[i]!;
  // Node's Buffer.indexOf searches needles of up to 7 bytes with memchr on the first byte, and
  // longer ones with Boyer-Moore-Horspool, which measured 2-3x slower on varied data (bench/
  // scenarios/find.mjs): so the needle is at most ANCHOR_MAX bytes and the rest is verified.
  // Where it starts is chosen by what the search will cost per byte of data (see anchorCost): the
  // first byte's frequency (memchr stops at each occurrence, inside indexOf) and the whole
  // needle's (each hit returns to JavaScript to be verified or counted, ~20 times the cost of a
  // stop). So `00 00 c0 ff ee` in a file of mostly zeros is looked for by `c0 ff ee`, and
  // `03 00 00 87` in random data by all four bytes, not by its rarest byte `87` alone (which would
  // return to JavaScript every 256 bytes). Equal costs: the longer needle (less to verify), then
  // the first.
  const p = byteProbabilities(frequencies);
  let bestAt = 0;
  let bestLen = 0;
  let bestCost = Infinity;
  for (let i = 0, runEnd = 0; i < length; i++) {
    if (mask[i] !== 0xff) continue;
    if (runEnd <= i) for (runEnd = i; runEnd < length && mask[runEnd] === 0xff; ) runEnd++;
    const len = Math.min(runEnd - i, ANCHOR_MAX);
    const cost = anchorCost(bytes, i, len, p);
    if (cost < bestCost || (cost === bestCost && len > bestLen)) {
      bestAt = i;
      bestLen = len;
      bestCost = cost;
    }
  }
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
    period: mask.every((m) => m === 0xff) ? smallestPeriod(bytes) : length,
  };
}

/** What a return to JavaScript (an indexOf hit) costs, in memchr stops inside indexOf. */
const RETURN_COST = 20;
/** Guessed probabilities of a byte by its {@link COMMON_BYTES} rank, where no sample says. */
const RANK_PROBABILITY = [1 / 512, 1 / 64, 1 / 32, 1 / 4];

/**
 * Each byte value's probability, as a power of two (rounded log2: counts that differ by chance,
 * as in random data where every value comes about as often, are equal): from a sample's counts,
 * else from {@link COMMON_BYTES}.
 */
function byteProbabilities(frequencies: ArrayLike<number> | undefined): Float64Array {
  const p = new Float64Array(256);
  let total = 0;
  if (frequencies !== undefined) for (let b = 0; b < 256; b++) total += frequencies[b] ?? 0;
  for (let b = 0; b < 256; b++) {
    const raw = frequencies !== undefined ? ((frequencies[b] ?? 0) + 1) / (total + 256) : RANK_PROBABILITY[COMMON_BYTES[b]!]!;
    p[b] = 2 ** Math.round(Math.log2(raw));
  }
  return p;
}

/**
 * The expected cost per byte of data of searching with the needle `bytes[at, at + len)`: memchr
 * stops at each occurrence of its first byte, and each occurrence of the whole needle returns to
 * JavaScript.
 */
function anchorCost(bytes: Uint8Array, at: number, len: number, p: Float64Array): number {
  let whole = 1;
  for (let k = at; k < at + len; k++) whole *= p[bytes[k]!]!;
  return p[bytes[at]!]! + RETURN_COST * whole;
}

/** How often each byte value occurs in `sample` (256 counts), for {@link compilePattern}. */
export function byteFrequencies(sample: Uint8Array): Uint32Array {
  const counts = new Uint32Array(256);
  for (let i = 0; i < sample.length; i++) counts[sample[i]!]!++;
  return counts;
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

/**
 * Bytes compared at first when measuring a repeating run, and at most: the block doubles after
 * each block that repeats, so a short run costs a few small compares and a long one few calls.
 */
const RUN_FIRST = 256;
const RUN_BLOCK = 64 * 1024;
/** Below this many bytes the first difference is looked for byte by byte. */
const RUN_LEAF = 64;

/**
 * The first offset `i >= from` of `buf` where the data stops repeating with `period`
 * (`buf[i] !== buf[i - period]`), or its length: memcmp of the data against itself shifted by the
 * period, in blocks that grow from {@link RUN_FIRST} to {@link RUN_BLOCK} bytes, then halving the
 * block that differs down to {@link RUN_LEAF} bytes. Each byte of the run is compared about twice,
 * whatever its length: the halving costs at most the last block, at most twice what repeated
 * before it. (A fixed 64 KiB block compared 128 KiB per run: ten times a 13 KiB run of zeros.)
 */
function periodicEnd(buf: Buffer, from: number, period: number): number {
  const repeats = (at: number, n: number): boolean => buf.compare(buf, at - period, at - period + n, at, at + n) === 0;
  let block = RUN_FIRST;
  for (let i = from; i < buf.length; i += block, block = Math.min(2 * block, RUN_BLOCK)) {
    const n = Math.min(block, buf.length - i);
    if (repeats(i, n)) continue;
    // The first difference is in [lo, hi).
    let lo = i;
    let hi = i + n;
    while (hi - lo > RUN_LEAF) {
      const mid = lo + ((hi - lo) >> 1);
      if (repeats(lo, mid - lo)) lo = mid;
      else hi = mid;
    }
    while (buf[lo] === buf[lo - period]) lo++;
    return lo;
  }
  return buf.length;
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
  if (p.period < p.length && p.align === 1 && max === Infinity && onMatch === undefined && step === 1) {
    // A count of a pattern with a period (41 41 41 41): from a match on, the data that repeats
    // with the period holds a match at each period, and none between (the period is the
    // smallest); the last one's next byte is where the search goes on.
    const { length, period } = p;
    for (;;) {
      const hit = nextIn(buf, p, s);
      if (hit < 0) return { count, next: Math.max(s, to - length + 1) };
      const more = Math.floor((periodicEnd(buf, hit + length, period) - hit - length) / period);
      count += 1 + more;
      s = hit + more * period + 1;
    }
  }
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
