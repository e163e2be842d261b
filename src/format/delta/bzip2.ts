/**
 * bzip2 decoding, one block at a time, with runs kept as runs. Pure.
 *
 * ```text
 * stream   'BZh' level('1'..'9')  block*  0x177245385090 streamCRC:32  padding to a byte
 * block    0x314159265359 blockCRC:32 randomised:1 origPtr:24
 *          symbol map: 16 bits (which 16-value ranges are used), 16 bits per used range
 *          nGroups:3 (2..6) nSelectors:15, selectors (unary, move-to-front coded)
 *          per group: 5-bit start length, per symbol deltas (1 x then 0: +1, 1 1: -1; 0 ends)
 *          Huffman symbols, the group changing every 50: RUNA/RUNB (bijective base-2 run lengths
 *          of the front byte), move-to-front positions, end of block
 * then     inverse Burrows-Wheeler transform (origPtr), then RLE1: 4 equal bytes and a count
 *          byte 0..255 stand for 4 + count equal bytes
 * CRC      MSB first, polynomial 0x04c11db7, init and final xor 0xffffffff, over a block's output;
 *          the stream CRC is rotl(crc, 1) ^ blockCRC over the blocks
 * ```
 *
 * Why mmapx decodes bzip2 itself (issue 17 asked for a well-kept npm decoder): an npm decoder
 * hands out the decompressed bytes, every one of them expanded (and CRC'd) in JavaScript;
 * unbzip2-stream, which mmapx used before, passes each byte of a block to a callback. A bsdiff diff
 * block is as long as the target and mostly zeros; bzip2's RLE1 stage codes 259 equal bytes in 5,
 * so one 900 kB block expands to ~46 MB, and a 1 MiB change to a 2 GiB file cost a byte-by-byte
 * expansion of 2 GiB: slower than bspatch (0.45x), where the issue's target is 20 times faster.
 * Here the work per block is O(its symbols), never O(its output): the RLE1 stage hands out runs as
 * (value, length), the CRC of a run of n equal bytes takes O(log n) steps ({@link crcRun}), and a
 * block the same as the one before is not decoded again ({@link MEMO_SYMBOLS}). The bench
 * (bench/scenarios/delta.mjs) measures ~30x bspatch's speed.
 *
 * Output: runs of at least {@link RUN_MIN} equal bytes as (value, length), everything else as
 * literal bytes. The literal part stays under ~2.7 MB whatever the block holds (a run shorter than
 * RUN_MIN costs bzip2 at least 1 byte per 3), the runs under 180k entries. A block is checked
 * whole (its CRC included) before the caller sees any of it.
 *
 * Hostile input: every count is checked against the block size before it is used (nothing is
 * allocated from one: the work areas have fixed sizes, shared by all decoders, as a block decodes
 * in one call); reading past the end of the input reads zeros and ends in the "truncated" error;
 * every loop is bounded by the block size or the bits present.
 */

/** Runs of at least this many equal bytes are handed out as runs. */
export const RUN_MIN = 16;

/** Reports a malformed stream at a byte offset of the input; never returns. */
export type Fail = (at: number, message: string) => never;

const MAX_LEVEL = 9;
const LEVEL_BYTES = 100000;
const MAX_BLOCK = MAX_LEVEL * LEVEL_BYTES;
const MAX_GROUPS = 6;
const MIN_GROUPS = 2;
const GROUP_SIZE = 50;
/** bzip2 1.0.8 reads up to 32767 selectors and keeps 2 + 900000 / 50 of them. */
const MAX_SELECTORS = 18002;
const MAX_ALPHA = 258;
const MAX_CODE_LEN = 20;
/** Huffman codes this long or shorter decode by one table look-up. */
const FAST_BITS = 10;
const POLY = 0x04c11db7;
/**
 * A block of at most this many Huffman symbols is remembered, and the next block of the same
 * symbols, symbol map, origPtr and CRC is not decoded again: it has the same output, which is
 * still in place. bsdiff's diff block is mostly such blocks (a block of zeros: ~46 MB in a few
 * hundred symbols), so they cost their bits, not their 900k bytes through the inverse BWT.
 */
const MEMO_SYMBOLS = 4096;

// --- CRC -----------------------------------------------------------------------------------------

/** CRC register update per byte: T[i] is the CRC of byte i from a zero register. */
let table: Int32Array | undefined;
/** L^(2^j) (L = one zero byte through the register), j = 0..30, as 4 x 256 byte tables each. */
let powers: Int32Array | undefined;
/** R[v * 32 + j]: the register after 2^j bytes `v` from a zero register. */
let runs: Int32Array | undefined;

function crcTable(): Int32Array {
  if (table === undefined) {
    table = new Int32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i << 24;
      for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ POLY : c << 1;
      table[i] = c;
    }
  }
  return table;
}

/** A linear map given as 4 x 256 byte tables (from `tables[at]`), applied to `s`. */
function apply(tables: Int32Array, at: number, s: number): number {
  return tables[at + (s & 0xff)]! ^ tables[at + 256 + ((s >>> 8) & 0xff)]! ^ tables[at + 512 + ((s >>> 16) & 0xff)]! ^ tables[at + 768 + (s >>> 24)]!;
}

function makeRunTables(): void {
  const t = crcTable();
  // The register is linear over GF(2): one byte v maps s to L(s) ^ T[v], with L(s) = (s << 8) ^ T[s >>> 24].
  const p = new Int32Array(31 * 1024);
  for (let k = 0; k < 4; k++) {
    for (let b = 0; b < 256; b++) {
      const s = b << (8 * k);
      p[k * 256 + b] = (s << 8) ^ t[s >>> 24]!;
    }
  }
  for (let j = 1; j < 31; j++) {
    for (let k = 0; k < 4; k++) {
      for (let b = 0; b < 256; b++) p[j * 1024 + k * 256 + b] = apply(p, (j - 1) * 1024, apply(p, (j - 1) * 1024, b << (8 * k)));
    }
  }
  // n + m bytes v: s -> L^m(L^n(s) ^ R(n)) ^ R(m), so R(2n) = L^n(R(n)) ^ R(n).
  const r = new Int32Array(256 * 32);
  for (let v = 0; v < 256; v++) {
    r[v * 32] = t[v]!;
    for (let j = 1; j < 31; j++) r[v * 32 + j] = apply(p, (j - 1) * 1024, r[v * 32 + j - 1]!) ^ r[v * 32 + j - 1]!;
  }
  powers = p;
  runs = r;
}

/**
 * The CRC register after `n` (0 <= n < 2^31) bytes of value `v`, from register `reg`: O(log n)
 * table look-ups (the affine maps of 2^j equal bytes, combined by the bits of n).
 */
export function crcRun(reg: number, v: number, n: number): number {
  if (powers === undefined) makeRunTables();
  const p = powers!;
  const r = runs!;
  let s = reg | 0;
  let left = n;
  for (let j = 0; left !== 0; j++, left >>>= 1) {
    if (left & 1) s = apply(p, j * 1024, s) ^ r[v * 32 + j]!;
  }
  return s;
}

/** The CRC register after `bytes`, from register `reg`, byte by byte (no built-in computes it). */
export function crcBytes(reg: number, bytes: Uint8Array): number {
  const t = crcTable();
  let s = reg | 0;
  for (let i = 0; i < bytes.length; i++) s = (s << 8) ^ t[(s >>> 24) ^ bytes[i]!]!;
  return s;
}

/** bzip2's CRC of `bytes` (unsigned): register 0xffffffff, final xor 0xffffffff. */
export function bzip2Crc(bytes: Uint8Array): number {
  return ~crcBytes(-1, bytes) >>> 0;
}

// --- work areas, shared: a block decodes whole in one call ---------------------------------------

interface Work {
  /** Block bytes, then (inverse BWT) byte | next index << 8. */
  readonly tt: Int32Array;
  readonly selectors: Uint8Array;
  readonly lens: Uint8Array;
  /** Per group: 2^FAST_BITS entries of len << 16 | symbol, 0 for a longer code. */
  readonly fast: Int32Array;
  /** Per group, per length: the first canonical code, how many codes, where they start in perm. */
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly start: Int32Array;
  readonly perm: Uint16Array;
  readonly maxLen: Int32Array;
  readonly cftab: Int32Array;
  readonly seqToUnseq: Uint8Array;
  readonly mtf: Uint8Array;
  /** The block's Huffman symbols, while there are at most {@link MEMO_SYMBOLS}. */
  readonly syms: Uint16Array;
}

let shared: Work | undefined;

function work(): Work {
  shared ??= {
    tt: new Int32Array(MAX_BLOCK),
    selectors: new Uint8Array(MAX_SELECTORS),
    lens: new Uint8Array(MAX_GROUPS * MAX_ALPHA),
    fast: new Int32Array(MAX_GROUPS << FAST_BITS),
    first: new Int32Array(MAX_GROUPS * (MAX_CODE_LEN + 1)),
    count: new Int32Array(MAX_GROUPS * (MAX_CODE_LEN + 1)),
    start: new Int32Array(MAX_GROUPS * (MAX_CODE_LEN + 1)),
    perm: new Uint16Array(MAX_GROUPS * MAX_ALPHA),
    maxLen: new Int32Array(MAX_GROUPS),
    cftab: new Int32Array(257),
    seqToUnseq: new Uint8Array(256),
    mtf: new Uint8Array(256),
    syms: new Uint16Array(MEMO_SYMBOLS),
  };
  return shared;
}

// --- the decoder ---------------------------------------------------------------------------------

/**
 * One bzip2 stream in `bytes[start, end)`, decoded a block per {@link block} call into run-length
 * coded output: literal bytes `lit[0, litLen)`, and run i (i < `runs`) of `runLen[i]` bytes
 * `runVal[i]` placed before literal position `runAt[i]`. The stream must end exactly at `end`
 * (its end-of-stream marker, then padding to a byte boundary).
 */
export class Bzip2Decoder {
  lit: Uint8Array = new Uint8Array(0);
  litLen = 0;
  runAt: Int32Array = new Int32Array(64);
  runVal: Uint8Array = new Uint8Array(64);
  runLen: Int32Array = new Int32Array(64);
  runs = 0;
  /** Blocks decoded so far. */
  blocks = 0;
  /** Byte offset where the last block read began (or the stream, before its first block). */
  blockAt: number;

  private level = 0;
  private streamCrc = 0;
  /** The last block decoded, when it had at most MEMO_SYMBOLS symbols (see there). */
  private memo: { syms: Uint16Array; n: number; map: Uint8Array; inUse: number; origPtr: number; crc: number } | undefined;
  private done = false;
  // The bit reader: `bc` bits of `bb` not yet used (at its bottom), then bytes from `pos`.
  private pos: number;
  private bb = 0;
  private bc = 0;

  /**
   * @param what the stream's name in messages (`control block`).
   * @param fail called with a byte offset of `bytes` and a message; must throw.
   */
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly end: number,
    private readonly what: string,
    private readonly fail: Fail,
  ) {
    this.pos = start;
    this.blockAt = start;
  }

  /** The byte the next bit comes from. */
  private byteAt(): number {
    return (this.pos * 8 - this.bc) >>> 3;
  }

  /** Bits read past `end` (zeros), so the stream is truncated. */
  private overrun(): boolean {
    return this.pos * 8 - this.bc > this.end * 8;
  }

  private truncated(): never {
    return this.fail(this.blockAt, `${this.what}: the bzip2 stream is truncated (it runs past byte 0x${this.end.toString(16)})`);
  }

  /** A corrupt block, unless the input ran out first (then it is truncated). */
  private corrupt(detail = ''): never {
    if (this.overrun()) this.truncated();
    return this.fail(this.blockAt, `${this.what}: bzip2 block ${this.blocks + 1} is corrupt${detail}`);
  }

  /** `n` (1..24) bits, most significant first; zeros past `end`. */
  private bits(n: number): number {
    while (this.bc < n) {
      this.bb = (this.bb << 8) | (this.pos < this.end ? this.bytes[this.pos]! : 0);
      this.pos++;
      this.bc += 8;
    }
    this.bc -= n;
    return (this.bb >>> this.bc) & ((1 << n) - 1);
  }

  private bits32(): number {
    return ((this.bits(16) << 16) | this.bits(16)) >>> 0;
  }

  /**
   * Decodes the next block into the output fields; false at the end of the stream (checked: its
   * CRC, and nothing after it).
   * @throws what `fail` throws: not bzip2, truncated, a corrupt block, a CRC mismatch, bytes after the end.
   */
  block(): boolean {
    if (this.done) return false;
    // The output stays in place until a block replaces it (see MEMO_SYMBOLS), or the stream ends.
    if (this.level === 0) {
      const at = this.byteAt();
      const b = this.bits(8);
      const z = this.bits(8);
      const h = this.bits(8);
      const level = this.bits(8) - 0x30;
      if (this.overrun()) this.truncated();
      if (b !== 0x42 || z !== 0x5a || h !== 0x68 || !(level >= 1 && level <= MAX_LEVEL)) {
        this.fail(at, `${this.what}: not a bzip2 stream (no 'BZh1'..'BZh9' header)`);
      }
      this.level = level;
    }
    this.blockAt = this.byteAt();
    const hi = this.bits(24);
    const lo = this.bits(24);
    const crc = this.bits32();
    if (hi === 0x177245 && lo === 0x385090) {
      if (this.overrun()) this.truncated();
      if (crc !== this.streamCrc) this.fail(this.blockAt, `${this.what}: the bzip2 stream's CRC does not match its blocks (CRC mismatch)`);
      this.done = true;
      this.litLen = 0;
      this.runs = 0;
      this.memo = undefined;
      this.bc -= this.bc & 7;
      const after = this.byteAt();
      if (after !== this.end) this.fail(after, `${this.what}: ${this.end - after} byte(s) after the end of its bzip2 stream`);
      return false;
    }
    if (hi !== 0x314159 || lo !== 0x265359) this.corrupt(' (no block magic)');
    this.decode(crc);
    this.blocks++;
    this.streamCrc = (((this.streamCrc << 1) | (this.streamCrc >>> 31)) ^ crc) >>> 0;
    return true;
  }

  /** A block's body after its magic and CRC. */
  private decode(expectCrc: number): void {
    const w = work();
    if (this.bits(1) !== 0) this.corrupt(' (a randomised block: bzip2 0.9.0 and older, not supported)');
    const origPtr = this.bits(24);

    // Symbol map.
    const used = this.bits(16);
    let inUse = 0;
    for (let i = 0; i < 16; i++) {
      if ((used & (0x8000 >>> i)) === 0) continue;
      const bits = this.bits(16);
      for (let j = 0; j < 16; j++) if (bits & (0x8000 >>> j)) w.seqToUnseq[inUse++] = i * 16 + j;
    }
    if (inUse === 0) this.corrupt();
    const alphaSize = inUse + 2;
    const nGroups = this.bits(3);
    const nSelectors = this.bits(15);
    if (nGroups < MIN_GROUPS || nGroups > MAX_GROUPS || nSelectors < 1) this.corrupt();

    // Selectors, move-to-front coded; those past MAX_SELECTORS are read and dropped (as bzip2 1.0.8).
    const order = [0, 1, 2, 3, 4, 5];
    for (let i = 0; i < nSelectors; i++) {
      let j = 0;
      while (this.bits(1) !== 0) if (++j >= nGroups) this.corrupt();
      const g = order[j]!;
      for (; j > 0; j--) order[j] = order[j - 1]!;
      order[0] = g;
      if (i < MAX_SELECTORS) w.selectors[i] = g;
    }
    const selectors = Math.min(nSelectors, MAX_SELECTORS);

    // Code lengths, then the decoding tables of each group.
    for (let g = 0; g < nGroups; g++) {
      let len = this.bits(5);
      for (let s = 0; s < alphaSize; s++) {
        for (;;) {
          if (len < 1 || len > MAX_CODE_LEN) this.corrupt();
          if (this.bits(1) === 0) break;
          len += this.bits(1) === 0 ? 1 : -1;
        }
        w.lens[g * MAX_ALPHA + s] = len;
      }
      if (!this.tables(w, g, alphaSize)) this.corrupt(' (an over-subscribed Huffman code)');
    }

    // Huffman symbols: RUNA/RUNB, move-to-front positions, end of block.
    const { tt, fast, first, count, start, perm, maxLen, selectors: sel, seqToUnseq, mtf, cftab } = w;
    const blockMax = this.level * LEVEL_BYTES;
    const eob = inUse + 1;
    for (let i = 0; i < 256; i++) mtf[i] = i;
    cftab.fill(0);
    let nblock = 0;
    let run = 0;
    let weight = 1;
    let left = 0;
    let nsym = 0;
    const syms = w.syms;
    let selIdx = 0;
    let g = 0;
    let bb = this.bb;
    let bc = this.bc;
    let pos = this.pos;
    const bytes = this.bytes;
    const end = this.end;
    for (;;) {
      if (left === 0) {
        if (selIdx >= selectors) {
          this.bb = bb;
          this.bc = bc;
          this.pos = pos;
          this.corrupt();
        }
        g = sel[selIdx++]!;
        left = GROUP_SIZE;
      }
      left--;
      // Huffman decoding, per symbol (no built-in does it).
      while (bc < MAX_CODE_LEN) {
        bb = (bb << 8) | (pos < end ? bytes[pos]! : 0);
        pos++;
        bc += 8;
      }
      const peek = (bb >>> (bc - MAX_CODE_LEN)) & 0xfffff;
      let sym: number;
      const e = fast[(g << FAST_BITS) | (peek >>> (MAX_CODE_LEN - FAST_BITS))]!;
      if (e !== 0) {
        bc -= e >>> 16;
        sym = e & 0xffff;
      } else {
        sym = -1;
        const top = maxLen[g]!;
        for (let len = FAST_BITS + 1; len <= top; len++) {
          const k = g * (MAX_CODE_LEN + 1) + len;
          const d = (peek >>> (MAX_CODE_LEN - len)) - first[k]!;
          if (d >= 0 && d < count[k]!) {
            sym = perm[g * MAX_ALPHA + start[k]! + d]!;
            bc -= len;
            break;
          }
        }
        if (sym < 0) {
          this.bb = bb;
          this.bc = bc;
          this.pos = pos;
          this.corrupt();
        }
      }
      if (nsym < MEMO_SYMBOLS) syms[nsym] = sym;
      nsym++;
      if (sym <= 1) {
        // RUNA adds 1 x weight, RUNB 2 x weight: a bijective base-2 run length of the front byte.
        run += (sym + 1) * weight;
        weight *= 2;
        if (run > blockMax) {
          this.bb = bb;
          this.bc = bc;
          this.pos = pos;
          this.corrupt();
        }
        continue;
      }
      if (run > 0) {
        if (nblock + run > blockMax) {
          this.bb = bb;
          this.bc = bc;
          this.pos = pos;
          this.corrupt();
        }
        const b = seqToUnseq[mtf[0]!]!;
        cftab[b + 1]! += run;
        tt.fill(b, nblock, nblock + run);
        nblock += run;
        run = 0;
        weight = 1;
      }
      if (sym === eob) break;
      if (nblock >= blockMax) {
        this.bb = bb;
        this.bc = bc;
        this.pos = pos;
        this.corrupt();
      }
      const k = sym - 1;
      const v = mtf[k]!;
      if (k < 16) for (let j = k; j > 0; j--) mtf[j] = mtf[j - 1]!;
      else mtf.copyWithin(1, 0, k);
      mtf[0] = v;
      const b = seqToUnseq[v]!;
      cftab[b + 1]!++;
      tt[nblock++] = b;
    }
    this.bb = bb;
    this.bc = bc;
    this.pos = pos;
    if (this.overrun()) this.truncated();
    if (origPtr >= nblock) this.corrupt();
    if (nsym <= MEMO_SYMBOLS) {
      const m = this.memo;
      if (m !== undefined && m.n === nsym && m.inUse === inUse && m.origPtr === origPtr && m.crc === expectCrc) {
        let same = true;
        for (let i = 0; i < inUse && same; i++) same = m.map[i] === seqToUnseq[i];
        for (let i = 0; i < nsym && same; i++) same = m.syms[i] === syms[i];
        // The same block as the last one: its output is still in place, its CRC checked.
        if (same) return;
      }
      this.memo = undefined;
    } else this.memo = undefined;
    this.litLen = 0;
    this.runs = 0;

    // Inverse BWT: tt[i] gets, above its byte, the index of the byte that follows it.
    for (let i = 1; i <= 256; i++) cftab[i]! += cftab[i - 1]!;
    for (let i = 0; i < nblock; i++) {
      const b = tt[i]! & 0xff;
      tt[cftab[b]!++]! |= i << 8;
    }
    this.unrle(tt, nblock, tt[origPtr]! >>> 8, expectCrc);
    if (nsym <= MEMO_SYMBOLS) {
      this.memo = { syms: syms.slice(0, nsym), n: nsym, map: seqToUnseq.slice(0, inUse), inUse, origPtr, crc: expectCrc };
    }
  }

  /**
   * Builds group `g`'s decoding tables from its code lengths (canonical codes: by length, then by
   * symbol). False for an over-subscribed code (an incomplete one is kept: its missing codes are
   * corrupt when met).
   */
  private tables(w: Work, g: number, alphaSize: number): boolean {
    const base = g * (MAX_CODE_LEN + 1);
    const lens = w.lens.subarray(g * MAX_ALPHA, g * MAX_ALPHA + alphaSize);
    w.count.fill(0, base, base + MAX_CODE_LEN + 1);
    let top = 0;
    for (let s = 0; s < alphaSize; s++) {
      w.count[base + lens[s]!]!++;
      if (lens[s]! > top) top = lens[s]!;
    }
    let room = 1;
    let code = 0;
    let at = 0;
    for (let len = 1; len <= MAX_CODE_LEN; len++) {
      room = room * 2 - w.count[base + len]!;
      if (room < 0) return false;
      w.first[base + len] = code;
      w.start[base + len] = at;
      code = (code + w.count[base + len]!) * 2;
      at += w.count[base + len]!;
    }
    w.maxLen[g] = top;
    const fast = w.fast.subarray(g << FAST_BITS, (g + 1) << FAST_BITS);
    fast.fill(0);
    const next = w.start.slice(base, base + MAX_CODE_LEN + 1);
    for (let s = 0; s < alphaSize; s++) {
      const len = lens[s]!;
      const rank = next[len]!++;
      w.perm[g * MAX_ALPHA + rank] = s;
      if (len <= FAST_BITS) {
        const c = (w.first[base + len]! + rank - w.start[base + len]!) << (FAST_BITS - len);
        fast.fill((len << 16) | s, c, c + (1 << (FAST_BITS - len)));
      }
    }
    return true;
  }

  /**
   * Follows the inverse BWT from `tPos` for `nblock` bytes through the RLE1 stage into the output:
   * equal bytes gather into one (value, length) piece, which becomes a run (CRC in O(log n)) or
   * literal bytes. Checks the block CRC.
   */
  private unrle(tt: Int32Array, nblock: number, start: number, expectCrc: number): void {
    const t = crcTable();
    let crc = -1;
    let tPos = start;
    let segVal = -1;
    let segLen = 0;
    /** RLE1: the last byte and how many times in a row it came (4: the next byte is a count). */
    let last = -1;
    let same = 0;
    let lit = this.lit;
    let litLen = this.litLen;
    /** The piece (segVal, segLen) goes out: a run from RUN_MIN bytes on, else literal bytes. */
    const emit = (): void => {
      if (segLen >= RUN_MIN) {
        this.litLen = litLen;
        this.pushRun(segVal, segLen);
        crc = crcRun(crc, segVal, segLen);
      } else if (segLen > 0) {
        if (litLen + segLen > lit.length) {
          this.litLen = litLen;
          lit = this.growLit(litLen + segLen);
        }
        for (let k = 0; k < segLen; k++) {
          lit[litLen++] = segVal;
          crc = (crc << 8) ^ t[(crc >>> 24) ^ segVal]!;
        }
      }
    };
    for (let i = 0; i < nblock; i++) {
      const e = tt[tPos]!;
      const b = e & 0xff;
      tPos = e >>> 8;
      let v: number;
      let n: number;
      if (same === 4) {
        v = last;
        n = b;
        same = 0;
        last = -1;
      } else {
        v = b;
        n = 1;
        if (b === last) same++;
        else {
          last = b;
          same = 1;
        }
      }
      if (v === segVal) {
        segLen += n;
        continue;
      }
      // A new value: the piece before it goes out.
      emit();
      segVal = v;
      segLen = n;
    }
    emit();
    this.litLen = litLen;
    if (~crc >>> 0 !== expectCrc) this.corrupt(' (CRC mismatch)');
  }

  private growLit(need: number): Uint8Array {
    const grown = new Uint8Array(Math.max(need, this.lit.length * 2, 64 * 1024));
    grown.set(this.lit.subarray(0, this.litLen));
    this.lit = grown;
    return grown;
  }

  private pushRun(value: number, length: number): void {
    if (this.runs === this.runAt.length) {
      const n = this.runs * 2;
      const at = new Int32Array(n);
      at.set(this.runAt);
      const val = new Uint8Array(n);
      val.set(this.runVal);
      const len = new Int32Array(n);
      len.set(this.runLen);
      this.runAt = at;
      this.runVal = val;
      this.runLen = len;
    }
    this.runAt[this.runs] = this.litLen;
    this.runVal[this.runs] = value;
    this.runLen[this.runs] = length;
    this.runs++;
  }
}
