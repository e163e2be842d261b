import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Mmap, MmapError, MmapMut, MmapOptions, pageSize } from '../../src/index.js';
import { ReadOnlyBytes } from '../../src/mmap/bytes.js';
import { SYSCALL, platformIt, posixIt } from '../helpers/platform.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
let n = 0;
function file(content: Uint8Array | string): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, content);
  return p;
}
function withFd<T>(path: string, flags: string, fn: (fd: number) => T): T {
  const fd = openSync(path, flags);
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}
function thrown(fn: () => unknown): MmapError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MmapError);
    return e as MmapError;
  }
  throw new Error('expected an MmapError');
}
const page = pageSize();

describe('map a file', () => {
  it('map_mut_write_flush_read_back', () => {
    const p = file(Buffer.alloc(10_000, 0x61));
    withFd(p, 'r+', (fd) => {
      const m = MmapMut.mapMut({ fd, path: p });
      expect(m.length).toBe(10_000);
      m.bytes.set([1, 2, 3], 9_000);
      m.flush();
      m.unmap();
    });
    const back = readFileSync(p);
    expect([...back.subarray(9_000, 9_003)]).toEqual([1, 2, 3]);
    expect(back.subarray(0, 9_000).every((b) => b === 0x61)).toBe(true);
  });

  it('map_read_only_sees_file_contents', () => {
    const p = file('hello, world');
    withFd(p, 'r', (fd) => {
      using m = Mmap.map(fd);
      expect(Buffer.from(m.bytes).toString()).toBe('hello, world');
      expect(m.protection).toBe('r');
    });
  });

  it('map_empty_file_shows_empty_view', () => {
    const p = file('');
    withFd(p, 'r+', (fd) => {
      const ro = Mmap.map(fd);
      expect(ro.length).toBe(0);
      expect(ro.isEmpty).toBe(true);
      expect(ro.bytes.length).toBe(0);
      ro.unmap();
      const rw = MmapMut.mapMut(fd);
      expect(rw.bytes.length).toBe(0);
      rw.flush();
      rw.flushAsync();
      rw.unmap();
    });
  });

  it('len_zero_maps_an_empty_view', () => {
    const p = file('abc');
    withFd(p, 'r', (fd) => {
      const m = new MmapOptions().offset(1).len(0).map(fd);
      expect(m.bytes.length).toBe(0);
      m.unmap();
      // At the very end of the file: still fine.
      expect(new MmapOptions().offset(3).len(0).map(fd).length).toBe(0);
    });
  });

  it('unaligned_offset_exposes_exactly_the_requested_bytes', () => {
    const data = Buffer.alloc(3 * page);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const p = file(data);
    withFd(p, 'r+', (fd) => {
      for (const off of [1, page - 1, page, page + 1, 2 * page + 17]) {
        const m = new MmapOptions().offset(off).len(40).mapMut(fd);
        expect(Buffer.from(m.bytes).equals(data.subarray(off, off + 40))).toBe(true);
        m.bytes[0] = 0xee;
        m.flushRange(0, 1);
        m.unmap();
        data[off] = 0xee;
      }
      // Default length: the rest of the file.
      const rest = new MmapOptions().offset(page + 5).map(fd);
      expect(rest.length).toBe(data.length - page - 5);
      rest.unmap();
    });
    expect(readFileSync(p).equals(data)).toBe(true);
  });

  it('offset_beyond_the_end_is_an_error', () => {
    const p = file('0123456789');
    withFd(p, 'r', (fd) => {
      const e = thrown(() => new MmapOptions().offset(11).map(fd));
      expect(e.code).toBe('ERR_OUT_OF_RANGE');
      expect(e.message).toContain('past the end of the file (size 10)');
      expect(thrown(() => new MmapOptions().offset(2n ** 62n).map(fd)).code).toBe('ERR_OUT_OF_RANGE');
    });
  });

  it('length_beyond_the_end_is_an_error', () => {
    const p = file('0123456789');
    withFd(p, 'r', (fd) => {
      const e = thrown(() => new MmapOptions().offset(4).len(7).map(fd));
      expect(e.code).toBe('ERR_OUT_OF_RANGE');
      expect(e.message).toContain('range offset 4 length 7 ends past the end');
      // Overflow-safe: a huge length does not wrap around.
      expect(
        thrown(() =>
          new MmapOptions()
            .offset(4)
            .len(2n ** 64n - 2n)
            .map(fd),
        ).code,
      ).toBe('ERR_OUT_OF_RANGE');
      expect(new MmapOptions().offset(4).len(6).map(fd).length).toBe(6);
    });
  });

  it('negative_or_fractional_offsets_are_rejected', () => {
    expect(thrown(() => new MmapOptions().offset(-1)).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => new MmapOptions().len(1.5)).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => new MmapOptions().offset(-1n)).code).toBe('ERR_OUT_OF_RANGE');
  });

  it('sparse_5gib_file_written_at_4_5gib', () => {
    const p = join(dir, 'sparse5g.bin');
    const size = 5n * 1024n ** 3n;
    const at = (9n * 1024n ** 3n) / 2n + 3n; // 4.5 GiB + 3: beyond 2^32, unaligned
    withFd(p, 'w+', (fd) => {
      ftruncateSync(fd, Number(size));
      const m = new MmapOptions().offset(at).len(8).mapMut({ fd, path: p });
      m.bytes.set([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]);
      const synced = m.flushRange(0, 8);
      expect(synced.offset).toBe(at - (at % BigInt(page)));
      m.unmap();
    });
    withFd(p, 'r', (fd) => {
      const buf = Buffer.alloc(10);
      readSync(fd, buf, 0, 10, at - 1n);
      expect([...buf]).toEqual([0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 0]);
      // And the same bytes through a read-only map at the exact offset.
      const ro = new MmapOptions().offset(at).len(4).map(fd);
      expect([...ro.bytes]).toEqual([0xde, 0xad, 0xbe, 0xef]);
      ro.unmap();
    });
  });
});

describe('flush', () => {
  it('flush_range_on_unaligned_ranges_reports_the_page_aligned_range', () => {
    const p = file(Buffer.alloc(4 * page));
    withFd(p, 'r+', (fd) => {
      const m = new MmapOptions().offset(100).mapMut(fd);
      m.bytes.fill(0x5a, page, page + 10);
      const r = m.flushRange(page, 10);
      // view byte `page` is file byte page+100: its page starts at file offset `page`.
      expect(r).toEqual({ offset: BigInt(page), length: page });
      const r2 = m.flushRange(page - 200, 400); // straddles a page boundary
      expect(r2).toEqual({ offset: 0n, length: 2 * page });
      expect(m.flushRange(0, 0).length).toBe(0);
      const e = thrown(() => m.flushRange(m.length - 5, 6));
      expect(e.code).toBe('ERR_OUT_OF_RANGE');
      m.unmap();
    });
    expect(
      readFileSync(p)
        .subarray(page + 100, page + 110)
        .every((b) => b === 0x5a),
    ).toBe(true);
  });

  posixIt('sync(1) and the Dirty count of /proc/meminfo are Linux')('flush_async_starts_writeback', async () => {
    const { cachestat } = await import('../../src/index.js');
    const p = file(Buffer.alloc(256 * page));
    await withFd(p, 'r+', async (fd) => {
      execFileSync('sync');
      const m = MmapMut.mapMut(fd);
      m.bytes.fill(7);
      const before = cachestat(fd, 0n, 0n);
      m.flushAsync();
      const r = m.flushAsyncRange(3, 5);
      expect(r.offset).toBe(0n);
      if (before !== undefined) {
        // Without sync_file_range the pages would stay dirty for dirty_expire (~30 s).
        expect(before.dirty).toBeGreaterThan(0n);
        let after = cachestat(fd, 0n, 0n);
        for (let i = 0; i < 100 && after && after.dirty > 0n; i++) {
          await new Promise((r) => setTimeout(r, 20));
          after = cachestat(fd, 0n, 0n);
        }
        expect(after?.dirty).toBe(0n);
      }
      m.unmap();
    });
    expect(readFileSync(p).every((b) => b === 7)).toBe(true);
  });
});

describe('anonymous maps', () => {
  it('map_anon_is_zeroed_and_writable', () => {
    const m = MmapMut.mapAnon(3 * page + 5);
    expect(m.length).toBe(3 * page + 5);
    expect(m.bytes.every((b) => b === 0)).toBe(true);
    m.bytes.fill(9);
    expect(m.bytes[3 * page + 4]).toBe(9);
    m.flush(); // msync on anonymous memory is allowed
    m.unmap();
  });

  it('map_anon_zero_length', () => {
    const m = MmapMut.mapAnon(0);
    expect(m.length).toBe(0);
    expect(m.bytes.length).toBe(0);
    m.unmap();
    expect(new MmapOptions().mapAnon().length).toBe(0);
  });
});

describe('private maps', () => {
  it('map_copy_leaves_the_file_untouched', () => {
    const p = file('original');
    withFd(p, 'r', (fd) => {
      const m = new MmapOptions().mapCopy(fd); // read-only descriptor is enough for a private map
      m.bytes.set(Buffer.from('CHANGED!'));
      m.flush();
      expect(Buffer.from(m.bytes).toString()).toBe('CHANGED!');
      m.unmap();
    });
    expect(readFileSync(p, 'utf8')).toBe('original');
  });

  it('map_copy_read_only_reads_the_file', () => {
    const p = file('abcdef');
    withFd(p, 'r', (fd) => {
      const m = new MmapOptions().offset(2).mapCopyReadOnly(fd);
      expect(Buffer.from(m.bytes).toString()).toBe('cdef');
      expect(m.protection).toBe('r');
      m.unmap();
    });
  });
});

describe('protection changes', () => {
  it('make_read_only_then_make_mut_keeps_data_and_writes_reach_the_file', () => {
    const p = file(Buffer.alloc(2 * page, 1));
    withFd(p, 'r+', (fd) => {
      const rw = MmapMut.mapMut(fd);
      rw.bytes[0] = 2;
      const ro = rw.makeReadOnly();
      expect(rw.isMapped).toBe(false);
      expect(ro.protection).toBe('r');
      expect(ro.bytes[0]).toBe(2);
      const rw2 = ro.makeMut();
      expect(ro.isMapped).toBe(false);
      rw2.bytes[1] = 3;
      rw2.flush();
      rw2.unmap();
    });
    const back = readFileSync(p);
    expect([back[0], back[1], back[2]]).toEqual([2, 3, 1]);
  });

  it('retired_objects_refuse_further_operations', () => {
    const m = MmapMut.mapAnon(page);
    const ro = m.makeReadOnly();
    const e = thrown(() => m.flush());
    expect(e.code).toBe('ERR_UNMAPPED');
    expect(thrown(() => m.makeExec()).code).toBe('ERR_UNMAPPED');
    ro.unmap();
    ro.unmap(); // idempotent
    expect(thrown(() => ro.bytes).code).toBe('ERR_UNMAPPED');
  });

  it('make_exec_on_an_anon_map', () => {
    const m = MmapMut.mapAnon(page);
    m.bytes[0] = 0xc3;
    const x = m.makeExec();
    expect(x.protection).toBe('rx');
    expect(x.bytes[0]).toBe(0xc3); // readable; nothing ever executes it
    const back = x.makeReadOnly();
    expect(back.bytes[0]).toBe(0xc3);
    back.unmap();
  });

  it('make_exec_on_a_file', () => {
    const p = file(Buffer.from([0x90, 0x90, 0xc3]));
    withFd(p, 'r', (fd) => {
      const x = new MmapOptions().mapExec(fd);
      expect([...x.bytes]).toEqual([0x90, 0x90, 0xc3]);
      const ro = Mmap.map(fd).makeExec();
      expect(ro.protection).toBe('rx');
      ro.unmap();
      x.unmap();
    });
  });

  it('make_mut_on_a_read_only_descriptor_fails_clearly_and_keeps_the_map', () => {
    const p = file('data');
    withFd(p, 'r', (fd) => {
      const ro = Mmap.map({ fd, path: p });
      const e = thrown(() => ro.makeMut());
      expect(e.code).toBe('EACCES');
      expect(e.syscall).toBe(SYSCALL.protect);
      expect(e.message).toContain('open for reading and writing');
      expect(ro.isMapped).toBe(true);
      expect(Buffer.from(ro.bytes).toString()).toBe('data');
      ro.unmap();
    });
  });

  it('make_none_then_back', () => {
    const m = MmapMut.mapAnon(page);
    m.bytes[5] = 5;
    const none = m.makeNone();
    expect(none.protection).toBe('none');
    expect(none.makeMut().bytes[5]).toBe(5);
  });
});

describe('advice, locking, residency', () => {
  posixIt('no madvise')('advise_whole_map_and_range', () => {
    const p = file(Buffer.alloc(4 * page, 1));
    withFd(p, 'r', (fd) => {
      const m = Mmap.map(fd);
      m.advise('sequential');
      m.advise('willneed', { offset: 10, length: page });
      m.advise('random', { offset: 0, length: 0 });
      expect(thrown(() => m.advise('normal', { offset: 0, length: 5 * page })).code).toBe('ERR_OUT_OF_RANGE');
      expect(thrown(() => m.advise('bogus' as never)).code).toBe('ERR_INVALID_ARG');
      m.unmap();
    });
  });

  posixIt('no mincore to see the pages locked')('lock_and_unlock', () => {
    const m = MmapMut.mapAnon(2 * page);
    m.lock();
    expect(m.residency().resident).toBe(2); // mlock faults the pages in
    m.unlock({ offset: 0, length: page });
    m.unlock();
    m.unmap();
  });

  platformIt({ windows: 'no mincore', qemu: 'core residency: qemu-user does not pass MAP_POPULATE on, so populate() prefaults nothing there' })(
    'residency_reports_pages_in_memory',
    () => {
      const m = new MmapOptions()
        .len(8 * page)
        .populate()
        .mapAnon();
      const r = m.residency();
      expect(r.pageSize).toBe(page);
      expect(r.pages.length).toBe(8);
      expect(r.resident).toBe(8);
      m.uncheckedAdvise('dontneed', { offset: 0, length: 4 * page });
      expect(m.residency().resident).toBe(4);
      expect([...m.residency().pages]).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
      m.unmap();
    },
  );

  posixIt('no mincore')('residency_of_an_unaligned_file_window', () => {
    const p = file(Buffer.alloc(3 * page, 2));
    withFd(p, 'r', (fd) => {
      const m = new MmapOptions()
        .offset(page - 1)
        .len(2)
        .populate()
        .map(fd);
      const r = m.residency();
      expect(r.firstPage).toBe(-(page - 1));
      expect(r.pages.length).toBe(2); // the two bytes straddle two pages
      m.unmap();
    });
  });
});

describe('files that cannot be mapped', () => {
  it('a_directory', () => {
    const d = join(dir, 'adir');
    mkdirSync(d);
    withFd(d, 'r', (fd) => {
      const e = thrown(() => Mmap.map({ fd, path: d }));
      expect(e.code).toBe('EISDIR');
      expect(e.message).toBe(`${d}: cannot map a directory (EISDIR)`);
    });
  });

  posixIt('no mkfifo')('a_fifo', () => {
    const f = join(dir, 'fifo');
    execFileSync('mkfifo', [f]);
    const fd = openSync(f, 'r+'); // r+ does not block on a FIFO
    try {
      const e = thrown(() => Mmap.map({ fd, path: f }));
      expect(e.code).toBe('ENODEV');
      expect(e.message).toContain('cannot map a FIFO');
    } finally {
      closeSync(fd);
    }
  });

  posixIt('no /proc')('a_procfs_file', () => {
    withFd('/proc/self/status', 'r', (fd) => {
      const e = thrown(() => Mmap.map({ fd, path: '/proc/self/status' }));
      expect(e.code).toBe('ENODEV');
      expect(e.syscall).toBe('mmap');
      expect(e.message).toContain('cannot be memory-mapped');
    });
  });

  it('map_mut_on_a_read_only_descriptor', () => {
    const p = file('read only');
    withFd(p, 'r', (fd) => {
      const e = thrown(() => MmapMut.mapMut({ fd, path: p }));
      expect(e.code).toBe('EACCES');
      expect(e.syscall).toBe(SYSCALL.map);
      expect(e.path).toBe(p);
      expect(e.message).toMatch(
        /^.*: (mmap|CreateFileMappingW): permission denied, offset 0x0 length 0x9: a shared writable map needs the file open for reading and writing \(EACCES\)$/,
      );
    });
  });

  it('a_closed_descriptor', () => {
    const e = thrown(() => Mmap.map(987_654));
    expect(e.code).toBe('EBADF');
  });

  posixIt('no /dev/zero')('a_device_needs_an_explicit_length', () => {
    withFd('/dev/zero', 'r', (fd) => {
      expect(thrown(() => Mmap.map(fd)).code).toBe('ERR_INVALID_ARG');
      const m = new MmapOptions().len(page).mapCopyReadOnly(fd);
      expect(m.bytes.every((b) => b === 0)).toBe(true);
      m.unmap();
    });
  });
});

describe('read-only bytes, in process (safe: over ordinary memory, or empty)', () => {
  const mutators: [string, (b: Uint8Array) => unknown][] = [
    ['set', (b) => b.set([1])],
    ['fill', (b) => b.fill(1)],
    ['copyWithin', (b) => b.copyWithin(0, 1)],
    ['reverse', (b) => b.reverse()],
    ['sort', (b) => b.sort()],
    ['subarray().fill', (b) => b.subarray(1).fill(1)],
  ];

  it.each(mutators)('%s_throws_err_read_only_and_changes_nothing', (name, fn) => {
    const b = new ReadOnlyBytes(Uint8Array.from([3, 1, 2]).buffer);
    const e = thrown(() => fn(b));
    expect(e.code).toBe('ERR_READ_ONLY');
    expect(e.message).toMatch(new RegExp(`^${name.replace(/^subarray\(\)\./, '')}: the bytes of a read-only map cannot be written`));
    expect([...b]).toEqual([3, 1, 2]);
  });

  it('copies_are_ordinary_arrays_and_subarrays_stay_read_only', () => {
    const b = new ReadOnlyBytes(Uint8Array.from([3, 1, 2]).buffer);
    for (const copy of [b.slice(), b.map((x) => x + 1), b.filter(() => true), b.toSorted(), b.toReversed(), b.with(0, 9)]) {
      expect(copy.constructor).toBe(Uint8Array);
    }
    expect(b.subarray(1)).toBeInstanceOf(ReadOnlyBytes);
    expect([...b.subarray(1)]).toEqual([1, 2]);
  });

  it('an_empty_read_only_map_hands_out_read_only_bytes_too', () => {
    const p = file('');
    withFd(p, 'r', (fd) => {
      const m = Mmap.map(fd);
      expect(m.bytes).toBeInstanceOf(ReadOnlyBytes);
      expect(thrown(() => (m.bytes as Uint8Array).set([])).code).toBe('ERR_READ_ONLY');
      expect(MmapMut.mapAnon(0).bytes.constructor).toBe(Uint8Array);
      m.unmap();
    });
  });
});
