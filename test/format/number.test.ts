import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INT64_MAX, INT64_MIN, formatOffset, parseLength, parseNumber, parseOffset, resolveOffset } from '../../src/format/number.js';
import { expectInputError, inputErrorOf, returnsOrThrowsInputError } from './expect-input-error.js';

const K = 1n << 10n;
const M = 1n << 20n;
const G = 1n << 30n;
const T = 1n << 40n;

describe('parseNumber accepts', () => {
  it.each<[string, bigint]>([
    ['0', 0n],
    ['42', 42n],
    ['+42', 42n],
    ['-42', -42n],
    ['007', 7n],
    ['0x1f40', 0x1f40n],
    ['0X1F40', 0x1f40n],
    ['0xDEADbeef', 0xdeadbeefn],
    ['-0x10', -16n],
    ['+0x10', 16n],
    ['0o17', 15n],
    ['0O17', 15n],
    ['0b1010', 10n],
    ['0B1010', 10n],
    ['-0b1', -1n],
    ['1_000_000', 1_000_000n],
    ['0xdead_beef', 0xdeadbeefn],
    ['0b1111_0000', 0xf0n],
    ['0o7_7', 0o77n],
    ['0_1', 1n],
    ['1K', K],
    ['1k', K],
    ['1KiB', K],
    ['1kib', K],
    ['2M', 2n * M],
    ['2m', 2n * M],
    ['3MiB', 3n * M],
    ['4G', 4n * G],
    ['5GiB', 5n * G],
    ['6T', 6n * T],
    ['7TiB', 7n * T],
    ['-4K', -4n * K],
    ['1_024K', 1024n * K],
    ['4.5G', 4n * G + G / 2n],
    ['1.5K', 1536n],
    ['0.5K', 512n],
    ['1.25M', M + M / 4n],
    ['-1.5K', -1536n],
    ['1.500K', 1536n],
    ['0.0009765625K', 1n],
    ['0.0000000000009094947017729282379150390625T', 1n],
    ['1.0000000000000000000000000000000000000000000000000K', 1024n],
    ['8388607T', 8388607n * T],
    ['9007199254740993', 9007199254740993n],
    ['9223372036854775807', INT64_MAX],
    ['-9223372036854775808', INT64_MIN],
    ['0x7fffffffffffffff', INT64_MAX],
    ['-0x8000000000000000', INT64_MIN],
    [`0b${'1'.repeat(63)}`, INT64_MAX],
    [`${'0'.repeat(300)}1`, 1n],
  ])('%s is %s', (text, value) => {
    expect(parseNumber(text)).toBe(value);
  });
});

describe('parseNumber rejects', () => {
  it.each<[string, string, number]>([
    ['', 'bad number "": empty', 0],
    ['-', `bad number "-": missing digits after '-'`, 1],
    ['+', `bad number "+": missing digits after '+'`, 1],
    ['0x', 'bad number "0x": missing digits after "0x"', 2],
    ['-0B', 'bad number "-0B": missing digits after "0B"', 3],
    ['0x1g', `bad number "0x1g": 'g' at position 3 is not a hex digit (size suffixes only follow decimal numbers)`, 3],
    ['0x1z', `bad number "0x1z": 'z' at position 3 is not a hex digit`, 3],
    ['0b102', `bad number "0b102": '2' at position 4 is not a binary digit`, 4],
    ['0o78', `bad number "0o78": '8' at position 3 is not an octal digit`, 3],
    ['12abc', `bad number "12abc": 'a' at position 2 is not a decimal digit`, 2],
    ['abc', `bad number "abc": 'a' at position 0 is not a decimal digit`, 0],
    ['K', `bad number "K": 'K' at position 0 is not a decimal digit`, 0],
    ['1e30', `bad number "1e30": 'e' at position 1 is not a decimal digit (exponents are not supported)`, 1],
    ['1,000', `bad number "1,000": ',' at position 1 is not a decimal digit`, 1],
    ['1_', `bad number "1_": '_' at position 1 must sit between two digits`, 1],
    ['_1', `bad number "_1": '_' at position 0 must sit between two digits`, 0],
    ['1__0', `bad number "1__0": '_' at position 1 must sit between two digits`, 1],
    ['0x_1', `bad number "0x_1": '_' at position 2 must sit between two digits`, 2],
    ['1_K', `bad number "1_K": '_' at position 1 must sit between two digits`, 1],
    ['1.3', `bad number "1.3": '.' at position 1 starts a fraction, which needs a size suffix (as in 1.5K)`, 1],
    ['1.', `bad number "1.": '.' at position 1 must be followed by digits`, 1],
    ['1.K', `bad number "1.K": 'K' at position 2 is not a decimal digit`, 2],
    ['.5K', `bad number ".5K": '.' at position 0 is not a decimal digit`, 0],
    ['1.1K', 'bad number "1.1K": 1.1K is not a whole number of bytes', 0],
    [
      '1.00000000000000000000000000000000000000001T',
      'bad number "1.00000000000000000000000000000000000000001T": 1.00000000000000000000000000000000000000001T is not a whole number of bytes',
      0,
    ],
    [`1${'0'.repeat(120)}.5K`, `bad number "1${'0'.repeat(63)}"…: 1${'0'.repeat(63)}… is out of the signed 64-bit range (-2^63..2^63-1)`, 0],
    ['0x1.8K', `bad number "0x1.8K": '.' at position 3 is not a hex digit`, 3],
    ['4KB', `bad number "4KB": 'B' at position 2 is not allowed after the size suffix (size suffixes: K, KiB, M, MiB, G, GiB, T, TiB)`, 2],
    ['4Ki', 'bad number "4Ki": incomplete size suffix "Ki" at position 1 (size suffixes: K, KiB, M, MiB, G, GiB, T, TiB)', 3],
    ['4P', `bad number "4P": 'P' at position 1 is not a decimal digit`, 1],
    ['0x10K', `bad number "0x10K": 'K' at position 4 is not a hex digit (size suffixes only follow decimal numbers)`, 4],
    ['0b1M', `bad number "0b1M": 'M' at position 3 is not a binary digit (size suffixes only follow decimal numbers)`, 3],
    ['9223372036854775808', 'bad number "9223372036854775808": 9223372036854775808 is out of the signed 64-bit range (-2^63..2^63-1)', 0],
    ['-9223372036854775809', 'bad number "-9223372036854775809": -9223372036854775809 is out of the signed 64-bit range (-2^63..2^63-1)', 0],
    ['0x8000000000000000', 'bad number "0x8000000000000000": 0x8000000000000000 is out of the signed 64-bit range (-2^63..2^63-1)', 0],
    ['8388608T', 'bad number "8388608T": 8388608T is out of the signed 64-bit range (-2^63..2^63-1)', 0],
    [' 1', `bad number " 1": ' ' at position 0 is not a decimal digit`, 0],
    ['1 ', `bad number "1 ": ' ' at position 1 is not a decimal digit`, 1],
    ['1\n', `bad number "1\\n": '\\n' at position 1 is not a decimal digit`, 1],
    ['--1', `bad number "--1": '-' at position 1 is not a decimal digit`, 1],
    ['+-1', `bad number "+-1": '-' at position 1 is not a decimal digit`, 1],
    ['\u202e1', `bad number "\\u202e1": '\\u202e' at position 0 is not a decimal digit`, 0],
    ['1\ud83d\ude00', `bad number "1\ud83d\ude00": '\ud83d\ude00' at position 1 is not a decimal digit`, 1],
  ])('%j', (text, message, position) => {
    expectInputError(() => parseNumber(text), message, position);
  });

  it('shortens a huge token in the message but keeps it whole in the location', () => {
    const text = '1'.repeat(500);
    const error = inputErrorOf(() => parseNumber(text));
    const excerpt = '1'.repeat(64);
    expect(error.message).toBe(`bad number "${excerpt}"…: ${excerpt}… is out of the signed 64-bit range (-2^63..2^63-1)`);
    expect(error.location.token).toBe(text);
  });

  it('names the thing being parsed', () => {
    expectInputError(() => parseNumber('x', 'count'), `bad count "x": 'x' at position 0 is not a decimal digit`, 0);
  });
});

describe('parseOffset', () => {
  it.each<[string, bigint, boolean]>([
    ['16', 16n, false],
    ['+16', 16n, false],
    ['0x10', 16n, false],
    ['-16', -16n, true],
    ['-0x10', -16n, true],
    ['-0', 0n, true],
    ['-1K', -1024n, true],
  ])('%s counts %s from the %s end', (text, value, fromEnd) => {
    expect(parseOffset(text)).toEqual({ value, fromEnd, text });
  });

  it('names the offset in errors', () => {
    expectInputError(() => parseOffset('0xz'), `bad offset "0xz": 'z' at position 2 is not a hex digit`, 2);
  });
});

describe('parseLength', () => {
  it.each<[string, bigint]>([
    ['0', 0n],
    ['16', 16n],
    ['+16', 16n],
    ['4K', 4096n],
    ['0x7fffffffffffffff', INT64_MAX],
  ])('%s is %s', (text, value) => {
    expect(parseLength(text)).toBe(value);
  });

  it.each<[string, string, number]>([
    ['-5', 'bad length "-5": a length cannot be negative (-5)', 0],
    ['-0', 'bad length "-0": a length cannot be negative (-0)', 0],
    ['x', `bad length "x": 'x' at position 0 is not a decimal digit`, 0],
    ['', 'bad length "": empty', 0],
  ])('rejects %j', (text, message, position) => {
    expectInputError(() => parseLength(text), message, position);
  });
});

describe('resolveOffset', () => {
  it.each<[string, bigint, bigint]>([
    ['16', 64n, 16n],
    ['0', 0n, 0n],
    ['64', 64n, 64n],
    ['-16', 64n, 48n],
    ['-64', 64n, 0n],
    ['-0', 64n, 64n],
    ['-0', 0n, 0n],
    ['-1', 1n << 62n, (1n << 62n) - 1n],
  ])('%s in a file of %s bytes is %s', (text, size, absolute) => {
    expect(resolveOffset(parseOffset(text), size)).toBe(absolute);
  });

  it.each<[string, bigint, string]>([
    ['-100', 64n, 'offset -100 is before the start of the file (size 64)'],
    ['-0x100', 64n, 'offset -0x100 is before the start of the file (size 0x40)'],
    ['-1', 0n, 'offset -1 is before the start of the file (size 0)'],
    ['65', 64n, 'offset 65 is past the end of the file (size 64)'],
    ['0x41', 64n, 'offset 0x41 is past the end of the file (size 0x40)'],
  ])('refuses %s in a file of %s bytes', (text, size, message) => {
    const error = expectInputError(() => resolveOffset(parseOffset(text), size), message);
    expect(error.location.token).toBe(text);
  });

  it('allows an offset past the end when asked, but never one before the start', () => {
    expect(resolveOffset(parseOffset('0x100'), 64n, { allowPastEnd: true })).toBe(256n);
    expectInputError(() => resolveOffset(parseOffset('-65'), 64n, { allowPastEnd: true }), 'offset -65 is before the start of the file (size 64)');
  });
});

describe('formatOffset', () => {
  it.each<[bigint, string]>([
    [0n, '0x0'],
    [0x1f40n, '0x1f40'],
    [-16n, '-0x10'],
    [INT64_MAX, '0x7fffffffffffffff'],
    [INT64_MIN, '-0x8000000000000000'],
  ])('%s is %s', (value, text) => {
    expect(formatOffset(value)).toBe(text);
  });
});

// ------------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------------

const PREFIX: Record<number, string> = { 2: '0b', 8: '0o', 10: '', 16: '0x' };

/** Renders `value` the way a user might: any base, any case, `_` anywhere between digits, `+`. */
const renderedNumber = (min: bigint, max: bigint) =>
  fc
    .record({
      value: fc.bigInt({ min, max }),
      base: fc.constantFrom(2, 8, 10, 16),
      upperPrefix: fc.boolean(),
      upperDigits: fc.boolean(),
      plus: fc.boolean(),
      separators: fc.array(fc.boolean(), { maxLength: 80 }),
    })
    .map(({ value, base, upperPrefix, upperDigits, plus, separators }) => {
      const magnitude = value < 0n ? -value : value;
      let digits = magnitude.toString(base);
      if (upperDigits) digits = digits.toUpperCase();
      // An underscore may go between any two digits, never twice in a row.
      digits = [...digits].map((d, k) => (k > 0 && separators[k] ? `_${d}` : d)).join('');
      const prefix = upperPrefix ? PREFIX[base]!.toUpperCase() : PREFIX[base]!;
      const sign = value < 0n ? '-' : plus ? '+' : '';
      return { value, text: `${sign}${prefix}${digits}` };
    });

const SUFFIXES: ReadonlyArray<[string, bigint]> = [
  ['K', 10n],
  ['k', 10n],
  ['KiB', 10n],
  ['kib', 10n],
  ['M', 20n],
  ['MiB', 20n],
  ['G', 30n],
  ['g', 30n],
  ['GiB', 30n],
  ['T', 40n],
  ['TiB', 40n],
];

describe('parseNumber properties', () => {
  it('reads back every signed 64-bit value in any base, case and separator style', () => {
    fc.assert(
      fc.property(renderedNumber(INT64_MIN, INT64_MAX), ({ value, text }) => {
        expect(parseNumber(text)).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it('reads back whole-byte sizes written with a suffix and a decimal fraction', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SUFFIXES),
        fc.bigInt({ min: 0n, max: 8_000_000n }),
        fc.nat({ max: 10 }),
        fc.bigInt({ min: 0n, max: (1n << 10n) - 1n }),
        fc.boolean(),
        ([suffix, shift], whole, fracBits, numerator, negative) => {
          // numerator / 2^fracBits has exactly fracBits decimal places; times 2^shift it is whole.
          const bits = BigInt(fracBits);
          const num = numerator % (1n << bits);
          const value = (whole << shift) + ((num << shift) >> bits);
          fc.pre(value <= INT64_MAX);
          const decimals = bits === 0n ? '' : `.${(num * 5n ** bits).toString().padStart(fracBits, '0')}`;
          const text = `${negative ? '-' : ''}${whole}${decimals}${suffix}`;
          expect(parseNumber(text)).toBe(negative ? -value : value);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses every value outside the signed 64-bit range with an InputError at position 0', () => {
    const outside = fc.oneof(fc.bigInt({ min: INT64_MAX + 1n, max: 1n << 80n }), fc.bigInt({ min: -(1n << 80n), max: INT64_MIN - 1n }));
    fc.assert(
      fc.property(
        outside.chain((v) => renderedNumber(v, v)),
        ({ text }) => {
          const error = inputErrorOf(() => parseNumber(text));
          expect(error.location.position).toBe(0);
          expect(error.message).toMatch(/is out of the signed 64-bit range/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('either parses or throws an InputError for any string, reporting a position inside it', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefxXoObB_+-.KkMGTiIe \n\u00e9');
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: alphabet, maxLength: 24 }), fc.string({ unit: 'binary' })), (text) => {
        returnsOrThrowsInputError(() => {
          const value = parseNumber(text);
          expect(value >= INT64_MIN && value <= INT64_MAX).toBe(true);
          return parseOffset(text);
        }, text);
        returnsOrThrowsInputError(() => parseLength(text), text);
      }),
      { numRuns: 1000 },
    );
  });

  it('resolves from-end offsets to size + value and never below zero', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: INT64_MAX }), fc.bigInt({ min: 0n, max: INT64_MAX }), (size, back) => {
        const text = `-${back}`;
        if (back <= size) expect(resolveOffset(parseOffset(text), size)).toBe(size - back);
        else inputErrorOf(() => resolveOffset(parseOffset(text), size));
      }),
    );
  });
});
