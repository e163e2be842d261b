// mmapx info FILE --sections / --segments / --symbols [--filter GLOB]: what an executable contains,
// as aligned columns (like readelf -S / -l / -s and objdump -h, but one layout for ELF, PE and
// Mach-O) or in the --json report. src/edit/exeinfo.ts finds it out; this renders it.
import { type ImageInfo, imageInfo } from '../edit/exeinfo.js';
import type { Timer } from '../edit/timing.js';
import { InputError } from '../errors.js';
import { isAscii } from 'node:buffer';
import { type ExeSymbol, NO_SECTION, type Section, type Segment, type SymbolColumns } from '../format/exe/index.js';
import { printableName } from '../format/exe/locate.js';
import { formatOffset } from '../format/number.js';
import type { Context, Result } from './context.js';
import type { Separator } from './multi.js';

/**
 * The slice of a fat Mach-O that the program's `--arch` names (the option of the address syntax,
 * kept in the context), for the commands that read an executable's image.
 */
export function archOf(ctx: Context): string | undefined {
  return (ctx as Context & { arch?: string | undefined }).arch;
}

/** The listing options of info, checked. */
export interface ImageListing {
  sections: boolean;
  segments: boolean;
  symbols: boolean;
  filter: string | undefined;
  /** -C/--demangle: C++ names in the text listing as source code spells them (nm -C). */
  demangle: boolean;
  arch: string | undefined;
}

/** The listing asked by `opts`, or undefined when info is the file report. @throws InputError for --filter or --demangle without --symbols. */
export function imageListing(ctx: Context, opts: Record<string, unknown>): ImageListing | undefined {
  const sections = opts.sections === true;
  const segments = opts.segments === true;
  const symbols = opts.symbols === true;
  const filter = opts.filter === undefined ? undefined : String(opts.filter);
  if (filter !== undefined && !symbols) throw new InputError('--filter selects symbols: give --symbols with it', { token: filter });
  const demangle = opts.demangle === true;
  if (demangle && !symbols) throw new InputError('--demangle shows the names of symbols: give --symbols with it');
  if (!sections && !segments && !symbols) return undefined;
  return { sections, segments, symbols, filter, demangle, arch: archOf(ctx) };
}

const hex = formatOffset;

/** Rows as columns: each padded to its widest cell (the last one not), left-aligned, two spaces between. */
function table(head: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string {
  const widths = head.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < r.length; i++) if (r[i]!.length > widths[i]!) widths[i] = r[i]!.length;
  const last = head.length - 1;
  const line = (r: readonly string[]): string => {
    let s = '';
    for (let i = 0; i < r.length; i++) {
      const cell = r[i]!;
      if (i === last) s += cell;
      else s += `${right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)}  `;
    }
    return `  ${s.trimEnd()}\n`;
  };
  const parts = [line(head)];
  for (const r of rows) parts.push(line(r));
  return parts.join('');
}

function sectionRows(sections: readonly Section[]): string[][] {
  return sections.map((s) => [`[${s.index}]`, printableName(s.name), s.type, hex(s.offset), hex(s.addr), hex(s.fileSize), hex(s.memSize), s.flags.join(',')]);
}

function segmentRows(segments: readonly Segment[]): string[][] {
  return segments.map((s) => [`[${s.index}]`, printableName(s.name), hex(s.offset), hex(s.addr), hex(s.fileSize), hex(s.memSize), s.perms]);
}

/** Bytes of text written at once by the symbol listings. */
const CHUNK = 1 << 20;
/** The first chunk's size. */
const FIRST_CHUNK = 16 << 10;
const DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

// The cells of a row are written byte by byte: a number's digits and padding are a few bytes each,
// fewer than a call of a built-in (fill, set) costs.

/** `n` spaces at `p` (n <= 0: none); returns the end. */
function pad(b: Uint8Array, p: number, n: number): number {
  const end = p + (n > 0 ? n : 0);
  while (p < end) b[p++] = 0x20;
  return end;
}

/** `0x` and the hex digits of `hi * 2^32 + lo` (two 32-bit halves) at `p`, then spaces up to `width` bytes; returns the end. */
function putHex(b: Uint8Array, p: number, hi: number, lo: number, width: number): number {
  const start = p;
  b[p++] = 0x30;
  b[p++] = 0x78;
  const digits = hi !== 0 ? 8 + ((35 - Math.clz32(hi)) >> 2) : lo !== 0 ? (35 - Math.clz32(lo)) >> 2 : 1;
  const end = p + digits;
  let q = end;
  let l = lo;
  if (hi !== 0) {
    for (let i = 0; i < 8; i++, l >>>= 4) b[--q] = DIGITS[l & 0xf]!;
    l = hi;
  }
  while (q > p) {
    b[--q] = DIGITS[l & 0xf]!;
    l >>>= 4;
  }
  return pad(b, end, width - (end - start));
}

/** The decimal digits of `v` (0 <= v < 2^53) right-aligned in `width` bytes at `p`; returns the end. */
function putDecimal(b: Uint8Array, p: number, v: number, width: number): number {
  // Below 2^31 in integer arithmetic (a float's % is a call); larger ones are rare.
  if (v > 0x7fffffff) return putLongDecimal(b, p, v, width);
  let x = v | 0;
  let digits = 1;
  for (let k = x; k >= 10; k = (k / 10) | 0) digits++;
  const end = pad(b, p, width - digits) + digits;
  for (let q = end - 1; q >= end - digits; q--) {
    const next = (x / 10) | 0;
    b[q] = 0x30 + x - next * 10;
    x = next;
  }
  return end;
}

/** {@link putDecimal} of 2^31 or more. */
function putLongDecimal(b: Uint8Array, p: number, v: number, width: number): number {
  let digits = 1;
  for (let k = v; k >= 10; k = Math.floor(k / 10)) digits++;
  const end = pad(b, p, width - digits) + digits;
  let x = v;
  for (let q = end - 1; q >= end - digits; q--) {
    b[q] = 0x30 + (x % 10);
    x = Math.floor(x / 10);
  }
  return end;
}

/**
 * Writes text into a reused buffer handed to `sink` a chunk at a time (synchronously consumed):
 * a table of 100k symbols without a string per cell. The buffer holds the text in `[0, base)`
 * and, after it, a string table {@link attach}ed for {@link copy}: names go from the one to the
 * other by copyWithin, with no view or string per name. The first chunks are small (the first
 * lines go out at once) and grow to {@link CHUNK}.
 */
class TextOut {
  private buf = Buffer.allocUnsafe(CHUNK);
  /** The room for text; the attached string table is at `[base, buf.length)`. */
  private base = CHUNK;
  /** Where the current chunk ends (<= base). */
  private end = FIRST_CHUNK;
  pos = 0;
  constructor(private readonly sink: (chunk: Uint8Array) => void) {}

  /** Room for `n` more bytes. */
  room(n: number): void {
    if (this.pos + n <= this.end) return;
    this.flush();
    if (n > this.base) this.resize(n, this.buf.subarray(this.base));
    if (n > this.end) this.end = this.base;
  }

  /** A buffer with room for `base` bytes of text and then `strings` (the text so far kept). */
  private resize(base: number, strings: Uint8Array): void {
    const buf = Buffer.allocUnsafe(base + strings.length);
    buf.set(this.buf.subarray(0, this.pos));
    buf.set(strings, base);
    this.buf = buf;
    this.base = base;
  }

  /** Makes `strings` the table {@link copy} copies from. */
  attach(strings: Uint8Array): void {
    if (this.buf.length - this.base >= strings.length) this.buf.set(strings, this.base);
    else this.resize(this.base, strings);
  }

  /** The bytes `[start, end)` of the attached string table. */
  copy(start: number, end: number): void {
    this.room(end - start);
    const from = this.base;
    this.buf.copyWithin(this.pos, from + start, from + end);
    this.pos += end - start;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  text(t: string): void {
    this.room(t.length * 3);
    this.pos += this.buf.write(t, this.pos, 'utf8');
  }

  /** `n` spaces (n >= 0). */
  spaces(n: number): void {
    if (n <= 0) return;
    this.room(n);
    this.buf.fill(0x20, this.pos, this.pos + n);
    this.pos += n;
  }

  /** `0x` and the hex digits of `v` (0 <= v < 2^64), padded with spaces after to `width`. */
  hex(v: bigint, width: number): void {
    this.room(Math.max(width, 18));
    this.pos = putHex(this.buf, this.pos, v > 0xffffffffn ? Number(v >> 32n) : 0, Number(v & 0xffffffffn), width);
  }

  /** The decimal digits of `v` (>= 0), right-aligned in `width`. */
  decimal(v: bigint, width: number): void {
    if (v <= MAX_SAFE) {
      this.room(Math.max(width, 16));
      this.pos = putDecimal(this.buf, this.pos, Number(v), width);
      return;
    }
    const t = v.toString();
    this.spaces(width - t.length);
    this.text(t);
  }

  /** Room for `n` more bytes, to be written into the buffer returned, from {@link pos} on (moving pos past them). */
  reserve(n: number): Uint8Array {
    this.room(n);
    return this.buf;
  }

  /** Where the attached string table starts in the buffer {@link reserve} returns. */
  get strings(): number {
    return this.base;
  }

  /** A line's end. */
  newline(): void {
    this.room(1);
    this.buf[this.pos++] = 0x0a;
  }

  flush(): void {
    if (this.pos > 0) this.sink(this.buf.subarray(0, this.pos));
    this.pos = 0;
    this.end = Math.min(this.end * 4, this.base);
  }
}

const SYMBOL_HEAD = ['value', 'offset', 'size', 'type', 'bind', 'section', 'name'] as const;

/**
 * The layout of a symbol listing (value, offset, size right-aligned, type, bind, section, name;
 * the columns of {@link table}): the widths, from the largest numbers and the words that occur.
 */
class SymbolLayout {
  readonly widths: readonly number[];
  constructor(maxValue: bigint, maxOffset: bigint, maxSize: bigint, types: Iterable<string>, binds: Iterable<string>, sections: Iterable<string>) {
    const widest = (i: number, words: Iterable<string>): number => {
      let w = SYMBOL_HEAD[i]!.length;
      for (const x of words) if (x.length > w) w = x.length;
      return w;
    };
    this.widths = [
      Math.max(SYMBOL_HEAD[0].length, hex(maxValue).length),
      Math.max(SYMBOL_HEAD[1].length, hex(maxOffset).length),
      Math.max(SYMBOL_HEAD[2].length, maxSize.toString().length),
      widest(3, types),
      widest(4, binds),
      widest(5, sections),
    ];
  }

  /** The title line. */
  head(): string {
    const w = this.widths;
    return `  ${SYMBOL_HEAD.slice(0, 6)
      .map((h, i) => (i === 2 ? h.padStart(w[i]!) : h.padEnd(w[i]!)))
      .join('  ')}  ${SYMBOL_HEAD[6]}\n`;
  }

  /** The type, bind and section cells of a row, padded, as bytes (made once per combination). */
  cells(type: string, bind: string, section: string): Buffer {
    const w = this.widths;
    return Buffer.from(`${type.padEnd(w[3]!)}  ${bind.padEnd(w[4]!)}  ${section.padEnd(w[5]!)}  `, 'utf8');
  }

  /** A row up to its name: the numbers (an offset of -1: none), then `cells`. */
  row(out: TextOut, value: bigint, offset: bigint | null, size: bigint, cells: Buffer): void {
    const w = this.widths;
    out.spaces(2);
    out.hex(value, w[0]! + 2);
    if (offset === null) {
      out.text('-');
      out.spaces(w[1]! + 1);
    } else {
      out.hex(offset, w[1]! + 2);
    }
    out.decimal(size, w[2]!);
    out.spaces(2);
    out.bytes(cells);
  }
}

/** A section's cell: its name, `-` when there is none (`index` null), `[N]` when it is not known. */
function sectionLabel(index: number | null, sectionName: (s: Pick<ExeSymbol, 'section'>) => string | null): string {
  const name = sectionName({ section: index });
  return name !== null ? printableName(name) : index === null ? '-' : `[${index}]`;
}

/**
 * The symbols' columns written to `sink` line by line without a row of strings per symbol: the
 * widths come from the largest values first, and the padded words of the few types, binds and
 * sections are made once.
 */
function symbolTable(
  symbols: readonly ExeSymbol[],
  sectionName: (s: Pick<ExeSymbol, 'section'>) => string | null,
  demangle: boolean,
  sink: (chunk: Uint8Array) => void,
): void {
  let maxValue = 0n;
  let maxOffset = 0n;
  let maxSize = 0n;
  // The section column by section index (-1: none), made once per section.
  const labels = new Map<number, string>();
  const sectionOf = (s: ExeSymbol): string => {
    const key = s.section ?? -1;
    let label = labels.get(key);
    if (label === undefined) {
      label = sectionLabel(s.section, sectionName);
      labels.set(key, label);
    }
    return label;
  };
  const types = new Set<string>();
  const binds = new Set<string>();
  const sections = new Set<string>();
  for (const s of symbols) {
    if (s.value > maxValue) maxValue = s.value;
    if (s.offset !== null && s.offset > maxOffset) maxOffset = s.offset;
    if (s.size > maxSize) maxSize = s.size;
    types.add(s.type);
    binds.add(s.bind);
    sections.add(sectionOf(s));
  }
  const layout = new SymbolLayout(maxValue, maxOffset, maxSize, types, binds, sections);
  // The type, bind and section cells of each combination that occurs (a few).
  const cells = new Map<string, Map<string, Map<number, Buffer>>>();
  const level = <K, V>(map: Map<K, V>, key: K, make: () => V): V => {
    const found = map.get(key);
    if (found !== undefined) return found;
    const made = make();
    map.set(key, made);
    return made;
  };
  const cellsOf = (s: ExeSymbol): Buffer => {
    const bySection = level(
      level(cells, s.type, () => new Map<string, Map<number, Buffer>>()),
      s.bind,
      () => new Map<number, Buffer>(),
    );
    return level(bySection, s.section ?? -1, () => layout.cells(s.type, s.bind, sectionOf(s)));
  };
  const out = new TextOut(sink);
  out.text(layout.head());
  for (const s of symbols) {
    layout.row(out, s.value, s.offset, s.size, cellsOf(s));
    out.text(printableName(demangle ? (s.demangled ?? s.name) : s.name));
    out.bytes(NEWLINE);
  }
  out.flush();
}

/**
 * Whether the bytes `[start, end)` of a string table are printable ASCII (then they are the name
 * as shown, byte for byte): one look through the table for anything else (a control, DEL, a byte
 * of 0x80 or more) first, and when there is some, the runs of it, looked up per name.
 */
function plainNames(strings: Uint8Array): (start: number, end: number) => boolean {
  // Buffer's indexOf looks for a byte with memchr (a Uint8Array's goes element by element).
  const buf = Buffer.from(strings.buffer, strings.byteOffset, strings.byteLength);
  let plain = isAscii(buf) && buf.indexOf(0x7f) < 0;
  for (let c = 1; plain && c < 0x20; c++) if (buf.indexOf(c) >= 0) plain = false;
  if (plain) return () => true;
  // The runs are disjoint and in order: a name holds some of one when the last run that starts
  // before its end ends after its start.
  const starts: number[] = [];
  const ends: number[] = [];
  const latin1 = buf.toString('latin1');
  for (const m of latin1.matchAll(/[^\x00\x20-\x7e]+/g)) {
    starts.push(m.index);
    ends.push(m.index + m[0].length);
  }
  return (start, end) => {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! < end) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 || ends[lo - 1]! <= start;
  };
}

/** The largest numbers of the symbols of some tables, and the (kind, section) pairs that occur. */
class ColumnScan {
  maxValue = 0;
  maxOffset = 0;
  maxSize = 0;
  /** The largest of the numbers of 2^53 or more (-1 or -2 in their columns), when there are some. */
  maxBig: [value: bigint, offset: bigint, size: bigint] | null = null;
  /** Each (kind, section) pair, by key (`section * 256 + kind`: exact, kinds are bytes and sections 32-bit), numbered in order of appearance. */
  readonly ids = new Map<number, number>();
  readonly pairs: { kind: number; section: number; table: SymbolColumns }[] = [];

  /** Takes in the symbols of `t`; returns each one's pair number. */
  scan(t: SymbolColumns): Uint32Array {
    const { values, offsets, sizes, kinds, sections, count } = t;
    const pairOf = new Uint32Array(count);
    let maxValue = this.maxValue;
    let maxOffset = this.maxOffset;
    let maxSize = this.maxSize;
    let lastKey = -1;
    let lastId = 0;
    for (let i = 0; i < count; i++) {
      const v = values[i]!;
      const o = offsets[i]!;
      const z = sizes[i]!;
      if (v > maxValue) maxValue = v;
      if (o > maxOffset) maxOffset = o;
      if (z > maxSize) maxSize = z;
      if (v < 0 || o === -2 || z < 0) this.big(t, i);
      const key = sections[i]! * 256 + kinds[i]!;
      if (key !== lastKey) {
        lastKey = key;
        lastId = this.pair(key, t, i);
      }
      pairOf[i] = lastId;
    }
    this.maxValue = maxValue;
    this.maxOffset = maxOffset;
    this.maxSize = maxSize;
    return pairOf;
  }

  private pair(key: number, t: SymbolColumns, i: number): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.pairs.length;
      this.ids.set(key, id);
      this.pairs.push({ kind: t.kinds[i]!, section: t.sections[i]!, table: t });
    }
    return id;
  }

  private big(t: SymbolColumns, i: number): void {
    const big = this.maxBig ?? [0n, 0n, 0n];
    const v = t.value(i);
    const o = t.offset(i);
    const z = t.size(i);
    if (v > big[0]) big[0] = v;
    if (o !== null && o > big[1]) big[1] = o;
    if (z > big[2]) big[2] = z;
    this.maxBig = big;
  }
}

/**
 * The rows of table `t` (`pairOf` from {@link ColumnScan.scan}, `cells` by pair). The numbers of
 * most rows are written from the Number columns, and the names that are printable ASCII copied from
 * the string table's bytes; the rest as {@link symbolTable} writes them.
 */
function columnRows(out: TextOut, t: SymbolColumns, pairOf: Uint32Array, cells: readonly Buffer[], layout: SymbolLayout): void {
  const { values, offsets, sizes, nameStarts, nameEnds, count } = t;
  const [wValue, wOffset, wSize] = layout.widths as [number, number, number];
  let widest = 0;
  for (const c of cells) if (c.length > widest) widest = c.length;
  // A row's bytes but its name's (hex numbers take up to 18 bytes, a size 16).
  const most = 6 + Math.max(wValue + 2, 18) + Math.max(wOffset + 2, 18) + Math.max(wSize, 16) + widest;
  const plain = plainNames(t.strings);
  out.attach(t.strings);
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    const o = offsets[i]!;
    const z = sizes[i]!;
    const start = nameStarts[i]!;
    const end = nameEnds[i]!;
    const cell = cells[pairOf[i]!]!;
    if (v < 0 || o === -2 || z < 0 || !plain(start, end)) {
      layout.row(out, t.value(i), t.offset(i), t.size(i), cell);
      if (plain(start, end)) out.copy(start, end);
      else out.text(printableName(t.name(i)));
      out.newline();
      continue;
    }
    // The whole row at once, straight into the output buffer.
    const b = out.reserve(most + end - start);
    let p = out.pos;
    b[p++] = 0x20;
    b[p++] = 0x20;
    p = putHex(b, p, Math.floor(v / 0x100000000), v >>> 0, wValue + 2);
    if (o < 0) {
      b[p++] = 0x2d;
      p = pad(b, p, wOffset + 1);
    } else {
      p = putHex(b, p, Math.floor(o / 0x100000000), o >>> 0, wOffset + 2);
    }
    p = putDecimal(b, p, z, wSize);
    b[p++] = 0x20;
    b[p++] = 0x20;
    b.set(cell, p);
    p += cell.length;
    const from = out.strings;
    b.copyWithin(p, from + start, from + end);
    p += end - start;
    b[p++] = 0x0a;
    out.pos = p;
  }
}

/** {@link symbolTable} from columns, byte for byte the same text. */
function columnTable(tables: readonly SymbolColumns[], sectionName: (s: Pick<ExeSymbol, 'section'>) => string | null, sink: (chunk: Uint8Array) => void): void {
  const scan = new ColumnScan();
  const pairOf = tables.map((t) => scan.scan(t));
  const labels = new Map<number, string>();
  const labelOf = (section: number): string => {
    let label = labels.get(section);
    if (label === undefined) {
      label = sectionLabel(section === NO_SECTION ? null : section, sectionName);
      labels.set(section, label);
    }
    return label;
  };
  const words = scan.pairs.map((c) => [c.table.typeOf(c.kind), c.table.bindOf(c.kind), labelOf(c.section)] as const);
  const larger = (a: number, b: bigint | undefined): bigint => (b !== undefined && b > BigInt(a) ? b : BigInt(a));
  const big = scan.maxBig;
  const layout = new SymbolLayout(
    larger(scan.maxValue, big?.[0]),
    larger(scan.maxOffset, big?.[1]),
    larger(scan.maxSize, big?.[2]),
    words.map((x) => x[0]),
    words.map((x) => x[1]),
    words.map((x) => x[2]),
  );
  const cells = words.map(([type, bind, section]) => layout.cells(type, bind, section));
  const out = new TextOut(sink);
  out.text(layout.head());
  for (const [i, t] of tables.entries()) columnRows(out, t, pairOf[i]!, cells, layout);
  out.flush();
}

const NEWLINE = Buffer.from('\n', 'latin1');

/** The text of a listing, to `sink`: a title line per table, then its columns. */
export function renderImage(path: string, info: ImageInfo, l: ImageListing, sink: (chunk: Uint8Array | string) => void): void {
  sink(`${path}: ${info.description} (${info.kind}${info.entry !== null ? `, entry ${hex(info.entry)}` : ''})\n`);
  if (info.sections) {
    sink(`sections (${info.sections.length}):\n`);
    sink(table(['index', 'name', 'type', 'offset', 'va', 'filesize', 'memsize', 'flags'], sectionRows(info.sections), new Set([0])));
  }
  if (info.segments) {
    sink(`segments (${info.segments.length}):\n`);
    sink(table(['index', 'name', 'offset', 'va', 'filesize', 'memsize', 'perms'], segmentRows(info.segments), new Set([0])));
  }
  if (info.symbols) {
    const of = l.filter === undefined ? '' : ` of ${info.symbolCount} matching ${JSON.stringify(l.filter)}`;
    sink(`symbols (${info.symbols.length}${of}):\n`);
    symbolTable(info.symbols, info.sectionName, l.demangle, sink);
  } else if (info.symbolColumns) {
    sink(`symbols (${info.symbolCount}):\n`);
    columnTable(info.symbolColumns, info.sectionName, sink);
  }
}

/** The --json keys of a listing. */
/** Where a section or segment is, in the file and in memory: the JSON keys both share (`addr` as `va`). */
function placement(s: Section | Segment): { offset: bigint; va: bigint; fileSize: bigint; memSize: bigint } {
  return { offset: s.offset, va: s.addr, fileSize: s.fileSize, memSize: s.memSize };
}

function jsonOf(path: string, info: ImageInfo, l: ImageListing, timer: Timer): Record<string, unknown> {
  const keys: Record<string, unknown> = {
    file: path,
    format: info.format,
    description: info.description,
    bits: info.bits,
    endian: info.endian,
    machine: info.machine,
    kind: info.kind,
    entry: info.entry,
    imageBase: info.imageBase,
    fileOffset: info.fileOffset,
  };
  if (info.sections) {
    keys.sections = info.sections.map((s) => ({ index: s.index, name: s.name, type: s.type, ...placement(s), flags: s.flags }));
  }
  if (info.segments) {
    keys.segments = info.segments.map((s) => ({ index: s.index, name: s.name, ...placement(s), perms: s.perms }));
  }
  if (info.symbols) {
    keys.symbols = info.symbols.map((s) => ({
      name: s.name,
      demangled: s.demangled ?? null,
      value: s.value,
      offset: s.offset,
      size: s.size,
      type: s.type,
      bind: s.bind,
      section: s.section,
      sectionName: info.sectionName(s),
      table: s.table,
    }));
    keys.symbolCount = info.symbolCount;
    keys.filter = l.filter ?? null;
  }
  keys.timings = timer.json();
  return keys;
}

/** info FILE --sections/--segments/--symbols: one file. */
export async function listImage(ctx: Context, path: string, l: ImageListing, separator: Separator | undefined, timer: Timer, stats: boolean): Promise<Result> {
  const info = await imageInfo(path, {
    sections: l.sections,
    segments: l.segments,
    symbols: l.symbols,
    ...(l.filter !== undefined && { filter: l.filter }),
    // The text of every symbol, names as stored: from columns where the format has them.
    columns: !ctx.globals.json && !l.demangle,
    ...(l.arch !== undefined && { arch: l.arch }),
    ...(ctx.lockWait !== undefined && { lockWait: ctx.lockWait }),
    blocking: true,
    clock: timer,
    onPendingJournal: (file, j) => ctx.warnIfJournal(file, j),
  });
  const json = ctx.globals.json;
  if (!json) {
    // Written as it is made (a symbol table can be megabytes of text).
    const sep = separator?.next() ?? '';
    if (sep !== '') ctx.stdout(sep);
    renderImage(path, info, l, (chunk) => ctx.stdout(chunk));
  }
  timer.lap('render');
  return {
    summary: `info ${timer.describe()}`,
    showSummary: stats,
    json: json ? jsonOf(path, info, l, timer) : {},
  };
}
