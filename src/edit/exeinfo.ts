// What an executable or object file contains (`mmapx info --sections/--segments/--symbols`): its
// header facts, sections, segments and symbols in the one shape of src/format/exe, the same for
// ELF, PE and Mach-O. Only what is asked is parsed: without `symbols` no symbol table is read.
import { optionsArg, pathArg } from './args.js';
import { globMatcher } from '../format/glob.js';
import type { ExeImage, ExeSymbol, OpenImageOptions, Section, Segment, SymbolColumns } from '../format/exe/index.js';
import { withFile } from './files.js';
import { imageOf } from './image.js';
import type { EditContext } from './seams.js';

/** What {@link imageInfo} lists (nothing: only the header facts). */
export interface ImageInfoOptions extends EditContext, OpenImageOptions {
  sections?: boolean;
  segments?: boolean;
  symbols?: boolean;
  /**
   * Only the symbols whose name or demangled name matches this shell pattern (`*`, `?`, `[...]`,
   * `\x`; the whole name, case-sensitive). Implies nothing by itself: give `symbols` too.
   */
  filter?: string;
  /**
   * The symbols as columns ({@link ImageInfo.symbolColumns} instead of {@link ImageInfo.symbols})
   * when the format has them and no `filter` is given: for a listing of every symbol, without an
   * object per symbol.
   */
  columns?: boolean;
}

/** What {@link imageInfo} finds. */
export interface ImageInfo extends Pick<ExeImage, 'format' | 'description' | 'bits' | 'endian' | 'machine' | 'kind' | 'entry' | 'imageBase' | 'fileOffset'> {
  /** When asked. */
  readonly sections?: readonly Section[];
  readonly segments?: readonly Segment[];
  /** When asked: in table order (the symbol table, then the dynamic symbols...), filtered by `filter`. */
  readonly symbols?: readonly ExeSymbol[];
  /** When symbols and `columns` were asked, the format has them and there is no `filter`: the same symbols as columns (then no {@link symbols}). */
  readonly symbolColumns?: readonly SymbolColumns[];
  /** The name of the section a symbol is defined in, or null (undefined, absolute, common). */
  readonly sectionName: (symbol: Pick<ExeSymbol, 'section'>) => string | null;
  /** How many symbols the image has in all (before `filter`), when symbols were asked. */
  readonly symbolCount?: number;
}

/** An image's header facts and the name of each symbol's section: what imageInfo always gives. */
export function headerInfo(image: ExeImage): ImageInfo {
  const names = new Map<number, string>();
  for (const s of image.sections) names.set(s.index, s.name);
  return {
    format: image.format,
    description: image.description,
    bits: image.bits,
    endian: image.endian,
    machine: image.machine,
    kind: image.kind,
    entry: image.entry,
    imageBase: image.imageBase,
    fileOffset: image.fileOffset,
    sectionName: (symbol) => (symbol.section === null ? null : (names.get(symbol.section) ?? null)),
  };
}

/**
 * Opens `path` (read-only, shared lock), parses its executable image and lists what `options`
 * ask for.
 *
 * @throws ExeFormatError (an InputError: exit 2) when the file is not an ELF, PE or Mach-O file,
 *   or a header or table in it is malformed.
 */
export async function imageInfo(path: string, options: ImageInfoOptions = {}): Promise<ImageInfo> {
  pathArg(path);
  optionsArg(options, ['sections', 'segments', 'symbols', 'columns']);
  const { clock } = options;
  return withFile(path, { ...options, write: false, access: 'read', ...(clock && { timer: clock }) }, (file) => {
    const image = imageOf(file, options.arch !== undefined ? { arch: options.arch } : {});
    clock?.lap('headers');
    const info: {
      -readonly [K in keyof ImageInfo]: ImageInfo[K];
    } = headerInfo(image);
    if (options.sections) info.sections = image.sections;
    if (options.segments) info.segments = image.segments;
    if (options.symbols) {
      if (options.columns && options.filter === undefined && image.symbolColumns !== undefined) {
        const columns = image.symbolColumns();
        clock?.lap('symbols');
        info.symbolColumns = columns;
        info.symbolCount = columns.reduce((n, c) => n + c.count, 0);
      } else {
        const all = image.symbols();
        clock?.lap('symbols');
        const test = options.filter === undefined ? undefined : globMatcher(options.filter);
        info.symbols = test === undefined ? all : all.filter((s) => test(s.name) || (s.demangled !== undefined && test(s.demangled)));
        info.symbolCount = all.length;
      }
      clock?.lap('filter');
    }
    return info;
  });
}
