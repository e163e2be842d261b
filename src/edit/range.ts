// Ranges as library callers give them: the CLI's text ("0x100:16", "-64..", "..4K") or an object.
import { InputError } from '../errors.js';
import { INT64_MAX } from '../format/number.js';
import { parseRange, type Range } from '../format/range.js';

/**
 * A byte range of a file: the CLI's text form (`OFFSET:LENGTH` or `START..END`, e.g. `"0x100:16"`,
 * `"-64.."`), or `{ offset, length }` / `{ offset, end }` (end exclusive; without either, to the
 * end of the file). A negative `offset` or `end` counts back from the end of the file.
 */
export type RangeSpec = string | { offset: number | bigint; length?: number | bigint; end?: number | bigint };

function integer(v: number | bigint, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new InputError(`range ${what} ${String(v)} is not an integer`);
  return BigInt(v);
}

/** The parsed range of a {@link RangeSpec} (not yet resolved against a file). @throws InputError. */
export function toRange(spec: RangeSpec): Range {
  if (typeof spec === 'string') return parseRange(spec);
  if (spec === null || typeof spec !== 'object') throw new InputError(`a range is a string or { offset, length } / { offset, end }, not ${String(spec)}`);
  const offset = integer(spec.offset, 'offset');
  const text = `${offset}`;
  if (offset > INT64_MAX || offset < -INT64_MAX) throw new InputError(`range offset ${offset} is past 2^63 - 1`);
  const start = { value: offset, fromEnd: offset < 0n, text };
  if (spec.length !== undefined && spec.end !== undefined) throw new InputError('a range has a length or an end, not both');
  if (spec.length !== undefined) {
    const length = integer(spec.length, 'length');
    if (length < 0n || length > INT64_MAX) throw new InputError(`range length ${length} is not between 0 and 2^63 - 1`);
    return { kind: 'length', text: `${text}:${length}`, start, length };
  }
  if (spec.end === undefined) return { kind: 'span', text: `${text}..`, start, end: null };
  const end = integer(spec.end, 'end');
  if (end > INT64_MAX || end < -INT64_MAX) throw new InputError(`range end ${end} is past 2^63 - 1`);
  return { kind: 'span', text: `${text}..${end}`, start, end: { value: end, fromEnd: end < 0n, text: `${end}` } };
}

/** A range option of the engine: a {@link RangeSpec}, or a range the CLI parsed already. */
export type RangeOption = RangeSpec | Range;

/** The parsed form of a range option (undefined: the whole file). */
export function rangeOption(r: RangeOption | undefined): Range | undefined {
  if (r === undefined) return undefined;
  if (typeof r === 'object' && r !== null && 'kind' in r && (r.kind === 'length' || r.kind === 'span')) return r;
  return toRange(r as RangeSpec);
}
