// A minimal ELF executable forged field by field, in any class and byte order, for the tests of
// the ELF parser on hostile input (exe-fuzz-elf.test.ts) and of what it does with names
// (exe-elf.test.ts): .text, .bss, .symtab with two symbols, .strtab, .shstrtab, two PT_LOADs.

export interface Forged {
  bytes: Buffer;
  bits: 32 | 64;
  le: boolean;
  /** Where the header fields and tables are. */
  at: { shoff: number; phoff: number; shentsize: number; symtab: number; strtab: number; strtabSize: number; shstrtab: number };
  /** Section indexes. */
  sec: { text: 1; bss: 2; symtab: 3; strtab: 4; shstrtab: 5 };
}

export const SHSTRTAB = '\0.text\0.bss\0.symtab\0.strtab\0.shstrtab\0';
const names = (table: string) => (name: string) => table.indexOf(`\0${name}\0`) + 1;

/**
 * An executable with .text (16 bytes at VA 0x1000), .bss (0x100 bytes at VA 0x2000), .symtab
 * (`main` in .text, `data` in .bss), .strtab, .shstrtab and two PT_LOAD segments.
 */
export function forge(bits: 32 | 64, le: boolean, symbolNames: readonly [string, string] = ['main', 'data']): Forged {
  const STRTAB = `\0${symbolNames[0]}\0${symbolNames[1]}\0`;
  const is64 = bits === 64;
  const ehdr = is64 ? 64 : 52;
  const phent = is64 ? 56 : 32;
  const shent = is64 ? 64 : 40;
  const syment = is64 ? 24 : 16;
  const phoff = ehdr;
  const text = phoff + 2 * phent;
  const symtab = text + 16;
  const strtab = symtab + 3 * syment;
  const shstrtab = strtab + STRTAB.length;
  const shoff = (shstrtab + SHSTRTAB.length + 7) & ~7;
  const buf = Buffer.alloc(shoff + 6 * shent);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u16 = (at: number, v: number) => dv.setUint16(at, v, le);
  const u32 = (at: number, v: number) => dv.setUint32(at, v, le);
  const word = (at32: number, at64: number, v: number) => (is64 ? dv.setBigUint64(at64, BigInt(v), le) : dv.setUint32(at32, v, le));
  buf.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  u16(16, 2); // ET_EXEC
  u16(18, is64 ? 62 : 3);
  u32(20, 1);
  word(24, 24, 0x1000);
  word(28, 32, phoff);
  word(32, 40, shoff);
  const o = is64 ? 52 : 40;
  u16(o, ehdr);
  u16(o + 2, phent);
  u16(o + 4, 2);
  u16(o + 6, shent);
  u16(o + 8, 6);
  u16(o + 10, 5);
  // Program headers: text r-x, bss rw- (no file bytes).
  const phdr = (i: number, offset: number, vaddr: number, filesz: number, memsz: number, flags: number) => {
    const p = phoff + i * phent;
    u32(p, 1);
    u32(p + (is64 ? 4 : 24), flags);
    word(p + 4, p + 8, offset);
    word(p + 8, p + 16, vaddr);
    word(p + 12, p + 24, vaddr);
    word(p + 16, p + 32, filesz);
    word(p + 20, p + 40, memsz);
  };
  phdr(0, text, 0x1000, 16, 16, 5);
  phdr(1, 0, 0x2000, 0, 0x100, 6);
  buf.fill(0x90, text, text + 16);
  // Symbols: 0 null, 1 main (func global, .text), 2 data (object global, .bss).
  const sym = (i: number, name: number, value: number, size: number, info: number, shndx: number) => {
    const s = symtab + i * syment;
    u32(s, name);
    if (is64) {
      buf[s + 4] = info;
      u16(s + 6, shndx);
      dv.setBigUint64(s + 8, BigInt(value), le);
      dv.setBigUint64(s + 16, BigInt(size), le);
    } else {
      u32(s + 4, value);
      u32(s + 8, size);
      buf[s + 12] = info;
      u16(s + 14, shndx);
    }
  };
  const str = names(STRTAB);
  sym(1, str(symbolNames[0]), 0x1004, 8, 0x12, 1);
  sym(2, str(symbolNames[1]), 0x2010, 4, 0x11, 2);
  buf.write(STRTAB, strtab, 'latin1');
  buf.write(SHSTRTAB, shstrtab, 'latin1');
  const sh = names(SHSTRTAB);
  const shdr = (i: number, name: string, type: number, flags: number, addr: number, offset: number, size: number, link: number, entsize: number) => {
    const s = shoff + i * shent;
    u32(s, sh(name));
    u32(s + 4, type);
    word(s + 8, s + 8, flags);
    word(s + 12, s + 16, addr);
    word(s + 16, s + 24, offset);
    word(s + 20, s + 32, size);
    u32(s + (is64 ? 40 : 24), link);
    word(s + 36, s + 56, entsize);
  };
  shdr(1, '.text', 1, 6, 0x1000, text, 16, 0, 0);
  shdr(2, '.bss', 8, 3, 0x2000, symtab, 0x100, 0, 0);
  shdr(3, '.symtab', 2, 0, 0, symtab, 3 * syment, 4, syment);
  shdr(4, '.strtab', 3, 0, 0, strtab, STRTAB.length, 0, 0);
  shdr(5, '.shstrtab', 3, 0, 0, shstrtab, SHSTRTAB.length, 0, 0);
  return {
    bytes: buf,
    bits,
    le,
    at: { shoff, phoff, shentsize: shent, symtab, strtab, strtabSize: STRTAB.length, shstrtab },
    sec: { text: 1, bss: 2, symtab: 3, strtab: 4, shstrtab: 5 },
  };
}

/** The file offset of the forged .text. */
export function textOffset(f: Forged): number {
  return f.at.phoff + 2 * (f.bits === 64 ? 56 : 32);
}

/** Field positions: header fields, and the fields of section header `i`. */
export function fields(f: Forged) {
  const is64 = f.bits === 64;
  const o = is64 ? 52 : 40;
  const sh = (i: number) => f.at.shoff + i * f.at.shentsize;
  return {
    phoff: is64 ? ([32, 8] as const) : ([28, 4] as const),
    shoff: is64 ? ([40, 8] as const) : ([32, 4] as const),
    phentsize: [o + 2, 2] as const,
    phnum: [o + 4, 2] as const,
    shentsize: [o + 6, 2] as const,
    shnum: [o + 8, 2] as const,
    shstrndx: [o + 10, 2] as const,
    shName: (i: number) => [sh(i), 4] as const,
    shType: (i: number) => [sh(i) + 4, 4] as const,
    shOffset: (i: number) => (is64 ? ([sh(i) + 24, 8] as const) : ([sh(i) + 16, 4] as const)),
    shSize: (i: number) => (is64 ? ([sh(i) + 32, 8] as const) : ([sh(i) + 20, 4] as const)),
    shLink: (i: number) => (is64 ? ([sh(i) + 40, 4] as const) : ([sh(i) + 24, 4] as const)),
    shInfo: (i: number) => (is64 ? ([sh(i) + 44, 4] as const) : ([sh(i) + 28, 4] as const)),
    shEntsize: (i: number) => (is64 ? ([sh(i) + 56, 8] as const) : ([sh(i) + 36, 4] as const)),
    symName: (i: number) => [f.at.symtab + i * (is64 ? 24 : 16), 4] as const,
    symShndx: (i: number) => [f.at.symtab + i * (is64 ? 24 : 16) + (is64 ? 6 : 14), 2] as const,
    symValue: (i: number) => (is64 ? ([f.at.symtab + i * 24 + 8, 8] as const) : ([f.at.symtab + i * 16 + 4, 4] as const)),
    type: [16, 2] as const,
  };
}

/** Writes `value` (truncated to the field's width) at a field of a copy of `f.bytes`. */
export function withFields(f: Forged, changes: [readonly [number, number], bigint | number][], extra = 0): Buffer {
  const buf = Buffer.concat([f.bytes, Buffer.alloc(extra)]);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const [[at, width], v] of changes) {
    const value = BigInt.asUintN(width * 8, BigInt(v));
    if (width === 8) dv.setBigUint64(at, value, f.le);
    else if (width === 4) dv.setUint32(at, Number(value), f.le);
    else if (width === 2) dv.setUint16(at, Number(value), f.le);
    else dv.setUint8(at, Number(value));
  }
  return buf;
}
