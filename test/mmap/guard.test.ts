// Issue 20, items 3 to 6: the SIGBUS guard's capacity, descriptors held by maps, flushes after
// writes the filesystem had no room for, and asynchronous flushes of device maps. Each scenario runs
// in a child process, so that a SIGBUS death, an EMFILE or a hang shows up as such.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ChildResult, requireBuild, runModule } from '../helpers/child.js';
import { inMountNamespace, mountNamespaces } from '../helpers/mountns.js';
import { tmpDir } from '../helpers/tmp.js';
import { posixIt } from '../helpers/platform.js';

const dir = tmpDir('mmapx-guard-');
beforeAll(() => requireBuild());
const guarded = process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64');
const root = process.getuid?.() === 0;

function file(name: string, bytes: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** The child must end normally, print nothing on stderr and one JSON line on stdout. */
function json(r: ChildResult): Record<string, unknown> {
  expect(r.signal, `child died by ${r.signal}; stderr: ${r.stderr}`).toBeNull();
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const HEAD = `
  import { openSync, closeSync, readFileSync, readdirSync, statSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
  import { execFileSync } from 'node:child_process';
  import { tmpdir } from 'node:os';
  import * as lib from $LIB;
  const { Mmap, MmapMut, MmapOptions, sigbusGuard } = lib;
  const out = (o) => console.log(JSON.stringify(o, (k, v) => (typeof v === 'bigint' ? Number(v) : v)));
  const attempt = (f) => { try { return { ok: f() ?? null }; } catch (e) { return { code: e.code, message: e.message, offset: e.offset }; } };
  const f = process.argv[1];
`;

describe.skipIf(!guarded)('the guard has room for every mapping the process may have (item 3)', () => {
  it('six_hundred_live_maps_survive_a_truncation_and_each_reports_it', () => {
    // The guard had 510 slots: the 511th live map was unguarded, and reading it past the new end
    // killed the process by SIGBUS.
    const f = file('six-hundred.bin', Buffer.alloc(65536, 0x41));
    const o = json(
      runModule(
        `${HEAD}
         const fd = openSync(f, 'r');
         const maps = Array.from({ length: 600 }, () => Mmap.map({ fd, path: f }));
         execFileSync('truncate', ['-s', '10000', f]);
         const zeros = maps.filter((m, i) => m.bytes[20000 + i] === 0).length;
         const faults = maps.filter((m, i) => Number(m.fault()?.offset) === 20000 + i).length;
         const errors = new Set(maps.map((m) => attempt(() => m.assertIntact()).code));
         const g = sigbusGuard();
         out({ zeros, faults, errors: [...errors], guarded: maps.filter((m) => m.guarded).length, g,
               max: Number(readFileSync('/proc/sys/vm/max_map_count', 'latin1')) });`,
        { args: [f] },
      ),
    );
    expect(o).toMatchObject({ zeros: 600, faults: 600, errors: ['ERR_TRUNCATED'], guarded: 600 });
    expect(o.g).toMatchObject({ active: true, ranges: 600, peak: 600, handled: 600, unguarded: 0 });
    const g = o.g as { capacity: number };
    expect(g.capacity).toBeGreaterThanOrEqual(Math.min(o.max as number, 1 << 20));
  });

  it('dropped_maps_give_their_slots_back_when_collected_and_new_maps_use_them_again', () => {
    const f = file('dropped.bin', Buffer.alloc(8192, 0x41));
    const o = json(
      runModule(
        `${HEAD}
         const fd = openSync(f, 'r');
         // Dropped without unmap(), half of them with their view taken (and dropped too).
         const drop = () => { for (let i = 0; i < 600; i++) { const m = Mmap.map(fd); if (i % 2) m.bytes[0]; } };
         drop();
         const dropped = sigbusGuard().ranges;
         for (let i = 0; i < 100 && sigbusGuard().ranges > 0; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }
         const collected = sigbusGuard().ranges;
         const again = Array.from({ length: 600 }, () => Mmap.map(fd));
         const g = sigbusGuard();
         execFileSync('truncate', ['-s', '100', f]);
         out({ dropped, collected, ranges: g.ranges, peak: g.peak, all: again.every((m) => m.guarded),
               last: [again[599].bytes[5000], again[599].fault()] });`,
        { args: [f], nodeArgs: ['--expose-gc'] },
      ),
    );
    // 600 more maps took the 600 slots given back: the table did not grow past its peak.
    expect(o).toEqual({ dropped: 600, collected: 0, ranges: 600, peak: 600, all: true, last: [0, { offset: 5000, count: 1 }] });
  });

  it('anonymous_and_unmapped_maps_say_they_are_not_guarded', () => {
    const f = file('flag.bin', Buffer.alloc(4096, 1));
    const o = json(
      runModule(
        `${HEAD}
         const m = Mmap.map(openSync(f, 'r'));
         const before = m.guarded;
         m.unmap();
         out({ before, after: m.guarded, anon: MmapMut.mapAnon(4096).guarded });`,
        { args: [f] },
      ),
    );
    expect(o).toEqual({ before: true, after: false, anon: false });
  });
});

describe('maps hold no descriptor of their own (item 4)', () => {
  posixIt('no ulimit')('a_thousand_live_mutable_maps_under_ulimit_n_256_with_their_descriptors_closed', () => {
    // Each MmapMut kept a duplicate descriptor: the 237th failed with EMFILE.
    const f = file('live.bin', Buffer.alloc(1000, 0x2e));
    const o = json(
      runModule(
        `${HEAD}
         const fds = () => readdirSync('/proc/self/fd').length;
         const before = fds();
         const maps = [];
         for (let i = 0; i < 1000; i++) {
           const fd = openSync(f, 'r+');
           maps.push(new MmapOptions().offset(i).len(1).mapMut({ fd, path: f }));
           closeSync(fd);
         }
         const during = fds();
         maps.forEach((m, i) => { m.bytes[0] = 0x30 + (i % 10); });
         const flushed = maps.map((m, i) => (i % 2 ? attempt(() => m.flush()) : attempt(() => m.flushAsyncRange(0, 1))));
         const failed = flushed.filter((r) => !('ok' in r));
         maps.forEach((m) => m.unmap());
         out({ before, during, after: fds(), failed });`,
        { args: [f], prefix: ['sh', '-c', 'ulimit -n 256 && exec "$0" "$@"'] },
      ),
    );
    expect(o).toEqual({ before: o.before, during: o.before, after: o.before, failed: [] });
    const expected = Buffer.from(Array.from({ length: 1000 }, (_, i) => 0x30 + (i % 10)));
    expect(readFileSync(f).equals(expected)).toBe(true);
  });

  posixIt('expects ranges in 4 KiB pages (64 KiB there)')('a_descriptor_number_reused_for_another_file_is_not_taken_for_the_mapped_file', () => {
    // The map keeps the caller's number, not a descriptor: once closed, the number may refer to
    // another file, whose size must not fail (or pass) the checks of this map's flush.
    const a = file('reuse-a.bin', Buffer.alloc(65536, 0x41));
    const b = file('reuse-b.bin', Buffer.alloc(10, 0x42));
    const o = json(
      runModule(
        `${HEAD}
         const fd = openSync(f, 'r+');
         const m = MmapMut.mapMut({ fd, path: f });
         closeSync(fd);
         const other = openSync(process.argv[2], 'r+');
         m.bytes[60000] = 0x61;
         out({ same: other === fd, flush: attempt(() => m.flush()), range: attempt(() => m.flushAsyncRange(60000, 1)), b: readFileSync(process.argv[2], 'latin1') });`,
        { args: [a, b] },
      ),
    );
    expect(o).toEqual({ same: true, flush: { ok: null }, range: { ok: { offset: 57344, length: 4096 } }, b: 'BBBBBBBBBB' });
    expect(readFileSync(a)[60000]).toBe(0x61);
  });
});

describe.skipIf(!guarded || !root || !mountNamespaces())('writes the filesystem had no room for (item 5)', () => {
  // A 1 MiB tmpfs, mounted in a private mount namespace (gone with the child), holding a sparse
  // file of 4 MiB: written on every page, the pages past the first MiB find no block and fault.
  const FULL = `${HEAD}
    const d = mkdtempSync(tmpdir() + '/mmapx-full-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', d]);
    let fd = -1, m;
    try {
      const p = d + '/sparse.bin';
      writeFileSync(p, '');
      execFileSync('truncate', ['-s', '4M', p]);
      fd = openSync(p, 'r+');
      m = MmapMut.mapMut({ fd, path: p });
      for (let at = 0; at < m.length; at += 4096) m.bytes[at] = 0x55;
      const stored = readFileSync(p).reduce((n, b) => n + (b === 0x55 ? 1 : 0), 0);
      out({ stored, fault: m.fault(), flush: attempt(() => m.flush()), flushAsync: attempt(() => m.flushAsync()),
            range: attempt(() => m.flushRange(0, 4096)), intact: attempt(() => m.assertIntact('written')), p });
    } finally {
      m?.unmap();
      if (fd >= 0) closeSync(fd);
      execFileSync('umount', [d]);
      rmSync(d, { recursive: true });
    }`;

  it('a_flush_of_a_map_whose_writes_found_no_space_fails_with_enospc_naming_the_first_offset_and_the_count', () => {
    const o = json(runModule(FULL, { prefix: ['unshare', '-m'] })) as {
      stored: number;
      fault: { offset: number; count: number };
      p: string;
      [op: string]: unknown;
    };
    // What did not fit: every page after the ones the filesystem stored.
    const lost = 1024 - o.stored;
    expect(o.stored).toBeGreaterThan(0);
    expect(lost).toBeGreaterThan(0);
    expect(o.fault).toEqual({ offset: o.stored * 4096, count: lost });
    const at = `0x${(o.stored * 4096).toString(16)}`;
    for (const op of ['flush', 'flushAsync', 'range']) {
      const what = op === 'flushAsync' ? 'flushAsync' : 'flush';
      expect(o[op], op).toEqual({
        code: 'ENOSPC',
        offset: o.stored * 4096,
        message: `${o.p}: ${what}: no space left on the filesystem for ${lost} pages of the map from offset ${at}: what was written to them was lost, not flushed (ENOSPC)`,
      });
    }
    expect(o.intact).toEqual({
      code: 'ENOSPC',
      offset: o.stored * 4096,
      message: `${o.p}: no space left on the filesystem for the pages written from offset ${at} (${lost} pages, SIGBUS): what was written to them was lost (ENOSPC)`,
    });
  });

  it('mmapx_write_onto_a_full_tmpfs_fails_with_one_line_and_exit_1_leaving_the_file_as_it_was', () => {
    const sum = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const empty = `${sum(Buffer.alloc(4 << 20))}  -`;
    const r = inMountNamespace(
      [
        'mount -t tmpfs -o size=1m tmpfs "$d" || exit 98',
        'truncate -s 4M "$d/f" && head -c 2M /dev/zero > "$d/fill" 2>/dev/null',
        '$MMAPX write "$d/f" 0x300000 0011; echo "write $?"',
        '$MMAPX write "$d/f" 0x200000 --fill 0x41 --length 64K; echo "fill $?"',
        'sha256sum < "$d/f"',
      ].join('\n'),
    );
    const lines = r.stderr.split('\n');
    expect(lines, r.stderr).toHaveLength(3);
    // The blocks are reserved before anything is read or written (reserveRanges).
    expect(lines[0]).toMatch(
      /^mmapx: write: \/.*\/f: no space left on the filesystem for the 2 bytes to write at 0x300000 \(in a hole of the file\): nothing changed; free some space and run it again \(ENOSPC\)$/,
    );
    expect(lines[1]).toMatch(/^mmapx: write: \/.*\/f: no space left on the filesystem .* \(ENOSPC\)$/);
    expect(r.stdout).toBe(`write 1\nfill 1\n${empty}\n`);
  });
});

describe.skipIf(!root || process.platform !== 'linux')('asynchronous flushes of a device map (item 6)', () => {
  it('flush_async_of_a_character_device_map_falls_back_to_msync', () => {
    // sync_file_range(2) refuses character devices (ESPIPE); msync(MS_ASYNC) is what they take.
    // The device is a /dev/zero node made in a temporary directory (char 1 5): writes to its
    // shared map stay in memory.
    const o = json(
      runModule(
        `${HEAD}
         const d = mkdtempSync(tmpdir() + '/mmapx-dev-');
         try {
           execFileSync('mknod', [d + '/zero', 'c', '1', '5']);
           const m = new MmapOptions().len(8192).mapMut({ fd: openSync(d + '/zero', 'r+'), path: d + '/zero' });
           m.bytes.fill(0x5a, 100, 5000);
           out({ async: attempt(() => m.flushAsync()), range: attempt(() => m.flushAsyncRange(100, 4900)),
                 sync: attempt(() => m.flush()), kept: m.bytes[4999] });
         } finally {
           rmSync(d, { recursive: true });
         }`,
      ),
    );
    expect(o).toEqual({ async: { ok: null }, range: { ok: { offset: 0, length: 8192 } }, sync: { ok: null }, kept: 0x5a });
  });
});
