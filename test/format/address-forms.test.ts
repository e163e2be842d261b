// The address forms of OFFSET and RANGE (sym:, sec:, seg:, va:, rva:) as the parsers read them,
// in-process: where the address ends and a LENGTH or an END begins (C++ names keep their '::'),
// which forms are refused, and that nothing resolves an address without a file (the engine does,
// src/edit/address.ts; the CLI tests in test/cli/exe-address.test.ts check it on real programs).
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseOffset, resolveOffset } from '../../src/format/number.js';
import { parseEditSpec } from '../../src/format/patch/edit.js';
import { firstAddress } from '../../src/format/patch/model.js';
import { formatHunkLine, formatOpLine, formatShiftLine, parseNativePatch } from '../../src/format/patch/native.js';
import { bytesAccess, planPatch } from '../../src/format/patch/plan.js';
import { hasAddress, parseRange, type Range, resolveRange } from '../../src/format/range.js';

/** The address text of each side of a parsed range, and its length or END. */
function shape(r: Range): unknown {
  const side = (o: { address?: { text: string }; value: bigint } | null) => (o === null ? null : (o.address?.text ?? o.value));
  return r.kind === 'length' ? { start: side(r.start), length: r.whole ? 'whole' : r.length } : { start: side(r.start), end: side(r.end) };
}

describe('OFFSET: an address token', () => {
  it.each<[string, string, string, bigint]>([
    ['sym:check+0x12', 'sym', 'check', 0x12n],
    ['sym:check-4', 'sym', 'check', -4n],
    ['sym:_ZN2ns1fEv', 'sym', '_ZN2ns1fEv', 0n],
    ['sym:ns::K::m', 'sym', 'ns::K::m', 0n],
    ['sym:operator+', 'sym', 'operator+', 0n],
    ['sec:.text+16', 'sec', '.text', 16n],
    ['sec:__TEXT,__text', 'sec', '__TEXT,__text', 0n],
    ['seg:2+0x10', 'seg', '2', 0x10n],
    ['va:0x401000', 'va', '0x401000', 0n],
    ['rva:0x1000+4', 'rva', '0x1000', 4n],
  ])('%s', (text, kind, name, addend) => {
    const o = parseOffset(text);
    expect(o).toMatchObject({ value: 0n, fromEnd: false, text, address: { kind, name, addend, text } });
  });

  it('numbers stay numbers, and an address is never resolved without a file', () => {
    expect(parseOffset('-0x10')).toEqual({ value: -16n, fromEnd: true, text: '-0x10' });
    expect(() => resolveOffset(parseOffset('sym:main'), 100n)).toThrow(/"?sym:main"? is an address in an executable .* no file here to resolve it in/);
    expect(() => parseOffset('seg:x')).toThrow(InputError);
    expect(() => parseOffset('sym:')).toThrow(/name is empty/);
  });
});

describe('RANGE: the address forms', () => {
  it.each<[string, unknown]>([
    ['sym:main', { start: 'sym:main', length: 'whole' }],
    ['sec:.rodata', { start: 'sec:.rodata', length: 'whole' }],
    ['seg:1', { start: 'seg:1', length: 'whole' }],
    ['sym:ns::f', { start: 'sym:ns::f', length: 'whole' }],
    ['sym:ns::f:16', { start: 'sym:ns::f', length: 16n }],
    ['sym:check+0x12:2', { start: 'sym:check+0x12', length: 2n }],
    ['sec:__TEXT,__text:0x10', { start: 'sec:__TEXT,__text', length: 16n }],
    ['va:0x401000:4K', { start: 'va:0x401000', length: 4096n }],
    ['seg:2:8', { start: 'seg:2', length: 8n }],
    ['sym:check..sym:main', { start: 'sym:check', end: 'sym:main' }],
    ['sym:f.cold..sym:g', { start: 'sym:f.cold', end: 'sym:g' }],
    ['sym:check..', { start: 'sym:check', end: null }],
    ['..sym:main', { start: 0n, end: 'sym:main' }],
    ['0x100..sym:main', { start: 256n, end: 'sym:main' }],
    ['sec:.text..-0', { start: 'sec:.text', end: -0n }],
    ['va:0x1000..va:0x1010', { start: 'va:0x1000', end: 'va:0x1010' }],
  ])('%s', (text, want) => {
    const r = parseRange(text);
    expect(shape(r)).toEqual(want);
    expect(r.text).toBe(text);
    expect(hasAddress(r)).toBe(true);
  });

  it.each<[string, RegExp]>([
    ['va:0x401000', /a position, not a range: add :LENGTH or \.\.END/],
    ['sym:check+4', /a position, not a range/],
    ['sym:check+0', /a position, not a range/],
    ['sym:check:-4', /a length cannot be negative/],
    ['sym:check:4x', /not a decimal digit/],
    ['sym:check..0x1g', /not a hex digit/],
    ['bad:main', /not a decimal digit/],
  ])('refuses %s', (text, message) => {
    expect(() => parseRange(text)).toThrow(message);
  });

  it('numeric ranges are as before, and an address range is never resolved without a file', () => {
    expect(hasAddress(parseRange('0x10:4'))).toBe(false);
    expect(hasAddress(parseRange('0x10..-4'))).toBe(false);
    expect(() => resolveRange(parseRange('sym:main'), 1000n)).toThrow(/no file here to resolve it in/);
    expect(() => resolveRange(parseRange('0..sym:main'), 1000n)).toThrow(/no file here to resolve it in/);
  });
});

describe('native patch: addresses', () => {
  const text = [
    'at sym:check+0x12: 75 05 -> 74 05   # the jump',
    'at sym:ns::f : 90',
    'at 0x10: aa -> bb',
    'at -0: 00',
    'fill sym:table 00',
    'copy sec:.data:4 to sym:table+8',
    `xor sym:key 5a -> sha256 ${'0'.repeat(64)}`,
    'insert sym:end: "tail"',
    'delete sym:junk: de ad',
    '0x20: 01 -> 02',
  ].join('\n');

  it('parses `at ADDR:` hunks and addresses in range statements, copy, insert and delete', () => {
    const p = parseNativePatch(text, 'fix.patch');
    const [a, b, c, d, e] = p.hunks;
    expect(a).toMatchObject({ kind: 'offset', offset: 0n, address: { kind: 'sym', name: 'check', addend: 0x12n }, note: 'the jump' });
    expect(b).toMatchObject({ kind: 'offset', address: { name: 'ns::f' } });
    expect(c).toMatchObject({ kind: 'offset', offset: 16n });
    expect(c).not.toHaveProperty('address');
    expect(d).toMatchObject({ kind: 'offset', offset: 0n, fromEnd: true });
    expect(e).toMatchObject({ kind: 'offset', offset: 0x20n, source: { line: 10 } });
    const [fill, copy, xor] = p.ops!;
    expect(fill!.range).toMatchObject({ kind: 'length', whole: true, start: { address: { text: 'sym:table' } } });
    expect(copy).toMatchObject({ kind: 'copy', range: { kind: 'length', length: 4n }, toAddress: { text: 'sym:table+8' } });
    expect(xor!.range).toMatchObject({ whole: true, start: { address: { name: 'key' } } });
    const [ins, del] = p.shifts!;
    expect(ins).toMatchObject({ kind: 'insert', address: { name: 'end' }, bytes: new TextEncoder().encode('tail') });
    expect(del).toMatchObject({ kind: 'delete', range: { whole: true }, old: Uint8Array.of(0xde, 0xad) });
    // Formatted back as written (a patch shown by --dry-run or saved reads the same).
    expect(formatHunkLine(a!)).toBe('at sym:check+0x12: 75 05 -> 74 05  # the jump');
    expect(formatOpLine(copy!)).toBe('copy sec:.data:4 to sym:table+8');
    expect(formatShiftLine(ins!)).toBe('insert sym:end: 74 61 69 6c');
    expect(firstAddress(p)).toEqual({ text: 'sym:check+0x12', source: { name: 'fix.patch', line: 1 } });
  });

  it.each<[string, RegExp]>([
    ['at : 90', /line 1, col 4: expected an address after 'at'/],
    ['at sym:f 90', /line 1, col 10: expected ':' after 'sym:f'/],
    ['at sym:f:', /no bytes to write/],
    ['at sym:f: 75 -> 74 05', /old has 1 byte\(s\) but new has 2/],
    ['at bogus:1: 00', /line 1, col 4: .*bogus:1/],
    ['copy 0:4 to sym:', /line 1, col 13: .*name is empty/],
  ])('refuses %j', (line, message) => {
    expect(() => parseNativePatch(line, 'p')).toThrow(message);
  });

  it('a plan refuses an address nobody resolved, naming its line', () => {
    const p = parseNativePatch('0x0: 00 -> 01\nat sym:main+1: 00 -> 01\n', 'fix.patch');
    expect(() => planPatch(p, bytesAccess(new Uint8Array(8)))).toThrow(/^fix\.patch line 2: "?sym:main\+1"? is an address in an executable/);
    expect(firstAddress(parseNativePatch('0x0: 00 -> 01\n', 'x'))).toBeUndefined();
  });
});

describe('--edit ADDR=...', () => {
  it.each<[string, string, string | undefined, string]>([
    ['sym:check+0x12=7405', 'sym:check+0x12', undefined, '7405'],
    ['sym:check+0x12:7505=7405', 'sym:check+0x12', '7505', '7405'],
    ['sym:ns::f=c3', 'sym:ns::f', undefined, 'c3'],
    ['sym:ns::f:90=c3', 'sym:ns::f', '90', 'c3'],
    ['va:0x401000:90 90=cc cc', 'va:0x401000', '9090', 'cccc'],
    ['seg:1+4=00', 'seg:1+4', undefined, '00'],
  ])('%s', (spec, address, old, neu) => {
    const h = parseEditSpec(spec, 2);
    expect(h.address?.text).toBe(address);
    expect(h.offset).toBe(0n);
    expect(h.old === undefined ? undefined : Buffer.from(h.old).toString('hex')).toBe(old);
    expect(Buffer.from(h.new).toString('hex')).toBe(neu);
    expect(h.source).toEqual({ name: '--edit', line: 2 });
  });

  it('numeric edits are as before; bad address edits name the option', () => {
    expect(parseEditSpec('0x10:aa=bb')).toMatchObject({ offset: 16n, old: Uint8Array.of(0xaa) });
    expect(parseEditSpec('0x10:aa=bb')).not.toHaveProperty('address');
    expect(() => parseEditSpec('sym:f:aa=bbcc')).toThrow(/--edit .*old has 1 byte\(s\) but new has 2/);
    expect(() => parseEditSpec('seg:x=00')).toThrow(/^--edit 'seg:x=00', col 1: /);
  });
});
