/**
 * The one shape every delta format decodes to (IPS32, UPS, BPS, VCDIFF, bsdiff) and that the
 * in-place applier (src/edit/delta.ts) executes. Pure: nothing here touches a file.
 *
 * A delta is a header (sizes, checksums, metadata) and a stream of {@link DeltaOp}s in increasing
 * target order. Each op says what the target holds at `[at, at + length)`; target bytes that no op
 * covers are the source's bytes at the same offset (identity), so sparse formats (IPS32, UPS)
 * list only what changes and full reconstructions (BPS, VCDIFF, bsdiff) may list every byte: an
 * op that copies the source to the same offset is then recognised and costs nothing in place.
 *
 * Ops are produced lazily (`ops()` is a generator): a bsdiff of a 4 GiB file decompresses 4 GiB
 * of difference bytes, and the applier never holds more than one op's bytes at a time. Long
 * literal runs may be cut into several ops; `at` never goes backwards and ops never overlap.
 */

/** Formats of {@link Delta}. */
export type DeltaFormat = 'ips32' | 'ups' | 'bps' | 'vcdiff' | 'bsdiff';

/**
 * One piece of the target, at `at` (an offset in the target = the file after the patch).
 *
 * - `source`: target[at + i] = source[from + i] (from === at: unchanged bytes).
 * - `target`: target[at + i] = target[from + i], from < at; byte by byte, so `from + length > at`
 *   repeats a pattern (BPS TargetCopy, VCDIFF copies into the target window).
 * - `data`: literal bytes.
 * - `fill`: `length` copies of `value` (IPS RLE, VCDIFF RUN).
 * - `add`: target[at + i] = (source[from + i] + bytes[i]) & 0xff (bsdiff's diff block);
 * - `xor`: target[at + i] = source[from + i] ^ bytes[i] (UPS).
 *
 * A source byte past the source's end reads as 0 for `source`, `add` and `xor` (bspatch and UPS
 * read it so; real bsdiff output never copies past the end, a hand-made patch may).
 */
export type DeltaOp =
  | { readonly kind: 'source'; readonly at: bigint; readonly length: bigint; readonly from: bigint }
  | { readonly kind: 'target'; readonly at: bigint; readonly length: bigint; readonly from: bigint }
  | { readonly kind: 'data'; readonly at: bigint; readonly bytes: Uint8Array }
  | { readonly kind: 'fill'; readonly at: bigint; readonly length: bigint; readonly value: number }
  | { readonly kind: 'add'; readonly at: bigint; readonly from: bigint; readonly bytes: Uint8Array }
  | { readonly kind: 'xor'; readonly at: bigint; readonly from: bigint; readonly bytes: Uint8Array };

/** A checksum the delta carries, checked by the applier (before writing where it can). */
export interface DeltaCheck {
  /** `crc32` (BPS, UPS: of the whole source / target / patch), `adler32` (VCDIFF, per window). */
  readonly algorithm: 'crc32' | 'adler32';
  /** What it covers: the whole source, the whole target, the patch itself, or one target window. */
  readonly of: 'source' | 'target' | 'patch' | 'window';
  /** For `window`: the target range it covers. */
  readonly at?: bigint;
  readonly length?: bigint;
  readonly value: number;
}

/** A decoded delta: its header, and its ops on demand. */
export interface Delta {
  readonly format: DeltaFormat;
  /** The source's size the delta was made for, when the format records it (BPS, UPS, VCDIFF). */
  readonly sourceSize?: bigint;
  /**
   * The target's size. Undefined for formats that do not record it (IPS32 without its truncation
   * extension, where the target is the source grown to the end of the last record).
   */
  readonly targetSize?: bigint;
  /** Checksums of the whole source / target / patch (BPS, UPS). Window checks come with the ops. */
  readonly checks: readonly DeltaCheck[];
  /** BPS metadata, the VCDIFF application header (xdelta3 stores file names there). */
  readonly metadata?: string;
  /** Facts for `--info` (format version, secondary compressor, windows, ...), in display order. */
  readonly info?: readonly (readonly [string, string])[];
  /**
   * The ops, in increasing `at`, non-overlapping. May be called more than once (each call starts
   * over: the applier checks a target checksum in one pass before it writes in a second). Window
   * checks (`of: 'window'`) are yielded before the window's first op.
   * @throws {InputError} naming the patch's byte offset for a malformed patch found while decoding.
   */
  ops(): Iterable<DeltaOp | DeltaCheck>;
}
