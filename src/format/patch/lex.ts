/**
 * Minimal number and hex lexing for the patch formats.
 *
 * TODO(unify): src/format/number.ts and src/format/data.ts will own number parsing (suffixes,
 * separators) and hex / `??` pattern parsing for the whole tool; replace these helpers with them.
 * Kept deliberately small: what the patch grammar needs, nothing more.
 */

/** Value of each hex digit by char code, -1 for anything else. */
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
export const HEX_PAIR: readonly string[] = Array.from({ length: 256 }, (_, b) =>
  b.toString(16).padStart(2, '0'),
);

export function isHexCode(code: number): boolean {
  return code < 256 && HEX_VALUE[code]! >= 0;
}

/** `de ad be ef` (lowercase, `sep` between bytes). */
export function formatHex(bytes: Uint8Array, sep = ' '): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = HEX_PAIR[bytes[i]!]!;
  return parts.join(sep);
}

/**
 * Parses an unsigned number: decimal without leading zeros (so that `00001f40` from an xxd dump is
 * never read as decimal), `0x` hex, `0o` octal, `0b` binary; `_` allowed between digits.
 * Returns undefined when `token` is not such a number.
 */
// TODO(unify): src/format/number.ts
export function parseUnsigned(token: string): bigint | undefined {
  let digits = token;
  let radix: 2 | 8 | 10 | 16 = 10;
  const prefix = token.slice(0, 2).toLowerCase();
  if (prefix === '0x') radix = 16;
  else if (prefix === '0o') radix = 8;
  else if (prefix === '0b') radix = 2;
  if (radix !== 10) digits = token.slice(2);
  if (digits.length === 0 || digits.startsWith('_') || digits.endsWith('_') || digits.includes('__')) {
    return undefined;
  }
  digits = digits.replaceAll('_', '');
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[radix];
  if (!valid.test(digits)) return undefined;
  if (radix === 10 && digits.length > 1 && digits.startsWith('0')) return undefined;
  return BigInt(radix === 10 ? digits : `0${RADIX_PREFIX[radix]}${digits}`);
}

const RADIX_PREFIX = { 2: 'b', 8: 'o', 16: 'x' } as const;

/** A parse failure inside one token: what is wrong and where (0-based, inside the token). */
export interface LexError {
  readonly error: string;
  readonly at: number;
}

/**
 * Hex bytes written as pairs, optionally separated by whitespace: `74 05`, `7405`.
 * `text` must already be trimmed of comments. Returns the bytes or where it went wrong.
 */
// TODO(unify): src/format/data.ts
export function parseHexBytes(text: string): Uint8Array | LexError {
  const out = new Uint8Array(text.length >> 1);
  let n = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09) {
      i++;
      continue;
    }
    const hi = c < 256 ? HEX_VALUE[c]! : -1;
    if (hi < 0) return { error: `${quote(text[i]!)} is not a hex digit`, at: i };
    const c2 = text.charCodeAt(i + 1);
    const lo = i + 1 < text.length && c2 < 256 ? HEX_VALUE[c2]! : -1;
    if (lo < 0) {
      return i + 1 >= text.length || c2 === 0x20 || c2 === 0x09
        ? { error: 'odd number of hex digits', at: i }
        : { error: `${quote(text[i + 1]!)} is not a hex digit`, at: i + 1 };
    }
    out[n++] = (hi << 4) | lo;
    i += 2;
  }
  return out.subarray(0, n);
}

/**
 * A byte pattern: hex pairs, `??` for any byte, `4?` / `?4` for a fixed high / low nibble;
 * whitespace optional between pairs. Returns bytes and mask (see BytePattern) or the failure.
 */
// TODO(unify): src/format/data.ts
export function parsePatternText(text: string): { bytes: Uint8Array; mask: Uint8Array } | LexError {
  const bytes = new Uint8Array(text.length >> 1);
  const mask = new Uint8Array(text.length >> 1);
  let n = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09) {
      i++;
      continue;
    }
    if (i + 1 >= text.length || text.charCodeAt(i + 1) === 0x20 || text.charCodeAt(i + 1) === 0x09) {
      return { error: 'odd number of hex digits', at: i };
    }
    let b = 0;
    let m = 0;
    for (let k = 0; k < 2; k++) {
      const ch = text.charCodeAt(i + k);
      b <<= 4;
      m <<= 4;
      if (ch === 0x3f /* ? */) continue;
      const v = ch < 256 ? HEX_VALUE[ch]! : -1;
      if (v < 0) return { error: `${quote(text[i + k]!)} is not a hex digit or '?'`, at: i + k };
      b |= v;
      m |= 0xf;
    }
    bytes[n] = b;
    mask[n] = m;
    n++;
    i += 2;
  }
  return { bytes: bytes.slice(0, n), mask: mask.slice(0, n) };
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

/** `0x1f40` (bigint, lowercase, negative as `-0x10`). */
export function hex(n: bigint | number): string {
  const v = BigInt(n);
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

/**
 * User text quoted for a one-line message: control characters escaped (`\x0d`), long text cut.
 */
export function quote(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return `'${cut.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}
