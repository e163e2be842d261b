/**
 * The C identifier `xxd -i` derives from a path (or from `-n NAME`): it works on the bytes of the
 * name, so a non-ASCII character becomes one `_` per UTF-8 byte (`é.bin` → `___bin`), exactly as
 * xxd does in the C locale.
 */

const utf8 = new TextEncoder();

/**
 * Mangle `name` the way xxd does: each byte that is not an ASCII letter or digit becomes `_`,
 * `__` is prepended when the first byte is a digit, and `capitalize` (xxd -C) uppercases letters.
 * An empty name stays empty (xxd then writes `unsigned char [] = {`).
 *
 * @example cIdentifier('./9li-ves.bin') === '__9li_ves_bin'
 */
export function cIdentifier(name: string, capitalize = false): string {
  const bytes = utf8.encode(name);
  let out = bytes.length > 0 && isDigit(bytes[0]!) ? '__' : '';
  for (const b of bytes) {
    if (isDigit(b)) out += String.fromCharCode(b);
    else if (b >= 0x61 && b <= 0x7a) out += String.fromCharCode(capitalize ? b - 0x20 : b);
    else if (b >= 0x41 && b <= 0x5a) out += String.fromCharCode(b);
    else out += '_';
  }
  return out;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}
