// `info --symbols` from the ELF symbol columns (ExeImage.symbolColumns) against the listing from
// ExeSymbol objects: byte for byte the same text for forged files with the odd cases (names with
// non-ASCII, invalid UTF-8, control and bidi bytes, tail-merged and empty names, one longer than an
// output chunk; values and sizes past 2^53, an offset past 2^53, Thumb functions, SHN_XINDEX,
// SHN_ABS/SHN_COMMON, unknown types and binds, .symtab and .dynsym with their own string tables),
// with the objects' fields checked where the columns decide them. In-process, plus one CLI run for
// the error timing (a malformed name is one line and no output).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headerInfo, type ImageInfo, imageInfo } from '../../src/edit/exeinfo.js';
import { type ImageListing, renderImage } from '../../src/cli/image-info.js';
import { parseElf } from '../../src/format/exe/elf.js';
import { type ByteSource, bufferSource, type ExeImage, ExeFormatError, NO_SECTION } from '../../src/format/exe/index.js';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();

const EM_X86_64 = 62;
const EM_386 = 3;
const EM_ARM = 40;
const EM_PPC = 20;

interface Sym {
  /** The name's bytes, or a number: an offset into the string table as it is (tail merging). */
  name: string | Buffer | number;
  value: bigint;
  size: bigint;
  info: number;
  shndx: number;
  /** The section in SHT_SYMTAB_SHNDX, for shndx SHN_XINDEX. */
  extended?: number;
}

interface Spec {
  bits: 32 | 64;
  le: boolean;
  machine: number;
  symtab: Sym[];
  dynsym: Sym[];
  /** A section `.far` whose bytes are at 2^54 (for a {@link hugeSource} only). */
  far?: boolean;
  /** The last name of .strtab without its NUL (a malformed table). */
  unterminated?: boolean;
}

const TEXT_VA = 0x1000;
const BSS_VA = 0x2000;
const HI_VA = 1n << 60n;
const FAR_AT = 1n << 54n;

/** Section indexes of {@link elf}'s files. */
const SEC = { text: 1, bss: 2, hi: 3, symtab: 4, strtab: 5, shndx: 6, dynsym: 7, dynstr: 8, shstrtab: 9, far: 10 } as const;

/** A string table of `names` (a NUL first); the offset of each name (numbers are taken as offsets). */
function strtab(names: readonly (string | Buffer | number)[], unterminated = false): { bytes: Buffer; at: number[] } {
  const parts: Buffer[] = [Buffer.alloc(1)];
  let size = 1;
  const at = names.map((n) => {
    if (typeof n === 'number') return n;
    const b = typeof n === 'string' ? Buffer.from(n, 'latin1') : n;
    if (b.length === 0) return 0;
    const where = size;
    parts.push(b, Buffer.alloc(1));
    size += b.length + 1;
    return where;
  });
  const bytes = Buffer.concat(parts);
  return { bytes: unterminated ? bytes.subarray(0, -1) : bytes, at };
}

/** An executable (ET_EXEC) with the sections of {@link SEC} and the symbols of `spec`. */
function elf(spec: Spec): Buffer {
  const { bits, le } = spec;
  const is64 = bits === 64;
  const ehdr = is64 ? 64 : 52;
  const shent = is64 ? 64 : 40;
  const syment = is64 ? 24 : 16;
  const sym = strtab(
    spec.symtab.map((s) => s.name),
    spec.unterminated,
  );
  const dyn = strtab(spec.dynsym.map((s) => s.name));
  const shstr = strtab(['.text', '.bss', '.hi', '.symtab', '.strtab', '.symtab_shndx', '.dynsym', '.dynstr', '.shstrtab', '.far']);
  const symBytes = (syms: Sym[], at: number[]): Buffer => {
    const b = Buffer.alloc((syms.length + 1) * syment);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    syms.forEach((s, k) => {
      const o = (k + 1) * syment;
      dv.setUint32(o, at[k]!, le);
      if (is64) {
        b[o + 4] = s.info;
        dv.setUint16(o + 6, s.shndx, le);
        dv.setBigUint64(o + 8, s.value, le);
        dv.setBigUint64(o + 16, s.size, le);
      } else {
        dv.setUint32(o + 4, Number(s.value), le);
        dv.setUint32(o + 8, Number(s.size), le);
        b[o + 12] = s.info;
        dv.setUint16(o + 14, s.shndx, le);
      }
    });
    return b;
  };
  const symtab = symBytes(spec.symtab, sym.at);
  const dynsym = symBytes(spec.dynsym, dyn.at);
  const shndx = Buffer.alloc((spec.symtab.length + 1) * 4);
  spec.symtab.forEach((s, k) => {
    if (s.extended !== undefined) new DataView(shndx.buffer, shndx.byteOffset).setUint32((k + 1) * 4, s.extended, le);
  });
  const text = Buffer.alloc(0x100, 0x90);
  const hi = Buffer.alloc(0x10, 0xcc);
  // Layout: header, then each table 8-aligned, then the section headers.
  const blobs = [text, hi, symtab, sym.bytes, shndx, dynsym, dyn.bytes, shstr.bytes];
  const offsets: number[] = [];
  let end = ehdr;
  for (const b of blobs) {
    end = (end + 7) & ~7;
    offsets.push(end);
    end += b.length;
  }
  const shoff = (end + 7) & ~7;
  const shnum = spec.far ? 11 : 10;
  const out = Buffer.alloc(shoff + shnum * shent);
  blobs.forEach((b, i) => {
    b.copy(out, offsets[i]!);
  });
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const word = (at32: number, at64: number, v: bigint) => (is64 ? dv.setBigUint64(at64, v, le) : dv.setUint32(at32, Number(v), le));
  out.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  dv.setUint16(16, 2, le);
  dv.setUint16(18, spec.machine, le);
  dv.setUint32(20, 1, le);
  word(32, 40, BigInt(shoff));
  const o = is64 ? 52 : 40;
  dv.setUint16(o, ehdr, le);
  dv.setUint16(o + 6, shent, le);
  dv.setUint16(o + 8, shnum, le);
  dv.setUint16(o + 10, SEC.shstrtab, le);
  const shdr = (i: number, type: number, flags: number, addr: bigint, offset: bigint, size: number, link: number, entsize: number) => {
    const s = shoff + i * shent;
    dv.setUint32(s, shstr.at[i - 1]!, le);
    dv.setUint32(s + 4, type, le);
    word(s + 8, s + 8, BigInt(flags));
    word(s + 12, s + 16, addr);
    word(s + 16, s + 24, offset);
    word(s + 20, s + 32, BigInt(size));
    dv.setUint32(s + (is64 ? 40 : 24), link, le);
    word(s + 36, s + 56, BigInt(entsize));
  };
  const at = (i: number) => BigInt(offsets[i]!);
  shdr(SEC.text, 1, 6, BigInt(TEXT_VA), at(0), text.length, 0, 0);
  shdr(SEC.bss, 8, 3, BigInt(BSS_VA), at(1), 0x100, 0, 0);
  shdr(SEC.hi, 1, 2, is64 ? HI_VA : 0x8000_0000n, at(1), hi.length, 0, 0);
  shdr(SEC.symtab, 2, 0, 0n, at(2), symtab.length, SEC.strtab, syment);
  shdr(SEC.strtab, 3, 0, 0n, at(3), sym.bytes.length, 0, 0);
  shdr(SEC.shndx, 18, 0, 0n, at(4), shndx.length, SEC.symtab, 4);
  shdr(SEC.dynsym, 11, 2, 0n, at(5), dynsym.length, SEC.dynstr, syment);
  shdr(SEC.dynstr, 3, 2, 0n, at(6), dyn.bytes.length, 0, 0);
  shdr(SEC.shstrtab, 3, 0, 0n, at(7), shstr.bytes.length, 0, 0);
  if (spec.far) shdr(SEC.far, 1, 6, 0x3000n, FAR_AT, 0x100, 0, 0);
  return out;
}

/** A source that says the file is 2^60 bytes: `bytes` at its start, zeros after (a sparse file's holes). */
function hugeSource(bytes: Buffer): ByteSource {
  return {
    size: 1n << 60n,
    read(offset, length) {
      const out = Buffer.alloc(length);
      if (offset < BigInt(bytes.length)) bytes.copy(out, 0, Number(offset), Math.min(bytes.length, Number(offset) + length));
      return out;
    },
  };
}

/** A name longer than a chunk of output. */
const LONG = 'a'.repeat(1_100_000);

const info = (g: number, type: number) => (g << 4) | type;
const LOCAL = 0;
const GLOBAL = 1;
const FUNC = 2;
const OBJECT = 1;
const SHN_ABS = 0xfff1;
const SHN_COMMON = 0xfff2;
const SHN_XINDEX = 0xffff;

/** The odd cases every class and byte order can hold (32-bit numbers). */
function common(): Sym[] {
  const utf8 = (s: string) => Buffer.from(s, 'utf8');
  return [
    { name: 'odd.c', value: 0n, size: 0n, info: info(LOCAL, 4), shndx: SHN_ABS },
    { name: '', value: BigInt(TEXT_VA), size: 0n, info: info(LOCAL, 3), shndx: SEC.text },
    { name: 'plain', value: BigInt(TEXT_VA + 0x10), size: 16n, info: info(GLOBAL, FUNC), shndx: SEC.text },
    { name: utf8('café'), value: BigInt(BSS_VA), size: 8n, info: info(LOCAL, OBJECT), shndx: SEC.bss },
    { name: 'esc\x1b[31mred', value: BigInt(TEXT_VA + 0x20), size: 4n, info: info(GLOBAL, FUNC), shndx: SEC.text },
    { name: Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]), value: BigInt(TEXT_VA + 0x24), size: 4n, info: info(GLOBAL, 10), shndx: SEC.text },
    { name: 'tab\there', value: BigInt(TEXT_VA + 0x28), size: 4n, info: info(10, OBJECT), shndx: SEC.text },
    { name: 'del\x7f', value: 7n, size: 0n, info: info(5, 7), shndx: SHN_ABS },
    { name: utf8('c1\u0085next'), value: BigInt(TEXT_VA + 0x30), size: 0xf0n, info: info(GLOBAL, OBJECT), shndx: SEC.text },
    { name: utf8('bidi\u202eevil'), value: BigInt(TEXT_VA + 0x40), size: 0x200n, info: info(GLOBAL, OBJECT), shndx: SEC.text },
    // Tail-merged: the end of "plain" (offset 1 + "odd.c\0".length + 1).
    { name: 1 + 6 + 1, value: BigInt(TEXT_VA + 0x11), size: 0n, info: info(LOCAL, 0), shndx: SEC.text },
    { name: 'xindexed', value: BigInt(TEXT_VA + 0x50), size: 8n, info: info(GLOBAL, FUNC), shndx: SHN_XINDEX, extended: SEC.text },
    { name: 'common_sym', value: 16n, size: 64n, info: info(GLOBAL, OBJECT), shndx: SHN_COMMON },
    { name: 'big_size32', value: 0xffff_fff0n, size: 0xffff_ffffn, info: info(GLOBAL, OBJECT), shndx: SHN_ABS },
    { name: LONG, value: BigInt(TEXT_VA + 0x60), size: 1n, info: info(GLOBAL, FUNC), shndx: SEC.text },
    { name: 'in_hi', value: 0x8000_0004n, size: 4n, info: info(GLOBAL, OBJECT), shndx: SEC.hi },
    { name: 'zzz_last', value: BigInt(TEXT_VA + 0xff), size: 1n, info: info(GLOBAL, FUNC), shndx: SEC.text },
  ];
}

/** Numbers past 2^53 (64-bit only). */
function wide(): Sym[] {
  return [
    { name: 'kernel', value: 0xffff_ffff_8000_1000n, size: 0x40n, info: info(GLOBAL, FUNC), shndx: SHN_ABS },
    { name: 'huge_size', value: BigInt(TEXT_VA + 0x70), size: 1n << 54n, info: info(GLOBAL, OBJECT), shndx: SEC.text },
    { name: 'size_2_40', value: 0n, size: 1n << 40n, info: info(GLOBAL, OBJECT), shndx: SHN_ABS },
    { name: 'hi_value', value: HI_VA + 4n, size: 4n, info: info(GLOBAL, OBJECT), shndx: SEC.hi },
    { name: 'max', value: (1n << 64n) - 1n, size: (1n << 64n) - 1n, info: info(GLOBAL, 0), shndx: 0 },
  ];
}

const DYN: Sym[] = [
  { name: 'dyn_one', value: BigInt(TEXT_VA + 0x10), size: 16n, info: info(GLOBAL, FUNC), shndx: SEC.text },
  { name: 'dyn\x01two', value: 0n, size: 0n, info: info(GLOBAL, FUNC), shndx: 0 },
];

const LISTING: ImageListing = { sections: false, segments: false, symbols: true, filter: undefined, demangle: false, arch: undefined };

/** The text `renderImage` writes for `info`. */
function render(info: ImageInfo, path = 'odd'): Buffer {
  const parts: Buffer[] = [];
  renderImage(path, info, LISTING, (chunk) => parts.push(Buffer.from(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk)));
  return Buffer.concat(parts);
}

/** The listing from objects and from columns of the same image (two parses: nothing cached is shared). */
function bothListings(open: () => ExeImage): { objects: Buffer; columns: Buffer; image: ExeImage } {
  const a = open();
  const symbols = a.symbols();
  const objects = render({ ...headerInfo(a), symbols, symbolCount: symbols.length });
  const b = open();
  const symbolColumns = b.symbolColumns!();
  const columns = render({ ...headerInfo(b), symbolColumns, symbolCount: symbolColumns.reduce((n, c) => n + c.count, 0) });
  return { objects, columns, image: a };
}

const VARIANTS: { name: string; spec: Spec }[] = [
  { name: 'elf64 little endian', spec: { bits: 64, le: true, machine: EM_X86_64, symtab: [...common(), ...wide()], dynsym: DYN } },
  { name: 'elf64 big endian', spec: { bits: 64, le: false, machine: EM_X86_64, symtab: [...common(), ...wide()], dynsym: DYN } },
  { name: 'elf32 little endian', spec: { bits: 32, le: true, machine: EM_386, symtab: common(), dynsym: DYN } },
  { name: 'elf32 big endian (powerpc)', spec: { bits: 32, le: false, machine: EM_PPC, symtab: common(), dynsym: DYN } },
  {
    name: 'elf32 arm (Thumb functions)',
    spec: {
      bits: 32,
      le: true,
      machine: EM_ARM,
      symtab: [
        ...common(),
        { name: 'thumb_fn', value: BigInt(TEXT_VA + 0x81), size: 8n, info: info(GLOBAL, FUNC), shndx: SEC.text },
        { name: 'odd_object', value: BigInt(TEXT_VA + 0x91), size: 2n, info: info(GLOBAL, OBJECT), shndx: SEC.text },
        { name: 'thumb_at_end', value: BigInt(TEXT_VA + 0xff), size: 1n, info: info(GLOBAL, FUNC), shndx: SEC.text },
      ],
      dynsym: DYN,
    },
  },
];

describe('info --symbols from ELF symbol columns', () => {
  for (const { name, spec } of VARIANTS) {
    it(`${name}: the same text as from ExeSymbol objects; the fields the columns decide`, () => {
      const bytes = elf(spec);
      const { objects, columns, image } = bothListings(() => parseElf(bufferSource(bytes)));
      expect(columns.equals(objects), `${name}: the listings differ`).toBe(true);
      const text = objects.toString('utf8');
      // Names: shown escaped where they hold controls or bidi characters, decoded where they are UTF-8.
      for (const shown of [' esc\\x1b[31mred', ' tab\\x09here', ' del\\x7f', ' c1\\x85next', ' bidi\\u202eevil', ' café', ' bad\ufffd\ufffd', ` ${LONG}`]) {
        expect(text.includes(`${shown}\n`), `${name}: ${shown.slice(0, 40)} is a name`).toBe(true);
      }
      const by = new Map(image.symbols().map((s) => [s.name, s]));
      expect(by.get('lain')).toMatchObject({ type: 'notype', bind: 'local', section: SEC.text });
      expect(by.get('xindexed')).toMatchObject({ section: SEC.text, offset: by.get('plain')!.offset! + 0x40n });
      expect(by.get('common_sym')).toMatchObject({ section: null, offset: null, value: 16n, size: 64n });
      expect(by.get('tab\there')).toMatchObject({ type: 'object', bind: 'unique' });
      expect(by.get('del\x7f')).toMatchObject({ type: 'type 7', bind: 'bind 5', section: null });
      expect(by.get('bad\ufffd\ufffd')).toMatchObject({ type: 'ifunc' });
      expect(by.get('café')).toMatchObject({ section: SEC.bss, offset: null });
      expect(by.get('big_size32')).toMatchObject({ value: 0xffff_fff0n, size: 0xffff_ffffn, offset: null });
      expect(by.get('dyn_one')).toMatchObject({ table: 'dynsym', offset: by.get('plain')!.offset });
      expect(image.symbols().filter((s) => s.table === 'dynsym')).toHaveLength(spec.dynsym.length);
      if (spec.bits === 64) {
        expect(by.get('kernel')).toMatchObject({ value: 0xffff_ffff_8000_1000n, section: null });
        expect(by.get('huge_size')).toMatchObject({ size: 1n << 54n, offset: null });
        expect(by.get('size_2_40')).toMatchObject({ size: 1n << 40n });
        expect(by.get('hi_value')).toMatchObject({ value: HI_VA + 4n, section: SEC.hi });
        expect(by.get('hi_value')!.offset).toBe(image.sections[SEC.hi]!.offset + 4n);
        expect(by.get('max')).toMatchObject({ value: (1n << 64n) - 1n, size: (1n << 64n) - 1n });
        expect(/ 0xffffffffffffffff +- +18446744073709551615 {2}notype +global +- +max\n/.test(text)).toBe(true);
      }
      if (spec.machine === EM_ARM) {
        const textAt = image.sections[SEC.text]!.offset;
        expect(by.get('thumb_fn')).toMatchObject({ value: BigInt(TEXT_VA + 0x81), offset: textAt + 0x80n });
        expect(by.get('odd_object')!.offset).toBe(textAt + 0x91n);
        expect(by.get('thumb_at_end')!.offset).toBe(textAt + 0xfen);
      }
      // The columns and the objects hold the same symbols.
      const fromColumns = image.symbolColumns!().flatMap((c) =>
        Array.from({ length: c.count }, (_, i) => ({
          name: c.name(i),
          value: c.value(i),
          size: c.size(i),
          type: c.typeOf(c.kinds[i]!),
          bind: c.bindOf(c.kinds[i]!),
          section: c.sections[i] === NO_SECTION ? null : c.sections[i]!,
          table: c.table,
          offset: c.offset(i),
        })),
      );
      expect(fromColumns).toEqual(image.symbols().map((s) => ({ ...s })));
    });
  }

  it('an offset past 2^53 (a section at 2^54 of a sparse file) is exact in both listings', () => {
    const spec: Spec = {
      bits: 64,
      le: true,
      machine: EM_X86_64,
      far: true,
      symtab: [...common(), { name: 'far_away', value: 0x3010n, size: 8n, info: info(GLOBAL, FUNC), shndx: SEC.far }],
      dynsym: [],
    };
    const bytes = elf(spec);
    const { objects, columns, image } = bothListings(() => parseElf(hugeSource(bytes)));
    expect(columns.equals(objects)).toBe(true);
    expect(image.symbols().find((s) => s.name === 'far_away')!.offset).toBe(FAR_AT + 0x10n);
    expect(new RegExp(`  0x3010 +0x${(FAR_AT + 0x10n).toString(16)} +8  func +global +\\.far +far_away\\n`).test(objects.toString('utf8'))).toBe(true);
  });

  it('a malformed name is the same error from the columns as from the objects, before any output (CLI: one line, empty stdout)', async () => {
    const spec: Spec = { bits: 64, le: true, machine: EM_X86_64, symtab: common(), dynsym: DYN, unterminated: true };
    const bytes = elf(spec);
    const error = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ExeFormatError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    const message = error(() => parseElf(bufferSource(bytes)).symbols());
    expect(message).toMatch(/without a terminating NUL/);
    expect(error(() => parseElf(bufferSource(bytes)).symbolColumns!())).toBe(message);
    const file = join(dir, 'unterminated');
    writeFileSync(file, bytes);
    await expect(imageInfo(file, { symbols: true, columns: true })).rejects.toThrow(message);
    requireBuild();
    const r = mmapx(['info', file, '--symbols']);
    expectFailure(r, 2, new RegExp(`^mmapx: info: .*unterminated: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(r.stdout).toBe('');
  });

  it('imageInfo: columns when asked and there is no filter, objects with a filter; the CLI prints the listing from objects', async () => {
    const spec: Spec = { bits: 64, le: true, machine: EM_X86_64, symtab: [...common(), ...wide()], dynsym: DYN };
    const file = join(dir, 'odd');
    writeFileSync(file, elf(spec));
    const cols = await imageInfo(file, { symbols: true, columns: true });
    expect(cols.symbols).toBeUndefined();
    expect(cols.symbolColumns!.map((c) => [c.table, c.count])).toEqual([
      ['symtab', spec.symtab.length],
      ['dynsym', DYN.length],
    ]);
    expect(cols.symbolCount).toBe(spec.symtab.length + DYN.length);
    const filtered = await imageInfo(file, { symbols: true, columns: true, filter: 'dyn*' });
    expect(filtered.symbolColumns).toBeUndefined();
    expect(filtered.symbols!.map((s) => s.name)).toEqual(['dyn_one', 'dyn\x01two']);
    // The CLI's text (from columns) is the listing from objects.
    requireBuild();
    const text = mmapx(['info', file, '--symbols']);
    const image = parseElf(bufferSource(elf(spec)));
    const symbols = image.symbols();
    expect(text.stdoutBytes.equals(render({ ...headerInfo(image), symbols, symbolCount: symbols.length }, file)), 'CLI text').toBe(true);
  });
});
