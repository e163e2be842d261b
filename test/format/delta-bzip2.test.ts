// mmapx's bzip2 decoder (src/format/delta/bzip2.ts, read through bsdiff-bzip2.ts's Bzip2Reader):
// its CRC of runs against a byte-by-byte reference, its output against what the `bzip2` command
// compressed (levels -1 and -9, several blocks, runs of every length around RLE1's 4 + 255), and
// a battery of truncated and bit-flipped streams: one InputError each, or the same bytes.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { Bzip2Reader, type Fail } from '../../src/format/delta/bsdiff-bzip2.js';
import { bzip2Crc, crcBytes, crcRun, RUN_MIN } from '../../src/format/delta/bzip2.js';
import { randomBytes, xorshift32 } from '../helpers/peers.js';
import { tmpDir } from '../helpers/tmp.js';
import { expectOneLine } from './expect-input-error.js';

const HAVE_BZIP2 = !spawnSync('bzip2', ['--help']).error;
if (!HAVE_BZIP2) console.warn('NOTICE: bzip2 not installed (Debian package bzip2); the comparisons with the bzip2 command are SKIPPED');

const dir = tmpDir('mmapx-bzip2-');

/** Compresses each input with the `bzip2` command (one spawn for all) at block size `level` x 100 kB. */
function bzip2All(inputs: readonly Uint8Array[], level: number): Buffer[] {
  const names = inputs.map((input, i) => {
    const name = join(dir, `in-${level}-${i}`);
    writeFileSync(name, input);
    return name;
  });
  const r = spawnSync('bzip2', ['-f', `-${level}`, ...names]);
  if (r.status !== 0) throw new Error(`bzip2: ${r.stderr}`);
  return names.map((name) => readFileSync(`${name}.bz2`));
}

const fail: Fail = (at, message) => {
  throw new InputError(`s byte 0x${at.toString(16)}: ${message}`, { position: at });
};

/** The whole output of a stream, and how many pieces were runs. */
function decode(stream: Uint8Array, maxPiece = 1 << 30): { bytes: Buffer; runs: number } {
  const r = new Bzip2Reader(stream, 0, stream.length, 'stream', fail);
  const parts: Buffer[] = [];
  let runs = 0;
  for (let p = r.next(maxPiece); p !== undefined; p = r.next(maxPiece)) {
    if (p.run) {
      expect(p.length).toBeGreaterThanOrEqual(1);
      runs++;
      parts.push(Buffer.alloc(p.length, p.value));
    } else parts.push(Buffer.from(p.bytes));
  }
  return { bytes: Buffer.concat(parts), runs };
}

/** Runs of exactly n = 1..260 equal bytes, of 0x00 and of 0xab, each followed by another byte. */
function everyRunLength(): Buffer {
  const parts: Buffer[] = [];
  for (let n = 1; n <= 260; n++) parts.push(Buffer.alloc(n, 0), Buffer.from([1]), Buffer.alloc(n, 0xab), Buffer.from([(n & 0xff) ^ 0x55]));
  // The same value across an RLE1 count (4 + 255, then more): runs that continue past 259.
  for (const n of [258, 259, 260, 263, 518, 519, 1000]) parts.push(Buffer.alloc(n, 7), Buffer.from([8]));
  return Buffer.concat(parts);
}

/** Random bytes broken by runs of random values and lengths (0..3000, many near RUN_MIN). */
function mixed(size: number, seed: number): Buffer {
  const next = xorshift32(seed);
  const out = Buffer.alloc(size);
  let at = 0;
  while (at < size) {
    const lit = next() % 200;
    out.set(randomBytes(Math.min(lit, size - at), next()), at);
    at += lit;
    const len = next() % 4 === 0 ? next() % 3000 : RUN_MIN - 3 + (next() % 6);
    out.fill(next() & 0xff, Math.min(at, size), Math.min(at + len, size));
    at += len;
  }
  return out;
}

describe('bzip2 CRC', () => {
  it('check value, and the CRC of runs in O(log n) equals the byte-by-byte one', () => {
    expect(bzip2Crc(Buffer.from('123456789'))).toBe(0xfc891918);
    const next = xorshift32(17);
    const lengths = [0, 1, 2, 3, 4, 15, 16, 17, 255, 256, 259, 1000, 65535, 65536, 1 << 20];
    for (let i = 0; i < 300; i++) lengths.push(next() % (i < 290 ? 5000 : 3 << 20));
    for (const n of lengths) {
      const v = next() & 0xff;
      const reg = next() | 0;
      expect(crcRun(reg, v, n), `${n} x ${v}`).toBe(crcBytes(reg, Buffer.alloc(n, v)));
    }
  });
});

describe.skipIf(!HAVE_BZIP2)('against the bzip2 command', () => {
  const inputs: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from([0x42])],
    ['random, 1000 bytes', randomBytes(1000, 1)],
    ['zeros, 3 MiB', Buffer.alloc(3 << 20)],
    ['runs of 1..260 bytes', everyRunLength()],
    ['random and runs, 150 kB', mixed(150_000, 2)],
    ['random, 250 kB (several blocks at -1)', randomBytes(250_000, 3)],
    ['every byte value, cycled', Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff))],
  ];
  for (const level of [1, 9]) {
    it(`level -${level}: the same bytes, runs kept as runs`, () => {
      const streams = bzip2All(
        inputs.map(([, b]) => b),
        level,
      );
      inputs.forEach(([name, input], i) => {
        const got = decode(streams[i]!);
        expect(got.bytes.equals(input), name).toBe(true);
        // Pieces cut short by the caller's limit come out the same.
        if (input.length < 200_000) expect(decode(streams[i]!, 7).bytes.equals(input), `${name}, 7-byte pieces`).toBe(true);
      });
      // 3 MiB of zeros: a few runs, not 3 MiB of literal bytes.
      expect(decode(streams[3]!).runs).toBeLessThanOrEqual(2);
    });
  }

  it('blocks the same as the one before (zeros) come out the same, and a flipped bit in one is still caught', () => {
    // bzip2 -1: 100 kB blocks; 12 MiB of zeros are ~240 kB after RLE1, so 2 identical blocks and a part.
    const input = Buffer.concat([Buffer.alloc(12 << 20), randomBytes(1000, 6), Buffer.alloc(12 << 20), Buffer.from([1]), Buffer.alloc(12 << 20)]);
    const [s] = bzip2All([input], 1);
    const got = decode(s!);
    expect(got.bytes.equals(input)).toBe(true);
    expect(got.runs).toBeLessThanOrEqual(16);
    // Flips in the second half of the stream (blocks after one of the same symbols): one InputError each, or the same bytes.
    const next = xorshift32(99);
    for (let i = 0; i < 40; i++) {
      const b = Buffer.from(s!);
      b[(b.length >> 1) + (next() % (b.length >> 1))]! ^= 1 << (next() % 8);
      try {
        expect(decode(b).bytes.equals(input)).toBe(true);
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
      }
    }
  });

  it('battery: every truncation and every flipped byte or bit is one InputError, or the same bytes', () => {
    const input = Buffer.concat([mixed(3000, 9), Buffer.alloc(600, 0), randomBytes(300, 4)]);
    const [stream] = bzip2All([input], 1);
    const s = stream!;
    const outcome = (b: Uint8Array): void => {
      try {
        const got = decode(b).bytes;
        expect(got.equals(input)).toBe(true);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        expectOneLine(error.message);
        expect(error.message).toMatch(/^s byte 0x[0-9a-f]+: stream: /);
      }
    };
    for (let n = 0; n < s.length; n++) {
      let error: unknown;
      try {
        decode(s.subarray(0, n));
      } catch (e) {
        error = e;
      }
      expect(error, `cut at ${n}`).toBeInstanceOf(InputError);
    }
    const next = xorshift32(s.length);
    for (let at = 0; at < s.length; at++) {
      for (const mask of [0xff, 1 << (next() % 8)]) {
        const b = Buffer.from(s);
        b[at]! ^= mask;
        outcome(b);
      }
    }
  });

  it('named failures: truncated, CRC, randomised block, no magic, bytes after the end', () => {
    const [s] = bzip2All([mixed(5000, 5)], 9);
    const message = (b: Uint8Array): string => {
      try {
        decode(b);
      } catch (error) {
        if (error instanceof InputError) return error.message;
        throw error;
      }
      return 'decoded';
    };
    const flipped = (at: number, mask: number) => {
      const b = Buffer.from(s!);
      b[at]! ^= mask;
      return b;
    };
    expect(message(s!.subarray(0, 100))).toBe(`s byte 0x4: stream: the bzip2 stream is truncated (it runs past byte 0x64)`);
    expect(message(s!.subarray(0, 3))).toBe(`s byte 0x0: stream: the bzip2 stream is truncated (it runs past byte 0x3)`);
    expect(message(flipped(0, 1))).toBe(`s byte 0x0: stream: not a bzip2 stream (no 'BZh1'..'BZh9' header)`);
    expect(message(flipped(4, 1))).toBe('s byte 0x4: stream: bzip2 block 1 is corrupt (no block magic)');
    expect(message(flipped(11, 1))).toBe('s byte 0x4: stream: bzip2 block 1 is corrupt (CRC mismatch)');
    expect(message(flipped(14, 0x80))).toBe('s byte 0x4: stream: bzip2 block 1 is corrupt (a randomised block: bzip2 0.9.0 and older, not supported)');
    // After its end a stream stays ended.
    const r = new Bzip2Reader(s!, 0, s!.length, 'stream', fail);
    while (r.next(1 << 20) !== undefined);
    expect(r.next(1)).toBeUndefined();
    expect(r.next(1)).toBeUndefined();
    expect(message(Buffer.concat([s!, Buffer.from([0])]))).toMatch(/^s byte 0x[0-9a-f]+: stream: 1 byte\(s\) after the end of its bzip2 stream$/);
  });
});
