// In-process tests of the dump engine: the reference outputs from DUMP-FORMATS.md as goldens (so
// the suite means something without xxd/hexdump installed), options, colour, json, chunking and
// window-split properties. Differential tests against the real tools: dump-peers.test.ts.
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { dumpBytes, type Opts } from '../helpers/dump.js';
import {
  BYTE_CATEGORIES,
  byteCategory,
  CHUNK_BYTES,
  cIdentifier,
  createDumper,
  displayChar,
  dumpToString,
  type ByteCategory,
  type DumpColors,
  type DumpOptions,
} from '../../src/format/dump/index.js';

/** The dump as a string, bytes pushed in windows cut at `cuts`. */
function dump(opts: Opts, bytes: Uint8Array, cuts: readonly number[] = []): string {
  return dumpBytes(opts, bytes, cuts).toString('utf8');
}

const lines = (...l: string[]) => l.map((s) => `${s}\n`).join('');

/** s.bin of DUMP-FORMATS.md: "Hello, world!\n" 00 01 02 ff, 40 zero bytes, "tail" (62 bytes). */
const S_BIN = Buffer.concat([Buffer.from('Hello, world!\n'), Buffer.from([0, 1, 2, 0xff]), Buffer.alloc(40), Buffer.from('tail')]);
const REP_BIN = Buffer.from(`${'ABCDEFGHIJKLMNOP'.repeat(4)}ABCD`);

describe('reference outputs (DUMP-FORMATS.md)', () => {
  it('xxd', () => {
    expect(dump({ format: 'xxd' }, S_BIN)).toBe(
      lines(
        '00000000: 4865 6c6c 6f2c 2077 6f72 6c64 210a 0001  Hello, world!...',
        '00000010: 02ff 0000 0000 0000 0000 0000 0000 0000  ................',
        '00000020: 0000 0000 0000 0000 0000 0000 0000 0000  ................',
        '00000030: 0000 0000 0000 0000 0000 7461 696c       ..........tail',
      ),
    );
    expect(dump({ format: 'xxd', group: 1 }, S_BIN.subarray(0, 16))).toBe(lines('00000000: 48 65 6c 6c 6f 2c 20 77 6f 72 6c 64 21 0a 00 01  Hello, world!...'));
    expect(dump({ format: 'xxd', cols: 8, group: 4, start: 0x30n }, S_BIN.subarray(0x30))).toBe(
      lines('00000030: 00000000 00000000  ........', '00000038: 00007461 696c      ..tail'),
    );
    expect(dump({ format: 'xxd', cols: 10, group: 4 }, S_BIN.subarray(0, 10))).toBe(lines('00000000: 48656c6c 6f2c2077 6f72  Hello, wor'));
    expect(dump({ format: 'xxd', start: 5n }, S_BIN.subarray(5, 25))).toBe(
      lines('00000005: 2c20 776f 726c 6421 0a00 0102 ff00 0000  , world!........', '00000015: 0000 0000                                ....'),
    );
    expect(dump({ format: 'xxd', upper: true, start: 0xabcdefn }, S_BIN.subarray(0, 4))).toBe(lines('00abcdef: 4865 6C6C                                Hell'));
    expect(dump({ format: 'xxd' }, new Uint8Array(0))).toBe('');
  });

  it('xxd -a', () => {
    const a = Buffer.concat([Buffer.from('A'), Buffer.alloc(15 + 48), Buffer.from('B')]);
    expect(dump({ format: 'xxd', autoskip: true }, a)).toBe(
      lines(
        '00000000: 4100 0000 0000 0000 0000 0000 0000 0000  A...............',
        '00000010: 0000 0000 0000 0000 0000 0000 0000 0000  ................',
        '*',
        '00000040: 42                                       B',
      ),
    );
    const zero = '0000 0000 0000 0000 0000 0000 0000 0000  ................';
    expect(dump({ format: 'xxd', autoskip: true }, Buffer.alloc(64))).toBe(lines(`00000000: ${zero}`, '*', `00000030: ${zero}`));
    // xxd's quirk: exactly three zero lines at the very end are all printed.
    expect(dump({ format: 'xxd', autoskip: true }, Buffer.alloc(48))).toBe(lines(`00000000: ${zero}`, `00000010: ${zero}`, `00000020: ${zero}`));
    // Identical non-zero lines are never squeezed by xxd.
    expect(dump({ format: 'xxd', autoskip: true }, REP_BIN).split('\n')).toHaveLength(6);
  });

  it('xxd -p and xxd -i', () => {
    expect(dump({ format: 'plain' }, S_BIN)).toBe(
      lines('48656c6c6f2c20776f726c64210a000102ff000000000000000000000000', '000000000000000000000000000000000000000000000000000000007461', '696c'),
    );
    expect(dump({ format: 'plain' }, new Uint8Array(0))).toBe('');
    expect(dump({ format: 'plain', cols: 0 }, new Uint8Array(0))).toBe('\n');
    expect(dump({ format: 'plain', cols: 0 }, S_BIN.subarray(0, 3))).toBe('48656c\n');
    expect(dump({ format: 'c', name: 's.bin' }, S_BIN.subarray(0, 14))).toBe(
      lines(
        'unsigned char s_bin[] = {',
        '  0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x2c, 0x20, 0x77, 0x6f, 0x72, 0x6c, 0x64,',
        '  0x21, 0x0a',
        '};',
        'unsigned int s_bin_len = 14;',
      ),
    );
    expect(dump({ format: 'c', name: 'e.bin' }, new Uint8Array(0))).toBe(lines('unsigned char e_bin[] = {', '};', 'unsigned int e_bin_len = 0;'));
    expect(dump({ format: 'c', varName: '9li-ves', capitalize: true, upper: true }, S_BIN.subarray(0, 2))).toBe(
      lines('unsigned char __9LI_VES[] = {', '  0X48, 0X65', '};', 'unsigned int __9LI_VES_LEN = 2;'),
    );
    expect(dump({ format: 'c' }, S_BIN.subarray(0, 5))).toBe(lines('  0x48, 0x65, 0x6c, 0x6c, 0x6f'));
  });

  it('hexdump -C', () => {
    expect(dump({ format: 'canonical' }, S_BIN)).toBe(
      lines(
        '00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 01  |Hello, world!...|',
        '00000010  02 ff 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|',
        '00000020  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|',
        '00000030  00 00 00 00 00 00 00 00  00 00 74 61 69 6c        |..........tail|',
        '0000003e',
      ),
    );
    expect(dump({ format: 'canonical' }, REP_BIN)).toBe(
      lines(
        '00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|',
        '*',
        '00000040  41 42 43 44                                       |ABCD|',
        '00000044',
      ),
    );
    expect(dump({ format: 'canonical' }, Buffer.alloc(64))).toBe(
      lines('00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|', '*', '00000040'),
    );
    expect(dump({ format: 'canonical', start: 3n }, S_BIN.subarray(3, 8))).toBe(
      lines('00000003  6c 6f 2c 20 77                                    |lo, w|', '00000008'),
    );
    expect(dump({ format: 'canonical', squeeze: false }, Buffer.alloc(32)).split('\n')).toHaveLength(4);
    expect(dump({ format: 'canonical' }, new Uint8Array(0))).toBe('');
    // `hexdump -C -s 5` at the end of a 5-byte file.
    expect(dump({ format: 'canonical', start: 5n }, new Uint8Array(0))).toBe('00000005\n');
  });

  it('offsets at and beyond 2^32 widen the offset field and shift the line', () => {
    const bytes = Buffer.from('0123456789abcdefghijklmnopqrstuv');
    expect(dump({ format: 'canonical', start: 0xfffffff0n }, bytes)).toBe(
      lines(
        'fffffff0  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|',
        '100000000  67 68 69 6a 6b 6c 6d 6e  6f 70 71 72 73 74 75 76  |ghijklmnopqrstuv|',
        '100000010',
      ),
    );
    expect(dump({ format: 'xxd', start: 0xffffffff8n, cols: 8 }, bytes.subarray(0, 16))).toBe(
      lines('ffffffff8: 3031 3233 3435 3637  01234567', '1000000000: 3839 6162 6364 6566  89abcdef'),
    );
    // Shown offsets wrap at 2^64 as xxd's do (only a display offset gets there: no file is that large).
    expect(dump({ format: 'xxd', start: (1n << 64n) - 16n, cols: 16, group: 16 }, Buffer.alloc(32))).toBe(
      lines('fffffffffffffff0: 00000000000000000000000000000000  ................', '00000000: 00000000000000000000000000000000  ................'),
    );
    // Exact far beyond 2^53.
    expect(dump({ format: 'xxd', start: 0x7fffffffffffff00n }, bytes.subarray(0, 2))).toBe(
      lines('7fffffffffffff00: 3031                                     01'),
    );
  });
});

describe('byte model', () => {
  it('five categories, space and \\v as whitespace', () => {
    const expected = (b: number): ByteCategory =>
      b === 0
        ? 'null'
        : b >= 0x21 && b <= 0x7e
          ? 'asciiPrintable'
          : b === 0x20 || (b >= 0x09 && b <= 0x0d)
            ? 'asciiWhitespace'
            : b < 0x80
              ? 'asciiOther'
              : 'nonAscii';
    for (let b = 0; b < 256; b++) expect(byteCategory(b)).toBe(expected(b));
    expect(byteCategory(0x0b)).toBe('asciiWhitespace');
    expect(byteCategory(0x7f)).toBe('asciiOther');
    expect(BYTE_CATEGORIES).toEqual(['null', 'asciiPrintable', 'asciiWhitespace', 'asciiOther', 'nonAscii']);
    expect(() => byteCategory(256)).toThrow(RangeError);
  });

  it('display characters: the byte for 0x20..0x7e, else "."', () => {
    for (let b = 0; b < 256; b++) expect(displayChar(b)).toBe(b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '.');
    expect(() => displayChar(-1)).toThrow(RangeError);
  });

  it('C identifiers as xxd derives them', () => {
    expect(cIdentifier('s.bin')).toBe('s_bin');
    expect(cIdentifier('./s.bin')).toBe('__s_bin');
    expect(cIdentifier('9li-ves.bin')).toBe('__9li_ves_bin');
    expect(cIdentifier('9li-ves', true)).toBe('__9LI_VES');
    expect(cIdentifier('é.bin')).toBe('___bin');
    expect(cIdentifier('dir/Sub Dir/x')).toBe('dir_Sub_Dir_x');
    expect(cIdentifier('')).toBe('');
  });
});

describe('options', () => {
  const bad: [string, Partial<DumpOptions>][] = [
    ['unknown format', { format: 'hexedit' as never }],
    ['negative start', { format: 'xxd', start: -1n }],
    ['start beyond 64 bits', { format: 'xxd', start: 1n << 64n }],
    ['start not a bigint', { format: 'xxd', start: 5 as never }],
    ['xxd -c 257', { format: 'xxd', cols: 257 }],
    ['xxd -c -1', { format: 'xxd', cols: -1 }],
    ['fractional cols', { format: 'xxd', cols: 1.5 }],
    ['plain -c -5', { format: 'plain', cols: -5 }],
    ['canonical -c 8', { format: 'canonical', cols: 8 }],
    ['canonical -g', { format: 'canonical', group: 2 }],
    ['plain -g', { format: 'plain', group: 2 }],
    ['fractional group', { format: 'xxd', group: 2.5 }],
    ['squeeze with xxd', { format: 'xxd', squeeze: false }],
    ['autoskip with canonical', { format: 'canonical', autoskip: true }],
    ['autoskip with plain', { format: 'plain', autoskip: true }],
    ['name with xxd', { format: 'xxd', name: 'x' }],
    ['varName with json', { format: 'json', varName: 'x' }],
    ['json cols too large', { format: 'json', cols: (1 << 20) + 1 }],
    ['path with xxd', { format: 'xxd', path: 'a.bin' }],
    ['path not a string', { format: 'json', path: 7 as never }],
    ['unknown colour category', { format: 'xxd', colors: { bold: { open: '', close: '' } } as never }],
    ['colour string too long', { format: 'xxd', colors: { null: { open: 'x'.repeat(33), close: '' } } }],
    ['bits with plain', { format: 'plain', bits: true }],
    ['bits with canonical', { format: 'canonical', bits: true }],
    ['bits and littleEndian', { format: 'xxd', bits: true, littleEndian: true }],
    ['littleEndian with c', { format: 'c', littleEndian: true }],
    ['littleEndian, group 3', { format: 'xxd', littleEndian: true, group: 3 }],
    ['littleEndian, group 6 of 12 columns', { format: 'xxd', littleEndian: true, group: 6, cols: 12 }],
    ['bits -c 257', { format: 'xxd', bits: true, cols: 257 }],
    ['decimal with canonical', { format: 'canonical', decimal: true }],
    ['displayOffset with json', { format: 'json', displayOffset: 5n }],
    ['displayOffset with plain', { format: 'plain', displayOffset: 5n }],
    ['displayOffset 2^64', { format: 'xxd', displayOffset: 1n << 64n }],
    ['displayOffset -(2^64)', { format: 'xxd', displayOffset: -(1n << 64n) }],
    ['displayOffset a number', { format: 'xxd', displayOffset: 5 as never }],
    ['ebcdic with c', { format: 'c', ebcdic: true }],
    ['capitalize with xxd', { format: 'xxd', capitalize: true }],
    ['bits not a boolean', { format: 'xxd', bits: 1 as never }],
  ];
  it.each(bad)('%s is an InputError (exit 2)', (_, opts) => {
    const run = () => createDumper({ start: 0n, ...opts } as DumpOptions, () => {});
    expect(run).toThrow(InputError);
    try {
      run();
    } catch (e) {
      expect((e as InputError).exitCode).toBe(2);
    }
  });

  it('accepts what xxd accepts: -c0, -g -1/0/large, canonical -c 16, huge -p/-i columns', () => {
    const bytes = Buffer.from('abcdef');
    expect(dump({ format: 'xxd', cols: 0 }, bytes)).toBe(dump({ format: 'xxd' }, bytes));
    expect(dump({ format: 'xxd', group: -1 }, bytes)).toBe(dump({ format: 'xxd' }, bytes));
    expect(dump({ format: 'xxd', group: 0 }, bytes)).toBe(dump({ format: 'xxd', group: 300 }, bytes));
    expect(dump({ format: 'canonical', cols: 16 }, bytes)).toBe(dump({ format: 'canonical' }, bytes));
    expect(dump({ format: 'plain', cols: 100000 }, bytes)).toBe('616263646566\n');
    expect(dump({ format: 'c', cols: 0 }, bytes)).toBe(dump({ format: 'c', cols: 12 }, bytes));
    expect(dump({ format: 'xxd', bits: true, cols: 0 }, bytes)).toBe(dump({ format: 'xxd', bits: true, cols: 6 }, bytes));
    expect(dump({ format: 'xxd', littleEndian: true, cols: 0 }, bytes)).toBe(dump({ format: 'xxd', littleEndian: true, cols: 16, group: 4 }, bytes));
    // -e with a group clamped to a line of 8 (a power of 2), as xxd clamps it.
    expect(dump({ format: 'xxd', littleEndian: true, cols: 8, group: 300 }, bytes)).toBe(dump({ format: 'xxd', littleEndian: true, cols: 8, group: 8 }, bytes));
  });

  it('ignores colours for plain, c and json (as xxd -R does not touch -p / -i)', () => {
    const colors = { asciiPrintable: { open: '<', close: '>' } };
    for (const format of ['plain', 'c', 'json'] as const) {
      expect(dump({ format, colors }, S_BIN)).toBe(dump({ format }, S_BIN));
    }
  });
});

describe('json', () => {
  it('one object per line of up to cols bytes, absolute offsets', () => {
    const bytes = Buffer.from(Array.from({ length: 10000 }, (_, i) => (i * 7) & 0xff));
    const out = dump({ format: 'json', start: 100n }, bytes, [1, 4097, 9000]);
    const objs = out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { offset: number; length: number; hex: string });
    expect(objs.map((o) => [o.offset, o.length])).toEqual([
      [100, 4096],
      [4196, 4096],
      [8292, 1808],
    ]);
    expect(Buffer.concat(objs.map((o) => Buffer.from(o.hex, 'hex')))).toEqual(bytes);
    expect(Object.keys(objs[0]!)).toEqual(['offset', 'length', 'hex']);
    expect(dump({ format: 'json' }, new Uint8Array(0))).toBe('');
  });

  it('upper, cols, and exact offsets above 2^53', () => {
    expect(dump({ format: 'json', cols: 2, upper: true, start: (1n << 60n) + 5n }, Buffer.from([0xab, 0xcd, 0xef]))).toBe(
      lines('{"offset":1152921504606846981,"length":2,"hex":"ABCD"}', '{"offset":1152921504606846983,"length":1,"hex":"EF"}'),
    );
  });

  it('a path key first on every line, in ASCII-only JSON', () => {
    const path = 'dir/ä "q"\\n\u{1f600}.bin';
    const out = dump({ format: 'json', cols: 2, path }, Buffer.from([1, 2, 3]));
    expect(/^[\x20-\x7e\n]*$/.test(out)).toBe(true);
    const objs = out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs).toEqual([
      { path, offset: 0, length: 2, hex: '0102' },
      { path, offset: 2, length: 1, hex: '03' },
    ]);
    expect(Object.keys(objs[0]!)).toEqual(['path', 'offset', 'length', 'hex']);
  });

  it('lines longer than an output chunk', () => {
    const bytes = Buffer.alloc((1 << 20) + 100, 0x5a);
    const out = dump({ format: 'json', cols: 1 << 20 }, bytes, [12345]);
    const [a, b] = out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { offset: number; length: number; hex: string });
    expect([a!.offset, a!.length, b!.offset, b!.length]).toEqual([0, 1 << 20, 1 << 20, 100]);
    expect(a!.hex).toBe('5a'.repeat(1 << 20));
  });
});

describe('streaming', () => {
  it('hands the sink big chunks (at most CHUNK_BYTES; all but the last over 256 KiB)', () => {
    const bytes = Buffer.alloc(8 << 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    for (const format of ['canonical', 'xxd', 'plain', 'c', 'json'] as const) {
      const sizes: number[] = [];
      const d = createDumper({ start: 0n, format }, (chunk) => sizes.push(chunk.length));
      for (let i = 0; i < bytes.length; i += 3 << 20) d.push(bytes.subarray(i, i + (3 << 20)));
      d.end();
      expect(Math.max(...sizes), format).toBeLessThanOrEqual(CHUNK_BYTES);
      expect(Math.min(...sizes.slice(0, -1)), format).toBeGreaterThan(256 << 10);
    }
  });

  it('rejects push after end and a second end', () => {
    for (const format of ['canonical', 'xxd', 'plain', 'c', 'json'] as const) {
      const d = createDumper({ start: 0n, format }, () => {});
      d.push(new Uint8Array(3));
      d.end();
      expect(() => d.push(new Uint8Array(1))).toThrow();
      expect(() => d.end()).toThrow();
    }
  });

  it('window boundaries never change the output, any format (fast-check)', () => {
    const formats: fc.Arbitrary<Opts> = fc.oneof(
      fc.record({ format: fc.constant('canonical' as const), squeeze: fc.boolean() }),
      fc.record({ format: fc.constant('xxd' as const), cols: fc.integer({ min: 0, max: 40 }), group: fc.integer({ min: -1, max: 9 }), autoskip: fc.boolean() }),
      fc.record({ format: fc.constant('plain' as const), cols: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ format: fc.constant('c' as const), cols: fc.integer({ min: 0, max: 20 }), name: fc.constant('x.bin') }),
      fc.record({ format: fc.constant('json' as const), cols: fc.integer({ min: 0, max: 50 }) }),
    );
    fc.assert(
      fc.property(
        formats,
        fc.uint8Array({ maxLength: 700 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.bigInt({ min: 0n, max: 1n << 40n }),
        (opts, bytes, seeds, start) => {
          // Repeated and zero lines so that squeezing and autoskip are exercised too.
          const b = Buffer.from(bytes);
          for (let i = 32; i + 16 <= b.length; i += 48) b.copy(b, i, i - 16, i);
          const cuts = seeds.map((s) => s % (b.length + 1));
          expect(dump({ ...opts, start }, b, cuts)).toBe(dump({ ...opts, start }, b));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('colour', () => {
  // A readable colour map; « » cannot occur in uncoloured output (always ASCII).
  const tags: DumpColors = {
    null: { open: '«nul»', close: '«/nul»' },
    asciiPrintable: { open: '«prn»', close: '«/prn»' },
    asciiWhitespace: { open: '«ws»', close: '«/ws»' },
    asciiOther: { open: '«ctl»', close: '«/ctl»' },
    nonAscii: { open: '«hi»', close: '«/hi»' },
  };
  const strip = (s: string) => s.replace(/«\/?[a-z]+»/g, '');

  it('canonical: each byte wrapped in the hex area; runs share a pair in the text column', () => {
    const bytes = Buffer.from('Hi \x00\x00\x01\x7f\x80\xff\t!', 'latin1');
    expect(dump({ format: 'canonical', colors: tags }, bytes)).toBe(
      lines(
        '00000000  «prn»48«/prn» «prn»69«/prn» «ws»20«/ws» «nul»00«/nul» «nul»00«/nul» «ctl»01«/ctl» «ctl»7f«/ctl» «hi»80«/hi»  ' +
          '«hi»ff«/hi» «ws»09«/ws» «prn»21«/prn»                 |«prn»Hi«/prn»«ws» «/ws»«nul»..«/nul»«ctl»..«/ctl»«hi»..«/hi»«ws».«/ws»«prn»!«/prn»|',
        '0000000b',
      ),
    );
  });

  it('xxd: the bytes of one group share a pair; spaces, offsets and * stay uncoloured', () => {
    const bytes = Buffer.concat([Buffer.from('AB\x00\x00C'), Buffer.alloc(11), Buffer.alloc(64), Buffer.from('z')]);
    expect(dump({ format: 'xxd', autoskip: true, colors: tags }, bytes)).toBe(
      lines(
        '00000000: «prn»4142«/prn» «nul»0000«/nul» «prn»43«/prn»«nul»00«/nul» «nul»0000«/nul» «nul»0000«/nul» «nul»0000«/nul» «nul»0000«/nul» «nul»0000«/nul»  «prn»AB«/prn»«nul»..«/nul»«prn»C«/prn»«nul»...........«/nul»',
        '00000010: «nul»0000«/nul» «nul»0000«/nul» «nul»0000«/nul» «nul»0000«/nul» «nul»0000«/nul» «nul»0000«/nul» «nul»0000«/nul» «nul»0000«/nul»  «nul»................«/nul»',
        '*',
        `00000050: «prn»7a«/prn»${' '.repeat(39)}«prn»z«/prn»`,
      ),
    );
  });

  it('xxd -e (little-endian groups) is never coloured: colours are ignored, as documented', () => {
    const bytes = Buffer.from('Hello, world!\x00\x01\xff');
    expect(dump({ format: 'xxd', littleEndian: true, colors: tags }, bytes)).toBe(dump({ format: 'xxd', littleEndian: true }, bytes));
  });

  it('a category without a colour stays plain and splits runs', () => {
    const only: DumpColors = { asciiPrintable: { open: '[', close: ']' } };
    expect(dump({ format: 'xxd', colors: only }, Buffer.from('ab\x00cd'))).toBe(lines(`00000000: [6162] 00[63] [64]${' '.repeat(29)}[ab].[cd]`));
  });

  it('removing the colour strings gives exactly the uncoloured dump (fast-check)', () => {
    const colorsArb = fc
      .subarray([...BYTE_CATEGORIES])
      .chain((cats) => fc.tuple(fc.constant(cats), fc.array(fc.boolean(), { minLength: cats.length, maxLength: cats.length })))
      .map(([cats, empty]) => Object.fromEntries(cats.map((c, i) => [c, empty[i] ? { open: '', close: '' } : tags[c]!])) as DumpColors);
    const formats: fc.Arbitrary<Opts> = fc.oneof(
      fc.record({
        format: fc.constant('canonical' as const),
        squeeze: fc.boolean(),
        upper: fc.boolean(),
        ebcdic: fc.boolean(),
        displayOffset: fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }),
      }),
      fc.record({
        format: fc.constant('xxd' as const),
        cols: fc.integer({ min: 0, max: 64 }),
        group: fc.integer({ min: -1, max: 70 }),
        autoskip: fc.boolean(),
        upper: fc.boolean(),
        bits: fc.boolean(),
        decimal: fc.boolean(),
        ebcdic: fc.boolean(),
        displayOffset: fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }),
      }),
    );
    fc.assert(
      fc.property(
        formats,
        colorsArb,
        fc.uint8Array({ maxLength: 500 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.bigInt({ min: 0n, max: 1n << 36n }),
        (opts, colors, bytes, seeds, start) => {
          const b = Buffer.from(bytes);
          for (let i = 48; i + 16 <= b.length; i += 64) b.fill(0, i - 32, i).copy(b, i, i - 16, i);
          const cuts = seeds.map((s) => s % (b.length + 1));
          const colored = dump({ ...opts, start, colors }, b, cuts);
          expect(strip(colored)).toBe(dump({ ...opts, start }, b));
          // Every pair wraps only characters of its own category, hex digits or text-column chars.
          const tagOf = Object.fromEntries(Object.entries(tags).map(([c, t]) => [t.open.slice(1, -1), c as ByteCategory]));
          for (const m of colored.matchAll(/«([a-z]+)»(.*?)«\/([a-z]+)»/g)) {
            expect(m[1]).toBe(m[3]);
            const cat = tagOf[m[1]!]!;
            const content = m[2]!;
            const asHex = /^([0-9a-fA-F]{2})+$/.test(content) && content.match(/../g)!.every((h) => byteCategory(parseInt(h, 16)) === cat);
            const asBits = /^([01]{8})+$/.test(content) && content.match(/.{8}/g)!.every((b) => byteCategory(parseInt(b, 2)) === cat);
            // '.' stands for any non-displayable byte (and is itself printable). An EBCDIC
            // character's category is its byte's, not the character's: not checked here.
            const asText = opts.ebcdic || [...content].every((ch) => ch === '.' || byteCategory(ch.charCodeAt(0)) === cat);
            expect(asHex || asBits || asText, `«${m[1]}»${content}`).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('dumpToString', () => {
  it('returns the whole dump', () => {
    expect(dumpToString({ start: 0n, format: 'plain' }, Buffer.from('hi'))).toBe('6869\n');
  });
});
