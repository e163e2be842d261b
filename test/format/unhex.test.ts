// The dump reader behind `mmapx unhex` (src/format/unhex), in-process: round trips of random
// files through every dialect, dumped by the installed peers (xxd, xxd -b, xxd -p, xxd -i,
// hexdump -C, od; skipped with a notice where missing) and by mmapx's own dumper, parsed back
// (in whole and in 1-byte pieces) to the original; detection; errors with line and column.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type DumpRun, detectUnhexFormat, parseUnhex, type UnhexFormat, UnhexParser, type UnhexParserOptions } from '../../src/format/unhex/index.js';
import { dumpBytes, type Opts } from '../helpers/dump.js';
import { inputErrorOf } from './expect-input-error.js';

/** The file a dump describes: runs placed at their offsets, holes zero, as long as the dump says. */
function assemble(runs: readonly DumpRun[], end: bigint | undefined): Buffer {
  let length = end ?? 0n;
  for (const r of runs) {
    const e = r.offset + BigInt(r.bytes.length) * r.repeat;
    if (e > length) length = e;
  }
  const out = Buffer.alloc(Number(length));
  for (const r of runs) {
    for (let k = 0n; k < r.repeat; k++) out.set(r.bytes, Number(r.offset + k * BigInt(r.bytes.length)));
  }
  return out;
}

function unhexText(text: string | Uint8Array, opts: UnhexParserOptions = {}): { bytes: Buffer; format: UnhexFormat | undefined } {
  const { runs, summary } = parseUnhex(text, opts);
  return { bytes: assemble(runs, summary.end), format: summary.format };
}

/** The same, the dump pushed one byte at a time. */
function unhexBytewise(text: string, opts: UnhexParserOptions = {}): Buffer {
  const runs: DumpRun[] = [];
  const p = new UnhexParser(opts, (r) => runs.push(r));
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; i < bytes.length; i++) p.push(bytes.subarray(i, i + 1));
  return assemble(runs, p.end().end);
}

const dir = mkdtempSync(join(tmpdir(), 'mmapx-unhex-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function works(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { input: 'x' });
  return !r.error && r.status === 0;
}
const HAVE: Record<string, boolean> = { xxd: works('xxd', []), hexdump: works('hexdump', ['-C']), od: works('od', []) };
for (const [tool, ok] of Object.entries(HAVE)) if (!ok) console.warn(`NOTICE: ${tool} not installed; its unhex round trips are SKIPPED`);

function peer(cmd: string, args: string[], data: Uint8Array, stdin = false): string {
  const f = join(dir, 'in.bin');
  writeFileSync(f, data);
  const r = spawnSync(cmd, stdin ? args : [...args, 'in.bin'], {
    cwd: dir,
    input: stdin ? data : undefined,
    encoding: 'latin1',
    env: { ...process.env, LC_ALL: 'C' },
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Random files of 0..1000 bytes with zero stretches and runs of equal 16-byte lines (so `*` lines occur). */
const arbFile = fc
  .array(
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 60 }),
      fc.integer({ min: 1, max: 300 }).map((n) => new Uint8Array(n)),
      fc
        .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 2, max: 12 }))
        .map(([b, k]) => Uint8Array.from(Buffer.concat(Array(k).fill(b)))),
    ),
    { maxLength: 6 },
  )
  .map((parts) => Uint8Array.from(Buffer.concat(parts)).subarray(0, 1000));

/** Sizes the random parts rarely hit. */
const EDGES = [0, 1, 2, 3, 15, 16, 17, 31, 32, 33, 64, 1000].map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 7) % 3));

/** Peer commands whose dumps parse back, detected, to the file: [tool, args, forced format (when detection cannot tell), from stdin]. */
const PEERS: [string, string[], UnhexFormat?, boolean?][] = [
  ['xxd', []],
  ['xxd', ['-g1']],
  ['xxd', ['-c8', '-g4']],
  ['xxd', ['-c10', '-g3', '-u']],
  ['xxd', ['-a']],
  ['xxd', ['-c32', '-g8', '-a']],
  ['xxd', ['-d']],
  ['xxd', ['-s', '5']],
  ['xxd', ['-b']],
  ['xxd', ['-b', '-c4']],
  ['xxd', ['-p']],
  ['xxd', ['-p', '-c7']],
  ['xxd', ['-i']],
  ['xxd', ['-i', '-u', '-C', '-c5']],
  ['xxd', ['-i'], undefined, true],
  ['hexdump', ['-C']],
  ['hexdump', ['-C', '-v']],
  ['od', ['-A', 'x', '-t', 'x1z', '-v']],
  ['od', ['-A', 'x', '-t', 'x1']],
  ['od', ['-t', 'x1']],
  ['od', ['-A', 'd', '-t', 'x2']],
  ['od', ['-A', 'x', '-t', 'x4', '-w8']],
  ['od', ['-A', 'x', '-t', 'x8']],
  ['od', []],
  ['od', ['-A', 'o', '-t', 'o1']],
  ['od', ['-A', 'n', '-t', 'x1', '-v'], 'od'],
];

/** What the dialect of each peer is. */
function expected(tool: string, args: string[]): UnhexFormat {
  if (tool === 'hexdump') return 'canonical';
  if (tool === 'od') return 'od';
  if (args.includes('-b')) return 'bits';
  if (args.includes('-p')) return 'plain';
  if (args.includes('-i')) return 'c';
  return 'xxd';
}

describe('round trips: a dump by the installed peer parses back to the file', () => {
  it.each(PEERS.filter(([t]) => HAVE[t]))('%s %j', (tool, args, forced, stdin) => {
    const check = (data: Uint8Array): void => {
      const text = peer(tool, args, data, stdin);
      // An empty file: xxd and hexdump print nothing, od its final offset alone, which only
      // --format od reads as such when it has 6 digits (od -A x): that is also a 3-byte xxd -p dump.
      const format = forced ?? (data.length === 0 && /^\d{6}\n$/.test(text) ? 'od' : undefined);
      // od -A d: a run of zero lines squeezed up to the final offset can read as octal too
      // (0000160 is 160 or 0o160, both whole lines on): --radix 10 says which.
      const radix = tool === 'od' && args.join(' ').includes('-A d') ? 10 : undefined;
      const got = unhexText(text, { format, radix });
      // xxd -s 5 dumps from offset 5: the first 5 bytes are a hole.
      const want = !args.includes('-s')
        ? Buffer.from(data)
        : data.length <= 5
          ? Buffer.alloc(0)
          : Buffer.concat([Buffer.alloc(5), Buffer.from(data.subarray(5))]);
      expect(got.bytes).toEqual(want);
      if (text.trim() !== '') expect(got.format).toBe(format ?? expected(tool, args));
    };
    EDGES.forEach(check);
    fc.assert(fc.property(arbFile, check), { numRuns: 20 });
  });

  it.skipIf(!HAVE.xxd)('dumps cut into 1-byte pieces parse the same', () => {
    fc.assert(
      fc.property(
        arbFile,
        fc.constantFrom<[string, string[]]>(['xxd', ['-a']], ['xxd', ['-b']], ['xxd', ['-p']], ['xxd', ['-i']], ['xxd', ['-d']]),
        (data, [tool, args]) => {
          expect(unhexBytewise(peer(tool, args, data))).toEqual(Buffer.from(data));
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe("round trips: mmapx's own dumps (every format of hexdump, in-process) parse back", () => {
  const FORMATS: [Opts, UnhexFormat][] = [
    [{ format: 'canonical' }, 'canonical'],
    [{ format: 'canonical', squeeze: false }, 'canonical'],
    [{ format: 'xxd' }, 'xxd'],
    [{ format: 'xxd', group: 1, cols: 8, upper: true }, 'xxd'],
    [{ format: 'xxd', autoskip: true }, 'xxd'],
    [{ format: 'plain' }, 'plain'],
    [{ format: 'plain', cols: 5 }, 'plain'],
    [{ format: 'c', name: 'blob' }, 'c'],
    [{ format: 'json', cols: 16 }, 'json'],
  ];
  it.each(FORMATS)('%j', (opts, format) => {
    const check = (data: Uint8Array): void => {
      const text = dumpBytes(opts, data).toString('latin1');
      const got = unhexText(text);
      expect(got.bytes).toEqual(Buffer.from(data));
      if (data.length > 0) expect(got.format).toBe(format);
      expect(unhexBytewise(text)).toEqual(Buffer.from(data));
    };
    EDGES.forEach(check);
    fc.assert(fc.property(arbFile, check), { numRuns: 30 });
  });

  it('a plain dump on one line longer than a part (xxd -p -c0 of 200 KiB) is read in parts', () => {
    const data = Uint8Array.from({ length: 200 * 1024 }, (_, i) => (i * 31) & 0xff);
    const text = `${Buffer.from(data).toString('hex')}\n`;
    const runs: DumpRun[] = [];
    const p = new UnhexParser({}, (r) => runs.push(r));
    for (let i = 0; i < text.length; i += 4096) p.push(text.slice(i, i + 4096));
    expect(p.end().format).toBe('plain');
    expect(assemble(runs, undefined)).toEqual(Buffer.from(data));
    expect(runs.length).toBeGreaterThan(1); // handed out as it came, not at the end of the line
  });
});

describe('offsets, squeezes and lengths', () => {
  it('holes: a jump in the offsets leaves a gap; hexdump -C * repeats the line before up to the next offset', () => {
    const { runs } = parseUnhex('00000000: 4142  AB\n00100000: 4344  CD\n');
    expect(runs.map((r) => [r.offset, Buffer.from(r.bytes).toString()])).toEqual([
      [0n, 'AB'],
      [0x100000n, 'CD'],
    ]);
    const c = parseUnhex('00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|\n*\n00000040  41 42  |AB|\n00000042\n');
    expect(c.runs.map((r) => [r.offset, r.repeat])).toEqual([
      [0n, 1n],
      [16n, 3n],
      [64n, 1n],
    ]);
    expect(c.summary.end).toBe(0x42n);
  });

  it('the final offset line gives the length; od cuts the padding of a partial last word', () => {
    expect(unhexText('00000000  00 01  |..|\n00000002\n').bytes).toEqual(Buffer.from([0, 1]));
    expect(unhexText('000000 00636261\n000003\n').bytes).toEqual(Buffer.from('abc'));
    expect(inputErrorOf(() => parseUnhex('00000000  00  |.|\n00000005\n', { name: 'd' })).message).toBe(
      'd line 2, col 1: final offset 0x5 does not match the end of the data 0x1',
    );
  });

  it('the base of the offsets: xxd -d and od -A d|o are told apart by the second line; --radix forces one', () => {
    expect(parseUnhex('00000000: 0001 0203 0405 0607 0809 0a0b 0c0d 0e0f  ................\n00000016: 10  .\n').summary.radix).toBe(10);
    expect(parseUnhex('00000000: 0001 0203 0405 0607 0809 0a0b 0c0d 0e0f  ................\n00000010: 10  .\n').summary.radix).toBe(16);
    expect(parseUnhex('0000000 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n0000020 10\n0000021\n').summary.radix).toBe(8);
    expect(parseUnhex('0000000 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n0000016 10\n0000017\n').summary.radix).toBe(10);
    const forced = parseUnhex('00000100: 41  A\n', { radix: 10 });
    expect(forced.runs[0]!.offset).toBe(100n);
  });

  it('a C array: entries in any base, comments, and _len checked', () => {
    const text = 'static const unsigned char x[] = { // a comment\n  0x41, 0102, 67, 0b01000100, /* e */ 0X45\n};\nunsigned int x_len = 5;\n';
    expect(unhexText(text).bytes.toString()).toBe('ABCDE');
    expect(unhexText('unsigned char y[] =\n{\n  0x00\n};\n').bytes).toEqual(Buffer.from([0]));
    expect(unhexText('unsigned char y[] = {\n};\nunsigned int y_len = 0;\n').bytes).toEqual(Buffer.alloc(0));
    // xxd -i -t (newer xxd) adds a terminating 0 that _len does not count.
    expect(unhexText('unsigned char z[] = {\n  0x41, 0x00\n};\nunsigned int z_len = 1;\n').bytes.toString()).toBe('A');
  });
});

describe('detection', () => {
  it.each([
    ['00000000: 4865 6c6c  Hell', 'xxd'],
    ['00000000: 01001000 01100101  He', 'bits'],
    ['00000000: 01000100 01010000  ........', 'xxd'],
    ['48656c6c6f', 'plain'],
    ['0b0101', 'plain'],
    ['00000000  48 65 6c 6c  |Hell|', 'canonical'],
    ['000000 48 65 6c 6c  >Hell<', 'od'],
    ['0000000 062510 066154', 'od'],
    [' 48 65 6c', 'od'],
    ['unsigned char hello[] = {', 'c'],
    ['  0x48, 0x65, 0x6c,', 'c'],
    ['{"offset":0,"length":2,"hex":"4865"}', 'json'],
    ['hello', undefined],
  ])('%j is %s', (line, format) => {
    expect(detectUnhexFormat(line)).toBe(format);
  });

  it('a long line of hex digits is plain, told in linear time', () => {
    // The od test used to retry its lookahead at every shorter length of the offset: minutes for
    // 256 KiB, quadratic in the line. A hundred times the linear cost is still far below the bound.
    const started = performance.now();
    expect(detectUnhexFormat('a5'.repeat(128 * 1024))).toBe('plain');
    expect(detectUnhexFormat(`00000000 4142${'  >'.repeat(64 * 1024)}`)).toBeUndefined();
    expect(detectUnhexFormat(`00000000 4142  >${' '.repeat(256 * 1024)}AB<`)).toBe('od');
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('errors name the line and column', () => {
  it.each<[string, UnhexParserOptions, string]>([
    ['00000000: 4865 6c6c  He\n00000004: 6g6f  o\n', {}, "d line 2, col 12: 'g' is not a hex digit"],
    ['00000000: 486  H\n', {}, 'd line 1, col 11: odd number of hex digits'],
    ['4865\n6c6\n', {}, 'd line 2, col 3: odd number of hex digits (7): the last one has no pair'],
    ['4865\n6c:6\n', {}, "d line 2, col 3: ':' is not a hex digit (a plain dump holds only hex digits and blanks)"],
    ['00000010  41 42  |AB|\n00000000  43  |C|\n', {}, 'd line 2, col 1: offset 0x0 goes back: the data before it ends at 0x12'],
    ['000010 41 42\n000000 43\n', {}, 'd line 2, col 1: offset 0x0 goes back: the data before it ends at 0x12'],
    ['00000000: 0102 0304  ....\n*\n', {}, "d line 2, col 1: '*' at the end: no following offset says where the run ends"],
    ['00000000: 01001000 0110010  H.\n', { format: 'bits' }, 'd line 1, col 20: 7 binary digits: not whole bytes (8 digits each)'],
    ['unsigned char x[] = {\n  0x41, 0x4g\n};\n', {}, "d line 2, col 9: '0x4g' is not a byte value (0x48, 0b01001000, 72 or 0110)"],
    ['unsigned char x[] = {\n  0x41, 256\n};\n', {}, "d line 2, col 9: '256' is more than a byte (255)"],
    ['unsigned char x[] = {\n  0x41\n};\nunsigned int x_len = 2;\n', {}, 'd line 4, col 14: the array holds 1 bytes, but its length says 2'],
    ['{"offset":0,"length":3,"hex":"4865"}\n', {}, 'd line 1, col 24: "hex" holds 4 digits, "length" says 3 bytes'],
    ['000000 41 4\n', { format: 'od' }, "d line 1, col 11: '4' is not one hex byte"],
    [
      '\n\nhello world\n',
      {},
      'd line 3, col 1: not a dump unhex reads (xxd, xxd -b, xxd -p, hexdump -C, xxd -i, od, mmapx hexdump -f json): give --format to say which it is',
    ],
  ])('%j', (text, opts, message) => {
    const e = inputErrorOf(() => parseUnhex(text, { name: 'd', ...opts }));
    expect(e.message).toBe(message);
    expect(e.location.line).toBe(Number(/line (\d+)/.exec(message)![1]));
    // The same error when the dump comes one byte at a time.
    expect(inputErrorOf(() => unhexBytewise(text, { name: 'd', ...opts })).message).toBe(message);
  });

  it('a line of another dialect longer than 1 MiB is refused, not held', () => {
    const p = new UnhexParser({ name: 'd' }, () => {});
    p.push('00000000: ');
    const long = '41'.repeat(64 * 1024);
    expect(
      inputErrorOf(() => {
        for (let i = 0; i < 9; i++) p.push(long);
      }).message,
    ).toMatch(/^d line 1, col 1: a line longer than 1 MiB: not a xxd dump line$/);
  });
});
