/**
 * bsdiff patches: BSDIFF40 (Colin Percival's bsdiff 4, what Debian's `bsdiff` writes) and
 * ENDSLEY/BSDIFF43 (Matthew Endsley's bsdiff library), decoded to a {@link Delta}. Pure.
 *
 * ```text
 * BSDIFF40   "BSDIFF40"  ctrlLen:off  diffLen:off  newSize:off      32-byte header
 *            control block: bzip2 stream, ctrlLen bytes             triples (x, y, z), 3 x off
 *            diff block:    bzip2 stream, diffLen bytes             x bytes per triple
 *            extra block:   bzip2 stream, to the end of the patch   y bytes per triple
 * BSDIFF43   "ENDSLEY/BSDIFF43"  newSize:off                        24-byte header
 *            one bzip2 stream to the end: per triple, (x, y, z) then its x diff bytes, then its y extra bytes
 * off        8 bytes, little-endian sign-magnitude: the low 63 bits are the magnitude, the top bit the sign
 * ```
 *
 * Applying (bspatch): newpos = oldpos = 0; while newpos < newSize, read a triple; the x diff bytes
 * are added to the old bytes at oldpos (an old byte outside [0, oldSize) counts as 0); the y extra
 * bytes are copied as they are; then newpos += x + y, oldpos += x + z (z may be negative). bspatch's
 * checks: negative sizes, x or y outside 0..INT_MAX, or x or y running past newSize are corrupt.
 *
 * Ops: diff bytes become `add` ops from the old position, except that runs of zeros (unchanged
 * bytes, the bulk of a diff block) become `source` ops, which cost nothing in place where from === at
 * and need no bytes held otherwise; diff bytes at negative old positions (bspatch adds nothing there)
 * become `data`/`fill`; extra bytes become `data`/`fill`. Nothing is held but a block of bzip2 output
 * (run-length coded, see bsdiff-bzip2.ts) and one op of at most 1 MiB.
 *
 * There is no checksum of the source or target, and the source's size is not recorded: a bsdiff
 * applied to the wrong file gives a wrong result without an error.
 */

import { InputError } from '../../errors.js';
import { hex } from '../patch/lex.js';
import { Bzip2Reader, type Fail } from './bsdiff-bzip2.js';
import { memoizedOps } from './memo.js';
import type { Delta, DeltaOp } from './model.js';

/** Bytes of ops (changed bytes, extra bytes) kept from the first walk for the next ones. */
const MEMO_BYTES = 64 << 20;

const MAGIC_40 = 'BSDIFF40';
const MAGIC_43 = 'ENDSLEY/BSDIFF43';
const HEADER_40 = 32;
const HEADER_43 = 24;
/** bspatch's limit on x and y (its sanity check, after CVE-2014-9862). */
const INT_MAX = 0x7fff_ffffn;
/** The largest magnitude an `off` holds (an int64 in bspatch). */
const OFF_MAX = (1n << 63n) - 1n;
/** The most bytes one op carries. */
const CHUNK = 1 << 20;
/** Runs at least this long become ops of their own: zero diff runs `source`, extra runs `fill`. */
const RUN_OP = 64;

function startsWith(bytes: Uint8Array, magic: string): boolean {
  if (bytes.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic.charCodeAt(i)) return false;
  return true;
}

/** True when `bytes` begins with a bsdiff magic (`BSDIFF40` or `ENDSLEY/BSDIFF43`). */
export function looksLikeBsdiff(bytes: Uint8Array): boolean {
  return startsWith(bytes, MAGIC_40) || startsWith(bytes, MAGIC_43);
}

/** An `off`: 8 bytes little-endian, sign and magnitude. */
function offtin(bytes: Uint8Array, at: number): bigint {
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigUint64(0, true);
  const magnitude = v & OFF_MAX;
  return v > OFF_MAX ? -magnitude : magnitude;
}

interface Streams {
  readonly ctrl: Bzip2Reader;
  readonly diff: Bzip2Reader;
  readonly extra: Bzip2Reader;
}

/**
 * Decodes a bsdiff patch's header (BSDIFF40 or ENDSLEY/BSDIFF43); its ops decode on demand, and
 * each call of `ops()` starts over from the patch bytes.
 * @param name the patch's name, for messages (`NAME byte 0x20: ...`).
 * @throws {InputError} naming the byte offset: no magic, a truncated header, negative sizes, blocks
 *   that run past the end of the patch, a block that is not bzip2. Errors in the blocks' contents
 *   come from `ops()`: corrupt or truncated bzip2 data, bytes after a bzip2 stream, triples that
 *   break bspatch's rules, blocks too short for the triples or holding more than they use.
 */
export function decodeBsdiff(bytes: Uint8Array, name: string): Delta {
  const fail: Fail = (at, message) => {
    throw new InputError(`${name} byte ${hex(at)}: ${message}`, { position: at });
  };
  const size = (at: number, what: string): bigint => {
    const v = offtin(bytes, at);
    if (v < 0n) fail(at, `${what} ${v} is negative`);
    return v;
  };
  const bzip2At = (at: number, what: string): void => {
    const level = bytes[at + 3]! - 0x30;
    if (!(bytes.length >= at + 4 && bytes[at] === 0x42 && bytes[at + 1] === 0x5a && bytes[at + 2] === 0x68 && level >= 1 && level <= 9)) {
      fail(at, `${what}: not a bzip2 stream (no 'BZh1'..'BZh9' header)`);
    }
  };

  let newSize: bigint;
  let streams: () => Streams;
  let info: [string, string][];
  if (startsWith(bytes, MAGIC_43)) {
    if (bytes.length < HEADER_43) fail(bytes.length, `truncated header: ${HEADER_43} bytes needed, ${bytes.length} present`);
    newSize = size(16, 'new size');
    bzip2At(HEADER_43, 'data block');
    streams = () => {
      const all = new Bzip2Reader(bytes, HEADER_43, bytes.length, 'data block', fail);
      return { ctrl: all, diff: all, extra: all };
    };
    info = [
      ['format', 'ENDSLEY/BSDIFF43 (Matthew Endsley’s bsdiff library)'],
      ['compression', `bzip2, one stream of ${bytes.length - HEADER_43} bytes`],
    ];
  } else if (startsWith(bytes, MAGIC_40)) {
    if (bytes.length < HEADER_40) fail(bytes.length, `truncated header: ${HEADER_40} bytes needed, ${bytes.length} present`);
    const ctrlLen = size(8, 'control block length');
    const diffLen = size(16, 'diff block length');
    newSize = size(24, 'new size');
    const total = BigInt(bytes.length);
    if (BigInt(HEADER_40) + ctrlLen > total) {
      fail(8, `the control block (${ctrlLen} bytes at ${hex(HEADER_40)}) runs past the end of the patch (${total} bytes)`);
    }
    const diffAt = HEADER_40 + Number(ctrlLen);
    if (BigInt(diffAt) + diffLen > total) {
      fail(16, `the diff block (${diffLen} bytes at ${hex(diffAt)}) runs past the end of the patch (${total} bytes)`);
    }
    const extraAt = diffAt + Number(diffLen);
    bzip2At(HEADER_40, 'control block');
    bzip2At(diffAt, 'diff block');
    bzip2At(extraAt, 'extra block');
    streams = () => ({
      ctrl: new Bzip2Reader(bytes, HEADER_40, diffAt, 'control block', fail),
      diff: new Bzip2Reader(bytes, diffAt, extraAt, 'diff block', fail),
      extra: new Bzip2Reader(bytes, extraAt, bytes.length, 'extra block', fail),
    });
    info = [
      ['format', 'BSDIFF40 (bsdiff 4)'],
      ['compression', `bzip2: control ${ctrlLen} bytes, diff ${diffLen} bytes, extra ${bytes.length - extraAt} bytes`],
    ];
  } else {
    return fail(0, "not a bsdiff patch: no 'BSDIFF40' or 'ENDSLEY/BSDIFF43' magic");
  }
  info.push(['target size', newSize.toString()], ['checksums', 'none: bsdiff records no checksum and no source size']);
  const target = newSize;
  return {
    format: 'bsdiff',
    targetSize: target,
    checks: [],
    info,
    // Decoded once: the applier's plan and writes both walk the ops (see memo.ts).
    ops: memoizedOps(() => merged(bsdiffOps(streams(), target, fail)), MEMO_BYTES),
  };
}

/** bspatch's loop, as ops. */
function* bsdiffOps(s: Streams, newSize: bigint, fail: Fail): Generator<DeltaOp> {
  const triple = new Uint8Array(24);
  const scratch = new Uint8Array(Number(newSize < BigInt(CHUNK) ? newSize : BigInt(CHUNK)));
  let newPos = 0n;
  let oldPos = 0n;
  let n = 0;
  while (newPos < newSize) {
    n++;
    if (s.ctrl.read(triple) < triple.length) {
      fail(s.ctrl.at, `${s.ctrl.where}: ends after ${n - 1} control triple(s), at new position ${newPos} of ${newSize}`);
    }
    const where = s.ctrl.where;
    const at = s.ctrl.at;
    const bad = (message: string): never => fail(at, `${where}: control triple ${n}: ${message}`);
    const x = offtin(triple, 0);
    const y = offtin(triple, 8);
    const z = offtin(triple, 16);
    if (x < 0n || x > INT_MAX) bad(`diff length ${x} is out of range (0..${INT_MAX})`);
    if (y < 0n || y > INT_MAX) bad(`extra length ${y} is out of range (0..${INT_MAX})`);
    if (newPos + x > newSize) bad(`diff length ${x} at new position ${newPos} runs past the new size ${newSize}`);
    yield* diffOps(s.diff, newPos, oldPos, Number(x), scratch, fail, `the diff bytes of control triple ${n}`);
    newPos += x;
    oldPos += x;
    if (newPos + y > newSize) bad(`extra length ${y} at new position ${newPos} runs past the new size ${newSize}`);
    yield* literalOps(s.extra, newPos, Number(y), scratch, fail, `the extra bytes of control triple ${n}`);
    newPos += y;
    oldPos += z;
    if (oldPos > OFF_MAX || oldPos < -OFF_MAX) bad(`old position ${oldPos} is out of range`);
  }
  // bspatch stops reading here; bsdiff writes nothing more, so anything more is not bsdiff's.
  for (const r of new Set([s.ctrl, s.diff, s.extra])) {
    if (r.next(1) !== undefined) fail(r.at, `${r.where}: holds more than the control triples use (new size ${newSize} reached)`);
  }
}

/** Reads the next piece of at most `max` bytes, which must exist. */
function piece(r: Bzip2Reader, max: number, fail: Fail, need: string, left: number) {
  const p = r.next(max);
  if (p === undefined) return fail(r.at, `${r.where}: ends ${left} byte(s) short of ${need}`);
  return p;
}

/**
 * `n` diff bytes for target[at..], added to the source from `from`. Where from + i < 0, bspatch
 * adds nothing: those bytes are literal. Zero runs of {@link RUN_OP} bytes or more are copies of
 * the source (`source` ops); the rest is gathered into `add` ops of at most {@link CHUNK} bytes.
 */
function* diffOps(r: Bzip2Reader, at: bigint, from: bigint, n: number, scratch: Uint8Array, fail: Fail, need: string): Generator<DeltaOp> {
  let left = n;
  if (from < 0n && left > 0) {
    const k = from + BigInt(left) <= 0n ? left : Number(-from);
    yield* literalOps(r, at, k, scratch, fail, need, left);
    at += BigInt(k);
    from += BigInt(k);
    left -= k;
  }
  let len = 0;
  let bufAt = at;
  let bufFrom = from;
  while (left > 0) {
    const p = piece(r, Math.min(left, scratch.length - len), fail, need, left);
    const k = p.run ? p.length : p.bytes.length;
    if (p.run && p.value === 0 && k >= RUN_OP) {
      if (len > 0) yield { kind: 'add', at: bufAt, from: bufFrom, bytes: scratch.slice(0, len) };
      len = 0;
      yield { kind: 'source', at, from, length: BigInt(k) };
    } else {
      if (len === 0) {
        bufAt = at;
        bufFrom = from;
      }
      if (p.run) scratch.fill(p.value, len, len + k);
      else scratch.set(p.bytes, len);
      len += k;
      if (len === scratch.length) {
        yield { kind: 'add', at: bufAt, from: bufFrom, bytes: scratch.slice(0, len) };
        len = 0;
      }
    }
    at += BigInt(k);
    from += BigInt(k);
    left -= k;
  }
  if (len > 0) yield { kind: 'add', at: bufAt, from: bufFrom, bytes: scratch.slice(0, len) };
}

/**
 * `n` bytes taken as they are for target[at..]: runs of {@link RUN_OP} bytes or more as `fill`
 * ops, the rest gathered into `data` ops of at most {@link CHUNK} bytes.
 */
function* literalOps(r: Bzip2Reader, at: bigint, n: number, scratch: Uint8Array, fail: Fail, need: string, total = n): Generator<DeltaOp> {
  let left = n;
  let len = 0;
  let bufAt = at;
  while (left > 0) {
    const p = piece(r, Math.min(left, scratch.length - len), fail, need, left + total - n);
    const k = p.run ? p.length : p.bytes.length;
    if (p.run && k >= RUN_OP) {
      if (len > 0) yield { kind: 'data', at: bufAt, bytes: scratch.slice(0, len) };
      len = 0;
      yield { kind: 'fill', at, length: BigInt(k), value: p.value };
    } else {
      if (len === 0) bufAt = at;
      if (p.run) scratch.fill(p.value, len, len + k);
      else scratch.set(p.bytes, len);
      len += k;
      if (len === scratch.length) {
        yield { kind: 'data', at: bufAt, bytes: scratch.slice(0, len) };
        len = 0;
      }
    }
    at += BigInt(k);
    left -= k;
  }
  if (len > 0) yield { kind: 'data', at: bufAt, bytes: scratch.slice(0, len) };
}

/**
 * Joins ops that continue each other: `source` ops contiguous in both target and source (a zero run
 * cut by a bzip2 block or a control triple), `fill` ops of the same value.
 */
function* merged(ops: Iterable<DeltaOp>): Generator<DeltaOp> {
  let held: DeltaOp | undefined;
  for (const op of ops) {
    if (held !== undefined) {
      if (held.kind === 'source' && op.kind === 'source' && op.at === held.at + held.length && op.from === held.from + held.length) {
        held = { kind: 'source', at: held.at, from: held.from, length: held.length + op.length };
        continue;
      }
      if (held.kind === 'fill' && op.kind === 'fill' && op.value === held.value && op.at === held.at + held.length) {
        held = { kind: 'fill', at: held.at, length: held.length + op.length, value: held.value };
        continue;
      }
      yield held;
    }
    held = op;
  }
  if (held !== undefined) yield held;
}
