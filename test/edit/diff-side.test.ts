// diffFiles with format 'side' as a library user calls it: the view, compared window by window
// (differences across the 64 KiB steps and the 8 MiB window), is the pure formatSide of the same
// bytes; the runs of differing bytes are joined across those boundaries, carry their first bytes,
// and are bounded by maxRuns (runCount counts them all); text: false finds the runs only; the side
// options are refused for the other formats and out of range.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIFF_RUN_BYTES, type DiffFilesOptions, diffFiles, InputError } from '../../src/edit/index.js';
import { formatSide } from '../../src/format/patch/index.js';
import { lockFree } from '../helpers/edit.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-diff-side-');
const MiB = 1024 * 1024;
const oldPath = join(dir, 'old.bin');
const newPath = join(dir, 'new.bin');
const before = randomBytes(8 * MiB + 300);
const after = Buffer.concat([before, Buffer.from('the tail only NEW has')]);
// [start, end) of each changed run: one byte, one across the first 64 KiB step, one across the 8 MiB
// window, one of 100 bytes (more than a run carries).
const changes: [number, number][] = [
  [5, 6],
  [65_530, 65_546],
  [8 * MiB - 3, 8 * MiB + 4],
  [8 * MiB + 150, 8 * MiB + 250],
];
for (const [s, e] of changes) for (let i = s; i < e; i++) after[i] = before[i]! ^ 0x5a;
writeFileSync(oldPath, before);
writeFileSync(newPath, after);

describe('diffFiles --format side', () => {
  it('the view equals formatSide of the same bytes; the runs are joined across steps and windows', async () => {
    const r = await diffFiles(oldPath, newPath, { format: 'side', cols: 16, context: 2 });
    expect(r.patch.toString('latin1')).toBe(formatSide(before, after, { cols: 16, context: 2, names: { old: oldPath, new: newPath } }));
    expect(r.identical).toBe(false);
    const hex = (b: Buffer, s: number, e: number) => b.subarray(s, Math.min(e, s + DIFF_RUN_BYTES)).toString('hex');
    expect(r.runs).toEqual([
      ...changes.map(([s, e]) => ({ offset: BigInt(s), length: BigInt(e - s), old: hex(before, s, e), new: hex(after, s, e) })),
      { offset: BigInt(before.length), length: 21n, old: '', new: hex(after, before.length, after.length) },
    ]);
    expect(r.runCount).toBe(5);
    expect(r.bytesChanged).toBe(changes.reduce((n, [s, e]) => n + e - s, 0) + 21);
    expect(r.hunks).toBe(4); // the 100-byte run and the tail share a hunk (2 lines of context)
    expect(lockFree(oldPath) && lockFree(newPath)).toBe(true);
  });

  it('8 bytes per side, no context, colours: still formatSide', async () => {
    const colors = { old: { open: '<', close: '>' }, new: { open: '[', close: ']' } };
    const r = await diffFiles(oldPath, newPath, { format: 'side', cols: 8, context: 0, colors });
    expect(r.patch.toString('latin1')).toBe(formatSide(before, after, { cols: 8, context: 0, colors, names: { old: oldPath, new: newPath } }));
  });

  it('maxRuns bounds the runs kept, runCount counts all; text: false finds the runs without the view', async () => {
    const r = await diffFiles(oldPath, newPath, { format: 'side', maxRuns: 2, text: false });
    expect(r.patch.length).toBe(0);
    expect(r.runs?.map((x) => x.offset)).toEqual([5n, 65_530n]);
    expect(r.runCount).toBe(5);
    expect(r.hunks).toBeUndefined();
  });

  it('identical files: no output, no runs', async () => {
    const r = await diffFiles(oldPath, oldPath, { format: 'side' });
    expect(r.patch.length).toBe(0);
    expect(r).toMatchObject({ identical: true, runs: [], runCount: 0, hunks: 0, bytesChanged: 0 });
  });

  it('side options are refused for the other formats and out of range, and nothing is changed', async () => {
    for (const bad of [
      { format: 'native', cols: 8 },
      { format: 'cmp', context: 1 },
      { format: 'side', cols: 0 },
      { format: 'side', cols: 65 },
      { format: 'side', context: -1 },
      { format: 'side', context: 1.5 },
      { format: 'side', maxRuns: -1 },
      { format: 'side', colors: { old: { open: '<', close: '>' } } },
    ] as const) {
      // As a JavaScript caller could pass them: not all are well-typed.
      await expect(diffFiles(oldPath, newPath, bad as DiffFilesOptions), JSON.stringify(bad)).rejects.toBeInstanceOf(InputError);
    }
    expect(readFileSync(oldPath).equals(before)).toBe(true);
    expect(readFileSync(newPath).equals(after)).toBe(true);
  });
});
