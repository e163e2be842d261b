// The part of a file a library call works on, given the way a TypeScript caller has it (numbers) or
// the way the CLI's users write it (`0x100:64`, `-16..`), turned into the one parsed form
// (src/format/range.ts) that the engine resolves against the file.
import { InputError } from '../errors.js';
import type { Offset } from '../format/number.js';
import { parseRange, type Range } from '../format/range.js';

/**
 * A part of a file: `offset` (negative, or `-0`, counts back from the end of the file) and
 * `length` bytes (default: up to the end); or a range in the CLI's syntax: `OFFSET:LENGTH`,
 * `START..END`, `START..`, `..END` (e.g. `'0x1f40:16'`, `'-64..'`).
 */
export type ByteRange = string | { readonly offset: number | bigint; readonly length?: number | bigint };

function integer(value: number | bigint, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (!Number.isSafeInteger(value)) throw new InputError(`${what} ${String(value)} is not a whole number of bytes`, { token: String(value) });
  return BigInt(value);
}

/**
 * The parsed range of `range` (undefined: the whole file).
 * @throws InputError for a range text that does not parse, a fractional number or a negative length.
 */
export function toRange(range: ByteRange | undefined): Range | undefined {
  if (range === undefined) return undefined;
  if (typeof range === 'string') return parseRange(range);
  const value = integer(range.offset, 'offset');
  const fromEnd = value < 0n || Object.is(range.offset, -0);
  const start: Offset = { value, fromEnd, text: fromEnd && value === 0n ? '-0' : value.toString() };
  if (range.length === undefined) return { kind: 'span', text: `${start.text}..`, start, end: null };
  const length = integer(range.length, 'length');
  if (length < 0n) throw new InputError(`length ${length} cannot be negative`, { token: length.toString() });
  return { kind: 'length', text: `${start.text}:${length}`, start, length };
}
