/**
 * bzip2 streams read piece by piece, for bsdiff's control, diff and extra blocks. Pure.
 *
 * The decoding is mmapx's own (bzip2.ts, which says why not an npm decoder): a block at a time,
 * checked whole (its CRC included) before any of it is handed out, its output kept run-length
 * coded: runs of at least {@link RUN_MIN} equal bytes as (value, length), everything else as
 * literal bytes. The readers hand both out as {@link Bzip2Piece}s; bsdiff.ts turns zero runs of a
 * diff block into copies of the source, so a block of ~46 MB of zeros costs its ~900k symbols.
 */

import { Bzip2Decoder, type Fail, RUN_MIN } from './bzip2.js';

export { type Fail, RUN_MIN };

/**
 * A piece of a stream's output: literal bytes (a view into the reader's buffer, valid until its next
 * call), or `length` copies of `value`.
 */
export type Bzip2Piece = { readonly run: false; readonly bytes: Uint8Array } | { readonly run: true; readonly value: number; readonly length: number };

/**
 * One bzip2 stream in `bytes[start, end)`, read in order: {@link next} hands out pieces, {@link read}
 * fills a buffer. The stream must end exactly at `end` (its end-of-stream marker, then padding to a
 * byte boundary); a stream that runs past `end` is truncated.
 */
export class Bzip2Reader {
  private readonly d: Bzip2Decoder;
  // Where the reader is in the current block's output.
  private litPos = 0;
  private runIdx = 0;
  private runUsed = 0;

  /**
   * @param what the stream's name in messages (`control block`).
   * @param fail called with a byte offset of `bytes` and a message; must throw.
   */
  constructor(
    bytes: Uint8Array,
    start: number,
    end: number,
    private readonly what: string,
    fail: Fail,
  ) {
    this.d = new Bzip2Decoder(bytes, start, end, what, fail);
  }

  /** Where the reader is in the patch (the block being read), for messages. */
  get at(): number {
    return this.d.blockAt;
  }

  /** `control block`, or `control block (bzip2 block 2)` past its first block, for messages. */
  get where(): string {
    return this.d.blocks > 1 ? `${this.what} (bzip2 block ${this.d.blocks})` : this.what;
  }

  /**
   * The next piece of output, at most `max` (>= 1) bytes long; undefined at the end of the stream.
   * @throws {InputError} for a truncated or corrupt stream, or bytes after its end.
   */
  next(max: number): Bzip2Piece | undefined {
    const d = this.d;
    for (;;) {
      if (this.runIdx < d.runs && d.runAt[this.runIdx] === this.litPos) {
        const i = this.runIdx;
        const length = Math.min(d.runLen[i]! - this.runUsed, max);
        this.runUsed += length;
        if (this.runUsed === d.runLen[i]) {
          this.runIdx++;
          this.runUsed = 0;
        }
        return { run: true, value: d.runVal[i]!, length };
      }
      const stop = this.runIdx < d.runs ? d.runAt[this.runIdx]! : d.litLen;
      if (this.litPos < stop) {
        const length = Math.min(stop - this.litPos, max);
        const bytes = d.lit.subarray(this.litPos, this.litPos + length);
        this.litPos += length;
        return { run: false, bytes };
      }
      this.litPos = 0;
      this.runIdx = 0;
      this.runUsed = 0;
      if (!d.block()) return undefined;
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
}
