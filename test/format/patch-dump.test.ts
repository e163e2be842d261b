import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPatchToBytes, detectDumpLayout, dumpToPatch, parseDump, parseHexdumpC, parseXxdDump, type Dump } from '../../src/format/patch/index.js';
import { inputErrorOf as inputError } from './expect-input-error.js';

/** The bytes a dump describes, as a fresh file (gaps are zeros). */
function bytesOf(dump: Dump): Uint8Array {
  return applyPatchToBytes(new Uint8Array(0), dumpToPatch(dump), { grow: true }).bytes;
}

// s.bin of the reference: "Hello, world!\n" 00 01 02 ff + 40 x 00 + "tail" (62 bytes).
const S_BIN = Buffer.concat([Buffer.from('Hello, world!\n'), Buffer.from([0, 1, 2, 0xff]), Buffer.alloc(40), Buffer.from('tail')]);

describe('xxd dumps', () => {
  it('parses the default layout including the short last line and ignores the ASCII column', () => {
    const text = [
      '00000000: 4865 6c6c 6f2c 2077 6f72 6c64 210a 0001  Hello, world!...',
      '00000010: 02ff 0000 0000 0000 0000 0000 0000 0000  ................',
      '00000020: 0000 0000 0000 0000 0000 0000 0000 0000  ................',
      '00000030: 0000 0000 0000 0000 0000 7461 696c       ..........tail',
      '',
    ].join('\n');
    expect(Buffer.from(bytesOf(parseXxdDump(text)))).toEqual(S_BIN);
  });

  it('parses -g1, -c8 -g4, -c10 -g4 and -s layouts', () => {
    expect(parseXxdDump('00000000: 48 65 6c 6c 6f 2c 20 77 6f 72 6c 64 21 0a 00 01  Hello, world!...\n').runs[0]!.bytes).toEqual(
      Uint8Array.from(S_BIN.subarray(0, 16)),
    );
    const c8 = parseXxdDump('00000030: 00000000 00000000  ........\n00000038: 00007461 696c      ..tail\n');
    expect(c8.runs.map((r) => [r.offset, Buffer.from(r.bytes).toString('hex')])).toEqual([
      [0x30n, '0000000000000000'],
      [0x38n, '00007461696c'],
    ]);
    expect(Buffer.from(parseXxdDump('00000000: 48656c6c 6f2c2077 6f72  Hello, wor\n').runs[0]!.bytes).toString()).toBe('Hello, wor');
    expect(parseXxdDump('00000005: 2c20 776f  , wo\n').runs[0]!.offset).toBe(5n);
  });

  it('ignores an ASCII column that looks like hex, and accepts uppercase and hand-edited spacing', () => {
    const d = parseXxdDump('00000000: 6465 6164  dead\n00000004:BEEF  beef 00 11\n00000006: ca fe\t0011\n');
    expect(d.runs.map((r) => Buffer.from(r.bytes).toString('hex'))).toEqual(['64656164', 'beef', 'cafe']);
  });

  it('reads offsets wider than 8 digits', () => {
    const d = parseXxdDump('100000000: 0102  ..\n');
    expect(d.runs[0]!.offset).toBe(0x100000000n);
  });

  it('expands a * autoskip line up to the next offset', () => {
    const text = [
      '00000000: 4100 0000 0000 0000 0000 0000 0000 0000  A...............',
      '00000010: 0000 0000 0000 0000 0000 0000 0000 0000  ................',
      '*',
      '00000040: 42                                       B',
    ].join('\n');
    const want = new Uint8Array(0x41);
    want[0] = 0x41;
    want[0x40] = 0x42;
    expect(bytesOf(parseXxdDump(text))).toEqual(want);
    const runs = parseXxdDump(text).runs;
    expect(runs[2]).toMatchObject({ offset: 0x20n, repeat: 2n, line: 3 });
  });

  it.each([
    ['00000000  48 65', 1, "expected an xxd line 'OFFSET: hex...'"],
    ['00000000: 486', 11, 'odd number of hex digits'],
    ['00000000: 48g5', 13, "'g' is not a hex digit"],
    ['00000000:    ', 10, 'no hex bytes'],
    ['00000000:  6465  de', 10, 'no hex bytes'],
    ['*', 1, "'*' before any data line"],
  ])('rejects %j (col %i: %s)', (line, col, message) => {
    const e = inputError(() => parseXxdDump(`00000000: 00  .\n${line}\n`.replace(/^.*\n(?=\*\n$)/, ''), 'd.hex'));
    expect(e.message).toContain(message);
    expect(e.message).toMatch(new RegExp(`^d\\.hex line [12], col ${col}: `));
  });

  it('rejects inconsistent squeezes', () => {
    expect(inputError(() => parseXxdDump('00000000: 0000\n*\n00000003: 00\n')).message).toContain('is not 0x2 plus a multiple of the 2-byte line');
    expect(inputError(() => parseXxdDump('00000000: 0000\n*\n')).message).toContain("'*' at the end");
    expect(inputError(() => parseXxdDump('00000000: 0000\n*\n*\n00000010: 00\n')).message).toContain("second '*'");
  });
});

describe('hexdump -C dumps', () => {
  const S_HEXDUMP = [
    '00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 01  |Hello, world!...|',
    '00000010  02 ff 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|',
    '00000020  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|',
    '00000030  00 00 00 00 00 00 00 00  00 00 74 61 69 6c        |..........tail|',
    '0000003e',
    '',
  ].join('\n');

  it('keeps bytes 8-15 of every line (xxd -r loses them)', () => {
    const d = parseHexdumpC(S_HEXDUMP);
    expect(Buffer.from(bytesOf(d))).toEqual(S_BIN);
    expect(d.end).toBe(0x3en);
    expect(d.runs[0]!.bytes).toHaveLength(16);
  });

  it('repeats the previous line for *, up to the final offset or the next line', () => {
    const rep = [
      '00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|',
      '*',
      '00000040  41 42 43 44                                       |ABCD|',
      '00000044',
    ].join('\n');
    expect(Buffer.from(bytesOf(parseHexdumpC(rep))).toString()).toBe(`${'ABCDEFGHIJKLMNOP'.repeat(4)}ABCD`);
    const zeros = '00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n00000040\n';
    expect(bytesOf(parseHexdumpC(zeros))).toEqual(new Uint8Array(64));
  });

  it("ignores '|' and hex-looking text inside the ASCII column", () => {
    const d = parseHexdumpC('00000000  7c 41 42 7c                                       ||AB||\n00000004\n');
    expect(Buffer.from(d.runs[0]!.bytes).toString()).toBe('|AB|');
    const d2 = parseHexdumpC('00000000  64 65 61 64  |dead 12 34|\n00000004\n');
    expect(Buffer.from(d2.runs[0]!.bytes).toString()).toBe('dead');
  });

  it('reads -s skips (absolute offsets) and an offset-only dump', () => {
    const d = parseHexdumpC('00000003  6c 6f 2c 20 77                                   |lo, w|\n00000008\n');
    expect(d.runs[0]!.offset).toBe(3n);
    expect(parseHexdumpC('0000003e\n')).toEqual({ layout: 'hexdump-C', runs: [], end: 0x3en });
  });

  it.each([
    ['00000010: 00 11', 1, 'expected a hexdump -C line'],
    ['00000010  00 1  |..|', 14, "'1' is not one hex byte"],
    ['00000010  00 zz  |..|', 14, "'z' is not a hex digit"],
    ['00000010  0011  |..|', 11, "'0011' is not one hex byte"],
    ['00000010  |..|', 11, 'no hex bytes'],
  ])('rejects %j (col %i: %s)', (line, col, message) => {
    const e = inputError(() => parseHexdumpC(`00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|\n${line}\n`, 'd.txt'));
    expect(e.message).toMatch(new RegExp(`^d\\.txt line 2, col ${col}: `));
    expect(e.message).toContain(message);
  });

  it('rejects data after the final offset and a final offset that disagrees', () => {
    expect(inputError(() => parseHexdumpC('00000000  00  |.|\n00000001\n00000001  00  |.|\n')).message).toContain(
      'line 3, col 1: data after the final offset line 2',
    );
    expect(inputError(() => parseHexdumpC('00000000  00  |.|\n00000005\n')).message).toContain('final offset 0x5 does not match the end of the data 0x1');
  });
});

describe('dump layout detection (--format xxd takes either)', () => {
  it('tells xxd from hexdump -C by the colon after the offset', () => {
    expect(detectDumpLayout('\n00000000: 4865  He\n')).toBe('xxd');
    expect(detectDumpLayout('00000000  48 65  |He|\n')).toBe('hexdump-C');
    expect(detectDumpLayout('0000003e\n')).toBe('hexdump-C');
    expect(detectDumpLayout('0x10: 74 -> eb\n')).toBeUndefined();
    expect(parseDump('00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 01  |Hello, world!...|\n00000010\n').runs[0]!.bytes).toHaveLength(16);
    expect(parseDump('')).toEqual({ layout: 'xxd', runs: [] });
    expect(inputError(() => parseDump('\nhello\n', 'x')).message).toBe(
      "x line 2, col 1: neither an xxd line 'OFFSET: hex' nor a hexdump -C line 'OFFSET  hh hh'",
    );
  });

  it('merges consecutive lines into one hunk and refuses dumps that expand past the limit', () => {
    const p = dumpToPatch(parseXxdDump('00000000: 0000\n00000002: 0000\n00000010: 01\n'));
    expect(p.hunks.map((h) => [h.kind === 'offset' && h.offset, h.new.length, h.source.line])).toEqual([
      [0n, 4, 1],
      [16n, 1, 3],
    ]);
    const big = parseXxdDump('00000000: 0000\n*\n10000000: 00\n');
    expect(inputError(() => dumpToPatch(big, 'big', { maxBytes: 1000 })).message).toBe('big line 2: the dump expands to more than 1000 bytes');
  });
});

const tmp = mkdtempSync(join(tmpdir(), 'mmapx-dump-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function toolWorks(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { input: 'x' });
  return r.error === undefined && r.status === 0;
}

const hasXxd = toolWorks('xxd', []);
const hasHexdump = toolWorks('hexdump', ['-C']);
if (!hasXxd) console.warn('notice: xxd not installed; differential xxd tests skipped');
if (!hasHexdump) console.warn('notice: hexdump not installed; differential hexdump -C tests skipped');

/** Random files with long zero and repeated stretches, so that `*` lines occur. */
const arbFile = fc
  .array(
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 200 }).map((n) => new Uint8Array(n)),
      fc
        .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 2, max: 6 }))
        .map(([b, k]) => Uint8Array.from(Buffer.concat(Array.from({ length: k }, () => b)))),
    ),
    { maxLength: 8 },
  )
  .map((parts) => Uint8Array.from(Buffer.concat(parts)));

function dumpWith(cmd: string, args: string[], data: Uint8Array): string {
  const f = join(tmp, 'in.bin');
  writeFileSync(f, data);
  const r = spawnSync(cmd, [...args, f], { encoding: 'latin1', env: { ...process.env, LC_ALL: 'C' } });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(!hasXxd)('differential: real xxd output parses back to the original bytes', () => {
  it.each([[[]], [['-a']], [['-g1']], [['-c8', '-g4']], [['-c10', '-g3']], [['-c32', '-g8', '-a']], [['-u']], [['-c256', '-g0']]])(
    'xxd %j of random files',
    (args) => {
      fc.assert(
        fc.property(arbFile, (data) => {
          const text = dumpWith('xxd', args, data);
          expect(Buffer.from(bytesOf(parseDump(text)))).toEqual(Buffer.from(data));
        }),
        { numRuns: 25 },
      );
    },
  );

  it('xxd -s gives absolute offsets', () => {
    const data = Uint8Array.from(Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'));
    const d = parseXxdDump(dumpWith('xxd', ['-s', '5', '-l', '20'], data));
    expect(d.runs[0]!.offset).toBe(5n);
    expect(Buffer.from(bytesOf(d).subarray(5))).toEqual(Buffer.from(data.subarray(5, 25)));
  });
});

describe.skipIf(!hasHexdump)('differential: real hexdump -C output parses back to the original bytes', () => {
  it('hexdump -C of random files (squeezed runs, short last line, final offset)', () => {
    fc.assert(
      fc.property(arbFile, (data) => {
        const text = dumpWith('hexdump', ['-C'], data);
        const d = parseDump(text);
        if (data.length > 0) expect(d.layout).toBe('hexdump-C');
        expect(Buffer.from(bytesOf(d))).toEqual(Buffer.from(data));
        if (data.length > 0) expect(d.end).toBe(BigInt(data.length));
      }),
      { numRuns: 40 },
    );
  });

  it('hexdump -C -v and -s/-n', () => {
    const data = Uint8Array.from(Buffer.alloc(100, 7));
    expect(Buffer.from(bytesOf(parseHexdumpC(dumpWith('hexdump', ['-C', '-v'], data))))).toEqual(Buffer.from(data));
    const d = parseHexdumpC(dumpWith('hexdump', ['-C', '-s', '3', '-n', '40'], data));
    expect(d.runs[0]!.offset).toBe(3n);
    expect(d.end).toBe(43n);
  });
});
