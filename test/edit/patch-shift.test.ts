// Patches with insert and delete statements on real files, in-process (src/edit/patchshift.ts):
// random patches on random small files, with tiny shift windows so that steps are staged,
// unstaged and many per stage, equal the model of test/helpers/shift-patch.ts; guards and dry
// runs leave the file byte-identical; and a patch interrupted at every point (after its
// overwrites, after each stage, inside a stage after each step) is brought by `recover` to the
// original (before the commit point) or to the result (after it), with no journal left.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OperationError, patchFile, recover } from '../../src/edit/index.js';
import { journalPath } from '../../src/edit/journal.js';
import { patchJob, patchOne, resolvePatchInput } from '../../src/edit/patch.js';
import { patchShiftHooks } from '../../src/edit/patchshift.js';
import type { ProgressSink } from '../../src/edit/seams.js';
import { Timer } from '../../src/edit/timing.js';
import { rng } from '../helpers/crash.mjs';
import { randomShiftPatch } from '../helpers/shift-patch.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-patchshift-');
let n = 0;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function file(bytes: Uint8Array): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, bytes);
  return p;
}

function randomBytes(rand: () => number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** Runs the patch through the engine with a given shift window (and progress sink). */
function run(path: string, text: string, o: { window?: number; journal?: boolean; hash?: boolean; dryRun?: boolean; progress?: ProgressSink } = {}) {
  const { patch, sources } = resolvePatchInput(text, { name: 'p.patch' });
  const job = {
    ...patchJob(patch, sources, {
      journal: o.journal !== false,
      hash: o.hash === true,
      dryRun: o.dryRun === true,
      ...(o.progress && { progress: o.progress }),
    }),
    ...(o.window !== undefined && { shiftWindow: o.window }),
  };
  return patchOne(path, job, new Timer());
}

afterEach(() => {
  delete patchShiftHooks.afterOverwrites;
  delete patchShiftHooks.afterStage;
});

describe('patches with inserts and deletes on files', () => {
  it('random_patches_equal_the_model_with_every_window', async () => {
    const rand = rng(2615);
    for (let trial = 0; trial < 24; trial++) {
      const orig = randomBytes(rand, 1 + Math.floor(rand() * 5000));
      const { text, want } = randomShiftPatch(rand, orig);
      const p = file(orig);
      const window = [7, 64, 300, 4096, 1 << 20][trial % 5]!;
      const r = await run(p, text, { window, journal: trial % 2 === 0, hash: trial % 3 === 0 });
      expect(readFileSync(p).equals(want), `${trial} (window ${window}): ${text}`).toBe(true);
      expect(r).toMatchObject({ status: 'applied', sizeBefore: BigInt(orig.length), sizeAfter: BigInt(want.length) });
      if (trial % 3 === 0) expect(r.sha256).toEqual({ before: sha(orig), after: sha(want) });
      expect(existsSync(journalPath(p))).toBe(false);
    }
  });

  it('the_library_patchFile_takes_the_statements_and_reports_each_shift', async () => {
    const p = file(Buffer.from('0123456789abcdef'));
    const r = await patchFile(p, 'delete 2:2: 32 33\ninsert 10: "XY"\n0: 30 -> 2d\n', { name: 'fix.patch', hash: true });
    expect(readFileSync(p, 'latin1')).toBe('-1456789XYabcdef');
    expect(r).toMatchObject({
      status: 'applied',
      hunks: { applied: 1 },
      shifts: [
        { source: 'fix.patch line 1', kind: 'delete', offset: 2n, length: 2n, old: Uint8Array.of(0x32, 0x33) },
        { source: 'fix.patch line 2', kind: 'insert', offset: 10n, length: 2n, new: Uint8Array.of(0x58, 0x59) },
      ],
    });
  });

  it('failed_guards_and_dry_runs_leave_the_file_byte_identical', async () => {
    const orig = Buffer.from('0123456789abcdef');
    const p = file(orig);
    const failed = await run(p, 'delete 0:2: 00 00\ninsert 4: ff\n');
    expect(failed).toMatchObject({ status: 'failed', guard: 'hunks', failures: ['p.patch line 1: delete at 0x0 expected 00 00, found 30 31'] });
    const wrongSize = await run(p, 'size after 3\ninsert 4: ff\n');
    expect(wrongSize).toMatchObject({ status: 'failed', failures: ['p.patch line 1: size after 0x3, but the inserts and deletes give 0x11 (from 0x10)'] });
    const bad = await patchFile(p, 'insert 4: ff\n', { expectResultSha256: sha(orig) });
    expect(bad).toMatchObject({ status: 'failed', guard: 'result-sha256' });
    const dry = await run(p, 'delete 0:2\ninsert 4: ff\n0x8: 38 -> 00\n', { dryRun: true, hash: true });
    const want = Buffer.from('23\xff4567\x009abcdef', 'latin1');
    expect(dry).toMatchObject({
      status: 'dry-run',
      sizeAfter: 15n,
      sha256: { before: sha(orig), after: sha(want) },
      changes: [{ offset: 8n, old: Uint8Array.of(0x38), new: Uint8Array.of(0) }],
      shifts: [
        { kind: 'delete', offset: 0n, length: 2n, old: Uint8Array.of(0x30, 0x31) },
        { kind: 'insert', offset: 4n, length: 1n, new: Uint8Array.of(0xff) },
      ],
    });
    await expect(run(p, 'insert 4: ff\ndelete 2:4\n')).rejects.toThrow(/line 1 and p\.patch line 2: the insert at 0x4 is inside the deleted range 0x2\.\.0x6/);
    expect(readFileSync(p).equals(orig)).toBe(true);
    expect(existsSync(journalPath(p))).toBe(false);
  });
});

describe('a patch with shifts interrupted at every point', () => {
  // 3 stages over 40 KiB with windows of 4 KiB: each stage is several steps.
  const rand = rng(99);
  const orig = randomBytes(rand, 40_000);
  const text = `0x10: 00 01 02 03\ndelete 0x3000:5000\ninsert 0x100: 00 11 22\ninsert 0x8000: "tail"\nfind ${orig.subarray(0x9000, 0x9008).toString('hex')}: 55\n`;
  const want = Buffer.concat([
    Buffer.concat([orig.subarray(0, 0x10), Buffer.of(0, 1, 2, 3), orig.subarray(0x14, 0x100)]),
    Buffer.of(0, 0x11, 0x22),
    orig.subarray(0x100, 0x3000),
    orig.subarray(0x3000 + 5000, 0x8000),
    Buffer.from('tail'),
    orig.subarray(0x8000, 0x9000),
    Buffer.of(0x55),
    orig.subarray(0x9001),
  ]);

  it('the_uninterrupted_patch_gives_the_result', async () => {
    const p = file(orig);
    await run(p, text, { window: 4096 });
    expect(readFileSync(p).equals(want)).toBe(true);
  });

  it('recover_rolls_back_before_the_commit_point_and_forward_after_it', async () => {
    const points: { name: string; arm: () => void; result: boolean }[] = [
      {
        name: 'after the overwrites',
        arm: () =>
          (patchShiftHooks.afterOverwrites = () => {
            throw new Error('killed');
          }),
        result: false,
      },
    ];
    for (let k = 0; k < 3; k++)
      points.push({
        name: `after stage ${k}`,
        arm: () =>
          (patchShiftHooks.afterStage = (s) => {
            if (s === k) throw new Error('killed');
          }),
        result: true,
      });
    // Inside the stages: the progress sink is told after every step; the kill comes after step i.
    for (let i = 1; i <= 14; i++) points.push({ name: `after step ${i}`, arm: () => undefined, result: true });
    const seen = new Set<string>();
    for (const [index, point] of points.entries()) {
      const p = file(orig);
      point.arm();
      let steps = 0;
      const stepIndex = point.name.startsWith('after step') ? Number(point.name.slice(11)) : 0;
      let shifting = false;
      const progress: ProgressSink = {
        phase(label) {
          shifting = /^(insert|delete) /.test(label);
        },
        update() {
          if (shifting && stepIndex > 0 && ++steps === stepIndex) throw new Error('killed');
        },
      };
      const outcome = await run(p, text, { window: 4096, progress }).then(
        () => 'finished',
        (err: unknown) => err,
      );
      delete patchShiftHooks.afterOverwrites;
      delete patchShiftHooks.afterStage;
      if (outcome === 'finished') {
        // Fewer steps than the kill point: nothing interrupted it.
        expect(readFileSync(p).equals(want)).toBe(true);
        continue;
      }
      expect(outcome, point.name).toBeInstanceOf(OperationError);
      // The overwrites throw before the commit point: the patch rolls itself back.
      if (!point.result) {
        expect(readFileSync(p).equals(orig), point.name).toBe(true);
        expect(existsSync(journalPath(p))).toBe(false);
        continue;
      }
      expect((outcome as Error).message).toMatch(/run 'mmapx recover/);
      expect(existsSync(journalPath(p)), point.name).toBe(true);
      // Meanwhile every mutating command refuses the file, saying what recover will do.
      await expect(patchFile(p, '0: 00')).rejects.toThrow(
        /a journal of an interrupted patch with inserts or deletes exists .*: the file may be half patched or half shifted; run 'mmapx recover .*' first \(it restores it if its shifts had not begun, and finishes the patch if they had\)/,
      );
      const r = await recover(p);
      expect(r).toMatchObject({ status: 'completed', kind: 'patch', size: BigInt(want.length) });
      seen.add(`${(r as { stages: { finished: number } }).stages.finished}`);
      expect(readFileSync(p).equals(want), `${index}: ${point.name}`).toBe(true);
      expect(existsSync(journalPath(p))).toBe(false);
    }
    // Kills landed in every stage.
    expect([...seen].sort()).toEqual(['0', '1', '2', '3']);
  });

  it('recover_of_a_journal_left_in_phase_1_restores_the_original', async () => {
    // A kill between the overwrites and the commit point: the journal says phase 1 and the
    // overwrites are in the file. The state is saved at that instant (the patch then rolls
    // itself back), put back, and recovered.
    const p = file(orig);
    let saved: { journal: Buffer; file: Buffer } | undefined;
    patchShiftHooks.afterOverwrites = () => {
      saved = { journal: readFileSync(journalPath(p)), file: readFileSync(p) };
      throw new Error('killed');
    };
    await expect(run(p, text, { window: 4096 })).rejects.toThrow(/killed; the file was rolled back from the journal, nothing changed/);
    expect(readFileSync(p).equals(orig)).toBe(true);
    expect(saved!.file.equals(orig)).toBe(false);
    writeFileSync(p, saved!.file);
    writeFileSync(journalPath(p), saved!.journal, { mode: 0o600 });
    expect(await recover(p)).toMatchObject({ status: 'restored', ranges: 2, bytes: 5, size: BigInt(orig.length) });
    expect(readFileSync(p).equals(orig)).toBe(true);
    expect(existsSync(journalPath(p))).toBe(false);
  });
});
