import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, fingerprint, mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
beforeAll(() => requireBuild());
let n = 0;
function file(content: Uint8Array | string): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, content);
  return p;
}
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('mmapx diff', () => {
  it('emits_a_guarded_patch_that_turns_old_into_new_and_reapplies_as_already', () => {
    const a = file('Hello, world! This is the old text.\n');
    const b = file('Hello, World! This is the new text.\n');
    const r = mmapx(['diff', a, b]);
    expectSuccess(r);
    expect(r.stdout).toBe(`# mmapx diff: turns ${a} into ${b}\n0x7: 77 -> 57\n0x1a: 6f 6c 64 -> 6e 65 77\n`);
    const p = join(dir, `d${n++}.patch`);
    expectSuccess(mmapx(['diff', a, b, '-o', p]));
    expect(readFileSync(p, 'utf8')).toBe(r.stdout);
    const c = file(readFileSync(a));
    expectSuccess(mmapx(['patch', c, p]));
    expect(readFileSync(c)).toEqual(readFileSync(b));
    expect(mmapx(['patch', c, p]).stderr).toMatch(/^already applied/);
    // Applied to NEW it is already applied; to a third file its guards fail.
    expect(mmapx(['patch', b, p]).stderr).toMatch(/^already applied/);
    const other = file('Hello, wxrld! This is the odd text.\n');
    expectFailure(mmapx(['patch', other, p]), 3, /guards? failed, nothing written/);
  });

  it('expresses_a_size_change_that_needs_grow_or_truncate', () => {
    const a = file('abc');
    const b = file('abcdef');
    const r = mmapx(['diff', a, b]);
    expect(r.stdout).toBe(`# mmapx diff: turns ${a} into ${b}\nsize before 0x3\nsize after 0x6\n0x3: 00 00 00 -> 64 65 66\n`);
    const p = file(r.stdout);
    const c = file('abc');
    expectFailure(mmapx(['patch', c, p]), 2, /size after 0x6 grows the file from 0x3; growing needs --grow$/);
    expectSuccess(mmapx(['patch', c, p, '--grow']));
    expect(readFileSync(c, 'latin1')).toBe('abcdef');
    const back = file(mmapx(['diff', b, a]).stdout);
    expectFailure(mmapx(['patch', c, back]), 2, /shrinking needs --truncate$/);
    expectSuccess(mmapx(['patch', c, back, '--truncate']));
    expect(readFileSync(c, 'latin1')).toBe('abc');
  });

  it('sha256_guards_on_request', () => {
    const a = file('one');
    const b = file('two');
    const out = mmapx(['diff', a, b, '--sha256']).stdout;
    expect(out).toMatch(/\nsha256 before [0-9a-f]{64}\nsha256 after [0-9a-f]{64}\n$/);
    const c = file('onf');
    expectFailure(mmapx(['patch', c, file(out)]), 3, /guards? failed/);
  });

  it.skipIf(!has('cmp'))('format_cmp_equals_cmp_l', () => {
    const a = file(Buffer.from([1, 2, 3, 4, 5, 200, 7]));
    const b = file(Buffer.from([1, 9, 3, 4, 5, 100, 7, 8, 9]));
    const r = mmapx(['diff', a, b, '--format', 'cmp']);
    expectSuccess(r);
    const peer = spawnSync('cmp', ['-l', a, b], { encoding: 'utf8' });
    expect(r.stdout).toBe(peer.stdout);
    expect(r.stderr).toBe(`mmapx: diff: EOF on ${a} after byte 7\n`);
  });

  it('json_report_and_ips', () => {
    const a = file('aaaa');
    const b = file('abca');
    const j = JSON.parse(mmapx(['--json', 'diff', a, b]).stdout);
    expect(j).toMatchObject({
      command: 'diff',
      ok: true,
      format: 'native',
      sizeOld: 4,
      sizeNew: 4,
      identical: false,
      hunks: 1,
      bytesChanged: 2,
      output: null,
      sha256: null,
    });
    expect(j.patch).toContain('0x1: 61 61 -> 62 63');
    expect(JSON.parse(mmapx(['--json', 'diff', a, a]).stdout)).toMatchObject({ identical: true, hunks: 0 });
    const ips = join(dir, `x${n++}.ips`);
    expectSuccess(mmapx(['diff', a, b, '--format', 'ips', '-o', ips]));
    expect(readFileSync(ips)).toEqual(Buffer.concat([Buffer.from('PATCH'), Buffer.from('000001000262' + '63', 'hex'), Buffer.from('EOF')]));
    const c = file('aaaa');
    expectSuccess(mmapx(['patch', c, ips, '--format', 'ips']));
    expect(readFileSync(c, 'latin1')).toBe('abca');
  });

  it('refuses_to_overwrite_an_input_and_names_the_missing_file', () => {
    const a = file('a');
    const fp = fingerprint(a);
    expectFailure(mmapx(['diff', a, a, '-o', a]), 2, `mmapx: diff: ${a}: -o ${a} is one of the files being compared`);
    expect(fingerprint(a)).toBe(fp);
    const missing = join(dir, 'missing');
    expectFailure(mmapx(['diff', a, missing]), 1, `mmapx: diff: ${missing}: no such file or directory (ENOENT)`);
  });

  it('diff_then_patch_round_trips_random_file_pairs (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 30 }),
        fc.integer({ min: -40, max: 40 }),
        (a, edits, resize) => {
          const bBytes = new Uint8Array(Math.max(0, a.length + resize));
          bBytes.set(a.subarray(0, bBytes.length));
          for (const [i, v] of edits) if (bBytes.length > 0) bBytes[i % bBytes.length] = v;
          const pa = file(a);
          const pb = file(bBytes);
          const patch = join(dir, `rt${n++}.patch`);
          expectSuccess(mmapx(['diff', pa, pb, '-o', patch]));
          const c = file(a);
          // Identical files give a patch with no hunk: refused as empty unless --allow-empty.
          const same = Buffer.compare(Buffer.from(a), Buffer.from(bBytes)) === 0;
          if (same) expectFailure(mmapx(['patch', c, patch, '--grow', '--truncate', '--no-hash']), 2, /has no hunk: .*--allow-empty accepts it$/);
          const flags = ['--grow', '--truncate', '--no-hash', ...(same ? ['--allow-empty'] : [])];
          expectSuccess(mmapx(['patch', c, patch, ...flags]));
          expect(Buffer.compare(readFileSync(c), Buffer.from(bBytes))).toBe(0);
          const again = mmapx(['patch', c, patch, ...flags]);
          expectSuccess(again);
          expect(again.stderr).toMatch(/^already applied/);
        },
      ),
      { numRuns: 8 },
    );
  });
});

describe('mmapx find', () => {
  const content = Buffer.concat([
    Buffer.alloc(100),
    Buffer.from('needle'),
    Buffer.alloc(50),
    Buffer.from('needle'),
    Buffer.alloc(10),
    Buffer.from([0x74, 0x05, 0x74, 0x15]),
  ]);

  it('prints_hex_offsets_of_hex_patterns_with_wildcards_and_of_text', () => {
    const p = file(content);
    expect(mmapx(['find', p, '6e 65 65 64']).stdout).toBe('0x64\n0x9c\n');
    expect(mmapx(['find', p, '--text', 'needle']).stdout).toBe('0x64\n0x9c\n');
    expect(mmapx(['find', p, '74 ?5']).stdout).toBe('0xac\n0xae\n');
    expect(mmapx(['find', p, '74 ??', '--count']).stdout).toBe('2\n');
    expect(mmapx(['find', p, '00 00', '--count']).stdout).toBe(`${99 + 49 + 9}\n`); // overlapping matches
  });

  it('max_range_and_json', () => {
    const p = file(content);
    expect(mmapx(['find', p, '--text', 'needle', '--max', '1']).stdout).toBe('0x64\n');
    expect(mmapx(['find', p, '--text', 'needle', '--range', '0x65..']).stdout).toBe('0x9c\n');
    expect(mmapx(['find', p, '--text', 'needle', '--range', '0x64:6']).stdout).toBe('0x64\n');
    expect(JSON.parse(mmapx(['--json', 'find', p, '--text', 'needle', '--max', '1']).stdout)).toMatchObject({
      command: 'find',
      ok: true,
      pattern: '"needle"',
      matches: [0x64],
      count: 1,
      truncated: true,
    });
    expect(JSON.parse(mmapx(['--json', 'find', p, '6e65', '--max', '2']).stdout)).toMatchObject({
      pattern: '6e 65',
      matches: [0x64, 0x9c],
      count: 2,
      truncated: false,
    });
    expect(JSON.parse(mmapx(['--json', 'find', p, '6e65', '--count']).stdout)).toMatchObject({ matches: null, count: 2 });
  });

  it('finds_matches_that_straddle_scan_windows_and_thread_chunks_in_a_big_sparse_file', () => {
    // 256 MiB windows and chunks: a match across the first edge, one at the end.
    const MiB = 1024 * 1024;
    const p = join(dir, `big${n++}.bin`);
    writeFileSync(p, '');
    const fs = require('node:fs');
    fs.truncateSync(p, 520 * MiB);
    const fd = fs.openSync(p, 'r+');
    fs.writeSync(fd, Buffer.from('cafe'), 0, 4, 256 * MiB - 2);
    fs.writeSync(fd, Buffer.from('cafe'), 0, 4, 520 * MiB - 4);
    fs.closeSync(fd);
    const both = `0x${(256 * MiB - 2).toString(16)}\n0x${(520 * MiB - 4).toString(16)}\n`;
    expect(mmapx(['find', p, '--text', 'cafe']).stdout).toBe(both);
    // Counting on three threads (three chunks) finds the same.
    expect(mmapx(['find', p, '--text', 'cafe', '--count'], { env: { MMAPX_THREADS: '3' } }).stdout).toBe('2\n');
    expect(mmapx(['find', p, '--text', 'cafe', '--count', '--range', '1..-1'], { env: { MMAPX_THREADS: '3' } }).stdout).toBe('1\n');
    const r = mmapx(['--json', 'patch', p, '--find', '63 61 66 65', '--replace', '43 41 46 45', '--all', '--no-hash'], { env: { MMAPX_THREADS: '3' } });
    expectSuccess(r);
    expect(JSON.parse(r.stdout).hunks.applied).toBe(2);
    expect(mmapx(['find', p, '--text', 'CAFE', '--count']).stdout).toBe('2\n');
    // With the report's hashes (--hash): the result's hash is computed on a second thread.
    const back = JSON.parse(
      mmapx(['--json', 'patch', p, '--find', '43 41 46 45', '--replace', '63 61 66 65', '--all', '--hash'], { env: { MMAPX_THREADS: '2' } }).stdout,
    );
    expect(back.status).toBe('applied');
    const now = JSON.parse(mmapx(['--json', 'patch', p, '--edit', '0=00', '--hash']).stdout);
    expect(now.status).toBe('already');
    expect(back.sha256.after).toBe(now.sha256.before);
  });

  it('nothing_found_exits_3_with_one_line; bad input exits 2', () => {
    const p = file(content);
    expectFailure(mmapx(['find', p, 'de ad']), 3, `mmapx: find: ${p}: no match for de ad`);
    const c = mmapx(['find', p, 'dead', '--count']);
    expectFailure(c, 3, `mmapx: find: ${p}: no match for de ad`);
    expect(c.stdout).toBe('0\n');
    expect(JSON.parse(mmapx(['--json', 'find', p, 'dead']).stdout)).toMatchObject({ ok: false, exitCode: 3, count: 0, matches: [] });
    expectFailure(mmapx(['find', p, 'de a']), 2, `mmapx: find: ${p}: bad hex pattern "de a": odd number of hex digits in "a" at position 3`);
    expectFailure(mmapx(['find', p, '?? ??']), 2, `mmapx: find: ${p}: bad hex pattern "?? ??": needs at least one fixed nibble`);
    expectFailure(mmapx(['find', p, '00', '--range', '0..999']), 2, `mmapx: find: ${p}: range 0..999 ends past the end of the file (size 176)`);
    expectFailure(mmapx(['find', p, '00', '--max', '0']), 2, `mmapx: find: ${p}: --max 0 must be at least 1`);
  });

  it('stats_on_stderr', () => {
    const p = file(content);
    const r = mmapx(['find', p, '--text', 'needle', '--stats']);
    expect(r.stdout).toBe('0x64\n0x9c\n');
    expect(r.stderr).toMatch(/^2 matches of "needle" in 0x0..0xb0 of .* in [\d.]+ ms: .*scan [\d.]+\n$/);
  });
});
