/**
 * Streaming parsers of hex dumps, back into bytes: the one reader behind `mmapx unhex` (a new file
 * from a dump) and `mmapx patch --format xxd|plain` (a dump applied in place).
 *
 * Dialects ({@link UnhexFormat}): `xxd` (default layout, any -c/-g/-s/-o/-u/-a, -d decimal
 * offsets), `bits` (xxd -b), `plain` (xxd -p, any -c), `canonical` (hexdump -C / hd: all 16 bytes
 * of a line, unlike xxd -r), `c` (xxd -i arrays, which xxd -r cannot read), `od` (-A x|d|o|n,
 * -t x1..x8 / o1..o8, with or without z) and `json` (mmapx hexdump -f json). One is detected from
 * the first line that is not blank, unless forced.
 *
 * The input comes in chunks of any size, cut anywhere (one byte at a time works); lines are cut
 * out as they complete and turned into runs of bytes at once, so memory stays flat however long
 * the dump. A line is at most 1 MiB, except in plain dumps (`xxd -p -c0` writes one line) and C
 * arrays (cut after a comma), which are read in parts. Bytes are read as latin1, so a column is a
 * byte's position in its line.
 *
 * Errors name the line and column (`NAME line 3, col 14: 'g' is not a hex digit`); nothing is
 * skipped silently. Pure: no fs, no process.
 */

import { type DumpRun, lineError, type Radix } from './core.js';
import {
  C_START,
  CanonicalParser,
  CParser,
  type DialectParser,
  type Emit,
  isBitsLine,
  JsonParser,
  OdParser,
  PlainParser,
  XXD_LINE,
  XxdParser,
} from './dialects.js';

export { type DumpRun, lineError, hexTokens, parseDumpOffset, type Radix } from './core.js';

/** The dump dialects unhex reads. */
export const UNHEX_FORMATS = ['xxd', 'bits', 'plain', 'canonical', 'c', 'od', 'json'] as const;
export type UnhexFormat = (typeof UNHEX_FORMATS)[number];

/** What each dialect is, for messages and help. */
export const UNHEX_FORMAT_NAMES: Record<UnhexFormat, string> = {
  xxd: 'xxd',
  bits: 'xxd -b',
  plain: 'xxd -p',
  canonical: 'hexdump -C',
  c: 'xxd -i',
  od: 'od',
  json: 'mmapx hexdump -f json',
};

export interface UnhexParserOptions {
  /** The dialect; detected from the first line that is not blank when absent. */
  readonly format?: UnhexFormat | undefined;
  /** The base of the offsets (xxd, od, hexdump -C); detected when absent (see OffsetRuns). */
  readonly radix?: Radix | undefined;
  /** The dump's name in messages (`fw.hex line 3, col 14: ...`). */
  readonly name?: string | undefined;
}

export interface UnhexSummary {
  /** The dialect read (undefined for an input with no line that is not blank). */
  readonly format: UnhexFormat | undefined;
  /** The base the offsets were read in, for dialects with offsets. */
  readonly radix: Radix | undefined;
  /** The length of the data as the dump states it: a final offset line, a C array's `_len`. */
  readonly end: bigint | undefined;
  /** Lines read. */
  readonly lines: number;
}

/** A part of a long line handed to plain and C parsers (64 KiB). */
const SEGMENT = 64 * 1024;
/** The longest line of the other dialects (1 MiB). */
const MAX_LINE = 1024 * 1024;

/**
 * The dialect of a dump, judged by its first line that is not blank (or the first 64 KiB of it);
 * undefined when it is none of them.
 *
 * `OFFSET:` is xxd (xxd -b when the groups are 8 binary digits a byte, as the ASCII column
 * confirms); an offset, two blanks and a hex byte is hexdump -C; a 6- or 7-digit offset (or none,
 * with a leading blank: `od -A n`) and one blank before each word is od; a C declaration or
 * `0x48,` entries is a C array; `{"offset":` is mmapx's JSON; hex digits and blanks only are plain.
 */
export function detectUnhexFormat(line: string): UnhexFormat | undefined {
  if (/^[ \t]*\{"/.test(line)) return 'json';
  if (C_START.test(line)) return 'c';
  if (XXD_LINE.test(line)) return isBitsLine(line) ? 'bits' : 'xxd';
  if (/^[0-9a-fA-F]+[ \t]{2,}[0-9a-fA-F]{2}(?:[ \t]|$)/.test(line)) return 'canonical';
  // A longer offset only with od -c's `  >...<` column. The offset run must end where a blank
  // follows, and the column is looked for once: retried at every shorter length of a long run of
  // digits (a plain dump's line), the lookahead made detection quadratic, seconds for 64 KiB.
  if (/^(?:[0-9a-fA-F]{6,7}|[0-9a-fA-F]{8,}(?![0-9a-fA-F])(?=.* {2}>)(?=.*<$))(?: [0-9a-fA-F]+)+(?: {2,}>.*<)?[ \t\r]*$/.test(line)) return 'od';
  if (/^[0-7]{7}[ \t\r]*$/.test(line) || /^ [0-9a-fA-F]+(?: [0-9a-fA-F]+)*(?: {2,}>.*<)?[ \t\r]*$/.test(line)) return 'od';
  if (/^[0-9a-fA-F \t\r]*$/.test(line)) return 'plain';
  return undefined;
}

/** The UTF-8 byte order mark as the parser sees it (bytes read as latin1). */
const BOM_LATIN1 = '\xef\xbb\xbf';

function latin1(chunk: Uint8Array): string {
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
}

/**
 * Reads a dump pushed in chunks, handing each run of bytes to `emit` as soon as it is known (a
 * run may be held back until the next line, which can still cut or place it). Runs come in dump
 * order: increasing offsets, except in xxd and json dumps, whose lines may go back (xxd -r
 * allows it). A run's bytes are its own (not reused).
 */
export class UnhexParser {
  #dialect: DialectParser | undefined;
  #format: UnhexFormat | undefined;
  readonly #name: string;
  /** The line being assembled (its start is column #col0 of line #line). */
  #carry = '';
  /** How many bytes of a leading byte order mark were held back (its length once decided). */
  #bom = 0;
  #line = 1;
  #col0 = 0;

  constructor(
    private readonly opts: UnhexParserOptions,
    private readonly emit: Emit,
  ) {
    this.#name = opts.name ?? '-';
    if (opts.format !== undefined) this.#choose(opts.format);
  }

  /** The dialect being read, once known. */
  get format(): UnhexFormat | undefined {
    return this.#format;
  }

  /** Feeds the next bytes (or latin1 text) of the dump. @throws InputError naming line and column. */
  push(chunk: Uint8Array | string): void {
    let text = typeof chunk === 'string' ? chunk : latin1(chunk);
    if (this.#bom < BOM_LATIN1.length) {
      // A byte order mark at the start goes, also when it comes a byte at a time.
      const pending = BOM_LATIN1.slice(0, this.#bom) + text;
      if (pending.length < BOM_LATIN1.length && BOM_LATIN1.startsWith(pending)) {
        this.#bom = pending.length;
        return;
      }
      this.#bom = BOM_LATIN1.length;
      text = pending.startsWith(BOM_LATIN1) ? pending.slice(BOM_LATIN1.length) : pending.startsWith('\ufeff') ? pending.slice(1) : pending;
    }
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl);
      const whole = this.#carry === '' ? piece : this.#carry + piece;
      this.#carry = '';
      this.#take(whole.endsWith('\r') ? whole.slice(0, -1) : whole, true);
      this.#line++;
      this.#col0 = 0;
      start = nl + 1;
    }
    if (start < text.length) {
      this.#carry += start === 0 ? text : text.slice(start);
      if (this.#carry.length > SEGMENT) this.#long();
    }
  }

  /** The end of the dump. @throws InputError for an unfinished `*`, an odd digit, ... */
  end(): UnhexSummary {
    let lines = this.#line - 1;
    if (this.#carry !== '') {
      const last = this.#carry;
      this.#carry = '';
      this.#take(last.endsWith('\r') ? last.slice(0, -1) : last, true);
      lines++;
    } else if (this.#col0 > 0) {
      lines++;
    }
    this.#dialect?.finish();
    return { format: this.#format, radix: this.#dialect?.radix, end: this.#dialect?.end, lines };
  }

  #choose(format: UnhexFormat): DialectParser {
    const name = this.#name;
    const radix = this.opts.radix;
    const emit = this.emit;
    this.#format = format;
    switch (format) {
      case 'xxd':
      case 'bits':
        this.#dialect = new XxdParser(name, emit, radix !== undefined ? [radix] : [16, 10], format === 'bits');
        break;
      case 'canonical':
        this.#dialect = new CanonicalParser(name, emit, radix ?? 16);
        break;
      case 'od':
        this.#dialect = new OdParser(name, emit, radix);
        break;
      case 'plain':
        this.#dialect = new PlainParser(name, emit);
        break;
      case 'c':
        this.#dialect = new CParser(name, emit);
        break;
      case 'json':
        this.#dialect = new JsonParser(name, emit);
        break;
    }
    return this.#dialect;
  }

  #detect(s: string): DialectParser {
    const format = detectUnhexFormat(s);
    if (format === undefined) {
      const col = s.length - s.trimStart().length;
      throw lineError(
        this.#name,
        this.#line,
        this.#col0 + col,
        s,
        'not a dump unhex reads (xxd, xxd -b, xxd -p, hexdump -C, xxd -i, od, mmapx hexdump -f json): give --format to say which it is',
      );
    }
    return this.#choose(format);
  }

  #take(s: string, complete: boolean): void {
    let dialect = this.#dialect;
    if (dialect === undefined) {
      if (/^[ \t\r]*$/.test(s)) return;
      dialect = this.#detect(s);
    }
    dialect.line(s, this.#line, this.#col0, complete);
  }

  /** A long unfinished line: plain and C parsers take it in parts; any other dialect refuses it. */
  #long(): void {
    if (this.#dialect === undefined && /^[ \t\r]*$/.test(this.#carry)) {
      this.#col0 += this.#carry.length;
      this.#carry = '';
      return;
    }
    const dialect = this.#dialect ?? this.#detect(this.#carry);
    const cut = this.#format === 'plain' ? this.#carry.length : this.#format === 'c' ? CParser.cut(this.#carry) : 0;
    if (cut > 0) {
      const head = this.#carry.slice(0, cut);
      this.#carry = this.#carry.slice(cut);
      dialect.line(head, this.#line, this.#col0, false);
      this.#col0 += cut;
    }
    if (this.#carry.length > MAX_LINE) {
      throw lineError(
        this.#name,
        this.#line,
        this.#col0,
        this.#carry.slice(0, 40),
        `a line longer than 1 MiB: not a ${UNHEX_FORMAT_NAMES[this.#format!]} dump line`,
      );
    }
  }
}

/** Parses a whole dump held in memory; the runs in dump order. */
export function parseUnhex(text: string | Uint8Array, opts: UnhexParserOptions = {}): { runs: DumpRun[]; summary: UnhexSummary } {
  const runs: DumpRun[] = [];
  const parser = new UnhexParser(opts, (r) => runs.push(r));
  parser.push(text);
  return { runs, summary: parser.end() };
}
