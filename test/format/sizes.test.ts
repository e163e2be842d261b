// Impossible sizes in the pure code: the patch readers stop at the signed 64-bit range like the
// command line's numbers, the planner refuses growth past the largest size mmapx gives a file
// (before it is a question of --grow), and a device's range is judged against that limit by name.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { INT64_MAX, MAX_FILE_SIZE } from '../../src/format/number.js';
import { bytesAccess, dumpToPatch, parseDump, parseEditSpec, parseNativePatch, planPatch, type Patch } from '../../src/format/patch/index.js';
import { parseRange, resolveRange } from '../../src/format/range.js';
import { inputErrorOf as inputError } from './expect-input-error.js';

const file = bytesAccess(new TextEncoder().encode('ABCDEFGH'));
const edit = (spec: string): Patch => ({ hunks: [parseEditSpec(spec)], guards: {} });

describe('patch readers: numbers past the signed 64-bit range are parse errors', () => {
  it('--edit: 2^63-1 and -2^63 are offsets, 2^63 and -2^63-1 are not', () => {
    expect(parseEditSpec(`${INT64_MAX}=11`).offset).toBe(INT64_MAX);
    expect(parseEditSpec(`-${INT64_MAX + 1n}=11`).offset).toBe(-(INT64_MAX + 1n));
    expect(inputError(() => parseEditSpec(`${INT64_MAX + 1n}=11`)).message).toMatch(/is out of the signed 64-bit range \(-2\^63\.\.2\^63-1\)/);
    expect(inputError(() => parseEditSpec(`-${INT64_MAX + 2n}=11`)).message).toMatch(
      /'-9223372036854775809' is not an offset \(-9223372036854775809 is out of the signed 64-bit range/,
    );
  });

  it('native: offsets, relative offsets and sizes, naming the line and column', () => {
    expect(parseNativePatch(`0x7fffffffffffffff: 11\n`, 'p').hunks[0]).toMatchObject({ offset: INT64_MAX });
    const cases: [string, RegExp][] = [
      ['0x8000000000000000: 11\n', /^p line 1, col 1: '0x8000000000000000' is not a number \(.*out of the signed 64-bit range/],
      ['# c\nsize after 18446744073709551617\n', /^p line 2, col 12: .*out of the signed 64-bit range/],
      ['size before 1000000000000000000000000000000\n', /^p line 1, col 13: .*out of the signed 64-bit range/],
      ['find 41 +0x8000000000000000: 11\n', /^p line 1, col 10: .*out of the signed 64-bit range/],
      ['-0x8000000000000001: 11\n', /^p line 1, col 2: .*out of the signed 64-bit range/],
    ];
    for (const [text, line] of cases) expect(inputError(() => parseNativePatch(text, 'p')).message).toMatch(line);
    // -2^63 is in range (and before the start of any file: the planner says so).
    expect(parseNativePatch('-0x8000000000000000: 11\n', 'p').hunks[0]).toMatchObject({ offset: -(INT64_MAX + 1n) });
  });

  it('native: a match count past 2^53-1 says so (not "must be at least 1")', () => {
    expect(inputError(() => parseNativePatch('find 41 (9007199254740992 times): 42\n', 'p')).message).toBe(
      'p line 1, col 10: match count 9007199254740992 is past the largest mmapx counts (2^53-1)',
    );
    expect(inputError(() => parseNativePatch('find 41 (0 times): 42\n', 'p')).message).toMatch(/must be at least 1/);
  });

  it('xxd and hexdump -C dumps: offsets of any length, never converted whole when absurd', () => {
    expect(parseDump('7ffffffffffffff0: 4142  AB\n', 'd').runs[0]!.offset).toBe(INT64_MAX - 15n);
    expect(inputError(() => parseDump('8000000000000000: 4142  AB\n', 'd')).message).toBe(
      'd line 1, col 1: offset 0x8000000000000000 is out of the signed 64-bit range (-2^63..2^63-1)',
    );
    const long = `${'f'.repeat(100_000)}: 4142  AB\n`;
    expect(inputError(() => parseDump(long, 'd')).message).toMatch(/^d line 1, col 1: offset 0xf{20}… is out of the signed 64-bit range/);
    expect(inputError(() => parseDump('00000000  41 42  |AB|\n10000000000000000\n', 'd')).message).toMatch(
      /^d line 2, col 1: offset 0x10000000000000000 is out/,
    );
    // Leading zeros are no size.
    expect(parseDump(`${'0'.repeat(40)}10: 4142  AB\n`, 'd').runs[0]!.offset).toBe(16n);
  });
});

describe('planner: growth past the largest size mmapx gives a file', () => {
  it('a change ending exactly at 2^53-1 may grow the file; one byte more is refused', () => {
    expect(planPatch(edit(`${MAX_FILE_SIZE - 1n}=11`), file, { grow: true }).sizeAfter).toBe(MAX_FILE_SIZE);
    const e = inputError(() => planPatch(edit(`${MAX_FILE_SIZE}=11`), file, { grow: true }));
    expect(e.message).toBe(
      '--edit #1: the change at 0x1fffffffffffff..0x20000000000000 would grow the file past the largest size mmapx gives a file (0x1fffffffffffff = 2^53-1 bytes)',
    );
  });

  it('is refused as impossible also without --grow (not "needs --grow")', () => {
    const e = inputError(() => planPatch(edit(`${INT64_MAX - 1n}=11`), file));
    expect(e.message).toMatch(/would grow the file past the largest size mmapx gives a file/);
    expect(e.message).not.toMatch(/--grow/);
  });

  it('"size after" past it names its line, with or without --grow', () => {
    for (const grow of [true, false]) {
      const e = inputError(() => planPatch(parseNativePatch(`# x\nsize after ${MAX_FILE_SIZE + 1n}\n`, 'p'), file, { grow }));
      expect(e.message).toBe(
        'p line 2: size after 0x20000000000000 would grow the file past the largest size mmapx gives a file (0x1fffffffffffff = 2^53-1 bytes)',
      );
      expect(e.location.line).toBe(2);
    }
  });

  it('an xxd dump whose offsets reach past it', () => {
    const patch = dumpToPatch(parseDump('7ffffffffffffff0: 4142  AB\n', 'd'), 'd');
    expect(inputError(() => planPatch(patch, file, { grow: true })).message).toMatch(
      /^d line 1: the change at 0x7ffffffffffffff0\.\.0x7ffffffffffffff2 would grow/,
    );
  });

  it('any offset in the 64-bit range either plans within the limit or is refused, never more (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: INT64_MAX - 64n }), fc.integer({ min: 1, max: 64 }), fc.boolean(), (offset, len, grow) => {
        const p: Patch = { hunks: [parseEditSpec(`${offset}=${'11'.repeat(len)}`)], guards: {} };
        try {
          const plan = planPatch(p, file, { grow });
          expect(plan.sizeAfter <= MAX_FILE_SIZE).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(InputError);
          if (offset + BigInt(len) > MAX_FILE_SIZE) expect((e as Error).message).toMatch(/largest size mmapx gives a file/);
        }
      }),
    );
  });

  it('a file already that large is no concern of the check (no growth)', () => {
    const huge = { size: MAX_FILE_SIZE + 10n, read: (_o: bigint, length: number) => new Uint8Array(length) };
    expect(planPatch(edit(`${MAX_FILE_SIZE + 2n}=00`), huge).state).toBe('already');
  });
});

describe('ranges against the largest offset (devices, whose size is unknown)', () => {
  it('says past the largest offset mmapx handles, not past a made-up file size', () => {
    const r = parseRange('0:0x7ffffffffffffffe');
    expect(() => resolveRange(r, MAX_FILE_SIZE, { sizeIsLimit: true })).toThrow(
      'range 0:0x7ffffffffffffffe ends past the largest offset mmapx handles (0x1fffffffffffff = 2^53-1 bytes)',
    );
    expect(() => resolveRange(parseRange('9007199254740992:1'), MAX_FILE_SIZE, { sizeIsLimit: true })).toThrow(
      'range 9007199254740992:1 starts past the largest offset mmapx handles (0x1fffffffffffff = 2^53-1 bytes)',
    );
    expect(resolveRange(parseRange('0x10:4'), MAX_FILE_SIZE, { sizeIsLimit: true })).toEqual({ offset: 16n, length: 4n });
    // A file's size is still named as such.
    expect(() => resolveRange(r, 8n)).toThrow('range 0:0x7ffffffffffffffe ends past the end of the file (size 0x8)');
  });
});
