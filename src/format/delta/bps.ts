/**
 * BPS (byuu's beat patch format): four actions that build the target from start to end, and three
 * CRC-32s; decoded to a {@link Delta} (lazily: the header at once, the actions as the ops are
 * asked for) and encoded from ops.
 *
 * ```text
 * header   "BPS1" sourceSize:varint targetSize:varint metadataSize:varint metadata[metadataSize]
 * action   varint: command = v & 3, length = (v >> 2) + 1; at = the target's size so far
 *   0 SourceRead    target[at..] = source[at..]             (the same offset)
 *   1 TargetRead    target[at..] = the next `length` patch bytes
 *   2 SourceCopy    d:varint; s += (d & 1 ? -1 : 1) * (d >> 1); target[at..] = source[s..]; s += length
 *   3 TargetCopy    d:varint; t += (d & 1 ? -1 : 1) * (d >> 1); target[at..] = target[t..] byte by
 *                   byte (t < at; t + length may pass at: a repeating pattern); t += length
 * trailer  sourceCrc32:u32le targetCrc32:u32le patchCrc32:u32le    (patchCrc32 covers all before it)
 * ```
 *
 * Varints as in UPS (see wire.ts). The actions run until the trailer and must build exactly
 * `targetSize` bytes. Metadata is text (UTF-8; byuu suggests XML), shown by `--info`.
 */

import { InputError } from '../../errors.js';
import type { DeltaOp } from './model.js';
import { type BeatDelta, beatChecks, hex, openBeatPatch, PatchReader, PieceWriter, startsWith } from './wire.js';

const MAGIC = 'BPS1';
/** Magic, three one-byte varints, three CRCs. */
const MIN_SIZE = MAGIC.length + 3 + 12;
const SOURCE_READ = 0;
const TARGET_READ = 1;
const SOURCE_COPY = 2;
const TARGET_COPY = 3;
const ACTION_NAMES = ['SourceRead', 'TargetRead', 'SourceCopy', 'TargetCopy'] as const;

/** True when `bytes` starts with the BPS header `BPS1`. */
export function looksLikeBps(bytes: Uint8Array): boolean {
  return startsWith(bytes, MAGIC);
}

/** A decoded BPS patch. */
export interface BpsDelta extends BeatDelta {
  readonly format: 'bps';
  readonly metadata: string;
}

/**
 * Decodes a BPS patch's header and trailer now and its actions on demand: each `ops()` call walks
 * them from the start. SourceReads, and SourceCopies that continue one another, come out merged
 * into one `source` op; TargetReads are views into `bytes` (which must not change while the delta
 * is in use).
 *
 * @throws {InputError} `NAME byte 0x..: ...` now for a missing `BPS1`, a patch too short for its
 *   trailer, a patch CRC-32 that does not match (expected and found in hex), a varint past 2^64 or
 *   past the actions' end, metadata longer than the patch; and from `ops()` for an action that
 *   writes past the target size, a SourceRead or SourceCopy outside the source, a TargetCopy that
 *   reads at or after the target position, a TargetRead cut short, actions that end short of the
 *   target size, or bytes after the action that completes the target.
 */
export function decodeBps(bytes: Uint8Array, name: string): BpsDelta {
  const { body: r, sourceSize, targetSize, sourceCrc, targetCrc, patchCrc } = openBeatPatch(bytes, name, MAGIC, MIN_SIZE);
  const trailer = r.end;
  const metaAt = r.pos;
  const metaSize = r.varint('metadata size');
  if (metaSize > BigInt(r.left)) r.fail(metaAt, `truncated: ${metaSize} byte(s) of metadata announced, ${r.left} left before the checksums`);
  const metadata = new TextDecoder().decode(r.take(Number(metaSize), 'metadata'));
  const actions = r.pos;

  function* ops(): Generator<DeltaOp> {
    const a = new PatchReader(bytes, name, trailer, actions);
    let out = 0n; // target bytes built so far
    let s = 0n; // SourceCopy's offset
    let t = 0n; // TargetCopy's offset
    // The source op being extended (SourceReads in a row, SourceCopies that continue each other).
    let pending: { at: bigint; from: bigint; length: bigint } | undefined;
    while (a.pos < trailer) {
      const at = a.pos;
      if (out === targetSize) a.fail(at, `${trailer - at} byte(s) after the action that completes the target (${hex(targetSize)} bytes)`);
      const v = a.varint('action');
      const command = Number(v & 3n);
      const length = (v >> 2n) + 1n;
      const what = ACTION_NAMES[command]!;
      if (length > targetSize - out) {
        a.fail(at, `${what} of ${length} byte(s) at target ${hex(out)} runs past the target size ${hex(targetSize)}`);
      }
      let from: bigint;
      switch (command) {
        case SOURCE_READ:
          if (out + length > sourceSize) a.fail(at, `SourceRead of ${hex(out)}..${hex(out + length)} reads past the source's end (${hex(sourceSize)})`);
          from = out;
          break;
        case TARGET_READ: {
          if (length > BigInt(a.left)) a.fail(at, `truncated: TargetRead of ${length} byte(s), ${a.left} left before the checksums`);
          if (pending !== undefined) yield sourceOp(pending);
          pending = undefined;
          yield { kind: 'data', at: out, bytes: a.take(Number(length), 'TargetRead') };
          out += length;
          continue;
        }
        case SOURCE_COPY: {
          s += signed(a.varint('SourceCopy offset'));
          if (s < 0n || s + length > sourceSize) {
            a.fail(at, `SourceCopy of ${length} byte(s) from source ${hex(s)} reads outside the source (${hex(sourceSize)} bytes)`);
          }
          from = s;
          s += length;
          break;
        }
        default: {
          t += signed(a.varint('TargetCopy offset'));
          if (t < 0n || t >= out) a.fail(at, `TargetCopy at target ${hex(out)} reads from ${hex(t)}, not before the current target position`);
          if (pending !== undefined) yield sourceOp(pending);
          pending = undefined;
          yield { kind: 'target', at: out, length, from: t };
          t += length;
          out += length;
          continue;
        }
      }
      if (pending !== undefined && pending.at + pending.length === out && pending.from + pending.length === from) pending.length += length;
      else {
        if (pending !== undefined) yield sourceOp(pending);
        pending = { at: out, from, length };
      }
      out += length;
    }
    if (pending !== undefined) yield sourceOp(pending);
    if (out !== targetSize) a.fail(trailer, `truncated: the actions build ${hex(out)} byte(s), short of the target size ${hex(targetSize)}`);
  }

  return {
    format: 'bps',
    sourceSize,
    targetSize,
    metadata,
    checks: beatChecks(sourceCrc, targetCrc, patchCrc),
    info: [['metadata bytes', metaSize.toString()]],
    ops,
  };
}

function sourceOp(p: { at: bigint; from: bigint; length: bigint }): DeltaOp {
  return { kind: 'source', at: p.at, length: p.length, from: p.from };
}

/** A relative offset: magnitude in the high bits, sign in bit 0. */
function signed(d: bigint): bigint {
  return d & 1n ? -(d >> 1n) : d >> 1n;
}

/** What {@link encodeBps} writes besides the actions. */
export interface BpsHeader {
  readonly sourceSize: bigint;
  readonly targetSize: bigint;
  /** Text for the patch's metadata (UTF-8); none when absent. */
  readonly metadata?: string;
  /** CRC-32 of the whole source file (the caller computes it, see crc32.ts). */
  readonly sourceCrc32: number;
  /** CRC-32 of the whole target file. */
  readonly targetCrc32: number;
}

/**
 * Encodes ops as a BPS patch, in pieces (a generator: the patch is never held whole; the patch
 * CRC-32 is computed as the pieces go). Ops come in increasing order, disjoint: `source` (a
 * SourceRead at its own offset, else a SourceCopy), `target` (TargetCopy), `data` (TargetRead),
 * `fill` (one TargetRead byte repeated by a TargetCopy). Gaps between ops are the source's bytes at
 * the same offset (SourceRead), or zeros past the source's end.
 *
 * @throws {InputError} for ops out of order or overlapping, past the target size, copies outside
 *   the source or not before their target position, or `add`/`xor` ops (BPS has no such action).
 */
export function* encodeBps(ops: Iterable<DeltaOp>, header: BpsHeader): Generator<Uint8Array, void, undefined> {
  const { sourceSize, targetSize } = header;
  const w = new PieceWriter();
  w.ascii(MAGIC);
  w.varint(sourceSize);
  w.varint(targetSize);
  const meta = new TextEncoder().encode(header.metadata ?? '');
  w.varint(BigInt(meta.length));
  w.bytes(meta);

  let out = 0n;
  let s = 0n;
  let t = 0n;
  const action = (command: number, length: bigint): void => {
    w.varint(((length - 1n) << 2n) | BigInt(command));
    out += length;
  };
  const relative = (delta: bigint): void => {
    w.varint(delta < 0n ? (-delta << 1n) | 1n : delta << 1n);
  };
  const fill = (length: bigint, value: number): void => {
    if (length <= 3n) {
      action(TARGET_READ, length);
      w.bytes(new Uint8Array(Number(length)).fill(value));
      return;
    }
    const at = out;
    action(TARGET_READ, 1n);
    w.byte(value & 0xff);
    action(TARGET_COPY, length - 1n);
    relative(at - t);
    t = at + length - 1n;
  };
  /** Up to `to`: the source's bytes in place, zeros past its end. */
  const gap = (to: bigint): void => {
    if (out < to && out < sourceSize) action(SOURCE_READ, (to < sourceSize ? to : sourceSize) - out);
    if (out < to) fill(to - out, 0);
  };

  for (const op of ops) {
    if (op.kind === 'add' || op.kind === 'xor') {
      throw new InputError(`BPS cannot express an '${op.kind}' op (at ${hex(op.at)}): it has no action that combines bytes`);
    }
    if (op.at < out) throw new InputError(`delta op at ${hex(op.at)} starts before the end of the previous one (${hex(out)})`);
    const length = op.kind === 'data' ? BigInt(op.bytes.length) : op.length;
    if (op.at + length > targetSize) throw new InputError(`delta op at ${hex(op.at)} ends at ${hex(op.at + length)}, past the target size ${hex(targetSize)}`);
    gap(op.at);
    if (length === 0n) continue;
    switch (op.kind) {
      case 'source':
        if (op.from + op.length > sourceSize) {
          throw new InputError(
            `delta op at ${hex(op.at)} copies source ${hex(op.from)}..${hex(op.from + op.length)}, past the source's end (${hex(sourceSize)})`,
          );
        }
        if (op.from === op.at) action(SOURCE_READ, op.length);
        else {
          action(SOURCE_COPY, op.length);
          relative(op.from - s);
          s = op.from + op.length;
        }
        break;
      case 'target':
        if (op.from >= op.at) throw new InputError(`delta op at ${hex(op.at)} copies the target from ${hex(op.from)}, not before it`);
        action(TARGET_COPY, op.length);
        relative(op.from - t);
        t = op.from + op.length;
        break;
      case 'data':
        action(TARGET_READ, length);
        w.bytes(op.bytes);
        break;
      case 'fill':
        fill(op.length, op.value);
        break;
    }
    if (w.ready) yield* w.take();
  }
  gap(targetSize);
  w.u32le(header.sourceCrc32 >>> 0);
  w.u32le(header.targetCrc32 >>> 0);
  w.u32le(w.crc);
  yield* w.finish();
}
