// Stamping a value into a placeholder, as CI does with a version string in a binary built with a
// placeholder: the placeholder must match exactly N times (default once), the value must fit, and
// it is written padded to the placeholder's length (NUL-terminated on request) at every match, all
// or nothing, through the patch engine (patch.ts): guarded (the old bytes are the placeholder),
// journaled, idempotent, with dry runs and several files.
//
// The stamp record (how a second run knows): first, the file itself. A stamped file holds the
// value padded to exactly the placeholder's length where the placeholder was. When the
// placeholder does not match N times, the same scan looks for that padded value: N matches mean
// "already stamped with this value" (exit 0, nothing written). This survives any copy of the
// file. What the file alone cannot tell is WHICH other value a file holds when it has neither the
// placeholder nor the padded value (the placeholder is gone, and nothing marks where it was).
// For that, a successful stamp also writes a small record beside the file (`FILE.mmapx-stamp`,
// JSON: placeholder, value, padded bytes, offsets); a later run with another value reads it,
// checks that the file still holds the recorded bytes at the recorded offsets, and refuses naming
// the value there. A copy without its record is refused too (exit 3), saying that the value there
// cannot be told. The record is a hint, never trusted without the file's bytes: writing it may
// fail (a read-only directory) without failing the stamp.
import { bytesArg, objectArg, stringArg } from '../format/args.js';
import { optionsArg, pathArg } from './args.js';
import { closeSync, constants as fsc, fstatSync, lstatSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { hex } from '../format/patch/lex.js';
import { plural } from '../format/units.js';
import type { Patch, Plan } from '../format/patch/index.js';
import { type StampBytes, stampBytes, stampHunk, type StampSpec } from '../format/patch/stamp.js';
import { type PatchJob, type PatchOptions, type PatchOutcome, patchJob, patchOne, timerFor } from './patch.js';
import { openNonBlocking } from './files.js';
import { sideName, tmpSuffix } from './outplace.js';
import type { EditContext } from './seams.js';

export { type StampBytes, stampBytes, type StampSpec };

/** The source name of a stamp's one hunk, in messages. */
const SOURCE = 'stamp';

/**
 * A stamp as a patch: one anchor hunk (find the placeholder exactly `count` times, guard = the
 * placeholder, new = the padded value). The patch engine's rule for anchors that no longer match
 * (look for the pattern as it reads with the change applied) is the in-file stamp record.
 */
export function stampPatch(s: StampBytes, name = SOURCE): Patch {
  objectArg(s, 'the stamp');
  bytesArg(s.placeholder, 'the stamp.placeholder');
  bytesArg(s.bytes, 'the stamp.bytes');
  stringArg(name, 'name');
  return { hunks: [stampHunk(s, { name, line: 1 })], guards: {} };
}

/** Bytes as a message shows them: quoted text when printable ASCII, hex otherwise. */
export function showBytes(bytes: Uint8Array, max = 64): string {
  const cut = bytes.length > max ? bytes.subarray(0, max) : bytes;
  const text = Buffer.from(cut.buffer, cut.byteOffset, cut.length).toString('latin1');
  const more = bytes.length > max ? '…' : '';
  if (/^[\x20-\x7e]*$/.test(text)) return `${JSON.stringify(text)}${more}`;
  return `${Buffer.from(cut.buffer, cut.byteOffset, cut.length).toString('hex')}${more}`;
}

/** One place a stamp writes (or found written, or would write). */
export interface StampLocation {
  readonly offset: bigint;
  /** The bytes there now. */
  readonly old: Uint8Array;
  /** The padded value. */
  readonly new: Uint8Array;
  /** `apply`: written (or would be); `already`: holds the value. */
  readonly state: 'apply' | 'already';
}

/** A value another stamp left, as the record beside the file tells and the file confirms. */
export interface StampFound {
  readonly value: Uint8Array;
  /** The bytes there (the value padded). */
  readonly bytes: Uint8Array;
  readonly offsets: readonly bigint[];
}

/** What a stamp did. */
export interface StampOutcome {
  readonly path: string;
  /** `stamped` (written, journal gone), `already` (holds the value: nothing written), `dry-run`, `failed` (nothing written). */
  readonly status: 'stamped' | 'already' | 'dry-run' | 'failed';
  /** Every location (none when the placeholder matched the wrong number of times). */
  readonly locations: readonly StampLocation[];
  /** Why it failed: one line (status `failed`). */
  readonly failure?: string;
  /** Status `failed` because the file holds another value: which, and where. */
  readonly found?: StampFound;
  /** The stamp record written (or, on a refusal, read), or `null`. */
  readonly record: string | null;
  /** The patch engine's outcome (timings, hashes, journal). */
  readonly patch: PatchOutcome;
}

/** The path of the stamp record of `path`. */
export function stampRecordPath(path: string): string {
  stringArg(path, 'path');
  return `${path}.mmapx-stamp`;
}

interface RecordEntry {
  placeholder: string;
  value: string;
  bytes: string;
  offsets: string[];
}

/** A record is a few lines of JSON: anything longer is not one (and is not read into memory). */
const RECORD_LIMIT = 1 << 20;

/**
 * The text of the record at `rpath` when a regular file of at most {@link RECORD_LIMIT} bytes is
 * there. Anything else put at that name (a FIFO, which would wait for a writer; a device, which
 * would never end; a directory) is no record.
 */
function recordText(rpath: string): string | undefined {
  let fd: number;
  try {
    fd = openNonBlocking(rpath, fsc.O_RDONLY | fsc.O_NOCTTY);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    return st.isFile() && st.size <= RECORD_LIMIT ? readFileSync(fd, 'utf8') : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Whether a record may be written at `rpath`: nothing is there, or a record could be (a regular file, or a link, which the rename replaces). */
function recordPlace(rpath: string): boolean {
  try {
    const st = lstatSync(rpath);
    return st.isFile() || st.isSymbolicLink();
  } catch {
    return true;
  }
}

function readRecord(path: string): RecordEntry[] {
  try {
    const parsed = JSON.parse(recordText(stampRecordPath(path)) ?? '') as { 'mmapx-stamp'?: number; stamps?: RecordEntry[] };
    return parsed['mmapx-stamp'] === 1 && Array.isArray(parsed.stamps) ? parsed.stamps : [];
  } catch {
    return [];
  }
}

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** Writes the record of a stamp beside the file (replacing an older entry of the same placeholder); false if it cannot. */
function writeRecord(path: string, s: StampBytes, offsets: readonly bigint[]): boolean {
  const rpath = stampRecordPath(path);
  if (!recordPlace(rpath)) return false;
  const placeholder = hexOf(s.placeholder);
  const stamps = readRecord(path).filter((e) => e.placeholder !== placeholder);
  stamps.push({ placeholder, value: hexOf(s.value), bytes: hexOf(s.bytes), offsets: offsets.map((o) => `0x${o.toString(16)}`) });
  const tmp = join(dirname(rpath), sideName(basename(rpath), tmpSuffix()));
  try {
    writeFileSync(tmp, `${JSON.stringify({ 'mmapx-stamp': 1, stamps }, null, 1)}\n`, { mode: 0o644 });
    renameSync(tmp, rpath);
    return true;
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to remove
    }
    return false;
  }
}

/** The value the record says is stamped over this placeholder, if the file still holds it there. */
function recordedValue(path: string, s: StampBytes): StampFound | undefined {
  const entry = readRecord(path).find((e) => e.placeholder === hexOf(s.placeholder));
  if (!entry || typeof entry.bytes !== 'string' || !Array.isArray(entry.offsets)) return undefined;
  const bytes = Buffer.from(entry.bytes, 'hex');
  if (bytes.length !== s.placeholder.length) return undefined;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const offsets = entry.offsets.map((o) => BigInt(o));
    const there = Buffer.alloc(bytes.length);
    for (const at of offsets) {
      if (readSync(fd, there, 0, there.length, at) !== there.length || !there.equals(bytes)) return undefined;
    }
    return { value: Uint8Array.from(Buffer.from(entry.value, 'hex')), bytes: Uint8Array.from(bytes), offsets };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The locations of a plan (the stamp's one anchor: every match). */
function locations(plan: Plan | undefined): StampLocation[] {
  if (!plan) return [];
  return plan.hunks.map((h) => ({ offset: h.offset, old: h.current, new: h.new, state: h.state === 'already' ? 'already' : 'apply' }));
}

/**
 * A stamp's outcome from the patch engine's outcome and plan: on success, the record written
 * beside the file; on a placeholder that matched nothing and no padded value either, the record
 * read to name the value that is there.
 */
export function stampOutcome(path: string, s: StampBytes, outcome: PatchOutcome, plan: Plan | undefined, options: { record?: boolean } = {}): StampOutcome {
  const locs = locations(plan);
  const base = { path, locations: locs, patch: outcome };
  switch (outcome.status) {
    case 'applied': {
      const written =
        options.record !== false &&
        writeRecord(
          path,
          s,
          locs.map((l) => l.offset),
        );
      return { ...base, status: 'stamped', record: written ? stampRecordPath(path) : null };
    }
    case 'already':
      return { ...base, status: 'already', record: null };
    case 'dry-run':
      return { ...base, status: 'dry-run', record: null };
    case 'failed': {
      if (outcome.guard !== 'hunks') return { ...base, status: 'failed', failure: outcome.failures[0] ?? 'a guard failed', record: null };
      const text = outcome.failures[0] ?? '';
      const matched = / matched (.*)$/.exec(text)?.[1] ?? text;
      const head = `the placeholder ${showBytes(s.placeholder)} (${plural(s.placeholder.length, 'byte')}) matched ${matched}`;
      // Matched some times, or its padded value some times (the rule of anchors says which): the count is the news.
      if (!matched.startsWith('nothing') || matched.includes('with the change applied')) return { ...base, status: 'failed', failure: head, record: null };
      const want = `${showBytes(s.value)} padded to ${plural(s.placeholder.length, 'byte')}`;
      const found = recordedValue(path, s);
      // The record of this very stamp (same bytes): the count is what differs, said above.
      if (found && !(found.bytes.length === s.bytes.length && Buffer.compare(found.bytes, s.bytes) === 0)) {
        const at = found.offsets.map((o) => hex(o)).join(', ');
        const same = Buffer.compare(found.value, s.value) === 0 ? ' (the same value, padded or terminated otherwise: give the same --pad and --terminate)' : '';
        return {
          ...base,
          status: 'failed',
          failure: `already stamped with ${showBytes(found.value)} at ${at} (stamp record ${stampRecordPath(path)}): refusing to stamp ${showBytes(s.value)} over it${same}`,
          found,
          record: stampRecordPath(path),
        };
      }
      return {
        ...base,
        status: 'failed',
        failure:
          `${head}, and ${want} is not there either: the file holds another stamp (which one cannot be told ` +
          `without its stamp record ${stampRecordPath(path)}, which a copy does not carry) or never had the placeholder`,
        record: null,
      };
    }
  }
}

/** Options of {@link stampFile}: the stamp, and those of a patch. */
export interface StampOptions extends StampSpec, Pick<PatchOptions, 'dryRun' | 'journal' | 'hash' | 'expectResultSha256' | keyof EditContext> {
  /** Write the stamp record beside the file after a stamp (default true). */
  record?: boolean;
}

/**
 * Stamps `value` over every match of `placeholder` in the file at `path`: exactly `count` matches
 * (default 1), the value padded to the placeholder's length, all or nothing, guarded and
 * journaled like {@link patchFile}. A second run with the same value reports `already`; a file
 * that holds another value, or where the placeholder matches another number of times, is a
 * `failed` outcome naming what is there (nothing written). See the module comment for the stamp
 * record.
 *
 * @example
 * const r = await stampFile('app', { placeholder: Buffer.from('@@VERSION@@@@@@@'), value: Buffer.from('1.4.2') });
 * if (r.status === 'failed') throw new Error(r.failure);
 *
 * @throws InputError for a stamp that cannot be (empty, a value that does not fit); the errors of
 *   {@link patchFile} otherwise.
 */
export async function stampFile(path: string, options: StampOptions): Promise<StampOutcome> {
  pathArg(path);
  optionsArg(options, ['dryRun', 'journal', 'hash', 'record']);
  const s = stampBytes(options);
  let plan: Plan | undefined;
  const job: PatchJob = { ...patchJob(stampPatch(s), [SOURCE], options), onPlan: (p) => (plan = p) };
  const outcome = await patchOne(path, job, timerFor(options));
  return stampOutcome(path, s, outcome, plan, options);
}
