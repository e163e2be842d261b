import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MmapError, MmapOptions, pageSize, type ReadonlyUint8Array, windows } from '../../src/index.js';
import { DARWIN, LINUX, platformConstants } from '../../src/mmap/sys/index.js';
import { requireBuild, runModule } from '../helpers/child.js';
import { tmpDir } from '../helpers/tmp.js';
import { WINDOWS } from '../helpers/platform.js';

const dir = tmpDir();
const page = pageSize();

describe('property: writes through the map', () => {
  it('random_writes_equal_buffer_writes_and_bytes_outside_never_change', () => {
    const size = 3 * page + 123;
    const p = join(dir, 'prop.bin');
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: size, maxLength: size }),
        fc.nat(size - 1),
        fc.array(fc.record({ at: fc.nat(size), data: fc.uint8Array({ minLength: 1, maxLength: 600 }) }), {
          maxLength: 8,
        }),
        (initial, mapOffset, writes) => {
          writeFileSync(p, initial);
          const expected = Buffer.from(initial);
          const fd = openSync(p, 'r+');
          try {
            const m = new MmapOptions().offset(mapOffset).mapMut(fd);
            for (const w of writes) {
              const at = w.at % Math.max(m.length, 1);
              const data = w.data.subarray(0, Math.max(0, m.length - at));
              m.bytes.set(data, at);
              expected.set(data, mapOffset + at);
            }
            m.flush();
            m.unmap();
          } finally {
            closeSync(fd);
          }
          expect(readFileSync(p).equals(expected)).toBe(true);
        },
      ),
      // Windows maps in units of 64 KiB, so each run's file is 16 times larger there.
      { numRuns: WINDOWS ? 12 : 150 },
    );
  });
});

describe('windowed scan', () => {
  const data = Buffer.alloc(5 * page + 77);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
  const p = join(dir, 'win.bin');
  writeFileSync(p, data);

  it('windows_cover_the_range_exactly_with_any_window_size', () => {
    const fd = openSync(p, 'r');
    try {
      for (const [offset, length, windowSize] of [
        [0, data.length, page],
        [5, data.length - 5, 2 * page],
        [page + 3, 2 * page, page],
        [10, 0, page],
        [0, data.length, 64 * page],
      ] as const) {
        const parts: Buffer[] = [];
        let expectOffset = BigInt(offset);
        for (const w of windows({ fd }, { offset, length, windowSize })) {
          expect(w.offset).toBe(expectOffset);
          expect(w.bytes.length).toBeLessThanOrEqual(windowSize);
          expect(w.bytes.length).toBeGreaterThan(0);
          parts.push(Buffer.from(w.bytes));
          expectOffset += BigInt(w.bytes.length);
        }
        expect(Buffer.concat(parts).equals(data.subarray(offset, offset + length))).toBe(true);
      }
    } finally {
      closeSync(fd);
    }
  });

  it('windows_with_overlap_repeat_the_tail_of_the_previous_window', () => {
    const fd = openSync(p, 'r');
    try {
      const ws = [...windows(fd, { windowSize: page, overlap: 3 })].length;
      let prevEnd = 0n;
      let count = 0;
      for (const w of windows(fd, { windowSize: page, overlap: 3 })) {
        if (count > 0) expect(w.offset).toBe(prevEnd - 3n);
        expect(Buffer.from(w.bytes).equals(data.subarray(Number(w.offset), Number(w.offset) + w.bytes.length))).toBe(true);
        prevEnd = w.offset + BigInt(w.bytes.length);
        count++;
      }
      expect(count).toBe(ws);
      expect(prevEnd).toBe(BigInt(data.length));
    } finally {
      closeSync(fd);
    }
  });

  it('a_range_past_the_end_is_an_error', () => {
    const fd = openSync(p, 'r');
    try {
      expect(() => [...windows(fd, { offset: data.length + 1 })]).toThrow(MmapError);
      expect(() => [...windows(fd, { offset: 1, length: data.length })]).toThrow(/ends past the end/);
    } finally {
      closeSync(fd);
    }
  });

  it.skipIf(process.platform !== 'linux')('a_procfs_file_whose_size_reads_zero_is_enodev_as_map_says_not_an_empty_scan', () => {
    // Its fstat size is 0, so the scan had no window to map and found nothing, silently, where
    // map() of the same descriptor says the file cannot be mapped.
    const fd = openSync('/proc/self/status', 'r');
    try {
      expect(() => new MmapOptions().map(fd)).toThrow(expect.objectContaining({ code: 'ENODEV' }));
      expect(() => [...windows({ fd, path: 'status' })]).toThrow(expect.objectContaining({ code: 'ENODEV', path: 'status' }));
    } finally {
      closeSync(fd);
    }
    // An empty regular file (or an empty range of one) still scans as empty.
    const empty = join(dir, 'empty.bin');
    writeFileSync(empty, '');
    const e = openSync(empty, 'r');
    const f = openSync(p, 'r');
    try {
      expect([...windows(e)]).toEqual([]);
      expect([...windows(f, { offset: data.length })]).toEqual([]);
      expect([...windows(f, { offset: 5, length: 0 })]).toEqual([]);
    } finally {
      closeSync(e);
      closeSync(f);
    }
  });

  it('stopping_early_unmaps_the_current_window', () => {
    const fd = openSync(p, 'r');
    try {
      let kept: ReadonlyUint8Array | undefined;
      for (const w of windows(fd, { windowSize: page })) {
        kept = w.bytes;
        break;
      }
      // The window was unmapped by the generator's finally: the stale view reads zeros, safely.
      expect(kept?.[1]).toBe(0);
    } finally {
      closeSync(fd);
    }
  });
});

describe('platform constants (data)', () => {
  it('linux_x64_and_arm64_share_the_generic_values_and_differ_in_libc_name', () => {
    const x64 = LINUX.x64!;
    const arm = LINUX.arm64!;
    expect({ ...x64, libc: [] }).toEqual({ ...arm, libc: [] });
    expect(x64.libc).toEqual(['libc.so.6', 'libc.musl-x86_64.so.1']);
    expect(arm.libc).toEqual(['libc.so.6', 'libc.musl-aarch64.so.1']);
    expect([x64.MAP_SHARED, x64.MAP_PRIVATE, x64.MAP_FIXED, x64.MAP_ANONYMOUS]).toEqual([1, 2, 0x10, 0x20]);
    expect([x64.MS_ASYNC, x64.MS_INVALIDATE, x64.MS_SYNC]).toEqual([1, 2, 4]);
    expect(x64.advice.dontneed).toBe(4);
    expect(x64.SYS_cachestat).toBe(451);
  });

  it('darwin_constants_match_xnu_headers', () => {
    expect(DARWIN.MAP_ANONYMOUS).toBe(0x1000);
    expect(DARWIN.MS_SYNC).toBe(0x10);
    expect(DARWIN.MAP_NORESERVE).toBe(0x40);
    expect(DARWIN.F_DUPFD_CLOEXEC).toBe(67);
    expect(DARWIN.MREMAP_DONTUNMAP).toBeUndefined();
    expect(DARWIN.advice.free).toBe(5);
  });

  it('other_platforms_are_unsupported_with_a_reason', () => {
    expect(platformConstants('linux', 'x64')).toHaveProperty('constants');
    expect(platformConstants('win32', 'x64')).toEqual({ unsupported: 'win32 is not supported (Linux x64 and arm64 are)' });
    expect(platformConstants('linux', 'mips')).toEqual({ unsupported: 'Linux on mips is not supported (x64 and arm64 are)' });
    expect(platformConstants('darwin', 'arm64')).toHaveProperty('unsupported');
  });
});

describe('locking limits', () => {
  const hasTools = spawnSync('prlimit', ['--version']).status === 0 && spawnSync('setpriv', ['--version']).status === 0;
  it.skipIf(!hasTools)('lock_fails_clearly_when_rlimit_memlock_refuses', () => {
    requireBuild();
    for (const limit of ['0', '65536']) {
      // Drop CAP_IPC_LOCK (root ignores the limit otherwise) and set the limit.
      const r = runModule(
        `import { MmapMut } from $LIB;
         const m = MmapMut.mapAnon(1 << 20);
         try { m.lock(); console.log('locked'); } catch (e) { console.log(e.code + ' ' + e.message); }`,
        { prefix: ['prlimit', `--memlock=${limit}:${limit}`, '--', 'setpriv', '--inh-caps=-ipc_lock', '--bounding-set=-ipc_lock', '--'] },
      );
      expect(r.signal).toBeNull();
      expect(r.stdout).toMatch(/^(EPERM|ENOMEM) mlock: .*RLIMIT_MEMLOCK allows \d+ bytes of locked memory \(see ulimit -l\)/);
    }
  });
});
