/**
 * The registry of delta formats the CLI applies (`mmapx patch FILE DELTA --format F`, and the
 * detection of a binary patch by its magic when --format is absent): one entry per decoder.
 * Formats without an entry yet are refused with "not supported by this build". Pure.
 *
 * Each decoder is its own module (ips32.ts, ups.ts, bps.ts, vcdiff.ts, bsdiff.ts) and has ONE
 * line below: `bps: { decode: decodeBps, looks: looksLikeBps },`.
 */

import { InputError } from '../../errors.js';
import { decodeBps, looksLikeBps } from './bps.js';
import { decodeBsdiff, looksLikeBsdiff } from './bsdiff.js';
import { decodeIps32, looksLikeIps32 } from './ips32.js';
import type { Delta, DeltaFormat } from './model.js';
import { decodeUps, looksLikeUps } from './ups.js';
import { decodeVcdiff, looksLikeVcdiff } from './vcdiff.js';

/** What the CLI needs of a format: its decoder, and whether some bytes look like it (its magic). */
export interface DeltaCodec {
  /** Decodes a patch (`name` for messages); lazily where the format allows. @throws InputError */
  decode(bytes: Uint8Array, name: string): Delta;
  /** Whether `bytes` start with the format's magic. */
  looks(bytes: Uint8Array): boolean;
}

/** Every delta format, in the order detection tries them. */
export const DELTA_FORMAT_NAMES: readonly DeltaFormat[] = ['ips32', 'ups', 'bps', 'vcdiff', 'bsdiff'];

/** The decoders present in this build. */
export const DELTA_FORMATS: Partial<Record<DeltaFormat, DeltaCodec>> = {
  ips32: { decode: decodeIps32, looks: looksLikeIps32 },
  ups: { decode: decodeUps, looks: looksLikeUps },
  bps: { decode: decodeBps, looks: looksLikeBps },
  vcdiff: { decode: decodeVcdiff, looks: looksLikeVcdiff },
  bsdiff: { decode: decodeBsdiff, looks: looksLikeBsdiff },
};

/** Whether `name` is a delta format (registered or not). */
export function isDeltaFormat(name: string | undefined): name is DeltaFormat {
  return name !== undefined && (DELTA_FORMAT_NAMES as readonly string[]).includes(name);
}

/** The codec of `format`. @throws InputError when this build has no decoder for it. */
export function deltaCodec(format: DeltaFormat): DeltaCodec {
  const codec = DELTA_FORMATS[format];
  if (codec === undefined) throw new InputError(`--format ${format}: not supported by this build of mmapx yet`);
  return codec;
}

/** Bytes {@link detectDelta} needs at most: the longest magic, bsdiff's `ENDSLEY/BSDIFF43`. */
export const DELTA_MAGIC_BYTES = 16;

/** The delta format whose magic `bytes` start with, among those present (undefined: none). */
export function detectDelta(bytes: Uint8Array): DeltaFormat | undefined {
  return DELTA_FORMAT_NAMES.find((f) => DELTA_FORMATS[f]?.looks(bytes) === true);
}
