// The CLI's core commands end to end, written to run unchanged on every platform: on Linux in the
// suite, and on Windows under Wine (.ci/win-x64), where paths have drive letters and backslashes
// and patch files may have CRLF line ends. The hexdump is compared with one literal, so the output
// is byte-identical across platforms. Few runs: each costs ~0.5 s of CPU under Wine.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, fingerprint, mmapx } from '../helpers/cli.js';
import { identity, journalBytes, putJournal } from '../helpers/journal.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
beforeAll(() => requireBuild());

const TEXT = 'hello world, this is a test file\n';

describe('core commands on every platform', () => {
  it('version_write_and_a_hexdump_byte_identical_to_linux', () => {
    const v = mmapx(['--version']);
    expectSuccess(v);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    const p = join(dir, 'w.bin');
    writeFileSync(p, TEXT);
    const w = mmapx(['write', p, '0', '4849']);
    expectSuccess(w);
    expect(w.stderr).toMatch(/^wrote 2 bytes at 0x0 \(68 65 -> 48 49\) in /);
    const h = mmapx(['hexdump', p]);
    expectSuccess(h);
    expect(h.stdout).toBe(
      '00000000  48 49 6c 6c 6f 20 77 6f  72 6c 64 2c 20 74 68 69  |HIllo world, thi|\n' +
        '00000010  73 20 69 73 20 61 20 74  65 73 74 20 66 69 6c 65  |s is a test file|\n' +
        '00000020  0a                                                |.|\n' +
        '00000021\n',
    );
  });

  it('a_crlf_patch_with_its_journal_then_already_applied_then_truncated', () => {
    const p = join(dir, 'p.bin');
    writeFileSync(p, TEXT);
    const patch = join(dir, 'p.patch');
    writeFileSync(patch, '# a patch written on Windows\r\n0x0: 68656c6c6f -> 4a454c4c4f\r\n6: 776f726c64 -> 574f524c44\r\n');
    const r = mmapx(['patch', p, patch]);
    expectSuccess(r);
    expect(r.stderr).toMatch(/^patched .*: 2 hunks applied \(10 bytes changed\) in .*journal/);
    expect(readFileSync(p, 'latin1')).toBe('JELLO WORLD, this is a test file\n');
    expect(existsSync(join(dir, '.p.bin.mmapx-journal'))).toBe(false);
    expect(mmapx(['patch', p, patch]).stderr).toMatch(/^already applied: /);
    // A shrinking patch: Windows cannot cut a mapped file, so the map is gone before the cut.
    const cut = join(dir, 'cut.patch');
    writeFileSync(cut, '0x0: 4a -> 6a\r\nsize after 0x10\r\n');
    expectSuccess(mmapx(['patch', '--truncate', p, cut]));
    expect(readFileSync(p, 'latin1')).toBe('jELLO WORLD, thi');
  });

  it('recover_rolls_back_an_interrupted_patch_and_writes_wait_for_it', () => {
    const p = join(dir, 'r.bin');
    const original = Buffer.from('0123456789abcdefghijklmnopqrstuv');
    writeFileSync(p, original);
    const j = join(dir, '.r.bin.mmapx-journal');
    putJournal(j, journalBytes({ ...identity(p), sizeBefore: 32, sizeAfter: 32, records: [{ offset: 2, bytes: Buffer.from('23') }] }));
    // The patch had written its first hunk, then died.
    writeFileSync(p, Buffer.from('01XX456789abcdefghijklmnopqrstuv'));
    const before = fingerprint(p);
    const w = mmapx(['write', p, '0', '00']);
    expectFailure(w, 1, /journal/);
    expect(fingerprint(p)).toBe(before);
    const r = mmapx(['recover', p]);
    expectSuccess(r);
    expect(r.stderr).toMatch(/^recovered .*: restored 1 range \(2 bytes\) from the journal/);
    expect(readFileSync(p)).toEqual(original);
    expect(existsSync(j)).toBe(false);
  });

  it('protect_ro_is_checked_with_the_system', () => {
    const p = join(dir, 'ro.bin');
    writeFileSync(p, TEXT);
    const r = mmapx(['protect', p, 'ro']);
    expectSuccess(r);
    expect(r.stdout).toMatch(/ 0x0\.\.0x21 mapped r--s at [0-9a-f]+-[0-9a-f]+ \(checked in (\/proc\/self\/maps|VirtualQuery), read ok\) in /);
  });
});
