/**
 * Bounded reads of header fields for the PE and Mach-O parsers: every read is checked against the
 * part of the file the image lives in (the whole file, or one slice of a fat Mach-O) before the
 * {@link ByteSource} is asked, so a forged offset or count is an {@link ExeFormatError} naming the
 * field, never a read outside the file.
 */

import { concatBytes } from '../data.js';
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

  /**
   * The NUL-terminated string at image offset `rel`, which must end before `limit` (an image
   * offset): read in small chunks, since the names it is for are short and the table may be large.
   *
   * @throws {ExeFormatError} `rel` is not before `limit`, or no NUL comes before it.
   */
  stringAt(rel: bigint, limit: bigint, what: string): string {
    const end = limit < this.size ? limit : this.size;
    if (rel < 0n || rel >= end) throw new ExeFormatError(`${what}: offset ${formatOffset(this.start + rel)} is outside its table`);
    const parts: Uint8Array[] = [];
    for (let from = rel; from < end; from += 256n) {
      const chunk = this.bytes(from, end - from < 256n ? end - from : 256n, what);
      const nul = chunk.indexOf(0);
      parts.push(nul < 0 ? chunk.slice() : chunk.subarray(0, nul));
      if (nul >= 0) return parts.length === 1 ? utf8.decode(parts[0]) : utf8.decode(concatBytes(parts));
    }
    throw new ExeFormatError(`${what}: the string at ${formatOffset(this.start + rel)} has no NUL before the end of its table`);
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
  const nul = bytes.indexOf(0, start);
  return utf8.decode(bytes.subarray(start, nul < 0 || nul > end ? end : nul));
}

/**
 * The NUL-terminated string at `at` in a string table `table`.
 *
 * @throws {ExeFormatError} `at` is outside the table, or no NUL ends the string inside it.
 */
export function tableString(table: Uint8Array, at: number, what: string): string {
  if (at < 0 || at >= table.length)
    throw new ExeFormatError(`${what}: string offset ${formatOffset(BigInt(at))} is outside its string table (${table.length} bytes)`);
  const nul = table.indexOf(0, at);
  if (nul < 0) throw new ExeFormatError(`${what}: the string at ${formatOffset(BigInt(at))} runs to the end of its string table without a NUL`);
  return utf8.decode(table.subarray(at, nul));
}
