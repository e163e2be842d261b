// The ops of `diff --format bps|ups|ips32|vcdiff` read from files (src/edit/delta-diff.ts): applied
// in memory they give NEW, whatever the windows; the CRC-32s are the files'; UPS's XOR goes on
// over OLD's tail (reversible); the source index stays within its bound.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type DeltaOpsOptions, type DeltaSummary, deltaOps } from '../../src/edit/delta-diff.js';
import { openFile } from '../../src/edit/files.js';
import { applyDeltaInMemory, type DeltaOp } from '../../src/format/delta/index.js';
import { randomBytes } from '../helpers/peers.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-delta-diff-');
const crc32 = (b: Uint8Array) => (zlib as unknown as { crc32: (d: Uint8Array) => number }).crc32(b) >>> 0;

let n = 0;
function opsOf(a: Buffer, b: Buffer, options: DeltaOpsOptions): { ops: DeltaOp[]; summary: DeltaSummary } {
  const pa = join(dir, `a${n}`);
  const pb = join(dir, `b${n++}`);
  writeFileSync(pa, a);
  writeFileSync(pb, b);
  const fa = openFile(pa, { write: false });
  const fb = openFile(pb, { write: false });
  try {
    const g = deltaOps(fa, BigInt(a.length), fb, BigInt(b.length), options);
    const ops: DeltaOp[] = [];
    for (;;) {
      const r = g.next();
      if (r.done) return { ops, summary: r.value };
      ops.push(r.value);
    }
  } finally {
    fa.close();
    fb.close();
  }
}

function applied(a: Buffer, b: Buffer, ops: DeltaOp[]): Buffer {
  return Buffer.from(applyDeltaInMemory(a, { format: 'bps', sourceSize: BigInt(a.length), targetSize: BigInt(b.length), checks: [], ops: () => ops }));
}

const old = randomBytes(300_000, 21);
const cat = (...p: Uint8Array[]) => Buffer.concat(p);
const pairs: [string, Buffer, Buffer][] = [
  [
    'changes',
    old,
    (() => {
      const b = Buffer.from(old);
      for (let i = 100; i < b.length; i += 7919) b[i] ^= 1;
      return b;
    })(),
  ],
  ['insertion at the start', old, cat(randomBytes(5000, 3), old)],
  ['deletion', old, cat(old.subarray(0, 1000), old.subarray(9000))],
  ['moved block', old, cat(old.subarray(200_000), old.subarray(0, 200_000))],
  ['grow', old, cat(old, randomBytes(20_000, 4), Buffer.alloc(4096))],
  ['shrink', old, old.subarray(0, 123_457)],
  ['empty OLD', Buffer.alloc(0), old.subarray(0, 50_000)],
  ['empty NEW', old, Buffer.alloc(0)],
  ['identical', old, old],
];

describe('deltaOps from files', () => {
  it.each(pairs)('moves, %s: NEW rebuilt, CRC-32s of both files', (_name, a, b) => {
    const { ops, summary } = opsOf(a, b, { mode: 'moves', crc: true, runs: true });
    expect(applied(a, b, ops).equals(b)).toBe(true);
    expect(summary.crc32).toEqual({ source: crc32(a), target: crc32(b) });
    if (_name === 'identical') expect(summary).toMatchObject({ ops: 1, unchanged: a.length });
    if (_name === 'insertion at the start') expect(summary.added).toBe(5000);
  });

  it.each(pairs)('in place (data), %s: NEW rebuilt from same-offset ops only', (_name, a, b) => {
    const { ops } = opsOf(a, b, { mode: 'data', coalesce: 8 });
    expect(ops.every((o) => o.kind === 'data')).toBe(true);
    expect(applied(a, b, ops).equals(b)).toBe(true);
  });

  it.each(pairs)('in place (xor), %s: reversible, OLD rebuilt from NEW too', (_name, a, b) => {
    const { ops, summary } = opsOf(a, b, { mode: 'xor', crc: true });
    expect(ops.every((o) => o.kind === 'xor' && o.from === o.at)).toBe(true);
    expect(summary.crc32).toEqual({ source: crc32(a), target: crc32(b) });
    // XOR both ways, over the larger size (past an end, a file reads as zeros).
    const size = Math.max(a.length, b.length);
    const x = Buffer.alloc(size);
    a.copy(x);
    for (const op of ops) for (let i = 0; i < (op as { bytes: Uint8Array }).bytes.length; i++) x[Number(op.at) + i]! ^= (op as { bytes: Uint8Array }).bytes[i]!;
    expect(x.subarray(0, b.length).equals(b)).toBe(true);
    expect(x.subarray(b.length).every((v) => v === 0)).toBe(true);
  });

  it.each(pairs)('small windows (they overlap for the matcher), %s: the same ops and CRC-32s as one window', (_name, a, b) => {
    for (const mode of ['moves', 'xor'] as const) {
      const whole = opsOf(a, b, { mode, crc: true, runs: true });
      const small = opsOf(a, b, { mode, crc: true, runs: true, windowSize: 4096 });
      expect(small.summary).toEqual(whole.summary);
      expect(small.ops).toEqual(whole.ops);
    }
  });

  it('a small index still finds a shifted file (sparser samples)', () => {
    const b = cat(randomBytes(100, 5), old);
    const { ops, summary } = opsOf(old, b, { mode: 'moves', indexSlots: 1 << 10 });
    expect(applied(old, b, ops).equals(b)).toBe(true);
    expect(summary.indexBytes).toBeLessThanOrEqual(8 * 1024 + 64 * 1024);
    expect(summary.added).toBeLessThan(100 + 2 * 512);
  });
});
