/**
 * What the Intel HEX and Motorola S-record readers share: the record lines of a text (one at a
 * time, each decoded from hex in one `Buffer.write`), the errors that name a line, and the image
 * the data records make (sorted by address, overlaps refused, adjacent records joined).
 *
 * Pure: no fs, no process. Addresses are numbers: both formats end at 2^32.
 */

import { objectArg } from '../args.js';
import { describeValue } from '../quote.js';
import { InputError } from '../../errors.js';

/** The two record formats. */
export type HexRecordFormat = 'ihex' | 'srec';

/** Bytes at consecutive addresses, from one or more data records. */
export interface HexRun {
  /** The address of the first byte. */
  readonly address: number;
  readonly data: Uint8Array;
  /** The 1-based line of the record holding the first byte. */
  readonly line: number;
}

/** A record file read and checked: its data as disjoint runs in address order, and what else it said. */
export interface HexImage {
  readonly format: HexRecordFormat;
  /** Sorted by address, disjoint, not adjacent (adjacent records are joined). */
  readonly runs: readonly HexRun[];
  /** Data records read (Intel HEX type 00; S1, S2, S3). */
  readonly records: number;
  /**
   * The execution start address, when the file gives one: an Intel HEX 05 record (EIP), or 03
   * (CS * 16 + IP); the address of an S7, S8 or S9 trailer.
   */
  readonly start?: number;
  /** The data of an S0 header record. */
  readonly header?: Uint8Array;
}

/** Addresses end here (exclusive): 32 bits in both formats. */
export const ADDRESS_END = 2 ** 32;

/** `0x1f40` */
export function hexAddress(n: number): string {
  return `0x${n.toString(16)}`;
}

/** The error of a record: `NAME line N: message` (with `, col C` when a column is known). */
export function lineError(name: string, line: number, message: string, col?: number): InputError {
  return new InputError(`${name} line ${line}${col !== undefined ? `, col ${col}` : ''}: ${message}`, { line, ...(col !== undefined && { column: col }) });
}

/**
 * The non-blank lines of a text, one at a time (one object, moved along: a file of a million
 * records allocates no object per line). Line breaks LF, CRLF or CR; blanks (spaces, tabs) at
 * either end of a line are ignored.
 */
export class RecordLines {
  readonly text: string;
  /** 1-based number of the current line. */
  line = 0;
  /** Where the current line's content starts and ends (blanks removed) in {@link text}. */
  start = 0;
  end = 0;
  /** Where the current line starts (for columns). */
  lineStart = 0;
  #at = 0;
  // The next LF and CR at or after #at (-1: none left), each searched again only once passed:
  // a text without CRs is searched for one once, not once per line.
  #lf = -2;
  #cr = -2;

  constructor(text: string) {
    this.text = text;
  }

  /** Moves to the next non-blank line; false at the end. */
  next(): boolean {
    const text = this.text;
    const n = text.length;
    while (this.#at < n) {
      const at = this.#at;
      this.line++;
      if (this.#lf !== -1 && this.#lf < at) this.#lf = text.indexOf('\n', at);
      if (this.#cr !== -1 && this.#cr < at) this.#cr = text.indexOf('\r', at);
      const lf = this.#lf;
      const cr = this.#cr;
      const end = lf < 0 && cr < 0 ? n : lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      this.#at = end < n && text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
      let s = at;
      let e = end;
      while (s < e && (text.charCodeAt(s) === 32 || text.charCodeAt(s) === 9)) s++;
      while (e > s && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 9)) e--;
      if (e > s) {
        this.start = s;
        this.end = e;
        this.lineStart = at;
        return true;
      }
    }
    return false;
  }

  /** Code of the current line's character `i` (from its content's start); NaN past its end. */
  charCodeAt(i: number): number {
    return this.start + i < this.end ? this.text.charCodeAt(this.start + i) : Number.NaN;
  }

  /** The current line's content from `i`. */
  slice(i = 0, j = this.end - this.start): string {
    return this.text.slice(this.start + i, this.start + Math.min(j, this.end - this.start));
  }

  /** Characters of the current line's content. */
  get length(): number {
    return this.end - this.start;
  }

  /** The 1-based column of the current line's content character `i`. */
  column(i: number): number {
    return this.start - this.lineStart + i + 1;
  }
}

/** The sum of `bytes` modulo 256 (the checksums of both formats are built on it). */
export function byteSum(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += bytes[i]!;
  return s & 0xff;
}

/**
 * Collects the data records of a file, then turns them into an {@link HexImage}'s runs. Each
 * record is decoded into one buffer right after the data kept so far, and its data moved down
 * over its header (`copyWithin`): the data lies in file order in one buffer, so records in address
 * order (as every tool writes them) become runs without a copy, and nothing is allocated per
 * record.
 */
export class RunCollector {
  readonly #name: string;
  /** The records' data in file order, then the record being read. */
  readonly bytes: Buffer;
  #used = 0;
  #address = new Float64Array(1024);
  #at = new Float64Array(1024);
  #length = new Int32Array(1024);
  #line = new Float64Array(1024);
  #count = 0;

  /** @param textLength the length of the file's text (its data takes at most half). */
  constructor(name: string, textLength: number) {
    this.#name = name;
    this.bytes = Buffer.allocUnsafe((textLength >> 1) + 1);
  }

  /**
   * Decodes the hex digits of the current line from `from` (after the start mark) into
   * {@link bytes} at {@link at}: the number of bytes, or an error naming the column of the first
   * character that is not a hex digit, or the odd count.
   */
  decode(l: RecordLines, from: number): number {
    const digits = l.length - from;
    const n = digits >> 1;
    const hex = l.slice(from);
    const written = this.bytes.write(hex, this.#used, n, 'hex');
    if (written !== n || digits % 2 !== 0) {
      const bad = hex.search(/[^0-9A-Fa-f]/);
      if (bad >= 0) {
        const ch = hex[bad]!;
        const shown = /[\x21-\x7e]/.test(ch) ? `'${ch}'` : `character U+${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
        throw lineError(this.#name, l.line, `${shown} is not a hex digit`, l.column(from + bad));
      }
      throw lineError(this.#name, l.line, `odd number of hex digits (${digits}): a record is whole bytes`);
    }
    return n;
  }

  /** Where the last {@link decode} put the record's bytes in {@link bytes}. */
  get at(): number {
    return this.#used;
  }

  /**
   * Keeps `bytes[from..to)` (of the record just decoded, not before {@link at}) as data at
   * `address` from `line` (already checked to end by 2^32). A record's pieces are kept in order.
   */
  keep(address: number, from: number, to: number, line: number): void {
    if (to <= from) return;
    if (this.#count === this.#address.length) this.#grow();
    this.bytes.copyWithin(this.#used, from, to);
    const k = this.#count++;
    this.#address[k] = address;
    this.#at[k] = this.#used;
    this.#length[k] = to - from;
    this.#line[k] = line;
    this.#used += to - from;
  }

  #grow(): void {
    const n = this.#address.length * 2;
    const more = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.#address = more(this.#address, (k) => new Float64Array(k));
    this.#at = more(this.#at, (k) => new Float64Array(k));
    this.#length = more(this.#length, (k) => new Int32Array(k));
    this.#line = more(this.#line, (k) => new Float64Array(k));
  }

  /**
   * The runs, in address order.
   * @throws InputError naming both lines when two records share an address.
   */
  runs(): HexRun[] {
    const addr = this.#address;
    const len = this.#length;
    const n = this.#count;
    let order: number[] | undefined;
    for (let i = 1; i < n; i++) {
      if (addr[i]! < addr[i - 1]!) {
        order = Array.from({ length: n }, (_, x) => x).sort((x, y) => addr[x]! - addr[y]! || x - y);
        break;
      }
    }
    const idx = (k: number): number => (order === undefined ? k : order[k]!);
    const runs: HexRun[] = [];
    let k = 0;
    while (k < n) {
      const first = idx(k);
      let end = addr[first]! + len[first]!;
      let contiguous = true; // the run's bytes lie in one stretch of the buffer
      let last = first;
      let j = k + 1;
      for (; j < n; j++) {
        const r = idx(j);
        if (addr[r]! < end) {
          const [a, b] = this.#line[r]! < this.#line[last]! ? [r, last] : [last, r];
          throw lineError(
            this.#name,
            this.#line[b]!,
            `its data ${hexAddress(addr[b]!)}..${hexAddress(addr[b]! + len[b]!)} overlaps line ${this.#line[a]!} (${hexAddress(addr[a]!)}..${hexAddress(addr[a]! + len[a]!)})`,
          );
        }
        if (addr[r]! > end) break;
        if (this.#at[r] !== this.#at[last]! + len[last]!) contiguous = false;
        end += len[r]!;
        last = r;
      }
      let data: Uint8Array;
      if (contiguous) data = this.bytes.subarray(this.#at[first]!, this.#at[first]! + (end - addr[first]!));
      else {
        const parts: Uint8Array[] = [];
        for (let m = k; m < j; m++) parts.push(this.bytes.subarray(this.#at[idx(m)]!, this.#at[idx(m)]! + len[idx(m)]!));
        data = Buffer.concat(parts);
      }
      runs.push({ address: addr[first]!, data, line: this.#line[first]! });
      k = j;
    }
    return runs;
  }
}

/** Two uppercase hex digits per byte value (the record formats write uppercase, as srec_cat and objcopy do). */
export const HEX2: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, '0'));

/** Options of the encoders. */
export interface HexEncodeOptions {
  /** The address of the first byte (default 0). */
  readonly address?: number;
  /**
   * The bytes that will be pushed: the S-record encoder chooses S1, S2 or S3 from the highest
   * address before the first record (S3 when the length is not known); pushing more, or finishing
   * with fewer, is an error. Without it, any number of bytes up to the 32-bit address limit.
   */
  readonly length?: number;
  /** Data bytes per record (default 16); records start at multiples of it, as `srec_cat -obs N -Output_Block_Alignment` writes them. */
  readonly recordBytes?: number;
  /** The execution start address: an Intel HEX 05 record, the address of the S7/S8/S9 trailer (0 without it). */
  readonly start?: number;
  /** The S0 header's data (S-records only; up to 252 bytes). Default empty. */
  readonly header?: Uint8Array;
}

/** Output is handed to the sink in pieces of about this many characters. */
const FLUSH_AT = 64 * 1024;

/**
 * The part both encoders share: the bytes pushed cut into records at multiples of the record
 * size (the last piece of a push is held until the next completes it), each record's data
 * hex-encoded with the others of its push in one `toString('hex')`, the lines gathered into
 * pieces of about 64 KiB for the sink.
 */
export abstract class RecordEncoder {
  readonly #sink: (chunk: Uint8Array) => void;
  protected readonly recordBytes: number;
  /** The address of the next byte. */
  protected next: number;
  protected readonly end: number;
  /** Whether the length was given (else `end` is the 32-bit limit). */
  protected readonly exact: boolean;
  #held: Buffer;
  #heldLength = 0;
  #out = '';
  #finished = false;

  protected constructor(options: HexEncodeOptions, sink: (chunk: Uint8Array) => void, what: string) {
    objectArg(options, `${what}: options`);
    if (typeof sink !== 'function') throw new InputError(`${what}: the sink must be a function, not ${describeValue(sink)}`);
    const address = options.address ?? 0;
    if (!Number.isSafeInteger(address) || address < 0 || address >= ADDRESS_END) throw new InputError(`${what}: address ${address} is not a 32-bit address`);
    const length = options.length;
    if (length !== undefined) {
      if (!Number.isSafeInteger(length) || length < 0) throw new InputError(`${what}: length ${length} is not a length`);
      if (address + length > ADDRESS_END) {
        throw new InputError(
          `${what}: ${length} bytes from ${hexAddress(address)} end at ${hexAddress(address + length)}, past the 32-bit addresses (0x100000000) the format has`,
        );
      }
    }
    const start = options.start;
    if (start !== undefined && (!Number.isSafeInteger(start) || start < 0 || start >= ADDRESS_END)) {
      throw new InputError(`${what}: start address ${start} is not a 32-bit address`);
    }
    this.recordBytes = options.recordBytes ?? 16;
    this.next = address;
    this.end = address + (length ?? ADDRESS_END - address);
    this.exact = length !== undefined;
    this.#sink = sink;
    this.#held = Buffer.alloc(0);
  }

  /** Most data bytes a record may hold (checked in the constructors). */
  protected checkRecordBytes(max: number, what: string): void {
    const n = this.recordBytes;
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InputError(`${what}: ${describeValue(n)} data bytes per record: 1 to ${max} fit in a record here`);
  }

  /** Where the record holding the byte at `address` ends: the next multiple of the record size (and of 64 KiB for Intel HEX). */
  protected recordEnd(address: number): number {
    const rb = this.recordBytes;
    return Math.min(this.end, (Math.floor(address / rb) + 1) * rb);
  }

  /** Adds one line (with its line break) to the output. */
  protected emit(line: string): void {
    this.#out += line;
    if (this.#out.length >= FLUSH_AT) this.#flush();
  }

  #flush(): void {
    if (this.#out.length === 0) return;
    const chunk = Buffer.from(this.#out, 'latin1');
    this.#out = '';
    this.#sink(chunk);
  }

  /** One data record: `data` at `address`, its hex `hex` (uppercase), its byte sum `sum`. */
  protected abstract record(address: number, hex: string, length: number, sum: number): void;
  /** The records after the data. */
  protected abstract trailer(): void;

  /** Encodes the next bytes (in order, from the address given). @throws InputError past `length`. */
  push(bytes: Uint8Array): void {
    if (this.#finished) throw new Error('push after finish');
    const left = this.end - this.next - this.#heldLength;
    if (bytes.length > left) {
      throw new InputError(
        this.exact
          ? `${bytes.length} bytes pushed with ${left} left of those announced`
          : `the data runs past the 32-bit addresses (0x100000000) the format has`,
      );
    }
    let b = bytes;
    if (this.#heldLength > 0) {
      // Complete the record held from the last push.
      const want = this.recordEnd(this.next) - this.next - this.#heldLength;
      const take = Math.min(want, b.length);
      this.#held.set(b.subarray(0, take), this.#heldLength);
      this.#heldLength += take;
      b = b.subarray(take);
      if (this.#heldLength < this.recordEnd(this.next) - this.next) return;
      this.#records(this.#held.subarray(0, this.#heldLength));
      this.#heldLength = 0;
    }
    // Whole records of this push, at most 64 KiB at a time (one hex string each).
    while (b.length > 0) {
      let take = 0;
      let at = this.next;
      while (take < b.length && take < FLUSH_AT / 2) {
        const e = this.recordEnd(at);
        if (take + (e - at) > b.length) break;
        take += e - at;
        at = e;
      }
      if (take === 0) break;
      this.#records(b.subarray(0, take));
      b = b.subarray(take);
    }
    if (b.length > 0) {
      if (this.#held.length < this.recordBytes) this.#held = Buffer.alloc(this.recordBytes);
      this.#held.set(b, 0);
      this.#heldLength = b.length;
    }
  }

  /** Writes `bytes`, whole records from `this.next`. */
  #records(bytes: Uint8Array): void {
    const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex').toUpperCase();
    let i = 0;
    while (i < bytes.length) {
      const n = Math.min(this.recordEnd(this.next) - this.next, bytes.length - i);
      this.record(this.next, hex.slice(2 * i, 2 * (i + n)), n, byteSum(bytes, i, i + n));
      this.next += n;
      i += n;
    }
  }

  /** Writes what is held and the closing records. @throws InputError when fewer bytes came than announced. */
  finish(): void {
    if (this.#finished) return;
    if (this.#heldLength > 0) {
      this.#records(this.#held.subarray(0, this.#heldLength));
      this.#heldLength = 0;
    }
    if (this.exact && this.next !== this.end) throw new InputError(`finished ${this.end - this.next} of the bytes announced short`);
    this.#finished = true;
    this.trailer();
    this.#flush();
  }
}
