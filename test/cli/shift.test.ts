// mmapx insert and delete through the built CLI: several files, and recover rolling an interrupted
// shift FORWARD. The kill is deterministic here: a child process runs the library's insertBytes or
// deleteRange with tiny windows and a progress sink that SIGKILLs its own process after N steps,
// so the file is left half shifted with its journal (the random-instant SIGKILL runs are
// test/cli/shift-crash.test.ts and bench/shift-crash.mjs). While the journal is there every
// mutating command refuses the file; `mmapx recover` finishes the shift and removes it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, requireBuild, runModule } from '../helpers/child.js';
import { expectFailure, expectSuccess, mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-shift-');
const EDIT = join(ROOT, 'dist', 'lib', 'edit.mjs');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const journalOf = (p: string) => join(dir, `.${p.slice(dir.length + 1)}.mmapx-journal`);

function pattern(length: number, seed: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

describe('insert and delete', () => {
  it('change_every_listed_file_and_report_each_in_a_json_array', () => {
    const a = join(dir, 'a.bin');
    const b = join(dir, 'b.bin');
    writeFileSync(a, 'hello world');
    writeFileSync(b, '0123456789');
    const list = join(dir, 'ab.list');
    writeFileSync(list, `${a}\n${b}\n`);
    const ins = mmapx(['--json', 'insert', '--files-from', list, '5', '--text', '++']);
    expectSuccess(ins);
    const out = JSON.parse(ins.stdout) as { status: string; sizeAfter: number; method: string; journal: string | null }[];
    expect(out.map((o) => [o.status, o.sizeAfter])).toEqual([
      ['inserted', 13],
      ['inserted', 12],
    ]);
    expect(readFileSync(a, 'latin1')).toBe('hello++ world');
    expect(readFileSync(b, 'latin1')).toBe('01234++56789');
    const del = mmapx(['delete', '--files-from', list, '5:2', '--expect', '2b2b']);
    expectSuccess(del);
    expect(del.stderr).toMatch(/deleted from 2 files, 0 failed/);
    expect(readFileSync(a, 'latin1')).toBe('hello world');
    expect(readFileSync(b, 'latin1')).toBe('0123456789');
    expect(existsSync(journalOf(a)) || existsSync(journalOf(b))).toBe(false);
  });

  it('help_shows_examples_and_the_recover_rule', () => {
    for (const cmd of ['insert', 'delete']) {
      const r = mmapx([cmd, '--help']);
      expectSuccess(r);
      expect(r.stdout).toMatch(/Examples:\n {2}\$ mmapx (insert|delete) /);
      expect(r.stdout).toMatch(/mmapx recover FILE' FINISHES it/);
    }
  });
});

describe('recover finishes an interrupted shift', () => {
  // Staged steps (distance < window), steps of the distance in one map per window (4100 in
  // 16384), and far apart (distance > window: a source and a destination map per step).
  it.each([
    ['insert', 5, 64, 7, 1000],
    ['insert', 100, 64, 4, 1000],
    ['insert', 4100, 16384, 2, 65536],
    ['delete', 5, 64, 6, 1000],
    ['delete', 100, 64, 3, 1000],
    ['delete', 4100, 16384, 2, 65536],
  ] as const)('%s of %i bytes, window %i, killed after %i steps', (kind, distance, window, steps, size) => {
    requireBuild();
    const p = join(dir, `killed-${kind}-${distance}.bin`);
    const original = pattern(size, distance);
    writeFileSync(p, original);
    const offset = 37;
    const data = pattern(distance, 99);
    const result =
      kind === 'insert'
        ? Buffer.concat([original.subarray(0, offset), data, original.subarray(offset)])
        : Buffer.concat([original.subarray(0, offset), original.subarray(offset + distance)]);
    const child = runModule(
      `import { insertBytes, deleteRange } from ${JSON.stringify(EDIT)};
       let n = 0;
       const progress = { phase() {}, update() { if (++n === ${steps}) process.kill(process.pid, 'SIGKILL'); } };
       const o = { window: ${window}, progress, method: 'copy' };
       ${kind === 'insert' ? `await insertBytes(${JSON.stringify(p)}, ${offset}, Buffer.from('${data.toString('hex')}', 'hex'), o);` : `await deleteRange(${JSON.stringify(p)}, '${offset}:${distance}', o);`}`,
    );
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const j = journalOf(p);
    expect(existsSync(j)).toBe(true);
    const half = readFileSync(p);
    expect([sha(original), sha(result)]).not.toContain(sha(half)); // really half shifted
    // Every mutating command refuses the file until recover ran; the file stays as it is.
    expectFailure(
      mmapx(['write', p, '0', '00']),
      1,
      new RegExp(`a journal of an interrupted ${kind} exists .*: the file may be half shifted; run 'mmapx recover .*' first \\(it finishes the ${kind}\\)`),
    );
    // A reader warns, naming what recover will do.
    const read = mmapx(['hash', p]);
    expect(read.stderr).toMatch(
      new RegExp(`warning: a journal of an interrupted ${kind} exists .*: the file may be half shifted; 'mmapx recover .*' finishes the ${kind}`),
    );
    expect(sha(readFileSync(p))).toBe(sha(half));
    const r = mmapx(['--json', 'recover', p]);
    expectSuccess(r);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'completed', kind, offset, length: distance, size: result.length });
    expect(sha(readFileSync(p))).toBe(sha(result));
    expect(existsSync(j)).toBe(false);
  });

  it('refuses_a_journal_of_an_unknown_version_and_leaves_it', () => {
    const p = join(dir, 'v4.bin');
    writeFileSync(p, 'abc');
    const head = Buffer.alloc(64);
    head.write('MMAPXJNL', 0, 'latin1');
    head.writeUInt32LE(5, 8);
    head.writeUInt32LE(64, 12);
    writeFileSync(journalOf(p), head);
    expectFailure(mmapx(['recover', p]), 1, /is an mmapx journal of version 5, which this mmapx does not know \(it knows versions 1 to 4\)/);
    expect(existsSync(journalOf(p))).toBe(true);
    expect(readFileSync(p, 'latin1')).toBe('abc');
  });
});
