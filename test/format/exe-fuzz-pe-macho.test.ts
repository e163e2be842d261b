// Hostile PE and Mach-O files: seeded truncations, byte mutations and forged header fields of
// images written by test/helpers/exe-build.ts (no compiler needed). Whatever the bytes, opening,
// listing sections and symbols and resolving addresses either work (and then every offset they
// give is inside the file) or throw one ExeFormatError of one line; never another error, never a
// read outside the file (the source asserts it), never a read larger than the file.
import { describe, expect, it } from 'vitest';
import { parseAddress, resolveAddress } from '../../src/format/exe/address.js';
import { type ByteSource, type ExeImage, ExeFormatError, openImage } from '../../src/format/exe/index.js';
import { buildFat, buildMachO, buildPe, machOCputype } from '../helpers/exe-build.js';
import { xorshift32 } from '../helpers/peers.js';

/** A read outside the file: the test fails with this, not with an ExeFormatError. */
class OutsideRead extends Error {}

/** bufferSource, asserting every read is inside the bytes. */
function guardedSource(bytes: Uint8Array): ByteSource {
  const size = BigInt(bytes.length);
  return {
    size,
    read(offset, length) {
      if (typeof offset !== 'bigint' || !Number.isInteger(length) || offset < 0n || length < 0 || offset + BigInt(length) > size) {
        throw new OutsideRead(`read of ${length} bytes at ${offset} outside a file of ${size} bytes`);
      }
      return bytes.subarray(Number(offset), Number(offset) + length);
    },
  };
}

/** Addresses that hit something in the seeds of each format (a miss costs an error with its candidates). */
const TOKENS = { pe: ['sym:check', 'sec:.text', 'rva:0x1010'], macho: ['sym:main', 'sec:__text', 'seg:1', 'va:0x1410'], elf: [] };

/** A parse result that points outside the file (plain checks: `expect` per symbol would dominate the time). */
function outside(what: string): never {
  throw new Error(`${what} is outside the file`);
}

/** Everything a user can ask of the image; the offsets it gives must be inside the file. */
function exercise(image: ExeImage, size: bigint): void {
  for (const s of image.sections) if (s.fileSize > 0n && s.offset + s.fileSize > size) outside(`section ${s.name}`);
  for (const s of image.segments) if (s.offset + s.fileSize > size) outside(`segment ${s.name}`);
  for (const s of image.symbols()) if (s.offset !== null && s.offset >= size) outside(`symbol ${s.name}`);
  for (const token of TOKENS[image.format]) {
    try {
      const r = resolveAddress(image, parseAddress(token));
      if (r.offset < 0n || r.offset > size) outside(token);
    } catch (error) {
      if (!(error instanceof ExeFormatError)) throw error;
    }
  }
}

/** Opens and exercises `bytes`; the outcome, or the error (which must be one line of ExeFormatError). */
function attempt(bytes: Uint8Array, what: string, arch?: string): 'ok' | 'error' {
  try {
    exercise(openImage(guardedSource(bytes), 'fuzz', arch === undefined ? {} : { arch }), BigInt(bytes.length));
    return 'ok';
  } catch (error) {
    if (!(error instanceof ExeFormatError)) throw new Error(`${what}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    if (/[\n\r]/.test(error.message)) throw new Error(`${what}: a message of several lines: ${error.message}`);
    return 'error';
  }
}

interface Seed {
  name: string;
  bytes: Uint8Array;
  arch?: string;
  /** The bytes worth forging: headers, load commands, tables ([start, end) pairs). */
  forge: [number, number][];
  little: boolean;
}

const fat = buildFat(
  [
    { cputype: machOCputype(64, true), bytes: buildMachO(64, true).bytes },
    { cputype: machOCputype(32, false), bytes: buildMachO(32, false).bytes },
  ],
  false,
);
// PE: headers and section table, export directory, COFF symbols and the string table's size.
const PE_FORGE: [number, number][] = [
  [0, 0x200],
  [0x600, 0x640],
  [0xa00, 0xac0],
];
// Mach-O: header and load commands, the symbol table.
const MACHO_FORGE: [number, number][] = [
  [0, 0x260],
  [0x1100, 0x1190],
];
const SEEDS: Seed[] = [
  { name: 'pe32+', bytes: buildPe(64).bytes, forge: PE_FORGE, little: true },
  { name: 'pe32', bytes: buildPe(32).bytes, forge: PE_FORGE, little: true },
  { name: 'macho64-le', bytes: buildMachO(64, true).bytes, forge: MACHO_FORGE, little: true },
  { name: 'macho64-be', bytes: buildMachO(64, false).bytes, forge: MACHO_FORGE, little: false },
  { name: 'macho32-le', bytes: buildMachO(32, true).bytes, forge: MACHO_FORGE, little: true },
  { name: 'macho32-be', bytes: buildMachO(32, false).bytes, forge: MACHO_FORGE, little: false },
  // LC_UNIXTHREAD (its thread states walked by flavor and count) where the others have LC_MAIN.
  { name: 'macho64-le-thread', bytes: buildMachO(64, true, true).bytes, forge: [[0x240, 0x3c0]], little: true },
  { name: 'fat', bytes: fat.bytes, arch: 'ppc', forge: [[0, 0x30]], little: false },
];
/** How far the headers go: the truncations cut at every length up to here. */
const headerEnd = (s: Seed): number => Math.min(s.forge[0]![1], s.bytes.length);

describe('hostile PE and Mach-O files: one ExeFormatError, nothing read outside the file', () => {
  it('the_seeds_themselves_parse', () => {
    for (const s of SEEDS) expect(attempt(s.bytes, s.name, s.arch), s.name).toBe('ok');
  });

  it('every_truncation_of_the_headers_and_seeded_ones_past_them', () => {
    let errors = 0;
    for (const s of SEEDS) {
      const next = xorshift32(s.bytes.length);
      const cuts = new Set<number>();
      for (let n = 0; n <= headerEnd(s); n++) cuts.add(n);
      for (let k = 0; k < 100; k++) cuts.add(next() % s.bytes.length);
      for (const n of cuts) if (attempt(s.bytes.slice(0, n), `${s.name} cut at ${n}`, s.arch) === 'error') errors++;
    }
    // Most cuts lose a table the headers point at.
    expect(errors).toBeGreaterThan(SEEDS.length * 100);
  });

  it('seeded_random_byte_mutations', () => {
    const outcomes = { ok: 0, error: 0 };
    for (const s of SEEDS) {
      for (let seed = 1; seed <= 150; seed++) {
        const next = xorshift32(seed * 7919 + s.bytes.length);
        const bytes = s.bytes.slice();
        const n = 1 + (next() % 8);
        for (let k = 0; k < n; k++) {
          // Mostly in the headers and tables, sometimes anywhere.
          const at = next() % (next() % 4 === 0 ? bytes.length : headerEnd(s));
          bytes[at] = [0, 0xff, 0x7f, 0x80, next() & 0xff][next() % 5]!;
        }
        outcomes[attempt(bytes, `${s.name} mutation seed ${seed}`, s.arch)]++;
      }
    }
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.error).toBeGreaterThan(0);
  });

  it('forged_32_bit_fields_at_every_aligned_offset_of_the_headers_and_tables', () => {
    let errors = 0;
    for (const s of SEEDS) {
      for (const [start, end] of s.forge) {
        for (let at = start; at + 4 <= Math.min(end, s.bytes.length); at += 4) {
          for (const v of [0, 0xffffffff, 0x80000000, s.bytes.length - 1]) {
            const bytes = s.bytes.slice();
            new DataView(bytes.buffer).setUint32(at, v >>> 0, s.little);
            if (attempt(bytes, `${s.name}: 0x${(v >>> 0).toString(16)} at ${at}`, s.arch) === 'error') errors++;
          }
        }
      }
    }
    expect(errors).toBeGreaterThan(0);
  });

  it('many_sections_and_many_exports_are_looked_up_by_rva_not_scanned_per_export', () => {
    // 20,000 sections and 50,000 exports: a scan of the sections per export lookup would be
    // billions of steps; this parses in a blink (and a regression shows as a slow test).
    const sectionCount = 20000;
    const exports = 50000;
    const tableAt = 0x40 + 24 + 240;
    const dataAt = Math.ceil((tableAt + 40 * sectionCount) / 0x200) * 0x200;
    const namesAt = 0x80;
    const ordinalsAt = namesAt + 4 * exports;
    const stringAt = ordinalsAt + 2 * exports;
    const dataSize = stringAt + 0x10;
    const bytes = new Uint8Array(dataAt + dataSize);
    // RVAs above the headers (SizeOfHeaders = dataAt).
    const base = 0x100000;
    const v = new DataView(bytes.buffer);
    bytes.set([0x4d, 0x5a], 0);
    v.setUint32(0x3c, 0x40, true);
    bytes.set([0x50, 0x45, 0, 0], 0x40);
    v.setUint16(0x44, 0x8664, true);
    v.setUint16(0x46, sectionCount, true);
    v.setUint16(0x54, 240, true);
    v.setUint16(0x58, 0x20b, true);
    v.setBigUint64(0x58 + 24, 0x140000000n, true);
    v.setUint32(0x58 + 60, dataAt, true);
    v.setUint32(0x58 + 108, 16, true);
    v.setUint32(0x58 + 112, base, true);
    v.setUint32(0x58 + 116, stringAt, true);
    for (let i = 0; i < sectionCount; i++) {
      const o = tableAt + 40 * i;
      bytes.set([0x2e, 0x73], o);
      // Section 0 holds the exports; the others have memory and no file bytes.
      v.setUint32(o + 8, i === 0 ? dataSize : 0x1000, true);
      v.setUint32(o + 12, base + 0x1000 * i + (i === 0 ? 0 : dataSize), true);
      v.setUint32(o + 16, i === 0 ? dataSize : 0, true);
      v.setUint32(o + 20, i === 0 ? dataAt : 0, true);
    }
    const d = dataAt;
    v.setUint32(d + 16, 1, true);
    v.setUint32(d + 20, 1, true);
    v.setUint32(d + 24, exports, true);
    v.setUint32(d + 28, base + 0x40, true);
    v.setUint32(d + 32, base + namesAt, true);
    v.setUint32(d + 36, base + ordinalsAt, true);
    // The function: after the directory (an RVA inside it would be a forwarder).
    v.setUint32(d + 0x40, base + stringAt + 8, true);
    for (let i = 0; i < exports; i++) v.setUint32(d + namesAt + 4 * i, base + stringAt, true);
    bytes.set([0x66, 0], d + stringAt);
    const image = openImage(guardedSource(bytes), 'many.dll');
    expect(image.sections.length).toBe(sectionCount);
    const symbols = image.symbols();
    expect(symbols.length).toBe(exports);
    expect(new Set(symbols.map((s) => `${s.name} ${s.offset} ${s.section}`))).toEqual(new Set([`f ${BigInt(d + stringAt + 8)} 0`]));
  });

  it('named_forgeries_each_give_their_own_error', () => {
    const macho = buildMachO(64, true).bytes;
    const forge = (bytes: Uint8Array, at: number, v: number, little = true): Uint8Array => {
      const b = bytes.slice();
      new DataView(b.buffer).setUint32(at, v, little);
      return b;
    };
    const message = (bytes: Uint8Array, arch?: string): string => {
      try {
        openImage(guardedSource(bytes), 'fuzz', arch === undefined ? {} : { arch }).symbols();
      } catch (error) {
        if (error instanceof ExeFormatError) return error.message;
        throw error;
      }
      return 'no error';
    };
    // ncmds forged huge: the walk stops at the end of sizeofcmds.
    expect(message(forge(macho, 16, 0xffffffff))).toMatch(/load command \d+ of 4294967295 starts past the end of the load commands/);
    // A zero cmdsize would revisit the same command forever.
    expect(message(forge(macho, 32 + 4, 0))).toMatch(/cmdsize 0 is not a multiple of 8 of at least 8/);
    expect(message(forge(macho, 32 + 4, 12))).toMatch(/cmdsize 12 is not a multiple of 8/);
    expect(message(forge(macho, 20, 0x7fffffff))).toMatch(/load commands \(sizeofcmds\)/);
    // nsects larger than the command holds.
    expect(message(forge(macho, 32 + 64, 1000))).toMatch(/too small/);
    // The string table without a NUL at its end.
    const noNul = macho.slice();
    noNul[noNul.length - 1] = 0x41;
    expect(message(noNul)).toMatch(/no NUL|without a NUL/);
    const fatBytes = fat.bytes;
    expect(message(forge(fatBytes, 4, 0x34, false))).toMatch(/Java class/);
    expect(message(forge(fatBytes, 8 + 8, 0xfffff000, false), 'arm64')).toMatch(/not inside the file/);
    expect(message(fatBytes)).toMatch(/2 architectures \(arm64, ppc\)/);
    const pe = buildPe(64).bytes;
    expect(message(forge(pe, 0x3c, 0xfffffff0))).toMatch(/without a PE header/);
    expect(message(forge(pe, 0x40 + 12, 0xffffff00))).toMatch(/not inside the file|outside the file|COFF/);
    expect(message(forge(pe, 0x40 + 16, 0x7fffffff))).toMatch(/COFF symbol table|outside the file|string table/);
    expect(message(forge(pe, 0x40 + 24, 0x10c))).toMatch(/unknown PE optional header magic 0x10c/);
    const peNoNul = pe.slice();
    peNoNul[peNoNul.length - 1] = 0x41;
    expect(message(peNoNul)).toMatch(/COFF symbol 7: the name at 0x[0-9a-f]+ runs to the end of the COFF string table without a NUL/);
    // 20,000 symbols whose names start at successive offsets of one 20,000-byte string: decoding
    // them all would build 200 MB of strings; the table's budget stops it.
    const count = 20000;
    const inflated = new Uint8Array(56 + 16 * count + count + 2);
    const v = new DataView(inflated.buffer);
    for (const [k, x] of [0xfeedfacf, 0x0100000c, 0, 1, 1, 24, 0, 0].entries()) v.setUint32(4 * k, x, true);
    for (const [k, x] of [2, 24, 56, count, 56 + 16 * count, count + 2].entries()) v.setUint32(32 + 4 * k, x, true);
    for (let i = 0; i < count; i++) {
      v.setUint32(56 + 16 * i, 1 + i, true);
      v.setUint8(56 + 16 * i + 4, 1);
    }
    inflated.fill(0x41, 56 + 16 * count + 1, inflated.length - 1);
    expect(message(inflated)).toMatch(/the long names of the string table add up to more than 4 times its size/);
    // NumberOfSections 0xffff: the table would run past the end of the file.
    const sections = pe.slice();
    new DataView(sections.buffer).setUint16(0x40 + 6, 0xffff, true);
    expect(message(sections)).toMatch(/section table/);
  });
});
