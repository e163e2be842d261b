import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Portable } from '../../src/format/delta/crc32.js';
import { randomBytes } from '../helpers/peers.js';

const ascii = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

// Values computed by Python's zlib.crc32 (another implementation than the one under test).
const KNOWN: [string, Uint8Array, number][] = [
  ['empty', new Uint8Array(0), 0],
  ['the check value "123456789"', ascii('123456789'), 0xcbf43926],
  ['the quick brown fox', ascii('The quick brown fox jumps over the lazy dog'), 0x414fa339],
  ['bytes 0..255 four times', Uint8Array.from({ length: 1024 }, (_, i) => i & 0xff), 0xb70b4c26],
];

describe('CRC-32', () => {
  for (const [what, bytes, value] of KNOWN) {
    it(`gives the known value for ${what}, in zlib and in the portable code`, () => {
      expect(crc32(bytes)).toBe(value);
      expect(crc32Portable(bytes)).toBe(value);
    });
  }

  it('streams: the CRC of a + b continues from the CRC of a, cut at any length', () => {
    const data = randomBytes(300, 17);
    const whole = crc32Portable(data);
    for (let cut = 0; cut <= data.length; cut += 7) {
      expect(crc32Portable(data.subarray(cut), crc32Portable(data.subarray(0, cut)))).toBe(whole);
      expect(crc32(data.subarray(cut), crc32(data.subarray(0, cut)))).toBe(whole);
    }
  });

  it('agrees with zlib.crc32 on every length up to 70 and on random buffers', () => {
    const native = (zlib as { crc32?: (b: Uint8Array, v?: number) => number }).crc32;
    if (native === undefined) return; // Node before 20.15: the known values above still check it
    const data = randomBytes(70, 5);
    for (let n = 0; n <= data.length; n++) expect(crc32Portable(data.subarray(0, n))).toBe(native(data.subarray(0, n)));
    for (const seed of [1, 2, 3]) {
      const big = randomBytes(4096 + seed * 13, seed);
      expect(crc32Portable(big, 0xdeadbeef)).toBe(native(big, 0xdeadbeef));
    }
  });
});
