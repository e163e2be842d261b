// Writes a synthetic ELF64 x86-64 executable for the `info --symbols` benchmark: one LOAD segment,
// a .text of `textSize` bytes (`ret` instructions) and a .symtab of `count` function symbols, half
// with C names and half with Itanium-mangled C++ names (`_ZN5bench6f12345Eid`, bench::f12345(int,
// double)), each `textSize / count` bytes long. Valid for readelf and nm; written, never committed.
import { closeSync, openSync, writeSync } from 'node:fs';

const EHDR = 64;
const PHDR = 56;
const SHDR = 64;
const SYM = 24;
const BASE = 0x400000n;
const TEXT_AT = 0x1000;

/** The name of symbol `i`: `func_i` or a mangled `bench::fN(int, double)`. */
function nameOf(i) {
  if (i % 2 === 0) return `func_${i}`;
  const id = `f${i}`;
  return `_ZN5bench${id.length}${id}Eid`;
}

/** Writes the file at `path`; returns { size, count }. */
export function writeSymbolElf(path, { count, textSize }) {
  const per = Math.floor(textSize / count);
  // .strtab: a NUL, then the names.
  const names = [];
  let strSize = 1;
  const nameAt = new Uint32Array(count + 1);
  nameAt[0] = strSize;
  names.push('bench.c');
  strSize += 'bench.c'.length + 1;
  for (let i = 0; i < count; i++) {
    const n = nameOf(i);
    nameAt[i + 1] = strSize;
    names.push(n);
    strSize += n.length + 1;
  }
  const strtab = Buffer.alloc(strSize);
  {
    let p = 1;
    for (const n of names) {
      p += strtab.write(n, p, 'latin1') + 1;
    }
  }
  const shstr = Buffer.from('\0.text\0.symtab\0.strtab\0.shstrtab\0', 'latin1');
  const symCount = count + 2; // null, the file symbol, the functions
  const symtab = Buffer.alloc(symCount * SYM);
  // The file symbol: local, STT_FILE, SHN_ABS.
  symtab.writeUInt32LE(nameAt[0], SYM);
  symtab[SYM + 4] = 4;
  symtab.writeUInt16LE(0xfff1, SYM + 6);
  for (let i = 0; i < count; i++) {
    const o = (i + 2) * SYM;
    symtab.writeUInt32LE(nameAt[i + 1], o);
    symtab[o + 4] = (1 << 4) | 2; // GLOBAL FUNC
    symtab.writeUInt16LE(1, o + 6); // .text
    symtab.writeBigUInt64LE(BASE + BigInt(TEXT_AT + i * per), o + 8);
    symtab.writeBigUInt64LE(BigInt(per), o + 16);
  }
  const symAt = TEXT_AT + textSize;
  const strAt = symAt + symtab.length;
  const shstrAt = strAt + strtab.length;
  const shAt = Math.ceil((shstrAt + shstr.length) / 8) * 8;
  const size = shAt + 5 * SHDR;

  const head = Buffer.alloc(TEXT_AT);
  head.write('\x7fELF', 0, 'latin1');
  head[4] = 2; // ELFCLASS64
  head[5] = 1; // little endian
  head[6] = 1;
  head.writeUInt16LE(2, 16); // ET_EXEC
  head.writeUInt16LE(62, 18); // EM_X86_64
  head.writeUInt32LE(1, 20);
  head.writeBigUInt64LE(BASE + BigInt(TEXT_AT), 24); // entry
  head.writeBigUInt64LE(BigInt(EHDR), 32); // phoff
  head.writeBigUInt64LE(BigInt(shAt), 40); // shoff
  head.writeUInt16LE(EHDR, 52);
  head.writeUInt16LE(PHDR, 54);
  head.writeUInt16LE(1, 56);
  head.writeUInt16LE(SHDR, 58);
  head.writeUInt16LE(5, 60);
  head.writeUInt16LE(4, 62); // shstrndx
  // PT_LOAD r-x over the headers and .text.
  head.writeUInt32LE(1, EHDR);
  head.writeUInt32LE(5, EHDR + 4);
  head.writeBigUInt64LE(0n, EHDR + 8);
  head.writeBigUInt64LE(BASE, EHDR + 16);
  head.writeBigUInt64LE(BASE, EHDR + 24);
  head.writeBigUInt64LE(BigInt(TEXT_AT + textSize), EHDR + 32);
  head.writeBigUInt64LE(BigInt(TEXT_AT + textSize), EHDR + 40);
  head.writeBigUInt64LE(0x1000n, EHDR + 48);

  const sh = Buffer.alloc(5 * SHDR);
  const section = (i, name, type, flags, addr, offset, sz, link, info, align, entsize) => {
    const o = i * SHDR;
    sh.writeUInt32LE(name, o);
    sh.writeUInt32LE(type, o + 4);
    sh.writeBigUInt64LE(BigInt(flags), o + 8);
    sh.writeBigUInt64LE(BigInt(addr), o + 16);
    sh.writeBigUInt64LE(BigInt(offset), o + 24);
    sh.writeBigUInt64LE(BigInt(sz), o + 32);
    sh.writeUInt32LE(link, o + 40);
    sh.writeUInt32LE(info, o + 44);
    sh.writeBigUInt64LE(BigInt(align), o + 48);
    sh.writeBigUInt64LE(BigInt(entsize), o + 56);
  };
  section(1, 1, 1, 6, BASE + BigInt(TEXT_AT), TEXT_AT, textSize, 0, 0, 16, 0); // .text PROGBITS AX
  section(2, 7, 2, 0, 0, symAt, symtab.length, 3, 2, 8, SYM); // .symtab, first global at 2
  section(3, 15, 3, 0, 0, strAt, strtab.length, 0, 0, 1, 0); // .strtab
  section(4, 23, 3, 0, 0, shstrAt, shstr.length, 0, 0, 1, 0); // .shstrtab

  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    const block = Buffer.alloc(16 << 20, 0xc3);
    for (let done = 0; done < textSize; ) {
      const n = Math.min(block.length, textSize - done);
      writeSync(fd, block, 0, n);
      done += n;
    }
    writeSync(fd, symtab);
    writeSync(fd, strtab);
    writeSync(fd, shstr);
    writeSync(fd, Buffer.alloc(shAt - shstrAt - shstr.length));
    writeSync(fd, sh);
  } finally {
    closeSync(fd);
  }
  return { size, count: count + 1 };
}
