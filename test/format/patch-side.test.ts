// The side-by-side view of `mmapx diff --format side`, in-process: exact text for small cases
// (one differing byte, a run across a line boundary, -U 0 / 1 / 2, files of different sizes either
// way, an empty file, colour pairs, identical files), a property check of every shown line against
// both files' bytes and of which lines are shown, the window-by-window writer at offsets past 4 GiB,
// and the layout widths (80 columns for 8 bytes per side, 146 for 16).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSide, sideColsFor, sideLineWidth, sideOffsetDigits, SideWriter } from '../../src/format/patch/index.js';

const A = Buffer.from('The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs.', 'latin1');
const changed = (at: number, text: string): Buffer => {
  const b = Buffer.from(A);
  b.write(text, at, 'latin1');
  return b;
};

describe('formatSide: exact text', () => {
  it('one differing byte, -U 1, 8 bytes per side: the line, one line either side, ^^ under the byte on both sides', () => {
    expect(formatSide(A, changed(20, 'J'), { cols: 8, context: 1 })).toBe(
      [
        '--- a',
        '+++ b',
        '00000008  6b 20 62 72 6f 77 6e 20 |k brown |  6b 20 62 72 6f 77 6e 20 |k brown |',
        '00000010  66 6f 78 20 6a 75 6d 70 |fox jump|  66 6f 78 20 4a 75 6d 70 |fox Jump|',
        '                      ^^               ^                  ^^               ^',
        '00000018  73 20 6f 76 65 72 20 74 |s over t|  73 20 6f 76 65 72 20 74 |s over t|',
        '',
      ].join('\n'),
    );
  });

  it('a run across a line boundary, -U 0: both lines, each marked', () => {
    expect(formatSide(A, changed(14, 'XXXX'), { cols: 8, context: 0 })).toBe(
      [
        '--- a',
        '+++ b',
        '00000008  6b 20 62 72 6f 77 6e 20 |k brown |  6b 20 62 72 6f 77 58 58 |k browXX|',
        '                            ^^ ^^        ^^                     ^^ ^^        ^^',
        '00000010  66 6f 78 20 6a 75 6d 70 |fox jump|  58 58 78 20 6a 75 6d 70 |XXx jump|',
        '          ^^ ^^                    ^^         ^^ ^^                    ^^',
        '',
      ].join('\n'),
    );
  });

  const two = changed(2, 'E');
  two[60] = 0x2a;
  it('-U 2: two hunks with their context, * between them', () => {
    expect(formatSide(A, two, { cols: 8, context: 2 })).toBe(
      [
        '--- a',
        '+++ b',
        '00000000  54 68 65 20 71 75 69 63 |The quic|  54 68 45 20 71 75 69 63 |ThE quic|',
        '                ^^                   ^              ^^                   ^',
        '00000008  6b 20 62 72 6f 77 6e 20 |k brown |  6b 20 62 72 6f 77 6e 20 |k brown |',
        '00000010  66 6f 78 20 6a 75 6d 70 |fox jump|  66 6f 78 20 6a 75 6d 70 |fox jump|',
        '*',
        '00000028  64 6f 67 3b 20 70 61 63 |dog; pac|  64 6f 67 3b 20 70 61 63 |dog; pac|',
        '00000030  6b 20 6d 79 20 62 6f 78 |k my box|  6b 20 6d 79 20 62 6f 78 |k my box|',
        '00000038  20 77 69 74 68 20 66 69 | with fi|  20 77 69 74 2a 20 66 69 | wit* fi|',
        '                      ^^               ^                  ^^               ^',
        '00000040  76 65 20 64 6f 7a 65 6e |ve dozen|  76 65 20 64 6f 7a 65 6e |ve dozen|',
        '00000048  20 6c 69 71 75 6f 72 20 | liquor |  20 6c 69 71 75 6f 72 20 | liquor |',
        '',
      ].join('\n'),
    );
  });

  it('-U 0: only the differing lines', () => {
    expect(formatSide(A, two, { cols: 8, context: 0 })).toBe(
      [
        '--- a',
        '+++ b',
        '00000000  54 68 65 20 71 75 69 63 |The quic|  54 68 45 20 71 75 69 63 |ThE quic|',
        '                ^^                   ^              ^^                   ^',
        '*',
        '00000038  20 77 69 74 68 20 66 69 | with fi|  20 77 69 74 2a 20 66 69 | wit* fi|',
        '                      ^^               ^                  ^^               ^',
        '',
      ].join('\n'),
    );
  });

  it('NEW shorter: the # line after the line where it ends, then OLD against blanks', () => {
    expect(formatSide(A, A.subarray(0, 50), { cols: 8, context: 1 })).toBe(
      [
        '--- a',
        '+++ b',
        '00000028  64 6f 67 3b 20 70 61 63 |dog; pac|  64 6f 67 3b 20 70 61 63 |dog; pac|',
        '00000030  6b 20 6d 79 20 62 6f 78 |k my box|  6b 20                   |k |',
        '# b ends at 0x32 (50 bytes); a goes on to 0x55 (85 bytes)',
        '00000038  20 77 69 74 68 20 66 69 | with fi|',
        '00000040  76 65 20 64 6f 7a 65 6e |ve dozen|',
        '00000048  20 6c 69 71 75 6f 72 20 | liquor |',
        '00000050  6a 75 67 73 2e          |jugs.|',
        '',
      ].join('\n'),
    );
  });

  it('OLD shorter, 16 bytes per side: NEW against blanks from a line boundary', () => {
    const blank = ' '.repeat(2 + 48 + 1 + 18 + 2); // after the offset: OLD's hex and text as blanks
    expect(formatSide(A.subarray(0, 32), A, { cols: 16, context: 1, names: { old: 'x.bin', new: 'y.bin' } })).toBe(
      [
        '--- x.bin',
        '+++ y.bin',
        '00000010  66 6f 78 20 6a 75 6d 70  73 20 6f 76 65 72 20 74 |fox jumps over t|  66 6f 78 20 6a 75 6d 70  73 20 6f 76 65 72 20 74 |fox jumps over t|',
        '# x.bin ends at 0x20 (32 bytes); y.bin goes on to 0x55 (85 bytes)',
        `00000020${blank}68 65 20 6c 61 7a 79 20  64 6f 67 3b 20 70 61 63 |he lazy dog; pac|`,
        `00000030${blank}6b 20 6d 79 20 62 6f 78  20 77 69 74 68 20 66 69 |k my box with fi|`,
        `00000040${blank}76 65 20 64 6f 7a 65 6e  20 6c 69 71 75 6f 72 20 |ve dozen liquor |`,
        `00000050${blank}6a 75 67 73 2e                                   |jugs.|`,
        '',
      ].join('\n'),
    );
  });

  it('an empty OLD: the # line first', () => {
    expect(formatSide(new Uint8Array(0), Buffer.from('abc'), { cols: 8 })).toBe(
      [
        '--- a',
        '+++ b',
        '# a ends at 0x0 (0 bytes); b goes on to 0x3 (3 bytes)',
        `00000000${' '.repeat(2 + 23 + 1 + 10 + 2)}61 62 63                |abc|`,
        '',
      ].join('\n'),
    );
  });

  it('colour pairs around each differing byte (hex and character), no marker lines', () => {
    const b = Buffer.from(A.subarray(0, 8));
    b.fill(0x41, 1, 3);
    const colors = { old: { open: '<', close: '>' }, new: { open: '[', close: ']' } };
    expect(formatSide(A.subarray(0, 8), b, { cols: 8, colors })).toBe(
      ['--- a', '+++ b', '00000000  54 <68> <65> 20 71 75 69 63 |T<h><e> quic|  54 [41] [41] 20 71 75 69 63 |T[A][A] quic|', ''].join('\n'),
    );
  });

  it('identical files: no output at all', () => {
    expect(formatSide(A, Buffer.from(A))).toBe('');
    expect(formatSide(new Uint8Array(0), new Uint8Array(0))).toBe('');
  });
});

describe('formatSide: every shown line against the bytes (property)', () => {
  const arb = fc.record({
    a: fc.uint8Array({ maxLength: 300 }),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
    resize: fc.integer({ min: -40, max: 40 }),
    cols: fc.integer({ min: 1, max: 20 }),
    context: fc.integer({ min: 0, max: 4 }),
  });
  it('shows exactly the lines within -U of a difference, each with both files bytes; ^^ counts the differing bytes', () => {
    fc.assert(
      fc.property(arb, ({ a, edits, resize, cols, context }) => {
        const b = new Uint8Array(Math.max(0, a.length + resize));
        b.set(a.subarray(0, b.length));
        for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
        const text = formatSide(a, b, { cols, context });
        const common = Math.min(a.length, b.length);
        const total = Math.ceil(Math.max(a.length, b.length) / cols);
        // Which lines must be shown: within `context` of a line with a difference (or a tail byte).
        const differs = (l: number): boolean => {
          for (let i = l * cols; i < Math.min((l + 1) * cols, Math.max(a.length, b.length)); i++) if (i >= common || a[i] !== b[i]) return true;
          return false;
        };
        const want: number[] = [];
        for (let l = 0; l < total; l++) {
          let near = false;
          for (let k = Math.max(0, l - context); k <= Math.min(total - 1, l + context) && !near; k++) near = differs(k);
          if (near) want.push(l);
        }
        if (want.length === 0) return text === '';
        const lines = text.split('\n').slice(0, -1);
        expect(lines.slice(0, 2)).toEqual(['--- a', '+++ b']);
        const shown: number[] = [];
        const hexWidth = 3 * cols - 1 + Math.floor((cols - 1) / 8);
        const rightAt = 8 + 2 + hexWidth + 1 + cols + 2 + 2;
        const bytesOf = (field: string) => Buffer.from(field.replace(/ /g, ''), 'hex');
        for (let i = 2; i < lines.length; i++) {
          const line = lines[i]!;
          if (line === '*') {
            expect(shown.length).toBeGreaterThan(0);
            expect(want[shown.length]! - 1).toBeGreaterThan(shown.at(-1)!); // a gap is left out
            continue;
          }
          if (line.startsWith('# ')) continue;
          const off = Number.parseInt(line.slice(0, 8), 16);
          shown.push(off / cols);
          const left = bytesOf(line.slice(10, 10 + hexWidth));
          const right = bytesOf(line.slice(rightAt, rightAt + hexWidth));
          expect(left).toEqual(Buffer.from(a.subarray(off, off + cols)));
          expect(right).toEqual(Buffer.from(b.subarray(off, off + cols)));
          let diff = 0;
          for (let j = off; j < Math.min(off + cols, common); j++) if (a[j] !== b[j]) diff++;
          const next = lines[i + 1] ?? '';
          const count = (field: string) => (field.match(/\^\^/g) ?? []).length;
          const marks = next.startsWith(' ') ? count(next.slice(10, 10 + hexWidth)) + count(next.slice(rightAt, rightAt + hexWidth)) : 0;
          expect(marks).toBe(2 * diff);
          if (marks > 0) i++;
        }
        expect(shown).toEqual(want);
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe('SideWriter: window by window, past 4 GiB', () => {
  it('absolute offsets with 9 digits, context read back across the runs, the tail of the longer file', () => {
    const G = 1n << 32n;
    const sizeOld = 5n * G;
    const sizeNew = 5n * G + 20n;
    // OLD is zeros; NEW has 0xff at 4 GiB + 3 and the 20 bytes of its tail are 0x11.
    const read = (offset: bigint, length: number) => {
      const part = (size: bigint, at: bigint, v: number, tailFrom: bigint) => {
        const n = offset >= size ? 0 : Number(size - offset < BigInt(length) ? size - offset : BigInt(length));
        const out = new Uint8Array(n);
        if (at >= offset && at < offset + BigInt(n)) out[Number(at - offset)] = v;
        for (let i = 0; i < n; i++) if (offset + BigInt(i) >= tailFrom) out[i] = 0x11;
        return out;
      };
      return { old: part(sizeOld, -1n, 0, sizeOld), new: part(sizeNew, G + 3n, 0xff, sizeOld) };
    };
    let text = '';
    const w = new SideWriter(
      { cols: 8, context: 1, digits: sideOffsetDigits(sizeOld, sizeNew), names: { old: 'o', new: 'n' }, sizeOld, sizeNew },
      read,
      (t) => {
        text += t;
      },
    );
    w.differ(G + 3n, G + 4n);
    w.differ(sizeOld, sizeNew);
    w.finish();
    const z = '00 00 00 00 00 00 00 00 |........|';
    expect(text).toBe(
      [
        '--- o',
        '+++ n',
        `0fffffff8  ${z}  ${z}`,
        `100000000  ${z}  00 00 00 ff 00 00 00 00 |........|`,
        '                    ^^                 ^                ^^                 ^',
        `100000008  ${z}  ${z}`,
        '*',
        `4fffffff8  ${z}  ${z}`,
        '# o ends at 0x500000000 (21474836480 bytes); n goes on to 0x500000014 (21474836500 bytes)',
        `500000000${' '.repeat(38)}11 11 11 11 11 11 11 11 |........|`,
        `500000008${' '.repeat(38)}11 11 11 11 11 11 11 11 |........|`,
        `500000010${' '.repeat(38)}11 11 11 11             |....|`,
        '',
      ].join('\n'),
    );
    expect(w.hunks).toBe(2);
  });
});

describe('layout widths', () => {
  it('8 bytes per side fill 80 columns, 16 fill 146; the width picks the widest that fits', () => {
    expect(sideLineWidth(8, 8)).toBe(80);
    expect(sideLineWidth(16, 8)).toBe(146);
    const full = formatSide(A, changed(0, 'x'), { cols: 16 }).split('\n')[2]!;
    expect(full.length).toBe(sideLineWidth(16, 8));
    expect(formatSide(A, changed(0, 'x'), { cols: 8 }).split('\n')[2]!.length).toBe(80);
    expect([200, 160, 146, 145, 80, 79, 40].map((w) => sideColsFor(w, 8))).toEqual([16, 16, 16, 8, 8, 4, 4]);
    expect(sideColsFor(80, 9)).toBe(4); // offsets past 4 GiB take a ninth digit
  });
});
