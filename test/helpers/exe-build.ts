// Small PE and Mach-O images written field by field, for the cases no installed tool makes (a
// Mach-O executable with LC_MAIN, big-endian Mach-O, fat64) and as the seeds of the fuzz tests
// (which must run where no compiler is installed). Each builder returns the bytes and what a
// parser should find in them, as the builder laid it out.

/** A growable byte buffer written at absolute positions in either byte order. */
class Writer {
  bytes: Uint8Array;
  private view: DataView;
  constructor(
    size: number,
    private readonly little: boolean,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(at: number, v: number): void {
    this.view.setUint8(at, v);
  }
  u16(at: number, v: number): void {
    this.view.setUint16(at, v, this.little);
  }
  u32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, this.little);
  }
  u64(at: number, v: bigint): void {
    this.view.setBigUint64(at, v, this.little);
  }
  /** A 32- or 64-bit word. */
  word(at: number, v: bigint, wide: boolean): void {
    if (wide) this.u64(at, v);
    else this.u32(at, Number(v));
  }
  text(at: number, s: string): void {
    this.bytes.set(new TextEncoder().encode(s), at);
  }
}

export interface BuiltSection {
  name: string;
  type: string;
  offset: bigint;
  fileSize: bigint;
  addr: bigint;
  memSize: bigint;
}

export interface BuiltSymbol {
  name: string;
  value: bigint;
  bind: string;
  section: number | null;
  offset: bigint | null;
}

export interface BuiltImage {
  bytes: Uint8Array;
  sections: BuiltSection[];
  segments: { name: string; offset: bigint; fileSize: bigint; addr: bigint; memSize: bigint; perms: string }[];
  symbols: BuiltSymbol[];
  entry: bigint | null;
}

const MH_EXECUTE = 2;
const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;
const LC_SYMTAB = 0x2;
const LC_UUID = 0x1b;
const LC_MAIN = 0x80000028;
const LC_UNIXTHREAD = 0x5;

/** cputypes of the builder's four variants: arm64 and i386 (little), ppc64 and ppc (big). */
export function machOCputype(bits: 32 | 64, little: boolean): number {
  if (little) return bits === 64 ? 0x0100000c : 7;
  return bits === 64 ? 0x01000012 : 18;
}

/**
 * A Mach-O executable: __PAGEZERO, __TEXT (__text, __cstring), __DATA (__data, __bss zerofill),
 * LC_SYMTAB (with a debugging N_FUN entry a parser skips), an LC_UUID to step over, and LC_MAIN
 * (or, with `thread`, the older LC_UNIXTHREAD whose program counter is the entry).
 */
export function buildMachO(bits: 32 | 64, little: boolean, thread = false): BuiltImage {
  const wide = bits === 64;
  const w = new Writer(0x1400, little);
  const pagezero = wide ? 0x100000000n : 0x1000n;
  const text = pagezero;
  const data = text + 0x1000n;
  const segSize = wide ? 72 : 56;
  const sectSize = wide ? 80 : 68;
  let at = wide ? 32 : 28;
  const commandsStart = at;
  let ncmds = 0;
  const segment = (
    name: string,
    vmaddr: bigint,
    vmsize: bigint,
    fileoff: bigint,
    filesize: bigint,
    prot: number,
    sects: [string, string, bigint, bigint, number, number][],
  ) => {
    const size = segSize + sects.length * sectSize;
    w.u32(at, wide ? LC_SEGMENT_64 : LC_SEGMENT);
    w.u32(at + 4, size);
    w.text(at + 8, name);
    const ws = wide ? 8 : 4;
    w.word(at + 24, vmaddr, wide);
    w.word(at + 24 + ws, vmsize, wide);
    w.word(at + 24 + 2 * ws, fileoff, wide);
    w.word(at + 24 + 3 * ws, filesize, wide);
    w.u32(at + 24 + 4 * ws, 7);
    w.u32(at + 28 + 4 * ws, prot);
    w.u32(at + 32 + 4 * ws, sects.length);
    sects.forEach(([sectname, segname, addr, sz, offset, flags], k) => {
      const o = at + segSize + k * sectSize;
      w.text(o, sectname);
      w.text(o + 16, segname);
      w.word(o + 32, addr, wide);
      w.word(o + 32 + ws, sz, wide);
      w.u32(o + 32 + 2 * ws, offset);
      w.u32(o + 32 + 2 * ws + 16, flags);
    });
    at += size;
    ncmds++;
  };
  segment('__PAGEZERO', 0n, pagezero, 0n, 0n, 0, []);
  segment('__TEXT', text, 0x1000n, 0n, 0x1000n, 5, [
    ['__text', '__TEXT', text + 0x400n, 0x40n, 0x400, 0x80000400],
    ['__cstring', '__TEXT', text + 0x440n, 0x10n, 0x440, 0x2],
  ]);
  segment('__DATA', data, 0x1000n, 0x1000n, 0x20n, 3, [
    ['__data', '__DATA', data, 0x20n, 0x1000, 0],
    ['__bss', '__DATA', data + 0x20n, 0x80n, 0, 0x1],
  ]);
  w.u32(at, LC_UUID);
  w.u32(at + 4, 24);
  at += 24;
  ncmds++;
  const symtabAt = at;
  w.u32(at, LC_SYMTAB);
  w.u32(at + 4, 24);
  at += 24;
  ncmds++;
  if (thread) {
    // The entry as the thread's program counter: [flavor, state words, index of the pc].
    const [flavor, count, pc] = little ? (wide ? [6, 68, 32] : [1, 16, 10]) : wide ? [5, 76, 0] : [1, 40, 0];
    w.u32(at, LC_UNIXTHREAD);
    w.u32(at + 4, 16 + 4 * count);
    w.u32(at + 8, flavor);
    w.u32(at + 12, count);
    w.word(at + 16 + pc * (wide ? 8 : 4), text + 0x410n, wide);
    at += 16 + 4 * count;
  } else {
    w.u32(at, LC_MAIN);
    w.u32(at + 4, 24);
    w.u64(at + 8, 0x410n);
    at += 24;
  }
  ncmds++;
  // Header.
  w.u32(0, wide ? 0xfeedfacf : 0xfeedface);
  w.u32(4, machOCputype(bits, little));
  w.u32(12, MH_EXECUTE);
  w.u32(16, ncmds);
  w.u32(20, at - commandsStart);
  // Code and strings.
  w.text(0x440, 'hello, mach-o\0');
  w.text(0x1000, 'DATA');
  // Symbols: [name, n_type, n_sect, n_desc, value, bind, section index, offset].
  const N_EXT = 1;
  const N_SECT = 0xe;
  const syms: [string, number, number, number, bigint, string, number | null, bigint | null][] = [
    ['_main', N_SECT | N_EXT, 1, 0, text + 0x410n, 'global', 0, 0x410n],
    ['_main', 0x24, 1, 0, text + 0x410n, '', null, null], // N_FUN (debugging): skipped
    ['_helper', N_SECT, 1, 0, text + 0x400n, 'local', 0, 0x400n],
    ['__ZN2ns1fEv', N_SECT | N_EXT, 1, 0, text + 0x420n, 'global', 0, 0x420n],
    ['_weak', N_SECT | N_EXT, 1, 0x80, text + 0x430n, 'weak', 0, 0x430n],
    ['_greeting', N_SECT | N_EXT, 2, 0, text + 0x440n, 'global', 1, 0x440n],
    ['_counter', N_SECT | N_EXT, 3, 0, data, 'global', 2, 0x1000n],
    ['_buffer', N_SECT | N_EXT, 4, 0, data + 0x20n, 'global', 3, null],
    ['_printf', N_EXT, 0, 0, 0n, 'global', null, null],
  ];
  const entry = wide ? 16 : 12;
  const symoff = 0x1100;
  const stroff = symoff + syms.length * entry;
  let str = 1;
  const symbols: BuiltSymbol[] = [];
  syms.forEach(([name, type, sect, desc, value, bind, section, offset], i) => {
    const o = symoff + i * entry;
    w.u32(o, str);
    w.u8(o + 4, type);
    w.u8(o + 5, sect);
    w.u16(o + 6, desc);
    w.word(o + 8, value, wide);
    w.text(stroff + str, `${name}\0`);
    str += name.length + 1;
    if (bind !== '') symbols.push({ name, value, bind, section, offset });
  });
  w.u32(symtabAt + 8, symoff);
  w.u32(symtabAt + 12, syms.length);
  w.u32(symtabAt + 16, stroff);
  w.u32(symtabAt + 20, str);
  return {
    bytes: w.bytes.subarray(0, stroff + str),
    sections: [
      { name: '__TEXT,__text', type: 'regular', offset: 0x400n, fileSize: 0x40n, addr: text + 0x400n, memSize: 0x40n },
      { name: '__TEXT,__cstring', type: 'cstring_literals', offset: 0x440n, fileSize: 0x10n, addr: text + 0x440n, memSize: 0x10n },
      { name: '__DATA,__data', type: 'regular', offset: 0x1000n, fileSize: 0x20n, addr: data, memSize: 0x20n },
      { name: '__DATA,__bss', type: 'zerofill', offset: 0n, fileSize: 0n, addr: data + 0x20n, memSize: 0x80n },
    ],
    segments: [
      { name: '__PAGEZERO', offset: 0n, fileSize: 0n, addr: 0n, memSize: pagezero, perms: '---' },
      { name: '__TEXT', offset: 0n, fileSize: 0x1000n, addr: text, memSize: 0x1000n, perms: 'r-x' },
      { name: '__DATA', offset: 0x1000n, fileSize: 0x20n, addr: data, memSize: 0x1000n, perms: 'rw-' },
    ],
    symbols,
    entry: text + 0x410n,
  };
}

/**
 * A fat file of `slices` (each with its cputype), at offsets aligned to 4096 (`cafebabe`, or
 * `cafebabf` with 64-bit offsets and sizes when `wide`).
 */
export function buildFat(slices: { cputype: number; bytes: Uint8Array }[], wide: boolean): { bytes: Uint8Array; offsets: bigint[] } {
  const offsets: bigint[] = [];
  let end = 4096;
  for (const s of slices) {
    offsets.push(BigInt(end));
    end = Math.ceil((end + s.bytes.length) / 4096) * 4096;
  }
  const w = new Writer(end, false);
  w.u32(0, wide ? 0xcafebabf : 0xcafebabe);
  w.u32(4, slices.length);
  slices.forEach((s, i) => {
    const o = 8 + i * (wide ? 32 : 20);
    w.u32(o, s.cputype);
    w.u32(o + 4, 0);
    if (wide) {
      w.u64(o + 8, offsets[i]!);
      w.u64(o + 16, BigInt(s.bytes.length));
      w.u32(o + 24, 12);
    } else {
      w.u32(o + 8, Number(offsets[i]));
      w.u32(o + 12, s.bytes.length);
      w.u32(o + 16, 12);
    }
    w.bytes.set(s.bytes, Number(offsets[i]));
  });
  return { bytes: w.bytes, offsets };
}

/**
 * A PE image (PE32+ x86-64 or PE32 i386): sections .text, .data (raw data padded past its
 * VirtualSize), `/4` (a long name in the string table), .bss; an export directory in .data; a
 * COFF symbol table with a `.file` record, a section definition, auxiliary records, a long name
 * and an absolute symbol.
 */
export function buildPe(bits: 32 | 64): BuiltImage & { imageBase: bigint } {
  const plus = bits === 64;
  const w = new Writer(0xc00, true);
  const imageBase = plus ? 0x140000000n : 0x400000n;
  const pe = 0x40;
  w.text(0, 'MZ');
  w.u32(0x3c, pe);
  w.text(pe, 'PE\0\0');
  const optSize = plus ? 240 : 224;
  const symptr = 0xa00;
  // COFF symbols: [name, value, section number, type, storage class, aux records].
  const longName = 'a_symbol_name_longer_than_eight';
  const coff: [string, number, number, number, number, number][] = [
    ['.file', 0, -2, 0, 103, 1],
    ['.text', 0, 1, 0, 3, 1],
    ['check', 0x10, 1, 0x20, 2, 0],
    ['helper', 0x30, 1, 0x20, 3, 0],
    ['counter', 0x100, 2, 0, 2, 0],
    [longName, 0x20, 2, 0, 2, 0],
    ['zeroed', 0x10, 4, 0, 2, 0],
    ['absval', 0x1234, -1, 0, 2, 0],
  ];
  const nsym = coff.reduce((n, c) => n + 1 + c[5], 0);
  w.u16(pe + 4, plus ? 0x8664 : 0x14c);
  w.u16(pe + 6, 4);
  w.u32(pe + 12, symptr);
  w.u32(pe + 16, nsym);
  w.u16(pe + 20, optSize);
  w.u16(pe + 22, 0x2022); // executable, large address aware, DLL
  const opt = pe + 24;
  w.u16(opt, plus ? 0x20b : 0x10b);
  w.u32(opt + 16, 0x1010); // AddressOfEntryPoint
  if (plus) w.u64(opt + 24, imageBase);
  else w.u32(opt + 28, Number(imageBase));
  w.u32(opt + 60, 0x400); // SizeOfHeaders
  const dirs = plus ? 112 : 96;
  w.u32(opt + dirs - 4, 16);
  w.u32(opt + dirs, 0x2000); // export directory RVA
  w.u32(opt + dirs + 4, 0x80);
  // Section table: [name, VirtualSize, VirtualAddress, SizeOfRawData, PointerToRawData, flags].
  const table = opt + optSize;
  const secs: [string, number, number, number, number, number][] = [
    ['.text', 0x100, 0x1000, 0x200, 0x400, 0x60000020],
    ['.data', 0x180, 0x2000, 0x200, 0x600, 0xc0000040],
    ['/4', 0x80, 0x3000, 0x200, 0x800, 0x42000040],
    ['.bss', 0x100, 0x4000, 0, 0, 0xc0000080],
  ];
  secs.forEach(([name, vsize, va, rsize, rptr, flags], i) => {
    const o = table + 40 * i;
    w.text(o, name);
    w.u32(o + 8, vsize);
    w.u32(o + 12, va);
    w.u32(o + 16, rsize);
    w.u32(o + 20, rptr);
    w.u32(o + 36, flags);
  });
  // Export directory at RVA 0x2000 (file 0x600): two functions, one name each.
  const ed = 0x600;
  w.u32(ed + 12, 0x2070); // DLL name
  w.u32(ed + 16, 1); // ordinal base
  w.u32(ed + 20, 2);
  w.u32(ed + 24, 2);
  w.u32(ed + 28, 0x2028);
  w.u32(ed + 32, 0x2030);
  w.u32(ed + 36, 0x2038);
  w.u32(ed + 0x28, 0x1010); // check
  w.u32(ed + 0x2c, 0x2100); // counter
  w.u32(ed + 0x30, 0x2050);
  w.u32(ed + 0x34, 0x2060);
  w.u16(ed + 0x38, 0);
  w.u16(ed + 0x3a, 1);
  w.text(ed + 0x50, 'check\0');
  w.text(ed + 0x60, 'counter\0');
  w.text(ed + 0x70, 'built.dll\0');
  // COFF symbols and the string table after them.
  const strtab = symptr + nsym * 18;
  let str = 4;
  const strings: string[] = [];
  const stringAt = (s: string): number => {
    const at = str;
    strings.push(s);
    str += s.length + 1;
    return at;
  };
  const longSection = stringAt('.debug_long_section_name');
  w.text(table + 80, `/${longSection}`);
  let k = 0;
  for (const [name, value, sec, type, scl, aux] of coff) {
    const o = symptr + 18 * k;
    if (name.length > 8) {
      w.u32(o, 0);
      w.u32(o + 4, stringAt(name));
    } else w.text(o, name);
    w.u32(o + 8, value);
    w.u16(o + 12, sec & 0xffff);
    w.u16(o + 14, type);
    w.u8(o + 16, scl);
    w.u8(o + 17, aux);
    if (name === '.file') w.text(o + 18, 'built.c');
    k += 1 + aux;
  }
  w.u32(strtab, str);
  let sat = strtab + 4;
  for (const s of strings) {
    w.text(sat, `${s}\0`);
    sat += s.length + 1;
  }
  const sections: BuiltSection[] = [
    { name: '.text', type: 'code', offset: 0x400n, fileSize: 0x100n, addr: imageBase + 0x1000n, memSize: 0x100n },
    { name: '.data', type: 'data', offset: 0x600n, fileSize: 0x180n, addr: imageBase + 0x2000n, memSize: 0x180n },
    { name: '.debug_long_section_name', type: 'data', offset: 0x800n, fileSize: 0x80n, addr: imageBase + 0x3000n, memSize: 0x80n },
    { name: '.bss', type: 'bss', offset: 0n, fileSize: 0n, addr: imageBase + 0x4000n, memSize: 0x100n },
  ];
  const coffSym = (name: string, sec: number, value: number, bind: string): BuiltSymbol => {
    const s = sections[sec - 1]!;
    return { name, value: s.addr + BigInt(value), bind, section: sec - 1, offset: BigInt(value) < s.fileSize ? s.offset + BigInt(value) : null };
  };
  return {
    bytes: w.bytes.subarray(0, sat),
    imageBase,
    sections,
    segments: [],
    symbols: [
      { name: 'built.c', value: 0n, bind: 'local', section: null, offset: null },
      coffSym('.text', 1, 0, 'local'),
      coffSym('check', 1, 0x10, 'global'),
      coffSym('helper', 1, 0x30, 'local'),
      coffSym('counter', 2, 0x100, 'global'),
      coffSym(longName, 2, 0x20, 'global'),
      coffSym('zeroed', 4, 0x10, 'global'),
      { name: 'absval', value: 0x1234n, bind: 'global', section: null, offset: null },
      { name: 'check', value: imageBase + 0x1010n, bind: 'global', section: 0, offset: 0x410n },
      { name: 'counter', value: imageBase + 0x2100n, bind: 'global', section: 1, offset: 0x700n },
    ],
    entry: imageBase + 0x1010n,
  };
}
