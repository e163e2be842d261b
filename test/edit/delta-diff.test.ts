// The ops of `diff --format bps|ups|ips32|vcdiff` read from files (src/edit/delta-diff.ts): applied
// in memory they give NEW, whatever the windows; the CRC-32s are the files'; UPS's XOR goes on
// over OLD's tail (reversible); the source index stays within its bound.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type DeltaDiffFormat, type DeltaOpsOptions, type DeltaSummary, deltaOps, deltaPatch } from '../../src/edit/delta-diff.js';
import { openFile } from '../../src/edit/files.js';
import { applyDeltaInMemory, type Delta, type DeltaOp, decodeBps, decodeIps32, decodeUps, decodeVcdiff } from '../../src/format/delta/index.js';
import { HAVE_XDELTA3 } from '../format/vcdiff-fixtures.js';
import { randomBytes } from '../helpers/peers.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-delta-diff-');
if (!HAVE_XDELTA3) console.warn('NOTICE: xdelta3 not installed (Debian package xdelta3); mmapx VCDIFF patches applied by xdelta3 -d are SKIPPED');
const crc32 = (b: Uint8Array) => (zlib as unknown as { crc32: (d: Uint8Array) => number }).crc32(b) >>> 0;

let n = 0;

/** Writes both files, runs `body` on them open. */
function withFiles<T>(a: Buffer, b: Buffer, body: (fa: ReturnType<typeof openFile>, fb: ReturnType<typeof openFile>, pa: string, pb: string) => T): T {
  const pa = join(dir, `a${n}`);
  const pb = join(dir, `b${n++}`);
  writeFileSync(pa, a);
  writeFileSync(pb, b);
  const fa = openFile(pa, { write: false });
  const fb = openFile(pb, { write: false });
  try {
    return body(fa, fb, pa, pb);
  } finally {
    fa.close();
    fb.close();
  }
}

/** The patch `diff --format FORMAT` writes for the pair, and what its ops add up to. */
function patchOf(a: Buffer, b: Buffer, format: DeltaDiffFormat): { patch: Buffer; summary: DeltaSummary } {
  return withFiles(a, b, (fa, fb) => {
    const g = deltaPatch(fa, BigInt(a.length), fb, BigInt(b.length), format);
    const pieces: Uint8Array[] = [];
    for (;;) {
      const r = g.next();
      if (r.done) return { patch: Buffer.concat(pieces), summary: r.value };
      pieces.push(r.value);
    }
  });
}

const DECODERS: Record<DeltaDiffFormat, (bytes: Uint8Array, name: string) => Delta> = {
  bps: decodeBps,
  ups: decodeUps,
  ips32: decodeIps32,
  vcdiff: decodeVcdiff,
};

/** Ops as one string (bytes in hex): compared as a whole, fast. */
function opsText(ops: DeltaOp[]): string {
  return ops
    .map((o) => `${o.kind} ${o.at} ${'bytes' in o ? Buffer.from(o.bytes).toString('hex') : ''} ${'length' in o ? o.length : ''} ${'from' in o ? o.from : ''}`)
    .join('\n');
}

function opsOf(a: Buffer, b: Buffer, options: DeltaOpsOptions): { ops: DeltaOp[]; summary: DeltaSummary } {
  return withFiles(a, b, (fa, fb) => {
    const g = deltaOps(fa, BigInt(a.length), fb, BigInt(b.length), options);
    const ops: DeltaOp[] = [];
    for (;;) {
      const r = g.next();
      if (r.done) return { ops, summary: r.value };
      ops.push(r.value);
    }
  });
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
      expect(opsText(small.ops)).toBe(opsText(whole.ops));
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

describe('deltaPatch: each format decoded by its decoder rebuilds NEW', () => {
  const formats: DeltaDiffFormat[] = ['bps', 'ups', 'ips32', 'vcdiff'];
  it.each(formats)('%s: every pair; BPS and UPS carry both CRC-32s', (format) => {
    for (const [name, a, b] of pairs) {
      const { patch, summary } = patchOf(a, b, format);
      const delta = DECODERS[format](patch, `${name}.${format}`);
      expect(delta.targetSize ?? BigInt(b.length), name).toBe(BigInt(b.length));
      expect(Buffer.from(applyDeltaInMemory(a, delta)).equals(b), `${format} ${name}`).toBe(true);
      if (format === 'bps' || format === 'ups') {
        expect(delta.checks.filter((c) => c.of !== 'patch').map((c) => [c.of, c.value])).toEqual([
          ['source', crc32(a)],
          ['target', crc32(b)],
        ]);
      }
      if (name === 'insertion at the start' && (format === 'bps' || format === 'vcdiff')) expect(patch.length).toBeLessThan(5000 + 100);
      if (name === 'identical') expect(summary.unchanged).toBe(a.length);
    }
  });

  it.skipIf(!HAVE_XDELTA3)('vcdiff: xdelta3 -d -s OLD rebuilds NEW from every pair', () => {
    const runs: string[] = [];
    const expected: [string, Buffer][] = [];
    for (const [name, a, b] of pairs) {
      const { patch } = patchOf(a, b, 'vcdiff');
      const i = expected.length;
      writeFileSync(join(dir, `x${i}.old`), a);
      writeFileSync(join(dir, `x${i}.vcdiff`), patch);
      runs.push(`xdelta3 -d -f -s x${i}.old x${i}.vcdiff x${i}.out || echo "xdelta3 failed on ${name}" >&2`);
      expected.push([name, b]);
    }
    const r = spawnSync('sh', ['-c', runs.join('\n')], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    for (const [i, [name, b]] of expected.entries()) expect(readFileSync(join(dir, `x${i}.out`)).equals(b), name).toBe(true);
  });
});
