// The library's boundary as a hostile consumer meets it (issue 20, items 1, 2 and 8): advice that
// destroys data is kept out of `advise`, offsets and range ends are checked against 2^63-1 before
// they reach the kernel (where a device would take them and wrap), and every wrong argument or
// unusable descriptor is one MmapError. Whatever could crash or change a file runs in a child
// process that imports the built package; the files are compared byte for byte afterwards.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MmapError,
  cachestat,
  fdAccessMode,
  fileSizeLimit,
  isAdviceSupported,
  Mmap,
  MmapMut,
  MmapOptions,
  pageSize,
  supportedAdvice,
  tryLockFile,
  unlockFile,
  type Window,
  windows,
} from '../../src/index.js';
import { requireBuild, runModule } from '../helpers/child.js';
import { tmpDir } from '../helpers/tmp.js';
import { WINDOWS, platformIt, posixIt } from '../helpers/platform.js';
import { QEMU_USER } from '../helpers/emulator.js';

const dir = tmpDir();
beforeAll(() => requireBuild());

/** The child must end normally, print nothing on stderr and one JSON line on stdout. */
function survived(r: { status: number | null; signal: string | null; stdout: string; stderr: string }): Record<string, unknown> {
  expect(r.signal, `child died by ${r.signal}; stderr: ${r.stderr}`).toBeNull();
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function caught(fn: () => unknown): MmapError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MmapError);
    return err as MmapError;
  }
  throw new Error('nothing was thrown');
}

/** A character device like /dev/zero (1,5), made here: it can be mapped at any offset the kernel takes. */
function zeroDevice(): string | undefined {
  const p = join(dir, `zero-${Math.random().toString(36).slice(2)}`);
  return spawnSync('mknod', [p, 'c', '1', '5']).status === 0 ? p : undefined;
}
const canMknod = zeroDevice() !== undefined;

describe('destructive advice is not in advise() (item 1)', () => {
  posixIt('no madvise')('advise_remove_dontneed_free_are_refused_naming_unchecked_advise_and_the_file_keeps_its_bytes', () => {
    const p = join(dir, 'advice.bin');
    const content = Buffer.from('precious '.repeat(2000));
    writeFileSync(p, content);
    const o = survived(
      runModule(
        `
        import { openSync } from 'node:fs';
        import { Mmap, MmapMut, MmapOptions } from $LIB;
        const fd = openSync(process.argv[1], 'r+');
        const caught = (fn) => { try { fn(); return null; } catch (e) { return { code: e.code, message: e.message }; } };
        const ro = Mmap.map({ fd, path: 'advice.bin' });
        const copy = new MmapOptions().mapCopy(fd);
        copy.bytes[0] = 0x50; // a private write that dontneed would drop
        const anon = MmapMut.mapAnon(8192);
        anon.bytes[0] = 1;
        const out = {
          remove: caught(() => ro.advise('remove')),
          removeRange: caught(() => ro.advise('remove', { offset: 0, length: 4096 })),
          dontneed: caught(() => copy.advise('dontneed')),
          free: caught(() => anon.advise('free')),
          kept: [ro.bytes[0], copy.bytes[0], anon.bytes[0]],
          hint: caught(() => ro.advise('willneed')),
        };
        console.log(JSON.stringify(out));`,
        { args: [p] },
      ),
    );
    for (const [name, advice] of [
      ['remove', 'remove'],
      ['removeRange', 'remove'],
      ['dontneed', 'dontneed'],
      ['free', 'free'],
    ] as const) {
      const e = o[name] as { code: string; message: string };
      expect(e.code).toBe('ERR_INVALID_ARG');
      expect(e.message).toContain(`uncheckedAdvise('${advice}')`);
    }
    expect((o.remove as { message: string }).message).toMatch(/^advice\.bin: /);
    expect(o.kept).toEqual([content[0], 0x50, 1]);
    expect(o.hint).toBeNull();
    expect(readFileSync(p).equals(content)).toBe(true);
  });

  platformIt({ windows: 'no madvise', qemu: 'boundary uncheckedAdvise: qemu-user 7.2 does not pass madvise on, so dontneed keeps the private write' })(
    'unchecked_advise_does_what_its_documentation_says_and_takes_only_destructive_advice',
    () => {
      const p = join(dir, 'unchecked.bin');
      const content = Buffer.alloc(2 * pageSize(), 0x41);
      writeFileSync(p, content);
      const o = survived(
        runModule(
          `
        import { openSync, readFileSync } from 'node:fs';
        import { Mmap, MmapOptions } from $LIB;
        const fd = openSync(process.argv[1], 'r+');
        const caught = (fn) => { try { fn(); return null; } catch (e) { return e.code + ': ' + e.message; } };
        const copy = new MmapOptions().mapCopy(fd);
        copy.bytes[0] = 0x50;
        copy.uncheckedAdvise('dontneed');
        const privateAfterDontneed = copy.bytes[0];
        const safeName = caught(() => copy.uncheckedAdvise('willneed'));
        const ro = Mmap.map(fd);
        ro.uncheckedAdvise('remove', { offset: 0, length: 1 });
        console.log(JSON.stringify({ privateAfterDontneed, safeName, file: [...readFileSync(process.argv[1]).subarray(0, 1)], second: readFileSync(process.argv[1])[${pageSize()}] }));`,
          { args: [p] },
        ),
      );
      // dontneed dropped the private write: the page reads the file again.
      expect(o.privateAfterDontneed).toBe(0x41);
      expect(o.safeName).toBe("ERR_INVALID_ARG: uncheckedAdvise('willneed'): that advice keeps the data; call advise('willneed')");
      // remove punched a hole over the first page only (the range is widened to it).
      expect(o.file).toEqual([0]);
      expect(o.second).toBe(0x41);
    },
  );

  posixIt('no madvise')('supported_advice_lists_what_this_kernel_accepts_and_every_listed_name_works', () => {
    const p = join(dir, 'supported.bin');
    writeFileSync(p, Buffer.alloc(2 * pageSize(), 3));
    const o = survived(
      runModule(
        `
        import { openSync } from 'node:fs';
        import { MmapMut, supportedAdvice, isAdviceSupported } from $LIB;
        const s = supportedAdvice();
        const anon = MmapMut.mapAnon(2 * 4096);
        // remove needs a shared writable map of a file; free and dontneed work on anonymous memory.
        const shared = MmapMut.mapMut(openSync(process.argv[1], 'r+'));
        const failed = [];
        for (const a of s.advise) { try { anon.advise(a); } catch (e) { failed.push(a + ' ' + e.code); } }
        for (const a of s.uncheckedAdvise) { try { (a === 'remove' ? shared : anon).uncheckedAdvise(a); } catch (e) { failed.push(a + ' ' + e.code); } }
        const agree = [...s.advise, ...s.uncheckedAdvise].every(isAdviceSupported);
        console.log(JSON.stringify({ s, failed, agree }));`,
        { args: [p] },
      ),
    );
    const s = o.s as { advise: string[]; uncheckedAdvise: string[] };
    // What every Linux since 2.6 accepts (memmap2 tests the same four and dontneed).
    expect(s.advise).toEqual(expect.arrayContaining(['normal', 'random', 'sequential', 'willneed']));
    expect(s.uncheckedAdvise).toContain('dontneed');
    expect(s.advise).not.toEqual(expect.arrayContaining(['dontneed']));
    expect(o.failed).toEqual([]);
    expect(o.agree).toBe(true);
  });

  posixIt('no madvise')('is_advice_supported_checks_its_argument', () => {
    expect(isAdviceSupported('normal')).toBe(true);
    expect(supportedAdvice().uncheckedAdvise).toContain('remove');
    for (const bad of ['toString', 'bogus', 4, undefined]) expect(caught(() => isAdviceSupported(bad as never)).code).toBe('ERR_INVALID_ARG');
  });
});

describe('offsets and range ends past 2^63-1 are refused, never wrapped (item 2)', () => {
  it.skipIf(!canMknod)('a_device_is_not_mapped_at_2_64_plus_8192_nor_past_the_largest_offset', () => {
    const zero = zeroDevice() as string;
    const o = survived(
      runModule(
        `
        import { openSync } from 'node:fs';
        import { MmapOptions, windows, cachestat } from $LIB;
        const fd = openSync(process.argv[1], 'r+');
        const caught = (fn) => { try { const r = fn(); return 'accepted ' + r; } catch (e) { return e.code; } };
        const map = (off, len, how = 'map') => () => { const m = new MmapOptions().offset(off).len(len)[how](fd); const n = m.bytes[m.length - 1]; m.unmap(); return n; };
        const M = 2n ** 63n - 1n;
        console.log(JSON.stringify({
          wrap64: caught(map(2n ** 64n + 8192n, 4)),
          wrap65: caught(map(2n ** 65n, 4)),
          wrap64Mut: caught(map(2n ** 64n + 8192n, 4, 'mapMut')),
          endPast: caught(map(2n ** 63n - 4096n, 8192)),
          endPastCopy: caught(map(M, 1, 'mapCopy')),
          lastByte: caught(map(M - 8192n, 8192)),
          windows: caught(() => windows(fd, { offset: 2n ** 63n - 4096n, length: 8192 })),
          windowsWrap: caught(() => windows(fd, { offset: 2n ** 64n, length: 8192 })),
          cachestat: caught(() => cachestat(fd, 2n ** 63n - 4096n, 8192n)),
        }));`,
        { args: [zero] },
      ),
    );
    expect(o).toEqual({
      wrap64: 'ERR_OUT_OF_RANGE',
      wrap65: 'ERR_OUT_OF_RANGE',
      wrap64Mut: 'ERR_OUT_OF_RANGE',
      endPast: 'ERR_OUT_OF_RANGE',
      endPastCopy: 'ERR_OUT_OF_RANGE',
      // A range that ends exactly at 2^63-1 is a file range, and maps.
      lastByte: 'accepted 0',
      windows: 'ERR_OUT_OF_RANGE',
      windowsWrap: 'ERR_OUT_OF_RANGE',
      cachestat: 'ERR_OUT_OF_RANGE',
    });
  });

  it('the_error_names_the_range_and_the_limit', () => {
    const p = join(dir, 'ranges.bin');
    writeFileSync(p, 'x');
    const fd = openSync(p, 'r');
    try {
      const e = caught(() => windows({ fd, path: p }, { offset: 2n ** 62n, length: 2n ** 62n }));
      expect([e.code, e.offset, e.length, e.path]).toEqual(['ERR_OUT_OF_RANGE', 2n ** 62n, 2n ** 62n, p]);
      expect(e.message).toContain('ends past 9223372036854775807, the largest file offset (2^63-1)');
      // Past the end of the file: refused when windows() is called, before any window.
      expect(caught(() => windows(fd, { offset: 2n })).code).toBe('ERR_OUT_OF_RANGE');
      expect(caught(() => windows(fd, { offset: 0, length: 2 })).code).toBe('ERR_OUT_OF_RANGE');
      // A file's range: past its end, whichever check comes first.
      expect(
        caught(() =>
          new MmapOptions()
            .offset(2n ** 63n - 1n)
            .len(2)
            .map(fd),
        ).code,
      ).toBe('ERR_OUT_OF_RANGE');
      expect(caught(() => cachestat(fd, 1n, 2n ** 63n - 1n)).code).toBe('ERR_OUT_OF_RANGE');
      // Length 0 is "to the end of the file" for cachestat: any offset up to the limit is allowed.
      expect(() => cachestat(fd, 2n ** 63n - 1n, 0n)).not.toThrow();
    } finally {
      closeSync(fd);
    }
  });
});

describe('one error type at the boundary (item 8)', () => {
  posixIt('no mkfifo')('the_issue_list_against_the_built_package', () => {
    const p = join(dir, 'list.bin');
    writeFileSync(p, Buffer.alloc(3 * 4096, 9));
    const fifo = join(dir, 'list.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const o = survived(
      runModule(
        `
        import { openSync, constants } from 'node:fs';
        import * as m from $LIB;
        const fd = openSync(process.argv[1], 'r+');
        const pipe = openSync(process.argv[2], constants.O_RDWR | constants.O_NONBLOCK);
        const caught = (fn) => { try { const r = fn(); return r && typeof r.next === 'function' ? 'yields ' + [...r].length : 'returns ' + typeof r; } catch (e) { return (e instanceof m.MmapError ? '' : 'raw ') + e.code; } };
        const map = m.Mmap.map(fd);
        console.log(JSON.stringify({
          windowsBadFd: caught(() => m.windows(99999)),
          windowsFraction: caught(() => m.windows(fd, { offset: 1.5 })),
          cachestatNumbers: caught(() => m.cachestat(fd, 0, 0)),
          lockString: caught(() => m.tryLockFile('3', 'shared')),
          adviseToString: caught(() => map.advise('toString')),
          lockFraction: caught(() => m.tryLockFile(1.5, 'exclusive')),
          cachestatNegative: caught(() => m.cachestat(fd, -1n, 10n)),
          windowsPipe: caught(() => m.windows(pipe)),
          mapPipe: caught(() => m.Mmap.map(pipe)),
          cachestatPipe: caught(() => m.cachestat(pipe, 0n, 0n)),
          windowOptionTypo: caught(() => m.windows(fd, { windowsize: 4096 })),
        }));`,
        { args: [p, fifo] },
      ),
    );
    expect(o).toEqual({
      windowsBadFd: 'EBADF',
      windowsFraction: 'ERR_OUT_OF_RANGE',
      // qemu-user 7.2 predates cachestat (Linux 6.5): ENOSYS, which cachestat() reports as undefined.
      cachestatNumbers: QEMU_USER ? 'returns undefined' : 'returns object',
      lockString: 'ERR_INVALID_ARG',
      adviseToString: 'ERR_INVALID_ARG',
      lockFraction: 'ERR_INVALID_ARG',
      cachestatNegative: 'ERR_OUT_OF_RANGE',
      windowsPipe: 'ENODEV',
      mapPipe: 'ENODEV',
      cachestatPipe: 'ESPIPE',
      windowOptionTypo: 'ERR_INVALID_ARG',
    });
    expect(readFileSync(p).equals(Buffer.alloc(3 * 4096, 9))).toBe(true);
  });

  it('a_descriptor_that_is_not_open_is_ebadf_from_every_call_that_takes_one', () => {
    const p = join(dir, 'closed.bin');
    writeFileSync(p, 'closed');
    const fd = openSync(p, 'r');
    closeSync(fd);
    const calls: Record<string, () => unknown> = {
      'Mmap.map': () => Mmap.map(fd),
      'MmapMut.mapMut': () => MmapMut.mapMut(fd),
      'MmapOptions#mapCopy': () => new MmapOptions().mapCopy(fd),
      windows: () => windows(fd),
      cachestat: () => cachestat(fd, 0n, 0n),
      fdAccessMode: () => fdAccessMode(fd),
      fileSizeLimit: () => fileSizeLimit(fd, 1n),
      tryLockFile: () => tryLockFile(fd, 'shared'),
      unlockFile: () => unlockFile(fd),
    };
    const got = Object.fromEntries(Object.entries(calls).map(([name, fn]) => [name, (({ code, errno }) => ({ code, errno }))(caught(fn))]));
    // errno is 9 on POSIX; on Windows libuv's (4083) or the Win32 error's (6), by which layer saw it.
    const errno = (e: number) => (WINDOWS ? [6, 4083].includes(e) : e === 9);
    expect(Object.fromEntries(Object.entries(got).map(([name, g]) => [name, { code: g.code, errno: errno(g.errno as number) }]))).toEqual(
      Object.fromEntries(Object.keys(calls).map((name) => [name, { code: 'EBADF', errno: true }])),
    );
  });

  it.skipIf(!canMknod)('windows_over_a_device_without_length_is_refused_like_map', () => {
    const zero = zeroDevice() as string;
    const fd = openSync(zero, 'r');
    try {
      const e = caught(() => windows({ fd, path: zero }));
      expect([e.code, e.message]).toEqual(['ERR_INVALID_ARG', `${zero}: the size of a device is unknown: give length`]);
      expect(caught(() => Mmap.map(fd)).code).toBe('ERR_INVALID_ARG');
      const got = [...windows(fd, { offset: 4096n, length: 10 })].map((w) => [w.offset, w.bytes.length]);
      expect(got).toEqual([[4096n, 10]]);
    } finally {
      closeSync(fd);
    }
  });

  it('a_window_size_past_what_a_file_can_hold_is_accepted_not_refused', () => {
    const p = join(dir, 'small.bin');
    writeFileSync(p, Buffer.alloc(3 * pageSize(), 1));
    const fd = openSync(p, 'r');
    try {
      const lengths = [...windows(fd, { windowSize: 2n ** 62n, populate: false })].map((w) => [w.offset, w.bytes.length]);
      expect(lengths).toEqual([[0n, 3 * pageSize()]]);
    } finally {
      closeSync(fd);
    }
  });

  // One view holds at most buffer.constants.MAX_LENGTH bytes: 4 GiB on Node.js 20. On Node.js 22
  // and later it is 2^53 - 1, more than a file or the address space can hold, so the cap is never
  // reached there.
  it.skipIf(bufferConstants.MAX_LENGTH > 2 ** 40)('a_window_size_past_one_view_is_capped_not_refused', () => {
    const p = join(dir, 'sparse.bin');
    const page = BigInt(pageSize());
    const most = (BigInt(bufferConstants.MAX_LENGTH) / page) * page;
    // Sparse: larger than one view (on Node.js 20: 4 GiB), yet nothing on disk; nothing is read.
    const size = most + 3n * page;
    writeFileSync(p, '');
    truncateSync(p, Number(size));
    const fd = openSync(p, 'r');
    try {
      for (const windowSize of [Number(most) + 1, 2n ** 62n]) {
        const lengths: [bigint, number][] = [];
        for (const w of windows(fd, { windowSize, populate: false })) lengths.push([w.offset, w.bytes.length]);
        expect(lengths).toEqual([
          [0n, Number(most)],
          [most, Number(3n * page)],
        ]);
      }
      // The overlap counts: a window with it still fits one view.
      const it_ = windows(fd, { windowSize: 2n ** 62n, overlap: 100, populate: false });
      const first = it_.next();
      expect(first.done).toBe(false);
      expect(BigInt((first.value as Window).bytes.length)).toBe(most - page);
      it_.return(undefined);
    } finally {
      closeSync(fd);
    }
  });
});
