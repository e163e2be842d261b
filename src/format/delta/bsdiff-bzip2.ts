/// <reference path="./unbzip2-stream.d.ts" />
/**
 * bzip2 streams read piece by piece, for bsdiff's control, diff and extra blocks. Pure.
 *
 * The decoding itself is the npm package unbzip2-stream's block decoder (lib/bzip2.js): it decodes
 * one bzip2 block per call, reads its input through a bit reader we give it (so a truncated stream
 * ends in our error, with the byte offset) and checks the block and stream CRCs. Its output comes
 * one byte per callback, a whole block at a time, and a block can hold ~46 MB: bzip2 run-length
 * codes a run of up to 255 equal bytes in 5 bytes of its 900 kB block, and bsdiff's diff block is
 * mostly zeros. So a block's output is kept run-length coded as it arrives: runs of at least
 * {@link RUN_MIN} equal bytes as (value, length), everything else as literal bytes. The literal part
 * stays under ~2.7 MB whatever the block holds (a run shorter than RUN_MIN costs bzip2 at least
 * 1 byte per 3), the runs under 180k entries; the readers hand both out as {@link Bzip2Piece}s.
 */

import bzip2 from 'unbzip2-stream/lib/bzip2.js';
import { InputError } from '../../errors.js';
import { hex } from '../patch/lex.js';

/**
 * Runs of at least this many equal bytes are kept as runs. bsdiff's zero runs of this length become
 * copies of the source instead of additions (see bsdiff.ts), and the literal part of a block stays
 * bounded (see the module comment).
 */
export const RUN_MIN = 16;

/**
 * A piece of a stream's output: literal bytes (a view into the reader's buffer, valid until its next
 * call), or `length` copies of `value`.
 */
export type Bzip2Piece = { readonly run: false; readonly bytes: Uint8Array } | { readonly run: true; readonly value: number; readonly length: number };

/** Reports a malformed patch at a byte offset of the patch; never returns. */
export type Fail = (at: number, message: string) => never;

/** The decoder's work area (100000 x level entries, 3.6 MB at level 9): one, shared, as blocks decode whole in one call. */
let work: Int32Array | undefined;

const BZIP2_MAX_LEVEL = 9;

/**
 * One bzip2 stream in `bytes[start, end)`, read in order: {@link next} hands out pieces, {@link read}
 * fills a buffer. The stream must end exactly at `end` (its end-of-stream marker, then padding to a
 * byte boundary); a stream that runs past `end` is truncated.
 */
export class Bzip2Reader {
  /** Blocks decoded so far. */
  private blocks = 0;
  /** Byte offset (in the patch) where the last block decoded began. */
  private blockAt: number;
  private readonly input: BitInput;
  private level = 0;
  private crc = 0;
  private done = false;
  private readonly bits: (n: number | null) => number;
  private readonly sink: (byte: number) => void;
  /** Ends the block being received: its last run goes where it belongs. */
  private readonly flushRun: () => void;

  // The current block's output: literal bytes, and runs inserted before literal positions.
  private lit = new Uint8Array(0);
  private litLen = 0;
  private litPos = 0;
  private runAt = new Int32Array(64);
  private runVal = new Uint8Array(64);
  private runLen = new Int32Array(64);
  private runs = 0;
  private runIdx = 0;
  private runUsed = 0;

  /**
   * @param what the stream's name in messages (`control block`).
   * @param fail called with a byte offset of `bytes` and a message; must throw.
   */
  constructor(
    bytes: Uint8Array,
    start: number,
    private readonly end: number,
    private readonly what: string,
    private readonly fail: Fail,
  ) {
    this.blockAt = start;
    this.input = bitInput(bytes, start, end, () => fail(this.blockAt, `${what}: the bzip2 stream is truncated (it runs past byte ${hex(end)})`));
    this.bits = this.input.bits;
    let cur = -1;
    let curLen = 0;
    this.flushRun = () => {
      if (curLen >= RUN_MIN) this.pushRun(cur, curLen);
      else if (curLen > 0) this.pushLiteral(cur, curLen);
      cur = -1;
      curLen = 0;
    };
    // INVARIANT: called once per output byte by the decoder; the common case is one compare.
    this.sink = (b) => {
      if (b === cur) {
        curLen++;
        return;
      }
      if (curLen > 0) this.flushRun();
      cur = b;
      curLen = 1;
    };
  }

  /** Where the reader is in the patch (the block being read), for messages. */
  get at(): number {
    return this.blockAt;
  }

  /** `control block`, or `control block (bzip2 block 2)` past its first block, for messages. */
  get where(): string {
    return this.blocks > 1 ? `${this.what} (bzip2 block ${this.blocks})` : this.what;
  }

  /**
   * The next piece of output, at most `max` (>= 1) bytes long; undefined at the end of the stream.
   * @throws {InputError} for a truncated or corrupt stream, or bytes after its end.
   */
  next(max: number): Bzip2Piece | undefined {
    for (;;) {
      if (this.runIdx < this.runs && this.runAt[this.runIdx] === this.litPos) {
        const i = this.runIdx;
        const length = Math.min(this.runLen[i]! - this.runUsed, max);
        this.runUsed += length;
        if (this.runUsed === this.runLen[i]) {
          this.runIdx++;
          this.runUsed = 0;
        }
        return { run: true, value: this.runVal[i]!, length };
      }
      const stop = this.runIdx < this.runs ? this.runAt[this.runIdx]! : this.litLen;
      if (this.litPos < stop) {
        const length = Math.min(stop - this.litPos, max);
        const bytes = this.lit.subarray(this.litPos, this.litPos + length);
        this.litPos += length;
        return { run: false, bytes };
      }
      if (!this.decodeBlock()) return undefined;
    }
  }

  /**
   * Fills `into` from the stream; returns how many bytes it got (fewer only at the end of the stream).
   * @throws {InputError} as {@link next}.
   */
  read(into: Uint8Array): number {
    let n = 0;
    while (n < into.length) {
      const piece = this.next(into.length - n);
      if (piece === undefined) break;
      if (piece.run) {
        into.fill(piece.value, n, n + piece.length);
        n += piece.length;
      } else {
        into.set(piece.bytes, n);
        n += piece.bytes.length;
      }
    }
    return n;
  }

  /** Decodes the next block; false at the end of the stream (checked: nothing may follow it). */
  private decodeBlock(): boolean {
    if (this.done) return false;
    const at = this.input.byte();
    if (this.level === 0) {
      try {
        this.level = bzip2.header(this.bits);
      } catch (error) {
        if (error instanceof InputError) throw error;
        this.fail(at, `${this.what}: not a bzip2 stream (no 'BZh1'..'BZh9' header)`);
      }
      if (!(this.level >= 1 && this.level <= BZIP2_MAX_LEVEL)) this.fail(at, `${this.what}: not a bzip2 stream`);
      return this.decodeBlock();
    }
    this.blockAt = at;
    this.litLen = 0;
    this.litPos = 0;
    this.runs = 0;
    this.runIdx = 0;
    this.runUsed = 0;
    work ??= new Int32Array(100000 * BZIP2_MAX_LEVEL);
    let crc: number | null;
    try {
      crc = bzip2.decompress(this.bits, this.sink, work, 100000 * this.level, this.crc);
    } catch (error) {
      if (error instanceof InputError) throw error;
      const detail = error instanceof Error && /crc/i.test(error.message) ? ' (CRC mismatch)' : '';
      this.fail(at, `${this.what}: bzip2 block ${this.blocks + 1} is corrupt${detail}`);
    }
    this.flushRun();
    if (crc === null) {
      this.done = true;
      const after = this.input.byte();
      if (after !== this.end) this.fail(after, `${this.what}: ${this.end - after} byte(s) after the end of its bzip2 stream`);
      return false;
    }
    this.crc = crc;
    this.blocks++;
    return true;
  }

  private pushRun(value: number, length: number): void {
    if (this.runs === this.runAt.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.runAt = grow(this.runAt, (n) => new Int32Array(n));
      this.runVal = grow(this.runVal, (n) => new Uint8Array(n));
      this.runLen = grow(this.runLen, (n) => new Int32Array(n));
    }
    this.runAt[this.runs] = this.litLen;
    this.runVal[this.runs] = value;
    this.runLen[this.runs] = length;
    this.runs++;
  }

  private pushLiteral(value: number, length: number): void {
    const need = this.litLen + length;
    if (need > this.lit.length) {
      const grown = new Uint8Array(Math.max(need, this.lit.length * 2, 64 * 1024));
      grown.set(this.lit.subarray(0, this.litLen));
      this.lit = grown;
    }
    if (length === 1) this.lit[this.litLen] = value;
    else this.lit.fill(value, this.litLen, need);
    this.litLen = need;
  }
}

interface BitInput {
  /** The decoder's bit reader: `n` bits (at most 32), most significant first; null skips to a byte boundary. */
  readonly bits: (n: number | null) => number;
  /** The byte the next bit comes from. */
  readonly byte: () => number;
}

/**
 * Bits of `bytes[start, end)`; reading past `end` calls `truncated`, which throws. A closure over
 * two numbers: the decoder calls it for every Huffman code, so it stays small.
 */
function bitInput(bytes: Uint8Array, start: number, end: number, truncated: () => never): BitInput {
  let byte = start;
  let bit = 0;
  const bits = (n: number | null): number => {
    if (n === null) {
      if (bit !== 0) {
        bit = 0;
        byte++;
      }
      return 0;
    }
    let result = 0;
    let left = n;
    while (left > 0) {
      if (byte >= end) truncated();
      const avail = 8 - bit;
      const b = bytes[byte]!;
      if (left >= avail) {
        result = (result << avail) | (b & (0xff >> bit));
        byte++;
        bit = 0;
        left -= avail;
      } else {
        result = (result << left) | ((b >> (avail - left)) & ((1 << left) - 1));
        bit += left;
        left = 0;
      }
    }
    return result;
  };
  return { bits, byte: () => byte };
}
