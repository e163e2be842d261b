// The ops of a delta patch between two files (the engine of `mmapx diff --format
// bps|ups|ips32|vcdiff`): the files are read window by window through read-only maps and fed to
// the pure matcher (src/format/delta/match.ts) or to the same-offset scanner of the native diff,
// and the ops come out as a generator, pulled by the format's encoder as it writes the patch.
// Memory stays bounded whatever the sizes: the matcher's indexes (43 MiB at most), a window of
// each file (4 MiB), the literal bytes of one op (1 MiB), and the encoder's window (VCDIFF: 4 MiB
// of target, its literal bytes held twice). Two similar 1 GiB files: 125 MiB peak RSS; two
// unrelated 256 MiB files of random bytes (all literal): 162 MiB.
//
// - BPS and VCDIFF can copy from anywhere: two passes. The first reads OLD once (the index, and
//   its CRC-32); the second reads NEW once (its CRC-32) and OLD where the matcher asks, through a
//   window of a shared map (MappedReader): mostly in order, since a similar file's copies follow
//   each other. NEW's windows overlap by a few bytes, so the matcher scans them where they are
//   mapped; NEW is read back (another MappedReader) where a repeat of its own bytes is checked.
// - UPS and IPS32 can only change bytes in place: one pass over both files at the same offsets
//   (the native diff's DiffScanner), `xor` ops for UPS, `data` ops for IPS32; OLD's bytes past
//   NEW's end are read for its CRC-32, and for UPS XORed with zeros.
//
// The encoders write BPS's and UPS's CRC-32s in their trailers, after the last op: the header an
// encoder gets reads them from the summary the ops generator returns, and fails loudly if asked
// sooner.
//
// If another process truncates either file meanwhile, the windows' fault records and sizes turn
// it into ERR_TRUNCATED before the ops made of the bytes read as zeros go out.
import {
  crc32,
  type DeltaOp,
  DeltaMatcher,
  encodeBps,
  encodeIps32,
  encodeUps,
  encodeVcdiff,
  type MatchStats,
  OVERLAP,
  SourceIndex,
} from '../format/delta/index.js';
import { VCDIFF_DEFAULT_WINDOW } from '../format/delta/vcdiff-encode.js';
import { DiffScanner, type OffsetHunk } from '../format/patch/index.js';
import { windows } from '../mmap/index.js';
import type { OpenFile } from './files.js';
import { assertCovers, MappedReader, windowPairs } from './mapped.js';
import type { ProgressSink } from './seams.js';

/** The formats of a delta patch that `diff` writes. */
export type DeltaDiffFormat = 'bps' | 'ups' | 'ips32' | 'vcdiff';

/** Bytes of each file mapped at a time. */
export const DELTA_WINDOW = 4 * 1024 * 1024;
/** Largest op of the same-offset scan (a region that differs everywhere goes out in pieces). */
const HUNK_MAX = 1024 * 1024;

/** What the ops of a delta add up to, and the files' checksums. */
export interface DeltaSummary extends MatchStats {
  /** `xor` ops (UPS). */
  xorOps: number;
  /** CRC-32 of OLD and NEW, with the `crc` option. */
  readonly crc32?: { source: number; target: number };
  /** Bytes of the source index's table (0 for the same-offset formats). */
  indexBytes: number;
}

/** Options of {@link deltaOps}. */
export interface DeltaOpsOptions {
  /** Compute both files' CRC-32 (BPS, UPS). */
  crc?: boolean;
  /**
   * `moves`: copies from anywhere (BPS, VCDIFF); `data` or `xor`: changes in place only (IPS32,
   * UPS). `xor` ops go on past NEW's end over OLD's tail (its bytes XOR zeros), as UPS needs to be
   * reversible.
   */
  mode: 'moves' | 'data' | 'xor';
  /** `moves`: runs of one byte value as fills. */
  runs?: boolean;
  /** `moves`: repeats within NEW as copies of its earlier bytes, inside aligned windows of this size (0: none). */
  targetWindow?: number;
  /** Same-offset modes: equal bytes between two changes up to which they join one op (default 0). */
  coalesce?: number;
  /** `moves`: the source index's table size in slots (see SourceIndex). */
  indexSlots?: number;
  /** Bytes of each file mapped at a time (default {@link DELTA_WINDOW}; whole pages). */
  windowSize?: number;
  progress?: ProgressSink;
  /** Called when the first pass (OLD's index) is done. */
  onIndexed?: () => void;
}

function summary(stats: MatchStats, crc: { source: number; target: number } | undefined, indexBytes: number, xorOps = 0): DeltaSummary {
  return { ...stats, xorOps, indexBytes, ...(crc && { crc32: crc }) };
}

/**
 * The ops that turn OLD (`a`, `sizeA` bytes) into NEW (`b`), in target order, pulled one by one;
 * returns their summary. Each op's bytes are its own.
 */
export function* deltaOps(a: OpenFile, sizeA: bigint, b: OpenFile, sizeB: bigint, options: DeltaOpsOptions): Generator<DeltaOp, DeltaSummary, undefined> {
  return options.mode === 'moves' ? yield* matchedOps(a, sizeA, b, sizeB, options) : yield* sameOffsetOps(a, sizeA, b, sizeB, options);
}

function* matchedOps(a: OpenFile, sizeA: bigint, b: OpenFile, sizeB: bigint, options: DeltaOpsOptions): Generator<DeltaOp, DeltaSummary, undefined> {
  const crc = options.crc ? crc32 : undefined;
  const progress = options.progress;
  const size = options.windowSize ?? DELTA_WINDOW;
  const win = { windowSize: size };
  // Pass 1: OLD's index (and CRC).
  const index = sizeA > 0n ? new SourceIndex(sizeA, options.indexSlots !== undefined ? { maxSlots: options.indexSlots } : {}) : undefined;
  let crcA = 0;
  progress?.phase(`index ${a.path}`, sizeA);
  if (index !== undefined) {
    let done = 0;
    for (const w of windows(a, win)) {
      const bytes = w.bytes as Uint8Array;
      index.add(bytes);
      if (crc) crcA = crc(bytes, crcA);
      done += bytes.length;
      progress?.update(done);
    }
  }
  options.onIndexed?.();
  // Pass 2: NEW in order, OLD where the matcher reads.
  const reader = new MappedReader(a, sizeA, size);
  // NEW read back where the matcher checks a repeat (its own window of the map).
  const back = new MappedReader(b, sizeB, size);
  const tw = options.targetWindow ?? 0;
  const matcher = new DeltaMatcher({ size: sizeA, read: (o, n) => reader.read(o, n) }, index, {
    runs: options.runs === true,
    ...(tw > 0 && { target: { size: sizeB, read: (o, n) => back.read(o, n) }, targetWindow: tw }),
  });
  let crcB = 0;
  progress?.phase(`diff ${b.path}`, sizeB);
  const pending: DeltaOp[] = [];
  const emit = (op: DeltaOp): void => {
    pending.push(op);
  };
  try {
    // Windows overlap by a few bytes: the matcher scans each where it is mapped.
    let done = 0n;
    if (sizeB > 0n) {
      for (const w of windows(b, { ...win, overlap: OVERLAP })) {
        const bytes = w.bytes as Uint8Array;
        if (crc) crcB = crc(bytes.subarray(Number(done - w.offset)), crcB);
        matcher.push(bytes, emit, w.offset);
        // Nothing made of a window that read zeros past a new end goes out.
        w.assertIntact();
        reader.assertIntact();
        done = w.offset + BigInt(bytes.length);
        progress?.update(Number(done));
        yield* pending.splice(0);
      }
    }
    matcher.finish(emit);
    reader.assertIntact();
    back.assertIntact();
    assertCovers(b, sizeB);
    yield* pending.splice(0);
  } finally {
    reader.close();
    back.close();
  }
  return summary(matcher.stats, crc ? { source: crcA, target: crcB } : undefined, index?.tableBytes ?? 0);
}

/** UPS's `xor` bytes of a hunk: OLD's (zeros past its end) xor NEW's. */
function xorBytes(h: OffsetHunk): Uint8Array {
  const out = new Uint8Array(h.new.length);
  // Per byte: no built-in xors two arrays.
  const old = h.old ?? new Uint8Array(0);
  for (let i = 0; i < out.length; i++) out[i] = (old[i] ?? 0) ^ h.new[i]!;
  return out;
}

function* sameOffsetOps(a: OpenFile, sizeA: bigint, b: OpenFile, sizeB: bigint, options: DeltaOpsOptions): Generator<DeltaOp, DeltaSummary, undefined> {
  const crc = options.crc ? crc32 : undefined;
  const xor = options.mode === 'xor';
  const progress = options.progress;
  const stats: MatchStats = { ops: 0, sourceOps: 0, targetOps: 0, fillOps: 0, dataOps: 0, copied: 0, targetCopied: 0, filled: 0, added: 0, unchanged: 0 };
  let xorOps = 0;
  const scanner = new DiffScanner({ coalesce: options.coalesce ?? 0, maxHunk: HUNK_MAX, reuse: true });
  const pending: DeltaOp[] = [];
  const common = sizeA < sizeB ? sizeA : sizeB;
  let changedInCommon = 0n;
  const onHunk = (h: OffsetHunk): void => {
    const end = h.offset + BigInt(h.new.length);
    if (h.offset < common) changedInCommon += (end < common ? end : common) - h.offset;
    stats.ops++;
    stats.added += h.new.length;
    if (xor) {
      xorOps++;
      pending.push({ kind: 'xor', at: h.offset, from: h.offset, bytes: xorBytes(h) });
    } else {
      stats.dataOps++;
      pending.push({ kind: 'data', at: h.offset, bytes: h.new.slice() });
    }
  };
  let crcA = 0;
  let crcB = 0;
  const win = BigInt(options.windowSize ?? DELTA_WINDOW);
  progress?.phase(`diff ${a.path}`, sizeA > sizeB ? sizeA : sizeB);
  // NEW in windows, OLD mapped at the same offsets as far as it goes.
  for (const w of windowPairs(a, b, sizeA, sizeB, win)) {
    if (crc) {
      crcA = crc(w.a, crcA);
      crcB = crc(w.b, crcB);
    }
    scanner.push(w.a, w.b, onHunk);
    w.check();
    progress?.update(Number(w.offset) + w.b.length);
    yield* pending.splice(0);
  }
  // OLD past NEW's end, for its CRC; UPS also XORs it with zeros (its bytes), so that the patch
  // applied to NEW gives OLD back.
  if ((crc || xor) && sizeA > sizeB) {
    const none = new Uint8Array(0);
    for (const w of windows(a, { offset: sizeB, windowSize: Number(win) })) {
      const bytes = w.bytes as Uint8Array;
      if (crc) crcA = crc(bytes, crcA);
      if (xor) scanner.push(none, bytes, onHunk);
      w.assertIntact();
      progress?.update(Number(w.offset) + bytes.length);
      yield* pending.splice(0);
    }
  }
  scanner.finish(onHunk);
  yield* pending.splice(0);
  stats.unchanged = Number(common - changedInCommon);
  return summary(stats, crc ? { source: crcA, target: crcB } : undefined, 0, xorOps);
}

/** An encoder of ops into a format's patch, in pieces. */
type Encoder = (ops: Iterable<DeltaOp>, sizes: PatchSizes) => Iterable<Uint8Array>;

/** What an encoder is told besides the ops. */
interface PatchSizes {
  readonly sourceSize: bigint;
  readonly targetSize: bigint;
  /** Both files' CRC-32: known once the ops have all been read (an encoder writes them at the end). */
  readonly sourceCrc32: number;
  readonly targetCrc32: number;
  /** NEW's bytes, read back (VCDIFF: each window's Adler-32). */
  readonly target: (at: bigint, length: number) => Uint8Array;
}

/**
 * Target bytes per VCDIFF window: half of xdelta3's default (8 MiB). The encoder holds a window's
 * literal bytes twice (the ops' and its data section) until the window is written: on unrelated
 * files (all literal) the peak RSS is 162 MiB instead of 190 (two 256 MiB files of random bytes).
 * The price: repeats within NEW are found within 4 MiB (patches about 3% larger on binary-like
 * inserts), and a window header more per 4 MiB.
 */
const VCDIFF_WINDOW = VCDIFF_DEFAULT_WINDOW / 2;

/** How each format is made: its ops, and its encoder. */
const ENCODERS: Record<DeltaDiffFormat, { encode: Encoder; ops: Pick<DeltaOpsOptions, 'mode' | 'crc' | 'runs' | 'targetWindow'> }> = {
  // BPS's TargetCopy reaches anywhere before; VCDIFF copies the target within its window only.
  bps: { ops: { mode: 'moves', crc: true, runs: true, targetWindow: Number.MAX_SAFE_INTEGER }, encode: (ops, h) => encodeBps(ops, h) },
  vcdiff: {
    ops: { mode: 'moves', runs: true, targetWindow: VCDIFF_WINDOW },
    encode: (ops, h) => encodeVcdiff(ops, { sourceSize: h.sourceSize, targetSize: h.targetSize, target: h.target, windowSize: VCDIFF_WINDOW }),
  },
  ups: { ops: { mode: 'xor', crc: true }, encode: (ops, h) => encodeUps(ops, h) },
  ips32: {
    ops: { mode: 'data' },
    encode: (ops, h) => encodeIps32(ops, { sourceSize: h.sourceSize, targetSize: h.targetSize, targetByteAt: (at) => h.target(at, 1)[0]! }),
  },
};

/** The delta formats `diff` writes. */
export const DELTA_DIFF_FORMATS: readonly DeltaDiffFormat[] = ['bps', 'ups', 'ips32', 'vcdiff'];

/** Whether `format` is one of {@link DELTA_DIFF_FORMATS}. */
export function isDeltaDiffFormat(format: string): format is DeltaDiffFormat {
  return (DELTA_DIFF_FORMATS as readonly string[]).includes(format);
}

/** Options of {@link deltaPatch}. */
export interface DeltaPatchOptions {
  /** IPS32: equal bytes between two changes up to which they join one record (default 8). */
  coalesce?: number;
  progress?: ProgressSink;
  onIndexed?: () => void;
}

/**
 * The patch in `format` that turns OLD into NEW, in pieces as the encoder makes them (each piece
 * may be kept); returns what its ops add up to.
 * @throws InputError for a change the format cannot express (found while encoding: the pieces
 *   already given must be dropped).
 */
export function* deltaPatch(
  a: OpenFile,
  sizeA: bigint,
  b: OpenFile,
  sizeB: bigint,
  format: DeltaDiffFormat,
  options: DeltaPatchOptions = {},
): Generator<Uint8Array, DeltaSummary, undefined> {
  const enc = ENCODERS[format];
  let result: DeltaSummary | undefined;
  const ops = deltaOps(a, sizeA, b, sizeB, {
    ...enc.ops,
    coalesce: options.coalesce ?? 8,
    ...(options.progress && { progress: options.progress }),
    ...(options.onIndexed && { onIndexed: options.onIndexed }),
  });
  function* tap(): Generator<DeltaOp, void, undefined> {
    result = yield* ops;
  }
  const crc = (): { source: number; target: number } => {
    if (result?.crc32 === undefined) throw new Error(`the ${format} encoder asked for the files' CRC-32 before it had read all the ops`);
    return result.crc32;
  };
  const target = new MappedReader(b, sizeB, DELTA_WINDOW);
  try {
    yield* enc.encode(tap(), {
      sourceSize: sizeA,
      targetSize: sizeB,
      get sourceCrc32() {
        return crc().source;
      },
      get targetCrc32() {
        return crc().target;
      },
      target: (at, length) => target.read(at, length),
    });
    target.assertIntact();
  } finally {
    target.close();
  }
  if (result === undefined) throw new Error(`the ${format} encoder did not read all the ops`);
  return result;
}
