import { InputError } from '../../errors.js';
import { describeValue } from '../quote.js';
import { BYTE_CATEGORIES } from './bytes.js';
import { cIdentifier } from './cname.js';
import { HEXYL_BASES, HEXYL_BORDERS, HEXYL_GROUPS, HEXYL_MAX_PANELS, HEXYL_TABLES, offsetDigitsFor, type HexylSettings } from './hexyl.js';
import { MAX_COLOR_BYTES } from './kernel.js';
import { type OdLayout, odLayout, parseOdTypes } from './od.js';
import type { DumpColors, DumpFormat, DumpOptions } from './types.js';

/** Colours compiled to bytes, indexed by category code; index 5 ("no category") is always empty. */
export interface CompiledColors {
  readonly open: readonly Uint8Array[];
  readonly close: readonly Uint8Array[];
  /** Longest open plus longest close, for sizing buffers. */
  readonly maxPair: number;
}

/** {@link DumpOptions} checked and with every default applied. */
export interface ResolvedOptions {
  readonly format: DumpFormat;
  /** Start offset split in two 32-bit halves (numbers), so that offsets up to 2^64 stay exact. */
  readonly startHi: number;
  readonly startLo: number;
  /** The first offset shown: start plus displayOffset, modulo 2^64, in two halves. */
  readonly shownHi: number;
  readonly shownLo: number;
  /** xxd -b, -e, -d; xxd -E (also canonical). */
  readonly bits: boolean;
  readonly littleEndian: boolean;
  readonly decimal: boolean;
  readonly ebcdic: boolean;
  /** Bytes per line; for `plain`, 0 means one unbounded line. */
  readonly cols: number;
  /** Bytes per group (xxd), already normalised to 1..cols. */
  readonly group: number;
  readonly upper: boolean;
  readonly squeeze: boolean;
  readonly autoskip: boolean;
  /** `c` only: the mangled identifier, or undefined for entries only (xxd -i on stdin). */
  readonly cName: string | undefined;
  readonly capitalize: boolean;
  /** `json`: how each line starts, `{` or `{"path":"...",`. */
  readonly jsonOpen: string;
  /** Compiled colours, undefined when nothing would be coloured. */
  readonly colors: CompiledColors | undefined;
  /** `hexyl`: its settings, checked. */
  readonly hexyl: HexylSettings | undefined;
  /** `od` and `hexdump-*`: the line layout. */
  readonly od: OdLayout | undefined;
}

const FORMATS: readonly DumpFormat[] = [
  'canonical',
  'xxd',
  'plain',
  'c',
  'json',
  'hexyl',
  'od',
  'hexdump-x',
  'hexdump-d',
  'hexdump-o',
  'hexdump-c',
  'hexdump-b',
];
const OD_LIKE: readonly DumpFormat[] = ['od', 'hexdump-x', 'hexdump-d', 'hexdump-o', 'hexdump-c', 'hexdump-b'];
const RADIXES = ['x', 'o', 'd', 'n'];
const TWO64 = 1n << 64n;
const MAX_COLS = 0x7fffffff;
/** Largest json line in bytes of input: keeps one line's text (2 chars per byte) comfortably in memory. */
const JSON_MAX_COLS = 1 << 20;

/**
 * Validate `options` the way xxd validates its flags, apply the defaults.
 * @throws InputError for an unknown format, an out-of-range number, or an option the format does not take.
 */
export function resolveOptions(options: DumpOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new InputError('dump options must be an object');
  const format = options.format;
  if (!FORMATS.includes(format)) {
    throw new InputError(`unknown dump format ${typeof format === 'string' ? `'${format}'` : describeValue(format)} (expected ${FORMATS.join(', ')})`, {
      token: typeof format === 'string' ? format : describeValue(format),
    });
  }
  const start = options.start;
  if (typeof start !== 'bigint' || start < 0n || start >= TWO64) {
    throw new InputError(`start offset must be a bigint in 0..2^64-1, got ${String(start)}`, { token: String(start) });
  }

  onlyFor(options, 'group', format, ['xxd', 'hexyl'], 'the xxd and hexyl formats (the other layouts are fixed)');
  onlyFor(options, 'squeeze', format, ['canonical', 'hexyl', ...OD_LIKE], 'the canonical, hexyl, od and hexdump-* formats (use autoskip with xxd)');
  for (const key of ['panels', 'border', 'base', 'endianness', 'characterTable', 'end'] as const) {
    onlyFor(options, key, format, ['hexyl'], 'the hexyl format');
  }
  onlyFor(options, 'types', format, ['od'], 'the od format');
  onlyFor(options, 'addressRadix', format, ['od'], 'the od format');
  onlyFor(options, 'autoskip', format, ['xxd'], 'the xxd format (use squeeze with canonical)');
  onlyFor(options, 'name', format, ['c'], 'the c format');
  onlyFor(options, 'varName', format, ['c'], 'the c format');
  onlyFor(options, 'capitalize', format, ['c'], 'the c format');
  onlyFor(options, 'path', format, ['json'], 'the json format');
  onlyFor(options, 'bits', format, ['xxd'], 'the xxd format');
  onlyFor(options, 'littleEndian', format, ['xxd'], 'the xxd format');
  onlyFor(options, 'decimal', format, ['xxd'], 'the xxd format');
  onlyFor(options, 'displayOffset', format, ['xxd', 'canonical'], 'the xxd and canonical formats');
  onlyFor(options, 'ebcdic', format, ['xxd', 'canonical'], 'the xxd and canonical formats');
  if (options.path !== undefined && typeof options.path !== 'string') throw new InputError('path must be a string', { token: String(options.path) });
  for (const key of ['upper', 'squeeze', 'autoskip', 'capitalize', 'bits', 'littleEndian', 'decimal', 'ebcdic'] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'boolean') throw new InputError(`${key} must be a boolean`, { token: String(v) });
  }

  const bits = options.bits ?? false;
  const littleEndian = options.littleEndian ?? false;
  if (bits && littleEndian) {
    throw new InputError('bits and littleEndian cannot be combined (xxd -b -e shows only the last one given)', { token: 'littleEndian' });
  }
  const display = options.displayOffset ?? 0n;
  if (typeof display !== 'bigint' || display <= -TWO64 || display >= TWO64) {
    throw new InputError(`display offset must be a bigint in -(2^64-1)..2^64-1, got ${String(display)}`, { token: String(display) });
  }
  const shown = (start + display + TWO64) % TWO64;

  const hexyl = format === 'hexyl' ? resolveHexyl(options) : undefined;
  const cols = hexyl ? hexylCols(options.cols, hexyl) : resolveCols(format, options.cols, bits);
  const group = format === 'xxd' ? resolveGroup(options.group, cols, bits ? 1 : littleEndian ? 4 : 2) : hexyl ? hexyl.group : 1;
  if (littleEndian) {
    // xxd refuses a group size that is not a power of 2, but not one it clamped to the line
    // length (0, or more than -c): that one it uses as it is, as this does.
    const asked = options.group === undefined || options.group < 0 ? 4 : options.group;
    if (asked >= 1 && asked <= cols && (asked & (asked - 1)) !== 0) {
      throw new InputError(`little-endian groups need a group size that is a power of 2, got ${asked}`, { token: String(asked) });
    }
  }

  let cName: string | undefined;
  const capitalize = options.capitalize ?? false;
  if (format === 'c') {
    for (const key of ['name', 'varName'] as const) {
      const v = options[key];
      if (v !== undefined && typeof v !== 'string') throw new InputError(`${key} must be a string`, { token: String(v) });
    }
    const raw = options.varName ?? options.name;
    cName = raw === undefined ? undefined : cIdentifier(raw, capitalize);
  }

  let od: OdLayout | undefined;
  if (format === 'od' || OD_LIKE.includes(format)) {
    const types = options.types ?? ['x1z'];
    if (!Array.isArray(types) || types.length === 0) throw new InputError('types must be a non-empty array of od type strings');
    const radix = options.addressRadix ?? 'x';
    if (!RADIXES.includes(radix)) {
      throw new InputError(`invalid address radix '${String(radix)}' (expected d, o, x or n)`, { token: String(radix) });
    }
    od = odLayout(format as Parameters<typeof odLayout>[0], parseOdTypes(types), radix, cols, options.upper ?? false);
  }

  return {
    format,
    startHi: Number(start >> 32n),
    startLo: Number(start & 0xffffffffn),
    shownHi: Number(shown >> 32n),
    shownLo: Number(shown & 0xffffffffn),
    bits,
    littleEndian,
    decimal: options.decimal ?? false,
    ebcdic: options.ebcdic ?? false,
    cols,
    group,
    upper: options.upper ?? false,
    squeeze: options.squeeze ?? true,
    autoskip: options.autoskip ?? false,
    cName,
    capitalize,
    jsonOpen: options.path === undefined ? '{' : `{"path":${asciiJson(options.path)},`,
    colors: format === 'canonical' || (format === 'xxd' && !littleEndian) || format === 'hexyl' ? compileColors(options.colors) : undefined,
    hexyl,
    od,
  };
}

function oneOf<T>(value: T | undefined, allowed: readonly T[], what: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) {
    throw new InputError(`invalid ${what} '${String(value)}' (expected ${allowed.join(', ')})`, { token: String(value) });
  }
  return value;
}

/** The hexyl options checked, with their defaults (2 panels, unicode border, base 16, groups of 1, big-endian). */
function resolveHexyl(options: DumpOptions): HexylSettings {
  const panels = options.panels ?? 2;
  if (typeof panels !== 'number' || !Number.isInteger(panels) || panels < 1 || panels > HEXYL_MAX_PANELS) {
    throw new InputError(`invalid number of panels ${String(panels)} (1..${HEXYL_MAX_PANELS})`, { token: String(panels) });
  }
  const end = options.end;
  if (end !== undefined && (typeof end !== 'bigint' || end < 0n || end > TWO64)) {
    throw new InputError(`end offset must be a bigint in 0..2^64, got ${String(end)}`, { token: String(end) });
  }
  return {
    panels,
    border: oneOf(options.border, HEXYL_BORDERS, 'border', 'unicode'),
    base: oneOf(options.base, HEXYL_BASES, 'base', 16),
    group: oneOf(options.group, HEXYL_GROUPS, 'group size for hexyl', 1),
    littleEndian: oneOf(options.endianness, ['big', 'little'] as const, 'endianness', 'big') === 'little',
    table: oneOf(options.characterTable, HEXYL_TABLES, 'character table', 'default'),
    offsetDigits: offsetDigitsFor(options.start, end),
  };
}

function hexylCols(cols: number | undefined, hexyl: HexylSettings): number {
  if (cols !== undefined && cols !== 0) {
    throw new InputError(`the hexyl format has 8 bytes per panel: give the number of panels (--panels) instead of ${String(cols)} columns`, {
      token: String(cols),
    });
  }
  return 8 * hexyl.panels;
}

/** A JSON string of `s` in ASCII only: other characters as \uXXXX escapes (UTF-16 units, as JSON has them). */
function asciiJson(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function onlyFor(options: DumpOptions, key: keyof DumpOptions, format: DumpFormat, allowed: DumpFormat[], what: string): void {
  if (options[key] !== undefined && !allowed.includes(format)) {
    throw new InputError(`option '${key}' applies only to ${what}, not to '${format}'`, { token: key });
  }
}

function resolveCols(format: DumpFormat, cols: number | undefined, bits: boolean): number {
  if (cols !== undefined && (typeof cols !== 'number' || !Number.isInteger(cols))) {
    throw new InputError(`number of columns must be an integer, got ${String(cols)}`, { token: String(cols) });
  }
  const c = cols ?? 0;
  if (c < 0) throw new InputError(`invalid number of columns ${c} (must not be negative)`, { token: String(c) });
  switch (format) {
    case 'od':
      // 0: od's default (16 for every type), worked out with the types (odLayout checks the rest).
      return c;
    case 'hexdump-x':
    case 'hexdump-d':
    case 'hexdump-o':
    case 'hexdump-c':
    case 'hexdump-b':
      if (c !== 0 && c !== 16) throw new InputError(`the ${format} format has a fixed 16 bytes per line`, { token: String(c) });
      return 16;
    case 'canonical':
      if (c !== 0 && c !== 16) {
        throw new InputError(`the canonical format (hexdump -C) has a fixed 16 bytes per line; use the xxd format for ${c} columns`, { token: String(c) });
      }
      return 16;
    case 'xxd':
      if (c > 256) throw new InputError(`invalid number of columns ${c} (max. 256)`, { token: String(c) });
      return c === 0 ? (bits ? 6 : 16) : c;
    case 'plain':
      if (c > MAX_COLS) throw new InputError(`invalid number of columns ${c} (max. ${MAX_COLS})`, { token: String(c) });
      // Absent: 30. An explicit 0: everything on one line, as xxd -p -c0.
      return cols === undefined ? 30 : c;
    case 'c':
      if (c > MAX_COLS) throw new InputError(`invalid number of columns ${c} (max. ${MAX_COLS})`, { token: String(c) });
      return c === 0 ? 12 : c;
    case 'json':
      if (c > JSON_MAX_COLS) {
        throw new InputError(`invalid number of columns ${c} for json (max. ${JSON_MAX_COLS})`, { token: String(c) });
      }
      return c === 0 ? 4096 : c;
    case 'hexyl':
      throw new Error('unreachable: the hexyl line comes from its panels (hexylCols)');
  }
}

function resolveGroup(group: number | undefined, cols: number, fallback: number): number {
  if (group === undefined) return Math.min(fallback, cols);
  if (typeof group !== 'number' || !Number.isSafeInteger(group)) {
    throw new InputError(`group size must be an integer, got ${String(group)}`, { token: String(group) });
  }
  // xxd: a negative -g means the default; 0 or more than the line means one group per line.
  const g = group < 0 ? fallback : group;
  return g < 1 || g > cols ? cols : g;
}

const utf8 = new TextEncoder();

function compileColors(colors: DumpColors | undefined): CompiledColors | undefined {
  if (colors === undefined) return undefined;
  if (typeof colors !== 'object' || colors === null) throw new InputError('colors must be an object');
  const empty = new Uint8Array(0);
  const open: Uint8Array[] = [];
  const close: Uint8Array[] = [];
  let any = false;
  let maxOpen = 0;
  let maxClose = 0;
  for (const category of BYTE_CATEGORIES) {
    const pair = colors[category];
    if (pair !== undefined && (typeof pair.open !== 'string' || typeof pair.close !== 'string')) {
      throw new InputError(`colors.${category} needs string 'open' and 'close'`, { token: category });
    }
    const o = pair ? utf8.encode(pair.open) : empty;
    const c = pair ? utf8.encode(pair.close) : empty;
    if (o.length > MAX_COLOR_BYTES || c.length > MAX_COLOR_BYTES) {
      throw new InputError(`colors.${category}: open and close may have at most ${MAX_COLOR_BYTES} bytes each`, {
        token: category,
      });
    }
    if (o.length + c.length > 0) any = true;
    open.push(o);
    close.push(c);
    maxOpen = Math.max(maxOpen, o.length);
    maxClose = Math.max(maxClose, c.length);
  }
  for (const key of Object.keys(colors)) {
    if (!(BYTE_CATEGORIES as readonly string[]).includes(key)) {
      throw new InputError(`unknown byte category '${key}' in colors (expected ${BYTE_CATEGORIES.join(', ')})`, {
        token: key,
      });
    }
  }
  open.push(empty);
  close.push(empty);
  return any ? { open, close, maxPair: maxOpen + maxClose } : undefined;
}
