import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyDeltaInMemory, type Delta, type DeltaOp } from '../../src/format/delta/index.js';
import { type ByteReader, commonPrefix, DeltaMatcher, type MatchStats, OVERLAP, SourceIndex } from '../../src/format/delta/match.js';
import { randomBytes } from '../helpers/peers.js';

/** A source in memory, read back as the files' reader is: a fresh view per call. */
function reader(source: Uint8Array): ByteReader {
  return {
    size: BigInt(source.length),
    read: (offset, length) => {
      const at = Number(offset);
      if (at < 0 || length < 0 || at + length > source.length) throw new Error(`read ${at}+${length} past ${source.length}`);
      return source.subarray(at, at + length);
    },
  };
}

/** The ops turning `source` into `target`, both fed in windows of `win` bytes. */
function match(
  source: Uint8Array,
  target: Uint8Array,
  win = 4096,
  runs = true,
  maxSlots?: number,
  targetWindow?: number,
): { ops: DeltaOp[]; stats: MatchStats } {
  const index = new SourceIndex(BigInt(source.length), maxSlots === undefined ? {} : { maxSlots });
  for (let p = 0; p < source.length; p += win) index.add(source.subarray(p, p + win));
  const m = new DeltaMatcher(reader(source), index, { runs, target: reader(target), ...(targetWindow !== undefined && { targetWindow }) });
  const ops: DeltaOp[] = [];
  const emit = (op: DeltaOp) => ops.push(op);
  for (let p = 0; p < target.length; p += win) m.push(target.slice(p, p + win), emit);
  m.finish(emit);
  return { ops, stats: m.stats };
}

function apply(source: Uint8Array, target: Uint8Array, ops: DeltaOp[]): Uint8Array {
  const delta: Delta = { format: 'bps', sourceSize: BigInt(source.length), targetSize: BigInt(target.length), checks: [], ops: () => ops };
  return applyDeltaInMemory(source, delta);
}

/** Ops in order, contiguous (every target byte covered exactly once), with their sizes. */
function checkOps(ops: DeltaOp[], sourceSize: number, targetSize: number): void {
  let at = 0n;
  for (const op of ops) {
    expect(op.at).toBe(at);
    const n = op.kind === 'data' ? BigInt(op.bytes.length) : op.kind === 'source' || op.kind === 'fill' || op.kind === 'target' ? op.length : -1n;
    expect(n).toBeGreaterThan(0n);
    if (op.kind === 'source') expect(op.from + op.length <= BigInt(sourceSize)).toBe(true);
    if (op.kind === 'target') expect(op.from < op.at).toBe(true);
    at += n;
  }
  expect(at).toBe(BigInt(targetSize));
}

function roundTrip(source: Uint8Array, target: Uint8Array, win?: number, targetWindow?: number): MatchStats {
  const { ops, stats } = match(source, target, win, true, undefined, targetWindow);
  checkOps(ops, source.length, target.length);
  expect(Buffer.from(apply(source, target, ops)).equals(Buffer.from(target))).toBe(true);
  return stats;
}

const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

describe('commonPrefix', () => {
  it('finds the first differing byte at any place, and the shorter length when none', () => {
    const a = randomBytes(20000, 1);
    for (const at of [0, 1, 31, 32, 33, 4095, 4096, 4097, 12345, 19999]) {
      const b = Buffer.from(a);
      b[at] ^= 0x40;
      expect(commonPrefix(a, b)).toBe(at);
    }
    expect(commonPrefix(a, a.subarray(0, 777))).toBe(777);
    expect(commonPrefix(new Uint8Array(0), a)).toBe(0);
  });
});

describe('DeltaMatcher', () => {
  const old = randomBytes(200_000, 7);

  it('identical: one copy from the same offset', () => {
    const s = roundTrip(old, old);
    expect(s).toMatchObject({ ops: 1, sourceOps: 1, added: 0, unchanged: old.length });
  });

  it('scattered changes: copies resume at the same offset after each', () => {
    const b = Buffer.from(old);
    for (let i = 500; i < b.length; i += 5000) b[i] ^= 0xff;
    b.fill(0x5a, 100_000, 100_300); // a changed region, a run
    const s = roundTrip(old, b);
    expect(s.added).toBeLessThan(100);
    expect(s.unchanged).toBeGreaterThan(old.length - 400);
  });

  it('an insertion at the start shifts everything: found through the index', () => {
    const ins = randomBytes(1234, 9);
    const s = roundTrip(old, cat(ins, old));
    expect(s.added).toBe(1234);
    expect(s.sourceOps).toBe(1);
  });

  it('insertions, deletions and a moved block in the middle', () => {
    const b = cat(
      old.subarray(0, 50_000),
      randomBytes(3000, 2),
      old.subarray(50_000, 80_000),
      old.subarray(120_000, 160_000),
      old.subarray(90_000, 120_000),
      old.subarray(170_000),
    );
    const s = roundTrip(old, b);
    expect(s.added).toBeLessThan(3000 + 200);
  });

  it('grows and shrinks', () => {
    expect(roundTrip(old, cat(old, randomBytes(10_000, 3))).added).toBe(10_000);
    expect(roundTrip(old, old.subarray(0, 150_000)).added).toBe(0);
    expect(roundTrip(old, old.subarray(33_333)).added).toBeLessThan(300);
  });

  it('empty source, empty target, both empty, tiny inputs', () => {
    expect(roundTrip(new Uint8Array(0), old.subarray(0, 5000)).added).toBe(5000);
    expect(match(old, new Uint8Array(0)).ops).toEqual([]);
    expect(match(new Uint8Array(0), new Uint8Array(0)).ops).toEqual([]);
    for (let n = 0; n < 40; n++) roundTrip(old.subarray(0, n), old.subarray(3, 3 + n), 7);
  });

  it('repeats within the target become target copies, inside their window when one is set', () => {
    const block = randomBytes(3000, 13);
    const b = cat(old.subarray(0, 10_000), block, old.subarray(10_000, 20_000), block, block.subarray(0, 1000), old.subarray(20_000));
    const s = roundTrip(old, b);
    expect(s.added).toBe(3000);
    expect(s.targetCopied).toBe(4000);
    // Windows of 16 KiB: the second copy is 13 KiB after the first, in the next window.
    const w = roundTrip(old, b, 4096, 16384);
    const { ops } = match(old, b, 4096, true, undefined, 16384);
    for (const op of ops) if (op.kind === 'target') expect(op.from / 16384n === (op.at + op.length - 1n) / 16384n).toBe(true);
    expect(w.added).toBeGreaterThanOrEqual(3000);
  });

  it('runs become fills', () => {
    const b = cat(old.subarray(0, 1000), new Uint8Array(50_000), old.subarray(1000));
    const { ops, stats } = match(old, b);
    checkOps(ops, old.length, b.length);
    expect(ops.some((o) => o.kind === 'fill' && o.value === 0 && o.length >= 49_000n)).toBe(true);
    expect(stats.added).toBeLessThan(100);
  });

  it('a large source is sampled more sparsely: long shifted stretches are still found', () => {
    const big = randomBytes(1 << 20, 11);
    const idx = new SourceIndex(BigInt(big.length), { maxSlots: 1 << 12 });
    expect(idx.spacing).toBe(512);
    const { ops, stats } = match(big, cat(randomBytes(100, 4), big), 65536, true, 1 << 12);
    checkOps(ops, big.length, big.length + 100);
    expect(stats.added).toBeLessThan(100 + 600);
  });

  it('windows that overlap are scanned where they are; a gap is an error', () => {
    const b = cat(old.subarray(0, 70_000), randomBytes(999, 12), old.subarray(60_000));
    const index = new SourceIndex(BigInt(old.length));
    index.add(old);
    for (const win of [64, 4096, 65536]) {
      const m = new DeltaMatcher(reader(old), index, { runs: true });
      const ops: DeltaOp[] = [];
      const emit = (op: DeltaOp) => ops.push(op);
      // Each window starts OVERLAP bytes before the last one ended (the first at 0).
      for (let p = 0; p < b.length; p += win - OVERLAP) {
        m.push(b.slice(p, p + win), emit, BigInt(p));
        if (p + win >= b.length) break;
      }
      m.finish(emit);
      checkOps(ops, old.length, b.length);
      expect(Buffer.from(apply(old, b, ops)).equals(b)).toBe(true);
    }
    const m = new DeltaMatcher(reader(old), index);
    m.push(b.subarray(0, 100), () => {});
    expect(() => m.push(b.subarray(200, 300), () => {}, 200n)).toThrow('the target window at 200 does not follow the last one');
  });

  it('round trips whatever the window sizes (property)', () => {
    // Some runs with small target windows (target copies must stay inside them).
    const e0 = (edits: readonly unknown[]) => (edits.length % 2 === 0 ? 64 : undefined);
    const arb = fc.record({
      a: fc.uint8Array({ minLength: 0, maxLength: 3000 }),
      edits: fc.array(fc.record({ kind: fc.constantFrom('ins', 'del', 'set', 'move'), at: fc.nat(), n: fc.integer({ min: 1, max: 400 }), v: fc.nat(255) }), {
        maxLength: 6,
      }),
      win: fc.integer({ min: 1, max: 2000 }),
    });
    fc.assert(
      fc.property(arb, ({ a, edits, win }) => {
        let b = Buffer.from(a);
        for (const e of edits) {
          const at = b.length === 0 ? 0 : e.at % b.length;
          if (e.kind === 'ins') b = Buffer.concat([b.subarray(0, at), Buffer.alloc(e.n, e.v), b.subarray(at)]);
          else if (e.kind === 'del') b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.n)]);
          else if (e.kind === 'set') b.fill(e.v, at, Math.min(b.length, at + e.n));
          else b = Buffer.concat([b.subarray(at, at + e.n), b.subarray(0, at), b.subarray(at + e.n)]);
        }
        roundTrip(a, b, win, e0(edits));
      }),
      { numRuns: 300 },
    );
  });
});
