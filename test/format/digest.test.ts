import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AMBIGUOUS,
  algoOfLength,
  checkedName,
  checksumLine,
  DIGEST_ALGOS,
  type DigestAlgo,
  digestHexLength,
  formatCrc32,
  parseExpectedDigest,
  parseSumLine,
  type SumReading,
  sumFileLines,
  sumWarnings,
} from '../../src/format/digest.js';
import { tmpDir } from '../helpers/tmp.js';
import { expectInputError, returnsOrThrowsInputError } from './expect-input-error.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

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

  it('takes_a_prefix_of_12_digits_or_more_only_when_asked', () => {
    expect(parseExpectedDigest(sha.slice(0, 12), 'sha256', { prefix: true })).toBe(sha.slice(0, 12));
    expect(parseExpectedDigest(`0x${sha.slice(0, 13).toUpperCase()}`, 'sha256', { prefix: true })).toBe(sha.slice(0, 13));
    expect(parseExpectedDigest(sha, 'sha256', { prefix: true })).toBe(sha);
    expectInputError(
      () => parseExpectedDigest(sha.slice(0, 12), 'sha256'),
      `bad sha256 digest "${sha.slice(0, 12)}": 12 hex digits, but sha256 digests have 64`,
    );
    expectInputError(
      () => parseExpectedDigest(sha.slice(0, 11), 'sha256', { prefix: true }),
      `bad sha256 digest "${sha.slice(0, 11)}": 11 hex digits, but sha256 digests have 64 (or a prefix of at least 12)`,
    );
    // crc32 is shorter than any prefix: whole, always.
    expect(parseExpectedDigest('cbf43926', 'crc32', { prefix: true })).toBe('cbf43926');
    expectInputError(() => parseExpectedDigest('cbf4392', 'crc32', { prefix: true }), 'bad crc32 digest "cbf4392": 7 hex digits, but crc32 digests have 8');
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

/** Files named by the checksum lines below, in a directory of their own: name -> content. */
const NAMED: Record<string, string> = {
  a: 'a',
  b: 'b',
  ' a': 'space first',
  'a ': 'space last',
  'sp ace': 'spaced',
  'a\\': 'backslash last',
  'a)': 'paren',
  'back\\slash': 'bs',
  'new\nline': 'nl',
  'cr\rhere': 'cr',
  'tab\there': 'tab',
  '*star': 'star',
};

describe('checksum files (parseSumLine), against sha256sum -c', () => {
  const dir = tmpDir('mmapx-sumlines-');
  const digest = (algo: string, bytes: string | Uint8Array) => createHash(algo).update(bytes).digest('hex');
  const H = digest('sha256', 'a');
  const B = digest('sha256', 'b');

  /**
   * What `sha256sum -c` prints for `text` (stdout), and the numbers of the lines it calls
   * improperly formatted, next to what parseSumLine makes of the same lines in-process: each
   * entry's file read and hashed here, reported in sha256sum's words.
   */
  function both(text: string, algo: DigestAlgo | undefined, tool = 'sha256sum') {
    const sub = join(dir, `${tool}-${Math.random().toString(36).slice(2)}`);
    mkdirSync(sub);
    for (const [name, content] of Object.entries(NAMED)) writeFileSync(join(sub, name), content);
    mkdirSync(join(sub, 'adir'));
    writeFileSync(join(sub, 'SUMS'), text);
    const r = spawnSync(tool, ['-c', '--warn', 'SUMS'], { cwd: sub, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    const theirs = { stdout: r.stdout, malformed: [...r.stderr.matchAll(/SUMS: (\d+): improperly formatted/g)].map((m) => Number(m[1])), status: r.status };
    const reading: SumReading = {};
    let stdout = '';
    const malformed: number[] = [];
    let entries = 0;
    let bad = 0;
    for (const { line, number } of sumFileLines(text)) {
      const e = parseSumLine(line, algo, reading);
      if (e === undefined || e === AMBIGUOUS) {
        malformed.push(number);
        continue;
      }
      entries++;
      let verdict: string;
      try {
        verdict = digest(e.algo, readFileSync(join(sub, e.path))) === e.digest ? 'OK' : 'FAILED';
      } catch {
        verdict = 'FAILED open or read';
      }
      if (verdict !== 'OK') bad++;
      stdout += `${checkedName(e.path)}: ${verdict}\n`;
    }
    return { theirs, ours: { stdout, malformed, status: entries === 0 || bad > 0 ? 1 : 0 } };
  }

  const ALL = Object.keys(NAMED);
  const line = (hex: string, name: string) => checksumLine(hex, name).slice(0, -1);
  const lines = (...l: string[]) => `${l.join('\n')}\n`;

  it.skipIf(!has('sha256sum'))('sha256sum_lines_every_name_tags_escapes_and_malformed_lines', () => {
    const text = lines(
      ...ALL.map((n) => line(digest('sha256', NAMED[n]!), n)),
      `${H} *a`, // binary
      `${H.toUpperCase()}  a`,
      ` \t${H}  a`, // leading blanks
      `${H}\t a`, // a tab as the blank
      `#${H}  a`, // a comment
      '',
      '\r',
      `${H}  b`, // FAILED
      `${H}  missing`, // open or read
      `${H}  adir`,
      `${H} a`, // one blank: the other style, refused after the first line
      `${H}`,
      `${H} `,
      `${H}  `,
      `${H}x  a`,
      `${H.slice(1)}  a`,
      `${H}0  a`,
      `\\${H}  a`, // escaped, with nothing escaped
      `\\${H}  a\\\\`, // escaped backslash: the file 'a\\'
      `\\${H}  a\\t`, // not an escape sha256sum knows
      `\\${H}  a\\`, // a lone backslash
      `\\ ${H}  a`,
      `${H}  a\0b`, // a NUL ends the name
      `${H}  \0a`,
      `${H}  a\r`, // a CR at the end is the line's (Windows)
      `SHA256 (a) = ${H}`,
      `SHA256(a)=${H}`,
      `SHA256 (a)  =  ${H.toUpperCase()}`,
      ` SHA256 (a) = ${H}`,
      `SHA256  (a) = ${H}`,
      `SHA256 (a)) = ${H}`,
      `SHA256 (a\\) = ${H}`,
      `\\SHA256 (a\\\\) = ${H}`,
      `\\SHA256 (a\\x) = ${H}`,
      `SHA256 ( a ) = ${H}`,
      `SHA256 () = ${H}`,
      `SHA256 (a) = ${H} `,
      `SHA256 (a) = ${H}0`,
      `SHA256 (a\0b) = ${H}`,
      `sha256 (a) = ${H}`,
      `SHA1 (a) = ${digest('sha1', 'a')}`,
      `MD5 (a) = ${digest('md5', 'a')}`,
      `${digest('md5', 'a')}  a`,
      `${B}  b`,
    );
    const { theirs, ours } = both(text, 'sha256');
    expect(ours).toEqual(theirs);
    expect(theirs.malformed.length).toBeGreaterThan(15);
    expect(theirs.stdout).toContain(': FAILED open or read\n');
    expect(theirs.stdout).toContain('b: FAILED\n');
  });

  it.skipIf(!has('sha256sum'))('bsd_md5_r_lines_one_blank_then_the_name_decided_by_the_first_line', () => {
    const text = lines(`${H} a`, `${H}  a`, `${H} *a`, `${H} sp ace`, `${H}\ta`, `${H} `, `${H}  `, `${B} b`, `\\${H} a\\\\`, `SHA256 (a) = ${H}`);
    const { theirs, ours } = both(text, 'sha256');
    expect(ours).toEqual(theirs);
  });

  // Each sum tool's own lines, plain and --tag, for every name: what the tool checks, parseSumLine reads.
  const TOOLS: [string, DigestAlgo][] = [
    ['md5sum', 'md5'],
    ['sha1sum', 'sha1'],
    ['sha224sum', 'sha224'],
    ['sha256sum', 'sha256'],
    ['sha384sum', 'sha384'],
    ['sha512sum', 'sha512'],
    ['b2sum', 'blake2b512'],
  ];
  it.each(TOOLS)('%s_lines_plain_and_tagged_with_and_without_algo', (tool, algo) => {
    if (!has(tool)) return;
    const sub = join(dir, `gen-${tool}`);
    mkdirSync(sub);
    for (const [name, content] of Object.entries(NAMED)) writeFileSync(join(sub, name), content);
    const plain = spawnSync(tool, ALL, { cwd: sub, encoding: 'utf8' }).stdout;
    const tagged = spawnSync(tool, ['--tag', ...ALL], { cwd: sub, encoding: 'utf8' }).stdout;
    for (const [text, tag] of [
      [plain, false],
      [tagged, true],
    ] as const) {
      const got = [...sumFileLines(text)];
      expect(got.length).toBe(ALL.length);
      for (const [k, { line: l }] of got.entries()) {
        const want = { algo, digest: digest(algo, NAMED[ALL[k]!]!), path: ALL[k] };
        expect(parseSumLine(l, algo, {}), l).toEqual(want);
        // Without --algo: a tag names the algorithm; a plain line's length does, but for 128 digits.
        const inferred = parseSumLine(l, undefined, {});
        if (tag || digestHexLength(algo) !== 128) expect(inferred, l).toEqual(want);
        else expect(inferred, l).toBe(AMBIGUOUS);
        // Another algorithm expected: the line is not one of its lines.
        expect(parseSumLine(l, algo === 'md5' ? 'sha1' : 'md5', {}), l).toBeUndefined();
      }
      // And the tool itself checks them.
      writeFileSync(join(sub, 'SUMS'), text);
      expect(spawnSync(tool, ['-c', '--strict', 'SUMS'], { cwd: sub }).status).toBe(0);
    }
  });

  it.skipIf(!has('openssl'))('sha3_256_lines_of_openssl_dgst_are_tag_lines', () => {
    const sub = join(dir, 'gen-openssl');
    mkdirSync(sub);
    writeFileSync(join(sub, 'a'), 'a');
    const r = spawnSync('openssl', ['dgst', '-sha3-256', 'a'], { cwd: sub, encoding: 'utf8' });
    expect(r.stdout).toMatch(/^SHA3-256\(a\)= [0-9a-f]{64}\n$/);
    const want = { algo: 'sha3-256', digest: digest('sha3-256', 'a'), path: 'a' };
    expect(parseSumLine(r.stdout.trimEnd(), undefined, {})).toEqual(want);
    expect(parseSumLine(r.stdout.trimEnd(), 'sha3-256', {})).toEqual(want);
    // A plain 64-digit line is sha256 unless --algo says sha3-256.
    expect(parseSumLine(`${want.digest}  a`, undefined, {})).toMatchObject({ algo: 'sha256' });
    expect(parseSumLine(`${want.digest}  a`, 'sha3-256', {})).toEqual(want);
  });

  it('the_length_of_a_digest_names_its_algorithm_but_for_128_digits', () => {
    expect([8, 32, 40, 56, 64, 96, 128, 0, 63, 65, 127].map(algoOfLength)).toEqual([
      'crc32',
      'md5',
      'sha1',
      'sha224',
      'sha256',
      'sha384',
      AMBIGUOUS,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    // crc32 lines have no tag, but plain ones are read.
    expect(parseSumLine('cbf43926  nine', undefined, {})).toEqual({ algo: 'crc32', digest: 'cbf43926', path: 'nine' });
  });

  it('names_are_printed_as_sha256sum_c_prints_them', () => {
    expect(checkedName('back\\slash')).toBe('back\\slash');
    expect(checkedName('cr\rhere')).toBe('cr\rhere');
    expect(checkedName('new\nline')).toBe('\\new\\nline');
    expect(checkedName('b\\s\nn\rc')).toBe('\\b\\\\s\\nn\\rc');
  });

  it('warnings_in_sha256sum_words', () => {
    const t = { entries: 9, ok: 3, missing: 0 };
    expect(sumWarnings({ ...t, malformed: 1, unreadable: 1, failed: 1 })).toEqual([
      'WARNING: 1 line is improperly formatted',
      'WARNING: 1 listed file could not be read',
      'WARNING: 1 computed checksum did NOT match',
    ]);
    expect(sumWarnings({ ...t, malformed: 2, unreadable: 3, failed: 4 })).toEqual([
      'WARNING: 2 lines are improperly formatted',
      'WARNING: 3 listed files could not be read',
      'WARNING: 4 computed checksums did NOT match',
    ]);
    expect(sumWarnings({ ...t, malformed: 0, unreadable: 0, failed: 0 })).toEqual([]);
  });

  it('any_line_parses_or_is_malformed_never_throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom(undefined, ...DIGEST_ALGOS), (text, algo) => {
        const e = parseSumLine(text, algo, {});
        if (e !== undefined && e !== AMBIGUOUS) {
          expect(e.digest).toMatch(/^[0-9a-f]+$/);
          expect(e.digest.length).toBe(digestHexLength(e.algo));
          expect(e.path).not.toContain('\0');
        }
      }),
    );
  });
});
