// A file cut between windows()'s size check of a window and map()'s own check of the same range:
// the scan ends with ERR_TRUNCATED naming the offset, like a cut found by the size check, not with
// map()'s "range ... ends past the end of the file" (a CI run once saw that line from the
// truncation trials). The gap between the two fstat calls is microseconds wide, so the cut is made
// inside it here: the fstat that windows.ts imports truncates the file right after it looked.
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const cut = vi.hoisted(() => ({ path: '', to: -1, onCall: 0, calls: 0 }));

vi.mock('../../src/mmap/mmap.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/mmap/mmap.js')>();
  return {
    ...real,
    statFd: (fd: number, path: string | undefined) => {
      const st = real.statFd(fd, path);
      if (++cut.calls === cut.onCall) truncateSync(cut.path, cut.to);
      return st;
    },
  };
});

const { windows } = await import('../../src/mmap/windows.js');
const { MmapError } = await import('../../src/mmap/errors.js');

const dir = mkdtempSync(join(tmpdir(), 'mmapx-windows-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Windows: a file cannot be cut while a window of it is mapped.
describe.skipIf(process.platform === 'win32')('windows(): a file cut between the size check and the map', () => {
  it.each([
    ['the first window', 1, 0n],
    ['the second window', 2, 4096n * 4n],
  ])('before %s: ERR_TRUNCATED naming the next offset', (_what, onCall, next) => {
    const path = join(dir, `f${onCall}`);
    writeFileSync(path, Buffer.alloc(4096 * 16, 0x61));
    Object.assign(cut, { path, to: 100, onCall, calls: 0 });
    const fd = openSync(path, 'r');
    try {
      let err: unknown;
      const seen: bigint[] = [];
      try {
        for (const w of windows({ fd, path }, { windowSize: 4096 * 4 })) seen.push(w.offset);
      } catch (e) {
        err = e;
      }
      expect(cut.calls).toBeGreaterThanOrEqual(onCall);
      expect(err).toBeInstanceOf(MmapError);
      expect((err as InstanceType<typeof MmapError>).code).toBe('ERR_TRUNCATED');
      expect((err as Error).message).toContain(`the file shrank to 100 bytes while being read (next offset 0x${next.toString(16)})`);
      expect(seen).toEqual(onCall === 1 ? [] : [0n]);
    } finally {
      closeSync(fd);
    }
  });

  it('an out-of-range refusal for a file that did not shrink is passed on unchanged', () => {
    const path = join(dir, 'whole');
    writeFileSync(path, Buffer.alloc(4096, 0x61));
    Object.assign(cut, { path, to: -1, onCall: 0, calls: 0 });
    const fd = openSync(path, 'r');
    try {
      expect(() => windows({ fd, path }, { offset: 8192 })).toThrow(/offset 8192 is outside the file \(size 4096\)/);
    } finally {
      closeSync(fd);
    }
  });
});
