// Applying a delta (src/format/delta/model.ts: IPS32, UPS, BPS, VCDIFF, bsdiff decode to one) to a
// file IN PLACE, crash-safe, at a cost proportional to the bytes that change: the engine behind
// `mmapx patch FILE DELTA --format bps|...` and the library's applyDelta. `out` is the classic mode
// (the target written to a new file, the source untouched).
//
// The in-place reconstruction problem. A delta describes the target as ops over the source (copy
// source bytes from elsewhere, add or xor them with patch bytes), over the target itself (copy
// earlier target bytes) and over literals. Written into the source's own file, an op that reads
// source bytes at `from` may find them already overwritten by an earlier op of the target (every
// backward copy: an insertion at the start shifts the whole file forward, so each byte written
// destroys one still to be read). Tools that patch in place order the copies (a dependency graph,
// cycles broken by copying bytes aside) and give up compression where the graph is bad. Here the
// undo journal, which must hold the original of every byte that changes anyway, IS the copy aside:
//   1. Plan (nothing written): the ops are walked in target order and each one's target bytes are
//      computed, reading the source from the untouched file, into bounded chunks; each chunk is
//      compared with the file, and the runs that differ make the set of changed ranges (a source
//      copy to its own offset, and zero runs of add/xor at their own offset, are identity and
//      cost nothing: not even read). The checks are computed in the same walk (below).
//   2. The journal (version 1, the one of patch: see journal.ts) receives the ORIGINAL bytes of
//      every changed range (and of the tail a shrink cuts off), and is made durable before the
//      first byte of the file changes. Its size is O(changed bytes). `mmapx recover` rolls back
//      from it as from any patch's journal: no new journal version is needed.
//   3. The file is grown first (when the target is larger), then the ops are walked again in
//      target order and only the chunks that meet a changed range are computed and written
//      (bounded chunks, never the whole file mapped or held). A source read at a position inside
//      a changed range reads the journal, which holds exactly the originals there (whether that
//      position was written yet or not); a source read anywhere else reads the file, whose bytes
//      outside the changed ranges never change; past the source's end it reads zeros. A target
//      copy reads the file, which holds the target below the op being written. So no order of the
//      ops matters and nothing is copied aside but the journal that crash safety needs anyway.
//   4. A shrink truncates at the end (source reads may need the tail until then); fsync; the
//      journal is removed. A failure at any point after (2) rolls the file back from the journal.
// A delta that shifts the whole file changes every byte: the journal then holds the whole file
// (the report says how many bytes it needed), which is what an undo of such a change costs.
//
// Checks, and when they are verified:
// - sizes: the file must be the delta's source size (or its target size, for "already applied"),
//   before anything is read; a mismatch is a GuardError (exit 3) naming expected and found.
// - `patch` (BPS, UPS: crc32 of the patch file but its last 4 bytes): when the caller passes the
//   patch's bytes, before anything else; a mismatch is an InputError (the patch is damaged).
// - `source` (BPS, UPS crc32 of the whole source): needs the whole file, read once in the plan.
// - `target` (crc32 of the whole target): computed in the plan's single pass over the planned
//   result (the bytes that do not change are read in the same pass as the source's checksum). A
//   target copy that reaches back past the plan's cache of recently computed changed bytes
//   (RECENT, 16 MiB) cannot be computed without the file written: then the target checksum is
//   verified after writing, by reading the result, and a mismatch rolls the file back through the
//   journal (the file ends as it was). With the source's checksum verified first, a target
//   mismatch means a damaged patch: InputError.
// - `window` (VCDIFF adler32 of one target window): the window's bytes are computed in the plan,
//   so it is verified before writing; a window whose ops are all identity copies is not read at
//   all (it changes nothing); one whose target copies reach past the cache is verified after
//   writing (rollback on mismatch). A mismatch before writing is a GuardError (wrong source).
// "Already applied" (success, file untouched): the file has the target's size and crc32 (formats
// with a target checksum); or its windows' checksums match the file as it is (VCDIFF); or, for
// formats without checksums, the plan finds nothing that differs.
import { deltaArg } from '../format/args.js';
import { optionsArg, pathArg } from './args.js';
import { closeSync, constants as fsc, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { GuardError, InputError, MmapxError, OperationError } from '../errors.js';
import { adler32 } from '../format/delta/adler32.js';
import { crc32 } from '../format/delta/crc32.js';
import type { Delta, DeltaCheck, DeltaFormat, DeltaOp } from '../format/delta/model.js';
import { formatOffset } from '../format/number.js';
import { MmapError, pageSize } from '../mmap/index.js';
import { shrankError } from '../mmap/truncation.js';
import { assertCanGrow, fsError, knownSize, type OpenFile, openFile, openFileAsync, shrankSinceOpen } from './files.js';
import { keepIdentity, locateOutput, sideName, tmpSuffix } from './outplace.js';
import {
  createJournal,
  HEADER_LENGTH,
  type JournalFile,
  type JournalHeader,
  journalPath,
  type JournalRecord,
  refuseIfJournal,
  removeJournal,
  renameDurably,
  restoreRecords,
  rollBack,
  syncJournals,
} from './journal.js';
import { reserveRanges, sizeNow, type WriteRange, writeRanges } from './mapped.js';
import { failAfterJournal, timerFor } from './patch.js';
import { type EditContext, NO_PROGRESS } from './seams.js';
import type { Timer } from './timing.js';

/** Target bytes computed at a time (and read at a time from the file and the journal). */
const CHUNK = 1024 * 1024;
/** The plan's cache of the most recently computed changed bytes, which target copies read. */
const RECENT = 16 * 1024 * 1024;
/** Changed ranges closer than this are one journal record (a record's head is 12 bytes). */
const GAP = 16;
/** The longest changed range (and journal record). */
const MAX_RANGE = 1024 * 1024;
/** More changed ranges than this are merged with wider gaps (memory stays bounded). */
const MAX_RANGES = 1 << 20;
/** Writes queued before they go out together. */
const PENDING_BYTES = 8 * 1024 * 1024;
const PENDING_RANGES = 4096;
/** Runs at least this long are written from the chunk at once rather than copied and queued. */
const DIRECT = 64 * 1024;
/** Zero runs shorter than this inside an add/xor at its own offset are computed rather than split off. */
const ZERO_RUN = 32;
/** Ranges a dry run lists. */
const LISTED = 20;

/** Options of {@link applyDelta}. */
export interface DeltaOptions extends EditContext {
  /** Plan and check only: the file is opened read-only and never changes. */
  dryRun?: boolean;
  /** Keep an undo journal beside the file while it is written (default true): crash-safe, see `recover`. */
  journal?: boolean;
  /** Write the target to this new file instead (replaced by rename when it exists); the source is only read. */
  out?: string;
  /** The patch file's bytes, for the delta's `patch` checksum (crc32 of all but its last 4 bytes). Unchecked without. */
  patch?: Uint8Array;
  /** The patch's name in messages (default `delta`). */
  name?: string;
  /** Bytes computed at a time (a test seam; default 1 MiB). */
  chunk?: number;
  /** Bytes of recently computed target the plan keeps for target copies (a test seam; default 16 MiB). */
  recent?: number;
}

/** When each kind of check was verified. */
export interface DeltaChecked {
  /** The patch's own checksum: `before` (first of all), or `unchecked` (no bytes given, or none in the format). */
  readonly patch: 'before' | 'unchecked' | 'none';
  /** The whole source's checksum. */
  readonly source: 'before' | 'none';
  /** The whole target's checksum: in the plan (`before`), or read back after writing (`after`). */
  readonly target: 'before' | 'after' | 'none';
  /** Window checksums verified before writing, after it, and windows that change nothing (not read). */
  readonly windows: { readonly before: number; readonly after: number; readonly unchanged: number };
}

/** What every outcome of {@link applyDelta} says. */
export interface DeltaOutcomeBase {
  /** The file, as the caller named it. */
  readonly path: string;
  readonly format: DeltaFormat;
  readonly dryRun: boolean;
  readonly sizeBefore: bigint;
  readonly sizeAfter: bigint;
  /** Ops of the delta (checks not counted). */
  readonly ops: number;
  readonly checked: DeltaChecked;
  /** Bytes read from the file and from the journal: the cost, proportional to what changes (plus whole-file checksums). */
  readonly read: { readonly file: number; readonly journal: number };
  /** Milliseconds per phase (`open`, `plan`, `journal`, `write`, `sync`, ...) and `total`. */
  readonly timings: Readonly<Record<string, number>>;
}

/** The file already holds the target: nothing written. */
export interface DeltaAlreadyOutcome extends DeltaOutcomeBase {
  readonly status: 'already';
  /** How it was told: the target's checksum, every window's checksum, or no byte differs. */
  readonly by: 'checksum' | 'windows' | 'bytes';
}

/** A changed range: where, and how long. */
export interface DeltaRange {
  readonly offset: bigint;
  readonly length: number;
}

/** A dry run: what would change. */
export interface DeltaDryRunOutcome extends DeltaOutcomeBase {
  readonly status: 'dry-run';
  /** Bytes that would differ (not counting a resize). Ranges the plan could not compute count whole. */
  readonly bytesChanged: number;
  /** Changed ranges (as the journal would hold them), and the first few of them. */
  readonly ranges: number;
  readonly changes: readonly DeltaRange[];
  /** Bytes the journal would need. */
  readonly journalBytes: number;
}

/** The delta is applied and durable, its journal gone. */
export interface DeltaAppliedOutcome extends DeltaOutcomeBase {
  readonly status: 'applied';
  /** Bytes that differ now (not counting a resize). */
  readonly bytesChanged: number;
  /** Bytes written (changed ranges, and the whole target with `out`). */
  readonly bytesWritten: number;
  readonly ranges: number;
  /** The undo journal that was written and removed (its size: the bytes it needed), or `null`. */
  readonly journal: { readonly path: string; readonly records: number; readonly bytes: number } | null;
  /** With `out`: the file written. */
  readonly out?: string;
}

export type DeltaOutcome = DeltaAlreadyOutcome | DeltaDryRunOutcome | DeltaAppliedOutcome;

/** Test seams: called after the journal is durable and after each flush of writes (to simulate a crash by throwing). */
export const deltaHooks: { afterJournal?: () => void; afterFlush?: (written: number) => void } = {};

// ---------------------------------------------------------------------------------------------
// Checksums.

interface Sum {
  readonly start: number;
  update(data: Uint8Array, value: number): number;
}

const SUMS: Record<DeltaCheck['algorithm'], Sum> = {
  crc32: { start: 0, update: (d, v) => crc32(d, v) },
  adler32: { start: 1, update: (d, v) => adler32(d, v) },
};

/** `0x1234abcd`: a 32-bit checksum as messages and reports show it. */
export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Ops.

function isCheck(x: DeltaOp | DeltaCheck): x is DeltaCheck {
  return 'algorithm' in x;
}

function opLength(op: DeltaOp): bigint {
  return op.kind === 'data' || op.kind === 'add' || op.kind === 'xor' ? BigInt(op.bytes.length) : op.length;
}

/** Counts of one walk over the ops. */
interface Walk {
  ops: number;
  end: bigint;
}

/**
 * The delta's ops, checked (increasing, non-overlapping, inside the target, target copies reading
 * back) and with identity taken out: a source copy to its own offset is dropped, and an add or xor
 * at its own offset yields only its runs of non-zero bytes (zero runs shorter than ZERO_RUN stay).
 * Checks pass through.
 */
function* normalized(delta: Delta, name: string, targetSize: bigint | undefined, walk: Walk): Generator<DeltaOp | DeltaCheck> {
  let end = 0n;
  for (const x of delta.ops()) {
    if (isCheck(x)) {
      yield x;
      continue;
    }
    const len = opLength(x);
    if (x.at < end) throw new InputError(`${name}: delta op at ${x.at} starts before the end of the previous one (${end})`);
    if (len < 0n || ('from' in x && x.from < 0n)) throw new InputError(`${name}: delta op at ${x.at} has a negative length or source`);
    if (len === 0n) continue;
    end = x.at + len;
    walk.ops++;
    if (targetSize !== undefined && end > targetSize) throw new InputError(`${name}: delta op at ${x.at} ends at ${end}, past the target size ${targetSize}`);
    if (x.kind === 'target' && x.from >= x.at) throw new InputError(`${name}: delta target copy at ${x.at} reads ahead from ${x.from}`);
    if (x.kind === 'source' && x.from === x.at) continue;
    if ((x.kind === 'add' || x.kind === 'xor') && x.from === x.at) {
      yield* nonZeroRuns(x);
      continue;
    }
    yield x;
  }
  walk.end = end;
}

/** The parts of an add/xor at its own offset whose bytes are not zero (a zero adds or xors nothing). */
function* nonZeroRuns(op: Extract<DeltaOp, { kind: 'add' | 'xor' }>): Generator<DeltaOp> {
  const b = op.bytes;
  let i = 0;
  const n = b.length;
  while (i < n) {
    while (i < n && b[i] === 0) i++;
    if (i === n) return;
    const start = i;
    let last = i;
    // Extend over zero runs shorter than ZERO_RUN.
    for (; i < n; i++) {
      if (b[i] !== 0) last = i;
      else if (i - last >= ZERO_RUN) break;
    }
    const at = op.at + BigInt(start);
    yield { kind: op.kind, at, from: at, bytes: b.subarray(start, last + 1) };
    i = last + 1;
  }
}

/** Where a walk's ops read and write. */
interface OpIo {
  /** Fills `out` with the source's bytes at `pos` (zeros past the source's end). */
  source(pos: bigint, out: Uint8Array): void;
  /** Fills `out` with the target's bytes at `pos` (all produced already); false when they cannot be had (the plan's cache). */
  target(pos: bigint, out: Uint8Array): boolean;
}

/** A chunk of an op's target: its bytes, or undefined when they cannot be computed yet. */
interface Piece {
  at: bigint;
  length: number;
  bytes: Uint8Array | undefined;
}

/** Buffers of one walk. */
class Scratch {
  readonly chunk: number;
  readonly a: Buffer;
  readonly pattern: Buffer;
  constructor(chunk: number) {
    this.chunk = chunk;
    this.a = Buffer.allocUnsafe(chunk);
    this.pattern = Buffer.allocUnsafe(chunk);
  }
}

/**
 * The target bytes of `op`, a chunk at a time (each valid until the next): the semantics of
 * model.ts, as applyDeltaInMemory has them, on bounded buffers. A target copy that overlaps
 * itself (from + length > at) repeats its first at - from bytes: read once, then filled.
 */
function* produce(op: DeltaOp, io: OpIo, s: Scratch): Generator<Piece> {
  const total = opLength(op);
  const piece: Piece = { at: op.at, length: 0, bytes: undefined };
  switch (op.kind) {
    case 'data':
      for (let i = 0; i < op.bytes.length; i += s.chunk) {
        const n = Math.min(s.chunk, op.bytes.length - i);
        piece.at = op.at + BigInt(i);
        piece.length = n;
        piece.bytes = op.bytes.subarray(i, i + n);
        yield piece;
      }
      return;
    case 'fill':
      for (let i = 0n; i < total; ) {
        const n = total - i < BigInt(s.chunk) ? Number(total - i) : s.chunk;
        piece.at = op.at + i;
        piece.length = n;
        piece.bytes = s.a.fill(op.value, 0, n).subarray(0, n);
        yield piece;
        i += BigInt(n);
      }
      return;
    case 'source':
      for (let i = 0n; i < total; ) {
        const n = total - i < BigInt(s.chunk) ? Number(total - i) : s.chunk;
        const out = s.a.subarray(0, n);
        io.source(op.from + i, out);
        piece.at = op.at + i;
        piece.length = n;
        piece.bytes = out;
        yield piece;
        i += BigInt(n);
      }
      return;
    case 'add':
    case 'xor':
      for (let i = 0; i < op.bytes.length; i += s.chunk) {
        const n = Math.min(s.chunk, op.bytes.length - i);
        const out = s.a.subarray(0, n);
        io.source(op.from + BigInt(i), out);
        const d = op.bytes;
        if (op.kind === 'add') for (let k = 0; k < n; k++) out[k] = (out[k]! + d[i + k]!) & 0xff;
        else for (let k = 0; k < n; k++) out[k] ^= d[i + k]!;
        piece.at = op.at + BigInt(i);
        piece.length = n;
        piece.bytes = out;
        yield piece;
      }
      return;
    case 'target': {
      const dist = op.at - op.from;
      if (dist < BigInt(s.chunk)) {
        // A repeated pattern of `dist` bytes: chunks of whole periods, each a fill.
        const d = Number(dist);
        const pat = s.pattern.subarray(0, d);
        const ok = io.target(op.from, pat);
        const step = BigInt(Math.floor(s.chunk / d) * d);
        for (let i = 0n; i < total; i += step) {
          const n = total - i < step ? Number(total - i) : Number(step);
          piece.at = op.at + i;
          piece.length = n;
          piece.bytes = ok ? s.a.fill(pat, 0, n).subarray(0, n) : undefined;
          yield piece;
        }
        return;
      }
      for (let i = 0n; i < total; ) {
        const n = total - i < BigInt(s.chunk) ? Number(total - i) : s.chunk;
        const out = s.a.subarray(0, n);
        const ok = io.target(op.from + i, out);
        piece.at = op.at + i;
        piece.length = n;
        piece.bytes = ok ? out : undefined;
        yield piece;
        i += BigInt(n);
      }
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Changed ranges and the cache of recent target bytes.

/** Bytes compared at a time before looking inside (Buffer.compare per block, bytes only where it differs). */
const BLOCK = 256;

/**
 * The runs where `a` and `b` differ, runs less than GAP bytes apart emitted as one, and the
 * number of bytes that differ. Equal blocks are skipped with Buffer.compare; inside a block that
 * differs the bytes are compared one by one (no built-in finds the next differing byte). A delta
 * that rewrites a whole file differs almost everywhere: this stays linear and cheap where the
 * patch engine's differingRuns, made for a few short runs, is not.
 */
function changedRuns(a: Buffer, b: Uint8Array, emit: (start: number, end: number) => void): number {
  const bb = Buffer.from(b.buffer, b.byteOffset, b.length);
  // Plain typed arrays in the loop: indexing a Buffer subclass costs V8 more.
  const x = new Uint8Array(a.buffer, a.byteOffset, b.length);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.length);
  const n = b.length;
  let count = 0;
  let runStart = -1;
  let runEnd = -GAP - 2;
  for (let p = 0; p < n; p += BLOCK) {
    const e = p + BLOCK < n ? p + BLOCK : n;
    if (a.compare(bb, p, e, p, e) === 0) continue;
    for (let i = p; i < e; i++) {
      if (x[i] !== y[i]) {
        count++;
        if (i - runEnd > GAP) {
          if (runStart >= 0) emit(runStart, runEnd);
          runStart = i;
        }
        runEnd = i + 1;
      }
    }
  }
  if (runStart >= 0) emit(runStart, runEnd);
  return count;
}

/** Sorted, disjoint ranges, appended in order (and merged when close), in compact typed arrays. */
class Ranges {
  starts = new BigInt64Array(256);
  ends = new BigInt64Array(256);
  count = 0;
  #gap: bigint;
  /** `gap`: ranges at most this far apart become one. */
  constructor(gap = GAP) {
    this.#gap = BigInt(gap);
  }

  add(at: bigint, end: bigint): void {
    const k = this.count;
    if (k > 0) {
      const lastEnd = this.ends[k - 1]!;
      if (at - lastEnd <= this.#gap && end - this.starts[k - 1]! <= BigInt(MAX_RANGE)) {
        if (end > lastEnd) this.ends[k - 1] = end;
        return;
      }
    }
    // A range longer than MAX_RANGE is split: a journal record stays bounded.
    for (let s = at; s < end; ) {
      const e = end - s > BigInt(MAX_RANGE) ? s + BigInt(MAX_RANGE) : end;
      this.#push(s, e);
      s = e;
    }
  }

  #push(s: bigint, e: bigint): void {
    if (this.count === this.starts.length) {
      if (this.count >= MAX_RANGES) {
        this.#merge();
        this.add(s, e);
        return;
      }
      const grow = (a: BigInt64Array) => {
        const b = new BigInt64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
    }
    this.starts[this.count] = s;
    this.ends[this.count] = e;
    this.count++;
  }

  /** Too many ranges: merge those closer than a gap four times as wide (the journal holds a few more unchanged bytes). */
  #merge(): void {
    this.#gap = this.#gap === 0n ? BigInt(GAP) : this.#gap * 4n;
    let k = 0;
    for (let i = 0; i < this.count; i++) {
      const s = this.starts[i]!;
      const e = this.ends[i]!;
      if (k > 0 && s - this.ends[k - 1]! <= this.#gap && e - this.starts[k - 1]! <= BigInt(MAX_RANGE)) this.ends[k - 1] = e;
      else {
        this.starts[k] = s;
        this.ends[k] = e;
        k++;
      }
    }
    this.count = k;
  }

  /** The index of the last range starting at or before `x` (-1: none). */
  floor(x: bigint): number {
    let lo = 0;
    let hi = this.count - 1;
    let r = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= x) {
        r = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return r;
  }

  /** Whether any range meets [at, end). */
  meets(at: bigint, end: bigint): boolean {
    const i = this.floor(end - 1n);
    return i >= 0 && this.ends[i]! > at;
  }

  bytes(): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) n += Number(this.ends[i]! - this.starts[i]!);
    return n;
  }
}

/** The most recently computed changed target bytes, up to a limit, by target offset. */
class Recent {
  #at: bigint[] = [];
  #buf: Uint8Array[] = [];
  #len: number[] = [];
  #head = 0;
  #held = 0;
  #spare: Uint8Array | undefined;
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }

  put(at: bigint, bytes: Uint8Array): void {
    if (this.#limit === 0) return;
    const k = this.#at.length - 1;
    if (k >= this.#head && this.#at[k]! + BigInt(this.#len[k]!) === at && this.#buf[k]!.length - this.#len[k]! >= bytes.length) {
      this.#buf[k]!.set(bytes, this.#len[k]!);
      this.#len[k]! += bytes.length;
    } else {
      const want = Math.min(Math.max(bytes.length, 4096), this.#limit);
      const spare = this.#spare;
      const buf = spare !== undefined && spare.length === want ? spare : new Uint8Array(want);
      this.#spare = undefined;
      buf.set(bytes.subarray(0, buf.length));
      this.#at.push(at);
      this.#buf.push(buf);
      this.#len.push(Math.min(bytes.length, buf.length));
      this.#held += buf.length;
    }
    while (this.#held > this.#limit && this.#head < this.#at.length) {
      const old = this.#buf[this.#head]!;
      this.#held -= old.length;
      this.#spare = old; // the next put of a chunk reuses it: no garbage per chunk
      this.#buf[this.#head] = new Uint8Array(0);
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#at.length) {
      this.#at = this.#at.slice(this.#head);
      this.#buf = this.#buf.slice(this.#head);
      this.#len = this.#len.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Copies into out[i..] what it holds from `pos` on (contiguously); returns how many bytes, 0 if none. */
  read(pos: bigint, out: Uint8Array, i: number): number {
    const k = this.#floor(pos);
    if (k < 0) return 0;
    const off = pos - this.#at[k]!;
    if (off >= BigInt(this.#len[k]!)) return 0;
    const n = Math.min(this.#len[k]! - Number(off), out.length - i);
    out.set(this.#buf[k]!.subarray(Number(off), Number(off) + n), i);
    return n;
  }

  /** The first offset it holds after `pos` (undefined: none). */
  next(pos: bigint): bigint | undefined {
    const k = this.#floor(pos) + 1;
    const j = k <= this.#head ? this.#head : k;
    return j < this.#at.length ? this.#at[j] : undefined;
  }

  #floor(x: bigint): number {
    let lo = this.#head;
    let hi = this.#at.length - 1;
    let r = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#at[mid]! <= x) {
        r = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return r;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading.

/** Reads exactly out.length bytes of `fd` at `pos`; ERR_TRUNCATED when the file ends before. */
function preadFully(fd: number, out: Uint8Array, pos: bigint, path: string): void {
  let done = 0;
  while (done < out.length) {
    const n = readSync(fd, out, done, out.length - done, pos + BigInt(done));
    if (n === 0) throw shrankError(path, fstatSync(fd, { bigint: true }).size, pos + BigInt(done));
    done += n;
  }
}

/** The file's bytes at `pos` into `out`, zeros at and past `size`; counts what it read. */
function fileOrZero(file: OpenFile, size: bigint, pos: bigint, out: Uint8Array, counter: { file: number }): void {
  const inside = pos >= size ? 0 : size - pos < BigInt(out.length) ? Number(size - pos) : out.length;
  if (inside > 0) {
    preadFully(file.fd, out.subarray(0, inside), pos, file.path);
    counter.file += inside;
  }
  if (inside < out.length) out.fill(0, inside);
}

// ---------------------------------------------------------------------------------------------
// The plan: one walk over the ops, nothing written.

interface Window {
  readonly check: DeltaCheck;
  readonly at: bigint;
  readonly end: bigint;
  sum: number | undefined;
  deferred: boolean;
}

/** A window whose checksum differs (before writing). */
interface WindowMismatch {
  readonly at: bigint;
  readonly length: bigint;
  readonly expected: number;
  readonly found: number;
}

class Stop extends Error {}

/**
 * The plan of one file (mode `plan`), or the classic application into a new file (mode `out`: every
 * target byte, identity included, goes to `emit`, and target copies read the output).
 */
class Planner {
  readonly changed = new Ranges();
  /** Ranges the plan could not compute (target copies past the cache): written whole, counted after. */
  readonly uncomputed = new Ranges(0);
  bytesChanged = 0;
  readonly read = { file: 0, journal: 0 };
  readonly windows = { before: 0, after: 0, unchanged: 0 };
  readonly deferredWindows: Window[] = [];
  mismatch: WindowMismatch | undefined;
  srcSum: number | undefined;
  tgtSum: number | undefined;
  tgtDeferred = false;
  readonly #s: Scratch;
  readonly #cur: Buffer;
  /** #feed's own buffer: a window engaged in the middle of #computed must not overwrite #cur. */
  readonly #fed: Buffer;
  readonly #cache: Recent;
  #tpos = 0n;
  #w: Window | undefined;

  constructor(
    readonly file: OpenFile,
    /** The file's size, and the source's (the same, but in `out` mode past its end nothing is read). */
    readonly size: bigint,
    readonly sourceSize: bigint,
    readonly srcAlgo: Sum | undefined,
    readonly tgtAlgo: Sum | undefined,
    readonly mode: 'plan' | 'out',
    opts: { chunk: number; recent: number },
    readonly emit?: (at: bigint, bytes: Uint8Array) => void,
    readonly outTarget?: (pos: bigint, out: Uint8Array) => void,
  ) {
    this.#s = new Scratch(opts.chunk);
    this.#cur = Buffer.allocUnsafe(opts.chunk);
    this.#fed = Buffer.allocUnsafe(opts.chunk);
    this.#cache = new Recent(mode === 'plan' ? opts.recent : 0);
    if (srcAlgo) this.srcSum = srcAlgo.start;
    if (tgtAlgo) this.tgtSum = tgtAlgo.start;
  }

  readonly io: OpIo = {
    source: (pos, out) => fileOrZero(this.file, this.sourceSize, pos, out, this.read),
    target: (pos, out) => {
      if (this.outTarget) {
        this.outTarget(pos, out);
        return true;
      }
      for (let i = 0; i < out.length; ) {
        const p = pos + BigInt(i);
        const k = this.#cache.read(p, out, i);
        if (k > 0) {
          i += k;
          continue;
        }
        const c = this.changed.floor(p);
        if (c >= 0 && this.changed.ends[c]! > p) return false; // changed, and not in the cache
        let lim = pos + BigInt(out.length);
        const nextChanged = c + 1 < this.changed.count ? this.changed.starts[c + 1]! : undefined;
        if (nextChanged !== undefined && nextChanged < lim) lim = nextChanged;
        const nextCached = this.#cache.next(p);
        if (nextCached !== undefined && nextCached < lim) lim = nextCached;
        const n = Number(lim - p);
        fileOrZero(this.file, this.size, p, out.subarray(i, i + n), this.read);
        i += n;
      }
      return true;
    },
  };

  /** Walks the ops (already normalized); stops at the first window whose checksum differs. */
  run(items: Iterable<DeltaOp | DeltaCheck>, targetSize: () => bigint): void {
    try {
      for (const x of items) {
        if (isCheck(x)) {
          if (x.of !== 'window' || x.at === undefined || x.length === undefined) continue;
          this.#finishWindow();
          this.#w = { check: x, at: x.at, end: x.at + x.length, sum: undefined, deferred: false };
          continue;
        }
        if (this.#w && x.at >= this.#w.end) this.#finishWindow();
        this.#identityTo(x.at);
        for (const p of produce(x, this.io, this.#s)) {
          if (p.bytes) this.#computed(p.at, p.bytes);
          else this.#uncomputed(p.at, p.length);
        }
      }
      this.#finishWindow();
      const end = targetSize();
      this.#identityTo(end);
      // The source's checksum covers the tail a shrink cuts off too.
      if (this.srcAlgo && this.#tpos < this.sourceSize) this.#feed(this.#tpos, this.sourceSize, (b) => (this.srcSum = this.srcAlgo!.update(b, this.srcSum!)));
    } catch (err) {
      if (!(err instanceof Stop)) throw err;
    }
  }

  /** Reads [from, to) of the file (zeros past its end) in chunks into `use`. */
  #feed(from: bigint, to: bigint, use: (b: Uint8Array, at: bigint) => void): void {
    for (let at = from; at < to; ) {
      const n = to - at < BigInt(this.#fed.length) ? Number(to - at) : this.#fed.length;
      const b = this.#fed.subarray(0, n);
      fileOrZero(this.file, this.sourceSize, at, b, this.read);
      use(b, at);
      at += BigInt(n);
    }
  }

  /** Target bytes [at, at + bytes.length) to the whole-target checksum and the current window. */
  #feedTarget(at: bigint, bytes: Uint8Array): void {
    if (this.tgtAlgo && !this.tgtDeferred) this.tgtSum = this.tgtAlgo.update(bytes, this.tgtSum!);
    const w = this.#w;
    if (!w || w.deferred) return;
    const end = at + BigInt(bytes.length);
    if (end <= w.at || at >= w.end) return;
    this.#engage(w, at);
    const s = at < w.at ? Number(w.at - at) : 0;
    const e = end > w.end ? bytes.length - Number(end - w.end) : bytes.length;
    const sum = SUMS[w.check.algorithm];
    w.sum = sum.update(bytes.subarray(s, e), w.sum!);
  }

  /** A window's first changed byte: its sum starts, with the identity bytes before it read from the file. */
  #engage(w: Window, at: bigint): void {
    if (w.sum !== undefined) return;
    const sum = SUMS[w.check.algorithm];
    w.sum = sum.start;
    if (at > w.at) this.#feed(w.at, at, (b) => (w.sum = sum.update(b, w.sum!)));
  }

  /** Target positions [tpos, p) are the source's own bytes: read only when a checksum (or `out`) needs them. */
  #identityTo(p: bigint): void {
    const from = this.#tpos;
    if (p <= from) return;
    this.#tpos = p;
    const w = this.#w;
    let limit = from;
    if (this.mode === 'out' || (this.tgtAlgo && !this.tgtDeferred)) limit = p;
    if (this.srcAlgo) {
      const e = p < this.sourceSize ? p : this.sourceSize;
      if (e > limit) limit = e;
    }
    if (w && w.sum !== undefined && !w.deferred) {
      const e = w.end < p ? w.end : p;
      if (e > limit) limit = e;
    }
    if (limit <= from) return;
    this.#feed(from, limit, (b, at) => {
      if (this.srcAlgo && at < this.sourceSize) {
        const inside = this.sourceSize - at < BigInt(b.length) ? Number(this.sourceSize - at) : b.length;
        this.srcSum = this.srcAlgo.update(b.subarray(0, inside), this.srcSum!);
      }
      this.#feedTarget(at, b);
      this.emit?.(at, b);
    });
  }

  #computed(at: bigint, bytes: Uint8Array): void {
    const n = bytes.length;
    if (this.mode === 'out') {
      // The source's bytes there: for its checksum, and to count what differs.
      const cur = this.#cur.subarray(0, n);
      fileOrZero(this.file, this.sourceSize, at, cur, this.read);
      if (this.srcAlgo && at < this.sourceSize) {
        const inside = this.sourceSize - at < BigInt(n) ? Number(this.sourceSize - at) : n;
        this.srcSum = this.srcAlgo.update(cur.subarray(0, inside), this.srcSum!);
      }
      this.bytesChanged += changedRuns(cur, bytes, () => {});
      this.#feedTarget(at, bytes);
      this.emit?.(at, bytes);
      this.#tpos = at + BigInt(n);
      return;
    }
    const cur = this.#cur.subarray(0, n);
    fileOrZero(this.file, this.size, at, cur, this.read);
    if (this.srcAlgo && at < this.sourceSize) {
      const inside = this.sourceSize - at < BigInt(n) ? Number(this.sourceSize - at) : n;
      this.srcSum = this.srcAlgo.update(cur.subarray(0, inside), this.srcSum!);
    }
    this.#feedTarget(at, bytes);
    this.bytesChanged += changedRuns(cur, bytes, (s, e) => this.changed.add(at + BigInt(s), at + BigInt(e)));
    this.#cache.put(at, bytes);
    this.#tpos = at + BigInt(n);
  }

  #uncomputed(at: bigint, n: number): void {
    const end = at + BigInt(n);
    if (this.srcAlgo && at < this.sourceSize)
      this.#feed(at, end < this.sourceSize ? end : this.sourceSize, (b) => (this.srcSum = this.srcAlgo!.update(b, this.srcSum!)));
    if (this.tgtAlgo) this.tgtDeferred = true;
    const w = this.#w;
    if (w && end > w.at && at < w.end) w.deferred = true;
    this.changed.add(at, end);
    this.uncomputed.add(at, end);
    this.#tpos = end;
  }

  #finishWindow(): void {
    const w = this.#w;
    if (!w) return;
    if (w.deferred) {
      this.deferredWindows.push(w);
      this.windows.after++;
    } else if (w.sum === undefined) {
      this.windows.unchanged++;
    } else {
      this.#identityTo(w.end);
      if (w.sum >>> 0 !== w.check.value >>> 0) {
        this.mismatch = { at: w.at, length: w.end - w.at, expected: w.check.value, found: w.sum };
        this.#w = undefined;
        throw new Stop();
      }
      this.windows.before++;
    }
    this.#w = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The application.

function errorPath(err: unknown, path: string): unknown {
  if (err instanceof MmapxError && err.path === undefined) err.path = path;
  return err;
}

/**
 * Applies `delta` to the file at `path` in place (or, with `out`, writes the target to a new
 * file), all or nothing, crash-safe: every check runs before the first byte is written where it
 * can (see the top of src/edit/delta.ts for what is verified when), the original bytes of every
 * range that changes go to an undo journal first (`recover` rolls back from it), and the cost is
 * proportional to the bytes that change plus what whole-file checksums need.
 *
 * @throws GuardError (exit 3) for a file that is not the delta's source (size, checksum, window
 *   checksum), nothing written; InputError for a malformed or damaged delta; OperationError for
 *   the file (open, lock, a journal beside it, I/O, rolled back after a failed write).
 *
 * @example
 * const delta = decodeBps(readFileSync('hack.bps'), 'hack.bps');
 * const r = await applyDelta('rom.sfc', delta, { patch: readFileSync('hack.bps') });
 * console.log(r.status, r.status === 'applied' ? r.journal?.bytes : 0);
 */
export async function applyDelta(path: string, delta: Delta, options: DeltaOptions = {}): Promise<DeltaOutcome> {
  pathArg(path);
  optionsArg(options, ['dryRun', 'journal']);
  delta = deltaArg(delta);
  return applyDeltaTimed(path, delta, options, timerFor(options));
}

/** {@link applyDelta} with the caller's timer (the CLI's). */
export async function applyDeltaTimed(path: string, delta: Delta, options: DeltaOptions, timer: Timer): Promise<DeltaOutcome> {
  const name = options.name ?? 'delta';
  const out = options.out;
  const dryRun = options.dryRun === true;
  const write = !dryRun && out === undefined;
  const how = { write, force: options.force === true, lockWait: options.lockWait };
  let file: OpenFile;
  try {
    file = options.blocking ? openFile(path, how) : await openFileAsync(path, { ...how, ...(options.signal && { signal: options.signal }) });
  } catch (err) {
    throw errorPath(err, path);
  }
  timer.lap('open');
  try {
    const jpath = journalPath(path);
    if (write) refuseIfJournal(path, jpath);
    pageSize(); // loads the FFI on first use
    return await run(file, path, jpath, delta, name, options, timer);
  } catch (err) {
    throw errorPath(shrankSinceOpen(file, err, write ? 'written' : 'read'), path);
  } finally {
    file.close();
  }
}

/**
 * The delta's `patch` checksum over the patch's bytes (all but its last 4, as BPS and UPS store
 * it): undefined when the delta has none, else whether it matches and the value found.
 */
export function patchChecksum(delta: Delta, patch: Uint8Array): { ok: boolean; found: number } | undefined {
  const check = checksOf(delta, 'patch');
  if (check === undefined) return undefined;
  const sum = SUMS[check.algorithm];
  const found = patch.length < 4 ? 0 : sum.update(patch.subarray(0, patch.length - 4), sum.start) >>> 0;
  return { ok: patch.length >= 4 && found === check.value >>> 0, found };
}

function checksOf(delta: Delta, of: DeltaCheck['of']): DeltaCheck | undefined {
  return delta.checks.find((c) => c.of === of);
}

async function run(file: OpenFile, path: string, jpath: string, delta: Delta, name: string, options: DeltaOptions, timer: Timer): Promise<DeltaOutcome> {
  const size = knownSize(file);
  const chunk = options.chunk ?? CHUNK;
  const recent = options.recent ?? RECENT;
  const progress = options.progress ?? NO_PROGRESS;
  const dryRun = options.dryRun === true;
  const srcCheck = checksOf(delta, 'source');
  const tgtCheck = checksOf(delta, 'target');
  const patchCheck = checksOf(delta, 'patch');
  let checkedPatch: DeltaChecked['patch'] = patchCheck ? 'unchecked' : 'none';
  const walk: Walk = { ops: 0, end: 0n };
  const base = (sizeAfter: bigint, checked: DeltaChecked, read: { file: number; journal: number }) => ({
    path,
    format: delta.format,
    dryRun,
    sizeBefore: size,
    sizeAfter,
    ops: walk.ops,
    checked,
    read,
    timings: timer.json(),
  });
  const none: DeltaChecked = { patch: checkedPatch, source: 'none', target: 'none', windows: { before: 0, after: 0, unchanged: 0 } };

  // 1. The patch's own checksum, before anything is read of the file.
  if (patchCheck && options.patch !== undefined) {
    const r = patchChecksum(delta, options.patch)!;
    if (!r.ok) throw new InputError(`${name}: the patch is damaged: its ${patchCheck.algorithm} is ${hex32(r.found)}, it says ${hex32(patchCheck.value)}`);
    checkedPatch = 'before';
  }

  // 2. Sizes. A file of the target's size may be the delta already applied.
  const sourceSize = delta.sourceSize ?? size;
  if (delta.sourceSize !== undefined && size !== delta.sourceSize) {
    const read = { file: 0, journal: 0 };
    const by = alreadyApplied(file, size, delta, name, read, chunk, walk);
    timer.lap('plan');
    if (by !== undefined) {
      return { status: 'already', by, ...base(size, { ...none, patch: checkedPatch, ...(by === 'checksum' && { target: 'before' }) }, read) };
    }
    const hint = delta.targetSize === size ? ` (the target's size: ${tgtCheck ? 'but not its checksum' : 'already patched?'})` : '';
    throw new GuardError(`not the delta's source: it expects a file of ${delta.sourceSize} bytes, found ${size}${hint}; nothing written`);
  }

  // A target size no file can have (a forged header) fails here, before a plan would read its way to it.
  if (delta.targetSize !== undefined && delta.targetSize > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InputError(`${name}: a target of ${delta.targetSize} bytes is more than any file can hold`);
  }
  if (delta.targetSize !== undefined && delta.targetSize > size && options.out === undefined) assertCanGrow(file, delta.targetSize);

  // 3. The plan (or, with `out`, the whole application into the new file).
  if (options.out !== undefined) return applyOut(file, path, delta, name, options, timer, { size, sourceSize, chunk, recent, walk, checkedPatch, base });
  progress.phase(`plan ${path}`, size);
  const srcAlgo = srcCheck ? SUMS[srcCheck.algorithm] : undefined;
  const tgtAlgo = tgtCheck ? SUMS[tgtCheck.algorithm] : undefined;
  const planner = new Planner(file, size, sourceSize, srcAlgo, tgtAlgo, 'plan', { chunk, recent });
  let targetSize = delta.targetSize;
  planner.run(normalized(delta, name, delta.targetSize, walk), () => {
    targetSize ??= walk.end > size ? walk.end : size;
    return targetSize;
  });
  timer.lap('plan');
  const finalSize = targetSize ?? size;

  // 4. What the plan found: a wrong source, the target already, or work to do.
  if (srcCheck && planner.mismatch === undefined && planner.srcSum! >>> 0 !== srcCheck.value >>> 0) {
    // The whole file was read: its checksum may be the target's.
    if (tgtCheck && size === delta.targetSize && planner.srcSum! >>> 0 === tgtCheck.value >>> 0) {
      return { status: 'already', by: 'checksum', ...base(size, { ...none, patch: checkedPatch, target: 'before' }, planner.read) };
    }
    throw new GuardError(
      `not the delta's source: its ${srcCheck.algorithm} should be ${hex32(srcCheck.value)}, found ${hex32(planner.srcSum!)}${tgtCheck && size === delta.targetSize ? " (nor the target's)" : ''}; nothing written`,
    );
  }
  if (planner.mismatch !== undefined) {
    const m = planner.mismatch;
    if (delta.targetSize === undefined || size === delta.targetSize) {
      const by = alreadyApplied(file, size, delta, name, planner.read, chunk, { ops: 0, end: 0n });
      if (by !== undefined) return { status: 'already', by, ...base(size, { ...none, patch: checkedPatch }, planner.read) };
    }
    throw new GuardError(
      `not the delta's source: the target window at ${formatOffset(m.at)} (${m.length} bytes) would have adler32 ${hex32(m.found)}, the delta says ${hex32(m.expected)}; nothing written`,
      { offset: m.at },
    );
  }
  const checked: DeltaChecked = {
    patch: checkedPatch,
    source: srcCheck ? 'before' : 'none',
    target: tgtCheck ? (planner.tgtDeferred ? 'after' : 'before') : 'none',
    windows: planner.windows,
  };
  if (tgtCheck && !planner.tgtDeferred && planner.tgtSum! >>> 0 !== tgtCheck.value >>> 0) {
    const why = srcCheck ? 'the patch is damaged' : "not the delta's source";
    const err = `${why}: the target would have ${tgtCheck.algorithm} ${hex32(planner.tgtSum!)}, the delta says ${hex32(tgtCheck.value)}; nothing written`;
    throw srcCheck ? new InputError(`${name}: ${err}`) : new GuardError(err);
  }
  if (finalSize > size) assertCanGrow(file, finalSize);
  const changed = planner.changed;
  if (changed.count === 0 && finalSize === size && !planner.tgtDeferred && planner.deferredWindows.length === 0) {
    return { status: 'already', by: 'bytes', ...base(size, checked, planner.read) };
  }
  const inFile = (i: number): number => {
    const s = changed.starts[i]!;
    const e = changed.ends[i]! < size ? changed.ends[i]! : size;
    return e > s ? Number(e - s) : 0;
  };
  let journalBytes = HEADER_LENGTH + 56;
  for (let i = 0; i < changed.count; i++) {
    const n = inFile(i);
    if (n > 0) {
      journalBytes += 12 + n;
    }
  }
  if (finalSize < size) {
    const tail = size - finalSize;
    journalBytes += Number(tail) + 12 * Math.ceil(Number(tail) / MAX_RANGE);
  }
  if (dryRun) {
    const changes: DeltaRange[] = [];
    for (let i = 0; i < changed.count && i < LISTED; i++) changes.push({ offset: changed.starts[i]!, length: Number(changed.ends[i]! - changed.starts[i]!) });
    return {
      status: 'dry-run',
      ...base(finalSize, checked, planner.read),
      bytesChanged: planner.bytesChanged + planner.uncomputed.bytes(),
      ranges: changed.count,
      changes,
      journalBytes,
    };
  }
  options.signal?.throwIfAborted();

  // 5. The journal: the originals of every changed range, then the tail a shrink cuts off.
  const read = planner.read;
  const jpos = new Float64Array(changed.count);
  const header: JournalHeader = { dev: file.stat.dev, ino: file.stat.ino, sizeBefore: size, sizeAfter: finalSize };
  const buf = Buffer.allocUnsafe(Math.min(MAX_RANGE, Math.max(chunk, 4096)));
  function* originals(): Generator<JournalRecord> {
    let pos = HEADER_LENGTH;
    for (let i = 0; i < changed.count; i++) {
      const n = inFile(i);
      if (n === 0) continue;
      jpos[i] = pos + 12;
      pos += 12 + n;
      const b = n <= buf.length ? buf.subarray(0, n) : Buffer.allocUnsafe(n);
      preadFully(file.fd, b, changed.starts[i]!, file.path);
      read.file += n;
      yield { offset: changed.starts[i]!, bytes: b };
    }
    for (let at = finalSize; at < size; ) {
      const n = size - at < BigInt(MAX_RANGE) ? Number(size - at) : MAX_RANGE;
      const b = n <= buf.length ? buf.subarray(0, n) : Buffer.allocUnsafe(n);
      preadFully(file.fd, b, at, file.path);
      read.file += n;
      yield { offset: at, bytes: b };
      at += BigInt(n);
    }
  }
  const keep = options.journal !== false;
  // Without a journal the originals still serve the source reads: in an unlinked temporary file.
  const store = keep ? jpath : join(tmpdir(), `.mmapx-delta-${process.pid}-${Date.now().toString(36)}`);
  const jf: JournalFile = createJournal(store, header, originals());
  let storeFd: number;
  try {
    storeFd = openSync(store, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  } catch (err) {
    closeSync(jf.fd);
    unlinkSync(store);
    throw fsError(err, `cannot read back the journal ${store}`);
  }
  try {
    if (keep) {
      const failed = syncJournals([jf]).get(jf);
      if (failed !== undefined) throw failed;
    } else {
      closeSync(jf.fd);
      unlinkSync(store);
    }
    timer.lap('journal');
    deltaHooks.afterJournal?.();
    return writePhase({
      file,
      path,
      jpath: keep ? jpath : undefined,
      storeFd,
      delta,
      name,
      timer,
      planner,
      jpos,
      size,
      sourceSize,
      finalSize,
      chunk,
      progress,
      header,
      originals: () => storedOriginals(storeFd, changed, jpos, inFile, size, finalSize),
      outcome: (written, bytesChanged) => ({
        status: 'applied',
        ...base(finalSize, checked, read),
        bytesChanged,
        bytesWritten: written,
        ranges: changed.count,
        journal: keep ? { path: jpath, records: jf.records, bytes: jf.bytes } : null,
        timings: timer.json(),
      }),
    });
  } finally {
    closeSync(storeFd);
  }
}

/** The journal's records again, read from the store (a rollback without a journal file). */
function* storedOriginals(
  fd: number,
  changed: Ranges,
  jpos: Float64Array,
  inFile: (i: number) => number,
  size: bigint,
  finalSize: bigint,
): Generator<JournalRecord> {
  let pos = HEADER_LENGTH;
  for (let i = 0; i < changed.count; i++) {
    const n = inFile(i);
    if (n === 0) continue;
    const b = Buffer.allocUnsafe(n);
    preadFully(fd, b, BigInt(jpos[i]!), 'the journal');
    pos = jpos[i]! + n;
    yield { offset: changed.starts[i]!, bytes: b };
  }
  for (let at = finalSize; at < size; ) {
    const n = size - at < BigInt(MAX_RANGE) ? Number(size - at) : MAX_RANGE;
    const b = Buffer.allocUnsafe(n);
    preadFully(fd, b, BigInt(pos + 12), 'the journal');
    pos += 12 + n;
    yield { offset: at, bytes: b };
    at += BigInt(n);
  }
}

interface WriteJob {
  file: OpenFile;
  path: string;
  /** The journal beside the file; undefined without one (the store is a temporary file then). */
  jpath: string | undefined;
  storeFd: number;
  delta: Delta;
  name: string;
  timer: Timer;
  planner: Planner;
  jpos: Float64Array;
  size: bigint;
  sourceSize: bigint;
  finalSize: bigint;
  chunk: number;
  progress: NonNullable<DeltaOptions['progress']>;
  header: JournalHeader;
  originals: () => Iterable<JournalRecord>;
  outcome: (written: number, bytesChanged: number) => DeltaAppliedOutcome;
}

/** Steps 3 and 4 of the top comment: grow, write the changed chunks, verify what was left for after, shrink, sync, remove the journal. */
function writePhase(j: WriteJob): DeltaAppliedOutcome {
  const { file, planner, size, sourceSize, finalSize, timer } = j;
  const changed = planner.changed;
  const read = planner.read;
  const pending: WriteRange[] = [];
  let pendingBytes = 0;
  let written = 0;
  let bytesChanged = planner.bytesChanged;
  const flush = (): void => {
    if (pending.length === 0) return;
    writeRanges(file, pending, { sync: 'start', lease: true });
    written += pendingBytes;
    pending.length = 0;
    pendingBytes = 0;
    j.progress.update(written);
    deltaHooks.afterFlush?.(written);
  };
  /** Source bytes: the journal inside changed ranges, the file elsewhere, zeros past the source's end. */
  const source = (pos: bigint, out: Uint8Array): void => {
    for (let i = 0; i < out.length; ) {
      const p = pos + BigInt(i);
      if (p >= sourceSize) {
        out.fill(0, i);
        return;
      }
      const rest = out.length - i;
      const c = changed.floor(p);
      if (c >= 0 && changed.ends[c]! > p) {
        const e = changed.ends[c]! < sourceSize ? changed.ends[c]! : sourceSize;
        const n = e - p < BigInt(rest) ? Number(e - p) : rest;
        preadFully(j.storeFd, out.subarray(i, i + n), BigInt(j.jpos[c]!) + (p - changed.starts[c]!), 'the journal');
        read.journal += n;
        i += n;
        continue;
      }
      let lim = c + 1 < changed.count && changed.starts[c + 1]! < sourceSize ? changed.starts[c + 1]! : sourceSize;
      if (lim - p > BigInt(rest)) lim = p + BigInt(rest);
      const n = Number(lim - p);
      preadFully(file.fd, out.subarray(i, i + n), p, file.path);
      read.file += n;
      i += n;
    }
  };
  const io: OpIo = {
    source,
    target: (pos, out) => {
      flush();
      preadFully(file.fd, out, pos, file.path);
      read.file += out.length;
      return true;
    },
  };
  const original = Buffer.allocUnsafe(j.chunk);
  try {
    // Room for the changed ranges first (holes, past the end), before the size or a byte changes.
    reserveRanges(file, changedSpans(changed), size);
    if (finalSize > size) {
      try {
        ftruncateSync(file.fd, Number(finalSize));
      } catch (err) {
        throw fsError(err, `cannot grow the file to ${finalSize} bytes`);
      }
      timer.lap('resize');
    }
    j.progress.phase(`write ${j.path}`, changed.bytes());
    const s = new Scratch(j.chunk);
    const walk: Walk = { ops: 0, end: 0n };
    for (const x of normalized(j.delta, j.name, j.delta.targetSize, walk)) {
      if (isCheck(x)) continue;
      if (!changed.meets(x.at, x.at + opLength(x))) continue;
      for (const p of produce(x, io, s)) {
        const bytes = p.bytes!;
        const end = p.at + BigInt(p.length);
        if (!changed.meets(p.at, end)) continue;
        // What the plan could not compute is counted now, against the originals.
        if (planner.uncomputed.meets(p.at, end)) {
          const o = original.subarray(0, p.length);
          source(p.at, o);
          bytesChanged += changedRuns(o, bytes, () => {});
        }
        for (let c = Math.max(0, changed.floor(p.at)); c < changed.count && changed.starts[c]! < end; c++) {
          const s0 = changed.starts[c]! > p.at ? changed.starts[c]! : p.at;
          const e0 = changed.ends[c]! < end ? changed.ends[c]! : end;
          if (e0 <= s0) continue;
          const view = bytes.subarray(Number(s0 - p.at), Number(e0 - p.at));
          if (view.length >= DIRECT) {
            // A long run goes out at once, from the chunk itself (after what waits before it).
            pending.push({ offset: s0, bytes: view, length: view.length });
            pendingBytes += view.length;
            flush();
            continue;
          }
          const part = new Uint8Array(view); // a copy: the chunk's buffer is reused
          pending.push({ offset: s0, bytes: part, length: part.length });
          pendingBytes += part.length;
        }
        if (pendingBytes >= PENDING_BYTES || pending.length >= PENDING_RANGES) flush();
      }
    }
    flush();
    timer.lap('write');
    verifyAfter(j);
    if (finalSize < size) {
      try {
        ftruncateSync(file.fd, Number(finalSize));
      } catch (err) {
        throw fsError(err, `cannot truncate the file to ${finalSize} bytes`);
      }
    }
    if (finalSize !== size) fsyncSync(file.fd);
    else fdatasyncSync(file.fd);
    const now = sizeNow(file);
    if (now !== finalSize) throw shrankError(file.path, now, finalSize);
    timer.lap('sync');
  } catch (err) {
    if (err instanceof DeferredMismatch) rollBackAfter(j, err.message, err.exitInput);
    failAfterJournal(file, j.jpath, err);
  }
  if (j.jpath !== undefined) {
    removeJournal(j.jpath);
    timer.lap('cleanup');
  }
  return j.outcome(written, bytesChanged);
}

/** The changed ranges as offsets and lengths (each at most {@link MAX_RANGE} bytes). */
function* changedSpans(changed: Ranges): Generator<{ offset: bigint; length: number }> {
  for (let c = 0; c < changed.count; c++) yield { offset: changed.starts[c]!, length: Number(changed.ends[c]! - changed.starts[c]!) };
}

/** A check verified after writing that failed: the file is rolled back. */
class DeferredMismatch extends Error {
  constructor(
    message: string,
    readonly exitInput: boolean,
  ) {
    super(message);
  }
}

/** The checks the plan could not verify (target copies past its cache), on the written file, before the journal goes. */
function verifyAfter(j: WriteJob): void {
  const { planner, file, finalSize } = j;
  if (!planner.tgtDeferred && planner.deferredWindows.length === 0) return;
  const b = Buffer.allocUnsafe(j.chunk);
  const sumOf = (algo: Sum, from: bigint, to: bigint): number => {
    let v = algo.start;
    for (let at = from; at < to; ) {
      const n = to - at < BigInt(b.length) ? Number(to - at) : b.length;
      const part = b.subarray(0, n);
      preadFully(file.fd, part, at, file.path);
      planner.read.file += n;
      v = algo.update(part, v);
      at += BigInt(n);
    }
    return v;
  };
  for (const w of planner.deferredWindows) {
    const found = sumOf(SUMS[w.check.algorithm], w.at, w.end);
    if (found >>> 0 !== w.check.value >>> 0) {
      throw new DeferredMismatch(
        `not the delta's source: the target window at ${formatOffset(w.at)} has adler32 ${hex32(found)}, the delta says ${hex32(w.check.value)}`,
        false,
      );
    }
  }
  const tgt = checksOf(j.delta, 'target');
  if (planner.tgtDeferred && tgt) {
    const found = sumOf(SUMS[tgt.algorithm], 0n, finalSize);
    if (found >>> 0 !== tgt.value >>> 0) {
      const src = checksOf(j.delta, 'source') !== undefined;
      throw new DeferredMismatch(
        `${src ? `${j.name}: the patch is damaged` : "not the delta's source"}: the target has ${tgt.algorithm} ${hex32(found)}, the delta says ${hex32(tgt.value)}`,
        src,
      );
    }
  }
  j.timer.lap('verify');
}

/** Rolls the file back after a check that failed after writing, and says so (exit 3, or 2 for a damaged patch). */
function rollBackAfter(j: WriteJob, message: string, input: boolean): never {
  try {
    if (j.jpath !== undefined) rollBack(j.jpath, j.file, { cut: false });
    else restoreRecords(j.file, j.header, j.originals(), sizeNow(j.file));
  } catch (again) {
    throw new OperationError(
      `${message}; rolling back failed too (${again instanceof Error ? again.message : String(again)})${j.jpath ? `: run 'mmapx recover ${j.path}'` : ''}`,
    );
  }
  const text = `${message}; the file was rolled back, nothing changed`;
  throw input ? new InputError(text) : new GuardError(text);
}

/**
 * Whether the file (of the target's size) already holds the target: its whole checksum is the
 * target's, or (VCDIFF) every window that changes anything has the checksum the delta gives it.
 * Undefined: it cannot be told, or it does not.
 */
function alreadyApplied(
  file: OpenFile,
  size: bigint,
  delta: Delta,
  name: string,
  read: { file: number },
  chunk: number,
  walk: Walk,
): 'checksum' | 'windows' | undefined {
  if (delta.targetSize !== undefined && size !== delta.targetSize) return undefined;
  const buf = Buffer.allocUnsafe(chunk);
  const sumOf = (algo: Sum, from: bigint, to: bigint): number | undefined => {
    if (to > size) return undefined;
    let v = algo.start;
    for (let at = from; at < to; ) {
      const n = to - at < BigInt(buf.length) ? Number(to - at) : buf.length;
      const b = buf.subarray(0, n);
      preadFully(file.fd, b, at, file.path);
      read.file += n;
      v = algo.update(b, v);
      at += BigInt(n);
    }
    return v;
  };
  const tgt = checksOf(delta, 'target');
  if (tgt) return sumOf(SUMS[tgt.algorithm], 0n, size)! >>> 0 === tgt.value >>> 0 ? 'checksum' : undefined;
  // Windows: only those with an op that changes something are read.
  let window: DeltaCheck | undefined;
  let counted = false;
  let any = false;
  const done = (): boolean => {
    if (!window || !counted) return true;
    any = true;
    const found = sumOf(SUMS[window.algorithm], window.at!, window.at! + window.length!);
    return found !== undefined && found >>> 0 === window.value >>> 0;
  };
  for (const x of normalized(delta, name, delta.targetSize, walk)) {
    if (isCheck(x)) {
      if (x.of !== 'window' || x.at === undefined || x.length === undefined) continue;
      if (!done()) return undefined;
      window = x;
      counted = false;
      continue;
    }
    if (window && x.at < window.at! + window.length!) counted = true;
  }
  if (!done()) return undefined;
  return any ? 'windows' : undefined;
}

// ---------------------------------------------------------------------------------------------
// --out: the classic mode.

interface OutJob {
  size: bigint;
  sourceSize: bigint;
  chunk: number;
  recent: number;
  walk: Walk;
  checkedPatch: DeltaChecked['patch'];
  base: (sizeAfter: bigint, checked: DeltaChecked, read: { file: number; journal: number }) => DeltaOutcomeBase;
}

/**
 * Writes the target to a new file beside `options.out` (a temporary name, renamed over it at the
 * end), reading the source file only: one pass, every check verified before the rename; on any
 * failure the temporary file is removed and nothing else changed.
 */
function applyOut(file: OpenFile, path: string, delta: Delta, name: string, options: DeltaOptions, timer: Timer, o: OutJob): DeltaOutcome {
  const target = options.out!;
  // A symlink is followed (the link stays; a dangling one creates its target), as for every -o.
  const { stat: existing, path: final } = locateOutput(target);
  if (existing !== undefined) {
    if (!existing.isFile()) throw new InputError(`--out ${target}: not a regular file (the target is written to a new file and renamed over it)`);
    if (existing.ino === file.stat.ino && existing.dev === file.stat.dev) {
      throw new InputError(`--out ${target} is the source file itself: leave --out off to patch it in place`);
    }
  }
  const tmp = join(dirname(final), sideName(basename(final), tmpSuffix()));
  let fd: number;
  try {
    fd = openSync(tmp, fsc.O_RDWR | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, existing === undefined ? 0o644 : 0o600);
  } catch (err) {
    throw fsError(err, `cannot write ${target}`);
  }
  if (existing !== undefined) {
    try {
      keepIdentity(fd, existing);
    } catch (err) {
      closeSync(fd);
      unlinkSync(tmp);
      throw fsError(err, `cannot write ${target}: cannot give the new contents its owner ${existing.uid}:${existing.gid} and mode`);
    }
  }
  let done = false;
  let written = 0;
  try {
    const srcCheck = checksOf(delta, 'source');
    const tgtCheck = checksOf(delta, 'target');
    const emit = (at: bigint, bytes: Uint8Array): void => {
      for (let k = 0; k < bytes.length; ) k += writeSync(fd, bytes, k, bytes.length - k, Number(at) + k);
      written += bytes.length;
    };
    const outTarget = (pos: bigint, out: Uint8Array): void => preadFully(fd, out, pos, target);
    const planner = new Planner(
      file,
      o.size,
      o.sourceSize,
      srcCheck ? SUMS[srcCheck.algorithm] : undefined,
      tgtCheck ? SUMS[tgtCheck.algorithm] : undefined,
      'out',
      { chunk: o.chunk, recent: 0 },
      emit,
      outTarget,
    );
    let targetSize = delta.targetSize;
    planner.run(normalized(delta, name, delta.targetSize, o.walk), () => {
      targetSize ??= o.walk.end > o.size ? o.walk.end : o.size;
      return targetSize;
    });
    timer.lap('write');
    if (srcCheck && planner.srcSum! >>> 0 !== srcCheck.value >>> 0) {
      const isTarget = tgtCheck && o.size === delta.targetSize && planner.srcSum! >>> 0 === tgtCheck.value >>> 0;
      throw new GuardError(
        `not the delta's source: its ${srcCheck.algorithm} should be ${hex32(srcCheck.value)}, found ${hex32(planner.srcSum!)}${isTarget ? ` (it is the target already: ${path} is patched)` : ''}; ${target} not written`,
      );
    }
    if (planner.mismatch) {
      const m = planner.mismatch;
      throw new GuardError(
        `not the delta's source: the target window at ${formatOffset(m.at)} has adler32 ${hex32(m.found)}, the delta says ${hex32(m.expected)}; ${target} not written`,
        { offset: m.at },
      );
    }
    if (tgtCheck && planner.tgtSum! >>> 0 !== tgtCheck.value >>> 0) {
      const err = `the target has ${tgtCheck.algorithm} ${hex32(planner.tgtSum!)}, the delta says ${hex32(tgtCheck.value)}; ${target} not written`;
      throw srcCheck ? new InputError(`${name}: the patch is damaged: ${err}`) : new GuardError(`not the delta's source: ${err}`);
    }
    const finalSize = targetSize ?? o.size;
    try {
      ftruncateSync(fd, Number(finalSize));
      fsyncSync(fd);
      closeSync(fd);
      done = true;
      // The new name durable too: the directory fsynced (Windows: a write-through move).
      renameDurably(tmp, final);
    } catch (err) {
      throw err instanceof MmapError || err instanceof OperationError ? err : fsError(err, `cannot write ${target}`);
    }
    timer.lap('sync');
    const checked: DeltaChecked = {
      patch: o.checkedPatch,
      source: srcCheck ? 'before' : 'none',
      target: tgtCheck ? 'before' : 'none',
      windows: planner.windows,
    };
    return {
      status: 'applied',
      ...o.base(finalSize, checked, planner.read),
      bytesChanged: planner.bytesChanged,
      bytesWritten: written,
      ranges: 0,
      journal: null,
      out: target,
      timings: timer.json(),
    };
  } catch (err) {
    if (!done) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // renamed already, or never made
    }
    throw err;
  }
}
