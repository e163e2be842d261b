/**
 * Motorola S-records: `S` TYPE COUNT ADDRESS DATA CHECKSUM lines, COUNT the bytes after it,
 * CHECKSUM the ones' complement of the low byte of the sum of COUNT, ADDRESS and DATA.
 *
 * ```text
 * S0 header (address 0000)      S1/S2/S3 data, 16/24/32-bit address     S4 reserved
 * S5/S6 count of data records so far (16/24-bit)     S9/S8/S7 trailer: start address, 16/24/32-bit
 * ```
 *
 * Reading: every record's checksum and count byte verified; a count record must agree with the
 * data records before it; nothing but blank lines may follow a trailer. srec_cat leaves the
 * trailer out when it has no start address, so a file may end with a count record instead; a file
 * with neither is incomplete (an error). S1, S2 and S3 may mix, as srec_cat writes them.
 *
 * Writing: an S0 header, data records of one width for the whole file, chosen by the highest
 * address (of the data and the start address: S1 up to 0xffff, S2 up to 0xffffff, else S3), 16
 * data bytes per record at addresses that are multiples of 16, an S5 count record (S6 past 65535
 * records, none past 16777215), and the trailer of the same width (S9, S8, S7) with the start
 * address (0 without one). LF line breaks. This is byte for byte what `srec_cat FILE -binary
 * -offset BASE -o - -motorola -obs 16 -Output_Block_Alignment -address-length WIDTH -header NAME
 * -execution-start-address START` writes.
 */

import { bytesArg, objectArg, stringArg, textArg } from '../args.js';
import { type HexEncodeOptions, HEX2, type HexImage, RecordEncoder, RunCollector, ADDRESS_END, byteSum, hexAddress, lineError, RecordLines } from './image.js';
import { InputError } from '../../errors.js';

/** Address bytes by record type (S4 is reserved). */
const ADDRESS_BYTES = [2, 2, 3, 4, 0, 2, 3, 4, 3, 2];
/** The longest record: a count byte of 255 and the 255 bytes it counts. */
const MAX_RECORD = 256;

/**
 * Reads a Motorola S-record file (S0 to S9), verifying every record.
 *
 * @throws {InputError} naming the line (and column for a character): a line not starting with
 *   `S` and a type digit, S4, a character that is not a hex digit, an odd number of digits, a
 *   count byte that disagrees with the record, a bad checksum, data past 2^32, two records with
 *   data at one address, a count record that disagrees with the data records, a record after the
 *   trailer, neither a trailer nor a final count record.
 */
export function parseSrec(input: string | Uint8Array, name = '-'): HexImage {
  textArg(input, 'the records');
  stringArg(name, 'name');
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.length).toString('latin1');
  const runs = new RunCollector(name, text.length);
  let records = 0;
  let start: number | undefined;
  let header: Uint8Array | undefined;
  let end = 0;
  let lastWasCount = false;
  const l = new RecordLines(text);
  while (l.next()) {
    if (end > 0) throw lineError(name, l.line, `a record after the trailer of line ${end}`);
    const type = l.charCodeAt(1) - 0x30;
    if (l.charCodeAt(0) !== 0x53 || !(type >= 0 && type <= 9)) {
      throw lineError(name, l.line, `an S-record starts with S and a type digit (S0 to S9), not ${JSON.stringify(l.slice(0, 2))}`, l.column(0));
    }
    if (type === 4) throw lineError(name, l.line, 'S4 is a reserved record type');
    if (l.length - 2 > 2 * MAX_RECORD) throw lineError(name, l.line, `${l.length - 2} hex digits: a record has at most ${2 * MAX_RECORD}`);
    // The record's bytes are runs.bytes[p..p + size), valid until the next line is decoded.
    const size = runs.decode(l, 2);
    const b = runs.bytes;
    const p = runs.at;
    if (size === 0) throw lineError(name, l.line, 'no count byte');
    const count = b[p]!;
    if (size !== count + 1) throw lineError(name, l.line, `the count byte says ${count} bytes follow, the record has ${size - 1}`);
    const width = ADDRESS_BYTES[type]!;
    if (count < width + 1) throw lineError(name, l.line, `count ${count}: an S${type} record has at least ${width + 1} bytes (address, checksum)`);
    const expected = ~byteSum(b, p, p + size - 1) & 0xff;
    if (b[p + size - 1] !== expected) {
      throw lineError(name, l.line, `bad checksum: the record says ${HEX2[b[p + size - 1]!]}, its bytes give ${HEX2[expected]}`);
    }
    const address = b.readUIntBE(p + 1, width);
    const dataLength = size - 2 - width;
    lastWasCount = false;
    switch (type) {
      case 0:
        header = Uint8Array.from(b.subarray(p + 1 + width, p + size - 1));
        break;
      case 1:
      case 2:
      case 3:
        records++;
        if (address + dataLength > ADDRESS_END)
          throw lineError(name, l.line, `its data ${hexAddress(address)}..${hexAddress(address + dataLength)} runs past the 32-bit addresses`);
        runs.keep(address, p + 1 + width, p + size - 1, l.line);
        break;
      case 5:
      case 6:
        if (dataLength > 0) throw lineError(name, l.line, `an S${type} count record has no data, this one has ${dataLength} bytes`);
        if (address !== records) throw lineError(name, l.line, `the S${type} record counts ${address} data records, the file has ${records} before it`);
        lastWasCount = true;
        break;
      default:
        if (dataLength > 0) throw lineError(name, l.line, `an S${type} trailer has no data, this one has ${dataLength} bytes`);
        start = address;
        end = l.line;
    }
  }
  if (end === 0 && !lastWasCount) {
    throw new InputError(`${name}: no S7/S8/S9 trailer and no S5/S6 count record at the end: the file is incomplete`);
  }
  return { format: 'srec', runs: runs.runs(), records, ...(start !== undefined && { start }), ...(header !== undefined && { header }) };
}

/**
 * Writes S-records as bytes are pushed (see the module's comment for the layout); memory stays flat
 * whatever the length.
 */
export class SrecEncoder extends RecordEncoder {
  readonly #start: number;
  /** Address bytes of every record: 2, 3 or 4 (S1/S9, S2/S8, S3/S7). */
  readonly width: number;
  #records = 0;

  /** @throws InputError for an address, length, record size or header the format cannot express. */
  constructor(options: HexEncodeOptions, sink: (chunk: Uint8Array) => void) {
    super(options, sink, 'S-record');
    this.#start = options.start ?? 0;
    const highest = Math.max(options.length === undefined ? ADDRESS_END - 1 : options.length > 0 ? this.end - 1 : 0, this.#start);
    this.width = highest <= 0xffff ? 2 : highest <= 0xffffff ? 3 : 4;
    this.checkRecordBytes(254 - this.width, `S${this.width - 1}`);
    const header = options.header ?? new Uint8Array(0);
    if (header.length > 252) throw new InputError(`S-record: a header of ${header.length} bytes: an S0 record holds at most 252`);
    const count = 3 + header.length;
    const hex = Buffer.from(header.buffer, header.byteOffset, header.length).toString('hex').toUpperCase();
    this.emit(`S0${HEX2[count]}0000${hex}${HEX2[~(count + byteSum(header)) & 0xff]}\n`);
  }

  /** `S1`..`S3`/`S5`..`S9` record: type, address (in `width` bytes), data hex and its byte sum. */
  #line(type: number, address: number, width: number, hex: string, n: number, sum: number): string {
    const count = width + n + 1;
    let a = '';
    let s = count + sum;
    for (let k = width - 1; k >= 0; k--) {
      const byte = Math.floor(address / 2 ** (8 * k)) & 0xff;
      a += HEX2[byte];
      s += byte;
    }
    return `S${type}${HEX2[count]}${a}${hex}${HEX2[~s & 0xff]}\n`;
  }

  protected record(address: number, hex: string, n: number, sum: number): void {
    this.#records++;
    this.emit(this.#line(this.width - 1, address, this.width, hex, n, sum));
  }

  protected trailer(): void {
    const r = this.#records;
    if (r <= 0xffff) this.emit(this.#line(5, r, 2, '', 0, 0));
    else if (r <= 0xffffff) this.emit(this.#line(6, r, 3, '', 0, 0));
    this.emit(this.#line(11 - this.width, this.#start, this.width, '', 0, 0));
  }
}

/** The S-record text of `bytes` at `options.address` (see {@link SrecEncoder}). */
export function formatSrec(bytes: Uint8Array, options: Omit<HexEncodeOptions, 'length'> = {}): string {
  bytesArg(bytes, 'the bytes');
  objectArg(options, 'options', true);
  const parts: Uint8Array[] = [];
  const enc = new SrecEncoder({ ...options, length: bytes.length }, (c) => parts.push(c));
  enc.push(bytes);
  enc.finish();
  return Buffer.concat(parts).toString('latin1');
}
