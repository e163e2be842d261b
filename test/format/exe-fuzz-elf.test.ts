// The ELF parser on hostile input: hand-forged files (all four class/endian combinations) with
// huge counts, offsets past the end, bad string tables, bad links and entry sizes, and seeded
// mutations and truncations of compiled files. Parsing, sections, segments and symbols() either
// succeed with everything inside the file or throw one ExeFormatError; no other error type, and
// no read outside the file (the source asserts every read).
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseElf } from '../../src/format/exe/elf.js';
import { bufferSource, type ByteSource, type ExeImage, ExeFormatError } from '../../src/format/exe/index.js';
import { tmpDir } from '../helpers/tmp.js';
import { fields, forge, SHSTRTAB, textOffset, withFields } from './elf-forge.js';
import { xorshift32 } from '../helpers/peers.js';

const run = promisify(execFile);

/** A read outside the file: not an ExeFormatError, so that the checks below see it. */
class OutsideRead extends Error {}

/** bufferSource, asserting that every read is inside the file. */
function checkedSource(bytes: Uint8Array): ByteSource {
  const inner = bufferSource(bytes);
  return {
    size: inner.size,
    read(offset, length) {
      if (typeof offset !== 'bigint' || !Number.isSafeInteger(length) || offset < 0n || length < 0 || offset + BigInt(length) > inner.size) {
        throw new OutsideRead(`read of ${length} bytes at ${offset} outside a file of ${inner.size} bytes`);
      }
      return inner.read(offset, length);
    },
  };
}

type Outcome = { ok: true; image: ExeImage } | { ok: false; message: string };

/**
 * Opens `bytes` and walks everything; an ExeFormatError is an outcome, anything else fails the
 * test. A parsed image must describe only bytes inside the file.
 */
function attempt(bytes: Uint8Array, what: string): Outcome {
  let image: ExeImage;
  try {
    image = parseElf(checkedSource(bytes));
    void image.sections.length;
    void image.segments.length;
    image.symbols();
  } catch (error) {
    if (!(error instanceof ExeFormatError)) throw new Error(`${what}: ${(error as Error)?.name}: ${(error as Error)?.message}`, { cause: error });
    if (/[\r\n]/.test(error.message) || error.message.length === 0) throw new Error(`${what}: not a one-line message: ${JSON.stringify(error.message)}`);
    return { ok: false, message: error.message };
  }
  const size = BigInt(bytes.length);
  for (const s of image.sections) {
    if (s.fileSize > 0n && s.offset + s.fileSize > size) throw new Error(`${what}: section ${s.index} ends past the file`);
  }
  for (const s of image.segments) {
    if (s.fileSize > 0n && s.offset + s.fileSize > size) throw new Error(`${what}: segment ${s.index} ends past the file`);
  }
  for (const s of image.symbols()) {
    if (s.offset !== null && (s.offset < 0n || s.offset + s.size > size)) throw new Error(`${what}: symbol ${s.name} is past the file`);
  }
  return { ok: true, image };
}

const COMBOS = [
  [32, true],
  [32, false],
  [64, true],
  [64, false],
] as const;

describe('forged ELF files', () => {
  for (const [bits, le] of COMBOS) {
    const label = `ELF${bits} ${le ? 'little' : 'big'} endian`;

    it(`${label}: the forged file itself parses as built`, () => {
      const f = forge(bits, le);
      const result = attempt(f.bytes, label);
      if (!result.ok) return expect.fail(result.message);
      const { image } = result;
      expect(image).toMatchObject({ bits, endian: le ? 'little' : 'big', kind: 'exec', entry: 0x1000n, machine: bits === 64 ? 'x86-64' : 'i386' });
      expect(image.sections.map((s) => `${s.name}:${s.type}`)).toEqual([
        ':null',
        '.text:progbits',
        '.bss:nobits',
        '.symtab:symtab',
        '.strtab:strtab',
        '.shstrtab:strtab',
      ]);
      expect(image.segments.map((s) => `${s.name} ${s.perms} ${s.fileSize}/${s.memSize}`)).toEqual(['load r-x 16/16', 'load rw- 0/256']);
      const text = BigInt(textOffset(f));
      expect(image.symbols().map((s) => [s.name, s.type, s.bind, s.section, s.offset])).toEqual([
        ['main', 'func', 'global', 1, text + 4n],
        ['data', 'object', 'global', 2, null],
      ]);
    });

    it(`${label}: hostile headers and tables are one ExeFormatError naming the problem`, () => {
      const f = forge(bits, le);
      const F = fields(f);
      const size = f.bytes.length;
      const cases: [string, Buffer, RegExp][] = [
        ['e_shnum 65535 in a small file', withFields(f, [[F.shnum, 0xffff]]), /section header table .* outside the file/],
        ['e_shoff past the end', withFields(f, [[F.shoff, size + 1]]), /outside the file/],
        ['e_shoff near 2^64', withFields(f, [[F.shoff, -8n]]), /outside the file/],
        ['e_shentsize 0', withFields(f, [[F.shentsize, 0]]), /e_shentsize 0/],
        [
          'e_shnum 0 and a huge count in section 0',
          withFields(f, [
            [F.shnum, 0],
            [F.shSize(0), -1n],
          ]),
          /section header table .* outside the file/,
        ],
        ['e_shstrndx out of range', withFields(f, [[F.shstrndx, 9]]), /e_shstrndx 9 is not a section/],
        [
          'e_shstrndx SHN_XINDEX, sh_link of section 0 huge',
          withFields(f, [
            [F.shstrndx, 0xffff],
            [F.shLink(0), 0xfffffff0],
          ]),
          /e_shstrndx .* is not a section/,
        ],
        ['e_phoff past the end', withFields(f, [[F.phoff, size + 100]]), /program header table .* outside the file/],
        ['e_phnum 65535 without section 0', withFields(f, [[F.phnum, 0xfffe]]), /program header table .* outside the file/],
        ['e_phentsize 0', withFields(f, [[F.phentsize, 0]]), /e_phentsize 0/],
        ['a section past the end', withFields(f, [[F.shOffset(1), size - 4]]), /section 1 .* outside the file/],
        ['a section size near 2^64', withFields(f, [[F.shSize(1), -1n]]), /section 1 .* outside the file/],
        [
          'section names without a NUL at the end of .shstrtab',
          withFields(f, [[[f.at.shstrtab + SHSTRTAB.length - 1, 1], 0x41]]),
          /section 5 .* without a terminating NUL/,
        ],
        ['a section name offset past .shstrtab', withFields(f, [[F.shName(1), 0x7fffffff]]), /outside the string table section 5/],
        [
          'symbol names without a NUL at the end of .strtab',
          withFields(f, [[[f.at.strtab + f.at.strtabSize - 1, 1], 0x41]]),
          /\.strtab \(section 4\) .* without a terminating NUL/,
        ],
        ['a symbol name offset past .strtab', withFields(f, [[F.symName(1), 1000]]), /outside the string table \.strtab/],
        ['.symtab sh_link to itself', withFields(f, [[F.shLink(3), 3]]), /links to section 3, which is not a string table/],
        ['.symtab sh_link 0', withFields(f, [[F.shLink(3), 0]]), /links to string table 0/],
        ['.symtab sh_link out of range', withFields(f, [[F.shLink(3), 0xffffffff]]), /links to string table 4294967295, which is not a section/],
        ['.symtab sh_link to .bss (no bytes)', withFields(f, [[F.shLink(3), 2]]), /not a string table/],
        ['.shstrtab is NOBITS', withFields(f, [[F.shType(5), 8]]), /section name table \(section 5\) has no bytes in the file/],
        ['.strtab is not a string table', withFields(f, [[F.shType(4), 1]]), /links to section 4, which is not a string table/],
        [
          'overlapping sections: .symtab over .text (garbage symbols)',
          withFields(f, [[F.shOffset(3), textOffset(f) - (bits === 64 ? 24 : 16)]]),
          /does not exist/,
        ],
        ['.symtab sh_entsize 0', withFields(f, [[F.shEntsize(3), 0]]), /sh_entsize 0/],
        ['.symtab sh_entsize 1', withFields(f, [[F.shEntsize(3), 1]]), /sh_entsize 1/],
        ['.symtab sh_entsize huge', withFields(f, [[F.shEntsize(3), -1n]]), /sh_entsize/],
        ['.symtab past the end', withFields(f, [[F.shSize(3), size * 2]]), /section 3 .* outside the file/],
        ['a symbol in a section that does not exist', withFields(f, [[F.symShndx(1), 77]]), /section 77, which does not exist/],
        ['a symbol with SHN_XINDEX and no extended index table', withFields(f, [[F.symShndx(1), 0xffff]]), /SHN_XINDEX/],
        ['bad class', withFields(f, [[[4, 1], 3]]), /ELF class 3/],
        ['bad data encoding', withFields(f, [[[5, 1], 0]]), /data encoding 0/],
      ];
      for (const [what, bytes, message] of cases) {
        const result = attempt(bytes, `${label}: ${what}`);
        expect(result.ok, `${label}: ${what}`).toBe(false);
        if (!result.ok) expect(result.message, `${label}: ${what}`).toMatch(message);
      }
    });

    it(`${label}: overlapping sections, shared string tables and odd but valid layouts parse`, () => {
      const f = forge(bits, le);
      const F = fields(f);
      const cases: [string, Buffer][] = [
        // .strtab over .shstrtab's bytes: names from another table, still NUL-terminated.
        ['.strtab and .shstrtab the same bytes', withFields(f, [[F.shLink(3), 5]])],
        ['.text over the section header table', withFields(f, [[F.shOffset(1), f.at.shoff]])],
        ['no section name table (e_shstrndx 0)', withFields(f, [[F.shstrndx, 0]])],
        ['no section headers (e_shoff 0)', withFields(f, [[F.shoff, 0]])],
        ['no program headers (e_phnum 0)', withFields(f, [[F.phnum, 0]])],
        ['an empty .symtab', withFields(f, [[F.shSize(3), 0]])],
        [
          'an empty section past the end',
          withFields(f, [
            [F.shOffset(1), f.bytes.length + 100],
            [F.shSize(1), 0],
          ]),
        ],
      ];
      for (const [what, bytes] of cases) {
        const result = attempt(bytes, `${label}: ${what}`);
        expect(result.ok, `${label}: ${what}: ${result.ok ? '' : result.message}`).toBe(true);
      }
      const empty = attempt(withFields(f, [[F.shSize(3), 0]]), 'empty .symtab');
      expect(empty.ok && empty.image.symbols().length).toBe(0);
      const noNames = attempt(withFields(f, [[F.shstrndx, 0]]), 'no names');
      expect(noNames.ok && noNames.image.sections.every((s) => s.name === '')).toBe(true);
    });

    it(`${label}: symbol values are offsets in their section in a relocatable object, addresses elsewhere`, () => {
      const f = forge(bits, le);
      const F = fields(f);
      const text = BigInt(textOffset(f));
      // ET_REL: main's value 6 is .text's offset + 6, whatever .text's sh_addr (0x1000 here).
      const rel = attempt(
        withFields(f, [
          [F.type, 1],
          [F.symValue(1), 6],
        ]),
        'rel',
      );
      if (!rel.ok) return expect.fail(rel.message);
      expect(rel.image.kind).toBe('rel');
      expect(rel.image.symbols()[0]).toMatchObject({ name: 'main', value: 6n, offset: text + 6n });
      // ET_DYN: value 0x1006 is 6 bytes into .text at 0x1000; 0x1009 with size 8 runs past .text's 16 bytes.
      const dyn = attempt(
        withFields(f, [
          [F.type, 3],
          [F.symValue(1), 0x1006],
        ]),
        'dyn',
      );
      if (!dyn.ok) return expect.fail(dyn.message);
      expect(dyn.image.symbols()[0]).toMatchObject({ value: 0x1006n, offset: text + 6n });
      const past = attempt(withFields(f, [[F.symValue(1), 0x1009]]), 'past');
      expect(past.ok && past.image.symbols()[0]!.offset).toBeNull();
      const before = attempt(withFields(f, [[F.symValue(1), 0xfff]]), 'before');
      expect(before.ok && before.image.symbols()[0]!.offset).toBeNull();
    });

    it(`${label}: every truncation is an error or a parse inside the file`, () => {
      const f = forge(bits, le);
      let errors = 0;
      for (let n = 0; n < f.bytes.length; n++) if (!attempt(f.bytes.subarray(0, n), `${label} cut at ${n}`).ok) errors++;
      // The section header table is at the end: every cut loses some of it.
      expect(errors).toBe(f.bytes.length);
    });
  }
});

/**
 * An ELF32 little-endian file of `count` section headers after `payload` (at offset 52): the
 * header says section `shstrndx` holds the names; `section(i)` gives each header's fields.
 */
function manySections(
  count: number,
  payload: Uint8Array,
  section: (i: number) => { name: number; type: number; offset: number; size: number; link: number; entsize: number },
  shstrndx: number,
): Buffer {
  const shoff = 52 + payload.length;
  const buf = Buffer.alloc(shoff + count * 40);
  buf.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  buf.writeUInt16LE(2, 16);
  buf.writeUInt16LE(3, 18);
  buf.writeUInt32LE(shoff, 32);
  buf.writeUInt16LE(52, 40);
  buf.writeUInt16LE(40, 46);
  buf.writeUInt16LE(count, 48);
  buf.writeUInt16LE(shstrndx, 50);
  buf.set(payload, 52);
  for (let i = 1; i < count; i++) {
    const s = section(i);
    const at = shoff + i * 40;
    buf.writeUInt32LE(s.name, at);
    buf.writeUInt32LE(s.type, at + 4);
    buf.writeUInt32LE(s.offset, at + 16);
    buf.writeUInt32LE(s.size, at + 20);
    buf.writeUInt32LE(s.link, at + 24);
    buf.writeUInt32LE(s.entsize, at + 36);
  }
  return buf;
}

describe('forged ELF files that would cost time or memory', () => {
  it('a 3 GiB string table in an 8 GiB file: an error before anything of it is read', () => {
    const f = forge(64, true);
    const F = fields(f);
    const bytes = withFields(f, [
      [F.shOffset(4), 1n << 32n],
      [F.shSize(4), 3n << 30n],
    ]);
    // The file says 8 GiB; only its first bytes exist, and nothing past them may be read.
    const reads: [bigint, number][] = [];
    const source: ByteSource = {
      size: 8n << 30n,
      read(offset, length) {
        reads.push([offset, length]);
        if (offset + BigInt(length) > BigInt(bytes.length)) throw new OutsideRead(`read of ${length} bytes at ${offset}`);
        return bytes.subarray(Number(offset), Number(offset) + length);
      },
    };
    const image = parseElf(source);
    expect(image.sections[4]).toMatchObject({ name: '.strtab', fileSize: 3n << 30n });
    let message = '';
    try {
      image.symbols();
    } catch (error) {
      expect(error).toBeInstanceOf(ExeFormatError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/string table \.strtab \(section 4\) \(3221225472 bytes at 0x100000000\) is too large to read/);
    expect(reads.every(([offset]) => offset < BigInt(bytes.length))).toBe(true);
  });

  it('5000 section names at every offset of one 256 KiB run without NUL: an error, not 5000 scans and copies of it', () => {
    const run = Buffer.alloc(1 << 18, 0x61);
    run[run.length - 1] = 0;
    const strtab = { name: 0, type: 3, offset: 52, size: run.length, link: 0, entsize: 0 };
    const spread = manySections(5000, run, (i) => (i === 1 ? strtab : { name: i * 17, type: 1, offset: 0, size: 0, link: 0, entsize: 0 }), 1);
    const result = attempt(spread, 'long names');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/section 1 \(262144 bytes\): its names overlap into more than 4 times its size/);
    // One long name for every section is the same cost.
    const same = attempt(
      manySections(5000, run, (i) => (i === 1 ? strtab : { name: 5, type: 1, offset: 0, size: 0, link: 0, entsize: 0 }), 1),
      'same name',
    );
    expect(same.ok).toBe(false);
    if (!same.ok) expect(same.message).toMatch(/its names overlap/);
    // Short names are not counted: 5000 sections called .text parse.
    const short = Buffer.concat([Buffer.from('\0.text\0', 'latin1'), run]);
    const text = manySections(
      5000,
      short,
      (i) => (i === 1 ? { ...strtab, size: short.length } : { name: 1, type: 1, offset: 0, size: 0, link: 0, entsize: 0 }),
      1,
    );
    const result2 = attempt(text, 'short names');
    if (!result2.ok) return expect.fail(result2.message);
    expect(result2.image.sections.filter((s) => s.name === '.text').length).toBe(4998);
  });

  it('5000 symbol tables naming the same table: an error, not 5000 parses of it', () => {
    const symbols = Buffer.alloc(16 * 2000);
    for (let i = 1; i < 2000; i++) symbols.writeUInt32LE(1, i * 16);
    const strings = Buffer.from('\0x\0', 'latin1');
    const payload = Buffer.concat([symbols, strings]);
    const bytes = manySections(
      5000,
      payload,
      (i) =>
        i === 1
          ? { name: 0, type: 3, offset: 52 + symbols.length, size: strings.length, link: 0, entsize: 0 }
          : { name: 0, type: 2, offset: 52, size: symbols.length, link: 1, entsize: 16 },
      0,
    );
    const result = attempt(bytes, 'many symbol tables');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/symbol and string tables add up to \d+ bytes in a file of \d+: they overlap/);
    // One such table is fine.
    const one = attempt(
      bytes
        .subarray(0, 52 + payload.length + 3 * 40)
        .fill(0, 48, 50)
        .fill(3, 48, 49),
      'one symbol table',
    );
    if (!one.ok) return expect.fail(one.message);
    expect(one.image.symbols().length).toBe(1999);
  });
});

// --- Seeded mutations of compiled files ----------------------------------------------------------

const have = (tool: string) => !spawnSync(tool, ['--version'], { stdio: 'ignore' }).error;
const NATIVE_64LE = process.arch === 'x64' || process.arch === 'arm64';
const COMPILED = [
  { name: 'native-pie', cc: 'gcc', args: ['-O1', '-fPIE', '-pie'], ok: NATIVE_64LE },
  { name: 'native.o', cc: 'gcc', args: ['-O1', '-c'], ok: NATIVE_64LE },
  { name: 'powerpc', cc: 'powerpc-linux-gnu-gcc', args: ['-O1', '-DNOLIBC', '-nostdlib', '-static'], ok: true },
  { name: 'i686.o', cc: 'i686-linux-gnu-gcc', args: ['-O1', '-c'], ok: true },
].filter((c) => {
  const ok = c.ok && have(c.cc);
  if (!ok) console.warn(`NOTICE: ${c.cc} not usable here; the ELF fuzz cases from its ${c.name} build are SKIPPED`);
  return ok;
});

const PROGRAM = `
int counter = 42;
static int table[256];
static __attribute__((noinline)) int helper(int x) { return x * 3 + counter + table[x & 255]; }
int check(int v) { if (v == 1234) return helper(v); table[v & 255] = v; return 0; }
#ifdef NOLIBC
void _start(void) { for (;;) check(counter); }
#else
int main(int argc, char **argv) { (void)argv; return check(argc); }
#endif
`;

const dir = tmpDir('mmapx-elf-fuzz-');
const compiled = new Map<string, Buffer>();

beforeAll(async () => {
  if (COMPILED.length === 0) return;
  writeFileSync(join(dir, 'prog.c'), PROGRAM);
  await Promise.all(
    COMPILED.map(async (c) => {
      const path = join(dir, c.name);
      await run(c.cc, [...c.args, '-o', path, join(dir, 'prog.c')]);
      compiled.set(c.name, readFileSync(path));
    }),
  );
}, 60_000);

/** Values that break counts, offsets and sizes. */
const NASTY = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0xffffn, 0xff00n, 0x7fffffffn, 0xffffffffn, 0x7fffffffffffffffn, 0xffffffffffffffffn];

describe.skipIf(COMPILED.length === 0)('mutated and truncated compiled ELF files', () => {
  it('seeded mutations of the header, section headers, program headers and symbol tables', () => {
    let parsed = 0;
    let rejected = 0;
    for (const [name, original] of compiled) {
      const image = parseElf(bufferSource(original));
      const le = image.endian === 'little';
      const is64 = image.bits === 64;
      // The regions worth hitting: the header, the section and program header tables, the symbol and string tables.
      const dv0 = new DataView(original.buffer, original.byteOffset, original.byteLength);
      const shoff = Number(is64 ? dv0.getBigUint64(40, le) : BigInt(dv0.getUint32(32, le)));
      const shsize = image.sections.length * (is64 ? 64 : 40);
      const regions: [number, number][] = [
        [0, is64 ? 64 : 52],
        [shoff, shsize],
        ...image.sections
          .filter((s) => s.type === 'symtab' || s.type === 'strtab' || s.type === 'dynsym')
          .map((s): [number, number] => [Number(s.offset), Number(s.fileSize)]),
      ];
      if (image.segments.length > 0) regions.push([is64 ? 64 : 52, image.segments.length * (is64 ? 56 : 32)]);
      const next = xorshift32(0x5eed + name.length * 7919);
      const bytes = Buffer.from(original);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let trial = 0; trial < 750; trial++) {
        const edits = 1 + (next() % 3);
        const touched: [number, number][] = [];
        for (let e = 0; e < edits; e++) {
          const [start, length] = regions[next() % regions.length]!;
          if (length === 0) continue;
          const width = [1, 2, 4, 8][next() % 4]!;
          const at = start + (next() % length);
          if (at + width > bytes.length) continue;
          touched.push([at, width]);
          const value = next() % 3 === 0 ? BigInt(next()) : NASTY[next() % NASTY.length]!;
          const v = BigInt.asUintN(width * 8, value);
          if (width === 8) dv.setBigUint64(at, v, le);
          else if (width === 4) dv.setUint32(at, Number(v), le);
          else if (width === 2) dv.setUint16(at, Number(v), le);
          else dv.setUint8(at, Number(v));
        }
        if (attempt(bytes, `${name} trial ${trial}`).ok) parsed++;
        else rejected++;
        for (const [at, width] of touched) original.copy(bytes, at, at, at + width);
      }
    }
    // Both outcomes happen: the mutations are neither all harmless nor all fatal.
    expect(parsed).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });

  it('truncations at seeded lengths and around every table boundary', () => {
    for (const [name, original] of compiled) {
      const image = parseElf(bufferSource(original));
      const cuts = new Set<number>();
      for (let n = 0; n <= 80; n++) cuts.add(n);
      for (const s of [...image.sections, ...image.segments]) {
        for (const edge of [s.offset, s.offset + s.fileSize]) for (let d = -2; d <= 2; d++) cuts.add(Number(edge) + d);
      }
      const next = xorshift32(0xc0ffee + name.length);
      for (let i = 0; i < 100; i++) cuts.add(next() % original.length);
      for (const n of cuts) {
        if (n < 0 || n > original.length) continue;
        const result = attempt(original.subarray(0, n), `${name} cut at ${n}`);
        // The section headers are at the end: a shorter file always loses some.
        if (n < original.length) expect(result.ok, `${name} cut at ${n}`).toBe(false);
      }
    }
  });
});
