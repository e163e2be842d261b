// Inserting bytes into a file and deleting a range from it, in place: the tail after the offset
// moves up (insert: the file grows first, the tail is copied from its end down) or down (delete:
// copied from its start up, then the file is truncated), a window at a time through shared maps
// (each unmapped before the next: memory stays flat whatever the file's size). Where the
// filesystem can move extents instead (fallocate(2) FALLOC_FL_INSERT_RANGE / COLLAPSE_RANGE:
// ext4, xfs; offset and length multiples of its block size) no byte is copied at all.
//
// Crash safety: a shift cannot be undone from saved original bytes (it rewrites the whole tail),
// so its journal (version 2, see journal.ts for version 1) describes the operation and how far it
// got, and `recover` ROLLS IT FORWARD to the result. The journal, beside the file as version 1:
//
//   header, 64 bytes: as version 1 (magic, version = 2, length 64, st_dev, st_ino, size before,
//     size after, pid, creation time)
//   operation, 64 bytes (integers unsigned little-endian)
//     0   4  kind: 1 insert, 2 delete
//     4   4  data of an insert: 0 none (delete), 1 inline (the bytes follow), 2 fill
//     8   8  offset
//     16  8  distance d: bytes inserted or deleted
//     24  8  chunk c: tail bytes moved per step
//     32  4  1 when steps are staged (see below)
//     36  4  the fill byte
//     40  8  where the staging slot starts in the journal (0: none)
//     48  8  window: bytes mapped at a time
//     56  8  zero
//   inserted bytes, d of them (inline data only)
//   trailer, 56 bytes: "MMAPXEND", 1, length of everything before it, SHA-256 of it
//   progress, at the next multiple of 64: two slots of 32 bytes, then the done word (8 bytes)
//     slot: seq (8), done (8), state (4), zero (4), first 8 bytes of the SHA-256 of the 24
//     before; the valid slot with the higher seq counts. Written with pwrite, alternately.
//     done word: tail bytes moved, stored through a shared map of the journal after every step
//     of an unstaged shift (no system call); in state free the larger of it and the slot's counts.
//   staging slot, c bytes, at a multiple of 4096 (staged shifts only)
//
// `done` counts tail bytes moved (an insert moves them from the tail's end down, a delete from its
// start up); states: 1 extents (fallocate asked; the file's size tells whether it happened), 2
// free (done bytes moved, the staging slot holds nothing), 3 staged (the step at `done` is in the
// slot), 4 moved (the whole tail moved: an insert still writes its bytes, a delete truncates).
//
// Why it can be redone: a step moves c bytes by d. With c <= d its source and destination do not
// overlap, and every write so far went to bytes that earlier steps had already read: the source of
// the step at `done` and of every later one is intact, so copying again from `done` gives the same
// bytes. A distance of 1 MiB or more (an eighth of the window, if less) moves in steps of
// c = min(d, window); a window's map holds the steps that fit, each a memmove followed by a
// store of the done word. A shorter distance would make steps too many: it moves windows of c > d bytes
// instead, which overlap; each is first copied into the journal's staging slot (state staged),
// then moved, then marked free at done + c; recover replays a staged step from the slot. A slot
// written half by a kill fails its checksum and the other one, a step older, is used: from either
// state the step is redone correctly. The journal is fsynced (and its directory) before the file
// changes; the file is fsynced before the journal goes.
//
// What this holds against: the process dying at any instant (SIGKILL, a crash, the OOM killer):
// the page cache keeps every store that was made (the done word is one aligned 8-byte store, so
// it is never half written), `recover` finds the file and the progress as the process left them,
// finishes the shift, and removes the journal; the result is exactly the file the shift gives. A
// power loss BEFORE the first byte moved (the journal is durable) or AFTER the final fsync is
// covered too. A power loss DURING the move is not: nothing is fsynced per step, so the disk may
// keep a later step's bytes and an older progress, and replaying from there can give wrong
// bytes. A delete by extents is one system call, which a dying process either made or not: it
// keeps no journal (after a power loss it is as atomic as the filesystem makes it); an insert
// by extents keeps one, since its bytes are written after the call.
import { describeValue } from '../format/quote.js';
import { SHIFT_BOOLEANS, optionsArg, pathArg } from './args.js';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, ftruncateSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { GuardError, InputError, NoRoom, OperationError } from '../errors.js';
import { formatHex } from '../format/data.js';
import { formatOffset, MAX_FILE_SIZE, MAX_FILE_SIZE_TEXT, type Offset, resolveOffset } from '../format/number.js';
import { type Range, resolveRange } from '../format/range.js';
import { MmapOptions } from '../mmap/index.js';
import { reserveSpace, shiftExtents } from '../mmap/sys/index.js';
import { assertCanGrow, fsError, knownSize, type OpenFile, withFile } from './files.js';
import {
  assertJournalOwns,
  END_MAGIC,
  HEADER_LENGTH as HEADER,
  TRAILER_LENGTH as TRAILER,
  discardJournal,
  finishJournal,
  removeJournal,
  createJournalFd,
  journalPath,
  journalVersion,
  openJournal,
  parseHeader,
  writeJournalHeader,
  refuseIfJournal,
  reserveJournalSlot,
  syncDirectory,
} from './journal.js';
import { bindOffset, bindRange } from './address.js';
import { type Position, type RangeOption, rangeOption, toOffset } from './range.js';
import type { EditContext, ProgressSink } from './seams.js';
import { dataArg, type Fill, QUOTED_BYTES, type WriteData } from './write.js';

/** Tail bytes moved per step (and mapped at a time, twice at most). */
export const SHIFT_WINDOW = 8 * 1024 * 1024;
/**
 * Distances from min(window / 8, this) on are moved in steps of the distance itself (no
 * staging): at most 8 steps per window, so the steps' own cost stays small.
 */
const UNSTAGED = 1024 * 1024;

const VERSION = 2;
const OP = 64;
export const SLOT = 32;
/** The two slots, then the `done` word of steps that need no slot (see the top), then padding. */
export const PROGRESS = 2 * SLOT + 64;

/** Where the progress slots start: after the trailer, at a multiple of 64 (the `done` word is 8-aligned). */
function progressStart(inlineLength: number): number {
  return Math.ceil((HEADER + OP + inlineLength + TRAILER) / 64) * 64;
}
const KIND = { insert: 1, delete: 2 } as const;
const DATA = { none: 0, inline: 1, fill: 2 } as const;
export const STATE = { extents: 1, free: 2, staged: 3, moved: 4 } as const;

/** What is shifted: bytes inserted at an offset, or a range deleted. */
export type ShiftOp =
  | { readonly kind: 'insert'; readonly offset: bigint; readonly data: WriteData }
  | { readonly kind: 'delete'; readonly offset: bigint; readonly length: bigint };

/** Options of {@link insertBytes} and {@link deleteRange}. */
export interface ShiftOptions extends EditContext {
  /**
   * A guard: delete: the bytes being deleted (the whole range); insert: the bytes at the offset
   * now (the ones the insert pushes up). Otherwise nothing changes ({@link GuardError}, exit 3).
   */
  expect?: Uint8Array;
  /** Change nothing: report what would move, and with `hash` the result's sha256. */
  dryRun?: boolean;
  /** Also the sha256 of the whole file before and after (one read of the file). */
  hash?: boolean;
  /** Refuse ({@link GuardError}) unless the result would have this sha256 (64 hex digits). */
  expectResultSha256?: string;
  /** Keep the journal that makes the shift crash-safe (default true). */
  journal?: boolean;
  /** fsync the file at the end (default true); a journaled shift always does, before its journal goes. */
  sync?: boolean;
  /** `auto` (default): move extents where the filesystem can, bytes elsewhere; `copy`: always bytes. */
  method?: 'auto' | 'copy';
  /** Tail bytes per step (default {@link SHIFT_WINDOW}); for tests. */
  window?: number;
}

/** What {@link insertBytes} or {@link deleteRange} did (or, with `dryRun`, would do). */
export interface ShiftOutcome {
  readonly status: 'inserted' | 'deleted' | 'dry-run';
  readonly kind: 'insert' | 'delete';
  readonly path: string;
  readonly offset: bigint;
  /** Bytes inserted or deleted. */
  readonly length: bigint;
  readonly sizeBefore: bigint;
  readonly sizeAfter: bigint;
  /** Bytes of the tail that move (or moved). */
  readonly moved: bigint;
  /** `extents`: the filesystem moved them (fallocate); `copy`: copied through maps; `none`: no tail. */
  readonly method: 'extents' | 'copy' | 'none';
  /** Up to {@link QUOTED_BYTES}: delete: the first bytes deleted; insert: the bytes at the offset before. */
  readonly old: Uint8Array;
  /** Up to {@link QUOTED_BYTES}: the bytes at the offset after (insert: the data's first bytes). */
  readonly new: Uint8Array;
  /** With `hash` (or `expectResultSha256`): the sha256 of the file before and after. */
  readonly hashes: { readonly before: string | null; readonly after: string } | null;
  /** The journal used (null with `journal: false` or `dryRun`). */
  readonly journal: string | null;
}

function bytesText(n: bigint | number): string {
  return `${n} byte${BigInt(n) === 1n ? '' : 's'}`;
}

export function pread(fd: number, b: Uint8Array, position: bigint, what: string): Uint8Array {
  let done = 0;
  while (done < b.length) {
    const n = readSync(fd, b, done, b.length - done, position + BigInt(done));
    if (n === 0) throw new OperationError(`${what} ended at byte ${position + BigInt(done)}`);
    done += n;
  }
  return b;
}

export function pwrite(fd: number, b: Uint8Array, position: number): void {
  for (let done = 0; done < b.length; ) done += writeSync(fd, b, done, b.length - done, position + done);
}

/** The bytes of `data` in pieces of at most `max` (a fill from one buffer, a file read into one). */
function* pieces(data: WriteData, max: number): Generator<Uint8Array> {
  if (data instanceof Uint8Array) {
    for (let at = 0; at < data.length; at += max) yield data.subarray(at, Math.min(data.length, at + max));
    return;
  }
  const buf = Buffer.allocUnsafe(Math.min(max, data.length));
  if ('fill' in data) buf.fill(data.fill);
  for (let at = 0; at < data.length; at += buf.length) {
    const n = Math.min(buf.length, data.length - at);
    if ('fill' in data) yield buf.subarray(0, n);
    else yield readData(data.file, buf.subarray(0, n), data.offset + BigInt(at));
  }
}

/** A piece of the data's file; a failed read (a directory, a descriptor not open for reading) is an OperationError naming it. */
function readData(file: { readonly fd: number; readonly path: string }, b: Uint8Array, position: bigint): Uint8Array {
  try {
    return pread(file.fd, b, position, `the data (${file.path})`);
  } catch (err) {
    throw err instanceof OperationError ? err : fsError(err, `cannot read the data from ${file.path}`);
  }
}

function dataLength(data: WriteData): number {
  return data.length;
}

/** `length` bytes of the file at `at` (a copy), at most {@link QUOTED_BYTES}. */
function quote(file: OpenFile, at: bigint, length: bigint): Uint8Array {
  const n = Number(length < BigInt(QUOTED_BYTES) ? length : BigInt(QUOTED_BYTES));
  if (n <= 0) return new Uint8Array(0);
  return pread(file.fd, new Uint8Array(n), at, file.path);
}

/** Compares [at, at + expect.length) of the file with `expect`, a window at a time. */
function holdsAt(file: OpenFile, at: bigint, expect: Uint8Array, window: number): boolean {
  for (let o = 0; o < expect.length; o += window) {
    const n = Math.min(window, expect.length - o);
    const map = new MmapOptions()
      .offset(at + BigInt(o))
      .len(n)
      .map(file);
    try {
      const same = Buffer.from(map.bytes.buffer, map.bytes.byteOffset, n).equals(expect.subarray(o, o + n));
      map.assertIntact('read');
      if (!same) return false;
    } finally {
      map.unmap();
    }
  }
  return true;
}

/**
 * The sha256 of the file now (when `before`) and of the file the shift gives, in one pass of
 * read-only windows over the file: the result is the file's own bytes with the range left out
 * (delete) or the data spliced in (insert).
 */
function hashes(file: OpenFile, size: bigint, op: ShiftOp, before: boolean, window: number): { before: string | null; after: string } {
  const all = before ? createHash('sha256') : undefined;
  const after = createHash('sha256');
  const splice = (): void => {
    if (op.kind === 'insert') for (const p of pieces(op.data, window)) after.update(p);
  };
  let spliced = false;
  const cutEnd = op.kind === 'delete' ? op.offset + op.length : op.offset;
  for (let at = 0n; at < size; ) {
    const n = Number(size - at < BigInt(window) ? size - at : BigInt(window));
    const map = new MmapOptions().offset(at).len(n).map(file);
    try {
      const view = Buffer.from(map.bytes.buffer, map.bytes.byteOffset, n);
      all?.update(view);
      const end = at + BigInt(n);
      // The part of the window before the offset, then (insert) the data, then what follows the cut.
      const a = op.offset > at ? (op.offset < end ? Number(op.offset - at) : n) : 0;
      after.update(view.subarray(0, a));
      if (!spliced && op.offset >= at && op.offset < end) {
        splice();
        spliced = true;
      }
      const b = cutEnd > at ? (cutEnd < end ? Number(cutEnd - at) : n) : 0;
      after.update(view.subarray(Math.max(a, b)));
      map.assertIntact('read');
    } finally {
      map.unmap();
    }
    at += BigInt(n);
  }
  if (!spliced) splice();
  return { before: all ? all.digest('hex') : null, after: after.digest('hex') };
}

/** The layout of one shift: what moves where, in steps of how much. */
export interface Plan {
  readonly op: ShiftOp;
  readonly kind: 'insert' | 'delete';
  readonly offset: bigint;
  readonly distance: bigint;
  readonly sizeBefore: bigint;
  readonly sizeAfter: bigint;
  /** Tail bytes. */
  readonly tail: bigint;
  readonly chunk: number;
  /** Steps overlap (d < chunk): each goes through the journal's staging slot. */
  readonly staged: boolean;
}

export function plan(op: ShiftOp, sizeBefore: bigint, window: number): Plan {
  const distance = op.kind === 'insert' ? BigInt(dataLength(op.data)) : op.length;
  const sizeAfter = op.kind === 'insert' ? sizeBefore + distance : sizeBefore - distance;
  const tail = op.kind === 'insert' ? sizeBefore - op.offset : sizeBefore - op.offset - distance;
  const unstaged = distance >= BigInt(Math.max(1, Math.min(Math.floor(window / 8), UNSTAGED)));
  const chunk = unstaged ? Number(distance < BigInt(window) ? distance : BigInt(window)) : window;
  return { op, kind: op.kind, offset: op.offset, distance, sizeBefore, sizeAfter, tail, chunk, staged: !unstaged };
}

/** An open shift journal: where its progress and staging slot are, and the last seq written. */
export interface Journal {
  readonly path: string;
  readonly fd: number;
  readonly progressAt: number;
  readonly stageAt: number;
  seq: bigint;
  /** The `done` word after the slots, mapped: stored once per step, without a system call. */
  fast?: { readonly word: BigUint64Array; unmap(): void };
  /** Where an insert's bytes are (inline in the journal), or the fill. */
  readonly data: WriteData | undefined;
}

export function slotBytes(seq: bigint, done: bigint, state: number): Buffer {
  const b = Buffer.alloc(SLOT);
  b.writeBigUInt64LE(seq, 0);
  b.writeBigUInt64LE(done, 8);
  b.writeUInt32LE(state, 16);
  createHash('sha256').update(b.subarray(0, 24)).digest().copy(b, 24, 0, 8);
  return b;
}

export function progress(j: Journal | undefined, state: number, done: bigint): void {
  if (!j) return;
  j.seq++;
  pwrite(j.fd, slotBytes(j.seq, done, state), j.progressAt + Number(j.seq % 2n) * SLOT);
}

/**
 * Writes the journal of `p` and makes it durable (journal, then its directory), before the file
 * changes. On failure it is removed again.
 */
function createJournal(path: string, file: OpenFile, p: Plan, window: number, state: number): Journal {
  const fd = createJournalFd(path, 'shift');
  try {
    const data = p.op.kind === 'insert' ? p.op.data : undefined;
    const inline = data !== undefined && !(!(data instanceof Uint8Array) && 'fill' in data);
    const head = Buffer.alloc(HEADER + OP);
    writeJournalHeader(head, VERSION, { dev: file.stat.dev, ino: file.stat.ino, sizeBefore: p.sizeBefore, sizeAfter: p.sizeAfter });
    head.writeUInt32LE(KIND[p.kind], HEADER);
    head.writeUInt32LE(data === undefined ? DATA.none : inline ? DATA.inline : DATA.fill, HEADER + 4);
    head.writeBigUInt64LE(p.offset, HEADER + 8);
    head.writeBigUInt64LE(p.distance, HEADER + 16);
    head.writeBigUInt64LE(BigInt(p.chunk), HEADER + 24);
    head.writeUInt32LE(p.staged ? 1 : 0, HEADER + 32);
    head.writeUInt32LE(data !== undefined && !inline ? (data as Fill).fill : 0, HEADER + 36);
    const inlineLength = inline ? Number(p.distance) : 0;
    const progressAt = progressStart(inlineLength);
    const stageAt = p.staged ? Math.ceil((progressAt + PROGRESS) / 4096) * 4096 : 0;
    head.writeBigUInt64LE(BigInt(stageAt), HEADER + 40);
    head.writeBigUInt64LE(BigInt(window), HEADER + 48);
    const hash = createHash('sha256').update(head);
    pwrite(fd, head, 0);
    let at = HEADER + OP;
    if (inline) {
      for (const piece of pieces(data, window)) {
        hash.update(piece);
        pwrite(fd, piece, at);
        at += piece.length;
      }
    }
    // The first progress slot before the trailer: a journal with a valid trailer always has one.
    pwrite(fd, Buffer.concat([slotBytes(1n, 0n, state), Buffer.alloc(PROGRESS - SLOT)]), progressAt);
    // The staging slot's blocks too: a full filesystem then fails the shift here, before the file
    // changes, and not at its first step with the file half shifted (and recover short of room).
    if (p.staged) reserveJournalSlot(fd, stageAt, p.chunk < p.tail ? p.chunk : Number(p.tail));
    const trailer = Buffer.alloc(TRAILER);
    END_MAGIC.copy(trailer, 0);
    trailer.writeBigUInt64LE(1n, 8);
    trailer.writeBigUInt64LE(BigInt(at), 16);
    hash.digest().copy(trailer, 24);
    pwrite(fd, trailer, at);
    fsyncSync(fd);
    syncDirectory(dirname(path));
    return {
      path,
      fd,
      progressAt,
      stageAt,
      seq: 1n,
      data: data === undefined ? undefined : inline ? { file: { fd, path }, offset: BigInt(HEADER + OP), length: inlineLength } : data,
    };
  } catch (err) {
    closeSync(fd);
    discardJournal(path);
    throw err instanceof OperationError ? err : fsError(err, `cannot write the journal ${path}`);
  }
}

/**
 * Reserves the `added` bytes inserts add past the file's end `size` (FALLOC_FL_KEEP_SIZE: the size
 * does not change) before anything moves: the moved tail is written there. Where the filesystem
 * cannot (or off Linux, where growing a file allocates it) nothing is reserved.
 * @throws NoRoom when there is no room; the caller discards its journal.
 */
export function reserveGrowth(file: OpenFile, size: bigint, added: bigint): void {
  if (reserveSpace(file.fd, size, added, true) === 'no room') throw new NoRoom(`the ${bytesText(added)} the file grows by`, file.path);
}

/** The step of `n` tail bytes at `done`: where they are and where they go. */
function step(p: Plan, done: bigint, n: number): { src: bigint; dst: bigint } {
  if (p.kind === 'delete') {
    const dst = p.offset + done;
    return { src: dst + p.distance, dst };
  }
  const src = p.sizeBefore - done - BigInt(n);
  return { src, dst: src + p.distance };
}

/**
 * A Buffer over a map's bytes, for Buffer.copy: one memmove whatever the lengths and alignment
 * (Uint8Array#set is far slower for odd lengths, and takes a generic path for a read-only map's
 * view, which is a subclass).
 */
function plain(view: { readonly buffer: ArrayBufferLike; readonly byteOffset: number; readonly byteLength: number }): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** Moves `n` bytes from `src` to `dst` through maps; stages the source first when asked. */
function moveStep(file: OpenFile, src: bigint, dst: bigint, n: number, stage: ((bytes: Uint8Array) => void) | undefined): void {
  const lo = src < dst ? src : dst;
  const hi = (src > dst ? src : dst) + BigInt(n);
  if (hi - lo < BigInt(2 * n)) {
    // Overlapping (or touching): one map, memmove.
    const map = new MmapOptions()
      .offset(lo)
      .len(Number(hi - lo))
      .mapMut(file);
    try {
      const view = Buffer.from(map.bytes.buffer, map.bytes.byteOffset, map.bytes.byteLength);
      const s = Number(src - lo);
      stage?.(view.subarray(s, s + n));
      view.copyWithin(Number(dst - lo), s, s + n);
      map.assertIntact('written');
    } finally {
      map.unmap();
    }
    return;
  }
  const from = new MmapOptions().offset(src).len(n).map(file);
  try {
    const to = new MmapOptions().offset(dst).len(n).mapMut(file);
    try {
      const bytes = plain(from.bytes);
      stage?.(bytes);
      bytes.copy(plain(to.bytes));
      from.assertIntact('read');
      to.assertIntact('written');
    } finally {
      to.unmap();
    }
  } finally {
    from.unmap();
  }
}

/** Writes `data` at `offset` through maps, a window at a time. */
function writeData(file: OpenFile, offset: bigint, data: WriteData, window: number): void {
  let at = offset;
  for (const piece of pieces(data, window)) {
    const map = new MmapOptions().offset(at).len(piece.length).mapMut(file);
    try {
      map.bytes.set(piece);
      map.assertIntact('written');
    } finally {
      map.unmap();
    }
    at += BigInt(piece.length);
  }
}

function grow(file: OpenFile, size: bigint): void {
  try {
    ftruncateSync(file.fd, Number(size));
  } catch (err) {
    throw fsError(err, `cannot resize the file to ${size} bytes`);
  }
}

/** Maps the journal's `done` word (shared: every store is in the page cache at once). */
function mapFast(j: Journal): { word: BigUint64Array; unmap(): void } {
  const map = new MmapOptions()
    .offset(j.progressAt + 2 * SLOT)
    .len(8)
    .mapMut({ fd: j.fd, path: j.path });
  const b = map.bytes;
  return { word: new BigUint64Array(b.buffer, b.byteOffset, 1), unmap: () => map.unmap() };
}

/** fallocate's answers that mean "move the bytes instead": EOPNOTSUPP, EINVAL, ENOSYS, no such call. */
const FALLBACK = new Set([95, 22, 38, 0x10000]);

/** Where a shift starts (or, after a crash, resumes): its state and how many tail bytes moved. */
export interface Resume {
  readonly state: number;
  readonly done: bigint;
}

/**
 * Runs (or resumes) the shift `p` on `file` from `from`, keeping `j`'s progress; ends with the
 * file at its new size, written, and fsynced. Returns the method used.
 */
export function run(
  file: OpenFile,
  p: Plan,
  j: Journal | undefined,
  from: Resume,
  o: { method: 'auto' | 'copy'; window: number; data: WriteData | undefined; progress?: ProgressSink; sync?: boolean },
): 'extents' | 'copy' | 'none' {
  let { state, done } = from;
  let method: 'extents' | 'copy' | 'none' = p.tail === 0n ? 'none' : 'copy';
  const size = (): bigint => fstatSync(file.fd, { bigint: true }).size;
  if (state === STATE.extents) {
    // Size before: fallocate did not happen (or was refused); size after: it did.
    if (size() === p.sizeBefore) {
      const errno = shiftExtents(file.fd, p.kind === 'insert' ? 'insert' : 'collapse', p.offset, p.distance);
      if (errno === 0) method = 'extents';
      else if (FALLBACK.has(errno)) {
        state = STATE.free;
        done = 0n;
        progress(j, state, done);
      } else {
        throw new OperationError(`cannot shift the file's extents at ${formatOffset(p.offset)}: errno ${errno}`);
      }
    } else {
      method = 'extents';
    }
    if (method === 'extents') state = STATE.moved;
  }
  if (state !== STATE.moved) {
    if (p.kind === 'insert' && size() === p.sizeBefore) grow(file, p.sizeAfter);
    o.progress?.phase(`${p.kind} ${file.path}`, p.tail);
    if (state === STATE.staged) {
      // Replay the staged step from the slot (its source may be half overwritten).
      const n = Math.min(p.chunk, Number(p.tail - done));
      const { dst } = step(p, done, n);
      const bytes = pread(j!.fd, Buffer.allocUnsafe(n), BigInt(j!.stageAt), j!.path);
      writeData(file, dst, bytes, n);
      done += BigInt(n);
      state = STATE.free;
      progress(j, state, done);
    }
    if (p.staged) {
      const stage = (bytes: Uint8Array): void => {
        if (!j) return;
        pwrite(j.fd, bytes, j.stageAt);
        progress(j, STATE.staged, done);
      };
      while (done < p.tail) {
        const n = Math.min(p.chunk, Number(p.tail - done));
        const { src, dst } = step(p, done, n);
        moveStep(file, src, dst, n, stage);
        done += BigInt(n);
        progress(j, STATE.free, done);
        o.progress?.update(Number(done));
      }
    } else {
      const fast = j ? mapFast(j) : undefined;
      try {
        while (done < p.tail) {
          if (p.distance > BigInt(o.window)) {
            // Far apart: a source and a destination map per step.
            const n = Math.min(p.chunk, Number(p.tail - done));
            const { src, dst } = step(p, done, n);
            moveStep(file, src, dst, n, undefined);
            done += BigInt(n);
            if (fast) Atomics.store(fast.word, 0, done);
          } else {
            // Close: one map of about a window holds the steps of distance d it covers.
            const per = Math.max(1, Math.floor(o.window / p.chunk));
            const group = Math.min(per * p.chunk, Number(p.tail - done));
            const lo = p.kind === 'delete' ? p.offset + done : p.sizeBefore - done - BigInt(group);
            // Two maps of the same span: reads through one (faulted in many pages at a time),
            // writes through the other (one fault per page); a step's source and destination never
            // overlap, so the aliasing is harmless.
            const span = group + Number(p.distance);
            const from = new MmapOptions().offset(lo).len(span).map(file);
            try {
              const to = new MmapOptions().offset(lo).len(span).mapMut(file);
              try {
                const src8 = plain(from.bytes);
                const dst8 = plain(to.bytes);
                for (let k = 0; k < group; ) {
                  const n = Math.min(p.chunk, group - k);
                  const { src, dst } = step(p, done, n);
                  const s = Number(src - lo);
                  src8.copy(dst8, Number(dst - lo), s, s + n);
                  done += BigInt(n);
                  k += n;
                  if (fast) Atomics.store(fast.word, 0, done);
                }
                from.assertIntact('read');
                to.assertIntact('written');
              } finally {
                to.unmap();
              }
            } finally {
              from.unmap();
            }
          }
          o.progress?.update(Number(done));
        }
      } finally {
        fast?.unmap();
      }
    }
    progress(j, STATE.moved, p.tail);
  }
  if (p.kind === 'insert') {
    if (o.data !== undefined) writeData(file, p.offset, o.data, o.window);
  } else if (size() !== p.sizeAfter) {
    grow(file, p.sizeAfter);
  }
  if (o.sync !== false || j) {
    try {
      fsyncSync(file.fd);
    } catch (err) {
      throw fsError(err, 'cannot sync the file');
    }
  }
  return method;
}

export function extentsFit(file: OpenFile, p: Plan): boolean {
  const bs = file.stat.blksize > 0n ? file.stat.blksize : 4096n;
  // INSERT_RANGE needs an offset inside the file, COLLAPSE_RANGE a range that does not reach its end.
  return p.tail > 0n && p.offset % bs === 0n && p.distance % bs === 0n;
}

/**
 * Inserts or deletes, on a file opened for writing and locked (the CLI's call; the library's are
 * {@link insertBytes} and {@link deleteRange}). Everything is checked before anything changes:
 * the journal of an interrupted edit, the offset or range, sizes, the guard, the result's hash.
 *
 * @throws InputError (bad offset or range, nothing to insert or delete, sizes past the largest),
 *   GuardError (the guard or the result's hash differ): the file is byte-identical; OperationError
 *   (journal, I/O): before the first change the file is byte-identical; after it, the journal
 *   stays and the message says to run `mmapx recover`, which finishes the shift.
 */
export function shiftFile(
  file: OpenFile,
  where: Offset | Range,
  what: { kind: 'insert'; data: WriteData } | { kind: 'delete' },
  options: ShiftOptions = {},
): ShiftOutcome {
  const path = file.path;
  const window = options.window ?? SHIFT_WINDOW;
  if (!Number.isSafeInteger(window) || window < 1) throw new InputError(`window ${describeValue(window)} is not a positive number of bytes`);
  if (!options.dryRun) refuseIfJournal(path);
  const size = knownSize(file);
  let op: ShiftOp;
  if (what.kind === 'insert') {
    const length = dataLength(what.data);
    if (length === 0) throw new InputError('no bytes to insert');
    const offset = resolveOffset(bindOffset(file, where as Offset, options).offset, size);
    if (size + BigInt(length) > MAX_FILE_SIZE) {
      throw new InputError(
        `inserting ${bytesText(length)} would grow the file to ${size + BigInt(length)} bytes, past the largest size mmapx gives a file (${MAX_FILE_SIZE_TEXT})`,
      );
    }
    op = { kind: 'insert', offset, data: what.data };
  } else {
    const r = resolveRange(bindRange(file, where as Range, options), size);
    // Named by where it resolved to, as the range overwrites do: -0.. and 18.. of an 18-byte file
    // are the same empty range and get the same words.
    if (r.length === 0n) throw new InputError(`the range at ${formatOffset(r.offset)} is empty (0 bytes): nothing to delete`);
    op = { kind: 'delete', offset: r.offset, length: r.length };
  }
  const p = plan(op, size, window);
  if (p.kind === 'insert' && !options.dryRun) assertCanGrow(file, p.sizeAfter);
  const expect = options.expect;
  if (expect !== undefined) {
    if (expect.length === 0) throw new InputError('the guard has no bytes');
    if (p.kind === 'delete' && BigInt(expect.length) !== p.distance) {
      throw new InputError(`the guard has ${bytesText(expect.length)} but the range has ${bytesText(p.distance)}: it must be the bytes being deleted`);
    }
    if (BigInt(expect.length) > size - p.offset) {
      throw new GuardError(`expected ${formatHex(expect, { max: 16 })} at ${formatOffset(p.offset)}: the file ends at ${formatOffset(size)}`, {
        path,
        offset: p.offset,
      });
    }
    if (!holdsAt(file, p.offset, expect, window)) {
      const found = quote(file, p.offset, BigInt(expect.length));
      throw new GuardError(
        `bytes at ${formatOffset(p.offset)} are ${formatHex(found, { max: 16 })}, expected ${formatHex(expect, { max: 16 })}; nothing changed`,
        { path, offset: p.offset },
      );
    }
  }
  const expectResult = options.expectResultSha256?.toLowerCase();
  if (expectResult !== undefined && !/^[0-9a-f]{64}$/.test(expectResult)) {
    throw new InputError(`expectResultSha256 must be 64 hex digits of SHA-256, not ${JSON.stringify(expectResult.slice(0, 80))}`);
  }
  options.clock?.lap('plan');
  const h = options.hash || expectResult !== undefined ? hashes(file, size, op, !!options.hash, window) : null;
  if (h) options.clock?.lap('hash');
  if (expectResult !== undefined && h!.after !== expectResult) {
    throw new GuardError(`the file would have sha256 ${h!.after}, expected ${expectResult}; nothing changed`, { path });
  }
  const old = p.kind === 'delete' ? quote(file, p.offset, p.distance) : quote(file, p.offset, p.tail);
  const neu = op.kind === 'insert' ? (pieces(op.data, QUOTED_BYTES).next().value ?? new Uint8Array(0)) : quote(file, p.offset + p.distance, p.tail);
  const base = {
    kind: p.kind,
    path,
    offset: p.offset,
    length: p.distance,
    sizeBefore: size,
    sizeAfter: p.sizeAfter,
    moved: p.tail,
    old,
    new: Uint8Array.from(neu.subarray(0, QUOTED_BYTES)),
    hashes: h,
  };
  const extents = options.method !== 'copy' && extentsFit(file, p);
  if (options.dryRun) return { ...base, status: 'dry-run', method: p.tail === 0n ? 'none' : extents ? 'extents' : 'copy', journal: null };
  let viaExtents = extents;
  if (extents && p.kind === 'delete') {
    // One system call that either happened or not when the process dies: no journal to keep.
    const errno = shiftExtents(file.fd, 'collapse', p.offset, p.distance);
    if (errno === 0) {
      if (options.sync !== false) {
        try {
          fsyncSync(file.fd);
        } catch (err) {
          throw fsError(err, 'cannot sync the file');
        }
      }
      options.clock?.lap('shift');
      return { ...base, status: 'deleted', method: 'extents', journal: null };
    }
    if (!FALLBACK.has(errno)) throw new OperationError(`cannot shift the file's extents at ${formatOffset(p.offset)}: errno ${errno}`);
    viaExtents = false;
  }
  const first: Resume = { state: viaExtents ? STATE.extents : STATE.free, done: 0n };
  const j = options.journal === false ? undefined : createJournal(journalPath(path), file, p, window, first.state);
  if (p.kind === 'insert' && !viaExtents) {
    try {
      reserveGrowth(file, p.sizeBefore, p.distance);
    } catch (err) {
      // Nothing moved: the journal goes, and the file is as it was.
      if (j) {
        closeSync(j.fd);
        discardJournal(j.path);
      }
      throw err;
    }
  }
  options.clock?.lap('journal');
  let method: 'extents' | 'copy' | 'none';
  try {
    method = run(file, p, j, first, {
      method: options.method ?? 'auto',
      window,
      data: op.kind === 'insert' ? op.data : undefined,
      ...(options.progress && { progress: options.progress }),
      ...(options.sync === false && { sync: false }),
    });
  } catch (err) {
    if (j) {
      closeSync(j.fd);
      const m = err instanceof Error ? err.message : String(err);
      throw new OperationError(`${m}; the ${p.kind} is journaled in ${j.path}: run 'mmapx recover ${path}' to finish it`, (err as { code?: string }).code, {
        path,
        cause: err,
      });
    }
    throw err;
  }
  options.clock?.lap('shift');
  if (j) finishJournal(j);
  return { ...base, status: p.kind === 'insert' ? 'inserted' : 'deleted', method, journal: j ? j.path : null };
}

function access(options: ShiftOptions) {
  return {
    write: !options.dryRun,
    access: 'written' as const,
    force: options.force,
    lockWait: options.lockWait,
    signal: options.signal,
    blocking: options.blocking,
    timer: options.clock,
  };
}

/**
 * Inserts `data` at `offset` of the file at `path`, in place: the file grows by the data's length,
 * the bytes from `offset` on move up (a window at a time through maps, or by extents where the
 * filesystem can), and the data is written. Journaled: a crash at any instant leaves the original
 * file, or a journal that `recover` finishes the insert from.
 *
 * - `offset`: from the start; negative counts back from the end; the end itself appends.
 * - `data`: bytes, `{ fill, length }`, or `{ file, offset, length }` of another open file.
 * - `expect`: the bytes at `offset` now, or nothing changes ({@link GuardError}).
 *
 * @example
 * await insertBytes('fw.bin', 0x100, Uint8Array.of(0xde, 0xad));
 */
export async function insertBytes(path: string, offset: Position, data: WriteData, options: ShiftOptions = {}): Promise<ShiftOutcome> {
  pathArg(path);
  shiftOptionsArg(options);
  dataArg(data);
  const at = toOffset(offset);
  return withFile(path, access(options), (file) => shiftFile(file, at, { kind: 'insert', data }, options));
}

/**
 * Deletes `range` from the file at `path`, in place: the bytes after it move down and the file is
 * truncated by its length. Journaled like {@link insertBytes}.
 *
 * - `range`: `'0x100:16'`, `'-64..'`, `{ offset, length }`...
 * - `expect`: the bytes being deleted, or nothing changes ({@link GuardError}).
 *
 * @example
 * await deleteRange('log.bin', { offset: 0, length: 4096 });
 */
export async function deleteRange(path: string, range: RangeOption, options: ShiftOptions = {}): Promise<ShiftOutcome> {
  pathArg(path);
  shiftOptionsArg(options);
  const r = rangeOption(range);
  if (r === undefined) throw new InputError('deleteRange needs a range');
  return withFile(path, access(options), (file) => shiftFile(file, r, { kind: 'delete' }, options));
}

/** A shift journal as read back. */
interface ShiftJournal {
  readonly p: Plan;
  /** Bytes per map of the interrupted run. */
  readonly window: number;
  readonly journal: Journal;
  readonly resume: Resume;
  readonly header: { dev: bigint; ino: bigint; pid: number; created: number };
}

/** Whether the journal at `path` is one of version 2 (a shift's); false when it cannot be read. */
export function isShiftJournal(path: string): boolean {
  return journalVersion(path) === VERSION;
}

/** Reads a shift journal open at `fd`: its plan and where to resume; `incomplete` when it was never finished (the file was never touched). */
function readShiftJournal(fd: number, path: string): ShiftJournal | { incomplete: string } {
  const size = Number(fstatSync(fd).size);
  if (size < HEADER + OP) return { incomplete: 'it ends inside its header' };
  const head = pread(fd, Buffer.alloc(HEADER + OP), 0n, path) as Buffer;
  const damaged = (why: string): OperationError =>
    new OperationError(`${path} is damaged (${why}): it cannot be trusted to finish the shift; inspect the file, then remove the journal by hand`);
  const kindCode = head.readUInt32LE(HEADER);
  const dataCode = head.readUInt32LE(HEADER + 4);
  const offset = head.readBigUInt64LE(HEADER + 8);
  const distance = head.readBigUInt64LE(HEADER + 16);
  const chunk = Number(head.readBigUInt64LE(HEADER + 24));
  const staged = head.readUInt32LE(HEADER + 32) === 1;
  const fill = head.readUInt32LE(HEADER + 36);
  const stageAt = Number(head.readBigUInt64LE(HEADER + 40));
  const window = Number(head.readBigUInt64LE(HEADER + 48));
  const inlineLength = dataCode === DATA.inline ? Number(distance) : 0;
  const trailerAt = HEADER + OP + inlineLength;
  if (size < trailerAt + TRAILER) return { incomplete: 'it has no trailer' };
  const trailer = pread(fd, Buffer.alloc(TRAILER), BigInt(trailerAt), path) as Buffer;
  if (!trailer.subarray(0, 8).equals(END_MAGIC)) return { incomplete: 'it has no trailer' };
  if (Number(trailer.readBigUInt64LE(16)) !== trailerAt) throw damaged('its trailer does not match its operation');
  const hash = createHash('sha256');
  const chunkBuf = Buffer.alloc(1024 * 1024);
  for (let at = 0; at < trailerAt; ) {
    const n = Math.min(chunkBuf.length, trailerAt - at);
    hash.update(pread(fd, chunkBuf.subarray(0, n), BigInt(at), path));
    at += n;
  }
  if (!hash.digest().equals(trailer.subarray(24, 56))) throw damaged('its checksum does not match');
  if ((kindCode !== KIND.insert && kindCode !== KIND.delete) || (kindCode === KIND.delete) !== (dataCode === DATA.none) || dataCode > DATA.fill) {
    throw damaged(`unknown operation ${kindCode}/${dataCode}`);
  }
  const progressAt = progressStart(inlineLength);
  const slots = pread(fd, Buffer.alloc(PROGRESS), BigInt(progressAt), path) as Buffer;
  const fast = slots.readBigUInt64LE(2 * SLOT);
  let best: { seq: bigint; done: bigint; state: number } | undefined;
  for (let i = 0; i < 2; i++) {
    const s = slots.subarray(i * SLOT, (i + 1) * SLOT);
    const seq = s.readBigUInt64LE(0);
    if (seq === 0n || !createHash('sha256').update(s.subarray(0, 24)).digest().subarray(0, 8).equals(s.subarray(24, 32))) continue;
    if (!best || seq > best.seq) best = { seq, done: s.readBigUInt64LE(8), state: s.readUInt32LE(16) };
  }
  if (!best) throw damaged('no progress slot is valid');
  const sizeBefore = head.readBigUInt64LE(32);
  const kind = kindCode === KIND.insert ? 'insert' : 'delete';
  const j: Journal = {
    path,
    fd,
    progressAt,
    stageAt,
    seq: best.seq,
    data:
      kind === 'delete'
        ? undefined
        : dataCode === DATA.fill
          ? { fill, length: Number(distance) }
          : { file: { fd, path }, offset: BigInt(HEADER + OP), length: inlineLength },
  };
  const tail = kind === 'insert' ? sizeBefore - offset : sizeBefore - offset - distance;
  const sizeAfter = head.readBigUInt64LE(40);
  if (
    distance === 0n ||
    tail < 0n ||
    sizeAfter !== (kind === 'insert' ? sizeBefore + distance : sizeBefore - distance) ||
    chunk < 1 ||
    best.done > tail ||
    fast > tail ||
    best.state < STATE.extents ||
    best.state > STATE.moved ||
    (staged && stageAt === 0)
  ) {
    throw damaged('its operation or progress is out of range');
  }
  const op: ShiftOp = kind === 'insert' ? { kind, offset, data: j.data! } : { kind, offset, length: distance };
  return {
    p: { op, kind, offset, distance, sizeBefore, sizeAfter, tail, chunk, staged },
    journal: j,
    window: window >= chunk ? window : chunk,
    // Steps after the last slot only stored the done word: in state free it may be further on.
    resume: { state: best.state, done: best.state === STATE.free && fast > best.done ? fast : best.done },
    header: parseHeader(head),
  };
}

/** What {@link finishShift} found and did. */
export type FinishReport =
  | { readonly state: 'incomplete'; readonly reason: string }
  | {
      readonly state: 'completed';
      readonly kind: 'insert' | 'delete';
      readonly offset: bigint;
      readonly length: bigint;
      readonly sizeBefore: bigint;
      readonly sizeAfter: bigint;
      readonly sizeFound: bigint;
      /** Tail bytes still to move when recover started. */
      readonly remaining: bigint;
    };

/**
 * `recover` of a shift journal (version 2): finishes the interrupted insert or delete from the
 * progress it recorded (see the top of this module), syncs the file, removes the journal. An
 * incomplete journal (the shift never started) is only removed.
 *
 * @throws OperationError, leaving the journal in place, when it must not be trusted (symlink,
 *   other links or owner, damaged), belongs to another file, its writer still runs, or the file's
 *   size is neither of the sizes the shift can have left.
 */
export function finishShift(path: string, file: OpenFile): FinishReport {
  const handle = openJournal(path, true);
  let report: FinishReport;
  try {
    const r = readShiftJournal(handle.fd, path);
    if ('incomplete' in r) {
      report = { state: 'incomplete', reason: r.incomplete };
    } else {
      const { p, journal, resume, header, window } = r;
      const st = assertJournalOwns(path, header, file.fd, p.kind);
      // The sizes a shift goes through: before (insert: not grown yet; delete: not truncated yet) and after.
      const before = st.size === p.sizeBefore;
      const after = st.size === p.sizeAfter;
      const consistent =
        p.kind === 'insert'
          ? (before && (resume.state === STATE.extents || (resume.state === STATE.free && resume.done === 0n))) || after
          : before || (after && (resume.state === STATE.extents || resume.state === STATE.moved));
      if (!consistent) {
        throw new OperationError(
          `the file is ${st.size} bytes, but the ${p.kind} journaled in ${path} leaves it at ${p.sizeBefore} or ${p.sizeAfter} bytes at this point: it was changed by another program; refusing it`,
        );
      }
      run(file, p, journal, resume, { method: 'auto', window, data: journal.data });
      report = {
        state: 'completed',
        kind: p.kind,
        offset: p.offset,
        length: p.distance,
        sizeBefore: p.sizeBefore,
        sizeAfter: p.sizeAfter,
        sizeFound: st.size,
        remaining: resume.state === STATE.moved || resume.state === STATE.extents ? 0n : p.tail - resume.done,
      };
    }
  } finally {
    handle.close();
  }
  removeJournal(path);
  return report;
}

/** The options of insertBytes and deleteRange, checked at the call. @throws InputError */
function shiftOptionsArg(options: ShiftOptions): void {
  optionsArg(options, SHIFT_BOOLEANS);
  const method = options?.method;
  if (method !== undefined && method !== 'auto' && method !== 'copy') {
    throw new InputError(`options.method must be 'auto' or 'copy', not ${describeValue(method)}`);
  }
}
