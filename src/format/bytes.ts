// Byte arrays compared as memcmp would.

/** Whether `a` and `b` hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.length <= 16) {
    // A hunk's few bytes: two Buffer views per comparison cost more than the comparison.
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** The UTF-8 byte order mark some editors (Notepad, PowerShell 5) put before a text. */
const BOM = [0xef, 0xbb, 0xbf];

/**
 * `text` without the UTF-8 byte order mark at its start, if it has one: every text input (a patch,
 * a dump, a --files-from list, a checksum file) reads the same with or without it, as it does
 * with CRLF line ends. A view, not a copy.
 */
export function withoutBom<T extends Uint8Array>(text: T): T {
  return text.length >= 3 && text[0] === BOM[0] && text[1] === BOM[1] && text[2] === BOM[2] ? (text.subarray(3) as T) : text;
}
