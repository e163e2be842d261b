// The library as a consumer uses it: each risky case runs in a child process that imports the built
// package, so a crash shows up as a signal instead of taking the test runner down.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIB, LIB_URL, ROOT, requireBuild, runModule } from '../helpers/child.js';
import { inMountNamespace, mountNamespaces } from '../helpers/mountns.js';
import { tmpDir } from '../helpers/tmp.js';
import { posixIt } from '../helpers/platform.js';
import { QEMU_USER, underQemu } from '../helpers/emulator.js';

const dir = tmpDir();
const CJS = LIB.replace(/\.mjs$/, '.cjs');
beforeAll(() => requireBuild());
const guarded = process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64');

function file(name: string, bytes: Buffer | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Runs an ES module (TypeScript allowed: `using` is compiled as a consumer's build would) in a fresh Node. */
function runScript(name: string, source: string, args: string[], timeout = 30_000, cwd = dir) {
  const js = transformSync(source.replaceAll('$LIB', JSON.stringify(LIB_URL)).replaceAll('$CJS', JSON.stringify(CJS)), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
  }).code;
  const script = join(dir, `${name}.mjs`);
  writeFileSync(script, js);
  const r = spawnSync(process.execPath, ['--expose-gc', script, ...args], { encoding: 'utf8', timeout, cwd });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The child must end normally, print nothing on stderr and one JSON line on stdout. */
function survived(r: { status: number | null; signal: string | null; stdout: string; stderr: string }): Record<string, unknown> {
  expect(r.signal, `child died by ${r.signal}; stderr: ${r.stderr}`).toBeNull();
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('maps are released without waiting for the event loop (item 16)', () => {
  posixIt('reads vm.max_map_count and /proc/self/maps; win32.test.ts has the Windows budget')(
    'a_synchronous_loop_that_drops_its_maps_gets_err_too_many_maps_not_a_crash',
    () => {
      const f = file('drop.bin', 'sixteen bytes ok');
      const o = survived(
        runScript(
          'drop',
          `import { openSync, readFileSync } from 'node:fs';
         import { MmapOptions, MmapError } from $LIB;
         const fd = openSync(process.argv[2], 'r');
         const limit = Number(readFileSync('/proc/sys/vm/max_map_count', 'latin1'));
         let made = 0, err;
         try { for (; made < limit + 10; made++) new MmapOptions().len(16).map(fd); } catch (e) { err = e; }
         const lines = readFileSync('/proc/self/maps', 'latin1').split('\\n').length - 1;
         // V8 can still map memory: the process is not about to die.
         const big = new Array(2e6).fill(1).length;
         // The dropped maps come back once the event loop turns after a collection.
         for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
         const again = new MmapOptions().len(16).map({ fd, path: 'drop.bin' });
         console.log(JSON.stringify({ made, limit, lines, big, isError: err instanceof MmapError, code: err?.code, message: err?.message, again: again.length }));`,
          [f],
          120_000,
        ),
      );
      expect(o.isError).toBe(true);
      expect(o.code).toBe('ERR_TOO_MANY_MAPS');
      expect(o.message).toMatch(/unmap\(\).*`using`.*garbage collection/);
      expect(o.made as number).toBeLessThan(o.limit as number);
      expect(o.lines as number).toBeLessThan(o.limit as number);
      expect(o.big).toBe(2e6);
      expect(o.again).toBe(16);
    },
    180_000,
  );

  posixIt('no ulimit, no /proc/self/fd')('mutable_maps_dropped_in_a_loop_hold_no_descriptors_under_ulimit_n_256', () => {
    // A map keeps no descriptor of its own (issue 20, item 4): 10,000 dropped, uncollected mutable
    // maps, each made from a descriptor opened and closed at once (memmap2's habit), in a
    // synchronous loop under `ulimit -n 256`, leave the process's descriptors as they were.
    const f = file('fds.bin', 'sixteen bytes ok');
    const r = runModule(
      `import { openSync, closeSync, readdirSync } from 'node:fs';
       import { MmapOptions } from $LIB;
       const fds = () => readdirSync('/proc/self/fd').length;
       const before = fds();
       let made = 0, err;
       try {
         for (; made < 10_000; made++) {
           const fd = openSync(process.argv[1], 'r+');
           new MmapOptions().len(16).mapMut({ fd, path: 'fds.bin' }).bytes[0] = 0x53;
           closeSync(fd);
         }
       } catch (e) { err = e; }
       console.log(JSON.stringify({ made, err: err?.message, before, after: fds() }));`,
      { args: [f], prefix: ['sh', '-c', 'ulimit -n 256 && exec "$0" "$@"'] },
    );
    expect(r.stderr).toBe('');
    const o = JSON.parse(r.stdout) as { made: number; err?: string; before: number; after: number };
    expect(o).toEqual({ made: 10_000, before: o.before, after: o.before });
    expect(readFileSync(f, 'latin1')).toBe('Sixteen bytes ok');
  });

  posixIt('placeholders of viewed maps do not merge: a synchronous loop stops at the 16,384 budget, see win32.test.ts')(
    'a_loop_that_unmaps_or_uses_using_runs_200k_iterations',
    () => {
      // Under qemu-user 20k (200k take about 3 minutes there): more than the 10,000 maps that
      // would be left if unmap() or `using` released nothing.
      const n = QEMU_USER ? 20_000 : 200_000;
      if (QEMU_USER) console.warn('[qemu-user] a_loop_that_unmaps_or_uses_using_runs_200k_iterations: 20k iterations');
      const f = file('loop.bin', 'sixteen bytes ok');
      const o = survived(
        runScript(
          'loop',
          `import { openSync, readFileSync } from 'node:fs';
         import { MmapOptions } from $LIB;
         const fd = openSync(process.argv[2], 'r+');
         let sum = 0;
         for (let i = 0; i < ${n}; i++) {
           if (i % 2 === 0) {
             using map = new MmapOptions().len(16).map(fd);     // read, released at the end of the block
             sum += map.bytes[i % 16];
           } else {
             const map = new MmapOptions().len(16).mapMut(fd);  // write, released by unmap()
             map.bytes[0] = 0x73;
             map.unmap();
           }
         }
         const lines = readFileSync('/proc/self/maps', 'latin1').split('\\n').length - 1;
         console.log(JSON.stringify({ sum, lines }));`,
          [f],
          300_000,
        ),
      );
      const expected = [...Buffer.from('sixteen bytes ok')].reduce((a, b, i) => a + (i % 2 === 0 ? b : 0), 0) * (n / 16);
      expect(o.sum).toBe(expected);
      expect(o.lines as number).toBeLessThan(10_000);
      expect(readFileSync(f, 'latin1')).toBe('sixteen bytes ok');
    },
    360_000,
  );
});

describe('the README library example', () => {
  it('releases_every_map_it_makes_and_runs_as_written', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const library = readme.slice(readme.indexOf('## The library'));
    const example = /```ts\n([\s\S]*?)```/.exec(library)![1]!;
    // Every map it makes is declared with `using` or unmapped in a finally.
    const made = example.match(/(?:using|const) \w+ = (?:new MmapOptions\(\)[^;]*|Mmap\.map\([^;]*|MmapMut\.\w+\([^;]*)/g) ?? [];
    expect(made.length).toBeGreaterThan(1);
    for (const line of made) {
      const name = /(?:using|const) (\w+)/.exec(line)![1];
      expect(line.startsWith('using ') || example.includes(`} finally {\n  ${name}.unmap();`), line).toBe(true);
    }
    const cwd = join(dir, 'readme');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'fw.bin'), Buffer.alloc(0x2000, 0x90));
    const r = runScript('readme', example.replace("from 'mmapx'", 'from $LIB'), [], 30_000, cwd);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('235\n');
    const fw = readFileSync(join(cwd, 'fw.bin'));
    expect([fw[0x1f3f], fw[0x1f40], fw[0x1f41], fw[0x1f42]]).toEqual([0x90, 0xeb, 0x05, 0x90]);
  });
});

describe('read-only bytes (item 17)', () => {
  it('mutating_methods_on_every_kind_of_read_only_bytes_throw_err_read_only_instead_of_faulting', () => {
    const f = file('ro.bin', 'read-only bytes, never written');
    for (const entry of ['$LIB', '$CJS']) {
      const load =
        entry === '$LIB' ? `import * as lib from $LIB;` : `import { createRequire } from 'node:module'; const lib = createRequire(import.meta.url)($CJS);`;
      const o = survived(
        runScript(
          `ro-${entry.slice(1)}`,
          `import { openSync } from 'node:fs';
           import { createHash } from 'node:crypto';
           ${load}
           const { Mmap, MmapMut, MmapOptions, MmapError, windows } = lib;
           const f = process.argv[2];
           const fd = openSync(f, 'r+');
           const sources = {
             map: () => Mmap.map(fd).bytes,
             mapCopyReadOnly: () => new MmapOptions().mapCopyReadOnly(fd).bytes,
             mapExec: () => new MmapOptions().mapExec(fd).bytes,
             makeReadOnly: () => MmapMut.mapMut(fd).makeReadOnly().bytes,
             makeExec: () => MmapMut.mapAnon(64).makeExec().bytes,
             subarray: () => Mmap.map(fd).bytes.subarray(2, 9),
             window: () => windows(fd).next().value.bytes,
           };
           const mutators = {
             set: (b) => b.set([1]), fill: (b) => b.fill(1), copyWithin: (b) => b.copyWithin(0, 1),
             reverse: (b) => b.reverse(), sort: (b) => b.sort(), subarrayFill: (b) => b.subarray(1).fill(1),
           };
           const out = {};
           for (const [s, get] of Object.entries(sources)) {
             const b = get();
             for (const [m, fn] of Object.entries(mutators)) {
               try { fn(b); out[s + '.' + m] = 'wrote'; } catch (e) { out[s + '.' + m] = e instanceof MmapError ? e.code : String(e); }
             }
           }
           const b = Mmap.map(fd).bytes;
           const copy = b.slice(0, 4); copy.fill(0x2a);
           out.reads = [b instanceof Uint8Array, Buffer.from(b).toString(), createHash('sha256').update(b).digest('hex').length, Buffer.compare(b, Buffer.from(b)), copy.constructor.name, [...copy].join()];
           console.log(JSON.stringify(out));`,
          [f],
        ),
      );
      const { reads, ...rest } = o;
      expect(Object.keys(rest)).toHaveLength(7 * 6);
      expect(new Set(Object.values(rest))).toEqual(new Set(['ERR_READ_ONLY']));
      expect(reads).toEqual([true, 'read-only bytes, never written', 64, 0, 'Uint8Array', '42,42,42,42']);
    }
    expect(readFileSync(f, 'latin1')).toBe('read-only bytes, never written');
  });

  posixIt('an access violation is exit status 0xC0000005, not SIGSEGV')('an_index_write_to_read_only_bytes_still_faults_as_the_readme_says', () => {
    const f = file('ro-index.bin', 'index');
    const r = runModule(
      `import { openSync } from 'node:fs';
       import { Mmap } from $LIB;
       const b = Mmap.map(openSync(process.argv[1], 'r+')).bytes;
       b[1] = 9;            // no method to intercept: the page is read-only
       console.log('survived');`,
      { args: [f] },
    );
    expect(r.signal).toBe('SIGSEGV');
    expect(readFileSync(f, 'latin1')).toBe('index');
  });
});

describe.skipIf(!mountNamespaces())('executable maps on a noexec mount (item 18)', () => {
  it.skipIf(underQemu('consumer noexec: qemu-user maps executable pages without PROT_EXEC (it translates the code), so a noexec mount refuses nothing'))(
    'map_exec_and_every_make_exec_give_one_diagnosis',
    () => {
      const script = file(
        'noexec.mjs',
        `import { openSync } from 'node:fs';
       import { Mmap, MmapMut, MmapOptions } from ${JSON.stringify(LIB_URL)};
       const f = process.argv[2];
       const fd = openSync(f, 'r+');
       const tries = {
         mapExec: () => new MmapOptions().mapExec({ fd, path: f }),
         'Mmap.makeExec': () => Mmap.map({ fd, path: f }).makeExec(),
         'MmapMut.makeExec': () => MmapMut.mapMut({ fd, path: f }).makeExec(),
         'viewed MmapMut.makeExec': () => { const m = MmapMut.mapMut({ fd, path: f }); m.bytes[0]; return m.makeExec(); },
         'MmapNone.makeExec': () => Mmap.map({ fd, path: f }).makeNone().makeExec(),
       };
       const out = {};
       for (const [k, fn] of Object.entries(tries)) {
         try { fn(); out[k] = 'mapped'; } catch (e) { out[k] = { code: e.code, syscall: e.syscall, reason: e.reason.replace(/^[a-z]+: [^:]+(, offset \\S+ length \\S+)?: /, '') }; }
       }
       console.log(JSON.stringify(out));`,
      );
      const r = inMountNamespace(`mount -t tmpfs -o noexec tmpfs "$d" && printf 'abcdefgh' > "$d/f" || exit 98\n"${process.execPath}" "${script}" "$d/f"`);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const o = JSON.parse(r.stdout) as Record<string, { code: string; syscall: string; reason: string }>;
      const reasons = new Set(Object.values(o).map((x) => x.reason));
      expect([...reasons]).toEqual(['executable mappings are refused: the filesystem is mounted noexec, or a security policy forbids it']);
      expect(o.mapExec).toMatchObject({ code: 'EPERM', syscall: 'mmap' });
      for (const k of ['Mmap.makeExec', 'MmapMut.makeExec', 'viewed MmapMut.makeExec', 'MmapNone.makeExec'])
        expect(o[k]).toMatchObject({ code: 'EACCES', syscall: 'mprotect' });
    },
  );
});

describe('flushing a map whose file shrank (item 19)', () => {
  const HEAD = `
    import { openSync, readFileSync } from 'node:fs';
    import { execFileSync } from 'node:child_process';
    import { MmapMut, MmapOptions, MmapError } from $LIB;
    const f = process.argv[1];
    const cut = (n) => execFileSync('truncate', ['-s', String(n), f]);
    const attempt = (fn) => { try { return { ok: fn() }; } catch (e) { return e instanceof MmapError ? { code: e.code, offset: Number(e.offset), message: e.message } : { other: String(e) }; } };
    const out = (o) => console.log(JSON.stringify(o, (k, v) => (typeof v === 'bigint' ? Number(v) : v)));`;

  it.skipIf(!guarded)('a_write_after_the_cut_fails_every_flush_with_err_truncated_naming_the_offset', () => {
    const f = file('flush-fault.bin', Buffer.alloc(65536, 0x41));
    const r = runModule(
      `${HEAD}
       const m = MmapMut.mapMut({ fd: openSync(f, 'r+'), path: f });
       m.bytes[100] = 0x61;
       cut(10000);               // by another process
       m.bytes[20000] = 0x42;    // lost: its page is past the new end
       out({
         flush: attempt(() => m.flush()), flushAsync: attempt(() => m.flushAsync()),
         flushRange: attempt(() => m.flushRange(16384, 8192)), flushAsyncRange: attempt(() => m.flushAsyncRange(0, 100)),
       });`,
      { args: [f] },
    );
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    const o = JSON.parse(r.stdout) as Record<string, { code: string; offset: number; message: string }>;
    for (const [op, e] of Object.entries(o)) {
      expect(e.code, op).toBe('ERR_TRUNCATED');
      expect(e.offset, op).toBe(20000);
      const what = op.startsWith('flushAsync') ? 'flushAsync' : 'flush';
      expect(e.message).toBe(
        `${f}: ${what}: the file shrank to 10000 bytes under the map (fault at offset 0x4e20, 1 page): bytes written past its end were lost, not flushed`,
      );
    }
  });

  posixIt('a mapped file cannot be cut')('a_write_before_the_cut_fails_a_flush_of_the_range_the_file_lost_and_not_of_the_rest', () => {
    const f = file('flush-end.bin', Buffer.alloc(65536, 0x41));
    const r = runModule(
      `${HEAD}
       const m = new MmapOptions().offset(4096).len(16384).mapMut({ fd: openSync(f, 'r+'), path: f });
       m.bytes[1] = 0x61; m.bytes[9000] = 0x62;   // file offsets 4097 and 13096
       cut(10000);
       out({ all: attempt(() => m.flush()), lost: attempt(() => m.flushRange(8000, 2000)), kept: attempt(() => m.flushRange(0, 100)) });`,
      { args: [f] },
    );
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    const o = JSON.parse(r.stdout) as Record<string, { code?: string; offset?: number; message?: string; ok?: unknown }>;
    expect(o.all).toEqual({
      code: 'ERR_TRUNCATED',
      offset: 10000,
      message: `${f}: flush: the file shrank to 10000 bytes under the map (the flushed range ends at 0x5000): bytes written past its end were lost, not flushed`,
    });
    expect(o.lost).toMatchObject({ code: 'ERR_TRUNCATED', offset: 10000 });
    expect(o.kept).toEqual({ ok: { offset: 4096, length: 4096 } });
    const back = readFileSync(f);
    expect([back.length, back[4097]]).toEqual([10000, 0x61]);
  });
});
