// Journaled in-place overwrites of a range whose new bytes are computed window by window: the
// engine under `fill`, `copy`, `move` and `transform` (src/edit/rangeops.ts). A caller gives the
// range and a {@link WindowProducer}; this module does what `patch` does for its hunks, through
// patch's own machinery (the same journal, the same commit: see patch.ts's `Pending` and `commit`,
// which call back into {@link writeWindows} instead of writing hunks):
//
// 1. open and lock the file, refuse while a journal exists, resolve the range under the lock;
// 2. the survey: every window of the range read once (read-only shared maps, or private
//    copy-on-write maps for a dry run), the guards checked (`expect` bytes, the range's sha256),
//    the producer run, and the window compared with what it made. Windows that would not change
//    are left out of everything after; a range that would not change at all is `already`. With a
//    journal, the survey IS the journal's writer: the originals of each window that will change
//    (from its first changed byte to its last) go into the journal as the survey reads them (a
//    window at a time, never the whole range). Without a journal, a guard, a dry run or a hash
//    there is no survey: the write pass finds what changes as it goes;
// 3. only with `hash` or an expected result hash: one pass over the whole file for its sha256 and
//    the result's (the range's new bytes produced again, nothing written);
// 4. patch's commit: the journal made durable; the changing windows written through shared maps of
//    only their pages, in the producer's order (ascending or descending, so that a memmove-style
//    copy reads each source before it is overwritten), each window's write-back started; one
//    fdatasync; the file checked to be as long and at its path; the journal removed. A failure
//    after the journal rolls the file back from it (or says to run recover). With `sync: false`
//    no write-back is started or waited for: the journal still goes only after every window is
//    written (safe from the process dying), but not after the bytes reached the disk.
//
// Memory: one window of the file mapped at a time plus one output buffer of a window, whatever the
// size of the range. The producer must be a function of the ORIGINAL file: it may read other parts
// of the file (a copy's source), and its order makes sure those are still the originals when read.
import { describeValue } from '../format/quote.js';
import { createHash } from 'node:crypto';
import { closeSync } from 'node:fs';
import { ChangedUnderfoot, GuardError, InputError, MmapxError } from '../errors.js';
import { formatHex } from '../format/data.js';
import { formatOffset } from '../format/number.js';
import type { Plan } from '../format/patch/index.js';
import { MmapOptions, pageSize, windows } from '../mmap/index.js';
import { shrankWhileWriting } from '../mmap/truncation.js';
import { knownSize, type OpenFile, openFile, openFileAsync, shrankSinceOpen } from './files.js';
import { createJournal, discardJournal, type JournalFile, journalPath, type JournalRecord, refuseIfJournal } from './journal.js';
import { assertNotShrunk, equalBytes, sizeNow, type WriteReport } from './mapped.js';
import { commit, Pending, timerFor } from './patch.js';
import { type EditContext, NO_PROGRESS } from './seams.js';
import { now, Timer } from './timing.js';
import { QUOTED_BYTES } from './write.js';

/** Bytes of the range handled per window (a multiple of every unit a producer may ask for). */
export const OVERWRITE_WINDOW = 8 * 1024 * 1024;

/**
 * Makes the new bytes of a range, window by window. `produce(phase, current, out)` fills `out`
 * (as long as `current`) with the new bytes of the window that starts `phase` bytes into the range;
 * `current` holds the bytes there now (a view valid during the call only; never write to it).
 * It must give the same bytes for the same window whenever it is called (the survey, the hash pass
 * and the write each call it), computed from the file as it was before the overwrite.
 */
export interface WindowProducer {
  /**
   * The order the windows are written in (default ascending): a copy to a higher offset of the same
   * file goes descending, so that each source window is read before a write overwrites it.
   */
  readonly order?: 'ascending' | 'descending';
  produce(phase: number, current: Uint8Array, out: Uint8Array): void;
}

/** What an operation overwrites, decided under the lock with the file open: the range and its producer. */
export interface OverwritePlan {
  readonly offset: bigint;
  readonly length: bigint;
  readonly producer: WindowProducer;
  /** Releases what the producer holds (a source file), whatever happened. */
  readonly close?: () => void;
}

/** Options of every range overwrite (fill, copy, move, transform). */
export interface OverwriteOptions extends EditContext {
  /** Survey only, through private copy-on-write maps: the file is not opened for writing. */
  dryRun?: boolean;
  /** Keep an undo journal beside the file while it is written (default true; see `recover`). */
  journal?: boolean;
  /**
   * Wait for the written windows to reach the disk before returning (default true). `false`
   * leaves write-back to the kernel, as `write --no-sync` does: the edit is in the page cache,
   * safe from the process dying (the journal, if any, still goes only after every window is
   * written), but a power loss soon after may lose part of it with no journal left to undo it.
   */
  sync?: boolean;
  /** Compute the sha256 of the whole file before and after (one more read of the whole file). */
  hash?: boolean;
  /** The bytes the range must hold now (as long as the range), or nothing is written. */
  expect?: Uint8Array;
  /** The sha256 (64 hex digits) the range's current bytes must have, or nothing is written. */
  expectSha256?: string;
  /** Refuse unless the whole file would have this sha256 afterwards (64 hex digits). */
  expectResultSha256?: string;
  /** Throw a failed guard as an {@link OverwriteGuardError} instead of returning it. */
  throwOnFailure?: boolean;
  /** Bytes per window, a multiple of 8 (default {@link OVERWRITE_WINDOW}); small ones exercise many windows in tests. */
  windowSize?: number;
}

/** The first bytes that change: where, and their old and new values (up to {@link QUOTED_BYTES}). */
export interface OverwriteChange {
  readonly offset: bigint;
  readonly old: Uint8Array;
  readonly new: Uint8Array;
}

/** What a range overwrite did. */
export interface OverwriteOutcome {
  /** `failed`: a guard failed (see `failure`), nothing written. */
  readonly status: 'applied' | 'already' | 'dry-run' | 'failed';
  readonly path: string;
  /** The operation, for reports (`fill 00ff`, `copy 0x0:16 -> 0x100`, `xor 5a`). */
  readonly op: string;
  /** The destination range, resolved. */
  readonly offset: bigint;
  readonly length: bigint;
  readonly size: bigint;
  readonly dryRun: boolean;
  /** Bytes of the range that differ (would differ, for a dry run) from the result. */
  readonly bytesChanged: number;
  /** The first changed bytes (read back from the private map in a dry run); null when nothing changes. */
  readonly change: OverwriteChange | null;
  /** Whole-file digests, computed only when asked (`hash`, an expected result hash). */
  readonly sha256: { readonly before: string | null; readonly after: string | null } | null;
  /** Bytes of the windows written (whole windows that change), 0 unless applied. */
  readonly bytesWritten: number;
  readonly windows: number;
  /** Bytes handed to write-back (whole pages). */
  readonly synced: number;
  readonly journal: { readonly path: string; readonly records: number; readonly bytes: number } | null;
  /** For `failed`: which guard, and a one-line reason. */
  readonly failure: {
    readonly guard: 'expect' | 'sha256' | 'result-sha256';
    readonly message: string;
    readonly offset?: bigint;
    readonly expected?: Uint8Array;
    readonly found?: Uint8Array;
  } | null;
  readonly timings: Readonly<Record<string, number>>;
}

/** A guard of a range overwrite failed (thrown only with `throwOnFailure`); nothing was written. */
export class OverwriteGuardError extends GuardError {
  readonly outcome: OverwriteOutcome;
  constructor(outcome: OverwriteOutcome) {
    super(`nothing written: ${outcome.failure?.message ?? 'a guard failed'}`, {
      path: outcome.path,
      ...(outcome.failure?.offset !== undefined && { offset: outcome.failure.offset }),
    });
    this.outcome = outcome;
  }
}

const SHA256 = /^[0-9a-fA-F]{64}$/;

function checkSha(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (!SHA256.test(value)) throw new InputError(`${what} must be 64 hex digits of SHA-256, not ${JSON.stringify(value.slice(0, 80))}`);
  return value.toLowerCase();
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Bytes where `a` and `b` (same length) differ: memcmp per block; in blocks that differ, 32-bit words (SWAR). */
export function countChanged(a: Uint8Array, b: Uint8Array): number {
  const x = asBuffer(a);
  const y = asBuffer(b);
  const BLOCK = 64 * 1024;
  let n = 0;
  for (let p = 0; p < x.length; p += BLOCK) {
    const e = Math.min(x.length, p + BLOCK);
    if (x.compare(y, p, e, p, e) === 0) continue;
    n += countSpan(x, y, p, e);
  }
  return n;
}

/** Differing bytes of [p, e) of two buffers: a word at a time where both are 4-aligned alike. */
function countSpan(x: Uint8Array, y: Uint8Array, p: number, e: number): number {
  let n = 0;
  let i = p;
  if ((x.byteOffset - y.byteOffset) % 4 === 0) {
    while (i < e && (x.byteOffset + i) % 4 !== 0) if (x[i] !== y[i++]) n++;
    const words = (e - i) >>> 2;
    // Int32 words: their xor stays a small integer for the optimizer (Uint32 values past 2^31
    // are not), about 1.3x faster; no branch on equal words (Buffer.compare skipped equal blocks).
    const xw = new Int32Array(x.buffer, x.byteOffset + i, words);
    const yw = new Int32Array(y.buffer, y.byteOffset + i, words);
    for (let k = 0; k < words; k++) {
      let d = xw[k]! ^ yw[k]!;
      // One bit per byte that is not zero, then their sum.
      d |= d >>> 4;
      d |= d >>> 2;
      d |= d >>> 1;
      d &= 0x01010101;
      n = (n + (Math.imul(d, 0x01010101) >>> 24)) | 0;
    }
    i += words * 4;
  }
  for (; i < e; i++) if (x[i] !== y[i]) n++;
  return n;
}

/** The first index where `a` and `b` differ (they do). */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  let lo = 0;
  const x = asBuffer(a);
  const y = asBuffer(b);
  // Narrow by halves with memcmp, then step.
  let hi = x.length;
  while (hi - lo > 64) {
    const mid = lo + ((hi - lo) >> 1);
    if (x.compare(y, lo, mid, lo, mid) !== 0) hi = mid;
    else lo = mid;
  }
  while (lo < hi && x[lo] === y[lo]) lo++;
  return lo;
}

/** One past the last index where `a` and `b` differ (they do). */
function lastDiff(a: Uint8Array, b: Uint8Array): number {
  const x = asBuffer(a);
  const y = asBuffer(b);
  let lo = 0;
  let hi = x.length;
  while (hi - lo > 64) {
    const mid = lo + ((hi - lo) >> 1);
    if (x.compare(y, mid, hi, mid, hi) !== 0) lo = mid;
    else hi = mid;
  }
  while (hi > lo && x[hi - 1] === y[hi - 1]) hi--;
  return hi;
}

/** The windows of a range of `length` bytes: [phase, n] pairs, in the order given. */
function windowList(length: bigint, win: number, order: 'ascending' | 'descending' = 'ascending'): { phase: number; n: number }[] {
  const out: { phase: number; n: number }[] = [];
  const len = Number(length);
  for (let p = 0; p < len; p += win) out.push({ phase: p, n: Math.min(win, len - p) });
  if (order === 'descending') out.reverse();
  return out;
}

/** What the survey found. */
interface Survey {
  /** Bytes per window. */
  readonly win: number;
  changed: number;
  /** Per window (by index, phase / win): 1 when it changes. */
  readonly changes: Uint8Array;
  change: OverwriteChange | null;
  failure: OverwriteOutcome['failure'];
  rangeSha: string | undefined;
}

/**
 * One pass over the range (see the module comment, step 2). As a generator it yields the journal's
 * records: the original bytes of each window that changes, as a view into the current map (the
 * journal copies them at once). A guard that fails ends it early (`survey.failure`).
 */
function* surveyRange(
  file: OpenFile,
  plan: OverwritePlan,
  out: Uint8Array,
  survey: Survey | undefined,
  opts: { dryRun: boolean; expect: Uint8Array | undefined; sha: boolean },
): Generator<JournalRecord> {
  if (survey === undefined) return;
  const hash = opts.sha ? createHash('sha256') : undefined;
  for (const { phase, n } of windowList(plan.length, survey.win)) {
    const at = plan.offset + BigInt(phase);
    const o = new MmapOptions().offset(at).len(n).populate();
    const map = opts.dryRun ? o.mapCopy(file) : o.map(file);
    try {
      const view = map.bytes as Uint8Array;
      if (opts.expect) {
        const want = opts.expect.subarray(phase, phase + n);
        if (!equalBytes(view, want)) {
          map.assertIntact('read');
          const i = firstDiff(view, want);
          const where = at + BigInt(i);
          const found = Uint8Array.from(view.subarray(i, i + 16));
          const expected = Uint8Array.from(want.subarray(i, i + 16));
          survey.failure = {
            guard: 'expect',
            message: `bytes at ${formatOffset(where)} are ${formatHex(found)}, expected ${formatHex(expected)}`,
            offset: where,
            expected,
            found,
          };
          return;
        }
      }
      hash?.update(view);
      const dst = out.subarray(0, n);
      plan.producer.produce(phase, view, dst);
      if (!equalBytes(view, dst)) {
        survey.changes[phase / survey.win] = 1;
        survey.changed += countChanged(view, dst);
        if (survey.change === null) {
          const i = firstDiff(view, dst);
          const old = Uint8Array.from(view.subarray(i, i + QUOTED_BYTES));
          // A dry run writes the private map and quotes what reads back from it.
          if (opts.dryRun) (map.bytes as Uint8Array).set(dst);
          survey.change = { offset: at + BigInt(i), old, new: Uint8Array.from((opts.dryRun ? view : dst).subarray(i, i + QUOTED_BYTES)) };
        }
        // The journal keeps the window's bytes from its first change to its last (the write
        // rewrites the rest with the bytes it holds).
        if (!opts.dryRun) {
          const from = firstDiff(view, dst);
          yield { offset: at + BigInt(from), bytes: view.subarray(from, lastDiff(view, dst)) };
        }
      }
      map.assertIntact('read');
    } finally {
      map.unmap();
    }
  }
  if (hash) survey.rangeSha = hash.digest('hex');
}

/** The sha256 of the whole file and of the file the overwrite would leave, in one pass. */
function hashBoth(file: OpenFile, size: bigint, plan: OverwritePlan, out: Uint8Array, win: number): { before: string; after: string } {
  const before = createHash('sha256');
  const after = createHash('sha256');
  const plain = (offset: bigint, length: bigint): void => {
    if (length === 0n) return;
    for (const w of windows(file, { offset, length, windowSize: 16 * 1024 * 1024 })) {
      before.update(w.bytes as Uint8Array);
      after.update(w.bytes as Uint8Array);
      w.assertIntact();
    }
  };
  plain(0n, plan.offset);
  for (const { phase, n } of windowList(plan.length, win)) {
    const map = new MmapOptions()
      .offset(plan.offset + BigInt(phase))
      .len(n)
      .populate()
      .map(file);
    try {
      const view = map.bytes as Uint8Array;
      const dst = out.subarray(0, n);
      plan.producer.produce(phase, view, dst);
      before.update(view);
      after.update(dst);
      map.assertIntact('read');
    } finally {
      map.unmap();
    }
  }
  const end = plan.offset + plan.length;
  plain(end, size - end);
  return { before: before.digest('hex'), after: after.digest('hex') };
}

/**
 * The write of the changing windows (step 4), called by patch's commit between the journal's sync
 * and the fdatasync: each window mapped shared, its new bytes produced from what it holds now (the
 * originals: the producer's order keeps a copy's sources unwritten until read), written, checked
 * against truncation, its write-back started. A window that now differs where the survey found it
 * unchanged is not in the journal: the file changed underfoot, and the commit rolls back.
 */
function writeWindows(
  file: OpenFile,
  plan: OverwritePlan,
  survey: Survey,
  out: Uint8Array,
  mode: 'surveyed' | 'direct',
  progress: EditContext['progress'],
  sync: boolean,
): WriteReport {
  const report: WriteReport = { windows: 0, bytes: 0, synced: 0, syncMs: 0 };
  const sink = progress ?? NO_PROGRESS;
  sink.phase(`write ${file.path}`, plan.length);
  let done = 0;
  for (const { phase, n } of windowList(plan.length, survey.win, plan.producer.order)) {
    const marked = survey.changes[phase / survey.win] === 1;
    if (!marked && mode === 'surveyed') continue;
    const at = plan.offset + BigInt(phase);
    const end = at + BigInt(n);
    const map = new MmapOptions().offset(at).len(n).mapMut(file);
    // One madvise makes every page of the window present and writable: a window written byte for
    // byte otherwise takes a write fault per page (2048 for 8 MiB). Older kernels lack it: then
    // the pages fault in as they are written.
    try {
      map.advise('populate_write');
    } catch {
      // a hint only
    }
    try {
      const view = map.bytes as Uint8Array;
      const dst = out.subarray(0, n);
      plan.producer.produce(phase, view, dst);
      if (equalBytes(view, dst)) {
        map.assertIntact('read');
        continue;
      }
      if (mode === 'direct') {
        // No survey ran: what it would have found is found here, before the window is written.
        survey.changed += countChanged(view, dst);
        if (survey.change === null) {
          const i = firstDiff(view, dst);
          survey.change = {
            offset: at + BigInt(i),
            old: Uint8Array.from(view.subarray(i, i + QUOTED_BYTES)),
            new: Uint8Array.from(dst.subarray(i, i + QUOTED_BYTES)),
          };
        }
      } else if (!marked) throw new ChangedUnderfoot(at + BigInt(firstDiff(view, dst)), file.path);
      asBuffer(dst).copy(view);
      // Writes to pages past a new end went to throw-away pages: fail before the flush.
      map.assertIntact('written');
      const size = sizeNow(file);
      if (size < end) throw shrankWhileWriting(file.path, size, end);
      if (sync) {
        const t = now();
        report.synced += map.flushAsyncRange(0, n).length;
        report.syncMs += now() - t;
      }
      report.bytes += n;
      report.windows++;
    } finally {
      map.unmap();
    }
    done += n;
    sink.update(done);
  }
  return report;
}

/** Sets the path of an engine error that names none. */
function placed(err: unknown, path: string): unknown {
  if (err instanceof MmapxError && err.path === undefined) err.path = path;
  return err;
}

/**
 * Overwrites a range of the file at `path` with bytes made window by window (see the module
 * comment): guarded, idempotent (`already` when the range holds the result), all or nothing with
 * the undo journal, a dry run on private maps. `make` is called under the lock with the open file
 * and its size, and returns the range and its producer (it throws InputError for a range that does
 * not fit: nothing is written).
 *
 * @throws InputError (bad options, a range that does not fit); OperationError (open, lock, a journal
 *   of an interrupted patch, a write rolled back); MmapError ERR_TRUNCATED (the file was cut).
 */
export async function overwriteRange(
  path: string,
  op: string,
  make: (file: OpenFile, size: bigint) => OverwritePlan,
  options: OverwriteOptions = {},
): Promise<OverwriteOutcome> {
  // The CLI's own Timer takes the shared phases of the commit too (a wrapped clock only hears laps).
  const timer = options.clock instanceof Timer ? options.clock : timerFor(options);
  const expectSha = checkSha(options.expectSha256, 'expectSha256');
  const expectResult = checkSha(options.expectResultSha256, 'expectResultSha256');
  const dryRun = options.dryRun === true;
  const win = options.windowSize ?? OVERWRITE_WINDOW;
  if (!Number.isSafeInteger(win) || win < 8 || win % 8 !== 0) throw new InputError(`windowSize ${describeValue(win)} is not a positive multiple of 8`);
  const useJournal = options.journal !== false;
  const jpath = journalPath(path);
  const how = { write: !dryRun, force: options.force === true, lockWait: options.lockWait };
  let file: OpenFile;
  try {
    file = options.blocking ? openFile(path, how) : await openFileAsync(path, { ...how, ...(options.signal && { signal: options.signal }) });
  } catch (err) {
    throw placed(err, path);
  }
  timer.lap('open');
  let pending: Pending<OverwriteOutcome> | undefined;
  let plan: OverwritePlan | undefined;
  let journal: JournalFile | undefined;
  try {
    refuseIfJournal(path, jpath);
    pageSize();
    timer.lap('ffi');
    const size = knownSize(file);
    plan = make(file, size);
    if (options.expect !== undefined && BigInt(options.expect.length) !== plan.length) {
      throw new InputError(`the guard has ${options.expect.length} bytes but the range has ${plan.length}: they must cover the same bytes`);
    }
    const out = Buffer.allocUnsafe(Math.min(win, Number(plan.length)));
    const survey: Survey = { win, changed: 0, changes: new Uint8Array(Math.ceil(Number(plan.length) / win)), change: null, failure: null, rangeSha: undefined };
    const base = { path, op, offset: plan.offset, length: plan.length, size, dryRun };
    const none = { bytesWritten: 0, windows: 0, synced: 0, journal: null };
    const surveyOpts = { dryRun, expect: options.expect, sha: expectSha !== undefined };
    // Without a journal, a guard, a dry run or a hash, nothing needs the survey before the first
    // write: one pass produces, compares, counts and writes (a failure midway leaves the file
    // partly written, as any write without a journal does).
    const direct = !useJournal && !dryRun && options.expect === undefined && expectSha === undefined && !options.hash && expectResult === undefined;
    const records = surveyRange(file, plan, out, direct ? undefined : survey, surveyOpts);
    // The journal is made when the survey finds the first window that changes: a range that holds
    // the result already (or whose guard fails before any change) never creates one.
    const first = records.next();
    if (useJournal && !dryRun && !first.done) {
      options.signal?.throwIfAborted();
      const all = function* (): Generator<JournalRecord> {
        yield first.value;
        yield* records;
      };
      try {
        journal = createJournal(jpath, { dev: file.stat.dev, ino: file.stat.ino, sizeBefore: size, sizeAfter: size }, all());
      } catch (err) {
        // The journal's bytes are read from the map: a file cut meanwhile fails their write (EFAULT), which is the file's doing.
        assertNotShrunk(file, size, 'read');
        throw err;
      }
    } else {
      for (const _ of records);
    }
    // Guards, "already" and the journal's bytes were judged from what was read: not from zeros.
    assertNotShrunk(file, size, 'read');
    timer.lap(journal ? 'journal' : 'plan');
    const drop = (): void => {
      if (!journal) return;
      closeSync(journal.fd);
      discardJournal(jpath);
      journal = undefined;
    };
    if (survey.failure === null && expectSha !== undefined && survey.rangeSha !== expectSha) {
      survey.failure = {
        guard: 'sha256',
        message: `the range ${formatOffset(plan.offset)}:${plan.length} has sha256 ${survey.rangeSha}, expected ${expectSha}`,
      };
    }
    const failed = (failure: NonNullable<OverwriteOutcome['failure']>, sha256: OverwriteOutcome['sha256']): OverwriteOutcome => {
      drop();
      const outcome: OverwriteOutcome = { status: 'failed', ...base, bytesChanged: 0, change: null, sha256, ...none, failure, timings: timer.json() };
      if (options.throwOnFailure) throw new OverwriteGuardError(outcome);
      return outcome;
    };
    if (survey.failure) return failed(survey.failure, null);
    let sha256: OverwriteOutcome['sha256'] = null;
    if (options.hash || expectResult !== undefined) {
      sha256 = hashBoth(file, size, plan, out, win);
      timer.lap('hash');
      if (expectResult !== undefined && sha256.after !== expectResult) {
        return failed({ guard: 'result-sha256', message: `the file would have sha256 ${sha256.after}, expected ${expectResult}` }, sha256);
      }
    }
    if (survey.change === null && !direct) {
      drop();
      return { status: 'already', ...base, bytesChanged: 0, change: null, sha256, ...none, failure: null, timings: timer.json() };
    }
    if (dryRun) {
      timer.lap('apply-private');
      return { status: 'dry-run', ...base, bytesChanged: survey.changed, change: survey.change, sha256, ...none, failure: null, timings: timer.json() };
    }
    const p = plan;
    const j = journal;
    const sizes: Plan = { sizeBefore: size, sizeAfter: size, hunks: [], failures: [], state: 'apply', guards: {} };
    pending = new Pending<OverwriteOutcome>(
      path,
      file,
      timer,
      sizes,
      [],
      j?.bytes ?? 0,
      jpath,
      j,
      options.progress ?? NO_PROGRESS,
      (written) => ({
        // A direct pass (see above) finds "already" as it goes: no window needed writing.
        status: survey.change === null ? 'already' : 'applied',
        ...base,
        bytesChanged: survey.changed,
        change: survey.change,
        sha256,
        bytesWritten: written.bytes,
        windows: written.windows,
        synced: written.synced,
        journal: j ? { path: jpath, records: j.records, bytes: j.bytes } : null,
        failure: null,
        timings: timer.json(),
      }),
      () => writeWindows(file, p, survey, out, direct ? 'direct' : 'surveyed', options.progress, options.sync !== false),
      options.sync !== false,
    );
  } catch (err) {
    // Nothing was written yet: a journal made before the failure (the file cut after the survey,
    // a failed hash pass) goes again, or it would block every later command.
    if (journal && !pending) {
      closeSync(journal.fd);
      discardJournal(jpath);
    }
    throw placed(shrankSinceOpen(file, err, 'read'), path);
  } finally {
    if (!pending) {
      plan?.close?.();
      file.close();
    }
  }
  try {
    commit([pending]);
  } finally {
    plan.close?.();
  }
  return pending.later.take();
}
