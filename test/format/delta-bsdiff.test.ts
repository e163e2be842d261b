// bsdiff patches (BSDIFF40 and ENDSLEY/BSDIFF43) decoded to delta ops: against Debian's bsdiff and
// bspatch where installed, against patches built here from the format description (their bzip2
// streams made by the `bzip2` command), and a battery of broken patches.
//
// The formats, as built by pack40/pack43 below (off = 8 bytes little-endian, top bit = sign):
//   BSDIFF40: "BSDIFF40" ctrlLen:off diffLen:off newSize:off, then three bzip2 streams: control
//             (triples x, y, z as off), diff (x bytes per triple), extra (y bytes per triple).
//   BSDIFF43: "ENDSLEY/BSDIFF43" newSize:off, then one bzip2 stream: per triple, x y z, x diff
//             bytes, y extra bytes.
// bspatch: newpos = oldpos = 0; per triple, new[newpos + i] = diff[i] + (old[oldpos + i] if
// 0 <= oldpos + i < oldSize, else 0) for i < x; then y extra bytes as they are; newpos += x + y;
// oldpos += x + z.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { decodeBsdiff, looksLikeBsdiff } from '../../src/format/delta/bsdiff.js';
import { applyDeltaInMemory } from '../../src/format/delta/memory.js';
import type { Delta, DeltaOp } from '../../src/format/delta/model.js';
import { randomBytes, same, shellBatch, xorshift32 } from '../helpers/peers.js';
import { tmpDir } from '../helpers/tmp.js';
import { expectOneLine, inputErrorOf } from './expect-input-error.js';

const HAVE_BSDIFF = !spawnSync('bsdiff', []).error && !spawnSync('bspatch', []).error;
const HAVE_BZIP2 = !spawnSync('bzip2', ['--help']).error;
if (!HAVE_BSDIFF) console.warn('NOTICE: bsdiff/bspatch not installed (Debian package bsdiff); the comparisons with bspatch are SKIPPED');
if (!HAVE_BZIP2) console.warn('NOTICE: bzip2 not installed (Debian package bzip2); the hand-built bsdiff patches are SKIPPED');

const dir = tmpDir('mmapx-bsdiff-');
const MiB = 1 << 20;

// --- building patches ------------------------------------------------------------------------

/** An `off`: 8 bytes, little-endian magnitude, sign in the top bit. */
function off(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v < 0n ? -v | (1n << 63n) : v);
  return b;
}

interface Triple {
  /** The x diff bytes. */
  readonly diff: Uint8Array;
  /** The y extra bytes. */
  readonly extra: Uint8Array;
  /** z: how far the old position moves after the triple (beyond x). */
  readonly seek: bigint;
}

/** Compresses each input with the `bzip2` command (one spawn for all), at block size `level` x 100 kB. */
function bzip2All(inputs: readonly Uint8Array[], level = 9): Buffer[] {
  const names = inputs.map((input, i) => {
    const name = join(dir, `in-${process.pid}-${i}`);
    writeFileSync(name, input);
    return name;
  });
  const r = spawnSync('bzip2', ['-f', `-${level}`, ...names]);
  if (r.status !== 0) throw new Error(`bzip2: ${r.stderr}`);
  return names.map((name) => readFileSync(`${name}.bz2`));
}

/** Decompresses each stream with `bzip2 -d` (one spawn for all). */
function bunzip2All(streams: readonly Uint8Array[]): Buffer[] {
  const names = streams.map((s, i) => {
    const name = join(dir, `out-${process.pid}-${i}.bz2`);
    writeFileSync(name, s);
    return name;
  });
  const r = spawnSync('bzip2', ['-d', '-f', ...names]);
  if (r.status !== 0) throw new Error(`bzip2 -d: ${r.stderr}`);
  return names.map((name) => readFileSync(name.slice(0, -4)));
}

function rawStreams(triples: readonly Triple[]): { ctrl: Buffer; diff: Buffer; extra: Buffer; all: Buffer } {
  const ctrl = Buffer.concat(triples.flatMap((t) => [off(BigInt(t.diff.length)), off(BigInt(t.extra.length)), off(t.seek)]));
  const all = Buffer.concat(triples.flatMap((t) => [off(BigInt(t.diff.length)), off(BigInt(t.extra.length)), off(t.seek), t.diff, t.extra]));
  return { ctrl, diff: Buffer.concat(triples.map((t) => t.diff)), extra: Buffer.concat(triples.map((t) => t.extra)), all };
}

function pack40(newSize: bigint, ctrl: Uint8Array, diff: Uint8Array, extra: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from('BSDIFF40'), off(BigInt(ctrl.length)), off(BigInt(diff.length)), off(newSize), ctrl, diff, extra]);
}

function pack43(newSize: bigint, all: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from('ENDSLEY/BSDIFF43'), off(newSize), all]);
}

/** A hand-built case: its triples as both formats (bzip2 streams at `level`). */
function build(newSize: bigint, triples: readonly Triple[], level = 9): { p40: Buffer; p43: Buffer } {
  const s = rawStreams(triples);
  const [ctrl, diff, extra, all] = bzip2All([s.ctrl, s.diff, s.extra, s.all], level);
  return { p40: pack40(newSize, ctrl!, diff!, extra!), p43: pack43(newSize, all!) };
}

/** bspatch's loop written out from the description above, byte by byte. */
function bspatchRef(old: Uint8Array, newSize: number, triples: readonly Triple[]): Buffer {
  const out = Buffer.alloc(newSize);
  let newPos = 0;
  let oldPos = 0;
  for (const t of triples) {
    for (let i = 0; i < t.diff.length; i++) {
      const o = oldPos + i >= 0 && oldPos + i < old.length ? old[oldPos + i]! : 0;
      out[newPos + i] = (t.diff[i]! + o) & 0xff;
    }
    newPos += t.diff.length;
    oldPos += t.diff.length;
    out.set(t.extra, newPos);
    newPos += t.extra.length;
    oldPos += Number(t.seek);
  }
  return out;
}

// --- reading ops -----------------------------------------------------------------------------

function opLength(op: DeltaOp): bigint {
  return 'bytes' in op ? BigInt(op.bytes.length) : op.length;
}

/** All ops, checked: increasing, non-overlapping, within the target, bytes ops at most 1 MiB. */
function opsOf(delta: Delta): DeltaOp[] {
  const ops: DeltaOp[] = [];
  let end = 0n;
  for (const x of delta.ops()) {
    if ('algorithm' in x) throw new Error('bsdiff yields no checks');
    expect(x.at).toBeGreaterThanOrEqual(end);
    if ('bytes' in x) expect(x.bytes.length).toBeLessThanOrEqual(MiB);
    end = x.at + opLength(x);
    ops.push(x);
  }
  expect(end).toBeLessThanOrEqual(delta.targetSize!);
  return ops;
}

function apply(old: Uint8Array, patch: Uint8Array, name = 'p'): Buffer {
  const delta = decodeBsdiff(patch, name);
  opsOf(delta);
  return Buffer.from(applyDeltaInMemory(old, delta));
}

// --- the cases -------------------------------------------------------------------------------

/** Old/new pairs of the kinds bsdiff meets: changes, insertions, deletions, shifts, growth. */
function pairs(): { name: string; old: Buffer; new: Buffer }[] {
  const base = randomBytes(40_000, 17);
  const next = xorshift32(99);
  // Sparse small changes, as in a rebuilt executable: pointers that moved by a few bytes.
  const changed = Buffer.from(base);
  for (let i = 100; i < changed.length; i += 300 + (next() % 200)) changed[i] = (changed[i]! + 1 + (next() % 7)) & 0xff;
  // A region where every byte moved by 1: a run of 0x01 in the diff block.
  const shifted = Buffer.from(base);
  for (let i = 10_000; i < 13_000; i++) shifted[i] = (shifted[i]! + 1) & 0xff;
  const cat = (...parts: Uint8Array[]) => Buffer.concat(parts);
  return [
    { name: 'changes', old: base, new: changed },
    { name: 'run-of-ones', old: base, new: shifted },
    { name: 'insertion', old: base, new: cat(base.subarray(0, 20_000), randomBytes(3000, 5), base.subarray(20_000)) },
    { name: 'deletion', old: base, new: cat(base.subarray(0, 15_000), base.subarray(19_000)) },
    { name: 'shift-at-start', old: base, new: cat(randomBytes(777, 6), base) },
    { name: 'cut-at-start', old: base, new: base.subarray(5000) },
    { name: 'smaller', old: base, new: changed.subarray(0, 12_345) },
    { name: 'larger', old: base.subarray(0, 10_000), new: cat(changed, randomBytes(5000, 7)) },
    { name: 'moved-blocks', old: base, new: cat(base.subarray(30_000), base.subarray(10_000, 30_000), base.subarray(0, 10_000)) },
    { name: 'one-byte', old: Buffer.from([7]), new: Buffer.from([9]) },
    { name: 'unrelated', old: randomBytes(3000, 8), new: randomBytes(2000, 9) },
    // Debian's bsdiff refuses empty files (it maps them); the empty target is hand-built below.
  ];
}

describe.skipIf(!HAVE_BSDIFF)('patches made by Debian bsdiff', () => {
  const cases = pairs();
  const sub = join(dir, 'tool');
  mkdirSync(sub);
  cases.forEach((c, i) => {
    writeFileSync(join(sub, `old${i}`), c.old);
    writeFileSync(join(sub, `new${i}`), c.new);
  });
  // Collected (not run) when the tools are missing: no spawn then.
  const batch = (argv: (i: number) => string[]) =>
    HAVE_BSDIFF
      ? shellBatch(
          cases.map((_, i) => ({ argv: argv(i) })),
          sub,
        )
      : [];
  const diffs = batch((i) => ['bsdiff', `old${i}`, `new${i}`, `p${i}`]);
  const patches = batch((i) => ['bspatch', `old${i}`, `out${i}`, `p${i}`]);

  it.each(cases.map((c, i) => [c.name, i] as const))('%s: decoded and applied, equals bspatch output and the new file', (_, i) => {
    expect(diffs[i]!.status).toBe(0);
    expect(patches[i]!.status).toBe(0);
    const c = cases[i]!;
    const patch = readFileSync(join(sub, `p${i}`));
    expect(looksLikeBsdiff(patch)).toBe(true);
    const out = apply(c.old, patch, `p${i}`);
    same(out, readFileSync(join(sub, `out${i}`)), `${c.name} vs bspatch`);
    same(out, c.new, `${c.name} vs new`);
  });

  it('unchanged bytes come out as source ops that copy in place (from === at), not as adds', () => {
    const i = cases.findIndex((c) => c.name === 'changes');
    const ops = opsOf(decodeBsdiff(readFileSync(join(sub, `p${i}`)), 'p'));
    const kept = ops.filter((op) => op.kind === 'source' && op.from === op.at).reduce((n, op) => n + opLength(op), 0n);
    const added = ops.filter((op) => op.kind === 'add').reduce((n, op) => n + opLength(op), 0n);
    expect(kept).toBeGreaterThan(35_000n);
    expect(added).toBeLessThan(5000n);
  });

  it('a shift at the start copies the source from its old offset', () => {
    const i = cases.findIndex((c) => c.name === 'shift-at-start');
    const ops = opsOf(decodeBsdiff(readFileSync(join(sub, `p${i}`)), 'p'));
    expect(ops.some((op) => op.kind === 'source' && op.at - op.from === 777n && op.length > 30_000n)).toBe(true);
  });

  it.skipIf(!HAVE_BZIP2)('the same patches re-packed as ENDSLEY/BSDIFF43 (bzip2 -1: several blocks) give the same files', () => {
    const raw = cases.map((_, i) => {
      const p = readFileSync(join(sub, `p${i}`));
      const ctrlLen = Number(p.readBigUInt64LE(8));
      const diffLen = Number(p.readBigUInt64LE(16));
      return [p.subarray(32, 32 + ctrlLen), p.subarray(32 + ctrlLen, 32 + ctrlLen + diffLen), p.subarray(32 + ctrlLen + diffLen)];
    });
    const plain = bunzip2All(raw.flat());
    const interleaved = cases.map((_, i) => {
      const [ctrl, diff, extra] = plain.slice(3 * i, 3 * i + 3) as [Buffer, Buffer, Buffer];
      const parts: Buffer[] = [];
      let d = 0;
      let e = 0;
      for (let t = 0; t < ctrl.length; t += 24) {
        const x = Number(ctrl.readBigUInt64LE(t));
        const y = Number(ctrl.readBigUInt64LE(t + 8));
        parts.push(ctrl.subarray(t, t + 24), diff.subarray(d, d + x), extra.subarray(e, e + y));
        d += x;
        e += y;
      }
      return Buffer.concat(parts);
    });
    const streams = bzip2All(interleaved, 1);
    cases.forEach((c, i) => {
      const p43 = pack43(BigInt(c.new.length), streams[i]!);
      expect(looksLikeBsdiff(p43)).toBe(true);
      same(apply(c.old, p43), c.new, `${c.name} as BSDIFF43`);
    });
  });
});

describe.skipIf(!HAVE_BZIP2)('hand-built patches', () => {
  const old = randomBytes(5000, 3);
  const z = (n: number) => new Uint8Array(n);
  const ones = (n: number) => new Uint8Array(n).fill(1);

  /**
   * Each case: new size, triples; checked against bspatchRef and, where installed, bspatch itself,
   * except where the old position goes negative: Debian's bspatch (4.3-23) then reads the 8 bytes
   * before its copy of the old file (heap memory: old positions -8..-1 do not add 0), an
   * out-of-bounds read that neither the description, Percival's nor Endsley's bspatch does.
   */
  const cases: { name: string; size: number; triples: Triple[]; negative?: true }[] = [
    // Nothing at all: new size 0, no triple (bspatch reads no triple).
    { name: 'empty target', size: 0, triples: [] },
    // Copy the first 100 bytes, 20 literal bytes, then continue 50 bytes further on in the old file.
    {
      name: 'copy, extra, seek forward',
      size: 300,
      triples: [
        { diff: z(100), extra: randomBytes(20, 1), seek: 50n },
        { diff: z(180), extra: z(0), seek: 0n },
      ],
    },
    // z = -200 before any diff: the old position is negative; bspatch adds nothing to those bytes.
    {
      name: 'negative old position',
      size: 400,
      negative: true,
      triples: [
        { diff: z(0), extra: z(0), seek: -200n },
        { diff: randomBytes(400, 2), extra: z(0), seek: 0n },
      ],
    },
    // The old position crosses 0 inside a run of zeros: literal zeros, then source bytes.
    {
      name: 'zero run across old position 0',
      size: 1000,
      negative: true,
      triples: [
        { diff: z(0), extra: z(0), seek: -300n },
        { diff: z(1000), extra: z(0), seek: 0n },
      ],
    },
    // Past the old file's end, bspatch adds nothing: the diff bytes are the new bytes.
    {
      name: 'past the old end',
      size: 700,
      triples: [
        { diff: z(0), extra: z(0), seek: 4800n },
        { diff: ones(700), extra: z(0), seek: 0n },
      ],
    },
    // Triples that move nothing, then a jump back.
    {
      name: 'empty triples and a jump back',
      size: 64,
      triples: [
        { diff: z(0), extra: z(0), seek: 7n },
        { diff: z(32), extra: z(0), seek: -39n },
        { diff: z(32), extra: z(0), seek: 0n },
      ],
    },
    // Long runs: extra runs become fill ops, 0x01 diff runs adds of at most 1 MiB.
    {
      name: 'long runs',
      size: 2 * MiB + 4000,
      triples: [
        { diff: ones(MiB + 1000), extra: new Uint8Array(MiB).fill(0xab), seek: 0n },
        { diff: z(3000), extra: z(0), seek: 0n },
      ],
    },
  ];
  const built = HAVE_BZIP2 ? cases.map((c) => build(BigInt(c.size), c.triples)) : [];

  it.each(cases.map((c, i) => [c.name, i] as const))('%s: both formats give what bspatch does', (_, i) => {
    const c = cases[i]!;
    const want = bspatchRef(old, c.size, c.triples);
    same(apply(old, built[i]!.p40), want, `${c.name} (BSDIFF40)`);
    same(apply(old, built[i]!.p43), want, `${c.name} (BSDIFF43)`);
  });

  it.skipIf(!HAVE_BSDIFF)('bspatch itself agrees on the hand-built BSDIFF40 patches', () => {
    const sub = join(dir, 'hand');
    mkdirSync(sub);
    writeFileSync(join(sub, 'old'), old);
    built.forEach((b, i) => {
      writeFileSync(join(sub, `p${i}`), b.p40);
    });
    const runs = shellBatch(
      cases.map((_, i) => ({ argv: ['bspatch', 'old', `out${i}`, `p${i}`] })),
      sub,
    );
    cases.forEach((c, i) => {
      // Debian's bspatch maps its output: it cannot write an empty file.
      if (c.size === 0 || c.negative) return;
      expect(runs[i]!.status, c.name).toBe(0);
      same(readFileSync(join(sub, `out${i}`)), bspatchRef(old, c.size, c.triples), `${c.name}: bspatch vs the description`);
    });
  });

  it('zero runs are source ops, merged across triples; runs of another value are fills or chunked adds', () => {
    const ops = opsOf(decodeBsdiff(built[cases.findIndex((c) => c.name === 'long runs')]!.p40, 'p'));
    expect(ops.map((op) => [op.kind, Number(op.at), Number(opLength(op))])).toEqual([
      ['add', 0, MiB],
      ['add', MiB, 1000],
      ['fill', MiB + 1000, MiB],
      ['source', 2 * MiB + 1000, 3000],
    ]);
    const cross = opsOf(decodeBsdiff(built[cases.findIndex((c) => c.name === 'zero run across old position 0')]!.p43, 'p'));
    expect(cross).toEqual([
      { kind: 'fill', at: 0n, length: 300n, value: 0 },
      { kind: 'source', at: 300n, from: 0n, length: 700n },
    ]);
  });

  it('16 MiB of unchanged bytes in 4 bzip2 blocks stream: one source op, nothing held', () => {
    // bzip2 -1: 100 kB blocks, each holding 5 MB of zeros (runs of 255 in 5 bytes).
    const size = 16 * MiB;
    const { p40 } = build(BigInt(size), [{ diff: z(size), extra: z(0), seek: 0n }], 1);
    expect(p40.length).toBeLessThan(1000);
    const before = process.memoryUsage().arrayBuffers;
    expect(opsOf(decodeBsdiff(p40, 'p'))).toEqual([{ kind: 'source', at: 0n, from: 0n, length: BigInt(size) }]);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * MiB);
  });

  it('info says what the patch is and that nothing checks the source', () => {
    const d = decodeBsdiff(built[1]!.p40, 'p');
    expect(d.format).toBe('bsdiff');
    expect(d.targetSize).toBe(300n);
    expect(d.sourceSize).toBeUndefined();
    expect(d.checks).toEqual([]);
    expect(Object.fromEntries(d.info!)).toMatchObject({ format: 'BSDIFF40 (bsdiff 4)', checksums: expect.stringMatching(/^none/) });
    expect(Object.fromEntries(decodeBsdiff(built[1]!.p43, 'p').info!).format).toMatch(/^ENDSLEY\/BSDIFF43/);
  });

  // --- broken patches --------------------------------------------------------------------------

  /** Decodes and runs every op; the InputError's message, or undefined when the patch is fine. */
  function failure(patch: Uint8Array): string | undefined {
    let error: InputError;
    try {
      const d = decodeBsdiff(patch, 'bad.bsdiff');
      for (const _ of d.ops());
      return undefined;
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      error = e;
    }
    expectOneLine(error.message);
    expect(error.message).toMatch(/^bad\.bsdiff byte 0x[0-9a-f]+: /);
    return error.message.replace(/^bad\.bsdiff /, '');
  }

  const good = () => build(300n, cases[1]!.triples);

  it('headers: wrong magic, short header, negative sizes, blocks past the end, not bzip2', () => {
    const { p40, p43 } = good();
    const with40 = (at: number, bytes: Uint8Array) => Buffer.concat([p40.subarray(0, at), bytes, p40.subarray(at + bytes.length)]);
    expect(looksLikeBsdiff(Buffer.from('BSDIFF4'))).toBe(false);
    expect(failure(Buffer.from('BSDIFF41xxxxxxxxxxxxxxxxxxxxxxxxxxxxx'))).toBe("byte 0x0: not a bsdiff patch: no 'BSDIFF40' or 'ENDSLEY/BSDIFF43' magic");
    expect(failure(p40.subarray(0, 31))).toBe('byte 0x1f: truncated header: 32 bytes needed, 31 present');
    expect(failure(p43.subarray(0, 20))).toBe('byte 0x14: truncated header: 24 bytes needed, 20 present');
    // 2^64 - 1 reads as -(2^63 - 1): negative.
    expect(failure(with40(24, Buffer.alloc(8, 0xff)))).toBe('byte 0x18: new size -9223372036854775807 is negative');
    expect(failure(with40(8, off(-1n)))).toBe('byte 0x8: control block length -1 is negative');
    expect(failure(with40(16, off(1n << 40n)))).toMatch(/^byte 0x10: the diff block \(1099511627776 bytes at 0x[0-9a-f]+\) runs past the end of the patch/);
    expect(failure(with40(8, off(BigInt(p40.length))))).toMatch(/^byte 0x8: the control block .* runs past the end of the patch/);
    expect(failure(with40(32, Buffer.from('BZh0')))).toBe("byte 0x20: control block: not a bzip2 stream (no 'BZh1'..'BZh9' header)");
    expect(failure(Buffer.concat([p43.subarray(0, 24), Buffer.from('garbage garbage')]))).toBe(
      "byte 0x18: data block: not a bzip2 stream (no 'BZh1'..'BZh9' header)",
    );
  });

  it('control triples that break bspatch’s rules', () => {
    // The triples' x and y, where small, have their bytes (zeros) in the diff and extra blocks.
    const bad = (...triples: [bigint, bigint, bigint][]) => {
      const small = (v: bigint) => (v > 0n && v < 1000n ? Number(v) : 0);
      const ctrl = Buffer.concat(triples.flat().map(off));
      const diff = Buffer.alloc(triples.reduce((n, t) => n + small(t[0]), 0));
      const extra = Buffer.alloc(triples.reduce((n, t) => n + small(t[1]), 0));
      const [c, d, e] = bzip2All([ctrl, diff, extra]);
      return failure(pack40(300n, c!, d!, e!));
    };
    // The control block's first bzip2 block starts at 0x24, after the header and 'BZh9'.
    expect(bad([-1n, 0n, 0n])).toBe('byte 0x24: control block: control triple 1: diff length -1 is out of range (0..2147483647)');
    expect(bad([0n, 1n << 31n, 0n])).toBe('byte 0x24: control block: control triple 1: extra length 2147483648 is out of range (0..2147483647)');
    expect(bad([301n, 0n, 0n])).toBe('byte 0x24: control block: control triple 1: diff length 301 at new position 0 runs past the new size 300');
    expect(bad([300n, 1n, 0n])).toMatch(/control triple 1: extra length 1 at new position 300 runs past the new size 300$/);
    expect(bad([10n, 0n, -(1n << 63n) + 1n], [0n, 0n, -20n])).toMatch(/control triple 2: old position -9223372036854775817 is out of range$/);
  });

  it('blocks too short for the triples, or holding more than they use', () => {
    const t = cases[1]!.triples;
    const s = rawStreams(t);
    const [ctrl, diff, extra, ctrlShort, diffShort, extraShort, ctrlLong, diffLong, extraLong] = bzip2All([
      s.ctrl,
      s.diff,
      s.extra,
      s.ctrl.subarray(0, 40),
      s.diff.subarray(0, 200),
      s.extra.subarray(0, 5),
      Buffer.concat([s.ctrl, off(0n)]),
      Buffer.concat([s.diff, Buffer.from([1])]),
      Buffer.concat([s.extra, Buffer.from([1])]),
    ]);
    expect(failure(pack40(300n, ctrl!, diff!, extra!))).toBeUndefined();
    // Named at the stream's end marker.
    expect(failure(pack40(300n, ctrlShort!, diff!, extra!))).toMatch(
      /^byte 0x[0-9a-f]+: control block: ends after 1 control triple\(s\), at new position 120 of 300$/,
    );
    expect(failure(pack40(300n, ctrl!, diffShort!, extra!))).toMatch(/: diff block: ends 80 byte\(s\) short of the diff bytes of control triple 2$/);
    expect(failure(pack40(300n, ctrl!, diff!, extraShort!))).toMatch(/: extra block: ends 15 byte\(s\) short of the extra bytes of control triple 1$/);
    expect(failure(pack40(300n, ctrlLong!, diff!, extra!))).toMatch(/: control block: holds more than the control triples use \(new size 300 reached\)$/);
    expect(failure(pack40(300n, ctrl!, diffLong!, extra!))).toMatch(/: diff block: holds more than/);
    expect(failure(pack40(300n, ctrl!, diff!, extraLong!))).toMatch(/: extra block: holds more than/);
    // Bytes after a bzip2 stream, inside its block and at the end of the patch.
    expect(failure(pack40(300n, Buffer.concat([ctrl!, Buffer.from([0])]), diff!, extra!))).toMatch(
      /: control block: 1 byte\(s\) after the end of its bzip2 stream$/,
    );
    expect(failure(Buffer.concat([pack40(300n, ctrl!, diff!, extra!), Buffer.from('xyz')]))).toMatch(
      /: extra block: 3 byte\(s\) after the end of its bzip2 stream$/,
    );
  });

  it('bzip2 garbage: a wrong CRC, a corrupt block, a stream cut short', () => {
    const { p40 } = good();
    const ctrlLen = Number(p40.readBigUInt64LE(8));
    const flip = (at: number) => {
      const b = Buffer.from(p40);
      b[at]! ^= 0x01;
      return b;
    };
    // The block CRC is the 4 bytes after the 6-byte block magic, after 'BZh9'.
    expect(failure(flip(32 + 4 + 6))).toBe('byte 0x24: control block: bzip2 block 1 is corrupt (CRC mismatch)');
    // 3 bytes from the end: inside the stream CRC (32 bits, then at most 7 bits of padding).
    expect(failure(flip(32 + ctrlLen - 3))).toMatch(/^byte 0x[0-9a-f]+: control block: the bzip2 stream's CRC does not match its blocks \(CRC mismatch\)$/);
    // The first byte of the first block's body (randomised bit, origPtr): corrupt, or a CRC mismatch.
    expect(failure(flip(32 + 4 + 10))).toMatch(/^byte 0x24: control block: bzip2 block 1 is corrupt/);
    expect(failure(Buffer.concat([p40.subarray(0, 24), off(0n), p40.subarray(32)]))).toMatch(/holds more than the control triples use/);
  });

  it('battery: every truncation fails with one line; every flipped byte fails with one line or decodes', () => {
    for (const patch of Object.values(good())) {
      for (let n = 0; n < patch.length; n++) expect(failure(patch.subarray(0, n)), `cut at ${n}`).toBeDefined();
      const next = xorshift32(patch.length);
      for (let at = 0; at < patch.length; at++) {
        for (const mask of [0xff, 1 << (next() % 8)]) {
          const b = Buffer.from(patch);
          b[at]! ^= mask;
          failure(b);
        }
      }
    }
  });

  it('InputError for garbage that looks like bzip2 in every block', () => {
    const next = xorshift32(5);
    for (let i = 0; i < 200; i++) {
      const body = Buffer.from(randomBytes(40 + (next() % 200), next()));
      body.write('BZh9', 0);
      const p43 = pack43(BigInt(next() % 1000), body);
      const error = inputErrorOf(() => {
        for (const _ of decodeBsdiff(p43, 'g').ops());
      });
      expect(error.message).toMatch(/^g byte 0x[0-9a-f]+: data block: /);
    }
  });
});

describe('bzip2 decoding limits', () => {
  it('a block of 32 run symbols in a row (a run counter that wraps) is corrupt, not a hang', () => {
    // Built bit by bit: 'BZh9', block magic 314159265359, CRC 0, not randomised, origPtr 0, one
    // byte value used (0x00: symbols RUNA, RUNB, end of block), 2 Huffman groups, 1 selector, every
    // code 2 bits long (RUNA 00, RUNB 01, EOB 10); then 32 x RUNA and EOB: a run of 2^32 - 1 bytes,
    // longer than any block (a decoder whose run counter wraps would see an empty block instead).
    const block = Buffer.from('425a6839314159265359000000000000004000400020002101000000000000000008', 'hex');
    const patch = Buffer.concat([Buffer.from('ENDSLEY/BSDIFF43'), off(10n), block, Buffer.alloc(16)]);
    expect(inputErrorOf(() => [...decodeBsdiff(patch, 'p').ops()]).message).toBe('p byte 0x1c: data block: bzip2 block 1 is corrupt');
  });
});
