// Shrinking and growing files round-trip through every patch format diff writes: the patch made
// from (a, b) turns a into b, for random size pairs including 0 and the sizes where IPS runs out
// (a record at 0x454f46 reads as "EOF"; offsets and the truncation size are 24-bit). Where IPS
// cannot express a change, diffIps refuses: it never writes a patch that does something else.
import { randomFillSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { applyPatchToBytes, diffBytes, diffIps, formatNativePatch, ipsToPatch, parseIps, parseNativePatch } from '../../src/format/patch/index.js';

const EOF_MARK = 0x454f46;
const IPS_LIMIT = 0xffffff;

/** Sizes: small ones (0 included) and the ones around the IPS limits. */
const arbSize = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: EOF_MARK - 3, max: EOF_MARK + 3 }),
  fc.integer({ min: IPS_LIMIT - 2, max: IPS_LIMIT + 3 }),
);

/**
 * A pair (a, b) of the given sizes: a random; b a copy of a over the common part with a few changed
 * bytes (some at the sizes' edges and at 0x454f45..47), then zeros where it is longer, ending in
 * up to 4 KiB of random bytes unless `zeroTail` (a grown tail of megabytes of random bytes would be
 * a million hunks: the giant-diff tests in test/cli/scale.test.ts cover those).
 */
function pair(sizeA: number, sizeB: number, seed: number, zeroTail: boolean): [Uint8Array, Uint8Array] {
  const a = new Uint8Array(sizeA);
  randomFillSync(a);
  const b = new Uint8Array(sizeB);
  b.set(a.subarray(0, Math.min(sizeA, sizeB)));
  if (sizeB > sizeA && !zeroTail) randomFillSync(b, Math.max(sizeA, sizeB - 4096));
  const spots = [0, sizeB - 1, Math.min(sizeA, sizeB) - 1, EOF_MARK - 1, EOF_MARK, EOF_MARK + 1, seed % Math.max(1, sizeB)];
  for (const [i, at] of spots.entries()) if (at >= 0 && at < sizeB && (seed >> i) & 1) b[at] ^= 0x5a;
  return [a, b];
}

function same(x: Uint8Array, y: Uint8Array): boolean {
  return Buffer.from(x.buffer, x.byteOffset, x.length).equals(Buffer.from(y.buffer, y.byteOffset, y.length));
}

const opts = { grow: true, truncate: true };

describe('shrinks and growths round-trip (property)', () => {
  it('native: the patch turns a into b, and finds b already patched', () => {
    fc.assert(
      fc.property(arbSize, arbSize, fc.nat(), fc.boolean(), (sizeA, sizeB, seed, zeroTail) => {
        const [a, b] = pair(sizeA, sizeB, seed, zeroTail);
        const patch = parseNativePatch(formatNativePatch(diffBytes(a, b)), 'd.patch');
        expect(same(applyPatchToBytes(a, patch, opts).bytes, b)).toBe(true);
        expect(applyPatchToBytes(b, patch, opts).plan.state).toBe('already');
      }),
      { numRuns: 40 },
    );
  });

  it('ips: the patch turns a into b, or diff refuses because the change lies past 16 MiB', () => {
    let refused = 0;
    fc.assert(
      fc.property(arbSize, arbSize, fc.nat(), fc.boolean(), (sizeA, sizeB, seed, zeroTail) => {
        const [a, b] = pair(sizeA, sizeB, seed, zeroTail);
        let ips: Uint8Array;
        try {
          ips = diffIps(a, b);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
          expect((err as Error).message).toMatch(/^IPS cannot .* use the native format$/);
          expect(Math.max(sizeA, sizeB)).toBeGreaterThan(IPS_LIMIT);
          refused++;
          return;
        }
        const parsed = parseIps(ips, 'd.ips');
        // A shrink is the truncation extension (3 bytes after EOF), never a record.
        if (sizeB < sizeA) expect(parsed.truncate).toBe(sizeB);
        else expect(parsed.truncate).toBeUndefined();
        for (const r of parsed.records) expect(r.offset).not.toBe(EOF_MARK);
        expect(same(applyPatchToBytes(a, ipsToPatch(parsed, 'd.ips'), opts).bytes, b)).toBe(true);
      }),
      {
        numRuns: 40,
        // Always among the runs: a shrink to past 16 MiB, a growth past it, a growth to 16 MiB, and
        // a growth whose last byte is at 0x454f46.
        examples: [
          [IPS_LIMIT + 3, IPS_LIMIT + 2, 0, true],
          [IPS_LIMIT - 16, IPS_LIMIT + 3, 0, true],
          [IPS_LIMIT - 16, IPS_LIMIT + 1, 0, false],
          [EOF_MARK - 2, EOF_MARK + 1, 0, true],
        ],
      },
    );
    expect(refused).toBeGreaterThanOrEqual(2); // the limit cases were reached
  });

  it('ips: a file that shrinks gives the truncation extension (the reproduction of issue 16)', () => {
    const a = Uint8Array.from({ length: 200 }, (_, i) => i);
    const ips = diffIps(a, a.subarray(0, 100));
    expect(Buffer.from(ips).toString('latin1')).toBe('PATCHEOF\x00\x00\x64');
    expect(applyPatchToBytes(a, ipsToPatch(parseIps(ips)), opts).bytes).toEqual(a.subarray(0, 100));
  });

  it('ips: a growth whose last byte sits at 0x454f46 takes the byte before along', () => {
    const a = new Uint8Array(EOF_MARK - 10).fill(7);
    const b = new Uint8Array(EOF_MARK + 1);
    b.set(a);
    const parsed = parseIps(diffIps(a, b));
    expect(parsed.records.map((r) => r.offset)).toEqual([EOF_MARK - 1]);
    expect(same(applyPatchToBytes(a, ipsToPatch(parsed), opts).bytes, b)).toBe(true);
  });
});
