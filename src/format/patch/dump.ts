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
import { type DumpRun, lineError, parseUnhex } from '../unhex/index.js';
import { XXD_LINE } from '../unhex/dialects.js';
import { MAX_HUNKS, type OffsetHunk, type Patch, tooManyHunks } from './model.js';

export type { DumpRun };

export interface Dump {
  readonly layout: 'xxd' | 'hexdump-C' | 'plain';
  /** In dump order (normally increasing offsets). */
  readonly runs: readonly DumpRun[];
  /** hexdump -C's final offset line: the address after the last byte. */
  readonly end?: bigint;
}

/** Splits into lines without their `\r\n` / `\n`; a final newline does not add an empty line. */
function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * Parses an xxd dump (default layout, any `-c`, `-g`, `-s`, `-a`, `-u`; hex offsets; not `-e`,
 * `-b`, `-d`, `-i`, `-p`), through the shared dump reader (src/format/unhex).
 *
 * @throws {InputError} naming line and column for a line that is not `OFFSET: hex...`, a group
 *   with an odd number of digits or a non-hex character, or a `*` that does not fit.
 */
export function parseXxdDump(text: string, name = '-'): Dump {
  return { layout: 'xxd', runs: parseUnhex(text, { format: 'xxd', radix: 16, name }).runs };
}

/**
 * Parses `hexdump -C` / `hd` output (also with `-s`, `-n`, `-v`, and hand-edited lines), through
 * the shared dump reader (src/format/unhex).
 *
 * @throws {InputError} naming line and column for a malformed line, a token that is not one hex
 *   byte, a `*` that does not fit, an offset that goes back, data after the final offset line, or
 *   a final offset that disagrees with the data.
 */
export function parseHexdumpC(text: string, name = '-'): Dump {
  const { runs, summary } = parseUnhex(text, { format: 'canonical', name });
  return { layout: 'hexdump-C', runs, ...(summary.end !== undefined && { end: summary.end }) };
}

/**
 * Which dump layout `text` is in, judged by its first non-blank line: `OFFSET:` is xxd; an offset
 * followed by blanks and a hex byte (or an offset alone) is hexdump -C. Undefined otherwise.
 */
export function detectDumpLayout(text: string): Dump['layout'] | undefined {
  for (const s of splitLines(text)) {
    if (s.trim() === '') continue;
    if (XXD_LINE.test(s)) return 'xxd';
    if (/^[0-9a-fA-F]+[ \t]+[0-9a-fA-F]{2}([ \t]|$)/.test(s) || /^[ \t]*[0-9a-fA-F]+[ \t]*$/.test(s)) return 'hexdump-C';
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
  const { runs } = parseUnhex(text, { format: 'plain', name });
  if (runs.length === 0) return { layout: 'plain', runs: [] };
  const bytes = runs.length === 1 ? runs[0]!.bytes : Uint8Array.from(Buffer.concat(runs.map((r) => r.bytes)));
  return { layout: 'plain', runs: [{ offset, bytes, repeat: 1n, line: runs[0]!.line }] };
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
    const source = { name, line: group[0]!.line };
    if (hunks.length === MAX_HUNKS) throw tooManyHunks(source);
    hunks.push({ kind: 'offset', offset: group[0]!.offset, new: bytes, source });
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
