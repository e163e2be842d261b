import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, expectSuccess, fingerprint, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { WINDOWS } from '../helpers/platform.js';
import { posixIt } from '../helpers/platform.js';

const dir = tmpDir();
beforeAll(() => requireBuild());
let n = 0;
function file(content: Uint8Array | string, name = `p${n++}.bin`): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
const sha256 = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

// A small "binary": a licence check `84 c0 74 05` at 0x14, a second call site at 0x34.
const PROG = hex(
  '90909090 90909090 90909090 90909090' + 'e8112233 84c07405 90909090 90909090' + '90909090 90909090 90909090 90909090' + 'e8445566 84c07405 90909090 90909090',
);

function journalsIn(d: string): string[] {
  return readdirSync(d).filter((f) => f.includes('mmapx-journal'));
}

describe('mmapx patch: native patch files', () => {
  it('applies_a_guarded_patch_then_reports_already_applied', () => {
    const p = file(PROG);
    const patch = file('# fix\n0x16: 74 05 -> eb 05   # skip the check\nfind e8 44 55 66 (once) +6: 74 -> eb\n', `fix${n}.patch`);
    const r = mmapx(['patch', p, patch]);
    expectSuccess(r);
    expect(r.stdout).toBe('');
    // No whole-file hash by default: no digests, no hash phase.
    expect(r.stderr).toMatch(
      /^patched .*: 2 hunks applied \(2 bytes changed\) in [\d.]+ ms: parse .*journal .*write .*writeback .*fdatasync .*cleanup [\d.]+\n$/,
    );
    expect(r.stderr).not.toMatch(/sha256|hash/);
    const after = readFileSync(p);
    expect(after[0x16]).toBe(0xeb);
    expect(after[0x36]).toBe(0xeb);
    expect(after.subarray(0x17)).toEqual(Buffer.concat([PROG.subarray(0x17, 0x36), Buffer.of(0xeb), PROG.subarray(0x37)]));
    expect(journalsIn(dir)).toEqual([]);
    const mtime = statSync(p).mtimeMs;
    const again = mmapx(['patch', p, patch]);
    expectSuccess(again);
    expect(again.stderr).toMatch(/^already applied: .* holds the new bytes of 2 hunks, nothing written in /);
    const hashed = mmapx(['patch', p, patch, '--hash']);
    expectSuccess(hashed);
    expect(hashed.stderr).toMatch(
      new RegExp(`^already applied: .* holds the new bytes of 2 hunks, nothing written; sha256 ${sha256(after).slice(0, 12)}… in `),
    );
    expect(statSync(p).mtimeMs).toBe(mtime);
  });

  it('guard_failures_exit_3_list_every_failure_and_change_nothing', () => {
    const p = file(PROG);
    const fp = fingerprint(p);
    const patch = file('0x16: 75 05 -> eb 05\n0x00: 90 -> cc\n0x04: 00 -> cc\nfind de ad (once): be ef\n', `bad${n}.patch`);
    const r = mmapx(['patch', p, patch]);
    expectFailure(r, 3, `mmapx: patch: ${p}: 3 guards failed, nothing written: ${patch} line 1: at 0x16 expected 75 05, found 74 05 (and 2 more)`);
    expect(r.stdout.split('\n')).toEqual([
      `FAILED ${patch} line 1: at 0x16 expected 75 05, found 74 05`,
      `FAILED ${patch} line 3: at 0x4 expected 00, found 90`,
      `FAILED ${patch} line 4: find de ad matched nothing; expected once`,
      '',
    ]);
    expect(fingerprint(p)).toBe(fp);
    const j = mmapx(['--json', 'patch', p, patch]);
    expect(j.status).toBe(3);
    const report = JSON.parse(j.stdout);
    expect(report).toMatchObject({ command: 'patch', ok: false, exitCode: 3, status: 'failed', hunks: { total: 3, applied: 1, already: 0, failed: 2 } });
    expect(report.failedHunks).toEqual([
      { source: `${patch} line 3`, offset: 4, expected: '00', actual: '90' },
      { source: `${patch} line 1`, offset: 0x16, expected: '7505', actual: '7405' },
    ]);
    expect(report.failures).toHaveLength(3);
    expect(report.error.message).toMatch(/^3 guards failed/);
    expect(fingerprint(p)).toBe(fp);
  });

  it('an_anchor_matching_twice_when_once_is_expected_fails_its_guard', () => {
    const p = file(PROG);
    const fp = fingerprint(p);
    const patch = file('find 84 c0 74 05: 84 c0 eb 05\n', `twice${n}.patch`);
    expectFailure(
      mmapx(['patch', p, patch]),
      3,
      `mmapx: patch: ${p}: 1 guard failed, nothing written: ${patch} line 1: find 84 c0 74 05 matched 2 times at 0x14, 0x34; expected once`,
    );
    expect(fingerprint(p)).toBe(fp);
    expectSuccess(mmapx(['patch', p, file('find 84 c0 74 05 (2 times): 84 c0 eb 05\n', `two${n}.patch`)]));
    expect([readFileSync(p)[0x16], readFileSync(p)[0x36]]).toEqual([0xeb, 0xeb]);
  });

  const malformed: [string, string, RegExp | string][] = [
    ['a bad hex digit', '0x10: 90\n0x16: 74 0z -> eb 05\n', "line 2, col 11: 'z' is not a hex digit"],
    ['odd digits', '0x16: 7 -> eb\n', 'line 1, col 7: odd number of hex digits'],
    [
      'an xxd offset',
      '00000010: 90\n',
      "line 1, col 1: '00000010' is not a number (write hex as 0x..., decimal without leading zeros) (this looks like a hex dump: use --format xxd)",
    ],
    ['lengths differ', '0x16: 74 05 -> eb\n', 'line 1, col 13: old has 2 byte(s) but new has 1: a change keeps the length'],
    ['an unknown statement', 'hello world\n', "line 1, col 1: expected 'OFFSET: bytes', 'find PATTERN: bytes', 'size ...' or 'sha256 ...'"],
  ];
  for (const [name, text, message] of malformed) {
    it(`a_malformed_line_exits_2_naming_line_and_column: ${name}`, () => {
      const p = file(PROG);
      const fp = fingerprint(p);
      const patch = file(text, `m${n}.patch`);
      expectFailure(mmapx(['patch', p, patch]), 2, `mmapx: patch: ${p}: ${patch} ${message}`);
      expect(fingerprint(p)).toBe(fp);
    });
  }

  it('overlapping_hunks_exit_2_naming_both_lines', () => {
    const p = file(PROG);
    const fp = fingerprint(p);
    const patch = file('0x14: 84 c0 -> 00 00\n0x15: c0 74 -> 00 00\n', `ov${n}.patch`);
    expectFailure(mmapx(['patch', p, patch]), 2, `mmapx: patch: ${p}: ${patch} line 1 and ${patch} line 2 overlap at 0x15..0x16`);
    expect(fingerprint(p)).toBe(fp);
  });

  it('hunks_past_the_end_need_grow_and_the_growth_is_zero_filled', () => {
    const p = file('abc');
    const fp = fingerprint(p);
    const patch = file('0x5: 41 42\n', `grow${n}.patch`);
    expectFailure(
      mmapx(['patch', p, patch]),
      2,
      `mmapx: patch: ${p}: ${patch} line 1: the change at 0x5..0x7 ends past the end of the file (size 0x3); growing the file needs --grow`,
    );
    expect(fingerprint(p)).toBe(fp);
    const r = mmapx(['patch', p, patch, '--grow']);
    expectSuccess(r);
    expect(r.stderr).toMatch(/, size 3 -> 7 in /);
    expect([...readFileSync(p)]).toEqual([0x61, 0x62, 0x63, 0, 0, 0x41, 0x42]);
    expectSuccess(mmapx(['patch', p, patch, '--grow']));
  });

  it('reads_the_patch_from_stdin', () => {
    const p = file(PROG);
    expectSuccess(mmapx(['patch', p, '-'], { input: '0x16: 74 -> eb\n' }));
    expect(readFileSync(p)[0x16]).toBe(0xeb);
    expectFailure(mmapx(['patch', p, '-'], { input: '0x16: zz\n' }), 2, `mmapx: patch: ${p}: stdin line 1, col 7: 'z' is not a hex digit`);
  });

  it('hints_at_the_format_of_a_patch_that_is_not_native', () => {
    const p = file(PROG);
    const ips = file(Buffer.concat([Buffer.from('PATCH'), hex('000016 0001 eb'), Buffer.from('EOF')]), `h${n}.ips`);
    expectFailure(mmapx(['patch', p, ips]), 2, /use --format ips\)$/);
    const dump = file('00000010: e811 2233 84c0 eb05  ..".....\n', `h${n}.hex`);
    expectFailure(mmapx(['patch', p, dump]), 2, /use --format xxd\)$/);
  });
});

describe('mmapx patch: --edit and --find/--replace', () => {
  it('applies_edits_with_and_without_guards_together_with_a_patch_file', () => {
    const p = file(PROG);
    const patch = file('0x16: 74 -> eb\n', `e${n}.patch`);
    // A PATCH file together with --edit goes with --patch (two arguments and --edit are refused: see multi.test.ts).
    const r = mmapx(['--json', 'patch', p, '--patch', patch, '--edit', '0:90=cc', '--edit', '-1=ff']);
    expectSuccess(r);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ status: 'applied', sources: [patch, '--edit x2'], hunks: { total: 3, applied: 3 }, bytesChanged: 3 });
    const b = readFileSync(p);
    expect([b[0], b[0x16], b[63]]).toEqual([0xcc, 0xeb, 0xff]);
  });

  it('find_replace_once_all_or_exactly_count', () => {
    const p = file(PROG);
    const fp = fingerprint(p);
    expectFailure(
      mmapx(['patch', p, '--find', '84 c0 74 05', '--replace', '84 c0 eb 05']),
      3,
      `mmapx: patch: ${p}: 1 guard failed, nothing written: --find #1: find 84 c0 74 05 matched 2 times at 0x14, 0x34; expected once`,
    );
    expectFailure(
      mmapx(['patch', p, '--find', '84 c0 74 05', '--replace', '84 c0 eb 05', '--count', '3']),
      3,
      /matched 2 times at 0x14, 0x34; expected 3 times$/,
    );
    expect(fingerprint(p)).toBe(fp);
    const r = mmapx(['--json', 'patch', p, '--find', 'e8 ?? ?? ?? 84 c0 7?', '--replace', 'e8 00 00 00 84 c0 eb', '--all']);
    expectSuccess(r);
    expect(JSON.parse(r.stdout).hunks).toEqual({ total: 2, applied: 2, already: 0, failed: 0 });
    expect(readFileSync(p).subarray(0x30, 0x38)).toEqual(hex('e8000000 84c0eb05'));
    // Rerun: the pattern now matches in its patched form: already applied.
    expect(mmapx(['patch', p, '--find', 'e8 ?? ?? ?? 84 c0 7?', '--replace', 'e8 00 00 00 84 c0 eb', '--all']).stderr).toMatch(/^already applied/);
  });

  it('rejects_inconsistent_options_with_exit_2', () => {
    const p = file(PROG);
    expectFailure(mmapx(['patch', p]), 2, `mmapx: patch: ${p}: nothing to apply: give a PATCH file (or - for stdin), --edit, or --find/--replace`);
    expectFailure(mmapx(['patch', p, '--find', '74']), 2, `mmapx: patch: ${p}: --find needs --replace (to only search, use mmapx find)`);
    expectFailure(
      mmapx(['patch', p, '--find', '7405', '--replace', 'eb']),
      2,
      `mmapx: patch: ${p}: --replace has 1 byte(s) but --find has 2: a replacement keeps the length`,
    );
    expectFailure(
      mmapx(['patch', p, '--edit', '0x16:74=eb05']),
      2,
      `mmapx: patch: ${p}: --edit '0x16:74=eb05', col 8: old has 1 byte(s) but new has 2: an edit keeps the length`,
    );
    expectFailure(mmapx(['patch', p, '--edit', '0=00', '--all']), 2, `mmapx: patch: ${p}: --all only goes with --find/--replace`);
    expectFailure(mmapx(['patch', p, '--edit', '0=00', '--format', 'ips']), 2, `mmapx: patch: ${p}: --format ips describes a PATCH file, and none was given`);
  });
});

describe('mmapx patch: dumps and IPS', () => {
  it('applies_a_hand_edited_xxd_dump_in_place', () => {
    const p = file(PROG);
    const dump = file('00000010: e811 2233 84c0 eb05 9090 9090 9090 9090  ..".....\n', `x${n}.hex`);
    const r = mmapx(['patch', p, dump, '--format', 'xxd']);
    expectSuccess(r);
    expect(r.stderr).toMatch(/1 hunk applied \(1 byte changed\)/);
    expect(readFileSync(p)).toEqual(Buffer.concat([PROG.subarray(0, 0x16), Buffer.of(0xeb), PROG.subarray(0x17)]));
  });

  it('applies_a_hexdump_C_dump_with_bytes_8_to_15_that_xxd_r_would_lose', () => {
    const target = Buffer.alloc(32, 0x11);
    const p = file(target);
    // Bytes 8-15 of the line (after the two-space gap) are the ones xxd -r drops.
    const dump = '00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|\n00000010\n';
    const d = file(dump, `hd${n}.txt`);
    expectSuccess(mmapx(['patch', p, d, '--format', 'xxd']));
    const want = Buffer.concat([Buffer.from([...Array(16).keys()]), Buffer.alloc(16, 0x11)]);
    expect(readFileSync(p)).toEqual(want);
    if (has('xxd')) {
      const q = file(target);
      spawnSync('sh', ['-c', `xxd -r "${d}" "${q}"`]);
      expect(readFileSync(q)).not.toEqual(want); // the peer loses bytes: the reason this exists
    }
  });

  it('rejects_a_malformed_dump_line_with_its_line_number', () => {
    const p = file(PROG);
    const fp = fingerprint(p);
    const d = file('00000000: 9090 9090\n00000004: 90zz\n', `bad${n}.hex`);
    expectFailure(mmapx(['patch', p, d, '--format', 'xxd']), 2, `mmapx: patch: ${p}: ${d} line 2, col 13: 'z' is not a hex digit`);
    expect(fingerprint(p)).toBe(fp);
  });

  it('applies_ips_records_rle_and_the_truncation_extension', () => {
    const p = file(Buffer.alloc(16, 0xaa));
    const ips = file(
      Buffer.concat([Buffer.from('PATCH'), hex('000002 0002 beef'), hex('000010 0000 0004 cc'), Buffer.from('EOF'), hex('000018')]),
      `r${n}.ips`,
    );
    const fp = fingerprint(p);
    expectFailure(mmapx(['patch', p, ips, '--format', 'ips']), 2, /size after 0x18 grows the file from 0x10; growing needs --grow$/);
    expect(fingerprint(p)).toBe(fp);
    expectSuccess(mmapx(['patch', p, ips, '--format', 'ips', '--grow']));
    expect(readFileSync(p)).toEqual(Buffer.concat([hex('aaaa beef'), Buffer.alloc(12, 0xaa), Buffer.alloc(4, 0xcc), Buffer.alloc(4)]));
    expect(mmapx(['patch', p, ips, '--format', 'ips', '--grow']).stderr).toMatch(/^already applied/);
    // Truncation below the current size needs --truncate.
    const cut = file(Buffer.concat([Buffer.from('PATCH'), Buffer.from('EOF'), hex('000008')]), `cut${n}.ips`);
    expectFailure(mmapx(['patch', p, cut, '--format', 'ips']), 2, /shrinking needs --truncate$/);
    expectSuccess(mmapx(['patch', p, cut, '--format', 'ips', '--truncate']));
    expect(statSync(p).size).toBe(8);
  });

  it('rejects_a_truncated_ips_patch_naming_the_byte', () => {
    const p = file(Buffer.alloc(16));
    const fp = fingerprint(p);
    const ips = file(Buffer.concat([Buffer.from('PATCH'), hex('000002 0004 beef')]), `t${n}.ips`);
    expectFailure(
      mmapx(['patch', p, ips, '--format', 'ips']),
      2,
      `mmapx: patch: ${p}: ${ips} byte 0x5: record 1 is truncated: 4 data bytes announced, 2 present`,
    );
    expect(fingerprint(p)).toBe(fp);
  });
});

describe('mmapx patch: --dry-run, hashes, JSON', () => {
  it('dry_run_lists_old_and_new_bytes_and_the_result_hash_and_touches_nothing', () => {
    const p = file(PROG);
    const fp = fingerprint(p);
    const patch = file('0x16: 74 05 -> eb 05\n0x1f: 90 90 -> cc cc\n', `d${n}.patch`);
    const r = mmapx(['patch', p, patch, '--dry-run', '--hash']);
    expectSuccess(r);
    expect(fingerprint(p)).toBe(fp);
    const expected = Buffer.from(PROG);
    expected[0x16] = 0xeb;
    expected[0x1f] = 0xcc;
    expected[0x20] = 0xcc;
    expect(r.stdout).toBe(
      [
        `${patch} line 1: 0x16..0x18, 2 bytes`,
        '- 00000010                    74 05                           |      t.        |',
        '+ 00000010                    eb 05                           |      ..        |',
        `${patch} line 2: 0x1f..0x21, 2 bytes`,
        '- 00000010                                                90  |               .|',
        '+ 00000010                                                cc  |               .|',
        '- 00000020  90                                                |.               |',
        '+ 00000020  cc                                                |.               |',
        `sha256 before ${sha256(PROG)}`,
        `sha256 after  ${sha256(expected)}`,
        '',
      ].join('\n'),
    );
    expect(r.stderr).toMatch(/^dry run: 2 hunks would change 3 bytes of .*; the file is untouched in /);
    const j = JSON.parse(mmapx(['--json', 'patch', p, patch, '--dry-run', '--hash']).stdout);
    expect(j).toMatchObject({ status: 'dry-run', dryRun: true, bytesChanged: 3, sha256: { before: sha256(PROG), after: sha256(expected) } });
    // Without --hash: the same changes, no digests.
    const plain = mmapx(['patch', p, patch, '--dry-run']);
    expectSuccess(plain);
    expect(plain.stdout).toBe(r.stdout.replace(/sha256 .*\n/g, ''));
    expect(JSON.parse(mmapx(['--json', 'patch', p, patch, '--dry-run']).stdout)).toMatchObject({ status: 'dry-run', changes: j.changes, sha256: null });
    expect(j.changes[0]).toEqual({ source: `${patch} line 1`, offset: 0x16, length: 2, old: '7405', new: 'eb05' });
    expect(fingerprint(p)).toBe(fp);
    expectSuccess(mmapx(['patch', p, patch]));
    expect(sha256(readFileSync(p))).toBe(sha256(expected));
  });

  it('expect_result_sha256_refuses_a_different_result', () => {
    const p = file(PROG);
    const fp = fingerprint(p);
    const after = Buffer.from(PROG);
    after[0x16] = 0xeb;
    const wrong = '0'.repeat(64);
    expectFailure(
      mmapx(['patch', p, '--edit', '0x16:74=eb', '--expect-result-sha256', wrong]),
      3,
      `mmapx: patch: ${p}: guard failed, nothing written: --expect-result-sha256: the patched file would have sha256 ${sha256(after)}, expected ${wrong}`,
    );
    expect(fingerprint(p)).toBe(fp);
    expectFailure(mmapx(['patch', p, '--edit', '0x16:74=eb', '--expect-result-sha256', 'abc']), 2, /--expect-result-sha256 must be 64 hex digits/);
    expectSuccess(mmapx(['patch', p, '--edit', '0x16:74=eb', '--expect-result-sha256', sha256(after).toUpperCase()]));
    expectSuccess(mmapx(['patch', p, '--edit', '0x16:74=eb', '--expect-result-sha256', sha256(after)]));
  });

  it('sha256_guards_in_the_patch_are_checked_even_with_no_hash', () => {
    const p = file(PROG);
    const fp = fingerprint(p);
    const patch = file(`sha256 before ${'1'.repeat(64)}\n0x16: 74 -> eb\n`, `s${n}.patch`);
    expectFailure(mmapx(['patch', p, patch, '--no-hash']), 3, new RegExp(`line 1: sha256 of the file is ${sha256(PROG)}, expected 1{64}$`));
    expect(fingerprint(p)).toBe(fp);
  });

  it('json_report_has_the_documented_keys', () => {
    const p = file(PROG);
    const r = mmapx(['--json', 'patch', p, '--edit', '0x16:74=eb', '--hash']);
    expectSuccess(r);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual(
      [
        'command',
        'ok',
        'status',
        'file',
        'sources',
        'dryRun',
        'hunks',
        'sizeBefore',
        'sizeAfter',
        'bytesChanged',
        'bytesWritten',
        'windows',
        'synced',
        'sha256',
        'journal',
        'timings',
      ].sort(),
    );
    expect(j).toMatchObject({
      command: 'patch',
      ok: true,
      status: 'applied',
      hunks: { total: 1, applied: 1, already: 0, failed: 0 },
      bytesChanged: 1,
      bytesWritten: 1,
      windows: 1,
    });
    expect(j.journal.path).toMatch(/\.p\d+\.bin\.mmapx-journal$/);
    expect(j.journal.records).toBe(1);
    for (const k of ['parse', 'open', 'plan', 'hash', 'journal', 'write', 'writeback', 'fdatasync', 'cleanup', 'total'])
      expect(typeof j.timings[k], k).toBe('number');
    const noHash = JSON.parse(mmapx(['--json', 'patch', p, '--edit', '0x17:05=06', '--no-hash']).stdout);
    expect(noHash.sha256).toBeNull();
    expect(noHash.timings.hash).toBeUndefined();
  });
});

describe('mmapx patch: the journal', () => {
  it('refuses_patch_and_write_while_a_journal_exists_and_recover_clears_it', () => {
    const p = file(PROG);
    const j = join(dir, `.${basename(p)}.mmapx-journal`);
    writeFileSync(j, 'MMAPXJ'); // an incomplete journal: a patch died while writing it
    const fp = fingerprint(p);
    const msg = `a journal of an interrupted patch exists (${j}): the file may be half patched; run 'mmapx recover ${p}' first`;
    expectFailure(mmapx(['patch', p, '--edit', '0=cc']), 1, `mmapx: patch: ${p}: ${msg}`);
    expectFailure(mmapx(['write', p, '0', 'cc']), 1, `mmapx: write: ${p}: ${msg}`);
    expect(fingerprint(p)).toBe(fp);
    const r = mmapx(['recover', p]);
    expectSuccess(r);
    expect(r.stderr).toMatch(/^removed an incomplete journal \(it ends after 6 bytes, inside its header\): the interrupted patch had not written anything/);
    expect(existsSync(j)).toBe(false);
    expectSuccess(mmapx(['write', p, '0', 'cc']));
  });

  it('recover_without_a_journal_says_nothing_to_recover', () => {
    const p = file(PROG);
    const r = mmapx(['recover', p]);
    expectSuccess(r);
    expect(r.stderr).toMatch(/^nothing to recover: no journal for /);
    expect(JSON.parse(mmapx(['--json', 'recover', p]).stdout)).toMatchObject({ status: 'nothing', journal: null });
    expectFailure(mmapx(['recover', join(dir, 'missing.bin')]), 1, `mmapx: recover: ${join(dir, 'missing.bin')}: no such file or directory (ENOENT)`);
  });

  posixIt('symbolic links need a privilege on Windows, and Wine makes none that Windows programs follow')(
    'finds_the_journal_beside_the_real_file_through_a_symlink',
    () => {
      const p = file(PROG);
      const link = join(dir, `link${n++}`);
      require('node:fs').symlinkSync(p, link);
      writeFileSync(join(dir, `.${basename(p)}.mmapx-journal`), '');
      expectFailure(mmapx(['patch', link, '--edit', '0=cc']), 1, /run 'mmapx recover .*link\d+' first$/);
      expectSuccess(mmapx(['recover', link]));
      expectSuccess(mmapx(['patch', link, '--edit', '0=cc']));
      expect(readFileSync(p)[0]).toBe(0xcc);
    },
  );

  const root = process.getuid?.() === 0;
  // Windows: chmod cannot make a directory read-only there.
  it.skipIf((root && !has('setpriv')) || WINDOWS)('without_a_writable_directory_refuses_and_no_journal_patches_anyway', () => {
    const d = join(dir, `ro${n++}`);
    mkdirSync(d);
    const f = join(d, 'f');
    writeFileSync(f, 'abcd');
    // Root ignores directory modes: run as nobody, who may write the file but not the directory.
    const prefix = root ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    if (root) {
      chmodSync(dir, 0o755);
      chownSync(f, 65534, 65534);
    } else {
      chmodSync(d, 0o555);
    }
    const run = (args: string[]) => {
      const cmd = [...prefix, process.execPath, BIN, ...args];
      const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', env: PINNED_ENV });
      return { status: r.status, stderr: r.stderr };
    };
    const refused = run(['patch', f, '--edit', '0=41']);
    expect(refused.status, refused.stderr).toBe(1);
    expect(refused.stderr).toBe(
      `mmapx: patch: ${f}: cannot create the journal ${join(d, '.f.mmapx-journal')}: permission denied; a patch keeps its undo journal beside the file: make the directory writable, or use --no-journal (EACCES)\n`,
    );
    expect(readFileSync(f, 'latin1')).toBe('abcd');
    const forced = run(['patch', f, '--edit', '0=41', '--no-journal']);
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/\(no journal\)/);
    expect(readFileSync(f, 'latin1')).toBe('Abcd');
    if (!root) chmodSync(d, 0o755);
  });
});
