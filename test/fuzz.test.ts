// Fuzzing every parser of untrusted input with fast-check: whatever the input, a parser returns a
// value or throws the tool's own InputError (never another exception, never a hang), and a patch
// that applies never writes outside its hunks. MMAPX_FUZZ_RUNS sets the runs per parser (CI runs a
// few hundred each, twice); `node bench/fuzz.mjs RUNS` is the long run.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { encodeTyped, parseHexData, parseHexPattern, parseTextData, TYPED_TYPES } from '../src/format/data.js';
import { DIGEST_ALGOS, parseExpectedDigest } from '../src/format/digest.js';
import { createDumper, type DumpFormat } from '../src/format/dump/index.js';
import { parseMountinfo } from '../src/format/mountinfo.js';
import { parseLength, parseNumber, parseOffset } from '../src/format/number.js';
import {
  applyPatchToBytes,
  dumpToPatch,
  findReplaceHunk,
  ipsToPatch,
  formatNativePatch,
  parseDump,
  parseEditSpec,
  parseHexdumpC,
  parseIps,
  parseNativePatch,
  parseXxdDump,
  type Patch,
} from '../src/format/patch/index.js';
import { parseRange } from '../src/format/range.js';

const RUNS = Number(process.env.MMAPX_FUZZ_RUNS ?? 400);
const SEED = process.env.MMAPX_FUZZ_SEED === undefined ? undefined : Number(process.env.MMAPX_FUZZ_SEED);
const params = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };

/** Runs `fn`; anything thrown must be an InputError with a one-line message. */
function onlyInputErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof InputError)) throw new Error(`not an InputError: ${String(err)}${err instanceof Error ? `\n${err.stack}` : ''}`);
    expect(err.message).not.toMatch(/\n/);
  }
}

/** Strings from an alphabet that reaches deep into a grammar, mixed with arbitrary text. */
const from = (alphabet: string, maxLength = 40) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.array(fc.constantFrom(...alphabet.split('')), { maxLength }).map((a) => a.join('')) },
    { weight: 1, arbitrary: fc.string({ maxLength, unit: 'binary' }) },
  );
/** Text made of the tokens the patch and dump grammars care about, so parsing gets past the first char. */
const tokenSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '0x',
        '00000010',
        ': ',
        ':',
        ' ',
        '  ',
        '\t',
        '\n',
        '\r\n',
        '->',
        '#',
        '*',
        '|',
        '??',
        '?',
        '4?',
        '(',
        ')',
        'once',
        'all',
        'times',
        '+',
        '-',
        'find ',
        'size ',
        'sha256 ',
        'before ',
        'after ',
        '_',
        'de',
        'ad',
        '7',
        'g',
        '0000003e',
        '00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 01  |Hello, world!...|',
        '00000000: 4865 6c6c  He',
        'é',
        '\u0000',
      ),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));
const grammarText = fc.oneof(tokenSoup, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }));

const NUM = '0123456789abcdefxXoObB_-+.KMGTkimB \t';
const HEX = '0123456789abcdefABCDEFxX :-,?\n\t';
const PATCH_TEXT = '0123456789abcdefx:->?#() \n\t+findoncetimesallsizebeforeaftersha256';
const XXD = '0123456789abcdef: .*|\n';

const cases: [string, fc.Arbitrary<string>, (s: string) => unknown][] = [
  ['numbers', from(NUM), (s) => parseNumber(s)],
  ['offsets', from(NUM), (s) => parseOffset(s)],
  ['lengths', from(NUM), (s) => parseLength(s)],
  ['ranges', from(`${NUM}:..`), (s) => parseRange(s)],
  ['digests', from('0123456789abcdefABCDEFxX g\n'), (s) => parseExpectedDigest(s, DIGEST_ALGOS[s.length % DIGEST_ALGOS.length]!)],
  ['hex data', from(HEX, 80), (s) => parseHexData(s.split(' '))],
  ['hex patterns', from(HEX, 80), (s) => parseHexPattern(s)],
  ['text data', from('abc\\xn0rt"\'9fF', 40), (s) => parseTextData(s)],
  ['typed values', from(`${NUM}einfa`), (s) => encodeTyped(TYPED_TYPES[s.length % TYPED_TYPES.length]!, s)],
  ['native patches', fc.oneof(from(PATCH_TEXT, 200), grammarText), (s) => parseNativePatch(s, 'fuzz.patch')],
  ['xxd dumps', fc.oneof(from(XXD, 200), grammarText), (s) => parseXxdDump(s, 'fuzz.txt')],
  ['hexdump -C dumps', fc.oneof(from(`${XXD}  `, 200), grammarText), (s) => parseHexdumpC(s, 'fuzz.txt')],
  ['dumps of either layout, as hunks', fc.oneof(from(XXD, 200), grammarText), (s) => dumpToPatch(parseDump(s, 'fuzz.txt'), 'fuzz.txt', { maxBytes: 1 << 20 })],
  ['--edit specs', fc.oneof(from(`${HEX}=`), grammarText), (s) => parseEditSpec(s)],
  [
    '--find/--replace',
    fc.tuple(fc.oneof(from(HEX), grammarText), fc.oneof(from(HEX), grammarText)).map(([a, b]) => `${a}\u0001${b}`),
    (s) => {
      const [a, b] = s.split('\u0001') as [string, string];
      return findReplaceHunk(a, b, a.length % 3 === 0 ? { all: true } : { count: (a.length % 5) - 1 });
    },
  ],
  ['mountinfo (never throws)', from('0123456789 /-:,abcdefrwnoexc\n\\', 200), (s) => parseMountinfo(s)],
];

describe('fuzz: parsers return or throw InputError', () => {
  for (const [name, arb, parse] of cases) {
    it(name, () => {
      fc.assert(
        fc.property(arb, (s) => onlyInputErrors(() => parse(s))),
        params,
      );
    });
  }

  it('ips patches', () => {
    const ips = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([Buffer.from('PATCH'), b])),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([Buffer.from('PATCH'), b, Buffer.from('EOF')])),
    );
    fc.assert(
      fc.property(ips, (b) => onlyInputErrors(() => ipsToPatch(parseIps(b, 'fuzz.ips'), 'fuzz.ips'))),
      params,
    );
  });

  it('dump engine options', () => {
    const formats: DumpFormat[] = ['canonical', 'xxd', 'plain', 'c', 'json'];
    const options = fc.record({
      format: fc.constantFrom(...formats),
      cols: fc.option(fc.integer({ min: -5, max: 2_000_000 }), { nil: undefined }),
      group: fc.option(fc.integer({ min: -5, max: 300 }), { nil: undefined }),
      upper: fc.boolean(),
      autoskip: fc.option(fc.boolean(), { nil: undefined }),
      squeeze: fc.option(fc.boolean(), { nil: undefined }),
      start: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    });
    fc.assert(
      fc.property(options, fc.uint8Array({ maxLength: 100 }), (o, bytes) =>
        onlyInputErrors(() => {
          const d = createDumper(o, () => {});
          try {
            d.push(bytes);
            d.end();
          } catch (err) {
            // Offsets past 2^64 are refused with a RangeError by design (xxd would wrap to 0).
            if (!(err instanceof RangeError && o.start + BigInt(bytes.length) > 1n << 64n)) throw err;
          }
        }),
      ),
      { ...params, numRuns: Math.min(RUNS, 300) },
    );
  });
});

describe('fuzz: applied patches never write outside their hunks', () => {
  it('random native patches applied to random bytes', () => {
    const hunk = fc.record({
      offset: fc.nat(300),
      new: fc.uint8Array({ minLength: 1, maxLength: 12 }),
      guard: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.array(hunk, { maxLength: 6 }), (bytes, hs) => {
        const hunks = hs.map((h, i) => ({
          kind: 'offset' as const,
          offset: BigInt(h.offset),
          new: h.new,
          ...(h.guard ? { old: bytes.slice(h.offset, h.offset + h.new.length) } : {}),
          source: { name: 'fuzz.patch', line: i + 1 },
        }));
        let text: string;
        try {
          text = formatNativePatch({ hunks, guards: {} } as Patch);
        } catch (err) {
          if (err instanceof InputError) return;
          throw err;
        }
        let result: Uint8Array;
        let patch: Patch;
        try {
          patch = parseNativePatch(text, 'fuzz.patch');
          result = applyPatchToBytes(bytes, patch, { grow: true }).bytes;
        } catch (err) {
          if (err instanceof InputError || (err as Error).name === 'GuardError') return; // overlaps, short guards
          throw err;
        }
        const touched = new Uint8Array(Math.max(result.length, bytes.length));
        for (const h of patch.hunks) if (h.kind === 'offset') touched.fill(1, Number(h.offset), Number(h.offset) + h.new.length);
        for (let i = 0; i < bytes.length; i++) if (!touched[i]) expect(result[i]).toBe(bytes[i]);
        for (let i = bytes.length; i < result.length; i++) if (!touched[i]) expect(result[i]).toBe(0);
      }),
      params,
    );
  });
});
