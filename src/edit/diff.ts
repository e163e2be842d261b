// Comparing two files (the engine of `mmapx diff`): both mapped window by window, read-only, and
// compared step by step; the patch that turns OLD into NEW comes out as it is made: the guarded
// native patch (old and new bytes per hunk, nearby changes coalesced, the size change as `size
// before` / `size after`), GNU `cmp -l` lines, or an IPS patch (held until the end: its offsets
// stop at 16 MiB, so it is bounded); or, for people, the side-by-side view of the differing lines
// (`side`, rendered by src/format/patch/side.ts) with the runs of differing bytes. Memory stays
// flat whatever the sizes.
//
// If another process truncates either file meanwhile, nothing computed from a window that faulted
// or that the file no longer covers goes out: ERR_TRUNCATED naming that file.
import { describeValue } from '../format/quote.js';
import { optionsArg, pathArg } from './args.js';
import { createHash, type Hash } from 'node:crypto';
import { readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { InputError, MmapxError } from '../errors.js';
import { cmpEofNote, cmpOffsetWidth, cmpWindowBytes, DiffScanner, differingRuns, HunkLineBuffer, IpsEncoder, type OffsetHunk } from '../format/patch/index.js';
import { SIDE_MAX_COLS, SIDE_MAX_CONTEXT, type SideColors, sideColsFor, sideOffsetDigits, SideWriter } from '../format/patch/side.js';
import { hex } from '../format/patch/lex.js';
import { shownPath } from '../format/quote.js';
import { type Mmap, MmapOptions, pageSize } from '../mmap/index.js';
import { nextData } from '../mmap/sys/holes.js';
import { knownSize, notePendingJournal, type OpenFile, openFile, openFileAsync, STDIN, shrankSinceOpen } from './files.js';
import { spooled } from './spool.js';
import { assertCovers, windowPairs } from './mapped.js';
import type { Clock, EditContext, ProgressSink } from './seams.js';
import { type DeltaDiffFormat, type DeltaSummary, DELTA_DIFF_FORMATS, deltaPatch, isDeltaDiffFormat } from './delta-diff.js';
import { pullStream } from './stream.js';

/**
 * The formats of {@link diffFiles}: `native` (mmapx's guarded patch), `cmp` (`cmp -l` lines), `ips`,
 * `side` (the side-by-side view, for people: not a patch), and the delta formats `bps`, `ups`,
 * `ips32`, `vcdiff` (src/edit/delta-diff.ts).
 */
export type DiffFormat = 'native' | 'cmp' | 'ips' | 'side' | DeltaDiffFormat;

export type { SideColors };

/** A run of differing bytes (`side`): where, how long, and the first bytes of each file there. */
export interface DiffRun {
  readonly offset: bigint;
  readonly length: bigint;
  /** OLD's and NEW's first {@link DIFF_RUN_BYTES} bytes of the run, lowercase hex; empty for the file that has ended (the longer file's tail is the last run). */
  readonly old: string;
  readonly new: string;
}

/** Bytes of each file a {@link DiffRun} carries at most. */
export const DIFF_RUN_BYTES = 32;

/** Options of {@link diffFiles} and {@link diffStream}. */
export interface DiffFilesOptions extends EditContext {
  /** The patch format (default `native`). */
  format?: DiffFormat;
  /** Equal bytes between two changes up to which they join one hunk (0..1000000, default 8); not for `cmp`. */
  coalesce?: number;
  /** `native` only: add `sha256 before` / `sha256 after` guards (both files are then read whole). */
  sha256?: boolean;
  /** Bytes the stream queues before it stops reading (Readable's `highWaterMark`). */
  highWaterMark?: number;
  /** `side`: bytes of each file per line (1..64; default: what fits `width`, else 16). */
  cols?: number;
  /** `side` without `cols`: the columns the lines must fit (a terminal's width): 16 bytes per side, 8 or 4. */
  width?: number | undefined;
  /** `side`: equal lines shown around each differing line (0..1000000, default 3). */
  context?: number;
  /** `side`: colour pairs around the differing bytes (ANSI SGR pairs in the CLI); without, `^^` marker lines. */
  colors?: SideColors;
  /** `side`: false to find the runs only, without the view (default true). */
  text?: boolean;
  /** `side`: runs of differing bytes kept in the outcome's `runs` (0..1000000, default 1000; `runCount` counts them all). */
  maxRuns?: number;
}

/** What a comparison found (besides the patch itself). */
export interface DiffOutcome {
  /** OLD and NEW as given. */
  readonly old: string;
  readonly new: string;
  readonly format: DiffFormat;
  readonly sizeOld: bigint;
  readonly sizeNew: bigint;
  /** Same size and same bytes. */
  readonly identical: boolean;
  /** Hunks of the patch (`native`, `ips`); `side`: groups of lines shown (with the view). */
  readonly hunks?: number;
  /**
   * Bytes that differ over the common part plus the bytes NEW adds (`native`, `ips`); `side`: the
   * differing bytes of the common part plus the longer file's tail.
   */
  readonly bytesChanged?: number;
  /** `cmp` with files of different sizes: cmp's `EOF on NAME after byte N` note. */
  readonly eof?: string;
  /** The SHA-256 of both files, lowercase hex, with the `sha256` option; null without. */
  readonly sha256: { readonly before: string; readonly after: string } | null;
  /** Bytes of patch output. */
  readonly bytes: number;
  /** `side`: the first `maxRuns` runs of differing bytes, in order. */
  readonly runs?: readonly DiffRun[];
  /** `side`: all the runs (more than `runs` holds when it was cut). */
  readonly runCount?: number;
  /** The delta formats: what the patch's ops add up to (copies, fills, literal bytes, the CRC-32s). */
  readonly delta?: DeltaSummary;
}

/** An IPS patch cannot express the size change: its offsets and its truncation size are 24-bit. */
export class IpsLimitError extends InputError {
  /** `truncate`: NEW is shorter and its size is past 0xffffff; `grow`: NEW ends past 0xffffff. */
  readonly change: 'truncate' | 'grow';
  /** The size of NEW. */
  readonly size: bigint;
  constructor(change: 'truncate' | 'grow', size: bigint) {
    super(
      change === 'truncate'
        ? `an IPS patch cannot truncate to ${size} bytes: its truncation size ends at ${hex(IPS_LIMIT)} (16 MiB); use the native format`
        : `an IPS patch cannot grow a file to ${size} bytes: its offsets end at ${hex(IPS_LIMIT)} (16 MiB); use the native format`,
    );
    this.change = change;
    this.size = size;
  }
}

/**
 * Receives the patch as it is made. `transient`: `data` is a buffer the engine reuses after the
 * call (use or copy it now); otherwise it may be kept.
 */
export type PatchSink = (data: string | Uint8Array, transient: boolean) => void;

/**
 * Bytes of each file mapped at a time. Mapped pages count in the process's resident set, so the
 * window is what bounds the peak RSS (two windows), whatever the file sizes.
 */
const DIFF_WINDOW = 8 * 1024 * 1024;
/** Bytes compared and formatted before the output is written: bounds the hunks and text held. */
const DIFF_STEP = 64 * 1024;
/** IPS offsets and the truncation size are 24-bit. */
const IPS_LIMIT = 0xffffffn;
/** IPS32 offsets and the truncation size are 32-bit. */
const IPS32_LIMIT = 0xffffffffn;
const FORMATS: readonly DiffFormat[] = ['native', 'cmp', 'ips', 'side', ...DELTA_DIFF_FORMATS];

/** The `side` options, checked. */
interface SideSettings {
  cols: number | undefined;
  width: number | undefined;
  context: number;
  colors: SideColors | undefined;
  text: boolean;
  maxRuns: number;
}

/** `length` bytes of `file` at `offset` (fewer at its end), by pread: a few bytes, no map. */
function readAt(file: OpenFile, offset: bigint, length: number): Uint8Array {
  const buf = Buffer.alloc(length);
  const n = readSync(file.fd, buf, 0, length, offset);
  return buf.subarray(0, n);
}

/** Names `path` in an error that does not name a file yet (an error about NEW, where OLD is the default). */
function about(err: unknown, path: string): unknown {
  if (err instanceof MmapxError && err.path === undefined) err.path = path;
  return err;
}

/** What {@link openFileDiff} takes (the CLI's options are the API's). */
export type OpenDiffOptions = DiffFilesOptions;

/** Two open files to compare, and how: {@link run} (the CLI) or {@link steps} (the stream). */
export class FileDiff {
  /** OLD, open (locked until {@link close}). */
  readonly a: OpenFile;
  /** NEW, open (locked until {@link close}). */
  readonly b: OpenFile;
  /** The size of OLD when opened. */
  readonly sizeA: bigint;
  /** The size of NEW when opened. */
  readonly sizeB: bigint;
  /** The patch format. */
  readonly format: DiffFormat;
  readonly #coalesce: number;
  readonly #sha256: boolean;
  readonly #side: SideSettings | undefined;
  readonly #clock: Clock | undefined;

  /** Takes both sizes (a device or pseudo file has none: OperationError, naming NEW when it is about NEW). */
  constructor(a: OpenFile, b: OpenFile, options: { format: DiffFormat; coalesce: number; sha256: boolean; side?: SideSettings; clock?: Clock }) {
    this.a = a;
    this.b = b;
    this.#clock = options.clock;
    this.format = options.format;
    this.#coalesce = options.coalesce;
    this.#sha256 = options.sha256;
    this.#side = options.side;
    this.sizeA = knownSize(a);
    try {
      this.sizeB = knownSize(b);
    } catch (err) {
      throw about(err, b.path);
    }
  }

  /** Refuses, before anything is written, a size change the format cannot carry (IPS: 24 bits). */
  preflight(): void {
    const { sizeA, sizeB } = this;
    // IPS32: the truncation size is 32 bits, and growth writes a record at the new last byte.
    if (this.format === 'ips32' && ((sizeB < sizeA && sizeB > IPS32_LIMIT) || (sizeB > sizeA && sizeB - 1n > IPS32_LIMIT))) {
      throw new InputError(
        `an IPS32 patch cannot ${sizeB < sizeA ? 'truncate' : 'grow'} a file to ${sizeB} bytes: its offsets and sizes end at ${hex(IPS32_LIMIT)} (4 GiB); use --format bps or vcdiff`,
      );
    }
    if (this.format !== 'ips') return;
    if (sizeB < sizeA && sizeB > IPS_LIMIT) throw new IpsLimitError('truncate', sizeB);
    if (sizeB > sizeA && sizeB - 1n > IPS_LIMIT) throw new IpsLimitError('grow', sizeB);
  }

  /**
   * The comparison, one step ({@link DIFF_STEP} bytes) at a time: each step's output goes to
   * `sink` before the generator yields. Returns the outcome.
   */
  *steps(sink: PatchSink, progress?: ProgressSink): Generator<void, DiffOutcome, undefined> {
    try {
      return yield* this.#steps(sink, progress);
    } catch (err) {
      // A window the file no longer reaches because it shrank since it was opened: ERR_TRUNCATED.
      throw shrankSinceOpen(this.b, shrankSinceOpen(this.a, err, 'read'), 'read');
    }
  }

  /** The whole comparison (the CLI): {@link steps} run to the end. */
  run(sink: PatchSink, progress?: ProgressSink): DiffOutcome {
    const g = this.steps(sink, progress);
    for (;;) {
      const r = g.next();
      if (r.done) return r.value;
    }
  }

  *#steps(patchSink: PatchSink, progress: ProgressSink | undefined): Generator<void, DiffOutcome, undefined> {
    this.preflight();
    if (this.format === 'side') return yield* this.#sideSteps(patchSink, progress);
    if (isDeltaDiffFormat(this.format)) return yield* this.#deltaSteps(this.format, patchSink, progress);
    const { a, b, sizeA, sizeB, format } = this;
    let bytes = 0;
    const out: PatchSink = (data, transient) => {
      bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      patchSink(data, transient);
    };
    const hashA: Hash | undefined = this.#sha256 ? createHash('sha256') : undefined;
    const hashB: Hash | undefined = this.#sha256 ? createHash('sha256') : undefined;
    // IPS records run up to 65535 bytes; the native format's lines 32 bytes. Either way a region
    // that differs everywhere goes out piece by piece: memory stays flat.
    const scanner = new DiffScanner({ coalesce: this.#coalesce, name: a.path, reuse: true, ...(format === 'ips' && { maxHunk: 0xffff }) });
    // IPS is held until the end (its offsets stop at 16 MiB, so it is bounded): a change it cannot
    // express is refused before anything is written.
    const ipsChunks: Uint8Array[] = [];
    const ips =
      format === 'ips'
        ? new IpsEncoder(
            (c) => ipsChunks.push(c),
            (o, n) => readAt(b, BigInt(o), n),
          )
        : undefined;
    let hunks = 0;
    const width = cmpOffsetWidth(sizeA, sizeB);
    // cmp: every line of a step is formatted into this one buffer (allocated once, reused).
    const cmpBuf = format === 'cmp' ? Buffer.allocUnsafe(DIFF_STEP * (width + 9)) : undefined;
    // Each hunk is formatted as soon as the scanner completes it: native lines go into one buffer
    // (reused), written after each step; IPS records into the encoder's chunks.
    const lines = new HunkLineBuffer();
    const onHunk = (h: OffsetHunk): void => {
      hunks++;
      if (ips) ips.hunk(h.offset, h.new);
      else lines.add(h);
    };
    if (format === 'native') {
      // A name with a newline would end the comment and start a statement: escaped, as in messages.
      out(`# mmapx diff: turns ${shownPath(a.path)} into ${shownPath(b.path)}\n`, false);
      if (sizeA !== sizeB) out(`size before ${hex(sizeA)}\nsize after ${hex(sizeB)}\n`, false);
    }
    // Walk NEW (cmp: the common part) in windows; OLD is mapped at the same offsets as far as it goes.
    const limit = format === 'cmp' ? (sizeA < sizeB ? sizeA : sizeB) : sizeB;
    const win = BigInt(DIFF_WINDOW);
    // Progress counts the bytes of NEW walked, then what is left to hash of either file.
    const rest = (h: Hash | undefined, size: bigint): bigint => (h && size > limit ? size - limit : 0n);
    progress?.phase(`diff ${a.path}`, limit + rest(hashA, sizeA) + rest(hashB, sizeB));
    let done = 0n;
    for (const w of windowPairs(a, b, sizeA, limit, win)) {
      const { a: va, b: vb, offset: off } = w;
      hashA?.update(va);
      hashB?.update(vb);
      // Step by step through the window, each step's output written before the next is made.
      for (let s = 0; s < vb.length; s += DIFF_STEP) {
        const e = Math.min(vb.length, s + DIFF_STEP);
        const sa = va.subarray(Math.min(s, va.length), Math.min(e, va.length));
        const sb = vb.subarray(s, e);
        const text = format === 'cmp' ? cmpWindowBytes(sa, sb, off + BigInt(s), width, cmpBuf) : undefined;
        if (format !== 'cmp') scanner.push(sa, sb, onHunk);
        // Pages past a new end read as zeros: nothing made of them goes out.
        w.check(BigInt(e));
        const made = text ?? lines.take();
        if (made.length > 0) out(made, true);
        yield;
      }
      done += BigInt(vb.length);
      progress?.update(Number(done)); // once per window
    }
    if (format !== 'cmp') {
      scanner.finish(onHunk);
      const last = lines.take();
      if (last.length > 0) out(last, true);
    }
    // The rest of either file for the hashes (OLD past NEW's end, or cmp's longer file).
    for (const [h, f, size] of [
      [hashA, a, sizeA],
      [hashB, b, sizeB],
    ] as const) {
      if (!h) continue;
      for (let off = limit; off < size; off += win) {
        const len = size - off < win ? size - off : win;
        const m = new MmapOptions().offset(off).len(len).populate().map(f);
        try {
          h.update(m.bytes as Uint8Array);
          m.assertIntact('read');
          assertCovers(f, off + len);
        } finally {
          m.unmap();
        }
        done += len;
        progress?.update(Number(done));
        yield;
      }
    }
    const sha256 = hashA && hashB ? { before: hashA.digest('hex'), after: hashB.digest('hex') } : null;
    if (sha256) out(`sha256 before ${sha256.before}\nsha256 after ${sha256.after}\n`, false);
    if (ips) {
      ips.finish(sizeA, sizeB);
      for (const c of ipsChunks) out(c, false);
    }
    const identical = sizeA === sizeB && (format === 'cmp' ? bytes === 0 : hunks === 0);
    const eof = format === 'cmp' ? cmpEofNote(sizeA, sizeB, { a: a.path, b: b.path }) : undefined;
    return {
      old: a.path,
      new: b.path,
      format,
      sizeOld: sizeA,
      sizeNew: sizeB,
      identical,
      ...(format !== 'cmp' && { hunks, bytesChanged: scanner.bytesChanged }),
      ...(eof !== undefined && { eof }),
      sha256,
      bytes,
    };
  }

  /** The delta formats: the encoder's pieces as they come (see src/edit/delta-diff.ts). */
  *#deltaSteps(format: DeltaDiffFormat, out: PatchSink, progress: ProgressSink | undefined): Generator<void, DiffOutcome, undefined> {
    const { a, b, sizeA, sizeB } = this;
    let bytes = 0;
    const clock = this.#clock;
    const pieces = deltaPatch(a, sizeA, b, sizeB, format, {
      coalesce: this.#coalesce,
      ...(progress && { progress }),
      ...(clock && { onIndexed: () => clock.lap('index') }),
    });
    let r = pieces.next();
    for (; !r.done; r = pieces.next()) {
      bytes += r.value.length;
      out(r.value, true); // written at once (an 8 MiB data section is not copied into a pending buffer)
      yield;
    }
    const delta = r.value;
    // Nothing but copies of the same offset (or, in place, no change at all), and the same size.
    const identical = sizeA === sizeB && delta.unchanged === Number(sizeB);
    return { old: a.path, new: b.path, format, sizeOld: sizeA, sizeNew: sizeB, identical, sha256: null, bytes, delta };
  }

  /**
   * `side`: the common part walked window by window (the runs of differing bytes found by memcmp;
   * a hole both files have, per SEEK_DATA, is equal and stepped over), then the longer file's tail; the view of the lines that differ (read back by pread, a chunk of
   * lines at a time) goes out after each step.
   */
  *#sideSteps(out0: PatchSink, progress: ProgressSink | undefined): Generator<void, DiffOutcome, undefined> {
    const { a, b, sizeA, sizeB } = this;
    const side = this.#side!;
    let bytes = 0;
    const out = (text: string | Uint8Array): void => {
      bytes += typeof text === 'string' ? Buffer.byteLength(text) : text.length;
      out0(text, typeof text !== 'string'); // the renderer reuses its buffer
    };
    const common = sizeA < sizeB ? sizeA : sizeB;
    const max = sizeA < sizeB ? sizeB : sizeA;
    // pread, then a check that the file still covers what was asked (a shrunk file reads short).
    const read = (f: OpenFile, size: bigint, offset: bigint, length: number): Uint8Array => {
      const want = offset >= size ? 0 : size - offset < BigInt(length) ? Number(size - offset) : length;
      if (want === 0) return new Uint8Array(0);
      const got = readAt(f, offset, want);
      if (got.length < want) assertCovers(f, offset + BigInt(want));
      return got;
    };
    const digits = sideOffsetDigits(sizeA, sizeB);
    const writer = side.text
      ? new SideWriter(
          {
            cols: side.cols ?? (side.width !== undefined ? sideColsFor(side.width, digits) : 16),
            context: side.context,
            digits,
            names: { old: a.path, new: b.path },
            sizeOld: sizeA,
            sizeNew: sizeB,
            colors: side.colors,
          },
          (o, n) => ({ old: read(a, sizeA, o, n), new: read(b, sizeB, o, n) }),
          out,
        )
      : undefined;
    // The runs, joined across steps; the first ones kept with their first bytes.
    const runs: DiffRun[] = [];
    let runCount = 0;
    let differing = 0n;
    let cur: { offset: bigint; length: bigint; old: string; new: string } | undefined;
    const endRun = (): void => {
      if (cur === undefined) return;
      runCount++;
      if (runs.length < side.maxRuns) runs.push(cur);
      cur = undefined;
    };
    // `x` and `y`: both files' bytes from `at` (the run's bytes there, as far as they go).
    const addRun = (offset: bigint, length: bigint, x: Uint8Array, y: Uint8Array, at: number): void => {
      differing += length;
      if (cur !== undefined && cur.offset + cur.length === offset) cur.length += length;
      else {
        endRun();
        cur = { offset, length, old: '', new: '' };
      }
      if (runs.length >= side.maxRuns) return; // not kept: no bytes needed
      const n = length < BigInt(DIFF_RUN_BYTES) ? Number(length) : DIFF_RUN_BYTES;
      const room = DIFF_RUN_BYTES - cur.old.length / 2;
      if (room > 0 && x.length > at) cur.old += Buffer.from(x.buffer, x.byteOffset + at, Math.min(room, n, x.length - at)).toString('hex');
      const roomB = DIFF_RUN_BYTES - cur.new.length / 2;
      if (roomB > 0 && y.length > at) cur.new += Buffer.from(y.buffer, y.byteOffset + at, Math.min(roomB, n, y.length - at)).toString('hex');
    };
    progress?.phase(`diff ${a.path}`, max);
    const win = BigInt(DIFF_WINDOW);
    // Where a hole both files have at `off` ends (zeros in both: equal), `off` when none.
    const sharedHole = (off: bigint): bigint => {
      const da = nextData(a.fd, off);
      const db = nextData(b.fd, off);
      if (da === undefined || db === undefined) return off;
      const ea = da === 'end' ? common : da;
      const eb = db === 'end' ? common : db;
      const end = ea < eb ? (ea < common ? ea : common) : eb < common ? eb : common;
      return end > off ? end : off;
    };
    for (let off = 0n; off < common; ) {
      const hole = sharedHole(off);
      if (hole > off) {
        off = hole;
        progress?.update(Number(off));
        yield;
        continue;
      }
      const len = common - off < win ? common - off : win;
      const mapB = new MmapOptions().offset(off).len(len).populate().map(b);
      let mapA: Mmap | undefined;
      try {
        mapA = new MmapOptions().offset(off).len(len).populate().map(a);
        const va = mapA.bytes as Uint8Array;
        const vb = mapB.bytes as Uint8Array;
        for (let s = 0; s < vb.length; s += DIFF_STEP) {
          const e = Math.min(vb.length, s + DIFF_STEP);
          const sa = va.subarray(s, e);
          const sb = vb.subarray(s, e);
          const base = off + BigInt(s);
          const found: number[] = [];
          differingRuns(sa, sb, (rs, re) => {
            found.push(rs, re);
            addRun(base + BigInt(rs), BigInt(re - rs), sa, sb, rs);
          });
          // Pages past a new end read as zeros: nothing made of them goes out.
          mapA.assertIntact('read');
          mapB.assertIntact('read');
          assertCovers(a, base + BigInt(e - s));
          assertCovers(b, base + BigInt(e - s));
          for (let i = 0; i < found.length; i += 2) writer?.differ(base + BigInt(found[i]!), base + BigInt(found[i + 1]!));
          writer?.flush();
          yield;
        }
      } finally {
        mapA?.unmap();
        mapB.unmap();
      }
      off += len;
      progress?.update(Number(off));
    }
    endRun();
    // The longer file's tail: every byte of it differs (shown against blanks), one run.
    if (max > common) {
      const longer = sizeA > sizeB ? a : b;
      const first = read(longer, max, common, DIFF_RUN_BYTES);
      const empty = new Uint8Array(0);
      addRun(common, max - common, sizeA > sizeB ? first : empty, sizeA > sizeB ? empty : first, 0);
      endRun();
      const step = BigInt(DIFF_STEP);
      for (let off = common; off < max && writer; off += step) {
        writer.differ(off, max - off < step ? max : off + step);
        writer.flush();
        yield;
      }
      progress?.update(Number(max));
    }
    writer?.finish();
    return {
      old: a.path,
      new: b.path,
      format: 'side',
      sizeOld: sizeA,
      sizeNew: sizeB,
      identical: runCount === 0,
      ...(writer && { hunks: writer.hunks }),
      bytesChanged: Number(differing),
      sha256: null,
      bytes,
      runs,
      runCount,
    };
  }

  /** Closes both files (releasing their locks). */
  close(): void {
    try {
      this.a.close();
    } finally {
      this.b.close();
    }
  }
}

/** An integer option in `min..max`. @throws InputError */
function intOption(value: number | undefined, name: string, dflt: number, min: number, max: number): number {
  const n = value ?? dflt;
  if (!Number.isInteger(n) || n < min || n > max) throw new InputError(`${name} ${describeValue(n)} must be ${min}..${max}`);
  return n;
}

/** `colors` checked: `{ old, new }`, each `{ open, close }` strings. @throws InputError */
function sideColors(colors: SideColors | undefined): SideColors | undefined {
  if (colors === undefined) return undefined;
  const pair = (p: unknown): boolean =>
    typeof p === 'object' && p !== null && typeof (p as Record<string, unknown>).open === 'string' && typeof (p as Record<string, unknown>).close === 'string';
  if (typeof colors !== 'object' || colors === null || !pair(colors.old) || !pair(colors.new)) {
    throw new InputError("colors must be { old: { open, close }, new: { open, close } } with string 'open' and 'close'");
  }
  return colors;
}

/** The `side` options checked (undefined for the other formats, which refuse them). @throws InputError */
function sideOptions(format: DiffFormat, options: DiffFilesOptions): SideSettings | undefined {
  if (format !== 'side') {
    for (const key of ['cols', 'width', 'context', 'colors', 'text', 'maxRuns'] as const) {
      if (options[key] !== undefined) throw new InputError(`${key} only applies to the side format, not ${format}`);
    }
    return undefined;
  }
  return {
    cols: options.cols === undefined ? undefined : intOption(options.cols, 'cols', 16, 1, SIDE_MAX_COLS),
    width: options.width === undefined ? undefined : intOption(options.width, 'width', 80, 1, 1_000_000),
    context: intOption(options.context, 'context', 3, 0, SIDE_MAX_CONTEXT),
    colors: sideColors(options.colors),
    text: options.text !== false,
    maxRuns: intOption(options.maxRuns, 'maxRuns', 1000, 0, 1_000_000),
  };
}

/** The options checked, with their defaults. @throws InputError */
function diffOptions(options: DiffFilesOptions): { format: DiffFormat; coalesce: number; sha256: boolean; side?: SideSettings; clock?: Clock } {
  const format = options.format ?? 'native';
  if (!FORMATS.includes(format))
    throw new InputError(`unknown diff format ${typeof format === 'string' ? `'${format}'` : describeValue(format)} (expected ${FORMATS.join(', ')})`, {
      token: typeof format === 'string' ? format : describeValue(format),
    });
  const coalesce = options.coalesce ?? 8;
  if (!Number.isInteger(coalesce) || coalesce < 0 || coalesce > 1_000_000) throw new InputError(`coalesce ${describeValue(coalesce)} must be 0..1000000`);
  const sha256 = options.sha256 === true;
  if (sha256 && format !== 'native') throw new InputError(`sha256 guards only exist in the native format, not ${format}`);
  const side = sideOptions(format, options);
  return { format, coalesce, sha256, ...(side && { side }), ...(options.clock && { clock: options.clock }) };
}

/**
 * Opens OLD and NEW for a comparison (shared locks; `blocking` waits for them as the CLI does),
 * takes their sizes and loads the FFI (`clock` laps `open` and `ffi`). Errors close both files;
 * one about NEW names it.
 */
export async function openFileDiff(oldPath: string, newPath: string, options: OpenDiffOptions): Promise<FileDiff> {
  const checked = diffOptions(options);
  if (oldPath === STDIN && newPath === STDIN) throw new InputError('OLD and NEW are both - (standard input): it can only be read once');
  const open = { write: false, force: options.force === true, ...(options.lockWait !== undefined && { lockWait: options.lockWait }) };
  // Standard input that is a pipe is copied to a temporary file first: the patch begins with both sizes.
  const openOne = async (path: string) => {
    const f = options.blocking ? openFile(path, open) : await openFileAsync(path, { ...open, ...(options.signal && { signal: options.signal }) });
    try {
      return f.stream === undefined ? f : spooled(f);
    } catch (err) {
      f.close();
      throw err;
    }
  };
  const a = await openOne(oldPath);
  let b: OpenFile;
  try {
    b = await openOne(newPath);
  } catch (err) {
    a.close();
    throw about(err, newPath);
  }
  try {
    notePendingJournal(a.path, options.onPendingJournal);
    notePendingJournal(b.path, options.onPendingJournal);
    options.clock?.lap('open');
    pageSize(); // loads the FFI on first use, timed on its own
    options.clock?.lap('ffi');
    return new FileDiff(a, b, checked);
  } catch (err) {
    a.close();
    b.close();
    throw err;
  }
}

/** A Readable of a patch, and what the comparison found once the stream has ended. */
export type DiffStream = Readable & {
  /** Resolves when the whole patch was pushed; rejects with the stream's error. */
  readonly outcome: Promise<DiffOutcome>;
};

/**
 * The patch that turns the file `oldPath` into `newPath`, in `options.format`, as a Readable
 * stream: byte-identical to `mmapx diff OLD NEW` (`--format`, `--coalesce`, `--sha256`). Both files
 * are read window by window as the consumer takes the patch, and held open under shared locks until
 * the stream ends, fails or is destroyed. Errors (bad options, the open, a file truncated
 * meanwhile: `code === 'ERR_TRUNCATED'`) are stream errors; `outcome` rejects with them.
 */
export function diffStream(oldPath: string, newPath: string, options: DiffFilesOptions = {}): DiffStream {
  let settle!: { resolve: (o: DiffOutcome) => void; reject: (e: unknown) => void };
  const outcome = new Promise<DiffOutcome>((resolve, reject) => {
    settle = { resolve, reject };
  });
  outcome.catch(() => {}); // the stream's 'error' is where a caller hears of it first
  const stream = pullStream(
    async () => {
      pathArg(oldPath, 'oldPath');
      pathArg(newPath, 'newPath');
      optionsArg(options, ['sha256', 'text']);
      const d = await openFileDiff(oldPath, newPath, { ...options, blocking: false });
      let push: ((data: string | Uint8Array) => void) | undefined;
      const steps = d.steps((data) => push?.(data), options.progress);
      return {
        step(p) {
          push = p;
          try {
            const r = steps.next();
            if (r.done) settle.resolve(r.value);
            return r.done !== true;
          } finally {
            push = undefined;
          }
        },
        close() {
          try {
            steps.return(undefined as never);
          } catch {
            // The window's fault record: nothing more is read from it.
          } finally {
            d.close();
          }
        },
      };
    },
    { signal: options?.signal, highWaterMark: options?.highWaterMark },
  );
  stream.once('error', (err) => settle.reject(err));
  stream.once('close', () => settle.reject(new Error('the diff stream was closed before its end')));
  return Object.assign(stream, { outcome });
}

/**
 * Compares the files `oldPath` and `newPath` and returns the patch that turns OLD into NEW, whole
 * (for patches that fit in memory; {@link diffStream} streams it), with what the comparison found.
 * The patch is byte-identical to what `mmapx diff` prints for the same options.
 *
 * @throws InputError for bad options and for a size change IPS cannot carry ({@link IpsLimitError});
 *   OperationError for a file that cannot be opened or locked; an error with
 *   `code === 'ERR_TRUNCATED'` when another process truncates a file meanwhile.
 */
export async function diffFiles(oldPath: string, newPath: string, options: DiffFilesOptions = {}): Promise<DiffOutcome & { readonly patch: Buffer }> {
  const stream = diffStream(oldPath, newPath, options);
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return { ...(await stream.outcome), patch: Buffer.concat(parts) };
}
