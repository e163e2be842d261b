/**
 * Digests as `mmapx hash` names, checks and prints them. Pure: the hashing itself happens in the
 * CLI (node:crypto, node:zlib); this module knows the algorithms' names and digest sizes, reads a
 * `--check` value, and formats the line `sha256sum` prints, so that the two compare in scripts.
 */

import { badChar, badInput } from './quote.js';

/** The algorithms `mmapx hash --algo` accepts; the first is the default. */
export const DIGEST_ALGOS = ['sha256', 'sha1', 'md5', 'crc32'] as const;

export type DigestAlgo = (typeof DIGEST_ALGOS)[number];

/** Hex digits of each algorithm's digest (crc32: the 32-bit value as 8 digits, zero-padded). */
const HEX_DIGITS: Readonly<Record<DigestAlgo, number>> = { sha256: 64, sha1: 40, md5: 32, crc32: 8 };

export function isDigestAlgo(name: string): name is DigestAlgo {
  return (DIGEST_ALGOS as readonly string[]).includes(name);
}

/** How many hex digits a digest of `algo` has. */
export function digestHexLength(algo: DigestAlgo): number {
  return HEX_DIGITS[algo];
}

/**
 * Reads an expected digest (`--check`): hex digits in either case, optionally after `0x`, exactly
 * as many as `algo` has. Returns it in lower case, the way digests are printed.
 *
 * @throws {InputError} naming the first character that is not a hex digit, or the wrong length.
 */
export function parseExpectedDigest(text: string, algo: DigestAlgo): string {
  const what = `${algo} digest`;
  const start = /^0[xX]/.test(text) ? 2 : 0;
  const bad = /[^0-9a-fA-F]/.exec(text.slice(start));
  if (bad) throw badChar(what, text, start + bad.index, 'is not a hex digit');
  const digits = text.length - start;
  const want = HEX_DIGITS[algo];
  if (digits !== want) {
    throw badInput(what, text, text.length, `${digits} hex digit${digits === 1 ? '' : 's'}, but ${algo} digests have ${want}`);
  }
  return text.slice(start).toLowerCase();
}

/** A crc32 value as `mmapx hash` prints it: 8 lower-case hex digits (Python's `'%08x' % zlib.crc32(b)`). */
export function formatCrc32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

/**
 * The line `sha256sum` (and `md5sum`, `sha1sum`) prints for a file: `<hex>  <path>`. As GNU
 * coreutils does, a path with a backslash, a newline or a carriage return is escaped (`\\`, `\n`,
 * `\r`) and the line starts with a backslash, so that one file is always one line.
 */
export function checksumLine(hex: string, path: string): string {
  const escaped = path.replace(/[\\\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : '\\r'));
  return `${escaped === path ? '' : '\\'}${hex}  ${escaped}\n`;
}
