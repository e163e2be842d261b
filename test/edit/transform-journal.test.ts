// transformRange without a guard (src/edit/transform-run.ts): pread, transform, pwrite, and a
// journal (version 4) that recover ROLLS FORWARD. Failures are injected in-process (a progress
// sink or a kernel that throws at a chosen window), the journal left behind is inspected, and
// `recover` must finish the transform: from the file (state free) or from the staging slot
// (state staged, with the file's window half overwritten). The SIGKILL trials are in
// test/cli/transform-crash.test.ts.
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OperationError, parseTransform, recover, type Transform, transformRange } from '../../src/edit/index.js';
import { journalKind, journalPath, journalWords } from '../../src/edit/journal.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-transform-journal-');
let n = 0;

function file(bytes: Uint8Array): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, bytes);
  return p;
}

/** Deterministic bytes. */
function bytes(length: number, seed: number): Buffer {
  const b = Buffer.alloc(length);
  let x = seed >>> 0;
  for (let i = 0; i + 4 <= length; i += 4) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b.writeUInt32LE(x, i);
  }
  return b;
}

/** The reference: the kernel over the whole range at once, on a copy (test/format checks the kernels against Python). */
function expected(orig: Buffer, off: number, len: number, t: Transform): Buffer {
  const want = Buffer.from(orig);
  t.apply(want.subarray(off, off + len), 0);
  return want;
}

const W = 4096;

/** A progress sink that runs `act` when the transform reports its `n`th window (to inject a failure or a cut there). */
function atWindow(n: number, act: () => void) {
  let k = 0;
  return {
    phase() {},
    update() {
      if (++k === n) act();
    },
  };
}

describe('transform without a guard: rolled forward', () => {
  it('keeps a version 4 journal while it writes, counts exactly, and removes the journal', async () => {
    const orig = bytes(10 * W + 100, 1);
    for (const [op, arg, unit] of [
      ['xor', '5a00c3', undefined],
      ['add', '3', 'u32le'],
      ['not', undefined, undefined],
    ] as const) {
      const p = file(orig);
      const t = parseTransform(op, arg, unit);
      const kinds: string[] = [];
      const r = await transformRange(p, `7:${9 * W + 4}`, t, {
        windowSize: W,
        progress: { phase() {}, update: () => kinds.push(journalKind(journalPath(p))) },
      });
      const want = expected(orig, 7, 9 * W + 4, t);
      expect(readFileSync(p).equals(want), t.text).toBe(true);
      expect(kinds.length).toBe(10);
      expect(new Set(kinds)).toEqual(new Set(['transform']));
      let changed = 0;
      for (let i = 0; i < orig.length; i++) if (orig[i] !== want[i]) changed++;
      expect(r).toMatchObject({ status: 'applied', bytesChanged: changed, bytesWritten: 9 * W + 4, windows: 10, journal: { records: 1 } });
      expect(r.change?.offset).toBe(BigInt(7 + want.subarray(7).findIndex((b, i) => b !== orig[7 + i])));
      expect(existsSync(journalPath(p))).toBe(false);
    }
  });

  it('xor with an all-zero key, and add 0: already, no journal', async () => {
    const orig = bytes(3 * W, 2);
    const p = file(orig);
    for (const t of [parseTransform('xor', '0000'), parseTransform('add', '0', 'u16be')]) {
      let journaled = false;
      const r = await transformRange(p, '0..', t, { windowSize: W, progress: { phase() {}, update: () => (journaled ||= existsSync(journalPath(p))) } });
      expect(r).toMatchObject({ status: 'already', bytesChanged: 0, bytesWritten: 0, journal: null, change: null });
      expect(journaled).toBe(false);
    }
    // A transform that changes nothing in these bytes only (and f0 over bytes whose low bits are 0): already too.
    const q = file(Buffer.alloc(2 * W, 0xa0));
    const r = await transformRange(q, '0..', parseTransform('and', 'f0'), { windowSize: W });
    expect(r).toMatchObject({ status: 'already', bytesChanged: 0, bytesWritten: 0, journal: null });
    expect(readFileSync(q).equals(Buffer.alloc(2 * W, 0xa0))).toBe(true);
  });

  it('a failure after window 4 keeps the journal; recover finishes the transform from the file (state free)', async () => {
    const orig = bytes(10 * W, 3);
    const p = file(orig);
    const t = parseTransform('xor', 'a5a5c3');
    const run = transformRange(p, '100..', t, {
      windowSize: W,
      progress: atWindow(4, () => {
        throw new Error('injected');
      }),
    });
    await expect(run).rejects.toThrow(OperationError);
    await expect(run).rejects.toThrow(/injected; the transform is journaled in .*: run 'mmapx recover .*' to finish it/);
    expect(journalWords(journalPath(p))).toEqual({ what: 'transform', state: 'half transformed', recover: 'finishes the transform' });
    const want = expected(orig, 100, orig.length - 100, t);
    const half = readFileSync(p);
    expect(half.equals(orig) || half.equals(want)).toBe(false);
    // Another edit is refused while the journal is there, and says what recover does.
    await expect(transformRange(p, '0:4', t)).rejects.toThrow(/interrupted transform .* \(it finishes the transform\)/);
    const r = await recover(p);
    expect(r).toMatchObject({
      status: 'completed',
      kind: 'transform',
      offset: 100n,
      length: BigInt(orig.length - 100),
      remaining: BigInt(orig.length - 100 - 4 * W),
    });
    expect(readFileSync(p).equals(want)).toBe(true);
    expect(existsSync(journalPath(p))).toBe(false);
  });

  it('a window staged and then half written: recover redoes it from the staging slot (state staged)', async () => {
    const orig = bytes(8 * W, 4);
    const p = file(orig);
    const real = parseTransform('xor', '3c');
    let calls = 0;
    // The kernel throws on window 3, after the engine staged it (and recorded that); the file's
    // window is then overwritten half with garbage, as a kill in the middle of its pwrite leaves it.
    const failing: Transform = {
      ...real,
      apply(b, phase) {
        if (++calls === 4) throw new Error('injected in the kernel');
        real.apply(b, phase);
      },
    };
    await expect(transformRange(p, '0..', failing, { windowSize: W })).rejects.toThrow(/injected in the kernel; the transform is journaled/);
    const half = readFileSync(p);
    half.fill(0xee, 3 * W, 3 * W + W / 2);
    writeFileSync(p, half);
    const r = await recover(p);
    expect(r).toMatchObject({ status: 'completed', kind: 'transform', remaining: BigInt(5 * W) });
    expect(readFileSync(p).equals(expected(orig, 0, orig.length, real))).toBe(true);
  });

  it('a file cut by another program midway: the write stops (never grown back), recover finishes below the cut', async () => {
    const orig = bytes(8 * W, 7);
    const p = file(orig);
    const t = parseTransform('xor', 'c3');
    const run = transformRange(p, '0..', t, {
      windowSize: W,
      progress: atWindow(3, () => {
        truncateSync(p, 5 * W + 100);
      }),
    });
    await expect(run).rejects.toThrow(/the file shrank to 20580 bytes while being written .*; the transform is journaled in .*: run 'mmapx recover/);
    expect(statSync(p).size).toBe(5 * W + 100);
    const r = await recover(p);
    expect(r).toMatchObject({ status: 'completed', kind: 'transform', sizeFound: BigInt(5 * W + 100) });
    expect(readFileSync(p).equals(expected(orig, 0, orig.length, t).subarray(0, 5 * W + 100))).toBe(true);
    expect(existsSync(journalPath(p))).toBe(false);
  });

  it('refuses a damaged journal or a file grown since, and keeps the journal', async () => {
    const orig = bytes(4 * W, 5);
    const t = parseTransform('xor', '77');
    const left = async (): Promise<string> => {
      const p = file(orig);
      const run = transformRange(p, '0..', t, {
        windowSize: W,
        progress: atWindow(2, () => {
          throw new Error('stop');
        }),
      });
      await expect(run).rejects.toThrow(/stop/);
      return p;
    };
    const p = await left();
    const j = journalPath(p);
    const jb = readFileSync(j);
    jb[130] ^= 1; // a byte of the transform's text: the checksum no longer matches
    writeFileSync(j, jb);
    await expect(recover(p)).rejects.toThrow(/is damaged \(its checksum does not match\)/);
    expect(existsSync(j)).toBe(true);
    const q = await left();
    writeFileSync(q, Buffer.concat([readFileSync(q), Buffer.alloc(1)]));
    await expect(recover(q)).rejects.toThrow(/was of a file of 16384 bytes: it was changed by another program; refusing it/);
    expect(existsSync(journalPath(q))).toBe(true);
  });

  it('guards, a dry run and --hash keep the survey and its undo journal (version 1)', async () => {
    const orig = bytes(3 * W, 6);
    const p = file(orig);
    const t = parseTransform('xor', '5a');
    const kinds: string[] = [];
    const r = await transformRange(p, '0..', t, {
      windowSize: W,
      hash: true,
      progress: { phase() {}, update: () => kinds.push(journalKind(journalPath(p))) },
    });
    expect(r.status).toBe('applied');
    expect(r.sha256?.after).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(kinds)).toEqual(new Set(['patch']));
  });
});
