// The transform kernels (src/format/transform.ts): every op against Python's int arithmetic and
// `struct` on random buffers, applied in random windows (odd lengths, phases, misaligned views),
// all cases in one python3 process; then the parser's refusals.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseTransform, TRANSFORM_OPS, TRANSFORM_UNITS } from '../../src/format/transform.js';
import { expectInputError } from './expect-input-error.js';

/** Computes every case's expected bytes over the whole range (keys repeat from its start). */
const PYTHON = `
import json, struct, sys
FMT = {1: 'B', 2: 'H', 4: 'I', 8: 'Q'}
def units(unit):
    if unit is None or unit == 'u8': return 1, '<'
    return int(unit[1:3]) // 8, ('>' if unit.endswith('be') else '<')
def rev(x, bits): return int(format(x, '0%db' % bits)[::-1], 2)
out = []
for line in sys.stdin:
    c = json.loads(line)
    op, arg, data = c['op'], c['arg'], bytes.fromhex(c['data'])
    if op in ('xor', 'and', 'or'):
        key = bytes.fromhex(arg)
        f = {'xor': lambda a, b: a ^ b, 'and': lambda a, b: a & b, 'or': lambda a, b: a | b}[op]
        res = bytes(f(b, key[i % len(key)]) for i, b in enumerate(data))
    elif op == 'not':
        res = bytes(255 - b for b in data)
    else:
        w, order = units(c['unit'])
        if op.startswith('swap'): w = int(op[4:]) // 8
        bits, mask = 8 * w, (1 << 8 * w) - 1
        n = len(data) // w
        fmt = '%s%d%s' % (order, n, FMT[w])
        xs = struct.unpack(fmt, data)
        if op in ('add', 'sub'):
            v = int(arg, 0)
            ys = [((x + v) if op == 'add' else (x - v)) & mask for x in xs]
        elif op in ('rol', 'ror'):
            r = int(arg) if op == 'rol' else (bits - int(arg)) % bits
            ys = [((x << r) | (x >> (bits - r))) & mask for x in xs]
        elif op == 'shl':
            ys = [(x << int(arg)) & mask for x in xs]
        elif op == 'shr':
            ys = [x >> int(arg) for x in xs]
        elif op in ('swap16', 'swap32', 'swap64', 'bswap'):
            ys = struct.unpack('>%d%s' % (n, FMT[w]), data)
            fmt = '<%d%s' % (n, FMT[w])
        elif op == 'reverse':
            ys = [rev(x, bits) for x in xs]
        res = struct.pack(fmt, *ys)
    out.append(res.hex())
print(json.dumps(out))
`;

interface Case {
  op: string;
  arg: string | undefined;
  unit: string | undefined;
  data: Uint8Array;
}

/** A small deterministic PRNG (xorshift32), so a failure can be replayed. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

function randomBytes(next: (n: number) => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = next(256);
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function randomCase(next: (n: number) => number): Case {
  const op = TRANSFORM_OPS[next(TRANSFORM_OPS.length)]!;
  let unit: string | undefined;
  let arg: string | undefined;
  let width = 1;
  if (['xor', 'and', 'or'].includes(op)) {
    // Keys of 1 to 9 bytes (around the word size) and now and then a long one.
    const keyLength = next(6) === 0 ? 20 + next(50) : 1 + next(9);
    arg = hex(randomBytes(next, keyLength));
  } else if (op === 'not') {
    unit = next(3) === 0 ? 'u8' : undefined;
  } else if (op.startsWith('swap')) {
    width = Number(op.slice(4)) / 8;
  } else if (op === 'bswap' || op === 'reverse') {
    const choices = op === 'bswap' ? ['u16', 'u32', 'u64', 'u16be', 'u32le', 'u64be'] : ['u8', 'u16', 'u32le', 'u64', 'u64be', 'u16be'];
    unit = choices[next(choices.length)]!;
    if (op === 'reverse' && next(4) === 0) unit = undefined;
  } else {
    unit = TRANSFORM_UNITS[next(TRANSFORM_UNITS.length)];
    if (unit === 'u8' && next(2) === 0) unit = undefined;
  }
  if (unit !== undefined) width = Number(unit.slice(1, 3).replace(/[lb]$/, '')) / 8;
  const bits = width * 8;
  if (['rol', 'ror', 'shl', 'shr'].includes(op)) {
    arg = String([0, 1, bits - 1, bits / 2, 31, 32, 33][next(7)]! % bits || next(bits));
  } else if (op === 'add' || op === 'sub') {
    // Unsigned or negative, decimal or hex, up to the unit's bounds.
    const modulus = 1n << BigInt(bits);
    let value = (BigInt(next(0x40000000)) * BigInt(next(0x40000000)) * BigInt(next(0x40000000))) % modulus;
    if (next(5) === 0) value = modulus - 1n;
    if (next(3) === 0) value = -(value % (modulus >> 1n));
    arg = next(2) === 0 ? value.toString() : `${value < 0n ? '-' : ''}0x${(value < 0n ? -value : value).toString(16)}`;
  }
  // Odd numbers of units, sometimes none, sometimes enough for several words of a long key.
  const count = next(8) === 0 ? next(3) : 2 * next(100) + 1;
  return { op, arg, unit, data: randomBytes(next, count * width) };
}

/** Applies `c` in random windows, each a view at a random (often odd) offset of its own buffer. */
function applyInWindows(c: Case, next: (n: number) => number): Uint8Array {
  const t = parseTransform(c.op, c.arg, c.unit);
  const out = new Uint8Array(c.data.length);
  let at = 0;
  while (at < c.data.length) {
    const units = (c.data.length - at) / t.unit;
    const take = (1 + next(Math.min(units, 40))) * t.unit;
    const shift = next(8);
    // The bytes around the window hold a sentinel that must survive: nothing outside is written.
    const backing = new Uint8Array(take + shift + 3).fill(0xa5);
    const window = backing.subarray(shift, shift + take);
    window.set(c.data.subarray(at, at + take));
    t.apply(window, at);
    if (backing.subarray(0, shift).some((b) => b !== 0xa5) || backing.subarray(shift + take).some((b) => b !== 0xa5)) {
      throw new Error(`${t.text} wrote outside its window of ${take} bytes at ${at}`);
    }
    out.set(window, at);
    at += take;
  }
  if (c.data.length === 0) t.apply(new Uint8Array(0), 0);
  return out;
}

const python = spawnSync('python3', ['--version']).status === 0;

describe('transform kernels', () => {
  it.skipIf(!python)('every op equals Python on random buffers, windows and phases (one python3 process)', () => {
    const next = rng(0x7ea5f00d);
    const cases = Array.from({ length: 1500 }, () => randomCase(next));
    // Every op and every unit is drawn many times over 1500 cases; assert it rather than hope.
    for (const op of TRANSFORM_OPS) expect(cases.some((c) => c.op === op)).toBe(true);
    const input = cases.map((c) => JSON.stringify({ op: c.op, arg: c.arg ?? null, unit: c.unit ?? null, data: hex(c.data) })).join('\n');
    const run = spawnSync('python3', ['-c', PYTHON], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(run.stderr).toBe('');
    const expected = JSON.parse(run.stdout) as string[];
    expect(expected).toHaveLength(cases.length);
    cases.forEach((c, i) => {
      const got = hex(applyInWindows(c, next));
      if (got !== expected[i]) {
        throw new Error(`case ${i}: ${c.op} ${c.arg ?? ''} unit ${c.unit ?? '-'} on ${hex(c.data)}: got ${got}, Python ${expected[i]}`);
      }
    });
  });
  if (!python) it.skip('python3 is not installed: the differential test of the transform kernels is skipped', () => {});

  it('keys repeat from the range start: the windows of a range equal the range in one piece', () => {
    const t = parseTransform('xor', '01 02 03 04 05');
    const whole = new Uint8Array(23);
    t.apply(whole, 0);
    expect(hex(whole)).toBe('0102030405'.repeat(5).slice(0, 46));
    const pieces = new Uint8Array(23);
    t.apply(pieces.subarray(0, 7), 0);
    t.apply(pieces.subarray(7, 8), 7);
    t.apply(pieces.subarray(8), 8);
    expect(pieces).toEqual(whole);
  });

  it('add wraps around within each unit and never carries into the next', () => {
    const bytes = Uint8Array.from([0xff, 0xff, 0x00, 0x00, 0xfe, 0xff, 0xff, 0x7f]);
    parseTransform('add', '1', 'u16le').apply(bytes, 0);
    expect(hex(bytes)).toBe('00000100ffff0080');
    const wide = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 9, 0, 0, 0, 0, 0, 0, 0]);
    parseTransform('add', '1', 'u64le').apply(wide, 0);
    expect(hex(wide)).toBe('00000000000000000a00000000000000');
  });

  it('texts and units', () => {
    expect(parseTransform('xor', '5a')).toMatchObject({ text: 'xor 5a', unit: 1 });
    expect(parseTransform('add', '3', 'u32le')).toMatchObject({ text: 'add 3 (u32le)', unit: 4 });
    expect(parseTransform('ror', '0x3', 'u64be')).toMatchObject({ text: 'ror 3 (u64be)', unit: 8 });
    expect(parseTransform('swap32', undefined)).toMatchObject({ text: 'swap32', unit: 4 });
    expect(parseTransform('bswap', undefined, 'u16')).toMatchObject({ text: 'bswap (u16)', unit: 2 });
    expect(parseTransform('reverse', undefined)).toMatchObject({ text: 'reverse', unit: 1 });
    expect(parseTransform('xor', '00'.repeat(40)).text).toBe(`xor ${'00'.repeat(16)}... (40 bytes)`);
  });

  it('the kernel refuses a phase or a length that is not a whole number of units', () => {
    const t = parseTransform('add', '1', 'u32be');
    expect(() => t.apply(new Uint8Array(6), 0)).toThrow(RangeError);
    expect(() => t.apply(new Uint8Array(8), 2)).toThrow(RangeError);
    expect(() => t.apply(new Uint8Array(8), -4)).toThrow(RangeError);
  });

  it('the WebAssembly SIMD kernel (bytes in its window) equals the JS kernel (bytes elsewhere), at any phase and length', () => {
    const next = rng(0x51d);
    let checked = 0;
    for (const [op, arg] of [
      ['xor', '5a'],
      ['xor', '0102030405'],
      ['xor', '00112233445566778899aabbccddeeff01'],
      ['and', 'f00f'],
      ['or', '0f'],
      ['not', undefined],
    ] as const) {
      const t = parseTransform(op, arg);
      expect(t.window, `${t.text} has a SIMD window`).toBeTypeOf('function');
      for (let k = 0; k < 20; k++) {
        const len = k === 0 ? 0 : next(k < 10 ? 40 : 5000);
        const phase = next(100_000);
        const data = randomBytes(next, len);
        const w = t.window!(len + 64);
        // A view at an odd offset of the window, with sentinels around it that must survive.
        const at = next(17);
        w.fill(0xa5);
        const view = w.subarray(at, at + len);
        view.set(data);
        t.apply(view, phase);
        const plain = Uint8Array.from(data);
        t.apply(plain, phase);
        expect(hex(view), `${t.text} over ${len} bytes at phase ${phase}`).toBe(hex(plain));
        expect(w.subarray(0, at).every((b) => b === 0xa5) && w.subarray(at + len).every((b) => b === 0xa5)).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe(120);
  });

  it('changedBytes: the closed form (xor, not, identities) equals the bytes that change; none where it depends on them', () => {
    const next = rng(0xc0ffee);
    for (const [op, arg, unit] of [
      ['xor', '5a', undefined],
      ['xor', '00ff0000a1', undefined],
      ['xor', '000000', undefined],
      ['not', undefined, undefined],
      ['rol', '0', 'u16le'],
      ['add', '0', 'u32be'],
      ['and', 'ffff', undefined],
      ['or', '00', undefined],
    ] as const) {
      const t = parseTransform(op, arg, unit);
      expect(t.changedBytes, t.text).toBeTypeOf('function');
      for (let k = 0; k < 10; k++) {
        const units = next(300);
        const phase = next(1000) * t.unit;
        const data = randomBytes(next, units * t.unit);
        const out = Uint8Array.from(data);
        t.apply(out, phase);
        const changed = data.reduce((n, b, i) => n + (b !== out[i] ? 1 : 0), 0);
        expect(t.changedBytes!(phase, data.length), `${t.text} at ${phase} over ${data.length}`).toBe(changed);
      }
    }
    for (const [op, arg, unit] of [
      ['and', 'f0', undefined],
      ['or', '01', undefined],
      ['add', '1', 'u16le'],
      ['swap16', undefined, undefined],
      ['reverse', undefined, undefined],
    ] as const) {
      expect(parseTransform(op, arg, unit).changedBytes, op).toBeUndefined();
    }
  });

  it('spec: the arguments parseTransform was given, which read it back (the journal of a transform stores them)', () => {
    for (const [op, arg, unit] of [
      ['xor', 'de ad be ef', undefined],
      ['add', '-1', 'u64be'],
      ['bswap', undefined, 'u32'],
      ['xor', '00'.repeat(40), undefined],
    ] as const) {
      const t = parseTransform(op, arg, unit);
      const again = parseTransform(t.spec!.op, t.spec!.arg, t.spec!.unit);
      expect(again.text).toBe(t.text);
      const a = randomBytes(rng(7), 64);
      const b = Uint8Array.from(a);
      t.apply(a, 8);
      again.apply(b, 8);
      expect(hex(a)).toBe(hex(b));
    }
  });

  it('refuses bad input with one line', () => {
    const ops = TRANSFORM_OPS.join(', ');
    const units = TRANSFORM_UNITS.join(', ');
    expectInputError(() => parseTransform('rot', '1'), `unknown transform "rot" (expected one of ${ops})`);
    expectInputError(() => parseTransform('xor', undefined), 'xor needs a key of hex bytes (as in xor 5a)');
    expectInputError(() => parseTransform('add', undefined), 'add needs a number (as in add 3)');
    expectInputError(() => parseTransform('rol', undefined, 'u8'), 'rol needs a bit count (as in rol 3)');
    expectInputError(() => parseTransform('not', 'ff'), 'not takes no argument (got "ff")');
    expectInputError(() => parseTransform('swap16', '2'), 'swap16 takes no argument (got "2")');
    expectInputError(() => parseTransform('xor', '5a5'), 'bad xor key "5a5": odd number of hex digits', 0);
    expectInputError(() => parseTransform('xor', '5g'), 'bad xor key "5g": \'g\' at position 1 is not a hex digit', 1);
    expectInputError(() => parseTransform('and', ''), 'bad and key "": empty');
    expectInputError(() => parseTransform('xor', '5a', 'u32le'), 'xor works byte by byte: --unit u32le does not apply (only u8)');
    expectInputError(() => parseTransform('add', '1', 'u24le'), `bad unit "u24le": expected one of ${units}`);
    expectInputError(() => parseTransform('add', '1', 'u8le'), `bad unit "u8le": expected one of ${units}`);
    expectInputError(() => parseTransform('add', '1', 'u32'), 'add needs the byte order of u32: u32le or u32be');
    expectInputError(() => parseTransform('add', '256'), 'bad add value "256": does not fit in u8 (-128..255)');
    expectInputError(() => parseTransform('sub', '-129'), 'bad sub value "-129": does not fit in u8 (-128..255)');
    expectInputError(
      () => parseTransform('add', '0x10000000000000000', 'u64le'),
      'bad add value "0x10000000000000000": does not fit in u64le (-9223372036854775808..18446744073709551615)',
    );
    expectInputError(() => parseTransform('rol', '8'), 'bad rol count "8": must be 0..7 for u8');
    expectInputError(() => parseTransform('shr', '-1', 'u16be'), 'bad shr count "-1": must be 0..15 for u16be');
    expectInputError(() => parseTransform('ror', '64', 'u64le'), 'bad ror count "64": must be 0..63 for u64le');
    expectInputError(() => parseTransform('swap32', undefined, 'u16le'), 'swap32 works on 4-byte units: --unit u16le does not apply');
    expectInputError(() => parseTransform('bswap', undefined), 'bswap needs --unit u16, u32 or u64 (the size of the units whose bytes it reverses)');
    expectInputError(() => parseTransform('bswap', undefined, 'u8'), 'bswap needs --unit u16, u32 or u64 (the size of the units whose bytes it reverses)');
  });
});
