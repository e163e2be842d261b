import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHex, parseHexData, parseHexPattern } from '../../src/format/data.js';
import { expectInputError, inputErrorOf, returnsOrThrowsInputError } from './expect-input-error.js';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('parseHexData accepts', () => {
  it.each<[string[], number[]]>([
    [['eb05'], [0xeb, 0x05]],
    [['EB05'], [0xeb, 0x05]],
    [['Eb05'], [0xeb, 0x05]],
    [['eb 05'], [0xeb, 0x05]],
    [
      ['eb', '05'],
      [0xeb, 0x05],
    ],
    [['  eb   05  '], [0xeb, 0x05]],
    [['eb\t05\n'], [0xeb, 0x05]],
    [['eb\u00a005'], [0xeb, 0x05]],
    [['0xeb05'], [0xeb, 0x05]],
    [['0XEB05'], [0xeb, 0x05]],
    [['0xeb 0x05'], [0xeb, 0x05]],
    [['eb:05'], [0xeb, 0x05]],
    [['eb-05'], [0xeb, 0x05]],
    [['eb : 05'], [0xeb, 0x05]],
    [['0xde, 0xad'], [0xde, 0xad]],
    [['0xde,0xad,0xbe,0xef'], [0xde, 0xad, 0xbe, 0xef]],
    [['de:ad:be:ef'], [0xde, 0xad, 0xbe, 0xef]],
    [
      ['de ad', 'be:ef'],
      [0xde, 0xad, 0xbe, 0xef],
    ],
    [['deadbeef cafe'], [0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe]],
    [['00'], [0]],
  ])('%j', (args, expected) => {
    expect(parseHexData(args)).toEqual(new Uint8Array(expected));
  });

  it('returns a plain Uint8Array that owns exactly its bytes', () => {
    for (const args of [['eb05'], ['eb 05'], ['eb', '05']]) {
      const data = parseHexData(args);
      expect(data.constructor).toBe(Uint8Array);
      expect(data.byteOffset).toBe(0);
      expect(data.buffer.byteLength).toBe(2);
    }
  });

  // Large inputs take the built-in path (no per-character regex backtracking, no stack overflow);
  // their speed is not timed here: the machines are shared and noisy.
  it('decodes a megabyte of hex, plain or separated', () => {
    const plain = 'a5'.repeat(1 << 19);
    const lines = `${'5a'.repeat(30)}\n`.repeat(17_000);
    expect(Buffer.from(parseHexData([plain])).equals(Buffer.alloc(1 << 19, 0xa5))).toBe(true);
    expect(Buffer.from(parseHexData([lines])).equals(Buffer.alloc(30 * 17_000, 0x5a))).toBe(true);
  });

  it('finds a bad character at the end of a megabyte, naming its position', () => {
    const text = `${'ab'.repeat(1 << 19)}g`;
    const error = inputErrorOf(() => parseHexData([text]));
    expect(error.location.position).toBe(1 << 20);
    expect(error.message).toBe(`bad hex data "${'ab'.repeat(32)}"…: 'g' at position 1048576 is not a hex digit`);
  });
});

describe('parseHexData rejects', () => {
  it('no arguments at all', () => {
    expectInputError(() => parseHexData([]), 'no hex data given');
  });

  it.each<[string[], string, number]>([
    [['eb0g'], `bad hex data "eb0g": 'g' at position 3 is not a hex digit`, 3],
    [['eb0'], 'bad hex data "eb0": odd number of hex digits', 0],
    [[' eb0 '], 'bad hex data " eb0 ": odd number of hex digits', 1],
    [['0xeb0'], 'bad hex data "0xeb0": odd number of hex digits', 0],
    [['eb:0:05'], 'bad hex data "eb:0:05": odd number of hex digits in "0" at position 3', 3],
    [['e:b05'], 'bad hex data "e:b05": odd number of hex digits in "e" at position 0', 0],
    [['eb 5'], 'bad hex data "eb 5": odd number of hex digits in "5" at position 3', 3],
    [[''], 'bad hex data "": empty', 0],
    [['  '], 'bad hex data "  ": no hex digits', 0],
    [['eb', ''], 'bad hex data "": empty', 0],
    [['eb05', 'zz'], `bad hex data "zz": 'z' at position 0 is not a hex digit`, 0],
    [[':eb'], `bad hex data ":eb": ':' at position 0 must sit between two bytes`, 0],
    [['eb:'], `bad hex data "eb:": ':' at position 2 must sit between two bytes`, 2],
    [['eb::05'], `bad hex data "eb::05": ':' at position 3 must sit between two bytes`, 3],
    [['eb: :05'], `bad hex data "eb: :05": ':' at position 4 must sit between two bytes`, 4],
    [['eb,,05'], `bad hex data "eb,,05": ',' at position 3 must sit between two bytes`, 3],
    [['eb-'], `bad hex data "eb-": '-' at position 2 must sit between two bytes`, 2],
    [['0x'], 'bad hex data "0x": missing hex digits after "0x" at position 0', 2],
    [['eb 0X:05'], 'bad hex data "eb 0X:05": missing hex digits after "0X" at position 3', 5],
    [['0xg1'], `bad hex data "0xg1": 'g' at position 2 is not a hex digit`, 2],
    [['ab0xcd'], `bad hex data "ab0xcd": 'x' at position 3 is not a hex digit`, 3],
    [['0x0x12'], `bad hex data "0x0x12": 'x' at position 3 is not a hex digit`, 3],
    [['eb.05'], `bad hex data "eb.05": '.' at position 2 is not a hex digit`, 2],
    [['eb\n0g'], `bad hex data "eb\\n0g": 'g' at position 4 is not a hex digit`, 4],
    [['eb ??'], `bad hex data "eb ??": '?' at position 3 is not a hex digit (wildcards ?? are only for search patterns)`, 3],
    [['eb05\u202e'], `bad hex data "eb05\\u202e": '\\u202e' at position 4 is not a hex digit`, 4],
    [['é'], `bad hex data "é": 'é' at position 0 is not a hex digit`, 0],
    [['eb\ud83d\ude00'], `bad hex data "eb\ud83d\ude00": '\ud83d\ude00' at position 2 is not a hex digit`, 2],
    [['"eb"'], `bad hex data "\\"eb\\"": '"' at position 0 is not a hex digit`, 0],
    [["'eb'"], `bad hex data "'eb'": '\\'' at position 0 is not a hex digit`, 0],
  ])('%j', (args, message, position) => {
    const error = expectInputError(() => parseHexData(args), message, position);
    expect(args).toContain(error.location.token);
  });
});

describe('parseHexPattern', () => {
  it.each<[string, number[], number[]]>([
    ['74 ?? 8b 45', [0x74, 0, 0x8b, 0x45], [0xff, 0, 0xff, 0xff]],
    ['??eb', [0, 0xeb], [0, 0xff]],
    ['0x74??', [0x74, 0], [0xff, 0]],
    ['de:??:ef', [0xde, 0, 0xef], [0xff, 0, 0xff]],
    ['EB', [0xeb], [0xff]],
  ])('%j', (text, expectedBytes, expectedMask) => {
    expect(parseHexPattern(text)).toEqual({ bytes: new Uint8Array(expectedBytes), mask: new Uint8Array(expectedMask) });
  });

  it.each<[string, string, number]>([
    ['?? ??', 'bad hex pattern "?? ??": needs at least one fixed byte', 0],
    ['7?', `bad hex pattern "7?": '?' at position 1 pairs with a hex digit; a wildcard covers a whole byte (??)`, 1],
    ['?7', `bad hex pattern "?7": '?' at position 0 pairs with a hex digit; a wildcard covers a whole byte (??)`, 0],
    ['eb ?', 'bad hex pattern "eb ?": odd number of hex digits in "?" at position 3', 3],
    ['eb ???', 'bad hex pattern "eb ???": odd number of hex digits in "???" at position 3', 3],
    ['', 'bad hex pattern "": empty', 0],
    ['eb zz', `bad hex pattern "eb zz": 'z' at position 3 is not a hex digit`, 3],
    ['eb*', `bad hex pattern "eb*": '*' at position 2 is not a hex digit`, 2],
  ])('rejects %j', (text, message, position) => {
    expectInputError(() => parseHexPattern(text), message, position);
  });
});

describe('parseHexPattern with nibble wildcards', () => {
  it('fixes the high or the low nibble', () => {
    expect(parseHexPattern('7? ?5 ?? eb', { nibbles: true })).toEqual({
      bytes: Uint8Array.of(0x70, 0x05, 0, 0xeb),
      mask: Uint8Array.of(0xf0, 0x0f, 0, 0xff),
    });
    expect(parseHexPattern('?? 4?', { nibbles: true }).mask).toEqual(Uint8Array.of(0, 0xf0));
  });

  it.each<[string, string, number]>([
    ['?? ??', 'bad hex pattern "?? ??": needs at least one fixed nibble', 0],
    ['7g', `bad hex pattern "7g": 'g' at position 1 is not a hex digit or '?'`, 1],
    ['7?3', 'bad hex pattern "7?3": odd number of hex digits', 0],
  ])('rejects %j', (text, message, position) => {
    expectInputError(() => parseHexPattern(text, { nibbles: true }), message, position);
  });
});

describe('formatHex', () => {
  it.each<[number[], Parameters<typeof formatHex>[1], string]>([
    [[0x74, 0x05], undefined, '74 05'],
    [[0xde, 0xad, 0xbe, 0xef], { sep: '' }, 'deadbeef'],
    [[0xde, 0xad], { sep: ':' }, 'de:ad'],
    [[0xde, 0xad], { sep: '$&' }, 'de$&ad'],
    [[], undefined, ''],
    [[1], undefined, '01'],
    [[1, 2, 3], { max: 3 }, '01 02 03'],
    [[1, 2, 3], { max: 2 }, '01 02 … (3 bytes)'],
    [[1, 2, 3], { max: 0 }, '… (3 bytes)'],
  ])('%j with %j is %j', (data, options, text) => {
    expect(formatHex(new Uint8Array(data), options)).toBe(text);
  });

  it('formats a view of a larger buffer by its own bytes only', () => {
    const buffer = bytes(1, 2, 3, 4, 5);
    expect(formatHex(buffer.subarray(1, 3))).toBe('02 03');
  });
});

// ------------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------------

const SEPARATORS = [' ', '  ', '\t', '\n', ':', '-', ',', ', ', ' : ', ' -\t'];

/** Bytes written in a random style: groups of random sizes, any case, any separators, 0x or not, split into arguments. */
const renderedHex = fc
  .uint8Array({ minLength: 1, maxLength: 48 })
  .chain((data) =>
    fc.record({
      data: fc.constant(data),
      cuts: fc.array(fc.boolean(), { minLength: data.length, maxLength: data.length }),
      argCuts: fc.array(fc.boolean(), { minLength: data.length, maxLength: data.length }),
      seps: fc.array(fc.constantFrom(...SEPARATORS), { minLength: data.length, maxLength: data.length }),
      prefixes: fc.array(fc.constantFrom('', '', '0x', '0X'), { minLength: data.length, maxLength: data.length }),
      upper: fc.array(fc.boolean(), { minLength: data.length, maxLength: data.length }),
      padding: fc.constantFrom('', ' ', '\n'),
    }),
  )
  .map(({ data, cuts, argCuts, seps, prefixes, upper, padding }) => {
    const args: string[] = [];
    let current = padding;
    data.forEach((byte, k) => {
      const pair = byte.toString(16).padStart(2, '0');
      if (k > 0 && argCuts[k]) {
        args.push(current + padding);
        current = padding;
      } else if (k > 0 && cuts[k]) {
        current += seps[k];
      }
      const groupStart = k === 0 || argCuts[k] || cuts[k];
      current += (groupStart ? prefixes[k] : '') + (upper[k] ? pair.toUpperCase() : pair);
    });
    args.push(current + padding);
    return { data, args };
  });

describe('hex properties', () => {
  it('reads back random bytes written in any separator style', () => {
    fc.assert(
      fc.property(renderedHex, ({ data, args }) => {
        expect(parseHexData(args)).toEqual(data);
      }),
      { numRuns: 500 },
    );
  });

  it('reads back what formatHex writes, with any supported separator', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.constantFrom('', ...SEPARATORS), (data, sep) => {
        expect(parseHexData([formatHex(data, { sep })])).toEqual(data);
      }),
    );
  });

  it('names the exact position of a stray character dropped anywhere into valid hex', () => {
    fc.assert(
      fc.property(renderedHex, fc.nat(), fc.constantFrom('g', 'z', '.', '#', '\u00e9'), ({ args }, where, stray) => {
        const text = args.join(' ');
        const at = where % text.length;
        const broken = text.slice(0, at) + stray + text.slice(at + 1);
        const error = inputErrorOf(() => parseHexData([broken]));
        expect(error.location.position).toBe(at);
        expect(error.message).toContain(`'${stray}' at position ${at} is not a hex digit`);
      }),
      { numRuns: 300 },
    );
  });

  it('reads back random patterns with wildcards', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 255 }), { nil: null }), { minLength: 1, maxLength: 32 }),
        fc.constantFrom(...SEPARATORS),
        (cells, sep) => {
          fc.pre(cells.some((cell) => cell !== null));
          const text = cells.map((cell) => (cell === null ? '??' : cell.toString(16).padStart(2, '0'))).join(sep);
          const { bytes: fixed, mask } = parseHexPattern(text);
          expect(Array.from(mask)).toEqual(cells.map((cell) => (cell === null ? 0 : 0xff)));
          expect(Array.from(fixed)).toEqual(cells.map((cell) => cell ?? 0));
        },
      ),
    );
  });

  it('either parses or throws an InputError for any string', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABxX:-, ?\t\ng');
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: alphabet, maxLength: 24 }), fc.string({ unit: 'binary' })), (text) => {
        returnsOrThrowsInputError(() => parseHexData([text]), text);
        returnsOrThrowsInputError(() => parseHexPattern(text), text);
      }),
      { numRuns: 1000 },
    );
  });
});
