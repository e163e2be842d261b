import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { applyPatchToBytes, formatIps, hunksToIps, ipsToPatch, looksLikeIps, parseIps, type IpsRecord, type OffsetHunk } from '../../src/format/patch/index.js';

const b = (...x: number[]) => Uint8Array.from(x);
const ascii = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

function ipsError(bytes: Uint8Array): InputError {
  try {
    parseIps(bytes, 'fix.ips');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

describe('IPS', () => {
  const sample = cat(
    ascii('PATCH'),
    b(0x00, 0x00, 0x02, 0x00, 0x03, 0xaa, 0xbb, 0xcc), // data record at 2
    b(0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x04, 0x7f), // RLE: 4 x 0x7f at 16
    ascii('EOF'),
  );

  it('parses data and RLE records with their positions in the patch', () => {
    expect(parseIps(sample)).toEqual({
      records: [
        { kind: 'data', offset: 2, data: b(0xaa, 0xbb, 0xcc), at: 5 },
        { kind: 'rle', offset: 16, length: 4, value: 0x7f, at: 13 },
      ],
    });
    expect(looksLikeIps(sample)).toBe(true);
    expect(looksLikeIps(ascii('0x10: 00'))).toBe(false);
  });

  it('parses the truncation extension', () => {
    const ips = parseIps(cat(sample, b(0x00, 0x01, 0x00)));
    expect(ips.truncate).toBe(256);
    expect(ipsToPatch(ips, 't.ips').guards.sizeAfter).toEqual({ value: 256n, source: { name: 't.ips', line: 3, byte: 24 } });
  });

  it('applies in place; records past the end need grow; truncation shrinks', () => {
    const file = new Uint8Array(32).fill(1);
    const out = applyPatchToBytes(file, ipsToPatch(parseIps(sample))).bytes;
    expect([...out.subarray(0, 6)]).toEqual([1, 1, 0xaa, 0xbb, 0xcc, 1]);
    expect([...out.subarray(16, 21)]).toEqual([0x7f, 0x7f, 0x7f, 0x7f, 1]);
    expect(() => applyPatchToBytes(new Uint8Array(10), ipsToPatch(parseIps(sample), 'x.ips'))).toThrow(
      'x.ips record 2 (byte 0xd): the change at 0x10..0x14 ends past the end of the file (size 0xa); growing the file needs --grow',
    );
    expect(applyPatchToBytes(new Uint8Array(10), ipsToPatch(parseIps(sample)), { grow: true }).bytes).toHaveLength(20);
    const trunc = ipsToPatch(parseIps(cat(sample, b(0, 0, 20))));
    expect(applyPatchToBytes(new Uint8Array(64), trunc, { truncate: true }).bytes).toHaveLength(20);
  });

  it('lets a later record win where records overlap, as sequential patchers do', () => {
    const records: IpsRecord[] = [
      { kind: 'data', offset: 0, data: b(1, 1, 1, 1, 1, 1), at: 0 },
      { kind: 'rle', offset: 2, length: 2, value: 9, at: 0 },
      { kind: 'data', offset: 5, data: b(7, 7), at: 0 },
      { kind: 'data', offset: 1, data: b(5), at: 0 },
    ];
    const p = ipsToPatch({ records });
    const out = applyPatchToBytes(new Uint8Array(8), p).bytes;
    expect([...out]).toEqual([1, 5, 9, 9, 1, 7, 7, 0]);
    expect(p.hunks.map((h) => h.source.line)).toEqual([1, 4, 2, 1, 3]);
  });

  it('matches a sequential reference on random overlapping records (property)', () => {
    const rec = fc.oneof(
      fc.record({
        kind: fc.constant('data' as const),
        offset: fc.integer({ min: 0, max: 60 }),
        data: fc.uint8Array({ minLength: 1, maxLength: 12 }),
        at: fc.constant(0),
      }),
      fc.record({
        kind: fc.constant('rle' as const),
        offset: fc.integer({ min: 0, max: 60 }),
        length: fc.integer({ min: 1, max: 12 }),
        value: fc.integer({ min: 0, max: 255 }),
        at: fc.constant(0),
      }),
    );
    fc.assert(
      fc.property(fc.array(rec, { maxLength: 12 }), (records) => {
        const ref = new Uint8Array(80);
        for (const r of records) {
          if (r.kind === 'data') ref.set(r.data, r.offset);
          else ref.fill(r.value, r.offset, r.offset + r.length);
        }
        const ips = formatIps({ records });
        const out = applyPatchToBytes(new Uint8Array(80), ipsToPatch(parseIps(ips))).bytes;
        expect(out).toEqual(ref);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    [ascii('PATC'), 0, "not an IPS patch: no 'PATCH' header"],
    [ascii('PATCX'), 0, "not an IPS patch: no 'PATCH' header"],
    [ascii('PATCH'), 5, "missing 'EOF' after 0 record(s)"],
    [cat(ascii('PATCH'), b(0, 0, 1, 0, 2, 0xaa, 0xbb), b(0x45)), 12, "missing 'EOF' after 1 record(s) (1 stray byte(s))"],
    [cat(ascii('PATCH'), b(0, 0, 1, 0)), 5, 'record 1 is truncated: its 2-byte size is missing'],
    [cat(ascii('PATCH'), b(0, 0, 1, 0, 4, 1, 2)), 5, 'record 1 is truncated: 4 data bytes announced, 2 present'],
    [cat(ascii('PATCH'), b(0, 0, 1, 0, 0, 0, 3)), 5, 'RLE record 1 is truncated: needs 8 bytes, 7 present'],
    [cat(ascii('PATCH'), b(0, 0, 1, 0, 0, 0, 0, 9), ascii('EOF')), 5, 'RLE record 1 has length 0'],
    [cat(ascii('PATCHEOF'), b(1, 2)), 8, "2 byte(s) after 'EOF' (only a 3-byte truncation size may follow)"],
    [cat(ascii('PATCHEOF'), b(1, 2, 3, 4)), 8, "4 byte(s) after 'EOF' (only a 3-byte truncation size may follow)"],
  ])('rejects malformed patch %#, naming the byte offset', (bytes, at, message) => {
    const e = ipsError(bytes);
    expect(e.message).toBe(`fix.ips byte 0x${at.toString(16)}: ${message}`);
    expect(e.location.position).toBe(at);
  });

  it('formats records back to the same bytes', () => {
    const parsed = parseIps(cat(sample, b(0, 1, 0)));
    expect(formatIps(parsed)).toEqual(cat(sample, b(0, 1, 0)));
  });

  it('refuses records that IPS cannot express', () => {
    const rec = (offset: number, n = 1): IpsRecord => ({ kind: 'data', offset, data: new Uint8Array(n), at: 0 });
    expect(() => formatIps({ records: [rec(0x454f46)] })).toThrow(InputError);
    expect(() => formatIps({ records: [rec(0x1000000)] })).toThrow(InputError);
    expect(() => formatIps({ records: [rec(0, 0x10000)] })).toThrow(InputError);
  });

  it('turns hunks into records, splitting long ones and steering clear of the EOF offset', () => {
    const h = (offset: number, n: number): OffsetHunk => ({
      kind: 'offset',
      offset: BigInt(offset),
      new: Uint8Array.from({ length: n }, (_, i) => i & 0xff),
      source: { name: 't', line: 1 },
    });
    const ips = hunksToIps([h(0, 70000), h(0x454f46 - 0xffff, 0x10005)]);
    expect(ips.records.map((r) => r.offset)).toEqual([0, 65535, 0x454f46 - 0xffff, 0x454f46 - 1]);
    const file = new Uint8Array(0x454f46 + 10);
    const want = applyPatchToBytes(file, { hunks: [h(0, 70000), h(0x454f46 - 0xffff, 0x10005)], guards: {} }).bytes;
    const got = applyPatchToBytes(file, ipsToPatch(parseIps(formatIps(ips)))).bytes;
    expect(Buffer.from(got).equals(want)).toBe(true); // toEqual on 4 MiB arrays is far too slow
    expect(hunksToIps([h(0, 4)], 2n).truncate).toBe(2);
    expect(hunksToIps([h(0, 4)], 10n).records.at(-1)).toMatchObject({ offset: 9, data: b(0) });
  });
});
