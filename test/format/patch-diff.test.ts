import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyPatchToBytes,
  bytesAccess,
  describeDiff,
  diffBytes,
  DiffScanner,
  cmpOffsetWidth,
  formatCmp,
  formatCmpWindow,
  formatNativePatch,
  parseNativePatch,
  planPatch,
} from '../../src/format/patch/index.js';

const sha256 = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');
const ascii = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

/** Pairs of byte arrays that are often similar: b is a mutated a, sometimes resized. */
const arbPair = fc
  .tuple(
    fc.uint8Array({ maxLength: 200 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
    fc.integer({ min: -30, max: 30 }),
    fc.uint8Array({ maxLength: 40 }),
  )
  .map(([a, edits, resize, tail]) => {
    let b = Uint8Array.from(a);
    for (const [i, v] of edits) if (b.length > 0) b[i % b.length] = v;
    if (resize < 0) b = b.slice(0, Math.max(0, b.length + resize));
    else if (resize > 0) b = Uint8Array.from(Buffer.concat([b, tail.subarray(0, resize)]));
    return [a, b] as const;
  });

describe('diff', () => {
  it('emits guarded hunks, coalescing changes within the distance', () => {
    const a = ascii('0123456789abcdefghij');
    const b = ascii('0X23456789abcYeZghij');
    const p = diffBytes(a, b, { coalesce: 2 });
    expect(formatNativePatch(p)).toBe('0x1: 31 -> 58\n0xd: 64 65 66 -> 59 65 5a\n');
    expect(formatNativePatch(diffBytes(a, b, { coalesce: 20, maxHunk: 0 }))).toBe(
      '0x1: 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 -> 58 32 33 34 35 36 37 38 39 61 62 63 59 65 5a\n',
    );
    expect(diffBytes(a, a).hunks).toEqual([]);
    expect(describeDiff(p)).toBe('2 hunks, 4 bytes');
  });

  it('expresses a size change: growth expects zeros past the old end, shrinking truncates', () => {
    const grown = diffBytes(ascii('ab'), ascii('ab\0\0cd'));
    expect(formatNativePatch(grown)).toBe('size before 0x2\nsize after 0x6\n0x4: 00 00 -> 63 64\n');
    expect(() => applyPatchToBytes(ascii('ab'), grown)).toThrow('size after 0x6 grows the file from 0x2; growing needs --grow');
    expect(applyPatchToBytes(ascii('ab'), grown, { grow: true }).bytes).toEqual(ascii('ab\0\0cd'));
    const shrunk = diffBytes(ascii('abcdef'), ascii('aXc'));
    expect(formatNativePatch(shrunk)).toBe('size before 0x6\nsize after 0x3\n0x1: 62 -> 58\n');
    expect(() => applyPatchToBytes(ascii('abcdef'), shrunk)).toThrow('shrinking needs --truncate');
    expect(describeDiff(shrunk)).toBe('1 hunk, 1 byte, size 0x6 -> 0x3');
  });

  it('round-trips: a patched with diff(a, b) is b; patching again is already applied (property)', () => {
    fc.assert(
      fc.property(arbPair, fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 8 }), ([a, b], coalesce, maxHunk) => {
        const text = formatNativePatch(diffBytes(a, b, { coalesce, maxHunk, sha256: { before: sha256(a), after: sha256(b) } }));
        const patch = parseNativePatch(text, 'p');
        const opts = { grow: true, truncate: true, sha256 };
        const once = applyPatchToBytes(a, patch, opts);
        expect(once.bytes).toEqual(b);
        const twice = applyPatchToBytes(once.bytes, patch, opts);
        expect(twice.plan.state).toBe('already');
        expect(twice.plan.hunks.every((h) => h.state === 'already')).toBe(true);
        expect(twice.bytes).toEqual(b);
      }),
      { numRuns: 400 },
    );
  });

  it('finds sparse changes in large, mostly equal buffers', () => {
    const a = new Uint8Array(64 * 1024 * 1024);
    for (let i = 0; i < a.length; i += 4093) a[i] = i & 0xff;
    const b = Uint8Array.from(a);
    const at = [0, 1, 65535, 65536, 33_000_001, a.length - 1];
    for (const i of at) b[i] ^= 0xff;
    const p = diffBytes(a, b, { coalesce: 0 });
    expect(p.hunks.map((h) => (h.kind === 'offset' ? Number(h.offset) : -1))).toEqual([0, 65535, 33_000_001, a.length - 1]);
    expect(p.hunks[0]!.new).toHaveLength(2);
  });

  it('a plan never touches bytes outside its hunks (property)', () => {
    fc.assert(
      fc.property(arbPair, fc.uint8Array({ minLength: 250, maxLength: 250 }), ([a, b], noise) => {
        // Apply the unguarded form of diff(a, b) to unrelated bytes: only hunk ranges may change.
        const patch = diffBytes(a, b, { coalesce: 3 });
        const loose = { hunks: patch.hunks.map(({ old: _o, ...h }) => h), guards: {} };
        const plan = planPatch(loose, bytesAccess(noise));
        const out = applyPatchToBytes(noise, loose).bytes;
        const inside = new Uint8Array(noise.length);
        for (const h of plan.hunks) inside.fill(1, Number(h.offset), Number(h.offset) + h.new.length);
        for (let i = 0; i < noise.length; i++) if (!inside[i]) expect(out[i]).toBe(noise[i]);
      }),
      { numRuns: 300 },
    );
  });
});

const tmp = mkdtempSync(join(tmpdir(), 'mmapx-cmp-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const hasCmp = spawnSync('cmp', ['--version']).status === 0;
if (!hasCmp) console.warn('notice: cmp not installed; cmp -l differential test skipped');

describe('cmp -l format', () => {
  it('formats offsets 1-based, right-aligned to the smaller size, bytes as %3o', () => {
    const r = formatCmp(ascii('Hello, world!\n\0\x01\x02\xff'), ascii('Hellx, w0rld!\n\0\x01\x03\xfe\x01\x02'), { a: 'a.bin', b: 'b.bin' });
    expect(r.text).toBe(' 5 157 170\n 9 157  60\n17   2   3\n18 377 376\n');
    expect(r.eof).toBe('EOF on a.bin after byte 18');
    expect(formatCmp(new Uint8Array(0), ascii('x'), { a: 'e', b: 'x' }).eof).toBe('EOF on e which is empty');
    expect(formatCmp(ascii('same'), ascii('same'))).toEqual({ text: '', differ: false });
  });

  it('gives the same lines window by window (property)', () => {
    fc.assert(
      fc.property(arbPair, fc.integer({ min: 1, max: 40 }), ([a, b], w) => {
        const common = Math.min(a.length, b.length);
        const width = cmpOffsetWidth(BigInt(a.length), BigInt(b.length));
        let text = '';
        for (let o = 0; o < common; o += w) {
          const e = Math.min(common, o + w);
          text += formatCmpWindow(a.subarray(o, e), b.subarray(o, e), BigInt(o), width);
        }
        expect(text).toBe(formatCmp(a, b).text);
      }),
      { numRuns: 300 },
    );
  });

  it.skipIf(!hasCmp)('equals the output of the installed cmp -l on random pairs', () => {
    fc.assert(
      fc.property(arbPair, ([a, b]) => {
        const fa = join(tmp, 'a');
        const fb = join(tmp, 'b');
        writeFileSync(fa, a);
        writeFileSync(fb, b);
        const r = spawnSync('cmp', ['-l', fa, fb], { encoding: 'latin1', env: { ...process.env, LC_ALL: 'C' } });
        const ours = formatCmp(a, b, { a: fa, b: fb });
        expect(ours.text).toBe(r.stdout);
        expect(ours.eof === undefined ? '' : `cmp: ${ours.eof}\n`).toBe(r.stderr);
        expect(ours.differ ? 1 : 0).toBe(r.status);
      }),
      { numRuns: 60 },
    );
  });
});

describe('windowed diff', () => {
  it('gives the same hunks whatever the window size (property)', () => {
    fc.assert(
      fc.property(arbPair, fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 6 }), ([a, b], w, coalesce, maxHunk) => {
        const whole = diffBytes(a, b, { coalesce, maxHunk }).hunks;
        const scanner = new DiffScanner({ coalesce, maxHunk, firstLine: whole.length > 0 ? whole[0]!.source.line - 1 : 0 });
        const got = [];
        for (let o = 0; o < b.length; o += w) got.push(...scanner.push(a.subarray(o, Math.min(o + w, a.length)), b.subarray(o, o + w)));
        got.push(...scanner.finish());
        expect(got).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });
});
