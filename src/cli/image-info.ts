// mmapx info FILE --sections / --segments / --symbols [--filter GLOB]: what an executable contains,
// as aligned columns (like readelf -S / -l / -s and objdump -h, but one layout for ELF, PE and
// Mach-O) or in the --json report. src/edit/exeinfo.ts finds it out; this renders it.
import { type ImageInfo, type ImageSymbol, imageInfo } from '../edit/exeinfo.js';
import type { Timer } from '../edit/timing.js';
import { InputError } from '../errors.js';
import type { Section, Segment } from '../format/exe/index.js';
import { formatOffset } from '../format/number.js';
import type { Context, Result } from './context.js';
import type { Separator } from './multi.js';

/** The listing options of info, checked. */
export interface ImageListing {
  sections: boolean;
  segments: boolean;
  symbols: boolean;
  filter: string | undefined;
  arch: string | undefined;
}

/** The listing asked by `opts`, or undefined when info is the file report. @throws InputError for --filter without --symbols. */
export function imageListing(opts: Record<string, unknown>): ImageListing | undefined {
  const sections = opts.sections === true;
  const segments = opts.segments === true;
  const symbols = opts.symbols === true;
  const filter = opts.filter === undefined ? undefined : String(opts.filter);
  const arch = opts.arch === undefined ? undefined : String(opts.arch);
  if (filter !== undefined && !symbols) throw new InputError('--filter selects symbols: give --symbols with it', { token: filter });
  if (!sections && !segments && !symbols) {
    if (arch !== undefined) throw new InputError('--arch chooses the slice that --sections, --segments or --symbols list: give one of them', { token: arch });
    return undefined;
  }
  return { sections, segments, symbols, filter, arch };
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
  return sections.map((s) => [
    `[${s.index}]`,
    s.name,
    s.type,
    hex(s.offset),
    hex(s.addr),
    hex(s.fileSize),
    hex(s.memSize),
    s.flags.join(','),
  ]);
}

function segmentRows(segments: readonly Segment[]): string[][] {
  return segments.map((s) => [`[${s.index}]`, s.name, hex(s.offset), hex(s.addr), hex(s.fileSize), hex(s.memSize), s.perms]);
}

function symbolRows(symbols: readonly ImageSymbol[]): string[][] {
  return symbols.map((s) => [
    hex(s.value),
    s.offset === null ? '-' : hex(s.offset),
    s.size.toString(),
    s.type,
    s.bind,
    s.sectionName ?? (s.section === null ? '-' : `[${s.section}]`),
    s.demangled ?? s.name,
  ]);
}

/** The text of a listing: a title line per table, then its columns. */
export function renderImage(path: string, info: ImageInfo, l: ImageListing): string {
  const out: string[] = [`${path}: ${info.description} (${info.kind}${info.entry !== null ? `, entry ${hex(info.entry)}` : ''})\n`];
  if (info.sections) {
    out.push(`sections (${info.sections.length}):\n`);
    out.push(table(['index', 'name', 'type', 'offset', 'va', 'filesize', 'memsize', 'flags'], sectionRows(info.sections), new Set([0])));
  }
  if (info.segments) {
    out.push(`segments (${info.segments.length}):\n`);
    out.push(table(['index', 'name', 'offset', 'va', 'filesize', 'memsize', 'perms'], segmentRows(info.segments), new Set([0])));
  }
  if (info.symbols) {
    const of = l.filter === undefined ? '' : ` of ${info.symbolCount} matching ${JSON.stringify(l.filter)}`;
    out.push(`symbols (${info.symbols.length}${of}):\n`);
    out.push(table(['value', 'offset', 'size', 'type', 'bind', 'section', 'name'], symbolRows(info.symbols), new Set([2])));
  }
  return out.join('');
}

/** The --json keys of a listing. */
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
    keys.sections = info.sections.map((s) => ({
      index: s.index,
      name: s.name,
      type: s.type,
      offset: s.offset,
      va: s.addr,
      fileSize: s.fileSize,
      memSize: s.memSize,
      flags: s.flags,
    }));
  }
  if (info.segments) {
    keys.segments = info.segments.map((s) => ({
      index: s.index,
      name: s.name,
      offset: s.offset,
      va: s.addr,
      fileSize: s.fileSize,
      memSize: s.memSize,
      perms: s.perms,
    }));
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
      sectionName: s.sectionName,
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
  const stdout = json ? undefined : `${separator?.next() ?? ''}${renderImage(path, info, l)}`;
  timer.lap('render');
  return {
    ...(stdout !== undefined && { stdout }),
    summary: `info ${timer.describe()}`,
    showSummary: stats,
    json: json ? jsonOf(path, info, l, timer) : {},
  };
}
