// The native patch statements over ranges (fill, copy, stamp, the transforms), in-process: parsed,
// planned against bytes, applied, applied a second time ("already"), formatted back, and their
// refusals (statement too large, overlapping copy, a changed copy source, a transform without its
// hash or with the wrong one, move).
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GuardError, InputError } from '../../src/errors.js';
import { applyPatchToBytes, formatNativePatch, MAX_STATEMENT_BYTES, parseNativePatch, planPatch, type FileAccess } from '../../src/format/patch/index.js';

const sha256 = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');
const P = (text: string) => parseNativePatch(text, 'ops.patch');
const apply = (bytes: Uint8Array, text: string) => applyPatchToBytes(bytes, P(text), { sha256 });

/** Applies `text` to `bytes`, checks a second application is "already", and returns the result. */
function twice(bytes: Uint8Array, text: string): Buffer {
  const first = apply(bytes, text);
  expect(first.plan.state).toBe('apply');
  const second = apply(first.bytes, text);
  expect(second.plan.state).toBe('already');
  expect(Buffer.from(second.bytes)).toEqual(Buffer.from(first.bytes));
  return Buffer.from(first.bytes);
}

function inputError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('no InputError');
}

const xor = (b: Uint8Array, key: number[]) => Uint8Array.from(b, (v, i) => v ^ key[i % key.length]!);
const base = () => Buffer.from('Hello, world! 0123456789abcdef');

describe('fill and copy statements', () => {
  it('fill_repeats_its_pattern_over_the_range_and_a_second_run_is_already', () => {
    const out = twice(base(), 'fill 0x10:5 ee ff  # pad\nfill -2.. 00\n');
    expect(out.subarray(0x10, 0x15).toString('hex')).toBe('eeffeeffee');
    expect(out.subarray(-2).toString('hex')).toBe('0000');
    expect(out.subarray(0, 0x10)).toEqual(base().subarray(0, 0x10));
  });

  it('copy_writes_the_source_bytes_as_before_the_patch_and_a_second_run_is_already', () => {
    const out = twice(base(), 'copy 0:5 to 0x19\n');
    expect(out.subarray(0x19).toString()).toBe('Hello');
    expect(out.subarray(0, 0x19)).toEqual(base().subarray(0, 0x19));
  });

  it('copy_refuses_overlaps_and_a_source_that_another_statement_changes', () => {
    expect(inputError(() => apply(base(), 'copy 0:8 to 4\n'))).toMatch(
      /ops\.patch line 1: copy 0:8 to 0x4: the source and the destination overlap.*'mmapx copy'/,
    );
    expect(inputError(() => apply(base(), 'copy 0:4 to 0x10\n0x2: 00\n'))).toMatch(
      /line 1: the source of the copy \(0x0\.\.0x4\) is changed by ops\.patch line 2/,
    );
    expect(inputError(() => apply(base(), 'copy 0:4 to 0x1c\n'))).toMatch(/line 1: the change at 0x1c\.\.0x20 ends past the end of the file/);
  });

  it('refuses_empty_ranges_ranges_past_the_end_and_statements_over_the_size_limit', () => {
    expect(inputError(() => apply(base(), 'fill 4:0 00\n'))).toMatch(/line 1: fill: the range 4:0 is empty/);
    expect(inputError(() => apply(base(), 'fill 0:64 00\n'))).toMatch(/line 1: fill: range 0:64 ends past the end of the file \(size 30\)/);
    // A big file, never read: the limit is checked before any byte is.
    const huge: FileAccess = {
      size: 1n << 32n,
      read: () => {
        throw new Error('read');
      },
    };
    expect(inputError(() => planPatch(P('fill 0:17M 00\n'), huge, { sha256 }))).toMatch(
      new RegExp(`fill covers 17825792 bytes, more than a patch statement may \\(${MAX_STATEMENT_BYTES}.*use the command 'mmapx fill' for larger ranges`),
    );
    expect(inputError(() => planPatch(P(`xor 0:1G 5a -> sha256 ${'0'.repeat(64)}\n`), huge, { sha256 }))).toMatch(/use the command 'mmapx transform'/);
  });

  it('move_is_not_a_patch_statement', () => {
    // insert and delete are (test/format/patch-shifts.test.ts).
    expect(inputError(() => P('move 0 00\n'))).toBe(`ops.patch line 1, col 1: 'move' is not a patch statement: use the command 'mmapx move'`);
  });
});

describe('stamp statements', () => {
  it('stamps_text_or_hex_padded_once_and_a_second_run_is_already', () => {
    const src = Buffer.from('v=@@VERSION@@@@@;id=deadbeefdeadbeef');
    const out = twice(src, 'stamp "@@VERSION@@@@@" -> "1.4.2" terminate pad space\nstamp 64 65 61 64 62 65 65 66 (2 times) -> 0102\n');
    expect(out.toString('latin1')).toBe(`v=1.4.2\0${' '.repeat(8)};id=${'\x01\x02\0\0\0\0\0\0'.repeat(2)}`);
  });

  it('refuses_a_value_that_does_not_fit_and_a_count_of_all', () => {
    expect(inputError(() => P('stamp "abc" -> "abcd"\n'))).toMatch(/^ops\.patch line 1, col 7: the value has 4 bytes but the placeholder has 3/);
    expect(inputError(() => P('stamp "abc" (all) -> "x"\n'))).toMatch(/a stamp needs an exact count/);
    expect(inputError(() => P('stamp "abc" "x"\n'))).toMatch(/expected '->'/);
    expect(inputError(() => P('stamp "abc -> "x"\n'))).toMatch(/expected '->'|no closing/);
    expect(inputError(() => P('stamp "abc" -> "x" pad tab\n'))).toMatch(/expected 00, space or a hex byte after pad/);
  });

  it('a_placeholder_found_twice_fails_its_guard_and_changes_nothing', () => {
    const src = Buffer.from('@@V@@ @@V@@');
    expect(() => apply(src, 'stamp "@@V@@" -> "1"\n')).toThrow(GuardError);
    expect(() => apply(src, 'stamp "@@V@@" -> "1"\n')).toThrow(/matched 2 times at 0x0, 0x6; expected once/);
  });
});

describe('transform statements', () => {
  it('xor_and_add_apply_when_the_result_hashes_as_named_then_say_already', () => {
    const src = base();
    const x = xor(src.subarray(0, 6), [0x5a, 0xa5]);
    const y = Buffer.from(src.subarray(8, 16));
    y.writeUInt32LE((y.readUInt32LE(0) + 3) >>> 0, 0);
    y.writeUInt32LE((y.readUInt32LE(4) + 3) >>> 0, 4);
    const text = `xor 0:6 5a a5 -> sha256 ${sha256(x)}\nadd 8:8 3 (u32le) -> sha256 ${sha256(y)}  # counters\n`;
    const out = twice(src, text);
    expect(out.subarray(0, 6)).toEqual(Buffer.from(x));
    expect(out.subarray(8, 16)).toEqual(y);
    expect(out.subarray(16)).toEqual(src.subarray(16));
    // Formatted back, the same statements.
    expect(formatNativePatch(P(text))).toBe(`xor 0:6 5a a5 -> sha256 ${sha256(x)}\nadd 8:8 3 (u32le) -> sha256 ${sha256(y)}  # counters\n`);
  });

  it('a_result_of_another_hash_is_a_failed_guard_and_a_missing_hash_or_bad_unit_an_input_error', () => {
    expect(() => apply(base(), `not 0:4 -> sha256 ${'ab'.repeat(32)}\n`)).toThrow(/line 1: not of 0:4 would give sha256 [0-9a-f]{64}, expected (ab){32}/);
    expect(inputError(() => P('xor 0:4 5a\n'))).toMatch(/xor needs the SHA-256 of the range after it/);
    expect(inputError(() => P(`rol 0:4 9 -> sha256 ${'0'.repeat(64)}\n`))).toMatch(/^ops\.patch line 1, col 9: /);
    expect(inputError(() => apply(base(), `add 0:3 1 (u16le) -> sha256 ${'0'.repeat(64)}\n`))).toMatch(/not a whole number of 2-byte units/);
    expect(inputError(() => P(`xor 0:4 5a -> sha256 abc\n`))).toMatch(/expected 'sha256' and 64 hex digits/);
  });
});

describe('statements and offsets from the end', () => {
  it('a_range_from_the_end_is_refused_with_a_change_of_size', () => {
    expect(inputError(() => applyPatchToBytes(base(), P('size after 40\nfill -2.. 00\n'), { sha256, grow: true }))).toMatch(
      /from the end cannot be combined with a change of the file size/,
    );
  });
});

describe('property: fill and xor statements equal the same operations on a Buffer', () => {
  it('bytes outside the ranges never change, and a second run is already', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 200 }), fc.nat(), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 5 }), (data, a, b, pattern) => {
        const start = a % data.length;
        const length = 1 + (b % (data.length - start));
        const want = Buffer.from(data);
        want.fill(Buffer.from(pattern), start, start + length);
        const out = apply(data, `fill ${start}:${length} ${Buffer.from(pattern).toString('hex')}\n`);
        expect(Buffer.from(out.bytes)).toEqual(want);
        const x = xor(want.subarray(start, start + length), [...pattern]);
        const text = `xor ${start}:${length} ${Buffer.from(pattern).toString('hex')} -> sha256 ${sha256(x)}\n`;
        const xored = apply(want, text);
        const expected = Buffer.from(want);
        expected.set(x, start);
        expect(Buffer.from(xored.bytes)).toEqual(expected);
        // xor is its own inverse, yet the second run sees the hash it names and writes nothing.
        expect(apply(xored.bytes, text).plan.state).toBe('already');
      }),
      { numRuns: 100 },
    );
  });
});
