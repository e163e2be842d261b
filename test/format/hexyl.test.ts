// In-process tests of the hexyl dialect (`-f hexyl`, `--view`): hexyl's documented layouts as
// goldens (its own test outputs for the panels, groups and endianness), every option, the
// character tables (against iconv's CP437 and IBM-1047 where installed), squeezing of any
// repeated line (hexyl issue 186), colour runs, widths for --panels auto, streaming.
import { spawnSync } from 'node:child_process';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  CHUNK_BYTES,
  createDumper,
  type DumpColors,
  type DumpOptions,
  HEXYL_BASES,
  HEXYL_GROUPS,
  HEXYL_TABLES,
  hexylChar,
  hexylLineWidth,
  panelsToFit,
} from '../../src/format/dump/index.js';
import { dumpBytes, type Opts } from '../helpers/dump.js';

const view = (opts: Omit<Opts, 'format'>, bytes: Uint8Array, cuts: readonly number[] = []) =>
  dumpBytes({ format: 'hexyl', ...opts }, bytes, cuts).toString('utf8');
const lines = (...l: string[]) => l.map((s) => `${s}\n`).join('');
const has = (cmd: string, args: string[]) => spawnSync(cmd, args).status === 0;
const HAVE_ICONV = has('iconv', ['--version']);

/** hexyl's test file "ascii": the 16 bytes `0123456789abcde\n`. */
const ASCII = Buffer.from('0123456789abcde\n');
const TOP = '┌────────┬─────────────────────────┬─────────────────────────┬────────┬────────┐';
const BOTTOM = '└────────┴─────────────────────────┴─────────────────────────┴────────┴────────┘';
/** "Hello, world!\n" 00 01 02 ff, then 40 zero bytes and "tail" (62 bytes). */
const S_BIN = Buffer.concat([Buffer.from('Hello, world!\n'), Buffer.from([0, 1, 2, 0xff]), Buffer.alloc(40), Buffer.from('tail')]);

/** A readable colour map: removing the tags must leave the uncoloured output. */
const tags: DumpColors = {
  null: { open: '<nul>', close: '</nul>' },
  asciiPrintable: { open: '<p>', close: '</p>' },
  asciiWhitespace: { open: '<ws>', close: '</ws>' },
  asciiOther: { open: '<o>', close: '</o>' },
  nonAscii: { open: '<x>', close: '</x>' },
};
const strip = (s: string) => s.replace(/<\/?(nul|p|ws|o|x)>/g, '');

describe('layout (hexyl documents these outputs)', () => {
  it('two panels, offsets, the default character table, a short last line', () => {
    expect(view({}, ASCII)).toBe(lines(TOP, '│00000000│ 30 31 32 33 34 35 36 37 ┊ 38 39 61 62 63 64 65 0a │01234567┊89abcde_│', BOTTOM));
    expect(view({}, Buffer.from('abc'))).toBe(lines(TOP, '│00000000│ 61 62 63                ┊                         │abc     ┊        │', BOTTOM));
    expect(view({ start: 2n }, ASCII.subarray(2, 6))).toBe(
      lines(TOP, '│00000002│ 32 33 34 35             ┊                         │2345    ┊        │', BOTTOM),
    );
    expect(view({ start: 0xc0ffeen }, ASCII)).toBe(lines(TOP, '│00c0ffee│ 30 31 32 33 34 35 36 37 ┊ 38 39 61 62 63 64 65 0a │01234567┊89abcde_│', BOTTOM));
    expect(view({}, S_BIN)).toBe(
      lines(
        TOP,
        '│00000000│ 48 65 6c 6c 6f 2c 20 77 ┊ 6f 72 6c 64 21 0a 00 01 │Hello, w┊orld!_⋄•│',
        '│00000010│ 02 ff 00 00 00 00 00 00 ┊ 00 00 00 00 00 00 00 00 │•×⋄⋄⋄⋄⋄⋄┊⋄⋄⋄⋄⋄⋄⋄⋄│',
        '│00000020│ 00 00 00 00 00 00 00 00 ┊ 00 00 00 00 00 00 00 00 │⋄⋄⋄⋄⋄⋄⋄⋄┊⋄⋄⋄⋄⋄⋄⋄⋄│',
        '│00000030│ 00 00 00 00 00 00 00 00 ┊ 00 00 74 61 69 6c       │⋄⋄⋄⋄⋄⋄⋄⋄┊⋄⋄tail  │',
        BOTTOM,
      ),
    );
  });

  it('empty input: the frame around "No content" (also -s past the end)', () => {
    expect(view({}, new Uint8Array(0))).toBe(lines(TOP, '│        │ No content              ┊                         │        ┊        │', BOTTOM));
    expect(view({ start: 1000n, border: 'none', panels: 1 }, new Uint8Array(0))).toBe(lines(`${' '.repeat(10)}${' No content'.padEnd(25)} ${' '.repeat(8)} `));
  });

  it('groups of 2, 4 and 8 bytes, big- and little-endian', () => {
    const cases: [Partial<DumpOptions>, string][] = [
      [{ group: 2 }, '│00000000│ 3031 3233 3435 3637 ┊ 3839 6162 6364 650a │01234567┊89abcde_│'],
      [{ group: 2, endianness: 'little' }, '│00000000│ 3130 3332 3534 3736 ┊ 3938 6261 6463 0a65 │01234567┊89abcde_│'],
      [{ group: 4 }, '│00000000│ 30313233 34353637 ┊ 38396162 6364650a │01234567┊89abcde_│'],
      [{ group: 4, endianness: 'little' }, '│00000000│ 33323130 37363534 ┊ 62613938 0a656463 │01234567┊89abcde_│'],
      [{ group: 8 }, '│00000000│ 3031323334353637 ┊ 383961626364650a │01234567┊89abcde_│'],
      [{ group: 8, endianness: 'little' }, '│00000000│ 3736353433323130 ┊ 0a65646362613938 │01234567┊89abcde_│'],
    ];
    for (const [opts, line] of cases) expect(view(opts, ASCII).split('\n')[1], JSON.stringify(opts)).toBe(line);
    // The frame follows the narrower panels.
    expect(view({ group: 2 }, ASCII).split('\n')[0]).toBe('┌────────┬─────────────────────┬─────────────────────┬────────┬────────┐');
    // A short last group keeps its bytes together (reversed among themselves when little-endian).
    expect(view({ group: 2 }, Buffer.from('abc')).split('\n')[1]).toBe('│00000000│ 6162 63             ┊                     │abc     ┊        │');
    expect(view({ group: 4, endianness: 'little' }, Buffer.from('abcdefg')).split('\n')[1]).toBe(
      '│00000000│ 64636261 676665   ┊                   │abcdefg ┊        │',
    );
    // Endianness without groups changes nothing.
    expect(view({ endianness: 'little' }, S_BIN)).toBe(view({}, S_BIN));
  });

  it('bases 2, 8, 10 and 16 (upper-case hex with upper)', () => {
    const b = Buffer.from([0x00, 0x41, 0xff, 0x0a]);
    expect(view({ base: 2 }, b).split('\n')[1]).toBe(`│00000000│ 00000000 01000001 11111111 00001010${' '.repeat(37)}┊${' '.repeat(73)}│⋄A×_    ┊        │`);
    expect(view({ base: 8 }, b).split('\n')[1]).toBe(`│00000000│ 000 101 377 012${' '.repeat(17)}┊${' '.repeat(33)}│⋄A×_    ┊        │`);
    expect(view({ base: 10 }, b).split('\n')[1]).toBe(`│00000000│ 000 065 255 010${' '.repeat(17)}┊${' '.repeat(33)}│⋄A×_    ┊        │`);
    expect(view({ base: 16, upper: true, start: 0xabcn }, b).split('\n')[1]).toBe(
      `│00000abc│ 00 41 FF 0A${' '.repeat(13)}┊${' '.repeat(25)}│⋄A×_    ┊        │`,
    );
    expect(view({ base: 2, group: 2 }, b).split('\n')[1]).toBe(
      `│00000000│ 0000000001000001 1111111100001010${' '.repeat(35)}┊${' '.repeat(69)}│⋄A×_    ┊        │`,
    );
  });

  it('borders: unicode, ascii, none; panels 1 and 3', () => {
    expect(view({ border: 'ascii' }, ASCII)).toBe(
      lines(
        '+--------+-------------------------+-------------------------+--------+--------+',
        '|00000000| 30 31 32 33 34 35 36 37 | 38 39 61 62 63 64 65 0a |01234567|89abcde_|',
        '+--------+-------------------------+-------------------------+--------+--------+',
      ),
    );
    expect(view({ border: 'none', panels: 1 }, ASCII)).toBe(
      lines(' 00000000  30 31 32 33 34 35 36 37  01234567 ', ' 00000008  38 39 61 62 63 64 65 0a  89abcde_ '),
    );
    expect(view({ panels: 1 }, ASCII)).toBe(
      lines(
        '┌────────┬─────────────────────────┬────────┐',
        '│00000000│ 30 31 32 33 34 35 36 37 │01234567│',
        '│00000008│ 38 39 61 62 63 64 65 0a │89abcde_│',
        '└────────┴─────────────────────────┴────────┘',
      ),
    );
    expect(view({ panels: 3 }, S_BIN).split('\n').slice(1, 4)).toEqual([
      '│00000000│ 48 65 6c 6c 6f 2c 20 77 ┊ 6f 72 6c 64 21 0a 00 01 ┊ 02 ff 00 00 00 00 00 00 │Hello, w┊orld!_⋄•┊•×⋄⋄⋄⋄⋄⋄│',
      '│00000018│ 00 00 00 00 00 00 00 00 ┊ 00 00 00 00 00 00 00 00 ┊ 00 00 00 00 00 00 00 00 │⋄⋄⋄⋄⋄⋄⋄⋄┊⋄⋄⋄⋄⋄⋄⋄⋄┊⋄⋄⋄⋄⋄⋄⋄⋄│',
      '│00000030│ 00 00 00 00 00 00 00 00 ┊ 00 00 74 61 69 6c       ┊                         │⋄⋄⋄⋄⋄⋄⋄⋄┊⋄⋄tail  ┊        │',
    ]);
  });

  it('the offset column: 8 digits, as many as `end` needs, or the digits of a large start', () => {
    const b = Buffer.from('abc'.repeat(11));
    const out = view({ start: 0xfffffff0n, end: 0xfffffff0n + 33n }, b).split('\n');
    expect(out[0]).toBe(`┌${'─'.repeat(9)}┬${'─'.repeat(25)}┬${'─'.repeat(25)}┬────────┬────────┐`);
    expect(out.slice(1, 4).map((l) => l.slice(0, 11))).toEqual(['│0fffffff0│', '│100000000│', '│100000010│']);
    expect(view({ start: 0xffffffffffffffe0n }, b.subarray(0, 20)).split('\n')[2]!.slice(0, 18)).toBe('│fffffffffffffff0│');
    // Without `end`, a later offset that needs more digits widens its line (as hexyl and xxd do).
    expect(view({ start: 0xfffffff0n }, b).split('\n')[2]!.slice(0, 11)).toBe('│100000000│');
  });
});

describe('squeezing any repeated line (hexyl issue 186)', () => {
  // hexyl's example: rows filled with the 16-bit word 0x1400 from 0x20 on; hexyl squeezes only
  // lines of one repeated byte, so it prints every one of these lines.
  const words = Buffer.alloc(4096);
  for (let i = 0x20; i < 0xfa0; i += 2) words[i] = 0x14;

  it('a line equal to the one before becomes one * line; the dump goes on at the next different line', () => {
    const out = view({}, words);
    expect(out).toBe(
      lines(
        TOP,
        '│00000000│ 00 00 00 00 00 00 00 00 ┊ 00 00 00 00 00 00 00 00 │⋄⋄⋄⋄⋄⋄⋄⋄┊⋄⋄⋄⋄⋄⋄⋄⋄│',
        '│*       │                         ┊                         │        ┊        │',
        '│00000020│ 14 00 14 00 14 00 14 00 ┊ 14 00 14 00 14 00 14 00 │•⋄•⋄•⋄•⋄┊•⋄•⋄•⋄•⋄│',
        '│*       │                         ┊                         │        ┊        │',
        '│00000fa0│ 00 00 00 00 00 00 00 00 ┊ 00 00 00 00 00 00 00 00 │⋄⋄⋄⋄⋄⋄⋄⋄┊⋄⋄⋄⋄⋄⋄⋄⋄│',
        '│*       │                         ┊                         │        ┊        │',
        '│00001000│                         ┊                         │        ┊        │',
        BOTTOM,
      ),
    );
    // -v: every line.
    expect(view({ squeeze: false }, words).split('\n')).toHaveLength(4096 / 16 + 3);
  });

  it('a run at the end is followed by the end offset; a short line after a run is just printed', () => {
    const tail = Buffer.concat([Buffer.alloc(48, 0x41), Buffer.from('xy')]);
    expect(view({ panels: 1, border: 'ascii' }, tail)).toBe(
      lines(
        '+--------+-------------------------+--------+',
        '|00000000| 41 41 41 41 41 41 41 41 |AAAAAAAA|',
        '|*       |                         |        |',
        '|00000030| 78 79                   |xy      |',
        '+--------+-------------------------+--------+',
      ),
    );
    // Two equal lines: the second is the * line, then the end.
    expect(view({ panels: 1, border: 'none' }, Buffer.alloc(16, 0x41))).toBe(
      lines(' 00000000  41 41 41 41 41 41 41 41  AAAAAAAA ', ` *${' '.repeat(43)}`, ` 00000010${' '.repeat(36)}`),
    );
  });

  it('window boundaries never change the output, any option, coloured or not (fast-check)', () => {
    const options: fc.Arbitrary<Omit<Opts, 'format'>> = fc.record(
      {
        panels: fc.integer({ min: 1, max: 5 }),
        border: fc.constantFrom('unicode', 'ascii', 'none'),
        base: fc.constantFrom(...HEXYL_BASES),
        group: fc.constantFrom(...HEXYL_GROUPS),
        endianness: fc.constantFrom('big', 'little'),
        characterTable: fc.constantFrom(...HEXYL_TABLES),
        squeeze: fc.boolean(),
        upper: fc.boolean(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        options,
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.bigInt({ min: 0n, max: 1n << 40n }),
        fc.boolean(),
        (opts, bytes, seeds, start, coloured) => {
          // Repeated lines (of 8..40 bytes) so that squeezing is exercised at any line length.
          const b = Buffer.from(bytes);
          for (let i = 80; i + 40 <= b.length; i += 120) b.copy(b, i, i - 40, i);
          b.fill(b[0] ?? 0, 0, Math.min(b.length, 96));
          const cuts = seeds.map((s) => s % (b.length + 1));
          const whole = view({ ...opts, start }, b);
          expect(view({ ...opts, start }, b, cuts)).toBe(whole);
          if (coloured) {
            const withTags = view({ ...opts, start, colors: tags }, b, cuts);
            expect(strip(withTags)).toBe(whole);
            expect(view({ ...opts, start, colors: tags }, b)).toBe(withTags);
          }
          // Squeezing only drops lines: without it, every byte is shown.
          if (opts.squeeze === false)
            expect(whole.split('\n').length).toBe(Math.max(1, Math.ceil(b.length / (8 * (opts.panels ?? 2)))) + 3 - (opts.border === 'none' ? 2 : 0));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('character tables', () => {
  const all = Array.from({ length: 256 }, (_, b) => b);

  it('one character per byte in every table, so a panel is 8 columns wide', () => {
    for (const table of HEXYL_TABLES) for (const b of all) expect([...hexylChar(b, table)], `${table} ${b}`).toHaveLength(1);
    expect(() => hexylChar(256, 'ascii')).toThrow(RangeError);
  });

  it("default: hexyl's symbols by category (\\v is whitespace here, as in the other formats)", () => {
    expect(
      all
        .slice(0, 0x21)
        .map((b) => hexylChar(b, 'default'))
        .join(''),
    ).toBe(`⋄${'•'.repeat(8)}${'_'.repeat(5)}${'•'.repeat(18)} `);
    expect(hexylChar(0x09, 'default') + hexylChar(0x0b, 'default') + hexylChar(0x0d, 'default')).toBe('___');
    expect(hexylChar(0x20, 'default') + hexylChar(0x7e, 'default') + hexylChar(0x7f, 'default') + hexylChar(0x80, 'default')).toBe(' ~•×');
  });

  it('ascii: printable ASCII and space as themselves, . for the rest', () => {
    for (const b of all) expect(hexylChar(b, 'ascii')).toBe(b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.');
  });

  it('cp437: the IBM PC glyphs for the control codes, NUL as ⋄', () => {
    expect(
      all
        .slice(0, 32)
        .map((b) => hexylChar(b, 'cp437'))
        .join(''),
    ).toBe('⋄☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼');
    expect(hexylChar(0x7f, 'cp437') + hexylChar(0x80, 'cp437') + hexylChar(0xe8, 'cp437') + hexylChar(0xba, 'cp437')).toBe('⌂ÇΦ║');
  });

  it.skipIf(!HAVE_ICONV)('cp437: 0x20..0x7e and 0x80..0xff as iconv decodes CP437', () => {
    const bytes = Buffer.from(all.filter((b) => (b >= 0x20 && b < 0x7f) || b >= 0x80));
    const r = spawnSync('iconv', ['-f', 'CP437', '-t', 'UTF-8'], { input: bytes });
    expect(r.status).toBe(0);
    expect([...bytes].map((b) => hexylChar(b, 'cp437')).join('')).toBe(r.stdout.toString('utf8'));
  });

  it.skipIf(!HAVE_ICONV)('cp1047: the printable EBCDIC characters as iconv decodes IBM-1047, space, . otherwise', () => {
    const r = spawnSync('iconv', ['-f', 'IBM1047', '-t', 'UTF-32LE'], { input: Buffer.from(all) });
    expect(r.status).toBe(0);
    for (const b of all) {
      const cp = r.stdout.readUInt32LE(4 * b);
      const graphic = (cp > 0x20 && cp < 0x7f) || (cp > 0xa0 && cp <= 0xff && cp !== 0xad);
      expect(hexylChar(b, 'cp1047'), `0x${b.toString(16)}`).toBe(cp === 0x20 ? ' ' : graphic ? String.fromCodePoint(cp) : '.');
    }
    expect(hexylChar(0xc1, 'cp1047') + hexylChar(0x81, 'cp1047') + hexylChar(0xf0, 'cp1047') + hexylChar(0x40, 'cp1047')).toBe('Aa0 ');
  });

  it('braille: the bits of the byte on the dots, row by row; NUL, tab, newline, return and printable ASCII as symbols', () => {
    // Dots 1..8 are bits 0..7 of U+2800+n; dots 1 2 3 7 are the left column, 4 5 6 8 the right.
    const dotOfBit = [1, 4, 2, 5, 3, 6, 7, 8];
    for (const b of all) {
      const c = hexylChar(b, 'braille');
      const special = new Map([
        [0, '⋄'],
        [0x09, '→'],
        [0x0a, '↵'],
        [0x0d, '←'],
        [0x20, ' '],
      ]);
      if (special.has(b)) expect(c).toBe(special.get(b));
      else if (b > 0x20 && b < 0x7f) expect(c).toBe(String.fromCharCode(b));
      else {
        const dots = c.codePointAt(0)! - 0x2800;
        expect(dots >= 0 && dots < 256).toBe(true);
        let back = 0;
        for (let k = 0; k < 8; k++) if (dots & (1 << (dotOfBit[k]! - 1))) back |= 1 << k;
        expect(back, `0x${b.toString(16)}`).toBe(b);
      }
    }
    expect(view({ characterTable: 'braille' }, Buffer.from([0x01, 0x02, 0xff, 0x0a])).split('\n')[1]).toContain('│⠁⠈⣿↵    ┊');
  });

  it('tables only change the character panel', () => {
    const hexPart = (s: string) => s.split('\n').map((l) => l.slice(0, 62));
    for (const characterTable of HEXYL_TABLES) expect(hexPart(view({ characterTable }, S_BIN))).toEqual(hexPart(view({}, S_BIN)));
  });
});

describe('widths for --panels auto', () => {
  it('the width of every line is hexylLineWidth, for every base and group', () => {
    for (const base of HEXYL_BASES) {
      for (const group of HEXYL_GROUPS) {
        for (const panels of [1, 2, 5]) {
          const out = view({ base, group, panels }, Buffer.alloc(100, 0x61)).split('\n').slice(0, -1);
          for (const l of out) expect([...l].length, `${base} ${group} ${panels}`).toBe(hexylLineWidth(panels, base, group, 8));
        }
      }
    }
  });

  it('panelsToFit: the most panels whose lines fit, at least 1', () => {
    expect([80, 120, 160].map((w) => panelsToFit(w, 16, 1, 8))).toEqual([2, 3, 4]);
    expect([79, 44, 10].map((w) => panelsToFit(w, 16, 1, 8))).toEqual([1, 1, 1]);
    for (const base of HEXYL_BASES) {
      for (const group of HEXYL_GROUPS) {
        for (let w = 40; w < 400; w += 7) {
          const n = panelsToFit(w, base, group, 8);
          if (n > 1) expect(hexylLineWidth(n, base, group, 8)).toBeLessThanOrEqual(w);
          expect(hexylLineWidth(n + 1, base, group, 8)).toBeGreaterThan(w);
        }
      }
    }
  });
});

describe('colour', () => {
  it('runs of one category share a pair within a panel; never across a bar, an offset or a blank cell', () => {
    const out = view({ colors: tags }, Buffer.from([0, 0, 0x41, 0x42, 0x20, 0x01, 0x80, 0x43, 0x44, 0]));
    expect(out.split('\n')[1]).toBe(
      '│00000000│ <nul>00 00 </nul><p>41 42 </p><ws>20 </ws><o>01 </o><x>80 </x><p>43</p> ┊ <p>44 </p><nul>00 </nul>                  │' +
        '<nul>⋄⋄</nul><p>AB</p><ws> </ws><o>•</o><x>×</x><p>C</p>┊<p>D</p><nul>⋄</nul>      │',
    );
  });

  it('without the tags the output is exactly the uncoloured one, any option', () => {
    const b = Buffer.concat([S_BIN, Buffer.alloc(40, 0x41), S_BIN]);
    for (const opts of [
      {},
      { panels: 3, group: 4, endianness: 'little' as const },
      { base: 2 as const, characterTable: 'braille' as const },
      { border: 'none' as const, squeeze: false },
    ]) {
      const coloured = view({ ...opts, colors: tags }, b);
      expect(coloured).toMatch(/<nul>/);
      expect(strip(coloured), JSON.stringify(opts)).toBe(view(opts, b));
    }
  });
});

describe('options', () => {
  const bad: [Partial<DumpOptions>, RegExp][] = [
    [{ panels: 0 }, /panels/],
    [{ panels: 257 }, /panels/],
    [{ panels: 1.5 }, /panels/],
    [{ border: 'round' as never }, /border/],
    [{ base: 3 as never }, /base/],
    [{ group: 3 }, /group/],
    [{ group: 16 }, /group/],
    [{ endianness: 'middle' as never }, /endianness/],
    [{ characterTable: 'utf8' as never }, /character table/],
    [{ cols: 16 }, /panels/],
    [{ end: -1n }, /end/],
  ];
  it('rejects out-of-range values with an InputError', () => {
    for (const [opts, message] of bad) {
      expect(
        () => createDumper({ start: 0n, format: 'hexyl', ...opts }, () => {}),
        JSON.stringify(opts, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
      ).toThrow(InputError);
      expect(() => createDumper({ start: 0n, format: 'hexyl', ...opts }, () => {})).toThrow(message);
    }
  });

  it('the hexyl options belong to hexyl only; group and squeeze are shared', () => {
    for (const key of ['panels', 'border', 'base', 'endianness', 'characterTable', 'end'] as const) {
      const value = { panels: 2, border: 'ascii', base: 16, endianness: 'big', characterTable: 'ascii', end: 3n }[key];
      expect(() => createDumper({ start: 0n, format: 'xxd', [key]: value }, () => {}), key).toThrow(/hexyl/);
    }
    expect(() => createDumper({ start: 0n, format: 'canonical', group: 2 }, () => {})).toThrow(/xxd and hexyl/);
    expect(() => createDumper({ start: 0n, format: 'xxd', squeeze: false }, () => {})).toThrow(/canonical, hexyl, od and hexdump/);
  });
});

describe('streaming', () => {
  it('chunks of at most CHUNK_BYTES, also with colours and 256 panels of binary', () => {
    const bytes = Buffer.alloc(3 << 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    for (const opts of [{}, { panels: 256, base: 2 as const, colors: { nonAscii: { open: 'x'.repeat(32), close: 'y'.repeat(32) } } }]) {
      const sizes: number[] = [];
      const d = createDumper({ start: 0n, format: 'hexyl', ...opts }, (chunk) => sizes.push(chunk.length));
      for (let i = 0; i < bytes.length; i += 1 << 20) d.push(bytes.subarray(i, i + (1 << 20)));
      d.end();
      expect(Math.max(...sizes)).toBeLessThanOrEqual(CHUNK_BYTES);
      expect(sizes.length).toBeGreaterThan(2);
    }
  });
});
