/**
 * Numbers, offsets and lengths as the CLI reads them: exact `bigint`s, never floating point.
 *
 * Grammar (see {@link parseNumber}):
 *
 * ```text
 * number  = [sign] ( prefix digits | decimal [ "." decimal ] [ suffix ] )
 * sign    = "-" | "+"
 * prefix  = "0x" | "0o" | "0b"            (either case)
 * digits  = digit { ["_"] digit }          (digits of the prefix's base)
 * suffix  = ("K" | "M" | "G" | "T") ["iB"] (either case; all powers of 1024)
 * ```
 */

import { InputError } from '../errors.js';
import { type AddressRef, isAddressToken, parseAddress } from './exe/address.js';
import { badChar, badInput, shown } from './quote.js';

/** Smallest value a number may have: −2^63, the bottom of a signed 64-bit `off_t`. */
export const INT64_MIN = -(1n << 63n);
/** Largest value a number may have: 2^63 − 1, the top of a signed 64-bit `off_t`. */
export const INT64_MAX = (1n << 63n) - 1n;
/**
 * The largest size mmapx gives a file: 2^53 − 1 bytes (8 PiB). Node's file calls (ftruncate,
 * positioned reads) and the core's map offsets and lengths take JavaScript numbers, exact up to
 * here. Only filesystems of 8 EiB files (XFS, Btrfs, tmpfs) hold more; ext4 holds 16 TiB.
 */
export const MAX_FILE_SIZE = (1n << 53n) - 1n;
/** How {@link MAX_FILE_SIZE} reads in messages. */
export const MAX_FILE_SIZE_TEXT = '0x1fffffffffffff = 2^53-1 bytes';

/** Size suffix letters (either case), each a power of 1024 given as a shift; undefined for others. */
function suffixShift(ch: string): bigint | undefined {
  switch (ch) {
    case 'k':
    case 'K':
      return 10n;
    case 'm':
    case 'M':
      return 20n;
    case 'g':
    case 'G':
      return 30n;
    case 't':
    case 'T':
      return 40n;
    default:
      return undefined;
  }
}
const SUFFIX_LIST = 'K, KiB, M, MiB, G, GiB, T, TiB';

/** Base of the letter after a leading `0` (either case), or 10 when it is no prefix. */
function prefixBase(ch: string | undefined): number {
  switch (ch) {
    case 'x':
    case 'X':
      return 16;
    case 'o':
    case 'O':
      return 8;
    case 'b':
    case 'B':
      return 2;
    default:
      return 10;
  }
}
const DIGIT_NAME: Readonly<Record<number, string>> = {
  2: 'a binary digit',
  8: 'an octal digit',
  10: 'a decimal digit',
  16: 'a hex digit',
};
const BIGINT_PREFIX: Readonly<Record<number, string>> = { 2: '0b', 8: '0o', 10: '', 16: '0x' };

/**
 * Digit strings longer than this (after leading zeros go) are certainly beyond every range this
 * module checks (at most 2^64), so they are not converted: BigInt() of a megabyte of digits
 * would be slow for nothing.
 */
const MAX_DIGITS = 100;
/** Stands for "far out of range" once a digit string is longer than {@link MAX_DIGITS}. */
const HUGE = 1n << 400n;

/** Value of a digit character (0-9, a-f, A-F), or 99 when it is none. */
function digitValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return 99;
}

/**
 * Scans `digit { ["_"] digit }` from `i`, stopping at the first character that is neither.
 * Throws when there is no digit at `i` or when an underscore is not between two digits.
 */
function scanDigits(token: string, what: string, i: number, end: number, base: number): number {
  const from = i;
  while (i < end) {
    const code = token.charCodeAt(i);
    if (digitValue(code) < base) {
      i++;
    } else if (code === 95 /* _ */) {
      if (i === from || i + 1 >= end || digitValue(token.charCodeAt(i + 1)) >= base) {
        throw badChar(what, token, i, 'must sit between two digits');
      }
      i++;
    } else {
      break;
    }
  }
  if (i === from) throw notADigit(token, what, i, base);
  return i;
}

function notADigit(token: string, what: string, i: number, base: number): InputError {
  const ch = token[i]!;
  // Hints for the two likely intents: 0x10K (a suffix on hex) and 1e6 (an exponent).
  const hint =
    base !== 10 && suffixShift(ch) !== undefined
      ? ' (size suffixes only follow decimal numbers)'
      : base === 10 && (ch === 'e' || ch === 'E')
        ? ' (exponents are not supported)'
        : '';
  return badChar(what, token, i, `is not ${DIGIT_NAME[base]}${hint}`);
}

/** Exact value of a digit string in `base`, or {@link HUGE} when it is absurdly long. */
function digitsValue(digits: string, base: number): bigint {
  const significant = digits.replace(/^0+/, '');
  if (significant.length === 0) return 0n;
  if (significant.length > MAX_DIGITS) return HUGE;
  return BigInt(BIGINT_PREFIX[base] + significant);
}

/**
 * Scans one number in `token.slice(start, end)` and returns its exact value, unchecked against
 * any range (a value with more than {@link MAX_DIGITS} digits comes back as a huge stand-in).
 * Positions in errors count in the whole `token`, so a range can report where its END went wrong.
 *
 * @internal Used by the range and typed-value parsers; callers check the range themselves.
 * @throws {InputError} for anything that is not a number by the module's grammar.
 */
export function scanNumber(token: string, what: string, start = 0, end = token.length): bigint {
  if (start >= end) {
    throw badInput(what, token, start, token.length === 0 ? 'empty' : `missing number at position ${start}`);
  }
  let i = start;
  const sign = token[i];
  if (sign === '-' || sign === '+') {
    i++;
    if (i === end) throw badInput(what, token, i, `missing digits after '${sign}'`);
  }

  let base = 10;
  if (token[i] === '0' && i + 1 < end) {
    base = prefixBase(token[i + 1]);
    if (base !== 10) {
      i += 2;
      if (i === end) throw badInput(what, token, i, `missing digits after "${token.slice(i - 2, i)}"`);
    }
  }

  const intStart = i;
  i = scanDigits(token, what, i, end, base);
  const intDigits = token.slice(intStart, i).replaceAll('_', '');

  let dot = -1;
  let fracDigits = '';
  if (base === 10 && i < end && token[i] === '.') {
    dot = i;
    i++;
    if (i === end) throw badChar(what, token, dot, 'must be followed by digits');
    const fracStart = i;
    i = scanDigits(token, what, i, end, 10);
    fracDigits = token.slice(fracStart, i).replaceAll('_', '');
  }

  let shift = 0n;
  if (i < end) {
    // Only a size suffix may follow the digits of a decimal number; scanDigits stopped here.
    const suffix = base === 10 ? suffixShift(token[i]!) : undefined;
    if (suffix === undefined) throw notADigit(token, what, i, base);
    const suffixStart = i;
    shift = suffix;
    i++;
    if (i < end && (token[i] === 'i' || token[i] === 'I')) {
      if (i + 1 >= end || (token[i + 1] !== 'b' && token[i + 1] !== 'B')) {
        throw badInput(
          what,
          token,
          i + 1,
          `incomplete size suffix "${token.slice(suffixStart, i + 1)}" at position ${suffixStart} (size suffixes: ${SUFFIX_LIST})`,
        );
      }
      i += 2;
    }
    if (i < end) {
      throw badChar(what, token, i, `is not allowed after the size suffix (size suffixes: ${SUFFIX_LIST})`);
    }
  } else if (dot >= 0) {
    throw badChar(what, token, dot, 'starts a fraction, which needs a size suffix (as in 1.5K)');
  }

  let magnitude: bigint;
  if (dot < 0) {
    magnitude = digitsValue(intDigits, base) << shift;
  } else {
    // 1.5K is 1536 bytes; 1.1K is not a whole number of bytes and is refused, never rounded.
    // Only the fraction decides: times 2^shift (at most 2^40) it is whole only if it has at
    // most 40 significant decimal places, so the bigints here stay small.
    const frac = fracDigits.replace(/0+$/, '');
    if (frac.length > 40 || (BigInt(`0${frac}`) << shift) % 10n ** BigInt(frac.length) !== 0n) {
      throw badInput(what, token, start, `${shown(token.slice(start, end))} is not a whole number of bytes`);
    }
    const fracBytes = (BigInt(`0${frac}`) << shift) / 10n ** BigInt(frac.length);
    magnitude = (digitsValue(intDigits, 10) << shift) + fracBytes;
  }
  return sign === '-' ? -magnitude : magnitude;
}

/** Throws unless `value` fits in a signed 64-bit integer. */
function checkInt64(token: string, what: string, start: number, end: number, value: bigint): bigint {
  if (value < INT64_MIN || value > INT64_MAX) {
    throw badInput(what, token, start, `${shown(token.slice(start, end))} is out of the signed 64-bit range (-2^63..2^63-1)`);
  }
  return value;
}

/**
 * Parses one number of the CLI: decimal, `0x` hex, `0o` octal or `0b` binary (prefixes in
 * either case), `_` between digits, an optional `-` or `+`, and on decimal numbers a size suffix
 * `K`, `M`, `G`, `T` (either case, optionally as `KiB`, `MiB`, ...; all powers of 1024).
 * A decimal fraction is allowed only with a suffix and only when the result is a whole number of
 * bytes: `4.5G` is fine, `1.3` and `1.1K` are refused. Exact for the whole signed 64-bit range.
 *
 * @param what names the thing in error messages (`"offset"`, `"length"`, ...); default `"number"`.
 * @throws {InputError} naming the token and the 0-based position of the first bad character:
 *   empty text, a bare sign or prefix, digits wrong for the base, misplaced `_`, trailing junk,
 *   exponents (`1e30`), fractions that are not whole bytes, values outside −2^63..2^63−1.
 */
export function parseNumber(text: string, what = 'number'): bigint {
  return checkInt64(text, what, 0, text.length, scanNumber(text, what));
}

/** An offset as the user wrote it: from the start of the file, or back from its end. */
export interface Offset {
  /** The number as written: negative (or `-0`) when {@link fromEnd} is set. */
  readonly value: bigint;
  /** The text began with `-`: count back from the end of the file (`-0` is the end itself). */
  readonly fromEnd: boolean;
  /** The offset as the user wrote it, for messages. */
  readonly text: string;
  /**
   * A symbolic address (`sym:main+4`, `sec:.text`, `va:0x401000`...): where it is depends on the
   * executable image of the file, so `value` is 0 until the engine resolves it against the open
   * file (src/edit/address.ts), which gives back a plain offset.
   */
  readonly address?: AddressRef;
}

/** @internal An offset that is a symbolic address, not yet resolved (see {@link Offset.address}). */
export function addressOffset(text: string): Offset {
  return { value: 0n, fromEnd: false, text, address: parseAddress(text) };
}

/** The error for a symbolic address where no executable file is at hand to resolve it. */
export function unresolvedAddress(text: string): InputError {
  return new InputError(`${shown(text)} is an address in an executable (sym:, sec:, seg:, va:, rva:), and there is no file here to resolve it in`, {
    token: text,
  });
}

/** @internal An offset inside a longer token (a range); positions count in the whole token. */
export function scanOffset(token: string, what: string, start: number, end: number): Offset {
  const value = checkInt64(token, what, start, end, scanNumber(token, what, start, end));
  return { value, fromEnd: token[start] === '-', text: token.slice(start, end) };
}

/** @internal A length inside a longer token (a range); positions count in the whole token. */
export function scanLength(token: string, what: string, start: number, end: number): bigint {
  if (token[start] === '-') throw badInput(what, token, start, `a length cannot be negative (${shown(token.slice(start, end))})`);
  return checkInt64(token, what, start, end, scanNumber(token, what, start, end));
}

/**
 * Parses an offset: a number as in {@link parseNumber}; a leading `-` counts back from the end of
 * the file (`-16` is 16 bytes before the end, `-0` is the end). Resolve it with {@link resolveOffset}.
 * A symbolic address (`sym:NAME[+OFF]`, `sec:NAME[+OFF]`, `seg:N[+OFF]`, `va:ADDR`, `rva:ADDR`,
 * see exe/address.ts) is parsed into {@link Offset.address}, for the engine to resolve in the file.
 *
 * @throws {InputError} as {@link parseNumber}, naming the token as an offset; a malformed address.
 */
export function parseOffset(text: string): Offset {
  if (isAddressToken(text)) return addressOffset(text);
  return scanOffset(text, 'offset', 0, text.length);
}

/**
 * Parses a length: a number as in {@link parseNumber} that is not negative (`-0` is refused too:
 * a sign on a length is always a mistake).
 *
 * @throws {InputError} as {@link parseNumber}, or when the length is negative.
 */
export function parseLength(text: string): bigint {
  return scanLength(text, 'length', 0, text.length);
}

/** Options for {@link resolveOffset}. */
export interface ResolveOffsetOptions {
  /** Accept an offset beyond the end of the file (for commands that grow it). Default false. */
  allowPastEnd?: boolean;
}

/**
 * Turns an offset into an absolute position in a file of `fileSize` bytes.
 * An offset equal to the size (the end) is valid; beyond it only with `allowPastEnd`.
 *
 * @throws {InputError} `offset -100 is before the start of the file (size 64)`, or
 *   `offset 0x80 is past the end of the file (size 0x40)`; sizes are shown in hex when the
 *   offset was written in hex; a symbolic address the engine has not resolved.
 */
export function resolveOffset(offset: Offset, fileSize: bigint, options: ResolveOffsetOptions = {}): bigint {
  if (offset.address !== undefined) throw unresolvedAddress(offset.text);
  const absolute = offset.fromEnd ? fileSize + offset.value : offset.value;
  if (absolute < 0n) {
    throw new InputError(`offset ${shown(offset.text)} is before the start of the file (size ${formatSizeLike(offset.text, fileSize)})`, {
      token: offset.text,
    });
  }
  if (!options.allowPastEnd && absolute > fileSize) {
    throw new InputError(`offset ${shown(offset.text)} is past the end of the file (size ${formatSizeLike(offset.text, fileSize)})`, { token: offset.text });
  }
  return absolute;
}

/** `0x1f40`: an offset in lower-case hex with its prefix (`-0x10` for negative values). */
export function formatOffset(value: bigint): string {
  return value < 0n ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
}

/** @internal A size for a message, in hex when the user wrote `token` in hex, else decimal. */
export function formatSizeLike(token: string, size: bigint): string {
  return /0[xX]/.test(token) ? formatOffset(size) : size.toString();
}

/**
 * Seconds as `--wait` and `protect --hold` take them: decimal digits with an optional fraction
 * (`2`, `0.5`). Not the byte-number grammar: no sign, prefix, suffix or exponent, so `1e3`, `0x10`
 * and ` 5` are no durations.
 * @returns the number of seconds, or undefined when `text` is not one (or too large to be finite).
 */
export function parseSeconds(text: string): number | undefined {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text)) return undefined;
  const s = Number(text);
  return Number.isFinite(s) ? s : undefined;
}
