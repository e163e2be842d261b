import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTextData } from '../../src/format/data.js';
import { expectInputError, returnsOrThrowsInputError } from './expect-input-error.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('parseTextData accepts', () => {
  it.each<[string, number[]]>([
    ['hello', [...utf8('hello')]],
    ['é', [0xc3, 0xa9]],
    ['\ud83d\ude00', [0xf0, 0x9f, 0x98, 0x80]],
    ['a\\nb', [0x61, 0x0a, 0x62]],
    ['\\r\\t\\0', [0x0d, 0x09, 0x00]],
    ['\\\\', [0x5c]],
    ['\\"', [0x22]],
    ["\\'", [0x27]],
    ['\\x41', [0x41]],
    ['\\xff', [0xff]],
    ['\\xFF\\x00', [0xff, 0x00]],
    ['\\0a', [0x00, 0x61]],
    ['ab\\x00cd', [0x61, 0x62, 0x00, 0x63, 0x64]],
    ['é\\n', [0xc3, 0xa9, 0x0a]],
    ['a\\\\nb', [0x61, 0x5c, 0x6e, 0x62]],
  ])('%j', (text, expected) => {
    expect(parseTextData(text)).toEqual(new Uint8Array(expected));
  });
});

describe('parseTextData rejects', () => {
  const known = String.raw`(known: \n \r \t \0 \\ \" \' \xNN)`;
  it.each<[string, string, number]>([
    ['', 'bad text data "": empty', 0],
    ['a\\q', `bad text data "a\\\\q": unknown escape '\\q' at position 1 ${known}`, 1],
    ['\\u0041', `bad text data "\\\\u0041": unknown escape '\\u' at position 0 ${known}`, 0],
    ['a\\\n', `bad text data "a\\\\\\n": unknown escape '\\\\n' at position 1 ${known}`, 1],
    ['a\\', `bad text data "a\\\\": '\\\\' at position 1 ends the text; write \\\\ for a backslash`, 1],
    ['\\x4', `bad text data "\\\\x4": escape '\\x' at position 0 needs two hex digits`, 0],
    ['ab\\xg0', `bad text data "ab\\\\xg0": escape '\\x' at position 2 needs two hex digits`, 2],
    ['\\x', `bad text data "\\\\x": escape '\\x' at position 0 needs two hex digits`, 0],
    ['\\012', `bad text data "\\\\012": escape '\\0' at position 0 is followed by a digit; write \\x00 (octal escapes are not supported)`, 0],
    ['a\ud800b', `bad text data "a\\ud800b": '\\ud800' at position 1 is a lone surrogate, which has no UTF-8 form`, 1],
  ])('%j', (text, message, position) => {
    expectInputError(() => parseTextData(text), message, position);
  });
});

describe('text properties', () => {
  it('is the UTF-8 encoding of any well-formed text without backslashes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), (text) => {
        fc.pre(!text.includes('\\'));
        expect(parseTextData(text)).toEqual(utf8(text));
      }),
    );
  });

  it('reads back any bytes written as a mix of literal ASCII and escapes', () => {
    const simple = new Map<number, string>([
      [0x0a, '\\n'],
      [0x0d, '\\r'],
      [0x09, '\\t'],
      [0x5c, '\\\\'],
      [0x22, '\\"'],
      [0x27, "\\'"],
    ]);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.array(fc.boolean(), { maxLength: 64 }), (data, literal) => {
        const text = Array.from(data, (byte, k) => {
          if (literal[k] && simple.has(byte)) return simple.get(byte)!;
          if (literal[k] && byte >= 0x20 && byte < 0x7f && byte !== 0x5c) return String.fromCharCode(byte);
          return `\\x${byte.toString(16).padStart(2, '0')}`;
        }).join('');
        expect(parseTextData(text)).toEqual(data);
      }),
    );
  });

  it('either parses or throws an InputError for any string', () => {
    const alphabet = fc.constantFrom(...'\\\\\\x0nrt0f"\'a\u00e9\ud800');
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: alphabet, maxLength: 16 }), fc.string({ unit: 'binary' })), (text) => {
        returnsOrThrowsInputError(() => parseTextData(text), text);
      }),
      { numRuns: 1000 },
    );
  });
});
