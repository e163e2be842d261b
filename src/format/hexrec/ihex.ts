/**
 * Intel HEX: `:LLAAAATT<data>CC` lines, LL data bytes at the 16-bit offset AAAA, record type TT,
 * CC the two's complement of the sum of the other bytes.
 *
 * ```text
 * 00 data            01 end of file (no data)      02 extended segment address (SBA: base = SBA * 16)
 * 03 start CS:IP     04 extended linear address (ULBA: base = ULBA * 65536)    05 start EIP
 * ```
 *
 * Reading follows the specification (Intel, Hexadecimal Object File Format, 1988): after an 04
 * record the address of a data byte is linear, ULBA * 65536 + AAAA + i, so a record may run on
 * past a 64 KiB boundary (srec_cat writes such records); after an 02 record it wraps inside the
 * segment, SBA * 16 + ((AAAA + i) mod 65536). Every record's checksum is verified; the file must
 * end with an 01 record, and nothing but blank lines may follow it.
 *
 * Writing: LF line breaks (srec_cat's on Unix; a reader takes LF, CRLF or CR alike), 16 data bytes
 * per record at addresses that are multiples of 16 (the first and last may be shorter), so that no
 * record crosses a 64 KiB boundary, an 04 record before the first data record and at every 64 KiB
 * boundary crossed, an 05 record when a start address is given, the 01 record. This is byte for
 * byte what `srec_cat FILE -binary -offset BASE -o - -intel -obs 16 -Output_Block_Alignment`
 * writes (with `-execution-start-address` for 05).
 */

import { bytesArg, objectArg, stringArg, textArg } from '../args.js';
import { type HexEncodeOptions, HEX2, type HexImage, RecordEncoder, RunCollector, ADDRESS_END, byteSum, hexAddress, lineError, RecordLines } from './image.js';
import { InputError } from '../../errors.js';

/** The longest record: 255 data bytes and 5 more. */
const MAX_RECORD = 260;

const TYPE_NAMES = ['data', 'end-of-file', 'extended segment address', 'start segment address', 'extended linear address', 'start linear address'];

/**
 * Reads an Intel HEX file (types 00 to 05), verifying every record.
 *
 * @throws {InputError} naming the line (and column for a character): a line not starting with
 *   `:`, a character that is not a hex digit, an odd number of digits, a length byte that
 *   disagrees with the record, a bad checksum, an unknown type, an 01/02/03/04/05 record of the
 *   wrong length, data past 2^32, two records with data at one address, a second start address
 *   that differs, no end-of-file record, a record after it.
 */
export function parseIntelHex(input: string | Uint8Array, name = '-'): HexImage {
  textArg(input, 'the records');
  stringArg(name, 'name');
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.length).toString('latin1');
  const runs = new RunCollector(name, text.length);
  let linear = true;
  let base = 0;
  let start: number | undefined;
  let startLine = 0;
  let eof = 0;
  let records = 0;
  const l = new RecordLines(text);
  while (l.next()) {
    if (eof > 0) throw lineError(name, l.line, `a record after the end-of-file record of line ${eof}`);
    if (l.charCodeAt(0) !== 0x3a) {
      throw lineError(name, l.line, `an Intel HEX record starts with ':', not ${JSON.stringify(l.slice(0, 1))}`, l.column(0));
    }
    if (l.length - 1 > 2 * MAX_RECORD) throw lineError(name, l.line, `${l.length - 1} hex digits: a record has at most ${2 * MAX_RECORD}`);
    // The record's bytes are runs.bytes[p..p + size), valid until the next line is decoded.
    const size = runs.decode(l, 1);
    const b = runs.bytes;
    const p = runs.at;
    if (size < 5) throw lineError(name, l.line, `${size} bytes: a record has at least 5 (length, address, type, checksum)`);
    const n = b[p]!;
    if (size !== n + 5) throw lineError(name, l.line, `the length byte says ${n} data bytes, the record holds ${size - 5}`);
    const expected = (0x100 - byteSum(b, p, p + size - 1)) & 0xff;
    if (b[p + size - 1] !== expected) {
      throw lineError(name, l.line, `bad checksum: the record says ${HEX2[b[p + size - 1]!]}, its bytes give ${HEX2[expected]}`);
    }
    const type = b[p + 3]!;
    const offset = (b[p + 1]! << 8) | b[p + 2]!;
    const want = type === 1 ? 0 : type === 2 || type === 4 ? 2 : type === 3 || type === 5 ? 4 : undefined;
    if (type > 5) throw lineError(name, l.line, `record type ${HEX2[type]} is not an Intel HEX type (00 to 05)`);
    if (want !== undefined && n !== want) throw lineError(name, l.line, `an ${TYPE_NAMES[type]} record (${HEX2[type]}) has ${want} data bytes, this one ${n}`);
    const u16 = (b[p + 4]! << 8) | b[p + 5]!;
    switch (type) {
      case 0: {
        records++;
        if (linear) {
          const address = base + offset;
          if (address + n > ADDRESS_END)
            throw lineError(name, l.line, `its data ${hexAddress(address)}..${hexAddress(address + n)} runs past the 32-bit addresses`);
          runs.keep(address, p + 4, p + 4 + n, l.line);
        } else {
          // Inside the segment the offset wraps at 64 KiB.
          const first = Math.min(n, 0x10000 - offset);
          runs.keep(base + offset, p + 4, p + 4 + first, l.line);
          runs.keep(base, p + 4 + first, p + 4 + n, l.line);
        }
        break;
      }
      case 1:
        eof = l.line;
        break;
      case 2:
        linear = false;
        base = u16 * 16;
        break;
      case 4:
        linear = true;
        base = u16 * 0x10000;
        break;
      default: {
        const value = type === 3 ? u16 * 16 + ((b[p + 6]! << 8) | b[p + 7]!) : b.readUInt32BE(p + 4);
        if (start !== undefined && start !== value) {
          throw lineError(name, l.line, `a second start address ${hexAddress(value)}, line ${startLine} gave ${hexAddress(start)}`);
        }
        start = value;
        startLine = l.line;
      }
    }
  }
  if (eof === 0) throw new InputError(`${name}: no end-of-file record (:00000001FF): the file is incomplete`);
  return { format: 'ihex', runs: runs.runs(), records, ...(start !== undefined && { start }) };
}

/**
 * Writes Intel HEX as bytes are pushed (see the module's comment for the layout); memory stays
 * flat whatever the length.
 *
 * @example
 * ```ts
 * const enc = new IntelHexEncoder({ address: 0x8000000, length: bytes.length }, (chunk) => out.write(chunk));
 * enc.push(bytes);
 * enc.finish();
 * ```
 */
export class IntelHexEncoder extends RecordEncoder {
  readonly #start: number | undefined;
  /** The upper 16 bits of the address that the last 04 record set (-1: none yet). */
  #upper = -1;

  /** @throws InputError for an address, length or record size the format cannot express. */
  constructor(options: HexEncodeOptions, sink: (chunk: Uint8Array) => void) {
    super(options, sink, 'Intel HEX');
    this.checkRecordBytes(255, 'Intel HEX');
    this.#start = options.start;
  }

  protected override recordEnd(address: number): number {
    return Math.min(super.recordEnd(address), (Math.floor(address / 0x10000) + 1) * 0x10000);
  }

  protected record(address: number, hex: string, n: number, sum: number): void {
    const upper = Math.floor(address / 0x10000);
    if (upper !== this.#upper) {
      this.#upper = upper;
      const hi = upper >> 8;
      const lo = upper & 0xff;
      this.emit(`:02000004${HEX2[hi]}${HEX2[lo]}${HEX2[(0x100 - ((6 + hi + lo) & 0xff)) & 0xff]}\n`);
    }
    const hi = (address >> 8) & 0xff;
    const lo = address & 0xff;
    this.emit(`:${HEX2[n]}${HEX2[hi]}${HEX2[lo]}00${hex}${HEX2[(0x100 - ((n + hi + lo + sum) & 0xff)) & 0xff]}\n`);
  }

  protected trailer(): void {
    const s = this.#start;
    if (s !== undefined) {
      const b = [(s >>> 24) & 0xff, (s >>> 16) & 0xff, (s >>> 8) & 0xff, s & 0xff];
      const sum = 4 + 5 + b[0]! + b[1]! + b[2]! + b[3]!;
      this.emit(`:04000005${b.map((x) => HEX2[x]).join('')}${HEX2[(0x100 - (sum & 0xff)) & 0xff]}\n`);
    }
    this.emit(':00000001FF\n');
  }
}

/** The Intel HEX text of `bytes` at `options.address` (see {@link IntelHexEncoder}). */
export function formatIntelHex(bytes: Uint8Array, options: Omit<HexEncodeOptions, 'length'> = {}): string {
  bytesArg(bytes, 'the bytes');
  objectArg(options, 'options', true);
  const parts: Uint8Array[] = [];
  const enc = new IntelHexEncoder({ ...options, length: bytes.length }, (c) => parts.push(c));
  enc.push(bytes);
  enc.finish();
  return Buffer.concat(parts).toString('latin1');
}
