/**
 * The patch formats' view of numbers and hex: thin adapters over the tool's one number parser
 * (src/format/number.ts) and one hex scanner (src/format/data.ts), turning their InputErrors into
 * a {@link LexError} (what is wrong, and where inside the token) so that the patch parsers can
 * name the line and column themselves. What the patch grammar adds is said here: decimal numbers
 * have no leading zeros (`00001f40` is an xxd offset, not decimal 1f40), and patterns take nibble
 * wildcards (`7?`, `?7`).
 */

import { InputError } from '../../errors.js';
import { formatHex as formatHexData, scanHexText } from '../data.js';
import { formatOffset, INT64_MAX, scanNumber } from '../number.js';

/** Value of each hex digit by char code, -1 for anything else (the dump parsers' token rules). */
export const HEX_VALUE: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[0x41 + i] = 10 + i;
    t[0x61 + i] = 10 + i;
  }
  return t;
})();

/** Two lowercase hex digits per byte value. */
const HEX_PAIR: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** `de ad be ef` (lowercase, `sep` between bytes). */
export function formatHex(bytes: Uint8Array, sep = ' '): string {
  return formatHexData(bytes, { sep });
}

/** A parse failure inside one token: what is wrong and where (0-based, inside the token). */
export interface LexError {
  readonly error: string;
  readonly at: number;
}

/** The InputError of a number.ts / data.ts parser as a LexError; anything else is rethrown. */
function lexError(err: unknown): LexError {
  if (!(err instanceof InputError)) throw err;
  return { error: err.location.detail ?? err.message, at: err.location.position ?? 0 };
}

/**
 * Parses an unsigned number as src/format/number.ts reads numbers (`0x` hex, `0o`, `0b`, `_`
 * between digits, size suffixes `4K`, `1.5M`), except that a decimal number must not start with
 * `0` (so that `00001f40` from an xxd dump is never read as decimal). `token` holds no sign;
 * `negated` says a `-` before it will negate it. Like the command line's numbers, it must fit in a
 * signed 64-bit `off_t` (-2^63..2^63-1) once signed.
 */
export function parseUnsigned(token: string, negated = false): bigint | LexError {
  if (/^0[0-9_]/.test(token)) {
    return { error: 'write hex as 0x..., decimal without leading zeros', at: 0 };
  }
  if (token.startsWith('-') || token.startsWith('+')) return { error: `'${token[0]}' is not allowed here`, at: 0 };
  let value: bigint;
  try {
    value = scanNumber(token, 'number');
  } catch (err) {
    return lexError(err);
  }
  if (value > (negated ? INT64_MAX + 1n : INT64_MAX))
    return { error: `${negated ? '-' : ''}${token} is out of the signed 64-bit range (-2^63..2^63-1)`, at: 0 };
  return value;
}

/**
 * Hex bytes as on the command line (src/format/data.ts): pairs, optionally in `0x` groups,
 * separated by blanks or one of `: , -`. `text` must already be trimmed of comments; blank text
 * gives no bytes. Returns the bytes or where it went wrong.
 */
export function parseHexBytes(text: string): Uint8Array | LexError {
  try {
    return scanHexText(text, false).bytes;
  } catch (err) {
    return lexError(err);
  }
}

/**
 * A byte pattern: hex as in {@link parseHexBytes}, `??` for any byte, `4?` / `?4` for a fixed
 * high / low nibble. Returns bytes and mask (see BytePattern) or the failure; blank text gives an
 * empty pattern (the callers say what was missing).
 */
export function parsePatternText(text: string): { bytes: Uint8Array; mask: Uint8Array } | LexError {
  try {
    return scanHexText(text, true);
  } catch (err) {
    return lexError(err);
  }
}

/** Inverse of parsePatternText for masks made of whole nibbles. */
export function formatPattern(bytes: Uint8Array, mask: Uint8Array): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const pair = HEX_PAIR[bytes[i]! & mask[i]!]!;
    const m = mask[i]!;
    if (m !== 0 && m !== 0x0f && m !== 0xf0 && m !== 0xff) {
      throw new RangeError(`pattern mask 0x${HEX_PAIR[m]} at ${i} is not a whole-nibble mask`);
    }
    parts[i] = (m & 0xf0 ? pair[0] : '?') + (m & 0x0f ? pair[1] : '?');
  }
  return parts.join(' ');
}

export function isLexError(v: unknown): v is LexError {
  return typeof v === 'object' && v !== null && 'error' in v;
}

/** `0x1f40` (bigint, lowercase, negative as `-0x10`): number.ts's formatOffset. */
export function hex(n: bigint | number): string {
  return formatOffset(BigInt(n));
}

/**
 * User text quoted for a one-line message: control characters escaped (`\x0d`), long text cut.
 */
export function quote(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return `'${cut.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}
