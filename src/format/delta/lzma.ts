/**
 * xdelta3's `lzma` secondary compressor (id 2), decoded. Pure.
 *
 * What xdelta3 writes (xdelta3-lzma.h, from liblzma): one .xz stream per section kind for the whole
 * patch (`lzma_stream_encoder`, filter LZMA2, check NONE), fed each window's section and then
 * `LZMA_SYNC_FLUSH`ed, never finished. So the first compressed section of a kind starts with the xz
 * stream header (12 bytes) and a block header; every section then holds whole LZMA2 chunks, and the
 * stream never reaches the LZMA2 end marker, the block's check, the index or the stream footer. A
 * chunk after a sync flush resets nothing: the LZMA state and the dictionary carry across sections
 * (and so across windows), which is why the decoder below keeps them between `decode` calls.
 *
 * No npm package fits this use: the pure-JS LZMA packages decode LZMA1 "alone" files, the WebAssembly
 * xz decoder is asynchronous (a web ReadableStream) while delta ops are produced synchronously, and a
 * decoder that only accepts whole, finished .xz files cannot decode a stream that is never finished
 * without decoding every earlier section again. The decoder is written from the .xz file format
 * specification (stream header, block header, LZMA2 chunks) and the LZMA specification of the LZMA SDK
 * (range coder, probability model, literal/match/rep coding).
 *
 * Hostile input: every read is bounds-checked against the section; the dictionary grows with the bytes
 * actually decoded (never to a size read from the header); the output grows chunk by chunk.
 */

import { type SecondaryDecoder, SectionError } from './vcdiff-secondary.js';

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] as const;
const LZMA2_FILTER = 0x21;

// The LZMA probability model: 11-bit probabilities, adapted by 1/32 of the distance to 0 or 1.
const PROB_INIT = 1024;
const TOP = 1 << 24;
const STATES = 12;
const POS_STATES_MAX = 16; // pb <= 4
const LEN_LOW = 8;
const LEN_MID = 8;
const LEN_HIGH = 256;
const MATCH_MIN = 2;
const DIST_SLOTS = 64;
const END_POS_MODEL = 14;
const FULL_DISTANCES = 128;
const ALIGN_BITS = 4;

/** The probabilities of one length coder (matches, or repeated matches). */
class LenModel {
  readonly choice = new Uint16Array(2);
  readonly low = new Uint16Array(POS_STATES_MAX * LEN_LOW);
  readonly mid = new Uint16Array(POS_STATES_MAX * LEN_MID);
  readonly high = new Uint16Array(LEN_HIGH);
  reset(): void {
    this.choice.fill(PROB_INIT);
    this.low.fill(PROB_INIT);
    this.mid.fill(PROB_INIT);
    this.high.fill(PROB_INIT);
  }
}

/** One section kind's xz/LZMA2 stream, decoded section by section. */
export class XzSectionDecoder implements SecondaryDecoder {
  /** 0: before the stream header, 1: before the block header, 2: in the LZMA2 chunks. */
  #phase = 0;
  #needDictReset = true;
  #needProps = true;
  #needStateReset = true;

  // The dictionary: a circular buffer that grows (while it has not wrapped) up to the block's size.
  #dictMax = 0;
  #dict = new Uint8Array(0);
  #dictPos = 0;
  #dictFull = 0;
  /** Bytes since the last dictionary reset: the position the literal and pos-state contexts read. */
  #total = 0;

  // The LZMA model.
  #lc = 0;
  #lp = 0;
  #pbMask = 0;
  #state = 0;
  #rep0 = 0;
  #rep1 = 0;
  #rep2 = 0;
  #rep3 = 0;
  readonly #isMatch = new Uint16Array(STATES * POS_STATES_MAX);
  readonly #isRep = new Uint16Array(STATES);
  readonly #isRepG0 = new Uint16Array(STATES);
  readonly #isRepG1 = new Uint16Array(STATES);
  readonly #isRepG2 = new Uint16Array(STATES);
  readonly #isRep0Long = new Uint16Array(STATES * POS_STATES_MAX);
  readonly #distSlot = new Uint16Array(4 * DIST_SLOTS);
  readonly #distSpecial = new Uint16Array(1 + FULL_DISTANCES - END_POS_MODEL);
  readonly #align = new Uint16Array(1 << ALIGN_BITS);
  readonly #len = new LenModel();
  readonly #repLen = new LenModel();
  #literal = new Uint16Array(0x300);

  // The range decoder of the current chunk.
  #in: Uint8Array = new Uint8Array(0);
  #ip = 0;
  #inEnd = 0;
  #range = 0;
  #code = 0;

  // The output of the current section.
  #out = new Uint8Array(0);
  #outPos = 0;
  #outSize = 0;

  decode(input: Uint8Array, size: number): Uint8Array {
    this.#in = input;
    this.#out = new Uint8Array(Math.min(size, 1 << 16));
    this.#outPos = 0;
    this.#outSize = size;
    let ip = 0;
    while (this.#outPos < size) {
      if (this.#phase === 0) ip = this.#streamHeader(input, ip);
      else if (this.#phase === 1) ip = this.#blockHeader(input, ip);
      else ip = this.#chunk(input, ip);
    }
    if (ip !== input.length) throw new SectionError(`${input.length - ip} bytes after the section's last chunk`, ip);
    const out = this.#out.length === size ? this.#out : this.#out.slice(0, size);
    this.#out = new Uint8Array(0);
    this.#in = new Uint8Array(0);
    return out;
  }

  #need(input: Uint8Array, at: number, n: number, what: string): void {
    if (input.length - at < n) throw new SectionError(`the section ends inside the ${what}`, at);
  }

  #streamHeader(input: Uint8Array, at: number): number {
    this.#need(input, at, 12, 'xz stream header');
    for (let i = 0; i < XZ_MAGIC.length; i++) {
      if (input[at + i] !== XZ_MAGIC[i]) throw new SectionError('not an xz stream (bad magic)', at + i);
    }
    // Stream flags: a zero byte, then the check type in the low 4 bits (the check is never reached).
    if (input[at + 6] !== 0 || (input[at + 7]! & 0xf0) !== 0) throw new SectionError('unsupported xz stream flags', at + 6);
    this.#phase = 1;
    return at + 12;
  }

  #blockHeader(input: Uint8Array, at: number): number {
    this.#need(input, at, 1, 'xz block header');
    const sizeByte = input[at]!;
    if (sizeByte === 0) throw new SectionError('xz index where a block was expected', at);
    const size = (sizeByte + 1) * 4;
    this.#need(input, at, size, 'xz block header');
    const end = at + size - 4; // the CRC32 follows
    const flags = input[at + 1]!;
    if (flags & 0x3c) throw new SectionError('reserved xz block flags set', at + 1);
    let p = at + 2;
    const vli = (): number => {
      let value = 0;
      for (let i = 0; i < 9; i++) {
        if (p >= end) throw new SectionError('xz block header overrun', p);
        const b = input[p++]!;
        value += (b & 0x7f) * 2 ** (7 * i);
        if ((b & 0x80) === 0) return value;
      }
      throw new SectionError('xz integer longer than 9 bytes', p);
    };
    if (flags & 0x40) vli(); // compressed size
    if (flags & 0x80) vli(); // uncompressed size
    const filters = (flags & 3) + 1;
    const id = vli();
    const propsSize = vli();
    if (filters !== 1 || id !== LZMA2_FILTER) {
      throw new SectionError(`xz filter chain ${filters === 1 ? `0x${id.toString(16)}` : `of ${filters} filters`} is not supported (only LZMA2)`, at + 2);
    }
    if (propsSize !== 1 || p >= end) throw new SectionError('LZMA2 filter properties must be one byte', p);
    const dictProp = input[p++]!;
    if (dictProp > 40) throw new SectionError(`LZMA2 dictionary size byte ${dictProp} (at most 40)`, p - 1);
    this.#dictMax = dictProp === 40 ? 0xffffffff : (2 | (dictProp & 1)) * 2 ** ((dictProp >>> 1) + 11);
    for (; p < end; p++) if (input[p] !== 0) throw new SectionError('xz block header padding is not zero', p);
    this.#phase = 2;
    return at + size;
  }

  #chunk(input: Uint8Array, at: number): number {
    this.#need(input, at, 1, 'LZMA2 chunk header');
    const control = input[at]!;
    if (control === 0) throw new SectionError('the LZMA2 stream ends before the section does', at);
    if (control === 1 || control === 2) {
      this.#need(input, at, 3, 'LZMA2 chunk header');
      const n = ((input[at + 1]! << 8) | input[at + 2]!) + 1;
      if (control === 1) this.#resetDict();
      else if (this.#needDictReset) throw new SectionError('first LZMA2 chunk does not reset the dictionary', at);
      this.#need(input, at + 3, n, 'uncompressed LZMA2 chunk');
      this.#reserve(n, at);
      const data = input.subarray(at + 3, at + 3 + n);
      this.#out.set(data, this.#outPos);
      this.#outPos += n;
      for (let i = 0; i < n; i++) this.#put(data[i]!);
      return at + 3 + n;
    }
    if (control < 0x80) throw new SectionError(`invalid LZMA2 chunk control byte 0x${control.toString(16)}`, at);
    const reset = (control >>> 5) & 3;
    const headerSize = reset >= 2 ? 6 : 5;
    this.#need(input, at, headerSize, 'LZMA2 chunk header');
    const unpacked = (control & 0x1f) * 65536 + ((input[at + 1]! << 8) | input[at + 2]!) + 1;
    const packed = ((input[at + 3]! << 8) | input[at + 4]!) + 1;
    if (reset === 3) this.#resetDict();
    else if (this.#needDictReset) throw new SectionError('first LZMA2 chunk does not reset the dictionary', at);
    if (reset >= 2) this.#setProps(input[at + 5]!, at + 5);
    else if (this.#needProps) throw new SectionError('LZMA2 chunk without properties', at);
    if (reset >= 1) this.#resetState();
    else if (this.#needStateReset) throw new SectionError('LZMA2 chunk without a state reset', at);
    const start = at + headerSize;
    this.#need(input, start, packed, 'compressed LZMA2 chunk');
    this.#reserve(unpacked, at);
    this.#decodeChunk(start, start + packed, unpacked);
    return start + packed;
  }

  /** Room for `n` more output bytes (growing the output), or an error past the section's size. */
  #reserve(n: number, at: number): void {
    const end = this.#outPos + n;
    if (end > this.#outSize) throw new SectionError(`LZMA2 chunk runs ${end - this.#outSize} bytes past the section's size`, at);
    if (end > this.#out.length) {
      const grown = new Uint8Array(Math.min(this.#outSize, Math.max(end, this.#out.length * 2)));
      grown.set(this.#out.subarray(0, this.#outPos));
      this.#out = grown;
    }
  }

  #resetDict(): void {
    // As liblzma: after a dictionary reset the next LZMA chunk must set the properties.
    this.#needDictReset = false;
    this.#needProps = true;
    this.#dict = new Uint8Array(Math.min(this.#dictMax, 1 << 16));
    this.#dictPos = 0;
    this.#dictFull = 0;
    this.#total = 0;
  }

  #setProps(byte: number, at: number): void {
    if (byte >= 9 * 5 * 5) throw new SectionError(`invalid LZMA properties byte 0x${byte.toString(16)}`, at);
    const lc = byte % 9;
    const lp = Math.floor(byte / 9) % 5;
    const pb = Math.floor(byte / 45);
    if (lc + lp > 4) throw new SectionError(`LZMA2 needs lc + lp <= 4 (lc ${lc}, lp ${lp})`, at);
    this.#lc = lc;
    this.#lp = lp;
    this.#pbMask = (1 << pb) - 1;
    this.#literal = new Uint16Array(0x300 << (lc + lp));
    this.#needProps = false;
  }

  #resetState(): void {
    this.#needStateReset = false;
    this.#state = 0;
    this.#rep0 = this.#rep1 = this.#rep2 = this.#rep3 = 0;
    this.#isMatch.fill(PROB_INIT);
    this.#isRep.fill(PROB_INIT);
    this.#isRepG0.fill(PROB_INIT);
    this.#isRepG1.fill(PROB_INIT);
    this.#isRepG2.fill(PROB_INIT);
    this.#isRep0Long.fill(PROB_INIT);
    this.#distSlot.fill(PROB_INIT);
    this.#distSpecial.fill(PROB_INIT);
    this.#align.fill(PROB_INIT);
    this.#len.reset();
    this.#repLen.reset();
    this.#literal.fill(PROB_INIT);
  }

  /** Appends one byte to the dictionary (growing it until it reaches its size, then wrapping). */
  #put(byte: number): void {
    if (this.#dictPos === this.#dict.length) {
      if (this.#dict.length < this.#dictMax) {
        const grown = new Uint8Array(Math.min(this.#dictMax, this.#dict.length * 2));
        grown.set(this.#dict);
        this.#dict = grown;
      } else {
        this.#dictPos = 0;
      }
    }
    this.#dict[this.#dictPos++] = byte;
    if (this.#dictFull < this.#dict.length) this.#dictFull++;
    this.#total++;
  }

  /** The byte `distance` back (1: the last byte). The caller checks `distance <= #dictFull`. */
  #back(distance: number): number {
    let i = this.#dictPos - distance;
    if (i < 0) i += this.#dict.length;
    return this.#dict[i]!;
  }

  // ---- the range decoder (normalised before each bit, as the encoder's output is counted)

  #nextByte(): number {
    if (this.#ip >= this.#inEnd) throw new SectionError('compressed LZMA2 chunk overrun', this.#ip);
    return this.#in[this.#ip++]!;
  }

  #bit(probs: Uint16Array, i: number): number {
    if (this.#range < TOP) {
      this.#range = (this.#range << 8) >>> 0;
      this.#code = ((this.#code << 8) | this.#nextByte()) >>> 0;
    }
    const p = probs[i]!;
    const bound = (this.#range >>> 11) * p;
    if (this.#code < bound) {
      this.#range = bound;
      probs[i] = p + ((2048 - p) >>> 5);
      return 0;
    }
    this.#range -= bound;
    this.#code -= bound;
    probs[i] = p - (p >>> 5);
    return 1;
  }

  #direct(n: number): number {
    let value = 0;
    for (let i = 0; i < n; i++) {
      if (this.#range < TOP) {
        this.#range = (this.#range << 8) >>> 0;
        this.#code = ((this.#code << 8) | this.#nextByte()) >>> 0;
      }
      this.#range = this.#range >>> 1;
      let bit = 0;
      if (this.#code >= this.#range) {
        this.#code -= this.#range;
        bit = 1;
      }
      value = value * 2 + bit;
    }
    return value;
  }

  #tree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) | this.#bit(probs, base + m);
    return m - (1 << bits);
  }

  #reverseTree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    let value = 0;
    for (let i = 0; i < bits; i++) {
      const bit = this.#bit(probs, base + m);
      m = (m << 1) | bit;
      value |= bit << i;
    }
    return value;
  }

  #length(model: LenModel, posState: number): number {
    if (this.#bit(model.choice, 0) === 0) return this.#tree(model.low, posState * LEN_LOW, 3);
    if (this.#bit(model.choice, 1) === 0) return LEN_LOW + this.#tree(model.mid, posState * LEN_MID, 3);
    return LEN_LOW + LEN_MID + this.#tree(model.high, 0, 8);
  }

  #distance(len: number): number {
    const lenState = len < 3 ? len : 3;
    const slot = this.#tree(this.#distSlot, lenState * DIST_SLOTS, 6);
    if (slot < 4) return slot;
    const direct = (slot >>> 1) - 1;
    let dist = (2 | (slot & 1)) * 2 ** direct;
    if (slot < END_POS_MODEL) return dist + this.#reverseTree(this.#distSpecial, dist - slot, direct);
    dist += this.#direct(direct - ALIGN_BITS) * (1 << ALIGN_BITS);
    return dist + this.#reverseTree(this.#align, 0, ALIGN_BITS);
  }

  /** Decodes one LZMA chunk's compressed bytes `[start, end)` into `unpacked` bytes. */
  #decodeChunk(start: number, end: number, unpacked: number): void {
    this.#ip = start;
    this.#inEnd = end;
    if (this.#nextByte() !== 0) throw new SectionError('LZMA chunk does not start with a zero byte', start);
    this.#code = 0;
    for (let i = 0; i < 4; i++) this.#code = ((this.#code << 8) | this.#nextByte()) >>> 0;
    this.#range = 0xffffffff;
    const out = this.#out;
    const stop = this.#outPos + unpacked;
    const lpMask = (1 << this.#lp) - 1;
    const lc = this.#lc;
    while (this.#outPos < stop) {
      const posState = this.#total & this.#pbMask;
      const state = this.#state;
      if (this.#bit(this.#isMatch, state * POS_STATES_MAX + posState) === 0) {
        // A literal, in the context of the previous byte and the position; after a match, coded
        // against the byte at the last distance until a bit differs.
        const prev = this.#dictFull > 0 ? this.#back(1) : 0;
        const base = 0x300 * (((this.#total & lpMask) << lc) + (prev >>> (8 - lc)));
        let symbol = 1;
        if (state >= 7) {
          if (this.#rep0 >= this.#dictFull) throw new SectionError('match distance before the start of the data', this.#ip);
          let matchByte = this.#back(this.#rep0 + 1);
          while (symbol < 0x100) {
            const matchBit = (matchByte >>> 7) & 1;
            matchByte <<= 1;
            const bit = this.#bit(this.#literal, base + ((1 + matchBit) << 8) + symbol);
            symbol = (symbol << 1) | bit;
            if (matchBit !== bit) break;
          }
        }
        while (symbol < 0x100) symbol = (symbol << 1) | this.#bit(this.#literal, base + symbol);
        const byte = symbol - 0x100;
        out[this.#outPos++] = byte;
        this.#put(byte);
        this.#state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      let len: number;
      if (this.#bit(this.#isRep, state) === 0) {
        len = this.#length(this.#len, posState);
        this.#state = state < 7 ? 7 : 10;
        const dist = this.#distance(len);
        if (dist === 0xffffffff) throw new SectionError('end marker inside an LZMA2 chunk', this.#ip);
        this.#rep3 = this.#rep2;
        this.#rep2 = this.#rep1;
        this.#rep1 = this.#rep0;
        this.#rep0 = dist;
      } else {
        if (this.#dictFull === 0) throw new SectionError('repeated match before any data', this.#ip);
        if (this.#bit(this.#isRepG0, state) === 0) {
          if (this.#bit(this.#isRep0Long, state * POS_STATES_MAX + posState) === 0) {
            // A single byte at the last distance.
            this.#state = state < 7 ? 9 : 11;
            if (this.#rep0 >= this.#dictFull) throw new SectionError('match distance before the start of the data', this.#ip);
            const byte = this.#back(this.#rep0 + 1);
            out[this.#outPos++] = byte;
            this.#put(byte);
            continue;
          }
        } else {
          let dist: number;
          if (this.#bit(this.#isRepG1, state) === 0) {
            dist = this.#rep1;
          } else {
            if (this.#bit(this.#isRepG2, state) === 0) {
              dist = this.#rep2;
            } else {
              dist = this.#rep3;
              this.#rep3 = this.#rep2;
            }
            this.#rep2 = this.#rep1;
          }
          this.#rep1 = this.#rep0;
          this.#rep0 = dist;
        }
        len = this.#length(this.#repLen, posState);
        this.#state = state < 7 ? 8 : 11;
      }
      const n = len + MATCH_MIN;
      const distance = this.#rep0 + 1;
      if (this.#rep0 >= this.#dictFull) throw new SectionError('match distance before the start of the data', this.#ip);
      if (this.#outPos + n > stop) throw new SectionError('match runs past the end of its LZMA2 chunk', this.#ip);
      for (let i = 0; i < n; i++) {
        const byte = this.#back(distance);
        out[this.#outPos++] = byte;
        this.#put(byte);
      }
    }
    // The encoder's flush covers a last normalisation: read its byte, then the chunk must be used up.
    if (this.#range < TOP) this.#code = ((this.#code << 8) | this.#nextByte()) >>> 0;
    if (this.#ip !== end || this.#code !== 0) throw new SectionError('LZMA chunk does not end where its header says', this.#ip);
  }
}
