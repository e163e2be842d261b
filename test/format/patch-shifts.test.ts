// The native patch statements `insert OFFSET: BYTES` and `delete RANGE [: OLD]`, in-process: parsed
// and formatted back, planned against bytes in the coordinates of the file before the patch (the
// conflicts refused with both lines named, the guards), and random patches of hunks, range
// statements, inserts and deletes applied in memory equal a simple model written here.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GuardError } from '../../src/errors.js';
import { applyPatchToBytes, formatNativePatch, parseNativePatch, planPatch, bytesAccess, shiftedChunks } from '../../src/format/patch/index.js';
import { rng } from '../helpers/crash.mjs';
import { randomShiftPatch } from '../helpers/shift-patch.js';
import { inputErrorOf } from './expect-input-error.js';

const sha256 = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');
const P = (text: string) => parseNativePatch(text, 's.patch');
const apply = (bytes: Uint8Array, text: string) => applyPatchToBytes(bytes, P(text), { sha256 });
const base = () => Buffer.from('0123456789abcdefghijklmnopqrstuv'); // 32 bytes

/** A shift statement without its source, to compare parses. */
const bare = (text: string) => (P(text).shifts ?? []).map(({ source: _s, ...rest }) => rest);

describe('parsing and formatting insert and delete', () => {
  it('parses_hex_text_negative_offsets_guards_and_notes_and_formats_back_to_the_same_statements', () => {
    const text = [
      'insert 0x10: de ad  # two bytes',
      'insert 4: "v1.2\\n"',
      'insert -0: ff',
      'insert -2: 00 01',
      'delete 0x20:4: 41 42 43 44',
      'delete 8..12 : "89ab"',
      'delete -6..-3',
      '0x1: 31 -> ff',
    ].join('\n');
    const p = P(text);
    expect(p.hunks).toHaveLength(1);
    expect(bare(text)).toEqual([
      { kind: 'insert', offset: 0x10n, fromEnd: false, bytes: Uint8Array.of(0xde, 0xad), note: 'two bytes' },
      { kind: 'insert', offset: 4n, fromEnd: false, bytes: Uint8Array.from(Buffer.from('v1.2\n')) },
      { kind: 'insert', offset: -0n, fromEnd: true, bytes: Uint8Array.of(0xff) },
      { kind: 'insert', offset: -2n, fromEnd: true, bytes: Uint8Array.of(0, 1) },
      expect.objectContaining({ kind: 'delete', old: Uint8Array.from(Buffer.from('ABCD')) }),
      expect.objectContaining({ kind: 'delete', old: Uint8Array.from(Buffer.from('89ab')) }),
      expect.not.objectContaining({ old: expect.anything() }),
    ]);
    const again = formatNativePatch(p);
    expect(again).toContain('insert -0x0: ff\n');
    expect(again).toContain('delete 0x20:4 : 41 42 43 44\n');
    expect(bare(again)).toEqual(bare(text));
    // The same bytes from both parses, and the ones the statements say.
    const b64 = Buffer.from('0123456789abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^');
    const out = Buffer.from(apply(b64, text).bytes).toString('latin1');
    expect(Buffer.from(apply(b64, again).bytes).toString('latin1')).toBe(out);
    expect(out).toBe('0\xff23v1.2\n4567cdef\xde\xadghijklmnopqrstuvEFGHIJKLMNOPQRSTUVWXYZ$\x00\x01%^\xff');
  });

  it('refuses_malformed_statements_in_one_line_naming_line_and_column', () => {
    const cases: [string, RegExp][] = [
      ['insert 0x10:', /^s\.patch line 1, col 13: no bytes to insert$/],
      ['insert 0x10: ""', /line 1, col 14: "" is empty: no bytes to insert/],
      ['insert 0x10 00', /line 1, col \d+: expected 'insert OFFSET: bytes'/],
      ['insert zz: 00', /line 1, col 8: 'zz' is not a number/],
      ['insert 4: 0g', /line 1, col \d+:/],
      ['delete', /line 1, col 7: expected a RANGE after delete/],
      ['delete 0:4 junk', /line 1, col 12: expected ':' and the bytes being deleted after the range/],
      ['delete 0:4:', /line 1, col \d+: expected the bytes being deleted/],
      ['delete 0..x', /line 1, col \d+:.*range/],
    ];
    for (const [text, re] of cases) expect(inputErrorOf(() => P(`# c\n${text}`.slice(4))).message, text).toMatch(re);
  });
});

describe('planning in the coordinates before the patch', () => {
  it('applies_inserts_deletes_and_hunks_at_their_original_offsets_whatever_their_order', () => {
    const text = [
      'delete 0x10:4: 67 68 69 6a',
      '0x2: 32 -> 58',
      'insert 0x14: "<>"',
      'insert 0x10: "A"',
      'insert 0x10: "B"',
      'insert -0: "$"',
      'fill 0x18:2 2e',
    ];
    const want = Buffer.from('01X3456789abcdefAB<>klmn..qrstuv$');
    expect(Buffer.from(apply(base(), text.join('\n')).bytes).toString()).toBe(want.toString());
    expect(Buffer.from(apply(base(), [...text].reverse().join('\n')).bytes).toString()).toBe(want.toString().replace('AB', 'BA'));
    const r = apply(base(), text.join('\n'));
    expect(r.plan).toMatchObject({ state: 'apply', sizeBefore: 32n, sizeAfter: 33n });
    // A second run applies the shifts again: the guard of the delete is what stops it.
    expect(() => apply(r.bytes, text.join('\n'))).toThrow(GuardError);
  });

  it('refuses_conflicts_naming_both_lines', () => {
    const cases: [string, RegExp][] = [
      ['delete 4:4\n0x6: 00', /^s\.patch line 1 and s\.patch line 2: the change at 0x6\.\.0x7 overlaps the deleted range 0x4\.\.0x8/],
      ['0x3: 00 00\ndelete 4:4', /^s\.patch line 1 and s\.patch line 2: the change at 0x3\.\.0x5 overlaps the deleted range/],
      ['fill 0:5 00\ndelete 4:4', /line 1 and s\.patch line 2: the change at 0x0\.\.0x5 overlaps/],
      ['delete 4:4\ndelete 6..10', /^s\.patch line 1 and s\.patch line 2: the deleted ranges overlap at 0x6\.\.0x8/],
      ['insert 5: 00\ndelete 4:4', /^s\.patch line 1 and s\.patch line 2: the insert at 0x5 is inside the deleted range 0x4\.\.0x8/],
      ['find 36 37 38: 00\ndelete 4:4', /line 1 and s\.patch line 2: the change at 0x6/],
      ['insert 33: 00', /line 1: insert at 0x21: past the end of the file \(size 0x20\)/],
      ['insert -33: 00', /line 1: insert at -0x21: before the start/],
      ['delete 30:4', /line 1: delete: .*past the end/],
      ['delete 4:0', /line 1: delete: the range 4:0 is empty/],
      ['delete 4:2: 00', /line 1: delete 4:2: the guard has 1 byte\(s\) but the range has 2/],
      [
        Array.from({ length: 1001 }, (_, i) => `insert ${i % 32}: 00`).join('\n'),
        /^s\.patch line 1001: the patch has 1001 inserts and deletes, more than 1000: each one moves the rest of the file once/,
      ],
      [
        '0x1f: 00 00\ninsert 0: 00',
        /line 1: the change at 0x1f\.\.0x21 ends past the end of the file \(size 0x20\); a patch with inserts or deletes changes the size only through them/,
      ],
    ];
    for (const [text, re] of cases) expect(inputErrorOf(() => apply(base(), text)).message, text).toMatch(re);
    // 1000 of them are still one patch.
    expect(apply(base(), Array.from({ length: 1000 }, () => 'insert 0: 00').join('\n')).bytes.length).toBe(1032);
    // At the start or the end of a deleted range an insert is fine.
    expect(Buffer.from(apply(base(), 'insert 4: "<"\ndelete 4:4\ninsert 8: ">"').bytes).toString()).toBe('0123<>89abcdefghijklmnopqrstuv');
  });

  it('fails_guards_of_deleted_bytes_size_after_and_sha256_after_with_the_result_hash', () => {
    const fail = (text: string) => {
      const plan = planPatch(P(text), bytesAccess(base()), { sha256 });
      return plan;
    };
    expect(fail('delete 0:2: 00 00').failures).toEqual(['s.patch line 1: delete at 0x0 expected 00 00, found 30 31']);
    expect(fail('size after 0x20\ninsert 0: 00').failures).toEqual(['s.patch line 1: size after 0x20, but the inserts and deletes give 0x21 (from 0x20)']);
    expect(fail('size after 0x21\ninsert 0: 00').state).toBe('apply');
    const want = Buffer.concat([Buffer.from('x'), base().subarray(4)]);
    expect(Buffer.from(apply(base(), `sha256 after ${sha256(want)}\ndelete 0:4\ninsert 0: 78`).bytes)).toEqual(want);
    expect(() => apply(base(), `sha256 after ${sha256(base())}\ndelete 0:4`)).toThrow(/sha256 of the patched file is/);
  });
});

describe('random patches with shifts', () => {
  it('equal_the_model_and_their_streamed_result_hash_is_the_result', () => {
    const rand = rng(1515);
    for (let trial = 0; trial < 300; trial++) {
      const orig = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
      const { text, want } = randomShiftPatch(rand, orig);
      const r = apply(orig, text);
      expect(Buffer.from(r.bytes).equals(want), `${trial}: ${text}`).toBe(true);
      expect(r.plan.sizeAfter).toBe(BigInt(want.length));
      // Small chunks: the stream crosses hunks, inserts and deletes at every place.
      const h = createHash('sha256');
      const seen = createHash('sha256');
      for (const piece of shiftedChunks(r.plan, bytesAccess(orig), 7, (o) => seen.update(o))) h.update(piece);
      expect(h.digest('hex')).toBe(sha256(want));
      expect(seen.digest('hex')).toBe(sha256(orig));
    }
  });
});
