/**
 * What the byte-oriented delta formats (IPS32, UPS, BPS) share: a bounds-checked reader of a patch
 * held in memory whose every error names the patch and the byte offset (`NAME byte 0x1f: ...`),
 * the varint of byuu's UPS and BPS, and a writer that hands the encoded patch out in pieces with
 * a running CRC-32 (so that an encoder never holds the whole patch).
 */

import { InputError } from '../../errors.js';
import { formatCrc32 } from '../digest.js';
import { formatOffset } from '../number.js';
import { crc32 } from './crc32.js';
import type { Delta, DeltaCheck } from './model.js';

/** `0x1f` for offsets and sizes in messages. */
export const hex = (n: bigint | number): string => formatOffset(BigInt(n));

/** A CRC-32 in a message: `0x` and 8 hex digits. */
export const crcHex = (value: number): string => `0x${formatCrc32(value)}`;

/** The largest value a UPS/BPS varint may hold (64 bits, as the reference decoders read them). */
const VARINT_MAX = (1n << 64n) - 1n;

/**
 * Reads a patch held in memory, from `pos` up to `end` (exclusive: the format's trailer may sit
 * beyond it). Every read is checked against `end`; every failure is a one-line InputError naming
 * the patch and the byte offset where the problem starts.
 */
export class PatchReader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly name: string,
    readonly end: number = bytes.length,
    start = 0,
  ) {
    this.pos = start;
  }

  /** @throws {InputError} `NAME byte 0x..: message`. */
  fail(at: number, message: string): never {
    throw new InputError(`${this.name} byte ${hex(at)}: ${message}`, { position: at });
  }

  /** Bytes left before `end`. */
  get left(): number {
    return this.end - this.pos;
  }

  /** Fails unless `n` bytes are left for `what`. */
  need(n: number, what: string): void {
    if (n > this.end - this.pos) this.fail(this.pos, `truncated: ${what} needs ${n} byte(s), ${Math.max(0, this.end - this.pos)} left`);
  }

  /** The next `n` bytes (a view into the patch, not a copy). */
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /**
   * A UPS/BPS varint: 7 bits a byte, least significant first, the high bit set on the last byte,
   * and each continuation adding one more step (so that every value has exactly one encoding).
   * @throws {InputError} at the varint's first byte when it runs past `end` or past 2^64 - 1.
   */
  varint(what: string): bigint {
    const start = this.pos;
    const b = this.bytes;
    let pos = start;
    // Seven bytes stay below 2^50: plain numbers, exact; longer ones go on in BigInt.
    let small = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (pos >= this.end) return this.fail(start, `truncated: the ${what} (a varint) runs past the end of ${this.#where()}`);
      const x = b[pos++]!;
      small += (x & 0x7f) * scale;
      if (x & 0x80) {
        this.pos = pos;
        return BigInt(small);
      }
      scale *= 128;
      small += scale;
    }
    let value = BigInt(small);
    let big = BigInt(scale);
    for (;;) {
      if (pos >= this.end) return this.fail(start, `truncated: the ${what} (a varint) runs past the end of ${this.#where()}`);
      const x = b[pos++]!;
      value += BigInt(x & 0x7f) * big;
      if (value > VARINT_MAX) return this.fail(start, `the ${what} (a varint) is larger than 2^64 - 1`);
      if (x & 0x80) {
        this.pos = pos;
        return value;
      }
      big <<= 7n;
      value += big;
    }
  }

  #where(): string {
    return this.end === this.bytes.length ? 'the patch' : `the patch's body (its checksums start at ${hex(this.end)})`;
  }
}

export function u32beAt(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

export function u32leAt(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** True when `bytes` starts with the ASCII `magic`. */
export function startsWith(bytes: Uint8Array, magic: string): boolean {
  if (bytes.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic.charCodeAt(i)) return false;
  return true;
}

/**
 * Collects an encoded patch into pieces of about {@link PieceWriter.CHUNK} bytes (a large byte run
 * passes through as its own piece, without a copy) and keeps the CRC-32 of everything written.
 * An encoder writes, then hands out the pieces {@link take} returns; the caller may keep them (a
 * passed-through run is the caller's own array, never written to).
 */
export class PieceWriter {
  static readonly CHUNK = 64 * 1024;
  #buf = new Uint8Array(PieceWriter.CHUNK);
  #pos = 0;
  #ready: Uint8Array[] = [];
  #crc = 0;

  /** CRC-32 of every byte written so far. */
  get crc(): number {
    this.#flush();
    return this.#crc;
  }

  bytes(b: Uint8Array): void {
    if (b.length >= PieceWriter.CHUNK / 2) {
      this.#flush();
      this.#emit(b);
      return;
    }
    if (b.length > this.#buf.length - this.#pos) this.#flush();
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }

  byte(v: number): void {
    if (this.#pos === this.#buf.length) this.#flush();
    this.#buf[this.#pos++] = v;
  }

  ascii(text: string): void {
    for (let i = 0; i < text.length; i++) this.byte(text.charCodeAt(i));
  }

  u16be(v: number): void {
    this.byte((v >>> 8) & 0xff);
    this.byte(v & 0xff);
  }

  u32be(v: number): void {
    this.u16be(v >>> 16);
    this.u16be(v & 0xffff);
  }

  u32le(v: number): void {
    this.byte(v & 0xff);
    this.byte((v >>> 8) & 0xff);
    this.byte((v >>> 16) & 0xff);
    this.byte(v >>> 24);
  }

  /** A UPS/BPS varint (see {@link PatchReader.varint}); `value` from 0 to 2^64 - 1. */
  varint(value: bigint): void {
    if (value < 0n || value > VARINT_MAX) throw new InputError(`a UPS/BPS varint holds 0 to 2^64 - 1, not ${value}`);
    if (value <= BigInt(Number.MAX_SAFE_INTEGER)) {
      let v = Number(value);
      for (;;) {
        const x = v % 128;
        v = Math.floor(v / 128);
        if (v === 0) {
          this.byte(0x80 | x);
          return;
        }
        this.byte(x);
        v -= 1;
      }
    }
    let v = value;
    for (;;) {
      const x = Number(v & 0x7fn);
      v >>= 7n;
      if (v === 0n) {
        this.byte(0x80 | x);
        return;
      }
      this.byte(x);
      v -= 1n;
    }
  }

  /** Whether {@link take} has pieces to hand out. */
  get ready(): boolean {
    return this.#ready.length > 0;
  }

  /** The pieces completed since the last call (the bytes still buffered stay). */
  take(): Uint8Array[] {
    const out = this.#ready;
    if (out.length > 0) this.#ready = [];
    return out;
  }

  /** Everything written and not yet taken, including the buffered bytes. */
  finish(): Uint8Array[] {
    this.#flush();
    return this.take();
  }

  #flush(): void {
    if (this.#pos === 0) return;
    // A full buffer goes out as it is and a new one takes its place; a partial one is copied.
    const full = this.#pos === this.#buf.length;
    const piece = full ? this.#buf : this.#buf.slice(0, this.#pos);
    if (full) this.#buf = new Uint8Array(PieceWriter.CHUNK);
    this.#pos = 0;
    this.#emit(piece);
  }

  #emit(piece: Uint8Array): void {
    this.#crc = crc32(piece, this.#crc);
    this.#ready.push(piece);
  }
}

/** A decoded UPS or BPS patch: both sizes and three checks are always there. */
export interface BeatDelta extends Delta {
  readonly sourceSize: bigint;
  readonly targetSize: bigint;
  /** Source, target and patch CRC-32, in that order. */
  readonly checks: readonly [DeltaCheck, DeltaCheck, DeltaCheck];
}

/** What UPS and BPS share around their bodies: the magic, both sizes, and the CRC-32 trailer. */
export interface BeatFrame {
  /** Positioned after the two sizes, ending where the trailer starts. */
  readonly body: PatchReader;
  readonly sourceSize: bigint;
  readonly targetSize: bigint;
  /** The source, target and patch CRC-32 the trailer records. */
  readonly sourceCrc: number;
  readonly targetCrc: number;
  readonly patchCrc: number;
}

/**
 * Opens a UPS or BPS patch: checks the magic and the patch CRC-32 (over every byte before it),
 * reads the two sizes. `least` is the smallest patch of the format.
 * @throws {InputError} naming the byte: wrong magic, too short, a patch CRC that does not match.
 */
export function openBeatPatch(bytes: Uint8Array, name: string, magic: 'UPS1' | 'BPS1', least: number): BeatFrame {
  const all = new PatchReader(bytes, name);
  const format = magic.slice(0, 3);
  if (!startsWith(bytes, magic)) all.fail(0, `not ${format === 'UPS' ? 'a UPS' : 'a BPS'} patch: no '${magic}' header`);
  if (bytes.length < least) all.fail(bytes.length, `truncated: ${bytes.length} byte(s), ${format === 'UPS' ? 'a UPS' : 'a BPS'} patch has at least ${least}`);
  const trailer = bytes.length - 12;
  const patchCrc = u32leAt(bytes, trailer + 8);
  const computed = crc32(bytes.subarray(0, trailer + 8));
  if (computed !== patchCrc) {
    all.fail(trailer + 8, `the patch's CRC-32 does not match: it records ${crcHex(patchCrc)}, its bytes give ${crcHex(computed)} (truncated or damaged)`);
  }
  const body = new PatchReader(bytes, name, trailer, magic.length);
  const sourceSize = body.varint('source size');
  const targetSize = body.varint('target size');
  return { body, sourceSize, targetSize, sourceCrc: u32leAt(bytes, trailer), targetCrc: u32leAt(bytes, trailer + 4), patchCrc };
}

/** The three whole-file checks of UPS and BPS, in the order source, target, patch. */
export function beatChecks(source: number, target: number, patch: number): [DeltaCheck, DeltaCheck, DeltaCheck] {
  return [
    { algorithm: 'crc32', of: 'source', value: source },
    { algorithm: 'crc32', of: 'target', value: target },
    { algorithm: 'crc32', of: 'patch', value: patch },
  ];
}
