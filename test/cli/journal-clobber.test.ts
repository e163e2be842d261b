// The undo journal can never be used to clobber another file. Whatever sits at the journal's path
// before a patch (a symbolic link to another file, a dangling one, a hard link to another file, a
// journal of another user, one of another file), `mmapx patch` refuses before it writes anything
// (exit 1, one line), also with --no-journal, and `mmapx recover` refuses to trust it (exit 1, one
// line): the file, the other file and the directory stay as they were. recover.test.ts covers
// recover's other refusals (damaged, another identity or size); here the other file is the victim.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, readdirSync, readlinkSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeJournal } from '../../src/edit/journal.js';
import { requireBuild } from '../helpers/child.js';
import { BIN, expectFailure, fingerprint, mmapx, PINNED_ENV } from '../helpers/cli.js';
import { identity, journalBytes, putJournal } from '../helpers/journal.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-clobber-');
chmodSync(dir, 0o755); // reachable by `nobody`
beforeAll(() => requireBuild());
let n = 0;
const root = process.getuid?.() === 0;

/** A target file, its journal path, and a victim file elsewhere in the directory. */
function scene(): { p: string; j: string; victim: string } {
  const k = n++;
  const p = join(dir, `t${k}.bin`);
  writeFileSync(p, Buffer.from('0123456789abcdefghijklmnopqrstuv'));
  const victim = join(dir, `victim${k}.txt`);
  writeFileSync(victim, 'precious bytes of another file\n');
  return { p, j: join(dir, `.t${k}.bin.mmapx-journal`), victim };
}

/** Everything in the directory, with each regular file's fingerprint and each link's target. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const at = join(dir, name);
    const st = lstatSync(at);
    out[name] = st.isSymbolicLink() ? `-> ${readlinkSync(at)}` : `${st.nlink} ${st.uid} ${fingerprint(at)}`;
  }
  return out;
}

const exists = (p: string, j: string) =>
  `mmapx: patch: ${p}: a journal of an interrupted patch exists (${j}): the file may be half patched; run 'mmapx recover ${p}' first`;

/** patch (with and without a journal) and write refuse; recover refuses with `recoverLine`; nothing changes anywhere. */
function expectAllRefused(p: string, j: string, recoverLine: RegExp): void {
  const before = snapshot();
  expectFailure(mmapx(['patch', p, '--edit', '0:30=58']), 1, exists(p, j));
  expectFailure(mmapx(['patch', p, '--edit', '0:30=58', '--no-journal']), 1, exists(p, j));
  expectFailure(mmapx(['write', p, '0', '58']), 1, /: a journal of an interrupted patch exists .*; run 'mmapx recover .*' first$/);
  expect(snapshot()).toEqual(before);
  const r = mmapx(['recover', p]);
  expectFailure(r, 1, recoverLine);
  expect(r.stderr.startsWith(`mmapx: recover: ${p}: `), r.dump).toBe(true);
  expect(snapshot()).toEqual(before);
}

describe('the journal cannot clobber another file', () => {
  it('a_symlink_at_the_journal_path_to_another_file', () => {
    const { p, j, victim } = scene();
    symlinkSync(victim, j);
    expectAllRefused(p, j, /the journal .* is a symbolic link: refusing to follow it \(remove it by hand\)$/);
  });

  it('a_dangling_symlink_at_the_journal_path_creates_nothing', () => {
    const { p, j } = scene();
    const nowhere = join(dir, `would-be-created${n}`);
    symlinkSync(nowhere, j);
    expectAllRefused(p, j, /is a symbolic link: refusing to follow it \(remove it by hand\)$/);
    expect(existsSync(nowhere)).toBe(false);
  });

  it('a_hard_link_at_the_journal_path_to_another_file', () => {
    const { p, j, victim } = scene();
    linkSync(victim, j);
    expectAllRefused(p, j, /the journal .* has 2 hard links: refusing it \(a journal has exactly one name\)$/);
  });

  it('a_hard_link_to_a_valid_journal_of_this_file', () => {
    // Even a well-formed journal for this very file is refused when it has another name: restoring
    // it is fine, but removing it afterwards would leave a copy that a later recover would replay.
    const { p, j } = scene();
    const elsewhere = join(dir, `copy${n}.journal`);
    putJournal(elsewhere, journalBytes({ ...identity(p), sizeBefore: 32, sizeAfter: 32, records: [{ offset: 0, bytes: Buffer.from('ZZ') }] }));
    linkSync(elsewhere, j);
    expectAllRefused(p, j, /has 2 hard links: refusing it/);
  });

  it.skipIf(!root)('a_journal_owned_by_another_user', () => {
    const { p, j } = scene();
    putJournal(j, journalBytes({ ...identity(p), sizeBefore: 32, sizeAfter: 32, records: [{ offset: 0, bytes: Buffer.from('ZZ') }] }));
    chownSync(j, 65534, 65534);
    expectAllRefused(p, j, /the journal .* belongs to uid 65534, not to you \(uid 0\): refusing it$/);
  });

  it('a_journal_of_another_file_or_size', () => {
    const { p, j } = scene();
    const other = identity(p);
    putJournal(j, journalBytes({ dev: other.dev, ino: other.ino + 1n, sizeBefore: 32, sizeAfter: 32, records: [{ offset: 0, bytes: Buffer.from('ZZ') }] }));
    expectAllRefused(p, j, /was written for another file \(device \d+ inode \d+; this one is device \d+ inode \d+\): refusing it$/);
    unlinkSync(j);
    putJournal(j, journalBytes({ ...identity(p), sizeBefore: 16, sizeAfter: 20, records: [{ offset: 0, bytes: Buffer.from('ZZ') }] }));
    expectAllRefused(p, j, /the file is 32 bytes, but the journal .* expects 16 \(before the patch\) or 20 \(after it\): refusing it$/);
  });

  it('a_link_that_appears_after_the_check_is_not_written_through', () => {
    // The race the check cannot close: the journal is created with O_CREAT|O_EXCL|O_NOFOLLOW, so a
    // symlink (dangling or not) or a hard link that appeared meanwhile makes the creation fail.
    const { p, j, victim } = scene();
    const header = { ...identity(p), sizeBefore: 32n, sizeAfter: 32n };
    const records = [{ offset: 0n, bytes: Uint8Array.of(0x5a) }];
    for (const make of [() => symlinkSync(victim, j), () => symlinkSync(join(dir, `nowhere${n}`), j), () => linkSync(victim, j)]) {
      make();
      const before = snapshot();
      expect(() => writeJournal(j, header, records)).toThrow(
        /^a journal appeared at .* \(another edit is running, or was interrupted\): run 'mmapx recover' on the file first$/,
      );
      expect(snapshot()).toEqual(before);
      unlinkSync(j);
    }
  });
});

describe.skipIf(!root || spawnSync('setpriv', ['--version']).status !== 0)('as another user', () => {
  it('a_journal_planted_by_root_beside_a_file_of_nobody_is_refused', () => {
    // nobody owns the file and may patch it, but a journal beside it belongs to root.
    const { p, j } = scene();
    chownSync(p, 65534, 65534);
    putJournal(j, journalBytes({ ...identity(p), sizeBefore: 32, sizeAfter: 32, records: [{ offset: 0, bytes: Buffer.from('ZZ') }] }));
    const before = snapshot();
    const asNobody = (args: string[]) =>
      spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, BIN, ...args], { encoding: 'utf8', env: PINNED_ENV });
    const r = asNobody(['recover', p]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /^mmapx: recover: .*: (cannot open the journal .*: permission denied \(EACCES\)|the journal .* belongs to uid 0, not to you \(uid 65534\): refusing it)\n$/,
    );
    const q = asNobody(['patch', p, '--edit', '0:30=58']);
    expect(q.status, q.stderr).toBe(1);
    expect(q.stderr).toBe(`${exists(p, j)}\n`);
    expect(snapshot()).toEqual(before);
  });
});
