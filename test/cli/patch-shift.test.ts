// mmapx patch with insert and delete statements through the built CLI: text and --json reports
// (the shifts beside the hunks), --dry-run (nothing written) with --hash (the result's sha256),
// --expect-result-sha256, --no-journal, and several files (each patched on its own; one whose
// guard fails is left byte-identical while the others are patched).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, expectSuccess, mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-patch-shift-');
beforeAll(() => requireBuild());
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
let n = 0;
function file(text: string): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, text, 'latin1');
  return p;
}
const journalOf = (p: string) => join(dir, `.${p.slice(dir.length + 1)}.mmapx-journal`);

const ORIG = 'version=@@@@;payload:0123456789;end';
// Every address refers to ORIG: the delete's offset is not moved by the insert before it.
const PATCH = ['insert 8: "1.2"  # the version', 'delete 8:4: "@@@@"', 'delete 0x1b..0x1f', '0x19: 34 -> 2a', 'insert -0: "!"', ''].join('\n');
const RESULT = 'version=1.2;payload:0123*5;end!';

describe('patch with insert and delete statements', () => {
  it('applies_them_and_reports_them_as_text_and_json', () => {
    const patch = join(dir, 'ver.patch');
    writeFileSync(patch, PATCH);
    const a = file(ORIG);
    const r = mmapx(['patch', a, patch]);
    expectSuccess(r);
    expect(r.stderr).toMatch(/^patched .*: 1 hunk applied \(1 byte changed\), 2 inserts and 2 deletes, size 35 -> 31 .*\n$/);
    expect(readFileSync(a, 'latin1')).toBe(RESULT);
    expect(existsSync(journalOf(a))).toBe(false);

    const b = file(ORIG);
    const j = mmapx(['--json', 'patch', b, patch, '--hash']);
    expectSuccess(j);
    const out = JSON.parse(j.stdout);
    expect(out).toMatchObject({
      status: 'applied',
      sizeBefore: 35,
      sizeAfter: 31,
      hunks: { total: 1, applied: 1 },
      sha256: { before: sha(ORIG), after: sha(RESULT) },
      journal: { records: 1 },
      shifts: [
        { source: `${patch} line 1`, kind: 'insert', offset: 8, length: 3, old: '', new: Buffer.from('1.2').toString('hex') },
        { source: `${patch} line 2`, kind: 'delete', offset: 8, length: 4, old: Buffer.from('@@@@').toString('hex'), new: '' },
        { source: `${patch} line 3`, kind: 'delete', offset: 27, length: 4, old: Buffer.from('6789').toString('hex'), new: '' },
        { source: `${patch} line 5`, kind: 'insert', offset: 35, length: 1, new: '21' },
      ],
    });
    expect(readFileSync(b, 'latin1')).toBe(RESULT);
    // A second run: the guard of the delete stops it, the file is left as it is.
    const again = mmapx(['patch', b, patch]);
    expectFailure(again, 3, /2 guards failed, nothing written: .*line 2: delete at 0x8 expected 40 40 40 40, found 31 2e 32 3b/);
    expect(readFileSync(b, 'latin1')).toBe(RESULT);
  });

  it('dry_run_writes_nothing_and_lists_the_shifts_with_the_result_hash', () => {
    const patch = join(dir, 'dry.patch');
    writeFileSync(patch, PATCH);
    const a = file(ORIG);
    const r = mmapx(['patch', a, patch, '--dry-run', '--hash']);
    expectSuccess(r);
    expect(r.stdout).toContain(`${patch} line 1: insert at 0x8: 3 bytes (31 2e 32)\n`);
    expect(r.stdout).toContain(`${patch} line 3: delete 0x1b..0x1f: 4 bytes (36 37 38 39)\n`);
    expect(r.stdout).toContain('size 35 -> 31 (the inserts and deletes)\n');
    expect(r.stdout).toContain(`sha256 after  ${sha(RESULT)}\n`);
    expect(r.stderr).toMatch(/^dry run: 1 hunk would change 1 byte of .*, 2 inserts and 2 deletes, size 35 -> 31; the file is untouched/);
    const j = JSON.parse(mmapx(['--json', 'patch', a, patch, '--dry-run']).stdout);
    expect(j).toMatchObject({
      status: 'dry-run',
      changes: [{ offset: 25, old: '34', new: '2a' }],
      shifts: [{ kind: 'insert' }, { kind: 'delete' }, { kind: 'delete' }, { kind: 'insert' }],
    });
    expect(readFileSync(a, 'latin1')).toBe(ORIG);
    // --expect-result-sha256: the result of the whole patch, shifts included.
    expectFailure(
      mmapx(['patch', a, patch, '--expect-result-sha256', sha(ORIG)]),
      3,
      /--expect-result-sha256: the patched file would have sha256 [0-9a-f]{64}, expected/,
    );
    expect(readFileSync(a, 'latin1')).toBe(ORIG);
    expectSuccess(mmapx(['patch', a, patch, '--expect-result-sha256', sha(RESULT), '--no-journal']));
    expect(readFileSync(a, 'latin1')).toBe(RESULT);
  });

  it('patches_several_files_each_on_its_own', () => {
    const patch = join(dir, 'many.patch');
    writeFileSync(patch, PATCH);
    const files = [file(ORIG), file(ORIG), file(ORIG.replace('@@@@', '####')), file(ORIG)];
    const list = join(dir, 'files.list');
    writeFileSync(list, `${files.join('\n')}\n`);
    const r = mmapx(['--json', 'patch', '--files-from', list, '--patch', patch]);
    expect(r.status, r.dump).toBe(3);
    const out = JSON.parse(r.stdout) as { status: string; file: string }[];
    expect(out.map((o) => o.status)).toEqual(['applied', 'applied', 'failed', 'applied']);
    expect(files.map((f) => readFileSync(f, 'latin1'))).toEqual([RESULT, RESULT, ORIG.replace('@@@@', '####'), RESULT]);
    const more = [file(ORIG), file(ORIG)];
    const t = mmapx(['patch', ...more, '--patch', patch]);
    expectSuccess(t);
    expect(t.stderr).toMatch(/patched 2 files, 0 already applied, 0 failed/);
    expect(more.map((f) => readFileSync(f, 'latin1'))).toEqual([RESULT, RESULT]);
    for (const f of [...files, ...more]) expect(existsSync(journalOf(f))).toBe(false);
  });
});
