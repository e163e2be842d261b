// Several files patched in batches: each file prepared (planned, checked, journaled) as it comes,
// and every BATCH_FILES files (or BATCH_BYTES held) the batch committed at once, so that the
// journals' syncs and the files' fdatasyncs of many files overlap. The engine of `mmapx patch
// FILE...` and of the library's patchFiles; see patch.ts for the steps of one file.
import { PATCH_BOOLEANS, optionsArg, pathArg } from './args.js';
import { InputError, OperationError } from '../errors.js';
import { describeValue } from '../format/quote.js';
import { type Batching, Later } from './later.js';
import {
  abandon,
  commit,
  Pending,
  type PatchInput,
  type PatchJob,
  patchJob,
  type PatchOptions,
  type PatchOutcome,
  PatchGuardError,
  prepare,
  resolvePatchInput,
  timerFor,
} from './patch.js';
import { Timer } from './timing.js';

/**
 * Files a batch holds at most. Each holds two descriptors (the file, with its lock, and its journal
 * until the journal is synced): 256, below even the usual soft limit of 1024 (which Node raises
 * to the hard limit at start-up). The fixed costs of a batch (one journal commit to make the
 * journals durable, one to remove them, one fsync of each directory at each end) are then spread
 * over 128 files, and a kill leaves at most 128 journals for recover; larger batches would save
 * little more.
 */
export const BATCH_FILES = 128;
/**
 * Bytes the files of a batch may hold before it is committed: their hunks (old and new) in memory,
 * and their journals on disk (a journal of a shrinking patch holds the tail it cuts off), so that
 * a run never needs much more room for journals than a file at a time did.
 */
const BATCH_BYTES = 64 * 1024 * 1024;

/**
 * The pending files of a several-file patch. Each file is prepared as it comes (see `prepare`);
 * every {@link BATCH_FILES} files (or {@link BATCH_BYTES} held), and at {@link settle}, `commit`
 * makes the batch's journals durable together, writes every file, waits for all the writes, and
 * removes the journals. A file that is already in the batch (given twice, or a hard link) commits
 * the batch before its lock is taken: that lock would wait for the batch's own.
 */
export class PatchBatch implements Batching {
  readonly #job: PatchJob;
  readonly #files: Pending[] = [];
  readonly #inodes = new Set<string>();
  #bytes = 0;

  constructor(job: PatchJob) {
    this.#job = job;
  }

  /**
   * Prepares the file at `path`: its outcome now (a guard failed, already applied, a dry run), or
   * later, when its batch is committed. A failure to prepare it throws (nothing written to it).
   */
  async join(path: string, timer: Timer = new Timer({ sumOfPhases: true })): Promise<PatchOutcome | Later<PatchOutcome>> {
    const p = await prepare(path, this.#job, timer, (st) => {
      if (this.#inodes.has(inode(st))) this.settle();
    });
    if (!(p instanceof Pending)) return p;
    this.#files.push(p);
    this.#inodes.add(inode(p.file.stat));
    this.#bytes += p.bytes;
    if (this.#files.length >= BATCH_FILES || this.#bytes >= BATCH_BYTES) this.settle();
    return p.later;
  }

  /** Commits the files waiting: each is written and settled (patched, or failed and rolled back). */
  settle(): void {
    const files = this.#files.splice(0);
    this.#inodes.clear();
    this.#bytes = 0;
    if (files.length > 0) commit(files);
  }

  /** Gives up the files waiting: their journals removed, the files untouched and closed, their outcomes rejected. */
  abandon(): void {
    for (const p of this.#files.splice(0))
      abandon(p, new OperationError('not patched: the run stopped before this file was written', undefined, { path: p.path }));
    this.#inodes.clear();
    this.#bytes = 0;
  }
}

function inode(st: { dev: bigint; ino: bigint }): string {
  return `${st.dev}:${st.ino}`;
}

/** One file's result of {@link patchFiles}: its outcome, or the error that stopped its patch. */
export type PatchFileResult =
  | { readonly path: string; readonly ok: true; readonly outcome: PatchOutcome }
  | { readonly path: string; readonly ok: false; readonly error: unknown };

/**
 * Applies one patch to several files, in the order given, as `mmapx patch FILE...` does: the
 * patch is parsed once; each file is patched all or nothing with its own journal (a failure, a
 * failed guard included, leaves that file byte-identical and the others go on); files are written
 * in batches of up to {@link BATCH_FILES} whose syncs are shared, so a crash leaves at most one
 * batch's journals, each undone by `recover`. Never throws for one file's failure: each result
 * says `ok` with its {@link PatchOutcome}, or the error (with `throwOnFailure`, a failed guard is
 * a {@link PatchGuardError} there). Throws only for a patch that does not parse or bad options.
 *
 * @example
 * const results = await patchFiles(['a.bin', 'b.bin'], [{ offset: 0, expect: Uint8Array.of(1), bytes: Uint8Array.of(2) }]);
 * for (const r of results) console.log(r.path, r.ok ? r.outcome.status : r.error);
 */
export async function patchFiles(paths: readonly string[], patch: PatchInput, options: PatchOptions = {}): Promise<PatchFileResult[]> {
  if (!Array.isArray(paths)) throw new InputError(`paths must be an array of file names, not ${describeValue(paths)}`);
  for (const [i, p] of paths.entries()) pathArg(p, `paths[${i}]`);
  optionsArg(options, PATCH_BOOLEANS);
  const { patch: parsed, sources } = resolvePatchInput(patch, options);
  const batch = new PatchBatch(patchJob(parsed, sources, options));
  const waiting: (PatchOutcome | Later<PatchOutcome> | { error: unknown })[] = [];
  try {
    for (const path of paths) {
      try {
        waiting.push(await batch.join(path, timerFor(options, { sumOfPhases: true })));
      } catch (err) {
        waiting.push({ error: err });
      }
    }
    batch.settle();
  } catch (err) {
    batch.abandon();
    throw err;
  }
  return waiting.map((w, i): PatchFileResult => {
    const path = paths[i]!;
    try {
      const outcome = w instanceof Later ? w.take() : 'error' in w ? fail(w.error) : w;
      if (outcome.status === 'failed' && options.throwOnFailure) return { path, ok: false, error: new PatchGuardError(outcome) };
      return { path, ok: true, outcome };
    } catch (error) {
      return { path, ok: false, error };
    }
  });
}

function fail(error: unknown): never {
  throw error;
}
