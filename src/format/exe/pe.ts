/**
 * PE images (Windows `.exe` and `.dll`, PE32 and PE32+): the MZ stub's `e_lfanew`, the `PE\0\0`
 * signature, the COFF file header, the optional header (ImageBase, entry point, data directories)
 * and the section table. Sections carry their virtual address (ImageBase + VirtualAddress);
 * PE has no segments (`va:`/`rva:` translate through the sections).
 *
 * Symbols, read on the first {@link ExeImage.symbols} call: the COFF symbol table when the image
 * keeps one (mingw-w64 does unless stripped; names short or in the string table that follows it,
 * auxiliary records skipped) as table `coff`, and the export directory's names as table `export`.
 */

import { formatOffset } from '../number.js';
import { shown } from '../quote.js';
import { demangle } from './demangle.js';
import { cString, Fields, NameTable } from './fields.js';
import type { ByteSource, ExeImage, ExeSymbol, Section } from './types.js';
import { ExeFormatError } from './types.js';

const MACHINES = new Map<number, string>([
  [0x014c, 'i386'],
  [0x8664, 'x86-64'],
  [0xaa64, 'arm64'],
  [0xa641, 'arm64ec'],
  [0x01c0, 'arm'],
  [0x01c2, 'thumb'],
  [0x01c4, 'arm'],
  [0x0200, 'ia64'],
  [0x0166, 'mips'],
  [0x01f0, 'powerpc'],
  [0x5032, 'riscv32'],
  [0x5064, 'riscv64'],
  [0x6264, 'loongarch64'],
  [0x0ebc, 'efi-bytecode'],
]);

/** Section characteristics, as the flag words of {@link Section.flags}. */
const SECTION_FLAGS: readonly [number, string][] = [
  [0x00000020, 'code'],
  [0x00000040, 'data'],
  [0x00000080, 'bss'],
  [0x02000000, 'discard'],
  [0x10000000, 'shared'],
  [0x20000000, 'exec'],
  [0x40000000, 'read'],
  [0x80000000, 'write'],
];

const SCN_CODE = 0x20;
const SCN_DATA = 0x40;
const SCN_BSS = 0x80;
const FILE_DLL = 0x2000;

const SYMBOL_SIZE = 18;
const SECTION_HEADER_SIZE = 40;

/** COFF storage classes that matter here. */
const C_EXT = 2;
const C_STAT = 3;
const C_FILE = 103;
const C_SECTION = 104;
const C_WEAKEXT = 105;

/** The demangled form of a COFF name: Itanium `_Z...`, or `__Z...` on i386 where C names get a leading `_`. */
function demangled(name: string): string | undefined {
  return demangle(name) ?? (name.startsWith('__Z') ? demangle(name.slice(1)) : undefined);
}

/** A section name of the table: 8 bytes, or `/N` (decimal) and `//B64` (base64) offsets into the COFF string table. */
function sectionName(raw: Uint8Array, longName: (offset: number) => string): string {
  const name = cString(raw);
  if (/^\/[0-9]{1,7}$/.test(name)) return longName(Number(name.slice(1)));
  if (/^\/\/[A-Za-z0-9+/]{1,6}$/.test(name)) {
    const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let at = 0;
    for (const c of name.slice(2)) at = at * 64 + digits.indexOf(c);
    return longName(at);
  }
  return name;
}

/** Where the COFF string table is, when the image has one; its bytes are read on demand. */
interface StringTable {
  readonly at: bigint;
  readonly size: bigint;
}

/** The string table after the COFF symbols, or null when there is none (no symbol table, or no room for what its size field says). */
function stringTable(f: Fields, symbolsAt: bigint, count: bigint): StringTable | null {
  if (symbolsAt === 0n) return null;
  const at = symbolsAt + count * BigInt(SYMBOL_SIZE);
  if (!f.fits(at, 4n)) return null;
  const size = BigInt(f.u32(at, 'COFF string table size'));
  if (size < 4n) return { at, size: 4n };
  // A size past the end of the file is no string table: a name that needs one is then the error.
  return f.fits(at, size) ? { at, size } : null;
}

/**
 * Parses the PE image in `src`.
 *
 * @throws {ExeFormatError} no PE header, an unknown optional header, a table or section that is
 *   not inside the file, a long section name outside the string table.
 */
export function parsePe(src: ByteSource): ExeImage {
  const f = new Fields(src, 0n, src.size, true);
  if (!f.fits(0n, 0x40n)) throw new ExeFormatError(`an MZ file of ${src.size} bytes is too short for a DOS header (64 bytes)`);
  const peAt = BigInt(f.u32(0x3cn, 'e_lfanew'));
  if (!f.fits(peAt, 24n)) {
    throw new ExeFormatError(`a DOS (MZ) executable without a PE header: e_lfanew ${formatOffset(peAt)} is not inside the file (size ${src.size})`);
  }
  const sig = f.bytes(peAt, 4, 'PE signature');
  if (sig[0] !== 0x50 || sig[1] !== 0x45 || sig[2] !== 0 || sig[3] !== 0) {
    throw new ExeFormatError(`a DOS (MZ) executable without a PE header: no "PE\\0\\0" signature at e_lfanew ${formatOffset(peAt)}`);
  }
  const coff = f.view(peAt + 4n, 20, 'COFF file header');
  const machineCode = coff.getUint16(0, true);
  const sectionCount = coff.getUint16(2, true);
  const symbolsAt = BigInt(coff.getUint32(8, true));
  const symbolCount = BigInt(coff.getUint32(12, true));
  const optionalSize = coff.getUint16(16, true);
  const characteristics = coff.getUint16(18, true);
  const machine = MACHINES.get(machineCode) ?? `machine-0x${machineCode.toString(16).padStart(4, '0')}`;

  const optAt = peAt + 24n;
  if (optionalSize < 2) throw new ExeFormatError('a COFF file without an optional header is an object file, not a PE image');
  const magic = f.u16(optAt, 'optional header magic');
  if (magic !== 0x10b && magic !== 0x20b) {
    throw new ExeFormatError(`unknown PE optional header magic 0x${magic.toString(16)} (PE32 is 0x10b, PE32+ is 0x20b)`);
  }
  const plus = magic === 0x20b;
  // The fields read here: up to NumberOfRvaAndSizes (PE32 92+4, PE32+ 108+4).
  const fixed = plus ? 112 : 96;
  if (optionalSize < fixed) throw new ExeFormatError(`the optional header is ${optionalSize} bytes; a ${plus ? 'PE32+' : 'PE32'} one has at least ${fixed}`);
  const opt = f.view(optAt, optionalSize, 'optional header');
  const entryRva = BigInt(opt.getUint32(16, true));
  const imageBase = plus ? opt.getBigUint64(24, true) : BigInt(opt.getUint32(28, true));
  const sizeOfHeaders = BigInt(opt.getUint32(60, true));
  const directoryCount = Math.min(opt.getUint32(fixed - 4, true), Math.floor((optionalSize - fixed) / 8));
  const directory = (i: number): { rva: bigint; size: bigint } | null =>
    i < directoryCount ? { rva: BigInt(opt.getUint32(fixed + 8 * i, true)), size: BigInt(opt.getUint32(fixed + 8 * i + 4, true)) } : null;

  const strings = stringTable(f, symbolsAt, symbolCount);
  // The COFF string table, read once, on the first name that needs it.
  let stringNames: NameTable | undefined;
  const coffNames = (): NameTable =>
    (stringNames ??= new NameTable(strings === null ? new Uint8Array(0) : f.bytes(strings.at, strings.size, 'COFF string table'), 'COFF string table'));
  const longName = (at: number): string =>
    // Without a string table (a stripped image) the name stays as the table has it.
    strings === null ? `/${at}` : coffNames().name(at, `section name "/${at}"`);

  const tableAt = optAt + BigInt(optionalSize);
  const table = f.bytes(tableAt, sectionCount * SECTION_HEADER_SIZE, 'section table');
  const tableView = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const sections: Section[] = [];
  for (let i = 0; i < sectionCount; i++) {
    const o = i * SECTION_HEADER_SIZE;
    const name = sectionName(table.subarray(o, o + 8), longName);
    const virtualSize = BigInt(tableView.getUint32(o + 8, true));
    const rva = BigInt(tableView.getUint32(o + 12, true));
    const rawSize = BigInt(tableView.getUint32(o + 16, true));
    const rawAt = BigInt(tableView.getUint32(o + 20, true));
    const flagsWord = tableView.getUint32(o + 36, true);
    // The raw data is padded to FileAlignment; past VirtualSize it is not part of the image.
    const fileSize = rawAt === 0n ? 0n : virtualSize !== 0n && virtualSize < rawSize ? virtualSize : rawSize;
    if (!f.fits(rawAt, fileSize)) {
      throw new ExeFormatError(
        `section ${i} (${shown(name)}): its ${fileSize} bytes at ${formatOffset(rawAt)} are not inside the file (it ends at ${formatOffset(src.size)})`,
      );
    }
    sections.push({
      index: i,
      name,
      type: flagsWord & SCN_CODE ? 'code' : flagsWord & SCN_BSS ? 'bss' : flagsWord & SCN_DATA ? 'data' : 'other',
      offset: rawAt,
      fileSize,
      addr: imageBase + rva,
      memSize: virtualSize !== 0n ? virtualSize : rawSize,
      flags: SECTION_FLAGS.filter(([bit]) => (flagsWord & bit) !== 0).map(([, word]) => word),
    });
  }

  // Sections by RVA, for the lookups made per export: a forged image of 65,535 sections and a
  // million exports must not cost their product. Where sections overlap (never in a valid image)
  // the one that starts last at or before the RVA answers.
  const byRva = sections
    .filter((s) => s.memSize > 0n || s.fileSize > 0n)
    .map((s) => ({ start: s.addr - imageBase, s }))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.s.index - b.s.index));
  /** The section whose memory (or file bytes, if longer) holds `rva`. */
  const sectionAt = (rva: bigint): Section | undefined => {
    let lo = 0;
    let hi = byRva.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (byRva[mid]!.start <= rva) lo = mid + 1;
      else hi = mid;
    }
    const hit = byRva[lo - 1];
    if (hit === undefined) return undefined;
    const span = hit.s.memSize > hit.s.fileSize ? hit.s.memSize : hit.s.fileSize;
    return rva - hit.start < span ? hit.s : undefined;
  };

  /** The file offset of `length` bytes at `rva`, when they are all in one section's file bytes (or in the headers). */
  const rvaToOffset = (rva: bigint, length: bigint): bigint | null => {
    const s = sectionAt(rva);
    if (s !== undefined) {
      const inside = rva - (s.addr - imageBase);
      return inside + length <= s.fileSize ? s.offset + inside : null;
    }
    return rva + length <= sizeOfHeaders && f.fits(rva, length) ? rva : null;
  };

  // Names at RVAs (the exports'): in a NameTable over the file bytes of the section (or the
  // headers) that holds them, each read once.
  const rvaTables = new Map<number, { start: bigint; table: NameTable }>();
  const nameAtRva = (rva: bigint, what: string): string => {
    const inSection = sectionAt(rva);
    const s = inSection !== undefined && rva - (inSection.addr - imageBase) < inSection.fileSize ? inSection : undefined;
    if (s === undefined && !(rva < sizeOfHeaders && f.fits(0n, sizeOfHeaders))) {
      throw new ExeFormatError(`${what} at RVA ${formatOffset(rva)} is not in the file`);
    }
    const key = s === undefined ? -1 : s.index;
    let t = rvaTables.get(key);
    if (t === undefined) {
      const where = s === undefined ? 'the headers' : `section ${shown(s.name)}`;
      const bytes = s === undefined ? f.bytes(0n, sizeOfHeaders, 'headers') : f.bytes(s.offset, s.fileSize, where);
      t = { start: s === undefined ? 0n : s.addr - imageBase, table: new NameTable(bytes, where) };
      rvaTables.set(key, t);
    }
    return t.table.name(Number(rva - t.start), what);
  };

  let symbols: ExeSymbol[] | undefined;
  return {
    format: 'pe',
    description: `${plus ? 'pe32+' : 'pe32'}-${machine}`,
    bits: plus ? 64 : 32,
    endian: 'little',
    machine,
    kind: characteristics & FILE_DLL ? 'dll' : 'exe',
    entry: entryRva === 0n ? null : imageBase + entryRva,
    imageBase,
    fileOffset: 0n,
    sections,
    segments: [],
    symbols() {
      symbols ??= [
        ...coffSymbols(f, symbolsAt, symbolCount, coffNames, sections),
        ...exportSymbols(f, directory(0), imageBase, sectionAt, rvaToOffset, nameAtRva),
      ];
      return symbols;
    },
  };
}

/** The COFF symbol table (table `coff`): one symbol per primary record, auxiliary records skipped. */
function coffSymbols(f: Fields, at: bigint, count: bigint, coffNames: () => NameTable, sections: readonly Section[]): ExeSymbol[] {
  if (at === 0n || count === 0n) return [];
  const records = f.bytes(at, count * BigInt(SYMBOL_SIZE), 'COFF symbol table');
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const out: ExeSymbol[] = [];
  const n = Number(count);
  for (let i = 0; i < n; i++) {
    const o = i * SYMBOL_SIZE;
    const aux = view.getUint8(o + 17);
    const storage = view.getUint8(o + 16);
    const coffType = view.getUint16(o + 14, true);
    const sectionNumber = view.getInt16(o + 12, true);
    const raw = BigInt(view.getUint32(o + 8, true));
    let name = view.getUint32(o, true) === 0 ? coffNames().name(view.getUint32(o + 4, true), `COFF symbol ${i}`) : cString(records, o, o + 8);
    if (storage === C_FILE && aux > 0) {
      // `.file`: the source file's name is in the auxiliary records that follow (binutils puts a
      // long one in the string table: four zero bytes, then its offset).
      const a = o + SYMBOL_SIZE;
      if (a + 8 <= records.length && view.getUint32(a, true) === 0) name = coffNames().name(view.getUint32(a + 4, true), `COFF symbol ${i}`);
      else name = cString(records, a, Math.min(records.length, a + SYMBOL_SIZE * aux));
    }
    let section: Section | undefined;
    if (sectionNumber > 0) {
      section = sections[sectionNumber - 1];
      if (section === undefined) throw new ExeFormatError(`COFF symbol ${i} (${shown(name)}) is in section ${sectionNumber}; the image has ${sections.length}`);
    }
    const type =
      storage === C_FILE
        ? 'file'
        : storage === C_SECTION || (storage === C_STAT && aux > 0 && coffType === 0)
          ? 'section'
          : (coffType & 0x30) === 0x20
            ? 'func'
            : 'notype';
    const bind = storage === C_EXT ? 'global' : storage === C_WEAKEXT ? 'weak' : 'local';
    const value = section === undefined ? raw : section.addr + raw;
    const offset = section !== undefined && raw < section.fileSize ? section.offset + raw : null;
    const d = demangled(name);
    out.push({ name, ...(d === undefined ? {} : { demangled: d }), value, size: 0n, type, bind, section: section?.index ?? null, table: 'coff', offset });
    i += aux;
  }
  return out;
}

/** The export directory's named entries (table `export`); forwarders (RVAs inside the directory) have no bytes. */
function exportSymbols(
  f: Fields,
  dir: { rva: bigint; size: bigint } | null,
  imageBase: bigint,
  sectionAt: (rva: bigint) => Section | undefined,
  rvaToOffset: (rva: bigint, length: bigint) => bigint | null,
  nameAtRva: (rva: bigint, what: string) => string,
): ExeSymbol[] {
  if (dir === null || dir.rva === 0n || dir.size === 0n) return [];
  const at = rvaToOffset(dir.rva, 40n);
  if (at === null) throw new ExeFormatError(`the export directory at RVA ${formatOffset(dir.rva)} is not in the file`);
  const head = f.view(at, 40, 'export directory');
  const functionCount = BigInt(head.getUint32(20, true));
  const nameCount = BigInt(head.getUint32(24, true));
  const table = (rva: bigint, count: bigint, width: bigint, what: string): DataView => {
    if (count === 0n) return new DataView(new ArrayBuffer(0));
    const o = rvaToOffset(rva, count * width);
    if (o === null) throw new ExeFormatError(`the export ${what} (${count} entries at RVA ${formatOffset(rva)}) is not in the file`);
    return f.view(o, count * width, `export ${what}`);
  };
  const functions = table(BigInt(head.getUint32(28, true)), functionCount, 4n, 'address table');
  const names = table(BigInt(head.getUint32(32, true)), nameCount, 4n, 'name pointer table');
  const ordinals = table(BigInt(head.getUint32(36, true)), nameCount, 2n, 'ordinal table');
  const out: ExeSymbol[] = [];
  for (let i = 0; i < Number(nameCount); i++) {
    const nameRva = BigInt(names.getUint32(4 * i, true));
    const name = nameAtRva(nameRva, `export name ${i}`);
    const ordinal = ordinals.getUint16(2 * i, true);
    if (ordinal >= Number(functionCount)) {
      throw new ExeFormatError(`export ${shown(name)}: ordinal index ${ordinal} is past the address table (${functionCount} entries)`);
    }
    const rva = BigInt(functions.getUint32(4 * ordinal, true));
    const forwarder = rva >= dir.rva && rva < dir.rva + dir.size;
    const va = imageBase + rva;
    const section = forwarder ? undefined : sectionAt(rva);
    const offset = forwarder ? null : rvaToOffset(rva, 1n);
    const d = demangled(name);
    out.push({
      name,
      ...(d === undefined ? {} : { demangled: d }),
      value: forwarder ? 0n : va,
      size: 0n,
      type: forwarder ? 'notype' : section?.flags.includes('exec') || section?.flags.includes('code') ? 'func' : 'object',
      bind: 'global',
      section: section?.index ?? null,
      table: 'export',
      offset,
    });
  }
  return out;
}
