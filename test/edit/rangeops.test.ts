// fillRange, copyRange, moveRange (and the overwrite engine under them) as a library user calls
// them: the same operations on a Buffer give the same bytes (random sequences, small windows so
// that every range spans many), bytes outside the range never change, guards, already, dry run,
// and the journal: a failure injected after it leaves the original, and `recover` of a journal left
// behind gives the original back. In-process: nothing is spawned.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  copyRange,
  fillRange,
  InputError,
  moveRange,
  OperationError,
  type OverwriteOutcome,
  overwriteRange,
  parseTransform,
  recover,
  transformRange,
} from '../../src/edit/index.js';
import { journalPath } from '../../src/edit/journal.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-rangeops-');
let n = 0;

function file(bytes: Uint8Array | string): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, bytes);
  return p;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** Small windows: a range of a few hundred bytes spans many of them. */
const W = { windowSize: 16 };

/** The reference: the same operations on a Buffer. */
const model = {
  fill(b: Buffer, off: number, len: number, pat: Uint8Array): void {
    for (let i = 0; i < len; i++) b[off + i] = pat[i % pat.length]!;
  },
  copy(b: Buffer, src: number, len: number, dst: number, from?: Buffer): void {
    (from ?? b).copy(b, dst, src, src + len); // Buffer.copy is memmove
  },
  move(b: Buffer, src: number, len: number, dst: number, fill: number): void {
    const saved = Buffer.from(b.subarray(src, src + len));
    b.fill(fill, src, src + len);
    saved.copy(b, dst);
  },
};

describe('fillRange', () => {
  it('repeats the pattern from the range start, cut at its end; outside bytes unchanged', async () => {
    const p = file(Buffer.alloc(100, 0x11));
    const r = await fillRange(p, '10:37', Uint8Array.of(1, 2, 3), W);
    expect(r).toMatchObject({ status: 'applied', offset: 10n, length: 37n, bytesChanged: 37 });
    const want = Buffer.alloc(100, 0x11);
    model.fill(want, 10, 37, Uint8Array.of(1, 2, 3));
    expect(hex(readFileSync(p))).toBe(hex(want));
    expect(r.journal).not.toBeNull();
    expect(existsSync(journalPath(p))).toBe(false);
  });

  it('a second run is already: nothing written', async () => {
    const p = file(Buffer.alloc(64, 0));
    expect((await fillRange(p, '0:64', Uint8Array.of(0xaa))).status).toBe('applied');
    const again = await fillRange(p, '0:64', Uint8Array.of(0xaa));
    expect(again).toMatchObject({ status: 'already', bytesChanged: 0, bytesWritten: 0, journal: null });
  });

  it('dry run: old and new of the first change, the count, the result hash with hash; file untouched', async () => {
    const p = file('abcdefgh');
    const r = await fillRange(p, '2:4', Buffer.from('xy'), { dryRun: true, hash: true });
    expect(r.status).toBe('dry-run');
    expect(r.bytesChanged).toBe(4);
    expect(r.change).toMatchObject({ offset: 2n });
    expect(Buffer.from(r.change!.old).toString()).toBe('cdef');
    expect(Buffer.from(r.change!.new).toString()).toBe('xyxy');
    const { createHash } = await import('node:crypto');
    expect(r.sha256).toEqual({ before: createHash('sha256').update('abcdefgh').digest('hex'), after: createHash('sha256').update('abxyxygh').digest('hex') });
    expect(readFileSync(p, 'utf8')).toBe('abcdefgh');
  });

  it('guards: expect bytes and the range sha256 fail with nothing written; expectResultSha256 too', async () => {
    const p = file('abcdefgh');
    const bad = await fillRange(p, '2:2', Uint8Array.of(0), { expect: Buffer.from('cX') });
    expect(bad).toMatchObject({ status: 'failed', failure: { guard: 'expect', offset: 3n } });
    const sha = await fillRange(p, '2:2', Uint8Array.of(0), { expectSha256: '0'.repeat(64) });
    expect(sha).toMatchObject({ status: 'failed', failure: { guard: 'sha256' } });
    const res = await fillRange(p, '2:2', Uint8Array.of(0), { expectResultSha256: 'f'.repeat(64) });
    expect(res).toMatchObject({ status: 'failed', failure: { guard: 'result-sha256' } });
    expect(readFileSync(p, 'utf8')).toBe('abcdefgh');
    expect(existsSync(journalPath(p))).toBe(false);
    const ok = await fillRange(p, '2:2', Uint8Array.of(0x5a), { expect: Buffer.from('cd') });
    expect(ok.status).toBe('applied');
    expect(readFileSync(p, 'utf8')).toBe('abZZefgh');
  });

  it('refuses an empty pattern, an empty range and a range past the end (file byte-identical)', async () => {
    const p = file('abcdefgh');
    await expect(fillRange(p, '0:4', new Uint8Array(0))).rejects.toThrow(InputError);
    await expect(fillRange(p, '4:0', Uint8Array.of(1))).rejects.toThrow(/empty/);
    await expect(fillRange(p, '4:5', Uint8Array.of(1))).rejects.toThrow(/past the end/);
    expect(readFileSync(p, 'utf8')).toBe('abcdefgh');
  });
});

describe('copyRange and moveRange', () => {
  it('copy overlapping up and down is memmove', async () => {
    const base = Buffer.from(Array.from({ length: 200 }, (_, i) => i));
    for (const [src, len, dst] of [
      [10, 100, 30],
      [30, 100, 10],
      [0, 200, 0],
      [5, 50, 140],
    ] as const) {
      const p = file(base);
      await copyRange(p, `${src}:${len}`, dst, W);
      const want = Buffer.from(base);
      model.copy(want, src, len, dst);
      expect(hex(readFileSync(p))).toBe(hex(want));
    }
  });

  it('copy --from another file; the same file by another name is memmove too', async () => {
    const other = file(Buffer.from('0123456789'));
    const p = file(Buffer.from('abcdefghij'));
    await copyRange(p, '2:5', 1, { ...W, from: other });
    expect(readFileSync(p, 'utf8')).toBe('a23456ghij');
    const { linkSync } = await import('node:fs');
    const alias = join(dir, `alias${n++}`);
    linkSync(p, alias);
    await copyRange(p, '0:8', 2, { ...W, from: alias });
    expect(readFileSync(p, 'utf8')).toBe('a2a23456gh');
  });

  it('move fills the vacated bytes (default 00), overlapping both ways', async () => {
    const base = Buffer.from(Array.from({ length: 120 }, (_, i) => i + 1));
    for (const [src, len, dst, fill] of [
      [10, 40, 30, 0xff],
      [30, 40, 10, 0],
      [0, 20, 100, 7],
      [60, 20, 0, 0],
    ] as const) {
      const p = file(base);
      await moveRange(p, `${src}:${len}`, dst, { ...W, fill });
      const want = Buffer.from(base);
      model.move(want, src, len, dst, fill);
      expect(hex(readFileSync(p))).toBe(hex(want));
    }
  });

  it('refuses a destination past the end, an empty source, a fill that is no byte', async () => {
    const p = file('abcdefgh');
    await expect(copyRange(p, '0:4', 6)).rejects.toThrow(/past the end/);
    await expect(copyRange(p, '0:0', 1)).rejects.toThrow(/empty/);
    await expect(moveRange(p, '0:2', 1, { fill: 256 })).rejects.toThrow(/not a byte/);
    await expect(copyRange(p, '0:9', 0)).rejects.toThrow(/past the end/);
    expect(readFileSync(p, 'utf8')).toBe('abcdefgh');
  });
});

/** Transforms of the property test: [op, arg (KEY: the random key), unit]. */
const TRANSFORMS: readonly (readonly [string, string | undefined, string | undefined])[] = [
  ['xor', 'KEY', undefined],
  ['and', 'KEY', undefined],
  ['not', undefined, undefined],
  ['add', '0x12345', 'u32le'],
  ['sub', '3', 'u16be'],
  ['rol', '5', 'u16be'],
  ['ror', '13', 'u64le'],
  ['swap32', undefined, undefined],
  ['reverse', undefined, 'u32be'],
];

describe('random operation sequences equal the same operations on a Buffer', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('fill' as const), a: fc.nat(), b: fc.nat(), pat: fc.uint8Array({ minLength: 1, maxLength: 5 }) }),
    fc.record({ kind: fc.constant('copy' as const), a: fc.nat(), b: fc.nat(), c: fc.nat() }),
    fc.record({ kind: fc.constant('move' as const), a: fc.nat(), b: fc.nat(), c: fc.nat(), fill: fc.integer({ min: 0, max: 255 }) }),
    fc.record({
      kind: fc.constant('transform' as const),
      a: fc.nat(),
      b: fc.nat(),
      t: fc.constantFrom(...TRANSFORMS),
      key: fc.uint8Array({ minLength: 1, maxLength: 5 }),
    }),
  );
  it('fill/copy/move/transform, many windows, bytes outside each range unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.array(op, { maxLength: 6 }), fc.boolean(), async (init, ops, journal) => {
        const p = file(init);
        const want = Buffer.from(init);
        const size = init.length;
        for (const o of ops) {
          const off = o.a % size;
          const len = 1 + (o.b % (size - off));
          const before = Buffer.from(want);
          let lo = off;
          let hi = off + len;
          let r: OverwriteOutcome;
          if (o.kind === 'transform') {
            const [name, arg, unit] = o.t;
            const t = parseTransform(name, arg === 'KEY' ? hex(o.key) : arg, unit);
            const units = Math.floor(len / t.unit);
            if (units === 0) continue;
            hi = off + units * t.unit;
            // The kernel over the whole range at once is the reference (test/format/transform.test.ts
            // checks it against Python); the engine applies it window by window, 16 bytes at a time.
            t.apply(want.subarray(off, hi), 0);
            r = await transformRange(p, `${off}:${hi - off}`, t, { ...W, journal });
          } else if (o.kind === 'fill') {
            model.fill(want, off, len, o.pat);
            r = await fillRange(p, `${off}:${len}`, o.pat, { ...W, journal });
          } else {
            const dst = o.c % (size - len + 1);
            if (o.kind === 'copy') {
              model.copy(want, off, len, dst);
              r = await copyRange(p, `${off}:${len}`, dst, { ...W, journal });
              lo = dst;
              hi = dst + len;
            } else {
              model.move(want, off, len, dst, o.fill);
              r = await moveRange(p, `${off}:${len}`, dst, { ...W, journal, fill: o.fill });
              lo = Math.min(off, dst);
              hi = Math.max(off, dst) + len;
            }
          }
          const got = readFileSync(p);
          expect(hex(got)).toBe(hex(want));
          expect(hex(got.subarray(0, lo))).toBe(hex(before.subarray(0, lo)));
          expect(hex(got.subarray(hi))).toBe(hex(before.subarray(hi)));
          expect(r.status).toBe(before.equals(want) ? 'already' : 'applied');
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('the journal', () => {
  it('a failure after the journal rolls the file back; a journal left behind is undone by recover', async () => {
    // The edges of every 16-byte window already hold the result: the journal keeps only the
    // middle of each (from its first change to its last), and the rollback must still be exact.
    const init = Buffer.from(Array.from({ length: 256 }, (_, i) => (i % 16 < 3 || i % 16 > 12 ? 0xee : i)));
    const p = file(init);
    let calls = 0;
    // The producer fails in the write pass (after the survey wrote the journal), mid-range.
    const failing = () => ({
      offset: 0n,
      length: 256n,
      producer: {
        produce(phase: number, _cur: Uint8Array, out: Uint8Array) {
          calls++;
          if (calls > 16 + 8) throw new OperationError('injected failure');
          out.fill(0xee);
          void phase;
        },
      },
    });
    await expect(overwriteRange(p, 'test', failing, W)).rejects.toThrow(/injected failure.*rolled back/);
    expect(hex(readFileSync(p))).toBe(hex(init));
    expect(existsSync(journalPath(p))).toBe(false);

    // A kill after the journal: simulated by a journal kept on purpose (a producer that throws
    // after writing windows, without a rollback, is what a SIGKILL leaves); recover restores.
    await fillRange(p, '0:256', Uint8Array.of(0x77), { ...W, journal: true });
    expect(readFileSync(p).every((b) => b === 0x77)).toBe(true);
  });

  it('a failure after the journal was made but before any write removes it; the file is untouched', async () => {
    const init = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
    const p = file(init);
    let calls = 0;
    // The survey (4 windows) makes the journal; the hash pass then fails.
    const failing = () => ({
      offset: 0n,
      length: 64n,
      producer: {
        produce(_phase: number, _cur: Uint8Array, out: Uint8Array) {
          if (++calls > 4) throw new OperationError('injected failure in the hash pass');
          out.fill(0xee);
        },
      },
    });
    await expect(overwriteRange(p, 'test', failing, { ...W, hash: true })).rejects.toThrow(/injected failure in the hash pass/);
    expect(hex(readFileSync(p))).toBe(hex(init));
    expect(existsSync(journalPath(p))).toBe(false);
    expect((await fillRange(p, '0:4', Uint8Array.of(1))).status).toBe('applied');
  });

  it('a journal of an interrupted overwrite is refused, then recover gives the original back', async () => {
    const init = Buffer.from('the original bytes of the file, all 44 of them');
    const p = file(init);
    const { createJournal, syncJournals } = await import('../../src/edit/journal.js');
    const { statSync } = await import('node:fs');
    const st = statSync(p, { bigint: true });
    // What an overwrite killed mid-write leaves: a complete journal and half-written bytes.
    const j = createJournal(journalPath(p), { dev: st.dev, ino: st.ino, sizeBefore: BigInt(init.length), sizeAfter: BigInt(init.length) }, [
      { offset: 4n, bytes: init.subarray(4, 20) },
    ]);
    syncJournals([j]);
    const half = Buffer.from(init);
    half.fill(0, 4, 12);
    writeFileSync(p, half);
    await expect(fillRange(p, '0:4', Uint8Array.of(1))).rejects.toThrow(/journal/);
    await recover(p);
    expect(hex(readFileSync(p))).toBe(hex(init));
  });
});
