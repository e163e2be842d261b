/**
 * The old/new listing of `mmapx patch --dry-run`: each change as `hexdump -C` style rows at
 * absolute offsets, the bytes there now (`-`) above the bytes the patch writes (`+`):
 *
 * ```text
 * fix.patch line 3: 0x1f40..0x1f42, 2 bytes
 * - 00001f40  74 05                                             |t.              |
 * + 00001f40  eb 05                                             |..              |
 * ```
 *
 * Rows are 16 bytes on 16-aligned offsets, like hexdump's; columns outside the change are blank.
 * Only rows in which some byte changes are shown, at most `maxRows` per change.
 */

import { hex } from './lex.js';
import { plural } from '../units.js';

const PAIR: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const SHOW: readonly string[] = Array.from({ length: 256 }, (_, b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'));

function row(sign: string, rowStart: bigint, from: number, bytes: Uint8Array, at: number, n: number, width: number): string {
  let hexArea = '';
  let ascii = '';
  for (let c = 0; c < 16; c++) {
    const inside = c >= from && c < from + n;
    const b = inside ? bytes[at + c - from]! : -1;
    hexArea += inside ? `${PAIR[b]} ` : '   ';
    if (c === 7) hexArea += ' ';
    ascii += inside ? SHOW[b] : ' ';
  }
  return `${sign} ${rowStart.toString(16).padStart(width, '0')}  ${hexArea} |${ascii}|`;
}

/**
 * The listing rows of one change of `old.length` bytes at `offset` (`old` and `neu` have the same
 * length). Returns the header line, then `-`/`+` row pairs, then a line counting the changed rows
 * not shown.
 */
export function formatChangeListing(offset: bigint, old: Uint8Array, neu: Uint8Array, label: string, maxRows = 8): string[] {
  const end = offset + BigInt(neu.length);
  const width = Math.max(8, (end - 1n).toString(16).length);
  const out = [`${label}: ${hex(offset)}..${hex(end)}, ${plural(neu.length, 'byte')}`];
  let shown = 0;
  let hidden = 0;
  for (let rowStart = offset - (offset % 16n); rowStart < end; rowStart += 16n) {
    const s = rowStart > offset ? rowStart : offset;
    const e = rowStart + 16n < end ? rowStart + 16n : end;
    const at = Number(s - offset);
    const n = Number(e - s);
    if (Buffer.from(old.buffer, old.byteOffset + at, n).equals(Buffer.from(neu.buffer, neu.byteOffset + at, n))) continue;
    if (shown >= maxRows) {
      hidden++;
      continue;
    }
    const from = Number(s - rowStart);
    out.push(row('-', rowStart, from, old, at, n, width), row('+', rowStart, from, neu, at, n, width));
    shown++;
  }
  if (hidden > 0) out.push(`  … ${hidden} more changed row${hidden === 1 ? '' : 's'}`);
  return out;
}
