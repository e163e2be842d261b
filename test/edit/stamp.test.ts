// The stamp engine as a library user calls it (mmapx/edit): exactly N matches, the value padded,
// already stamped (read from the file's bytes, so also in a copy), another value refused and named
// from the stamp record, values that do not fit, dry runs. In-process: nothing is spawned.
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, stampBytes, stampFile, stampRecordPath } from '../../src/edit/index.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-stamp-');
let n = 0;

function file(bytes: Uint8Array | string): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, bytes);
  return p;
}

const PH = Buffer.from('@@VERSION@@@@@@@');
const text = (s: string) => Buffer.from(s);
const body = (...parts: (string | Uint8Array)[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));

describe('stampBytes', () => {
  it('pads_the_value_to_the_placeholder_length_with_the_pad_byte_and_the_terminator', () => {
    expect(Buffer.from(stampBytes({ placeholder: PH, value: text('1.2') }).bytes)).toEqual(body('1.2', Buffer.alloc(13)));
    expect(Buffer.from(stampBytes({ placeholder: PH, value: text('1.2'), pad: 0x20, terminate: true }).bytes)).toEqual(body('1.2\0', ' '.repeat(12)));
    expect(Buffer.from(stampBytes({ placeholder: text('abcd'), value: text('wxyz') }).bytes)).toEqual(text('wxyz'));
  });

  it('refuses_a_value_that_does_not_fit_naming_both_lengths', () => {
    expect(() => stampBytes({ placeholder: text('abcd'), value: text('12345') })).toThrow(/value has 5 bytes but the placeholder has 4/);
    // The terminator counts toward the length.
    expect(() => stampBytes({ placeholder: text('abcd'), value: text('1234'), terminate: true })).toThrow(/need 5 bytes .*placeholder has 4/);
    expect(() => stampBytes({ placeholder: new Uint8Array(0), value: text('1') })).toThrow(InputError);
    expect(() => stampBytes({ placeholder: PH, value: new Uint8Array(0) })).toThrow(InputError);
    expect(() => stampBytes({ placeholder: PH, value: text('1'), count: 0 })).toThrow(InputError);
  });
});

describe('stampFile', () => {
  it('a_value_or_placeholder_that_is_not_bytes_is_refused_before_the_file_is_touched', async () => {
    // A string or an array was copied into the stamp as zeros (Uint8Array.set takes any
    // array-like), written over the placeholder, and only then a TypeError came.
    const bad: unknown[] = ['1.2', [0x31], 1.5, 2n, null, undefined, {}, Symbol('v'), () => 1];
    for (const value of bad) {
      const p = file(body('head', PH, 'tail'));
      const before = readFileSync(p);
      const e = await stampFile(p, { placeholder: PH, value: value as Uint8Array }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(InputError);
      expect((e as Error).message).toMatch(/^the value must be bytes \(a Uint8Array or Buffer\), not /);
      expect(readFileSync(p)).toEqual(before);
      const f = await stampFile(p, { placeholder: value as Uint8Array, value: text('1') }).catch((err: unknown) => err);
      expect((f as Error).message).toMatch(/^the placeholder must be bytes/);
      expect(readFileSync(p)).toEqual(before);
    }
    for (const spec of [null, undefined, 'x']) {
      expect(() => stampBytes(spec as never)).toThrow(/^a stamp is an object/);
    }
    expect(() => stampBytes({ placeholder: PH, value: text('1'), count: Symbol('c') as never })).toThrow(/^the count a symbol must be/);
    expect(() => stampBytes({ placeholder: PH, value: text('1'), terminate: 'yes' as never })).toThrow(/^terminate must be true or false, not "yes"/);
  });

  it('stamps_exactly_once_then_says_already_and_a_copy_says_already_too', async () => {
    const p = file(body('head', PH, 'tail'));
    const first = await stampFile(p, { placeholder: PH, value: text('1.4.2'), terminate: true });
    expect(first.status).toBe('stamped');
    expect(first.locations.map((l) => [l.offset, l.state])).toEqual([[4n, 'apply']]);
    expect(readFileSync(p)).toEqual(body('head', '1.4.2', Buffer.alloc(11), 'tail'));
    expect(first.record).toBe(stampRecordPath(p));
    const again = await stampFile(p, { placeholder: PH, value: text('1.4.2'), terminate: true });
    expect(again.status).toBe('already');
    expect(again.locations.map((l) => [l.offset, l.state])).toEqual([[4n, 'already']]);
    // The in-file record: a copy without the record beside it is already stamped as well.
    const copy = join(dir, `copy${n++}.bin`);
    copyFileSync(p, copy);
    expect((await stampFile(copy, { placeholder: PH, value: text('1.4.2'), terminate: true })).status).toBe('already');
    expect(readdirSync(dir).filter((f) => f.endsWith('journal'))).toEqual([]);
  });

  it('refuses_another_value_naming_the_one_there_and_leaves_the_file_identical', async () => {
    const p = file(body('xx', PH, 'yy'));
    expect((await stampFile(p, { placeholder: PH, value: text('1.0') })).status).toBe('stamped');
    const before = readFileSync(p);
    const r = await stampFile(p, { placeholder: PH, value: text('2.0') });
    expect(r.status).toBe('failed');
    expect(r.failure).toMatch(/already stamped with "1\.0" at 0x2 .*refusing to stamp "2\.0"/);
    expect(r.found?.offsets).toEqual([2n]);
    expect(Buffer.from(r.found!.value)).toEqual(text('1.0'));
    expect(readFileSync(p)).toEqual(before);
    // Without the record (a copy) the value cannot be named, and the refusal says so.
    const copy = join(dir, `copy${n++}.bin`);
    copyFileSync(p, copy);
    const c = await stampFile(copy, { placeholder: PH, value: text('2.0') });
    expect(c.status).toBe('failed');
    expect(c.failure).toMatch(/matched nothing.*cannot be told without its stamp record/);
    expect(readFileSync(copy)).toEqual(before);
  });

  it('a_record_that_the_file_no_longer_matches_is_not_trusted', async () => {
    const p = file(body(PH, 'zz'));
    await stampFile(p, { placeholder: PH, value: text('3.0') });
    writeFileSync(p, body('no placeholder here at all'));
    const r = await stampFile(p, { placeholder: PH, value: text('4.0') });
    expect(r.status).toBe('failed');
    expect(r.found).toBeUndefined();
    expect(r.failure).toMatch(/cannot be told/);
  });

  it('requires_exactly_count_matches_naming_the_count_and_offsets', async () => {
    const none = file('nothing to see');
    const r0 = await stampFile(none, { placeholder: PH, value: text('1') });
    expect(r0.status).toBe('failed');
    expect(r0.failure).toMatch(/matched nothing; expected once/);
    const two = body('a', PH, 'b', PH, 'c');
    const p2 = file(two);
    const r2 = await stampFile(p2, { placeholder: PH, value: text('1') });
    expect(r2.status).toBe('failed');
    expect(r2.failure).toMatch(/matched 2 times at 0x1, 0x12; expected once/);
    expect(readFileSync(p2)).toEqual(two);
    // --count 2: both, all or nothing; then already.
    const ok = await stampFile(p2, { placeholder: PH, value: text('1'), count: 2, pad: 0x20 });
    expect(ok.status).toBe('stamped');
    expect(ok.locations.map((l) => l.offset)).toEqual([1n, 18n]);
    expect(readFileSync(p2)).toEqual(body('a1', ' '.repeat(15), 'b1', ' '.repeat(15), 'c'));
    expect((await stampFile(p2, { placeholder: PH, value: text('1'), count: 2, pad: 0x20 })).status).toBe('already');
  });

  it('a_dry_run_lists_every_location_and_leaves_the_file_and_no_record', async () => {
    const original = body(PH, '-', PH);
    const p = file(original);
    const r = await stampFile(p, { placeholder: PH, value: text('9.9'), count: 2, dryRun: true });
    expect(r.status).toBe('dry-run');
    expect(r.locations.map((l) => [l.offset, Buffer.from(l.old).toString(), Buffer.from(l.new).subarray(0, 3).toString()])).toEqual([
      [0n, PH.toString(), '9.9'],
      [17n, PH.toString(), '9.9'],
    ]);
    expect(readFileSync(p)).toEqual(original);
    expect(existsSync(stampRecordPath(p))).toBe(false);
  });

  it('refuses_a_value_too_long_before_opening_the_file', async () => {
    await expect(stampFile(join(dir, 'missing'), { placeholder: text('ab'), value: text('abc') })).rejects.toThrow(
      /value has 3 bytes but the placeholder has 2/,
    );
  });
});

describe('stampFile: counts with the value in place', () => {
  it('a_stamped_location_and_a_placeholder_together_make_the_count_and_both_are_stamped', async () => {
    const p = file(body('1.0', Buffer.alloc(13), '|', PH));
    const r = await stampFile(p, { placeholder: PH, value: text('1.0'), count: 2 });
    expect(r.status).toBe('stamped');
    expect(r.locations.map((l) => [l.offset, l.state])).toEqual([
      [0n, 'already'],
      [17n, 'apply'],
    ]);
  });

  it('the_value_found_but_not_count_times_says_so_and_not_that_it_is_absent', async () => {
    const p = file(body('a', PH, 'b'));
    await stampFile(p, { placeholder: PH, value: text('1.0') });
    const r = await stampFile(p, { placeholder: PH, value: text('1.0'), count: 2 });
    expect(r.status).toBe('failed');
    expect(r.failure).toMatch(/matched nothing \(once with the change applied\); expected 2 times$/);
    expect(r.found).toBeUndefined();
  });
});
