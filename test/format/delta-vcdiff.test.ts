// VCDIFF (RFC 3284) as xdelta3 writes it: patches made by the real xdelta3 (lzma, djw, fgk and no
// secondary compression, levels 0 and 9, small windows and source windows) decoded and applied in
// memory equal the target; our encoder's patches are read back by xdelta3 -d and by our decoder.
// The xdelta3 runs happen in two shell batches. Skipped, with a notice, without xdelta3.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { adler32 } from '../../src/format/delta/adler32.js';
import { applyDeltaInMemory } from '../../src/format/delta/memory.js';
import type { Delta, DeltaCheck, DeltaOp } from '../../src/format/delta/model.js';
import { ADD, COPY, DEFAULT_CODE_TABLE, decodeVcdiff, looksLikeVcdiff, NOOP, RUN } from '../../src/format/delta/vcdiff.js';
import { encodeVcdiff, type VcdiffEncodeHeader } from '../../src/format/delta/vcdiff-encode.js';
import { same, shellBatch } from '../helpers/peers.js';
import { tmpDir } from '../helpers/tmp.js';
import { edited, HAVE_XDELTA3, type Pair, pairs, text } from './vcdiff-fixtures.js';

if (!HAVE_XDELTA3) console.warn('NOTICE: xdelta3 not installed; differential tests against xdelta3 are SKIPPED');

const isCheck = (x: DeltaOp | DeltaCheck): x is DeltaCheck => 'algorithm' in x;

/** Applies `delta` to `source` in memory, checking every window's Adler-32 against the result. */
function apply(source: Uint8Array, delta: Delta): Buffer {
  const list = [...delta.ops()];
  const out = Buffer.from(applyDeltaInMemory(source, { ...delta, ops: () => list }));
  for (const x of list) {
    if (!isCheck(x)) continue;
    const at = Number(x.at);
    expect(adler32(out.subarray(at, at + Number(x.length))), `adler32 of the window at ${at}`).toBe(x.value);
  }
  return out;
}

const concat = (pieces: Iterable<Uint8Array>): Buffer => Buffer.concat([...pieces]);

/** Encodes a pair's ops; with `checked`, the encoder gets the target's bytes (adler32, literals). */
function encodePair(p: Pair, windowSize: number | undefined, checked: boolean): Buffer {
  const header: VcdiffEncodeHeader = {
    targetSize: BigInt(p.target.length),
    sourceSize: BigInt(p.source.length),
    appHeader: 'target//source/',
    ...(windowSize === undefined ? {} : { windowSize }),
    ...(checked ? { target: (at: bigint, n: number) => p.target.subarray(Number(at), Number(at) + n) } : {}),
  };
  return concat(encodeVcdiff(p.ops, header));
}

describe('the default code table (RFC 3284 section 5.6)', () => {
  it('has the RFC layout: RUN, ADD 0..17, COPY 0 and 4..18 per mode, ADD+COPY, COPY+ADD', () => {
    const t = DEFAULT_CODE_TABLE;
    const entry = (i: number) => [t.type1[i], t.size1[i], t.mode1[i], t.type2[i], t.size2[i], t.mode2[i]];
    expect(entry(0)).toEqual([RUN, 0, 0, NOOP, 0, 0]);
    expect(entry(1)).toEqual([ADD, 0, 0, NOOP, 0, 0]);
    expect(entry(18)).toEqual([ADD, 17, 0, NOOP, 0, 0]);
    expect(entry(19)).toEqual([COPY, 0, 0, NOOP, 0, 0]);
    expect(entry(34)).toEqual([COPY, 18, 0, NOOP, 0, 0]);
    expect(entry(162)).toEqual([COPY, 18, 8, NOOP, 0, 0]);
    expect(entry(163)).toEqual([ADD, 1, 0, COPY, 4, 0]);
    expect(entry(174)).toEqual([ADD, 4, 0, COPY, 6, 0]);
    expect(entry(234)).toEqual([ADD, 4, 0, COPY, 6, 5]);
    expect(entry(235)).toEqual([ADD, 1, 0, COPY, 4, 6]);
    expect(entry(246)).toEqual([ADD, 4, 0, COPY, 4, 8]);
    expect(entry(247)).toEqual([COPY, 4, 0, ADD, 1, 0]);
    expect(entry(255)).toEqual([COPY, 4, 8, ADD, 1, 0]);
  });

  it('adler32 matches known values', () => {
    expect(adler32(new Uint8Array(0))).toBe(1);
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
    const big = text(100_000, 9);
    expect(adler32(big.subarray(40_000), adler32(big.subarray(0, 40_000)))).toBe(adler32(big));
  });
});

describe('encodeVcdiff, read back by decodeVcdiff', () => {
  it.each(pairs().map((p) => [p.name, p] as const))('%s: windows of 8 MiB and of 4 KiB, with and without target bytes', (_, p) => {
    const copiesTarget = p.ops.some((op) => op.kind === 'target');
    for (const windowSize of [undefined, 4096]) {
      for (const checked of [false, true]) {
        if (copiesTarget && windowSize !== undefined && !checked) {
          // Its pattern copies reach into earlier windows: literals, which need the target's bytes.
          expect(() => encodePair(p, windowSize, checked)).toThrow("without the target's bytes");
          continue;
        }
        const patch = encodePair(p, windowSize, checked);
        expect(looksLikeVcdiff(patch)).toBe(true);
        const delta = decodeVcdiff(patch, 'p.vcdiff');
        expect(delta.targetSize).toBe(BigInt(p.target.length));
        expect(delta.metadata).toBe('target//source/');
        same(apply(p.source, delta), p.target, `${p.name} window ${windowSize} checked ${checked}`);
        expect([...delta.ops()].some(isCheck)).toBe(checked);
      }
    }
  });

  it('gaps read the source at the same offset, and zeros past its end', () => {
    const source = text(10_000, 2);
    const ops: DeltaOp[] = [{ kind: 'data', at: 5000n, bytes: Buffer.from('hello') }];
    const patch = concat(encodeVcdiff(ops, { targetSize: 12_000n, sourceSize: 10_000n, windowSize: 3000 }));
    const expected = Buffer.concat([source.subarray(0, 5000), Buffer.from('hello'), source.subarray(5005), Buffer.alloc(2000)]);
    same(apply(source, decodeVcdiff(patch, 'p')), expected, 'gaps');
  });

  it('a target copy that reaches into an earlier window becomes literal bytes, given the target', () => {
    const source = Buffer.alloc(0);
    const target = Buffer.concat([Buffer.from('0123456789'), Buffer.from('0123456789'.repeat(1000))]);
    const ops: DeltaOp[] = [
      { kind: 'data', at: 0n, bytes: target.subarray(0, 10) },
      { kind: 'target', at: 10n, length: BigInt(target.length - 10), from: 0n },
    ];
    const header = { targetSize: BigInt(target.length), sourceSize: 0n, windowSize: 1000 };
    expect(() => concat(encodeVcdiff(ops, header))).toThrow(InputError);
    const patch = concat(encodeVcdiff(ops, { ...header, target: (at, n) => target.subarray(Number(at), Number(at) + n) }));
    same(apply(source, decodeVcdiff(patch, 'p')), target, 'pattern across windows');
    // Only the 10 bytes of the pattern before each window's start are literal.
    expect(patch.length).toBeLessThan(400);
  });

  it('add and xor ops become literal bytes, given the target', () => {
    const source = Buffer.from('abcdefgh');
    const target = Buffer.from('bcdefghi');
    const ops: DeltaOp[] = [
      { kind: 'add', at: 0n, from: 0n, bytes: Buffer.alloc(4, 1) },
      { kind: 'xor', at: 4n, from: 4n, bytes: Buffer.from([0x66 ^ 0x65, 0x67 ^ 0x66, 0x68 ^ 0x67, 0x69 ^ 0x68]) },
    ];
    expect(() => concat(encodeVcdiff(ops, { targetSize: 8n, sourceSize: 8n }))).toThrow(/add op at 0 without the target's bytes/);
    const patch = concat(encodeVcdiff(ops, { targetSize: 8n, sourceSize: 8n, target: (at, n) => target.subarray(Number(at), Number(at) + n) }));
    same(apply(source, decodeVcdiff(patch, 'p')), target, 'add and xor');
  });

  it('refuses ops out of order, past the target or the source, and bad window sizes', () => {
    const run = (ops: DeltaOp[], windowSize?: number) => () =>
      concat(encodeVcdiff(ops, { targetSize: 100n, sourceSize: 50n, ...(windowSize === undefined ? {} : { windowSize }) }));
    expect(
      run([
        { kind: 'fill', at: 10n, length: 10n, value: 1 },
        { kind: 'fill', at: 15n, length: 1n, value: 1 },
      ]),
    ).toThrow('delta op at 15 goes back before 20');
    expect(run([{ kind: 'fill', at: 95n, length: 10n, value: 1 }])).toThrow('delta op at 95 of 10 bytes runs past the target size 100');
    expect(run([{ kind: 'source', at: 0n, length: 10n, from: 45n }])).toThrow('copies source [45, +10) past the source size 50');
    expect(run([{ kind: 'target', at: 5n, length: 10n, from: 5n }])).toThrow('reads ahead');
    expect(run([], 0)).toThrow('VCDIFF window size 0');
    expect(run([], 2 ** 27)).toThrow('VCDIFF window size');
  });
});

/**
 * xdelta3 -e option sets and the pairs each runs on: default options (lzma), the other secondaries,
 * levels 9 and 0, small windows. -B 512 KiB (its smallest source window, larger than these sources)
 * only saves xdelta3 allocating its default 64 MiB.
 */
const B = ['-B', '524288'];
const SOME = ['changed', 'insert', 'new text'];
const OPTIONS: readonly { opts: readonly string[]; pairs?: readonly string[] }[] = [
  { opts: [] },
  { opts: ['-S', 'djw', ...B] },
  { opts: ['-S', 'fgk', ...B] },
  { opts: ['-S', 'none', ...B] },
  { opts: ['-9', ...B], pairs: SOME },
  { opts: ['-0', ...B], pairs: SOME },
  { opts: ['-W', '16384', ...B], pairs: SOME },
  { opts: ['-S', 'djw', '-W', '16384', ...B], pairs: SOME },
  { opts: ['-S', 'fgk', '-W', '16384', ...B], pairs: SOME },
];

describe.skipIf(!HAVE_XDELTA3)('against xdelta3', () => {
  const dir = tmpDir('mmapx-vcdiff-');
  const all = pairs();
  // A source larger than xdelta3's smallest source window (-B 512 KiB): several source segments.
  const big = text(1_300_000, 21);
  const moved = edited('moved', big, [
    { at: 0, del: 650_000, ins: Buffer.from('start') },
    { at: 900_000, del: 10, ins: big.subarray(0, 650_000) },
    { at: 1_250_000, del: 1000, ins: text(5000, 22) },
  ]);
  const bigRuns: readonly (readonly string[])[] = [
    ['-B', '524288', '-W', '65536'],
    ['-S', 'fgk', '-B', '524288', '-W', '65536'],
  ];
  /** xdelta3 -e patches, and whether xdelta3 -d read them back (it fails on some of its own multi-window fgk patches). */
  const encoded: { pair: Pair; opts: readonly string[]; patch: string; decoded: string }[] = [];
  const status = new Map<string, number>();
  const ours: { pair: Pair; patch: string; out: string }[] = [];

  beforeAll(() => {
    const cases: { argv: string[] }[] = [];
    const write = (p: Pair, i: number) => {
      writeFileSync(join(dir, `s${i}`), p.source);
      writeFileSync(join(dir, `t${i}`), p.target);
    };
    const runs = all.flatMap((p, i) => OPTIONS.filter((o) => o.pairs?.includes(p.name) ?? true).map(({ opts }) => ({ p, i, opts })));
    runs.push(...bigRuns.map((opts) => ({ p: moved, i: all.length, opts })));
    all.forEach(write);
    write(moved, all.length);
    runs.forEach(({ p, i, opts }, k) => {
      const patch = join(dir, `e${k}.vcdiff`);
      const decoded = join(dir, `e${k}.out`);
      cases.push({ argv: ['xdelta3', '-e', '-f', ...opts, '-s', `s${i}`, `t${i}`, patch] });
      cases.push({ argv: ['xdelta3', '-d', '-f', '-s', `s${i}`, patch, decoded] });
      encoded.push({ pair: p, opts, patch, decoded });
    });
    // Our patches, for xdelta3 -d: small windows (several source segments) and 8 MiB ones.
    [...all, moved].forEach((p, i) => {
      for (const [w, windowSize] of [4096, undefined].entries()) {
        const patch = join(dir, `o${i}-${w}.vcdiff`);
        writeFileSync(patch, encodePair(p, windowSize, w === 0 || i % 2 === 0));
        const out = join(dir, `o${i}-${w}.out`);
        cases.push({ argv: ['xdelta3', '-d', '-f', '-s', `s${i}`, patch, out] });
        ours.push({ pair: p, patch, out });
      }
    });
    const results = shellBatch(cases, dir);
    results.forEach((r, k) => {
      const argv = cases[k]!.argv;
      status.set(argv.at(-1)!, r.status);
      if (!argv.at(-1)!.endsWith('.out') || !argv.at(-1)!.includes('/e')) expect(r.status, argv.join(' ')).toBe(0);
    });
  });

  it('decodes every xdelta3 -e patch that xdelta3 -d reads to the target, its adler32 checks holding', () => {
    const compressed = new Map<string, number>();
    let refused = 0;
    for (const { pair, opts, patch, decoded } of encoded) {
      const delta = decodeVcdiff(readFileSync(patch), 'patch');
      expect(delta.targetSize).toBe(BigInt(pair.target.length));
      if (status.get(decoded) !== 0) {
        // xdelta3 -d refuses it (fgk's tree moved on over sections it then stored uncompressed): so do we.
        expect(opts).toContain('fgk');
        expect(() => apply(pair.source, delta)).toThrow(InputError);
        refused++;
        continue;
      }
      same(readFileSync(decoded), pair.target, `${pair.name} xdelta3 -d after xdelta3 -e ${opts.join(' ')}`);
      same(apply(pair.source, delta), pair.target, `${pair.name} xdelta3 -e ${opts.join(' ')}`);
      const secondary = delta.info?.find(([k]) => k === 'secondary compressor')?.[1] ?? '';
      const m = /^(\w+) \(id \d+, (\d+) of/.exec(secondary);
      if (m) compressed.set(m[1]!, (compressed.get(m[1]!) ?? 0) + Number(m[2]));
      const expectedSecondary = opts.includes('none') ? 'none' : opts.includes('djw') ? 'djw' : opts.includes('fgk') ? 'fgk' : 'lzma';
      expect(secondary.split(' ')[0]).toBe(expectedSecondary);
    }
    expect(refused).toBeLessThan(encoded.length / 4);
    // Each secondary compressor really compressed sections (of many windows, with -W).
    expect(compressed.get('lzma')).toBeGreaterThan(10);
    expect(compressed.get('djw')).toBeGreaterThan(10);
    expect(compressed.get('fgk')).toBeGreaterThan(10);
  });

  it('ops() starts over on each call: the secondary streams that span windows restart', () => {
    const multi = encoded.filter(({ opts, pair, decoded }) => opts.includes('-W') && pair.name === 'new text' && status.get(decoded) === 0);
    expect(multi.length).toBeGreaterThanOrEqual(2);
    for (const { patch } of multi) {
      const delta = decodeVcdiff(readFileSync(patch), 'patch');
      expect([...delta.ops()]).toEqual([...delta.ops()]);
    }
  });

  it('xdelta3 -d reads our patches back to the target', () => {
    for (const { pair, out } of ours) same(readFileSync(out), pair.target, `${pair.name}: xdelta3 -d of our patch`);
  });

  it('reads a big source in several segments (xdelta3 -B) and in memory gives the target', () => {
    const delta = decodeVcdiff(readFileSync(encoded.at(-1)!.patch), 'patch');
    const froms = new Set<bigint>();
    for (const x of delta.ops()) if (!isCheck(x) && x.kind === 'source') froms.add(x.from);
    expect(froms.size).toBeGreaterThan(10);
  });
});
