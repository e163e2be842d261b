/**
 * What every dump dialect shares once a line is cut into an offset and bytes: the runs of bytes it
 * describes, `*` squeezes, the base of the offsets, the final offset line, and errors that name
 * the line and column. Pure: no fs, no process.
 */

import { InputError } from '../../errors.js';
import { INT64_MAX } from '../number.js';
import { HEX_VALUE, hex, quote } from '../patch/lex.js';

/**
 * Bytes from one dump line — or, for a squeeze (`*`), the previous line's bytes repeated `repeat`
 * times starting at `offset`.
 */
export interface DumpRun {
  readonly offset: bigint;
  readonly bytes: Uint8Array;
  /** 1 for a dump line; the number of repetitions for a squeeze. */
  readonly repeat: bigint;
  /** 1-based line of the dump that produced the run. */
  readonly line: number;
}

/** The base of a dump's offsets: 16 (xxd, hexdump -C, od -A x), 10 (xxd -d, od -A d), 8 (od). */
export type Radix = 8 | 10 | 16;

const RADIX_NAME: Record<Radix, string> = { 8: 'octal', 10: 'decimal', 16: 'hex' };
const RADIX_DIGITS: Record<Radix, RegExp> = { 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ };
/** Lines held at most while the base of the offsets is still open. */
const MAX_QUEUED = 1024;
const RADIX_PREFIX: Record<Radix, string> = { 8: '0o', 10: '', 16: '0x' };

export function lineError(name: string, line: number, col: number, text: string, message: string): InputError {
  return new InputError(`${name} line ${line}, col ${col + 1}: ${message}`, { line, position: col, token: text });
}

/** Throws the error of one line at a 0-based column. */
export type Fail = (col: number, message: string) => never;

export function failer(name: string, line: number, text: string): Fail {
  return (col, message) => {
    throw lineError(name, line, col, text, message);
  };
}

/** The error for the first character of `text[from, to)` that is not a hex digit, if any. */
export function checkHexDigits(text: string, from: number, to: number, fail: Fail): void {
  for (let k = from; k < to; k++) {
    const ch = text.charCodeAt(k);
    if (ch > 255 || HEX_VALUE[ch]! < 0) fail(k, `${quote(text[k]!)} is not a hex digit`);
  }
}

/** The bytes of an even string of hex digits (Buffer's decoder), as a plain Uint8Array. */
export function fromHex(digits: string): Uint8Array {
  const b = Buffer.from(digits, 'hex');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

const PAIRS_FAST = /^[ \t]*(?:[0-9a-fA-F]{2}(?:[ \t]+|$))*$/;
const EVEN_FAST = /^[ \t]*(?:(?:[0-9a-fA-F]{2})+(?:[ \t]+|$))*$/;

/**
 * Reads the hex of `text[from, to)`: blank-separated tokens of an even number of digits (each
 * exactly one byte when `pairsOnly`). A well-formed area is converted by Buffer's hex decoder; a
 * bad one is walked to name the first offending column.
 */
export function hexTokens(text: string, from: number, to: number, pairsOnly: boolean, fail: Fail): Uint8Array {
  const area = text.slice(from, to);
  if ((pairsOnly ? PAIRS_FAST : EVEN_FAST).test(area)) return fromHex(area.replace(/[ \t]+/g, ''));
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09) {
      i++;
      continue;
    }
    const start = i;
    while (i < to && text.charCodeAt(i) !== 0x20 && text.charCodeAt(i) !== 0x09) i++;
    checkHexDigits(text, start, i, fail);
    if ((i - start) % 2 !== 0 || (pairsOnly && i - start !== 2)) {
      fail(start, pairsOnly ? `${quote(text.slice(start, i))} is not one hex byte` : 'odd number of hex digits');
    }
  }
  throw new Error('hexTokens: the fast path refused a well-formed area');
}

/**
 * A dump offset written in `radix`, which must fit in a signed 64-bit `off_t` like every offset
 * mmapx reads (and is never converted when it is absurdly long).
 */
export function parseDumpOffset(digits: string, radix: Radix, col: number, fail: Fail): bigint {
  if (!RADIX_DIGITS[radix].test(digits)) {
    const k = [...digits].findIndex((d) => !RADIX_DIGITS[radix].test(d));
    fail(col + k, `${quote(digits[k]!)} is not ${radix === 8 ? 'an' : 'a'} ${RADIX_NAME[radix]} digit (offsets here are ${RADIX_NAME[radix]})`);
  }
  const significant = digits.replace(/^0+/, '');
  const value = significant.length > 22 ? INT64_MAX + 1n : BigInt(`${RADIX_PREFIX[radix]}${significant || '0'}`);
  if (value > INT64_MAX) {
    const shown = significant.length > 20 ? `${significant.slice(0, 20)}…` : significant;
    fail(col, `offset ${RADIX_PREFIX[radix]}${shown} is out of the signed 64-bit range (-2^63..2^63-1)`);
  }
  return value;
}

function tryOffset(digits: string, radix: Radix): bigint | undefined {
  if (!RADIX_DIGITS[radix].test(digits)) return undefined;
  const significant = digits.replace(/^0+/, '');
  if (significant.length > 22) return undefined;
  return BigInt(`${RADIX_PREFIX[radix]}${significant || '0'}`);
}

/** An offset as a line wrote it: the digits and their 0-based column. */
export interface OffsetText {
  readonly digits: string;
  readonly col: number;
}

type Event =
  | { kind: 'data'; at: OffsetText; bytes: Uint8Array; line: number; text: string }
  | { kind: 'squeeze'; line: number }
  | { kind: 'final'; at: OffsetText; line: number; text: string };

export interface OffsetRunsOptions {
  readonly name: string;
  /** The bases the offsets may be in, most likely first; one when known. */
  readonly radixes: readonly Radix[];
  /** Offsets may not go back (hexdump -C and od always go forward; xxd -r allows it). */
  readonly monotonic: boolean;
  /**
   * Bytes the final offset line may cut from the last line (od pads a partial last word of
   * `-t x2` and wider with zeros; the final offset says where the data really ends).
   */
  readonly slack?: number;
}

/**
 * The runs of a dump whose lines carry offsets: a squeeze (`*`) repeats the last line up to the
 * next offset; a final offset line (hexdump -C, od) ends the data and says where it ends.
 *
 * When the offsets' base is not known (xxd -d writes decimal, od octal or decimal), the first
 * line is held until a second offset decides it: the base in which the second offset continues
 * the first line (directly, or after a `*` by whole lines) wins; if none does, the most likely
 * base whose digits fit. The last run is held back one step, so that a final offset can cut od's
 * padding from it.
 */
export class OffsetRuns {
  #radix: Radix | undefined;
  readonly #queue: Event[] = [];
  #last: DumpRun | undefined;
  #held: DumpRun | undefined;
  #squeezeLine = 0;
  #dataEnd = 0n;
  #any = false;
  #final: { offset: bigint; line: number } | undefined;

  constructor(
    private readonly opts: OffsetRunsOptions,
    private readonly emit: (run: DumpRun) => void,
  ) {
    if (opts.radixes.length === 1) this.#radix = opts.radixes[0];
  }

  /** The base the offsets were read in (undefined before a line that has one). */
  get radix(): Radix | undefined {
    return this.#radix;
  }

  /** The final offset line's value, once seen. */
  get final(): { offset: bigint; line: number } | undefined {
    return this.#final;
  }

  data(at: OffsetText, bytes: Uint8Array, line: number, text: string): void {
    // The common case, cheaply: the base is known, no `*` is open, and a short hex offset.
    if (this.#radix === 16 && this.#squeezeLine === 0 && this.#final === undefined && at.digits.length <= 12) {
      const n = Number.parseInt(at.digits, 16);
      if (!Number.isNaN(n) && (!this.opts.monotonic || BigInt(n) >= this.#dataEnd)) {
        const run: DumpRun = { offset: BigInt(n), bytes, repeat: 1n, line };
        this.#last = run;
        this.#push(run);
        return;
      }
    }
    this.#event({ kind: 'data', at, bytes, line, text });
  }

  squeeze(line: number): void {
    this.#event({ kind: 'squeeze', line });
  }

  /** A line holding only an offset: the end of the data (hexdump -C, od). */
  end(at: OffsetText, line: number, text: string): void {
    this.#event({ kind: 'final', at, line, text });
  }

  /** At the end of input: decides the base if still open, checks an open `*`, emits the held run. */
  finish(): void {
    if (this.#radix === undefined) this.#decide();
    if (this.#squeezeLine !== 0) {
      throw lineError(this.opts.name, this.#squeezeLine, 0, '*', "'*' at the end: no following offset says where the run ends");
    }
    this.#release();
  }

  #event(e: Event): void {
    if (this.#final !== undefined) {
      throw lineError(this.opts.name, e.line, 0, e.kind === 'squeeze' ? '*' : e.text, `data after the final offset line ${this.#final.line}`);
    }
    if (this.#radix !== undefined) {
      this.#apply(e);
      return;
    }
    this.#queue.push(e);
    if (e.kind === 'squeeze') return;
    const consistent = this.opts.radixes.filter((r) => this.#consistent(r));
    if (consistent.length <= 1 || e.kind === 'final' || this.#queue.length > MAX_QUEUED) this.#decide(consistent);
  }

  /**
   * Whether the queued lines make sense with offsets in base `r`: every offset parses, and each
   * continues the line before it (directly, after a `*` by whole lines, or, for a final offset,
   * up to od's padding of a last partial word).
   */
  #consistent(r: Radix): boolean {
    let prev: { at: bigint; n: bigint } | undefined;
    let starred = false;
    for (const q of this.#queue) {
      if (q.kind === 'squeeze') {
        starred = true;
        continue;
      }
      const b = tryOffset(q.at.digits, r);
      if (b === undefined) return false;
      if (prev !== undefined) {
        const gap = b - prev.at - prev.n;
        if (
          starred ? !(gap > 0n && gap % prev.n === 0n) : q.kind === 'final' ? !(gap <= 0n && -gap <= BigInt(this.opts.slack ?? 0) && -gap < prev.n) : gap !== 0n
        )
          return false;
      }
      if (q.kind === 'data') prev = { at: b, n: BigInt(q.bytes.length) };
      starred = false;
    }
    return true;
  }

  /**
   * Picks the base: the only (or most likely) one in which the queued lines make sense, else the
   * most likely one whose digits fit; then applies the queued lines.
   */
  #decide(consistent = this.opts.radixes.filter((r) => this.#consistent(r))): void {
    const offsets = this.#queue.filter((q) => q.kind !== 'squeeze');
    const candidates = this.opts.radixes;
    this.#radix = consistent[0] ?? candidates.find((r) => offsets.every((q) => tryOffset(q.at.digits, r) !== undefined)) ?? candidates[0]!;
    const queued = this.#queue.splice(0);
    for (const q of queued) this.#apply(q);
  }

  #apply(e: Event): void {
    const { name } = this.opts;
    if (e.kind === 'squeeze') {
      if (this.#last === undefined) throw lineError(name, e.line, 0, '*', "'*' before any data line");
      if (this.#squeezeLine !== 0) throw lineError(name, e.line, 0, '*', `second '*' in a row (first on line ${this.#squeezeLine})`);
      this.#squeezeLine = e.line;
      return;
    }
    const offset = parseDumpOffset(e.at.digits, this.#radix!, e.at.col, failer(name, e.line, e.text));
    this.#reach(offset, e.line, e.text);
    if (e.kind === 'final') {
      this.#final = { offset, line: e.line };
      this.#closeAt(offset, e.line, e.text);
      return;
    }
    if (this.opts.monotonic && this.#any && offset < this.#dataEnd) {
      throw lineError(name, e.line, e.at.col, e.text, `offset ${hex(offset)} goes back: the data before it ends at ${hex(this.#dataEnd)}`);
    }
    const run: DumpRun = { offset, bytes: e.bytes, repeat: 1n, line: e.line };
    this.#last = run;
    this.#push(run);
  }

  /** An offset that ends a squeeze: a data line's or the final offset line's. */
  #reach(offset: bigint, line: number, text: string): void {
    if (this.#squeezeLine === 0) return;
    const prev = this.#last!;
    const len = BigInt(prev.bytes.length);
    const from = prev.offset + len;
    const gap = offset - from;
    if (gap < 0n || gap % len !== 0n) {
      throw lineError(
        this.opts.name,
        line,
        0,
        text,
        `offset ${hex(offset)} after '*' (line ${this.#squeezeLine}) is not ${hex(from)} plus a multiple of the ${len}-byte line it repeats`,
      );
    }
    if (gap > 0n) this.#push({ offset: from, bytes: prev.bytes, repeat: gap / len, line: this.#squeezeLine });
    this.#squeezeLine = 0;
  }

  /** The final offset must be where the data ends (od may have padded the last word past it). */
  #closeAt(offset: bigint, line: number, text: string): void {
    if (!this.#any) return;
    const excess = this.#dataEnd - offset;
    const held = this.#held;
    if (excess > 0n && held !== undefined && held.repeat === 1n && excess <= BigInt(this.opts.slack ?? 0) && excess < BigInt(held.bytes.length)) {
      this.#held = { ...held, bytes: held.bytes.subarray(0, held.bytes.length - Number(excess)) };
      this.#dataEnd = offset;
      return;
    }
    if (excess !== 0n) {
      throw lineError(this.opts.name, line, 0, text, `final offset ${hex(offset)} does not match the end of the data ${hex(this.#dataEnd)}`);
    }
  }

  #push(run: DumpRun): void {
    this.#release();
    this.#held = run;
    this.#any = true;
    const end = run.offset + BigInt(run.bytes.length) * run.repeat;
    if (end > this.#dataEnd) this.#dataEnd = end;
  }

  #release(): void {
    if (this.#held !== undefined) this.emit(this.#held);
    this.#held = undefined;
  }
}
