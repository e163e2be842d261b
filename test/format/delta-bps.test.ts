import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { applyDeltaInMemory, decodeBps, type DeltaOp, encodeBps, looksLikeBps } from '../../src/format/delta/index.js';
import { randomBytes, xorshift32 } from '../helpers/peers.js';
import { inputErrorOf } from './expect-input-error.js';
import { bytesOf, checkOf, collect, crcLe, diffOps, drain, expectPlaced, inputErrorOrOk, mutate, opsOf, reseal, sameBytes, seal, varint } from './delta-kit.js';

const source = bytesOf('abcdef');
const target = bytesOf('abXYefaXYZZZZ');

// By hand from byuu's BPS description: every action once, TargetCopy also as a repeating pattern.
const body = bytesOf(
  'BPS1',
  0x86, // source size 6 (a one-byte varint: 0x80 | 6)
  0x8d, // target size 13
  0x84, // metadata size 4
  '<m/>', // metadata
  0x84, // SourceRead, length 2: ((2 - 1) << 2) | 0          -> "ab"      target 0..2
  0x85, // TargetRead, length 2: ((2 - 1) << 2) | 1
  'XY', //   its bytes                                          -> "XY"      target 2..4
  0x86, // SourceCopy, length 2: ((2 - 1) << 2) | 2
  0x88, //   offset +4 (4 << 1): source 4                       -> "ef"      target 4..6
  0x82, // SourceCopy, length 1: (0 << 2) | 2
  0x8d, //   offset -6 ((6 << 1) | 1): source 6 - 6 = 0         -> "a"       target 6
  0x87, // TargetCopy, length 2: ((2 - 1) << 2) | 3
  0x84, //   offset +2 (2 << 1): target 2                       -> "XY"      target 7..9
  0x81, // TargetRead, length 1: (0 << 2) | 1
  'Z', //                                                       -> "Z"       target 9
  0x8b, // TargetCopy, length 3: ((3 - 1) << 2) | 3
  0x8a, //   offset +5 (5 << 1): target 4 + 5 = 9 (the Z itself) -> "ZZZ"     target 10..13
);
const trailer = bytesOf(
  [0xef, 0x39, 0x8e, 0x4b], // CRC-32 of "abcdef", 0x4b8e39ef (Python's zlib.crc32), little-endian
  [0x1f, 0x62, 0x1a, 0x69], // CRC-32 of the target, 0x691a621f
  [0xfe, 0x33, 0x02, 0x22], // CRC-32 of all the bytes before, 0x220233fe
);
const patch = bytesOf(body, trailer);

const op = {
  source: (at: number, length: number, from: number): DeltaOp => ({ kind: 'source', at: BigInt(at), length: BigInt(length), from: BigInt(from) }),
  target: (at: number, length: number, from: number): DeltaOp => ({ kind: 'target', at: BigInt(at), length: BigInt(length), from: BigInt(from) }),
  data: (at: number, bytes: Uint8Array): DeltaOp => ({ kind: 'data', at: BigInt(at), bytes }),
  fill: (at: number, length: number, value: number): DeltaOp => ({ kind: 'fill', at: BigInt(at), length: BigInt(length), value }),
};

describe('BPS decoding', () => {
  it('reads the hand-built patch: header, metadata, checks, and one op per action', () => {
    expect(looksLikeBps(patch)).toBe(true);
    expect(looksLikeBps(bytesOf('UPS1'))).toBe(false);
    expect(trailer).toEqual(bytesOf(crcLe(source), crcLe(target), crcLe(bytesOf(body, crcLe(source), crcLe(target))))); // node:zlib agrees
    const d = decodeBps(patch, 'p.bps');
    expect(d).toMatchObject({ format: 'bps', sourceSize: 6n, targetSize: 13n, metadata: '<m/>' });
    expect(d.checks).toEqual([
      { algorithm: 'crc32', of: 'source', value: 0x4b8e39ef },
      { algorithm: 'crc32', of: 'target', value: 0x691a621f },
      { algorithm: 'crc32', of: 'patch', value: 0x220233fe },
    ]);
    expect(opsOf(d)).toEqual([
      op.source(0, 2, 0),
      op.data(2, bytesOf('XY')),
      op.source(4, 2, 4), // a SourceCopy to its own offset: the same as a SourceRead
      op.source(6, 1, 0),
      op.target(7, 2, 2),
      op.data(9, bytesOf('Z')),
      op.target(10, 3, 9),
    ]);
    expect(applyDeltaInMemory(source, d)).toEqual(target);
  });

  it('merges SourceReads in a row and SourceCopies that continue each other', () => {
    // SourceRead 2, SourceRead 1, SourceCopy 2 from +3 (source 3..5), SourceCopy 1 from +0 (5): one op.
    const d = decodeBps(seal(bytesOf('BPS1', varint(6), varint(6), varint(0), 0x84, 0x80, 0x86, 0x86, 0x82, 0x80), source, source), 'm.bps');
    expect(opsOf(d)).toEqual([op.source(0, 6, 0)]);
  });

  it('decodes lazily: the header now, a bad action only when the ops are walked', () => {
    const bad = seal(bytesOf('BPS1', varint(6), varint(6), varint(0), 0x83, 0x80), source, source); // TargetCopy first
    const d = decodeBps(bad, 'lazy.bps');
    expect(d.targetSize).toBe(6n);
    expect(() => [...d.ops()]).toThrow('lazy.bps byte 0x7: TargetCopy at target 0x0 reads from 0x0, not before the current target position');
  });

  it('reads varints of several bytes, up to 2^64 - 1, and rejects longer ones naming their offset', () => {
    for (const v of [127n, 128n, 129n, 16511n, 16512n, 2n ** 32n, 2n ** 64n - 1n]) {
      const d = decodeBps(seal(bytesOf('BPS1', varint(v), varint(0), varint(0)), source, source), 'v.bps');
      expect(d.sourceSize).toBe(v);
    }
    expect(varint(128)).toEqual([0x00, 0x80]);
    expect(varint(16512)).toEqual([0x00, 0x00, 0x80]);
    const over = seal(bytesOf('BPS1', varint(2n ** 64n), varint(0), varint(0)), source, source);
    expect(() => decodeBps(over, 'v.bps')).toThrow('v.bps byte 0x4: the source size (a varint) is larger than 2^64 - 1');
    const endless = seal(bytesOf('BPS1', new Uint8Array(40)), source, source);
    expect(() => decodeBps(endless, 'v.bps')).toThrow('v.bps byte 0x4: the source size (a varint) is larger than 2^64 - 1');
    const cut = seal(bytesOf('BPS1', 0x00, 0x00, 0x00), source, source);
    expect(() => decodeBps(cut, 'v.bps')).toThrow(
      "v.bps byte 0x4: truncated: the source size (a varint) runs past the end of the patch's body (its checksums start at 0x7)",
    );
  });

  it('rejects each malformed patch with one line naming the byte', () => {
    const hdr = (src: number, tgt: number, ...actions: (number | string)[]) =>
      seal(bytesOf('BPS1', varint(src), varint(tgt), varint(0), ...actions), source, target);
    const cases: [string, Uint8Array, string][] = [
      ['wrong magic', bytesOf('BPS2', body.subarray(4), trailer), "x.bps byte 0x0: not a BPS patch: no 'BPS1' header"],
      ['too short', bytesOf('BPS1', 0x80), 'x.bps byte 0x5: truncated: 5 byte(s), a BPS patch has at least 19'],
      [
        'patch CRC',
        bytesOf(body, trailer.subarray(0, 8), [0, 0, 0, 0]),
        "x.bps byte 0x21: the patch's CRC-32 does not match: it records 0x00000000, its bytes give 0x220233fe (truncated or damaged)",
      ],
      ['action past the target', hdr(6, 2, 0x88), 'x.bps byte 0x7: SourceRead of 3 byte(s) at target 0x0 runs past the target size 0x2'],
      ['SourceRead past the source', hdr(2, 6, 0x88), "x.bps byte 0x7: SourceRead of 0x0..0x3 reads past the source's end (0x2)"],
      ['SourceCopy before 0', hdr(6, 6, 0x82, 0x83), 'x.bps byte 0x7: SourceCopy of 1 byte(s) from source -0x1 reads outside the source (0x6 bytes)'],
      ['SourceCopy past the end', hdr(6, 6, 0x86, 0x8a), 'x.bps byte 0x7: SourceCopy of 2 byte(s) from source 0x5 reads outside the source (0x6 bytes)'],
      [
        'TargetCopy at the position',
        hdr(6, 6, 0x81, 'a', 0x83, 0x82),
        'x.bps byte 0x9: TargetCopy at target 0x1 reads from 0x1, not before the current target position',
      ],
      ['TargetRead cut short', hdr(6, 6, 0x85, 'a'), 'x.bps byte 0x7: truncated: TargetRead of 2 byte(s), 1 left before the checksums'],
      ['actions short of the target', hdr(6, 6, 0x84), 'x.bps byte 0x8: truncated: the actions build 0x2 byte(s), short of the target size 0x6'],
      ['trailing garbage', hdr(2, 2, 0x84, 0x84), 'x.bps byte 0x8: 1 byte(s) after the action that completes the target (0x2 bytes)'],
      [
        'metadata past the end',
        seal(bytesOf('BPS1', 0x80, 0x80, varint(100), 'ab'), source, target),
        'x.bps byte 0x6: truncated: 100 byte(s) of metadata announced, 2 left before the checksums',
      ],
      [
        'action varint endless',
        hdr(6, 6, 0x00, 0x00),
        "x.bps byte 0x7: truncated: the action (a varint) runs past the end of the patch's body (its checksums start at 0x9)",
      ],
    ];
    for (const [what, p, message] of cases) {
      const e = inputErrorOf(() => drain(() => decodeBps(p, 'x.bps')));
      expect(e.message, what).toBe(message);
    }
  });

  it('survives forged sizes without allocating: 2^64 - 1 bytes announced, nothing there', () => {
    // One SourceRead of 2^60 + 1 bytes (valid against these sizes), then nothing.
    const forged = seal(bytesOf('BPS1', varint(2n ** 64n - 1n), varint(2n ** 64n - 1n), varint(0), varint(2n ** 62n)), source, target);
    const d = decodeBps(forged, 'f.bps');
    const ops = d.ops()[Symbol.iterator]();
    expect(ops.next().value).toEqual({ kind: 'source', at: 0n, length: 2n ** 60n + 1n, from: 0n });
    expect(() => ops.next()).toThrow('f.bps byte 0x22: truncated: the actions build 0x1000000000000001 byte(s), short of the target size 0xffffffffffffffff');
  });
});

describe('BPS hostile patches', () => {
  it('throws an InputError at every truncation of the hand-built patch, resealed or not', () => {
    for (let n = 0; n < patch.length; n++) {
      expectPlaced(() => drain(() => decodeBps(patch.subarray(0, n), 'cut.bps')), 'cut.bps');
      // The patch CRC made right again: the checks behind it must catch the cut.
      if (n >= 4) expectPlaced(() => drain(() => decodeBps(reseal(patch.subarray(0, n)), 'cut.bps')), 'cut.bps');
    }
  });

  it('flipped bytes: an InputError or a patch that still decodes, never another exception', () => {
    let rejected = 0;
    for (let i = 0; i < patch.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const p = patch.slice();
        p[i]! ^= mask;
        expectPlaced(() => drain(() => decodeBps(p, 'flip.bps')), 'flip.bps'); // the patch CRC sees it
        if (
          !inputErrorOrOk(() =>
            applyDeltaInMemory(
              source,
              drain(() => decodeBps(reseal(p), 'flip.bps')),
            ),
          )
        )
          rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(patch.length);
  });
});

/** Random ops over a random source: every op kind, including copies that repeat a pattern. */
function randomOps(seed: number, source: Uint8Array, targetSize: number): DeltaOp[] {
  const next = xorshift32(seed);
  const ops: DeltaOp[] = [];
  let at = 0;
  while (at < targetSize) {
    const len = Math.min(targetSize - at, 1 + (next() % 40));
    const k = next() % 6;
    if (k === 0 && at + len <= source.length) ops.push(op.source(at, len, at));
    else if (k === 1 && len <= source.length) ops.push(op.source(at, len, next() % (source.length - len + 1)));
    else if (k === 2 && at > 0) ops.push(op.target(at, len, next() % at));
    else if (k === 3) ops.push(op.fill(at, len, next() & 0xff));
    else if (k === 4) {
      at += len; // a gap: the source's bytes in place, zeros past its end
      continue;
    } else ops.push(op.data(at, randomBytes(len, next())));
    at += len;
  }
  return ops;
}

describe('BPS encoding', () => {
  it('round-trips random ops: encode, decode, apply gives the same target', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const next = xorshift32(seed * 7919);
      const src = randomBytes(next() % 300, seed);
      const targetSize = next() % 400;
      const ops = randomOps(seed, src, targetSize);
      const tgt = applyDeltaInMemory(src, { format: 'bps', targetSize: BigInt(targetSize), checks: [], ops: () => ops });
      const sourceCrc32 = zlib.crc32(src);
      const targetCrc32 = zlib.crc32(tgt);
      const p = collect(
        encodeBps(ops, { sourceSize: BigInt(src.length), targetSize: BigInt(targetSize), metadata: `seed ${seed} ✓`, sourceCrc32, targetCrc32 }),
      );
      const d = decodeBps(p, 'rt.bps');
      expect(d.metadata).toBe(`seed ${seed} ✓`);
      expect(checkOf(d, 'source')).toBe(sourceCrc32);
      expect(checkOf(d, 'target')).toBe(targetCrc32);
      sameBytes(applyDeltaInMemory(src, d), tgt, `seed ${seed}`);
    }
  });

  it('round-trips random source/target pairs through a plain differ (gaps become SourceReads and zeros)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const src = randomBytes(seed * 5, seed);
      const tgt = mutate(src, seed);
      const p = collect(
        encodeBps(diffOps(src, tgt), {
          sourceSize: BigInt(src.length),
          targetSize: BigInt(tgt.length),
          sourceCrc32: zlib.crc32(src),
          targetCrc32: zlib.crc32(tgt),
        }),
      );
      sameBytes(applyDeltaInMemory(src, decodeBps(p, 'pair.bps')), tgt, `seed ${seed}`);
    }
  });

  it('encodes the hand-built patch from its own ops byte for byte', () => {
    const d = decodeBps(patch, 'p.bps');
    const again = collect(encodeBps(opsOf(d), { sourceSize: 6n, targetSize: 13n, metadata: '<m/>', sourceCrc32: 0x4b8e39ef, targetCrc32: 0x691a621f }));
    // The same target; a SourceCopy to its own offset comes back as a SourceRead (0x84, no offset).
    expect(applyDeltaInMemory(source, decodeBps(again, 'again.bps'))).toEqual(target);
    expect(again.length).toBe(patch.length - 1);
  });

  it('hands out pieces, never the whole of a large patch at once', () => {
    const big = randomBytes(300_000, 3);
    const pieces = [...encodeBps([op.data(0, big)], { sourceSize: 0n, targetSize: 300_000n, sourceCrc32: 0, targetCrc32: 0 })];
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.some((p) => p === big)).toBe(true); // a large run goes out as it is, not copied
    sameBytes(applyDeltaInMemory(new Uint8Array(0), decodeBps(collect(pieces), 'big.bps')), big, 'big');
  });

  it('rejects ops BPS cannot express or that break the rules', () => {
    const h = { sourceSize: 4n, targetSize: 8n, sourceCrc32: 0, targetCrc32: 0 };
    const cases: [DeltaOp[], string][] = [
      [[{ kind: 'xor', at: 0n, from: 0n, bytes: bytesOf(1) }], "BPS cannot express an 'xor' op (at 0x0): it has no action that combines bytes"],
      [[op.data(2, bytesOf(1, 2)), op.data(3, bytesOf(1))], 'delta op at 0x3 starts before the end of the previous one (0x4)'],
      [[op.data(6, bytesOf(1, 2, 3))], 'delta op at 0x6 ends at 0x9, past the target size 0x8'],
      [[op.source(0, 3, 2)], "delta op at 0x0 copies source 0x2..0x5, past the source's end (0x4)"],
      [[op.target(2, 1, 2)], 'delta op at 0x2 copies the target from 0x2, not before it'],
    ];
    for (const [ops, message] of cases) expect(inputErrorOf(() => collect(encodeBps(ops, h))).message).toBe(message);
  });
});
