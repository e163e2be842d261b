// Rolling back a patch that was interrupted (crash, kill, power loss) from the journal it left
// beside the file, then removing the journal: the engine of `mmapx recover` and the library's
// recover. An interrupted insert or delete (a shift journal, version 2: see shift.ts) is rolled
// forward instead: the shift is finished from the progress it recorded. See journal.ts for the format and the rules: an incomplete journal is only removed (its
// patch never wrote); a journal that is a symlink, has other names, belongs to someone else or to
// another file is refused; a file that another program cut below its size before the patch gets
// back the journal's bytes below its end and keeps its size, and the report says how much of the
// journal could not be restored.
import { optionsArg, pathArg } from './args.js';
import { lstatSync, type Stats } from 'node:fs';
import { MmapxError } from '../errors.js';
import { pageSize } from '../mmap/index.js';
import { fsError, type OpenFile, openFile, openFileAsync, shrankSinceOpen } from './files.js';
import { journalPath, rollBack } from './journal.js';
import { finishPatchShift, isPatchShiftJournal } from './patchshift.js';
import { finishShift, isShiftJournal } from './shift.js';
import type { EditContext } from './seams.js';
import { finishTransform, isTransformJournal } from './transform-run.js';
import { Timer } from './timing.js';

/** What {@link recover} found and did. */
export type RecoverReport = RecoverNothing | RecoverIncomplete | RecoverRestored | RecoverCompleted;

/** No journal: nothing to do. */
export interface RecoverNothing {
  readonly status: 'nothing';
  readonly path: string;
  readonly journal: null;
  /** `none`: there was no journal; `finished`: there was one, but the patch that wrote it finished while recover waited for its lock. */
  readonly reason: 'none' | 'finished';
  readonly timings: Readonly<Record<string, number>>;
}

/** An incomplete journal (its patch had not written anything): removed, the file unchanged. */
export interface RecoverIncomplete {
  readonly status: 'incomplete-removed';
  readonly path: string;
  readonly journal: string;
  /** Why the journal is incomplete (e.g. its trailer is missing). */
  readonly reason: string;
  readonly timings: Readonly<Record<string, number>>;
}

/**
 * The file restored from its journal, and the journal removed. `restored-cut`: another program had
 * cut the file below its size before the patch; what lies below that end was restored, the size
 * kept, and `dropped` is what could not be.
 */
export interface RecoverRestored {
  readonly status: 'restored' | 'restored-cut';
  readonly path: string;
  readonly journal: string;
  /** Ranges and bytes written back (each verified by reading it back). */
  readonly ranges: number;
  readonly bytes: number;
  /** The file's size found, and its size now. */
  readonly sizeFound: bigint;
  readonly size: bigint;
  /** The sizes the journal records: before and after the interrupted patch. */
  readonly sizeBefore: bigint;
  readonly sizeAfter: bigint;
  /** With `restored-cut`: the journal's records and bytes at or past the file's end, not restored. */
  readonly dropped?: { readonly records: number; readonly bytes: number };
  readonly timings: Readonly<Record<string, number>>;
}

/**
 * An interrupted insert or delete (a shift journal, version 2) rolled FORWARD: the shift finished
 * from the progress it recorded, the file synced, the journal removed. The file is now exactly
 * what the insert or delete gives.
 */
export interface RecoverCompleted {
  readonly status: 'completed';
  readonly path: string;
  readonly journal: string;
  /**
   * `patch`: a patch with inserts and deletes (journal version 3) whose shifts had begun;
   * `transform`: an interrupted transform (journal version 4, see transform-run.ts), finished the same way.
   */
  readonly kind: 'insert' | 'delete' | 'patch' | 'transform';
  /** Where the shift (the current stage of a patch; a transform: its range) was. */
  readonly offset: bigint;
  /** Bytes inserted or deleted (a transform: the range's length). */
  readonly length: bigint;
  /** The file's size found, and its size now (the shift's size after). */
  readonly sizeFound: bigint;
  readonly size: bigint;
  /** Tail bytes that were still to move (a transform: bytes of the range still to transform). */
  readonly remaining: bigint;
  /** Of a patch (`kind: 'patch'`): its shifts, and how many had finished. */
  readonly stages?: { readonly total: number; readonly finished: number };
  readonly timings: Readonly<Record<string, number>>;
}

/** Options of {@link recover}: the file's opening rules, the lock wait and its cancellation. */
export type RecoverOptions = EditContext;

/**
 * Rolls back the interrupted patch of the file at `path` from the journal beside it, and removes
 * the journal; a file without a journal is reported as `nothing`. Takes the file's exclusive lock
 * first (waiting with timers; `signal` stops the wait), so a patch still running is waited for,
 * not undone.
 *
 * @throws OperationError when the file cannot be opened or locked, or the journal must not be
 *   trusted (a symlink, other hard links, another owner, written for another file): then it is left
 *   in place; `MmapError` `ERR_TRUNCATED` when the file shrinks while it is restored.
 *
 * @example
 * const r = await recover('fw.bin');
 * if (r.status === 'restored') console.log(`${r.bytes} bytes restored`);
 */
export async function recover(path: string, options: RecoverOptions = {}): Promise<RecoverReport> {
  pathArg(path);
  optionsArg(options);
  return recoverFile(path, options, new Timer());
}

/** {@link recover} with the caller's timer (the CLI's, for its phases). */
export async function recoverFile(path: string, options: RecoverOptions, timer: Timer): Promise<RecoverReport> {
  const open = async (write: boolean): Promise<OpenFile> => {
    const how = { write, force: options.force === true, lockWait: options.lockWait };
    try {
      return options.blocking ? openFile(path, how) : await openFileAsync(path, { ...how, ...(options.signal && { signal: options.signal }) });
    } catch (err) {
      if (err instanceof MmapxError && err.path === undefined) err.path = path;
      throw err;
    }
  };
  const jpath = journalPath(path);
  let journal: Stats | undefined;
  try {
    journal = lstatSync(jpath, { throwIfNoEntry: false });
  } catch (err) {
    throw fsError(err, `cannot check for a journal at ${jpath}`);
  }
  if (journal === undefined) {
    // Still say whether the file itself is there: "nothing to recover" for a missing file would mislead.
    (await open(false)).close();
    return { status: 'nothing', path, journal: null, reason: 'none', timings: timer.json() };
  }
  const file = await open(true);
  timer.lap('open');
  try {
    // The lock waited for any mmapx still working on the file: a journal seen before it may have
    // been the one of a patch that has finished since.
    if (lstatSync(jpath, { throwIfNoEntry: false }) === undefined) {
      return { status: 'nothing', path, journal: null, reason: 'finished', timings: timer.json() };
    }
    pageSize(); // loads the FFI on first use, timed on its own
    timer.lap('ffi');
    if (isPatchShiftJournal(jpath)) {
      const f = finishPatchShift(jpath, file);
      timer.lap('finish');
      if (f.state === 'incomplete') return { status: 'incomplete-removed', path, journal: jpath, reason: f.reason, timings: timer.json() };
      if (f.state === 'restored') {
        return {
          status: 'restored',
          path,
          journal: jpath,
          ranges: f.records,
          bytes: f.bytes,
          sizeFound: f.sizeFound,
          size: f.size,
          sizeBefore: f.size,
          sizeAfter: f.sizeAfter,
          timings: timer.json(),
        };
      }
      return {
        status: 'completed',
        path,
        journal: jpath,
        kind: 'patch',
        offset: f.offset,
        length: f.length,
        sizeFound: f.sizeFound,
        size: f.sizeAfter,
        remaining: f.remaining,
        stages: { total: f.stages, finished: f.stage },
        timings: timer.json(),
      };
    }
    if (isTransformJournal(jpath)) {
      const f = finishTransform(jpath, file);
      timer.lap('finish');
      if (f.state === 'incomplete') return { status: 'incomplete-removed', path, journal: jpath, reason: f.reason, timings: timer.json() };
      return {
        status: 'completed',
        path,
        journal: jpath,
        kind: 'transform',
        offset: f.offset,
        length: f.length,
        sizeFound: f.sizeFound,
        size: f.sizeFound,
        remaining: f.remaining,
        timings: timer.json(),
      };
    }
    if (isShiftJournal(jpath)) {
      const f = finishShift(jpath, file);
      timer.lap('finish');
      if (f.state === 'incomplete') return { status: 'incomplete-removed', path, journal: jpath, reason: f.reason, timings: timer.json() };
      return {
        status: 'completed',
        path,
        journal: jpath,
        kind: f.kind,
        offset: f.offset,
        length: f.length,
        sizeFound: f.sizeFound,
        size: f.sizeAfter,
        remaining: f.remaining,
        timings: timer.json(),
      };
    }
    const r = rollBack(jpath, file);
    timer.lap('restore');
    if (r.state === 'incomplete') return { status: 'incomplete-removed', path, journal: jpath, reason: r.reason, timings: timer.json() };
    return {
      status: r.cut ? 'restored-cut' : 'restored',
      path,
      journal: jpath,
      ranges: r.ranges,
      bytes: r.bytes,
      sizeFound: r.sizeFound,
      size: r.cut ? r.size : r.header.sizeBefore,
      sizeBefore: r.header.sizeBefore,
      sizeAfter: r.header.sizeAfter,
      ...(r.cut && { dropped: { records: r.cut.records, bytes: r.cut.bytes } }),
      timings: timer.json(),
    };
  } catch (err) {
    throw shrankSinceOpen(file, err, 'written');
  } finally {
    file.close();
  }
}
