/**
 * ELF (32 and 64-bit, little and big endian): the header, section headers and program headers at
 * open, the symbol tables (`.symtab`, `.dynsym`) on the first {@link ExeImage.symbols} call.
 *
 * Every offset, count and size read from the file is checked against the file's size before
 * anything is read or allocated, so a forged count (e_shnum 65535 in a 100-byte file) is an
 * {@link ExeFormatError}, not a huge allocation; names must end with a NUL inside their string
 * table. Numbers follow the System V gABI (field offsets per class, extended numbering through
 * section 0 when e_shnum, e_shstrndx or e_phnum overflow their 16 bits).
 */

import { formatOffset } from '../number.js';
import { demangle } from './demangle.js';
import { type ByteSource, type ExeImage, ExeFormatError, type ExeSymbol, NO_SECTION, type Section, type Segment, type SymbolColumns } from './types.js';

const ET = ['none', 'rel', 'exec', 'dyn', 'core'];

/** e_machine values (gABI "Machine" table) and the names `info` shows for them. */
const MACHINES: Record<number, string> = {
  1: 'we32100',
  2: 'sparc',
  3: 'i386',
  4: 'm68k',
  5: 'm88k',
  6: 'iamcu',
  7: 'i860',
  8: 'mips',
  9: 's370',
  10: 'mips-rs3-le',
  15: 'parisc',
  18: 'sparc32plus',
  20: 'powerpc',
  21: 'powerpc64',
  22: 's390',
  40: 'arm',
  41: 'alpha',
  42: 'sh',
  43: 'sparcv9',
  50: 'ia64',
  62: 'x86-64',
  83: 'avr',
  92: 'openrisc',
  94: 'xtensa',
  105: 'msp430',
  106: 'blackfin',
  113: 'nios2',
  164: 'hexagon',
  183: 'aarch64',
  189: 'microblaze',
  190: 'cuda',
  224: 'amdgpu',
  243: 'riscv',
  247: 'bpf',
  252: 'csky',
  258: 'loongarch',
  36902: 'alpha',
};

const EM_ARM = 40;
const EM_AARCH64 = 183;
const EM_X86_64 = 62;
const EM_RISCV = 243;
const EM_MIPS = 8;

const SHT: Record<number, string> = {
  0: 'null',
  1: 'progbits',
  2: 'symtab',
  3: 'strtab',
  4: 'rela',
  5: 'hash',
  6: 'dynamic',
  7: 'note',
  8: 'nobits',
  9: 'rel',
  10: 'shlib',
  11: 'dynsym',
  14: 'init_array',
  15: 'fini_array',
  16: 'preinit_array',
  17: 'group',
  18: 'symtab_shndx',
  19: 'relr',
};
const SHT_OS: ReadonlyMap<number, string> = new Map([
  [0x6ffffff5, 'gnu_attributes'],
  [0x6ffffff6, 'gnu_hash'],
  [0x6ffffff7, 'gnu_liblist'],
  [0x6ffffff8, 'checksum'],
  [0x6ffffffd, 'verdef'],
  [0x6ffffffe, 'verneed'],
  [0x6fffffff, 'versym'],
  [0x6fff4c00, 'llvm_odrtab'],
  [0x6fff4c01, 'llvm_linker_options'],
  [0x6fff4c03, 'llvm_addrsig'],
  [0x6fff4c04, 'llvm_dependent_libraries'],
  [0x6fff4c05, 'llvm_sympart'],
  [0x6fff4c06, 'llvm_part_ehdr'],
  [0x6fff4c07, 'llvm_part_phdr'],
  [0x6fff4c08, 'llvm_bb_addr_map_v0'],
  [0x6fff4c09, 'llvm_call_graph_profile'],
  [0x6fff4c0a, 'llvm_bb_addr_map'],
  [0x6fff4c0b, 'llvm_offloading'],
  [0x6fff4c0c, 'llvm_lto'],
]);
/** Processor-specific section types (0x70000000 + n) by e_machine. */
const SHT_PROC: Record<number, Record<number, string>> = {
  [EM_X86_64]: { 1: 'x86_64_unwind' },
  [EM_ARM]: { 1: 'arm_exidx', 2: 'arm_preemptmap', 3: 'arm_attributes', 4: 'arm_debugoverlay', 5: 'arm_overlaysection' },
  [EM_AARCH64]: { 3: 'aarch64_attributes' },
  [EM_RISCV]: { 3: 'riscv_attributes' },
  [EM_MIPS]: { 6: 'mips_reginfo', 13: 'mips_options', 30: 'mips_dwarf', 42: 'mips_abiflags', 43: 'mips_xhash' },
};

const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHT_NOBITS = 8;
const SHT_DYNSYM = 11;
const SHT_SYMTAB_SHNDX = 18;

/** Section flag bits and their words, in readelf's letter order (W A X M S I L O G T C R E). */
const SHF: readonly (readonly [bigint, string])[] = [
  [0x1n, 'write'],
  [0x2n, 'alloc'],
  [0x4n, 'exec'],
  [0x10n, 'merge'],
  [0x20n, 'strings'],
  [0x40n, 'info_link'],
  [0x80n, 'link_order'],
  [0x100n, 'os_nonconforming'],
  [0x200n, 'group'],
  [0x400n, 'tls'],
  [0x800n, 'compressed'],
  [0x200000n, 'retain'],
  [0x80000000n, 'exclude'],
];

const PT: Record<number, string> = { 0: 'null', 1: 'load', 2: 'dynamic', 3: 'interp', 4: 'note', 5: 'shlib', 6: 'phdr', 7: 'tls' };
const PT_OS: ReadonlyMap<number, string> = new Map([
  [0x6474e550, 'gnu_eh_frame'],
  [0x6474e551, 'gnu_stack'],
  [0x6474e552, 'gnu_relro'],
  [0x6474e553, 'gnu_property'],
  [0x6474e554, 'gnu_sframe'],
  [0x65a3dbe6, 'openbsd_randomize'],
  [0x65a3dbe7, 'openbsd_wxneeded'],
  [0x65a41be6, 'openbsd_bootdata'],
]);
const PT_PROC: Record<number, Record<number, string>> = {
  [EM_ARM]: { 1: 'arm_exidx' },
  [EM_AARCH64]: { 2: 'aarch64_memtag_mte' },
  [EM_RISCV]: { 3: 'riscv_attributes' },
  [EM_MIPS]: { 0: 'mips_reginfo', 1: 'mips_rtproc', 2: 'mips_options', 3: 'mips_abiflags' },
};

const STT = ['notype', 'object', 'func', 'section', 'file', 'common', 'tls'];
const STB = ['local', 'global', 'weak'];

const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;
const PN_XNUM = 0xffff;

function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

/** A word for a type number in a range with an OS- and a processor-specific part. */
function typeWord(n: number, base: Record<number, string>, os: ReadonlyMap<number, string>, proc: Record<number, string> | undefined): string {
  const known = base[n] ?? os.get(n);
  if (known !== undefined) return known;
  if (n >= 0x70000000 && n <= 0x7fffffff) return proc?.[n - 0x70000000] ?? `loproc+${hex(n - 0x70000000)}`;
  if (n >= 0x60000000 && n <= 0x6fffffff) return `loos+${hex(n - 0x60000000)}`;
  if (n >= 0x80000000 && n <= 0xffffffff) return `louser+${hex(n - 0x80000000)}`;
  return `type ${hex(n)}`;
}

function flagWords(flags: bigint): string[] {
  const words: string[] = [];
  let rest = flags;
  for (const [bit, word] of SHF) {
    if ((flags & bit) !== 0n) {
      words.push(word);
      rest &= ~bit;
    }
  }
  if (rest !== 0n) words.push(`flags ${hex(rest)}`);
  return words;
}

/** Little-or-big-endian fields of one table entry, for one ELF class. */
class Fields {
  private view: DataView;
  /** How many bytes there are. */
  readonly length: number;
  constructor(
    bytes: Uint8Array,
    private readonly le: boolean,
    private readonly is64: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.byteLength;
  }
  u8(at: number): number {
    return this.view.getUint8(at);
  }
  u16(at: number): number {
    return this.view.getUint16(at, this.le);
  }
  u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }
  /** An address-sized field (Elf32_Addr/Off/Word or Elf64_Addr/Off/Xword) at `at32` or `at64`. */
  word(at32: number, at64: number): bigint {
    return this.is64 ? this.view.getBigUint64(at64, this.le) : BigInt(this.view.getUint32(at32, this.le));
  }
}

interface RawSection {
  name: number;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: bigint;
  size: bigint;
  link: number;
  info: number;
  entsize: bigint;
}

/** The section header at `at` in `f`. */
function rawSection(f: Fields, at: number, is64: boolean): RawSection {
  return {
    name: f.u32(at),
    type: f.u32(at + 4),
    flags: f.word(at + 8, at + 8),
    addr: f.word(at + 12, at + 16),
    offset: f.word(at + 16, at + 24),
    size: f.word(at + 20, at + 32),
    link: f.u32(at + (is64 ? 40 : 24)),
    info: f.u32(at + (is64 ? 44 : 28)),
    entsize: f.word(at + 36, at + 56),
  };
}

/** Size of the ELF header, section header, program header and symbol entries per class. */
const SIZES = {
  32: { ehdr: 52, shdr: 40, phdr: 32, sym: 16 },
  64: { ehdr: 64, shdr: 64, phdr: 56, sym: 24 },
} as const;

/** Symbols are read in chunks of this many entries, so a big table never costs one huge buffer. */
const SYMBOL_CHUNK = 8192;

/** How many times its own size the long names of one string table may add up to. */
const NAME_BUDGET = 4;
/** Names up to this long are not counted against {@link NAME_BUDGET}. */
const SHORT_NAME = 64;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** The most one table read may ask for (a buffer, and the names' offsets, stay in 32 bits). */
const MAX_READ = 0x7fffffffn;

/**
 * A string table. Finding a name's NUL costs its length, so names longer than
 * {@link SHORT_NAME} bytes may add up to {@link NAME_BUDGET} times the table's size (tail-merged
 * tables share suffixes, so a little over once): a hostile table of one long NUL-free run named at
 * every offset is an error after a few names, not the table's size squared in time and memory.
 * Shorter names cost at most that much each, so their total is linear in the number of names.
 */
class StringTable {
  /** A plain view (Uint8Array's indexOf) and a Buffer view (its UTF-8 decoding) of the same bytes. */
  readonly bytes: Uint8Array;
  private readonly utf8: Buffer;
  private budget: number;
  constructor(
    bytes: Uint8Array,
    /** The table, as messages name it: `.strtab (section 28)`. */
    private readonly what: string,
  ) {
    this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.utf8 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.budget = NAME_BUDGET * bytes.length + 65536;
  }

  /** Where the NUL-terminated name at `at` ends (its NUL's offset), checked as {@link name} checks it. */
  end(at: number): number {
    const { bytes, what } = this;
    if (at >= bytes.length) throw new ExeFormatError(`ELF name offset ${at} is outside the string table ${what} (${bytes.length} bytes)`);
    const end = bytes.indexOf(0, at);
    if (end < 0) throw new ExeFormatError(`ELF string table ${what} has a name at ${at} without a terminating NUL`);
    if (end - at > SHORT_NAME) {
      this.budget -= end - at;
      if (this.budget < 0) {
        throw new ExeFormatError(`ELF string table ${what} (${bytes.length} bytes): its names overlap into more than ${NAME_BUDGET} times its size`);
      }
    }
    return end;
  }

  /** The text of the bytes `[start, end)` (a name whose end {@link end} found). */
  text(start: number, end: number): string {
    return this.utf8.toString('utf8', start, end);
  }

  /** The NUL-terminated name at `at`. */
  name(at: number): string {
    return this.text(at, this.end(at));
  }
}

/**
 * A symbol. Its demangled name is worked out when first read: most lookups match the stored
 * name, and demangling every symbol of a big C++ binary would cost more than reading them.
 */
class ElfSymbol implements ExeSymbol {
  /** undefined: not asked yet; null: not a mangled name. */
  #demangled: string | null | undefined = undefined;
  constructor(
    readonly name: string,
    readonly value: bigint,
    readonly size: bigint,
    readonly type: string,
    readonly bind: string,
    readonly section: number | null,
    readonly table: string,
    readonly offset: bigint | null,
  ) {}

  get demangled(): string | undefined {
    if (this.#demangled === undefined) {
      const pretty = this.name.startsWith('_') ? demangle(this.name) : undefined;
      this.#demangled = typeof pretty === 'string' ? pretty : null;
    }
    return this.#demangled ?? undefined;
  }
}

/** The type and bind words of each st_info byte, made when first asked. */
const KIND_WORDS: (readonly [type: string, bind: string] | undefined)[] = [];

function kindWords(info: number): readonly [type: string, bind: string] {
  let words = KIND_WORDS[info];
  if (words === undefined) {
    const type = info & 0xf;
    const bind = info >> 4;
    words = [STT[type] ?? (type === 10 ? 'ifunc' : `type ${type}`), STB[bind] ?? (bind === 10 ? 'unique' : `bind ${bind}`)];
    KIND_WORDS[info] = words;
  }
  return words;
}

/** The numbers of a symbol with one of them 2^53 or more, exact. */
interface BigNumbers {
  value: bigint;
  size: bigint;
  offset: bigint | null;
}

/** One symbol table's symbols as columns (kinds are st_info bytes). */
class ElfColumns implements SymbolColumns {
  readonly values: Float64Array;
  readonly sizes: Float64Array;
  readonly offsets: Float64Array;
  readonly kinds: Uint8Array;
  readonly sections: Uint32Array;
  readonly strings: Uint8Array;
  readonly nameStarts: Uint32Array;
  readonly nameEnds: Uint32Array;
  /** By symbol: the exact numbers of those with -1 or -2 in a column (none in most files). */
  readonly big = new Map<number, BigNumbers>();

  constructor(
    readonly table: string,
    readonly count: number,
    private readonly names: StringTable,
  ) {
    this.values = new Float64Array(count);
    this.sizes = new Float64Array(count);
    this.offsets = new Float64Array(count);
    this.kinds = new Uint8Array(count);
    this.sections = new Uint32Array(count);
    this.strings = names.bytes;
    this.nameStarts = new Uint32Array(count);
    this.nameEnds = new Uint32Array(count);
  }

  typeOf(kind: number): string {
    return kindWords(kind)[0];
  }
  bindOf(kind: number): string {
    return kindWords(kind)[1];
  }
  name(i: number): string {
    return this.names.text(this.nameStarts[i]!, this.nameEnds[i]!);
  }
  value(i: number): bigint {
    const v = this.values[i]!;
    return v >= 0 ? BigInt(v) : this.big.get(i)!.value;
  }
  size(i: number): bigint {
    const v = this.sizes[i]!;
    return v >= 0 ? BigInt(v) : this.big.get(i)!.size;
  }
  offset(i: number): bigint | null {
    const v = this.offsets[i]!;
    return v >= 0 ? BigInt(v) : v === -1 ? null : this.big.get(i)!.offset;
  }
}

/**
 * Parses the ELF image in `src`.
 *
 * @throws {ExeFormatError} a header, table or name that is malformed or points outside the file.
 */
export function parseElf(src: ByteSource): ExeImage {
  const size = src.size;

  /** `length` bytes at `offset`, after checking that they are inside the file. */
  function bytes(offset: bigint, length: bigint, what: string): Uint8Array {
    if (offset < 0n || length < 0n || offset > size || length > size - offset) {
      throw new ExeFormatError(`ELF ${what} (${length} bytes at ${formatOffset(offset)}) is outside the file (size ${size})`);
    }
    if (length > MAX_READ) throw new ExeFormatError(`ELF ${what} (${length} bytes at ${formatOffset(offset)}) is too large to read (over 2 GiB)`);
    return src.read(offset, Number(length));
  }

  if (size < 16n) throw new ExeFormatError(`ELF file too short for its identification (${size} bytes)`);
  const ident = bytes(0n, 16n, 'identification');
  if (ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) throw new ExeFormatError('not an ELF file (bad magic number)');
  const cls = ident[4];
  const data = ident[5];
  if (cls !== 1 && cls !== 2) throw new ExeFormatError(`ELF class ${cls} is neither 1 (32-bit) nor 2 (64-bit)`);
  if (data !== 1 && data !== 2) throw new ExeFormatError(`ELF data encoding ${data} is neither 1 (little endian) nor 2 (big endian)`);
  const bits: 32 | 64 = cls === 2 ? 64 : 32;
  const is64 = bits === 64;
  const le = data === 1;
  const sz = SIZES[bits];

  if (size < BigInt(sz.ehdr)) throw new ExeFormatError(`ELF${bits} file too short for its header (${size} bytes, needs ${sz.ehdr})`);
  const eh = new Fields(bytes(0n, BigInt(sz.ehdr), 'header'), le, is64);
  const eType = eh.u16(16);
  const eMachine = eh.u16(18);
  const eEntry = eh.word(24, 24);
  const ePhoff = eh.word(28, 32);
  const eShoff = eh.word(32, 40);
  const o = is64 ? 52 : 40;
  const ePhentsize = eh.u16(o + 2);
  let phnum = eh.u16(o + 4);
  const eShentsize = eh.u16(o + 6);
  const eShnum = eh.u16(o + 8);
  let shstrndx = eh.u16(o + 10);

  const machine = MACHINES[eMachine] ?? `machine ${eMachine}`;
  const kind = ET[eType] ?? (eType >= 0xfe00 ? `type ${hex(eType)}` : `type ${eType}`);
  const isRel = eType === 1;

  // Section headers. e_shnum 0 with a table present: the count is section 0's sh_size.
  const raws: RawSection[] = [];
  if (eShoff !== 0n) {
    if (eShentsize < sz.shdr) throw new ExeFormatError(`ELF e_shentsize ${eShentsize} is smaller than a ${bits}-bit section header (${sz.shdr})`);
    const first = rawSection(new Fields(bytes(eShoff, BigInt(sz.shdr), 'section header 0'), le, is64), 0, is64);
    let count = BigInt(eShnum);
    if (eShnum === 0) count = first.size;
    if (shstrndx === SHN_XINDEX) shstrndx = first.link;
    if (phnum === PN_XNUM) phnum = first.info;
    const entsize = BigInt(eShentsize);
    if (count > 0n && (eShoff > size || count > (size - eShoff) / entsize)) {
      throw new ExeFormatError(
        `ELF section header table (${count} entries of ${eShentsize} bytes at ${formatOffset(eShoff)}) is outside the file (size ${size})`,
      );
    }
    const n = Number(count);
    if (n > 0) {
      const table = new Fields(bytes(eShoff, count * entsize, 'section header table'), le, is64);
      for (let i = 0; i < n; i++) raws.push(rawSection(table, i * eShentsize, is64));
    }
  } else if (phnum === PN_XNUM) {
    throw new ExeFormatError('ELF e_phnum is PN_XNUM (0xffff) but there is no section 0 holding the real count');
  }

  const hasBytes = (r: RawSection): boolean => r.type !== SHT_NOBITS && r.type !== 0;
  for (let i = 0; i < raws.length; i++) {
    const r = raws[i]!;
    if (hasBytes(r) && r.size > 0n && (r.offset > size || r.size > size - r.offset)) {
      throw new ExeFormatError(`ELF section ${i} (${r.size} bytes at ${formatOffset(r.offset)}) is outside the file (size ${size})`);
    }
  }

  /** Whether a section has bytes and they are in the file (an empty one may say it is past the end). */
  const inFile = (r: RawSection): boolean => hasBytes(r) && r.offset <= size;

  /** The bytes of section `index` (checked at open to be inside the file). */
  const sectionBytes = (index: number, what: string): Uint8Array => {
    const r = raws[index]!;
    if (!hasBytes(r)) throw new ExeFormatError(`ELF ${what} (section ${index}) has no bytes in the file`);
    return bytes(r.offset, r.size, what);
  };

  let names: string[];
  if (raws.length === 0 || shstrndx === 0) {
    names = raws.map(() => '');
  } else {
    if (shstrndx >= raws.length) throw new ExeFormatError(`ELF e_shstrndx ${shstrndx} is not a section (there are ${raws.length})`);
    const table = new StringTable(sectionBytes(shstrndx, 'section name table'), `section ${shstrndx}`);
    names = raws.map((r, i) => (i === 0 && r.name === 0 ? '' : table.name(r.name)));
  }

  const procSht = SHT_PROC[eMachine];
  // Few distinct flag words in a file: one (read-only) array for each.
  const flagCache = new Map<bigint, readonly string[]>();
  const flagsOf = (flags: bigint): readonly string[] => {
    let words = flagCache.get(flags);
    if (words === undefined) {
      words = flagWords(flags);
      flagCache.set(flags, words);
    }
    return words;
  };
  const sections: Section[] = raws.map((r, i) => ({
    index: i,
    name: names[i]!,
    type: typeWord(r.type, SHT, SHT_OS, procSht),
    offset: r.offset,
    fileSize: hasBytes(r) ? r.size : 0n,
    addr: r.addr,
    memSize: r.type === 0 ? 0n : r.size,
    flags: flagsOf(r.flags),
  }));

  // Program headers.
  const segments: Segment[] = [];
  if (phnum > 0 && ePhoff !== 0n) {
    if (ePhentsize < sz.phdr) throw new ExeFormatError(`ELF e_phentsize ${ePhentsize} is smaller than a ${bits}-bit program header (${sz.phdr})`);
    const entsize = BigInt(ePhentsize);
    if (ePhoff > size || BigInt(phnum) > (size - ePhoff) / entsize) {
      throw new ExeFormatError(
        `ELF program header table (${phnum} entries of ${ePhentsize} bytes at ${formatOffset(ePhoff)}) is outside the file (size ${size})`,
      );
    }
    const f = new Fields(bytes(ePhoff, BigInt(phnum) * entsize, 'program header table'), le, is64);
    const procPt = PT_PROC[eMachine];
    for (let i = 0; i < phnum; i++) {
      const at = i * ePhentsize;
      const type = f.u32(at);
      const pflags = f.u32(at + (is64 ? 4 : 24));
      const offset = f.word(at + 4, at + 8);
      const fileSize = f.word(at + 16, at + 32);
      if (fileSize > 0n && (offset > size || fileSize > size - offset)) {
        throw new ExeFormatError(`ELF segment ${i} (${fileSize} bytes at ${formatOffset(offset)}) is outside the file (size ${size})`);
      }
      segments.push({
        index: i,
        name: typeWord(type, PT, PT_OS, procPt),
        offset,
        fileSize,
        addr: f.word(at + 8, at + 16),
        memSize: f.word(at + 20, at + 40),
        perms: `${pflags & 4 ? 'r' : '-'}${pflags & 2 ? 'w' : '-'}${pflags & 1 ? 'x' : '-'}`,
      });
    }
  }

  // Sections' numbers as Numbers, for the symbols' offsets without BigInt temporaries: a size of -1
  // when the section has no bytes in the file (no symbol's bytes are in it), null when its address
  // or its end in the file is past 2^53 (those take the BigInt way).
  const numeric = raws.map((r) =>
    !inFile(r)
      ? { addr: 0, offset: 0, size: -1 }
      : r.addr <= MAX_SAFE && r.offset + r.size <= MAX_SAFE
        ? { addr: isRel ? 0 : Number(r.addr), offset: Number(r.offset), size: Number(r.size) }
        : null,
  );

  /** The file offset of a symbol's bytes in section `section`, when they are in it (the BigInt way). */
  const symbolOffset = (section: number, value: bigint, symSize: bigint): bigint | null => {
    const r = raws[section]!;
    if (!inFile(r)) return null;
    const inside = isRel ? value : value - r.addr;
    if (inside < 0n || inside > r.size || symSize > r.size - inside) return null;
    return r.offset + inside;
  };

  /** A symbol table's header, checked: its entry size and count, and its string table's index. */
  const tableOf = (index: number) => {
    const r = raws[index]!;
    const table = r.type === SHT_DYNSYM ? 'dynsym' : 'symtab';
    const what = `${names[index] || table} (section ${index})`;
    if (r.entsize < BigInt(sz.sym)) {
      throw new ExeFormatError(`ELF symbol table ${what} has sh_entsize ${r.entsize}, less than a ${bits}-bit symbol (${sz.sym})`);
    }
    if (r.entsize > 0x10000n) throw new ExeFormatError(`ELF symbol table ${what} has an implausible sh_entsize ${r.entsize}`);
    if (r.link === 0 || r.link >= raws.length) throw new ExeFormatError(`ELF symbol table ${what} links to string table ${r.link}, which is not a section`);
    if (raws[r.link]!.type !== SHT_STRTAB) throw new ExeFormatError(`ELF symbol table ${what} links to section ${r.link}, which is not a string table`);
    return { index, r, table, what, count: Number(r.size / r.entsize), entsize: Number(r.entsize) };
  };

  // ARM: a function's value has bit 0 set when it is Thumb code; its bytes start at the even address.
  const thumb = eMachine === EM_ARM;

  /**
   * The symbols `start` to `start + n - 1` of a table, from their entries in `view` (`entsize`
   * bytes each), checked and stored in `cols` (symbol `i` at `i - 1`). The loop a big table's time
   * goes into, on its own so that it is compiled once for all the table's chunks.
   */
  const readSymbols = (
    view: DataView,
    entsize: number,
    n: number,
    start: number,
    cols: ElfColumns,
    strings: StringTable,
    xindex: Fields | null,
    what: string,
  ): void => {
    const { values, sizes, offsets, kinds, sections: secs, nameStarts, nameEnds } = cols;
    const infoAt = is64 ? 4 : 12;
    const shndxAt = is64 ? 6 : 14;
    // The halves of the 64-bit value and size, by byte order.
    const vLow = le ? 8 : 12;
    const vHigh = le ? 12 : 8;
    const sLow = le ? 16 : 20;
    const sHigh = le ? 20 : 16;
    const sectionCount = raws.length;
    for (let k = 0; k < n; k++) {
      const at = k * entsize;
      const nameAt = view.getUint32(at, le);
      const info = view.getUint8(at + infoAt);
      let shndx = view.getUint16(at + shndxAt, le);
      // Value and size as Numbers, -1 when 2^53 or more (ELF64's from their two 32-bit halves).
      let valueN: number;
      let sizeN: number;
      if (is64) {
        const vh = view.getUint32(at + vHigh, le);
        const sh = view.getUint32(at + sHigh, le);
        valueN = vh < 0x200000 ? vh * 0x100000000 + view.getUint32(at + vLow, le) : -1;
        sizeN = sh < 0x200000 ? sh * 0x100000000 + view.getUint32(at + sLow, le) : -1;
      } else {
        valueN = view.getUint32(at + 4, le);
        sizeN = view.getUint32(at + 8, le);
      }
      const i = start + k;
      if (shndx >= SHN_LORESERVE) shndx = shndx === SHN_XINDEX ? extendedIndex(xindex, i, what) : 0;
      if (shndx >= sectionCount) throw new ExeFormatError(`ELF symbol ${i} of ${what} is in section ${shndx}, which does not exist`);
      const j = i - 1;
      nameStarts[j] = nameAt;
      nameEnds[j] = nameAt === 0 ? 0 : strings.end(nameAt);
      kinds[j] = info;
      values[j] = valueN;
      sizes[j] = sizeN;
      secs[j] = shndx === 0 ? NO_SECTION : shndx;
      const sec = shndx === 0 ? null : numeric[shndx]!;
      if (valueN < 0 || sizeN < 0 || (sec === null && shndx !== 0)) {
        bigSymbol(view, at, j, shndx, cols);
      } else if (sec === null) {
        offsets[j] = -1;
      } else {
        // ARM: Thumb code's bytes start at the even address below its value.
        const inside = (thumb && (info & 0xf) === 2 ? valueN - (valueN % 2) : valueN) - sec.addr;
        offsets[j] = inside < 0 || inside > sec.size || sizeN > sec.size - inside ? -1 : sec.offset + inside;
      }
    }
  };

  /** The section index of symbol `i` (SHN_XINDEX) from the table's SHT_SYMTAB_SHNDX section. */
  const extendedIndex = (xindex: Fields | null, i: number, what: string): number => {
    if (xindex === null || i * 4 + 4 > xindex.length) throw new ExeFormatError(`ELF symbol ${i} of ${what} has SHN_XINDEX but no extended section index`);
    return xindex.u32(i * 4);
  };

  /** The numbers of a symbol (entry at `at` of `view`, column index `j`, section `shndx`, 0 for none) that take BigInts: a value, size or offset of 2^53 or more. */
  const bigSymbol = (view: DataView, at: number, j: number, shndx: number, cols: ElfColumns): void => {
    const value = is64 ? view.getBigUint64(at + 8, le) : BigInt(view.getUint32(at + 4, le));
    const symSize = is64 ? view.getBigUint64(at + 16, le) : BigInt(view.getUint32(at + 8, le));
    const even = thumb && (cols.kinds[j]! & 0xf) === 2 && (value & 1n) === 1n;
    const offset = shndx === 0 ? null : symbolOffset(shndx, even ? value - 1n : value, symSize);
    cols.offsets[j] = offset === null ? -1 : offset <= MAX_SAFE ? Number(offset) : -2;
    if (cols.values[j]! < 0 || cols.sizes[j]! < 0 || cols.offsets[j] === -2) cols.big.set(j, { value, size: symSize, offset });
  };

  /** The symbols of table `t` (entry 0, the reserved null symbol, left out), checked, as columns. */
  const readTable = (t: ReturnType<typeof tableOf>, strings: StringTable, xindexOf: Map<number, number>): ElfColumns => {
    const { r, table, what, count, entsize } = t;
    // SHT_SYMTAB_SHNDX: the section indexes of symbols whose st_shndx is SHN_XINDEX.
    let xindex: Fields | null = null;
    const x = xindexOf.get(t.index);
    if (x !== undefined) {
      const xr = raws[x]!;
      xindex = new Fields(bytes(xr.offset, xr.size, `extended section index table (section ${x})`), le, is64);
    }
    const cols = new ElfColumns(table, count - 1, strings);
    for (let start = 1; start < count; start += SYMBOL_CHUNK) {
      const n = Math.min(SYMBOL_CHUNK, count - start);
      const chunk = bytes(r.offset + BigInt(start) * r.entsize, BigInt(n) * r.entsize, `symbol table ${what}`);
      readSymbols(new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength), entsize, n, start, cols, strings, xindex, what);
    }
    return cols;
  };

  let columns: ElfColumns[] | undefined;
  /** The symbol tables, read and checked on the first call. */
  const symbolColumns = (): ElfColumns[] => {
    if (columns === undefined) {
      // .symtab first, then .dynsym (sym: finds the same symbol in both as one place).
      const tables: ReturnType<typeof tableOf>[] = [];
      for (const type of [SHT_SYMTAB, SHT_DYNSYM]) {
        for (let i = 0; i < raws.length; i++) if (raws[i]!.type === type && raws[i]!.size > 0n) tables.push(tableOf(i));
      }
      // The tables of a sound file do not overlap: more table bytes than file bytes is a forgery
      // (thousands of section headers naming one big table) that would cost time and memory.
      let total = 0n;
      const stringIndexes = new Set<number>();
      for (const t of tables) {
        if (t.count <= 1) continue;
        total += t.r.size;
        if (!stringIndexes.has(t.r.link)) total += raws[t.r.link]!.size;
        stringIndexes.add(t.r.link);
      }
      if (total > size) throw new ExeFormatError(`ELF symbol and string tables add up to ${total} bytes in a file of ${size}: they overlap`);
      const xindexOf = new Map<number, number>();
      for (let i = raws.length - 1; i >= 0; i--) {
        const x = raws[i]!;
        if (x.type === SHT_SYMTAB_SHNDX && hasBytes(x)) xindexOf.set(x.link, i);
      }
      const stringTables = new Map<number, StringTable>();
      const out: ElfColumns[] = [];
      for (const t of tables) {
        if (t.count <= 1) continue;
        let strings = stringTables.get(t.r.link);
        if (strings === undefined) {
          const what = `${names[t.r.link] || 'strtab'} (section ${t.r.link})`;
          strings = new StringTable(sectionBytes(t.r.link, `string table ${what}`), what);
          stringTables.set(t.r.link, strings);
        }
        out.push(readTable(t, strings, xindexOf));
      }
      columns = out;
    }
    return columns;
  };

  let symbols: ExeSymbol[] | undefined;
  return {
    format: 'elf',
    description: `elf${bits}-${machine}`,
    bits,
    endian: le ? 'little' : 'big',
    machine,
    kind,
    entry: eEntry === 0n ? null : eEntry,
    imageBase: null,
    fileOffset: 0n,
    sections,
    segments,
    symbols() {
      if (symbols === undefined) {
        const out: ExeSymbol[] = [];
        for (const c of symbolColumns()) {
          for (let i = 0; i < c.count; i++) {
            const kind = c.kinds[i]!;
            const section = c.sections[i]!;
            out.push(
              new ElfSymbol(c.name(i), c.value(i), c.size(i), c.typeOf(kind), c.bindOf(kind), section === NO_SECTION ? null : section, c.table, c.offset(i)),
            );
          }
        }
        symbols = out;
      }
      return symbols;
    },
    symbolColumns,
  };
}
