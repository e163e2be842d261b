/**
 * One parser per dump dialect, each fed whole lines (plain and C arrays also parts of one long
 * line) and handing out runs of bytes. See index.ts for the dialects and how one is detected.
 */

import { quote } from '../patch/lex.js';
import { type DumpRun, type Fail, failer, fromHex, hexTokens, OffsetRuns, type Radix } from './core.js';

export interface DialectParser {
  /**
   * One line without its line break (`complete`), or a part of a long line (`complete` false;
   * only plain and C arrays get those), starting at 0-based column `col0` of line `line`.
   */
  line(text: string, line: number, col0: number, complete: boolean): void;
  finish(): void;
  /** The length of the data as the dump states it (a final offset line, a C array's `_len`). */
  readonly end: bigint | undefined;
  /** The base its offsets were read in, for dialects that have offsets. */
  readonly radix: Radix | undefined;
}

export type Emit = (run: DumpRun) => void;

const BLANK = /^[ \t]*$/;
const SQUEEZE = /^[ \t]*\*[ \t]*$/;
export const XXD_LINE = /^[ \t]*([0-9a-fA-F]+):/;

/** Whether line `s` is done with: blank (skipped) or a `*` squeeze (told to `runs`). */
function blankOrSqueeze(s: string, line: number, runs: OffsetRuns): boolean {
  if (BLANK.test(s)) return true;
  if (!SQUEEZE.test(s)) return false;
  runs.squeeze(line);
  return true;
}

/**
 * The hex area of an xxd line `OFFSET: hex groups  ascii`: after the colon and at most one space,
 * up to the first two blanks or a tab (xxd writes one space; two mean the hex area is empty and
 * the ASCII column follows). The ASCII column is ignored whatever it holds.
 */
export function xxdArea(s: string, afterColon: number): [number, number] {
  const from = s.charCodeAt(afterColon) === 0x20 ? afterColon + 1 : afterColon;
  const first = s.charCodeAt(from);
  if (from >= s.length || first === 0x20 || first === 0x09) return [from, from];
  let to = s.length;
  const two = s.indexOf('  ', from);
  if (two >= 0) to = two;
  const tab = s.indexOf('\t', from);
  if (tab >= 0 && tab < to) to = tab;
  if (to === s.length && s.charCodeAt(to - 1) === 0x20 && to - 1 >= from) to--; // one blank at the end
  return [from, to];
}

const BIT_AREA = /^(?:[01]{8})+(?: (?:[01]{8})+)*$/;

/**
 * Whether an xxd line is `xxd -b`: every group is whole bytes of binary digits and the ASCII
 * column has one character per 8 digits, not one per 2 (as a hex group of 0s and 1s would).
 */
export function isBitsLine(s: string): boolean {
  const m = XXD_LINE.exec(s);
  if (!m) return false;
  const [from, to] = xxdArea(s, m[0].length);
  const area = s.slice(from, to);
  if (!BIT_AREA.test(area)) return false;
  const bytes = area.replace(/ /g, '').length / 8;
  const ascii = s.slice(to).replace(/^[ \t]+/, '');
  return ascii.length > 0 && ascii.length <= bytes;
}

/** The bytes of binary groups (`xxd -b`): 8 digits per byte, groups of whole bytes. */
function bitTokens(s: string, from: number, to: number, fail: Fail): Uint8Array {
  const area = s.slice(from, to);
  if (!BIT_AREA.test(area.trim())) {
    let i = from;
    while (i < to) {
      if (s[i] === ' ' || s[i] === '\t') {
        i++;
        continue;
      }
      const start = i;
      while (i < to && s[i] !== ' ' && s[i] !== '\t') {
        if (s[i] !== '0' && s[i] !== '1') fail(i, `${quote(s[i]!)} is not a binary digit`);
        i++;
      }
      if ((i - start) % 8 !== 0) fail(start, `${i - start} binary digits: not whole bytes (8 digits each)`);
    }
  }
  const digits = area.replace(/[ \t]+/g, '');
  const out = new Uint8Array(digits.length / 8);
  for (let k = 0; k < out.length; k++) out[k] = Number.parseInt(digits.slice(8 * k, 8 * k + 8), 2);
  return out;
}

/** xxd's default layout (any -c, -g, -s, -o, -a, -u, -d) and `xxd -b`. */
export class XxdParser implements DialectParser {
  readonly #runs: OffsetRuns;
  readonly end = undefined;

  constructor(
    private readonly name: string,
    emit: Emit,
    radixes: readonly Radix[],
    private readonly bits: boolean,
  ) {
    this.#runs = new OffsetRuns({ name, radixes, monotonic: false }, emit);
  }

  get radix(): Radix | undefined {
    return this.#runs.radix;
  }

  line(s: string, line: number): void {
    if (blankOrSqueeze(s, line, this.#runs)) return;
    const fail = failer(this.name, line, s);
    const indent = s.length - s.trimStart().length;
    const m = XXD_LINE.exec(s);
    if (!m) fail(indent, this.bits ? "expected an xxd -b line 'OFFSET: bits...'" : "expected an xxd line 'OFFSET: hex...'");
    const [from, to] = xxdArea(s, m![0].length);
    const bytes = this.bits ? bitTokens(s, from, to, fail) : hexTokens(s, from, to, false, fail);
    if (bytes.length === 0) fail(m![0].length, this.bits ? 'no binary digits after the offset' : 'no hex bytes after the offset');
    this.#runs.data({ digits: m![1]!, col: indent }, bytes, line, s);
  }

  finish(): void {
    this.#runs.finish();
  }
}

const CANONICAL_LINE = /^([0-9a-fA-F]+)[ \t]/;
const OFFSET_ONLY = /^[ \t]*([0-9a-fA-F]+)[ \t]*$/;

/** `hexdump -C` / `hd` (also -s, -n, -v, and edited lines): every token before `|` is one byte. */
export class CanonicalParser implements DialectParser {
  readonly #runs: OffsetRuns;

  constructor(
    private readonly name: string,
    emit: Emit,
    radix: Radix,
  ) {
    this.#runs = new OffsetRuns({ name, radixes: [radix], monotonic: true }, emit);
  }

  get radix(): Radix | undefined {
    return this.#runs.radix;
  }

  get end(): bigint | undefined {
    return this.#runs.final?.offset;
  }

  line(s: string, line: number): void {
    if (blankOrSqueeze(s, line, this.#runs)) return;
    const fail = failer(this.name, line, s);
    const only = OFFSET_ONLY.exec(s);
    if (only) {
      this.#runs.end({ digits: only[1]!, col: s.length - s.trimStart().length }, line, s);
      return;
    }
    const m = CANONICAL_LINE.exec(s);
    if (!m) fail(0, "expected a hexdump -C line 'OFFSET  hh hh ...  |ascii|'");
    const bar = s.indexOf('|', m![0].length);
    const bytes = hexTokens(s, m![0].length, bar >= 0 ? bar : s.length, true, fail);
    if (bytes.length === 0) fail(s.length - s.slice(m![0].length).trimStart().length, 'no hex bytes after the offset');
    this.#runs.data({ digits: m![1]!, col: 0 }, bytes, line, s);
  }

  finish(): void {
    this.#runs.finish();
  }
}

/** od's word types by the width of a word: digits, base, bytes. */
const OD_WORDS: Record<number, { radix: 8 | 16; bytes: number; type: string }> = {
  2: { radix: 16, bytes: 1, type: 'x1' },
  4: { radix: 16, bytes: 2, type: 'x2' },
  8: { radix: 16, bytes: 4, type: 'x4' },
  16: { radix: 16, bytes: 8, type: 'x8' },
  3: { radix: 8, bytes: 1, type: 'o1' },
  6: { radix: 8, bytes: 2, type: 'o2' },
  11: { radix: 8, bytes: 4, type: 'o4' },
  22: { radix: 8, bytes: 8, type: 'o8' },
};

const OD_OFFSET = /^([0-9a-fA-F]+)(?=[ \t]|$)/;

/**
 * od: `od -A x|o|d|n -t x1|x2|x4|x8|o1|o2|o4|o8` with or without `z`, `-w`, `-j`, `-v` or `*`
 * squeezes. Words wider than a byte are little-endian (the byte order od prints in on every
 * platform mmapx runs on); the final offset cuts the zero padding od adds to a partial last word.
 */
export class OdParser implements DialectParser {
  #runs: OffsetRuns | undefined;
  #word: { radix: 8 | 16; bytes: number; width: number } | undefined;
  /** `-A n`: no offsets; bytes follow each other from 0. */
  #noOffsets = false;
  #cursor = 0n;
  #emitted = false;

  constructor(
    private readonly name: string,
    private readonly emit: Emit,
    private readonly forced: Radix | undefined,
  ) {}

  get end(): bigint | undefined {
    return this.#runs?.final?.offset;
  }

  get radix(): Radix | undefined {
    return this.#runs?.radix;
  }

  #offsets(digits: string): OffsetRuns {
    if (this.#runs === undefined) {
      // od -A x prints 6 hex digits, -A o and -A d 7 (octal is od's default).
      const radixes: Radix[] = this.forced !== undefined ? [this.forced] : /[a-fA-F]/.test(digits) || digits.length !== 7 ? [16] : [8, 10, 16];
      // Made at the first data line, once its words are read: a final offset may cut at most the
      // padding of one word.
      this.#runs = new OffsetRuns({ name: this.name, radixes, monotonic: true, slack: (this.#word?.bytes ?? 1) - 1 }, this.emit);
    }
    return this.#runs;
  }

  line(s: string, line: number): void {
    if (BLANK.test(s)) return;
    const fail = failer(this.name, line, s);
    if (SQUEEZE.test(s)) {
      if (this.#noOffsets) fail(s.indexOf('*'), "'*' in a dump without offsets (od -A n): nothing says how long the run is; dump with od -v");
      this.#offsets('0').squeeze(line);
      return;
    }
    const m = this.#noOffsets || (!this.#emitted && /^[ \t]/.test(s)) ? null : OD_OFFSET.exec(s);
    if (m === null && !this.#emitted && this.#runs === undefined) this.#noOffsets = true;
    if (m === null && !this.#noOffsets) fail(0, "expected an od line 'OFFSET hh hh ...'");
    this.#emitted = true;
    const start = m === null ? 0 : m[0].length;
    if (m !== null && BLANK.test(s.slice(start))) {
      this.#offsets(m[1]!).end({ digits: m[1]!, col: 0 }, line, s);
      return;
    }
    const z = s.indexOf('  >', start);
    const to = z >= 0 && s.endsWith('<') ? z : s.length;
    const bytes = this.#words(s, start, to, fail);
    if (m === null) {
      this.emit({ offset: this.#cursor, bytes, repeat: 1n, line });
      this.#cursor += BigInt(bytes.length);
    } else {
      this.#offsets(m[1]!).data({ digits: m[1]!, col: 0 }, bytes, line, s);
    }
  }

  #words(s: string, from: number, to: number, fail: Fail): Uint8Array {
    const area = s.slice(from, to);
    const first = /[^ \t]+/.exec(area);
    if (first === null) fail(from, 'no words after the offset');
    if (this.#word === undefined) {
      const kind = OD_WORDS[first![0].length];
      if (kind === undefined) {
        fail(from + first!.index, `an od word of ${first![0].length} digits: unhex reads od -t x1, x2, x4, x8, o1, o2, o4 and o8`);
      }
      this.#word = { ...kind!, width: first![0].length };
    }
    const { radix, bytes, width } = this.#word;
    if (radix === 16 && bytes === 1) return hexTokens(s, from, to, true, fail);
    const words: string[] = [];
    const re = /[^ \t]+/g;
    for (let w = re.exec(area); w !== null; w = re.exec(area)) {
      const col = from + w.index;
      const text = w[0];
      if (text.length !== width) fail(col, `${quote(text)} is not a ${width}-digit od word like the first one`);
      if (!(radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/).test(text)) {
        const k = [...text].findIndex((c) => !(radix === 16 ? /[0-9a-fA-F]/ : /[0-7]/).test(c));
        fail(col + k, `${quote(text[k]!)} is not ${radix === 16 ? 'a hex' : 'an octal'} digit`);
      }
      if (radix === 8 && BigInt(`0o${text}`) >> BigInt(8 * bytes) !== 0n) fail(col, `${quote(text)} does not fit in ${bytes} bytes`);
      words.push(text);
    }
    const out = new Uint8Array(words.length * bytes);
    words.forEach((w, i) => {
      let v = radix === 16 ? BigInt(`0x${w}`) : BigInt(`0o${w}`);
      for (let k = 0; k < bytes; k++) {
        out[i * bytes + k] = Number(v & 0xffn);
        v >>= 8n;
      }
    });
    return out;
  }

  finish(): void {
    this.#runs?.finish();
  }
}

const PLAIN_BAD = /[^0-9a-fA-F \t\r]/;

/**
 * A plain dump (`xxd -p`, any -c including one line): hex digits in pairs, blanks and line breaks
 * anywhere (even inside a pair), as `xxd -r -p` reads one, but nothing else: a stray character
 * or an odd digit at the end is an error. No offsets: the bytes follow each other from 0.
 */
export class PlainParser implements DialectParser {
  readonly end = undefined;
  readonly radix = undefined;
  #cursor = 0n;
  /** A digit waiting for its pair. */
  #nibble = '';
  #digits = 0;
  #lastDigit: { line: number; col: number; text: string } | undefined;

  constructor(
    private readonly name: string,
    private readonly emit: Emit,
  ) {}

  line(s: string, line: number, col0: number): void {
    const bad = PLAIN_BAD.exec(s);
    if (bad) {
      failer(this.name, line, s)(col0 + bad.index, `${quote(bad[0])} is not a hex digit (a plain dump holds only hex digits and blanks)`);
    }
    const digits = s.replace(/[ \t\r]+/g, '');
    if (digits.length === 0) return;
    this.#digits += digits.length;
    const last = /[0-9a-fA-F][ \t\r]*$/.exec(s)!;
    this.#lastDigit = { line, col: col0 + last.index, text: s };
    const all = this.#nibble + digits;
    const even = all.length & ~1;
    this.#nibble = all.slice(even);
    if (even === 0) return;
    const bytes = fromHex(all.slice(0, even));
    this.emit({ offset: this.#cursor, bytes, repeat: 1n, line });
    this.#cursor += BigInt(bytes.length);
  }

  finish(): void {
    if (this.#nibble !== '') {
      const at = this.#lastDigit!;
      failer(this.name, at.line, at.text)(at.col, `odd number of hex digits (${this.#digits}): the last one has no pair`);
    }
  }
}

/** The start of a C array: a declaration up to `{`, or entries straight away (`xxd -i < file`). */
export const C_START =
  /^[ \t]*(?:(?:(?:static|const|unsigned|signed|char|u?int8_t|uint8|u8|alignas\([^)]*\)|__attribute__\(\([^)]*\)\))[ \t]+)+|\{|0[xX][0-9a-fA-F]+[ \t]*(?:,|$)|0[bB][01]+[ \t]*,)/;
const C_ENTRIES_FAST = /^[ \t]*(?:0[xX][0-9a-fA-F]{2}[ \t]*,[ \t]*)*(?:0[xX][0-9a-fA-F]{2}[ \t]*,?)?[ \t]*$/;
const C_NUMBER = /^(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|(0[0-7]*)|([1-9][0-9]*))[uU]?$/;
const C_LEN = /\b([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(0[xX][0-9a-fA-F]+|[0-9]+)[uU]?\s*;/;

/**
 * A C array as `xxd -i` writes one (also -u, -C, -n, -c, -b -i's `0b` entries, and the bare
 * entries of `xxd -i < file`): the bytes are the initializer's entries (hex, binary, octal or
 * decimal, each 0..255). `// ...` and one-line `/* ... *\/` comments are ignored. After the `}`,
 * `unsigned int NAME_len = N;` must agree with the entries (xxd -i -t adds a 0 it does not count,
 * which is dropped).
 */
export class CParser implements DialectParser {
  readonly radix = undefined;
  #state: 'head' | 'body' | 'tail' = 'head';
  #cursor = 0n;
  #held: DumpRun | undefined;
  #len: bigint | undefined;

  constructor(
    private readonly name: string,
    private readonly emit: Emit,
  ) {}

  get end(): bigint | undefined {
    return this.#len;
  }

  line(raw: string, line: number, col0: number): void {
    const s = raw.replace(/\/\/.*$/, '').replace(/\/\*.*?\*\//g, (c) => ' '.repeat(c.length));
    const fail = failer(this.name, line, raw);
    let from = 0;
    if (this.#state === 'head') {
      if (BLANK.test(s) || /^[ \t]*#/.test(s)) return;
      const brace = s.indexOf('{');
      if (brace >= 0) {
        from = brace + 1;
        this.#state = 'body';
      } else if (/^[ \t]*0[xXbB0-9]/.test(s)) {
        this.#state = 'body';
      } else if (C_START.test(s) && !/[;}]/.test(s)) {
        return; // a declaration whose `{` comes on a later line
      } else {
        fail(s.length - s.trimStart().length, "expected a C array 'unsigned char NAME[] = {' or its entries '0x48, 0x65, ...'");
      }
    }
    if (this.#state === 'body') {
      const close = s.indexOf('}', from);
      const to = close >= 0 ? close : s.length;
      const bytes = this.#entries(s, from, to, col0, fail);
      if (bytes.length > 0) {
        if (this.#held !== undefined) this.emit(this.#held);
        this.#held = { offset: this.#cursor, bytes, repeat: 1n, line };
        this.#cursor += BigInt(bytes.length);
      }
      if (close < 0) return;
      this.#state = 'tail';
      from = close + 1;
    }
    const rest = s.slice(from);
    if (rest.includes('{')) fail(from + rest.indexOf('{'), 'a second array: unhex reads one');
    const len = C_LEN.exec(rest);
    if (len && this.#len === undefined) this.#checkLen(BigInt(len[2]!), from + len.index, fail);
  }

  /** `_len` must count the entries; one more entry that is 0 is xxd -i -t's terminator, dropped. */
  #checkLen(n: bigint, col: number, fail: Fail): void {
    this.#len = n;
    const held = this.#held;
    if (n === this.#cursor) return;
    if (n === this.#cursor - 1n && held !== undefined && held.bytes[held.bytes.length - 1] === 0) {
      this.#held = held.bytes.length === 1 ? undefined : { ...held, bytes: held.bytes.subarray(0, held.bytes.length - 1) };
      this.#cursor -= 1n;
      return;
    }
    fail(col, `the array holds ${this.#cursor} bytes, but its length says ${n}`);
  }

  #entries(s: string, from: number, to: number, col0: number, fail: Fail): Uint8Array {
    const area = s.slice(from, to);
    if (C_ENTRIES_FAST.test(area)) return fromHex(area.replace(/0[xX]|[ \t,]/g, ''));
    const out: number[] = [];
    const parts = area.split(',');
    let col = from;
    parts.forEach((part, i) => {
      const token = part.trim();
      const at = col + part.length - part.trimStart().length;
      col += part.length + 1;
      if (token === '') {
        // A trailing comma, or a line that starts with the comma of the previous entry.
        if (i === parts.length - 1 || i === 0) return;
        fail(col0 + at, 'an empty entry (two commas)');
      }
      const m = C_NUMBER.exec(token);
      if (!m) fail(col0 + at, `${quote(token)} is not a byte value (0x48, 0b01001000, 72 or 0110)`);
      const value =
        m![1] !== undefined ? BigInt(`0x${m![1]}`) : m![2] !== undefined ? BigInt(`0b${m![2]}`) : m![3] !== undefined ? BigInt(`0o${m![3]}`) : BigInt(m![4]!);
      if (value > 255n) fail(col0 + at, `${quote(token)} is more than a byte (255)`);
      out.push(Number(value));
    });
    return Uint8Array.from(out);
  }

  finish(): void {
    if (this.#held !== undefined) this.emit(this.#held);
    this.#held = undefined;
  }

  /** Whether a part of a long line may end at `cut` (after a comma, so that no entry is split). */
  static cut(text: string): number {
    return text.lastIndexOf(',') + 1;
  }
}

const JSON_LINE = /^\{(?:"path":"(?:[^"\\]|\\.)*",)?"offset":([0-9]+),"length":([0-9]+),"hex":"([0-9a-fA-F]*)"\}[ \t]*$/;

/** `mmapx hexdump -f json`: `{"offset":N,"length":N,"hex":"..."}` per line (a `path` key first allowed). */
export class JsonParser implements DialectParser {
  readonly #runs: OffsetRuns;
  readonly end = undefined;

  constructor(
    private readonly name: string,
    emit: Emit,
  ) {
    this.#runs = new OffsetRuns({ name, radixes: [10], monotonic: false }, emit);
  }

  get radix(): Radix | undefined {
    return 10;
  }

  line(s: string, line: number): void {
    if (BLANK.test(s)) return;
    const fail = failer(this.name, line, s);
    const m = JSON_LINE.exec(s);
    if (!m) fail(0, 'expected a line of mmapx hexdump -f json \'{"offset":N,"length":N,"hex":"..."}\'');
    const digits = m![3]!;
    if (digits.length % 2 !== 0 || digits.length / 2 !== Number(m![2])) {
      fail(s.indexOf('"hex"'), `"hex" holds ${digits.length} digits, "length" says ${m![2]} bytes`);
    }
    this.#runs.data({ digits: m![1]!, col: s.indexOf('"offset"') + 9 }, fromHex(digits), line, s);
  }

  finish(): void {
    this.#runs.finish();
  }
}
