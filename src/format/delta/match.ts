/**
 * Finding the {@link DeltaOp}s that turn a source into a target in bounded memory: the matcher
 * behind `mmapx diff --format bps|vcdiff`. Pure: it sees the bytes it is given (the source once,
 * window by window, for its index; the target window by window, in order) and reads the source
 * back through a {@link ByteReader}; src/edit/delta-diff.ts feeds it from files.
 *
 * The approach, in two passes:
 *
 * 1. {@link SourceIndex}: the source is read once. At every `spacing`-th offset the hash of the
 *    {@link HASH_BYTES} bytes there goes into a fixed-size, direct-mapped table (a Uint32Array:
 *    block number + 1 and the hash bits the slot does not say; a slot keeps its first block), and
 *    into a Bloom filter of one bit per hash (16 bits per block). The spacing grows with the source
 *    (16 bytes up to 64 MiB, doubling after that) so that the table never exceeds
 *    {@link MAX_SLOTS} slots (32 MiB) and the filter 8 MiB, whatever the size: a 1 GiB source is
 *    sampled every 256 bytes. Hashing costs HASH_BYTES / spacing of the source's bytes.
 *
 * 2. {@link DeltaMatcher}: the target, window by window. A copy in progress is extended by memcmp
 *    (chunks of both compared with Buffer.compare, the first differing byte found by halving):
 *    most of a similar file goes at memcmp speed. Where no copy runs, each position tries, first
 *    to last:
 *    a. predicted offsets: the source where the last copy's delta (`from - at`) says, then the same
 *       offset (delta 0). After a changed region the file lines up again at the same delta, after
 *       an insertion at the shifted one: {@link MIN_MATCH} equal bytes start a copy.
 *    b. the index: a rolling hash (polynomial, mod 2^32) of the next HASH_BYTES bytes looked up in
 *       the table; a hit whose bytes are equal starts a copy, first extended backwards over the
 *       literal bytes not yet emitted (the hash only sees block starts). This finds moved data and
 *       the shift after an insertion at the start: any stretch equal to the source over at least
 *       `spacing + HASH_BYTES - 1` bytes contains a sampled block (unless another block took its
 *       slot; longer stretches contain several).
 *    b'. the target's own index (option `target`: the target read back): the same hash looked up
 *       among recent positions of the literal stretches (every 4th, 2^18 slots, the newest wins),
 *       for repeats within the target: a `target` copy, kept inside its window when the format
 *       copies the target only there (VCDIFF: `targetWindow`).
 *    c. runs (option `runs`): {@link RUN_MIN} equal bytes become a `fill`, extended by memcmp
 *       against a block of that value (a stretch of one value found in an index goes to c. instead).
 *    Bytes no copy covers are `data` ops (at most {@link LITERAL_MAX} each). Greedy: the first
 *    candidate that matches wins. Ops come out in target order, non-overlapping; a source copy to the
 *    same offset has `from === at`.
 *
 * Memory: the table and the filter, the target's index (3 MiB), the pending literal bytes (up to
 * LITERAL_MAX), two 64 KiB caches of predicted source bytes. Target windows that overlap by {@link OVERLAP} bytes are
 * scanned where they are; others are copied behind the few bytes the last one left.
 * Offsets are numbers inside (exact up to 2^53 bytes: 8 PiB) and bigint in the ops.
 */

import { InputError } from '../../errors.js';
import type { DeltaOp } from './model.js';

/** Bytes hashed at each sampled source offset and each target position. */
export const HASH_BYTES = 16;
/** Bytes that must be equal at a predicted offset to start a copy. */
export const MIN_MATCH = 8;
/** Equal bytes in a row that become a fill (with `runs`). */
export const RUN_MIN = 16;
/** Largest `data` op (the pending literal bytes are held up to this). */
export const LITERAL_MAX = 1024 * 1024;
/** Smallest sampling distance of the source index. */
const MIN_SPACING = 16;
/** Sampled blocks at most before the spacing doubles. */
const MAX_BLOCKS = 1 << 22;
/** Slots of the largest table (4 bytes each: 32 MiB). */
export const MAX_SLOTS = 1 << 23;
const MIN_SLOTS = 1 << 10;
/** Bytes looked ahead of a position before a match may start there. */
const LOOK = Math.max(HASH_BYTES, MIN_MATCH);
/** Bytes by which target windows must overlap to be scanned without a copy (see DeltaMatcher.push). */
export const OVERLAP = LOOK;
/** Bytes of source compared per read while a copy is extended. */
const EXTEND_CHUNK = 1024 * 1024;
/** Bytes of source each predicted-offset cache holds. */
const CACHE_BYTES = 64 * 1024;
/** Literal bytes a match found by the index is extended backwards over, at most. */
const BACK_MAX = 64 * 1024;
/** Base of the rolling hash (odd). */
const BASE = 0x01000193;
/** BASE^(HASH_BYTES-1) mod 2^32: the weight of the byte that leaves the hash. */
const BASE_OUT = (() => {
  let p = 1;
  for (let i = 1; i < HASH_BYTES; i++) p = Math.imul(p, BASE);
  return p;
})();
/** Mixes a hash into a slot number (Fibonacci hashing: the top bits of the product). */
const MIX = 0x9e3779b1 | 0;
/** Bits of the largest filter (8 MiB). */
const MAX_FILTER_BITS = 1 << 26;

/** The rolling hash of `b[at, at + HASH_BYTES)`. */
function hashAt(b: Uint8Array, at: number): number {
  let h = 0;
  for (let i = at; i < at + HASH_BYTES; i++) h = (Math.imul(h, BASE) + b[i]!) | 0;
  return h;
}

/** A source read back by offset: the bytes are valid until the next call (copy what you keep). */
export interface ByteReader {
  readonly size: bigint;
  /** `length` bytes at `offset`, inside `size`. */
  read(offset: bigint, length: number): Uint8Array;
}

function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

/**
 * How many bytes `a` and `b` have equal from the start (up to the shorter length): memcmp over
 * blocks, halving a block that differs down to 32 bytes, then byte by byte.
 */
export function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  if (n <= 32) {
    let i = 0;
    while (i < n && a[i] === b[i]) i++;
    return i;
  }
  const x = asBuffer(a);
  const y = asBuffer(b);
  let lo = 0;
  let hi = n;
  // [lo, hi) holds the first difference, if any: whole blocks first (4 KiB), then halves.
  for (let p = 0; p < n; p += 4096) {
    const e = Math.min(n, p + 4096);
    if (x.compare(y, p, e, p, e) !== 0) {
      lo = p;
      hi = e;
      break;
    }
    if (e === n) return n;
  }
  while (hi - lo > 32) {
    const mid = lo + ((hi - lo) >> 1);
    if (x.compare(y, lo, mid, lo, mid) !== 0) hi = mid;
    else lo = mid;
  }
  while (lo < hi && a[lo] === b[lo]) lo++;
  return lo;
}

/** Options of {@link SourceIndex}. */
export interface SourceIndexOptions {
  /** Slots of the table at most (a power of two, 2^10..2^26; default {@link MAX_SLOTS}). */
  maxSlots?: number;
}

/**
 * The sampled hashes of a source, built from its bytes given in order ({@link add}); fixed size
 * (chosen from the source's size), whatever is added.
 */
export class SourceIndex {
  /** The source's size. */
  readonly size: number;
  /** Distance between sampled offsets (a power of two). */
  readonly spacing: number;
  readonly #shift: number;
  /**
   * Per slot, one word: block number + 1 in the top `32 - #shift` bits (0: empty), and the low
   * `#shift` bits of the mixed hash. The slot is the top bits of the same product, and mixing
   * is a bijection (an odd multiplier), so slot and low bits together are the whole 32-bit hash: a
   * lookup that matches them has found the same hash, as a stored copy of it would say.
   */
  readonly #table: Uint32Array;
  readonly #low: number;
  /**
   * A bit per hash of every block (a one-hash Bloom filter), and its shift: the top bits of the
   * same product as the slot's, more of them (the filter has 8 times as many bits as slots).
   */
  readonly #filter: Uint8Array;
  readonly #fshift: number;
  /** Scratch of {@link add}: a window's hashes, their products, their order, the bucket counts. */
  #ps = new Uint32Array(0);
  #order = new Uint32Array(0);
  readonly #count = new Uint32Array(257);
  /** Offset of the next byte {@link add} takes. */
  #pos = 0;
  /** The first bytes of a block that began at the end of the last window. */
  readonly #carry = new Uint8Array(HASH_BYTES);
  #carryLen = 0;
  #carryAt = 0;

  /** @throws {InputError} for a source past 2^53 bytes or a bad `maxSlots`. */
  constructor(sourceSize: bigint, options: SourceIndexOptions = {}) {
    if (sourceSize > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(`a source of ${sourceSize} bytes is too large to index (2^53 at most)`);
    const maxSlots = options.maxSlots ?? MAX_SLOTS;
    if (!Number.isInteger(maxSlots) || maxSlots < MIN_SLOTS || maxSlots > 1 << 26 || (maxSlots & (maxSlots - 1)) !== 0) {
      throw new InputError(`maxSlots ${String(maxSlots)} must be a power of two, 2^10..2^26`);
    }
    this.size = Number(sourceSize);
    let spacing = MIN_SPACING;
    while (this.size / spacing > Math.min(MAX_BLOCKS, maxSlots / 2)) spacing *= 2;
    this.spacing = spacing;
    let slots = MIN_SLOTS;
    while (slots < maxSlots && slots < (2 * this.size) / spacing) slots *= 2;
    // Blocks number at most slots / 2 (the spacing above), so block + 1 fits the top bits.
    this.#shift = 32 - Math.log2(slots);
    this.#low = (1 << this.#shift) - 1;
    this.#table = new Uint32Array(slots);
    let bits = 1 << 13;
    while (bits < MAX_FILTER_BITS && bits < (16 * this.size) / spacing) bits *= 2;
    this.#fshift = 32 - Math.log2(bits);
    this.#filter = new Uint8Array(bits / 8);
  }

  /** Bytes the table and its filter take. */
  get tableBytes(): number {
    return this.#table.byteLength + this.#filter.byteLength;
  }

  /**
   * Takes the source's next bytes (windows in order from offset 0, of any sizes). A window's
   * blocks are hashed first, then entered in the order of their slots (a counting sort on the
   * top 8 bits): the table and the filter are then written in sweeps rather than at random, which
   * costs about half as many cache misses on a large table.
   */
  add(bytes: Uint8Array): void {
    const pos = this.#pos;
    const end = pos + bytes.length;
    let from = 0;
    if (this.#carryLen > 0) {
      // A block that straddles the window edge: its first bytes were kept.
      const take = Math.min(HASH_BYTES - this.#carryLen, bytes.length);
      this.#carry.set(bytes.subarray(0, take), this.#carryLen);
      this.#carryLen += take;
      from = take;
      if (this.#carryLen === HASH_BYTES) {
        const h = hashAt(this.#carry, 0);
        this.#insert(Math.imul(h, MIX) >>> 0, this.#carryAt / this.spacing);
        this.#carryLen = 0;
      }
    }
    const sp = this.spacing;
    const first = Math.ceil((pos + from) / sp) * sp;
    const n = first + HASH_BYTES <= end ? Math.floor((end - HASH_BYTES - first) / sp) + 1 : 0;
    if (n > 0) {
      if (this.#ps.length < n) {
        this.#ps = new Uint32Array(n);
        this.#order = new Uint32Array(n);
      }
      const ps = this.#ps;
      const order = this.#order;
      const count = this.#count.fill(0);
      for (let k = 0, at = first - pos; k < n; k++, at += sp) {
        const h = hashAt(bytes, at);
        const p = Math.imul(h, MIX) >>> 0;
        ps[k] = p;
        count[(p >>> 24) + 1]!++;
      }
      for (let b = 1; b <= 256; b++) count[b]! += count[b - 1]!;
      for (let k = 0; k < n; k++) order[count[ps[k]! >>> 24]!++] = k;
      const block = first / sp;
      for (let i = 0; i < n; i++) {
        const k = order[i]!;
        this.#insert(ps[k]!, block + k);
      }
    }
    const s = first + n * sp;
    if (s < end && s + HASH_BYTES <= this.size && this.#carryLen === 0) {
      this.#carry.set(bytes.subarray(s - pos));
      this.#carryLen = end - s;
      this.#carryAt = s;
    }
    this.#pos = end;
  }

  /** Enters block number `block`, whose hash mixed is `p`; a slot keeps its first block. */
  #insert(p: number, block: number): void {
    const f = p >>> this.#fshift;
    this.#filter[f >>> 3]! |= 1 << (f & 7);
    const slot = p >>> this.#shift;
    if (this.#table[slot] !== 0) return;
    this.#table[slot] = (block + 1) * (this.#low + 1) + (p & this.#low);
  }

  /**
   * The source offset of a sampled block whose hash is `h`, or -1. Most hashes of bytes that are
   * not in the source stop at the filter (a bit per hash, 16 bits per block: about 1 in 16 passes),
   * which is small enough to stay in the processor's caches; the table's slot is a cache miss.
   */
  lookup(h: number): number {
    const p = Math.imul(h, MIX) >>> 0;
    const f = p >>> this.#fshift;
    if ((this.#filter[f >>> 3]! & (1 << (f & 7))) === 0) return -1;
    const e = this.#table[p >>> this.#shift]!;
    const low = this.#low;
    return e !== 0 && (e & low) === (p & low) ? (Math.floor(e / (low + 1)) - 1) * this.spacing : -1;
  }
}

/** A copy of the source around a predicted offset. */
class SourceCache {
  readonly bytes = new Uint8Array(CACHE_BYTES);
  start = 0;
  len = 0;
  readonly #src: ByteReader;
  readonly #size: number;
  constructor(src: ByteReader, size: number) {
    this.#src = src;
    this.#size = size;
  }
  /** The index in {@link bytes} of source offset `s`, with `n` bytes from there held (s + n <= size). */
  at(s: number, n: number): number {
    if (s >= this.start && s + n <= this.start + this.len) return s - this.start;
    this.start = s;
    this.len = Math.min(CACHE_BYTES, this.#size - s);
    this.bytes.set(this.#src.read(BigInt(s), this.len));
    return 0;
  }
}

/** Options of {@link DeltaMatcher}. */
export interface MatcherOptions {
  /** Runs of one byte value become `fill` ops (default false). */
  runs?: boolean;
  /**
   * The target read back (the whole of it, as it will be): repeats within the target become
   * `target` copies of earlier bytes. Without it, none.
   */
  target?: ByteReader;
  /**
   * Target copies stay inside aligned windows of this many bytes (`from` and the whole copy in
   * the window of `at`): VCDIFF copies target bytes of the current window only. Default: anywhere.
   */
  targetWindow?: number;
}

/** What the ops of a match add up to. */
export interface MatchStats {
  ops: number;
  sourceOps: number;
  targetOps: number;
  fillOps: number;
  dataOps: number;
  /** Bytes the source copies cover. */
  copied: number;
  /** Bytes the target copies cover. */
  targetCopied: number;
  /** Bytes the fills cover. */
  filled: number;
  /** Bytes of the `data` ops. */
  added: number;
  /** Bytes copied from the source's same offset. */
  unchanged: number;
}

const NONE = 0;
const SOURCE = 1;
const RUN = 2;
const TARGET = 3;

/** Slots of the target's index (12 bytes each: 3 MiB). */
const TARGET_SLOTS = 1 << 18;
/** Target positions entered in its index: every this many bytes of the literal stretches. */
const TARGET_SPACING = 4;

/**
 * The recent target positions by hash (of the HASH_BYTES there), for copies of repeats within the
 * target: a direct-mapped table in which the newest position wins its slot.
 */
class TargetIndex {
  readonly #pos = new Float64Array(TARGET_SLOTS).fill(-1);
  readonly #hash = new Int32Array(TARGET_SLOTS);
  insert(h: number, t: number): void {
    const slot = Math.imul(h, MIX) >>> (32 - 18);
    this.#pos[slot] = t;
    this.#hash[slot] = h;
  }
  /** A target position whose hash was `h`, or -1. */
  lookup(h: number): number {
    const slot = Math.imul(h, MIX) >>> (32 - 18);
    return this.#hash[slot] === h ? this.#pos[slot]! : -1;
  }
}

/**
 * The target's ops, from its bytes pushed window by window ({@link push}, then {@link finish}),
 * against a source read back through `source` and found through `index` (none: only the
 * predicted offsets). Each op goes to `emit` as soon as it is complete; its bytes are its own.
 */
export class DeltaMatcher {
  readonly stats: MatchStats = {
    ops: 0,
    sourceOps: 0,
    targetOps: 0,
    fillOps: 0,
    dataOps: 0,
    copied: 0,
    targetCopied: 0,
    filled: 0,
    added: 0,
    unchanged: 0,
  };
  readonly #src: ByteReader;
  readonly #srcSize: number;
  readonly #index: SourceIndex | undefined;
  readonly #runs: boolean;
  readonly #tgt: ByteReader | undefined;
  readonly #tindex: TargetIndex | undefined;
  readonly #twin: number;
  /**
   * The target bytes being scanned: [#i, #len) of #buf are not yet processed, at target offset
   * #bufStart + #i. #buf is the caller's window during {@link push} (or #joined).
   */
  #buf: Uint8Array = new Uint8Array(0);
  #len = 0;
  #i = 0;
  #bufStart = 0;
  /** The unprocessed end of the last window (fewer than LOOK bytes), kept for the next. */
  readonly #carry = new Uint8Array(LOOK);
  #carryLen = 0;
  /** A window joined to the carry, for windows that do not overlap the last one (reused). */
  #joined = new Uint8Array(0);
  /** The copy (or fill) in progress: its kind, target start, source start, length so far. */
  #mode = NONE;
  #copyAt = 0;
  #copyFrom = 0;
  #copyLen = 0;
  /** Bytes of source the copy in progress reads next (growing). */
  #chunk = 256;
  #runByte = 0;
  #runBlock: Buffer | undefined;
  /** The literal bytes not yet emitted, at target offset #litAt. */
  readonly #lit = new Uint8Array(LITERAL_MAX);
  #litLen = 0;
  #litAt = 0;
  /** `from - at` of the last source copy. */
  #delta = 0;
  readonly #cacheDelta: SourceCache;
  readonly #cacheSame: SourceCache;

  constructor(source: ByteReader, index: SourceIndex | undefined, options: MatcherOptions = {}) {
    if (source.size > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(`a source of ${source.size} bytes is too large to match (2^53 at most)`);
    this.#src = source;
    this.#srcSize = Number(source.size);
    if (index !== undefined && index.size !== this.#srcSize) throw new InputError(`the index is of ${index.size} bytes, the source of ${this.#srcSize}`);
    this.#index = index;
    this.#runs = options.runs === true;
    this.#tgt = options.target;
    this.#tindex = options.target !== undefined ? new TargetIndex() : undefined;
    const w = options.targetWindow;
    if (w !== undefined && (!Number.isSafeInteger(w) || w < 1)) throw new InputError(`targetWindow ${String(w)} must be a positive integer`);
    this.#twin = w ?? Number.MAX_SAFE_INTEGER;
    this.#cacheDelta = new SourceCache(source, this.#srcSize);
    this.#cacheSame = new SourceCache(source, this.#srcSize);
  }

  /**
   * Takes the target's next bytes: `window` holds the target from `offset` (default: where the
   * last window ended), windows in order from offset 0, of any sizes. A window that starts at most
   * {@link OVERLAP} bytes before the last one ended (as `windows({ overlap })` maps them) is
   * scanned where it is; one that does not overlap is copied once behind the last one's few
   * unprocessed bytes. The window is not used after the call.
   * @throws {InputError} for a window that leaves a gap or goes back too far.
   */
  push(window: Uint8Array, emit: (op: DeltaOp) => void, offset?: bigint): void {
    const pos = this.#bufStart + this.#i;
    const end = pos + this.#carryLen;
    const at = offset === undefined ? end : Number(offset);
    if (at <= pos && pos <= at + window.length) {
      this.#buf = window;
      this.#bufStart = at;
      this.#i = pos - at;
      this.#len = window.length;
    } else if (at === end) {
      const need = this.#carryLen + window.length;
      if (this.#joined.length < need) this.#joined = new Uint8Array(need);
      this.#joined.set(this.#carry.subarray(0, this.#carryLen));
      this.#joined.set(window, this.#carryLen);
      this.#buf = this.#joined;
      this.#bufStart = pos;
      this.#i = 0;
      this.#len = need;
    } else {
      throw new InputError(`the target window at ${at} does not follow the last one (the scan is at ${pos}, the last window ended at ${end})`);
    }
    this.#scan(emit, false);
    // What is left (only in a literal stretch: fewer than LOOK bytes) waits for the next window.
    this.#carryLen = this.#len - this.#i;
    this.#carry.set(this.#buf.subarray(this.#i, this.#len));
    this.#buf = this.#carry;
    this.#bufStart += this.#i;
    this.#i = 0;
    this.#len = this.#carryLen;
  }

  /** The last ops: what is left of the target. */
  finish(emit: (op: DeltaOp) => void): void {
    this.#scan(emit, true);
    this.#carryLen = 0;
    this.#endCopy(emit);
    this.#flushLiteral(emit);
  }

  #scan(emit: (op: DeltaOp) => void, final: boolean): void {
    const len = this.#len;
    for (;;) {
      if (this.#mode !== NONE) {
        this.#extend();
        if (this.#i === len) return; // the copy may go on in the next window
        this.#endCopy(emit);
      }
      if (!this.#literal(emit, final)) break;
    }
    if (final) {
      this.#appendLiteral(this.#i, len, emit);
      this.#i = len;
    }
  }

  /**
   * Scans for the next match from #i, adding the bytes before it to the literal. True when a copy
   * has started; false when the bytes ran out (the rest, fewer than LOOK bytes, stays for the next
   * window or for the end).
   */
  #literal(emit: (op: DeltaOp) => void, final: boolean): boolean {
    const buf = this.#buf;
    const len = this.#len;
    const base = this.#bufStart;
    const srcSize = this.#srcSize;
    const index = this.#index;
    const tindex = this.#tindex;
    const hashing = index !== undefined || tindex !== undefined;
    const twin = this.#twin;
    const runs = this.#runs;
    const start = this.#i;
    // Positions where a match may start: LOOK bytes ahead (at the end: MIN_MATCH).
    const end = len - (final ? MIN_MATCH : LOOK) + 1;
    const delta = this.#delta;
    const dc = this.#cacheDelta;
    const sc = this.#cacheSame;
    let h = 0;
    let hashed = false;
    let runLen = 0;
    let prev = -1;
    for (let j = start; j < end; j++) {
      const t = base + j;
      const b = buf[j]!;
      // a. The offset the last copy predicts, then the same offset.
      let s = t + delta;
      if (s >= 0 && s + MIN_MATCH <= srcSize) {
        const k = dc.at(s, MIN_MATCH);
        if (dc.bytes[k] === b && this.#equalAt(dc.bytes, k, j, MIN_MATCH)) return this.#start(emit, start, j, s, 0);
      }
      if (delta !== 0 && t + MIN_MATCH <= srcSize) {
        const k = sc.at(t, MIN_MATCH);
        if (sc.bytes[k] === b && this.#equalAt(sc.bytes, k, j, MIN_MATCH)) return this.#start(emit, start, j, t, 0);
      }
      // b. The source's index, then the target's (bytes seen earlier in this scan).
      if (hashing && j + HASH_BYTES <= len) {
        if (hashed) h = (Math.imul((h - Math.imul(buf[j - 1]!, BASE_OUT)) | 0, BASE) + buf[j + HASH_BYTES - 1]!) | 0;
        else {
          h = hashAt(buf, j);
          hashed = true;
        }
        // (A run of one value is left to c. in both: a fill says it in fewer ops than copies of
        // whatever stretch of that value a slot holds, which may be shorter than the run.)
        if (index !== undefined) {
          s = index.lookup(h);
          if (s >= 0 && s + HASH_BYTES <= srcSize && !(runs && this.#uniform(j))) {
            const got = this.#src.read(BigInt(s), HASH_BYTES);
            if (this.#equalAt(got, 0, j, HASH_BYTES)) return this.#start(emit, start, j, s, this.#backwards(this.#src, start, j, s, 0));
          }
        }
        if (tindex !== undefined) {
          const q = tindex.lookup(h);
          const w0 = t - (t % twin);
          if (q >= w0 && q < t && !(runs && this.#uniform(j))) {
            const got = this.#tgt!.read(BigInt(q), HASH_BYTES);
            if (this.#equalAt(got, 0, j, HASH_BYTES)) {
              // Back no further than the window's start (for `from`; `at` is then inside too).
              return this.#startTarget(emit, start, j, q, this.#backwards(this.#tgt!, start, j, q, w0));
            }
          }
          if (t % TARGET_SPACING === 0) tindex.insert(h, t);
        }
      }
      // c. A run of one value.
      if (runs) {
        runLen = b === prev ? runLen + 1 : 1;
        prev = b;
        if (runLen >= RUN_MIN) {
          const r0 = j - runLen + 1;
          this.#appendLiteral(start, r0, emit);
          this.#flushLiteral(emit);
          this.#mode = RUN;
          this.#runByte = b;
          this.#copyAt = base + r0;
          this.#copyLen = runLen;
          this.#i = j + 1;
          return true;
        }
      }
    }
    const stop = Math.max(start, end);
    this.#appendLiteral(start, stop, emit);
    this.#i = stop;
    return false;
  }

  /** Whether the HASH_BYTES target bytes from #buf[j] are all one value. */
  #uniform(j: number): boolean {
    const buf = this.#buf;
    const v = buf[j];
    for (let i = j + HASH_BYTES - 1; i > j; i--) if (buf[i] !== v) return false;
    return true;
  }

  /** Whether `n` bytes of `x` from `k` equal the target's from `j` (j + n <= #len). */
  #equalAt(x: Uint8Array, k: number, j: number, n: number): boolean {
    const buf = this.#buf;
    for (let i = 0; i < n; i++) if (x[k + i] !== buf[j + i]) return false;
    return true;
  }

  /**
   * How many of the bytes before target position `j` (the literal: #lit, then #buf from `start`)
   * equal the bytes of `from` (the source, or the target) before `s`, going back no further than
   * `low` there.
   */
  #backwards(from: ByteReader, start: number, j: number, s: number, low: number): number {
    const most = Math.min(s - low, j - start + this.#litLen, BACK_MAX);
    const inBuf = j - start;
    const buf = this.#buf;
    const lit = this.#lit;
    const ll = this.#litLen;
    let k = 0;
    // Source bytes read in growing pieces (most matches extend only a little way back).
    for (let piece = 64; k < most; piece *= 4) {
      const n = Math.min(piece, most - k);
      const src = from.read(BigInt(s - k - n), n);
      for (let q = n - 1; q >= 0; q--, k++) {
        const t = k < inBuf ? buf[j - 1 - k] : lit[ll - 1 - (k - inBuf)];
        if (t !== src[q]) return k;
      }
    }
    return k;
  }

  /** Starts a source copy at #buf[j] from source offset `s`, with `back` bytes before both equal too. */
  #start(emit: (op: DeltaOp) => void, start: number, j: number, s: number, back: number): boolean {
    const inBuf = j - start;
    if (back <= inBuf) this.#appendLiteral(start, j - back, emit);
    else this.#litLen -= back - inBuf;
    this.#flushLiteral(emit);
    this.#mode = SOURCE;
    this.#chunk = 256;
    this.#copyAt = this.#bufStart + j - back;
    this.#copyFrom = s - back;
    this.#copyLen = back;
    this.#i = j;
    return true;
  }

  /** Starts a target copy at #buf[j] from target offset `q`, with `back` bytes before both equal too. */
  #startTarget(emit: (op: DeltaOp) => void, start: number, j: number, q: number, back: number): boolean {
    this.#start(emit, start, j, q, back);
    this.#mode = TARGET;
    return true;
  }

  /** Extends the copy in progress over the target bytes from #i as far as they match. */
  #extend(): void {
    const buf = this.#buf;
    const len = this.#len;
    let i = this.#i;
    if (this.#mode === RUN) {
      if (this.#runBlock === undefined || this.#runBlock[0] !== this.#runByte) {
        this.#runBlock ??= Buffer.allocUnsafe(4096);
        this.#runBlock.fill(this.#runByte);
      }
      const block = this.#runBlock;
      while (i < len) {
        const n = Math.min(block.length, len - i);
        const m = commonPrefix(block.subarray(0, n), buf.subarray(i, i + n));
        i += m;
        if (m < n) break;
      }
    } else {
      // Read in pieces that grow from 256 bytes (a pread) to EXTEND_CHUNK (a mapped window):
      // short copies, common in repetitive data, then cost no map of their own. A target copy
      // reads the target's final bytes (a copy that overlaps itself repeats them, byte by byte,
      // as the file holds them) and stops at the end of its window.
      const target = this.#mode === TARGET;
      const from = target ? this.#tgt! : this.#src;
      const fromSize = target ? Number(this.#tgt!.size) : this.#srcSize;
      let limit = len;
      if (target) {
        const at = this.#copyAt + this.#copyLen; // the target offset of #i
        const windowEnd = this.#copyAt - (this.#copyAt % this.#twin) + this.#twin;
        limit = Math.min(len, this.#i + (windowEnd - at));
      }
      let s = this.#copyFrom + this.#copyLen;
      while (i < limit && s < fromSize) {
        const n = Math.min(this.#chunk, limit - i, fromSize - s);
        const m = commonPrefix(from.read(BigInt(s), n), buf.subarray(i, i + n));
        i += m;
        s += m;
        if (m < n) break;
        if (this.#chunk < EXTEND_CHUNK) this.#chunk *= 4;
      }
    }
    this.#copyLen += i - this.#i;
    this.#i = i;
  }

  #endCopy(emit: (op: DeltaOp) => void): void {
    if (this.#mode === NONE) return;
    const at = this.#copyAt;
    const from = this.#copyFrom;
    const length = this.#copyLen;
    const st = this.stats;
    st.ops++;
    if (this.#mode === SOURCE) {
      st.sourceOps++;
      st.copied += length;
      if (from === at) st.unchanged += length;
      this.#delta = from - at;
      emit({ kind: 'source', at: BigInt(at), length: BigInt(length), from: BigInt(from) });
    } else if (this.#mode === TARGET) {
      st.targetOps++;
      st.targetCopied += length;
      emit({ kind: 'target', at: BigInt(at), length: BigInt(length), from: BigInt(from) });
    } else {
      st.fillOps++;
      st.filled += length;
      emit({ kind: 'fill', at: BigInt(at), length: BigInt(length), value: this.#runByte });
    }
    this.#mode = NONE;
  }

  /** Adds the target's bytes [from, to) of #buf to the literal, emitting it whenever it is full. */
  #appendLiteral(from: number, to: number, emit: (op: DeltaOp) => void): void {
    while (from < to) {
      if (this.#litLen === 0) this.#litAt = this.#bufStart + from;
      const n = Math.min(LITERAL_MAX - this.#litLen, to - from);
      this.#lit.set(this.#buf.subarray(from, from + n), this.#litLen);
      this.#litLen += n;
      from += n;
      if (this.#litLen === LITERAL_MAX) this.#flushLiteral(emit);
    }
  }

  #flushLiteral(emit: (op: DeltaOp) => void): void {
    const n = this.#litLen;
    if (n === 0) return;
    const st = this.stats;
    st.ops++;
    st.dataOps++;
    st.added += n;
    emit({ kind: 'data', at: BigInt(this.#litAt), bytes: this.#lit.slice(0, n) });
    this.#litLen = 0;
  }
}
