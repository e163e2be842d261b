// The file-side helpers of patch, recover, diff and find: reading a file through bounded windows
// of a shared map, writing many small ranges through maps of only the pages they touch, and
// hashing a file (and the file a plan would leave) in one streaming pass. Memory stays flat
// whatever the file size: at most one window is mapped at a time.
//
// Another process may truncate the file meanwhile (see src/mmap/truncation.ts): the reader and
// the writer check the SIGBUS guard's record of each map and the file's size, and fail with
// ERR_TRUNCATED instead of handing out (or trusting) bytes that read as zeros past the new end.
import { createHash, hash } from 'node:crypto';
import { fstatSync, readSync, writeSync } from 'node:fs';
import type { FileAccess, Plan } from '../format/patch/index.js';
import { ChangedUnderfoot, InputError, NoRoom, OperationError } from '../errors.js';
import { equalBytes } from '../format/bytes.js';

export { ChangedUnderfoot, equalBytes };
import { formatOffset } from '../format/number.js';
import { type Mmap, MmapError, MmapOptions, pageSize, type Window, windows } from '../mmap/index.js';
import { dropLease, holdsWriteLease, leaseBreakSeconds, reserveSpace, startWriteback, takeWriteLease } from '../mmap/sys/index.js';
import { waitReadable } from '../mmap/sys/input.js';
import { shrankError, shrankSinceOpenError, shrankWhileWriting } from '../mmap/truncation.js';
import { fsError, type OpenFile, type ReadSpan, readsInOrder } from './files.js';
import { SCAN_WINDOW } from './scan.js';
import { now } from './timing.js';

/** Reads up to this many bytes outside the current window are preads (see MappedReader.read). */
const SMALL_READ = 64 * 1024;
/** Bytes a small read brings in around it (two halves of 4 KiB: a read near a block end still hits). */
const READ_AHEAD = 8 * 1024;

/** What the helpers need of an open file: its descriptor, and its path for error messages. */
export interface FileRef {
  readonly fd: number;
  readonly path: string;
}

/** The file's size now (fstat of the open descriptor). */
export function sizeNow(file: FileRef): bigint {
  return fstatSync(file.fd, { bigint: true }).size;
}

/**
 * ERR_TRUNCATED when the file no longer reaches `end`, the end of a window just read: its bytes
 * between the new end and the end of that page read as zeros without any fault, so what was made
 * of the window (matches, hunks) must not be shown. One fstat; call it after using the window and
 * before printing what came of it.
 */
export function assertCovers(file: FileRef, end: bigint): void {
  const now = sizeNow(file);
  if (now < end) throw shrankError(file.path, now, end);
}

/** One window of a file and the same offsets of another (see {@link windowPairs}). */
export interface WindowPair {
  readonly offset: bigint;
  /** The window of the second file (`b`). */
  readonly b: Uint8Array;
  /** The same offsets of the first file (`a`): shorter or empty past its end. */
  readonly a: Uint8Array;
  /**
   * Throws when either map lost pages or either file no longer covers the window's first `upTo`
   * bytes (default: all of it): bytes read past a new end read as zeros, and what was made of
   * them is void.
   */
  check(upTo?: bigint): void;
}

/**
 * Walks `b` from 0 to `limit` in mapped windows of `win` bytes, with `a` mapped at the same
 * offsets as far as it goes (`sizeA`): diff's walk of NEW beside OLD. Each pair is unmapped when
 * the walk moves on (or stops).
 */
export function* windowPairs(a: OpenFile, b: OpenFile, sizeA: bigint, limit: bigint, win: bigint): Generator<WindowPair> {
  for (let off = 0n; off < limit; off += win) {
    const len = limit - off < win ? limit - off : win;
    const lenA = off < sizeA ? (sizeA - off < len ? sizeA - off : len) : 0n;
    const mapB = new MmapOptions().offset(off).len(len).populate().map(b);
    let mapA: Mmap | undefined;
    try {
      mapA = lenA > 0n ? new MmapOptions().offset(off).len(lenA).populate().map(a) : undefined;
      const viewA = mapA ? (mapA.bytes as Uint8Array) : new Uint8Array(0);
      const check = (upTo = len): void => {
        mapA?.assertIntact('read');
        mapB.assertIntact('read');
        if (lenA > 0n) assertCovers(a, off + (upTo < lenA ? upTo : lenA));
        assertCovers(b, off + upTo);
      };
      yield { offset: off, a: viewA, b: mapB.bytes as Uint8Array, check };
    } finally {
      mapA?.unmap();
      mapB.unmap();
    }
  }
}

/**
 * ERR_TRUNCATED when the file has become shorter than `size`, the size an operation started from:
 * bytes it read past the new end read as zeros (without a fault in the tail of the last page), so
 * what it made of them is void.
 */
export function assertNotShrunk(file: FileRef, size: bigint, access: 'read' | 'written'): void {
  const now = sizeNow(file);
  if (now < size) throw shrankSinceOpenError(file.path, now, size, access);
}

/**
 * A {@link FileAccess} over a file through one read-only window of a shared map at a time: a read
 * inside the current window is a view into it; a small read elsewhere (a hunk's bytes) is a
 * pread into a scratch buffer; any other read unmaps the window and maps one of at least
 * `window` bytes starting there. What `read` returns is valid until the next `read` or `close`.
 */
export class MappedReader implements FileAccess {
  readonly #file: FileRef;
  readonly #window: bigint;
  #map: Mmap | undefined;
  #start = 0n;
  #end = 0n;
  readonly size: bigint;

  constructor(file: FileRef, size: bigint, window = SCAN_WINDOW) {
    this.#file = file;
    this.size = size;
    this.#window = BigInt(window);
  }

  read(offset: bigint, length: number): Uint8Array {
    const end = offset + BigInt(length);
    if (length <= SMALL_READ && (this.#map === undefined || offset < this.#start || end > this.#end)) {
      // A hunk's few bytes: one pread. Mapping a window for each would cost V8 a collection per
      // window (external memory) and the kernel a page fault per hunk.
      return this.#pread(offset, length);
    }
    if (this.#map === undefined || offset < this.#start || end > this.#end) {
      this.#release();
      const want = BigInt(length) > this.#window ? BigInt(length) : this.#window;
      const len = want < this.size - offset ? want : this.size - offset;
      this.#map = new MmapOptions().offset(offset).len(len).map(this.#file);
      this.#start = offset;
      this.#end = offset + len;
    }
    const at = Number(offset - this.#start);
    return this.#map.bytes.subarray(at, at + length) as Uint8Array;
  }

  #small: Buffer | undefined;
  /** The page-aligned block last read ahead, [#aheadStart, #aheadEnd), and its bytes. */
  #ahead: Buffer | undefined;
  #aheadStart = 0n;
  #aheadEnd = 0n;
  #lastEnd = 0n;

  #pread(offset: bigint, length: number): Uint8Array {
    const end = offset + BigInt(length);
    // Hunks come in file order: one read of the block around a small read serves its neighbours
    // (a patch of a million one-byte hunks is a million preads otherwise). The kernel copies a
    // page for a byte anyway.
    if (length <= READ_AHEAD / 2) {
      // Only reads moving forward are served from the block: a read of bytes already read goes
      // to the file again (and fails there if the file shrank meanwhile).
      const forward = offset >= this.#lastEnd;
      this.#lastEnd = end;
      if (!forward) return this.#exact(offset, length);
      if (this.#ahead === undefined || offset < this.#aheadStart || end > this.#aheadEnd) {
        const start = offset - (offset % BigInt(READ_AHEAD / 2));
        const stop = start + BigInt(READ_AHEAD) < this.size ? start + BigInt(READ_AHEAD) : this.size;
        this.#ahead ??= Buffer.allocUnsafe(READ_AHEAD);
        this.#fill(this.#ahead, start, Number(stop - start));
        this.#aheadStart = start;
        this.#aheadEnd = stop;
      }
      const at = Number(offset - this.#aheadStart);
      return this.#ahead.subarray(at, at + length);
    }
    return this.#exact(offset, length);
  }

  #exact(offset: bigint, length: number): Uint8Array {
    // As large as the largest read so far (a patch over 1,000 files makes 1,000 readers).
    if (this.#small === undefined || this.#small.length < length) this.#small = Buffer.allocUnsafe(Math.max(length, 256));
    this.#fill(this.#small, offset, length);
    return this.#small.subarray(0, length);
  }

  #fill(buf: Buffer, offset: bigint, length: number): void {
    let done = 0;
    while (done < length) {
      const n = readSync(this.#file.fd, buf, done, length - done, offset + BigInt(done));
      // Inside the size seen at open, so the file shrank since.
      if (n === 0) throw shrankError(this.#file.path, sizeNow(this.#file), offset + BigInt(done));
      done += n;
    }
  }

  /** Unmaps the current window; a fault in it (the file shrank under it) makes what was read there void. */
  #release(): void {
    const map = this.#map;
    this.#map = undefined;
    if (map === undefined) return;
    map.unmap();
    map.assertIntact('read');
  }

  /**
   * Throws ERR_TRUNCATED if anything read so far may have read zeros instead of the file: a fault
   * in the current window (earlier windows were checked when they were given back), or a file now
   * shorter than `size`. Call it before acting on what was read.
   */
  assertIntact(): void {
    this.#map?.assertIntact('read');
    assertNotShrunk(this.#file, this.size, 'read');
  }

  close(): void {
    const map = this.#map;
    this.#map = undefined;
    map?.unmap();
  }
}

/** One window of a batch of writes: the span to map and the ranges inside it, in order. */
export interface WriteWindow<T> {
  readonly offset: bigint;
  readonly length: number;
  readonly items: readonly T[];
}

/**
 * Groups ranges sorted by offset into windows to map: a range joins the current window when the
 * gap before it is at most `maxGap` bytes and the window stays within `maxSpan` bytes (a single
 * longer range gets a window of its own). Nearby hunks then share one map and one flush, and far
 * apart ones never map the pages between them.
 */
export function groupWindows<T extends { readonly offset: bigint; readonly length: number }>(
  items: readonly T[],
  maxGap = 1024 * 1024,
  maxSpan = SCAN_WINDOW,
): WriteWindow<T>[] {
  const out: WriteWindow<T>[] = [];
  let cur: T[] = [];
  let start = 0n;
  let end = 0n;
  for (const it of items) {
    const itEnd = it.offset + BigInt(it.length);
    if (cur.length > 0 && it.offset - end <= BigInt(maxGap) && itEnd - start <= BigInt(maxSpan)) {
      cur.push(it);
      if (itEnd > end) end = itEnd;
      continue;
    }
    if (cur.length > 0) out.push({ offset: start, length: Number(end - start), items: cur });
    cur = [it];
    start = it.offset;
    end = itEnd;
  }
  if (cur.length > 0) out.push({ offset: start, length: Number(end - start), items: cur });
  return out;
}

/** A range to write: `bytes` at `offset`; with `expect`, only if the file holds those bytes now. */
export interface WriteRange {
  readonly offset: bigint;
  readonly bytes: Uint8Array;
  /** The bytes that must be there right before the write (same length). */
  readonly expect?: Uint8Array;
  readonly length: number;
}

export interface WriteReport {
  windows: number;
  /** Bytes of the ranges written. */
  bytes: number;
  /** Bytes flushed or handed to write-back (whole pages). */
  synced: number;
  /** Milliseconds spent in msync / starting write-back. */
  syncMs: number;
  /** Ranges written with pwrite under a write lease (see {@link writeRanges}); the others went through maps. */
  pwritten?: number;
}

/** Options of {@link writeRanges}. */
export interface WriteRangesOptions {
  sync: 'wait' | 'start' | 'none';
  /** Told the bytes of the ranges written so far, per window. */
  progress?: (done: number) => void;
  /**
   * Write with pwrite(2) under a write lease when the kernel grants one (see below); otherwise, and
   * with `sync: 'wait'`, through maps.
   */
  lease?: boolean;
  /** @internal tests: called after each run written under the lease (see writeWindowLeased). */
  afterRun?: () => void;
}

/** How often (ms) the pwrite path asks whether its lease is still held whole. */
const LEASE_CHECK_MS = 1;
/**
 * The shortest lease-break-time the pwrite path trusts (the default is 45): a break waits that
 * long for the lease, which is asked for every {@link LEASE_CHECK_MS} and between pwrites, so only
 * a single pwrite stalled that long (a system throttling its writers hard) could outlast it.
 */
const LEASE_MIN_BREAK_SECONDS = 5;
let leaseBreak: number | undefined;

/** The system's lease-break-time in seconds, read once per process (-1 where unknown). */
function leaseBreakTime(): number {
  leaseBreak ??= leaseBreakSeconds() ?? -1;
  return leaseBreak;
}

/**
 * Writes sorted, disjoint ranges through shared maps of only the windows they need (see
 * {@link groupWindows}): per window, every `expect` is checked first, then the ranges are copied
 * in and the window is flushed: `sync: 'wait'` msyncs it (MS_SYNC); `'start'` only starts its
 * write-back (msync MS_ASYNC + sync_file_range), so that the windows' I/O overlaps and the caller
 * waits once with fdatasync; `'none'` leaves it to the kernel. A failure leaves earlier windows
 * written.
 *
 * With `lease` (and `sync` other than `'wait'`), the ranges are written with pwrite(2) instead,
 * while this process holds a write lease on the file (src/mmap/sys/lease.ts): a write through a
 * map marks its whole page-cache folio dirty (up to 2 MiB on filesystems with large folios), so
 * that 10,000 four-byte hunks in a 1 GiB file make the write-back rewrite the whole file, where
 * pwrite marks only the blocks it changes. Without the lease a pwrite would be unsafe: past an end
 * that another process cut meanwhile it extends the file again, which a write through a map never
 * does; under the lease nobody else has the file open, and an open (or truncate) by another
 * process waits for it. The lease is asked for every millisecond of writing; once a break has
 * begun, the rest goes through maps. Under the lease, nearby ranges are read and written as one
 * span, each run's expects checked right before its write (a mismatch stops there: the caller rolls
 * back what was written, as after a later window's); the lease is given up before this returns.
 *
 * Against truncation by another process: a window the file no longer reaches, a fault while its
 * bytes were compared or written (the SIGBUS guard's record, checked before the flush), or a file
 * found shorter than the window after writing it, all end with ERR_TRUNCATED naming where.
 *
 * @throws ChangedUnderfoot when a range's bytes are not its `expect` (and the file did not
 *   shrink: zeros past a new end are not "changed"); MmapError from the core, ERR_TRUNCATED;
 *   OperationError for a pwrite that failed.
 */
export function writeRanges(file: FileRef, ranges: readonly WriteRange[], opts: WriteRangesOptions): WriteReport {
  const report: WriteReport = { windows: 0, bytes: 0, synced: 0, syncMs: 0 };
  const last = ranges[ranges.length - 1];
  const leased =
    opts.lease === true &&
    opts.sync !== 'wait' &&
    last !== undefined &&
    last.offset + BigInt(last.length) <= BigInt(Number.MAX_SAFE_INTEGER) &&
    leaseBreakTime() >= LEASE_MIN_BREAK_SECONDS &&
    takeWriteLease(file.fd);
  let held = leased;
  let asked = now();
  // Asked at most every LEASE_CHECK_MS; once a break has begun, the lease is given up at once, so
  // that the other process's open goes on while the rest is written through maps.
  const stillHeld = (): boolean => {
    if (!held) return false;
    const t = now();
    if (t - asked >= LEASE_CHECK_MS) {
      asked = t;
      if (!holdsWriteLease(file.fd)) {
        held = false;
        dropLease(file.fd);
      }
    }
    return held;
  };
  if (leased) report.pwritten = 0;
  try {
    for (const w of groupWindows(ranges)) {
      const done = held ? writeWindowLeased(file, w, report, opts, stillHeld) : 0;
      if (done < w.items.length) writeWindowMapped(file, done === 0 ? w : { offset: w.offset, length: w.length, items: w.items.slice(done) }, report, opts);
      report.windows++;
      opts.progress?.(report.bytes);
    }
  } finally {
    if (held) dropLease(file.fd);
  }
  return report;
}

/**
 * Before ranges are written into a file that has holes (fewer blocks than its size) or past its
 * end `size`, reserves their blocks (FALLOC_FL_KEEP_SIZE: the bytes and the size stay as they
 * are), so that a full filesystem is found before the first byte changes and not in the middle of
 * the writes, where rolling back needs room too. A file without holes is written where its blocks
 * are: nothing to reserve. Where the filesystem cannot reserve, nothing is.
 * @throws NoRoom (ENOSPC) when there is no room; nothing was written.
 */
export function reserveRanges(file: FileRef, ranges: Iterable<{ readonly offset: bigint; readonly length: number }>, size: bigint): void {
  const st = fstatSync(file.fd, { bigint: true });
  const holes = (st.blocks ?? 0n) * 512n < st.size;
  for (const r of ranges) {
    if (!holes && r.offset + BigInt(r.length) <= size) continue;
    const got = reserveSpace(file.fd, r.offset, BigInt(r.length), true);
    if (got === 'unsupported') return;
    if (got === 'no room') {
      throw new NoRoom(
        `the ${r.length === 1 ? '1 byte' : `${r.length} bytes`} to write at ${formatOffset(r.offset)} (${r.offset >= size ? 'past the end of the file' : r.offset + BigInt(r.length) > size ? 'up to past the end of the file' : 'in a hole of the file'})`,
        file.path,
      );
    }
  }
}

/** ERR_TRUNCATED naming the window's end when the file no longer reaches it. */
function shrunkUnder(file: FileRef, end: bigint): MmapError | undefined {
  const size = sizeNow(file);
  return size < end ? shrankWhileWriting(file.path, size, end) : undefined;
}

/** One window of {@link writeRanges} through a shared map. */
function writeWindowMapped(file: FileRef, w: WriteWindow<WriteRange>, report: WriteReport, opts: WriteRangesOptions): void {
  const end = w.offset + BigInt(w.length);
  let map: ReturnType<MmapOptions['mapMut']>;
  try {
    map = new MmapOptions().offset(w.offset).len(w.length).mapMut(file);
  } catch (err) {
    throw (err instanceof MmapError && err.code === 'ERR_OUT_OF_RANGE' && shrunkUnder(file, end)) || err;
  }
  try {
    const view = map.bytes;
    for (const r of w.items) {
      if (r.expect === undefined) continue;
      const at = Number(r.offset - w.offset);
      if (!equalBytes(view.subarray(at, at + r.length), r.expect)) {
        map.assertIntact('read');
        throw shrunkUnder(file, end) ?? new ChangedUnderfoot(r.offset);
      }
    }
    for (const r of w.items) {
      view.set(r.bytes, Number(r.offset - w.offset));
      report.bytes += r.length;
    }
    // Writes to pages past a new end went to throw-away pages: fail before the flush.
    map.assertIntact('written');
    // And bytes past a new end inside its last page went nowhere either, without a fault.
    const cut = shrunkUnder(file, end);
    if (cut) throw cut;
    if (opts.sync !== 'none') {
      const t = now();
      report.synced += (opts.sync === 'wait' ? map.flushRange(0, w.length) : map.flushAsyncRange(0, w.length)).length;
      report.syncMs += now() - t;
    }
  } finally {
    map.unmap();
  }
}

/**
 * Ranges of a window closer than this are written together, in one pread and one pwrite of the
 * span from the first to the last (the bytes between rewritten as they are: under the lease nobody
 * else writes the file). Less than a block: the span dirties no block the ranges do not touch.
 */
const RUN_GAP = 4095;
/** The longest span written in one piece (a single longer range is written alone). */
const RUN_MAX = 256 * 1024;
/**
 * Runs written between two starts of write-back (sync_file_range WRITE) under the lease. Started
 * once per window (2,500 runs of 10,000 hunks in 1 GiB), the write-back of a window queued more
 * requests than the device takes at once, so the call waited for the disk while nothing was
 * written; started every few runs, it returns at once and the disk works while the next runs are
 * written, leaving the final fdatasync little to wait for.
 */
const WRITEBACK_RUNS = 32;

/**
 * One window of {@link writeRanges} with pwrite(2) under the write lease, in runs of nearby ranges
 * ({@link RUN_GAP}): each run is read with pread, its expects checked (a mismatch stops the writes
 * there), its new bytes put in and the run written with one pwrite, while `stillHeld()`. Returns
 * how many ranges it wrote: all of them (and the window's write-back started, with `sync:
 * 'start'`), or fewer when the lease began to break (the caller writes the rest through a map).
 *
 * Offsets are numbers here ({@link writeRanges} leases only ranges that end below 2^53), and the
 * per-run work is in small functions without closures: this loop runs once per hunk, and V8
 * compiled the earlier BigInt form of it four times per patch (25-60 ms each, a deopt per window
 * on a new closure), more CPU than the 10,000 pwrites of a patch took.
 */
function writeWindowLeased(file: FileRef, w: WriteWindow<WriteRange>, report: WriteReport, opts: WriteRangesOptions, stillHeld: () => boolean): number {
  if (!stillHeld()) return 0;
  const end = w.offset + BigInt(w.length);
  // Nobody else has the file open while the lease is held: if it reaches the window now, it does
  // until the lease is given up.
  const cut = shrunkUnder(file, end);
  if (cut) throw cut;
  const items = w.items;
  const start = opts.sync === 'start';
  const page = pageSize();
  // With `sync: 'start'`, the write-back is started every WRITEBACK_RUNS runs, from where the last
  // start ended, and at the end for the rest of the window's pages (as a map's flush widens it).
  // The window counts as synced only when it is all written: after a break, the caller's map
  // flushes (and counts) the whole window.
  const first = floorTo(Number(w.offset), page);
  let started = first;
  let runs = 0;
  let k = 0;
  while (k < items.length) {
    if (!stillHeld()) return k;
    const j = runOf(items, k);
    const runEnd = writeRun(file, items, k, j, end);
    report.pwritten = (report.pwritten ?? 0) + (j - k);
    for (; k < j; k++) report.bytes += items[k]!.length;
    opts.afterRun?.();
    if (start && ++runs % WRITEBACK_RUNS === 0 && k < items.length) started = startWritebackTo(file, report, started, ceilTo(runEnd, page));
  }
  if (start) report.synced += startWritebackTo(file, report, started, ceilTo(Number(end), page)) - first;
  return k;
}

function floorTo(n: number, unit: number): number {
  return n - (n % unit);
}

function ceilTo(n: number, unit: number): number {
  return floorTo(n + unit - 1, unit);
}

/** Starts the write-back of [from, to) (pages), its time counted in `report`; returns `to`. */
function startWritebackTo(file: FileRef, report: WriteReport, from: number, to: number): number {
  const t = now();
  startWriteback(file.fd, BigInt(from), BigInt(to - from));
  report.syncMs += now() - t;
  return to;
}

/** The end (exclusive index) of the run of `items` that starts at `k`: ranges at most {@link RUN_GAP} apart, spanning at most {@link RUN_MAX}. */
function runOf(items: readonly WriteRange[], k: number): number {
  const first = items[k]!;
  const from = Number(first.offset);
  let runEnd = from + first.length;
  let j = k + 1;
  for (; j < items.length; j++) {
    const r = items[j]!;
    const at = Number(r.offset);
    const rEnd = at + r.length;
    if (at - runEnd > RUN_GAP || rEnd - from > RUN_MAX) break;
    if (rEnd > runEnd) runEnd = rEnd;
  }
  return j;
}

/**
 * Writes the run items[k, j) (see {@link runOf}) after checking its expects; returns the run's end.
 * @throws ChangedUnderfoot (or ERR_TRUNCATED when the file no longer reaches `windowEnd`) for an expect the file does not hold.
 */
function writeRun(file: FileRef, items: readonly WriteRange[], k: number, j: number, windowEnd: bigint): number {
  const first = items[k]!;
  const from = Number(first.offset);
  if (j === k + 1) {
    // One range: its expect read, its bytes written from where they are.
    if (first.expect !== undefined && !holds(file, from, first.expect, first.length)) throw shrunkUnder(file, windowEnd) ?? new ChangedUnderfoot(first.offset);
    pwriteFully(file, first.bytes, first.length, from);
    return from + first.length;
  }
  let runEnd = from;
  for (let i = k; i < j; i++) {
    const r = items[i]!;
    const rEnd = Number(r.offset) + r.length;
    if (rEnd > runEnd) runEnd = rEnd;
  }
  const span = preadFully(file, from, runEnd - from);
  for (let i = k; i < j; i++) {
    const r = items[i]!;
    const at = Number(r.offset) - from;
    if (r.expect !== undefined && !equalBytes(span.subarray(at, at + r.length), r.expect.subarray(0, r.length))) {
      throw shrunkUnder(file, windowEnd) ?? new ChangedUnderfoot(r.offset);
    }
  }
  for (let i = k; i < j; i++) {
    const r = items[i]!;
    span.set(r.bytes.subarray(0, r.length), Number(r.offset) - from);
  }
  pwriteFully(file, span, span.length, from);
  return runEnd;
}

let scratch: Buffer | undefined;

/** `length` bytes at `offset` read with pread(2), valid until the next call; a read that ends early means the file shrank. */
function preadFully(file: FileRef, offset: number, length: number): Uint8Array {
  if (scratch === undefined || scratch.length < length) scratch = Buffer.allocUnsafe(Math.max(length, 4096));
  let done = 0;
  while (done < length) {
    const n = readSync(file.fd, scratch, done, length - done, offset + done);
    if (n === 0) throw shrankError(file.path, sizeNow(file), BigInt(offset + done));
    done += n;
  }
  return scratch.subarray(0, length);
}

/** Whether the file holds the first `length` bytes of `bytes` at `offset`, read with pread in pieces of at most {@link RUN_MAX} bytes. */
function holds(file: FileRef, offset: number, bytes: Uint8Array, length: number): boolean {
  for (let at = 0; at < length; at += RUN_MAX) {
    const n = Math.min(RUN_MAX, length - at);
    if (!equalBytes(preadFully(file, offset + at, n), bytes.subarray(at, at + n))) return false;
  }
  return true;
}

/** pwrite(2) of `length` bytes at `offset`, whole. */
function pwriteFully(file: FileRef, bytes: Uint8Array, length: number, offset: number): void {
  let done = 0;
  while (done < length) {
    try {
      done += writeSync(file.fd, bytes, done, length - done, offset + done);
    } catch (err) {
      throw fsError(err, `cannot write at offset ${formatOffset(BigInt(offset + done))}`);
    }
  }
}

/** Bytes per read(2) window of a pseudo-filesystem file: the one buffer such a read uses. */
const STREAM_WINDOW = 1024 * 1024;

/**
 * The windows of what a read command reads (`span`, from {@link readSpan}): read-only maps through
 * {@link windows} for files and devices; read(2) for a pseudo-filesystem file (procfs, sysfs...:
 * `file.pseudo`), whose bytes exist only when a read makes them (its fstat size is 0 or 4096 and a
 * map of it shows nothing or fails). Such a file is read from its start, in order (seq_file
 * semantics), into one reused buffer of {@link STREAM_WINDOW} bytes: memory stays bounded, and a
 * window is valid until the next one. The bytes before `span.offset` are read and dropped.
 *
 * Standard input that is no file to map (`file.stream`: a pipe, a socket...) is read the same way,
 * with two differences: a read that finds no data yet waits for it (poll(2): a slow producer, a
 * non-blocking descriptor), and each window is what one read(2) gave (a slow producer's bytes go
 * on as they come, not when a MiB has gathered).
 *
 * Where a pseudo file ends is found here: an offset past it is an error (exit 2), and so is a
 * `span.length` past it, unless `upTo` (hexdump -n, like its peers, stops at the end). The error
 * comes before the window where the end was found: only a file longer than a window has given
 * windows before it (as a file cut while being read would). With `clamp` (hexdump -s, like its
 * peers), an offset past the end is no error: nothing is yielded and `clamp` is told the end.
 * @throws InputError for those ends; OperationError for a failed read (EAGAIN from a pseudo file:
 *   one that waits for data, such as a trace pipe, is refused rather than waited on).
 */
export function* readWindows(
  file: OpenFile,
  span: ReadSpan,
  options: { windowSize?: number; upTo?: boolean; clamp?: (end: bigint) => void } = {},
): Generator<Window, void, undefined> {
  if (!readsInOrder(file)) {
    yield* windows(file, {
      offset: span.offset,
      ...(span.length !== undefined && { length: span.length }),
      ...(options.windowSize !== undefined && { windowSize: options.windowSize }),
    });
    return;
  }
  const end = span.length === undefined ? undefined : span.offset + span.length;
  // A Uint8Array, not a Buffer, as the maps' views are: its slice() copies (a Buffer's would not,
  // and a consumer that keeps a slice, as the search's carry does, would see the next window).
  const buf = new Uint8Array(STREAM_WINDOW);
  const intact = (): void => {};
  const stream = file.stream !== undefined;
  let pos = 0n;
  let eof = false;
  while (!eof && (end === undefined || pos < end)) {
    // While skipping, stop at the offset; then at the end of the span.
    const limit = pos < span.offset ? span.offset : end;
    const want = limit === undefined || limit - pos > BigInt(buf.length) ? buf.length : Number(limit - pos);
    let n = 0;
    while (n < want) {
      let k: number;
      try {
        k = readSync(file.fd, buf, n, want - n, null);
      } catch (err) {
        if (stream && (err as NodeJS.ErrnoException).code === 'EAGAIN') {
          waitReadable(file.fd);
          continue;
        }
        const e = fsError(err, `read at ${formatOffset(pos + BigInt(n))}`);
        if (e.code === 'EAGAIN') throw new OperationError(`${e.message}: the file waits for data, it has no end to read to`, e.code, { cause: err });
        throw e;
      }
      if (k === 0) {
        eof = true;
        break;
      }
      n += k;
      if (stream && pos >= span.offset) break; // what came goes on now
    }
    if (eof && options.clamp !== undefined && pos + BigInt(n) < span.offset) {
      options.clamp(pos + BigInt(n));
      return;
    }
    // An end found before the range's fails before this window goes out: a file smaller than a
    // window gives nothing to a command whose range it cannot fill.
    if (eof) endCheck(span, end, pos + BigInt(n), options.upTo, stream);
    if (pos >= span.offset && n > 0) yield { offset: pos, bytes: buf.subarray(0, n), assertIntact: intact };
    pos += BigInt(n);
  }
}

/** Fails if a pseudo file that ended at `eof` did not reach `span`'s offset, or (unless `upTo`) its end. */
function endCheck(span: ReadSpan, end: bigint | undefined, eof: bigint, upTo = false, stdin = false): void {
  const what = stdin ? 'standard input' : 'the file';
  const at = `${stdin ? 'it' : 'the file'} ended at ${formatOffset(eof)} when read`;
  if (eof < span.offset) throw new InputError(`offset ${formatOffset(span.offset)} is past the end of ${what} (${at})`);
  if (end !== undefined && eof < end && !upTo) {
    throw new InputError(`the range ${formatOffset(span.offset)}..${formatOffset(end)} ends past the end of ${what} (${at})`);
  }
}

/** Files smaller than this are hashed from one pread, not through a map (see {@link hashSmallFile}). */
const SMALL_FILE = 1024 * 1024;
let smallFile: Buffer | undefined;
let smallResult: Buffer | undefined;

/**
 * {@link hashPass} of a file smaller than {@link SMALL_FILE} whose result is smaller too: the file
 * read whole with {@link readSmallFile}, the result built beside it (the file's bytes up to the
 * final size, zeros past the current end, the hunks' new bytes in place), each hashed in one call
 * (no map, no view, no hash object per file). Undefined where that does not apply.
 */
function hashSmallFile(file: FileRef, size: bigint, result: ResultImage | undefined, want: { before: boolean; after: boolean }): Hashes | undefined {
  const after = want.after && result !== undefined;
  if (!(want.before || after) || (after && result.sizeAfter >= BigInt(SMALL_FILE))) return undefined;
  const bytes = readSmallFile(file, size);
  if (bytes === undefined) return undefined;
  const out: Hashes = {};
  if (want.before) out.before = hash('sha256', bytes, 'hex');
  if (after) {
    const n = Number(result.sizeAfter);
    smallResult ??= Buffer.allocUnsafe(SMALL_FILE);
    const image = smallResult.subarray(0, n);
    const kept = bytes.copy(image, 0, 0, Math.min(bytes.length, n));
    image.fill(0, kept);
    for (const h of result.hunks) {
      // Hunks lie inside the final size (the planner makes sure); a part past it would be cut off.
      if (h.offset < result.sizeAfter) image.set(h.new.subarray(0, Math.min(h.new.length, n - Number(h.offset))), Number(h.offset));
    }
    out.after = hash('sha256', image, 'hex');
  }
  return out;
}

/**
 * The whole file, `size` bytes, read with pread into a buffer kept for the process (valid until
 * the next call), when it is smaller than {@link SMALL_FILE}: a patch over 1,000 small files then
 * costs no map, unmap and garbage collection of a view per file. A read that ends early means the
 * file shrank: ERR_TRUNCATED, as a window would say. Undefined for larger files, and for a file
 * that has grown since `size` was seen (the windows then take it as it is now).
 */
function readSmallFile(file: FileRef, size: bigint): Buffer | undefined {
  if (size >= BigInt(SMALL_FILE)) return undefined;
  const n = Number(size);
  // One byte more than expected: a file that grew says so.
  smallFile ??= Buffer.allocUnsafe(SMALL_FILE + 1);
  const buf = smallFile.subarray(0, n + 1);
  let done = 0;
  while (done < buf.length) {
    const k = readSync(file.fd, buf, done, buf.length - done, done);
    if (k === 0) break;
    done += k;
  }
  if (done < n) throw shrankError(file.path, sizeNow(file), BigInt(done), 'end');
  return done > n ? undefined : buf.subarray(0, n);
}

/** SHA-256 of the file as it is (`before`) and as the plan would leave it (`after`), lowercase hex. */
export interface Hashes {
  before?: string;
  after?: string;
}

/** The file as a patch would leave it: its final size, and the bytes written (sorted, disjoint). */
export interface ResultImage {
  readonly sizeAfter: bigint;
  readonly hunks: readonly { readonly offset: bigint; readonly new: Uint8Array }[];
}

/** The result image of a plan: its `apply` hunks over the file, at its final size. */
export function resultImage(plan: Plan): ResultImage {
  return { sizeAfter: plan.sizeAfter, hunks: plan.hunks.filter((h) => h.state === 'apply') };
}

/**
 * The SHA-256 of a patch's result, fed the file's current bytes window by window, in order and
 * without gaps: the bytes between the result's hunks go in as they are and the hunks' new bytes
 * in their place (no copy: the hash takes the pieces in turn); nothing past the final size; and,
 * when the file grows, zeros past its current end under the hunks ({@link digest} adds them).
 */
export class ResultHasher {
  readonly #hash = createHash('sha256');
  readonly #apply: ResultImage['hunks'];
  readonly #size: bigint;
  readonly #sizeAfter: bigint;
  #k = 0;
  /** Next byte of the result to hash. */
  #pos = 0n;

  /** `size`: the file's size now (the windows cover [0, size)). */
  constructor(result: ResultImage, size: bigint) {
    this.#apply = result.hunks;
    this.#size = size;
    this.#sizeAfter = result.sizeAfter;
  }

  /** `bytes` are the current contents of [from, from + length). */
  update(bytes: Uint8Array, from: bigint): void {
    const h = this.#hash;
    const apply = this.#apply;
    const end0 = from + BigInt(bytes.length);
    const end = end0 < this.#sizeAfter ? end0 : this.#sizeAfter;
    let pos = this.#pos;
    let k = this.#k;
    while (pos < end) {
      while (k < apply.length && apply[k]!.offset + BigInt(apply[k]!.new.length) <= pos) k++;
      const hk = apply[k];
      if (hk === undefined || hk.offset >= end) {
        h.update(bytes.subarray(Number(pos - from), Number(end - from)));
        pos = end;
      } else if (hk.offset > pos) {
        h.update(bytes.subarray(Number(pos - from), Number(hk.offset - from)));
        pos = hk.offset;
      } else {
        const hEnd = hk.offset + BigInt(hk.new.length);
        const stop = hEnd < end ? hEnd : end;
        h.update(hk.new.subarray(Number(pos - hk.offset), Number(stop - hk.offset)));
        pos = stop;
      }
    }
    this.#pos = pos;
    this.#k = k;
  }

  /** Lowercase hex, once every window was given: the growth (zeros under the hunks) is added here. */
  digest(): string {
    if (this.#sizeAfter > this.#size) {
      const zeros = new Uint8Array(1024 * 1024);
      for (let at = this.#size; at < this.#sizeAfter; at += BigInt(zeros.length)) {
        const n = this.#sizeAfter - at < BigInt(zeros.length) ? Number(this.#sizeAfter - at) : zeros.length;
        this.update(zeros.subarray(0, n), at);
      }
    }
    return this.#hash.digest('hex');
  }
}

/**
 * Hashes the file and/or the `result` image in one pass over read-only windows: each window is
 * read once, `before` takes it whole and `after` through a {@link ResultHasher}. A small file and
 * its result are hashed whole instead (see {@link hashSmallFile}). `hooks.stop` is asked before
 * each window; when it says so, the pass ends with an error. `hooks.progress` is told the bytes
 * of the file hashed so far after each window.
 */
export function hashPass(
  file: FileRef,
  size: bigint,
  result: ResultImage | undefined,
  want: { before: boolean; after: boolean },
  hooks: { stop?: () => boolean; progress?: (done: bigint) => void /** Through windows even when small (tests both ways). */; windows?: boolean } = {},
): Hashes {
  const { stop, progress } = hooks;
  const small = hooks.windows ? undefined : hashSmallFile(file, size, result, want);
  if (small !== undefined) {
    progress?.(size);
    return small;
  }
  const before = want.before ? createHash('sha256') : undefined;
  const after = want.after && result ? new ResultHasher(result, size) : undefined;
  if (before || after) {
    for (const w of windows(file, { windowSize: 16 * 1024 * 1024 })) {
      if (stop?.()) throw new Error('the hash was stopped');
      before?.update(w.bytes as Uint8Array);
      after?.update(w.bytes as Uint8Array, w.offset);
      progress?.(w.offset + BigInt(w.bytes.length));
    }
  }
  const out: Hashes = {};
  if (before) out.before = before.digest('hex');
  if (after) out.after = after.digest();
  return out;
}
