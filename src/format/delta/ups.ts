/**
 * UPS (byuu's "universal patching system"): XOR records with relative offsets and three CRC-32s,
 * decoded to a {@link Delta} and encoded from ops.
 *
 * ```text
 * header   "UPS1" sourceSize:varint targetSize:varint
 * record   skip:varint xor[n] 0x00       the target at (end of the previous record + skip) is
 *                                        source ^ xor; the 0x00 ends the record and counts as one
 *                                        unchanged byte
 * trailer  sourceCrc32:u32le targetCrc32:u32le patchCrc32:u32le    (patchCrc32 covers all before it)
 * ```
 *
 * Varints as in BPS (see wire.ts). Source bytes past the source's end read as zeros.
 *
 * Reversible: XOR undoes itself, so the same records applied to the target give the source back
 * (the records cover the larger of the two sizes; each direction stops at its own target size).
 * {@link UpsDelta.reversed} is that other direction, a Delta of its own: the applier picks the
 * direction whose source size and CRC-32 match the file (forward: `sourceSize` and the `source`
 * check), and knows the patch is already applied when the file matches the `target` check
 * instead. Which of the two a match on the target means (done, or undo) is the applier's choice.
 */

import { InputError } from '../../errors.js';
import type { DeltaOp } from './model.js';
import { type BeatDelta, beatChecks, hex, openBeatPatch, PatchReader, PieceWriter, startsWith } from './wire.js';

const MAGIC = 'UPS1';
/** Magic, two one-byte varints, three CRCs. */
const MIN_SIZE = MAGIC.length + 2 + 12;

/** True when `bytes` starts with the UPS header `UPS1`. */
export function looksLikeUps(bytes: Uint8Array): boolean {
  return startsWith(bytes, MAGIC);
}

/** A decoded UPS patch, in one direction. */
export interface UpsDelta extends BeatDelta {
  readonly format: 'ups';
  /** How many XOR records the patch holds. */
  readonly records: number;
  /** True for the delta {@link reversed} made: it turns the patch's target back into its source. */
  readonly isReversed: boolean;
  /**
   * The other direction: sizes and source/target checks swapped, the same records, ops up to the
   * other size. Applied to this delta's target, it gives this delta's source.
   */
  reversed(): UpsDelta;
}

/**
 * Decodes a UPS patch. The header, the CRCs and every record are checked at once (one pass over
 * the patch, no file bytes needed); the ops are views into `bytes`, which must not change while
 * the delta is in use.
 *
 * @throws {InputError} `NAME byte 0x..: ...` for a missing `UPS1`, a patch too short for its
 *   trailer, a patch CRC-32 that does not match (expected and found in hex), a varint past 2^64 or
 *   past the records' end, a record without its terminating 0 byte, or one that writes past the
 *   larger of the two sizes.
 */
export function decodeUps(bytes: Uint8Array, name: string): UpsDelta {
  const { body: r, sourceSize, targetSize, sourceCrc, targetCrc, patchCrc } = openBeatPatch(bytes, name, MAGIC, MIN_SIZE);
  const trailer = r.end;
  const larger = sourceSize > targetSize ? sourceSize : targetSize;
  const body = r.pos;

  // One pass now: the records, checked; the ops walk them again.
  let records = 0;
  let at = 0n;
  while (r.pos < trailer) {
    const start = r.pos;
    at += r.varint('skip');
    if (at > larger) r.fail(start, `record ${records + 1} starts at ${hex(at)}, past the end of the larger file (${hex(larger)})`);
    const zero = bytes.indexOf(0, r.pos);
    if (zero < 0 || zero >= trailer) r.fail(r.pos, `truncated: record ${records + 1} has no terminating 0 byte before the checksums at ${hex(trailer)}`);
    const n = BigInt(zero - r.pos);
    if (at + n > larger) {
      r.fail(r.pos, `record ${records + 1} writes ${hex(at)}..${hex(at + n)}, past the end of the larger file (${hex(larger)})`);
    }
    at += n + 1n;
    r.pos = zero + 1;
    records++;
  }

  function* walk(limit: bigint): Generator<DeltaOp> {
    const w = new PatchReader(bytes, name, trailer, body);
    let pos = 0n;
    while (w.pos < trailer) {
      pos += w.varint('skip');
      const zero = bytes.indexOf(0, w.pos);
      const n = zero - w.pos;
      if (n > 0 && pos < limit) {
        const keep = limit - pos < BigInt(n) ? Number(limit - pos) : n;
        yield { kind: 'xor', at: pos, from: pos, bytes: bytes.subarray(w.pos, w.pos + keep) };
      }
      pos += BigInt(n) + 1n;
      w.pos = zero + 1;
    }
  }

  const make = (isReversed: boolean): UpsDelta => {
    const [from, to] = isReversed ? [targetSize, sourceSize] : [sourceSize, targetSize];
    return {
      format: 'ups',
      sourceSize: from,
      targetSize: to,
      checks: isReversed ? beatChecks(targetCrc, sourceCrc, patchCrc) : beatChecks(sourceCrc, targetCrc, patchCrc),
      info: [
        ['records', String(records)],
        ['direction', isReversed ? 'reversed (target to source)' : 'forward'],
      ],
      records,
      isReversed,
      ops: () => walk(to),
      reversed: () => make(!isReversed),
    };
  };
  return make(false);
}

/** What {@link encodeUps} writes besides the records: both sizes and both files' CRC-32. */
export interface UpsHeader {
  readonly sourceSize: bigint;
  readonly targetSize: bigint;
  /** CRC-32 of the whole source file (the caller computes it, see crc32.ts). */
  readonly sourceCrc32: number;
  /** CRC-32 of the whole target file. */
  readonly targetCrc32: number;
}

/**
 * Encodes ops as a UPS patch, in pieces (a generator: the patch is never held whole; the patch
 * CRC-32 is computed as the pieces go). Ops come in increasing order, disjoint: `xor` ops at their
 * own offset (`from === at`), and `source` ops that copy bytes to their own offset (unchanged
 * bytes: nothing to write). Zero XOR bytes inside an op cost a record boundary each.
 *
 * For the patch to be reversible, the XOR ops must cover the larger of the two sizes (where the
 * source is longer, its tail XOR zeros; where the target is, the target's tail).
 *
 * @throws {InputError} for ops out of order or overlapping, other kinds (UPS can only XOR), or an
 *   op that ends past the larger size.
 */
export function* encodeUps(ops: Iterable<DeltaOp>, header: UpsHeader): Generator<Uint8Array, void, undefined> {
  const { sourceSize, targetSize } = header;
  const larger = sourceSize > targetSize ? sourceSize : targetSize;
  const w = new PieceWriter();
  w.ascii(MAGIC);
  w.varint(sourceSize);
  w.varint(targetSize);
  let cursor = 0n; // the target position after the last record's terminating 0
  let open = false; // a record is open: its XOR bytes so far end at `cursor`
  let end = 0n;
  for (const op of ops) {
    if (op.at < end) throw new InputError(`delta op at ${hex(op.at)} starts before the end of the previous one (${hex(end)})`);
    if (op.kind === 'source' && (op.from === op.at || op.length === 0n)) {
      end = op.at + op.length;
      continue;
    }
    if (op.kind !== 'xor' || op.from !== op.at) {
      throw new InputError(
        `UPS cannot express a '${op.kind}' op${op.kind === 'xor' ? ' reading another offset' : ''} (at ${hex(op.at)}): it XORs bytes at their own offset only`,
      );
    }
    const b = op.bytes;
    end = op.at + BigInt(b.length);
    if (end > larger) throw new InputError(`delta op at ${hex(op.at)} ends at ${hex(end)}, past the larger of the two sizes (${hex(larger)})`);
    // Each run of non-zero XOR bytes is (part of) a record; zero bytes between them are skipped.
    let i = 0;
    while (i < b.length) {
      while (i < b.length && b[i] === 0) i++;
      if (i === b.length) break;
      let j = b.indexOf(0, i);
      if (j < 0) j = b.length;
      const at = op.at + BigInt(i);
      if (!open || at !== cursor) {
        if (open) {
          w.byte(0);
          cursor += 1n;
        }
        w.varint(at - cursor);
        open = true;
      }
      w.bytes(b.subarray(i, j));
      cursor = at + BigInt(j - i);
      i = j;
    }
    if (w.ready) yield* w.take();
  }
  if (open) w.byte(0);
  w.u32le(header.sourceCrc32 >>> 0);
  w.u32le(header.targetCrc32 >>> 0);
  w.u32le(w.crc);
  yield* w.finish();
}
