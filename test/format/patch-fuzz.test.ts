import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  dumpToPatch,
  findReplaceHunk,
  ipsToPatch,
  parseDump,
  parseEditSpec,
  parseHexdumpC,
  parseIps,
  parseNativePatch,
  parseXxdDump,
} from '../../src/format/patch/index.js';

/** Runs `fn`; anything but success or an InputError fails the property. */
function onlyInputError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    expect(e.message).not.toMatch(/[\n\r]/);
  }
}

/** Text made of the tokens the grammars care about, so that parsing gets past the first char. */
const tokenSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '0x', '00000010', ': ', ':', ' ', '  ', '\t', '\n', '\r\n', '->', '#', '*', '|', '??', '?', '4?', '(', ')',
        'once', 'all', 'times', '+', '-', 'find ', 'size ', 'sha256 ', 'before ', 'after ', '_', 'de', 'ad', '7', 'g',
        '0000003e', '00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 01  |Hello, world!...|',
        '00000000: 4865 6c6c  He', 'é', '\u0000',
      ),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

const anyText = fc.oneof(tokenSoup, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }));

describe('random garbage gives InputError or a result, never another exception or a hang', () => {
  it('native patch parser', () => {
    fc.assert(fc.property(anyText, (t) => onlyInputError(() => parseNativePatch(t, 'g'))), { numRuns: 2000 });
  });

  it('xxd, hexdump -C and auto-detecting dump parsers (and their conversion to hunks)', () => {
    fc.assert(
      fc.property(anyText, (t) => {
        onlyInputError(() => parseXxdDump(t, 'g'));
        onlyInputError(() => parseHexdumpC(t, 'g'));
        onlyInputError(() => dumpToPatch(parseDump(t, 'g'), 'g', { maxBytes: 1 << 20 }));
      }),
      { numRuns: 2000 },
    );
  });

  it('IPS parser', () => {
    const header = Uint8Array.from(Buffer.from('PATCH'));
    const ips = fc.oneof(
      fc.uint8Array({ maxLength: 100 }),
      fc.uint8Array({ maxLength: 100 }).map((b) => Uint8Array.from(Buffer.concat([header, b]))),
    );
    fc.assert(fc.property(ips, (b) => onlyInputError(() => ipsToPatch(parseIps(b, 'g'), 'g'))), { numRuns: 2000 });
  });

  it('--edit and --find/--replace option parsers', () => {
    fc.assert(
      fc.property(anyText, anyText, fc.option(fc.integer({ min: -2, max: 5 }), { nil: undefined }), fc.boolean(), (a, b, count, all) => {
        onlyInputError(() => parseEditSpec(a));
        onlyInputError(() => parseEditSpec(`${a}=${b}`));
        onlyInputError(() => findReplaceHunk(a, b, { all, ...(count !== undefined && { count }) }));
      }),
      { numRuns: 1000 },
    );
  });
});
