// recover as a library user calls it (mmapx/edit): a journal left behind by an interrupted patch
// (written here with the journal module, as a patch that died after its journal would leave it)
// blocks patchFile until recover rolls the file back. In-process: nothing is spawned.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OperationError, patchFile, recover } from '../../src/edit/index.js';
import { createJournal, journalPath, writeJournal } from '../../src/edit/journal.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-recover-');
let n = 0;

function file(bytes: Uint8Array): string {
  const p = join(dir, `r${n++}.bin`);
  writeFileSync(p, bytes);
  return p;
}

/** What a patch that died after its journal and its writes leaves: the journal of `original`, and `patched` in the file. */
function interrupted(original: Uint8Array, patched: Uint8Array): string {
  const p = file(original);
  const st = statSync(p, { bigint: true });
  const records = [];
  for (let i = 0; i < Math.min(original.length, patched.length); i++) {
    if (original[i] !== patched[i]) records.push({ offset: BigInt(i), bytes: original.subarray(i, i + 1) });
  }
  if (patched.length < original.length) records.push({ offset: BigInt(patched.length), bytes: original.subarray(patched.length) });
  writeJournal(journalPath(p), { dev: st.dev, ino: st.ino, sizeBefore: BigInt(original.length), sizeAfter: BigInt(patched.length) }, records);
  writeFileSync(p, patched); // same inode: the patch's writes
  return p;
}

describe('recover', () => {
  it('a_journal_left_behind_blocks_patching_and_recover_restores_the_file', async () => {
    const original = Uint8Array.of(1, 2, 3, 4, 5, 6);
    const p = interrupted(original, Uint8Array.of(1, 0xee, 3, 4, 0xdd, 6, 0, 0));
    await expect(patchFile(p, [{ offset: 0, bytes: Uint8Array.of(9) }])).rejects.toThrow(OperationError);
    await expect(patchFile(p, [{ offset: 0, bytes: Uint8Array.of(9) }])).rejects.toThrow(/a journal of an interrupted patch exists/);
    const r = await recover(p);
    expect(r.status).toBe('restored');
    if (r.status !== 'restored') return;
    expect(r.ranges).toBe(2);
    expect(r.bytes).toBe(2);
    expect(r.sizeFound).toBe(8n);
    expect(r.size).toBe(6n);
    expect(r.journal).toBe(journalPath(p));
    expect(readFileSync(p).equals(original)).toBe(true);
    expect(existsSync(journalPath(p))).toBe(false);
    // Now the file patches again.
    expect((await patchFile(p, [{ offset: 0, expect: Uint8Array.of(1), bytes: Uint8Array.of(9) }])).status).toBe('applied');
  });

  it('a_shrinking_patch_is_undone_with_the_tail_it_cut', async () => {
    const original = Uint8Array.from({ length: 100 }, (_, i) => i);
    const p = interrupted(original, original.subarray(0, 40));
    const r = await recover(p);
    expect(r.status).toBe('restored');
    expect(readFileSync(p).equals(original)).toBe(true);
  });

  it('without_a_journal_there_is_nothing_to_recover', async () => {
    const p = file(Uint8Array.of(1));
    const r = await recover(p);
    expect(r).toMatchObject({ status: 'nothing', reason: 'none', journal: null, path: p });
    await expect(recover(join(dir, 'missing.bin'))).rejects.toBeInstanceOf(OperationError);
  });

  it('an_incomplete_journal_is_removed_and_the_file_left_alone', async () => {
    const p = file(Uint8Array.of(1, 2, 3));
    const st = statSync(p, { bigint: true });
    // Written but never made complete: its patch never started writing.
    const j = createJournal(journalPath(p), { dev: st.dev, ino: st.ino, sizeBefore: 3n, sizeAfter: 3n }, [{ offset: 0n, bytes: Uint8Array.of(1) }]);
    expect(j.records).toBe(1);
    const text = readFileSync(journalPath(p));
    writeFileSync(journalPath(p), text.subarray(0, text.length - 8)); // the trailer cut short
    const r = await recover(p);
    expect(r.status).toBe('incomplete-removed');
    expect([...readFileSync(p)]).toEqual([1, 2, 3]);
    expect(existsSync(journalPath(p))).toBe(false);
  });
});
