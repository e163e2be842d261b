// What the Win32 backend does where Windows differs from POSIX. Runs on Windows only (under Wine in
// CI: .ci/win-x64); the POSIX behaviour of the same calls is tested in the other files.
import { closeSync, ftruncateSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Mmap, MmapError, MmapMut, MmapOptions, fdAccessMode, pageSize, sigbusGuard, tryLockFile, unlockFile } from '../../src/index.js';
import { spawnSync } from 'node:child_process';
import { escapeTerminal, terminalColumns } from '../../src/mmap/sys/terminal.js';
import { LIB_URL, requireBuild } from '../helpers/child.js';
import { WINDOWS } from '../helpers/platform.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = WINDOWS ? tmpDir() : '';
let n = 0;
function file(content: Uint8Array | string): string {
  const p = join(dir, `w${n++}.bin`);
  writeFileSync(p, content);
  return p;
}
function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MmapError);
    return (e as MmapError).code;
  }
  return 'no error';
}

describe.skipIf(!WINDOWS)('the Win32 backend', () => {
  it('views_start_at_the_allocation_granularity_and_any_offset_exposes_exactly_its_bytes', () => {
    expect(pageSize()).toBe(65536);
    const data = Buffer.alloc(3 * 65536 + 100);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    const p = file(data);
    const fd = openSync(p, 'r+');
    try {
      const m = new MmapOptions()
        .offset(65536 + 4097)
        .len(70_000)
        .mapMut(fd);
      expect(Buffer.from(m.bytes).equals(data.subarray(65536 + 4097, 65536 + 4097 + 70_000))).toBe(true);
      m.bytes.fill(0xee, 0, 10);
      expect(m.flushRange(0, 10)).toEqual({ offset: 65536n, length: 65536 });
      m.unmap();
    } finally {
      closeSync(fd);
    }
    const back = readFileSync(p);
    expect(back.subarray(65536 + 4097, 65536 + 4107).every((b) => b === 0xee)).toBe(true);
    expect(back.subarray(0, 65536 + 4097).equals(data.subarray(0, 65536 + 4097))).toBe(true);
  });

  it('a_mapped_file_cannot_shrink_and_can_once_unmapped', () => {
    const p = file(Buffer.alloc(8192, 1));
    const fd = openSync(p, 'r+');
    try {
      const m = MmapMut.mapMut(fd);
      expect(() => ftruncateSync(fd, 100)).toThrow();
      // Growing is allowed while mapped.
      ftruncateSync(fd, 10_000);
      m.unmap();
      ftruncateSync(fd, 100);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(p).length).toBe(100);
  });

  it('locks_stand_past_the_end_so_the_data_stays_readable_and_writable', () => {
    const p = file('locked data');
    const a = openSync(p, 'r+');
    const b = openSync(p, 'r+');
    try {
      expect(tryLockFile(a, 'exclusive')).toBe('locked');
      expect(tryLockFile(b, 'shared')).toBe('busy');
      expect(readFileSync(p, 'latin1')).toBe('locked data');
      writeSync(b, 'L', 0);
      unlockFile(a);
      expect(tryLockFile(b, 'shared')).toBe('locked');
      expect(tryLockFile(a, 'shared')).toBe('locked');
      expect(tryLockFile(a, 'exclusive')).toBe('busy');
      unlockFile(a);
      unlockFile(a); // nothing held: no error
    } finally {
      closeSync(a);
      closeSync(b);
    }
    expect(readFileSync(p, 'latin1')).toBe('Locked data');
  });

  it('what_windows_lacks_is_err_unsupported_platform_never_a_crash', () => {
    const p = file(Buffer.alloc(4096, 2));
    const fd = openSync(p, 'r');
    try {
      const m = Mmap.map(fd);
      expect(code(() => m.advise('sequential'))).toBe('ERR_UNSUPPORTED_PLATFORM');
      expect(code(() => m.residency())).toBe('ERR_UNSUPPORTED_PLATFORM');
      expect(code(() => m.remap(100))).toBe('ERR_UNSUPPORTED_PLATFORM');
      expect(m.fault()).toBeUndefined();
      expect(m.guarded).toBe(false);
      expect(sigbusGuard().reason).toMatch(/Windows has no SIGBUS/);
      expect(m.bytes[0]).toBe(2);
      m.unmap();
    } finally {
      closeSync(fd);
    }
  });

  it('a_file_or_a_closed_descriptor_is_no_console', () => {
    // The console itself is tested on a terminal, under Wine (test/wine/console.test.ts).
    const fd = openSync(file('not a console'), 'r');
    try {
      expect(terminalColumns(fd)).toBeUndefined();
      expect(escapeTerminal(fd)).toBe(false);
    } finally {
      closeSync(fd);
    }
    expect(terminalColumns(1_000_000)).toBeUndefined();
  });

  it('the_access_mode_of_a_descriptor_comes_from_its_handle', () => {
    const p = file('x');
    for (const [flags, mode] of [
      ['r', 'r'],
      ['r+', 'rw'],
    ] as const) {
      const fd = openSync(p, flags);
      try {
        expect(fdAccessMode(fd)).toBe(mode);
      } finally {
        closeSync(fd);
      }
    }
  });

  it('make_exec_on_a_file_works_or_says_why_and_keeps_the_map', () => {
    const p = file(Buffer.alloc(4096, 0xc3));
    const fd = openSync(p, 'r+');
    try {
      const m = MmapMut.mapMut(fd);
      let result: string;
      try {
        const x = m.makeExec();
        result = x.bytes[0] === 0xc3 ? 'exec' : 'wrong bytes';
        x.unmap();
      } catch (e) {
        expect((e as MmapError).code).toBe('EACCES');
        expect((e as MmapError).message).toContain('execute access');
        expect(m.bytes[0]).toBe(0xc3);
        m.unmap();
        result = 'refused';
      }
      expect(['exec', 'refused']).toContain(result);
    } finally {
      closeSync(fd);
    }
  });

  it('a_synchronous_loop_that_keeps_views_alive_gets_err_too_many_maps_not_a_crash', () => {
    // Each unmapped map whose bytes were viewed keeps a placeholder (64 KiB of address space) until
    // its view is collected, which a synchronous loop never allows; Wine runs out of address space
    // for views near 40,000 of them and V8 then aborts. mmapx stops at its budget first. ~20 s.
    const p = file('sixteen bytes ok');
    requireBuild();
    const code = `import { openSync } from 'node:fs';
       import { MmapOptions } from ${JSON.stringify(LIB_URL)};
       const fd = openSync(process.argv[1], 'r');
       let made = 0, code;
       try { for (; made < 40_000; made++) { const m = new MmapOptions().len(16).map(fd); m.bytes[0]; m.unmap(); } } catch (e) { code = e.code; }
       const big = new Array(2e6).fill(1).length;
       console.log(JSON.stringify({ made, code, big }));`;
    // Its own timeout: the loop alone takes ~15 s under Wine.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, p], { encoding: 'utf8', timeout: 100_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ made: 16_384, code: 'ERR_TOO_MANY_MAPS', big: 2e6 });
  }, 120_000);
});
