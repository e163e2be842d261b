// A range of a file as Intel HEX or Motorola S-records (the engine of `mmapx cat --format
// ihex|srec`): the range read as `cat` reads it (read-only windows of a shared map, slice by
// slice), each slice handed to the streaming encoder of src/format/hexrec, so memory stays flat
// and the cost follows the range. The records' addresses start at the base address (by default
// the range's file offset): the byte at file offset O has address base + (O - range start).
import { optionsArg, pathArg } from './args.js';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { describeValue } from '../format/quote.js';
import { ADDRESS_END, createHexEncoder, type HexEncodeOptions, type HexRecordFormat } from '../format/hexrec/index.js';
import { shrankSinceOpen } from './files.js';
import { openRangeReader, type RangeReader, type ReadRangeOptions } from './read.js';
import { pullStream } from './stream.js';

/** Options of {@link readHexRecords}. */
export interface HexRecordsOptions extends ReadRangeOptions {
  readonly format: HexRecordFormat;
  /** The address of the range's first byte (default: its file offset). */
  readonly base?: bigint | number;
  /** An execution start address (Intel HEX: an 05 record; S-records: the trailer's address, 0 without it). */
  readonly start?: bigint | number;
  /** Data bytes per record (default 16). */
  readonly recordBytes?: number;
  /** The S0 header's text (default: the file's base name; none for standard input). */
  readonly header?: string;
}

/** A 32-bit address as a number, or an InputError naming `what`. */
function address32(value: bigint | number, what: string): number {
  if (typeof value !== 'bigint' && !Number.isSafeInteger(value)) throw new InputError(`${what} must be a whole number or bigint, not ${describeValue(value)}`);
  const v = BigInt(value);
  if (v < 0n || v >= BigInt(ADDRESS_END))
    throw new InputError(
      `${what} ${v < 0n ? '-' : ''}0x${(v < 0n ? -v : v).toString(16)} is not a 32-bit address (0 to 0xffffffff): Intel HEX and S-records have no other`,
    );
  return Number(v);
}

/**
 * The encoder options for the span `reader` reads (see {@link HexRecordsOptions}).
 * @throws InputError for a base or start that is no 32-bit address, a range that would run past 2^32.
 */
export function hexEncodeOptions(reader: RangeReader, options: Omit<HexRecordsOptions, 'format'>, path: string): HexEncodeOptions {
  const base = address32(options.base ?? reader.offset, options.base === undefined ? 'the range starts at file offset' : 'base address');
  const length = reader.length;
  if (length !== undefined && BigInt(base) + length > BigInt(ADDRESS_END)) {
    throw new InputError(
      `${length} bytes from address 0x${base.toString(16)} end at 0x${(BigInt(base) + length).toString(16)}, past the 32-bit addresses of Intel HEX and S-records: give a shorter range or a lower --base`,
    );
  }
  const header = options.header ?? (path === '-' ? '' : basename(path));
  if (typeof header !== 'string') throw new InputError(`header must be a string, not ${describeValue(header)}`);
  return {
    address: base,
    ...(length !== undefined && { length: Number(length) }),
    ...(options.start !== undefined && { start: address32(options.start, 'start address') }),
    ...(options.recordBytes !== undefined && { recordBytes: options.recordBytes }),
    header: Buffer.from(header, 'utf8').subarray(0, 252),
  };
}

/**
 * The records of a range of `path` (the whole file without `range`) as a Readable stream of text,
 * in `format`, read through read-only windows of a shared map as the consumer takes them. Errors
 * are stream errors, as for {@link readRange}, and also an InputError for addresses past 2^32.
 *
 * @example
 * ```ts
 * readHexRecords('fw.bin', { range: '0x4000:16K', format: 'ihex', base: 0x8004000 }).pipe(createWriteStream('app.hex'));
 * ```
 */
export function readHexRecords(path: string, options: HexRecordsOptions): Readable {
  const progress = options?.progress;
  return pullStream(
    async () => {
      pathArg(path);
      // Required: it names the format.
      if (options === undefined) throw new InputError("options are required: { format: 'ihex' | 'srec', ... }");
      optionsArg(options);
      const reader = await openRangeReader(path, options);
      let pending: Uint8Array[] = [];
      let encoder: ReturnType<typeof createHexEncoder>;
      try {
        encoder = createHexEncoder(options.format, hexEncodeOptions(reader, options, path), (chunk) => pending.push(chunk));
      } catch (err) {
        reader.close();
        throw err;
      }
      progress?.phase(`read ${path}`, reader.length ?? 0n);
      return {
        step(push) {
          try {
            const slice = reader.next();
            if (slice === undefined) encoder.finish();
            else {
              encoder.push(slice);
              reader.verify(); // nothing read as zeros past a new end goes out
              progress?.update(Number(reader.copied));
            }
            const out = pending;
            pending = [];
            for (const chunk of out) push(chunk, true);
            return slice !== undefined;
          } catch (err) {
            throw shrankSinceOpen(reader.file, err, 'read');
          }
        },
        close: () => reader.close(),
      };
    },
    { signal: options?.signal, highWaterMark: options?.highWaterMark },
  );
}
