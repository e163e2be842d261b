// Intel HEX and S-records in-process: the readers' checks (every error names its line), the
// writers' layout, and differential runs against srec_cat and objcopy: our writer byte for byte
// against `srec_cat -obs 16 -Output_Block_Alignment`, our reader on what srec_cat (its default
// layout: 32-byte records across 64 KiB boundaries, S1 and S2 mixed, no trailer) and objcopy
// (CRLF, 02 segment records below 1 MiB, start records) write, and srec_cat turning our records
// back into the bytes. The peers run in one spawn of sh per batch; skipped, with a notice, where
// a tool is missing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createHexEncoder,
  formatIntelHex,
  formatSrec,
  hexImageToPatch,
  type HexImage,
  type HexRecordFormat,
  parseHexRecords,
  parseIntelHex,
  parseSrec,
  SrecEncoder,
  sniffHexRecords,
} from '../../src/format/hexrec/index.js';
import { InputError } from '../../src/errors.js';
import { applyPatchToBytes } from '../../src/format/patch/index.js';
import { randomBytes, same, shellBatch } from '../helpers/peers.js';
import { expectInputError, inputErrorOf } from './expect-input-error.js';

const has = (cmd: string, args: string[]): boolean => !spawnSync(cmd, args, { stdio: 'ignore' }).error;
const HAVE_SREC_CAT = has('srec_cat', ['-version']);
const HAVE_OBJCOPY = has('objcopy', ['--version']);
if (!HAVE_SREC_CAT) console.warn('NOTICE: srec_cat (Debian package srecord) not installed; differential tests against srec_cat are SKIPPED');
if (!HAVE_OBJCOPY) console.warn('NOTICE: objcopy (binutils) not installed; differential tests against objcopy are SKIPPED');

const dir = mkdtempSync(join(tmpdir(), 'mmapx-hexrec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A line of Intel HEX with its checksum: `:` + hex of the bytes + CC. */
function ihexLine(...bytes: number[]): string {
  const sum = bytes.reduce((s, x) => s + x, 0);
  return `:${Buffer.from([...bytes, (0x100 - (sum & 0xff)) & 0xff])
    .toString('hex')
    .toUpperCase()}`;
}

/** An S-record line of TYPE with address bytes and data: count and checksum computed. */
function srecLine(type: number, addr: number[], data: number[] = []): string {
  const body = [addr.length + data.length + 1, ...addr, ...data];
  const sum = body.reduce((s, x) => s + x, 0);
  return `S${type}${Buffer.from([...body, ~sum & 0xff])
    .toString('hex')
    .toUpperCase()}`;
}

/** The image's bytes as one map address -> byte run list, for comparisons: [address, hex][]. */
function runsOf(image: HexImage): [number, string][] {
  return image.runs.map((r) => [r.address, Buffer.from(r.data).toString('hex')]);
}

/** Our encoder fed `bytes` in pieces cut at `cuts`. */
function encodeInPieces(format: HexRecordFormat, bytes: Uint8Array, address: number, cuts: number[], start?: number): string {
  const parts: Uint8Array[] = [];
  const enc = createHexEncoder(format, { address, length: bytes.length, ...(start !== undefined && { start }), header: Buffer.from('in.bin') }, (c) =>
    parts.push(c),
  );
  let at = 0;
  for (const c of [...cuts.filter((x) => x > 0 && x < bytes.length).sort((a, b) => a - b), bytes.length]) {
    enc.push(bytes.subarray(at, c));
    at = c;
  }
  enc.finish();
  return Buffer.concat(parts).toString('latin1');
}

/** The S-record width our writer chooses for data at [address, address + length). */
const widthFor = (address: number, length: number, start = 0) => new SrecEncoder({ address, length, start }, () => {}).width;

describe('Intel HEX reader', () => {
  it('reads data, 04 and 02 addressing, the 05 and 03 start records, and LF/CRLF/CR line breaks alike', () => {
    const lines = [
      ihexLine(2, 0, 0, 4, 0x08, 0x00), // ULBA 0x0800
      ihexLine(3, 0x12, 0x34, 0, 1, 2, 3),
      ihexLine(2, 0, 0, 2, 0x10, 0x00), // SBA 0x1000: base 0x10000
      ihexLine(2, 0, 0x20, 0, 0xaa, 0xbb),
      ihexLine(4, 0, 0, 5, 0x08, 0x00, 0x01, 0x00),
      ':00000001FF',
    ];
    for (const nl of ['\n', '\r\n', '\r']) {
      const image = parseIntelHex(`${lines.join(nl)}${nl}`, 'a.hex');
      expect(runsOf(image)).toEqual([
        [0x10020, 'aabb'],
        [0x08001234, '010203'],
      ]);
      expect(image.start).toBe(0x08000100);
      expect(image.records).toBe(2);
    }
    const seg = parseIntelHex(`${ihexLine(4, 0, 0, 3, 0x12, 0x34, 0x00, 0x10)}\n:00000001FF\n`);
    expect(seg.start).toBe(0x12340 + 0x10);
    expect(seg.runs).toEqual([]);
  });

  it('joins adjacent records into one run, also out of order, and keeps gaps', () => {
    const text = [ihexLine(2, 0, 0x12, 0, 3, 4), ihexLine(2, 0, 0x10, 0, 1, 2), ihexLine(1, 0, 0x20, 0, 9), ':00000001FF', ''].join('\n');
    const image = parseIntelHex(text, 'x.hex');
    expect(runsOf(image)).toEqual([
      [0x10, '01020304'],
      [0x20, '09'],
    ]);
    expect(image.runs.map((r) => r.line)).toEqual([2, 3]);
  });

  it('after 04 a record runs on past 64 KiB; after 02 it wraps inside the segment (the specification)', () => {
    const linear = parseIntelHex(`${ihexLine(4, 0xff, 0xfe, 0, 1, 2, 3, 4)}\n:00000001FF\n`);
    expect(runsOf(linear)).toEqual([[0xfffe, '01020304']]);
    const wrapped = parseIntelHex(`${ihexLine(2, 0, 0, 2, 0x10, 0x00)}\n${ihexLine(4, 0xff, 0xfe, 0, 1, 2, 3, 4)}\n:00000001FF\n`);
    expect(runsOf(wrapped)).toEqual([
      [0x10000, '0304'],
      [0x1fffe, '0102'],
    ]);
  });

  it('refuses what is wrong with one line naming it', () => {
    const eof = ':00000001FF';
    const data = ihexLine(2, 0, 0x10, 0, 1, 2);
    const cases: [string, string][] = [
      [`${data.slice(0, -2)}00\n${eof}`, 'a.hex line 1: bad checksum: the record says 00, its bytes give EB'],
      [`${data.slice(0, -1)}\n${eof}`, 'a.hex line 1: odd number of hex digits (13): a record is whole bytes'],
      [`:02001G00010203\n${eof}`, "a.hex line 1, col 7: 'G' is not a hex digit"],
      [`${ihexLine(3, 0, 0x10, 0, 1, 2)}\n${eof}`, 'a.hex line 1: the length byte says 3 data bytes, the record holds 2'],
      [`:0000\n${eof}`, 'a.hex line 1: 2 bytes: a record has at least 5 (length, address, type, checksum)'],
      [data, 'a.hex: no end-of-file record (:00000001FF): the file is incomplete'],
      [`${data}\n${eof}\n${data}`, 'a.hex line 3: a record after the end-of-file record of line 2'],
      [`${data}\n${ihexLine(2, 0, 0x11, 0, 7, 7)}\n${eof}`, 'a.hex line 2: its data 0x11..0x13 overlaps line 1 (0x10..0x12)'],
      [`${ihexLine(2, 0, 0x11, 0, 7, 7)}\n${data}\n${eof}`, 'a.hex line 2: its data 0x10..0x12 overlaps line 1 (0x11..0x13)'],
      [`${ihexLine(0, 0, 0, 6)}\n${eof}`, 'a.hex line 1: record type 06 is not an Intel HEX type (00 to 05)'],
      [`${ihexLine(1, 0, 0, 4, 8)}\n${eof}`, 'a.hex line 1: an extended linear address record (04) has 2 data bytes, this one 1'],
      [`${ihexLine(1, 0, 0, 1, 0)}`, 'a.hex line 1: an end-of-file record (01) has 0 data bytes, this one 1'],
      [` 0200100001020300\n${eof}`, 'a.hex line 1, col 2: an Intel HEX record starts with \':\', not "0"'],
      [
        `${ihexLine(2, 0, 0, 4, 0xff, 0xff)}\n${ihexLine(2, 0xff, 0xff, 0, 1, 2)}\n${eof}`,
        'a.hex line 2: its data 0xffffffff..0x100000001 runs past the 32-bit addresses',
      ],
      [`${ihexLine(4, 0, 0, 5, 0, 0, 0, 1)}\n${ihexLine(4, 0, 0, 5, 0, 0, 0, 2)}\n${eof}`, 'a.hex line 2: a second start address 0x2, line 1 gave 0x1'],
    ];
    for (const [text, message] of cases) expectInputError(() => parseIntelHex(text, 'a.hex'), message);
    // The line is in the error's location too.
    expect(inputErrorOf(() => parseIntelHex(`${data}\n${data.slice(0, -2)}00\n${eof}`, 'a.hex')).location.line).toBe(2);
  });
});

describe('S-record reader', () => {
  it('reads S0 to S9 (S1, S2, S3 mixed), checks the count record, keeps the header and start', () => {
    const text = [
      srecLine(0, [0, 0], [...Buffer.from('hdr')]),
      srecLine(1, [0x12, 0x34], [1, 2]),
      srecLine(2, [0x01, 0x00, 0x00], [3]),
      srecLine(3, [0x80, 0, 0, 0], [4, 5]),
      srecLine(5, [0, 3]),
      srecLine(7, [0x80, 0, 0, 4]),
      '',
    ].join('\r\n');
    const image = parseSrec(text, 'a.s37');
    expect(runsOf(image)).toEqual([
      [0x1234, '0102'],
      [0x10000, '03'],
      [0x80000000, '0405'],
    ]);
    expect(image.start).toBe(0x80000004);
    expect(Buffer.from(image.header!).toString()).toBe('hdr');
    // srec_cat without a start address ends with the count record; S6 counts in 24 bits.
    expect(parseSrec(`${srecLine(1, [0, 0], [1])}\n${srecLine(6, [0, 0, 1])}\n`).records).toBe(1);
  });

  it('refuses what is wrong with one line naming it', () => {
    const d = srecLine(1, [0, 0x10], [1, 2]);
    const s9 = srecLine(9, [0, 0]);
    const cases: [string, string][] = [
      [`${d.slice(0, -2)}00\n${s9}`, 'a.s19 line 1: bad checksum: the record says 00, its bytes give E7'],
      [`${d}0\n${s9}`, 'a.s19 line 1: odd number of hex digits (13): a record is whole bytes'],
      [`S1050010010x00\n${s9}`, "a.s19 line 1, col 12: 'x' is not a hex digit"],
      [`S10600100102000000\n${s9}`, 'a.s19 line 1: the count byte says 6 bytes follow, the record has 7'],
      [`S1020000\n${s9}`, 'a.s19 line 1: count 2: an S1 record has at least 3 bytes (address, checksum)'],
      [`${srecLine(4, [0, 0])}\n${s9}`, 'a.s19 line 1: S4 is a reserved record type'],
      [`X1050010010203\n${s9}`, 'a.s19 line 1, col 1: an S-record starts with S and a type digit (S0 to S9), not "X1"'],
      [d, 'a.s19: no S7/S8/S9 trailer and no S5/S6 count record at the end: the file is incomplete'],
      [`${d}\n${srecLine(5, [0, 2])}`, 'a.s19 line 2: the S5 record counts 2 data records, the file has 1 before it'],
      [`${d}\n${srecLine(5, [0, 1])}\n${d}`, 'a.s19: no S7/S8/S9 trailer and no S5/S6 count record at the end: the file is incomplete'],
      [`${d}\n${s9}\n${d}`, 'a.s19 line 3: a record after the trailer of line 2'],
      [`${d}\n${srecLine(1, [0, 0x11], [1])}\n${s9}`, 'a.s19 line 2: its data 0x11..0x12 overlaps line 1 (0x10..0x12)'],
      [`${srecLine(3, [0xff, 0xff, 0xff, 0xff], [1, 2])}\n${s9}`, 'a.s19 line 1: its data 0xffffffff..0x100000001 runs past the 32-bit addresses'],
      [`${srecLine(9, [0, 0], [1])}`, 'a.s19 line 1: an S9 trailer has no data, this one has 1 bytes'],
    ];
    for (const [text, message] of cases) expectInputError(() => parseSrec(text, 'a.s19'), message);
  });
});

describe('readers on damaged input', () => {
  it('a changed, dropped or truncated piece of a valid file is an InputError of one line, or reads', () => {
    const bytes = randomBytes(300, 21);
    const texts = { ihex: formatIntelHex(bytes, { address: 0xfff0, start: 1 }), srec: formatSrec(bytes, { address: 0xfffff0, header: Buffer.from('h') }) };
    let refused = 0;
    fc.assert(
      fc.property(
        fc.constantFrom('ihex' as const, 'srec' as const),
        fc.nat(),
        fc.nat(),
        fc.constantFrom(...':S0123456789ABCDEFGabcdef \r\n\t'),
        fc.constantFrom('set', 'drop', 'cut'),
        (f, at, len, ch, how) => {
          const t = texts[f];
          const i = at % t.length;
          const damaged = how === 'set' ? t.slice(0, i) + ch + t.slice(i + 1) : how === 'drop' ? t.slice(0, i) + t.slice(i + 1 + (len % 40)) : t.slice(0, i);
          try {
            parseHexRecords(damaged, f, 'd');
          } catch (err) {
            expect(err, damaged).toBeInstanceOf(InputError);
            expect((err as Error).message).not.toMatch(/[\r\n]/);
            refused++;
          }
        },
      ),
      { numRuns: 400 },
    );
    // Most damage is caught (a changed digit by its checksum, a cut by the missing end record).
    expect(refused).toBeGreaterThan(200);
  });
});

describe('writers', () => {
  it('Intel HEX: 16-byte records at multiples of 16, 04 at each 64 KiB, 05 with a start address, LF', () => {
    const bytes = Uint8Array.from({ length: 40 }, (_, i) => i);
    expect(formatIntelHex(bytes, { address: 0xfff8, start: 0x12345678 })).toBe(
      [
        ':020000040000FA',
        ':08FFF8000001020304050607E5',
        ':020000040001F9',
        ':1000000008090A0B0C0D0E0F1011121314151617F8',
        ':1000100018191A1B1C1D1E1F2021222324252627E8',
        ':0400000512345678E3', // EIP record
        ':00000001FF',
        '',
      ].join('\n'),
    );
    expect(formatIntelHex(new Uint8Array(0))).toBe(':00000001FF\n');
  });

  it('S-records: one width chosen by the highest address (S1/S9, S2/S8, S3/S7), S5 count, S0 header', () => {
    const bytes = Uint8Array.of(0xde, 0xad);
    // As srec_cat -header=x -execution-start-address=0 writes them (checked by hand against it).
    expect(formatSrec(bytes, { address: 0xfffe, header: Buffer.from('x') })).toBe('S00400007883\nS105FFFEDEAD72\nS5030001FB\nS9030000FC\n');
    // Records end at multiples of 16: the byte at 0xffff is a record of its own.
    expect(formatSrec(bytes, { address: 0xffff }).split('\n').slice(1, 3)).toEqual(['S20500FFFFDE1E', 'S205010000AD4C']);
    expect(formatSrec(bytes, { address: 0xffffff }).split('\n').slice(1)).toEqual(['S30600FFFFFFDE1E', 'S30601000000AD4B', 'S5030002FA', 'S70500000000FA', '']);
    expect(formatSrec(bytes, { start: 0x1000000 }).split('\n')[1]).toMatch(/^S3/); // the start address needs 32 bits
    expect(formatSrec(new Uint8Array(0))).toBe('S0030000FC\nS5030000FC\nS9030000FC\n');
  });

  it('pieces of any size give the same records as one push; what the formats cannot say is refused', () => {
    const bytes = randomBytes(5000, 7);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 8 }), fc.integer({ min: 0, max: 0xffff0000 }), (cuts, address) => {
        for (const f of ['ihex', 'srec'] as const) {
          expect(encodeInPieces(f, bytes, address, cuts)).toBe(encodeInPieces(f, bytes, address, []));
        }
      }),
      { numRuns: 25 },
    );
    expectInputError(
      () => formatIntelHex(new Uint8Array(17), { address: 0xfffffff0 }),
      'Intel HEX: 17 bytes from 0xfffffff0 end at 0x100000001, past the 32-bit addresses (0x100000000) the format has',
    );
    expectInputError(() => formatIntelHex(new Uint8Array(1), { recordBytes: 256 }), 'Intel HEX: 256 data bytes per record: 1 to 255 fit in a record here');
    expectInputError(
      () => formatSrec(new Uint8Array(1), { address: 0x1000000, recordBytes: 251 }),
      'S3: 251 data bytes per record: 1 to 250 fit in a record here',
    );
    expectInputError(() => formatSrec(new Uint8Array(1), { header: new Uint8Array(253) }), 'S-record: a header of 253 bytes: an S0 record holds at most 252');
    const enc = createHexEncoder('ihex', { length: 2 }, () => {});
    expectInputError(() => enc.push(new Uint8Array(3)), '3 bytes pushed with 2 left of those announced');
    enc.push(new Uint8Array(1));
    expectInputError(() => enc.finish(), 'finished 1 of the bytes announced short');
  });

  it('round trip: what we write reads back as the bytes at their addresses (records of 1 to 255 bytes)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 700 }),
        fc.integer({ min: 0, max: 0xfffffd00 }),
        fc.integer({ min: 1, max: 250 }),
        (bytes, address, recordBytes) => {
          for (const f of ['ihex', 'srec'] as const) {
            const text = (f === 'ihex' ? formatIntelHex : formatSrec)(bytes, { address, recordBytes });
            expect(runsOf(parseHexRecords(text, f))).toEqual([[address, Buffer.from(bytes).toString('hex')]]);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('an image as a patch', () => {
  const image = parseIntelHex([ihexLine(2, 0x01, 0x10, 0, 1, 2), ihexLine(1, 0x01, 0x20, 0, 3), ':00000001FF'].join('\n'), 'new.hex');

  it('each run is a hunk at address minus base; gaps stay as they are', () => {
    const patch = hexImageToPatch(image, { name: 'new.hex', base: 0x100n });
    expect(patch.hunks.map((h) => [h.kind === 'offset' && h.offset, h.source.line])).toEqual([
      [0x10n, 1],
      [0x20n, 2],
    ]);
    const file = new Uint8Array(0x30).fill(0xee);
    const out = applyPatchToBytes(file, patch).bytes;
    expect(Buffer.from(out.subarray(0x0e, 0x23)).toString('hex')).toBe(`eeee0102${'ee'.repeat(14)}03eeee`);
  });

  it('--expect-old: the old image guards every hunk and must cover the same addresses', () => {
    const old = parseIntelHex([ihexLine(2, 0x01, 0x10, 0, 7, 7), ihexLine(1, 0x01, 0x20, 0, 7), ':00000001FF'].join('\n'), 'old.hex');
    const patch = hexImageToPatch(image, { name: 'new.hex', base: 0x100n, old, oldName: 'old.hex' });
    expect(patch.hunks.map((h) => Buffer.from(h.old!).toString('hex'))).toEqual(['0707', '07']);
    const short = parseIntelHex([ihexLine(1, 0x01, 0x10, 0, 7), ':00000001FF'].join('\n'), 'old.hex');
    expectInputError(
      () => hexImageToPatch(image, { name: 'new.hex', old: short, oldName: 'old.hex' }),
      'old.hex line 1: the old bytes cover 0x110..0x111 where new.hex has 0x110..0x112 (line 1): the old image must cover the same addresses',
    );
    expectInputError(
      () => hexImageToPatch(image, { name: 'new.hex', old: parseIntelHex(':00000001FF'), oldName: 'old.hex' }),
      'old.hex: the old bytes cover nothing where new.hex has 0x110..0x112 (line 1): the old image must cover the same addresses',
    );
  });

  it('an address below the base has no file offset', () => {
    expectInputError(
      () => hexImageToPatch(image, { name: 'new.hex', base: 0x111n }),
      'new.hex line 1: address 0x110 is below the base address 0x111: it has no file offset',
    );
  });

  it('sniffs the formats for the hint of a native parse', () => {
    expect(sniffHexRecords('\n:020000040000FA\n')).toBe('ihex');
    expect(sniffHexRecords('S00600004844521B\n')).toBe('srec');
    expect(sniffHexRecords('0x10: 00 -> 01\n')).toBeUndefined();
  });
});

/** Cases of the differential runs: bytes at an address. */
interface PeerCase {
  address: number;
  bytes: Buffer;
  start?: number;
}

/** Addresses around the boundaries: 64 KiB (04, S1/S2), 1 MiB (objcopy's 02/04), 16 MiB (S2/S3), 4 GiB. */
const PEER_CASES: PeerCase[] = [
  { address: 0, bytes: randomBytes(1, 1) },
  { address: 0, bytes: randomBytes(16, 2) },
  { address: 5, bytes: randomBytes(200_000, 3) },
  { address: 0xfff0, bytes: randomBytes(40, 4), start: 0xfff0 },
  { address: 0xfff9, bytes: randomBytes(300, 5) },
  { address: 0xffff5, bytes: randomBytes(77, 6) },
  { address: 0x1fff5, bytes: randomBytes(40, 7), start: 0x1234 },
  { address: 0xfffff5, bytes: randomBytes(33, 8) },
  { address: 0xffffff, bytes: randomBytes(2, 9) },
  { address: 0x8000000, bytes: randomBytes(70_000, 10), start: 0x8000101 },
  { address: 0xfffffe00, bytes: randomBytes(512, 11) },
  { address: 0x12345, bytes: randomBytes(0, 12) },
  // Seeded random addresses below 64 KiB, 16 MiB and 4 GiB, random lengths.
  ...[0x10000, 0x1000000, 0xfff00000].map((limit, i) => {
    const r = randomBytes(8, 100 + i);
    return { address: r.readUInt32LE(0) % limit, bytes: randomBytes(1 + (r.readUInt32LE(4) % 3000), 13 + i) };
  }),
];

/** Each case's input file in the temp dir, written once. */
function caseFile(c: PeerCase, k: number): string {
  const name = `case-${k}.bin`;
  writeFileSync(join(dir, name), c.bytes);
  return name;
}

describe.skipIf(!HAVE_SREC_CAT)('against srec_cat', () => {
  it('our writer is byte for byte srec_cat -obs 16 -Output_Block_Alignment (Intel and Motorola, S1/S2/S3)', () => {
    const files = PEER_CASES.map(caseFile);
    const argv = (c: PeerCase, k: number, motorola: boolean) => {
      const a = [
        'srec_cat',
        files[k]!,
        '-binary',
        '-offset',
        String(c.address),
        '-o',
        '-',
        motorola ? '-motorola' : '-intel',
        '-obs=16',
        '-output_block_alignment',
      ];
      if (motorola) a.push(`-address-length=${widthFor(c.address, c.bytes.length, c.start)}`, '-header=in.bin', `-execution-start-address=${c.start ?? 0}`);
      else if (c.start !== undefined) a.push(`-execution-start-address=${c.start}`);
      return { argv: a };
    };
    const runs = shellBatch([...PEER_CASES.map((c, k) => argv(c, k, false)), ...PEER_CASES.map((c, k) => argv(c, k, true))], dir);
    PEER_CASES.forEach((c, k) => {
      for (const [f, run] of [
        ['ihex', runs[k]!],
        ['srec', runs[PEER_CASES.length + k]!],
      ] as const) {
        expect(run.status).toBe(0);
        const cuts = [1, 17, 4096, 65_537].map((x) => x % (c.bytes.length + 1));
        same(
          Buffer.from(encodeInPieces(f, c.bytes, c.address, cuts, c.start), 'latin1'),
          run.stdout,
          `${f} at 0x${c.address.toString(16)}, ${c.bytes.length} bytes`,
        );
      }
    });
  });

  it('our reader takes what srec_cat writes by default (records across 64 KiB, S1 and S2 mixed, no trailer), and 32-byte aligned records', () => {
    const files = PEER_CASES.map(caseFile);
    // Every case in srec_cat's default layout, and one more variant each, in turn.
    const extra = [
      ['-intel', '-obs=32', '-output_block_alignment'],
      ['-motorola', '-execution-start-address=0x100'],
      ['-motorola', '-obs=5'],
    ];
    const variantsOf = (k: number) => [['-intel'], ['-motorola'], extra[k % extra.length]!];
    const cases = PEER_CASES.flatMap((c, k) =>
      variantsOf(k).map((v) => ({ argv: ['srec_cat', files[k]!, '-binary', '-offset', String(c.address), '-o', '-', ...v] })),
    );
    const runs = shellBatch(cases, dir);
    let k = 0;
    for (const [n, c] of PEER_CASES.entries()) {
      for (const v of variantsOf(n)) {
        const run = runs[k++]!;
        expect(run.status).toBe(0);
        const image = parseHexRecords(run.stdout, v[0] === '-intel' ? 'ihex' : 'srec', 'peer');
        const want: [number, string][] = c.bytes.length === 0 ? [] : [[c.address, c.bytes.toString('hex')]];
        expect(runsOf(image), `${v.join(' ')} at 0x${c.address.toString(16)}`).toEqual(want);
        if (v.includes('-execution-start-address=0x100')) expect(image.start).toBe(0x100);
      }
    }
  });

  it('srec_cat turns our records back into the bytes', () => {
    const cases: { argv: string[] }[] = [];
    // srec_cat refuses a file without data.
    const live = PEER_CASES.filter((c) => c.bytes.length > 0);
    live.forEach((c, k) => {
      for (const f of ['ihex', 'srec'] as const) {
        const name = `ours-${k}.${f}`;
        writeFileSync(join(dir, name), encodeInPieces(f, c.bytes, c.address, []));
        // To a file: binary output holds NULs, which frame the batch's outputs.
        cases.push({ argv: ['srec_cat', name, f === 'ihex' ? '-intel' : '-motorola', '-offset', `-${c.address}`, '-o', `back-${k}-${f}.bin`, '-binary'] });
      }
    });
    const runs = shellBatch(cases, dir);
    live.forEach((c, k) => {
      for (const [j, f] of ['ihex', 'srec'].entries()) {
        expect(runs[2 * k + j]!.status).toBe(0);
        same(readFileSync(join(dir, `back-${k}-${f}.bin`)), c.bytes, `srec_cat back from ${f} at 0x${c.address.toString(16)}`);
      }
    });
  });
});

describe.skipIf(!HAVE_OBJCOPY)('against objcopy', () => {
  it('our reader takes objcopy -O ihex and -O srec (CRLF, 02 segments below 1 MiB, start records), and objcopy reads ours back', () => {
    const files = PEER_CASES.map(caseFile);
    const live = PEER_CASES.map((c, k) => [c, k] as const).filter(([c]) => c.bytes.length > 0 && c.address + c.bytes.length <= 0xffffffff);
    const cases = live.flatMap(([c, k]) =>
      ['ihex', 'srec'].map((f) => ({ argv: ['objcopy', '-I', 'binary', '-O', f, '--change-addresses', String(c.address), files[k]!, `peer-${k}.${f}`] })),
    );
    // And back: our records to binary (objcopy -O binary starts at the lowest address).
    for (const [c, k] of live) {
      for (const f of ['ihex', 'srec'] as const) {
        writeFileSync(join(dir, `ours-${k}.${f}`), encodeInPieces(f, c.bytes, c.address, []));
        cases.push({ argv: ['objcopy', '-I', f, '-O', 'binary', `ours-${k}.${f}`, `back-${k}-${f}.bin`] });
      }
    }
    const runs = shellBatch(cases, dir);
    for (const run of runs) expect(run.status).toBe(0);
    for (const [c, k] of live) {
      for (const f of ['ihex', 'srec'] as const) {
        const text = readFileSync(join(dir, `peer-${k}.${f}`));
        const image = parseHexRecords(text, f, `peer-${k}.${f}`);
        expect(runsOf(image), `objcopy -O ${f} at 0x${c.address.toString(16)}`).toEqual([[c.address, c.bytes.toString('hex')]]);
        same(readFileSync(join(dir, `back-${k}-${f}.bin`)), c.bytes, `objcopy -I ${f} of ours at 0x${c.address.toString(16)}`);
      }
    }
  });
});
