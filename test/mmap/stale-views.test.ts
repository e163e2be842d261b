// A view must never outlive its mapping: touching it after unmap() or a protection change must not
// kill the process. Each scenario runs in a child process, so a crash shows up as a signal.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, requireBuild, runModule } from '../helpers/child.js';
import { tmpDir } from '../helpers/tmp.js';
import { posixIt } from '../helpers/platform.js';

const dir = tmpDir();
beforeAll(() => requireBuild());

function survive(code: string, file?: string) {
  const r = runModule(code, { args: file ? [file] : [], nodeArgs: ['--expose-gc'] });
  expect(r.signal, `child died by ${r.signal}; stderr: ${r.stderr}`).toBeNull();
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

describe('stale views', () => {
  it('a_view_after_unmap_reads_zeros_keeps_its_own_writes_and_never_reaches_the_file', () => {
    const f = join(dir, 'unmap.bin');
    writeFileSync(f, Buffer.alloc(8192, 0x41));
    const out = survive(
      `import { openSync } from 'node:fs';
       import { MmapMut } from $LIB;
       const fd = openSync(process.argv[1], 'r+');
       const m = MmapMut.mapMut(fd);
       const v = m.bytes;
       m.unmap();
       const read = v[100];
       v[100] = 0x42; v.fill(0x43, 200);
       const fresh = MmapMut.mapMut(fd);   // a new map of the same file sees none of it
       fresh.flush();
       console.log(read, v[100], v[200], fresh.bytes[100], fresh.bytes[200]);
       fresh.unmap();`,
      f,
    );
    // After unmap the range is a private zero page: reads give 0, writes stay in process memory,
    // as the README and unmap()'s documentation say.
    expect(out).toBe('0 66 67 65 65');
    expect(readFileSync(f).every((b) => b === 0x41)).toBe(true);
  });

  it('the_docs_say_what_a_stale_view_does', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const library = readme.slice(readme.indexOf('## The library'), readme.indexOf('## Performance'));
    const types = ['mmap.d.ts', 'windows.d.ts'].map((n) => readFileSync(join(ROOT, 'dist/lib/types/mmap', n), 'utf8')).join('\n');
    // Nothing claims that writes to a cut-off page vanish: they stay, in this process.
    for (const text of [library, types]) expect(text).not.toMatch(/go(es)? nowhere|went nowhere|inert/);
    expect(library).toMatch(
      /Stale views\.\*\* A `bytes` view taken before `unmap\(\)` or a protection change never crashes the\s+process, but it is cut off from the file: it reads zeros, and what is written into it stays in\s+private memory of this process \(it reads back through that stale view\) and never reaches the\s+file or any other map/,
    );
    expect(types).toMatch(
      /it reads zeros, and what is written into it stays\s+\* there, seen by that stale view only, and never reaches the file or any other map/,
    );
  });

  it('a_view_after_make_read_only_is_cut_off_and_the_new_view_has_the_data', () => {
    const f = join(dir, 'ro.bin');
    writeFileSync(f, Buffer.alloc(8192, 0x41));
    const out = survive(
      `import { openSync } from 'node:fs';
       import { MmapMut } from $LIB;
       const m = MmapMut.mapMut(openSync(process.argv[1], 'r+'));
       const old = m.bytes;
       old[0] = 0x31;
       const ro = m.makeReadOnly();
       old[1] = 0x32;            // would be SIGSEGV on a read-only page; must go nowhere
       console.log(old[0], ro.bytes[0], ro.bytes[1]);`,
      f,
    );
    expect(out).toBe('0 49 65');
    const back = readFileSync(f);
    expect([back[0], back[1]]).toEqual([0x31, 0x41]);
  });

  it('views_after_exec_and_none_changes_on_anon_maps', () => {
    const out = survive(
      `import { MmapMut } from $LIB;
       const m = MmapMut.mapAnon(4096);
       const v1 = m.bytes; v1[0] = 7;
       const x = m.makeExec();
       const v2 = x.bytes;
       const none = x.makeNone();
       v1[0] = 1; v2[0] = 2;     // neither may fault, neither may reach the live map
       const back = none.makeMut();
       console.log(back.bytes[0], v1[0], v2[0]);
       back.unmap();
       console.log(back.isMapped);`,
    );
    expect(out).toBe('7 1 2\nfalse');
  });

  it('a_view_of_a_copy_map_after_unmap', () => {
    const f = join(dir, 'copy.bin');
    writeFileSync(f, 'copy on write');
    const out = survive(
      `import { openSync } from 'node:fs';
       import { MmapOptions } from $LIB;
       const m = new MmapOptions().offset(5).mapCopy(openSync(process.argv[1], 'r'));
       const v = m.bytes; v[0] = 0x21;
       m.unmap();
       console.log(v.length, v[0]);`,
      f,
    );
    expect(out).toBe('8 0');
  });

  posixIt('reads /proc/self/maps')('the_placeholder_is_given_back_when_the_view_is_collected', () => {
    const out = survive(
      `import { readFileSync } from 'node:fs';
       import { MmapMut } from $LIB;
       const mapped = (start) => readFileSync('/proc/self/maps', 'latin1').split('\\n')
         .some((l) => l.startsWith(start.toString(16) + '-'));
       let m = MmapMut.mapAnon(1 << 20);
       const { start } = m.addressRange();
       let v = m.bytes; v[0] = 1;
       m.unmap(); m = undefined;
       const during = mapped(start);
       v = undefined;
       for (let i = 0; i < 20 && mapped(start); i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
       // An owner dropped without unmap() is cleaned up as well.
       let owner = MmapMut.mapAnon(1 << 20);
       const s2 = owner.addressRange().start;
       owner = undefined;
       for (let i = 0; i < 20 && mapped(s2); i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
       console.log(during, mapped(start), mapped(s2));`,
    );
    expect(out).toBe('true false false');
  });

  it('a_view_outlives_a_dropped_owner_with_its_data', () => {
    const out = survive(
      `import { MmapMut } from $LIB;
       const v = (() => { const m = MmapMut.mapAnon(4096); m.bytes[9] = 9; return m.bytes; })();
       for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
       console.log(v[9]);`,
    );
    expect(out).toBe('9');
  });
});
