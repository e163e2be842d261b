// insertBytes and deleteRange (src/edit/shift.ts) in-process: random sequences of inserts and
// deletes on random small files, with tiny windows so that every path runs (staged steps for
// distances below the window, unstaged steps of the distance, extents where the filesystem can),
// equal the same operations on a Buffer; guards, bad input and dry runs leave the file
// byte-identical; the hashes the engine reports are the result's.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deleteRange, GuardError, InputError, insertBytes, OperationError } from '../../src/edit/index.js';
import { journalPath } from '../../src/edit/journal.js';
import { tmpDir } from '../helpers/tmp.js';
import { rng } from '../helpers/crash.mjs';

const dir = tmpDir('mmapx-edit-shift-');
let n = 0;

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

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('insertBytes and deleteRange', () => {
  it('random_inserts_and_deletes_equal_the_same_operations_on_a_buffer', async () => {
    const rand = rng(15);
    let ops = 0;
    for (let trial = 0; trial < 12; trial++) {
      let model = randomBytes(rand, Math.floor(rand() * 3000));
      const p = file(model);
      const window = [13, 64, 500, 4096, 20000, 65536][trial % 5]!;
      const journal = trial % 3 === 0; // the journal costs an fsync per operation: a third of the trials
      for (let k = 0; k < 10; k++) {
        const size = model.length;
        const insert = size === 0 || rand() < 0.5;
        const big = rand() < 0.3;
        if (insert) {
          const at = Math.floor(rand() * (size + 1));
          const len = 1 + Math.floor(rand() * (big ? 9000 : 100));
          const data = rand() < 0.2 ? { fill: Math.floor(rand() * 256), length: len } : randomBytes(rand, len);
          const bytes = data instanceof Uint8Array ? data : Buffer.alloc(len, data.fill);
          const r = await insertBytes(p, at, data, { window, journal, sync: journal, hash: k === 0 });
          model = Buffer.concat([model.subarray(0, at), bytes, model.subarray(at)]);
          expect(r).toMatchObject({ status: 'inserted', offset: BigInt(at), length: BigInt(len), sizeAfter: BigInt(model.length), moved: BigInt(size - at) });
          if (k === 0) expect(r.hashes?.after).toBe(sha(model));
        } else {
          const at = Math.floor(rand() * size);
          const len = 1 + Math.floor(rand() * Math.min(size - at - 1, big ? 9000 : 100));
          const r = await deleteRange(p, `${at}:${len}`, { window, journal, sync: journal, expect: k % 4 === 1 ? model.subarray(at, at + len) : undefined });
          model = Buffer.concat([model.subarray(0, at), model.subarray(at + len)]);
          expect(r).toMatchObject({ status: 'deleted', offset: BigInt(at), length: BigInt(len), sizeAfter: BigInt(model.length) });
        }
        ops++;
        expect(sha(readFileSync(p)), `trial ${trial} op ${k} window ${window}`).toBe(sha(model));
        expect(existsSync(journalPath(p))).toBe(false);
      }
    }
    expect(ops).toBe(120);
  });

  it('block_aligned_shifts_give_the_same_bytes_by_extents_or_by_copy', async () => {
    const rand = rng(7);
    const original = randomBytes(rand, 64 * 1024);
    for (const method of ['auto', 'copy'] as const) {
      const p = file(original);
      const a = await deleteRange(p, { offset: 4096, length: 8192 }, { method });
      const b = await insertBytes(p, 8192, { fill: 0xab, length: 4096 }, { method });
      const model = Buffer.concat([original.subarray(0, 4096), original.subarray(12288, 16384), Buffer.alloc(4096, 0xab), original.subarray(16384)]);
      expect(sha(readFileSync(p)), method).toBe(sha(model));
      if (method === 'copy') expect([a.method, b.method]).toEqual(['copy', 'copy']);
      else expect(['extents', 'copy']).toContain(a.method); // extents where the filesystem can
    }
  });

  it('dry_runs_report_the_move_and_the_result_hash_and_change_nothing', async () => {
    const original = randomBytes(rng(3), 5000);
    const p = file(original);
    const d = await deleteRange(p, '100:50', { dryRun: true, hash: true });
    expect(d).toMatchObject({ status: 'dry-run', sizeAfter: 4950n, moved: 4850n, journal: null });
    expect(d.hashes).toEqual({ before: sha(original), after: sha(Buffer.concat([original.subarray(0, 100), original.subarray(150)])) });
    expect(Buffer.from(d.old).equals(original.subarray(100, 150))).toBe(true);
    const i = await insertBytes(p, -0, Buffer.from('tail'), { dryRun: true, hash: true });
    expect(i).toMatchObject({ status: 'dry-run', offset: 5000n, moved: 0n, method: 'none' });
    expect(i.hashes?.after).toBe(sha(Buffer.concat([original, Buffer.from('tail')])));
    expect(sha(readFileSync(p))).toBe(sha(original));
  });

  it('bad_input_and_failed_guards_leave_the_file_byte_identical', async () => {
    const original = randomBytes(rng(5), 1000);
    const p = file(original);
    const cases: [() => Promise<unknown>, unknown, RegExp][] = [
      [() => deleteRange(p, '990:20'), InputError, /ends past the end/],
      [() => deleteRange(p, '10:0'), InputError, /is empty \(0 bytes\): nothing to delete/],
      [() => deleteRange(p, '1001:1'), InputError, /starts past the end/],
      [() => insertBytes(p, 1001, Uint8Array.of(1)), InputError, /past the end/],
      [() => insertBytes(p, 0, new Uint8Array(0)), InputError, /no bytes to insert/],
      [() => insertBytes(p, 0, { fill: 0, length: 2 ** 53 }), InputError, /largest size/],
      [() => deleteRange(p, '0:2', { expect: Uint8Array.of(original[0]! ^ 1, original[1]!) }), GuardError, /expected/],
      [() => deleteRange(p, '0:2', { expect: Uint8Array.of(1) }), InputError, /the bytes being deleted/],
      [() => insertBytes(p, 998, Uint8Array.of(1), { expect: Uint8Array.of(1, 2, 3) }), GuardError, /ends at/],
      [() => deleteRange(p, '0:2', { expectResultSha256: '0'.repeat(64) }), GuardError, /would have sha256/],
    ];
    for (const [run, type, message] of cases) {
      const e = await run().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e, String(message)).toBeInstanceOf(type);
      expect((e as Error).message).toMatch(message);
      expect(sha(readFileSync(p))).toBe(sha(original));
    }
    writeFileSync(journalPath(p), 'x');
    await expect(deleteRange(p, '0:1')).rejects.toBeInstanceOf(OperationError);
    expect(sha(readFileSync(p))).toBe(sha(original));
  });
});

const hasBbe = spawnSync('bbe', ['--version']).status === 0;

describe('differential against bbe', () => {
  // bbe streams to a new file: `-b OFF:LEN -e D` deletes the block, `-b OFF:1 -e '> FILE'` puts
  // FILE's bytes before the byte at OFF, `-b LAST:1 -e '< FILE'` after the last byte. The in-place
  // result must equal bbe's output byte for byte. All bbe runs go in one spawn of sh.
  it.skipIf(!hasBbe)('deletes_and_inserts_equal_bbe_output_streams', async () => {
    const rand = rng(1772);
    const cases: { input: string; expected: string; run: () => Promise<unknown> }[] = [];
    const script: string[] = [];
    for (let i = 0; i < 24; i++) {
      const size = 1 + Math.floor(rand() * 20000);
      const original = randomBytes(rand, size);
      const input = file(original);
      const target = file(original);
      const expected = join(dir, `bbe-${i}.out`);
      const window = [97, 4096, 65536][i % 3]!;
      if (i % 2 === 0) {
        const at = Math.floor(rand() * size);
        const len = 1 + Math.floor(rand() * (size - at - 1));
        script.push(`bbe -b ${at}:${len} -e D -o '${expected}' '${input}'`);
        cases.push({ input, expected, run: () => deleteRange(target, { offset: at, length: len }, { window }) });
      } else {
        const at = Math.floor(rand() * (size + 1));
        const payload = join(dir, `bbe-${i}.payload`);
        const data = randomBytes(rand, 1 + Math.floor(rand() * (i % 4 === 1 ? 3000 : 40)));
        writeFileSync(payload, data);
        script.push(
          at < size ? `bbe -b ${at}:1 -e '> ${payload}' -o '${expected}' '${input}'` : `bbe -b ${size - 1}:1 -e '< ${payload}' -o '${expected}' '${input}'`,
        );
        cases.push({ input, expected, run: () => insertBytes(target, at, data, { window }) });
      }
      cases[cases.length - 1]!.input = target;
    }
    const r = spawnSync('sh', ['-c', script.join(' && ')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    for (const [i, c] of cases.entries()) {
      await c.run();
      expect(sha(readFileSync(c.input)), `case ${i}: ${script[i]}`).toBe(sha(readFileSync(c.expected)));
    }
  });
});
