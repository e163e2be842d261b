// The pure pieces of executable inspection, in-process: dump marks (hexdump --annotate), file
// offsets to sections and VAs (find --addr), section starts of a range, and glob matching
// (info --symbols --filter). The CLI and the comparison with binutils: test/cli/exe-info.test.ts.
import { describe, expect, it } from 'vitest';
import { createDumper, type DumpMark, type DumpOptions, dumpToString } from '../../src/format/dump/index.js';
import { locator, sectionPlace, sectionStarts } from '../../src/format/exe/locate.js';
import type { ExeImage, Section, Segment } from '../../src/format/exe/types.js';
import { globMatcher } from '../../src/format/glob.js';
import { inputErrorOf } from './expect-input-error.js';
import { printableName } from '../../src/format/exe/locate.js';

/** Bytes pushed in pieces of `step` (marks must not depend on how the input is cut). */
function dumpIn(options: DumpOptions, bytes: Uint8Array, step: number): string {
  const parts: Buffer[] = [];
  const d = createDumper(options, (c) => parts.push(Buffer.from(c)));
  for (let i = 0; i < bytes.length; i += step) d.push(bytes.subarray(i, i + step));
  d.end();
  return Buffer.concat(parts).toString('latin1');
}

const ramp = Buffer.from(Array.from({ length: 100 }, (_, i) => i));

describe('dump marks', () => {
  it('go before the line that holds their offset, whatever the window cuts', () => {
    const marks: DumpMark[] = [
      { offset: 40n, text: '-- b --' },
      { offset: 0n, text: '-- a --' },
      { offset: 47n, text: '-- c --' },
      { offset: 100n, text: '-- end --' },
    ];
    const plain = dumpToString({ start: 0n, format: 'canonical' }, ramp).split('\n');
    // 100 is past the last byte: that mark never goes out, though its line (96..111) is there.
    const want = ['-- a --', plain[0], plain[1], '-- b --', '-- c --', ...plain.slice(2)].join('\n');
    for (const step of [1, 7, 16, 100]) expect(dumpIn({ start: 0n, format: 'canonical', marks }, ramp, step), `step ${step}`).toBe(want);
  });

  it('count lines from the start offset; a mark before it comes first', () => {
    const marks = [
      { offset: 5n, text: 'before' },
      { offset: 0x1000n + 20n, text: 'inside' },
    ];
    const out = dumpToString({ start: 0x1000n - 3n, format: 'xxd', marks }, ramp.subarray(0, 40)).split('\n');
    expect(out[0]).toBe('before');
    expect(out[1]).toMatch(/^00000ffd: /);
    // 0x1014 is in the line at 0xffd + 16 = 0x100d.
    expect(out[2]).toBe('inside');
    expect(out[3]).toMatch(/^0000100d: /);
    expect(out).toHaveLength(6);
  });

  it('close a squeezed run: the line after a mark is printed even when it repeats', () => {
    const zeros = new Uint8Array(128);
    const marks = [{ offset: 64n, text: '-- here --' }];
    for (const step of [1, 128]) {
      expect(dumpIn({ start: 0n, format: 'canonical', marks }, zeros, step)).toBe(
        [
          '00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|',
          '*',
          '-- here --',
          '00000040  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|',
          '*',
          '00000080',
          '',
        ].join('\n'),
      );
      // xxd -a: the run owes its last line before the mark, as at the end of the input.
      expect(dumpIn({ start: 0n, format: 'xxd', autoskip: true, marks }, zeros, step).split('\n')).toEqual([
        '00000000: 0000 0000 0000 0000 0000 0000 0000 0000  ................',
        '*',
        '00000030: 0000 0000 0000 0000 0000 0000 0000 0000  ................',
        '-- here --',
        '00000040: 0000 0000 0000 0000 0000 0000 0000 0000  ................',
        '*',
        '00000070: 0000 0000 0000 0000 0000 0000 0000 0000  ................',
        '',
      ]);
      const od = dumpIn({ start: 0n, format: 'od', marks }, zeros, step).split('\n');
      expect(od.slice(0, 5)).toEqual(['000000 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  >................<', '*', '-- here --', od[3], '*']);
      expect(od[3]).toMatch(/^000040 00 /);
    }
  });

  it('without marks (or with none) the dump is unchanged', () => {
    for (const format of ['canonical', 'xxd', 'od', 'hexdump-x'] as const) {
      expect(dumpToString({ start: 3n, format, marks: [] }, ramp)).toBe(dumpToString({ start: 3n, format }, ramp));
    }
  });

  it('are refused by the dialects that are not lines of text, and must be one line', () => {
    for (const format of ['plain', 'c', 'json', 'hexyl'] as const) {
      expect(inputErrorOf(() => createDumper({ start: 0n, format, marks: [] }, () => {})).message).toMatch(/^annotations apply to --format canonical, /);
    }
    expect(inputErrorOf(() => createDumper({ start: 0n, format: 'canonical', marks: [{ offset: 0n, text: 'a\nb' }] }, () => {})).message).toMatch(/one line/);
  });

  it('write the UTF-8 of their text; section names from the file are shown without controls', () => {
    const out = dumpToString({ start: 0n, format: 'canonical', marks: [{ offset: 0n, text: '-- .dätä --' }] }, ramp.subarray(0, 4));
    expect(out.split('\n')[0]).toBe('-- .dätä --');
    expect(printableName('.text')).toBe('.text');
    expect(printableName('a\x1b[31mb\u202ec\n')).toBe('a\\x1b[31mb\\u202ec\\x0a');
  });
});

function section(index: number, name: string, offset: bigint, size: bigint, addr: bigint, extra: Partial<Section> = {}): Section {
  return { index, name, type: 'progbits', offset, fileSize: size, addr, memSize: size, flags: addr === 0n ? [] : ['alloc'], ...extra };
}

function image(kind: string, sections: Section[], segments: Segment[] = []): ExeImage {
  return {
    format: 'elf',
    description: 'elf64-x86-64',
    bits: 64,
    endian: 'little',
    machine: 'x86-64',
    kind,
    entry: null,
    imageBase: null,
    fileOffset: 0n,
    sections,
    segments,
    symbols: () => [],
  };
}

describe('locator and sectionStarts', () => {
  const secs = [
    section(0, '', 0n, 0n, 0n, { type: 'null' }),
    section(1, '.text', 0x1000n, 0x100n, 0x401000n),
    section(2, '.rodata', 0x1100n, 0x40n, 0x402000n),
    section(3, '.bss', 0x1140n, 0n, 0x403000n, { type: 'nobits', memSize: 0x100n }),
    section(4, '.comment', 0x1140n, 0x20n, 0n),
    // Nested inside .text (as a group of sections can be): the inner one wins inside it.
    section(5, '.inner', 0x1010n, 0x10n, 0x401010n),
  ];
  const load: Segment = { index: 0, name: 'load', offset: 0n, fileSize: 0x1140n, addr: 0x400000n, memSize: 0x1140n, perms: 'r-x' };
  const img = image('exec', secs, [load]);

  it('says section+offset and VA; headers between sections have the segment VA only', () => {
    const l = locator(img);
    expect(l.locate(0x1004n)).toEqual({ offset: 0x1004n, section: '.text', sectionIndex: 1, sectionOffset: 4n, va: 0x401004n });
    expect(sectionPlace(l.locate(0x1018n))).toBe('.inner+0x8');
    expect(sectionPlace(l.locate(0x1020n))).toBe('.text+0x20');
    expect(l.locate(0x1108n)).toMatchObject({ section: '.rodata', va: 0x402008n });
    // Not loaded: a section, no VA.
    expect(l.locate(0x1150n)).toMatchObject({ section: '.comment', sectionOffset: 0x10n, va: null });
    // The ELF header: no section; in the LOAD segment.
    expect(l.locate(0x10n)).toEqual({ offset: 0x10n, section: null, sectionIndex: null, sectionOffset: null, va: 0x400010n });
    expect(sectionPlace(l.locate(0x10n))).toBeNull();
    // Past everything.
    expect(l.locate(0x9999n)).toMatchObject({ section: null, va: null });
  });

  it('gives no VA in a relocatable object', () => {
    const l = locator(image('rel', [section(1, '.text', 0x40n, 0x10n, 0n, { flags: ['alloc', 'exec'] })]));
    expect(l.locate(0x44n)).toMatchObject({ section: '.text', sectionOffset: 4n, va: null });
  });

  it('lists the section starts of a range, and the section under way at its start', () => {
    expect(sectionStarts(img, 0n, 0x2000n).map((s) => [s.offset, s.text])).toEqual([
      [0x1000n, '-- .text (VA 0x401000) --'],
      [0x1010n, '-- .inner (VA 0x401010) --'],
      [0x1100n, '-- .rodata (VA 0x402000) --'],
      [0x1140n, '-- .comment --'],
    ]);
    expect(sectionStarts(img, 0x1020n, 0x1101n).map((s) => [s.offset, s.section.name])).toEqual([
      [0x1020n, '.text'],
      [0x1100n, '.rodata'],
    ]);
    expect(sectionStarts(img, 0n, 0x1000n)).toEqual([]);
  });
});

describe('globMatcher', () => {
  it.each([
    ['main', 'main', true],
    ['main', 'main2', false],
    ['ma*', 'main', true],
    ['*in', 'main', true],
    ['*', '', true],
    ['m?in', 'main', true],
    ['m?in', 'min', false],
    ['m[a-c]in', 'main', true],
    ['m[!a]in', 'main', false],
    ['m[^b]in', 'main', true],
    ['[]]x', ']x', true],
    ['a[b', 'a[b', true],
    ['f.o', 'fxo', false],
    ['a+b', 'a+b', true],
    ['ns::*(int)', 'ns::K::m(int)', true],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['[a-]', '-', true],
    ['check_*', 'Check_x', false],
    ['*::operator+*', 'K::operator+(K const&)', true],
  ])('%s matches %s: %s', (glob, name, want) => {
    expect(globMatcher(glob)(name)).toBe(want);
  });
});
