// In-process tests of the patch machinery under the CLI: the journal, windowed writes, the
// rollback after a failure half way, and the one-pass hashes.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPatchToBytes, type OffsetHunk, planPatch } from '../../src/format/patch/index.js';
import { readJournal, rollBack, writeJournal } from '../../src/edit/journal.js';
import { ChangedUnderfoot, groupWindows, hashPass, MappedReader, resultImage, writeRanges } from '../../src/edit/mapped.js';
import { scanFile } from '../../src/edit/scan.js';
import { tmpDir } from '../helpers/tmp.js';
import { WINDOWS } from '../helpers/platform.js';

const dir = tmpDir();
let n = 0;
const sha256 = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');

function withFile<T>(content: Uint8Array, fn: (f: { fd: number; path: string }) => T): T {
  const path = join(dir, `j${n++}.bin`);
  writeFileSync(path, content);
  const fd = openSync(path, 'r+');
  try {
    return fn({ fd, path });
  } finally {
    closeSync(fd);
  }
}

describe('groupWindows', () => {
  it('joins ranges closer than the gap, splits at the span, keeps a long range whole', () => {
    const r = (offset: number, length: number) => ({ offset: BigInt(offset), length });
    const w = groupWindows([r(0, 4), r(100, 4), r(5000, 10), r(20_000, 50_000)], 1000, 16_384);
    expect(w.map((x) => [Number(x.offset), x.length, x.items.length])).toEqual([
      [0, 104, 2],
      [5000, 10, 1],
      [20_000, 50_000, 1],
    ]);
  });
});

describe('journal and rollback', () => {
  it('writes_a_durable_0600_journal_exclusively_and_reads_it_back', () => {
    const path = join(dir, `.x${n++}.mmapx-journal`);
    const header = { dev: 1n, ino: 2n, sizeBefore: 100n, sizeAfter: 120n };
    const big = new Uint8Array(70 * 1024 * 1024 + 3).fill(7); // split into two records
    const w = writeJournal(path, header, [
      { offset: 5n, bytes: Uint8Array.of(1, 2, 3) },
      { offset: 10n, bytes: big },
    ]);
    expect(w.records).toBe(3);
    // Windows has no Unix modes (Node reports 0o666 for every writable file).
    if (!WINDOWS) expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(() => writeJournal(path, header, [])).toThrow(/a journal appeared at /);
    const fd = openSync(path, 'r');
    try {
      const j = readJournal(fd, path);
      expect(j.state).toBe('complete');
      if (j.state !== 'complete') return;
      expect(j.header).toEqual({ ...header, pid: process.pid, created: expect.any(Number) });
      expect(Math.abs(j.header.created! - Date.now())).toBeLessThan(60_000);
      const recs = [...j.read()];
      expect(recs.map((r) => [r.offset, r.bytes.length])).toEqual([
        [5n, 3],
        [10n, 64 * 1024 * 1024],
        [10n + 64n * 1024n * 1024n, big.length - 64 * 1024 * 1024],
      ]);
    } finally {
      closeSync(fd);
    }
  });

  it('a_change_found_half_way_leaves_earlier_windows_written_and_rollback_restores_all', () => {
    const size = 8 * 1024 * 1024;
    const original = new Uint8Array(size).map((_, i) => i * 7);
    withFile(original, (f) => {
      const st = statSync(f.path, { bigint: true });
      const ranges = [0, 3 * 1024 * 1024, 6 * 1024 * 1024].map((o) => ({
        offset: BigInt(o),
        bytes: Uint8Array.of(0xee, 0xee),
        expect: original.slice(o, o + 2),
        length: 2,
      }));
      const jpath = join(dir, `.${basename(f.path)}.mmapx-journal`);
      writeJournal(
        jpath,
        { dev: st.dev, ino: st.ino, sizeBefore: BigInt(size), sizeAfter: BigInt(size) },
        ranges.map((r) => ({ offset: r.offset, bytes: r.expect })),
      );
      // Someone else changed the third range after the plan: the write stops there.
      const changed = { ...ranges[2]!, expect: Uint8Array.of(0, 0) };
      expect(() => writeRanges(f, [ranges[0]!, ranges[1]!, changed], { sync: 'wait' })).toThrow(ChangedUnderfoot);
      const half = readFileSync(f.path);
      expect([half[0], half[3 * 1024 * 1024], half[6 * 1024 * 1024]]).toEqual([0xee, 0xee, original[6 * 1024 * 1024]]);
      const r = rollBack(jpath, f);
      expect(r).toMatchObject({ state: 'restored', ranges: 3, bytes: 6 });
      expect(Buffer.compare(readFileSync(f.path), original)).toBe(0);
      expect(existsSync(jpath)).toBe(false);
    });
  });

  it('a_file_cut_before_or_inside_a_window_is_err_truncated_not_a_change_or_a_range_error', () => {
    const size = 64 * 1024;
    const original = new Uint8Array(size).fill(0x41);
    withFile(original, (f) => {
      const range = (offset: number) => ({ offset: BigInt(offset), bytes: Uint8Array.of(0x42, 0x42), expect: Uint8Array.of(0x41, 0x41), length: 2 });
      // Cut below the window: mapping it would be "out of range"; it is the file that shrank.
      ftruncateSync(f.fd, 30_000);
      expect(() => writeRanges(f, [range(40_000)], { sync: 'none' })).toThrow(
        expect.objectContaining({ code: 'ERR_TRUNCATED', reason: 'the file shrank to 30000 bytes while being written (the write ends at 0x9c42)' }),
      );
      // Cut inside the window's last page: the expected bytes there read as zeros, without a fault.
      expect(() => writeRanges(f, [range(0), range(30_010)], { sync: 'none' })).toThrow(
        expect.objectContaining({ code: 'ERR_TRUNCATED', reason: 'the file shrank to 30000 bytes while being written (the write ends at 0x753c)' }),
      );
      expect(readFileSync(f.path)).toEqual(Buffer.from(original.subarray(0, 30_000)));
    });
  });

  it('the_reader_fails_with_err_truncated_when_the_file_shrank_under_it', () => {
    const size = 64 * 1024;
    withFile(new Uint8Array(size).fill(7), (f) => {
      const reader = new MappedReader(f, BigInt(size), 4096);
      try {
        expect([...reader.read(50_000n, 10)]).toEqual(Array(10).fill(7));
        ftruncateSync(f.fd, 20_000);
        expect(() => reader.read(50_000n, 10)).toThrow(
          expect.objectContaining({ code: 'ERR_TRUNCATED', reason: 'the file shrank to 20000 bytes while being read (next offset 0xc350)' }),
        );
        expect(() => reader.assertIntact()).toThrow(
          expect.objectContaining({ code: 'ERR_TRUNCATED', reason: 'the file shrank to 20000 bytes while being read (it had 65536 when opened)' }),
        );
      } finally {
        reader.close();
      }
    });
  });

  it('writes_never_touch_bytes_outside_their_ranges (property)', () => {
    const size = 3 * 4096 + 77;
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: size, maxLength: size }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: size - 1 }), fc.uint8Array({ minLength: 1, maxLength: 300 })), { maxLength: 12 }),
        (content, edits) => {
          // Disjoint, sorted ranges clipped to the file.
          const ranges: { offset: bigint; bytes: Uint8Array; length: number }[] = [];
          let reach = 0;
          for (const [at, bytes] of [...edits].sort((a, b) => a[0] - b[0])) {
            if (at < reach) continue;
            const b = bytes.subarray(0, size - at);
            ranges.push({ offset: BigInt(at), bytes: b, length: b.length });
            reach = at + b.length;
          }
          const want = Uint8Array.from(content);
          for (const r of ranges) want.set(r.bytes, Number(r.offset));
          withFile(content, (f) => {
            writeRanges(f, ranges, { sync: 'none' });
            expect(Buffer.compare(readFileSync(f.path), want)).toBe(0);
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('scanFile', () => {
  it('counts and locates matches chunk by chunk like one pass, straddles included (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 20_000 }).map((a) => a.map((b) => b & 3)),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (content, pat, cutStart, cutEnd) => {
          const pattern = { bytes: Uint8Array.from(pat), mask: new Uint8Array(pat.length).fill(0xff) };
          const start = Math.min(cutStart, content.length);
          const end = Math.max(start, content.length - cutEnd);
          const naive: bigint[] = [];
          for (let i = start; i + pat.length <= end; i++) if (pat.every((b, k) => content[i + k] === b)) naive.push(BigInt(i));
          withFile(content, (f) => {
            const [m] = scanFile(f, { offset: BigInt(start), length: BigInt(end - start) }, [pattern], [5], { chunk: 4096 });
            expect(m!.count).toBe(naive.length);
            expect(m!.at).toEqual(naive.slice(0, 5));
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('hashPass', () => {
  it('hashes the file and the would-be result in one pass, with growth and shrinking (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3500 }), fc.uint8Array({ minLength: 1, maxLength: 40 })), { maxLength: 8 }),
        fc.option(fc.integer({ min: 0, max: 4000 }), { nil: undefined }),
        (content, edits, sizeAfter) => {
          const hunks: OffsetHunk[] = [];
          let reach = 0;
          for (const [at, bytes] of [...edits].sort((a, b) => a[0] - b[0])) {
            if (at < reach) continue;
            if (sizeAfter !== undefined && at + bytes.length > sizeAfter) continue;
            hunks.push({ kind: 'offset', offset: BigInt(at), new: bytes, source: { name: 't', line: hunks.length + 1 } });
            reach = at + bytes.length;
          }
          const patch = { hunks, guards: sizeAfter !== undefined ? { sizeAfter: { value: BigInt(sizeAfter), source: { name: 't', line: 0 } } } : {} };
          const expected = applyPatchToBytes(content, patch, { grow: true, truncate: true }).bytes;
          withFile(content, (f) => {
            const reader = new MappedReader(f, BigInt(content.length), 4096);
            try {
              const plan = planPatch(patch, reader, { grow: true, truncate: true });
              // Small files are read whole; the same through windows, as larger files are.
              for (const windows of [false, true]) {
                const h = hashPass(f, BigInt(content.length), resultImage(plan), { before: true, after: true }, { windows });
                expect(h.before).toBe(sha256(content));
                if (plan.state === 'apply') expect(h.after).toBe(sha256(expected));
              }
            } finally {
              reader.close();
            }
          });
        },
      ),
      { numRuns: 80 },
    );
  });
});
