import { chownSync, existsSync, linkSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { spawn } from 'node:child_process';
import { BIN, expectFailure, expectSuccess, fingerprint, mmapx } from '../helpers/cli.js';
import { identity, journalBytes, putJournal } from '../helpers/journal.js';
import { tmpDir } from '../helpers/tmp.js';
import { WINDOWS, posixIt } from '../helpers/platform.js';

const dir = tmpDir();
beforeAll(() => requireBuild());
let n = 0;

/** A file, its journal path, and the file's content before an (interrupted) patch. */
function setup(original: Buffer): { p: string; j: string } {
  const name = `r${n++}.bin`;
  const p = join(dir, name);
  writeFileSync(p, original);
  return { p, j: join(dir, `.${name}.mmapx-journal`) };
}

const ORIGINAL = Buffer.from('0123456789abcdefghijklmnopqrstuv');

describe('mmapx recover', () => {
  it('restores_a_half_patched_file_from_a_complete_journal_and_removes_it', () => {
    const { p, j } = setup(ORIGINAL);
    putJournal(
      j,
      journalBytes({
        ...identity(p),
        sizeBefore: 32,
        sizeAfter: 32,
        records: [
          { offset: 2, bytes: Buffer.from('23') },
          { offset: 20, bytes: Buffer.from('klmn') },
        ],
      }),
    );
    // The patch had written its first hunk, then died.
    writeFileSync(p, Buffer.from('01XX456789abcdefghijklmnopqrstuv'));
    const r = mmapx(['recover', p]);
    expectSuccess(r);
    expect(r.stderr).toMatch(/^recovered .*: restored 2 ranges \(6 bytes\) from the journal and verified them; the interrupted patch is rolled back in /);
    expect(readFileSync(p)).toEqual(ORIGINAL);
    expect(existsSync(j)).toBe(false);
    expect(mmapx(['recover', p]).stderr).toMatch(/^nothing to recover/);
  });

  it('undoes_growth_and_restores_what_a_shrink_cut_off', () => {
    const grown = setup(ORIGINAL);
    putJournal(grown.j, journalBytes({ ...identity(grown.p), sizeBefore: 32, sizeAfter: 40, records: [] }));
    truncateSync(grown.p, 40);
    const r = mmapx(['--json', 'recover', grown.p]);
    expectSuccess(r);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'restored', ranges: 0, sizeFound: 40, size: 32 });
    expect(readFileSync(grown.p)).toEqual(ORIGINAL);

    const shrunk = setup(ORIGINAL);
    putJournal(shrunk.j, journalBytes({ ...identity(shrunk.p), sizeBefore: 32, sizeAfter: 24, records: [{ offset: 24, bytes: ORIGINAL.subarray(24) }] }));
    truncateSync(shrunk.p, 24);
    expectSuccess(mmapx(['recover', shrunk.p]));
    expect(readFileSync(shrunk.p)).toEqual(ORIGINAL);
  });

  it('a_file_another_program_cut_gets_back_the_journal_bytes_below_its_end_and_keeps_its_size', () => {
    // A patch of three hunks wrote the first two, then another program cut the file to 22 bytes.
    const { p, j } = setup(ORIGINAL);
    const records = [
      { offset: 2, bytes: Buffer.from('23') },
      { offset: 20, bytes: Buffer.from('klmn') },
      { offset: 28, bytes: Buffer.from('st') },
    ];
    putJournal(j, journalBytes({ ...identity(p), sizeBefore: 32, sizeAfter: 32, records, created: Date.now() }));
    writeFileSync(p, Buffer.from('01XX456789abcdefghijXXmnopqrstuv'));
    truncateSync(p, 22);
    const r = mmapx(['recover', p]);
    expectSuccess(r);
    expect(r.stderr).toMatch(
      /^recovered .* as far as it reaches: another program had cut it to 22 bytes \(the journal expects 32 or 32\); restored 2 ranges \(4 bytes\) below that end and verified them, dropped 4 journal bytes at or past it; the size stays 22 in /,
    );
    // The original file, as the other program cut it; nothing written past its end.
    expect(readFileSync(p)).toEqual(ORIGINAL.subarray(0, 22));
    expect(existsSync(j)).toBe(false);

    const again = setup(ORIGINAL);
    putJournal(again.j, journalBytes({ ...identity(again.p), sizeBefore: 32, sizeAfter: 40, records }));
    truncateSync(again.p, 3);
    const json = mmapx(['--json', 'recover', again.p]);
    expectSuccess(json);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'restored-cut', ranges: 1, bytes: 1, dropped: { records: 3, bytes: 7 }, sizeFound: 3, size: 3 });
    expect(readFileSync(again.p)).toEqual(ORIGINAL.subarray(0, 3));
  });

  posixIt("under Wine a file's birth time follows its last change")('a_file_longer_than_both_recorded_sizes_or_born_after_the_journal_is_refused', () => {
    const cases: [string, (p: string, j: string) => void, RegExp][] = [
      [
        'longer',
        (p, j) => {
          putJournal(j, journalBytes({ ...identity(p), sizeBefore: 20, sizeAfter: 24, records: [{ offset: 0, bytes: Buffer.from('zz') }] }));
        },
        /the file is 32 bytes, but the journal .* expects 20 \(before the patch\) or 24 \(after it\): refusing it$/,
      ],
      [
        'born after',
        (p, j) => {
          // The same inode number, but a file created after the journal: an earlier file's journal.
          putJournal(
            j,
            journalBytes({ ...identity(p), sizeBefore: 40, sizeAfter: 40, records: [{ offset: 0, bytes: Buffer.from('zz') }], created: Date.now() - 60_000 }),
          );
        },
        /the journal .* was written at .*, before this file was created \(.*\): it belongs to an earlier file with the same inode number; refusing it$/,
      ],
    ];
    for (const [name, make, message] of cases) {
      const { p, j } = setup(ORIGINAL);
      make(p, j);
      const before = readFileSync(j);
      const fp = fingerprint(p);
      expectFailure(mmapx(['recover', p]), 1, message);
      expect(fingerprint(p), name).toBe(fp);
      expect(readFileSync(j), name).toEqual(before);
    }
  });

  it('removes_an_incomplete_journal_whatever_its_length', () => {
    const whole = journalBytes({ ...identity(join(dir)), sizeBefore: 32, sizeAfter: 32, records: [{ offset: 0, bytes: Buffer.from('zz') }] });
    for (const cut of [0, 5, 63, 64, 70, whole.length - 1]) {
      const { p, j } = setup(ORIGINAL);
      putJournal(j, whole.subarray(0, cut));
      const r = mmapx(['recover', p]);
      expectSuccess(r);
      expect(r.stderr, `cut at ${cut}`).toMatch(/^removed an incomplete journal \(.*\): the interrupted patch had not written anything/);
      expect(readFileSync(p)).toEqual(ORIGINAL);
      expect(existsSync(j)).toBe(false);
    }
  });

  it('refuses_journals_it_must_not_trust_and_leaves_everything_alone', () => {
    const cases: [string, (p: string, j: string) => void, RegExp][] = [
      ['not a journal', (_p, j) => writeFileSync(j, 'hello, this is not a journal'), /is not an mmapx journal \(no MMAPXJNL magic\): leaving it alone$/],
      [
        'damaged',
        (p, j) => {
          const b = journalBytes({ ...identity(p), sizeBefore: 32, sizeAfter: 32, records: [{ offset: 0, bytes: Buffer.from('zz') }] });
          b[66] ^= 1;
          putJournal(j, b);
        },
        /is damaged \(its checksum does not match\): it cannot be trusted to restore the file; inspect the file, then remove the journal by hand$/,
      ],
      [
        'another file',
        (p, j) => {
          const other = identity(p);
          putJournal(j, journalBytes({ dev: other.dev, ino: other.ino + 1n, sizeBefore: 32, sizeAfter: 32, records: [] }));
        },
        /was written for another file \(device \d+ inode \d+; this one is device \d+ inode \d+\): refusing it$/,
      ],
      [
        'another size',
        (p, j) => putJournal(j, journalBytes({ ...identity(p), sizeBefore: 30, sizeAfter: 31, records: [] })),
        /the file is 32 bytes, but the journal .* expects 30 \(before the patch\) or 31 \(after it\): refusing it$/,
      ],
      [
        'a symlink',
        (p, j) => {
          const real = join(dir, `real${n++}`);
          putJournal(real, journalBytes({ ...identity(p), sizeBefore: 32, sizeAfter: 32, records: [] }));
          symlinkSync(real, j);
        },
        /is a symbolic link: refusing to follow it \(remove it by hand\)$/,
      ],
      [
        'hard links',
        (p, j) => {
          const real = join(dir, `hard${n++}`);
          putJournal(real, journalBytes({ ...identity(p), sizeBefore: 32, sizeAfter: 32, records: [] }));
          linkSync(real, j);
        },
        /has 2 hard links: refusing it \(a journal has exactly one name\)$/,
      ],
    ];
    // Symbolic links need a privilege on Windows (and Wine makes none that Windows programs follow).
    if (WINDOWS)
      cases.splice(
        cases.findIndex(([name]) => name === 'a symlink'),
        1,
      );
    if (process.getuid?.() === 0) {
      cases.push([
        'another owner',
        (p, j) => {
          putJournal(j, journalBytes({ ...identity(p), sizeBefore: 32, sizeAfter: 32, records: [] }));
          chownSync(j, 65534, 65534);
        },
        /belongs to uid 65534, not to you \(uid 0\): refusing it$/,
      ]);
    }
    for (const [name, make, message] of cases) {
      const { p, j } = setup(ORIGINAL);
      make(p, j);
      const before = readFileSync(j);
      const fp = fingerprint(p);
      const r = mmapx(['recover', p]);
      expectFailure(r, 1, message);
      expect(r.stderr.startsWith(`mmapx: recover: ${p}: `), name).toBe(true);
      expect(fingerprint(p), name).toBe(fp);
      expect(readFileSync(j), name).toEqual(before);
      // And the journal still blocks every mutation.
      expectFailure(mmapx(['write', p, '0', '00']), 1, /run 'mmapx recover .*' first$/);
    }
  });

  it('refuses_while_the_patch_that_wrote_the_journal_is_still_running', async () => {
    const { p, j } = setup(ORIGINAL);
    // A running mmapx stands in for a patch that is still writing its journal. It holds another file:
    // on this one its lock would stop recover first (see locks.test.ts); the pid check is the
    // second line of defence, for filesystems without flock.
    const other = `${p}.other`;
    writeFileSync(other, 'x');
    const child = spawn(process.execPath, [BIN, 'protect', other, 'ro', '--hold', '20'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((res) => child.stdout.once('data', res));
      putJournal(j, journalBytes({ ...identity(p), sizeBefore: 32, sizeAfter: 32, records: [], pid: child.pid! }).subarray(0, 70));
      expectFailure(
        mmapx(['recover', p]),
        1,
        new RegExp(`the patch that wrote the journal .* \\(pid ${child.pid}\\) is still running: let it finish, or stop it first$`),
      );
      expect(existsSync(j)).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    await new Promise((res) => child.once('exit', res));
    expectSuccess(mmapx(['recover', p]));
    expect(existsSync(j)).toBe(false);
  });
});
