/**
 * Bounded reads of header fields for the PE and Mach-O parsers: every read is checked against the
 * part of the file the image lives in (the whole file, or one slice of a fat Mach-O) before the
 * {@link ByteSource} is asked, so a forged offset or count is an {@link ExeFormatError} naming the
 * field, never a read outside the file.
 */

import { formatOffset } from '../number.js';
import { type ByteSource, ExeFormatError } from './types.js';

const utf8 = new TextDecoder('utf-8');

/** The bytes `[start, end)` of `src` (file offsets), read with one byte order. */
export class Fields {
  constructor(
    readonly src: ByteSource,
    /** File offset of the image's first byte. */
    readonly start: bigint,
    /** File offset just past the image's last byte (<= src.size). */
    readonly end: bigint,
    readonly little: boolean,
  ) {}

  /** The image's size in bytes. */
  get size(): bigint {
    return this.end - this.start;
  }

  /** Whether `length` bytes at image offset `rel` are inside the image. */
  fits(rel: bigint, length: bigint): boolean {
    return rel >= 0n && length >= 0n && rel <= this.size && length <= this.size - rel;
  }

  /**
   * `length` bytes at image offset `rel`, a view that may share memory with the source.
   *
   * @throws {ExeFormatError} the bytes are not all inside the image; `what` names them.
   */
  bytes(rel: bigint, length: number | bigint, what: string): Uint8Array {
    const n = BigInt(length);
    if (!this.fits(rel, n)) {
      throw new ExeFormatError(
        `${what}: ${n} bytes at ${formatOffset(this.start + rel)} are outside the ${this.start === 0n ? 'file' : 'slice'} (it ends at ${formatOffset(this.end)})`,
      );
    }
    if (n > 0x7fffffffn) throw new ExeFormatError(`${what}: ${n} bytes is too large a table`);
    return this.src.read(this.start + rel, Number(n));
  }

  /** A DataView over {@link bytes}. */
  view(rel: bigint, length: number | bigint, what: string): DataView {
    const b = this.bytes(rel, length, what);
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  u16(rel: bigint, what: string): number {
    return this.view(rel, 2, what).getUint16(0, this.little);
  }

  u32(rel: bigint, what: string): number {
    return this.view(rel, 4, what).getUint32(0, this.little);
  }
}

/** The text of `bytes[start, end)` up to its first NUL (the whole span when there is none). */
export function cString(bytes: Uint8Array, start = 0, end = bytes.length): string {
  // The search stays inside the span: a run without NULs must not cost a scan of the whole table per name.
  const span = bytes.subarray(start, end);
  const nul = span.indexOf(0);
  return utf8.decode(nul < 0 ? span : span.subarray(0, nul));
}

/** Names up to this long cost little each: they do not count against a table's budget. */
const SHORT_NAME = 64;

/**
 * A string table (NUL-terminated names at offsets): COFF's, Mach-O's, a PE export directory's.
 * The names longer than {@link SHORT_NAME} bytes are decoded once each, and the bytes looked
 * through for their ends may add up to 4 times the table's size: a forged file whose thousands of
 * symbols start at successive offsets of one long string is an error, not minutes of scanning and
 * gigabytes of strings.
 */
export class NameTable {
  private readonly long = new Map<number, string>();
  private budget: number;

  constructor(
    readonly bytes: Uint8Array,
    /** Names the table in messages: `COFF string table`. */
    readonly what: string,
  ) {
    this.budget = 4 * bytes.length;
  }

  /**
   * The name at `at`.
   *
   * @throws {ExeFormatError} `at` is outside the table, no NUL ends the name inside it, or the long
   *   names read so far add up to more than the table's budget; `what` names the reader.
   */
  name(at: number, what: string): string {
    const b = this.bytes;
    if (!(at >= 0 && at < b.length))
      throw new ExeFormatError(`${what}: name offset ${formatOffset(BigInt(at))} is outside the ${this.what} (${b.length} bytes)`);
    // Short names: a bounded look for their NUL.
    const near = b.subarray(at, at + SHORT_NAME + 1).indexOf(0);
    if (near >= 0) return utf8.decode(b.subarray(at, at + near));
    const cached = this.long.get(at);
    if (cached !== undefined) return cached;
    // The scan costs the name's length, which is what the budget counts (the one scan that
    // overdraws it is at most the table's size).
    const end = b.indexOf(0, at);
    if (end < 0) throw new ExeFormatError(`${what}: the name at ${formatOffset(BigInt(at))} runs to the end of the ${this.what} without a NUL`);
    this.budget -= end - at;
    if (this.budget < 0) {
      throw new ExeFormatError(`${what}: the long names of the ${this.what} add up to more than 4 times its size (names overlapping to inflate it?)`);
    }
    const name = utf8.decode(b.subarray(at, end));
    this.long.set(at, name);
    return name;
  }
}
