// `transform` of a range without a guard, the default: each window read with pread(2) into a heap
// buffer, transformed there, written back with pwrite(2). No shared map on this path: moving a
// window's bytes in and out of a shared file map costs a page fault per page, more than the
// transform itself (src/edit/overwrite.ts keeps the maps for guarded runs and dry runs).
//
// Crash safety without copying the range: a transform is a pure function of the original bytes
// and their phase (the offset into the range; src/format/transform.ts), so, like a shift
// (src/edit/shift.ts), it is ROLLED FORWARD: the journal describes the operation and how far it
// got, and `recover` finishes it. The journal, version 4, beside the file as the others:
//
//   header, 64 bytes: as version 1 (magic, version = 4, length 64, st_dev, st_ino, size before,
//     size after (the same), pid, creation time)
//   operation, 64 bytes (integers unsigned little-endian)
//     0   4  kind: 3 transform
//     4   4  s: bytes of the transform's text
//     8   8  offset of the range
//     16  8  length of the range
//     24  8  window: bytes per step
//     32  8  where the staging slot starts in the journal (a multiple of 4096)
//     40  24 zero
//   the transform's text, s bytes: JSON [op, arg or null, unit or null], the arguments of
//     parseTransform (src/format/transform.ts) that made it
//   trailer, 56 bytes: "MMAPXEND", 1, length of everything before it, SHA-256 of it
//   progress, at the next multiple of 64: two slots of 32 bytes (as a shift's: seq, done, state,
//     zero, the first 8 bytes of the SHA-256 of the 24 before; the valid slot with the higher seq
//     counts; written with pwrite, alternately); `done` counts bytes of the range transformed;
//     states: 1 free (the windows before `done` are transformed, the rest of the file is
//     original), 2 staged (the window at `done` is in the staging slot and may be half written)
//   staging slot, one window
//
// Per window at `done`: read it; copy it to the staging slot; progress (staged, done); transform
// it; write it to the file (its write-back started); progress (free, done + n). A kill at any
// instant leaves either state free at `done` with the window there untouched (it is redone from
// the file), or state staged at `done` with the window's original bytes whole in the slot (it is
// redone from the slot; a slot half written by a kill fails its checksum and the other one, a step
// older, is used). `recover` does the same steps from there, keeping the progress as it goes (a
// recover that is killed is itself recovered), fdatasyncs the file and removes the journal:
// status `completed`. The journal is fsynced (and its directory) before the first byte changes;
// the file is fdatasynced before the journal goes. As for shifts, this holds against the process
// dying at any instant, not against a power loss during the run: nothing is fsynced per window.
//
// Counting what changed: `xor` (and `not`, and identities) count in closed form from the key
// alone (Transform.changedBytes): no byte is compared. Other transforms keep a copy of each
// window and compare (memcmp per block, 32-bit words where blocks differ).
import { describeValue } from '../format/quote.js';
import { closeSync, fdatasyncSync, fstatSync, fsyncSync, readSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { InputError, MmapxError, OperationError } from '../errors.js';
import { type Transform, parseTransform } from '../format/transform.js';
import { pageSize } from '../mmap/index.js';
import { startWriteback } from '../mmap/sys/index.js';
import { shrankWhileWriting } from '../mmap/truncation.js';
import { assertSameFile, fsError, knownSize, type OpenFile, openFile, openFileAsync } from './files.js';
import {
  assertJournalOwns,
  END_MAGIC,
  HEADER_LENGTH as HEADER,
  TRAILER_LENGTH as TRAILER,
  discardJournal,
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
import { reserveRanges } from './mapped.js';
import { countChanged, firstDiff, OVERWRITE_WINDOW, type OverwriteChange, type OverwriteOptions, type OverwriteOutcome } from './overwrite.js';
import { timerFor } from './patch.js';
import { NO_PROGRESS, type ProgressSink } from './seams.js';
import { now, Timer } from './timing.js';
import { QUOTED_BYTES } from './write.js';

/** The version of a transform's journal (1: saved bytes, 2: a shift). */
export const TRANSFORM_JOURNAL_VERSION = 4;
const OP = 64;
const SLOT = 32;
const KIND = 3;
const STATE = { free: 1, staged: 2 } as const;
/** Longest transform text accepted when reading a journal back (a key of 64 KiB as hex, and more). */
const MAX_SPEC = 1024 * 1024;

/**
 * Whether {@link transformInPlace} can do this transform with these options: no guard, no dry run,
 * no hash (those keep the survey of overwrite.ts), a regular file (a device opened with --force
 * keeps the maps), and a journal that can describe the transform (one made by parseTransform) or
 * none.
 */
export function rollsForward(transform: Transform, options: OverwriteOptions): boolean {
  return (
    options.dryRun !== true &&
    options.hash !== true &&
    options.expect === undefined &&
    options.expectSha256 === undefined &&
    options.expectResultSha256 === undefined &&
    options.force !== true &&
    (options.journal === false || transform.spec !== undefined)
  );
}

function slotBytes(seq: bigint, done: bigint, state: number): Buffer {
  const b = Buffer.alloc(SLOT);
  b.writeBigUInt64LE(seq, 0);
  b.writeBigUInt64LE(done, 8);
  b.writeUInt32LE(state, 16);
  createHash('sha256').update(b.subarray(0, 24)).digest().copy(b, 24, 0, 8);
  return b;
}

/** pwrite(2) of all of `b` (writeSync takes a number position: files stay below 2^53 bytes). */
function pwriteAll(fd: number, b: Uint8Array, position: number | bigint): void {
  const at = Number(position);
  for (let done = 0; done < b.length; ) done += writeSync(fd, b, done, b.length - done, at + done);
}

/** Reads `b.length` bytes at `position`; returns how many there were (fewer: the file ends). */
function preadUpTo(fd: number, b: Uint8Array, position: bigint): number {
  let done = 0;
  while (done < b.length) {
    const n = readSync(fd, b, done, b.length - done, position + BigInt(done));
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** An open transform journal. */
interface Journal {
  readonly path: string;
  readonly fd: number;
  readonly progressAt: number;
  readonly stageAt: number;
  seq: bigint;
}

function progress(j: Journal, state: number, done: number): void {
  j.seq++;
  pwriteAll(j.fd, slotBytes(j.seq, BigInt(done), state), j.progressAt + Number(j.seq % 2n) * SLOT);
}

interface Described {
  readonly offset: bigint;
  readonly length: bigint;
  readonly window: number;
  readonly size: bigint;
  readonly spec: Buffer;
}

/** Where the progress slots and the staging slot of a journal with `specLength` bytes of text are. */
function layout(specLength: number): { progressAt: number; stageAt: number } {
  const progressAt = Math.ceil((HEADER + OP + specLength + TRAILER) / 64) * 64;
  return { progressAt, stageAt: Math.ceil((progressAt + 2 * SLOT) / 4096) * 4096 };
}

function specText(t: Transform): Buffer {
  const s = t.spec!;
  return Buffer.from(JSON.stringify([s.op, s.arg ?? null, s.unit ?? null]), 'utf8');
}

/** Writes the journal and makes it durable (journal, then its directory), before the file changes. */
function createTransformJournal(path: string, file: OpenFile, d: Described): Journal {
  const fd = createJournalFd(path, 'transform');
  try {
    const { progressAt, stageAt } = layout(d.spec.length);
    const head = Buffer.alloc(HEADER + OP);
    writeJournalHeader(head, TRANSFORM_JOURNAL_VERSION, { dev: file.stat.dev, ino: file.stat.ino, sizeBefore: d.size, sizeAfter: d.size });
    head.writeUInt32LE(KIND, HEADER);
    head.writeUInt32LE(d.spec.length, HEADER + 4);
    head.writeBigUInt64LE(d.offset, HEADER + 8);
    head.writeBigUInt64LE(d.length, HEADER + 16);
    head.writeBigUInt64LE(BigInt(d.window), HEADER + 24);
    head.writeBigUInt64LE(BigInt(stageAt), HEADER + 32);
    const body = Buffer.concat([head, d.spec]);
    const trailer = Buffer.alloc(TRAILER);
    END_MAGIC.copy(trailer, 0);
    trailer.writeBigUInt64LE(1n, 8);
    trailer.writeBigUInt64LE(BigInt(body.length), 16);
    createHash('sha256').update(body).digest().copy(trailer, 24);
    pwriteAll(fd, body, 0);
    // The first progress slot before the trailer: a journal with a valid trailer always has one.
    pwriteAll(fd, Buffer.concat([slotBytes(1n, 0n, STATE.free), Buffer.alloc(SLOT)]), progressAt);
    // The staging slot's blocks too: a full filesystem then fails here, before the file changes.
    reserveJournalSlot(fd, stageAt, d.length < BigInt(d.window) ? Number(d.length) : d.window);
    pwriteAll(fd, trailer, body.length);
    fsyncSync(fd);
    syncDirectory(dirname(path));
    return { path, fd, progressAt, stageAt, seq: 1n };
  } catch (err) {
    closeSync(fd);
    discardJournal(path);
    throw err instanceof OperationError ? err : fsError(err, `cannot write the journal ${path}`);
  }
}

/** What one run of the windows did. */
interface Run {
  changed: number;
  change: OverwriteChange | null;
  bytes: number;
  windows: number;
  synced: number;
  syncMs: number;
}

/**
 * Transforms the windows of [offset, offset + length) from `done` on (see the top): staged in the
 * journal when there is one, the progress kept. `limit`: the file's end, when recover finds it cut
 * (windows are cut to whole units below it). `count`: find what changes (the engine's report).
 */
function runWindows(
  file: OpenFile,
  t: Transform,
  r: { offset: bigint; length: number; window: number; limit?: bigint },
  j: Journal | undefined,
  done: number,
  o: { count: boolean; sync: boolean; progress: ProgressSink },
): Run {
  const run: Run = { changed: 0, change: null, bytes: 0, windows: 0, synced: 0, syncMs: 0 };
  const page = pageSize();
  const size = Math.min(r.window, r.length);
  // Read straight into the kernel's own memory where it has one (WebAssembly SIMD).
  const w = t.window?.(size);
  const buf = w ? Buffer.from(w.buffer, w.byteOffset, w.byteLength) : Buffer.allocUnsafe(size);
  let orig: Buffer | undefined;
  const closed = t.changedBytes;
  const end = r.offset + BigInt(r.length);
  for (let phase = done; phase < r.length; phase += r.window) {
    const at = r.offset + BigInt(phase);
    let n = Math.min(r.window, r.length - phase);
    if (r.limit !== undefined && at + BigInt(n) > r.limit) n = r.limit > at ? Number(r.limit - at) - (Number(r.limit - at) % t.unit) : 0;
    if (n <= 0) break;
    const known = closed?.call(t, phase, n);
    if (known === 0) continue; // nothing changes there, whatever it holds: not even read
    const view = buf.subarray(0, n);
    let got: number;
    try {
      got = preadUpTo(file.fd, view, at);
    } catch (err) {
      throw fsError(err, `cannot read the file at ${at}`);
    }
    if (got < n) throw shrankWhileWriting(file.path, fstatSync(file.fd, { bigint: true }).size, end);
    // A copy of the original when the count needs it, or the first change is still to quote.
    const copy = o.count && (known === undefined || run.change === null);
    let count = known ?? n;
    if (copy) {
      orig ??= Buffer.allocUnsafe(buf.length);
      const old = orig.subarray(0, n);
      view.copy(old);
      t.apply(view, phase);
      count = countChanged(old, view);
      if (count === 0) continue;
      if (run.change === null) {
        const i = firstDiff(old, view);
        run.change = {
          offset: at + BigInt(i),
          old: Uint8Array.from(old.subarray(i, i + QUOTED_BYTES)),
          new: Uint8Array.from(view.subarray(i, i + QUOTED_BYTES)),
        };
      }
      if (j) {
        pwriteAll(j.fd, old, j.stageAt);
        progress(j, STATE.staged, phase);
      }
    } else {
      if (j) {
        pwriteAll(j.fd, view, j.stageAt);
        progress(j, STATE.staged, phase);
      }
      t.apply(view, phase);
    }
    // A file cut meanwhile would be extended again by pwrite: look before writing.
    const size = fstatSync(file.fd, { bigint: true }).size;
    if (size < at + BigInt(n)) throw shrankWhileWriting(file.path, size, end);
    try {
      pwriteAll(file.fd, view, at);
    } catch (err) {
      throw fsError(err, `cannot write the file at ${at}`);
    }
    if (o.sync) {
      const t0 = now();
      startWriteback(file.fd);
      run.syncMs += now() - t0;
      const first = Number(at) - (Number(at) % page);
      run.synced += Math.ceil((Number(at) + n - first) / page) * page;
    }
    if (j) progress(j, STATE.free, phase + n);
    run.changed += count;
    run.bytes += n;
    run.windows++;
    o.progress.update(phase + n);
  }
  return run;
}

/**
 * Transforms the range `make` resolves (under the lock, against the file's size) in place, without
 * a survey: see the top of this module. The outcome is the one of overwriteRange. Call it only
 * when {@link rollsForward} says so.
 *
 * @throws InputError (a range that does not fit); OperationError (open, lock, a journal beside the
 *   file, a failure after the journal: then it is kept, and recover finishes the transform);
 *   MmapError ERR_TRUNCATED (the file was cut).
 */
export async function transformInPlace(
  path: string,
  transform: Transform,
  make: (size: bigint, file: OpenFile) => { offset: bigint; length: bigint },
  options: OverwriteOptions = {},
): Promise<OverwriteOutcome> {
  const timer = options.clock instanceof Timer ? options.clock : timerFor(options);
  const win = options.windowSize ?? OVERWRITE_WINDOW;
  if (!Number.isSafeInteger(win) || win < 8 || win % 8 !== 0) throw new InputError(`windowSize ${describeValue(win)} is not a positive multiple of 8`);
  const useJournal = options.journal !== false;
  const sync = options.sync !== false;
  const jpath = journalPath(path);
  const how = { write: true, force: false, lockWait: options.lockWait };
  let file: OpenFile;
  try {
    file = options.blocking ? openFile(path, how) : await openFileAsync(path, { ...how, ...(options.signal && { signal: options.signal }) });
  } catch (err) {
    if (err instanceof MmapxError && err.path === undefined) err.path = path;
    throw err;
  }
  timer.lap('open');
  let j: Journal | undefined;
  try {
    refuseIfJournal(path, jpath);
    pageSize();
    timer.lap('ffi');
    const size = knownSize(file);
    const { offset, length } = make(size, file);
    const len = Number(length);
    const base = { path, op: transform.text, offset, length, size, dryRun: false, sha256: null, failure: null };
    timer.lap('plan');
    if (transform.changedBytes?.(0, len) === 0) {
      return { status: 'already', ...base, bytesChanged: 0, change: null, bytesWritten: 0, windows: 0, synced: 0, journal: null, timings: timer.json() };
    }
    options.signal?.throwIfAborted();
    if (useJournal) {
      j = createTransformJournal(jpath, file, { offset, length, window: win, size, spec: specText(transform) });
      timer.lap('journal');
    }
    // Where zeros change (xor, not, add...), the writes fill the range's holes: their blocks
    // first, so that a full filesystem fails here, before the first byte changes.
    if (transform.changesZeros === true) {
      try {
        reserveRanges(file, [{ offset, length: len }], size);
      } catch (err) {
        if (j) {
          closeSync(j.fd);
          discardJournal(j.path);
          j = undefined;
        }
        throw err;
      }
    }
    const sink = options.progress ?? NO_PROGRESS;
    sink.phase(`write ${path}`, length);
    const run = runWindows(file, transform, { offset, length: len, window: win }, j, 0, { count: true, sync, progress: sink });
    timer.lap('write');
    timer.split('write', 'writeback', run.syncMs);
    if (sync && run.bytes > 0) fdatasyncSync(file.fd);
    const sizeAfter = fstatSync(file.fd, { bigint: true }).size;
    if (sizeAfter < offset + length) throw shrankWhileWriting(path, sizeAfter, offset + length);
    assertSameFile(file);
    timer.lap('fdatasync');
    let journal: OverwriteOutcome['journal'] = null;
    if (j) {
      const bytes = Number(fstatSync(j.fd).size);
      closeSync(j.fd);
      const p = j.path;
      j = undefined;
      removeJournal(p);
      // One record: the operation (its progress and staging slot included in the bytes).
      journal = { path: p, records: 1, bytes };
      timer.lap('cleanup');
    }
    const already = run.change === null && run.changed === 0;
    return {
      status: already ? 'already' : 'applied',
      ...base,
      bytesChanged: run.changed,
      change: run.change,
      bytesWritten: run.bytes,
      windows: run.windows,
      synced: run.synced,
      // A range that held the result already (found only as it was read) reports no journal, as overwriteRange does.
      journal: already ? null : journal,
      timings: timer.json(),
    };
  } catch (err) {
    if (j) {
      closeSync(j.fd);
      const m = err instanceof Error ? err.message : String(err);
      throw new OperationError(`${m}; the transform is journaled in ${j.path}: run 'mmapx recover ${path}' to finish it`, (err as { code?: string }).code, {
        path,
        cause: err,
      });
    }
    if (err instanceof MmapxError && err.path === undefined) err.path = path;
    throw err;
  } finally {
    file.close();
  }
}

/** Whether the journal at `path` is a transform's (version 4); false when it cannot be read. */
export function isTransformJournal(path: string): boolean {
  return journalVersion(path) === TRANSFORM_JOURNAL_VERSION;
}

/** A transform journal as read back. */
interface TransformJournal {
  readonly transform: Transform;
  readonly offset: bigint;
  readonly length: bigint;
  readonly window: number;
  readonly size: bigint;
  readonly journal: Journal;
  readonly state: number;
  readonly done: number;
  readonly header: { dev: bigint; ino: bigint; pid: number; created: number };
}

function readAt(fd: number, length: number, position: number): Buffer {
  const b = Buffer.alloc(length);
  return preadUpTo(fd, b, BigInt(position)) === length ? b : b.subarray(0, 0);
}

function readTransformJournal(fd: number, path: string): TransformJournal | { incomplete: string } {
  const size = Number(fstatSync(fd).size);
  if (size < HEADER + OP) return { incomplete: 'it ends inside its header' };
  const head = readAt(fd, HEADER + OP, 0);
  const damaged = (why: string): OperationError =>
    new OperationError(`${path} is damaged (${why}): it cannot be trusted to finish the transform; inspect the file, then remove the journal by hand`);
  const specLength = head.readUInt32LE(HEADER + 4);
  if (specLength > MAX_SPEC) throw damaged('its transform text is too long');
  const trailerAt = HEADER + OP + specLength;
  if (size < trailerAt + TRAILER) return { incomplete: 'it has no trailer' };
  const body = readAt(fd, trailerAt, 0);
  const trailer = readAt(fd, TRAILER, trailerAt);
  if (!trailer.subarray(0, 8).equals(END_MAGIC)) return { incomplete: 'it has no trailer' };
  if (Number(trailer.readBigUInt64LE(16)) !== trailerAt) throw damaged('its trailer does not match its operation');
  if (!createHash('sha256').update(body).digest().equals(trailer.subarray(24, 56))) throw damaged('its checksum does not match');
  if (head.readUInt32LE(HEADER) !== KIND) throw damaged(`unknown operation ${head.readUInt32LE(HEADER)}`);
  let transform: Transform;
  try {
    const [op, arg, unit] = JSON.parse(body.subarray(HEADER + OP).toString('utf8')) as [string, string | null, string | null];
    transform = parseTransform(op, arg ?? undefined, unit ?? undefined);
  } catch (err) {
    throw damaged(`its transform cannot be read back: ${err instanceof Error ? err.message : String(err)}`);
  }
  const offset = head.readBigUInt64LE(HEADER + 8);
  const length = head.readBigUInt64LE(HEADER + 16);
  const window = Number(head.readBigUInt64LE(HEADER + 24));
  const stageAt = Number(head.readBigUInt64LE(HEADER + 32));
  const { progressAt, stageAt: expectedStage } = layout(specLength);
  const slots = readAt(fd, 2 * SLOT, progressAt);
  let best: { seq: bigint; done: bigint; state: number } | undefined;
  for (let i = 0; i < 2 && slots.length === 2 * SLOT; i++) {
    const s = slots.subarray(i * SLOT, (i + 1) * SLOT);
    const seq = s.readBigUInt64LE(0);
    if (seq === 0n || !createHash('sha256').update(s.subarray(0, 24)).digest().subarray(0, 8).equals(s.subarray(24, 32))) continue;
    if (!best || seq > best.seq) best = { seq, done: s.readBigUInt64LE(8), state: s.readUInt32LE(16) };
  }
  if (!best) throw damaged('no progress slot is valid');
  const sizeBefore = head.readBigUInt64LE(32);
  if (
    length === 0n ||
    offset + length > sizeBefore ||
    head.readBigUInt64LE(40) !== sizeBefore ||
    length % BigInt(transform.unit) !== 0n ||
    !Number.isSafeInteger(window) ||
    window < 8 ||
    window % 8 !== 0 ||
    stageAt !== expectedStage ||
    best.done > length ||
    (best.done !== length && best.done % BigInt(window) !== 0n) ||
    (best.state !== STATE.free && best.state !== STATE.staged) ||
    (best.state === STATE.staged && best.done === length)
  ) {
    throw damaged('its operation or progress is out of range');
  }
  return {
    transform,
    offset,
    length,
    window,
    size: sizeBefore,
    journal: { path, fd, progressAt, stageAt, seq: best.seq },
    state: best.state,
    done: Number(best.done),
    header: parseHeader(head),
  };
}

/** What {@link finishTransform} found and did. */
export type FinishTransformReport =
  | { readonly state: 'incomplete'; readonly reason: string }
  | {
      readonly state: 'completed';
      readonly op: string;
      readonly offset: bigint;
      readonly length: bigint;
      readonly sizeFound: bigint;
      /** Bytes of the range that were still to transform when recover started. */
      readonly remaining: bigint;
    };

/**
 * `recover` of a transform journal (version 4): finishes the interrupted transform from the
 * progress it recorded (the staged window from the journal's slot, the rest from the file),
 * keeping the progress as it goes, fdatasyncs the file, removes the journal. An incomplete journal
 * (the transform never started) is only removed. A file another program cut shorter is finished
 * below its end (the cut stands, as recover does for a patch).
 *
 * @throws OperationError, leaving the journal in place, when it must not be trusted (symlink,
 *   other links or owner, damaged), belongs to another file, its writer still runs, or the file is
 *   longer than the journal says.
 */
export function finishTransform(path: string, file: OpenFile): FinishTransformReport {
  const handle = openJournal(path, true);
  let report: FinishTransformReport;
  try {
    const r = readTransformJournal(handle.fd, path);
    if ('incomplete' in r) {
      report = { state: 'incomplete', reason: r.incomplete };
    } else {
      const { header, journal: j, transform: t } = r;
      const st = assertJournalOwns(path, header, file.fd, 'transform');
      if (st.size > r.size) {
        throw new OperationError(
          `the file is ${st.size} bytes, but the transform journaled in ${path} was of a file of ${r.size} bytes: it was changed by another program; refusing it`,
        );
      }
      const len = Number(r.length);
      const limit = st.size < r.size ? st.size : undefined;
      let done = r.done;
      if (r.state === STATE.staged) {
        // The window at `done` from the slot: its bytes in the file may be half transformed.
        let n = Math.min(r.window, len - done);
        const at = r.offset + BigInt(done);
        if (limit !== undefined && at + BigInt(n) > limit) n = limit > at ? Number(limit - at) - (Number(limit - at) % t.unit) : 0;
        if (n > 0) {
          const bytes = Buffer.allocUnsafe(n);
          if (preadUpTo(j.fd, bytes, BigInt(j.stageAt)) !== n)
            throw new OperationError(`${path} is damaged (its staging slot is cut short): inspect the file, then remove the journal by hand`);
          t.apply(bytes, done);
          pwriteAll(file.fd, bytes, at);
        }
        done = Math.min(len, done + r.window);
        progress(j, STATE.free, done);
      }
      runWindows(file, t, { offset: r.offset, length: len, window: r.window, ...(limit !== undefined && { limit }) }, j, done, {
        count: false,
        sync: false,
        progress: NO_PROGRESS,
      });
      try {
        fdatasyncSync(file.fd);
      } catch (err) {
        throw fsError(err, 'cannot sync the file');
      }
      report = { state: 'completed', op: t.text, offset: r.offset, length: r.length, sizeFound: st.size, remaining: r.length - BigInt(r.done) };
    }
  } finally {
    handle.close();
  }
  removeJournal(path);
  return report;
}
