// memmap2's API that mmapx lacked: MmapRaw (an address and a length, no view, for other FFI),
// remap (mremap, RemapOptions.mayMove), huge() and populate() on MmapOptions, and how a map is (and
// is not) shared with a Worker. Each scenario runs in a child process, so a crash shows up as a
// signal instead of taking the test runner down.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild, runModule } from '../helpers/child.js';
import { tmpDir } from '../helpers/tmp.js';
import { platformIt, posixIt } from '../helpers/platform.js';

const dir = tmpDir();
beforeAll(() => requireBuild());

/** Runs `code` (an ES module, `$LIB` the built library) with `args`; it must exit 0, unsignalled, silent on stderr. */
function survive(code: string, ...args: string[]): string {
  const r = runModule(code, { args, nodeArgs: ['--expose-gc'] });
  expect(r.signal, `child died by ${r.signal}; stderr: ${r.stderr}`).toBeNull();
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

/** The pages of a file: page i filled with the letter 'a' + i. */
function pagesFile(name: string, pages: number): { file: string; content: Buffer } {
  const file = join(dir, name);
  const content = Buffer.concat(Array.from({ length: pages }, (_, i) => Buffer.alloc(4096, 0x61 + i)));
  writeFileSync(file, content);
  return { file, content };
}

describe('MmapRaw', () => {
  posixIt('the other FFI is libc')('map_raw_hands_out_an_address_other_ffi_writes_through_and_flush_reaches_the_file', () => {
    const { file, content } = pagesFile('raw.bin', 2);
    const out = survive(
      `import { openSync } from 'node:fs';
       import koffi from 'koffi';
       import { MmapOptions, MmapRaw, pageSize } from $LIB;
       const libc = koffi.load('libc.so.6');
       const memset = libc.func('void *memset(void *s, int c, size_t n)');
       const fd = openSync(process.argv[1], 'r+');
       const raw = new MmapOptions().offset(100).len(5000).mapRaw({ fd, path: process.argv[1] });
       const { start } = raw.addressRange();
       memset(raw.address + 10n, 0x5a, 3);      // foreign code writes through the address
       raw.flush();
       const ro = MmapRaw.mapRaw(fd);
       const sameFile = koffi.decode(ro.address + 110n, 'char', 3);
       raw.unmap(); ro.unmap();
       let after; try { raw.address; } catch (e) { after = e.code; }
       console.log(JSON.stringify({ views: 'bytes' in raw, length: raw.length, aligned: start % BigInt(pageSize()) === 0n, sameFile, after }));`,
      file,
    );
    const r = JSON.parse(out);
    expect(r.views).toBe(false); // no view: nothing in JS can outlive the mapping
    expect(r.length).toBe(5000);
    expect(r.aligned).toBe(true);
    expect(r.sameFile).toBe('ZZZ'); // a second raw map of the file sees the first one's write
    expect(r.after).toBe('ERR_UNMAPPED');
    const expected = Buffer.from(content);
    expected.fill(0x5a, 110, 113);
    expect(readFileSync(file).equals(expected)).toBe(true);
  });

  it('the_address_is_the_first_mapped_byte_and_a_read_only_raw_map_refuses_writes_at_the_kernel', () => {
    const { file } = pagesFile('raw-ro.bin', 1);
    const out = survive(
      `import { openSync } from 'node:fs';
       import { MmapOptions } from $LIB;
       const fd = openSync(process.argv[1], 'r');
       const raw = new MmapOptions().offset(4000).len(96).mapRawReadOnly(fd);
       const { start, end } = raw.addressRange();
       let mut; try { new MmapOptions().mapRaw(fd); } catch (e) { mut = e.code; }
       console.log(Number(raw.address - start), Number(end - start), raw.length, raw.protection, mut);
       raw.unmap();`,
      file,
    );
    expect(out).toBe('4000 4096 96 r EACCES');
  });
});

describe('remap', () => {
  posixIt('no mremap')('a_file_map_grows_and_shrinks_in_place_keeping_its_bytes_and_writes_reach_the_file', () => {
    const { file, content } = pagesFile('grow.bin', 3);
    const out = survive(
      `import { openSync } from 'node:fs';
       import { MmapOptions } from $LIB;
       const fd = openSync(process.argv[1], 'r+');
       const small = new MmapOptions().len(4096).mapMut(fd);
       const big = small.remap(3 * 4096, { mayMove: true });    // moves if the next pages are taken
       const at = big.addressRange().start;
       const mid = big.remap(2 * 4096 + 1);                     // no view taken: shrinks where it is
       const midAt = mid.addressRange().start;
       const b = mid.bytes;
       const seen = String.fromCharCode(b[0], b[4096], b[8192]);
       b[2 * 4096] = 0x21;
       mid.flush();
       const shrunk = mid.remap(10, { mayMove: true });         // viewed: moves, the old view is cut off
       console.log(small.isMapped, big.isMapped, mid.isMapped, at === midAt, shrunk.addressRange().start !== midAt,
         seen, b[0], shrunk.length, Buffer.from(shrunk.bytes).toString());
       shrunk.unmap();`,
      file,
    );
    // The shrink of a map with no view happened in place; the last one, of a viewed map, moved.
    expect(out).toBe('false false false true true abc 0 10 aaaaaaaaaa');
    const expected = Buffer.from(content);
    expected[2 * 4096] = 0x21;
    expect(readFileSync(file).equals(expected)).toBe(true);
  });

  posixIt('no mremap')('a_viewed_map_resizes_only_with_may_move_and_its_old_view_is_cut_off_without_a_crash', () => {
    const { file, content } = pagesFile('viewed.bin', 2);
    const out = survive(
      `import { openSync } from 'node:fs';
       import { MmapOptions } from $LIB;
       const fd = openSync(process.argv[1], 'r+');
       const m = new MmapOptions().len(8192).mapMut(fd);
       const old = m.bytes;
       old[0] = 0x41;
       let refused; try { m.remap(4096); } catch (e) { refused = [e.code, /mayMove/.test(e.message), m.isMapped]; }
       const n = m.remap(4096, { mayMove: true });                // shrink: the old view spans 2 pages
       const stale = [old[0], old[8191]];                          // would be SIGSEGV if the range were unmapped
       old.fill(0x7a);                                             // stale writes go nowhere
       n.flush();
       console.log(JSON.stringify({ refused, stale, now: n.bytes[0], len: n.length, oldLen: old.length }));
       n.unmap();`,
      file,
    );
    expect(JSON.parse(out)).toEqual({ refused: ['ERR_INVALID_ARG', true, true], stale: [0, 0], now: 0x41, len: 4096, oldLen: 8192 });
    const expected = Buffer.from(content);
    expected[0] = 0x41;
    expect(readFileSync(file).equals(expected)).toBe(true);
  });

  posixIt('no mremap')('a_failed_remap_leaves_the_map_and_its_view_as_they_were', () => {
    const out = survive(
      `import { MmapMut } from $LIB;
       const m = MmapMut.mapAnon(4096);
       const v = m.bytes;
       v[0] = 7;
       let e; try { m.remap(2 ** 52, { mayMove: true }); } catch (err) { e = err; }   // 4 PiB: more than the address space
       const kept = [m.isMapped, m.bytes === v, v[0]];
       const n = m.remap(8192, { mayMove: true });
       console.log(JSON.stringify({ code: e.code, syscall: e.syscall, kept, moved: [n.bytes[0], v[0]] }));`,
    );
    const r = JSON.parse(out);
    expect(['ENOMEM', 'EINVAL']).toContain(r.code); // larger than the address space: EINVAL here (beyond TASK_SIZE), ENOMEM from other checks
    expect(r).toMatchObject({ syscall: 'mremap', kept: [true, true, 7], moved: [7, 0] });
  });

  posixIt('no mremap')('growth_past_the_end_of_the_file_or_without_an_open_descriptor_is_refused_and_the_map_kept', () => {
    const { file, content } = pagesFile('short.bin', 1);
    const out = survive(
      `import { openSync, closeSync, ftruncateSync } from 'node:fs';
       import { MmapOptions } from $LIB;
       const fd = openSync(process.argv[1], 'r+');
       const m = new MmapOptions().len(100).map({ fd, path: 'short.bin' });
       const caught = (f) => { try { f(); return 'ok'; } catch (e) { return [e.code, e.path, e.message]; } };
       const past = caught(() => m.remap(4097));
       const fits = m.remap(4096);                                 // up to the end is fine
       ftruncateSync(fd, 8192);
       const grown = fits.remap(8192, { mayMove: true });          // after the file grew
       const ro = openSync(process.argv[1], 'r');
       const orphan = new MmapOptions().len(10).map(ro);
       closeSync(ro);
       const closed = caught(() => orphan.remap(20));
       const smaller = orphan.remap(5);                            // shrinking needs no descriptor
       ftruncateSync(fd, 4096);
       console.log(JSON.stringify({ past, mapped: m.isMapped === false && fits.isMapped === false, grown: grown.length, closed, smaller: smaller.length }));
       grown.unmap(); smaller.unmap();`,
      file,
    );
    const r = JSON.parse(out);
    expect(r.past[0]).toBe('ERR_OUT_OF_RANGE');
    expect(r.past[1]).toBe('short.bin');
    expect(r.past[2]).toMatch(/ends past the end of the file \(size 4096\)/);
    expect(r.mapped).toBe(true);
    expect(r.grown).toBe(8192);
    expect(r.closed[0]).toBe('ERR_INVALID_ARG');
    expect(r.closed[2]).toMatch(/keep the file open/);
    expect(r.smaller).toBe(5);
    expect(readFileSync(file).equals(content)).toBe(true);
  });

  platformIt({ windows: 'no mremap', qemu: 'memmap2-gaps remap: qemu-user places maps itself, not top-down one below the other as the kernel does' })(
    'without_may_move_a_map_that_cannot_grow_where_it_is_fails_with_enomem_and_stays',
    () => {
      const out = survive(
        `import { MmapMut } from $LIB;
       // mmap places new maps top-down: the second of two lies right below the first, so it cannot
       // grow in place. Look for such a pair (the first try finds one on Linux).
       let pair;
       for (let i = 0; i < 10 && !pair; i++) {
         const above = MmapMut.mapAnon(4096), below = MmapMut.mapAnon(4096);
         if (below.addressRange().end === above.addressRange().start) pair = { above, below };
       }
       const { below } = pair;
       let e; try { below.remap(3 * 4096); } catch (err) { e = err; }
       const moved = below.remap(3 * 4096, { mayMove: true });
       console.log(e.code, e.syscall, /mayMove/.test(e.message), moved.length, moved.bytes.every((b) => b === 0));`,
      );
      expect(out).toBe('ENOMEM mremap true 12288 true');
    },
  );

  posixIt('no mremap')('an_anonymous_map_keeps_its_bytes_when_moved_and_the_guard_follows_a_file_map', () => {
    const { file } = pagesFile('guard.bin', 2);
    const out = survive(
      `import { openSync, ftruncateSync } from 'node:fs';
       import { MmapMut, MmapOptions, sigbusGuard } from $LIB;
       const a = MmapMut.mapAnon(10);
       a.bytes.set([1, 2, 3]);
       const b = a.remap(3 * 4096 + 1, { mayMove: true });
       const kept = [...b.bytes.subarray(0, 4)];
       // A file map that was resized is still guarded: a page cut off by truncation reads zeros.
       const fd = openSync(process.argv[1], 'r+');
       const f = new MmapOptions().len(4096).map(fd).remap(8192, { mayMove: true });
       ftruncateSync(fd, 4096);
       const guarded = sigbusGuard().active;
       const read = guarded ? f.bytes[5000] : -1;
       console.log(JSON.stringify({ kept, len: b.length, guarded, read, fault: guarded ? String(f.fault()?.offset) : 'n/a' }));`,
      file,
    );
    const r = JSON.parse(out);
    expect(r.kept).toEqual([1, 2, 3, 0]);
    expect(r.len).toBe(3 * 4096 + 1);
    if (r.guarded) {
      expect(r.read).toBe(0);
      expect(r.fault).toBe('5000'); // the file offset of the access
    }
  });
});

describe('MmapOptions huge and populate', () => {
  const hugeFree = Number(/^HugePages_Free:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'latin1'))?.[1] ?? 0);

  platformIt({ windows: 'no huge pages', qemu: 'memmap2-gaps huge: qemu-user refuses MAP_HUGETLB with EINVAL before the kernel can say ENOMEM' })(
    'huge_pages_map_when_reserved_and_otherwise_fail_with_enomem_saying_how_to_reserve_them',
    () => {
      const out = survive(
        `import { MmapOptions } from $LIB;
       const res = [];
       for (const bits of [undefined, 21]) {
         try {
           const m = new MmapOptions().len(5000).huge(bits).mapAnon();
           m.bytes[4999] = 1;
           res.push(['ok', m.length, Number(m.addressRange().end - m.addressRange().start)]);
           m.unmap();
         } catch (e) { res.push([e.code, e.syscall, e.message]); }
       }
       console.log(JSON.stringify(res));`,
      );
      for (const r of JSON.parse(out) as [string, unknown, unknown][]) {
        if (hugeFree > 0) {
          expect(r).toEqual(['ok', 5000, 2 * 1024 * 1024]); // whole huge pages
        } else {
          expect(r[0]).toBe('ENOMEM');
          expect(r[1]).toBe('mmap');
          expect(r[2]).toMatch(/no free huge pages of 2048 KiB: the system has to reserve them first \(vm\.nr_hugepages/);
        }
      }
    },
  );

  platformIt({
    windows: 'checks populate with mincore',
    qemu: 'memmap2-gaps populate: qemu-user does not pass MAP_POPULATE on, so nothing is prefaulted there',
  })('huge_is_refused_for_file_maps_and_populate_prefaults_anonymous_and_file_maps', () => {
    const { file } = pagesFile('populate.bin', 4);
    const out = survive(
      `import { openSync } from 'node:fs';
       import { MmapOptions } from $LIB;
       const fd = openSync(process.argv[1], 'r');
       let huge; try { new MmapOptions().huge().map({ fd, path: 'populate.bin' }); } catch (e) { huge = [e.code, e.path, /anonymous/.test(e.message)]; }
       const lazy = new MmapOptions().len(16 * 4096).mapAnon();
       const eager = new MmapOptions().len(16 * 4096).populate().mapAnon();
       const file = new MmapOptions().populate().map(fd);
       console.log(JSON.stringify({ huge, lazy: lazy.residency().resident, eager: eager.residency().resident, file: file.residency().resident }));`,
      file,
    );
    expect(JSON.parse(out)).toEqual({ huge: ['ERR_INVALID_ARG', 'populate.bin', true], lazy: 0, eager: 16, file: 4 });
  });
});

describe('sharing a map with a Worker', () => {
  it('a_worker_that_maps_the_same_file_shares_its_bytes_both_ways', () => {
    const { file } = pagesFile('worker.bin', 1);
    const out = survive(
      `import { openSync } from 'node:fs';
       import { Worker } from 'node:worker_threads';
       import { once } from 'node:events';
       import { MmapMut } from $LIB;
       const fd = openSync(process.argv[1], 'r+');
       const m = MmapMut.mapMut(fd);
       m.bytes[0] = 0x4d;                          // main writes, the worker reads
       // Descriptors belong to the process: the worker maps the same file through the same fd.
       const w = new Worker(\`
         import { parentPort, workerData } from 'node:worker_threads';
         import { MmapMut } from $LIB;
         const m = MmapMut.mapMut(workerData.fd);
         const seen = m.bytes[0];
         m.bytes[1] = 0x57;                        // the worker writes, main reads
         m.unmap();
         parentPort.postMessage(seen);\`, { eval: true, execArgv: ['--input-type=module'], workerData: { fd } });
       const [seen] = await once(w, 'message');
       await once(w, 'exit');
       console.log(String.fromCharCode(seen, m.bytes[1]));
       m.unmap();`,
      file,
    );
    expect(out).toBe('MW');
  });

  it('transferring_a_view_never_detaches_the_map_nor_lets_the_receiver_write_into_it', () => {
    const { file } = pagesFile('transfer.bin', 1);
    const out = survive(
      `import { openSync } from 'node:fs';
       import { MessageChannel } from 'node:worker_threads';
       import { MmapMut } from $LIB;
       const fd = openSync(process.argv[1], 'r+');
       const m = MmapMut.mapMut(fd);
       const v = m.bytes;
       const { port1, port2 } = new MessageChannel();
       let outcome;
       try {
         port1.postMessage(v, [v.buffer]);
         // Node.js 20: a copy was sent. What the receiver writes stays in its copy.
         const got = await new Promise((res) => port2.once('message', res));
         got[0] = 0x21;
         outcome = ['copied', got.buffer !== v.buffer];
       } catch (e) {
         outcome = [e.name, e.message];             // Node.js 22 and later refuse the transfer
       }
       port1.close(); port2.close();
       console.log(JSON.stringify({ outcome, attached: v.byteLength, first: v[0], fromMap: m.bytes === v }));
       m.unmap();`,
      file,
    );
    const r = JSON.parse(out);
    if (r.outcome[0] === 'copied') expect(r.outcome[1]).toBe(true);
    else expect(r.outcome[0]).toBe('DataCloneError');
    expect(r).toMatchObject({ attached: 4096, first: 0x61, fromMap: true });
    expect(readFileSync(file).equals(Buffer.alloc(4096, 0x61))).toBe(true);
  });
});
