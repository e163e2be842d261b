/**
 * What mmapx knows of an executable or object file (ELF, PE, Mach-O), in one shape for all three
 * formats: sections, segments and symbols with their file offsets and virtual addresses.
 *
 * The parsers (elf.ts, pe.ts, macho.ts) read through a {@link ByteSource} (a map or pread of the
 * file), only the parts they are asked for: the headers when the image is opened, a symbol table
 * only when {@link ExeImage.symbols} is first called. Every offset, count and size read from the
 * file is checked against the file's size before it is used: a hostile header is an
 * {@link ExeFormatError} (exit 2) naming what is wrong, never a crash or a read outside the file.
 */

import { InputError } from '../../errors.js';

/** The bytes of the file, read on demand. */
export interface ByteSource {
  /** The size of the file (or of the slice of a fat Mach-O). */
  readonly size: bigint;
  /**
   * `length` bytes from `offset`. The caller has checked `offset + length <= size`; a source may
   * return a view into a map, valid until the image is dropped (copy what you keep).
   */
  read(offset: bigint, length: number): Uint8Array;
}

/** A malformed or unsupported header, table or name: exit 2, nothing written. */
export class ExeFormatError extends InputError {}

export type ExeFormat = 'elf' | 'pe' | 'macho';

/** A section: `.text`, `__TEXT,__text` (Mach-O names are `SEGMENT,section`), ... */
export interface Section {
  /** 0-based position in the format's own section table (ELF: its index, SHN order). */
  readonly index: number;
  readonly name: string;
  /** Format's own type word, lower case: `progbits`, `nobits`, `code`, `regular`, ... */
  readonly type: string;
  /** Where its bytes are in the file. */
  readonly offset: bigint;
  /** How many bytes it has in the file (0 for `.bss`-like sections that occupy none). */
  readonly fileSize: bigint;
  /** Its virtual address when loaded (ELF `sh_addr`, PE ImageBase + VirtualAddress, Mach-O `addr`); 0 in object files. */
  readonly addr: bigint;
  /** Its size in memory (>= fileSize for `.bss`-like tails). */
  readonly memSize: bigint;
  /** Flags, as short lower-case words: `alloc`, `write`, `exec`, `read`, ... */
  readonly flags: readonly string[];
}

/** A segment: ELF program header, Mach-O LC_SEGMENT(_64); PE has none (its sections are what load). */
export interface Segment {
  readonly index: number;
  /** ELF: `load`, `dynamic`, `note`, ... (p_type); Mach-O: the segment name (`__TEXT`). */
  readonly name: string;
  readonly offset: bigint;
  readonly fileSize: bigint;
  readonly addr: bigint;
  readonly memSize: bigint;
  /** `rwx` style: `r-x`, `rw-`. */
  readonly perms: string;
}

/** A symbol of the symbol table or of the dynamic symbols (ELF), COFF symbols and exports (PE), nlist (Mach-O). */
export interface ExeSymbol {
  /** The name as stored (mangled for C++; Mach-O's leading `_` kept). */
  readonly name: string;
  /** The demangled C++ name (`ns::K::m(int, double)`), when the name is a mangled one. */
  readonly demangled?: string;
  /** Its value: a virtual address in executables, a section-relative offset in relocatable objects. */
  readonly value: bigint;
  /** Its size in bytes (0 when the format does not say: PE, Mach-O). */
  readonly size: bigint;
  /** `func`, `object`, `section`, `file`, `notype`, ... */
  readonly type: string;
  /** `local`, `global`, `weak`. */
  readonly bind: string;
  /** The section it is defined in, or null (undefined, absolute, common). */
  readonly section: number | null;
  /** Where the symbol came from: `symtab`, `dynsym` (ELF), `coff`, `export` (PE), `nlist` (Mach-O). */
  readonly table: string;
  /** Its file offset, when its bytes are in the file; null otherwise. */
  readonly offset: bigint | null;
}

/** An opened executable or object file. */
export interface ExeImage {
  readonly format: ExeFormat;
  /** `elf64-x86-64`, `elf32-powerpc`, `pe32+-x86-64`, `mach-o-arm64`, ... */
  readonly description: string;
  readonly bits: 32 | 64;
  readonly endian: 'little' | 'big';
  /** `x86-64`, `aarch64`, `i386`, `powerpc`, `arm64`, ... */
  readonly machine: string;
  /** ELF: `exec`, `dyn`, `rel`, `core`; PE: `exe`, `dll`; Mach-O: `object`, `execute`, `dylib`, ... */
  readonly kind: string;
  /** The entry point's virtual address, when there is one. */
  readonly entry: bigint | null;
  /** PE ImageBase (for `rva:`); null for ELF and Mach-O. */
  readonly imageBase: bigint | null;
  /** Where this image starts in the file: 0, or the slice's offset in a fat Mach-O. */
  readonly fileOffset: bigint;
  readonly sections: readonly Section[];
  readonly segments: readonly Segment[];
  /** All symbols, parsed on the first call (cached). */
  symbols(): readonly ExeSymbol[];
  /**
   * The same symbols as {@link symbols}, in the same order, as columns: one {@link SymbolColumns}
   * per symbol table. For listings that read every symbol once (`info --symbols`): no object, name
   * string or BigInt per symbol. Optional (ELF has it; PE and Mach-O list through {@link symbols}).
   * Parsed on the first call of either (cached, shared), with the same checks and errors.
   */
  symbolColumns?(): readonly SymbolColumns[];
}

/** {@link SymbolColumns.sections} of a symbol that is in no section ({@link ExeSymbol.section} null). */
export const NO_SECTION = 0xffffffff;

/**
 * The symbols of one table as typed arrays, one entry per symbol (symbol `i` of the table is entry
 * `i` of every column). Numbers below 2^53 are stored as they are; a larger one (rare: addresses
 * with high bits set) is -1 in its column and comes exact from {@link value}, {@link size} or
 * {@link offset}. Names are spans of the string table's bytes, checked when the table was read (each
 * ends before a NUL inside the table).
 */
export interface SymbolColumns {
  /** {@link ExeSymbol.table} of every symbol in it: `symtab`, `dynsym`. */
  readonly table: string;
  readonly count: number;
  /** {@link ExeSymbol.value}, or -1 when it is 2^53 or more. */
  readonly values: Float64Array;
  /** {@link ExeSymbol.size}, or -1 when it is 2^53 or more. */
  readonly sizes: Float64Array;
  /** {@link ExeSymbol.offset}: -1 when it is null, -2 when it is 2^53 or more. */
  readonly offsets: Float64Array;
  /** A code for the symbol's type and bind (ELF: st_info), worded by {@link typeOf} and {@link bindOf}. */
  readonly kinds: Uint8Array;
  /** {@link ExeSymbol.section}, or {@link NO_SECTION} (0xffffffff) when it is null. */
  readonly sections: Uint32Array;
  /** The string table the names are in (a view: copy what you keep). */
  readonly strings: Uint8Array;
  /** Where each name starts in {@link strings}... */
  readonly nameStarts: Uint32Array;
  /** ...and ends (exclusive; the name's bytes hold no NUL). */
  readonly nameEnds: Uint32Array;
  /** {@link ExeSymbol.type} of the symbols of kind `kind`. */
  typeOf(kind: number): string;
  /** {@link ExeSymbol.bind} of the symbols of kind `kind`. */
  bindOf(kind: number): string;
  /** {@link ExeSymbol.name} of symbol `i` (its bytes decoded as UTF-8). */
  name(i: number): string;
  /** {@link ExeSymbol.value} of symbol `i`, exact. */
  value(i: number): bigint;
  /** {@link ExeSymbol.size} of symbol `i`, exact. */
  size(i: number): bigint;
  /** {@link ExeSymbol.offset} of symbol `i`, exact. */
  offset(i: number): bigint | null;
}

/** Options for opening an image. */
export interface OpenImageOptions {
  /** The slice of a fat/universal Mach-O: `arm64`, `x86_64`, ... Required when there are several. */
  arch?: string;
}
