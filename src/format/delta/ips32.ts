/**
 * IPS32: IPS with 32-bit offsets (Nintendo Switch exefs patches, Atmosphère, IPSwitch), decoded to
 * a {@link Delta} and encoded from ops.
 *
 * ```text
 * header   "IPS32"
 * record   offset:u32be size:u16be data[size]            size > 0
 *        | offset:u32be 0:u16be count:u16be value:u8      RLE: `value` repeated `count` times
 * end      "EEOF" [ size:u32be ]                          the target's size (see below)
 * ```
 *
 * An offset equal to 0x45454f46 ("EEOF") cannot start a record: it reads as the end, as 0x454f46
 * does in IPS. Records apply in order, so where two overlap the later one wins; the decoder
 * resolves that into disjoint ops in offset order ({@link lastWriteWins}, shared with IPS).
 *
 * The target is the source, grown to the end of the last record where records write past it (the
 * gap, if any, holds zeros). The published descriptions of IPS32 end at "EEOF"; like IPS's
 * truncation extension (Lunar IPS: 3 bytes after "EOF"), mmapx reads 4 bytes after "EEOF" as the
 * target's size. The encoder writes them only where records cannot say the size: a shrink, or a
 * size it was given without the source's size.
 */

import { InputError } from '../../errors.js';
import { lastWriteWins } from '../patch/ips.js';
import type { Delta, DeltaOp } from './model.js';
import { hex, PatchReader, PieceWriter, startsWith, u32beAt } from './wire.js';

const MAGIC = 'IPS32';
const EEOF = 0x45454f46;
const MAX_OFFSET = 0xffffffff;
const MAX_SIZE = 0xffff;

/** True when `bytes` starts with the IPS32 header `IPS32` (IPS's is `PATCH`). */
export function looksLikeIps32(bytes: Uint8Array): boolean {
  return startsWith(bytes, MAGIC);
}

/** A decoded IPS32 patch: a {@link Delta} whose ops are disjoint stretches of the records. */
export interface Ips32Delta extends Delta {
  readonly format: 'ips32';
  /** How many records the patch holds (before overlaps are resolved). */
  readonly records: number;
}

/**
 * Decodes an IPS32 patch: every record is read and checked at once (the ops then only slice
 * the patch: data ops are views into `bytes`, which must not change while the delta is used).
 *
 * @throws {InputError} `NAME byte 0x..: ...` for a missing `IPS32` header, a truncated record, an
 *   RLE record of length 0, a missing `EEOF`, or bytes after it other than a 4-byte size.
 */
export function decodeIps32(bytes: Uint8Array, name: string): Ips32Delta {
  const r = new PatchReader(bytes, name);
  if (!looksLikeIps32(bytes)) r.fail(0, "not an IPS32 patch: no 'IPS32' header");
  r.pos = MAGIC.length;
  const starts: number[] = [];
  const ends: number[] = [];
  /** Per record: where its data sits in the patch, or -1 - value for an RLE record. */
  const sources: number[] = [];
  const b = bytes;
  for (;;) {
    // Lengths checked here, so that the messages are built only for a patch that fails.
    const at = r.pos;
    const left = r.left;
    const n = starts.length + 1;
    if (left < 4) r.fail(at, `truncated: no 'EEOF' after ${n - 1} record(s)${left > 0 ? ` (${left} stray byte(s))` : ''}`);
    const offset = u32beAt(b, at);
    if (offset === EEOF) {
      r.pos = at + 4;
      break;
    }
    if (left < 6) r.fail(at, `truncated: record ${n} needs its 2-byte size, ${left - 4} byte(s) left`);
    const size = (b[at + 4]! << 8) | b[at + 5]!;
    if (size > 0) {
      if (left < 6 + size) r.fail(at, `truncated: record ${n} announces ${size} data byte(s), ${left - 6} left`);
      sources.push(at + 6);
      starts.push(offset);
      ends.push(offset + size);
      r.pos = at + 6 + size;
    } else {
      if (left < 9) r.fail(at, `truncated: RLE record ${n} needs 9 bytes, ${left} left`);
      const count = (b[at + 6]! << 8) | b[at + 7]!;
      if (count === 0) r.fail(at, `RLE record ${n} has length 0`);
      sources.push(-1 - b[at + 8]!);
      starts.push(offset);
      ends.push(offset + count);
      r.pos = at + 9;
    }
  }
  let targetSize: bigint | undefined;
  if (r.left === 4) targetSize = BigInt(u32beAt(bytes, r.pos));
  else if (r.left > 0) r.fail(r.pos, `${r.left} byte(s) after 'EEOF' (only a 4-byte size may follow)`);

  // Records in order that do not overlap (what most tools write) are their own ops; others are
  // resolved into disjoint stretches, the last write winning.
  let sorted = true;
  for (let i = 1; i < starts.length && sorted; i++) sorted = starts[i]! >= ends[i - 1]!;
  const covers = sorted ? undefined : lastWriteWins(Float64Array.from(starts), Float64Array.from(ends));
  const limit = targetSize === undefined ? Number.POSITIVE_INFINITY : Number(targetSize);
  /** The op for `[start, end)` of record `index`, cut at the target size (as a truncation cuts). */
  const opOf = (index: number, start: number, coverEnd: number): DeltaOp => {
    const end = Math.min(coverEnd, limit);
    const src = sources[index]!;
    if (src < 0) return { kind: 'fill', at: BigInt(start), length: BigInt(end - start), value: -1 - src };
    const from = src + (start - starts[index]!);
    return { kind: 'data', at: BigInt(start), bytes: bytes.subarray(from, from + (end - start)) };
  };
  function* ops(): Generator<DeltaOp> {
    if (covers === undefined) {
      for (let i = 0; i < starts.length && starts[i]! < limit; i++) yield opOf(i, starts[i]!, ends[i]!);
      return;
    }
    for (const { start, end, index } of covers) {
      if (start >= limit) return;
      yield opOf(index, start, end);
    }
  }
  const info: [string, string][] = [['records', String(starts.length)]];
  if (targetSize !== undefined) info.push(['target size', targetSize.toString()]);
  return {
    format: 'ips32',
    ...(targetSize !== undefined && { targetSize }),
    checks: [],
    info,
    records: starts.length,
    ops,
  };
}

/** What {@link encodeIps32} needs besides the ops. */
export interface Ips32EncodeOptions {
  /** The source's size: with `targetSize`, says whether the target shrinks, grows or neither. */
  readonly sourceSize?: bigint;
  /** The target's size (without `sourceSize`, always written after `EEOF`). */
  readonly targetSize?: bigint;
  /**
   * The target's byte at `offset`: asked for only when a record would start at 0x45454f46 (it
   * starts one byte earlier instead) and no op before it gave that byte.
   */
  readonly targetByteAt?: (offset: bigint) => number;
}

/**
 * Encodes ops as an IPS32 patch, in pieces (a generator: the patch is never held whole). Ops must
 * come in increasing order, disjoint: `data` (adjacent ones share records, split at 65535 bytes),
 * `fill` (RLE records from 4 bytes on) and `source` ops that copy a byte to its own offset
 * (unchanged bytes, written as nothing). Other kinds need bytes IPS32 cannot carry.
 *
 * A growth past the source's end that the ops do not reach becomes a zero record at the last byte,
 * as IPS patchers grow files by writing; a shrink becomes the size after `EEOF`.
 *
 * @throws {InputError} for ops out of order or overlapping, an op kind IPS32 cannot express, an
 *   offset past 0xffffffff, or a record at 0x45454f46 whose previous byte is unknown.
 */
export function* encodeIps32(ops: Iterable<DeltaOp>, options: Ips32EncodeOptions = {}): Generator<Uint8Array, void, undefined> {
  const w = new PieceWriter();
  w.ascii(MAGIC);
  const run = new Uint8Array(MAX_SIZE);
  let runStart = 0; // where the pending data record starts in the target
  let runLength = 0;
  /** The last target byte a record wrote, for a record that must start one byte early. */
  let lastAt = -1;
  let lastValue = 0;
  let end = 0n; // end of the last op

  /** The target's byte before `at`, where known without asking. */
  const knownByteBefore = (at: number): number | undefined => {
    if (lastAt === at - 1) return lastValue;
    // Past the source's end and before any op: the zeros a grown file holds.
    if (options.sourceSize !== undefined && BigInt(at - 1) >= options.sourceSize && BigInt(at - 1) >= end) return 0;
    return options.targetByteAt?.(BigInt(at - 1));
  };
  const byteBefore = (at: number): number => {
    const b = knownByteBefore(at);
    if (b === undefined) throw new InputError(`IPS32 cannot start a record at ${hex(EEOF)} (it reads as 'EEOF') without the byte before it`);
    return b & 0xff;
  };
  const checkOffset = (at: number): void => {
    if (at > MAX_OFFSET) throw new InputError(`IPS32 cannot address offset ${hex(at)}: its offsets end at ${hex(MAX_OFFSET)} (4 GiB)`);
  };
  const dataRecord = (at: number, data: Uint8Array): void => {
    checkOffset(at);
    w.u32be(at);
    w.u16be(data.length);
    w.bytes(data);
    lastAt = at + data.length - 1;
    lastValue = data[data.length - 1]!;
  };
  /** Writes the pending run as one record, but for `keep` bytes it leaves pending. */
  const flushRun = (keep = 0): void => {
    const n = runLength - keep;
    if (n <= 0) return;
    // A copy: the writer passes a record of 32 KiB or more through as a piece of its own, and
    // `run` is written again before the piece goes out.
    dataRecord(runStart, run.slice(0, n));
    run.copyWithin(0, n, runLength);
    runStart += n;
    runLength = keep;
  };
  const pushData = (at: number, data: Uint8Array): void => {
    if (runLength > 0 && runStart + runLength !== at) flushRun();
    if (runLength === 0) {
      runStart = at;
      if (at === EEOF) {
        // The record starts one byte early, with the byte that is already there.
        run[0] = byteBefore(at);
        runStart = at - 1;
        runLength = 1;
      }
    }
    let d = data;
    while (d.length > 0) {
      const n = Math.min(d.length, MAX_SIZE - runLength);
      run.set(d.subarray(0, n), runLength);
      runLength += n;
      d = d.subarray(n);
      // A full record whose successor would start at "EEOF" keeps its last byte for that one.
      if (runLength === MAX_SIZE) flushRun(runStart + runLength === EEOF ? 1 : 0);
    }
  };
  const fillRecords = (at: number, length: number, value: number): void => {
    flushRun();
    let pos = at;
    let left = length;
    if (pos === EEOF) {
      pushData(pos, Uint8Array.of(value));
      flushRun();
      pos += 1;
      left -= 1;
    }
    while (left > 0) {
      let n = Math.min(left, MAX_SIZE);
      if (pos + n === EEOF && n < left) n -= 1;
      checkOffset(pos);
      w.u32be(pos);
      w.u16be(0);
      w.u16be(n);
      w.byte(value);
      lastAt = pos + n - 1;
      lastValue = value;
      pos += n;
      left -= n;
    }
  };

  for (const op of ops) {
    if (op.at < end) throw new InputError(`delta op at ${hex(op.at)} starts before the end of the previous one (${hex(end)})`);
    if (op.at > BigInt(MAX_OFFSET)) throw new InputError(`IPS32 cannot address offset ${hex(op.at)}: its offsets end at ${hex(MAX_OFFSET)} (4 GiB)`);
    const at = Number(op.at);
    switch (op.kind) {
      case 'data':
        if (op.bytes.length > 0) pushData(at, op.bytes);
        end = op.at + BigInt(op.bytes.length);
        break;
      case 'fill':
        if (op.length <= 3n) pushData(at, new Uint8Array(Number(op.length)).fill(op.value));
        else fillRecords(at, Number(op.length), op.value & 0xff);
        end = op.at + op.length;
        break;
      case 'source':
        if (op.from !== op.at && op.length > 0n) throw new InputError(`IPS32 cannot copy: the op at ${hex(op.at)} copies the source from ${hex(op.from)}`);
        end = op.at + op.length;
        break;
      default:
        throw new InputError(`IPS32 cannot express a '${op.kind}' op (at ${hex(op.at)}): it writes literal bytes and runs only`);
    }
    if (w.ready) yield* w.take();
  }
  flushRun();

  let size: bigint | undefined;
  const { sourceSize, targetSize } = options;
  if (targetSize !== undefined) {
    if (end > targetSize) throw new InputError(`delta ops end at ${hex(end)}, past the target size ${hex(targetSize)}`);
    if (sourceSize === undefined) size = targetSize;
    else {
      const implied = sourceSize > end ? sourceSize : end;
      if (targetSize < implied) size = targetSize;
      else if (targetSize > implied) {
        // Grow by writing a zero as the last byte.
        const last = targetSize - 1n;
        if (last > BigInt(MAX_OFFSET) || (Number(last) === EEOF && knownByteBefore(EEOF) === undefined)) size = targetSize;
        else pushData(Number(last), Uint8Array.of(0));
      }
    }
  }
  flushRun();
  w.ascii('EEOF');
  if (size !== undefined) {
    if (size > BigInt(MAX_OFFSET)) throw new InputError(`IPS32 cannot record the size ${hex(size)}: its sizes end at ${hex(MAX_OFFSET)}`);
    w.u32be(Number(size));
  }
  yield* w.finish();
}
