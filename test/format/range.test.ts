import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INT64_MAX, INT64_MIN } from '../../src/format/number.js';
import { parseRange, resolveRange, type ResolveRangeOptions } from '../../src/format/range.js';
import { expectInputError, inputErrorOf, returnsOrThrowsInputError } from './expect-input-error.js';

const resolve = (text: string, size: bigint, options?: ResolveRangeOptions) => resolveRange(parseRange(text), size, options);

describe('parseRange', () => {
  it('reads OFFSET:LENGTH', () => {
    expect(parseRange('0x10:4')).toEqual({
      kind: 'length',
      text: '0x10:4',
      start: { value: 16n, fromEnd: false, text: '0x10' },
      length: 4n,
    });
  });

  it('reads START..END with a from-end side', () => {
    expect(parseRange('0x10..-4')).toEqual({
      kind: 'span',
      text: '0x10..-4',
      start: { value: 16n, fromEnd: false, text: '0x10' },
      end: { value: -4n, fromEnd: true, text: '-4' },
    });
  });

  it('reads START.. as "to the end"', () => {
    expect(parseRange('-16..')).toMatchObject({ kind: 'span', start: { value: -16n, fromEnd: true }, end: null });
  });

  it.each<[string, string, number]>([
    ['', 'bad range "": empty (a range is OFFSET:LENGTH or START..END)', 0],
    ['0x10', `bad range "0x10": missing ':LENGTH' or '..END' after the offset (a range is OFFSET:LENGTH or START..END)`, 4],
    ['0x10-0x20', `bad range "0x10-0x20": '-' at position 4 is not a hex digit (a range is OFFSET:LENGTH or START..END)`, 4],
    ['0:1..2', `bad range "0:1..2": '.' at position 3 mixes ':' and '..' (a range is OFFSET:LENGTH or START..END)`, 3],
    ['0x10:', `bad range "0x10:": missing length after ':' (write START.. to mean "to the end")`, 5],
    ['..', `bad range "..": '..' needs a START or an END (leave the range out for the whole file)`, 0],
    ['0x20..0x10', 'bad range "0x20..0x10": END 0x10 is before START 0x20', 6],
    ['-4..-8', 'bad range "-4..-8": END -8 is before START -4', 4],
    ['0:-5', 'bad range "0:-5": a length cannot be negative (-5)', 2],
    ['0x10:0x1g', `bad range "0x10:0x1g": 'g' at position 8 is not a hex digit (size suffixes only follow decimal numbers)`, 8],
    ['0x10..0x2z', `bad range "0x10..0x2z": 'z' at position 9 is not a hex digit`, 9],
    ['1...5', `bad range "1...5": '.' at position 3 is not a decimal digit`, 3],
    ['1:2:3', `bad range "1:2:3": ':' at position 3 is not a decimal digit`, 3],
    ['-:5', `bad range "-:5": missing digits after '-'`, 1],
    ['1.3:4', `bad range "1.3:4": '.' at position 1 starts a fraction, which needs a size suffix (as in 1.5K)`, 1],
    ['0x8000000000000000:1', 'bad range "0x8000000000000000:1": 0x8000000000000000 is out of the signed 64-bit range (-2^63..2^63-1)', 0],
    ['0:9223372036854775808', 'bad range "0:9223372036854775808": 9223372036854775808 is out of the signed 64-bit range (-2^63..2^63-1)', 2],
  ])('rejects %j', (text, message, position) => {
    expectInputError(() => parseRange(text), message, position);
  });
});

describe('resolveRange', () => {
  it.each<[string, bigint, bigint, bigint]>([
    ['0x10:0x10', 64n, 16n, 16n],
    [':16', 64n, 0n, 16n],
    ['0:0', 64n, 0n, 0n],
    ['0x40:0', 64n, 64n, 0n],
    ['-16:16', 64n, 48n, 16n],
    ['-16..', 64n, 48n, 16n],
    ['0x10..0x20', 64n, 16n, 16n],
    ['0x20..0x20', 64n, 32n, 0n],
    ['..0x20', 64n, 0n, 32n],
    ['0x10..', 64n, 16n, 48n],
    ['0x10..-0x10', 64n, 16n, 32n],
    ['-0x20..-0x10', 64n, 32n, 16n],
    ['0..-0', 64n, 0n, 64n],
    ['1.5K..2K', 4096n, 1536n, 512n],
    ['0:0', 0n, 0n, 0n],
    ['-0..', 0n, 0n, 0n],
    ['4G:4K', 5n << 30n, 4n << 30n, 4096n],
    ['0:0x7fffffffffffffff', INT64_MAX, 0n, INT64_MAX],
  ])('%s in a file of %s bytes is offset %s, length %s', (text, size, offset, length) => {
    expect(resolve(text, size)).toEqual({ offset, length });
  });

  it.each<[string, bigint, string]>([
    ['0x10..0x80', 64n, 'range 0x10..0x80 ends past the end of the file (size 0x40)'],
    ['0x10:0x31', 64n, 'range 0x10:0x31 ends past the end of the file (size 0x40)'],
    ['0x41:0', 64n, 'range 0x41:0 starts past the end of the file (size 0x40)'],
    ['-100:4', 64n, 'range -100:4 starts before the start of the file (size 64)'],
    ['-100..', 64n, 'range -100.. starts before the start of the file (size 64)'],
    ['0x30..-0x20', 64n, 'range 0x30..-0x20 ends before it starts (size 0x40)'],
    ['9223372036854775807:1', 64n, 'range 9223372036854775807:1 starts past the end of the file (size 64)'],
    ['1:0x7fffffffffffffff', INT64_MAX, 'range 1:0x7fffffffffffffff ends past the end of the file (size 0x7fffffffffffffff)'],
    ['0:1', 0n, 'range 0:1 ends past the end of the file (size 0)'],
  ])('refuses %s in a file of %s bytes', (text, size, message) => {
    const error = expectInputError(() => resolve(text, size), message);
    expect(error.location.token).toBe(text);
  });

  it('lets a range run past the end when asked, but not below 0 nor past 2^63-1', () => {
    expect(resolve('0x100:0x10', 64n, { allowPastEnd: true })).toEqual({ offset: 256n, length: 16n });
    expect(resolve('9223372036854775800:7', 64n, { allowPastEnd: true })).toEqual({
      offset: 9223372036854775800n,
      length: 7n,
    });
    expectInputError(
      () => resolve('9223372036854775807:1', 64n, { allowPastEnd: true }),
      'range 9223372036854775807:1 ends past the largest possible file offset (2^63-1)',
    );
    expectInputError(() => resolve('-100:4', 64n, { allowPastEnd: true }), 'range -100:4 starts before the start of the file (size 64)');
  });

  it.each<[string, bigint, bigint]>([
    ['-100..0x1000', 0n, 64n],
    ['0x30:0x100', 48n, 16n],
    ['0x100:4', 64n, 0n],
    ['-100:4', 0n, 0n],
    ['-100..-60', 0n, 4n],
  ])('clamps %s to offset %s, length %s when asked', (text, offset, length) => {
    expect(resolve(text, 64n, { clamp: true })).toEqual({ offset, length });
  });

  it('still refuses END before START when clamping', () => {
    expectInputError(() => resolve('0x30..-0x20', 64n, { clamp: true }), 'range 0x30..-0x20 ends before it starts (size 0x40)');
  });
});

// ------------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------------

const renderSide = (value: bigint, hex: boolean): string => {
  const magnitude = value < 0n ? -value : value;
  return `${value < 0n ? '-' : ''}${hex ? `0x${magnitude.toString(16)}` : magnitude.toString()}`;
};

describe('range properties', () => {
  const size = fc.oneof(fc.bigInt({ min: 0n, max: 4096n }), fc.bigInt({ min: 0n, max: INT64_MAX }));
  const side = fc.oneof(fc.bigInt({ min: -8192n, max: 8192n }), fc.bigInt({ min: INT64_MIN, max: INT64_MAX }));

  it('resolves OFFSET:LENGTH exactly when it lies inside the file, and refuses it otherwise', () => {
    fc.assert(
      fc.property(size, side, fc.bigInt({ min: 0n, max: INT64_MAX }), fc.boolean(), (fileSize, offset, length, hex) => {
        const text = `${renderSide(offset, hex)}:${renderSide(length, !hex)}`;
        const start = offset < 0n ? fileSize + offset : offset;
        if (start >= 0n && start + length <= fileSize) {
          expect(resolve(text, fileSize)).toEqual({ offset: start, length });
        } else {
          inputErrorOf(() => resolve(text, fileSize));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('resolves START..END exactly when it lies inside the file, and refuses it otherwise', () => {
    fc.assert(
      fc.property(size, side, side, fc.boolean(), (fileSize, startValue, endValue, hex) => {
        const text = `${renderSide(startValue, hex)}..${renderSide(endValue, hex)}`;
        const absolute = (v: bigint) => (v < 0n ? fileSize + v : v);
        const [start, end] = [absolute(startValue), absolute(endValue)];
        if (start >= 0n && start <= end && end <= fileSize) {
          expect(resolve(text, fileSize)).toEqual({ offset: start, length: end - start });
        } else {
          inputErrorOf(() => resolve(text, fileSize));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('clamps every well-ordered range into the file', () => {
    fc.assert(
      fc.property(size, side, fc.bigInt({ min: 0n, max: INT64_MAX }), (fileSize, offset, length) => {
        const { offset: at, length: n } = resolve(`${offset}:${length}`, fileSize, { clamp: true });
        expect(at >= 0n && n >= 0n && at + n <= fileSize).toBe(true);
      }),
    );
  });

  it('either parses or throws an InputError for any string', () => {
    const alphabet = fc.constantFrom(...'0123456789abfxX.:-_+kK \t');
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: alphabet, maxLength: 20 }), fc.string({ unit: 'binary' })), (text) => {
        returnsOrThrowsInputError(() => resolve(text, 4096n), text);
        returnsOrThrowsInputError(() => resolve(text, 4096n, { clamp: true }), text);
      }),
      { numRuns: 1000 },
    );
  });
});
