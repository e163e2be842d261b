import { describe, expect, it } from 'vitest';
import { applyDeltaInMemory, decodeIps32, type DeltaOp, encodeIps32, looksLikeIps32 } from '../../src/format/delta/index.js';
import { randomBytes, xorshift32 } from '../helpers/peers.js';
import { inputErrorOf } from './expect-input-error.js';
import { bytesOf, collect, diffOps, expectPlaced, inputErrorOrOk, mutate, opsOf, sameBytes } from './delta-kit.js';

// By hand from the IPS32 description: big-endian 32-bit offsets, 16-bit sizes, "EEOF".
const patch = bytesOf(
  'IPS32',
  [0x00, 0x00, 0x00, 0x02], // record 1 at 2
  [0x00, 0x03], //   3 data bytes
  [0xaa, 0xbb, 0xcc],
  [0x00, 0x01, 0x00, 0x00], // record 2 at 0x10000
  [0x00, 0x00], //   size 0: RLE
  [0x00, 0x04, 0x7f], //   4 times 0x7f
  [0x00, 0x00, 0x00, 0x03], // record 3 at 3, over record 1's 0xbb: the later record wins
  [0x00, 0x01],
  [0xdd],
  'EEOF',
);
const data = (at: number, ...bytes: number[]): DeltaOp => ({ kind: 'data', at: BigInt(at), bytes: Uint8Array.from(bytes) });
const fill = (at: number, length: number, value: number): DeltaOp => ({ kind: 'fill', at: BigInt(at), length: BigInt(length), value });
const EEOF = 0x45454f46;

describe('IPS32 decoding', () => {
  it('reads the hand-built patch: overlaps resolved, ops disjoint and in order', () => {
    expect(looksLikeIps32(patch)).toBe(true);
    expect(looksLikeIps32(bytesOf('PATCH'))).toBe(false);
    const d = decodeIps32(patch, 'p.ips');
    expect(d).toMatchObject({ format: 'ips32', records: 3, checks: [] });
    expect(d.targetSize).toBeUndefined();
    expect(opsOf(d)).toEqual([data(2, 0xaa), data(3, 0xdd), data(4, 0xcc), fill(0x10000, 4, 0x7f)]);
    const out = applyDeltaInMemory(new Uint8Array(8).fill(1), d);
    expect(out.length).toBe(0x10004); // grown to the end of the last record, zeros between
    expect([...out.subarray(0, 8)]).toEqual([1, 1, 0xaa, 0xdd, 0xcc, 1, 1, 1]);
    expect([...out.subarray(0xfffe)]).toEqual([0, 0, 0x7f, 0x7f, 0x7f, 0x7f]);
  });

  it('reads a size after EEOF as the target size, and cuts the records past it', () => {
    const d = decodeIps32(bytesOf(patch, [0, 0, 0, 4]), 'p.ips');
    expect(d.targetSize).toBe(4n);
    expect(opsOf(d)).toEqual([data(2, 0xaa), data(3, 0xdd)]);
    expect([...applyDeltaInMemory(new Uint8Array(8).fill(1), d)]).toEqual([1, 1, 0xaa, 0xdd]);
  });

  it('reads an offset of 0x45454f46 as the end', () => {
    const d = decodeIps32(bytesOf('IPS32', [0x45, 0x45, 0x4f, 0x46]), 'e.ips');
    expect(opsOf(d)).toEqual([]);
    expect(() => decodeIps32(bytesOf('IPS32', 'EEOF', [0, 1], [9]), 'e.ips')).toThrow("e.ips byte 0x9: 3 byte(s) after 'EEOF' (only a 4-byte size may follow)");
  });

  it('rejects each malformed patch with one line naming the byte', () => {
    const cases: [string, Uint8Array, string][] = [
      ['IPS header', bytesOf('PATCH', 'EOF'), "x.ips byte 0x0: not an IPS32 patch: no 'IPS32' header"],
      ['no EEOF', bytesOf('IPS32'), "x.ips byte 0x5: truncated: no 'EEOF' after 0 record(s)"],
      ['stray bytes', bytesOf('IPS32', 'EEO'), "x.ips byte 0x5: truncated: no 'EEOF' after 0 record(s) (3 stray byte(s))"],
      ['size cut', bytesOf('IPS32', [0, 0, 0, 1], [0]), 'x.ips byte 0x5: truncated: record 1 needs its 2-byte size, 1 byte(s) left'],
      ['data cut', bytesOf('IPS32', [0, 0, 0, 1], [0, 5], [1, 2]), 'x.ips byte 0x5: truncated: record 1 announces 5 data byte(s), 2 left'],
      ['RLE cut', bytesOf('IPS32', [0, 0, 0, 1], [0, 0], [0, 5]), 'x.ips byte 0x5: truncated: RLE record 1 needs 9 bytes, 8 left'],
      ['RLE of 0', bytesOf('IPS32', [0, 0, 0, 1], [0, 0], [0, 0], [7], 'EEOF'), 'x.ips byte 0x5: RLE record 1 has length 0'],
      ['garbage after EEOF', bytesOf(patch, [1, 2, 3, 4, 5]), "x.ips byte 0x22: 5 byte(s) after 'EEOF' (only a 4-byte size may follow)"],
    ];
    for (const [what, p, message] of cases) expect(inputErrorOf(() => decodeIps32(p, 'x.ips')).message, what).toBe(message);
  });

  it('throws an InputError at every truncation and survives every byte flip', () => {
    for (let n = 0; n < patch.length; n++) expectPlaced(() => decodeIps32(patch.subarray(0, n), 'cut.ips'), 'cut.ips');
    const source = new Uint8Array(16);
    for (let i = 0; i < patch.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const p = patch.slice();
        p[i]! ^= mask;
        // A flipped offset may ask for up to 4 GiB: walk the ops, apply only small targets.
        inputErrorOrOk(() => {
          const d = decodeIps32(p, 'flip.ips');
          const ops = opsOf(d);
          if (ops.every((o) => o.at < 1_000_000n)) applyDeltaInMemory(source, d);
        });
      }
    }
  });

  it('resolves many overlapping records, in any order, as sequential writes would', () => {
    const next = xorshift32(99);
    const records: Uint8Array[] = [];
    const expected = new Uint8Array(300);
    for (let r = 0; r < 200; r++) {
      const at = next() % 250;
      const len = 1 + (next() % 40);
      const end = Math.min(300, at + len);
      if (next() % 3 === 0) {
        const v = next() & 0xff;
        records.push(bytesOf([at >>> 24, (at >>> 16) & 0xff, (at >>> 8) & 0xff, at & 0xff], [0, 0], [0, end - at], [v]));
        expected.fill(v, at, end);
      } else {
        const b = randomBytes(end - at, next());
        records.push(bytesOf([at >>> 24, (at >>> 16) & 0xff, (at >>> 8) & 0xff, at & 0xff], [0, end - at], b));
        expected.set(b, at);
      }
    }
    const d = decodeIps32(bytesOf('IPS32', ...records, 'EEOF', [0, 0, 1, 44]), 'many.ips');
    let end = 0n;
    for (const o of opsOf(d)) {
      expect(o.at).toBeGreaterThanOrEqual(end);
      end = o.at + (o.kind === 'data' ? BigInt(o.bytes.length) : o.kind === 'fill' ? o.length : 0n);
    }
    sameBytes(applyDeltaInMemory(new Uint8Array(300), d), expected, 'many');
  });
});

describe('IPS32 encoding', () => {
  it('round-trips random source/target pairs: growing, shrinking, equal sizes', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const src = randomBytes((seed * 41) % 200, seed);
      const tgt = mutate(src, seed);
      if (seed % 4 === 0) tgt.fill(7, 0, Math.min(tgt.length, 30)); // a run: an RLE record
      const p = collect(encodeIps32(diffOps(src, tgt), { sourceSize: BigInt(src.length), targetSize: BigInt(tgt.length) }));
      sameBytes(applyDeltaInMemory(src, decodeIps32(p, 'rt.ips')), tgt, `seed ${seed}`);
    }
  });

  it('writes data, RLE and the size: byte for byte', () => {
    const ops = [
      data(2, 0xaa, 0xdd),
      data(4, 0xcc),
      fill(5, 3, 1),
      fill(0x10000, 4, 0x7f),
      { kind: 'source', at: 0x10004n, length: 5n, from: 0x10004n } as const,
    ];
    expect(collect(encodeIps32(ops))).toEqual(
      bytesOf(
        'IPS32',
        [0, 0, 0, 2, 0, 6, 0xaa, 0xdd, 0xcc, 1, 1, 1], // adjacent data ops and a short fill share one record
        [0, 1, 0, 0, 0, 0, 0, 4, 0x7f], // a fill of 4 or more is an RLE record
        'EEOF',
      ),
    );
    // A shrink needs the size; a growth the records do not reach is a zero record at the last byte.
    expect(collect(encodeIps32([data(1, 9)], { sourceSize: 8n, targetSize: 4n }))).toEqual(bytesOf('IPS32', [0, 0, 0, 1, 0, 1, 9], 'EEOF', [0, 0, 0, 4]));
    expect(collect(encodeIps32([data(1, 9)], { sourceSize: 8n, targetSize: 10n }))).toEqual(
      bytesOf('IPS32', [0, 0, 0, 1, 0, 1, 9], [0, 0, 0, 9, 0, 1, 0], 'EEOF'),
    );
    expect(collect(encodeIps32([], { sourceSize: 8n, targetSize: 8n }))).toEqual(bytesOf('IPS32', 'EEOF'));
    expect(collect(encodeIps32([], { targetSize: 8n }))).toEqual(bytesOf('IPS32', 'EEOF', [0, 0, 0, 8]));
  });

  it('never starts a record at 0x45454f46: one byte earlier, or a split that avoids it', () => {
    // A data op at "EEOF": the record starts one byte before, with that byte (asked for).
    const asked: bigint[] = [];
    const p = collect(
      encodeIps32([data(EEOF, 1, 2)], {
        targetByteAt: (o) => {
          asked.push(o);
          return 0x55;
        },
      }),
    );
    expect(asked).toEqual([BigInt(EEOF - 1)]);
    expect(p).toEqual(bytesOf('IPS32', [0x45, 0x45, 0x4f, 0x45, 0, 3, 0x55, 1, 2], 'EEOF'));
    expect(opsOf(decodeIps32(p, 'e.ips'))).toEqual([data(EEOF - 1, 0x55, 1, 2)]);
    // Without a way to learn that byte, a clear error.
    expect(inputErrorOf(() => collect(encodeIps32([data(EEOF, 1)]))).message).toBe(
      "IPS32 cannot start a record at 0x45454f46 (it reads as 'EEOF') without the byte before it",
    );
    // A long op whose 65535-byte split would end at "EEOF": the next record starts a byte earlier.
    const long = new Uint8Array(70000).fill(3);
    const start = EEOF - 65535;
    const q = decodeIps32(collect(encodeIps32([{ kind: 'data', at: BigInt(start), bytes: long }])), 'e.ips');
    expect(opsOf(q).map((o) => [o.at, o.kind === 'data' ? o.bytes.length : 0])).toEqual([
      [BigInt(start), 65534],
      [BigInt(EEOF - 1), 70000 - 65534],
    ]);
    // A fill at "EEOF" after data that ends just before it: that data's last byte leads.
    const f = decodeIps32(collect(encodeIps32([data(EEOF - 1, 8), fill(EEOF, 10, 6)])), 'e.ips');
    expect(opsOf(f)).toEqual([data(EEOF - 1, 8, 6), fill(EEOF + 1, 9, 6)]);
  });

  it('rejects ops IPS32 cannot express', () => {
    const cases: [DeltaOp[], string][] = [
      [[{ kind: 'source', at: 4n, length: 2n, from: 0n }], 'IPS32 cannot copy: the op at 0x4 copies the source from 0x0'],
      [[{ kind: 'target', at: 4n, length: 2n, from: 0n }], "IPS32 cannot express a 'target' op (at 0x4): it writes literal bytes and runs only"],
      [[data(4, 1, 2), data(5, 1)], 'delta op at 0x5 starts before the end of the previous one (0x6)'],
      [[data(2 ** 32, 1)], 'IPS32 cannot address offset 0x100000000: its offsets end at 0xffffffff (4 GiB)'],
    ];
    for (const [ops, message] of cases) expect(inputErrorOf(() => collect(encodeIps32(ops))).message).toBe(message);
  });
});
