/**
 * The native mmapx patch format: line-oriented text, one change or guard per line.
 *
 * ```text
 * # mmapx patch: comments start with '#' and run to the end of the line.
 * sha256 before 0c1f...e9            # whole-file SHA-256 before the patch
 * sha256 after  77aa...01            # ... and after it
 * size before 0x2000                 # the file must be this long
 * size after  0x2400                 # grow (zero-filled) or truncate to this
 * 0x1f40: 74 05 -> eb 05             # guarded: expects 74 05, writes eb 05
 * 0x2000: 90 90                      # unguarded: writes 90 90
 * -4: 00 00 00 00 -> de ad be ef     # negative offset: from the end of the file
 * find e8 ?? ?? ?? ?? 84 c0 74 (once) +7: 74 -> eb
 * find 4? 8b ?5 (2 times): 90 90 90  # nibble wildcards; exactly two matches
 * find de ad be ef (all): 00 00 00 00
 * ```
 *
 * Grammar (EBNF; whitespace between tokens is free except inside a number; keywords are
 * lowercase, hex digits either case):
 *
 * ```ebnf
 * patch        = { line } ;
 * line         = [ statement ] [ comment ] ( "\n" | "\r\n" | end of input ) ;
 * comment      = "#" { any character but newline } ;   (* on a hunk line: the hunk's note *)
 * statement    = offset-hunk | anchor-hunk | file-guard | fill-stmt | copy-stmt | stamp-stmt | transform
 *              | insert-stmt | delete-stmt ;
 *
 * offset-hunk  = offset ":" change
 *              | "at" place ":" change ;   (* at sym:check+0x12: 75 05 -> 74 05 *)
 * offset       = [ "-" ] number ;          (* "-" counts from the end of the file before the patch *)
 * place        = address | [ "-" ] number ;
 * address      = ( "sym:" | "sec:" ) name [ rel ] | "seg:" number [ rel ] | ( "va:" | "rva:" ) number [ rel ] ;
 * rel          = ( "+" | "-" ) number ;    (* exe/address.ts; a name has no blank: C++ names mangled,
 *                                             or demangled without parameters (sym:ns::f) *)
 * anchor-hunk  = "find" pattern [ "(" count ")" ] [ relative ] ":" change ;
 * pattern      = pattern-group { [ "," ] pattern-group } ;   (* at least one fixed nibble *)
 * pattern-group= [ "0x" ] pattern-byte { pattern-byte } ;
 * pattern-byte = hexdigit hexdigit | "??" | hexdigit "?" | "?" hexdigit ;
 * count        = "once" | integer [ "time" | "times" ] | "all" ;   (* default: once *)
 * relative     = ( "+" | "-" ) number ;    (* from the start of each match; default +0 *)
 * change       = bytes "->" bytes          (* guarded: old -> new, same length *)
 *              | bytes ;                   (* unguarded *)
 * bytes        = group { [ ":" | "," | "-" ] group } ;   (* hex data as on the command line *)
 * group        = [ "0x" ] hexdigit hexdigit { hexdigit hexdigit } ;
 *
 * file-guard   = "sha256" ( "before" | "after" ) hexdigit * 64
 *              | "size"   ( "before" | "after" ) number ;    (* each at most once *)
 *
 * (* Range statements: resolved against the file when planned (plan.ts), each at most
 *    MAX_STATEMENT_BYTES; ranges as on the command line (OFFSET:LENGTH, START..END, and the
 *    address forms: sym:NAME alone, ADDR:LENGTH, ADDR..ADDR; see range.ts). The OFFSET of copy
 *    ... to and of insert may be an address too. *)
 * fill-stmt    = "fill" range bytes ;                 (* the bytes repeated over the range *)
 * copy-stmt    = "copy" range "to" offset ;           (* source and destination disjoint *)
 * stamp-stmt   = "stamp" side [ "(" count ")" ] "->" side [ "pad" ( hexdigit hexdigit | "space" ) ]
 *                [ "terminate" ] ;                    (* count: once or N times, not all *)
 * side         = '"' text '"' | bytes ;               (* text with the escapes of --text *)
 * transform    = op range [ argument ] [ "(" unit ")" ] "->" "sha256" hexdigit * 64 ;
 *                (* op: xor and or not add sub rol ror shl shr swap16 swap32 swap64 bswap
 *                   reverse (src/format/transform.ts); the hash is the range's after it *)
 *
 * (* Shifts (model.ts ShiftStatement): the tail of the file moves. *)
 * insert-stmt  = "insert" offset ":" side ;          (* the bytes go in before the byte at offset *)
 * delete-stmt  = "delete" range [ ":" side ] ;       (* the side: exactly the bytes deleted (a guard) *)
 * (move is a command, not a statement: it is refused.)
 *
 * EVERY address of a patch (offset hunks, anchors, range statements, insert, delete) refers to
 * the file BEFORE the patch, like the "before" side of a diff: the statements do not depend on
 * their order (only inserts at one offset go in the patch's order), their guards are checked
 * against the original, and a patch made for a file reads the same whatever else it holds. A
 * change or a range statement overlapping a deleted range, two deletes overlapping, and an
 * insert strictly inside a deleted range are refused (an insert at its start takes its place).
 * `size after` is then a guard: the size the shifts give. A shift is never "already applied":
 * a second run inserts and deletes again, unless a guard (the deleted bytes, `size before`,
 * `sha256 before`) fails, which is what protects such a patch.
 *
 * number       = decimal [ "." digits ] [ suffix ] | "0x" hexdigits | "0o" octdigits | "0b" bindigits ;
 * decimal      = "0" | nonzero { digit } ;   (* no leading zeros: "00001f40" is an xxd line *)
 * suffix       = ( "K" | "M" | "G" | "T" ) [ "iB" ] ;   (* either case, powers of 1024: 4K = 4096;
 *                                                 a fraction needs a suffix and whole bytes: 1.5K *)
 * integer      = number ;
 *                (* "_" may separate digits of any number: 0x1_0000. Numbers, hex bytes and
 *                   patterns are read by the same code as the command line's
 *                   (src/format/number.ts, src/format/data.ts). *)
 * ```
 *
 * Addresses (`at sym:check+0x12`, `fill sec:.data 00`, `delete sym:f`) are resolved per file,
 * in its executable image, by the engine (src/edit/address.ts) before the plan: a patch made
 * for one build applies to a rebuild where the function moved, and its old bytes still guard it.
 *
 * Semantics (see model.ts): a hunk already holding its new bytes is "already applied"; an
 * anchor's pattern must match exactly `count` times (matches may overlap) — or, if the patch
 * was already applied, the pattern with the new bytes in place must; hunks must not overlap;
 * hunks past the end need the file to grow (`size after`, or the caller's grow option).
 */

import { InputError } from '../../errors.js';
import { parseTextData } from '../data.js';
import { isAddressToken } from '../exe/address.js';
import { type Offset, parseOffset } from '../number.js';
import { parseRange, type Range } from '../range.js';
import { parseTransform, TRANSFORM_OPS } from '../transform.js';
import { formatHex, formatPattern, hex, isLexError, parseHexBytes, parsePatternText, parseUnsigned, quote, type LexError } from './lex.js';
import {
  type AnchorHunk,
  type FileGuards,
  type Guard,
  type Hunk,
  MAX_HUNKS,
  type MatchCount,
  type OffsetHunk,
  type Patch,
  type RangeOp,
  type ShiftStatement,
  type Source,
  tooManyHunks,
} from './model.js';
import { stampBytes, stampHunk } from './stamp.js';

/** One line being parsed: knows its text and number, and how to fail with a column. */
class Line {
  constructor(
    readonly name: string,
    readonly no: number,
    readonly text: string,
  ) {}

  get source(): Source {
    return { name: this.name, line: this.no };
  }

  /** @param col 0-based column in the line. */
  fail(message: string, col: number): never {
    throw new InputError(`${this.name} line ${this.no}, col ${col + 1}: ${message}`, {
      line: this.no,
      position: col,
      token: this.text,
    });
  }

  /** Fails at `base + err.at` when `v` is a lexing failure; returns `v` otherwise. */
  check<T>(v: T | LexError, base: number): T {
    if (isLexError(v)) this.fail(v.error, base + v.at);
    return v;
  }
}

/** Index of the first non-blank character at or after `i`. */
function skipBlank(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  return i;
}

function parseChange(line: Line, stmt: string, start: number): { old?: Uint8Array; new: Uint8Array } {
  const arrow = stmt.indexOf('->', start);
  if (arrow >= 0 && stmt.indexOf('->', arrow + 2) >= 0) line.fail("more than one '->'", stmt.indexOf('->', arrow + 2));
  const newStart = arrow >= 0 ? arrow + 2 : start;
  const newText = stmt.slice(newStart);
  const neu = line.check(parseHexBytes(newText), newStart);
  if (neu.length === 0) {
    line.fail(arrow >= 0 ? "no new bytes after '->'" : 'no bytes to write', skipBlank(stmt, newStart));
  }
  if (arrow < 0) return { new: neu };
  const oldText = stmt.slice(start, arrow);
  const old = line.check(parseHexBytes(oldText), start);
  if (old.length === 0) line.fail("no old bytes before '->'", arrow);
  if (old.length !== neu.length) {
    line.fail(`old has ${old.length} byte(s) but new has ${neu.length}: a change keeps the length`, arrow);
  }
  return { old, new: neu };
}

function parseNumberAt(line: Line, stmt: string, start: number, what: string, negated = false): { value: bigint; end: number } {
  const i = skipBlank(stmt, start);
  let end = i;
  while (end < stmt.length && /[0-9a-zA-Z_.]/.test(stmt[end]!)) end++;
  const token = stmt.slice(i, end);
  if (token === '') line.fail(`expected ${what}`, i);
  const value = parseUnsigned(token, negated);
  if (isLexError(value)) line.fail(`${quote(token)} is not a number (${value.error})`, i + value.at);
  return { value, end };
}

function expectEnd(line: Line, stmt: string, i: number): void {
  const j = skipBlank(stmt, i);
  if (j < stmt.length) line.fail(`unexpected ${quote(stmt.slice(j).trimEnd())}`, j);
}

function parseCount(line: Line, text: string, base: number): MatchCount {
  const t = text.trim();
  const at = base + text.indexOf(t.charAt(0));
  if (t === 'once') return 1;
  if (t === 'all') return 'all';
  const m = /^([0-9a-zA-Z_]+)(\s+times?)?$/.exec(t);
  const n = m ? parseUnsigned(m[1]!) : undefined;
  if (n === undefined || isLexError(n)) line.fail(`expected once, N times or all in '(...)', found ${quote(t)}`, at);
  if (n < 1n || n > BigInt(Number.MAX_SAFE_INTEGER))
    line.fail(n < 1n ? `match count must be at least 1` : `match count ${n} is past the largest mmapx counts (2^53-1)`, at);
  return Number(n);
}

function parseAnchor(line: Line, stmt: string, start: number, note: string | undefined): AnchorHunk {
  const colon = stmt.indexOf(':', start);
  if (colon < 0) line.fail("expected ':' before the change", stmt.length);
  const head = stmt.slice(0, colon);
  // The pattern runs up to '(' or a sign of the relative offset.
  let patEnd = start;
  while (patEnd < head.length && !'(+-'.includes(head[patEnd]!)) patEnd++;
  const pattern = line.check(parsePatternText(head.slice(start, patEnd)), start);
  if (pattern.bytes.length === 0) line.fail('expected a byte pattern after find', skipBlank(head, start));
  if (pattern.mask.every((m) => m === 0)) line.fail('the pattern has no fixed byte', skipBlank(head, start));
  let i = patEnd;
  let expect: MatchCount = 1;
  if (head[i] === '(') {
    const close = head.indexOf(')', i);
    if (close < 0) line.fail("missing ')'", i);
    expect = parseCount(line, head.slice(i + 1, close), i + 1);
    i = skipBlank(head, close + 1);
  }
  let relOffset = 0n;
  if (head[i] === '+' || head[i] === '-') {
    const sign = head[i] === '-' ? -1n : 1n;
    const { value, end } = parseNumberAt(line, head, i + 1, 'a relative offset after the sign', sign < 0n);
    relOffset = sign * value;
    i = end;
  }
  expectEnd(line, head, i);
  const change = parseChange(line, stmt, colon + 1);
  return {
    kind: 'anchor',
    pattern,
    expect,
    relOffset,
    ...change,
    source: line.source,
    ...(note !== undefined && { note }),
  };
}

function parseOffsetHunk(line: Line, stmt: string, note: string | undefined): OffsetHunk {
  const colon = stmt.indexOf(':');
  const first = skipBlank(stmt, 0);
  if (colon < 0) {
    line.fail("expected 'OFFSET: bytes', 'find PATTERN: bytes', 'size ...' or 'sha256 ...'", first);
  }
  let i = first;
  const negative = stmt[i] === '-';
  if (negative) i++;
  const { value, end } = parseNumberAt(line, stmt, i, 'an offset', negative);
  expectEnd(line, stmt.slice(0, colon), end);
  const change = parseChange(line, stmt, colon + 1);
  return {
    kind: 'offset',
    offset: negative ? -value : value,
    ...(negative && value === 0n && { fromEnd: true }), // -0: the end itself
    ...change,
    source: line.source,
    ...(note !== undefined && { note }),
  };
}

/** The next run of non-blank characters at or after `i` (empty at the end). */
function token(stmt: string, i: number): { text: string; start: number; end: number } {
  const start = skipBlank(stmt, i);
  let end = start;
  while (end < stmt.length && stmt[end] !== ' ' && stmt[end] !== '\t') end++;
  return { text: stmt.slice(start, end), start, end };
}

/** Calls `parse`, turning its InputError into a failure of `line` at `col` (plus the error's position). */
function located<T>(line: Line, col: number, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof InputError) line.fail(err.message, col + (err.location.position ?? 0));
    throw err;
  }
}

function parseRangeToken(line: Line, stmt: string, i: number, keyword: string): { range: Range; end: number } {
  const t = token(stmt, i);
  if (t.text === '') line.fail(`expected a RANGE after ${keyword} (OFFSET:LENGTH or START..END)`, t.start);
  return { range: located(line, t.start, () => parseRange(t.text)), end: t.end };
}

/**
 * A place followed by ':' (`sym:ns::f: ...`, `sym:f : ...`): an address, or a number as on the
 * command line. The ':' ends the first token (whose own ':' belong to the address) or follows it.
 * @returns the offset, and where what follows the ':' starts.
 */
function parsePlace(line: Line, stmt: string, start: number, what: string): { at: Offset; next: number } {
  const t = token(stmt, start);
  if (t.text === '' || t.text === ':') line.fail(`expected ${what} (sym:NAME[+OFF], sec:NAME[+OFF], seg:N, va:ADDR, rva:ADDR or a number)`, t.start);
  let text = t.text;
  let next: number;
  if (text.endsWith(':')) {
    text = text.slice(0, -1);
    next = t.end;
  } else {
    next = skipBlank(stmt, t.end);
    if (stmt[next] !== ':') line.fail(`expected ':' after ${quote(text)}`, next);
    next++;
  }
  return { at: located(line, t.start, () => parseOffset(text)), next };
}

/** The fields of an offset hunk or insert at `at`: a number (negative from the end; -0 the end), or an address. */
function placeFields(at: Offset): { offset: bigint; fromEnd?: true; address?: Offset['address'] } {
  if (at.address !== undefined) return { offset: 0n, address: at.address };
  return { offset: at.value, ...(at.fromEnd && at.value === 0n && { fromEnd: true }) };
}

/** `at PLACE: change`: a hunk at a symbolic address (resolved per file by the engine) or an offset. */
function parseAtHunk(line: Line, stmt: string, start: number, note: string | undefined): OffsetHunk {
  const { at, next } = parsePlace(line, stmt, start, "an address after 'at'");
  const change = parseChange(line, stmt, next);
  return { kind: 'offset', ...placeFields(at), ...change, source: line.source, ...(note !== undefined && { note }) };
}

/** `fill RANGE PATTERN`: the pattern (hex bytes) repeated over the range. */
function parseFill(line: Line, stmt: string, start: number, note: string | undefined): RangeOp {
  const { range, end } = parseRangeToken(line, stmt, start, 'fill');
  const pattern = line.check(parseHexBytes(stmt.slice(end)), end);
  if (pattern.length === 0) line.fail('expected the hex bytes to fill the range with', skipBlank(stmt, end));
  return { kind: 'fill', range, pattern, source: line.source, ...(note !== undefined && { note }) };
}

/** `copy RANGE to OFFSET`: the range's bytes (as before the patch) written at OFFSET. */
function parseCopy(line: Line, stmt: string, start: number, note: string | undefined): RangeOp {
  const { range, end } = parseRangeToken(line, stmt, start, 'copy');
  const to = token(stmt, end);
  if (to.text !== 'to') line.fail("expected 'to OFFSET' after the range", to.start);
  const dest = token(stmt, to.end);
  if (isAddressToken(dest.text)) {
    const at = located(line, dest.start, () => parseOffset(dest.text));
    expectEnd(line, stmt, dest.end);
    return { kind: 'copy', range, to: 0n, toFromEnd: false, toAddress: at.address!, source: line.source, ...(note !== undefined && { note }) };
  }
  let i = skipBlank(stmt, to.end);
  const negative = stmt[i] === '-';
  if (negative) i++;
  const { value, end: after } = parseNumberAt(line, stmt, i, 'the offset to copy to', negative);
  expectEnd(line, stmt, after);
  return { kind: 'copy', range, to: negative ? -value : value, toFromEnd: negative, source: line.source, ...(note !== undefined && { note }) };
}

/** One side of a stamp: a "quoted text" (escapes as --text) or hex bytes up to `stop`. */
function parseStampSide(line: Line, stmt: string, i: number, stop: (at: number) => boolean, what: string): { bytes: Uint8Array; end: number } {
  const at = skipBlank(stmt, i);
  if (stmt[at] === '"') {
    let j = at + 1;
    while (j < stmt.length && stmt[j] !== '"') j += stmt[j] === '\\' ? 2 : 1;
    if (j >= stmt.length) line.fail(`the ${what} has no closing '"'`, at);
    const inner = stmt.slice(at + 1, j);
    if (inner === '') line.fail(`"" is empty: no ${what}`, at);
    return { bytes: located(line, at + 1, () => parseTextData(inner)), end: j + 1 };
  }
  let end = at;
  while (end < stmt.length && !stop(end)) end++;
  const bytes = line.check(parseHexBytes(stmt.slice(at, end)), at);
  if (bytes.length === 0) line.fail(`expected the ${what}: hex bytes or "text"`, at);
  return { bytes, end };
}

/** `stamp PLACEHOLDER [(count)] -> VALUE [pad BYTE|space] [terminate]`: see src/format/patch/stamp.ts. */
function parseStamp(line: Line, stmt: string, start: number, note: string | undefined): AnchorHunk {
  const ph = parseStampSide(line, stmt, start, (k) => stmt.startsWith('->', k) || stmt[k] === '(', 'placeholder');
  let i = skipBlank(stmt, ph.end);
  let count = 1;
  if (stmt[i] === '(') {
    const close = stmt.indexOf(')', i);
    if (close < 0) line.fail("missing ')'", i);
    const c = parseCount(line, stmt.slice(i + 1, close), i + 1);
    if (c === 'all') line.fail('a stamp needs an exact count: once or N times', i + 1);
    count = c;
    i = skipBlank(stmt, close + 1);
  }
  if (!stmt.startsWith('->', i)) line.fail("expected '->' and the value after the placeholder", i);
  const value = parseStampSide(line, stmt, i + 2, (k) => /^\s(pad|terminate)\b/.test(stmt.slice(k)), 'value');
  i = value.end;
  let pad = 0;
  let terminate = false;
  for (let t = token(stmt, i); t.text !== ''; t = token(stmt, i)) {
    if (t.text === 'terminate') {
      terminate = true;
      i = t.end;
    } else if (t.text === 'pad') {
      const b = token(stmt, t.end);
      if (b.text === 'space') pad = 0x20;
      else if (/^[0-9a-fA-F]{2}$/.test(b.text)) pad = Number.parseInt(b.text, 16);
      else line.fail('expected 00, space or a hex byte after pad', b.start);
      i = b.end;
    } else line.fail(`unexpected ${quote(t.text)} (after the value: (count), pad BYTE, terminate)`, t.start);
  }
  const s = located(line, skipBlank(stmt, start), () => stampBytes({ placeholder: ph.bytes, value: value.bytes, count, pad, terminate }));
  return stampHunk(s, line.source, note);
}

/** `insert OFFSET: BYTES|"text"`: the bytes go in before the byte at OFFSET of the file before the patch. */
function parseInsert(line: Line, stmt: string, start: number, note: string | undefined): ShiftStatement {
  if (isAddressToken(token(stmt, start).text)) {
    const { at, next } = parsePlace(line, stmt, start, 'the address to insert at');
    if (skipBlank(stmt, next) === stmt.length) line.fail('no bytes to insert', skipBlank(stmt, next));
    const data = parseStampSide(line, stmt, next, () => false, 'bytes to insert');
    expectEnd(line, stmt, data.end);
    return { kind: 'insert', offset: 0n, fromEnd: false, address: at.address!, bytes: data.bytes, source: line.source, ...(note !== undefined && { note }) };
  }
  const colon = stmt.indexOf(':', start);
  if (colon < 0) line.fail('expected \'insert OFFSET: bytes\' (hex bytes or "text")', stmt.trimEnd().length);
  let i = skipBlank(stmt, start);
  const negative = stmt[i] === '-';
  if (negative) i++;
  const { value, end } = parseNumberAt(line, stmt, i, 'the offset to insert at', negative);
  expectEnd(line, stmt.slice(0, colon), end);
  if (skipBlank(stmt, colon + 1) === stmt.length) line.fail('no bytes to insert', skipBlank(stmt, colon + 1));
  const data = parseStampSide(line, stmt, colon + 1, () => false, 'bytes to insert');
  expectEnd(line, stmt, data.end);
  return {
    kind: 'insert',
    offset: negative ? -value : value,
    fromEnd: negative,
    bytes: data.bytes,
    source: line.source,
    ...(note !== undefined && { note }),
  };
}

/** `delete RANGE [: OLD]`: the range (of the file before the patch) goes; OLD guards its bytes. */
function parseDelete(line: Line, stmt: string, start: number, note: string | undefined): ShiftStatement {
  const t = token(stmt, start);
  if (t.text === '') line.fail('expected a RANGE after delete (OFFSET:LENGTH or START..END)', t.start);
  // `delete 0x10:4: aa bb cc dd`: a ':' ending the range's token starts the guard.
  const attached = t.text.endsWith(':') && t.text.length > 1;
  const text = attached ? t.text.slice(0, -1) : t.text;
  const range = located(line, t.start, () => parseRange(text));
  let i = skipBlank(stmt, t.end);
  if (!attached) {
    if (i === stmt.length) return { kind: 'delete', range, source: line.source, ...(note !== undefined && { note }) };
    if (stmt[i] !== ':') line.fail(`expected ':' and the bytes being deleted after the range, found ${quote(stmt.slice(i).trimEnd())}`, i);
    i++;
  }
  const old = parseStampSide(line, stmt, i, () => false, 'bytes being deleted');
  expectEnd(line, stmt, old.end);
  return { kind: 'delete', range, old: old.bytes, source: line.source, ...(note !== undefined && { note }) };
}

/** `OP RANGE [ARG] [(UNIT)] -> sha256 HEX`: a transform of src/format/transform.ts, guarded by the range's hash after it. */
function parseTransformStatement(line: Line, stmt: string, op: string, start: number, note: string | undefined): RangeOp {
  const { range, end } = parseRangeToken(line, stmt, start, op);
  const arrow = stmt.indexOf('->', end);
  if (arrow < 0) {
    line.fail(
      `${op} needs the SHA-256 of the range after it, to be guarded and idempotent: '${op} RANGE ... -> sha256 HEX' ` +
        `(a patch applied twice must see it is applied)`,
      stmt.trimEnd().length,
    );
  }
  let middle = stmt.slice(end, arrow).trim();
  const middleAt = skipBlank(stmt, end);
  let unit: string | undefined;
  const unitMatch = /\(\s*([a-z0-9]+)\s*\)$/.exec(middle);
  if (unitMatch) {
    unit = unitMatch[1]!;
    middle = middle.slice(0, unitMatch.index).trim();
  }
  const arg = middle === '' ? undefined : middle;
  const transform = located(line, middleAt, () => parseTransform(op, arg, unit));
  const hash = /^\s*sha256\s+([0-9a-fA-F]{64})\s*$/.exec(stmt.slice(arrow + 2));
  if (!hash) line.fail("expected 'sha256' and 64 hex digits (the range's SHA-256 after the transform) after '->'", skipBlank(stmt, arrow + 2));
  return {
    kind: 'transform',
    range,
    transform,
    op,
    ...(arg !== undefined && { arg }),
    ...(unit !== undefined && { unit }),
    after: hash[1]!.toLowerCase(),
    source: line.source,
    ...(note !== undefined && { note }),
  };
}

/** Bytes of the fast path are cut from shared slabs: an ArrayBuffer per hunk costs a patch of a million hunks seconds of GC. */
const SLAB = 64 * 1024;
let slab: Buffer = Buffer.alloc(0);
let slabUsed = 0;

/** Spaced lower-case pairs (`de ad`, checked by DIFF_LINE) as bytes. */
function slabHex(pairs: string): Uint8Array {
  const n = (pairs.length + 1) / 3;
  const hexText = pairs.replaceAll(' ', '');
  if (n > 1024) return Uint8Array.from(Buffer.from(hexText, 'hex'));
  if (slabUsed + n > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB);
    slabUsed = 0;
  }
  slab.write(hexText, slabUsed, 'hex');
  const bytes = new Uint8Array(slab.buffer, slab.byteOffset + slabUsed, n);
  slabUsed += n;
  return bytes;
}

/** A guarded offset hunk exactly as formatHunkLine writes it (lower-case hex, no note). */
const DIFF_LINE = /^0x([0-9a-f]{1,16}): ((?:[0-9a-f]{2} )*[0-9a-f]{2}) -> ((?:[0-9a-f]{2} )*[0-9a-f]{2})$/;

type MutableGuards = { -readonly [K in keyof FileGuards]: FileGuards[K] };

function parseGuard(line: Line, stmt: string, keyword: 'sha256' | 'size', start: number, guards: MutableGuards): void {
  const i = skipBlank(stmt, start);
  const m = /^(before|after)\b/.exec(stmt.slice(i));
  if (!m) line.fail(`expected 'before' or 'after' after '${keyword}'`, i);
  const when = m[1] as 'before' | 'after';
  const key = `${keyword}${when === 'before' ? 'Before' : 'After'}` as const;
  if (guards[key] !== undefined) {
    line.fail(`'${keyword} ${when}' given twice (first on line ${guards[key].source.line})`, skipBlank(stmt, 0));
  }
  const valueAt = skipBlank(stmt, i + when.length);
  if (keyword === 'sha256') {
    const token = stmt.slice(valueAt).trimEnd();
    if (!/^[0-9a-fA-F]{64}$/.test(token)) line.fail('expected 64 hex digits of SHA-256', valueAt);
    guards[key as 'sha256Before' | 'sha256After'] = { value: token.toLowerCase(), source: line.source };
  } else {
    const { value, end } = parseNumberAt(line, stmt, valueAt, 'a size');
    expectEnd(line, stmt, end);
    guards[key as 'sizeBefore' | 'sizeAfter'] = { value, source: line.source } satisfies Guard<bigint>;
  }
}

/**
 * Parses a native patch (see the grammar at the top of this file).
 *
 * @param name the patch's name for messages (file name, `-` for stdin).
 * @throws {InputError} on the first malformed line: `NAME line N, col C: what is wrong`, with
 *   `location.line` (1-based) and `location.position` (0-based column).
 */
export function parseNativePatch(text: string, name: string): Patch {
  const hunks: Hunk[] = [];
  const ops: RangeOp[] = [];
  const shifts: ShiftStatement[] = [];
  const guards: MutableGuards = {};
  // Line by line (not split('\n'): a list of millions of lines would be held twice), and refused
  // as soon as it holds more than MAX_HUNKS statements, before memory runs out.
  const full = (n: number): void => {
    if (hunks.length + ops.length + shifts.length > MAX_HUNKS) throw tooManyHunks({ name, line: n + 1 });
  };
  for (let n = 0, start = 0; start < text.length; n++) {
    const stop = text.indexOf('\n', start);
    let raw = text.slice(start, stop < 0 ? text.length : stop);
    start = stop < 0 ? text.length : stop + 1;
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    // The lines diff writes, `0x10: 00 -> 02`, in one match (a diff may have millions of them);
    // anything else, and any error, takes the general path below.
    const fast = DIFF_LINE.exec(raw);
    if (fast !== null && fast[2]!.length === fast[3]!.length) {
      hunks.push({ kind: 'offset', offset: BigInt(`0x${fast[1]!}`), old: slabHex(fast[2]!), new: slabHex(fast[3]!), source: { name, line: n + 1 } });
      full(n);
      continue;
    }
    const line = new Line(name, n + 1, raw);
    const hash = raw.indexOf('#');
    const stmt = hash >= 0 ? raw.slice(0, hash) : raw;
    const noteText = hash >= 0 ? raw.slice(hash + 1).trim() : '';
    const note = noteText === '' ? undefined : noteText;
    const first = skipBlank(stmt, 0);
    if (first === stmt.length) continue;
    const word = /^[a-z0-9]+/.exec(stmt.slice(first))?.[0] ?? '';
    const after = first + word.length;
    const wordEnds = after === stmt.length || stmt[after] === ' ' || stmt[after] === '\t';
    if (word === 'find' && wordEnds) hunks.push(parseAnchor(line, stmt, after, note));
    else if (word === 'at' && wordEnds) hunks.push(parseAtHunk(line, stmt, after, note));
    else if ((word === 'sha256' || word === 'size') && wordEnds) parseGuard(line, stmt, word, after, guards);
    else if (word === 'fill' && wordEnds) ops.push(parseFill(line, stmt, after, note));
    else if (word === 'copy' && wordEnds) ops.push(parseCopy(line, stmt, after, note));
    else if (word === 'stamp' && wordEnds) hunks.push(parseStamp(line, stmt, after, note));
    else if (TRANSFORM_OPS.includes(word) && wordEnds) ops.push(parseTransformStatement(line, stmt, word, after, note));
    else if (word === 'insert' && wordEnds) shifts.push(parseInsert(line, stmt, after, note));
    else if (word === 'delete' && wordEnds) shifts.push(parseDelete(line, stmt, after, note));
    else if (word === 'move' && wordEnds) line.fail(`'${word}' is not a patch statement: use the command 'mmapx ${word}'`, first);
    else hunks.push(parseOffsetHunk(line, stmt, note));
    full(n);
  }
  return { hunks, guards, ...(ops.length > 0 && { ops }), ...(shifts.length > 0 && { shifts }) };
}

/** Notes are one line of text: newlines and '#' would change the parse. */
function noteSuffix(note: string | undefined): string {
  if (note === undefined) return '';
  const clean = note.replace(/[\r\n]+/g, ' ').trim();
  return clean === '' ? '' : `  # ${clean}`;
}

function formatChange(h: Hunk): string {
  return h.old !== undefined ? `${formatHex(h.old)} -> ${formatHex(h.new)}` : formatHex(h.new);
}

/** One hunk as its native line (no newline). */
export function formatHunkLine(h: Hunk): string {
  if (h.kind === 'offset' && h.address !== undefined) return `at ${h.address.text}: ${formatChange(h)}${noteSuffix(h.note)}`;
  if (h.kind === 'offset') return `${h.offset === 0n && h.fromEnd ? '-0x0' : hex(h.offset)}: ${formatChange(h)}${noteSuffix(h.note)}`;
  const count = h.expect === 'all' ? 'all' : h.expect === 1 ? 'once' : `${h.expect} times`;
  const rel = h.relOffset === 0n ? '' : h.relOffset < 0n ? ` -${hex(-h.relOffset)}` : ` +${hex(h.relOffset)}`;
  return `find ${formatPattern(h.pattern.bytes, h.pattern.mask)} (${count})${rel}: ${formatChange(h)}${noteSuffix(h.note)}`;
}

/** One range statement as its native line (no newline). */
export function formatOpLine(o: RangeOp): string {
  switch (o.kind) {
    case 'fill':
      return `fill ${o.range.text} ${formatHex(o.pattern)}${noteSuffix(o.note)}`;
    case 'copy':
      return `copy ${o.range.text} to ${o.toAddress !== undefined ? o.toAddress.text : `${o.toFromEnd ? '-' : ''}${hex(o.toFromEnd ? -o.to : o.to)}`}${noteSuffix(o.note)}`;
    case 'transform':
      return `${o.op} ${o.range.text}${o.arg !== undefined ? ` ${o.arg}` : ''}${o.unit !== undefined ? ` (${o.unit})` : ''} -> sha256 ${o.after}${noteSuffix(o.note)}`;
  }
}

/** One insert or delete statement as its native line (no newline); the bytes in hex. */
export function formatShiftLine(s: ShiftStatement): string {
  if (s.kind === 'insert') {
    const at = s.address !== undefined ? s.address.text : s.fromEnd ? `-${hex(-s.offset)}` : hex(s.offset);
    return `insert ${at}: ${formatHex(s.bytes)}${noteSuffix(s.note)}`;
  }
  return `delete ${s.range.text}${s.old !== undefined ? ` : ${formatHex(s.old)}` : ''}${noteSuffix(s.note)}`;
}

/** `xx ` of every byte value: 3 ASCII bytes each. */
let hexSpaced: Uint8Array | undefined;

/**
 * Collects the lines {@link formatHunkLine} gives hunks, each ending in `\n`, in one buffer made
 * through a byte table (for `diff`, which prints millions of them): {@link add} hunks, then
 * {@link take} the bytes, a view that is valid until the next `add`. Hunks with a note, without
 * `old`, or with an anchor take the string path.
 */
export class HunkLineBuffer {
  #buf: Buffer;
  #p = 0;

  constructor(initial = 64 * 1024) {
    this.#buf = Buffer.allocUnsafe(initial);
    hexSpaced ??= Uint8Array.from(Buffer.from(Array.from({ length: 256 }, (_, v) => `${v.toString(16).padStart(2, '0')} `).join(''), 'latin1'));
  }

  add(h: Hunk): void {
    if (h.kind !== 'offset' || h.old === undefined || h.note !== undefined || h.address !== undefined) {
      const text = Buffer.from(`${formatHunkLine(h)}\n`, 'utf8');
      this.#room(text.length);
      this.#p += text.copy(this.#buf, this.#p);
      return;
    }
    this.#room(24 + 6 * h.new.length);
    const out = this.#buf;
    let p = this.#p;
    p += out.write(`${hex(h.offset)}: `, p, 'latin1');
    p = this.#pairs(h.old, p);
    out[p++] = 0x2d; // "-> "
    out[p++] = 0x3e;
    out[p++] = 0x20;
    p = this.#pairs(h.new, p);
    out[p - 1] = 0x0a; // the space after the last pair ends the line
    this.#p = p;
  }

  take(): Buffer {
    const view = this.#buf.subarray(0, this.#p);
    this.#p = 0;
    return view;
  }

  #pairs(bytes: Uint8Array, at: number): number {
    const out = this.#buf;
    const table = hexSpaced!;
    let p = at;
    for (let i = 0; i < bytes.length; i++) {
      const t = bytes[i]! * 3;
      out[p] = table[t]!;
      out[p + 1] = table[t + 1]!;
      out[p + 2] = 0x20;
      p += 3;
    }
    return p;
  }

  #room(n: number): void {
    if (this.#p + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#p + n));
    this.#buf.copy(next, 0, 0, this.#p);
    this.#buf = next;
  }
}

/**
 * Formats a patch as native text that {@link parseNativePatch} reads back to the same hunks and
 * guards (sources aside): guards first, then hunks in order, offsets in hex.
 *
 * @param header comment lines to put first (each gets a `# ` prefix).
 */
export function formatNativePatch(patch: Patch, header: readonly string[] = []): string {
  const out: string[] = header.map((h) => `# ${h.replace(/[\r\n]+/g, ' ')}`.trimEnd());
  const g = patch.guards;
  if (g.sizeBefore) out.push(`size before ${hex(g.sizeBefore.value)}`);
  if (g.sizeAfter) out.push(`size after ${hex(g.sizeAfter.value)}`);
  if (g.sha256Before) out.push(`sha256 before ${g.sha256Before.value}`);
  if (g.sha256After) out.push(`sha256 after ${g.sha256After.value}`);
  for (const h of patch.hunks) out.push(formatHunkLine(h));
  for (const o of patch.ops ?? []) out.push(formatOpLine(o));
  for (const s of patch.shifts ?? []) out.push(formatShiftLine(s));
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
