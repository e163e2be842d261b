// The rare-byte anchor and the counting of periodic patterns (issue 13) against a naive scan, on
// random data and on data built to defeat them: mostly zeros, long runs of one byte, runs that
// repeat a pattern with its period and stop at every place of a 64 KiB block, patterns whose
// first byte is the data's commonest. In-process; counts through every path (one buffer, windows
// of any split, with and without a sample's byte frequencies) and positions where they are listed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BytePattern, byteFrequencies, COMMON_BYTES, compilePattern, countMatches, findAll, WindowScanner } from '../../src/format/search.js';

/** Every start where the pattern matches (overlapping), checked byte by byte. */
function naive(hay: Uint8Array, p: BytePattern): number[] {
  const out: number[] = [];
  const L = p.bytes.length;
  const align = p.align ?? 1;
  for (let s = 0; s + L <= hay.length; s++) {
    if (s % align !== 0) continue;
    let ok = true;
    for (let i = 0; i < L && ok; i++) ok = (hay[s + i]! & p.mask[i]!) === (p.bytes[i]! & p.mask[i]!);
    if (ok) out.push(s);
  }
  return out;
}

const lit = (...b: number[]): BytePattern => ({ bytes: Uint8Array.from(b), mask: new Uint8Array(b.length).fill(0xff) });

/** Counts through windows of `size` bytes (no callback: the count-only path). */
function windowCount(hay: Uint8Array, p: BytePattern, size: number, frequencies?: Uint32Array): number {
  const s = new WindowScanner(compilePattern(p, frequencies));
  for (let at = 0; at < hay.length; at += size) s.scan(hay.subarray(at, at + size), BigInt(at));
  return s.count;
}

/** All the ways of searching agree with the naive scan. */
function agree(hay: Uint8Array, p: BytePattern, windows: readonly number[] = [4096, 65_537]): void {
  const want = naive(hay, p);
  const sample = byteFrequencies(hay.subarray(0, 4096));
  for (const freq of [undefined, sample]) {
    const c = compilePattern(p, freq);
    expect(countMatches(hay, c)).toBe(want.length);
    expect(findAll(hay, c)).toEqual(want);
    for (const w of windows) expect(windowCount(hay, p, w, freq)).toBe(want.length);
  }
}

/** `n` bytes of runs: each run one of `parts` repeated to a random length, so runs end anywhere. */
function runs(n: number, seed: number, parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  for (let at = 0; at < n; ) {
    const part = parts[Math.floor(rnd() * parts.length)]!;
    const len = Math.min(n - at, Math.floor(rnd() ** 3 * 80_000) + 1);
    for (let i = 0; i < len; i++) out[at + i] = part[i % part.length]!;
    at += len;
  }
  return out;
}

describe('rare-byte anchor', () => {
  it('chooses_the_needle_by_its_cost_from_the_table_or_a_sample', () => {
    // 00 is the commonest byte of files: 00 00 c0 ff ee is looked for by c0.
    const p = compilePattern(lit(0, 0, 0xc0, 0xff, 0xee));
    expect(p.anchorAt).toBe(2);
    expect([...p.anchor]).toEqual([0xc0, 0xff, 0xee]);
    expect([...p.checkAt]).toEqual([0, 1]);
    expect(COMMON_BYTES[0]).toBeGreaterThan(COMMON_BYTES[0xc0]!);
    // A sample full of c0 makes 00 as rare as ee: the whole pattern is the needle (memchr stops
    // at 00, which the data lacks), not the rarest byte alone.
    const freq = byteFrequencies(new Uint8Array(1000).fill(0xc0));
    const q = compilePattern(lit(0, 0, 0xc0, 0xff, 0xee), freq);
    expect([...q.anchor]).toEqual([0, 0, 0xc0, 0xff, 0xee]);
    expect(q.literal).toBe(true);
    // A sample of mostly zeros: the needle leaves the zeros out.
    const zeros = new Uint8Array(4096);
    zeros.fill(0x41, 3000);
    const z = compilePattern(lit(0, 0, 0xc0, 0xff, 0xee), byteFrequencies(zeros));
    expect([...z.anchor]).toEqual([0xc0, 0xff, 0xee]);
    // A rarer byte is not worth a one-byte needle: indexOf would return to JavaScript at each of
    // its occurrences (every 256 bytes of random data), where 03 00 00 87 returns at matches only.
    for (const f of [undefined, Uint32Array.from({ length: 256 }, () => 256)]) {
      const r4 = compilePattern(lit(0x03, 0x00, 0x00, 0x87), f);
      expect(r4.anchorAt).toBe(0);
      expect(r4.literal).toBe(true);
    }
    // A sample of random bytes (every value about as often, by chance not exactly): no byte is
    // rarer, and a literal stays its own anchor.
    const even = Uint32Array.from({ length: 256 }, (_, b) => 230 + ((b * 37) % 53));
    const r = compilePattern(lit(0x12, 0x1d, 0x94, 0x33), even);
    expect(r.literal).toBe(true);
    expect(r.anchorAt).toBe(0);
    // Wildcards are never the anchor; equally rare bytes: the longest run that follows, then the first.
    const w = compilePattern({ bytes: Uint8Array.from([0x91, 0, 0x92, 0x93]), mask: Uint8Array.from([255, 0, 255, 255]) });
    expect(w.anchorAt).toBe(2);
  });

  it('knows_the_smallest_period_of_a_fixed_pattern', () => {
    expect(compilePattern(lit(0x41, 0x41, 0x41, 0x41)).period).toBe(1);
    expect(compilePattern(lit(0xab, 0xcd, 0xab, 0xcd, 0xab)).period).toBe(2);
    expect(compilePattern(lit(0xde, 0xad, 0xbe, 0xef)).period).toBe(4);
    expect(compilePattern(lit(1, 1, 2)).period).toBe(3);
    // With a wildcard: no period (never counted by runs).
    expect(compilePattern({ bytes: Uint8Array.from([0x41, 0, 0x41]), mask: Uint8Array.from([255, 0, 255]) }).period).toBe(3);
  });

  it('agrees_with_a_naive_scan_on_adversarial_data', () => {
    const zeros = new Uint8Array(70_000);
    const ones = new Uint8Array(70_000).fill(0x41);
    const mostlyZero = runs(140_000, 7, [Uint8Array.of(0), Uint8Array.of(0), Uint8Array.of(0xc0, 0xff, 0xee), Uint8Array.of(0x41), Uint8Array.of(0, 0, 0xc0)]);
    const periodic = runs(140_000, 11, [Uint8Array.of(0xab, 0xcd), Uint8Array.of(0xab, 0xcd, 0xab), Uint8Array.of(0x41), Uint8Array.of(0x41, 0x41, 0x42)]);
    const patterns = [
      lit(0, 0, 0, 0),
      lit(...new Array(16).fill(0)),
      lit(0x41, 0x41, 0x41, 0x41),
      lit(...new Array(13).fill(0x41)),
      lit(0, 0, 0xc0, 0xff, 0xee),
      lit(0, 0, 0xc0),
      lit(0xab, 0xcd, 0xab, 0xcd),
      lit(0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab),
      lit(0x41, 0x41, 0x42, 0x41, 0x41, 0x42, 0x41),
      lit(0x41, 0x42),
      { bytes: Uint8Array.from([0x41, 0, 0x41, 0x41]), mask: Uint8Array.from([255, 0, 255, 255]) },
      { bytes: Uint8Array.from([0, 0, 0, 0]), mask: Uint8Array.from([255, 255, 255, 255]), align: 4 },
    ];
    for (const hay of [zeros, ones, mostlyZero, periodic]) for (const p of patterns) agree(hay, p);
  });

  it('counts_runs_that_end_at_each_edge_of_the_growing_compare_blocks', () => {
    // A run is measured in blocks of 256, 512, ... 64 KiB bytes, then halved to 64 bytes and
    // walked: runs that end just before, at and after each of those edges, of period 1 and 2.
    const edges: number[] = [];
    for (let sum = 0, block = 256; sum < 200_000; block = Math.min(2 * block, 65_536)) {
      sum += block;
      for (const d of [-65, -64, -63, -1, 0, 1, 63, 64, 65]) edges.push(sum + d);
    }
    for (const [unit, p] of [
      [Uint8Array.of(0), lit(0, 0, 0, 0)],
      [Uint8Array.of(0xab, 0xcd), lit(0xab, 0xcd, 0xab, 0xcd, 0xab)],
    ] as const) {
      // The blocks start right after the first match (at 3 + its length).
      for (const len of edges.map((e) => e + p.bytes.length)) {
        const hay = new Uint8Array(len + 16).fill(0x5a);
        for (let i = 0; i < len; i++) hay[3 + i] = unit[i % unit.length]!;
        const want = naive(hay, p).length;
        expect(countMatches(hay, compilePattern(p))).toBe(want);
      }
    }
  });

  it('agrees_with_a_naive_scan_on_random_data_and_patterns_property', () => {
    const byte = fc.constantFrom(0, 0, 0, 0x41, 0xab, 0xcd, 0xc0, 0xff, 1, 2);
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom(...[Uint8Array.of(0), Uint8Array.of(0x41), Uint8Array.of(0xab, 0xcd), Uint8Array.of(0xc0, 0xff, 0xee)]),
            fc.integer({ min: 1, max: 300 }),
          ),
          { maxLength: 40 },
        ),
        fc.array(fc.tuple(byte, fc.constantFrom(0xff, 0xff, 0xff, 0x00, 0xf0)), { minLength: 1, maxLength: 16 }),
        fc.integer({ min: 1, max: 40 }),
        (parts, pairs, w) => {
          const chunks = parts.map(([b, n]) => Uint8Array.from({ length: n }, (_, i) => b[i % b.length]!));
          const hay = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
          let at = 0;
          for (const c of chunks) {
            hay.set(c, at);
            at += c.length;
          }
          const p = { bytes: Uint8Array.from(pairs.map(([b]) => b)), mask: Uint8Array.from(pairs.map(([, m]) => m)) };
          agree(hay, p, [w]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
