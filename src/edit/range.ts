// Offsets and ranges as library callers give them: the CLI's text ("0x100:16", "-64..", "..4K",
// "4K") or numbers, checked as the CLI checks its arguments (InputError, past 2^63 - 1 refused).
import { InputError } from '../errors.js';
import { type Offset, parseLength, parseOffset } from '../format/number.js';
import { describeValue } from '../format/quote.js';
import { parseRange, type Range } from '../format/range.js';

/** An offset or length as the API takes it: a number or bigint, or the CLI's text (`0x1f40`, `4K`). */
export type Position = bigint | number | string;

/**
 * A part of a file: a range in the CLI's syntax (`0x100:64`, `-64..`, `..4K`), or `{ offset, length }`
 * / `{ offset, end }` (end exclusive; with neither, to the end of the file). A negative `offset` or
 * `end` counts back from the end of the file (`-0` is the end itself).
 */
export type RangeSpec = string | { readonly offset: Position; readonly length?: Position; readonly end?: Position };

/** A number or bigint as the CLI's text, so that the CLI's checks (integer, below 2^63) apply. */
function asText(value: Position, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return String(value);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new InputError(`${what} ${describeValue(value)} is not an integer`);
  return Object.is(value, -0) ? '-0' : String(value);
}

/** An offset given to the API (negative: back from the end of the file). @throws InputError. */
export function toOffset(value: Position): Offset {
  return parseOffset(asText(value, 'offset'));
}

/** A length given to the API (not negative). @throws InputError. */
export function toLength(value: Position): bigint {
  return parseLength(asText(value, 'length'));
}

/** The parsed range of a {@link RangeSpec} (not yet resolved against a file). @throws InputError. */
export function toRange(spec: RangeSpec): Range {
  if (typeof spec === 'string') return parseRange(spec);
  if (spec === null || typeof spec !== 'object')
    throw new InputError(`a range is a string or { offset, length } / { offset, end }, not ${describeValue(spec)}`);
  const start = toOffset(spec.offset);
  if (spec.length !== undefined && spec.end !== undefined) throw new InputError('a range has a length or an end, not both');
  if (spec.length !== undefined) {
    const length = toLength(spec.length);
    return { kind: 'length', text: `${start.text}:${length}`, start, length };
  }
  if (spec.end === undefined) return { kind: 'span', text: `${start.text}..`, start, end: null };
  const end = toOffset(spec.end);
  return { kind: 'span', text: `${start.text}..${end.text}`, start, end };
}

/** A range option of the engine: a {@link RangeSpec}, or a range the CLI parsed already. */
export type RangeOption = RangeSpec | Range;

/** The parsed form of a range option (undefined: the whole file). */
export function rangeOption(r: RangeOption | undefined): Range | undefined {
  if (r === undefined) return undefined;
  if (typeof r === 'object' && r !== null && 'kind' in r && (r.kind === 'length' || r.kind === 'span')) return r;
  return toRange(r as RangeSpec);
}
