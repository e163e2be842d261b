// Guarded, idempotent, all-or-nothing patching of a file in place: the engine behind `mmapx patch`
// and the library's patchFile (patchFiles in batch.ts).
//
// Phases: open and lock the file; refuse while a journal exists; plan against the file through
// read-only windows (anchors, guards, "already applied"); only when a sha256 guard, an expected
// result hash or `hash` asks, hash the file and the would-be result in one read (see
// hashesWanted): otherwise nothing past the hunks' and anchors' pages is read; then (unless a dry
// run) write the undo journal and make it durable, resize, write the hunks through shared maps of
// only the pages they touch (checking each range still holds the bytes the journal saved), flush
// them (write-back per window, one fdatasync), and remove the journal. Any failure before the
// journal leaves the file untouched; any failure after it rolls the file back from the journal,
// except one: when another process truncates the file under the patch, the journal is kept and the
// error says to run recover (see recover.ts for what it does with a file that is now shorter than
// the journal says).
//
// Several files go in batches (batch.ts): each file is prepared up to its journal, written but not
// synced ({@link prepare}), and every step from the journal's sync to its removal is then done for
// the whole batch at once ({@link commit}), so that the syncs of many files overlap and share the
// filesystem's journal commits. Each file still goes through its own steps in the order above,
// keeps its lock throughout, and fails or is rolled back alone. One file is a batch of one.
//
// Truncation by another process is checked at every step: what the planner, the hash pass and the
// dry run read is void if a map faulted or the file got shorter (ERR_TRUNCATED, nothing written);
// each window written is checked for faults before its flush and against the size after it; at the
// end the file must still be as long as the patch made it and still be at its path.
import { objectArg, stringArg, textArg } from '../format/args.js';
import { describeValue } from '../format/quote.js';
import { PATCH_BOOLEANS, optionsArg, pathArg } from './args.js';
import { bindPatch } from './address.js';
import { createHash } from 'node:crypto';
import { type BigIntStats, closeSync, fdatasyncSync, fsyncSync, ftruncateSync } from 'node:fs';
import { ChangedUnderfoot, GuardError, InputError, MmapxError, NoRoom, OperationError } from '../errors.js';
import { withoutBom } from '../format/bytes.js';
import {
  applyPlan,
  type BytePattern,
  checkHashes,
  describeSource,
  differingRuns,
  dumpToPatch,
  hashesNeeded,
  hasShifts,
  ipsToPatch,
  isEmptyPatch,
  type OffsetHunk,
  parseDump,
  parseIps,
  parseNativePatch,
  parsePlainDump,
  type Patch,
  type Plan,
  type PlannedHunk,
  planPatch,
} from '../format/patch/index.js';
import { MmapError, MmapOptions, pageSize } from '../mmap/index.js';
import { hexImageToPatch, parseHexRecords } from '../format/hexrec/index.js';
import { shrankWhileWriting } from '../mmap/truncation.js';
import { assertCanGrow, assertSameFile, fsError, knownSize, type OpenFile, openFile, openFileAsync, shrankSinceOpen } from './files.js';
import {
  createJournal,
  discardJournal,
  type JournalFile,
  journalPath,
  type JournalRecord,
  refuseIfJournal,
  rollBack,
  syncDirectories,
  syncJournals,
  unlinkJournal,
} from './journal.js';
import { Later } from './later.js';
import { assertNotShrunk, type FileRef, groupWindows, MappedReader, reserveRanges, resultImage, sizeNow, type WriteReport, writeRanges } from './mapped.js';
import { patchShifted } from './patchshift.js';
import { hashFileAndResult, scanFile } from './scan.js';
import { type Clock, type EditContext, NO_PROGRESS, type ProgressSink } from './seams.js';
import { now, Timer } from './timing.js';

/**
 * The text formats of a patch: mmapx's own, a hex dump (`xxd`, `hexdump -C`), a plain dump (`xxd -p`), IPS,
 * an Intel HEX or Motorola S-record image (at {@link PatchTextOptions.base}).
 */
export type PatchFormat = 'native' | 'xxd' | 'plain' | 'ips' | 'ihex' | 'srec';

/** One change of a simple edit list: `bytes` written at `offset`, guarded by `expect` when given. */
export interface ByteEdit {
  /** Where the bytes go; a negative offset counts from the end of the file (`-4`: the last four bytes). */
  readonly offset: bigint | number;
  /** The bytes that must be there now (the guard), as long as `bytes`; without it the edit is unguarded. */
  readonly expect?: Uint8Array;
  /** The bytes to write (at least one). */
  readonly bytes: Uint8Array;
}

/**
 * What to apply: a patch text in one of the {@link PatchFormat}s (a string, or bytes: an IPS patch
 * is binary), a patch already parsed (`Patch`, from `mmapx/format` parsers), or a list of
 * {@link ByteEdit}s.
 */
export type PatchInput = string | Uint8Array | Patch | readonly ByteEdit[];

/** How a patch text is read. */
export interface PatchTextOptions {
  /** The format of a patch text (default `native`). */
  format?: PatchFormat;
  /** The patch's name in messages (`NAME line 3: ...`); default `patch` (`edits` for an edit list). */
  name?: string;
  /** Where the bytes of a `plain` dump go (a plain dump has no offsets); negative counts from the end. Default 0. */
  seek?: bigint;
  /** Accept a patch that changes nothing (no hunk, no `size after`); by default it is an {@link InputError}. */
  allowEmpty?: boolean;
  /**
   * `ihex` and `srec`: the address of file offset 0 (a record at address A writes at offset
   * A - base; an address below it is an InputError). Default 0.
   */
  base?: bigint;
  /**
   * `ihex` and `srec`: a second image in the same format with the bytes expected at the same
   * addresses now (the guard of every hunk; it must cover exactly the addresses of the patch).
   */
  expectOld?: string | Uint8Array;
  /** The name of {@link expectOld} in messages (default `old`). */
  expectOldName?: string;
}

/** Options of {@link patchFile} (and of each file of `patchFiles`). */
export interface PatchOptions extends EditContext, PatchTextOptions {
  /** Plan, check and show what would change, through private copy-on-write maps; the file is not opened for writing. */
  dryRun?: boolean;
  /** Keep an undo journal beside the file while it is written (default true): crash-safe, see `recover`. */
  journal?: boolean;
  /** Compute the sha256 of the file before and after (one read of the whole file). Default false. */
  hash?: boolean;
  /** Allow the patch to extend the file (hunks past the end, a larger `size after`). */
  grow?: boolean;
  /** Allow the patch to shrink the file (a smaller `size after`). */
  truncate?: boolean;
  /** Refuse (a failed outcome) unless the patched file would have this sha256 (64 hex digits). */
  expectResultSha256?: string;
  /**
   * A failed guard is a {@link PatchFailedOutcome} by default (nothing thrown). With this set it
   * is thrown instead, as a {@link PatchGuardError} carrying that same outcome.
   */
  throwOnFailure?: boolean;
}

/** How many hunks (anchors count once per match) are applied, already applied, and failed. */
export interface HunkCounts {
  readonly total: number;
  readonly applied: number;
  readonly already: number;
  readonly failed: number;
}

/** The whole-file digests a patch computed (lowercase hex); `null` for one not computed. */
export interface PatchHashes {
  readonly before: string | null;
  readonly after: string | null;
}

/** What every outcome says. */
export interface PatchOutcomeBase {
  /** The file, as the caller named it. */
  readonly path: string;
  /** Where the hunks came from (`fix.patch`, `edits x2`). */
  readonly sources: readonly string[];
  readonly dryRun: boolean;
  readonly hunks: HunkCounts;
  readonly sizeBefore: bigint;
  readonly sizeAfter: bigint;
  /** The digests computed (see {@link PatchOptions.hash}), or `null` when none was. */
  readonly sha256: PatchHashes | null;
  /** Milliseconds per phase (`open`, `plan`, `journal`, `write`, ...) and `total`. */
  readonly timings: Readonly<Record<string, number>>;
}

/** A hunk whose guard failed: where, and the bytes it expected and found. */
export interface FailedHunk {
  /** The hunk's source (`fix.patch line 3`, `edits line 1`). */
  readonly source: string;
  readonly offset: bigint;
  /** The guard's bytes (empty for an anchor that matched the wrong number of times). */
  readonly expected: Uint8Array;
  /** The bytes the file holds there. */
  readonly found: Uint8Array;
  /** For an anchor: where its pattern matched. */
  readonly match?: bigint;
}

/** Nothing was written: a guard failed. */
export interface PatchFailedOutcome extends PatchOutcomeBase {
  readonly status: 'failed';
  /** Which guard: the hunks' (`failedHunks` lists them), a `sha256 before|after` line, or the expected result hash. */
  readonly guard: 'hunks' | 'sha256' | 'result-sha256';
  /** One line per failure, `SOURCE: what`, in source order. */
  readonly failures: readonly string[];
  readonly failedHunks: readonly FailedHunk[];
}

/** Nothing was written: the file already holds the patch. */
export interface PatchAlreadyOutcome extends PatchOutcomeBase {
  readonly status: 'already';
}

/** One hunk of a dry run: the bytes there now and those the patch would leave (read back from a private map). */
export interface PatchChange {
  readonly source: string;
  readonly offset: bigint;
  readonly old: Uint8Array;
  readonly new: Uint8Array;
}

/**
 * An insert or delete of a patch (native `insert`/`delete` statements), at its offset in the file
 * before the patch: the first bytes deleted (`old`) or inserted (`new`), up to 64.
 */
export interface PatchShift {
  readonly source: string;
  readonly kind: 'insert' | 'delete';
  readonly offset: bigint;
  /** Bytes inserted or deleted. */
  readonly length: bigint;
  readonly old: Uint8Array;
  readonly new: Uint8Array;
}

/** A dry run: what would change; the file is untouched. */
export interface PatchDryRunOutcome extends PatchOutcomeBase {
  readonly status: 'dry-run';
  /** Bytes that would differ (not counting a resize). */
  readonly bytesChanged: number;
  readonly changes: readonly PatchChange[];
  /** The patch's inserts and deletes, in the result's order; absent without any. */
  readonly shifts?: readonly PatchShift[];
}

/** The patch is written and durable, its journal gone. */
export interface PatchAppliedOutcome extends PatchOutcomeBase {
  readonly status: 'applied';
  /** Bytes that differ now (not counting a resize). */
  readonly bytesChanged: number;
  /** Bytes of the hunks written. */
  readonly bytesWritten: number;
  /** Map windows written. */
  readonly windows: number;
  /** Bytes handed to write-back (whole pages). */
  readonly synced: number;
  /** The undo journal that was written and removed, or `null` without one. */
  readonly journal: { readonly path: string; readonly records: number; readonly bytes: number } | null;
  /** The patch's inserts and deletes, in the result's order; absent without any. */
  readonly shifts?: readonly PatchShift[];
}

/** What {@link patchFile} did. */
export type PatchOutcome = PatchFailedOutcome | PatchAlreadyOutcome | PatchDryRunOutcome | PatchAppliedOutcome;

/** The failure {@link patchFile} throws with {@link PatchOptions.throwOnFailure}: a guard failed, nothing was written. */
export class PatchGuardError extends GuardError {
  readonly outcome: PatchFailedOutcome;
  constructor(outcome: PatchFailedOutcome) {
    const first = outcome.failures[0] ?? 'a guard failed';
    const more = outcome.failures.length > 1 ? ` (and ${outcome.failures.length - 1} more)` : '';
    const at = outcome.failedHunks[0]?.offset;
    super(`nothing written: ${first}${more}`, { path: outcome.path, ...(at !== undefined && { offset: at }) });
    this.outcome = outcome;
  }
}

/**
 * Parses a patch text in `format` (default native). No format is guessed: a text that does not
 * parse is an {@link InputError} naming the line.
 */
export function parsePatch(input: string | Uint8Array, options: PatchTextOptions = {}): Patch {
  textArg(input, 'the patch');
  objectArg(options, 'options', true);
  stringArg(options.name, 'options.name', true);
  const format = options.format ?? 'native';
  const name = options.name ?? 'patch';
  const raw = typeof input === 'string' ? Buffer.from(input, format === 'ips' ? 'latin1' : 'utf8') : input;
  // Every format but IPS is text, which may start with a byte order mark.
  const bytes = format === 'ips' ? raw : withoutBom(raw);
  // Zero bytes are the empty patch of every format (an IPS file without even its header too).
  if (bytes.length === 0) return { hunks: [], guards: {} };
  if (format === 'ips') return ipsToPatch(parseIps(bytes, name), name);
  if (format === 'ihex' || format === 'srec') {
    const oldName = options.expectOldName ?? 'old';
    const image = options.expectOld;
    const old =
      image === undefined ? undefined : parseHexRecords(typeof image === 'string' ? image.replace(/^\uFEFF/, '') : withoutBom(image), format, oldName);
    return hexImageToPatch(parseHexRecords(bytes, format, name), { name, base: options.base ?? 0n, ...(old && { old, oldName }) });
  }
  const text = typeof input === 'string' && bytes === raw ? input : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  if (format === 'xxd') return dumpToPatch(parseDump(text, name), name);
  if (format === 'plain') return dumpToPatch(parsePlainDump(text, name, options.seek ?? 0n), name);
  return parseNativePatch(text, name);
}

/** An edit list as a patch: one offset hunk per edit, its source `NAME line N` (N from 1). */
export function editsToPatch(edits: readonly ByteEdit[], name = 'edits'): Patch {
  if (!Array.isArray(edits)) throw new InputError(`the edits must be an array of { offset, data }, not ${describeValue(edits)}`);
  stringArg(name, 'name');
  const hunks = edits.map((e, i): OffsetHunk => {
    const source = { name, line: i + 1 };
    const where = describeSource(source);
    if (!(e.bytes instanceof Uint8Array) || e.bytes.length === 0) throw new InputError(`${where}: bytes must be a non-empty Uint8Array`);
    if (e.expect !== undefined && e.expect.length !== e.bytes.length) {
      throw new InputError(`${where}: expect has ${e.expect.length} bytes but bytes has ${e.bytes.length}: a guard is as long as its change`);
    }
    const offset = typeof e.offset === 'bigint' ? e.offset : Number.isSafeInteger(e.offset) ? BigInt(e.offset) : undefined;
    if (offset === undefined) throw new InputError(`${where}: offset ${describeValue(e.offset)} is not an integer`);
    return { kind: 'offset', offset, new: e.bytes, source, ...(e.expect !== undefined && { old: e.expect }) };
  });
  return { hunks, guards: {} };
}

function isPatch(input: PatchInput): input is Patch {
  return typeof input === 'object' && input !== null && !(input instanceof Uint8Array) && !Array.isArray(input) && Array.isArray((input as Patch).hunks);
}

/**
 * The patch and its sources' names for a {@link PatchInput}.
 * @throws InputError for a text that does not parse, a bad edit, or a patch that changes nothing (unless `allowEmpty`).
 */
export function resolvePatchInput(input: PatchInput, options: PatchTextOptions = {}): { patch: Patch; sources: string[] } {
  let patch: Patch;
  let sources: string[];
  if (typeof input !== 'string' && !(input instanceof Uint8Array) && !Array.isArray(input) && !isPatch(input)) {
    throw new InputError(`the patch must be text, bytes, a parsed Patch or an array of { offset, data }, not ${describeValue(input)}`);
  }
  if (Array.isArray(input)) {
    const edits = input as readonly ByteEdit[];
    patch = editsToPatch(edits, options.name ?? 'edits');
    sources = [`${options.name ?? 'edits'} x${edits.length}`];
  } else if (isPatch(input)) {
    patch = input;
    sources = [options.name ?? 'patch'];
  } else {
    patch = parsePatch(input as string | Uint8Array, options);
    const format = options.format ?? 'native';
    sources = [format === 'native' ? (options.name ?? 'patch') : `${options.name ?? 'patch'} (${format})`];
  }
  if (isEmptyPatch(patch) && !options.allowEmpty) {
    throw new InputError('the patch changes nothing (no hunk, no size after): refusing it (a truncated download looks like this); allowEmpty accepts it');
  }
  return { patch, sources };
}

/**
 * The whole-file hashes a patch computes: the file's (`before`) and the result's (`after`). None by
 * default; those a `sha256 before|after` guard or an expected result hash needs (of a file already
 * patched, the file's is the result's); both with `hash` (of a file already patched, the file's,
 * reported as both).
 */
export function hashesWanted(plan: Plan, opts: { hash: boolean; expectResult: boolean }): { before: boolean; after: boolean } {
  const need = hashesNeeded(plan);
  return {
    before: opts.hash || need.current || (plan.state === 'already' && opts.expectResult),
    after: plan.state === 'apply' && (opts.hash || need.result || opts.expectResult),
  };
}

/** Everything a patch of one file is given, resolved once for every file of a run. */
export interface PatchJob {
  readonly patch: Patch;
  readonly sources: readonly string[];
  readonly dryRun: boolean;
  readonly journal: boolean;
  readonly hash: boolean;
  readonly grow: boolean;
  readonly truncate: boolean;
  readonly expectResultSha256: string | undefined;
  readonly force: boolean;
  readonly lockWait: number | undefined;
  /** Wait for a lock blocking the thread (the CLI) instead of with timers. */
  readonly blocking: boolean;
  readonly signal: AbortSignal | undefined;
  readonly progress: ProgressSink;
  /** Search anchors and hash on worker threads (only the CLI's program can run as a worker). */
  readonly workers: boolean;
  /** The slice of a fat Mach-O in which the patch's symbolic addresses are resolved. */
  readonly arch?: string | undefined;
  /** Told each file's plan once it is made (stamp reports every location from it). */
  readonly onPlan?: (plan: Plan) => void;
  /** Tail bytes per step of a patch's inserts and deletes (default shift.ts SHIFT_WINDOW); for tests. */
  readonly shiftWindow?: number;
}

/** A {@link PatchJob} from a library caller's options. */
export function patchJob(patch: Patch, sources: readonly string[], o: PatchOptions): PatchJob {
  const expect = o.expectResultSha256;
  if (expect !== undefined && !/^[0-9a-fA-F]{64}$/.test(expect))
    throw new InputError(`expectResultSha256 must be 64 hex digits of SHA-256, not ${JSON.stringify(expect.slice(0, 80))}`);
  return {
    patch,
    sources,
    dryRun: o.dryRun === true,
    journal: o.journal !== false,
    hash: o.hash === true,
    grow: o.grow === true,
    truncate: o.truncate === true,
    expectResultSha256: expect?.toLowerCase(),
    force: o.force === true,
    lockWait: o.lockWait,
    blocking: o.blocking === true,
    signal: o.signal,
    progress: o.progress ?? NO_PROGRESS,
    workers: false,
    arch: o.arch,
  };
}

/** A Timer that also tells a caller's {@link Clock} each phase it ends. */
class ClockedTimer extends Timer {
  readonly #clock: Clock;
  constructor(clock: Clock, opts: { sumOfPhases?: boolean }) {
    super(opts);
    this.#clock = clock;
  }
  override lap(name: string): void {
    super.lap(name);
    this.#clock.lap(name);
  }
}

/** The Timer of one file: the caller's clock told each phase, when it gave one (`sumOfPhases`: see Timer). */
export function timerFor(o: EditContext, opts: { sumOfPhases?: boolean } = {}): Timer {
  return o.clock ? new ClockedTimer(o.clock, opts) : new Timer(opts);
}

/**
 * Applies a guarded patch to the file at `path`, all or nothing, crash-safe (an undo journal
 * beside the file while it is written; see {@link recover}), idempotent (a second call reports
 * `already`).
 *
 * Guards that fail are an outcome, `{ status: 'failed', failedHunks: [{ offset, expected, found }] }`,
 * and leave the file byte-identical; with `throwOnFailure` they are thrown as a
 * {@link PatchGuardError} carrying that outcome. Everything else that stops the patch throws:
 * {@link InputError} (a patch that does not parse, or does not fit the file: growing without
 * `grow`, overlapping hunks), {@link OperationError} (the file cannot be opened or locked, a journal
 * of an interrupted patch is beside it, a write failed and was rolled back), `MmapError`
 * (`ERR_TRUNCATED`: another process cut the file). The wait for another process's lock uses timers
 * and ends with the `signal`'s reason when it aborts.
 *
 * @example
 * const r = await patchFile('fw.bin', [{ offset: 0x10, expect: Uint8Array.of(0x74), bytes: Uint8Array.of(0xeb) }]);
 * if (r.status === 'failed') console.log(r.failedHunks[0].offset);
 */
export async function patchFile(path: string, patch: PatchInput, options: PatchOptions = {}): Promise<PatchOutcome> {
  pathArg(path);
  optionsArg(options, PATCH_BOOLEANS);
  const { patch: parsed, sources } = resolvePatchInput(patch, options);
  const outcome = await patchOne(path, patchJob(parsed, sources, options), timerFor(options));
  if (outcome.status === 'failed' && options.throwOnFailure) throw new PatchGuardError(outcome);
  return outcome;
}

/** Patches one file on its own: {@link prepare}, then a batch of that one file ({@link commit}). */
export async function patchOne(path: string, job: PatchJob, timer: Timer): Promise<PatchOutcome> {
  const p = await prepare(path, job, timer);
  if (!(p instanceof Pending)) return p;
  commit([p]);
  return p.later.take();
}

/** The outcome of a plan whose hunk guards failed (nothing was written): every failed hunk, where and what it found. */
export function failedHunksOutcome(plan: Plan, base: Omit<PatchOutcomeBase, 'sha256' | 'timings'>, timer: Timer): PatchFailedOutcome {
  const failedHunks: FailedHunk[] = [];
  for (const h of plan.hunks) {
    if (h.state !== 'fail') continue;
    failedHunks.push({
      source: describeSource(h.hunk.source),
      offset: h.offset,
      expected: h.old ?? new Uint8Array(0),
      found: h.current,
      ...(h.match !== undefined && { match: h.match }),
    });
  }
  return { status: 'failed', ...base, guard: 'hunks', failures: plan.failures, failedHunks, sha256: null, timings: timer.json() };
}

/** SHA-256 of some bytes (the planner's transform statements ask for it). */
function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function end(h: PlannedHunk): bigint {
  return h.offset + BigInt(h.new.length);
}

export function changedBytes(hunks: readonly PlannedHunk[]): number {
  let n = 0;
  for (const h of hunks) differingRuns(h.current, h.new, (s, e) => (n += e - s));
  return n;
}

export function counts(plan: Plan): HunkCounts {
  const c = { total: plan.hunks.length, applied: 0, already: 0, failed: 0 };
  for (const h of plan.hunks) {
    if (h.state === 'apply') c.applied++;
    else if (h.state === 'already') c.already++;
    else c.failed++;
  }
  return c;
}

/** The original bytes the patch overwrites, as journal records: hunks within the old size, then what a shrink cuts off. */
function* originals(plan: Plan, reader: MappedReader): Generator<JournalRecord> {
  for (const h of plan.hunks) {
    if (h.state !== 'apply' || h.offset >= plan.sizeBefore) continue;
    const inside = end(h) < plan.sizeBefore ? h.current.length : Number(plan.sizeBefore - h.offset);
    yield { offset: h.offset, bytes: h.current.subarray(0, inside) };
  }
  const chunk = 16 * 1024 * 1024;
  for (let at = plan.sizeAfter; at < plan.sizeBefore; at += BigInt(chunk)) {
    const n = plan.sizeBefore - at < BigInt(chunk) ? Number(plan.sizeBefore - at) : chunk;
    yield { offset: at, bytes: reader.read(at, n) };
  }
}

/** Applies the plan to private copy-on-write maps of the pages it touches; returns each change's new bytes as read back. */
export function dryRunBytes(file: FileRef, plan: Plan, apply: readonly PlannedHunk[]): Map<PlannedHunk, Uint8Array> {
  const out = new Map<PlannedHunk, Uint8Array>();
  const inFile = apply
    .filter((h) => h.offset < plan.sizeBefore)
    .map((h) => ({ offset: h.offset, length: Number((end(h) < plan.sizeBefore ? end(h) : plan.sizeBefore) - h.offset), h }));
  for (const w of groupWindows(inFile)) {
    const map = new MmapOptions().offset(w.offset).len(w.length).mapCopy(file);
    try {
      const view = map.bytes;
      applyPlan(view, plan, w.offset);
      for (const it of w.items) {
        const at = Number(it.offset - w.offset);
        const bytes = new Uint8Array(it.h.new.length);
        bytes.set(view.subarray(at, at + it.length));
        bytes.set(it.h.new.subarray(it.length), it.length); // past the current end: the grown part
        out.set(it.h, bytes);
      }
      // Pages past a new end read as zeros: what was read back from them is void.
      map.assertIntact('read');
    } finally {
      map.unmap();
    }
  }
  for (const h of apply) if (!out.has(h)) out.set(h, h.new);
  return out;
}

/**
 * A file planned, checked and journaled (its journal written in full, not durable yet), that has
 * not changed yet: it waits for the rest of its batch. It holds its file open and locked.
 */
export class Pending<O = PatchOutcome> {
  /** What the writes did, once they are done. */
  written: WriteReport | undefined;
  /** Its outcome once everything is done and durable. */
  readonly later = new Later<O>();
  constructor(
    readonly path: string,
    readonly file: OpenFile,
    readonly timer: Timer,
    readonly plan: Plan,
    readonly apply: readonly PlannedHunk[],
    /** Bytes it holds: its hunks (old and new) in memory, and its journal on disk. */
    readonly bytes: number,
    readonly jpath: string,
    /** Undefined without a journal. */
    readonly journal: JournalFile | undefined,
    readonly progress: ProgressSink,
    /** Its outcome, made once the writes are durable. */
    readonly outcome: (written: WriteReport) => O,
    /**
     * Writes the file instead of the plan's hunks (after any resize): an edit whose new bytes are
     * produced window by window as they are written (src/edit/overwrite.ts).
     */
    readonly writer?: () => WriteReport,
    /** Wait for the writes to reach the disk (fdatasync) before the journal goes; false: leave them to the kernel. */
    readonly sync = true,
  ) {}
}

/** Sets the path of an engine error that names none. */
function placed(err: unknown, path: string): unknown {
  if (err instanceof MmapxError && err.path === undefined) err.path = path;
  return err;
}

/**
 * Opens, locks, plans and checks one file, and writes its journal (not synced): everything up to
 * the first change. Returns the file's outcome when it ends there (a guard failed, already
 * applied, a dry run); otherwise the file waits, open and locked, for {@link commit}. A failure
 * throws, with the file closed and no journal left. `beforeLock` is called with the file's status
 * before its lock is taken (a batch commits first when it holds that file already).
 */
export async function prepare(path: string, job: PatchJob, timer: Timer, beforeLock?: (st: BigIntStats) => void): Promise<PatchOutcome | Pending> {
  // Inserts and deletes rewrite the tail: such a file is patched whole, on its own (patchshift.ts), never batched.
  if (hasShifts(job.patch)) return patchShifted(path, job, timer, beforeLock);
  const jpath = journalPath(path);
  const how = { write: !job.dryRun, force: job.force, lockWait: job.lockWait, ...(beforeLock && { beforeLock }) };
  let file: OpenFile;
  try {
    file = job.blocking ? openFile(path, how) : await openFileAsync(path, { ...how, ...(job.signal && { signal: job.signal }) });
  } catch (err) {
    throw placed(err, path);
  }
  timer.lap('open');
  let reader: MappedReader;
  try {
    // Under the lock, not before it: a journal seen before taking it may be the one of a patch
    // that is running (it is gone when that patch is done); under it, a journal is one of a patch
    // that was interrupted.
    refuseIfJournal(path, jpath);
    pageSize(); // loads the FFI on first use, timed on its own
    reader = new MappedReader(file, knownSize(file));
  } catch (err) {
    file.close();
    throw placed(err, path);
  }
  timer.lap('ffi');
  let pending: Pending | undefined;
  try {
    const size = reader.size;
    const progress = job.progress;
    // Anchors are searched on every core, each thread through its own maps (scan.ts).
    const scan = (patterns: readonly BytePattern[], keep: readonly number[]) => {
      progress.phase(`search ${path}`, size);
      return scanFile(file, { offset: 0n, length: size }, patterns, keep, { workers: job.workers, progress: (done) => progress.update(Number(done)) });
    };
    const plan = planPatch(bindPatch(file, job.patch, job), reader, { grow: job.grow, truncate: job.truncate, scan, sha256: sha256Hex });
    // Guards, "already applied" and the journal's bytes are judged from what was read: not from zeros.
    reader.assertIntact();
    // A size past the filesystem's largest file or `ulimit -f` fails here, dry run or not: before
    // the hash pass reads (or zero-fills) its way to it, and before the journal.
    if (plan.sizeAfter > plan.sizeBefore) assertCanGrow(file, plan.sizeAfter);
    timer.lap('plan');
    job.onPlan?.(plan);
    const base = { path, sources: job.sources, dryRun: job.dryRun, hunks: counts(plan), sizeBefore: plan.sizeBefore, sizeAfter: plan.sizeAfter };

    if (plan.state === 'fail') return failedHunksOutcome(plan, base, timer);

    // Whole-file hashes only when something needs them: a `sha256 before|after` guard, an
    // expected result hash, or `hash` (the report's digests). Otherwise a patch reads only the
    // pages its hunks and anchors need, whatever the size of the file.
    const expectResult = job.expectResultSha256;
    const { before: wantBefore, after: wantAfter } = hashesWanted(plan, { hash: job.hash, expectResult: expectResult !== undefined });
    if (wantBefore || wantAfter) progress.phase(`hash ${path}`, size);
    const hashes = hashFileAndResult(
      file,
      size,
      resultImage(plan),
      { before: wantBefore, after: wantAfter },
      { workers: job.workers, progress: (done) => progress.update(Number(done)) },
    );
    if (plan.state === 'already' && hashes.before !== undefined) hashes.after = hashes.before;
    if (wantBefore || wantAfter) timer.lap('hash');
    const sha256 = hashes.before !== undefined || hashes.after !== undefined ? { before: hashes.before ?? null, after: hashes.after ?? null } : null;
    const resultHash = plan.state === 'already' ? hashes.before : hashes.after;
    try {
      checkHashes(plan, { ...(hashes.before !== undefined && { current: hashes.before }), ...(hashes.after !== undefined && { result: hashes.after }) });
    } catch (err) {
      if (!(err instanceof GuardError)) throw err;
      return { status: 'failed', ...base, guard: 'sha256', failures: [err.message], failedHunks: [], sha256, timings: timer.json() };
    }
    if (expectResult !== undefined && resultHash !== expectResult) {
      const failure = `the patched file would have sha256 ${resultHash}, expected ${expectResult}`;
      return { status: 'failed', ...base, guard: 'result-sha256', failures: [failure], failedHunks: [], sha256, timings: timer.json() };
    }

    if (plan.state === 'already') return { status: 'already', ...base, sha256, timings: timer.json() };

    const apply = plan.hunks.filter((h) => h.state === 'apply');
    const bytesChanged = changedBytes(apply);
    if (job.dryRun) {
      const neu = dryRunBytes(file, plan, apply);
      assertNotShrunk(file, size, 'read');
      timer.lap('apply-private');
      const changes = apply.map((h): PatchChange => ({ source: describeSource(h.hunk.source), offset: h.offset, old: h.current, new: neu.get(h)! }));
      return { status: 'dry-run', ...base, bytesChanged, sha256, changes, timings: timer.json() };
    }

    // The last moment to stop with nothing changed.
    job.signal?.throwIfAborted();
    // From here on the file will change: first the journal (made durable by commit), then the bytes.
    const header = { dev: file.stat.dev, ino: file.stat.ino, sizeBefore: plan.sizeBefore, sizeAfter: plan.sizeAfter };
    let journal: JournalFile | undefined;
    if (job.journal) {
      journal = createJournal(jpath, header, originals(plan, reader));
      timer.lap('journal');
    }
    if (plan.sizeAfter < plan.sizeBefore) {
      try {
        // The journal also holds the tail the shrink cuts off, read just now: void if the file
        // shrank meanwhile. Nothing is written yet, so the journal can simply go. (The hunks' bytes
        // were checked after the plan, and the size is checked again right before the writes.)
        reader.assertIntact();
      } catch (err) {
        if (journal) {
          closeSync(journal.fd);
          discardJournal(jpath);
        }
        throw err;
      }
    }
    let bytes = journal?.bytes ?? 0;
    for (const h of apply) bytes += h.current.length + h.new.length;
    const j = journal;
    pending = new Pending<PatchOutcome>(path, file, timer, plan, apply, bytes, jpath, journal, progress, (written) => ({
      status: 'applied',
      ...base,
      bytesChanged,
      bytesWritten: written.bytes,
      windows: written.windows,
      synced: written.synced,
      sha256,
      journal: j ? { path: jpath, records: j.records, bytes: j.bytes } : null,
      timings: timer.json(),
    }));
    return pending;
  } catch (err) {
    // A range the file no longer reaches because it shrank since it was opened: exit 1, not 2.
    throw placed(shrankSinceOpen(file, err, 'read'), path);
  } finally {
    reader.close();
    if (!pending) file.close();
  }
}

/**
 * Gives up a prepared file that was never written: its journal removed, its file closed (the lock
 * released), its outcome rejected with `error`.
 */
export function abandon<O>(p: Pending<O>, error: unknown): void {
  if (p.journal) {
    closeSync(p.journal.fd);
    discardJournal(p.jpath);
  }
  p.file.close();
  p.later.reject(error);
}

/**
 * Patches the prepared files of a batch, each all or nothing: (1) their journals made durable
 * together (see syncJournals); (2) each file resized and written through maps, its write-back
 * started per window; (3) each file fdatasynced (fsynced when resized), all writes in flight at
 * once, and checked to be still as long and at its path; (4) the journals removed, each directory
 * synced once. A file that fails at a step leaves the later steps: before (2) its journal is
 * removed and it is untouched; from (2) on it is rolled back from its journal, exactly as a patch
 * of that file alone would be. The others go on. Every file is closed (its lock released) at the
 * end, and its outcome settled. The time of a step done for many files at once is shared evenly
 * among them in their timings.
 */
export function commit<O>(files: readonly Pending<O>[]): void {
  const failed = new Map<Pending<O>, unknown>();
  const fail = (p: Pending<O>, err: unknown): void => {
    failed.set(p, placed(shrankSinceOpen(p.file, err, 'read'), p.path));
  };
  const live = (): Pending<O>[] => files.filter((p) => !failed.has(p));
  let completed = false;
  let unexpected: string | undefined;
  try {
    const journaled = files.filter((p) => p.journal !== undefined);
    shared(journaled, 'journal', () => {
      const bad = syncJournals(journaled.map((p) => p.journal!));
      for (const p of journaled) if (bad.has(p.journal!)) fail(p, bad.get(p.journal!));
    });
    for (const p of live()) {
      p.timer.resume();
      try {
        // The journal's bytes were read from a file this long, and the writes start from that size.
        assertNotShrunk(p.file, p.plan.sizeBefore, 'read');
      } catch (err) {
        if (p.journal) discardJournal(p.jpath);
        fail(p, err);
        continue;
      }
      try {
        p.written = writeFile(p);
      } catch (err) {
        fail(p, rolledBack(p, err));
      }
    }
    shared(live(), 'fdatasync', (list) => {
      for (const p of list) {
        try {
          // The windows' write-back is under way: this waits for it (fsync: the size changed too).
          if (p.plan.sizeAfter !== p.plan.sizeBefore) fsyncSync(p.file.fd);
          else if (p.sync) fdatasyncSync(p.file.fd);
          // Cut after the writes, or the file replaced: the patched bytes are not all where the user will look.
          const size = sizeNow(p.file);
          if (size < p.plan.sizeAfter) throw shrankWhileWriting(p.path, size, p.plan.sizeAfter);
          assertSameFile(p.file);
        } catch (err) {
          fail(p, rolledBack(p, err));
        }
      }
    });
    shared(
      live().filter((p) => p.journal !== undefined),
      'cleanup',
      (list) => {
        const removed: Pending<O>[] = [];
        for (const p of list) {
          try {
            unlinkJournal(p.jpath);
            removed.push(p);
          } catch (err) {
            fail(p, err);
          }
        }
        // The files are patched and durable; only the journals' removal may not be.
        syncDirectories(
          removed,
          (p) => p.jpath,
          (p, err) =>
            fail(
              p,
              new OperationError(
                `patched, but the removal of its undo journal may not be durable (${err.message}): after a crash, 'mmapx recover ${p.path}' would undo the patch`,
              ),
            ),
        );
      },
    );
    completed = true;
  } catch (err) {
    // No step expected it. Every file still to settle says so below, so that a several-file run
    // still lists each file (and the recover each needs) instead of stopping at this error.
    unexpected = err instanceof Error ? err.message : String(err);
  } finally {
    for (const p of files) {
      p.file.close();
      if (failed.has(p)) p.later.reject(failed.get(p));
      else if (!completed || p.written === undefined) {
        // The file may be anywhere between untouched and patched; its journal (if any) is kept.
        p.later.reject(
          new OperationError(`the patch stopped midway (${unexpected ?? 'an internal error'}): run 'mmapx recover ${p.path}'`, undefined, { path: p.path }),
        );
      } else {
        try {
          p.later.resolve(p.outcome(p.written));
        } catch (err) {
          p.later.reject(err);
        }
      }
    }
  }
}

/** Runs `work` on `list` at once and gives each file an equal share of its time under `phase`. */
function shared<O>(list: readonly Pending<O>[], phase: string, work: (list: readonly Pending<O>[]) => void): void {
  if (list.length === 0) return;
  const start = now();
  work(list);
  const each = (now() - start) / list.length;
  for (const p of list) p.timer.add(phase, each);
}

/** Resizes the file and writes its hunks through maps, starting each window's write-back. */
function writeFile<O>(p: Pending<O>): WriteReport {
  const { file, plan, timer } = p;
  // Each range is written only if it still holds the bytes the journal saved.
  const ranges = p.apply.map((h) => ({ offset: h.offset, bytes: h.new, expect: h.current, length: h.new.length }));
  // Room for them first (holes, past the end), before the size or a byte changes.
  if (!p.writer) reserveRanges(file, ranges, plan.sizeBefore);
  if (plan.sizeAfter !== plan.sizeBefore) {
    try {
      ftruncateSync(file.fd, Number(plan.sizeAfter));
    } catch (err) {
      throw fsError(err, `cannot resize the file to ${plan.sizeAfter} bytes`);
    }
    timer.lap('resize');
  }
  if (p.writer) {
    const written = p.writer();
    timer.lap('write');
    timer.split('write', 'writeback', written.syncMs);
    return written;
  }
  // Each window starts its write-back as soon as it is written; one fdatasync per file (see
  // commit) then waits for all of it: the data is durable before the journal goes.
  const progress = p.progress;
  progress.phase(
    `write ${p.path}`,
    ranges.reduce((n, r) => n + r.length, 0),
  );
  const written = writeRanges(file, ranges, { sync: 'start', lease: true, progress: (done) => progress.update(done) });
  timer.lap('write');
  timer.split('write', 'writeback', written.syncMs);
  return written;
}

/** {@link failAfterJournal}'s error, for a file of a batch. */
function rolledBack<O>(p: Pending<O>, err: unknown): unknown {
  try {
    failAfterJournal(p.file, p.journal ? p.jpath : undefined, err);
  } catch (e) {
    return e;
  }
}

/**
 * A failure after the journal was written: roll the file back from the journal (as recover
 * would), then report the failure. If the rollback fails too, the journal stays and the error
 * says to run recover. When another process truncated the file (ERR_TRUNCATED), no rollback is
 * tried: the journal stays, and the error says to run recover (which restores what the file still
 * reaches and says what it could not).
 */
export function failAfterJournal(file: OpenFile, jpath: string | undefined, err: unknown): never {
  const why =
    err instanceof ChangedUnderfoot
      ? `${err.message} (another program is writing it)`
      : err instanceof MmapError
        ? `${err.reason}${err.isSystemError ? ` (${err.code})` : ''}`
        : err instanceof Error
          ? err.message
          : String(err);
  if (err instanceof NoRoom) {
    // Found before the first byte changed: the journal has nothing to undo.
    if (jpath !== undefined) discardJournal(jpath);
    throw err;
  }
  if (jpath === undefined) {
    throw new OperationError(`${why}; without a journal the file may be partly patched`, undefined, { cause: err });
  }
  const cut = shrankSinceOpen(file, err, 'written');
  if (cut instanceof MmapError && cut.code === 'ERR_TRUNCATED') {
    throw new MmapError('ERR_TRUNCATED', `${cut.reason}; the undo journal is kept: run 'mmapx recover ${file.path}'`, { path: file.path });
  }
  try {
    rollBack(jpath, file, { cut: false });
  } catch (again) {
    throw new OperationError(
      `${why}; rolling back failed too (${again instanceof Error ? again.message : String(again)}): run 'mmapx recover ${file.path}'`,
      undefined,
      { cause: err },
    );
  }
  throw new OperationError(`${why}; the file was rolled back from the journal, nothing changed`, undefined, { cause: err });
}
