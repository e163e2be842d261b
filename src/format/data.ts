/**
 * Data as the CLI reads it: hex bytes (the default), search patterns with wildcards, text with
 * escapes, and typed values (`u32le 0x1f40`), plus the small formatters the summaries use.
 */

import { InputError } from '../errors.js';
import { scanNumber } from './number.js';
import { badChar, badInput, quote, showChar, shown } from './quote.js';

// ---------------------------------------------------------------------------------------------
// Hex data and patterns
// ---------------------------------------------------------------------------------------------

/**
 * Character classes of hex input. 0-15 are the nibble values of `0-9a-fA-F`; the others are
 * above 15 so that "is a digit" is one comparison, and "digit or wildcard" another.
 */
const WILD = 16;
const SPACE = 17;
const PUNCT = 18;
const OTHER = 19;

/** Class of each ASCII code unit (a 128-entry table built once). */
const ASCII_CLASS = (() => {
  const table = new Uint8Array(128).fill(OTHER);
  for (let d = 0; d < 10; d++) table[0x30 + d] = d;
  for (let d = 0; d < 6; d++) {
    table[0x41 + d] = 10 + d;
    table[0x61 + d] = 10 + d;
  }
  table[0x3f] = WILD; // ?
  for (const ws of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]) table[ws] = SPACE;
  for (const punct of [0x3a, 0x2d, 0x2c]) table[punct] = PUNCT; // : - ,
  return table;
})();

/**
 * Class of the code unit at `i`. Beyond ASCII, whitespace is what JavaScript's `\s` says, so a
 * pasted no-break space separates bytes too; past the end it is OTHER.
 */
function classAt(text: string, i: number): number {
  const code = text.charCodeAt(i);
  if (code < 128) return ASCII_CLASS[code]!;
  return code > 0 && /\s/.test(String.fromCharCode(code)) ? SPACE : OTHER;
}

/** A plain run of hex digits, the shape of big inputs (`xxd -p` joined): decoded by Buffer. */
const PLAIN_HEX = /^[0-9a-fA-F]*$/;

interface ScannedHex {
  bytes: Uint8Array;
  /** 0xff for a fixed byte, 0x00 for a wildcard (0xf0 / 0x0f for nibble wildcards); only when wildcards were allowed. */
  mask: Uint8Array | null;
}

/** Which wildcards a scan accepts: none (data), `??` (whole bytes), or also `7?` / `?7` (nibbles). */
type Wildcards = 'none' | 'byte' | 'nibble';

/**
 * Scans one argument of hex data (or a pattern when `wildcards`): groups of whole bytes, each
 * group optionally prefixed `0x`, separated by whitespace and/or one of `: - ,`. Decodes as it
 * validates, in one pass through a class table and with no regular expression, so it is linear
 * in the input and has no backtracking stack to overflow (a validation regex with a repeated
 * group overflows V8's regexp stack near 10 MB); an error names the first offending character,
 * left to right.
 */
function scanHex(arg: string, what: string, wildcards: Wildcards): ScannedHex {
  const len = arg.length;
  const top = wildcards !== 'none' ? WILD : 15; // classes 0..top are digits (and ? in a pattern)
  const bytes = new Uint8Array(len >>> 1);
  const mask = wildcards !== 'none' ? new Uint8Array(len >>> 1) : null;
  let n = 0;
  let groups = 0;
  let pendingPunct = -1; // position of a separator that still needs a group after it
  let i = 0;

  const stray = (at: number): InputError => {
    if (wildcards === 'nibble') return badChar(what, arg, at, "is not a hex digit or '?'");
    const hint = arg[at] === '?' ? ' (wildcards ?? are only for search patterns)' : '';
    return badChar(what, arg, at, `is not a hex digit${hint}`);
  };

  while (i < len) {
    const cls = classAt(arg, i);
    if (cls === SPACE) {
      i++;
      continue;
    }
    if (cls === PUNCT) {
      if (groups === 0 || pendingPunct >= 0) throw badChar(what, arg, i, 'must sit between two bytes');
      pendingPunct = i;
      i++;
      continue;
    }
    if (cls > top) throw stray(i);

    // A group: [0x] then pairs of digits (or ?? in a pattern), up to a separator or the end.
    const groupStart = i;
    if (cls === 0 && (arg[i + 1] === 'x' || arg[i + 1] === 'X')) {
      i += 2;
      const next = i < len ? classAt(arg, i) : SPACE;
      if (next > top) {
        if (next === OTHER) throw stray(i);
        const prefix = `missing hex digits after "${arg.slice(groupStart, i)}"`;
        throw badInput(what, arg, i, `${prefix} at position ${groupStart}`, prefix);
      }
    }
    for (; i < len; i += 2) {
      const hi = classAt(arg, i);
      if (hi > top) break;
      const lo = i + 1 < len ? classAt(arg, i + 1) : SPACE;
      if (lo > top) {
        if (lo === OTHER) throw stray(i + 1);
        throw oddDigits(arg, what, groupStart, i + 1);
      }
      if (hi < WILD && lo < WILD) {
        bytes[n] = (hi << 4) | lo;
        if (mask) mask[n] = 0xff;
      } else if (wildcards === 'nibble') {
        // 7? fixes the high nibble, ?7 the low one, ?? neither.
        bytes[n] = ((hi < WILD ? hi : 0) << 4) | (lo < WILD ? lo : 0);
        mask![n] = (hi < WILD ? 0xf0 : 0) | (lo < WILD ? 0x0f : 0);
      } else if (hi !== lo) {
        throw badChar(what, arg, hi === WILD ? i : i + 1, 'pairs with a hex digit; a wildcard covers a whole byte (??)');
      } // else ??: a wildcard byte, 0x00 in both bytes and mask.
      n++;
    }
    groups++;
    pendingPunct = -1;
    if (i < len && classAt(arg, i) === OTHER) throw stray(i);
  }

  if (pendingPunct >= 0) throw badChar(what, arg, pendingPunct, 'must sit between two bytes');
  if (groups === 0) throw badInput(what, arg, 0, len === 0 ? 'empty' : 'no hex digits');
  // Copy out of the worst-case allocation so that `.buffer` holds exactly the data.
  return { bytes: bytes.slice(0, n), mask: mask ? mask.slice(0, n) : null };
}

function oddDigits(arg: string, what: string, groupStart: number, groupEnd: number): InputError {
  const whole = arg.slice(0, groupStart).trim() === '' && arg.slice(groupEnd).trim() === '';
  const where = whole ? '' : ` in ${quote(arg.slice(groupStart, groupEnd))} at position ${groupStart}`;
  return badInput(what, arg, groupStart, `odd number of hex digits${where}`, 'odd number of hex digits');
}

/**
 * Short hex pairs separated by single spaces (`74 05 eb`), the shape of patch-file lines: also
 * for Buffer's decoder. Only for short text, so the repeated group cannot exhaust the regexp stack.
 */
const SPACED_PAIRS = /^ ?[0-9a-fA-F]{2}(?: [0-9a-fA-F]{2})* ?$/;

/** Decodes one argument of hex data; plain even-length hex goes straight to Buffer's decoder. */
function decodeHexArg(arg: string): Uint8Array {
  if (arg.length > 0 && arg.length % 2 === 0 && PLAIN_HEX.test(arg)) {
    const bytes = new Uint8Array(arg.length / 2);
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).write(arg, 'hex');
    return bytes;
  }
  if (arg.length <= 4096 && SPACED_PAIRS.test(arg)) return decodeHexArg(arg.replaceAll(' ', ''));
  return scanHex(arg, 'hex data', 'none').bytes;
}

/**
 * Parses hex data given as one or more arguments, concatenated in order.
 *
 * Each argument holds whole bytes in upper or lower case, in groups separated by whitespace
 * and/or one of `:`, `-`, `,` (so `eb05`, `eb 05`, `eb:05`, `de-ad`, `0xde, 0xad` all work; a
 * punctuation separator must sit between two groups). Each group may start with `0x`. Every
 * group has an even number of digits: `e:b05` is refused rather than guessed.
 * Plain hex is decoded by Buffer's built-in decoder; anything else by one linear scan
 * (a megabyte of either takes milliseconds, not tenths of a second).
 *
 * @throws {InputError} naming the argument and the position in it: no arguments, an argument
 *   without bytes, a stray character (`bad hex data "eb0g": 'g' at position 3 is not a hex
 *   digit`), an odd number of digits (`bad hex data "eb0": odd number of hex digits`), a
 *   misplaced separator, a `0x` without digits.
 */
export function parseHexData(args: readonly string[]): Uint8Array {
  if (args.length === 0) throw new InputError('no hex data given');
  if (args.length === 1) return decodeHexArg(args[0]!);
  return concatBytes(args.map(decodeHexArg));
}

/** The parts one after the other, in a new Uint8Array that owns its bytes. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A search pattern: compare `(data[i] & mask[i]) === bytes[i]` at each position. */
export interface HexPattern {
  /** The fixed bits, 0 where the pattern has a wildcard. */
  readonly bytes: Uint8Array;
  /** 0xff where the byte is fixed, 0x00 where it is a wildcard (`??`); 0xf0 / 0x0f for `7?` / `?7`. */
  readonly mask: Uint8Array;
}

/** Options for {@link parseHexPattern}. */
export interface HexPatternOptions {
  /**
   * Also accept nibble wildcards: `7?` fixes the high nibble (mask 0xf0), `?7` the low one
   * (mask 0x0f). The patch format and `find` use them; then at least one nibble must be fixed.
   */
  nibbles?: boolean;
}

/**
 * Parses a search pattern: hex as in {@link parseHexData}, where `??` stands for any one byte
 * (`74 ?? 8b 45`). Wildcards cover whole bytes only (`7?` is refused) unless `nibbles`, and at
 * least one byte (with `nibbles`: one nibble) must be fixed.
 *
 * @throws {InputError} as {@link parseHexData}, or when a `?` pairs with a digit, or when every
 *   byte is a wildcard.
 */
export function parseHexPattern(text: string, options: HexPatternOptions = {}): HexPattern {
  const what = 'hex pattern';
  const { bytes, mask } = scanHex(text, what, options.nibbles ? 'nibble' : 'byte');
  if (options.nibbles) {
    if (mask!.every((m) => m === 0)) throw badInput(what, text, 0, 'needs at least one fixed nibble');
  } else if (!mask!.includes(0xff)) {
    throw badInput(what, text, 0, 'needs at least one fixed byte');
  }
  return { bytes, mask: mask! };
}

/**
 * @internal The scanner behind {@link parseHexData} and {@link parseHexPattern}, for the patch
 * formats (src/format/patch/lex.ts), which frame errors with their own line and column (see
 * `InputError.location.detail`) and report empty input themselves: blank `text` gives no bytes.
 * `nibbles` selects the pattern syntax with `??`, `7?` and `?7` (and a mask); otherwise hex data.
 *
 * @throws {InputError} as {@link parseHexData} / {@link parseHexPattern} for malformed text.
 */
export function scanHexText(text: string, nibbles: false): { bytes: Uint8Array };
export function scanHexText(text: string, nibbles: true): { bytes: Uint8Array; mask: Uint8Array };
export function scanHexText(text: string, nibbles: boolean): { bytes: Uint8Array; mask?: Uint8Array } {
  if (text.trim() === '') return { bytes: new Uint8Array(0), mask: new Uint8Array(0) };
  if (!nibbles) return { bytes: decodeHexArg(text) };
  const { bytes, mask } = scanHex(text, 'hex pattern', 'nibble');
  return { bytes, mask: mask! };
}

/** `00` … `ff`. */
const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, v) => v.toString(16).padStart(2, '0'));

/** Options for {@link formatHex}. */
export interface FormatHexOptions {
  /** Between bytes; default one space. */
  sep?: string;
  /** Show at most this many bytes, then ` … (N bytes)`. */
  max?: number;
}

/**
 * `74 05`: bytes as lower-case hex pairs for summaries and messages. With `max`, longer data is
 * cut and the total given: `de ad … (1024 bytes)`.
 */
export function formatHex(bytes: Uint8Array, options: FormatHexOptions = {}): string {
  const sep = options.sep ?? ' ';
  const cut = options.max !== undefined && bytes.length > options.max;
  const shownBytes = cut ? bytes.subarray(0, Math.max(0, options.max!)) : bytes;
  let joined: string;
  if (sep === '') joined = Buffer.from(shownBytes.buffer, shownBytes.byteOffset, shownBytes.length).toString('hex');
  else {
    // Through the pair table: a regex callback per pair was the cost of printing a large diff.
    joined = shownBytes.length > 0 ? HEX_PAIRS[shownBytes[0]!]! : '';
    for (let i = 1; i < shownBytes.length; i++) joined += sep + HEX_PAIRS[shownBytes[i]!]!;
  }
  if (!cut) return joined;
  return `${joined}${joined === '' ? '' : ' '}… (${bytes.length} bytes)`;
}

// ---------------------------------------------------------------------------------------------
// Text data
// ---------------------------------------------------------------------------------------------

/** Single-character escapes of text data and the byte each stands for. */
const TEXT_ESCAPES: ReadonlyMap<string, number> = new Map([
  ['n', 0x0a],
  ['r', 0x0d],
  ['t', 0x09],
  ['0', 0x00],
  ['\\', 0x5c],
  ['"', 0x22],
  ["'", 0x27],
]);
const KNOWN_ESCAPES = '\\n \\r \\t \\0 \\\\ \\" \\\' \\xNN';

const utf8 = new TextEncoder();

/**
 * Parses text data: the UTF-8 bytes of `text`, where a backslash starts an escape:
 * `\n` `\r` `\t` `\0` (NUL; not followed by a digit, because `\012` would look octal),
 * `\\` `\"` `\'`, and `\xNN` for one raw byte (`\xff` is the byte 0xff, not the UTF-8 of U+00FF).
 *
 * @throws {InputError} naming the text and the position of the backslash: an unknown escape, a
 *   `\x` without two hex digits, `\0` followed by a digit, a lone backslash at the end; also
 *   empty text and lone surrogates (which have no UTF-8 form).
 */
export function parseTextData(text: string): Uint8Array {
  const what = 'text data';
  if (text.length === 0) throw badInput(what, text, 0, 'empty');
  const surrogate = /\p{Cs}/u.exec(text);
  if (surrogate) throw badChar(what, text, surrogate.index, 'is a lone surrogate, which has no UTF-8 form');
  if (!text.includes('\\')) return utf8.encode(text);

  const chunks: Uint8Array[] = [];
  let last = 0;
  for (let at = text.indexOf('\\'); at !== -1; at = text.indexOf('\\', last)) {
    if (at > last) chunks.push(utf8.encode(text.slice(last, at)));
    const next = text[at + 1];
    if (next === undefined) {
      throw badChar(what, text, at, 'ends the text; write \\\\ for a backslash');
    }
    if (next === 'x') {
      const hex = text.slice(at + 2, at + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
        throw badInput(what, text, at, `escape '\\x' at position ${at} needs two hex digits`);
      }
      chunks.push(Uint8Array.of(parseInt(hex, 16)));
      last = at + 4;
      continue;
    }
    if (next === '0' && /^[0-9]$/.test(text[at + 2] ?? '')) {
      throw badInput(what, text, at, `escape '\\0' at position ${at} is followed by a digit; write \\x00 (octal escapes are not supported)`);
    }
    const byte = TEXT_ESCAPES.get(next);
    if (byte === undefined) {
      const escaped = showChar(text, at + 1).slice(1, -1);
      throw badInput(what, text, at, `unknown escape '\\${escaped}' at position ${at} (known: ${KNOWN_ESCAPES})`);
    }
    chunks.push(Uint8Array.of(byte));
    last = at + 2;
  }
  if (last < text.length) chunks.push(utf8.encode(text.slice(last)));

  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Typed values
// ---------------------------------------------------------------------------------------------

/** Every typed-value name, in the order the CLI lists them. */
export const TYPED_TYPES = [
  'u8',
  'u16le',
  'u16be',
  'u32le',
  'u32be',
  'u64le',
  'u64be',
  'i8',
  'i16le',
  'i16be',
  'i32le',
  'i32be',
  'i64le',
  'i64be',
  'f32le',
  'f32be',
  'f64le',
  'f64be',
] as const;

/** A typed-value name such as `u32le`. */
export type TypedType = (typeof TYPED_TYPES)[number];

/** Whether `name` is one of {@link TYPED_TYPES}. */
export function isTypedType(name: string): name is TypedType {
  return (TYPED_TYPES as readonly string[]).includes(name);
}

/** Size in bytes of a value of `type`. */
export function typedWidth(type: TypedType): number {
  return Number.parseInt(type.slice(1), 10) / 8;
}

/** Parses the decimal floating-point grammar strictly, reporting the first bad character. */
function parseFloatText(text: string, what: string): number {
  if (text.length === 0) throw badInput(what, text, 0, 'empty');
  let i = 0;
  const sign = text[0] === '-' || text[0] === '+' ? text[0] : '';
  if (sign) i++;
  const word = text.slice(i).toLowerCase();
  if (word === 'inf' || word === 'infinity') return sign === '-' ? -Infinity : Infinity;
  if (word === 'nan') {
    if (sign) throw badChar(what, text, 0, 'cannot sign nan');
    return Number.NaN;
  }
  const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';
  const mantissaStart = i;
  while (isDigit(text[i])) i++;
  if (text[i] === '.') {
    i++;
    while (isDigit(text[i])) i++;
  }
  if (!/[0-9]/.test(text.slice(mantissaStart, i))) {
    if (i >= text.length) throw badInput(what, text, i, 'missing digits');
    throw badChar(what, text, i, 'is not a decimal digit (floats are decimal, with an optional exponent, inf or nan)');
  }
  if (text[i] === 'e' || text[i] === 'E') {
    i++;
    if (text[i] === '-' || text[i] === '+') i++;
    if (!isDigit(text[i])) {
      if (i >= text.length) throw badInput(what, text, i, 'missing digits in the exponent');
      throw badChar(what, text, i, 'is not a decimal digit of the exponent');
    }
    while (isDigit(text[i])) i++;
  }
  if (i < text.length) throw badChar(what, text, i, 'is not part of a decimal number');
  return Number(text);
}

/**
 * Encodes one typed value. Integers are read as in {@link parseNumber} (so `0x1f40`, `4K` and
 * `-1` work) and must fit the type: `300 does not fit in u8 (0..255)`; no wrap-around.
 * Floats are decimal with an optional exponent (`1.5`, `-2e-3`, `.5`), or `inf`, `-inf`, `nan`
 * (any case; NaN is the canonical quiet NaN). A finite float that would become infinite or 0 in
 * the type is refused rather than rounded away.
 *
 * @throws {InputError} naming the token (and a position for malformed numbers).
 */
export function encodeTyped(type: TypedType, text: string): Uint8Array {
  const width = typedWidth(type);
  const littleEndian = !type.endsWith('be');
  const out = new Uint8Array(width);
  const view = new DataView(out.buffer);
  const what = `${type} value`;

  if (type[0] === 'f') {
    const value = parseFloatText(text, what);
    const stored = width === 4 ? Math.fround(value) : value;
    const doesNotFit = (why: string): InputError => new InputError(`${shown(text)} does not fit in ${type} (${why})`, { token: text, position: 0 });
    // Infinity is only ever written as inf; from digits it means the value was too large.
    if (!Number.isFinite(stored) && !Number.isNaN(stored) && !/^[+-]?inf/i.test(text)) {
      throw doesNotFit('beyond the largest finite value');
    }
    if (stored === 0 && /[1-9]/.test(text.replace(/[eE].*$/, ''))) throw doesNotFit('rounds to 0');
    if (width === 4) view.setFloat32(0, stored, littleEndian);
    else view.setFloat64(0, stored, littleEndian);
    return out;
  }

  const bits = BigInt(width * 8);
  const signed = type[0] === 'i';
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  const value = scanNumber(text, what);
  if (value < min || value > max) {
    throw new InputError(`${shown(text)} does not fit in ${type} (${min}..${max})`, { token: text, position: 0 });
  }
  // Two's complement in `bits` bits, then one byte at a time in the type's order.
  let unsigned = BigInt.asUintN(Number(bits), value);
  for (let k = 0; k < width; k++) {
    out[littleEndian ? k : width - 1 - k] = Number(unsigned & 0xffn);
    unsigned >>= 8n;
  }
  return out;
}

/** A typed value written as one token, `TYPE:VALUE`: see {@link parseTypedToken}. */
export interface TypedToken {
  readonly type: TypedType;
  /** The value as written after the ':'. */
  readonly value: string;
  readonly bytes: Uint8Array;
}

/** A type name and ':' at the start of a token (never hex: `u`/`i` are not hex digits, and `f32le` etc. have an odd number of characters). */
const TYPED_PREFIX = /^([ui](?:8|16|32|64)|f(?:32|64))(le|be)?:/;

/**
 * A typed value written as one token: `u32le:0xdeadbeef`, `i16be:-2`, `f64le:3.5`, encoded by
 * {@link encodeTyped}. Undefined when `text` does not start with a type name and ':' (then it is
 * hex, and no hex starts so: `u` and `i` are not hex digits, and a type name of `f` has an odd
 * number of characters).
 *
 * @throws {InputError} for a type without its byte order (`u32:1`), or a bad or unfitting value.
 */
export function parseTypedToken(text: string): TypedToken | undefined {
  const m = TYPED_PREFIX.exec(text);
  if (!m) return undefined;
  const name = m[1]! + (m[2] ?? '');
  if (!isTypedType(name)) {
    const why = m[2] === undefined ? `${name} needs its byte order (${name}le or ${name}be)` : `${m[1]} has no byte order (${m[1]}:VALUE)`;
    throw new InputError(`bad typed value ${quote(text)}: ${why}`, { token: text, position: 0 });
  }
  const value = text.slice(m[0].length);
  return { type: name, value, bytes: encodeTyped(name, value) };
}
