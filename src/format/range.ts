/**
 * Byte ranges as the CLI reads them, and their resolution against a file's size.
 *
 * ```text
 * range = OFFSET ":" LENGTH     LENGTH bytes from OFFSET         0x1f40:16
 *       | ":" LENGTH            the first LENGTH bytes            :256
 *       | START ".." END        from START up to END (exclusive)  0x10..0x20
 *       | START ".."            from START to the end of the file -16..
 *       | ".." END              from the start of the file to END ..4K
 * ```
 *
 * Each side is a number as in {@link parseNumber}. A negative OFFSET, START or END counts back
 * from the end of the file (`-0` is the end itself); a LENGTH is never negative. `OFFSET:`
 * without a length and a bare `..` are refused: write `START..` for "to the end", and leave the
 * range out for "the whole file".
 *
 * OFFSET, START and END may also be symbolic addresses in an executable (exe/address.ts):
 *
 * ```text
 *       | ADDR                  the whole symbol, section or segment  sym:main  sec:.rodata  seg:2
 *       | ADDR ":" LENGTH       LENGTH bytes from ADDR                sym:check+0x12:2
 *       | START ".." END        either side an ADDR or a number       sym:f..sym:g  sec:.text..-0
 * ```
 *
 * ADDR alone is a range only for `sym:NAME`, `sec:NAME` and `seg:N` without `+OFF`. In
 * `ADDR:LENGTH` the LENGTH follows the LAST `:` and is a number, so C++ names (`sym:ns::f:16`)
 * keep their `::`. An END address is where that thing starts (exclusive). Addresses are resolved
 * by the engine against the open file (src/edit/address.ts) before {@link resolveRange}.
 */

import { InputError } from '../errors.js';
import { isAddressToken } from './exe/address.js';
import { addressOffset, INT64_MAX, MAX_FILE_SIZE_TEXT, formatSizeLike, scanLength, scanOffset, type Offset, unresolvedAddress } from './number.js';
import { badChar, badInput, shown } from './quote.js';

/** `OFFSET:LENGTH` (or `:LENGTH`), or an address alone (`sym:main`: {@link LengthRange.whole}). */
export interface LengthRange {
  readonly kind: 'length';
  /** The range as the user wrote it, for messages. */
  readonly text: string;
  readonly start: Offset;
  readonly length: bigint;
  /**
   * The range is all of what `start.address` names (`sym:main`, `sec:.text`, `seg:2`): its length
   * is the symbol's, section's or segment's size, known once the engine resolves the address
   * (`length` is 0 until then).
   */
  readonly whole?: boolean;
}

/** `START..END`, `START..` or `..END`; END is exclusive, `null` means the end of the file. */
export interface SpanRange {
  readonly kind: 'span';
  /** The range as the user wrote it, for messages. */
  readonly text: string;
  readonly start: Offset;
  readonly end: Offset | null;
}

/** A parsed range, not yet checked against any file. Resolve it with {@link resolveRange}. */
export type Range = LengthRange | SpanRange;

/** A range resolved against a file: absolute, non-negative, exact. */
export interface ResolvedRange {
  readonly offset: bigint;
  readonly length: bigint;
}

const WHAT = 'range';
const FORMS = 'a range is OFFSET:LENGTH or START..END';

function fileStart(): Offset {
  return { value: 0n, fromEnd: false, text: '0' };
}

/**
 * Parses a range (see the module comment for the forms).
 *
 * @throws {InputError} naming the token and the position of the problem: empty text, neither or
 *   both of `:` and `..`, a bad number on either side, a negative length, `OFFSET:` without a
 *   length, a bare `..`, and END before START when both count from the same end of the file.
 */
export function parseRange(text: string): Range {
  if (text.length === 0) throw badInput(WHAT, text, 0, `empty (${FORMS})`);
  const dots = text.indexOf('..');
  if (isAddressToken(text) || (dots >= 0 && isAddressToken(text.slice(dots + 2)))) return parseAddressRange(text, dots);
  const colon = text.indexOf(':');

  if (colon >= 0 && dots >= 0) {
    throw badChar(WHAT, text, Math.max(colon, dots), `mixes ':' and '..' (${FORMS})`);
  }

  if (colon >= 0) {
    const start = colon === 0 ? fileStart() : scanOffset(text, WHAT, 0, colon);
    if (colon === text.length - 1) {
      throw badInput(WHAT, text, colon + 1, `missing length after ':' (write START.. to mean "to the end")`);
    }
    return { kind: 'length', text, start, length: scanLength(text, WHAT, colon + 1, text.length) };
  }

  if (dots >= 0) {
    const endAt = dots + 2;
    if (dots === 0 && endAt === text.length) {
      throw badInput(WHAT, text, 0, `'..' needs a START or an END (leave the range out for the whole file)`);
    }
    const start = dots === 0 ? fileStart() : scanOffset(text, WHAT, 0, dots);
    const end = endAt === text.length ? null : scanOffset(text, WHAT, endAt, text.length);
    // Both counted from the same end: the order is known now. Mixed ones wait for the file size.
    if (end !== null && start.fromEnd === end.fromEnd && end.value < start.value) {
      throw badInput(WHAT, text, endAt, `END ${shown(end.text)} is before START ${shown(start.text)}`);
    }
    return { kind: 'span', text, start, end };
  }

  // No separator at all: say what is wrong with the text as a number, or that a side is missing.
  try {
    scanOffset(text, WHAT, 0, text.length);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${error.message} (${FORMS})`, error.location);
    throw error;
  }
  throw badInput(WHAT, text, text.length, `missing ':LENGTH' or '..END' after the offset (${FORMS})`);
}

/** A side of `START..END`: an address or a number. */
function side(text: string, start: number, end: number): Offset {
  const part = text.slice(start, end);
  return isAddressToken(part) ? addressOffset(part) : scanOffset(text, WHAT, start, end);
}

/** {@link parseRange} of a range with a symbolic address on a side (`dots`: where `..` is, or -1). */
function parseAddressRange(text: string, dots: number): Range {
  if (dots >= 0) {
    const endAt = dots + 2;
    const start = dots === 0 ? fileStart() : side(text, 0, dots);
    const end = endAt === text.length ? null : side(text, endAt, text.length);
    return { kind: 'span', text, start, end };
  }
  // ADDR:LENGTH when what follows the last ':' is a number; otherwise the address alone.
  const last = text.lastIndexOf(':');
  if (last > text.indexOf(':') && /^[-+]?[0-9]/.test(text.slice(last + 1))) {
    return { kind: 'length', text, start: addressOffset(text.slice(0, last)), length: scanLength(text, WHAT, last + 1, text.length) };
  }
  const start = addressOffset(text);
  const a = start.address!;
  if (a.hasAddend || a.kind === 'va' || a.kind === 'rva') {
    throw badInput(WHAT, text, text.length, `a position, not a range: add :LENGTH or ..END (alone, only sym:NAME, sec:NAME and seg:N mean all of it)`);
  }
  return { kind: 'length', text, start, length: 0n, whole: true };
}

/** Whether `range` has a symbolic address the engine still has to resolve. */
export function hasAddress(range: Range | undefined): boolean {
  return range !== undefined && (range.start.address !== undefined || (range.kind === 'span' && range.end?.address !== undefined));
}

/** Options for {@link resolveRange}. */
export interface ResolveRangeOptions {
  /** Accept a range that ends (or starts) beyond the end of the file, for commands that grow it. */
  allowPastEnd?: boolean;
  /**
   * Cut the range to the file instead of refusing it, for commands whose flag asks for that:
   * a start before 0 becomes 0, an end past the size becomes the size. END before START is
   * still an error. Takes precedence over `allowPastEnd`.
   */
  clamp?: boolean;
  /**
   * `fileSize` is no file's size but the largest offset mmapx handles (a device, whose size is
   * unknown): a range past it is said to be past that limit, not past the end of a file.
   */
  sizeIsLimit?: boolean;
}

/**
 * Resolves a parsed range against a file of `fileSize` bytes. Out of range is an error, never a
 * silent clamp, unless `options.clamp` says so. The checks are written overflow-safe
 * (`offset > size || length > size - offset`) even though bigints cannot overflow, so that they
 * read the same as the core's.
 *
 * @throws {InputError} e.g. `range 0x10..0x80 ends past the end of the file (size 0x40)`;
 *   sizes are shown in hex when the range was written in hex; a symbolic address the engine has
 *   not resolved.
 */
export function resolveRange(range: Range, fileSize: bigint, options: ResolveRangeOptions = {}): ResolvedRange {
  if (hasAddress(range)) throw unresolvedAddress(range.text);
  const absolute = (offset: Offset): bigint => (offset.fromEnd ? fileSize + offset.value : offset.value);
  let start = absolute(range.start);
  let end = range.kind === 'length' ? start + range.length : range.end === null ? fileSize : absolute(range.end);
  const fail = (problem: string): InputError => new InputError(`range ${shown(range.text)} ${problem}`, { token: range.text });
  const size = options.sizeIsLimit ? `(${MAX_FILE_SIZE_TEXT})` : `(size ${formatSizeLike(range.text, fileSize)})`;

  if (end < start) throw fail(`ends before it starts ${size}`);
  if (options.clamp) {
    start = start < 0n ? 0n : start > fileSize ? fileSize : start;
    end = end < start ? start : end > fileSize ? fileSize : end;
    return { offset: start, length: end - start };
  }

  const length = end - start;
  if (start < 0n) throw fail(`starts before the start of the file ${size}`);
  if (options.allowPastEnd) {
    if (length > INT64_MAX - start) throw fail('ends past the largest possible file offset (2^63-1)');
  } else {
    const limit = options.sizeIsLimit ? 'the largest offset mmapx handles' : 'the end of the file';
    if (start > fileSize) throw fail(`starts past ${limit} ${size}`);
    if (length > fileSize - start) throw fail(`ends past ${limit} ${size}`);
  }
  return { offset: start, length };
}
