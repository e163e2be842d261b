/**
 * Digests as `mmapx hash` names, checks and prints them. Pure: the hashing itself happens in the
 * CLI (node:crypto, node:zlib); this module knows the algorithms' names and digest sizes, reads a
 * `--check` value, and formats the line `sha256sum` prints, so that the two compare in scripts.
 */

import { badChar, badInput } from './quote.js';

/**
 * The algorithms `mmapx hash --algo` accepts; the first is the default. Each but crc32 is
 * node:crypto's (OpenSSL's) of that name; blake2b512 is what `b2sum` prints by default.
 */
export const DIGEST_ALGOS = ['sha256', 'sha1', 'md5', 'crc32', 'sha512', 'sha224', 'sha384', 'blake2b512', 'sha3-256'] as const;

export type DigestAlgo = (typeof DIGEST_ALGOS)[number];

/** Hex digits of each algorithm's digest (crc32: the 32-bit value as 8 digits, zero-padded). */
const HEX_DIGITS: Readonly<Record<DigestAlgo, number>> = {
  sha256: 64,
  sha1: 40,
  md5: 32,
  crc32: 8,
  sha512: 128,
  sha224: 56,
  sha384: 96,
  blake2b512: 128,
  'sha3-256': 64,
};

/**
 * The name of each algorithm in a BSD-style line, `NAME (file) = hex`, as `sha256sum --tag`,
 * `b2sum --tag` and `cksum` write it; crc32 has none (cksum's CRC is another checksum).
 */
const TAGS: Readonly<Record<DigestAlgo, string | undefined>> = {
  sha256: 'SHA256',
  sha1: 'SHA1',
  md5: 'MD5',
  crc32: undefined,
  sha512: 'SHA512',
  sha224: 'SHA224',
  sha384: 'SHA384',
  blake2b512: 'BLAKE2b',
  'sha3-256': 'SHA3-256',
};

/** Fewest hex digits `--check` takes as a prefix of a digest (48 bits). */
export const MIN_PREFIX_DIGITS = 12;

export function isDigestAlgo(name: string): name is DigestAlgo {
  return (DIGEST_ALGOS as readonly string[]).includes(name);
}

/** How many hex digits a digest of `algo` has. */
export function digestHexLength(algo: DigestAlgo): number {
  return HEX_DIGITS[algo];
}

/**
 * Reads an expected digest (`--check`): hex digits in either case, optionally after `0x`, exactly
 * as many as `algo` has, or with `prefix` at least {@link MIN_PREFIX_DIGITS} of them (a prefix of
 * the digest; the caller says that it matched on a prefix). Returns it in lower case, the way
 * digests are printed.
 *
 * @throws {InputError} naming the first character that is not a hex digit, or the wrong length.
 */
export function parseExpectedDigest(text: string, algo: DigestAlgo, options: { prefix?: boolean } = {}): string {
  const what = `${algo} digest`;
  const start = /^0[xX]/.test(text) ? 2 : 0;
  const bad = /[^0-9a-fA-F]/.exec(text.slice(start));
  if (bad) throw badChar(what, text, start + bad.index, 'is not a hex digit');
  const digits = text.length - start;
  const want = HEX_DIGITS[algo];
  const least = options.prefix ? Math.min(MIN_PREFIX_DIGITS, want) : want;
  if (digits > want || digits < least) {
    const allowed = least < want ? `${want} (or a prefix of at least ${least})` : `${want}`;
    throw badInput(what, text, text.length, `${digits} hex digit${digits === 1 ? '' : 's'}, but ${algo} digests have ${allowed}`);
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

/**
 * A file's name as `sha256sum -c` prints it before `: OK`: as it is, unless it holds a newline;
 * then the line starts with a backslash and backslashes, newlines and carriage returns are
 * escaped as in {@link checksumLine} (coreutils 9 escapes these lines only for a newline).
 */
export function checkedName(path: string): string {
  if (!path.includes('\n')) return path;
  return `\\${path.replace(/[\\\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : '\\r'))}`;
}

/** One line of a checksum file (`-c SUMFILE`) that names a file to check. */
export interface SumEntry {
  readonly algo: DigestAlgo;
  /** Lower-case hex. */
  readonly digest: string;
  /** Unescaped: the file's name as the filesystem knows it. */
  readonly path: string;
}

/**
 * What one reading of checksum lines remembers, as coreutils does over all the files of one run:
 * whether lines are `<hex>  <file>` (with a type character, ' ' or '*') or `<hex> <file>` (BSD
 * `md5 -r`), decided by the first line that shows it; lines of the other kind are then malformed.
 */
export interface SumReading {
  reversed?: boolean;
}

/**
 * The lines of a checksum file worth parsing, numbered from 1 as read: a trailing `\r` is taken
 * off (files written on Windows), and empty lines and lines starting with `#` are skipped.
 */
export function* sumFileLines(text: string): Generator<{ line: string; number: number }> {
  const lines = text.split('\n');
  // The text after the last newline is a line only when it is not empty.
  const count = lines.at(-1) === '' ? lines.length - 1 : lines.length;
  for (let i = 0; i < count; i++) {
    let line = lines[i]!;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') continue;
    yield { line, number: i + 1 };
  }
}

const WHITE = (c: string | undefined): boolean => c === ' ' || c === '\t';
const HEX_RUN = /^[0-9a-fA-F]*/;

/** Undoes {@link checksumLine}'s escapes (`\\`, `\n`, `\r`); undefined for any other backslash. */
function unescapeName(text: string): string | undefined {
  let bad = false;
  const out = text.replace(/\\(.?)/gs, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    if (c === 'r') return '\r';
    bad = true;
    return '';
  });
  return bad ? undefined : out;
}

/** The result of {@link parseSumLine} for a 128-digit digest and no algorithm given. */
export const AMBIGUOUS = 'ambiguous';

/** A name as a C string: what comes before a NUL (sha256sum opens that; no path holds a NUL). */
function cString(name: string): string {
  const nul = name.indexOf('\0');
  return nul < 0 ? name : name.slice(0, nul);
}

/** The algorithm of a digest of `digits` hex digits, when the length says it (see {@link parseSumLine}). */
export function algoOfLength(digits: number): DigestAlgo | typeof AMBIGUOUS | undefined {
  if (digits === 64) return 'sha256';
  if (digits === 128) return AMBIGUOUS;
  return DIGEST_ALGOS.find((a) => HEX_DIGITS[a] === digits);
}

/**
 * Parses one line of a checksum file as `sha256sum -c` (GNU coreutils) does: optional leading
 * blanks; a backslash first when the name is escaped; then either the BSD tag form
 * `NAME (file) = hex` (`NAME` as `--tag` writes it, the name up to the last `)`, blanks optional
 * around `=`) or `hex`, one blank, a type character (' ' text or '*' binary) and the name (or,
 * in BSD `md5 -r` files, `hex`, one blank and the name: see {@link SumReading}). Hex digits in
 * either case.
 *
 * `algo` is the one algorithm expected (a digest of another length, a tag of another name, make
 * the line malformed, as for sha256sum). Without it each line says its own: a tag names it, and
 * the digest's length picks it: 8 crc32, 32 md5, 40 sha1, 56 sha224, 64 sha256 (sha3-256 needs
 * `algo`), 96 sha384; 128 digits are sha512 or blake2b512, for which {@link AMBIGUOUS} is returned.
 *
 * @returns the entry, undefined for a malformed line, or AMBIGUOUS.
 */
export function parseSumLine(line: string, algo: DigestAlgo | undefined, reading: SumReading): SumEntry | typeof AMBIGUOUS | undefined {
  let i = 0;
  while (WHITE(line[i])) i++;
  const escaped = line[i] === '\\';
  if (escaped) i++;
  const tagged = parseTagged(line, i, algo, escaped);
  if (tagged !== null) return tagged;
  const run = HEX_RUN.exec(line.slice(i))![0].length;
  const lineAlgo = algo ?? algoOfLength(run);
  if (lineAlgo === undefined) return undefined;
  if (lineAlgo === AMBIGUOUS) return WHITE(line[i + run]) ? AMBIGUOUS : undefined;
  const digits = HEX_DIGITS[lineAlgo];
  if (run < digits) return undefined;
  const digest = line.slice(i, i + digits).toLowerCase();
  i += digits;
  if (!WHITE(line[i])) return undefined;
  i++;
  if (line.length - i === 1 || (line[i] !== ' ' && line[i] !== '*')) {
    if (reading.reversed === false) return undefined;
    reading.reversed = true;
  } else if (reading.reversed !== true) {
    reading.reversed = false;
    i++; // the type character
  }
  const name = escaped ? unescapeName(line.slice(i)) : line.slice(i);
  if (name === undefined || name === '') return undefined;
  return { algo: lineAlgo, digest, path: cString(name) };
}

/**
 * The BSD form `NAME (file) = hex` at `i`: the entry, undefined when it is malformed, or null when
 * the line does not start with a tag (then it may be the other form).
 */
function parseTagged(line: string, i: number, algo: DigestAlgo | undefined, escaped: boolean): SumEntry | undefined | null {
  const candidates = algo === undefined ? DIGEST_ALGOS : [algo];
  for (const a of candidates) {
    const tag = TAGS[a];
    if (tag === undefined || !line.startsWith(tag, i)) continue;
    let j = i + tag.length;
    if (line[j] === ' ') j++;
    if (line[j] !== '(') continue;
    j++;
    const close = line.lastIndexOf(')');
    if (close < j) return undefined;
    let k = close + 1;
    while (WHITE(line[k])) k++;
    if (line[k] !== '=') return undefined;
    k++;
    while (WHITE(line[k])) k++;
    const hex = line.slice(k);
    if (hex.length !== HEX_DIGITS[a] || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
    const name = escaped ? unescapeName(line.slice(j, close)) : line.slice(j, close);
    if (name === undefined) return undefined;
    // An empty name is a name (that no file has), as in sha256sum.
    return { algo: a, digest: hex.toLowerCase(), path: cString(name) };
  }
  return null;
}

/** `1 line is`, `2 lines are` */
function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What `sha256sum -c` counted over one checksum file, for its closing warnings. */
export interface SumTally {
  /** Lines that named a file (parsed). */
  entries: number;
  malformed: number;
  /** Files that could not be opened or read. */
  unreadable: number;
  /** Digests that differed. */
  failed: number;
  /** Files whose digest matched. */
  ok: number;
  /** Files skipped as missing (--ignore-missing). */
  missing: number;
}

/**
 * The WARNING lines `sha256sum -c` prints (without its `sha256sum: ` prefix) after a checksum
 * file that had properly formatted lines, in its order and words.
 */
export function sumWarnings(t: SumTally): string[] {
  const out: string[] = [];
  if (t.malformed > 0) out.push(`WARNING: ${count(t.malformed, 'line is', 'lines are')} improperly formatted`);
  if (t.unreadable > 0) out.push(`WARNING: ${count(t.unreadable, 'listed file', 'listed files')} could not be read`);
  if (t.failed > 0) out.push(`WARNING: ${count(t.failed, 'computed checksum', 'computed checksums')} did NOT match`);
  return out;
}

/** The name `sha256sum`-style tools use for `algo` in messages (`SHA256`), or undefined. */
export function tagName(algo: DigestAlgo): string | undefined {
  return TAGS[algo];
}
