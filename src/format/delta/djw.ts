/**
 * xdelta3's `djw` secondary compressor (id 1, "static Huffman"), decoded. Pure.
 *
 * Each section is coded on its own (nothing carries between sections), in the spirit of bzip2: up to
 * 8 canonical Huffman tables ("groups"), each output "sector" coded with the table a selector names.
 * The layout (from xdelta3-djw.h), bits read from each byte least significant first, multi-bit fields
 * most significant bit first:
 *
 * 1. groups - 1 (3 bits); when groups > 1, sector size / 5 - 1 (5 bits); else one sector of it all.
 * 2. The code-length code: extra - 7 (4 bits), then `extra` code lengths (4 bits each) of the 22
 *    code-length symbols: RUN_0, RUN_1 and the move-to-front positions 1..20 (offset by one).
 * 3. Each group's 256 code lengths, groups after groups, coded with that code through a move-to-front
 *    list (initially 0, 4..8, 9, 10, 3, 11, 2, 12, 13, 1, 14..20) and bijective base-2 runs of the
 *    front value (RUN_0 adds 1 << k, RUN_1 adds 2 << k for the k-th run symbol in a row); a group after
 *    the first skips the symbols the previous group gave no code.
 * 4. When groups > 1: groups + 1 selector code lengths (3 bits each), then one group number per
 *    sector, coded with move-to-front and runs as above (list 0..groups).
 * 5. The sectors' bytes, each coded with its group's table.
 *
 * Canonical codes: shorter codes first, symbols of one length in increasing order. Decoding keeps
 * for each length the largest code value of that length (`limit`) and the offset into the
 * symbols-by-code array (`base`).
 */

import { BitReader, type SecondaryDecoder, SectionError } from './vcdiff-secondary.js';

const ALPHABET = 256;
const MAX_CODELEN = 20;
const TOTAL_CODES = MAX_CODELEN + 2;
const RUN_1 = 1;
const EXTRA_OFFSET = 7;
const MAX_CLCLEN = 15;
const MAX_GBCLEN = 7;
const SECTOR_MULT = 5;
const CLEN_MTF_INIT = [0, 4, 5, 6, 7, 8, 9, 10, 3, 11, 2, 12, 13, 1, 14, 15, 16, 17, 18, 19, 20] as const;

/** A canonical Huffman decoding table. */
interface Table {
  readonly symbols: Uint8Array;
  readonly base: Int32Array;
  readonly limit: Int32Array;
  readonly minLen: number;
  readonly maxLen: number;
}

/** The table of the code lengths `lengths[0..size)` (each at most `maxLen`). */
function buildTable(lengths: Uint8Array, maxLen: number): Table {
  const count = new Int32Array(maxLen + 1);
  for (const l of lengths) count[l]!++;
  let minLen = 1;
  while (minLen <= maxLen && count[minLen] === 0) minLen++;
  let top = maxLen;
  while (top > 0 && count[top] === 0) top--;
  const base = new Int32Array(maxLen + 2);
  const limit = new Int32Array(maxLen + 2).fill(-1);
  const first = new Int32Array(maxLen + 2);
  if (minLen <= top) {
    limit[minLen] = count[minLen]! - 1;
    for (let l = minLen + 1; l <= top; l++) {
      const next = (limit[l - 1]! + 1) * 2;
      first[l] = first[l - 1]! + count[l - 1]!;
      limit[l] = next + count[l]! - 1;
      base[l] = next - first[l]!;
    }
  }
  const used = lengths.length - count[0]!;
  const symbols = new Uint8Array(used);
  const fill = first.slice();
  for (let s = 0; s < lengths.length; s++) {
    const l = lengths[s]!;
    if (l !== 0) symbols[fill[l]!++] = s;
  }
  return { symbols, base, limit, minLen, maxLen: top };
}

function decodeSymbol(bits: BitReader, t: Table): number {
  let code = 0;
  for (let len = 1; len <= t.maxLen; len++) {
    code = (code << 1) | bits.bit();
    if (len >= t.minLen && code <= t.limit[len]!) {
      const offset = code - t.base[len]!;
      if (offset < 0 || offset >= t.symbols.length) break;
      return t.symbols[offset]!;
    }
  }
  throw new SectionError('invalid Huffman code', Math.max(0, bits.pos - 1));
}

/**
 * Decodes `out.length` values coded with move-to-front and runs (steps 3 and 4 above). With `skip`,
 * a value whose counterpart `skip` places earlier is 0 is 0 and not coded.
 */
function decodeMtfRuns(bits: BitReader, t: Table, mtf: Uint8Array, out: Uint8Array, skip: number): void {
  let n = 0;
  let rep = 0;
  let shift = 0;
  while (n < out.length) {
    if (skip !== 0 && n >= skip && out[n - skip] === 0) {
      out[n++] = 0;
      continue;
    }
    if (rep !== 0) {
      out[n++] = mtf[0]!;
      rep--;
      continue;
    }
    const sym = decodeSymbol(bits, t);
    if (sym <= RUN_1) {
      rep = (sym + 1) * 2 ** shift;
      shift++;
      if (rep > out.length - n) throw new SectionError('run longer than the table', Math.max(0, bits.pos - 1));
      continue;
    }
    shift = 0;
    const i = sym - 1;
    if (i >= mtf.length) throw new SectionError('move-to-front index out of range', Math.max(0, bits.pos - 1));
    const value = mtf[i]!;
    mtf.copyWithin(1, 0, i);
    mtf[0] = value;
    out[n++] = value;
  }
  if (rep !== 0) throw new SectionError('run longer than the table', Math.max(0, bits.pos - 1));
}

/** The djw decoder: stateless between sections. */
export class DjwDecoder implements SecondaryDecoder {
  decode(input: Uint8Array, size: number): Uint8Array {
    const bits = new BitReader(input);
    const groups = bits.bits(3) + 1;
    const sectorSize = groups > 1 ? (bits.bits(5) + 1) * SECTOR_MULT : size;
    const sectors = Math.ceil(size / sectorSize);

    // The code-length code, then every group's code lengths.
    const clLengths = new Uint8Array(TOTAL_CODES);
    const extra = bits.bits(4) + EXTRA_OFFSET;
    for (let i = 0; i < extra; i++) clLengths[i] = bits.bits(4);
    const clTable = buildTable(clLengths, MAX_CLCLEN);
    const lengths = new Uint8Array(ALPHABET * groups);
    decodeMtfRuns(bits, clTable, Uint8Array.from(CLEN_MTF_INIT), lengths, ALPHABET);
    const tables: Table[] = [];
    for (let g = 0; g < groups; g++) tables.push(buildTable(lengths.subarray(g * ALPHABET, (g + 1) * ALPHABET), MAX_CODELEN));

    // The sectors' groups.
    const selectors = new Uint8Array(groups > 1 ? sectors : 0);
    if (groups > 1) {
      const selLengths = new Uint8Array(groups + 1);
      const selMtf = new Uint8Array(groups + 1);
      for (let g = 0; g <= groups; g++) {
        selLengths[g] = bits.bits(3);
        selMtf[g] = g;
      }
      decodeMtfRuns(bits, buildTable(selLengths, MAX_GBCLEN), selMtf, selectors, 0);
    }

    const out = new Uint8Array(size);
    let n = 0;
    for (let s = 0; s < sectors; s++) {
      const g = groups > 1 ? selectors[s]! : 0;
      if (g >= groups) throw new SectionError(`sector ${s} names group ${g} of ${groups}`, bits.pos);
      const table = tables[g]!;
      const end = Math.min(size, n + sectorSize);
      while (n < end) out[n++] = decodeSymbol(bits, table);
    }
    if (bits.rest() !== 0) throw new SectionError('nonzero bits after the last code', bits.pos - 1);
    if (bits.pos !== input.length) throw new SectionError(`${input.length - bits.pos} bytes after the section's last code`, bits.pos);
    return out;
  }
}
