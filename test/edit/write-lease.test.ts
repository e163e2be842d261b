// Writing a patch's hunks with pwrite under a write lease (src/edit/mapped.ts writeRanges, and
// src/mmap/sys/lease.ts), against the same ranges written through maps: the bytes, the windows and
// the counts agree; another open descriptor of the file refuses the lease (the maps write); a
// break begun by another open mid-write sends the rest through maps, between windows or inside
// one; a range that no longer holds
// its expected bytes stops the writes before its run (nearby ranges go in one pwrite). In-process.
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsc, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { patchFile } from '../../src/edit/index.js';
import { ChangedUnderfoot, groupWindows, type WriteRange, writeRanges } from '../../src/edit/mapped.js';
import { now } from '../../src/edit/timing.js';
import { dropLease, holdsWriteLease, takeWriteLease } from '../../src/mmap/sys/lease.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-write-lease-');
let n = 0;
const MiB = 1024 * 1024;

/** Whether this system grants write leases on files of `dir` (Linux; not every filesystem has them). */
function leasesHere(): boolean {
  if (process.platform !== 'linux') return false;
  const path = join(dir, 'probe.bin');
  writeFileSync(path, 'x');
  const fd = openSync(path, 'r+');
  try {
    if (!takeWriteLease(fd)) return false;
    dropLease(fd);
    return true;
  } finally {
    closeSync(fd);
  }
}
const leases = leasesHere();
if (!leases) console.log('write-lease tests skipped: no write leases here (not Linux, or the temporary directory is on a filesystem without them)');

/** A fresh file of `size` random bytes; returns its path and bytes. */
function subject(size: number): { path: string; bytes: Buffer } {
  const path = join(dir, `f${n++}.bin`);
  const bytes = randomBytes(size);
  writeFileSync(path, bytes);
  return { path, bytes };
}

/**
 * Ranges over a `size`-byte file: its first and last byte, ranges back to back, ranges either side
 * of a page boundary, groups more than 1 MiB apart (separate windows, see groupWindows), a run of
 * close ranges longer than one pwrite takes (RUN_MAX), and one range longer than that alone.
 */
function rangesFor(bytes: Buffer): WriteRange[] {
  const size = bytes.length;
  const close = Array.from({ length: 120 }, (_, i): [number, number] => [2 * MiB + 3000 * i, 7]);
  const spots: [number, number][] = [
    ...close,
    [3 * MiB + MiB / 2, 300 * 1024],
    [0, 1],
    [1, 3],
    [4, 2],
    [4093, 3],
    [4096, 5],
    [8191, 2],
    [MiB + 4096 * 300 + 7, 16],
    [MiB + 4096 * 300 + 23, 1],
    [3 * MiB - 5, 10],
    [size - 9, 8],
    [size - 1, 1],
  ];
  spots.sort((x, y) => x[0] - y[0]);
  return spots.map(([offset, length]) => ({
    offset: BigInt(offset),
    length,
    bytes: Uint8Array.from(bytes.subarray(offset, offset + length), (b) => b ^ 0xff),
    expect: Uint8Array.from(bytes.subarray(offset, offset + length)),
  }));
}

function applied(bytes: Buffer, ranges: readonly WriteRange[]): Buffer {
  const out = Buffer.from(bytes);
  for (const r of ranges) out.set(r.bytes, Number(r.offset));
  return out;
}

function withFd<T>(path: string, fn: (file: { fd: number; path: string }) => T): T {
  const fd = openSync(path, 'r+');
  try {
    return fn({ fd, path });
  } finally {
    closeSync(fd);
  }
}

/**
 * Begins a break of the lease on `path` from here: an open that does not wait fails (its code is
 * returned; 'opened' if it did not fail), and the break has begun. Then waits past the writer's
 * next ask (at most every millisecond).
 */
function beginBreak(path: string): string | undefined {
  let code: string | undefined;
  try {
    closeSync(openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK));
    code = 'opened';
  } catch (err) {
    code = (err as NodeJS.ErrnoException).code;
  }
  const t = now();
  while (now() - t < 3);
  return code;
}

/** What writeRanges under the lease throws for `ranges` of the file at `path` (undefined: nothing). */
function leasedWriteError(path: string, ranges: readonly WriteRange[]): unknown {
  return withFd(path, (f) => {
    try {
      writeRanges(f, ranges, { sync: 'start', lease: true });
    } catch (e) {
      return e;
    }
    return undefined;
  });
}

describe.skipIf(!leases)('writeRanges under a write lease', () => {
  it('writes_the_first_and_last_byte_adjacent_ranges_and_several_windows_as_the_maps_do', () => {
    const a = subject(5 * MiB + 123);
    const b = { path: join(dir, `f${n++}.bin`), bytes: a.bytes };
    writeFileSync(b.path, a.bytes);
    const ranges = rangesFor(a.bytes);
    const windows = groupWindows(ranges).length;
    expect(windows).toBeGreaterThan(2);
    const leased = withFd(a.path, (f) => writeRanges(f, ranges, { sync: 'start', lease: true }));
    const mapped = withFd(b.path, (f) => writeRanges(f, ranges, { sync: 'start' }));
    expect(leased.pwritten).toBe(ranges.length);
    expect(mapped.pwritten).toBeUndefined();
    const want = applied(a.bytes, ranges);
    expect(readFileSync(a.path).equals(want)).toBe(true);
    expect(readFileSync(b.path).equals(want)).toBe(true);
    expect({ windows: leased.windows, bytes: leased.bytes, synced: leased.synced }).toEqual({
      windows: mapped.windows,
      bytes: mapped.bytes,
      synced: mapped.synced,
    });
    expect(leased.windows).toBe(windows);
    // The lease is given up: this descriptor can take one again.
    withFd(a.path, (f) => expect(takeWriteLease(f.fd) && holdsWriteLease(f.fd)).toBe(true));
  });

  it('another_open_descriptor_of_the_file_refuses_the_lease_and_the_maps_write', () => {
    const a = subject(2 * MiB);
    const ranges = rangesFor(a.bytes).filter((r) => r.offset + BigInt(r.length) <= 2n * BigInt(MiB));
    const other = openSync(a.path, 'r');
    try {
      const r = withFd(a.path, (f) => writeRanges(f, ranges, { sync: 'start', lease: true }));
      expect(r.pwritten).toBeUndefined();
      expect(readFileSync(a.path).equals(applied(a.bytes, ranges))).toBe(true);
    } finally {
      closeSync(other);
    }
  });

  it('a_break_begun_by_another_open_mid_write_gives_the_lease_up_and_the_rest_goes_through_maps', () => {
    const a = subject(5 * MiB + 123);
    const ranges = rangesFor(a.bytes);
    const windows = groupWindows(ranges);
    let opened: string | undefined;
    const r = withFd(a.path, (f) =>
      writeRanges(f, ranges, {
        sync: 'start',
        lease: true,
        progress: () => {
          if (opened === undefined) opened = beginBreak(a.path);
        },
      }),
    );
    expect(['EWOULDBLOCK', 'EAGAIN']).toContain(opened);
    // The first window under the lease, the others through maps.
    expect(r.pwritten).toBe(windows[0]!.items.length);
    expect(r.windows).toBe(windows.length);
    expect(readFileSync(a.path).equals(applied(a.bytes, ranges))).toBe(true);
    // Every window's pages handed to write-back once, as the maps alone count them.
    const b = { path: join(dir, `f${n++}.bin`) };
    writeFileSync(b.path, a.bytes);
    expect(r.synced).toBe(withFd(b.path, (f) => writeRanges(f, ranges, { sync: 'start' })).synced);
    // Given up at the break: the file opens without waiting now.
    closeSync(openSync(a.path, fsc.O_RDONLY | fsc.O_NONBLOCK));
  });

  it('a_break_begun_in_the_middle_of_a_window_sends_the_rest_of_that_window_through_a_map', () => {
    // One window of 100 runs (ranges 8 KiB apart: each its own pwrite); another open after the
    // 10th run begins the break.
    const a = subject(2 * MiB);
    const ranges: WriteRange[] = Array.from({ length: 100 }, (_, i) => {
      const offset = 8192 * i + 100;
      return {
        offset: BigInt(offset),
        length: 5,
        bytes: Uint8Array.from(a.bytes.subarray(offset, offset + 5), (b) => b ^ 0xff),
        expect: Uint8Array.from(a.bytes.subarray(offset, offset + 5)),
      };
    });
    expect(groupWindows(ranges)).toHaveLength(1);
    let runs = 0;
    let opened: string | undefined;
    const r = withFd(a.path, (f) =>
      writeRanges(f, ranges, {
        sync: 'start',
        lease: true,
        afterRun: () => {
          if (++runs === 10) opened = beginBreak(a.path);
        },
      }),
    );
    expect(['EWOULDBLOCK', 'EAGAIN']).toContain(opened);
    // Ten runs (or one more, written before the next ask) under the lease; the rest of the same
    // window through one map.
    expect(r.pwritten).toBeGreaterThanOrEqual(10);
    expect(r.pwritten).toBeLessThan(ranges.length);
    expect(r.windows).toBe(1);
    expect(r.bytes).toBe(5 * ranges.length);
    expect(readFileSync(a.path).equals(applied(a.bytes, ranges))).toBe(true);
    // The window counts as synced once, by the map that wrote its rest, as the maps alone count it.
    const b = { path: join(dir, `f${n++}.bin`) };
    writeFileSync(b.path, a.bytes);
    expect(r.synced).toBe(withFd(b.path, (f) => writeRanges(f, ranges, { sync: 'start' })).synced);
    closeSync(openSync(a.path, fsc.O_RDONLY | fsc.O_NONBLOCK));
  });

  it('a_range_that_no_longer_holds_its_expected_bytes_stops_the_writes_before_its_run', () => {
    const a = subject(64 * 1024);
    const ranges: WriteRange[] = [
      { offset: 0n, length: 2, bytes: Uint8Array.of(1, 2), expect: Uint8Array.from(a.bytes.subarray(0, 2)) },
      { offset: 100n, length: 2, bytes: Uint8Array.of(3, 4), expect: Uint8Array.from(a.bytes.subarray(100, 102), (b) => b ^ 1) },
    ];
    const err = leasedWriteError(a.path, ranges);
    expect(err).toBeInstanceOf(ChangedUnderfoot);
    expect((err as ChangedUnderfoot).message).toContain('0x64');
    expect(readFileSync(a.path).equals(a.bytes)).toBe(true);
  });

  it('a_window_of_many_runs_starts_its_write_back_in_pieces_that_cover_the_window_as_a_map_flush_does', () => {
    // 200 runs in one window (ranges 8 KiB apart, past RUN_GAP): the write-back is started every
    // few runs, and the pieces add up to the window's pages, as the maps' flush counts them.
    const a = subject(2 * MiB);
    const b = { path: join(dir, `f${n++}.bin`), bytes: a.bytes };
    writeFileSync(b.path, a.bytes);
    const ranges: WriteRange[] = Array.from({ length: 200 }, (_, i) => {
      const offset = 5000 + 8192 * i + (i % 7);
      return {
        offset: BigInt(offset),
        length: 3,
        bytes: Uint8Array.from(a.bytes.subarray(offset, offset + 3), (x) => x ^ 0x5a),
        expect: Uint8Array.from(a.bytes.subarray(offset, offset + 3)),
      };
    });
    expect(groupWindows(ranges).length).toBe(1);
    const leased = withFd(a.path, (f) => writeRanges(f, ranges, { sync: 'start', lease: true }));
    const mapped = withFd(b.path, (f) => writeRanges(f, ranges, { sync: 'start' }));
    expect(leased.pwritten).toBe(ranges.length);
    expect({ windows: leased.windows, bytes: leased.bytes, synced: leased.synced }).toEqual({
      windows: mapped.windows,
      bytes: mapped.bytes,
      synced: mapped.synced,
    });
    const want = applied(a.bytes, ranges);
    expect(readFileSync(a.path).equals(want)).toBe(true);
    expect(readFileSync(b.path).equals(want)).toBe(true);
  });

  it('a_mismatch_in_a_late_run_of_a_window_leaves_the_earlier_runs_written_and_throws', () => {
    const a = subject(MiB);
    const ranges: WriteRange[] = Array.from({ length: 100 }, (_, i) => {
      const offset = 8192 * i + 11;
      const expectBytes = Uint8Array.from(a.bytes.subarray(offset, offset + 2));
      if (i === 90) expectBytes[1]! ^= 1;
      return { offset: BigInt(offset), length: 2, bytes: Uint8Array.of(0, 0), expect: expectBytes };
    });
    const err = leasedWriteError(a.path, ranges);
    expect(err).toBeInstanceOf(ChangedUnderfoot);
    expect((err as ChangedUnderfoot).message).toContain((8192 * 90 + 11).toString(16));
    // The caller rolls back from its journal: here the first 90 runs are written, the rest not.
    expect(readFileSync(a.path).equals(applied(a.bytes, ranges.slice(0, 90)))).toBe(true);
  });

  it('a_range_longer_than_one_read_is_checked_to_its_last_byte', () => {
    const a = subject(MiB);
    const length = 300 * 1024;
    const expectBytes = Uint8Array.from(a.bytes.subarray(4096, 4096 + length));
    expectBytes[length - 1]! ^= 1;
    const range: WriteRange = { offset: 4096n, length, bytes: new Uint8Array(length), expect: expectBytes };
    expect(() => withFd(a.path, (f) => writeRanges(f, [range], { sync: 'start', lease: true }))).toThrow(ChangedUnderfoot);
    expect(readFileSync(a.path).equals(a.bytes)).toBe(true);
  });
});

describe.skipIf(!leases)('patchFile --find --replace --all through the lease', () => {
  it('replaces_matches_at_the_first_and_last_byte_back_to_back_and_across_windows', async () => {
    const size = 4 * MiB + 77;
    const bytes = Buffer.alloc(size, 0x11);
    const at = [0, 2, 4, 4094, 4096, 2 * MiB + 1, 3 * MiB + 4095, size - 4, size - 2];
    for (const o of at) bytes.set([0xab, 0xcd], o);
    const path = join(dir, `f${n++}.bin`);
    writeFileSync(path, bytes);
    const patch = {
      hunks: [
        {
          kind: 'anchor',
          pattern: { bytes: Uint8Array.of(0xab, 0xcd), mask: Uint8Array.of(0xff, 0xff) },
          expect: 'all',
          relOffset: 0n,
          new: Uint8Array.of(0x12, 0x34),
          source: { name: 'find', line: 1 },
        },
      ],
      guards: {},
    } as const;
    const r = await patchFile(path, patch);
    expect(r.status).toBe('applied');
    expect(r.hunks).toEqual({ total: at.length, applied: at.length, already: 0, failed: 0 });
    const want = Buffer.from(bytes);
    for (const o of at) want.set([0x12, 0x34], o);
    expect(readFileSync(path).equals(want)).toBe(true);
    // A second run finds it applied, from the patched form.
    expect((await patchFile(path, patch)).status).toBe('already');
  });
});
