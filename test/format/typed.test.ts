import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TYPED_TYPES, encodeTyped, isTypedType, typedWidth, type TypedType } from '../../src/format/data.js';
import { expectInputError, inputErrorOf, returnsOrThrowsInputError } from './expect-input-error.js';

/** The bytes DataView writes for `value` as `type`: the independent reference. */
function reference(type: TypedType, value: bigint | number): Uint8Array {
  const width = typedWidth(type);
  const view = new DataView(new ArrayBuffer(width));
  const le = type.endsWith('le');
  const kind = type[0];
  if (kind === 'f') {
    if (width === 4) view.setFloat32(0, Number(value), le);
    else view.setFloat64(0, Number(value), le);
  } else if (width === 8) {
    if (kind === 'u') view.setBigUint64(0, BigInt(value), le);
    else view.setBigInt64(0, BigInt(value), le);
  } else if (width === 4) {
    if (kind === 'u') view.setUint32(0, Number(value), le);
    else view.setInt32(0, Number(value), le);
  } else if (width === 2) {
    if (kind === 'u') view.setUint16(0, Number(value), le);
    else view.setInt16(0, Number(value), le);
  } else if (kind === 'u') {
    view.setUint8(0, Number(value));
  } else {
    view.setInt8(0, Number(value));
  }
  return new Uint8Array(view.buffer);
}

describe('typed value names', () => {
  it('lists every type the CLI offers, in order', () => {
    expect(TYPED_TYPES).toEqual([
      'u8',
      'u16le',
      'u16be',
      'u32le',
      'u32be',
      'u64le',
      'u64be',
      'i8',
      'i16le',
      'i16be',
      'i32le',
      'i32be',
      'i64le',
      'i64be',
      'f32le',
      'f32be',
      'f64le',
      'f64be',
    ]);
  });

  it.each<[string, boolean]>([
    ['u8', true],
    ['f64be', true],
    ['u24', false],
    ['U8', false],
    ['constructor', false],
    ['', false],
  ])('%j is a type: %s', (name, expected) => {
    expect(isTypedType(name)).toBe(expected);
  });

  it('gives each type its width', () => {
    expect(TYPED_TYPES.map(typedWidth)).toEqual([1, 2, 2, 4, 4, 8, 8, 1, 2, 2, 4, 4, 8, 8, 4, 4, 8, 8]);
  });
});

describe('encodeTyped accepts', () => {
  it.each<[TypedType, string, number[]]>([
    ['u8', '0', [0]],
    ['u8', '255', [0xff]],
    ['u8', '0xff', [0xff]],
    ['i8', '-1', [0xff]],
    ['i8', '-128', [0x80]],
    ['i8', '127', [0x7f]],
    ['u16le', '0x1234', [0x34, 0x12]],
    ['u16be', '0x1234', [0x12, 0x34]],
    ['i16be', '-2', [0xff, 0xfe]],
    ['u32le', '0x1f40', [0x40, 0x1f, 0, 0]],
    ['u32be', '4K', [0, 0, 0x10, 0]],
    ['i32le', '-2', [0xfe, 0xff, 0xff, 0xff]],
    ['u64le', '18446744073709551615', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['u64le', '0xffff_ffff_ffff_ffff', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['u64be', '0x0102030405060708', [1, 2, 3, 4, 5, 6, 7, 8]],
    ['i64le', '-9223372036854775808', [0, 0, 0, 0, 0, 0, 0, 0x80]],
    ['i64be', '-1', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['f32le', '1.5', [0, 0, 0xc0, 0x3f]],
    ['f32be', '1.5', [0x3f, 0xc0, 0, 0]],
    ['f32le', '.5', [0, 0, 0, 0x3f]],
    ['f32le', '5.', [0, 0, 0xa0, 0x40]],
    ['f32le', '-0', [0, 0, 0, 0x80]],
    ['f32le', '0e5', [0, 0, 0, 0]],
    ['f32be', 'inf', [0x7f, 0x80, 0, 0]],
    ['f32be', '-Infinity', [0xff, 0x80, 0, 0]],
    ['f32be', 'NaN', [0x7f, 0xc0, 0, 0]],
    ['f64le', '1', [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]],
    ['f64be', '+1e+2', [0x40, 0x59, 0, 0, 0, 0, 0, 0]],
    ['f64be', 'nan', [0x7f, 0xf8, 0, 0, 0, 0, 0, 0]],
  ])('%s %s', (type, text, expected) => {
    expect(encodeTyped(type, text)).toEqual(new Uint8Array(expected));
  });
});

describe('encodeTyped rejects', () => {
  it.each<[TypedType, string, string, number]>([
    ['u8', '300', '300 does not fit in u8 (0..255)', 0],
    ['u8', '-1', '-1 does not fit in u8 (0..255)', 0],
    ['i8', '128', '128 does not fit in i8 (-128..127)', 0],
    ['u16le', '0x10000', '0x10000 does not fit in u16le (0..65535)', 0],
    ['i32be', '2G', '2G does not fit in i32be (-2147483648..2147483647)', 0],
    ['u64be', '18446744073709551616', '18446744073709551616 does not fit in u64be (0..18446744073709551615)', 0],
    ['i64le', '9223372036854775808', '9223372036854775808 does not fit in i64le (-9223372036854775808..9223372036854775807)', 0],
    ['u8', '0x1z', `bad u8 value "0x1z": 'z' at position 3 is not a hex digit`, 3],
    ['u8', '1.5', `bad u8 value "1.5": '.' at position 1 starts a fraction, which needs a size suffix (as in 1.5K)`, 1],
    ['u32le', '', 'bad u32le value "": empty', 0],
    ['f32le', '1e39', '1e39 does not fit in f32le (beyond the largest finite value)', 0],
    ['f64be', '1e400', '1e400 does not fit in f64be (beyond the largest finite value)', 0],
    ['f32le', '1e-50', '1e-50 does not fit in f32le (rounds to 0)', 0],
    ['f64le', '-1e-400', '-1e-400 does not fit in f64le (rounds to 0)', 0],
    ['f32le', '-nan', `bad f32le value "-nan": '-' at position 0 cannot sign nan`, 0],
    ['f64le', '1.2.3', `bad f64le value "1.2.3": '.' at position 3 is not part of a decimal number`, 3],
    ['f64le', '1_000', `bad f64le value "1_000": '_' at position 1 is not part of a decimal number`, 1],
    ['f64le', '1e', 'bad f64le value "1e": missing digits in the exponent', 2],
    ['f64le', '1ex', `bad f64le value "1ex": 'x' at position 2 is not a decimal digit of the exponent`, 2],
    ['f64le', '-', 'bad f64le value "-": missing digits', 1],
    ['f64le', '.', 'bad f64le value ".": missing digits', 1],
    ['f64le', '', 'bad f64le value "": empty', 0],
    ['f64le', '0x10', `bad f64le value "0x10": 'x' at position 1 is not part of a decimal number`, 1],
    [
      'f64le',
      'infinite',
      `bad f64le value "infinite": 'i' at position 0 is not a decimal digit (floats are decimal, with an optional exponent, inf or nan)`,
      0,
    ],
    ['f64le', ' 1', `bad f64le value " 1": ' ' at position 0 is not a decimal digit (floats are decimal, with an optional exponent, inf or nan)`, 0],
  ])('%s %j', (type, text, message, position) => {
    const error = expectInputError(() => encodeTyped(type, text), message, position);
    expect(error.location.token).toBe(text);
  });
});

// ------------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------------

const INTEGER_TYPES = TYPED_TYPES.filter((type) => type[0] !== 'f');

function bounds(type: TypedType): [bigint, bigint] {
  const bits = BigInt(typedWidth(type) * 8);
  return type[0] === 'i' ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

describe('typed properties', () => {
  it('encodes every in-range integer as DataView does, written in decimal or hex', () => {
    const sample = fc.constantFrom(...INTEGER_TYPES).chain((type) => {
      const [min, max] = bounds(type);
      return fc.tuple(fc.constant(type), fc.bigInt({ min, max }), fc.boolean());
    });
    fc.assert(
      fc.property(sample, ([type, value, hex]) => {
        const magnitude = value < 0n ? -value : value;
        const text = `${value < 0n ? '-' : ''}${hex ? `0x${magnitude.toString(16)}` : magnitude}`;
        expect(encodeTyped(type, text)).toEqual(reference(type, value));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses every out-of-range integer with an InputError', () => {
    const sample = fc.constantFrom(...INTEGER_TYPES).chain((type) => {
      const [min, max] = bounds(type);
      const outside = fc.oneof(fc.bigInt({ min: max + 1n, max: max + (1n << 70n) }), fc.bigInt({ min: min - (1n << 70n), max: min - 1n }));
      return fc.tuple(fc.constant(type), outside);
    });
    fc.assert(
      fc.property(sample, ([type, value]) => {
        const error = inputErrorOf(() => encodeTyped(type, value.toString()));
        expect(error.message).toBe(`${value} does not fit in ${type} (${bounds(type).join('..')})`);
      }),
      { numRuns: 300 },
    );
  });

  it('encodes any double as DataView does, written as JavaScript prints it', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.constantFrom<TypedType>('f64le', 'f64be'), (value, type) => {
        fc.pre(!Object.is(value, -0)); // String(-0) is "0"; -0 has its own table case
        expect(encodeTyped(type, String(value))).toEqual(reference(type, value));
      }),
      { numRuns: 500 },
    );
  });

  it('encodes any float32 exactly, written as JavaScript prints it', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), fc.constantFrom<TypedType>('f32le', 'f32be'), (value, type) => {
        fc.pre(!Object.is(value, -0));
        expect(encodeTyped(type, String(value))).toEqual(reference(type, value));
      }),
      { numRuns: 500 },
    );
  });

  it('either encodes or throws an InputError for any string and type', () => {
    const alphabet = fc.constantFrom(...'0123456789xX.eE+-_abfinINKG \u00e9');
    fc.assert(
      fc.property(fc.constantFrom(...TYPED_TYPES), fc.oneof(fc.string({ unit: alphabet, maxLength: 16 }), fc.string({ unit: 'binary' })), (type, text) => {
        returnsOrThrowsInputError(() => {
          expect(encodeTyped(type, text)).toHaveLength(typedWidth(type));
        }, text);
      }),
      { numRuns: 1000 },
    );
  });
});
