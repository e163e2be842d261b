// The patch engine as a library user calls it (mmapx/edit): guards, already applied, grow, dry
// run, the journal, batches of files, typed failures that leave the file byte-identical, and
// cancellation of a lock wait. In-process: nothing is spawned.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GuardError, InputError, OperationError, type PatchOutcome, PatchGuardError, patchFile, patchFiles, type ProgressSink } from '../../src/edit/index.js';
import { journalPath } from '../../src/edit/journal.js';
import { tryLockFile } from '../../src/mmap/sys/flock.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-patch-');
let n = 0;

/** A fresh file holding `bytes`. */
function file(bytes: Uint8Array | string): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, bytes);
  return p;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytes = (...v: number[]) => Uint8Array.from(v);

/** The directory holds no journal (hidden `.NAME.mmapx-journal` files). */
function journals(): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('.'));
}

function expectStatus<S extends PatchOutcome['status']>(r: PatchOutcome, status: S): asserts r is Extract<PatchOutcome, { status: S }> {
  expect(r.status).toBe(status);
}

describe('patchFile', () => {
  it('applies_a_guarded_edit_and_reports_already_applied_on_the_second_call', async () => {
    const p = file(bytes(0, 1, 0x74, 0x05, 4, 5, 6, 7));
    const edits = [{ offset: 2, expect: bytes(0x74, 0x05), bytes: bytes(0xeb, 0x05) }];
    const first = await patchFile(p, edits);
    expectStatus(first, 'applied');
    expect(first.hunks).toEqual({ total: 1, applied: 1, already: 0, failed: 0 });
    expect(first.bytesChanged).toBe(1);
    expect(first.journal).not.toBeNull();
    expect(first.sha256).toBeNull(); // no whole-file hash unless asked
    expect([...readFileSync(p)]).toEqual([0, 1, 0xeb, 0x05, 4, 5, 6, 7]);
    const second = await patchFile(p, edits);
    expectStatus(second, 'already');
    expect(second.hunks).toEqual({ total: 1, applied: 0, already: 1, failed: 0 });
    expect([...readFileSync(p)]).toEqual([0, 1, 0xeb, 0x05, 4, 5, 6, 7]);
  });

  it('a_native_patch_text_applies_with_hashes_when_asked', async () => {
    const before = bytes(...Array.from({ length: 64 }, (_, i) => i));
    const p = file(before);
    const after = Uint8Array.from(before);
    after[0x10] = 0xaa;
    after[0x11] = 0xbb;
    const r = await patchFile(p, `# fix\nsha256 before ${sha(before)}\n0x10: 10 11 -> aa bb\n`, { hash: true, name: 'fix.patch' });
    expectStatus(r, 'applied');
    expect(r.sources).toEqual(['fix.patch']);
    expect(r.sha256).toEqual({ before: sha(before), after: sha(after) });
    expect(readFileSync(p).equals(after)).toBe(true);
  });

  it('a_wrong_file_is_a_typed_failure_naming_offset_expected_and_found_and_stays_byte_identical', async () => {
    const original = bytes(9, 9, 9, 9, 9, 9, 9, 9);
    const p = file(original);
    const before = statSync(p);
    const r = await patchFile(p, [
      { offset: 1, expect: bytes(9), bytes: bytes(1) },
      { offset: 4, expect: bytes(0x74, 0x05), bytes: bytes(0xeb, 0x05) },
    ]);
    expectStatus(r, 'failed');
    expect(r.guard).toBe('hunks');
    expect(r.hunks.failed).toBe(1);
    expect(r.failedHunks).toHaveLength(1);
    const f = r.failedHunks[0]!;
    expect(f.offset).toBe(4n);
    expect([...f.expected]).toEqual([0x74, 0x05]);
    expect([...f.found]).toEqual([9, 9]);
    expect(f.source).toBe('edits line 2');
    expect(r.failures[0]).toMatch(/^edits line 2: /);
    expect(readFileSync(p).equals(original)).toBe(true);
    expect(statSync(p).mtimeMs).toBe(before.mtimeMs);
    expect(journals()).toEqual([]);
  });

  it('throw_on_failure_throws_a_guard_error_carrying_the_same_outcome', async () => {
    const original = bytes(1, 2, 3, 4);
    const p = file(original);
    const err = await patchFile(p, [{ offset: 2, expect: bytes(7), bytes: bytes(8) }], { throwOnFailure: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PatchGuardError);
    expect(err).toBeInstanceOf(GuardError);
    const g = err as PatchGuardError;
    expect(g.exitCode).toBe(3);
    expect(g.path).toBe(p);
    expect(g.offset).toBe(2n);
    expect(g.outcome.status).toBe('failed');
    expect([...g.outcome.failedHunks[0]!.found]).toEqual([3]);
    expect(readFileSync(p).equals(original)).toBe(true);
  });

  it('an_expected_result_hash_that_differs_is_a_failed_outcome_with_nothing_written', async () => {
    const original = bytes(1, 2, 3, 4);
    const p = file(original);
    const r = await patchFile(p, [{ offset: 0, bytes: bytes(5) }], { expectResultSha256: '0'.repeat(64) });
    expectStatus(r, 'failed');
    expect(r.guard).toBe('result-sha256');
    expect(r.failures[0]).toBe(`the patched file would have sha256 ${sha(bytes(5, 2, 3, 4))}, expected ${'0'.repeat(64)}`);
    expect(readFileSync(p).equals(original)).toBe(true);
  });

  it('a_dry_run_reports_the_changes_and_changes_nothing', async () => {
    const original = bytes(0, 1, 2, 3);
    const p = file(original);
    const before = statSync(p);
    const r = await patchFile(
      p,
      [
        { offset: 1, expect: bytes(1, 2), bytes: bytes(0xff, 0xfe) },
        { offset: 4, bytes: bytes(7, 7) },
      ],
      { dryRun: true, grow: true },
    );
    expectStatus(r, 'dry-run');
    expect(r.sizeAfter).toBe(6n);
    expect(r.changes.map((c) => [c.offset, [...c.old], [...c.new]])).toEqual([
      [1n, [1, 2], [0xff, 0xfe]],
      [4n, [0, 0], [7, 7]],
    ]);
    expect(readFileSync(p).equals(original)).toBe(true);
    expect(statSync(p).mtimeMs).toBe(before.mtimeMs);
    expect(journals()).toEqual([]);
  });

  it('grow_and_truncate_are_needed_to_resize', async () => {
    const p = file(bytes(1, 2));
    const err = await patchFile(p, [{ offset: 2, bytes: bytes(3) }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(readFileSync(p).length).toBe(2);
    const r = await patchFile(p, [{ offset: 2, bytes: bytes(3) }], { grow: true });
    expectStatus(r, 'applied');
    expect([...readFileSync(p)]).toEqual([1, 2, 3]);
    const cut = await patchFile(p, 'size after 1\n', { truncate: true });
    expectStatus(cut, 'applied');
    expect([...readFileSync(p)]).toEqual([1]);
  });

  it('writes_the_journal_while_patching_and_removes_it_after', async () => {
    const p = file(bytes(1, 2, 3, 4));
    const jpath = journalPath(p);
    const seen: string[] = [];
    // The write phase starts after the journal is written: it is on disk then.
    const progress: ProgressSink = {
      phase(label) {
        if (label.startsWith('write ')) seen.push(existsSync(jpath) ? 'journal present' : 'no journal');
      },
      update() {},
    };
    const r = await patchFile(p, [{ offset: 0, expect: bytes(1), bytes: bytes(9) }], { progress });
    expectStatus(r, 'applied');
    expect(seen).toEqual(['journal present']);
    expect(r.journal).toEqual({ path: jpath, records: 1, bytes: expect.any(Number) });
    expect(existsSync(jpath)).toBe(false);
    const without = await patchFile(p, [{ offset: 1, bytes: bytes(8) }], { journal: false, progress });
    expectStatus(without, 'applied');
    expect(without.journal).toBeNull();
    expect(seen).toEqual(['journal present', 'no journal']);
  });

  it('reports_its_phases_to_the_clock', async () => {
    const p = file(bytes(1, 2, 3, 4));
    const laps: string[] = [];
    const r = await patchFile(p, [{ offset: 0, bytes: bytes(9) }], { clock: { lap: (name) => laps.push(name) } });
    expectStatus(r, 'applied');
    expect(laps).toEqual(expect.arrayContaining(['open', 'ffi', 'plan', 'journal', 'write']));
    expect(Object.keys(r.timings)).toEqual(expect.arrayContaining(['open', 'plan', 'write', 'total']));
  });

  it('bad_input_is_an_input_error_before_the_file_is_touched', async () => {
    const original = bytes(1, 2, 3, 4);
    const p = file(original);
    await expect(patchFile(p, 'this is not a patch\n')).rejects.toBeInstanceOf(InputError);
    await expect(patchFile(p, '')).rejects.toThrow(/changes nothing/);
    await expect(patchFile(p, [{ offset: 0, expect: bytes(1, 2), bytes: bytes(3) }])).rejects.toThrow(/edits line 1: expect has 2 bytes/);
    await expect(patchFile(p, [{ offset: 0.5, bytes: bytes(3) }])).rejects.toBeInstanceOf(InputError);
    await expect(patchFile(join(dir, 'missing.bin'), [{ offset: 0, bytes: bytes(3) }])).rejects.toBeInstanceOf(OperationError);
    expect(readFileSync(p).equals(original)).toBe(true);
  });

  it('an_aborted_lock_wait_rejects_with_an_abort_error_and_leaves_the_file_alone', async () => {
    const original = bytes(1, 2, 3, 4);
    const p = file(original);
    const holder = openSync(p, 'r');
    try {
      // flock locks belong to the open file description: this descriptor's lock excludes the patch's.
      expect(tryLockFile(holder, 'shared')).toBe('locked');
      const controller = new AbortController();
      const waiting = patchFile(p, [{ offset: 0, bytes: bytes(9) }], { lockWait: 60, signal: controller.signal });
      let settled = false;
      void waiting.then(
        () => (settled = true),
        () => (settled = true),
      );
      // The wait runs on timers: the event loop goes on meanwhile.
      await new Promise((r) => setTimeout(r, 30));
      expect(settled).toBe(false);
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      closeSync(holder);
    }
    expect(readFileSync(p).equals(original)).toBe(true);
    expect(journals()).toEqual([]);
    // With the lock released, the same patch goes through.
    expectStatus(await patchFile(p, [{ offset: 0, bytes: bytes(9) }]), 'applied');
  });

  it('a_lock_held_past_the_wait_is_an_operation_error', async () => {
    const p = file(bytes(1));
    const holder = openSync(p, 'r');
    try {
      expect(tryLockFile(holder, 'shared')).toBe('locked');
      await expect(patchFile(p, [{ offset: 0, bytes: bytes(2) }], { lockWait: 0 })).rejects.toBeInstanceOf(OperationError);
    } finally {
      closeSync(holder);
    }
    expect([...readFileSync(p)]).toEqual([1]);
  });
});

describe('patchFiles', () => {
  it('patches_each_file_all_or_nothing_and_reports_each_in_order', async () => {
    const a = file(bytes(0x74, 0, 0));
    const b = file(bytes(0x74, 1, 1));
    const wrong = file(bytes(0x75, 2, 2));
    const done = file(bytes(0xeb, 3, 3));
    const missing = join(dir, 'no-such.bin');
    const results = await patchFiles([a, wrong, missing, b, done], [{ offset: 0, expect: bytes(0x74), bytes: bytes(0xeb) }]);
    expect(results.map((r) => r.path)).toEqual([a, wrong, missing, b, done]);
    expect(results.map((r) => (r.ok ? r.outcome.status : 'error'))).toEqual(['applied', 'failed', 'error', 'applied', 'already']);
    const failed = results[1]!;
    expect(failed.ok && failed.outcome.status === 'failed' && [...failed.outcome.failedHunks[0]!.found]).toEqual([0x75]);
    const err = results[2]!;
    expect(!err.ok && err.error).toBeInstanceOf(OperationError);
    expect([...readFileSync(a)]).toEqual([0xeb, 0, 0]);
    expect([...readFileSync(b)]).toEqual([0xeb, 1, 1]);
    expect([...readFileSync(wrong)]).toEqual([0x75, 2, 2]);
    expect(journals()).toEqual([]);
  });

  it('a_file_given_twice_is_patched_once_and_then_already_applied', async () => {
    const a = file(bytes(1, 2));
    const results = await patchFiles([a, a], [{ offset: 1, expect: bytes(2), bytes: bytes(3) }]);
    expect(results.map((r) => r.ok && r.outcome.status)).toEqual(['applied', 'already']);
    expect([...readFileSync(a)]).toEqual([1, 3]);
  });

  it('more_files_than_a_batch_all_get_patched', async () => {
    const paths = Array.from({ length: 130 }, (_, i) => file(bytes(i & 0xff, 0)));
    const results = await patchFiles(paths, [{ offset: 1, expect: bytes(0), bytes: bytes(0xee) }]);
    expect(results.every((r) => r.ok && r.outcome.status === 'applied')).toBe(true);
    for (const [i, p] of paths.entries()) expect([...readFileSync(p)]).toEqual([i & 0xff, 0xee]);
    expect(journals()).toEqual([]);
  });

  it('with_throw_on_failure_a_failed_guard_is_that_files_error', async () => {
    const a = file(bytes(1));
    const results = await patchFiles([a], [{ offset: 0, expect: bytes(2), bytes: bytes(3) }], { throwOnFailure: true });
    const r = results[0]!;
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toBeInstanceOf(PatchGuardError);
    expect([...readFileSync(a)]).toEqual([1]);
  });

  it('a_patch_that_does_not_parse_throws_before_any_file', async () => {
    const a = file(bytes(1));
    await expect(patchFiles([a], 'nonsense\n')).rejects.toBeInstanceOf(InputError);
    expect([...readFileSync(a)]).toEqual([1]);
  });
});
