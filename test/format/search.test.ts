import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePattern, countMatches, findAll, findNext, WindowScanner, type BytePattern } from '../../src/format/search.js';

const lit = (...b: number[]): BytePattern => ({ bytes: Uint8Array.from(b), mask: new Uint8Array(b.length).fill(0xff) });

/**
 * Reference: every start where the masked pattern matches; with `align`, only starts `s` where
 * `base + s` is a multiple of it.
 */
function naive(hay: Uint8Array, p: BytePattern, overlapping = true, align = 1, base = 0): number[] {
  const out: number[] = [];
  for (let s = 0; s + p.bytes.length <= hay.length; ) {
    let ok = (base + s) % align === 0;
    for (let i = 0; i < p.bytes.length; i++) {
      if ((hay[s + i]! & p.mask[i]!) !== (p.bytes[i]! & p.mask[i]!)) {
        ok = false;
        break;
      }
    }
    if (ok) {
      out.push(s);
      s += overlapping ? 1 : p.bytes.length;
    } else s++;
  }
  return out;
}

/** Small alphabets so that matches are frequent. */
const hay = fc.uint8Array({ maxLength: 300 }).map((a) => a.map((b) => b & 3));
const pattern: fc.Arbitrary<BytePattern> = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(0xff, 0xff, 0x00, 0x0f, 0xf0)), {
    minLength: 1,
    maxLength: 12, // beyond the 6-byte indexOf needle: the rest is verified
  })
  .map((pairs) => ({ bytes: Uint8Array.from(pairs.map(([b]) => b)), mask: Uint8Array.from(pairs.map(([, m]) => m)) }));

describe('search', () => {
  it('chooses the longest fixed run as the indexOf anchor', () => {
    const p = compilePattern({ bytes: Uint8Array.from([0xe8, 0, 0, 0x84, 0xc0, 0x74]), mask: Uint8Array.from([255, 0, 0, 255, 255, 255]) });
    expect(p.anchorAt).toBe(3);
    expect([...p.anchor]).toEqual([0x84, 0xc0, 0x74]);
    expect([...p.checkAt]).toEqual([0]);
    expect(p.literal).toBe(false);
    expect(compilePattern(lit(0x91, 0x92)).literal).toBe(true);
  });

  it('hands indexOf at most 6 bytes of a long literal and verifies the rest', () => {
    const p = compilePattern(lit(1, 2, 3, 4, 5, 6, 7, 8, 9));
    // 01 is more common in files than 02..09: the anchor starts at 02.
    expect([...p.anchor]).toEqual([2, 3, 4, 5, 6, 7]);
    expect([...p.checkAt]).toEqual([0, 7, 8]);
    expect(p.literal).toBe(false);
    const h = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(findAll(h, p)).toEqual([9]);
  });

  it('finds overlapping matches by default and leftmost non-overlapping on request', () => {
    const h = Uint8Array.from([7, 7, 7, 7]);
    expect(findAll(h, compilePattern(lit(7, 7)))).toEqual([0, 1, 2]);
    expect(findAll(h, compilePattern(lit(7, 7)), { overlapping: false })).toEqual([0, 2]);
    expect(countMatches(h, compilePattern(lit(7, 7)))).toBe(3);
    expect(countMatches(h, compilePattern(lit(7, 7)), { overlapping: false })).toBe(2);
  });

  it('respects max and the [from, to) bounds of findNext', () => {
    const h = Uint8Array.from([1, 2, 1, 2, 1, 2]);
    const p = compilePattern(lit(1, 2));
    expect(findAll(h, p, { max: 2 })).toEqual([0, 2]);
    expect(findNext(h, p, 1)).toBe(2);
    expect(findNext(h, p, 1, 3)).toBe(-1);
    expect(findNext(h, p, 5)).toBe(-1);
  });

  it('matches patterns without any fixed byte at every position that fits', () => {
    const p = compilePattern({ bytes: Uint8Array.from([0, 0]), mask: Uint8Array.from([0, 0x0f]) });
    expect(findAll(Uint8Array.from([0x10, 0x20, 0x31]), p)).toEqual([0]);
    expect(countMatches(new Uint8Array(5), compilePattern({ bytes: new Uint8Array(2), mask: new Uint8Array(2) }))).toBe(4);
  });

  it('rejects empty and inconsistent patterns as programming errors', () => {
    expect(() => compilePattern(lit())).toThrow(RangeError);
    expect(() => compilePattern({ bytes: new Uint8Array(2), mask: new Uint8Array(1) })).toThrow(RangeError);
  });

  it('works on Uint8Array views with a byteOffset, not only Buffers', () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 1, 2, 3]);
    const view = backing.subarray(3);
    expect(findAll(view, compilePattern(lit(1, 2)))).toEqual([2]);
    expect(findAll(view, compilePattern({ bytes: Uint8Array.from([2, 0, 1]), mask: Uint8Array.from([255, 0, 255]) }))).toEqual([0]);
  });

  it('agrees with a naive matcher on random inputs (property)', () => {
    fc.assert(
      fc.property(hay, pattern, fc.boolean(), (h, p, overlapping) => {
        const cp = compilePattern(p);
        expect(findAll(h, cp, { overlapping })).toEqual(naive(h, p, overlapping));
        expect(countMatches(h, cp, { overlapping })).toBe(naive(h, p, overlapping).length);
      }),
      { numRuns: 500 },
    );
  });

  it('reports each match once across windows of any split and overlap (property)', () => {
    fc.assert(
      fc.property(
        hay,
        pattern,
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 8 }),
        fc.boolean(),
        (h, p, steps, overlap, overlapping) => {
          const scan = new WindowScanner(compilePattern(p), { overlapping });
          const got: bigint[] = [];
          const base = 1000n; // absolute offsets need not start at 0
          let off = 0;
          let k = 0;
          while (off < h.length) {
            const start = Math.max(0, off - overlap);
            const end = Math.min(h.length, off + steps[k++ % steps.length]!);
            scan.scan(h.subarray(start, end), base + BigInt(start), (at) => got.push(at));
            off = end;
          }
          const want = naive(h, p, overlapping).map((x) => base + BigInt(x));
          expect(got).toEqual(want);
          expect(scan.count).toBe(want.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps only aligned starts, in one buffer and across windows at any absolute offset (property)', () => {
    fc.assert(
      fc.property(
        hay,
        pattern,
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 100 }),
        (h, p, align, overlapping, steps, overlap, base) => {
          const cp = compilePattern({ ...p, align });
          expect(cp.align).toBe(align);
          expect(findAll(h, cp, { overlapping })).toEqual(naive(h, p, overlapping, align));
          expect(countMatches(h, cp, { overlapping })).toBe(naive(h, p, overlapping, align).length);
          const scan = new WindowScanner(cp, { overlapping });
          const got: bigint[] = [];
          let off = 0;
          let k = 0;
          while (off < h.length) {
            const start = Math.max(0, off - overlap);
            const end = Math.min(h.length, off + steps[k++ % steps.length]!);
            scan.scan(h.subarray(start, end), BigInt(base + start), (at) => got.push(at));
            off = end;
          }
          const want = naive(h, p, overlapping, align, base).map((x) => BigInt(base + x));
          expect(got).toEqual(want);
          expect(scan.count).toBe(want.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('aligned: findNext skips unaligned matches; a bad alignment is a programming error', () => {
    const h = Uint8Array.from([1, 2, 1, 2, 0, 1, 2, 0, 1, 2]);
    const p = compilePattern({ ...lit(1, 2), align: 4 });
    expect(findAll(h, p)).toEqual([0, 8]);
    expect(findNext(h, p, 1)).toBe(8);
    expect(findNext(h, p, 1, 9)).toBe(-1);
    expect(() => compilePattern({ ...lit(1), align: 0 })).toThrow(RangeError);
    expect(() => compilePattern({ ...lit(1), align: 1.5 })).toThrow(RangeError);
  });

  it('counts across windows without a callback and stops at max', () => {
    const h = new Uint8Array(100).fill(5);
    const counter = new WindowScanner(compilePattern(lit(5, 5, 5)));
    for (let o = 0; o < 100; o += 7) counter.scan(h.subarray(o, o + 7), BigInt(o));
    expect(counter.count).toBe(98);
    const capped = new WindowScanner(compilePattern(lit(5, 5, 5)), { max: 10 });
    const seen: bigint[] = [];
    for (let o = 0; o < 100 && !capped.done; o += 7) capped.scan(h.subarray(o, o + 7), BigInt(o), (at) => seen.push(at));
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)));
    expect(capped.done).toBe(true);
  });

  it('refuses a window that leaves a gap', () => {
    const s = new WindowScanner(compilePattern(lit(1)));
    s.scan(new Uint8Array(4), 0n);
    expect(() => s.scan(new Uint8Array(4), 5n)).toThrow(RangeError);
  });

  it('counts a literal in a large buffer through the indexOf path', () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 0x41);
    const at = [0, 12345, 4 * 1024 * 1024 - 2, big.length - 4];
    for (const a of at) big.write('\xde\xad\xbe\xef', a, 'latin1');
    const p = compilePattern(lit(0xde, 0xad, 0xbe, 0xef));
    expect(countMatches(big, p)).toBe(4);
    expect(findAll(big, p)).toEqual(at);
  });
});
