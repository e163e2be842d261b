// A patch with `insert` and `delete` statements (native patch files; see the coordinate rule in
// src/format/patch/native.ts): every address refers to the file before the patch. Such a patch
// cannot go through the batches of patch.ts (its shifts rewrite whole tails, one file at a time),
// so `prepare` hands each such file here, whole, and a run over several files does them one by
// one. The library's ByteEdit lists have no shifts: only a patch text or a parsed Patch has them.
//
// Execution, crash-safe ("a kill at any instant leaves the original, or the result after
// `mmapx recover`"), with ONE journal beside the file (version 3, below):
//   phase 1: every overwrite (offset hunks, anchors, range statements) is written in the
//     coordinates before the patch, as patch.ts writes them; the journal holds their original
//     bytes (records as in version 1). The file is fdatasynced.
//   commit point: the journal's mark says "phase 2 started" (made durable).
//   phase 2: the shifts, from the highest offset down (so that each one's offset before the
//     patch is still its offset: everything below it has not moved), at one offset the delete
//     first and the inserts in the reverse of the patch's order. Each is a stage run by the
//     machinery of the insert and delete commands (shift.ts `run`, with a progress area of its
//     own and the shared staging slot in this journal), and the mark says when it finished.
// Recover: a mark before the commit point rolls the overwrites back (the original); after it,
// the current stage is finished from its progress (exactly as for one shift, its sizes checked
// against that stage's sizes) and the remaining stages run (the result).
//
// Journal, version 3 (integers unsigned little-endian):
//
//   header, 64 bytes: as version 1 (magic, version = 3, length 64, st_dev, st_ino, size before
//     the patch, size after it, pid, creation time)
//   layout, 64 bytes
//     0   8  length of the records in bytes
//     8   4  number of records
//     12  4  number of stages n
//     16  8  window: bytes mapped at a time
//     24  8  where the staging slot starts (0: none)
//     32  8  where the marks start
//   records: as version 1 (offset 8, length 4, the original bytes)
//   stages, n of 64 bytes, in the order they run
//     0   4  kind: 1 insert, 2 delete
//     8   8  offset
//     16  8  distance (bytes inserted or deleted)
//     24  8  chunk: tail bytes moved per step
//     32  4  1 when steps are staged
//     40  8  the file's size before this stage
//     48  8  where an insert's bytes are in the journal
//     56  8  where this stage's progress area starts
//   the inserted bytes, stage after stage
//   trailer, 56 bytes: "MMAPXEND", n, length of everything before it, SHA-256 of it
//   marks, at the next multiple of 64: two slots of 32 bytes as the progress slots of version 2
//     (seq, mark, state 0, checksum); the valid one with the higher seq counts. Mark 0: phase 1;
//     1 + k: phase 2, stages before k finished, stage k current (n + 1: all finished).
//   progress areas, 128 bytes each (stage k's at marks + 64 + 128 k): as version 2's
//   staging slot, at a multiple of 4096: as large as the largest chunk of a staged stage
import { bindPatch } from './address.js';
import { createHash } from 'node:crypto';
import { closeSync, fdatasyncSync, fstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { GuardError, MmapxError, OperationError } from '../errors.js';
import { checkHashes, describeSource, type Plan, type PlannedShift, planPatch, type BytePattern, shiftedChunks } from '../format/patch/index.js';
import { pageSize } from '../mmap/index.js';
import { assertCanGrow, fsError, knownSize, type OpenFile, openFile, openFileAsync, shrankSinceOpen } from './files.js';
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
  restoreRecords,
  syncDirectory,
} from './journal.js';
import { assertNotShrunk, MappedReader, reserveRanges, writeRanges } from './mapped.js';
import { changedBytes, counts, dryRunBytes, failedHunksOutcome, type PatchChange, type PatchJob, type PatchOutcome, type PatchShift } from './patch.js';
import { scanFile } from './scan.js';
import {
  extentsFit,
  type Journal,
  PROGRESS,
  pread,
  pwrite,
  plan as planShift,
  reserveGrowth,
  type Plan as ShiftPlan,
  type Resume,
  run,
  SHIFT_WINDOW,
  SLOT,
  STATE,
  slotBytes,
} from './shift.js';
import type { BigIntStats } from 'node:fs';
import type { Timer } from './timing.js';
import { QUOTED_BYTES } from './write.js';

/** The version of the journal of a patch with shifts. */
export const PATCH_SHIFT_VERSION = 3;
const LAYOUT = 64;
const STAGE = 64;
const RECORD_HEAD = 12;
const KIND = { insert: 1, delete: 2 } as const;

/** Test seams: called after phase 1 is durable, and after stage k finished (to simulate a kill by throwing). */
export const patchShiftHooks: { afterOverwrites?: () => void; afterStage?: (k: number) => void } = {};

/** One stage of phase 2: a shift, in the order they run, with its plan at its own sizes. */
interface Stage {
  readonly p: ShiftPlan;
  readonly shift: PlannedShift;
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The stages of a plan, in the order they run: from the highest offset down. */
function stagesOf(plan: Plan, window: number): Stage[] {
  const shifts = [...(plan.shifts ?? [])].reverse();
  let size = plan.sizeBefore;
  return shifts.map((s) => {
    const p = planShift(
      s.kind === 'insert' ? { kind: 'insert', offset: s.offset, data: s.bytes! } : { kind: 'delete', offset: s.offset, length: s.length },
      size,
      window,
    );
    size = p.sizeAfter;
    return { p, shift: s };
  });
}

/** What the dry run and the report say of each shift (in the patch's result order). */
function describeShifts(plan: Plan, reader: MappedReader): PatchShift[] {
  return (plan.shifts ?? []).map((s) => {
    const n = Number(s.length < BigInt(QUOTED_BYTES) ? s.length : BigInt(QUOTED_BYTES));
    return {
      source: describeSource(s.statement.source),
      kind: s.kind,
      offset: s.offset,
      length: s.length,
      old: s.kind === 'delete' ? Uint8Array.from(reader.read(s.offset, n)) : new Uint8Array(0),
      new: s.kind === 'insert' ? s.bytes!.subarray(0, n) : new Uint8Array(0),
    };
  });
}

/** The open journal of a patch with shifts. */
interface PatchShiftJournal {
  readonly path: string;
  readonly fd: number;
  readonly marksAt: number;
  seq: bigint;
  readonly records: number;
  readonly bytes: number;
  /** Each stage's progress and staging slot, in shift.ts's terms. */
  readonly stages: Journal[];
}

function mark(j: PatchShiftJournal, value: number): void {
  j.seq++;
  pwrite(j.fd, slotBytes(j.seq, BigInt(value), 0), j.marksAt + Number(j.seq % 2n) * SLOT);
  fdatasyncSync(j.fd);
}

const at64 = (n: number): number => Math.ceil(n / 64) * 64;

/**
 * Writes the journal of a patch with shifts in full and makes it durable (journal, directory)
 * before the file changes. On failure it is removed again.
 */
function createPatchShiftJournal(
  path: string,
  file: OpenFile,
  plan: Plan,
  stages: readonly Stage[],
  window: number,
  initial: readonly number[],
): PatchShiftJournal {
  const fd = createJournalFd(path, 'patch');
  try {
    const apply = plan.hunks.filter((h) => h.state === 'apply');
    let recordBytes = 0;
    for (const h of apply) recordBytes += RECORD_HEAD + h.current.length;
    const stagesAt = HEADER + LAYOUT + recordBytes;
    let dataAt = stagesAt + STAGE * stages.length;
    let inline = 0;
    for (const s of stages) if (s.p.kind === 'insert') inline += Number(s.p.distance);
    const trailerAt = dataAt + inline;
    const marksAt = at64(trailerAt + TRAILER);
    const progressAt = (k: number): number => marksAt + 64 + k * PROGRESS;
    // The staging slot holds a staged step's chunk (its layout); the steps write at most their tail there.
    let slot = 0;
    let staging = 0;
    for (const s of stages) {
      if (!s.p.staged) continue;
      slot = Math.max(slot, s.p.chunk);
      staging = Math.max(staging, s.p.chunk < s.p.tail ? s.p.chunk : Number(s.p.tail));
    }
    const stageAt = slot > 0 ? Math.ceil(progressAt(stages.length) / 4096) * 4096 : 0;

    // Everything before the trailer goes through one buffer of 1 MiB, hashed and written in big
    // calls: a patch of many small hunks is a few writes, not two per hunk.
    const hash = createHash('sha256');
    let pos = 0;
    const block = Buffer.allocUnsafe(1024 * 1024);
    let used = 0;
    const flush = (): void => {
      hash.update(block.subarray(0, used));
      pwrite(fd, block.subarray(0, used), pos);
      pos += used;
      used = 0;
    };
    const put = (b: Uint8Array): void => {
      if (used + b.length > block.length) flush();
      if (b.length > block.length) {
        hash.update(b);
        pwrite(fd, b, pos);
        pos += b.length;
        return;
      }
      block.set(b, used);
      used += b.length;
    };
    const head = Buffer.alloc(HEADER + LAYOUT);
    writeJournalHeader(head, PATCH_SHIFT_VERSION, { dev: file.stat.dev, ino: file.stat.ino, sizeBefore: plan.sizeBefore, sizeAfter: plan.sizeAfter });
    head.writeBigUInt64LE(BigInt(recordBytes), HEADER);
    head.writeUInt32LE(apply.length, HEADER + 8);
    head.writeUInt32LE(stages.length, HEADER + 12);
    head.writeBigUInt64LE(BigInt(window), HEADER + 16);
    head.writeBigUInt64LE(BigInt(stageAt), HEADER + 24);
    head.writeBigUInt64LE(BigInt(marksAt), HEADER + 32);
    put(head);
    const rh = Buffer.alloc(RECORD_HEAD);
    for (const h of apply) {
      rh.writeBigUInt64LE(h.offset, 0);
      rh.writeUInt32LE(h.current.length, 8);
      put(rh);
      put(h.current);
    }
    const list = Buffer.alloc(STAGE * stages.length);
    const journals: Journal[] = [];
    stages.forEach((s, k) => {
      const e = list.subarray(k * STAGE, (k + 1) * STAGE);
      e.writeUInt32LE(KIND[s.p.kind], 0);
      e.writeBigUInt64LE(s.p.offset, 8);
      e.writeBigUInt64LE(s.p.distance, 16);
      e.writeBigUInt64LE(BigInt(s.p.chunk), 24);
      e.writeUInt32LE(s.p.staged ? 1 : 0, 32);
      e.writeBigUInt64LE(s.p.sizeBefore, 40);
      e.writeBigUInt64LE(s.p.kind === 'insert' ? BigInt(dataAt) : 0n, 48);
      e.writeBigUInt64LE(BigInt(progressAt(k)), 56);
      journals.push({
        path,
        fd,
        progressAt: progressAt(k),
        stageAt,
        seq: 1n,
        data: s.p.kind === 'insert' ? { file: { fd, path }, offset: BigInt(dataAt), length: Number(s.p.distance) } : undefined,
      });
      if (s.p.kind === 'insert') dataAt += Number(s.p.distance);
    });
    put(list);
    for (const s of stages) if (s.shift.kind === 'insert') put(s.shift.bytes!);
    flush();
    // The marks and every stage's first progress slot before the trailer: a journal with a valid
    // trailer always has them.
    const tail = Buffer.alloc(progressAt(stages.length) - marksAt);
    slotBytes(1n, 0n, 0).copy(tail, 0);
    for (let k = 0; k < stages.length; k++) slotBytes(1n, 0n, initial[k]!).copy(tail, progressAt(k) - marksAt);
    pwrite(fd, tail, marksAt);
    // The staging slot's blocks too, before the file changes (journal.ts reserveJournalSlot).
    if (staging > 0) reserveJournalSlot(fd, stageAt, staging);
    const trailer = Buffer.alloc(TRAILER);
    END_MAGIC.copy(trailer, 0);
    trailer.writeBigUInt64LE(BigInt(stages.length), 8);
    trailer.writeBigUInt64LE(BigInt(trailerAt), 16);
    hash.digest().copy(trailer, 24);
    pwrite(fd, trailer, trailerAt);
    fdatasyncSync(fd);
    syncDirectory(dirname(path));
    return { path, fd, marksAt, seq: 1n, records: apply.length, bytes: progressAt(stages.length), stages: journals };
  } catch (err) {
    closeSync(fd);
    discardJournal(path);
    throw err instanceof OperationError ? err : fsError(err, `cannot write the journal ${path}`);
  }
}

/** Sets the path of an engine error that names none. */
function placed(err: unknown, path: string): unknown {
  if (err instanceof MmapxError && err.path === undefined) err.path = path;
  return err;
}

/**
 * Patches one file with a patch that has inserts or deletes (see the top of this module): the
 * same checks and outcomes as patch.ts (`failed`, `dry-run`, `applied`; never `already`: a shift
 * is always applied), and each shift in the outcome's `shifts`.
 */
export async function patchShifted(path: string, job: PatchJob, timer: Timer, beforeLock?: (st: BigIntStats) => void): Promise<PatchOutcome> {
  const jpath = journalPath(path);
  const how = { write: !job.dryRun, force: job.force, lockWait: job.lockWait, ...(beforeLock && { beforeLock }) };
  let file: OpenFile;
  try {
    file = job.blocking ? openFile(path, how) : await openFileAsync(path, { ...how, ...(job.signal && { signal: job.signal }) });
  } catch (err) {
    throw placed(err, path);
  }
  timer.lap('open');
  let reader: MappedReader | undefined;
  try {
    refuseIfJournal(path, jpath);
    pageSize();
    reader = new MappedReader(file, knownSize(file));
    timer.lap('ffi');
    const size = reader.size;
    const progress = job.progress;
    const scan = (patterns: readonly BytePattern[], keep: readonly number[]) => {
      progress.phase(`search ${path}`, size);
      return scanFile(file, { offset: 0n, length: size }, patterns, keep, { workers: job.workers, progress: (done) => progress.update(Number(done)) });
    };
    const plan = planPatch(bindPatch(file, job.patch, job), reader, { scan, sha256: sha256Hex });
    reader.assertIntact();
    if (plan.sizeAfter > plan.sizeBefore) assertCanGrow(file, plan.sizeAfter);
    timer.lap('plan');
    job.onPlan?.(plan);
    const base = { path, sources: job.sources, dryRun: job.dryRun, hunks: counts(plan), sizeBefore: plan.sizeBefore, sizeAfter: plan.sizeAfter };
    if (plan.state === 'fail') return failedHunksOutcome(plan, base, timer);

    // Whole-file hashes only when asked: one pass over the file before anything is written, the
    // result streamed (the changes in place, the inserted bytes, the deleted ranges skipped).
    const expectResult = job.expectResultSha256;
    const wantBefore = job.hash || plan.guards.sha256Before !== undefined;
    const wantAfter = job.hash || plan.guards.sha256After !== undefined || expectResult !== undefined;
    let hashes: { before: string | null; after: string | null } | null = null;
    if (wantBefore || wantAfter) {
      progress.phase(`hash ${path}`, size);
      const before = wantBefore ? createHash('sha256') : undefined;
      const after = createHash('sha256');
      let seen = 0;
      for (const piece of shiftedChunks(plan, reader, 1024 * 1024, (o) => {
        before?.update(o);
        seen += o.length;
        progress.update(seen);
      })) {
        if (wantAfter) after.update(piece);
      }
      reader.assertIntact();
      hashes = { before: before ? before.digest('hex') : null, after: wantAfter ? after.digest('hex') : null };
      timer.lap('hash');
    }
    try {
      checkHashes(plan, { ...(hashes?.before && { current: hashes.before }), ...(hashes?.after && { result: hashes.after }) });
    } catch (err) {
      if (!(err instanceof GuardError)) throw err;
      return { status: 'failed', ...base, guard: 'sha256', failures: [err.message], failedHunks: [], sha256: hashes, timings: timer.json() };
    }
    if (expectResult !== undefined && hashes!.after !== expectResult) {
      const failure = `the patched file would have sha256 ${hashes!.after}, expected ${expectResult}`;
      return { status: 'failed', ...base, guard: 'result-sha256', failures: [failure], failedHunks: [], sha256: hashes, timings: timer.json() };
    }

    const apply = plan.hunks.filter((h) => h.state === 'apply');
    const bytesChanged = changedBytes(apply);
    const shifts = describeShifts(plan, reader);
    if (job.dryRun) {
      const neu = dryRunBytes(file, plan, apply);
      reader.assertIntact();
      timer.lap('apply-private');
      const changes = apply.map((h): PatchChange => ({ source: describeSource(h.hunk.source), offset: h.offset, old: h.current, new: neu.get(h)! }));
      return { status: 'dry-run', ...base, bytesChanged, sha256: hashes, changes, shifts, timings: timer.json() };
    }
    reader.close();
    reader = undefined;

    job.signal?.throwIfAborted();
    // What was planned, hashed and will be journaled was read from a file this long.
    assertNotShrunk(file, plan.sizeBefore, 'read');
    const window = job.shiftWindow ?? SHIFT_WINDOW;
    const stages = stagesOf(plan, window);
    const initial = stages.map((s) => (extentsFit(file, s.p) ? STATE.extents : STATE.free));
    const j = job.journal ? createPatchShiftJournal(jpath, file, plan, stages, window, initial) : undefined;
    // Room for the overwrites (holes, past the end) and for what the inserts add, before the
    // first byte changes: a full filesystem fails the patch here, with nothing to undo.
    try {
      reserveRanges(
        file,
        apply.map((h) => ({ offset: h.offset, length: h.new.length })),
        plan.sizeBefore,
      );
      reserveGrowth(
        file,
        plan.sizeBefore,
        stages.reduce((n, s) => (s.p.kind === 'insert' ? n + s.p.distance : n), 0n),
      );
    } catch (err) {
      if (j) {
        closeSync(j.fd);
        discardJournal(j.path);
      }
      throw err;
    }
    timer.lap('journal');

    // Phase 1: the overwrites, in the coordinates before the patch.
    let written = { windows: 0, bytes: 0, synced: 0, syncMs: 0 };
    try {
      if (apply.length > 0) {
        progress.phase(
          `write ${path}`,
          apply.reduce((n, h) => n + h.new.length, 0),
        );
        written = writeRanges(
          file,
          apply.map((h) => ({ offset: h.offset, bytes: h.new, expect: h.current, length: h.new.length })),
          { sync: 'start', progress: (done) => progress.update(done) },
        );
        fdatasyncSync(file.fd);
      }
      patchShiftHooks.afterOverwrites?.();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (!j) throw new OperationError(`${why}; without a journal the file may be partly patched`, undefined, { cause: err, path });
      try {
        restoreRecords(
          file,
          { dev: 0n, ino: 0n, sizeBefore: plan.sizeBefore, sizeAfter: plan.sizeBefore },
          apply.map((h) => ({ offset: h.offset, bytes: h.current })),
          plan.sizeBefore,
        );
        finishJournal(j);
      } catch (again) {
        closeSync(j.fd);
        throw new OperationError(
          `${why}; rolling back failed too (${again instanceof Error ? again.message : String(again)}): run 'mmapx recover ${path}'`,
          undefined,
          {
            cause: err,
            path,
          },
        );
      }
      throw new OperationError(`${why}; the file was rolled back from the journal, nothing changed`, undefined, { cause: err, path });
    }
    timer.lap('write');

    // The commit point, then phase 2: the shifts from the highest offset down.
    try {
      if (j) mark(j, 1);
      stages.forEach((s, k) => {
        run(
          file,
          s.p,
          j?.stages[k],
          { state: initial[k]!, done: 0n },
          {
            method: 'auto',
            window,
            data: s.p.kind === 'insert' ? (j ? j.stages[k]!.data : s.shift.bytes) : undefined,
            progress,
          },
        );
        if (j) mark(j, k + 2);
        patchShiftHooks.afterStage?.(k);
      });
    } catch (err) {
      if (j) {
        closeSync(j.fd);
        const m = err instanceof Error ? err.message : String(err);
        throw new OperationError(`${m}; the patch is journaled in ${j.path}: run 'mmapx recover ${path}' to finish it`, (err as { code?: string }).code, {
          path,
          cause: err,
        });
      }
      throw err;
    }
    timer.lap('shift');
    if (j) finishJournal(j);
    timer.lap('cleanup');
    return {
      status: 'applied',
      ...base,
      bytesChanged,
      bytesWritten: written.bytes,
      windows: written.windows,
      synced: written.synced,
      sha256: hashes,
      journal: j ? { path: j.path, records: j.records, bytes: j.bytes } : null,
      shifts,
      timings: timer.json(),
    };
  } catch (err) {
    throw placed(shrankSinceOpen(file, err, 'read'), path);
  } finally {
    reader?.close();
    file.close();
  }
}

/** Whether the journal at `path` is one of a patch with shifts (version 3); false when it cannot be read. */
export function isPatchShiftJournal(path: string): boolean {
  return journalVersion(path) === PATCH_SHIFT_VERSION;
}

/** What {@link finishPatchShift} found and did. */
export type PatchShiftReport =
  | { readonly state: 'incomplete'; readonly reason: string }
  | {
      readonly state: 'restored';
      readonly records: number;
      readonly bytes: number;
      readonly sizeFound: bigint;
      readonly size: bigint;
      readonly sizeAfter: bigint;
    }
  | {
      readonly state: 'completed';
      readonly sizeFound: bigint;
      readonly sizeBefore: bigint;
      readonly sizeAfter: bigint;
      /** The stage that was running, and how many there are. */
      readonly stage: number;
      readonly stages: number;
      readonly offset: bigint;
      readonly length: bigint;
      /** Tail bytes of the current stage still to move when recover started. */
      readonly remaining: bigint;
    };

/** The best valid slot of the two at `at` (seq 0 when neither is valid). */
function bestSlot(b: Buffer): { seq: bigint; value: bigint; state: number } | undefined {
  let best: { seq: bigint; value: bigint; state: number } | undefined;
  for (let i = 0; i < 2; i++) {
    const s = b.subarray(i * SLOT, (i + 1) * SLOT);
    const seq = s.readBigUInt64LE(0);
    if (seq === 0n || !createHash('sha256').update(s.subarray(0, 24)).digest().subarray(0, 8).equals(s.subarray(24, 32))) continue;
    if (!best || seq > best.seq) best = { seq, value: s.readBigUInt64LE(8), state: s.readUInt32LE(16) };
  }
  return best;
}

/**
 * `recover` of the journal of a patch with shifts (version 3): before the commit point, the
 * overwrites are rolled back (the original file); after it, the current stage is finished from
 * its progress and the remaining ones run (the result). The journal is then removed. An
 * incomplete journal (the patch never changed the file) is only removed.
 *
 * @throws OperationError, leaving the journal in place, when it must not be trusted (symlink,
 *   other links or owner, damaged), belongs to another file, its writer still runs, or the file's
 *   size is not one the patch can have left at that point.
 */
export function finishPatchShift(path: string, file: OpenFile): PatchShiftReport {
  const handle = openJournal(path, true);
  let report: PatchShiftReport;
  try {
    report = finish(handle.fd, path, file);
  } finally {
    handle.close();
  }
  removeJournal(path);
  return report;
}

function finish(fd: number, path: string, file: OpenFile): PatchShiftReport {
  const size = Number(fstatSync(fd).size);
  const damaged = (why: string): OperationError =>
    new OperationError(`${path} is damaged (${why}): it cannot be trusted to recover the patch; inspect the file, then remove the journal by hand`);
  if (size < HEADER + LAYOUT) return { state: 'incomplete', reason: 'it ends inside its header' };
  const head = pread(fd, Buffer.alloc(HEADER + LAYOUT), 0n, path) as Buffer;
  const recordBytes = Number(head.readBigUInt64LE(HEADER));
  const recordCount = head.readUInt32LE(HEADER + 8);
  const n = head.readUInt32LE(HEADER + 12);
  const window = Number(head.readBigUInt64LE(HEADER + 16));
  const stageAt = Number(head.readBigUInt64LE(HEADER + 24));
  const marksAt = Number(head.readBigUInt64LE(HEADER + 32));
  const stagesAt = HEADER + LAYOUT + recordBytes;
  if (size < stagesAt + STAGE * n) return { state: 'incomplete', reason: 'it has no trailer' };
  const list = pread(fd, Buffer.alloc(STAGE * n), BigInt(stagesAt), path) as Buffer;
  let inline = 0;
  for (let k = 0; k < n; k++) if (list.readUInt32LE(k * STAGE) === KIND.insert) inline += Number(list.readBigUInt64LE(k * STAGE + 16));
  const trailerAt = stagesAt + STAGE * n + inline;
  if (size < trailerAt + TRAILER) return { state: 'incomplete', reason: 'it has no trailer' };
  const trailer = pread(fd, Buffer.alloc(TRAILER), BigInt(trailerAt), path) as Buffer;
  if (!trailer.subarray(0, 8).equals(END_MAGIC)) return { state: 'incomplete', reason: 'it has no trailer' };
  if (Number(trailer.readBigUInt64LE(16)) !== trailerAt || Number(trailer.readBigUInt64LE(8)) !== n) throw damaged('its trailer does not match its layout');
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(1024 * 1024);
  for (let at = 0; at < trailerAt; ) {
    const m = Math.min(chunk.length, trailerAt - at);
    hash.update(pread(fd, chunk.subarray(0, m), BigInt(at), path));
    at += m;
  }
  if (!hash.digest().equals(trailer.subarray(24, 56))) throw damaged('its checksum does not match');
  if (marksAt < at64(trailerAt + TRAILER) || size < marksAt + 64 + n * PROGRESS) throw damaged('its marks are out of range');
  const header = parseHeader(head);
  const st = assertJournalOwns(path, header, file.fd, 'patch');
  const m = bestSlot(pread(fd, Buffer.alloc(2 * SLOT), BigInt(marksAt), path) as Buffer);
  if (!m || m.value > BigInt(n + 1)) throw damaged('its mark is not valid');
  const markValue = Number(m.value);

  if (markValue === 0) {
    // Phase 1: the overwrites are undone; the size never changed in it.
    if (st.size !== header.sizeBefore) {
      throw new OperationError(`the file is ${st.size} bytes, but the patch journaled in ${path} had not changed its size (${header.sizeBefore}): refusing it`);
    }
    function* records(): Generator<{ offset: bigint; bytes: Uint8Array }> {
      let p = HEADER + LAYOUT;
      for (let i = 0; i < recordCount; i++) {
        if (p + RECORD_HEAD > stagesAt) throw damaged(`record ${i + 1} is cut`);
        const rh = pread(fd, Buffer.alloc(RECORD_HEAD), BigInt(p), path) as Buffer;
        const len = rh.readUInt32LE(8);
        if (len === 0 || p + RECORD_HEAD + len > stagesAt) throw damaged(`record ${i + 1} has a bad length ${len}`);
        yield { offset: rh.readBigUInt64LE(0), bytes: pread(fd, Buffer.alloc(len), BigInt(p + RECORD_HEAD), path) };
        p += RECORD_HEAD + len;
      }
    }
    const r = restoreRecords(file, { ...header, sizeAfter: header.sizeBefore }, records(), st.size);
    return { state: 'restored', records: r.ranges, bytes: r.bytes, sizeFound: st.size, size: header.sizeBefore, sizeAfter: header.sizeAfter };
  }

  // Phase 2: finish the current stage, run the rest.
  let seq = m.seq;
  const current = markValue - 1;
  if (current === n && st.size !== header.sizeAfter) {
    throw new OperationError(
      `the file is ${st.size} bytes, but the patch journaled in ${path} had finished at ${header.sizeAfter} bytes: it was changed by another program; refusing it`,
    );
  }
  let first: { offset: bigint; length: bigint; remaining: bigint } = { offset: 0n, length: 0n, remaining: 0n };
  for (let k = current; k < n; k++) {
    const e = list.subarray(k * STAGE, (k + 1) * STAGE);
    const kindCode = e.readUInt32LE(0);
    if (kindCode !== KIND.insert && kindCode !== KIND.delete) throw damaged(`stage ${k + 1} has an unknown kind ${kindCode}`);
    const kind = kindCode === KIND.insert ? 'insert' : 'delete';
    const offset = e.readBigUInt64LE(8);
    const distance = e.readBigUInt64LE(16);
    const chunkSize = Number(e.readBigUInt64LE(24));
    const staged = e.readUInt32LE(32) === 1;
    const sizeBefore = e.readBigUInt64LE(40);
    const dataAt = e.readBigUInt64LE(48);
    const progressAt = Number(e.readBigUInt64LE(56));
    const sizeAfter = kind === 'insert' ? sizeBefore + distance : sizeBefore - distance;
    const tail = kind === 'insert' ? sizeBefore - offset : sizeBefore - offset - distance;
    const slots = pread(fd, Buffer.alloc(PROGRESS), BigInt(progressAt), path) as Buffer;
    const best = bestSlot(slots);
    const fast = slots.readBigUInt64LE(2 * SLOT);
    if (
      distance === 0n ||
      tail < 0n ||
      chunkSize < 1 ||
      !best ||
      best.value > tail ||
      fast > tail ||
      best.state < STATE.extents ||
      best.state > STATE.moved ||
      (staged && stageAt === 0) ||
      progressAt !== marksAt + 64 + k * PROGRESS
    ) {
      throw damaged(`stage ${k + 1}'s operation or progress is out of range`);
    }
    const resume: Resume = { state: best.state, done: best.state === STATE.free && fast > best.value ? fast : best.value };
    const j: Journal = {
      path,
      fd,
      progressAt,
      stageAt,
      seq: best.seq,
      data: kind === 'insert' ? { file: { fd, path }, offset: dataAt, length: Number(distance) } : undefined,
    };
    const p: ShiftPlan = {
      op: kind === 'insert' ? { kind, offset, data: j.data! } : { kind, offset, length: distance },
      kind,
      offset,
      distance,
      sizeBefore,
      sizeAfter,
      tail,
      chunk: chunkSize,
      staged,
    };
    // The sizes this stage goes through (as finishShift checks them for one shift).
    const now = fstatSync(file.fd, { bigint: true }).size;
    const before = now === sizeBefore;
    const after = now === sizeAfter;
    const consistent =
      kind === 'insert'
        ? (before && (resume.state === STATE.extents || (resume.state === STATE.free && resume.done === 0n))) || after
        : before || (after && (resume.state === STATE.extents || resume.state === STATE.moved));
    if (!consistent) {
      throw new OperationError(
        `the file is ${now} bytes, but stage ${k + 1} of the patch journaled in ${path} (${kind} at ${offset}) leaves it at ${sizeBefore} or ${sizeAfter} bytes at this point: it was changed by another program; refusing it`,
      );
    }
    if (k === current)
      first = { offset, length: distance, remaining: resume.state === STATE.moved || resume.state === STATE.extents ? 0n : tail - resume.done };
    run(file, p, j, resume, { method: 'auto', window: window >= chunkSize ? window : chunkSize, data: j.data });
    seq++;
    pwrite(fd, slotBytes(seq, BigInt(k + 2), 0), marksAt + Number(seq % 2n) * SLOT);
    fdatasyncSync(fd);
  }
  return {
    state: 'completed',
    sizeFound: st.size,
    sizeBefore: header.sizeBefore,
    sizeAfter: header.sizeAfter,
    stage: current,
    stages: n,
    ...first,
  };
}
