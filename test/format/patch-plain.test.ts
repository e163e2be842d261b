// Plain hex dumps (`xxd -p`, `patch --format plain`) read as `xxd -r -p` reads them, refused with
// a pointer to --format plain where a dump with offsets was expected, and the empty patch of
// every format. In-process, plus a differential run against the real xxd -r -p.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyPatchToBytes,
  dumpToPatch,
  ipsToPatch,
  isEmptyPatch,
  looksLikePlainDump,
  parseDump,
  parseIps,
  parseNativePatch,
  parsePlainDump,
} from '../../src/format/patch/index.js';
import { tmpDir } from '../helpers/tmp.js';
import { inputErrorOf as inputError } from './expect-input-error.js';

/** `xxd -p -c cols` of `data`, built here: two digits per byte, `cols` bytes per line. */
function plain(data: Uint8Array, cols: number): string {
  const hex = Buffer.from(data).toString('hex');
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += cols * 2) lines.push(hex.slice(i, i + cols * 2));
  return lines.map((l) => `${l}\n`).join('');
}

describe('plain dumps (xxd -p)', () => {
  it('reads hex digits in pairs at the offset given, blanks and line breaks ignored, even inside a pair', () => {
    const d = parsePlainDump('48656c\r\n6c 6f\n\t2 c\n', 'p', 0x10n);
    expect(d.layout).toBe('plain');
    expect(d.runs).toHaveLength(1);
    expect(d.runs[0]!.offset).toBe(0x10n);
    expect(Buffer.from(d.runs[0]!.bytes).toString()).toBe('Hello,');
    expect(d.runs[0]!.line).toBe(1);
    expect(parsePlainDump('\n\n  0a\n', 'p').runs[0]!.line).toBe(3);
  });

  it('puts the bytes at a negative offset as a hunk from the end of the file', () => {
    const p = dumpToPatch(parsePlainDump('2121', 'p', -2n), 'p');
    expect(p.hunks).toHaveLength(1);
    const h = p.hunks[0]!;
    expect(h.kind === 'offset' && h.offset).toBe(-2n);
  });

  it('round-trips random bytes at any line width and offset', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 64 }),
        fc.bigInt({ min: 0n, max: 1n << 40n }),
        (data, cols, at) => {
          const d = parsePlainDump(plain(data, cols), 'p', at);
          expect(d.runs[0]!.offset).toBe(at);
          expect(Buffer.from(d.runs[0]!.bytes)).toEqual(Buffer.from(data));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('names the line and column of a stray character and of an odd last digit', () => {
    expect(inputError(() => parsePlainDump('4865\n6c6x6f\n', 'p')).message).toBe(
      "p line 2, col 4: 'x' is not a hex digit (a plain dump holds only hex digits and blanks)",
    );
    expect(inputError(() => parsePlainDump('0x4865', 'p')).message).toBe(
      "p line 1, col 2: 'x' is not a hex digit (a plain dump holds only hex digits and blanks)",
    );
    expect(inputError(() => parsePlainDump('4865\n6c6\n\n', 'p')).message).toBe('p line 2, col 3: odd number of hex digits (7): the last one has no pair');
    expect(inputError(() => parsePlainDump('00000000: 4865', 'p')).message).toMatch(/^p line 1, col 9: ':' is not a hex digit/);
  });

  it('has no runs when there is no digit', () => {
    expect(parsePlainDump('', 'p')).toEqual({ layout: 'plain', runs: [] });
    expect(parsePlainDump(' \n\r\n\t', 'p')).toEqual({ layout: 'plain', runs: [] });
  });

  it('tells a plain dump from the layouts with offsets', () => {
    expect(looksLikePlainDump('48656c6c6f2c20776f726c64210a\n')).toBe(true);
    expect(looksLikePlainDump('4865\n6c6c\n')).toBe(true);
    expect(looksLikePlainDump('0000003e\n')).toBe(true); // also hexdump -C of nothing: refused either way
    expect(looksLikePlainDump('')).toBe(false);
    expect(looksLikePlainDump(' \n')).toBe(false);
    expect(looksLikePlainDump('00000000: 4865  He\n')).toBe(false);
    expect(looksLikePlainDump('00000000  48 65  |He|\n00000002\n')).toBe(false);
    expect(looksLikePlainDump('00000000  48 65\n')).toBe(false);
    expect(looksLikePlainDump('0x10: 74 -> eb\n')).toBe(false);
  });

  it('is refused by --format xxd with the way to apply it, one line or several', () => {
    const hint = 'hex digits with no offset: a plain dump (xxd -p) is applied with --format plain, and --seek OFFSET where its bytes go';
    expect(inputError(() => parseDump('48656c6c6f\n', 'd')).message).toBe(`d line 1, col 1: ${hint}`);
    expect(inputError(() => parseDump('\n48656c6c6f\n2c20\n', 'd')).message).toBe(`d line 2, col 1: ${hint}`);
  });
});

describe('empty patches, in every format', () => {
  it('a patch with neither hunks nor a size after is empty', () => {
    expect(isEmptyPatch(parseNativePatch('', 'n'))).toBe(true);
    expect(isEmptyPatch(parseNativePatch('# only a comment\n\n   \n', 'n'))).toBe(true);
    expect(isEmptyPatch(parseNativePatch(`size before 0x10\nsha256 before ${'0'.repeat(64)}\n`, 'n'))).toBe(true);
    expect(isEmptyPatch(parseNativePatch('0x0: 00\n', 'n'))).toBe(false);
    expect(isEmptyPatch(parseNativePatch('size after 0x10\n', 'n'))).toBe(false);
    expect(isEmptyPatch(dumpToPatch(parseDump('', 'd'), 'd'))).toBe(true);
    expect(isEmptyPatch(dumpToPatch(parsePlainDump('\n', 'p'), 'p'))).toBe(true);
    expect(isEmptyPatch(dumpToPatch(parsePlainDump('00', 'p'), 'p'))).toBe(false);
    const ips = (tail: number[]) => ipsToPatch(parseIps(Uint8Array.from([...Buffer.from('PATCHEOF'), ...tail]), 'i'), 'i');
    expect(isEmptyPatch(ips([]))).toBe(true);
    expect(isEmptyPatch(ips([0, 0, 4]))).toBe(false); // the truncation extension resizes
  });
});

const hasXxd = spawnSync('xxd', ['-v']).status === 0;

describe.skipIf(!hasXxd)('differential: --format plain writes what xxd -r -p -s writes', () => {
  const dir = tmpDir('mmapx-plain-');
  it('random dumps, line widths, layouts and offsets, into random files', () => {
    let n = 0;
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 100 }),
        fc.boolean(),
        (file, data, cols, seek, split) => {
          // xxd -p's own layout, or every byte split by a blank and lines broken mid-pair.
          const text = split
            ? Buffer.from(data)
                .toString('hex')
                .replace(/(.)(.)/g, '$1 $2')
                .replace(/(.{7})/g, '$1\n')
            : plain(data, cols);
          const dump = join(dir, `d${n}`);
          const target = join(dir, `t${n++}`);
          writeFileSync(dump, text);
          writeFileSync(target, file);
          const r = spawnSync('xxd', ['-r', '-p', '-s', String(seek), dump, target]);
          expect(r.status, r.stderr.toString()).toBe(0);
          const ours = applyPatchToBytes(file, dumpToPatch(parsePlainDump(text, 'd', BigInt(seek)), 'd'), { grow: true }).bytes;
          expect(Buffer.from(ours)).toEqual(readFileSync(target));
        },
      ),
      { numRuns: 60 },
    );
  });
});
