import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { applyDeltaInMemory, decodeUps, type DeltaOp, encodeUps, looksLikeUps } from '../../src/format/delta/index.js';
import { randomBytes } from '../helpers/peers.js';
import { inputErrorOf } from './expect-input-error.js';
import { bytesOf, collect, crcLe, drain, expectPlaced, inputErrorOrOk, mutate, opsOf, reseal, sameBytes, seal, varint, xorOps } from './delta-kit.js';

const source = bytesOf('abcdef');
const target = bytesOf('abXdefgh');

// By hand from the UPS description: two records; the second XORs past the source's end (zeros).
const body = bytesOf(
  'UPS1',
  0x86, // source size 6 (a one-byte varint: 0x80 | 6)
  0x88, // target size 8
  0x82, // skip 2 (target 0..2 unchanged)
  0x3b, //   'c' ^ 'X' = 0x63 ^ 0x58                  -> target 2 = 'X'
  0x00, //   end of record; counts as the unchanged byte at 3
  0x82, // skip 2 (target 4..6 unchanged)
  0x67, //   0 ^ 'g' (past the source's end: zero)  -> target 6 = 'g'
  0x68, //   0 ^ 'h'                                -> target 7 = 'h'
  0x00, //   end of record (position 8, past both files)
);
const trailer = bytesOf(
  [0xef, 0x39, 0x8e, 0x4b], // CRC-32 of "abcdef", 0x4b8e39ef (Python's zlib.crc32), little-endian
  [0x3e, 0xdd, 0x52, 0xc0], // CRC-32 of "abXdefgh", 0xc052dd3e
  [0x81, 0x0c, 0xf3, 0x2a], // CRC-32 of all the bytes before, 0x2af30c81
);
const patch = bytesOf(body, trailer);
const xor = (at: number, bytes: Uint8Array): DeltaOp => ({ kind: 'xor', at: BigInt(at), from: BigInt(at), bytes });

describe('UPS decoding', () => {
  it('reads the hand-built patch: sizes, checks, XOR ops at their own offset', () => {
    expect(looksLikeUps(patch)).toBe(true);
    expect(looksLikeUps(bytesOf('BPS1'))).toBe(false);
    expect(trailer).toEqual(bytesOf(crcLe(source), crcLe(target), crcLe(bytesOf(body, crcLe(source), crcLe(target))))); // node:zlib agrees
    const d = decodeUps(patch, 'p.ups');
    expect(d).toMatchObject({ format: 'ups', sourceSize: 6n, targetSize: 8n, records: 2, isReversed: false });
    expect(d.checks).toEqual([
      { algorithm: 'crc32', of: 'source', value: 0x4b8e39ef },
      { algorithm: 'crc32', of: 'target', value: 0xc052dd3e },
      { algorithm: 'crc32', of: 'patch', value: 0x2af30c81 },
    ]);
    expect(opsOf(d)).toEqual([xor(2, bytesOf(0x3b)), xor(6, bytesOf(0x67, 0x68))]);
    expect(applyDeltaInMemory(source, d)).toEqual(target);
  });

  it('reverses: the same records applied to the target give the source, checks swapped', () => {
    const r = decodeUps(patch, 'p.ups').reversed();
    expect(r).toMatchObject({ sourceSize: 8n, targetSize: 6n, isReversed: true });
    expect(r.checks.map((c) => [c.of, c.value])).toEqual([
      ['source', 0xc052dd3e],
      ['target', 0x4b8e39ef],
      ['patch', 0x2af30c81],
    ]);
    expect(opsOf(r)).toEqual([xor(2, bytesOf(0x3b))]); // the tail past 6 is cut: the source is shorter
    expect(applyDeltaInMemory(target, r)).toEqual(source);
    expect(r.reversed().isReversed).toBe(false);
  });

  it('rejects each malformed patch with one line naming the byte', () => {
    const ups = (src: number, tgt: number, ...records: number[]) => seal(bytesOf('UPS1', varint(src), varint(tgt), ...records), source, target);
    const cases: [string, Uint8Array, string][] = [
      ['wrong magic', bytesOf('UPS0', body.subarray(4), trailer), "x.ups byte 0x0: not a UPS patch: no 'UPS1' header"],
      ['too short', bytesOf('UPS1', 0x80, 0x80, 0, 0, 0, 0), 'x.ups byte 0xa: truncated: 10 byte(s), a UPS patch has at least 18'],
      [
        'patch CRC',
        bytesOf(body, trailer.subarray(0, 8), [1, 2, 3, 4]),
        "x.ups byte 0x15: the patch's CRC-32 does not match: it records 0x04030201, its bytes give 0x2af30c81 (truncated or damaged)",
      ],
      ['skip past both files', ups(6, 8, 0x89, 0x01, 0x00), 'x.ups byte 0x6: record 1 starts at 0x9, past the end of the larger file (0x8)'],
      ['record past both files', ups(6, 8, 0x86, 0x01, 0x02, 0x03, 0x00), 'x.ups byte 0x7: record 1 writes 0x6..0x9, past the end of the larger file (0x8)'],
      ['record after the end', ups(2, 2, 0x81, 0x01, 0x00, 0x80, 0x00), 'x.ups byte 0x9: record 2 starts at 0x3, past the end of the larger file (0x2)'],
      ['no terminating zero', ups(6, 8, 0x80, 0x01, 0x02), 'x.ups byte 0x7: truncated: record 1 has no terminating 0 byte before the checksums at 0x9'],
      [
        'skip varint endless',
        ups(6, 8, 0x00, 0x00),
        "x.ups byte 0x6: truncated: the skip (a varint) runs past the end of the patch's body (its checksums start at 0x8)",
      ],
      [
        'size varint past 2^64',
        seal(bytesOf('UPS1', varint(2n ** 64n), 0x80), source, target),
        'x.ups byte 0x4: the source size (a varint) is larger than 2^64 - 1',
      ],
    ];
    for (const [what, p, message] of cases) {
      const e = inputErrorOf(() => drain(() => decodeUps(p, 'x.ups')));
      expect(e.message, what).toBe(message);
    }
  });

  it('throws an InputError at every truncation of the hand-built patch; resealed cuts decode or fail cleanly', () => {
    for (let n = 0; n < patch.length; n++) {
      expectPlaced(() => drain(() => decodeUps(patch.subarray(0, n), 'cut.ups')), 'cut.ups');
      inputErrorOrOk(() =>
        applyDeltaInMemory(
          source,
          drain(() => decodeUps(reseal(patch.subarray(0, n)), 'cut.ups')),
        ),
      );
    }
  });

  it('flipped bytes: the patch CRC catches them; resealed, an InputError or a valid patch', () => {
    for (let i = 0; i < patch.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const p = patch.slice();
        p[i]! ^= mask;
        expectPlaced(() => drain(() => decodeUps(p, 'flip.ups')), 'flip.ups');
        inputErrorOrOk(() =>
          applyDeltaInMemory(
            source,
            drain(() => decodeUps(reseal(p), 'flip.ups')),
          ),
        );
      }
    }
  });
});

describe('UPS encoding', () => {
  it('round-trips random source/target pairs both ways (growing, shrinking, equal sizes)', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const src = randomBytes((seed * 37) % 300, seed);
      const tgt = seed % 3 === 0 ? randomBytes((seed * 53) % 300, seed + 1000) : mutate(src, seed);
      const header = { sourceSize: BigInt(src.length), targetSize: BigInt(tgt.length), sourceCrc32: zlib.crc32(src), targetCrc32: zlib.crc32(tgt) };
      const d = decodeUps(collect(encodeUps(xorOps(src, tgt), header)), 'rt.ups');
      expect(d.checks.map((c) => c.value).slice(0, 2)).toEqual([header.sourceCrc32, header.targetCrc32]);
      sameBytes(applyDeltaInMemory(src, d), tgt, `seed ${seed} forward`);
      sameBytes(applyDeltaInMemory(tgt, d.reversed()), src, `seed ${seed} reversed`);
    }
  });

  it('encodes the hand-built patch byte for byte from XOR ops (zero XOR bytes cut records, adjacent ops share one)', () => {
    const header = { sourceSize: 6n, targetSize: 8n, sourceCrc32: 0x4b8e39ef, targetCrc32: 0xc052dd3e };
    expect(collect(encodeUps(xorOps(source, target), header))).toEqual(patch);
    const split = [
      xor(0, bytesOf(0, 0, 0x3b)),
      xor(3, bytesOf(0)),
      { kind: 'source', at: 4n, length: 2n, from: 4n } as const,
      xor(6, bytesOf(0x67)),
      xor(7, bytesOf(0x68)),
    ];
    expect(collect(encodeUps(split, header))).toEqual(patch);
  });

  it('rejects ops UPS cannot express', () => {
    const h = { sourceSize: 4n, targetSize: 4n, sourceCrc32: 0, targetCrc32: 0 };
    const cases: [DeltaOp[], string][] = [
      [[{ kind: 'data', at: 0n, bytes: bytesOf(1) }], "UPS cannot express a 'data' op (at 0x0): it XORs bytes at their own offset only"],
      [
        [{ kind: 'xor', at: 1n, from: 0n, bytes: bytesOf(1) }],
        "UPS cannot express a 'xor' op reading another offset (at 0x1): it XORs bytes at their own offset only",
      ],
      [[xor(2, bytesOf(1, 2)), xor(3, bytesOf(1))], 'delta op at 0x3 starts before the end of the previous one (0x4)'],
      [[xor(3, bytesOf(1, 2))], 'delta op at 0x3 ends at 0x5, past the larger of the two sizes (0x4)'],
    ];
    for (const [ops, message] of cases) expect(inputErrorOf(() => collect(encodeUps(ops, h))).message).toBe(message);
  });
});
