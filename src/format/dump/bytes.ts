/**
 * The byte model of the dump engine: five categories (as hexyl models them), the character a
 * byte shows in a text column, and the 256-entry lookup tables the formatters index on the hot
 * path. Everything here is pure; the tables are built on first use, not at import.
 */

/**
 * The five byte categories, named after hexyl's (`Null`, `AsciiPrintable`, `AsciiWhitespace`,
 * `AsciiOther`, `NonAscii`):
 *
 * - `null`: 0x00
 * - `asciiPrintable`: 0x21–0x7e (graphic characters; space is not among them)
 * - `asciiWhitespace`: space 0x20 and `\t \n \v \f \r` (0x09–0x0d), i.e. C's `isspace()`.
 *   hexyl uses Rust's `is_ascii_whitespace`, which leaves `\v` (0x0b) out; we keep it with its
 *   siblings, so `\v` is coloured like `\f` rather than like the other control characters.
 * - `asciiOther`: the remaining ASCII control characters 0x01–0x08, 0x0e–0x1f, and DEL 0x7f
 * - `nonAscii`: 0x80–0xff
 */
export type ByteCategory = 'null' | 'asciiPrintable' | 'asciiWhitespace' | 'asciiOther' | 'nonAscii';

/** Every category, in the order of their numeric codes (used to index compiled colour tables). */
export const BYTE_CATEGORIES: readonly ByteCategory[] = Object.freeze(['null', 'asciiPrintable', 'asciiWhitespace', 'asciiOther', 'nonAscii']);

/** Numeric category code of a byte: the index of its name in {@link BYTE_CATEGORIES}. */
function byteCategoryCode(b: number): number {
  if (b === 0) return 0;
  if (b > 0x20 && b < 0x7f) return 1;
  if (b === 0x20 || (b >= 0x09 && b <= 0x0d)) return 2;
  if (b < 0x80) return 3;
  return 4;
}

/**
 * The category of byte `b` (0..255).
 * @throws RangeError when `b` is not an integer in 0..255.
 */
export function byteCategory(b: number): ByteCategory {
  checkByte(b);
  return BYTE_CATEGORIES[byteCategoryCode(b)]!;
}

/** Whether a byte shows as itself in the text column: 0x20..0x7e, as xxd and `hexdump -C` (C/UTF-8 locale) do. */
function isDisplayable(b: number): boolean {
  return b >= 0x20 && b <= 0x7e;
}

/**
 * The character byte `b` shows in the text column of the `canonical` and `xxd` formats: the byte
 * itself for 0x20..0x7e, `.` for everything else. (hexyl draws other symbols; the peers we must
 * match byte for byte, xxd and `hexdump -C`, print `.`.)
 * @throws RangeError when `b` is not an integer in 0..255.
 */
export function displayChar(b: number): string {
  checkByte(b);
  return String.fromCharCode(isDisplayable(b) ? b : 0x2e);
}

function checkByte(b: number): void {
  if (!Number.isInteger(b) || b < 0 || b > 255) throw new RangeError(`not a byte: ${b}`);
}

/** The lookup tables, one entry per byte value. Built once, on first use. */
export interface ByteTables {
  /** Two hex digits, lowercase, as a little-endian 16-bit value: store with `setUint16(pos, v, true)`. */
  readonly hex16: Uint16Array;
  /** The same, uppercase. */
  readonly hex16Upper: Uint16Array;
  /** Two hex digits then two spaces, little-endian 32-bit: one store writes a byte's cell and its gap. */
  readonly hexCell32: Uint32Array;
  /** The same, uppercase. */
  readonly hexCell32Upper: Uint32Array;
  /** Text-column character (byte or `.`). */
  readonly text: Uint8Array;
  /** Text-column character of the byte read as EBCDIC (xxd -E). */
  readonly textEbcdic: Uint8Array;
  /** Eight binary digits per byte, most significant first, as the 8 bytes at `8 * b` (xxd -b). */
  readonly bits: Uint8Array;
  /** Category code (see {@link byteCategoryCode}). */
  readonly category: Uint8Array;
}

/**
 * What xxd -E shows for the EBCDIC bytes 0x40..0xff, in order: xxd converts a byte to ASCII with
 * its table (a 1979 BTL proposal) and shows the result if it is printable ASCII, else `.`; bytes
 * below 0x40 show `.`. Read off xxd 2022-01-14 by dumping every byte value with -E.
 */
const EBCDIC_TEXT =
  ' ...........<(+|&.........!$*);~' +
  '-/.........,%_>?.........`:#@\'="' +
  '.abcdefghi.......jklmnopqr^.....' +
  '..stuvwxyz...[...............]..' +
  '{ABCDEFGHI......}JKLMNOPQR......' +
  '\\.STUVWXYZ......0123456789......';

let tables: ByteTables | undefined;

/** The shared byte tables (built on the first call). */
export function byteTables(): ByteTables {
  tables ??= buildTables();
  return tables;
}

function buildTables(): ByteTables {
  const lower = '0123456789abcdef';
  const upper = '0123456789ABCDEF';
  const hex16 = new Uint16Array(256);
  const hex16Upper = new Uint16Array(256);
  const hexCell32 = new Uint32Array(256);
  const hexCell32Upper = new Uint32Array(256);
  const text = new Uint8Array(256);
  const textEbcdic = new Uint8Array(256).fill(0x2e);
  const bits = new Uint8Array(256 * 8);
  const category = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    hex16[b] = lower.charCodeAt(b >> 4) | (lower.charCodeAt(b & 15) << 8);
    hex16Upper[b] = upper.charCodeAt(b >> 4) | (upper.charCodeAt(b & 15) << 8);
    // `>>> 0` keeps the value unsigned; 0x2020 << 16 sets no sign bit anyway.
    hexCell32[b] = (hex16[b]! | (0x2020 << 16)) >>> 0;
    hexCell32Upper[b] = (hex16Upper[b]! | (0x2020 << 16)) >>> 0;
    text[b] = isDisplayable(b) ? b : 0x2e;
    category[b] = byteCategoryCode(b);
    if (b >= 0x40) textEbcdic[b] = EBCDIC_TEXT.charCodeAt(b - 0x40);
    for (let i = 0; i < 8; i++) bits[8 * b + i] = (b >> (7 - i)) & 1 ? 0x31 : 0x30;
  }
  return { hex16, hex16Upper, hexCell32, hexCell32Upper, text, textEbcdic, bits, category };
}
