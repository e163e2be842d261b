/**
 * A stamp (a value written padded over a placeholder found exactly N times) as a patch hunk:
 * pure, shared by the `stamp` command (src/edit/stamp.ts) and the native patch statement
 * `stamp PLACEHOLDER -> VALUE` (native.ts).
 */
import { InputError } from '../../errors.js';
import { describeValue } from '../quote.js';
import type { AnchorHunk, Source } from './model.js';

/** What to stamp: the placeholder to find, the value to write there, and how. */
export interface StampSpec {
  /** The bytes the file holds where the value goes (at least one byte). */
  readonly placeholder: Uint8Array;
  /** The value (at least one byte); with `terminate` and padding at most as long as the placeholder. */
  readonly value: Uint8Array;
  /** How many times the placeholder must match (default 1). */
  readonly count?: number;
  /** The byte that fills the rest of the placeholder after the value (default 0x00). */
  readonly pad?: number;
  /** Write a NUL after the value (it counts toward the placeholder's length). */
  readonly terminate?: boolean;
}

/** A stamp checked and resolved: the bytes written at each match. */
export interface StampBytes {
  readonly placeholder: Uint8Array;
  readonly value: Uint8Array;
  /** Value, terminator and padding: exactly as long as the placeholder. */
  readonly bytes: Uint8Array;
  readonly count: number;
  readonly pad: number;
  readonly terminate: boolean;
}

/**
 * Checks a stamp and makes its bytes: the value, a NUL with `terminate`, then `pad` up to the
 * placeholder's length.
 * @throws InputError for an empty placeholder or value, a bad count or pad, or a value that does
 *   not fit (naming both lengths).
 */
export function stampBytes(spec: StampSpec): StampBytes {
  if (typeof spec !== 'object' || spec === null) throw new InputError(`a stamp is an object { placeholder, value, ... }, not ${describeValue(spec)}`);
  const { placeholder, value } = spec;
  // Checked before anything else: a string or an array would be copied into the stamp's bytes as
  // zeros (Uint8Array.set takes any array-like) and written into the file.
  if (!(placeholder instanceof Uint8Array)) throw new InputError(`the placeholder must be bytes (a Uint8Array or Buffer), not ${describeValue(placeholder)}`);
  if (!(value instanceof Uint8Array)) throw new InputError(`the value must be bytes (a Uint8Array or Buffer), not ${describeValue(value)}`);
  const count = spec.count ?? 1;
  const pad = spec.pad ?? 0;
  const terminate = spec.terminate ?? false;
  if (typeof terminate !== 'boolean') throw new InputError(`terminate must be true or false, not ${describeValue(terminate)}`);
  if (placeholder.length === 0) throw new InputError('the placeholder is empty: give at least one byte');
  if (value.length === 0) throw new InputError('the value is empty: give at least one byte');
  if (!Number.isSafeInteger(count) || count < 1) throw new InputError(`the count ${describeValue(count)} must be a whole number, at least 1`);
  if (!Number.isInteger(pad) || pad < 0 || pad > 255) throw new InputError(`the pad byte ${describeValue(pad)} must be 0 to 255`);
  const need = value.length + (terminate ? 1 : 0);
  if (need > placeholder.length) {
    const what = terminate ? `the value and its NUL terminator need ${need} bytes (value ${value.length})` : `the value has ${value.length} bytes`;
    throw new InputError(`${what} but the placeholder has ${placeholder.length}: the value does not fit`);
  }
  const bytes = new Uint8Array(placeholder.length).fill(pad);
  bytes.set(value);
  if (terminate) bytes[value.length] = 0;
  return { placeholder, value, bytes, count, pad, terminate };
}

/**
 * The anchor hunk of a stamp: find the placeholder exactly `count` times, guard = the
 * placeholder, new = the padded value. The planner's rule for anchors that no longer match (look
 * for the pattern as it reads with the change applied: here, the padded value) makes a stamped
 * file read as stamped already.
 */
export function stampHunk(s: StampBytes, source: Source, note?: string): AnchorHunk {
  return {
    kind: 'anchor',
    pattern: { bytes: s.placeholder, mask: new Uint8Array(s.placeholder.length).fill(0xff) },
    expect: s.count,
    relOffset: 0n,
    old: s.placeholder,
    new: s.bytes,
    source,
    ...(note !== undefined && { note }),
  };
}
