import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksumLine, DIGEST_ALGOS, digestHexLength, formatCrc32, parseExpectedDigest } from '../../src/format/digest.js';
import { expectInputError, returnsOrThrowsInputError } from './expect-input-error.js';

describe('digest algorithms', () => {
  it('digest_lengths_are_those_node_computes', () => {
    for (const algo of DIGEST_ALGOS) {
      const hex = algo === 'crc32' ? formatCrc32(crc32('x')) : createHash(algo).update('x').digest('hex');
      expect(hex.length, algo).toBe(digestHexLength(algo));
    }
  });

  it('crc32_is_eight_lower_case_digits_with_leading_zeros', () => {
    expect(formatCrc32(0)).toBe('00000000');
    expect(formatCrc32(0xabc)).toBe('00000abc');
    expect(formatCrc32(0xffffffff)).toBe('ffffffff');
    expect(formatCrc32(crc32('123456789'))).toBe('cbf43926');
  });
});

describe('parseExpectedDigest', () => {
  const sha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

  it('takes either case and an optional 0x, and gives lower case', () => {
    expect(parseExpectedDigest(sha, 'sha256')).toBe(sha);
    expect(parseExpectedDigest(sha.toUpperCase(), 'sha256')).toBe(sha);
    expect(parseExpectedDigest(`0X${sha}`, 'sha256')).toBe(sha);
    expect(parseExpectedDigest('0xCBF43926', 'crc32')).toBe('cbf43926');
  });

  it.each<[string, 'sha256' | 'sha1' | 'md5' | 'crc32', string, number]>([
    ['', 'sha256', 'bad sha256 digest "": 0 hex digits, but sha256 digests have 64', 0],
    ['abc', 'md5', 'bad md5 digest "abc": 3 hex digits, but md5 digests have 32', 3],
    [sha, 'sha1', `bad sha1 digest "${sha.slice(0, 64)}": 64 hex digits, but sha1 digests have 40`, 64],
    ['0x', 'crc32', 'bad crc32 digest "0x": 0 hex digits, but crc32 digests have 8', 2],
    ['cbf4392g', 'crc32', `bad crc32 digest "cbf4392g": 'g' at position 7 is not a hex digit`, 7],
    ['cbf4 3926', 'crc32', `bad crc32 digest "cbf4 3926": ' ' at position 4 is not a hex digit`, 4],
    ['0x0xcbf43926', 'crc32', `bad crc32 digest "0x0xcbf43926": 'x' at position 3 is not a hex digit`, 3],
    ['1\n', 'crc32', `bad crc32 digest "1\\n": '\\n' at position 1 is not a hex digit`, 1],
  ])('refuses %j for %s', (text, algo, message, position) => {
    expectInputError(() => parseExpectedDigest(text, algo), message, position);
  });

  it('returns_the_digest_or_a_one_line_input_error_for_any_text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.constantFrom(...DIGEST_ALGOS), (text, algo) => {
        returnsOrThrowsInputError(() => parseExpectedDigest(text, algo), text);
      }),
    );
  });
});

describe('checksumLine', () => {
  it.each([
    ['fw.bin', 'abcd  fw.bin\n'],
    ['dir with spaces/a b', 'abcd  dir with spaces/a b\n'],
    ['new\nline', '\\abcd  new\\nline\n'],
    ['back\\slash', '\\abcd  back\\\\slash\n'],
    ['cr\rhere', '\\abcd  cr\\rhere\n'],
    ['tab\there', 'abcd  tab\there\n'],
  ])('%j is printed as sha256sum prints it', (path, line) => {
    expect(checksumLine('abcd', path)).toBe(line);
  });
});
