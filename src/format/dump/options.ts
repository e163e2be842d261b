import { InputError } from '../../errors.js';
import { BYTE_CATEGORIES } from './bytes.js';
import { cIdentifier } from './cname.js';
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
  /** `od` and `hexdump-*`: the line layout. */
  readonly od: OdLayout | undefined;
}

const FORMATS: readonly DumpFormat[] = ['canonical', 'xxd', 'plain', 'c', 'json', 'od', 'hexdump-x', 'hexdump-d', 'hexdump-o', 'hexdump-c', 'hexdump-b'];
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
    throw new InputError(`unknown dump format '${String(format)}' (expected ${FORMATS.join(', ')})`, {
      token: String(format),
    });
  }
  const start = options.start;
  if (typeof start !== 'bigint' || start < 0n || start >= TWO64) {
    throw new InputError(`start offset must be a bigint in 0..2^64-1, got ${String(start)}`, { token: String(start) });
  }

  onlyFor(options, 'group', format, ['xxd'], 'the xxd format (the other layouts are fixed)');
  onlyFor(options, 'squeeze', format, ['canonical', ...OD_LIKE], 'the canonical, od and hexdump-* formats (use autoskip with xxd)');
  onlyFor(options, 'types', format, ['od'], 'the od format');
  onlyFor(options, 'addressRadix', format, ['od'], 'the od format');
  onlyFor(options, 'autoskip', format, ['xxd'], 'the xxd format (use squeeze with canonical)');
  onlyFor(options, 'name', format, ['c'], 'the c format');
  onlyFor(options, 'varName', format, ['c'], 'the c format');
  onlyFor(options, 'capitalize', format, ['c'], 'the c format');
  onlyFor(options, 'path', format, ['json'], 'the json format');
  if (options.path !== undefined && typeof options.path !== 'string') throw new InputError('path must be a string', { token: String(options.path) });
  for (const key of ['upper', 'squeeze', 'autoskip', 'capitalize'] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'boolean') throw new InputError(`${key} must be a boolean`, { token: String(v) });
  }

  const cols = resolveCols(format, options.cols);
  const group = format === 'xxd' ? resolveGroup(options.group, cols) : 1;

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
    cols,
    group,
    upper: options.upper ?? false,
    squeeze: options.squeeze ?? true,
    autoskip: options.autoskip ?? false,
    cName,
    capitalize,
    jsonOpen: options.path === undefined ? '{' : `{"path":${asciiJson(options.path)},`,
    colors: format === 'canonical' || format === 'xxd' ? compileColors(options.colors) : undefined,
    od,
  };
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

function resolveCols(format: DumpFormat, cols: number | undefined): number {
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
      return c === 0 ? 16 : c;
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
  }
}

function resolveGroup(group: number | undefined, cols: number): number {
  if (group === undefined) return Math.min(2, cols);
  if (typeof group !== 'number' || !Number.isSafeInteger(group)) {
    throw new InputError(`group size must be an integer, got ${String(group)}`, { token: String(group) });
  }
  // xxd: a negative -g means the default; 0 or more than the line means one group per line.
  const g = group < 0 ? 2 : group;
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
