/**
 * Reverse parsers for hex dumps: xxd's default layout and `hexdump -C`, so that a dump — also one
 * edited by hand — can be applied to a file in place (`mmapx patch --format xxd`).
 *
 * xxd lines: `OFFSET: hex groups  ascii`. The offset is hex of any width (9+ digits above 4 GiB);
 * the hex area starts after the colon and one space, is groups of hex pairs separated by single
 * spaces (any `-c` / `-g`), and ends at the first run of two blanks (or a tab), where the ASCII
 * column starts — so the ASCII column is
 * ignored whatever it contains, hex-looking text included. `*` (from `xxd -a`) stands for lines
 * identical to the previous one (xxd only squeezes zero lines) up to the next line's offset.
 *
 * hexdump -C lines: `OFFSET  hh hh hh hh hh hh hh hh  hh hh hh hh hh hh hh hh  |ascii|`. The hex
 * area is everything before the first `|`; every blank-separated token in it is one byte, so the
 * two-space gap between bytes 7 and 8 is just another separator — bytes 8-15 are never lost (xxd
 * -r loses them). `*` repeats the previous line up to the next offset; a line holding only an
 * offset is the end (total size) and comes last.
 *
 * Unlike `xxd -r`, which seeks over a `*` and leaves the target's bytes there as they are, a
 * squeezed run here is written out: the dump says what those bytes are.
 *
 * Mixed or unknown layouts, odd digits, stray characters and inconsistent squeezes are errors
 * naming the line and column; nothing is skipped silently.
 */

import { InputError } from '../../errors.js';
import { INT64_MAX } from '../number.js';
import { HEX_VALUE, hex, quote } from './lex.js';
import type { OffsetHunk, Patch } from './model.js';

/**
 * Bytes from one dump line — or, for a squeeze (`*`), the previous line's bytes repeated
 * `repeat` times starting at `offset`.
 */
export interface DumpRun {
  readonly offset: bigint;
  readonly bytes: Uint8Array;
  /** 1 for a dump line; the number of repetitions for a squeeze. */
  readonly repeat: bigint;
  /** 1-based line of the dump that produced the run. */
  readonly line: number;
}

export interface Dump {
  readonly layout: 'xxd' | 'hexdump-C' | 'plain';
  /** In dump order (normally increasing offsets). */
  readonly runs: readonly DumpRun[];
  /** hexdump -C's final offset line: the address after the last byte. */
  readonly end?: bigint;
}

function lineError(name: string, line: number, col: number, text: string, message: string): InputError {
  return new InputError(`${name} line ${line}, col ${col + 1}: ${message}`, { line, position: col, token: text });
}

/** Splits into lines without their `\r\n` / `\n`; a final newline does not add an empty line. */
function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Reads the hex pairs of `text[from, to)`, blank-separated tokens of even length. */
function hexTokens(text: string, from: number, to: number, pairsOnly: boolean, fail: (col: number, message: string) => never): Uint8Array {
  const out = new Uint8Array((to - from) >> 1);
  let n = 0;
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09) {
      i++;
      continue;
    }
    const start = i;
    while (i < to && text.charCodeAt(i) !== 0x20 && text.charCodeAt(i) !== 0x09) i++;
    if ((i - start) % 2 !== 0 || (pairsOnly && i - start !== 2)) {
      for (let k = start; k < i; k++) {
        const ch = text.charCodeAt(k);
        if (ch > 255 || HEX_VALUE[ch]! < 0) fail(k, `${quote(text[k]!)} is not a hex digit`);
      }
      fail(start, pairsOnly ? `${quote(text.slice(start, i))} is not one hex byte` : 'odd number of hex digits');
    }
    for (let k = start; k < i; k += 2) {
      const a = text.charCodeAt(k);
      const b = text.charCodeAt(k + 1);
      const hi = a < 256 ? HEX_VALUE[a]! : -1;
      const lo = b < 256 ? HEX_VALUE[b]! : -1;
      if (hi < 0) fail(k, `${quote(text[k]!)} is not a hex digit`);
      if (lo < 0) fail(k + 1, `${quote(text[k + 1]!)} is not a hex digit`);
      out[n++] = (hi << 4) | lo;
    }
  }
  return out.slice(0, n);
}

/** Shared state machine for `*` squeezes: a squeeze repeats the last line up to the next offset. */
class Runs {
  readonly runs: DumpRun[] = [];
  private last: DumpRun | undefined;
  private squeezeLine = 0;

  constructor(
    private readonly name: string,
    private readonly lines: readonly string[],
  ) {}

  squeeze(line: number): void {
    if (this.last === undefined) {
      throw lineError(this.name, line, 0, '*', "'*' before any data line");
    }
    if (this.squeezeLine !== 0) {
      throw lineError(this.name, line, 0, '*', `second '*' in a row (first on line ${this.squeezeLine})`);
    }
    this.squeezeLine = line;
  }

  /** An offset that ends a squeeze: a data line's or the final offset line's. */
  reach(offset: bigint, line: number): void {
    if (this.squeezeLine === 0) return;
    const prev = this.last!;
    const len = BigInt(prev.bytes.length);
    const from = prev.offset + len;
    const gap = offset - from;
    if (gap < 0n || gap % len !== 0n) {
      throw lineError(
        this.name,
        line,
        0,
        this.lines[line - 1]!,
        `offset ${hex(offset)} after '*' (line ${this.squeezeLine}) is not ${hex(from)} plus a multiple of ` + `the ${len}-byte line it repeats`,
      );
    }
    if (gap > 0n) this.runs.push({ offset: from, bytes: prev.bytes, repeat: gap / len, line: this.squeezeLine });
    this.squeezeLine = 0;
  }

  data(offset: bigint, bytes: Uint8Array, line: number): void {
    this.reach(offset, line);
    this.last = { offset, bytes, repeat: 1n, line };
    this.runs.push(this.last);
  }

  /** At the end of input: a squeeze must have been closed by an offset. */
  finish(): void {
    if (this.squeezeLine !== 0) {
      throw lineError(this.name, this.squeezeLine, 0, '*', "'*' at the end: no following offset says where the run ends");
    }
  }

  /** End of the data seen so far (for the final offset check). */
  get dataEnd(): bigint {
    let end = 0n;
    for (const r of this.runs) {
      const e = r.offset + BigInt(r.bytes.length) * r.repeat;
      if (e > end) end = e;
    }
    return end;
  }
}

/**
 * A dump line's hex offset, which must fit in a signed 64-bit `off_t` like every offset mmapx
 * reads (and is never converted when it is absurdly long).
 */
function dumpOffset(digits: string, col: number, fail: (col: number, message: string) => never): bigint {
  const significant = digits.replace(/^0+/, '');
  const value = significant.length > 16 ? INT64_MAX + 1n : BigInt(`0x${significant || '0'}`);
  if (value > INT64_MAX)
    fail(col, `offset 0x${significant.length > 20 ? `${significant.slice(0, 20)}…` : significant} is out of the signed 64-bit range (-2^63..2^63-1)`);
  return value;
}

const XXD_LINE = /^[ \t]*([0-9a-fA-F]+):/;
const HEXDUMP_LINE = /^([0-9a-fA-F]+)[ \t]/;
const OFFSET_ONLY = /^[ \t]*([0-9a-fA-F]+)[ \t]*$/;

/**
 * Parses an xxd dump (default layout, any `-c`, `-g`, `-s`, `-a`, `-u`; not `-e`, `-b`, `-d`,
 * `-i`, `-p`).
 *
 * @throws {InputError} naming line and column for a line that is not `OFFSET: hex...`, a group
 *   with an odd number of digits or a non-hex character, or a `*` that does not fit.
 */
export function parseXxdDump(text: string, name = '-'): Dump {
  const lines = splitLines(text);
  const runs = new Runs(name, lines);
  for (let n = 0; n < lines.length; n++) {
    const s = lines[n]!;
    const line = n + 1;
    const fail = (col: number, message: string): never => {
      throw lineError(name, line, col, s, message);
    };
    const trimmed = s.trim();
    if (trimmed === '') continue;
    if (trimmed === '*') {
      runs.squeeze(line);
      continue;
    }
    const m = XXD_LINE.exec(s);
    if (!m) {
      fail(s.length - s.trimStart().length, "expected an xxd line 'OFFSET: hex...'");
      break;
    }
    const offset = dumpOffset(m[1]!, s.length - s.trimStart().length, fail);
    const start = m[0].length;
    // The hex area: after ':' and at most one space, up to the first two blanks or a tab
    // (xxd writes one space; two mean the hex area is empty and the ASCII column follows).
    const from = s[start] === ' ' ? start + 1 : start;
    let to = from;
    const blankAt = (i: number): boolean => i >= s.length || s[i] === ' ' || s[i] === '\t';
    if (!blankAt(from)) {
      while (to < s.length && s[to] !== '\t' && !(s[to] === ' ' && blankAt(to + 1))) to++;
    }
    const bytes = hexTokens(s, from, to, false, fail);
    if (bytes.length === 0) fail(start, 'no hex bytes after the offset');
    runs.data(offset, bytes, line);
  }
  runs.finish();
  return { layout: 'xxd', runs: runs.runs };
}

/**
 * Parses `hexdump -C` / `hd` output (also with `-s`, `-n`, `-v`, and hand-edited lines).
 *
 * @throws {InputError} naming line and column for a malformed line, a token that is not one hex
 *   byte, a `*` that does not fit, data after the final offset line, or a final offset that
 *   disagrees with the data.
 */
export function parseHexdumpC(text: string, name = '-'): Dump {
  const lines = splitLines(text);
  const runs = new Runs(name, lines);
  let end: { offset: bigint; line: number } | undefined;
  for (let n = 0; n < lines.length; n++) {
    const s = lines[n]!;
    const line = n + 1;
    const fail = (col: number, message: string): never => {
      throw lineError(name, line, col, s, message);
    };
    const trimmed = s.trim();
    if (trimmed === '') continue;
    if (end !== undefined) fail(0, `data after the final offset line ${end.line}`);
    if (trimmed === '*') {
      runs.squeeze(line);
      continue;
    }
    const only = OFFSET_ONLY.exec(s);
    if (only) {
      const offset = dumpOffset(only[1]!, s.length - s.trimStart().length, fail);
      runs.reach(offset, line);
      end = { offset, line };
      continue;
    }
    const m = HEXDUMP_LINE.exec(s);
    if (!m) {
      fail(0, "expected a hexdump -C line 'OFFSET  hh hh ...  |ascii|'");
      break;
    }
    const bar = s.indexOf('|', m[0].length);
    const to = bar >= 0 ? bar : s.length;
    const bytes = hexTokens(s, m[0].length, to, true, fail);
    if (bytes.length === 0) fail(s.length - s.slice(m[0].length).trimStart().length, 'no hex bytes after the offset');
    runs.data(dumpOffset(m[1]!, 0, fail), bytes, line);
  }
  runs.finish();
  if (end !== undefined && runs.runs.length > 0 && end.offset !== runs.dataEnd) {
    throw lineError(name, end.line, 0, lines[end.line - 1]!, `final offset ${hex(end.offset)} does not match the end of the data ${hex(runs.dataEnd)}`);
  }
  return { layout: 'hexdump-C', runs: runs.runs, ...(end !== undefined && { end: end.offset }) };
}

/**
 * Which dump layout `text` is in, judged by its first non-blank line: `OFFSET:` is xxd; an offset
 * followed by blanks and a hex byte (or an offset alone) is hexdump -C. Undefined otherwise.
 */
export function detectDumpLayout(text: string): Dump['layout'] | undefined {
  for (const s of splitLines(text)) {
    if (s.trim() === '') continue;
    if (XXD_LINE.test(s)) return 'xxd';
    if (/^[0-9a-fA-F]+[ \t]+[0-9a-fA-F]{2}([ \t]|$)/.test(s) || OFFSET_ONLY.test(s)) return 'hexdump-C';
    return undefined;
  }
  return undefined;
}

/** 1-based line and 0-based column of `text[index]`, and that line's text. */
function lineAt(text: string, index: number): { line: number; col: number; text: string } {
  let line = 1;
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0 && nl < index; nl = text.indexOf('\n', nl + 1)) {
    line++;
    start = nl + 1;
  }
  const end = text.indexOf('\n', start);
  return { line, col: index - start, text: text.slice(start, end < 0 ? text.length : end) };
}

/**
 * Whether `text` looks like a plain dump (`xxd -p`): hex digits and blanks only, at least one
 * digit, and no line with two blank-separated words (every xxd and hexdump -C data line has an
 * offset and then bytes). A lone hex word is also what `hexdump -C` prints for no bytes at all:
 * as a patch that is refused either way.
 */
export function looksLikePlainDump(text: string): boolean {
  return /^[0-9a-fA-F \t\r\n]*$/.test(text) && /[0-9a-fA-F]/.test(text) && !/[0-9a-fA-F][ \t]+[0-9a-fA-F]/.test(text);
}

/**
 * Parses a plain hex dump (`xxd -p`, `--format plain`) as `xxd -r -p` reads one: hex digits in
 * pairs, with blanks and line breaks anywhere ignored (even inside a pair). Nothing else may
 * appear, and the digits must pair up; unlike `xxd -r -p` nothing is skipped silently. A plain
 * dump has no offsets: its bytes start at `offset` (negative: counted back from the end of the
 * file, as a hunk's offset is).
 *
 * @throws {InputError} naming line and column of a character that is neither a hex digit nor a
 *   blank, or of the last digit when their number is odd.
 */
export function parsePlainDump(text: string, name = '-', offset = 0n): Dump {
  const bad = /[^0-9a-fA-F \t\r\n]/.exec(text);
  if (bad) {
    const at = lineAt(text, bad.index);
    throw lineError(name, at.line, at.col, at.text, `${quote(bad[0])} is not a hex digit (a plain dump holds only hex digits and blanks)`);
  }
  const first = /[0-9a-fA-F]/.exec(text);
  if (!first) return { layout: 'plain', runs: [] };
  const digits = text.replace(/[ \t\r\n]+/g, '');
  if (digits.length % 2 !== 0) {
    const at = lineAt(text, /[0-9a-fA-F][ \t\r\n]*$/.exec(text)!.index);
    throw lineError(name, at.line, at.col, at.text, `odd number of hex digits (${digits.length}): the last one has no pair`);
  }
  const bytes = Buffer.from(digits, 'hex');
  return { layout: 'plain', runs: [{ offset, bytes, repeat: 1n, line: lineAt(text, first.index).line }] };
}

/**
 * Parses a dump in either layout (`--format xxd`), detected from the first line. The two can be
 * told apart reliably: xxd always puts `:` after the offset, hexdump -C never does. A plain dump
 * (`xxd -p`) has no offsets to apply it by, and is refused with a pointer to `--format plain`.
 *
 * @throws {InputError} when the layout is unknown (line 1) or the dump is malformed.
 */
export function parseDump(text: string, name = '-'): Dump {
  if (looksLikePlainDump(text)) {
    const at = lineAt(text, /[0-9a-fA-F]/.exec(text)!.index);
    throw lineError(
      name,
      at.line,
      at.col,
      at.text,
      'hex digits with no offset: a plain dump (xxd -p) is applied with --format plain, and --seek OFFSET where its bytes go',
    );
  }
  const layout = detectDumpLayout(text);
  if (layout === 'xxd') return parseXxdDump(text, name);
  if (layout === 'hexdump-C') return parseHexdumpC(text, name);
  const lines = splitLines(text);
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) return { layout: 'xxd', runs: [] };
  throw lineError(name, first + 1, 0, lines[first]!, "neither an xxd line 'OFFSET: hex' nor a hexdump -C line 'OFFSET  hh hh'");
}

export interface DumpToPatchOptions {
  /** Refuse dumps whose squeezed runs expand beyond this many bytes (default 256 MiB). */
  readonly maxBytes?: number;
}

/**
 * Turns a dump into unguarded hunks, one per stretch of consecutive runs (adjacent lines merge),
 * squeezes expanded. The dump does not set the file size: it patches in place; runs past the end
 * need the file to grow.
 *
 * @throws {InputError} when the expanded dump would exceed `maxBytes`.
 */
export function dumpToPatch(dump: Dump, name = '-', opts: DumpToPatchOptions = {}): Patch {
  const maxBytes = BigInt(opts.maxBytes ?? 256 * 1024 * 1024);
  let total = 0n;
  for (const r of dump.runs) {
    total += BigInt(r.bytes.length) * r.repeat;
    if (total > maxBytes) {
      throw new InputError(`${name} line ${r.line}: the dump expands to more than ${maxBytes} bytes`, { line: r.line });
    }
  }
  const hunks: OffsetHunk[] = [];
  let group: DumpRun[] = [];
  let groupEnd = -1n;
  const flush = (): void => {
    if (group.length === 0) return;
    let len = 0;
    for (const r of group) len += r.bytes.length * Number(r.repeat);
    const bytes = new Uint8Array(len);
    let at = 0;
    for (const r of group) {
      for (let k = 0n; k < r.repeat; k++) {
        bytes.set(r.bytes, at);
        at += r.bytes.length;
      }
    }
    hunks.push({ kind: 'offset', offset: group[0]!.offset, new: bytes, source: { name, line: group[0]!.line } });
    group = [];
  };
  for (const r of dump.runs) {
    if (r.offset !== groupEnd) flush();
    group.push(r);
    groupEnd = r.offset + BigInt(r.bytes.length) * r.repeat;
  }
  flush();
  return { hunks, guards: {} };
}
