/**
 * Hunks from command-line options: `--edit OFFSET=NEW`, `--edit OFFSET:OLD=NEW`, and
 * `--find PATTERN --replace NEW [--all | --count N]`.
 */

import { InputError } from '../../errors.js';
import { parseTypedToken } from '../data.js';
import { isAddressToken, parseAddress } from '../exe/address.js';
import { isLexError, parseHexBytes, parsePatternText, parseUnsigned, quote, type LexError } from './lex.js';
import type { AnchorHunk, MatchCount, OffsetHunk } from './model.js';

function optionError(option: string, value: string, at: number, message: string): InputError {
  return new InputError(`${option} ${quote(value)}, col ${at + 1}: ${message}`, { token: value, position: at });
}

function hexOrFail(option: string, spec: string, text: string, base: number, what: string): Uint8Array {
  const v: Uint8Array | LexError = parseHexBytes(text);
  if (isLexError(v)) throw optionError(option, spec, base + v.at, v.error);
  if (v.length === 0) throw optionError(option, spec, base, `no ${what} bytes`);
  return v;
}

/**
 * Parses one `--edit` value: `OFFSET=NEWHEX` (unguarded) or `OFFSET:OLDHEX=NEWHEX` (guarded).
 * OFFSET as in the native format (with size suffixes: `4K`); negative counts from the end of the
 * file. The hex is hex data as on the command line (`eb05`, `eb 05`, `eb:05`); the first ':'
 * ends the OFFSET. OFFSET may be a symbolic address (`sym:check+0x12=7405`,
 * `sym:check+0x12:7505=7405`, `va:0x401000=90`): then OLDHEX follows the LAST ':' before '=' when
 * that ':' is not half of a C++ `::` (`sym:ns::f=c3`); the engine resolves it per file.
 *
 * @param occurrence 1-based position among the `--edit` options (the hunk's `source.line`).
 * @throws {InputError} naming the column of the problem.
 */
export function parseEditSpec(spec: string, occurrence = 1): OffsetHunk {
  const opt = '--edit';
  const eq = spec.indexOf('=');
  if (eq < 0) throw optionError(opt, spec, spec.length, "expected OFFSET=NEWHEX or OFFSET:OLDHEX=NEWHEX (no '=')");
  if (isAddressToken(spec)) return addressEdit(spec, eq, occurrence);
  const first = spec.indexOf(':');
  const colon = first >= 0 && first < eq ? first : -1; // the first ':' ends OFFSET; hex may hold more
  const offText = spec.slice(0, colon >= 0 ? colon : eq).trim();
  const offAt = spec.indexOf(offText.charAt(0));
  const negative = offText.startsWith('-');
  if (offText === '') throw optionError(opt, spec, Math.max(0, offAt), "'' is not an offset");
  const value = parseUnsigned(negative ? offText.slice(1) : offText, negative);
  if (isLexError(value)) {
    throw optionError(opt, spec, offAt + (negative ? 1 : 0) + value.at, `${quote(offText)} is not an offset (${value.error})`);
  }
  const neu = hexOrFail(opt, spec, spec.slice(eq + 1), eq + 1, 'new');
  const source = { name: opt, line: occurrence };
  const at = { offset: negative ? -value : value, ...(negative && value === 0n && { fromEnd: true }) }; // -0: the end itself
  if (colon < 0) return { kind: 'offset', ...at, new: neu, source };
  const old = hexOrFail(opt, spec, spec.slice(colon + 1, eq), colon + 1, 'old');
  if (old.length !== neu.length) {
    throw optionError(opt, spec, eq, `old has ${old.length} byte(s) but new has ${neu.length}: an edit keeps the length`);
  }
  return { kind: 'offset', ...at, old, new: neu, source };
}

/** {@link parseEditSpec} of `ADDR[:OLDHEX]=NEWHEX`. */
function addressEdit(spec: string, eq: number, occurrence: number): OffsetHunk {
  const opt = '--edit';
  const head = spec.slice(0, eq);
  const last = head.lastIndexOf(':');
  const guarded = last > head.indexOf(':') && head[last - 1] !== ':';
  const offText = guarded ? head.slice(0, last) : head;
  let address: ReturnType<typeof parseAddress>;
  try {
    address = parseAddress(offText);
  } catch (err) {
    if (err instanceof InputError) throw optionError(opt, spec, 0, err.message);
    throw err;
  }
  const neu = hexOrFail(opt, spec, spec.slice(eq + 1), eq + 1, 'new');
  const source = { name: opt, line: occurrence };
  if (!guarded) return { kind: 'offset', offset: 0n, address, new: neu, source };
  const old = hexOrFail(opt, spec, spec.slice(last + 1, eq), last + 1, 'old');
  if (old.length !== neu.length) {
    throw optionError(opt, spec, eq, `old has ${old.length} byte(s) but new has ${neu.length}: an edit keeps the length`);
  }
  return { kind: 'offset', offset: 0n, address, old, new: neu, source };
}

/** The pattern of `--find`: a typed value (`u32le:0xdeadbeef`), or hex with `??` wildcards. */
function findPattern(find: string): { bytes: Uint8Array; mask: Uint8Array } {
  const typed = parseTypedToken(find);
  if (typed !== undefined) return { bytes: typed.bytes, mask: new Uint8Array(typed.bytes.length).fill(0xff) };
  const pattern = parsePatternText(find);
  if (isLexError(pattern)) throw optionError('--find', find, pattern.at, pattern.error);
  if (pattern.bytes.length === 0) throw optionError('--find', find, 0, 'empty pattern');
  if (pattern.mask.every((m) => m === 0)) throw optionError('--find', find, 0, 'the pattern has no fixed byte');
  return pattern;
}

/**
 * The anchor hunk of `--find PATTERN --replace NEW`: PATTERN may hold `??` wildcards, the
 * replacement is plain hex of the same length and is written at every match. Either may be a
 * typed value instead, `TYPE:VALUE` (`u32le:0xdeadbeef`, `f64be:3.5`; see parseTypedToken).
 * Without `all` or `count` exactly one match is expected; with `align`, only matches at a
 * multiple of `align` bytes from the start of the file count.
 *
 * @param occurrence 1-based position among the `--find` options (the hunk's `source.line`).
 * @throws {InputError} for bad hex or typed values, different lengths, `all` together with
 *   `count`, or an `align` below 1.
 */
export function findReplaceHunk(find: string, replace: string, opts: { all?: boolean; count?: number; align?: number } = {}, occurrence = 1): AnchorHunk {
  const found = findPattern(find);
  const typed = parseTypedToken(replace);
  const neu = typed !== undefined ? typed.bytes : hexOrFail('--replace', replace, replace, 0, 'replacement');
  if (opts.align !== undefined && !(Number.isSafeInteger(opts.align) && opts.align >= 1)) {
    throw new InputError(`--align must be a whole number of at least 1, not ${opts.align}`);
  }
  const pattern = opts.align !== undefined && opts.align > 1 ? { ...found, align: opts.align } : found;
  if (neu.length !== pattern.bytes.length) {
    throw new InputError(`--replace has ${neu.length} byte(s) but --find has ${pattern.bytes.length}: a replacement keeps the length`);
  }
  if (opts.all && opts.count !== undefined) throw new InputError('--all and --count exclude each other');
  if (opts.count !== undefined && (!Number.isSafeInteger(opts.count) || opts.count < 1)) {
    throw new InputError(`--count must be a whole number of at least 1, not ${opts.count}`);
  }
  const expect: MatchCount = opts.all ? 'all' : (opts.count ?? 1);
  return { kind: 'anchor', pattern, expect, relOffset: 0n, new: neu, source: { name: '--find', line: occurrence } };
}
