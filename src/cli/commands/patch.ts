// mmapx patch FILE [PATCH|-] [--edit SPEC]... [--find HEX --replace HEX [--all|--count N]]:
// guarded, idempotent, all-or-nothing binary patching. Also FILE... with --patch PATCH, --edit or
// --find (or --files-from LIST): the patch is parsed once, then each file goes through the phases
// below on its own (src/cli/multi.ts runs the loop).
//
// Phases: parse every source; open and lock the file; refuse while a journal exists; plan against
// the file through read-only windows (anchors, guards, "already applied"); only when a sha256
// guard, --expect-result-sha256 or --hash asks, hash the file and the would-be result in one read
// (see hashesWanted): otherwise nothing past the hunks' and anchors' pages is read; then (unless --dry-run) write the undo journal and make it durable,
// resize, write the hunks through shared maps of only the pages they touch (checking each range
// still holds the bytes the journal saved), flush them (write-back per window, one fdatasync),
// and remove the journal. Any failure before the journal leaves the file untouched; any failure
// after it rolls the file back from the journal, except one: when another process truncates the
// file under the patch, the journal is kept and the error says to run `mmapx recover` (see
// recover.ts for what it does with a file that is now shorter than the journal says).
//
// Several files go in batches (see Batch): each file is prepared up to its journal, written but
// not synced (prepare), and every step from the journal's sync to its removal is then done for
// the whole batch at once (commit), so that the syncs of many files overlap and share the
// filesystem's journal commits. Each file still goes through its own steps in the order above,
// keeps its lock throughout, and fails or is rolled back alone. One file is a batch of one.
//
// Truncation by another process is checked at every step: what the planner, the hash pass and the
// dry run read is void if a map faulted or the file got shorter (ERR_TRUNCATED, exit 1, nothing
// written); each window written is checked for faults before its flush and against the size after
// it; at the end the file must still be as long as the patch made it and still be at its path.
import { constants as bufferConstants } from 'node:buffer';
import { type BigIntStats, closeSync, fdatasyncSync, fsyncSync, ftruncateSync } from 'node:fs';
import { GuardError, InputError, OperationError } from '../../errors.js';
import { parseNumber, parseOffset } from '../../format/number.js';
import {
  checkHashes,
  describeSource,
  detectDumpLayout,
  differingRuns,
  dumpToPatch,
  findReplaceHunk,
  formatChangeListing,
  hashesNeeded,
  ipsToPatch,
  isEmptyPatch,
  looksLikeIps,
  looksLikePlainDump,
  mergePatches,
  parseDump,
  parseEditSpec,
  parseIps,
  parseNativePatch,
  parsePlainDump,
  planPatch,
  type Patch,
  type Plan,
  type PlannedHunk,
  applyPlan,
} from '../../format/patch/index.js';
import type { BytePattern } from '../../format/search.js';
import { MmapError, MmapOptions, pageSize } from '../../mmap/index.js';
import { shrankWhileWriting } from '../../mmap/truncation.js';
import type { Context, Result } from '../context.js';
import { assertCanGrow, assertSameFile, fsError, knownSize, type OpenFile, openFile, shrankSinceOpen } from '../../edit/files.js';
import { readInput } from '../input.js';
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
} from '../../edit/journal.js';
import {
  assertNotShrunk,
  ChangedUnderfoot,
  type FileRef,
  groupWindows,
  MappedReader,
  resultImage,
  sizeNow,
  type WriteReport,
  writeRanges,
} from '../../edit/mapped.js';
import { type Batching, eachFile, files, Later, missingArgument, type Tally, targets, took } from '../multi.js';
import { hashFileAndResult, scanFile } from '../../edit/scan.js';
import { now, Timer } from '../../edit/timing.js';

/** Bytes of old/new shown per change in --json. */
const SHOWN = 64;

type Format = 'native' | 'xxd' | 'plain' | 'ips';

async function readPatchFile(arg: string, format: Format): Promise<{ bytes: Buffer; name: string }> {
  const name = arg === '-' ? 'stdin' : arg;
  const input = {
    what: 'the patch',
    terminal: 'PATCH is - but standard input is a terminal: pipe the patch in',
    // Every format but IPS is text, and becomes one string.
    ...(format !== 'ips' && { fileLimit: bufferConstants.MAX_STRING_LENGTH }),
  };
  try {
    return { bytes: await readInput(arg, input), name };
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw fsError(err, arg === '-' ? 'cannot read the patch from standard input' : `cannot read the patch ${arg}`);
  }
}

/**
 * Parses the patch file in `format` (`seek`: where a plain dump's bytes go); a native parse error
 * says when the text looks like another format.
 */
function parsePatchFile(bytes: Buffer, name: string, format: Format, seek: bigint): Patch {
  if (format === 'ips') return ipsToPatch(parseIps(bytes, name), name);
  const text = bytes.toString('utf8');
  if (format === 'xxd') return dumpToPatch(parseDump(text, name), name);
  if (format === 'plain') return dumpToPatch(parsePlainDump(text, name, seek), name);
  try {
    return parseNativePatch(text, name);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    const hint = looksLikeIps(bytes)
      ? ' (this looks like an IPS patch: use --format ips)'
      : looksLikePlainDump(text)
        ? ' (this looks like a plain hex dump, xxd -p: use --format plain --seek OFFSET)'
        : detectDumpLayout(text) !== undefined && !/^\s*(0x|find\b|size\b|sha256\b|#)/.test(text)
          ? ' (this looks like a hex dump: use --format xxd)'
          : '';
    throw hint ? new InputError(`${err.message}${hint}`, err.location) : err;
  }
}

/**
 * `--seek OFFSET`: where the bytes of a plain dump go (xxd -r -p -s), 0 without it; negative
 * counts from the end of the file. Only a plain dump has no offsets of its own.
 * @throws InputError for --seek without --format plain, a bad offset, or -0.
 */
function plainSeek(opts: Record<string, unknown>, format: Format): bigint {
  if (opts.seek === undefined) return 0n;
  const text = String(opts.seek);
  if (format !== 'plain') throw new InputError(`--seek ${text} only goes with --format plain: ${format === 'native' ? 'a native patch' : `an ${format} patch`} says where its bytes go`);
  const at = parseOffset(text);
  if (at.fromEnd && at.value === 0n) throw new InputError(`--seek ${text}: -0 is the end of the file, where no byte of the dump can go (the last byte is -1)`);
  return at.value;
}

/** The refusal of a patch file that asks for no change (see isEmptyPatch). */
function emptyPatch(arg: string, format: Format, bytes: Buffer): InputError {
  const what = bytes.length === 0 ? 'is empty' : format === 'ips' ? 'has no record' : 'has no hunk';
  const name = arg === '-' ? 'on standard input' : arg;
  return new InputError(`the patch ${name} ${what}: refusing a patch that changes nothing (a truncated download looks like this); --allow-empty accepts it`);
}

async function collectSources(patchArg: string | undefined, opts: Record<string, unknown>, several: boolean): Promise<{ patch: Patch; sources: string[] }> {
  const patches: Patch[] = [];
  const sources: string[] = [];
  const format = (opts.format ?? 'native') as Format;
  const seek = plainSeek(opts, format);
  if (patchArg !== undefined) {
    const { bytes, name } = await readPatchFile(patchArg, format);
    // Zero bytes are the empty patch of every format (an IPS file without even its header too).
    const parsed = bytes.length === 0 ? { hunks: [], guards: {} } : parsePatchFile(bytes, name, format, seek);
    if (isEmptyPatch(parsed) && !opts.allowEmpty) throw emptyPatch(patchArg, format, bytes);
    patches.push(parsed);
    sources.push(format === 'native' ? name : `${name} (${format})`);
  } else if (opts.format !== undefined) {
    throw new InputError(`--format ${format} describes a PATCH file, and none was given`);
  } else if (opts.allowEmpty) {
    throw new InputError('--allow-empty describes a PATCH file, and none was given');
  }
  const edits = (opts.edit as string[] | undefined) ?? [];
  if (edits.length > 0) {
    patches.push({ hunks: edits.map((spec, i) => parseEditSpec(spec, i + 1)), guards: {} });
    sources.push(`--edit x${edits.length}`);
  }
  // Repeatable in pairs: the Nth --replace goes with the Nth --find; each pair is one hunk.
  const finds = (opts.find as string[] | undefined) ?? [];
  const replaces = (opts.replace as string[] | undefined) ?? [];
  if (finds.length > 0 || replaces.length > 0) {
    if (finds.length === 0) throw new InputError('--replace needs --find');
    if (replaces.length === 0) throw new InputError('--find needs --replace (to only search, use mmapx find)');
    if (finds.length !== replaces.length) {
      throw new InputError(`--find and --replace go in pairs: ${finds.length} --find but ${replaces.length} --replace`);
    }
    let count: number | undefined;
    if (opts.count !== undefined) {
      const n = parseNumber(String(opts.count), 'count');
      if (n < 1n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(`--count ${String(opts.count)} must be ${n < 1n ? 'at least 1' : 'at most 2^53-1'}`);
      count = Number(n);
    }
    const expect = { all: !!opts.all, ...(count !== undefined && { count }) };
    patches.push({ hunks: finds.map((find, i) => findReplaceHunk(find, replaces[i]!, expect, i + 1)), guards: {} });
    sources.push(finds.length > 1 ? `--find/--replace x${finds.length}` : '--find/--replace');
  } else if (opts.all || opts.count !== undefined) {
    throw new InputError(`${opts.all ? '--all' : '--count'} only goes with --find/--replace`);
  }
  if (patches.length === 0) {
    throw new InputError(
      several
        ? 'nothing to apply: give --patch PATCH (or - for stdin), --edit, or --find/--replace (every argument is a FILE here)'
        : 'nothing to apply: give a PATCH file (or - for stdin), --edit, or --find/--replace',
    );
  }
  return { patch: mergePatches(patches), sources };
}

function parseSha256(text: string, what: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new InputError(`${what} must be 64 hex digits of SHA-256, not ${JSON.stringify(text.slice(0, 80))}`);
  return text.toLowerCase();
}

function end(h: PlannedHunk): bigint {
  return h.offset + BigInt(h.new.length);
}

function changedBytes(hunks: readonly PlannedHunk[]): number {
  let n = 0;
  for (const h of hunks) differingRuns(h.current, h.new, (s, e) => (n += e - s));
  return n;
}

function counts(plan: Plan): { total: number; applied: number; already: number; failed: number } {
  const c = { total: plan.hunks.length, applied: 0, already: 0, failed: 0 };
  for (const h of plan.hunks) {
    if (h.state === 'apply') c.applied++;
    else if (h.state === 'already') c.already++;
    else c.failed++;
  }
  return c;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function short(hash: string | undefined): string {
  return hash === undefined ? '' : hash.slice(0, 12);
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
function dryRunBytes(file: FileRef, plan: Plan, apply: readonly PlannedHunk[]): Map<PlannedHunk, Uint8Array> {
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
 * The whole-file hashes a patch computes: the file's (`before`) and the result's (`after`). None by
 * default; those a `sha256 before|after` guard or --expect-result-sha256 needs (of a file already
 * patched, the file's is the result's); both with --hash (of a file already patched, the file's,
 * reported as both).
 */
export function hashesWanted(plan: Plan, opts: { hash: boolean; expectResult: boolean }): { before: boolean; after: boolean } {
  const need = hashesNeeded(plan);
  return {
    before: opts.hash || need.current || (plan.state === 'already' && opts.expectResult),
    after: plan.state === 'apply' && (opts.hash || need.result || opts.expectResult),
  };
}

/**
 * Which arguments are FILEs and which one is the PATCH file. With --patch or --files-from every
 * argument is a FILE. Otherwise one argument is the FILE; two are FILE PATCH, unless --edit or
 * --find is given too: then the second could be either (a glob that matched two files), and that
 * is refused rather than guessed; three or more are FILEs, with --edit or --find.
 * @throws InputError (exit 2) for the ambiguous and the incomplete forms.
 */
export function patchOperands(
  args: readonly string[],
  opts: { patch?: string | undefined; filesFrom?: boolean; inline?: string | undefined },
): { files: string[]; patch: string | undefined } {
  if (opts.patch !== undefined || opts.filesFrom) return { files: [...args], patch: opts.patch };
  if (args.length === 0) throw missingArgument('file', 'patch');
  if (args.length === 1) return { files: [...args], patch: undefined };
  if (args.length === 2) {
    if (opts.inline === undefined) return { files: [args[0]!], patch: args[1] };
    throw new InputError(
      `two arguments with ${opts.inline}: is ${args[1]} a second FILE or a PATCH file? Give the patch file with --patch PATCH, or the files with --files-from LIST; nothing was changed`,
    );
  }
  if (opts.inline !== undefined) return { files: [...args], patch: undefined };
  throw new InputError(`${args.length} arguments and no --patch: give the patch file with --patch PATCH (every argument is then a FILE); nothing was changed`);
}

/** What every file of a run shares: the patch, parsed once, and the options. */
interface Job {
  parsed: Patch;
  sources: string[];
  expectResult: string | undefined;
  dryRun: boolean;
  useJournal: boolean;
  several: boolean;
  opts: Record<string, unknown>;
}

/** The inline sources given, for the ambiguity error: `--edit`, `--find/--replace`. */
function inlineSources(opts: Record<string, unknown>): string | undefined {
  const given = [opts.edit !== undefined && '--edit', (opts.find !== undefined || opts.replace !== undefined) && '--find/--replace'].filter(Boolean);
  return given.length ? given.join(' and ') : undefined;
}

export default async function patch(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const timer = new Timer();
  const operands = patchOperands((args[0] as string[] | undefined) ?? [], {
    patch: opts.patch === undefined ? undefined : String(opts.patch),
    filesFrom: opts.filesFrom !== undefined,
    inline: inlineSources(opts),
  });
  // With --files-from a PATCH can only come from --patch.
  const t = await targets('patch', operands.files, opts, operands.patch === '-' ? '--patch -' : undefined);
  // One file: errors about the patch name the file, as they always did.
  if (!t.several) ctx.path = t.files[0];
  const { patch: parsed, sources } = await collectSources(operands.patch, opts, t.several);
  const expectResult = opts.expectResultSha256 !== undefined ? parseSha256(String(opts.expectResultSha256), '--expect-result-sha256') : undefined;
  timer.lap('parse');
  const job: Job = { parsed, sources, expectResult, dryRun: !!opts.dryRun, useJournal: opts.journal !== false, several: t.several, opts };
  const total = (tally: Tally) => totalLine(tally, job.dryRun);
  if (!t.several || job.dryRun) {
    return eachFile(ctx, t, async (path) => patchFile(ctx, path, job, t.several ? new Timer() : timer), { total });
  }
  const batch = new Batch(ctx);
  return eachFile(ctx, t, async (path) => batch.join(ctx, path, job), { total, batch });
}

/** `patched 998 files, 2 already applied, 0 failed in 123 ms` */
function totalLine(t: Tally, dryRun: boolean): string {
  const already = `${t.status.already ?? 0} already applied, ${t.failed} failed${took(t)}`;
  return dryRun ? `dry run: ${files(t.status['dry-run'] ?? 0)} would change, ${already}` : `patched ${files(t.status.applied ?? 0)}, ${already}`;
}

/** In a several-file run each line of a file's output names the file: `fw.bin: FAILED ...`. */
function named(text: string, path: string, several: boolean): string {
  return several ? text.replace(/^(?=.)/gm, `${path}: `) : text;
}

/** Patches one file on its own: {@link prepare}, then a batch of that one file. */
async function patchFile(ctx: Context, path: string, job: Job, timer: Timer): Promise<Result> {
  const p = prepare(ctx, path, job, timer);
  if (!('later' in p)) return p;
  commit(ctx, [p]);
  return p.later.take();
}

/**
 * A file planned, checked and journaled (its journal written in full, not durable yet), that has
 * not changed yet: it waits for the rest of its batch. It holds its file open and locked.
 */
interface Pending {
  readonly path: string;
  readonly file: OpenFile;
  readonly timer: Timer;
  readonly plan: Plan;
  readonly apply: readonly PlannedHunk[];
  /** Bytes it holds: its hunks (old and new) in memory, and its journal on disk. */
  readonly bytes: number;
  readonly jpath: string;
  /** Undefined with --no-journal. */
  readonly journal: JournalFile | undefined;
  /** What the writes did, once they are done. */
  written: WriteReport | undefined;
  /** Its report once everything is done and durable. */
  readonly report: (written: WriteReport) => Result;
  readonly later: Later;
}

/**
 * Files a batch holds at most. Each holds two descriptors (the file, with its lock, and its journal
 * until the journal is synced): 256, below even the usual soft limit of 1024 (which Node raises
 * to the hard limit at start-up). The fixed costs of a batch (one journal commit to make the
 * journals durable, one to remove them, one fsync of each directory at each end) are then spread
 * over 128 files, and a kill leaves at most 128 journals for recover; larger batches would save
 * little more.
 */
const BATCH_FILES = 128;
/**
 * Bytes the files of a batch may hold before it is committed: their hunks (old and new) in memory,
 * and their journals on disk (a journal of a shrinking patch holds the tail it cuts off), so that
 * a run never needs much more room for journals than a file at a time did.
 */
const BATCH_BYTES = 64 * 1024 * 1024;

/**
 * The pending files of a several-file patch. Each file is planned and journaled as it comes (see
 * {@link prepare}); every {@link BATCH_FILES} files (or {@link BATCH_BYTES} held), and at the
 * end, {@link commit} makes the batch's journals durable together, writes every file, waits for
 * all the writes, and removes the journals. A file that is already in the batch (given twice, or a
 * hard link) commits the batch before its lock is taken: that lock would wait for the batch's own.
 */
class Batch implements Batching {
  readonly #ctx: Context;
  readonly #files: Pending[] = [];
  readonly #inodes = new Set<string>();
  #bytes = 0;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /** Prepares the file at `path`: its result now, or later when its batch is committed. */
  async join(ctx: Context, path: string, job: Job): Promise<Result | Later> {
    const p = prepare(ctx, path, job, new Timer({ sumOfPhases: true }), (st) => {
      if (this.#inodes.has(inode(st))) this.settle();
    });
    if (!('later' in p)) return p;
    this.#files.push(p);
    this.#inodes.add(inode(p.file.stat));
    this.#bytes += p.bytes;
    if (this.#files.length >= BATCH_FILES || this.#bytes >= BATCH_BYTES) this.settle();
    return p.later;
  }

  settle(): void {
    const files = this.#files.splice(0);
    this.#inodes.clear();
    this.#bytes = 0;
    if (files.length > 0) commit(this.#ctx, files);
  }

  abandon(): void {
    for (const p of this.#files.splice(0)) {
      if (p.journal) {
        closeSync(p.journal.fd);
        discardJournal(p.jpath);
      }
      p.file.close();
      p.later.reject(new OperationError('not patched: the run stopped before this file was written'));
    }
    this.#inodes.clear();
    this.#bytes = 0;
  }
}

function inode(st: { dev: bigint; ino: bigint }): string {
  return `${st.dev}:${st.ino}`;
}

/**
 * Opens, locks, plans and checks one file, and writes its journal (not synced): everything up to
 * the first change. Returns the file's result when it ends there (a guard failed, already
 * applied, a dry run); otherwise the file waits, open and locked, for {@link commit}. A failure
 * throws, with the file closed and no journal left.
 */
function prepare(ctx: Context, path: string, job: Job, timer: Timer, beforeLock?: (st: BigIntStats) => void): Result | Pending {
  ctx.path = path;
  const { parsed, sources, expectResult, dryRun, useJournal, opts } = job;
  const jpath = journalPath(path);
  const file = openFile(path, { write: !dryRun, force: !!opts.force, lockWait: ctx.lockWait, ...(beforeLock && { beforeLock }) });
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
    throw err;
  }
  timer.lap('ffi');
  let pending: Pending | undefined;
  try {
    const size = reader.size;
    // Anchors are searched on every core, each thread through its own maps (src/cli/scan.ts).
    const progress = ctx.progress;
    const scan = (patterns: readonly BytePattern[], keep: readonly number[]) => {
      progress.phase(`search ${path}`, size);
      return scanFile(file, { offset: 0n, length: size }, patterns, keep, { workers: true, progress: (done) => progress.update(done) });
    };
    const plan = planPatch(parsed, reader, { grow: !!opts.grow, truncate: !!opts.truncate, scan });
    // Guards, "already applied" and the journal's bytes are judged from what was read: not from zeros.
    reader.assertIntact();
    // A size past the filesystem's largest file or `ulimit -f` fails here, dry run or not: before
    // the hash pass reads (or zero-fills) its way to it, and before the journal.
    if (plan.sizeAfter > plan.sizeBefore) assertCanGrow(file, plan.sizeAfter);
    timer.lap('plan');
    const c = counts(plan);
    const base = {
      file: path,
      sources,
      dryRun,
      hunks: c,
      sizeBefore: plan.sizeBefore,
      sizeAfter: plan.sizeAfter,
    };

    if (plan.state === 'fail') {
      const failedHunks = plan.hunks
        .filter((h) => h.state === 'fail')
        .map((h) => ({
          source: describeSource(h.hunk.source),
          offset: h.offset,
          expected: Buffer.from(h.old ?? new Uint8Array(0)).toString('hex'),
          actual: Buffer.from(h.current).toString('hex'),
          ...(h.match !== undefined && { match: h.match }),
        }));
      const first = plan.failures[0]!;
      const more = plan.failures.length > 1 ? ` (and ${plan.failures.length - 1} more)` : '';
      return {
        stdout: named(plan.failures.map((f) => `FAILED ${f}\n`).join(''), path, job.several),
        showSummary: false,
        exitCode: 3,
        error: `${plural(plan.failures.length, 'guard')} failed, nothing written: ${first}${more}`,
        json: { status: 'failed', ...base, bytesChanged: 0, failures: plan.failures, failedHunks, sha256: null, journal: null, timings: timer.json() },
      };
    }

    // Whole-file hashes only when something needs them: a `sha256 before|after` guard,
    // --expect-result-sha256, or --hash (the report's digests). Otherwise a patch reads only the
    // pages its hunks and anchors need, whatever the size of the file.
    const { before: wantBefore, after: wantAfter } = hashesWanted(plan, { hash: opts.hash === true, expectResult: expectResult !== undefined });
    if (wantBefore || wantAfter) progress.phase(`hash ${path}`, size);
    const hashes = hashFileAndResult(file, size, resultImage(plan), { before: wantBefore, after: wantAfter }, { workers: true, progress: (done) => progress.update(done) });
    if (plan.state === 'already' && hashes.before !== undefined) hashes.after = hashes.before;
    if (wantBefore || wantAfter) timer.lap('hash');
    const sha256 = hashes.before !== undefined || hashes.after !== undefined ? { before: hashes.before ?? null, after: hashes.after ?? null } : null;
    const resultHash = plan.state === 'already' ? hashes.before : hashes.after;
    const guardFailure = (err: unknown): Result => {
      if (!(err instanceof GuardError)) throw err;
      return {
        stdout: named(`FAILED ${err.message}\n`, path, job.several),
        showSummary: false,
        exitCode: 3,
        error: `guard failed, nothing written: ${err.message}`,
        json: { status: 'failed', ...base, bytesChanged: 0, failures: [err.message], failedHunks: [], sha256, journal: null, timings: timer.json() },
      };
    };
    try {
      checkHashes(plan, { ...(hashes.before !== undefined && { current: hashes.before }), ...(hashes.after !== undefined && { result: hashes.after }) });
      if (expectResult !== undefined && resultHash !== expectResult) {
        throw new GuardError(`--expect-result-sha256: the patched file would have sha256 ${resultHash}, expected ${expectResult}`);
      }
    } catch (err) {
      return guardFailure(err);
    }

    const apply = plan.hunks.filter((h) => h.state === 'apply');
    const bytesChanged = changedBytes(apply);
    const resize = plan.sizeAfter !== plan.sizeBefore ? `, size ${plan.sizeBefore} -> ${plan.sizeAfter}` : '';
    const hashText = sha256 ? `; sha256 ${short(sha256.before ?? undefined)}… -> ${short(sha256.after ?? undefined)}…` : '';

    if (plan.state === 'already') {
      return {
        summary: `already applied: ${path} holds the new bytes of ${plural(c.total, 'hunk')}, nothing written${sha256?.before ? `; sha256 ${short(sha256.before)}…` : ''} ${timer.describe()}`,
        showSummary: true,
        json: { status: 'already', ...base, bytesChanged: 0, sha256, journal: null, timings: timer.json() },
      };
    }

    if (dryRun) {
      const neu = dryRunBytes(file, plan, apply);
      assertNotShrunk(file, size, 'read');
      timer.lap('apply-private');
      const lines: string[] = [];
      const changes: Record<string, unknown>[] = [];
      for (const h of apply) {
        const n = neu.get(h)!;
        for (const l of formatChangeListing(h.offset, h.current, n, describeSource(h.hunk.source))) lines.push(l);
        changes.push({
          source: describeSource(h.hunk.source),
          offset: h.offset,
          length: h.new.length,
          old: Buffer.from(h.current.subarray(0, SHOWN)).toString('hex'),
          new: Buffer.from(n.subarray(0, SHOWN)).toString('hex'),
        });
      }
      if (plan.sizeAfter !== plan.sizeBefore) {
        const how = plan.sizeAfter > plan.sizeBefore ? 'grown, zero-filled' : `truncated, ${plan.sizeBefore - plan.sizeAfter} bytes cut off`;
        lines.push(`size ${plan.sizeBefore} -> ${plan.sizeAfter} (${how})`);
      }
      if (sha256?.before) lines.push(`sha256 before ${sha256.before}`);
      if (sha256?.after) lines.push(`sha256 after  ${sha256.after}`);
      return {
        stdout: named(`${lines.join('\n')}\n`, path, job.several),
        summary: `dry run: ${plural(c.applied, 'hunk')} would change ${plural(bytesChanged, 'byte')} of ${path}${c.already ? ` (${c.already} already applied)` : ''}${resize}; the file is untouched ${timer.describe()}`,
        showSummary: true,
        json: { status: 'dry-run', ...base, bytesChanged, sha256, journal: null, changes, timings: timer.json() },
      };
    }

    // From here on the file will change: first the journal (made durable by commit), then the bytes.
    const header = { dev: file.stat.dev, ino: file.stat.ino, sizeBefore: plan.sizeBefore, sizeAfter: plan.sizeAfter };
    let journal: JournalFile | undefined;
    if (useJournal) {
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
    pending = {
      path,
      file,
      timer,
      plan,
      apply,
      bytes,
      jpath,
      journal,
      written: undefined,
      later: new Later(),
      report: (written) => ({
        // Only made when it is printed: a quiet run over 1,000 files formats none.
        ...(!ctx.globals.quiet &&
          !ctx.globals.json && {
            summary:
              `patched ${path}: ${plural(c.applied, 'hunk')} applied (${plural(bytesChanged, 'byte')} changed)` +
              `${c.already ? `, ${c.already} already applied` : ''}${resize}${hashText}` +
              `${journal ? '' : ' (no journal)'} ${timer.describe()}`,
          }),
        showSummary: true,
        json: {
          status: 'applied',
          ...base,
          bytesChanged,
          bytesWritten: written.bytes,
          windows: written.windows,
          synced: written.synced,
          sha256,
          journal: journal ? { path: jpath, records: journal.records, bytes: journal.bytes } : null,
          timings: timer.json(),
        },
      }),
    };
    return pending;
  } catch (err) {
    // A range the file no longer reaches because it shrank since it was opened: exit 1, not 2.
    throw shrankSinceOpen(file, err, 'read');
  } finally {
    reader.close();
    if (!pending) file.close();
  }
}

/**
 * Patches the prepared files of a batch, each all or nothing: (1) their journals made durable
 * together (see syncJournals); (2) each file resized and written through maps, its write-back
 * started per window; (3) each file fdatasynced (fsynced when resized), all writes in flight at
 * once, and checked to be still as long and at its path; (4) the journals removed, each directory
 * synced once. A file that fails at a step leaves the later steps: before (2) its journal is
 * removed and it is untouched; from (2) on it is rolled back from its journal, exactly as a patch
 * of that file alone would be. The others go on. Every file is closed (its lock released) at the
 * end, and its result settled. The time of a step done for many files at once is shared evenly
 * among them in their timings.
 */
function commit(ctx: Context, files: readonly Pending[]): void {
  const failed = new Map<Pending, unknown>();
  const fail = (p: Pending, err: unknown): void => {
    failed.set(p, shrankSinceOpen(p.file, err, 'read'));
  };
  const live = (): Pending[] => files.filter((p) => !failed.has(p));
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
        p.written = writeFile(ctx, p);
      } catch (err) {
        fail(p, rolledBack(p, err));
      }
    }
    shared(live(), 'fdatasync', (list) => {
      for (const p of list) {
        try {
          // The windows' write-back is under way: this waits for it (fsync: the size changed too).
          if (p.plan.sizeAfter !== p.plan.sizeBefore) fsyncSync(p.file.fd);
          else fdatasyncSync(p.file.fd);
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
        const removed: Pending[] = [];
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
            fail(p, new OperationError(`patched, but the removal of its undo journal may not be durable (${err.message}): after a crash, 'mmapx recover ${p.path}' would undo the patch`)),
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
        p.later.reject(new OperationError(`the patch stopped midway (${unexpected ?? 'an internal error'}): run 'mmapx recover ${p.path}'`));
      } else p.later.resolve(p.report(p.written));
    }
  }
}

/** Runs `work` on `list` at once and gives each file an equal share of its time under `phase`. */
function shared(list: readonly Pending[], phase: string, work: (list: readonly Pending[]) => void): void {
  if (list.length === 0) return;
  const start = now();
  work(list);
  const each = (now() - start) / list.length;
  for (const p of list) p.timer.add(phase, each);
}

/** Resizes the file and writes its hunks through maps, starting each window's write-back. */
function writeFile(ctx: Context, p: Pending): WriteReport {
  const { file, plan, timer } = p;
  if (plan.sizeAfter !== plan.sizeBefore) {
    try {
      ftruncateSync(file.fd, Number(plan.sizeAfter));
    } catch (err) {
      throw fsError(err, `cannot resize the file to ${plan.sizeAfter} bytes`);
    }
    timer.lap('resize');
  }
  // Each range is written only if it still holds the bytes the journal saved.
  const ranges = p.apply.map((h) => ({ offset: h.offset, bytes: h.new, expect: h.current, length: h.new.length }));
  // Each window starts its write-back as soon as it is written; one fdatasync per file (see
  // commit) then waits for all of it: the data is durable before the journal goes.
  const progress = ctx.progress;
  progress.phase(`write ${p.path}`, ranges.reduce((n, r) => n + r.length, 0));
  const written = writeRanges(file, ranges, { sync: 'start', progress: (done) => progress.update(done) });
  timer.lap('write');
  timer.split('write', 'writeback', written.syncMs);
  return written;
}

/** {@link failAfterJournal}'s error, for a file of a batch. */
function rolledBack(p: Pending, err: unknown): unknown {
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
function failAfterJournal(file: OpenFile, jpath: string | undefined, err: unknown): never {
  const why =
    err instanceof ChangedUnderfoot
      ? `${err.message} (another program is writing it)`
      : err instanceof MmapError
        ? `${err.reason}${err.isSystemError ? ` (${err.code})` : ''}`
        : err instanceof Error
          ? err.message
          : String(err);
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
