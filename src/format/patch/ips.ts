/**
 * IPS patches (the ROM-hacking format): `PATCH`, records, `EOF`, optional truncation size.
 *
 * ```text
 * header   "PATCH"
 * record   offset:u24be size:u16be data[size]            size > 0
 *        | offset:u24be 0:u16be count:u16be value:u8      RLE: `value` repeated `count` times
 * end      "EOF" [ truncate:u24be ]                       truncation extension (Lunar IPS)
 * ```
 *
 * An offset equal to 0x454f46 ("EOF") cannot be written as a record: it is read as the end.
 * Records apply in order, so a later record wins where two overlap; {@link ipsToPatch} resolves
 * such overlaps into disjoint hunks, the way sequential patchers apply them.
 */

import { InputError } from '../../errors.js';
import { concatBytes } from '../data.js';
import { hex } from './lex.js';
import { type Hunk, MAX_HUNKS, type OffsetHunk, type Patch, tooManyHunks } from './model.js';

export type IpsRecord =
  | { readonly kind: 'data'; readonly offset: number; readonly data: Uint8Array; readonly at: number }
  | { readonly kind: 'rle'; readonly offset: number; readonly length: number; readonly value: number; readonly at: number };

export interface IpsPatch {
  /** In file order; `at` is each record's byte offset inside the patch. */
  readonly records: readonly IpsRecord[];
  /** The truncation extension: the file's final size. */
  readonly truncate?: number;
  /** Where the truncation size sits in the patch (set by parseIps). */
  readonly truncateAt?: number;
}

const HEADER = [0x50, 0x41, 0x54, 0x43, 0x48]; // PATCH
const EOF_MARK = 0x454f46; // "EOF"
const MAX_OFFSET = 0xffffff;
const MAX_SIZE = 0xffff;

function u24(b: Uint8Array, i: number): number {
  return (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
}

function u16(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

/**
 * Parses an IPS patch strictly.
 *
 * @throws {InputError} naming the byte offset: no `PATCH` header, a truncated record, a missing
 *   `EOF`, an RLE record of length 0, or bytes after `EOF` other than a 3-byte truncation size.
 */
export function parseIps(bytes: Uint8Array, name = '-'): IpsPatch {
  const fail = (at: number, message: string): never => {
    throw new InputError(`${name} byte ${hex(at)}: ${message}`, { position: at });
  };
  if (bytes.length < HEADER.length || HEADER.some((h, i) => bytes[i] !== h)) {
    fail(0, "not an IPS patch: no 'PATCH' header");
  }
  const records: IpsRecord[] = [];
  let pos = HEADER.length;
  for (;;) {
    const left = bytes.length - pos;
    const n = records.length + 1;
    if (left < 3) fail(pos, `missing 'EOF' after ${records.length} record(s)${left > 0 ? ` (${left} stray byte(s))` : ''}`);
    const offset = u24(bytes, pos);
    if (offset === EOF_MARK) {
      pos += 3;
      break;
    }
    if (n > MAX_HUNKS) throw tooManyHunks({ name, line: n, byte: pos });
    if (left < 5) fail(pos, `record ${n} is truncated: its 2-byte size is missing`);
    const size = u16(bytes, pos + 3);
    if (size > 0) {
      if (left < 5 + size) fail(pos, `record ${n} is truncated: ${size} data bytes announced, ${left - 5} present`);
      records.push({ kind: 'data', offset, data: bytes.slice(pos + 5, pos + 5 + size), at: pos });
      pos += 5 + size;
    } else {
      if (left < 8) fail(pos, `RLE record ${n} is truncated: needs 8 bytes, ${left} present`);
      const length = u16(bytes, pos + 5);
      if (length === 0) fail(pos, `RLE record ${n} has length 0`);
      records.push({ kind: 'rle', offset, length, value: bytes[pos + 7]!, at: pos });
      pos += 8;
    }
  }
  const rest = bytes.length - pos;
  if (rest === 0) return { records };
  if (rest === 3) return { records, truncate: u24(bytes, pos), truncateAt: pos };
  return fail(pos, `${rest} byte(s) after 'EOF' (only a 3-byte truncation size may follow)`);
}

/**
 * Serialises an IPS patch.
 *
 * @throws {InputError} when a record cannot be expressed in IPS: offset past 16 MiB or equal to
 *   0x454f46, size 0 or above 65535, or a truncation size past 16 MiB.
 */
export function formatIps(ips: IpsPatch): Uint8Array {
  let len = HEADER.length + 3 + (ips.truncate !== undefined ? 3 : 0);
  for (const r of ips.records) len += r.kind === 'data' ? 5 + r.data.length : 8;
  const out = new Uint8Array(len);
  out.set(HEADER, 0);
  let pos = HEADER.length;
  const put24 = (v: number): void => {
    out[pos++] = v >>> 16;
    out[pos++] = (v >>> 8) & 0xff;
    out[pos++] = v & 0xff;
  };
  const put16 = (v: number): void => {
    out[pos++] = v >>> 8;
    out[pos++] = v & 0xff;
  };
  for (const r of ips.records) {
    if (!Number.isInteger(r.offset) || r.offset < 0 || r.offset > MAX_OFFSET) {
      throw new InputError(`IPS cannot address offset ${hex(r.offset)} (limit ${hex(MAX_OFFSET)})`);
    }
    if (r.offset === EOF_MARK) throw new InputError(`IPS cannot start a record at ${hex(EOF_MARK)} (it reads as 'EOF')`);
    const size = r.kind === 'data' ? r.data.length : r.length;
    if (size < 1 || size > MAX_SIZE) throw new InputError(`IPS record at ${hex(r.offset)} has size ${size} (1..65535)`);
    put24(r.offset);
    if (r.kind === 'data') {
      put16(r.data.length);
      out.set(r.data, pos);
      pos += r.data.length;
    } else {
      put16(0);
      put16(r.length);
      out[pos++] = r.value & 0xff;
    }
  }
  put24(EOF_MARK);
  if (ips.truncate !== undefined) {
    if (ips.truncate < 0 || ips.truncate > MAX_OFFSET) throw new InputError(`IPS cannot truncate to ${hex(ips.truncate)}`);
    put24(ips.truncate);
  }
  return out;
}

function recordBytes(r: IpsRecord): Uint8Array {
  return r.kind === 'data' ? r.data : new Uint8Array(r.length).fill(r.value);
}

/** A max-heap of record numbers: the latest record covering a position is at the top. */
class Latest {
  readonly #h: number[] = [];
  get top(): number | undefined {
    return this.#h[0];
  }
  push(v: number): void {
    const h = this.#h;
    let i = h.push(v) - 1;
    while (i > 0 && h[(i - 1) >> 1]! < v) {
      h[i] = h[(i - 1) >> 1]!;
      i = (i - 1) >> 1;
    }
    h[i] = v;
  }
  pop(): void {
    const h = this.#h;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const c = l + 1 < h.length && h[l + 1]! > h[l]! ? l + 1 : l;
      if (h[c]! <= last) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}

/** A stretch `[start, end)` of the result and the record (its index) whose bytes it holds. */
export interface Cover {
  start: number;
  end: number;
  index: number;
}

/**
 * Where writes applied in order (record `i` covers `[starts[i], ends[i])`) overlap, the later one
 * wins: the stretches of the result in offset order, disjoint, each with the record that wrote it
 * last (adjacent stretches of one record merged). IPS and IPS32 records apply this way.
 *
 * One sweep over the records' edges in offset order, the latest record covering each stretch on a
 * heap: O(n log n) in any order (inserting each record into a sorted list was quadratic for a
 * patch whose records run backwards).
 */
export function lastWriteWins(starts: Float64Array, ends: Float64Array): Cover[] {
  const order = Array.from(starts.keys()).sort((x, y) => starts[x]! - starts[y]! || x - y);
  const edges = Float64Array.from([...starts, ...ends]).sort();
  const segs: Cover[] = [];
  const latest = new Latest();
  let next = 0; // records in `order` not yet on the heap
  for (let e = 0; e < edges.length - 1; e++) {
    const p = edges[e]!;
    const q = edges[e + 1]!;
    if (p === q) continue;
    while (next < order.length && starts[order[next]!]! <= p) latest.push(order[next++]!);
    while (latest.top !== undefined && ends[latest.top]! <= p) latest.pop();
    const i = latest.top;
    if (i === undefined) continue;
    const prev = segs[segs.length - 1];
    if (prev !== undefined && prev.end === p && prev.index === i) prev.end = q;
    else segs.push({ start: p, end: q, index: i });
  }
  return segs;
}

/**
 * Turns IPS records into unguarded hunks (sorted by offset, disjoint: where records overlap the
 * later one wins, see {@link lastWriteWins}) and the truncation extension into a `size after`
 * guard. Each hunk's source is `{name, line: record number, byte: record offset in the patch}`.
 */
export function ipsToPatch(ips: IpsPatch, name = '-'): Patch {
  const recs = ips.records;
  const bytes = recs.map(recordBytes);
  const starts = Float64Array.from(recs, (r) => r.offset);
  const ends = Float64Array.from(recs, (r, i) => r.offset + bytes[i]!.length);
  const hunks: Hunk[] = lastWriteWins(starts, ends).map(
    ({ start, end, index: i }): OffsetHunk => ({
      kind: 'offset',
      offset: BigInt(start),
      new: bytes[i]!.subarray(start - starts[i]!, end - starts[i]!),
      source: { name, line: i + 1, byte: recs[i]!.at },
    }),
  );
  const guards =
    ips.truncate !== undefined
      ? {
          sizeAfter: {
            value: BigInt(ips.truncate),
            source: { name, line: ips.records.length + 1, byte: ips.truncateAt ?? 0 },
          },
        }
      : {};
  return { hunks, guards };
}

/**
 * Writes an IPS patch as it goes, for `diff --format ips`: the header at once, then one record per
 * hunk (split at 65535 bytes), buffered into chunks of {@link IpsEncoder.CHUNK} bytes for `sink`.
 * Memory stays flat whatever the number of hunks.
 *
 * A record cannot start at 0x454f46 (it would read as `EOF`): a split never ends there, and a hunk
 * that starts there starts one byte earlier, with NEW's byte at 0x454f45 from `newAt`.
 *
 * @throws {InputError} for what IPS cannot express — an offset past 0xffffff (16 MiB), a truncation
 *   size past 0xffffff — before the record is written, so the caller can drop what it buffered.
 */
export class IpsEncoder {
  static readonly CHUNK = 64 * 1024;
  readonly #sink: (chunk: Uint8Array) => void;
  readonly #newAt: ((offset: number, length: number) => Uint8Array) | undefined;
  #buf = new Uint8Array(IpsEncoder.CHUNK);
  #pos = 0;
  /** End of the data written so far and the last byte written there (for the size records). */
  #end = 0;
  #lastByte = 0;

  /** @param newAt NEW's bytes at an offset (needed only for a record that would start at 0x454f46). */
  constructor(sink: (chunk: Uint8Array) => void, newAt?: (offset: number, length: number) => Uint8Array) {
    this.#sink = sink;
    this.#newAt = newAt;
    this.#put(Uint8Array.from(HEADER));
  }

  /** Writes the bytes `data` at `offset` as one or more records. */
  hunk(offset: bigint, data: Uint8Array): void {
    if (data.length === 0) return;
    if (offset < 0n || offset > BigInt(MAX_OFFSET)) {
      throw new InputError(`IPS cannot address offset ${hex(offset)}: its offsets end at ${hex(MAX_OFFSET)} (16 MiB); use the native format`);
    }
    let at = Number(offset);
    let d = data;
    if (at === EOF_MARK) {
      const before = this.#byteAt(at - 1);
      d = new Uint8Array(data.length + 1);
      d[0] = before;
      d.set(data, 1);
      at -= 1;
    }
    for (let i = 0; i < d.length; ) {
      let n = Math.min(MAX_SIZE, d.length - i);
      if (at + i + n === EOF_MARK && i + n < d.length) n -= 1; // the next record would start at "EOF"
      if (at + i > MAX_OFFSET) {
        throw new InputError(`IPS cannot address offset ${hex(at + i)}: its offsets end at ${hex(MAX_OFFSET)} (16 MiB); use the native format`);
      }
      this.#record(at + i, d.subarray(i, i + n));
      i += n;
    }
    if (at + d.length >= this.#end) {
      this.#end = at + d.length;
      this.#lastByte = d[d.length - 1]!;
    }
  }

  /**
   * Ends the patch. A shrink (`sizeAfter` below `sizeBefore`; without `sizeBefore`, below the data's
   * end) becomes the truncation extension; a growth the data does not reach becomes a record
   * ending at the new last byte (zero: past OLD's end), since IPS patchers grow files by writing.
   */
  finish(sizeBefore?: bigint, sizeAfter?: bigint): void {
    let truncate: number | undefined;
    if (sizeAfter !== undefined && sizeAfter !== sizeBefore) {
      const shrink = sizeBefore !== undefined ? sizeAfter < sizeBefore : sizeAfter < BigInt(this.#end);
      if (shrink) {
        if (sizeAfter > BigInt(MAX_OFFSET)) {
          throw new InputError(`IPS cannot truncate to ${hex(sizeAfter)}: its truncation size ends at ${hex(MAX_OFFSET)}; use the native format`);
        }
        truncate = Number(sizeAfter);
      } else if (sizeAfter > BigInt(this.#end)) {
        if (sizeAfter - 1n > BigInt(MAX_OFFSET)) {
          throw new InputError(`IPS cannot grow a file to ${hex(sizeAfter)}: its offsets end at ${hex(MAX_OFFSET)}; use the native format`);
        }
        const last = Number(sizeAfter) - 1;
        // The grown bytes past the data are zeros; a record at "EOF" takes the byte before along.
        if (last === EOF_MARK) this.#record(last - 1, Uint8Array.of(this.#end === last ? this.#lastByte : this.#byteAt(last - 1), 0));
        else this.#record(last, new Uint8Array(1));
      }
    }
    const tail = new Uint8Array(truncate === undefined ? 3 : 6);
    tail.set([0x45, 0x4f, 0x46]);
    if (truncate !== undefined) tail.set([truncate >>> 16, (truncate >>> 8) & 0xff, truncate & 0xff], 3);
    this.#put(tail);
    if (this.#pos > 0) this.#sink(this.#buf.slice(0, this.#pos));
    this.#pos = 0;
  }

  #byteAt(offset: number): number {
    if (this.#newAt === undefined) throw new InputError(`IPS cannot start a record at ${hex(EOF_MARK)} (it reads as 'EOF')`);
    return this.#newAt(offset, 1)[0] ?? 0;
  }

  #record(offset: number, data: Uint8Array): void {
    const head = Uint8Array.of(offset >>> 16, (offset >>> 8) & 0xff, offset & 0xff, data.length >>> 8, data.length & 0xff);
    this.#put(head);
    this.#put(data);
  }

  #put(bytes: Uint8Array): void {
    let b = bytes;
    while (b.length > 0) {
      const n = Math.min(b.length, this.#buf.length - this.#pos);
      this.#buf.set(b.subarray(0, n), this.#pos);
      this.#pos += n;
      b = b.subarray(n);
      if (this.#pos === this.#buf.length) {
        this.#sink(this.#buf);
        this.#buf = new Uint8Array(IpsEncoder.CHUNK);
        this.#pos = 0;
      }
    }
  }
}

/**
 * Expresses offset hunks as IPS records (split at 65535 bytes, never starting a record at
 * 0x454f46; a hunk starting there needs `newAt`) — the records {@link IpsEncoder} writes. Guards
 * cannot be expressed and are dropped. With `sizeAfter` below `sizeBefore` (or, without it, below
 * the data's end) the patch carries the truncation size; above the data's end, a zero record at the
 * last byte grows the file.
 *
 * @throws {InputError} for negative offsets, offsets or sizes past 16 MiB.
 */
export function hunksToIps(
  hunks: readonly OffsetHunk[],
  sizeAfter?: bigint,
  sizeBefore?: bigint,
  newAt?: (offset: number, length: number) => Uint8Array,
): IpsPatch {
  const chunks: Uint8Array[] = [];
  const enc = new IpsEncoder((c) => chunks.push(c), newAt);
  for (const h of hunks) enc.hunk(h.offset, h.new);
  enc.finish(sizeBefore, sizeAfter);
  return parseIps(concatBytes(chunks));
}

/** True when `bytes` starts with the IPS header `PATCH` (for choosing a parser). */
export function looksLikeIps(bytes: Uint8Array): boolean {
  return bytes.length >= HEADER.length && HEADER.every((h, i) => bytes[i] === h);
}
