// Bad arguments to the engine's public calls (`mmapx/edit`), as a careless or hostile caller passes
// them: a path that is no file name, options that are no object, an option of the wrong kind, data
// and patterns of the wrong kind. Each is an InputError naming what was wrong, in one line, before
// the file is opened, and the file is byte-identical: not a TypeError from deep inside ("Cannot read
// properties of null", "is not a function"), not Node's own "Received ..." wrapped as a failed
// operation, not a stream that never ends, and not a write of zeros (a stamp value given as text).
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import * as edit from '../../src/edit/index.js';
import { InputError, MmapxError, OperationError } from '../../src/edit/index.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-edit-args-');
const path = join(dir, 'subject.bin');
const other = join(dir, 'other.bin');
const CONTENT = Buffer.from('0123456789abcdef hello world '.repeat(64));

/** Values of every kind, for the places that take one kind only. */
const WRONG: unknown[] = [null, true, 0, -1, 1.5, Number.NaN, 2n ** 64n, Symbol('s'), [], () => 1, Object.create(null), new Uint8Array(0)];
const NOT_A_PATH: unknown[] = [undefined, null, 0, 3n, Symbol('p'), {}, [], () => 1, '', 'a\0b', new URL('file:///x')];
const NOT_OPTIONS: unknown[] = [null, 0, 'x', Symbol('o'), [], true];
const NODE_INTERNAL = /Received |Cannot read|Cannot convert|Cannot use|is not a function|undefined \(reading|\[object /;

/** One public call with good arguments; `args` replaces some of them. */
type Call = (over: Partial<Record<'path' | 'options' | 'a' | 'b', unknown>>) => unknown;

/** The replacement for `key` when the case gives one (even undefined or null), else the good value. */
const at = (o: Partial<Record<string, unknown>>, key: string, good: unknown): unknown => (key in o ? o[key] : good);

const any = edit as unknown as Record<string, (...a: unknown[]) => unknown>;
const CALLS: Record<string, Call> = {
  writeAt: (o) => any.writeAt!(at(o, 'path', path), at(o, 'a', 100), at(o, 'b', Buffer.from('X')), 'options' in o ? o.options : { lockWait: 0 }),
  flushFile: (o) => any.flushFile!(at(o, 'path', path), 'options' in o ? o.options : {}),
  inspectFile: (o) => any.inspectFile!(at(o, 'path', path), 'options' in o ? o.options : {}),
  hashRange: (o) => any.hashRange!(at(o, 'path', path), 'options' in o ? o.options : {}),
  readRange: (o) => any.readRange!(at(o, 'path', path), 'options' in o ? o.options : {}),
  readHexRecords: (o) => any.readHexRecords!(at(o, 'path', path), 'options' in o ? o.options : { format: 'ihex', ...(o.a as object) }),
  dump: (o) => any.dump!(at(o, 'path', path), at(o, 'a', 'canonical'), 'options' in o ? o.options : {}),
  diffFiles: (o) => any.diffFiles!(at(o, 'path', path), at(o, 'b', other), 'options' in o ? o.options : {}),
  find: (o) => any.find!(at(o, 'path', path), at(o, 'a', 'hello'), 'options' in o ? o.options : {}),
  fillRange: (o) => any.fillRange!(at(o, 'path', path), 'a' in o ? o.a : '0:4', Buffer.from([1]), 'options' in o ? o.options : {}),
  copyRange: (o) => any.copyRange!(at(o, 'path', path), 'a' in o ? o.a : '0:4', 8, 'options' in o ? o.options : {}),
  moveRange: (o) => any.moveRange!(at(o, 'path', path), 'a' in o ? o.a : '0:4', 8, 'options' in o ? o.options : {}),
  transformRange: (o) => any.transformRange!(at(o, 'path', path), '0:4', 'a' in o ? o.a : edit.parseTransform('xor', 'ff'), 'options' in o ? o.options : {}),
  insertBytes: (o) => any.insertBytes!(at(o, 'path', path), 4, 'a' in o ? o.a : Buffer.from('X'), 'options' in o ? o.options : {}),
  deleteRange: (o) => any.deleteRange!(at(o, 'path', path), '0:4', 'options' in o ? o.options : {}),
  patchFile: (o) => any.patchFile!(at(o, 'path', path), 'a' in o ? o.a : [{ offset: 1, bytes: Buffer.from('X') }], 'options' in o ? o.options : {}),
  patchFiles: (o) => any.patchFiles!([at(o, 'path', path)], [{ offset: 1, bytes: Buffer.from('X') }], 'options' in o ? o.options : {}),
  stampFile: (o) => any.stampFile!(at(o, 'path', path), 'options' in o ? o.options : { placeholder: Buffer.from('hello'), value: Buffer.from('HI') }),
  recover: (o) => any.recover!(at(o, 'path', path), 'options' in o ? o.options : {}),
  protectFile: (o) =>
    any.protectFile!(
      at(o, 'path', path),
      at(o, 'a', 'ro'),
      'options' in o ? o.options : {},
      at(o, 'b', () => 1),
    ),
  imageInfo: (o) => any.imageInfo!(at(o, 'path', path), 'options' in o ? o.options : {}),
};

/** Runs a call to its end (a promise, a stream, an async generator) and returns what it threw. */
async function failure(run: () => unknown): Promise<unknown> {
  try {
    let r = run();
    if (r instanceof Promise) r = await r;
    if (r instanceof Readable) for await (const _ of r);
    else if (r !== null && typeof r === 'object' && Symbol.asyncIterator in r) for await (const _ of r as AsyncIterable<unknown>);
    return undefined;
  } catch (err) {
    return err;
  }
}

async function expectRefused(run: () => unknown, pattern?: RegExp): Promise<void> {
  writeFileSync(path, CONTENT);
  const e = await failure(run);
  expect(e, String(run)).toBeInstanceOf(InputError);
  const message = (e as Error).message;
  expect(message.split('\n')).toHaveLength(1);
  expect(message).not.toMatch(NODE_INTERNAL);
  if (pattern) expect(message).toMatch(pattern);
  expect(readFileSync(path)).toEqual(CONTENT);
}

describe('bad arguments to the engine (mmapx/edit)', () => {
  writeFileSync(other, CONTENT);

  it('every_call_takes_its_good_arguments', async () => {
    for (const [name, call] of Object.entries(CALLS)) {
      writeFileSync(path, CONTENT);
      const e = await failure(() => call({}));
      expect(e === undefined || e instanceof MmapxError, `${name}: ${String(e)}`).toBe(true);
    }
  });

  it('a_path_that_is_no_file_name_is_an_input_error_naming_it', async () => {
    for (const call of Object.values(CALLS)) {
      for (const p of NOT_A_PATH) {
        if (p === undefined) continue; // the call's own default stands in
        await expectRefused(() => call({ path: p }), /must be a file name/);
      }
    }
  });

  it('options_that_are_no_object_and_options_of_the_wrong_kind_are_input_errors', async () => {
    for (const [name, call] of Object.entries(CALLS)) {
      for (const o of NOT_OPTIONS) await expectRefused(() => call({ options: o }), name === 'stampFile' ? undefined : /^options must be an object/);
      for (const [key, value] of [
        ['force', 'yes'],
        ['lockWait', -1],
        ['lockWait', Number.POSITIVE_INFINITY],
        ['progress', {}],
        ['clock', 5],
        ['signal', {}],
        ['onPendingJournal', 'x'],
        ['arch', 64],
        ['highWaterMark', 0],
        ['expect', 'ab'],
        ['expectResultSha256', 7],
      ] as const) {
        const base =
          name === 'stampFile' ? { placeholder: Buffer.from('hello'), value: Buffer.from('HI') } : name === 'readHexRecords' ? { format: 'ihex' } : {};
        await expectRefused(() => call({ options: { ...base, [key]: value } }), new RegExp(`^options\\.${key} must be`));
      }
    }
  });

  it('a_getter_that_throws_is_an_input_error_naming_the_option', async () => {
    const options = Object.defineProperty({}, 'lockWait', {
      get() {
        throw new Error('no');
      },
    });
    await expectRefused(() => CALLS.flushFile!({ options }), /^options\.lockWait could not be read: no$/);
  });

  it('a_stream_with_high_water_mark_zero_is_an_error_not_a_stream_that_never_ends', async () => {
    // Node accepts 0, but a stream read with for await then never asks for data: it hung.
    for (const name of ['readRange', 'dump', 'diffFiles', 'readHexRecords']) {
      const base = name === 'readHexRecords' ? { format: 'ihex' } : {};
      for (const hwm of [0, -0, -1, 1.5, Number.NaN, '16']) {
        await expectRefused(() => CALLS[name]!({ options: { ...base, highWaterMark: hwm } }), /^options\.highWaterMark must be a whole number/);
      }
    }
    const chunks: Buffer[] = [];
    for await (const c of edit.readRange(path, { highWaterMark: 1 })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(CONTENT);
  });

  it('data_patterns_patches_ranges_transforms_and_modes_of_the_wrong_kind', async () => {
    for (const v of WRONG) {
      if (!(v instanceof Uint8Array)) {
        await expectRefused(() => CALLS.writeAt!({ b: v }), /^the data must be bytes|fill byte|length/);
        await expectRefused(() => CALLS.insertBytes!({ a: v }), /^the data must be bytes|fill byte|length/);
        await expectRefused(() => CALLS.find!({ a: v }), /^the pattern must be/);
        await expectRefused(() => CALLS.transformRange!({ a: v }), /^the transform must be one made by parseTransform/);
        if (!Array.isArray(v)) await expectRefused(() => CALLS.patchFile!({ a: v }), /^the patch must be/);
      }
      await expectRefused(() => CALLS.protectFile!({ a: v }), /^mode must be 'ro', 'rw', 'exec' or 'none'/);
      if (typeof v !== 'function') await expectRefused(() => CALLS.protectFile!({ b: v }), /^hold must be a function/);

      if (v !== null) await expectRefused(() => CALLS.readHexRecords!({ a: { header: v } }), /^header must be a string/);
    }
    for (const base of [-1, 1.5, Number.NaN, '3', Symbol('b'), {}, () => 1]) {
      await expectRefused(() => CALLS.readHexRecords!({ a: { base } }), /base address/);
    }
    // A record format that is not ihex was written as S-records; a method not 'copy' as 'auto'.
    for (const format of ['IHEX', 'hex', '', 1, null]) {
      await expectRefused(() => CALLS.readHexRecords!({ options: { format } }), /^unknown record format .* \(expected ihex or srec\)/);
    }
    for (const method of ['fast', 'COPY', 1, null]) {
      await expectRefused(() => CALLS.insertBytes!({ options: { method } }), /^options\.method must be 'auto' or 'copy'/);
      await expectRefused(() => CALLS.deleteRange!({ options: { method } }), /^options\.method must be 'auto' or 'copy'/);
    }
    await expectRefused(() => CALLS.dump!({ a: Symbol('d') }), /^unknown dump format a symbol/);
    await expectRefused(() => CALLS.writeAt!({ a: null }), /^offset must be a number, bigint or string, not null/);
    await expectRefused(() => CALLS.writeAt!({ b: { fill: 1, length: Symbol('n') } }), /length a symbol is not a whole number/);
    await expectRefused(() => CALLS.writeAt!({ b: { file: null, offset: 0n, length: 1 } }), /needs file: \{ fd, path \}/);
    for (const name of ['fillRange', 'copyRange', 'moveRange']) await expectRefused(() => CALLS[name]!({ a: undefined }), /^a range is required/);
  });

  it('messages_show_symbols_and_prototype_less_objects_instead_of_throwing_on_them', async () => {
    await expectRefused(() => CALLS.find!({ options: { max: Symbol('m') } }), /^max a symbol must be/);
    await expectRefused(() => CALLS.fillRange!({ options: { windowSize: Object.create(null) } }), /^windowSize an object is not/);
    await expectRefused(() => CALLS.diffFiles!({ options: { format: Symbol('f') } }), /^unknown diff format a symbol/);
    await expectRefused(() => CALLS.hashRange!({ options: { algorithm: Object.create(null) } }), /^unknown algorithm an object/);
    await expectRefused(() => CALLS.moveRange!({ options: { fill: Symbol('f') } }), /^fill byte a symbol/);
    await expectRefused(() => CALLS.deleteRange!({ options: { window: Symbol('w') } }), /^window a symbol/);
    await expectRefused(() => CALLS.readRange!({ options: { range: Object.create(null) } }), /^offset undefined is not an integer/);
  });

  it('the_pure_readers_and_writers_refuse_values_of_the_wrong_kind_with_an_input_error', async () => {
    const refused = async (run: () => unknown, pattern: RegExp): Promise<void> => {
      const e = await failure(run);
      expect(e, String(run)).toBeInstanceOf(InputError);
      expect((e as Error).message).not.toMatch(NODE_INTERNAL);
      expect((e as Error).message).toMatch(pattern);
    };
    for (const v of [null, undefined, 5, Symbol('v'), {}, () => 1]) {
      await refused(() => edit.parsePatch(v as string), /^the patch must be a string or bytes/);
      await refused(() => edit.parseIntelHex(v as string), /^the records must be a string or bytes/);
      await refused(() => edit.parseSrec(v as string), /^the records must be a string or bytes/);
      await refused(() => edit.formatIntelHex(v as Uint8Array), /^the bytes must be bytes/);
      await refused(() => edit.formatSrec(v as Uint8Array), /^the bytes must be bytes/);
      await refused(() => edit.parseTransform(v as string, 'ff'), /^the transform must be a string/);
      await refused(() => edit.editsToPatch(v as never), /^the edits must be an array/);
      await refused(() => edit.applyDeltaInMemory(v as Uint8Array, {} as never), /^the source must be bytes/);
      await refused(() => edit.stampRecordPath(v as string), /^path must be a string/);
      if (typeof v !== 'object' || v === null) await refused(() => new edit.IntelHexEncoder(v as never, () => {}), /options must be an object/);
      if (v !== undefined) {
        await refused(() => edit.hashStream(v as never), /^the source must be an iterable/);
        await refused(() => edit.dumpReadable(v as never, 'canonical'), /^the source must be an iterable/);
        await refused(() => edit.unhex(v as never, { write() {} }), /^the input must be an iterable/);
        await refused(() => edit.unhex(['00'], v as never), /^the sink must/);
      }
    }
    // A source that gives something else than strings or bytes.
    await refused(() => edit.hashStream([1] as never), /^the source gave 1: its chunks must be strings or bytes/);
    await refused(() => edit.dumpReadable([null] as never, 'canonical'), /^the source gave null/);
    await refused(() => edit.unhex([{}] as never, { write() {} }), /^the input gave an object/);
    await refused(() => edit.applyDeltaInMemory(Buffer.from('a'), { ops: 5 } as never), /^the delta must be a parsed Delta/);
    await refused(() => edit.editsToPatch([], 7 as never), /^name must be a string/);
    // A Delta built by hand: its fields and each item of its ops(), as the applier takes them.
    const ops = (...items: unknown[]) => ({ format: 'ips32', checks: [], ops: () => items }) as never;
    for (const [delta, pattern] of [
      [null, /^the delta must be a parsed Delta/],
      [{ format: 'ips', checks: [], ops: () => [] }, /^the delta's format must be one of/],
      [{ format: 'bps', checks: 5, ops: () => [] }, /^the delta's checks must be an array/],
      [{ format: 'bps', checks: [], targetSize: -5n, ops: () => [] }, /^the delta's targetSize must be a bigint/],
      [{ format: 'bps', checks: [], ops: () => 5 }, /^the delta's ops\(\) must return an iterable/],
      [ops(null), /^delta op 0 must be an op or a check object, not null/],
      [ops({ kind: 'data', at: 1, bytes: Buffer.from('x') }), /^delta op 0: at must be a bigint from 0 to 2\^63-1, not 1$/],
      [ops({ kind: 'data', at: 2n ** 63n, bytes: Buffer.from('x') }), /^delta op 0: at must be a bigint/],
      [ops({ kind: 'fill', at: 0n, length: 2n, byte: 1 }), /^delta op 0: value must be a byte/],
      [ops({ kind: 'copy', at: 0n }), /^delta op 0: kind must be one of/],
      [ops({ algorithm: 'md5', of: 'target', value: 1 }), /^delta op 0: algorithm must be/],
    ] as const) {
      await refused(() => edit.applyDeltaInMemory(Buffer.from('abc'), delta as never), pattern);
      await expectRefused(() => edit.applyDelta(path, delta as never), pattern);
    }
  });

  it('data_read_from_a_descriptor_that_cannot_be_read_is_an_operation_error_and_the_file_is_unchanged', async () => {
    // insertBytes let Node's own EISDIR out (an Error, not the engine's), where writeAt names it.
    const fd = openSync(dir, 'r');
    try {
      for (const run of [
        () => edit.insertBytes(path, 4, { file: { fd, path: 'a-directory' }, offset: 0n, length: 4 }),
        () => edit.writeAt(path, 4, { file: { fd, path: 'a-directory' }, offset: 0n, length: 4 }),
      ]) {
        writeFileSync(path, CONTENT);
        const e = await failure(run);
        expect(e).toBeInstanceOf(OperationError);
        expect((e as OperationError).code).toBe('EISDIR');
        expect((e as Error).message).toBe('cannot read the data from a-directory: is a directory');
        expect(readFileSync(path)).toEqual(CONTENT);
      }
    } finally {
      closeSync(fd);
    }
  });
});
