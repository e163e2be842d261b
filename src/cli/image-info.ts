// mmapx info FILE --sections / --segments / --symbols [--filter GLOB]: what an executable contains,
// as aligned columns (like readelf -S / -l / -s and objdump -h, but one layout for ELF, PE and
// Mach-O) or in the --json report. src/edit/exeinfo.ts finds it out; this renders it.
import { type ImageInfo, imageInfo } from '../edit/exeinfo.js';
import type { Timer } from '../edit/timing.js';
import { InputError } from '../errors.js';
import type { ExeSymbol, Section, Segment } from '../format/exe/index.js';
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

/** Bytes of text written at once by {@link symbolTable}. */
const CHUNK = 1 << 20;
const DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/**
 * Writes text into a reused buffer handed to `sink` a chunk at a time (synchronously consumed):
 * a table of 100k symbols without a string per cell.
 */
class TextOut {
  private buf = Buffer.allocUnsafe(CHUNK);
  pos = 0;
  constructor(private readonly sink: (chunk: Uint8Array) => void) {}

  /** Room for `n` more bytes. */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
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
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x30;
    b[p++] = 0x78;
    // Two 32-bit halves as numbers: their digits without a string.
    const hi = v > 0xffffffffn ? Number(v >> 32n) : 0;
    const lo = hi === 0 ? Number(v) : Number(v & 0xffffffffn);
    const digits = hi !== 0 ? 8 + ((35 - Math.clz32(hi)) >> 2) : lo !== 0 ? (35 - Math.clz32(lo)) >> 2 : 1;
    let end = p + digits;
    for (let i = 0; i < digits; i++) {
      const word = i < 8 ? lo : hi;
      const shift = (i % 8) * 4;
      b[--end] = DIGITS[(word >>> shift) & 0xf]!;
    }
    p += digits;
    for (let n = digits + 2; n < width; n++) b[p++] = 0x20;
    this.pos = p;
  }

  /** The decimal digits of `v` (>= 0), right-aligned in `width`. */
  decimal(v: bigint, width: number): void {
    if (v > 0xffffffffn) {
      const t = v.toString();
      this.spaces(width - t.length);
      this.text(t);
      return;
    }
    let x = Number(v);
    let digits = 1;
    for (let k = x; k >= 10; k = Math.floor(k / 10)) digits++;
    const n = Math.max(width, digits);
    this.room(n);
    const b = this.buf;
    const end = this.pos + n;
    b.fill(0x20, this.pos, end - digits);
    for (let p = end - 1; p >= end - digits; p--) {
      b[p] = 0x30 + (x % 10);
      x = Math.floor(x / 10);
    }
    this.pos = end;
  }

  flush(): void {
    if (this.pos > 0) this.sink(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }
}

/**
 * The symbols' columns, in the layout of {@link table} (value, offset, size right-aligned, type,
 * bind, section, name), written to `sink` line by line without a row of strings per symbol: the
 * widths come from the largest values first, and the padded words of the few types, binds and
 * sections are made once.
 */
function symbolTable(symbols: readonly ExeSymbol[], sectionName: (s: ExeSymbol) => string | null, demangle: boolean, sink: (chunk: Uint8Array) => void): void {
  const head = ['value', 'offset', 'size', 'type', 'bind', 'section', 'name'];
  let maxValue = 0n;
  let maxOffset = 0n;
  let maxSize = 0n;
  // The section column by section index (-1: none), made once per section.
  const labels = new Map<number, string>();
  const sectionOf = (s: ExeSymbol): string => {
    const key = s.section ?? -1;
    let label = labels.get(key);
    if (label === undefined) {
      const name = sectionName(s);
      label = name !== null ? printableName(name) : s.section === null ? '-' : `[${s.section}]`;
      labels.set(key, label);
    }
    return label;
  };
  const words = [new Set<string>(), new Set<string>(), new Set<string>()] as const;
  for (const s of symbols) {
    if (s.value > maxValue) maxValue = s.value;
    if (s.offset !== null && s.offset > maxOffset) maxOffset = s.offset;
    if (s.size > maxSize) maxSize = s.size;
    words[0].add(s.type);
    words[1].add(s.bind);
    words[2].add(sectionOf(s));
  }
  const w = [
    Math.max(head[0]!.length, hex(maxValue).length),
    Math.max(head[1]!.length, hex(maxOffset).length),
    Math.max(head[2]!.length, maxSize.toString().length),
    ...words.map((set, i) => Math.max(head[3 + i]!.length, ...[...set].map((x) => x.length))),
  ];
  // The type, bind and section columns of each combination that occurs, padded, as bytes (a few).
  const pad = (x: string, i: number): string => `${x.padEnd(w[3 + i]!)}  `;
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
    return level(bySection, s.section ?? -1, () => Buffer.from(`${pad(s.type, 0)}${pad(s.bind, 1)}${pad(sectionOf(s), 2)}`, 'utf8'));
  };
  const out = new TextOut(sink);
  out.text(
    `  ${head
      .slice(0, 6)
      .map((h, i) => (i === 2 ? h.padStart(w[i]!) : h.padEnd(w[i]!)))
      .join('  ')}  ${head[6]}\n`,
  );
  for (const s of symbols) {
    out.spaces(2);
    out.hex(s.value, w[0]! + 2);
    if (s.offset === null) {
      out.text('-');
      out.spaces(w[1]! + 1);
    } else {
      out.hex(s.offset, w[1]! + 2);
    }
    out.decimal(s.size, w[2]!);
    out.spaces(2);
    out.bytes(cellsOf(s));
    out.text(printableName(demangle ? (s.demangled ?? s.name) : s.name));
    out.bytes(NEWLINE);
  }
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
