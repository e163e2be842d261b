/**
 * Mach-O images: thin 32- and 64-bit files of either byte order (`feedface`, `feedfacf`), and one
 * slice of a fat/universal file (`cafebabe`, or `cafebabf` with 64-bit offsets), chosen by
 * {@link OpenImageOptions.arch}. Every offset in the result is an offset in the whole file (a
 * slice's offset added), so `sec:`/`sym:` in a fat file land in the chosen slice's bytes.
 *
 * The load commands are walked once at open, each checked to lie inside `sizeofcmds` and the
 * slice (at least 8 bytes, a multiple of 4 (32-bit) or 8 (64-bit), so a forged `ncmds` or a zero
 * `cmdsize` cannot loop): LC_SEGMENT(_64) gives the segments and their sections (named
 * `__SEG,__sect`), LC_MAIN (or LC_UNIXTHREAD) the entry point, LC_SYMTAB where the nlist symbols
 * are, read on the first {@link ExeImage.symbols} call (debugging `N_STAB` entries skipped).
 */

import { formatOffset } from '../number.js';
import { shown } from '../quote.js';
import { demangle } from './demangle.js';
import { cString, Fields, NameTable } from './fields.js';
import { type ByteSource, type ExeImage, ExeFormatError, type ExeSymbol, type OpenImageOptions, type Section, type Segment } from './types.js';

const CPU_ARCH_ABI64 = 0x01000000;
const CPU_ARCH_ABI64_32 = 0x02000000;
const CPU_TYPE_X86 = 7;
const CPU_TYPE_ARM = 12;
const CPU_TYPE_POWERPC = 18;

/** Apple's architecture name of a cputype/cpusubtype pair (what lipo and `--arch` call it). */
function archName(cputype: number, cpusubtype: number): string {
  const sub = cpusubtype & 0x00ffffff;
  switch (cputype) {
    case CPU_TYPE_X86:
      return 'i386';
    case CPU_TYPE_X86 | CPU_ARCH_ABI64:
      return sub === 8 ? 'x86_64h' : 'x86_64';
    case CPU_TYPE_ARM:
      return (
        ({ 5: 'armv4t', 6: 'armv6', 7: 'armv5', 9: 'armv7', 11: 'armv7s', 12: 'armv7k', 14: 'armv6m', 15: 'armv7m', 16: 'armv7em' } as Record<number, string>)[
          sub
        ] ?? 'arm'
      );
    case CPU_TYPE_ARM | CPU_ARCH_ABI64:
      return sub === 2 ? 'arm64e' : 'arm64';
    case CPU_TYPE_ARM | CPU_ARCH_ABI64_32:
      return 'arm64_32';
    case CPU_TYPE_POWERPC:
      return 'ppc';
    case CPU_TYPE_POWERPC | CPU_ARCH_ABI64:
      return 'ppc64';
    default:
      return `cputype-${cputype}`;
  }
}

/** The machine word shared with ELF and PE (`x86-64`, `arm64`, ...), by cputype. */
function machineName(cputype: number): string {
  switch (cputype) {
    case CPU_TYPE_X86:
      return 'i386';
    case CPU_TYPE_X86 | CPU_ARCH_ABI64:
      return 'x86-64';
    case CPU_TYPE_ARM:
      return 'arm';
    case CPU_TYPE_ARM | CPU_ARCH_ABI64:
      return 'arm64';
    case CPU_TYPE_ARM | CPU_ARCH_ABI64_32:
      return 'arm64_32';
    case CPU_TYPE_POWERPC:
      return 'powerpc';
    case CPU_TYPE_POWERPC | CPU_ARCH_ABI64:
      return 'powerpc64';
    default:
      return `cputype-${cputype}`;
  }
}

/** Other spellings of an architecture that `arch` accepts (ELF/PE machine names, GNU triples). */
const ARCH_ALIASES: Record<string, string> = {
  'x86-64': 'x86_64',
  amd64: 'x86_64',
  aarch64: 'arm64',
  i686: 'i386',
  x86: 'i386',
  powerpc: 'ppc',
  powerpc64: 'ppc64',
};

const FILE_TYPES: Record<number, string> = {
  1: 'object',
  2: 'execute',
  3: 'fvmlib',
  4: 'core',
  5: 'preload',
  6: 'dylib',
  7: 'dylinker',
  8: 'bundle',
  9: 'dylib_stub',
  10: 'dsym',
  11: 'kext_bundle',
  12: 'fileset',
};

/** Section types (flags & 0xff), as {@link Section.type}. */
const SECTION_TYPES = [
  'regular',
  'zerofill',
  'cstring_literals',
  '4byte_literals',
  '8byte_literals',
  'literal_pointers',
  'non_lazy_symbol_pointers',
  'lazy_symbol_pointers',
  'symbol_stubs',
  'mod_init_func_pointers',
  'mod_term_func_pointers',
  'coalesced',
  'gb_zerofill',
  'interposing',
  '16byte_literals',
  'dtrace_dof',
  'lazy_dylib_symbol_pointers',
  'thread_local_regular',
  'thread_local_zerofill',
  'thread_local_variables',
  'thread_local_variable_pointers',
  'thread_local_init_function_pointers',
  'init_func_offsets',
];
/** Section types whose bytes are not in the file. */
const ZEROFILL = new Set([0x01, 0x0c, 0x12]);

/** Section attributes, as words of {@link Section.flags}. */
const SECTION_ATTRIBUTES: readonly [number, string][] = [
  [0x80000000, 'pure_instructions'],
  [0x40000000, 'no_toc'],
  [0x20000000, 'strip_static_syms'],
  [0x10000000, 'no_dead_strip'],
  [0x08000000, 'live_support'],
  [0x04000000, 'self_modifying_code'],
  [0x02000000, 'debug'],
  [0x00000400, 'some_instructions'],
];
const INSTRUCTIONS = 0x80000400;

const LC_SEGMENT = 0x1;
const LC_SYMTAB = 0x2;
const LC_UNIXTHREAD = 0x5;
const LC_SEGMENT_64 = 0x19;
const LC_MAIN = 0x80000028;

const N_STAB = 0xe0;
const N_TYPE = 0x0e;
const N_EXT = 0x01;
const N_SECT = 0x0e;
const N_WEAK_REF = 0x40;
const N_WEAK_DEF = 0x80;

/** Where the program counter is in an LC_UNIXTHREAD thread state: [flavor, register index, 64-bit registers]. */
const THREAD_PC: Record<number, [number, number, boolean]> = {
  [CPU_TYPE_X86]: [1, 10, false],
  [CPU_TYPE_X86 | CPU_ARCH_ABI64]: [4, 16, true],
  [CPU_TYPE_ARM]: [1, 15, false],
  [CPU_TYPE_ARM | CPU_ARCH_ABI64]: [6, 32, true],
  [CPU_TYPE_POWERPC]: [1, 0, false],
  [CPU_TYPE_POWERPC | CPU_ARCH_ABI64]: [5, 0, true],
};

/** The byte order and width a thin Mach-O magic number says, or null. */
function thinMagic(b: Uint8Array): { little: boolean; bits: 32 | 64 } | null {
  if (b.length < 4) return null;
  const be = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const le = ((b[3]! << 24) | (b[2]! << 16) | (b[1]! << 8) | b[0]!) >>> 0;
  if (le === 0xfeedface) return { little: true, bits: 32 };
  if (le === 0xfeedfacf) return { little: true, bits: 64 };
  if (be === 0xfeedface) return { little: false, bits: 32 };
  if (be === 0xfeedfacf) return { little: false, bits: 64 };
  return null;
}

interface Slice {
  readonly arch: string;
  readonly machine: string;
  readonly offset: bigint;
  readonly size: bigint;
}

/** The slices listed in a fat header. */
function fatSlices(src: ByteSource, wide: boolean): Slice[] {
  const f = new Fields(src, 0n, src.size, false);
  const count = f.u32(4n, 'fat header');
  const entry = wide ? 32 : 20;
  if (count === 0) throw new ExeFormatError('a universal (fat) Mach-O file with no architectures');
  // Java class files share the magic number; their major version (45 and up) sits where the
  // count is, and no fat file has that many slices.
  if (count >= 43) throw new ExeFormatError(`not a universal (fat) Mach-O file: it would have ${count} architectures (a Java class file?)`);
  const table = f.view(8n, count * entry, 'fat architecture table');
  const slices: Slice[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * entry;
    const cputype = table.getInt32(o, false);
    const arch = archName(cputype, table.getInt32(o + 4, false));
    const offset = wide ? table.getBigUint64(o + 8, false) : BigInt(table.getUint32(o + 8, false));
    const size = wide ? table.getBigUint64(o + 16, false) : BigInt(table.getUint32(o + 12, false));
    if (!f.fits(offset, size)) {
      throw new ExeFormatError(`fat architecture ${i} (${arch}): its ${size} bytes at ${formatOffset(offset)} are not inside the file (size ${src.size})`);
    }
    if (offset < BigInt(8 + count * entry)) throw new ExeFormatError(`fat architecture ${i} (${arch}) at ${formatOffset(offset)} overlaps the fat header`);
    slices.push({ arch, machine: machineName(cputype), offset, size });
  }
  return slices;
}

/** Whether `wanted` (as the user wrote it) names `arch`: Apple's name, an alias, or the machine word (`arm` for armv7). */
function archMatches(arch: string, machine: string, wanted: string): boolean {
  const w = wanted.toLowerCase();
  return arch === w || arch === ARCH_ALIASES[w] || machine === w;
}

/**
 * Parses the Mach-O image in `src`: the thin file, or the slice of a fat file that
 * `options.arch` names (the only slice when there is one).
 *
 * @throws {ExeFormatError} several slices and no `arch`, an `arch` the file does not have, a
 *   header, load command, segment or section that is not inside the file or slice.
 */
export function parseMachO(src: ByteSource, options: OpenImageOptions = {}): ExeImage {
  const head = src.read(0n, Number(src.size < 8n ? src.size : 8n));
  const thin = thinMagic(head);
  if (thin !== null) {
    const image = parseThin(new Fields(src, 0n, src.size, thin.little), thin.bits);
    if (options.arch !== undefined && !archMatches(image.description.slice('mach-o-'.length), image.machine, options.arch)) {
      throw new ExeFormatError(`this Mach-O file is ${image.description.slice('mach-o-'.length)} only; it has no ${shown(options.arch)} slice`);
    }
    return image;
  }
  if (head.length < 8 || head[0] !== 0xca || head[1] !== 0xfe || head[2] !== 0xba || (head[3] !== 0xbe && head[3] !== 0xbf)) {
    throw new ExeFormatError('not a Mach-O file (no feedface, feedfacf or cafebabe magic number)');
  }
  const slices = fatSlices(src, head[3] === 0xbf);
  const names = slices.map((s) => s.arch).join(', ');
  let slice: Slice | undefined;
  if (options.arch === undefined) {
    if (slices.length > 1) throw new ExeFormatError(`a universal (fat) Mach-O file with ${slices.length} architectures (${names}): choose one with --arch`);
    slice = slices[0];
  } else {
    const wanted = options.arch;
    // Apple's name first: `arm` must not pick armv7 when the file also has an `arm` slice.
    slice = slices.find((s) => s.arch === wanted.toLowerCase()) ?? slices.find((s) => archMatches(s.arch, s.machine, wanted));
    if (slice === undefined) throw new ExeFormatError(`this universal (fat) Mach-O file has no ${shown(wanted)} slice (it has ${names})`);
  }
  const at = slice!;
  const magic = thinMagic(src.read(at.offset, at.size < 4n ? Number(at.size) : 4));
  if (magic === null) throw new ExeFormatError(`the ${at.arch} slice at ${formatOffset(at.offset)} is not a thin Mach-O image (bad magic number)`);
  return parseThin(new Fields(src, at.offset, at.offset + at.size, magic.little), magic.bits);
}

/** The thin image in `f` (the whole file or one slice); all offsets in the result are file offsets. */
function parseThin(f: Fields, bits: 32 | 64): ExeImage {
  const headerSize = bits === 64 ? 32 : 28;
  const header = f.view(0n, headerSize, 'Mach-O header');
  const cputype = header.getInt32(4, f.little);
  const cpusubtype = header.getInt32(8, f.little);
  const filetype = header.getUint32(12, f.little);
  const ncmds = header.getUint32(16, f.little);
  const sizeofcmds = header.getUint32(20, f.little);
  const commands = f.view(BigInt(headerSize), sizeofcmds, 'load commands (sizeofcmds)');
  const arch = archName(cputype, cpusubtype);
  const align = bits === 64 ? 8 : 4;

  const segments: Segment[] = [];
  const sections: Section[] = [];
  let symtab: { symoff: bigint; nsyms: bigint; stroff: bigint; strsize: bigint } | null = null;
  let mainOffset: bigint | null = null;
  let threadPc: bigint | null = null;
  let at = 0;
  for (let i = 0; i < ncmds; i++) {
    if (at + 8 > sizeofcmds) throw new ExeFormatError(`load command ${i} of ${ncmds} starts past the end of the load commands (sizeofcmds ${sizeofcmds})`);
    const cmd = commands.getUint32(at, f.little);
    const cmdsize = commands.getUint32(at + 4, f.little);
    const what = `load command ${i} (cmd 0x${cmd.toString(16)})`;
    if (cmdsize < 8 || cmdsize % align !== 0) throw new ExeFormatError(`${what}: cmdsize ${cmdsize} is not a multiple of ${align} of at least 8`);
    if (cmdsize > sizeofcmds - at) throw new ExeFormatError(`${what}: its ${cmdsize} bytes run past the end of the load commands (sizeofcmds ${sizeofcmds})`);
    const lc = new DataView(commands.buffer, commands.byteOffset + at, cmdsize);
    const need = (n: number): void => {
      if (cmdsize < n) throw new ExeFormatError(`${what}: cmdsize ${cmdsize} is too small (at least ${n} bytes)`);
    };
    if (cmd === LC_SEGMENT || cmd === LC_SEGMENT_64) {
      const wide = cmd === LC_SEGMENT_64;
      const fixed = wide ? 72 : 56;
      const sectionSize = wide ? 80 : 68;
      need(fixed);
      const w = wide ? 8 : 4;
      const get = (o: number): bigint => (wide ? lc.getBigUint64(o, f.little) : BigInt(lc.getUint32(o, f.little)));
      const segname = cString(new Uint8Array(lc.buffer, lc.byteOffset + 8, 16));
      const vmaddr = get(24);
      const vmsize = get(24 + w);
      const fileoff = get(24 + 2 * w);
      const filesize = get(24 + 3 * w);
      const initprot = lc.getUint32(28 + 4 * w, f.little);
      const nsects = lc.getUint32(32 + 4 * w, f.little);
      need(fixed + nsects * sectionSize);
      if (!f.fits(fileoff, filesize)) {
        throw new ExeFormatError(
          `segment ${segments.length} (${shown(segname)}): its ${filesize} bytes at ${formatOffset(f.start + fileoff)} are not inside the file`,
        );
      }
      segments.push({
        index: segments.length,
        name: segname,
        offset: f.start + fileoff,
        fileSize: filesize,
        addr: vmaddr,
        memSize: vmsize,
        perms: `${initprot & 1 ? 'r' : '-'}${initprot & 2 ? 'w' : '-'}${initprot & 4 ? 'x' : '-'}`,
      });
      for (let k = 0; k < nsects; k++) {
        const o = fixed + k * sectionSize;
        const sectname = cString(new Uint8Array(lc.buffer, lc.byteOffset + o, 16));
        const sectseg = cString(new Uint8Array(lc.buffer, lc.byteOffset + o + 16, 16));
        const addr = get(o + 32);
        const size = get(o + 32 + w);
        const offset = BigInt(lc.getUint32(o + 32 + 2 * w, f.little));
        const flags = lc.getUint32(o + 32 + 2 * w + 16, f.little);
        const typeCode = flags & 0xff;
        const fileSize = ZEROFILL.has(typeCode) ? 0n : size;
        const name = `${sectseg},${sectname}`;
        if (!ZEROFILL.has(typeCode) && !f.fits(offset, fileSize)) {
          throw new ExeFormatError(
            `section ${sections.length} (${shown(name)}): its ${fileSize} bytes at ${formatOffset(f.start + offset)} are not inside the file`,
          );
        }
        const words = SECTION_ATTRIBUTES.filter(([bit]) => (flags & bit) >>> 0 !== 0).map(([, w]) => w);
        sections.push({
          index: sections.length,
          name,
          type: SECTION_TYPES[typeCode] ?? `type-0x${typeCode.toString(16)}`,
          // A zerofill section's offset field means nothing (0 in what clang writes).
          offset: ZEROFILL.has(typeCode) ? 0n : f.start + offset,
          fileSize,
          addr,
          memSize: size,
          flags: (flags & INSTRUCTIONS) >>> 0 !== 0 ? ['exec', ...words] : words,
        });
      }
    } else if (cmd === LC_SYMTAB) {
      need(24);
      symtab = {
        symoff: BigInt(lc.getUint32(8, f.little)),
        nsyms: BigInt(lc.getUint32(12, f.little)),
        stroff: BigInt(lc.getUint32(16, f.little)),
        strsize: BigInt(lc.getUint32(20, f.little)),
      };
    } else if (cmd === LC_MAIN) {
      need(24);
      mainOffset = lc.getBigUint64(8, f.little);
    } else if (cmd === LC_UNIXTHREAD) {
      threadPc = unixThreadPc(lc, cputype, f.little);
    }
    at += cmdsize;
  }

  let entry: bigint | null = threadPc;
  if (mainOffset !== null) {
    const off = mainOffset;
    const seg =
      segments.find((s) => s.fileSize > 0n && off >= s.offset - f.start && off - (s.offset - f.start) < s.fileSize) ??
      segments.find((s) => s.name === '__TEXT');
    entry = seg === undefined ? null : seg.addr + (off - (seg.offset - f.start));
  }

  let symbols: ExeSymbol[] | undefined;
  const table = symtab;
  const arch64 = bits === 64;
  return {
    format: 'macho',
    description: `mach-o-${arch}`,
    bits,
    endian: f.little ? 'little' : 'big',
    machine: machineName(cputype),
    kind: FILE_TYPES[filetype] ?? `filetype-${filetype}`,
    entry,
    imageBase: null,
    fileOffset: f.start,
    sections,
    segments,
    symbols() {
      symbols ??= table === null ? [] : nlistSymbols(f, table, arch64, sections);
      return symbols;
    },
  };
}

/** The program counter in an LC_UNIXTHREAD command (the thread states after cmd, cmdsize: flavor, count, registers). */
function unixThreadPc(lc: DataView, cputype: number, little: boolean): bigint | null {
  const where = THREAD_PC[cputype];
  if (where === undefined) return null;
  const [flavor, index, wide] = where;
  let at = 8;
  while (at + 8 <= lc.byteLength) {
    const f = lc.getUint32(at, little);
    const count = lc.getUint32(at + 4, little); // in 32-bit words
    const end = at + 8 + count * 4;
    if (end > lc.byteLength || count === 0) return null;
    if (f === flavor) {
      const o = at + 8 + index * (wide ? 8 : 4);
      if (o + (wide ? 8 : 4) > end) return null;
      return wide ? lc.getBigUint64(o, little) : BigInt(lc.getUint32(o, little));
    }
    at = end;
  }
  return null;
}

/** The nlist symbols (table `nlist`), debugging entries skipped. */
function nlistSymbols(
  f: Fields,
  symtab: { symoff: bigint; nsyms: bigint; stroff: bigint; strsize: bigint },
  wide: boolean,
  sections: readonly Section[],
): ExeSymbol[] {
  const entry = wide ? 16 : 12;
  if (symtab.nsyms === 0n) return [];
  const records = f.view(symtab.symoff, symtab.nsyms * BigInt(entry), 'symbol table (LC_SYMTAB symoff, nsyms)');
  const strings = new NameTable(f.bytes(symtab.stroff, symtab.strsize, 'string table (LC_SYMTAB stroff, strsize)'), 'string table');
  const out: ExeSymbol[] = [];
  const n = Number(symtab.nsyms);
  for (let i = 0; i < n; i++) {
    const o = i * entry;
    const type = records.getUint8(o + 4);
    if (type & N_STAB) continue;
    const strx = records.getUint32(o, f.little);
    const name = strx === 0 ? '' : strings.name(strx, `symbol ${i}`);
    const sect = records.getUint8(o + 5);
    const desc = records.getUint16(o + 6, f.little);
    const value = wide ? records.getBigUint64(o + 8, f.little) : BigInt(records.getUint32(o + 8, f.little));
    let section: Section | undefined;
    if ((type & N_TYPE) === N_SECT) {
      section = sections[sect - 1];
      if (section === undefined) throw new ExeFormatError(`symbol ${i} (${shown(name)}) is in section ${sect}; the file has ${sections.length}`);
    }
    // A private extern (N_PEXT without N_EXT) is local to the linked image, as nm shows it.
    const external = (type & N_EXT) !== 0;
    const bind = external && desc & (N_WEAK_DEF | N_WEAK_REF) ? 'weak' : external ? 'global' : 'local';
    const inside = section !== undefined && value >= section.addr && value - section.addr < section.fileSize;
    const d = name.startsWith('_') ? demangle(name.slice(1)) : undefined;
    out.push({
      name,
      ...(d === undefined ? {} : { demangled: d }),
      value,
      size: 0n,
      type: section === undefined ? 'notype' : section.flags.includes('exec') ? 'func' : 'object',
      bind,
      section: section?.index ?? null,
      table: 'nlist',
      offset: inside ? section!.offset + (value - section!.addr) : null,
    });
  }
  return out;
}
