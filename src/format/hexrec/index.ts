/**
 * Intel HEX and Motorola S-records: readers that verify every record, streaming writers, and the
 * image as a patch (each run of data an offset hunk at its address minus a base address).
 */

import { InputError } from '../../errors.js';
import { describeValue } from '../quote.js';
import type { OffsetHunk, Patch } from '../patch/model.js';
import { type HexEncodeOptions, type HexImage, type HexRecordFormat, hexAddress, type RecordEncoder } from './image.js';
import { IntelHexEncoder, parseIntelHex } from './ihex.js';
import { parseSrec, SrecEncoder } from './srec.js';

export { type HexEncodeOptions, type HexImage, type HexRecordFormat, type HexRun, RecordEncoder, ADDRESS_END } from './image.js';
export { IntelHexEncoder, formatIntelHex, parseIntelHex } from './ihex.js';
export { SrecEncoder, formatSrec, parseSrec } from './srec.js';

/** The record formats, as `--format` names them. */
export const HEX_RECORD_FORMATS: readonly HexRecordFormat[] = ['ihex', 'srec'];

/** Reads a record file of `format` (see parseIntelHex, parseSrec). */
export function parseHexRecords(input: string | Uint8Array, format: HexRecordFormat, name = '-'): HexImage {
  return format === 'ihex' ? parseIntelHex(input, name) : parseSrec(input, name);
}

/** A writer of `format` (see IntelHexEncoder, SrecEncoder): push the bytes, then finish. */
export function createHexEncoder(format: HexRecordFormat, options: HexEncodeOptions, sink: (chunk: Uint8Array) => void): RecordEncoder {
  if (format === 'ihex') return new IntelHexEncoder(options, sink);
  if (format === 'srec') return new SrecEncoder(options, sink);
  // Not the S-records of anything else: a typo would silently give the other format.
  throw new InputError(`unknown record format ${typeof format === 'string' ? `'${format}'` : describeValue(format)} (expected ihex or srec)`);
}

/** Whether a text looks like Intel HEX (`:` and hex digits) or S-records (`S0`..`S9` and hex digits), for a hint. */
export function sniffHexRecords(text: string): HexRecordFormat | undefined {
  const first = /^[ \t]*(\S+)/m.exec(text)?.[1] ?? '';
  if (/^:[0-9A-Fa-f]{10,}$/.test(first)) return 'ihex';
  if (/^S[0-9][0-9A-Fa-f]{8,}$/.test(first)) return 'srec';
  return undefined;
}

/** How an image becomes a patch. */
export interface HexPatchOptions {
  /** The image's name in messages and hunk sources. */
  readonly name?: string;
  /** The address of file offset 0: a record at address A writes at offset A - base (default 0). */
  readonly base?: bigint;
  /**
   * The expected old bytes: a second image covering exactly the same addresses. Each hunk is
   * guarded by its bytes (the patch fails, exit 3, unless the file holds them or the new ones).
   */
  readonly old?: HexImage;
  /** The old image's name in messages. */
  readonly oldName?: string;
}

/**
 * Turns an image into unguarded offset hunks (guarded with `old`), one per run of consecutive
 * addresses; each hunk's source is the line of the run's first record. Gaps between runs are
 * left as they are; the patch does not set the file's size (runs past the end need the file to
 * grow, as any hunk does).
 *
 * @throws {InputError} for a run below the base (no file offset), or an `old` image whose
 *   addresses differ from the image's (naming the first difference).
 */
export function hexImageToPatch(image: HexImage, options: HexPatchOptions = {}): Patch {
  const name = options.name ?? '-';
  const base = options.base ?? 0n;
  const old = options.old;
  const oldName = options.oldName ?? 'old';
  if (old !== undefined) {
    const span = (r: { address: number; data: Uint8Array } | undefined) =>
      r === undefined ? 'nothing' : `${hexAddress(r.address)}..${hexAddress(r.address + r.data.length)}`;
    const n = Math.max(image.runs.length, old.runs.length);
    for (let i = 0; i < n; i++) {
      const a = image.runs[i];
      const b = old.runs[i];
      if (a !== undefined && b !== undefined && a.address === b.address && a.data.length === b.data.length) continue;
      const where = b !== undefined ? `${oldName} line ${b.line}` : `${oldName}`;
      throw new InputError(
        `${where}: the old bytes cover ${span(b)} where ${name} has ${span(a)}${a !== undefined ? ` (line ${a.line})` : ''}: the old image must cover the same addresses`,
        b !== undefined ? { line: b.line } : {},
      );
    }
  }
  const hunks = image.runs.map((r, i): OffsetHunk => {
    const offset = BigInt(r.address) - base;
    if (offset < 0n) {
      throw new InputError(`${name} line ${r.line}: address ${hexAddress(r.address)} is below the base address 0x${base.toString(16)}: it has no file offset`, {
        line: r.line,
      });
    }
    return { kind: 'offset', offset, new: r.data, source: { name, line: r.line }, ...(old !== undefined && { old: old.runs[i]!.data }) };
  });
  return { hunks, guards: {} };
}
