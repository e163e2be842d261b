/**
 * What xdelta3's secondary compressors (lzma.ts, djw.ts, fgk.ts) share: the decoder interface the VCDIFF
 * reader drives and the error they throw. Pure.
 *
 * xdelta3 keeps one secondary stream per section kind (data, instructions, addresses) for the whole
 * patch: each window's compressed section continues the stream the previous window's section of the
 * same kind left (lzma's dictionary and state, fgk's adaptive tree). A decoder is therefore made once
 * per kind and fed the sections in window order.
 */

/** A malformed compressed section: `at` is the offset in the section's compressed bytes. */
export class SectionError extends Error {
  readonly at: number;
  constructor(message: string, at: number) {
    super(message);
    this.name = 'SectionError';
    this.at = at;
  }
}

/** One secondary stream (one section kind of one patch). */
export interface SecondaryDecoder {
  /**
   * Decodes one section's compressed bytes (after the size prefix) into exactly `size` bytes, and checks
   * that it used all of `input`. State the compressor carries between sections stays in the decoder.
   * @throws {SectionError} for malformed input.
   */
  decode(input: Uint8Array, size: number): Uint8Array;
}

/**
 * Reads bits the way xdelta3's Huffman coders write them: bytes in order, each byte's bits from the
 * least significant up. `bits(n)` assembles n bits most significant first.
 */
export class BitReader {
  readonly input: Uint8Array;
  pos = 0;
  #byte = 0;
  #mask = 0x100;
  constructor(input: Uint8Array) {
    this.input = input;
  }

  /** The next bit (0 or 1). @throws {SectionError} at the end of the input. */
  bit(): number {
    if (this.#mask === 0x100) {
      if (this.pos >= this.input.length) throw new SectionError('the compressed section ends in the middle of a code', this.pos);
      this.#byte = this.input[this.pos++]!;
      this.#mask = 1;
    }
    const bit = this.#byte & this.#mask ? 1 : 0;
    this.#mask <<= 1;
    return bit;
  }

  /** The bits of the current byte not read yet (xdelta3 requires them to be zero at the end). */
  rest(): number {
    return this.#mask === 0x100 ? 0 : this.#byte & ~(this.#mask - 1) & 0xff;
  }

  /** `n` bits, the first read the most significant. */
  bits(n: number): number {
    let value = 0;
    for (let i = 0; i < n; i++) value = (value << 1) | this.bit();
    return value;
  }
}
