/**
 * The streaming dump engine: one entry point, six dialects (see {@link DumpFormat}). Pure: no fs,
 * no process; the caller feeds bytes (mapped windows of any size, in order) and receives output
 * chunks through a sink.
 */
import { Buffer } from 'node:buffer';
import { CanonicalFormatter } from './canonical.js';
import { CIncludeDumper } from './cinclude.js';
import { HexylFormatter } from './hexyl.js';
import { JsonFormatter } from './json.js';
import { Kernel } from './kernel.js';
import { LineFeeder } from './lines.js';
import { checkMarks, MarkedDumper } from './marks.js';
import { OdFormatter } from './od.js';
import { Offset } from './offset.js';
import { resolveOptions } from './options.js';
import { CHUNK_BYTES, OutBuffer } from './out.js';
import { PlainDumper } from './plain.js';
import type { DumpOptions, DumpSink, Dumper } from './types.js';
import { XxdFormatter } from './xxd.js';

export { BYTE_CATEGORIES, byteCategory, displayChar, type ByteCategory } from './bytes.js';
export { cIdentifier } from './cname.js';
export {
  HEXYL_BASES,
  HEXYL_BORDERS,
  HEXYL_GROUPS,
  HEXYL_MAX_PANELS,
  HEXYL_TABLES,
  hexylChar,
  hexylLineWidth,
  offsetDigitsFor,
  panelsToFit,
  type HexylBase,
  type HexylBorder,
  type HexylCharacterTable,
  type HexylEndianness,
} from './hexyl.js';
export { CHUNK_BYTES } from './out.js';
export type { AddressRadix, ColorPair, DumpColors, DumpFormat, DumpMark, DumpOptions, DumpSink, Dumper } from './types.js';
export { MARKED_FORMATS } from './marks.js';
export { parseOdTypes } from './od.js';

/**
 * Create a streaming dumper. Push the bytes in order (windows of any size; a window may split a
 * line anywhere, the output does not change), then call `end()` once.
 *
 * Output goes to `sink` in chunks of about 1 MiB ({@link CHUNK_BYTES}); the sink must consume
 * each chunk synchronously, because the engine reuses that memory after the call returns.
 *
 * @throws InputError (exit 2) when the options are invalid for the format: see {@link DumpOptions}.
 */
export function createDumper(options: DumpOptions, sink: DumpSink): Dumper {
  const opts = resolveOptions(options);
  const marks = options.marks;
  if (marks === undefined) return createPlainDumper(opts, sink);
  checkMarks(opts.format, marks);
  const inner = createPlainDumper(opts, sink);
  // Every dialect that takes marks is fed by a LineFeeder (checkMarks refused the others).
  if (!(inner instanceof LineFeeder)) throw new Error(`dump format ${opts.format} has no line feeder`);
  return new MarkedDumper(inner, options.start, marks);
}

function createPlainDumper(opts: ReturnType<typeof resolveOptions>, sink: DumpSink): Dumper {
  if (opts.hexyl !== undefined) {
    // Plain JS over lookup tables: no kernel (its layouts are fixed-width ASCII).
    const out = new OutBuffer(sink, new Uint8Array(CHUNK_BYTES));
    return new LineFeeder(opts.cols, new HexylFormatter(opts, opts.hexyl, out), out);
  }
  if (opts.od !== undefined) {
    // od-like dialects write through tables in JS (they are not the hot path): no kernel needed.
    const out = new OutBuffer(sink, new Uint8Array(CHUNK_BYTES));
    const start = new Offset(opts.startHi, opts.startLo);
    return new LineFeeder(opts.od.cols, new OdFormatter(opts.od, start, opts.squeeze, out, opts.upper), out);
  }
  const kernel = new Kernel(opts.upper);
  const out = new OutBuffer(sink, kernel.out);
  switch (opts.format) {
    case 'canonical':
      return new LineFeeder(opts.cols, new CanonicalFormatter(opts, out, kernel), out);
    case 'xxd':
      return new LineFeeder(opts.cols, new XxdFormatter(opts, out, kernel), out);
    case 'json':
      return new LineFeeder(opts.cols, new JsonFormatter(opts, out, kernel), out);
    case 'plain':
      return new PlainDumper(opts, out, kernel);
    case 'c':
      return new CIncludeDumper(opts, out, kernel);
    default:
      throw new Error(`dump format ${opts.format} has no dumper`);
  }
}

/**
 * Convenience for small inputs and tests: the whole dump of `bytes` as one string (the output is
 * ASCII apart from colour strings, which are decoded as UTF-8).
 */
export function dumpToString(options: DumpOptions, bytes: Uint8Array): string {
  const parts: Uint8Array[] = [];
  const d = createDumper(options, (chunk) => {
    parts.push(chunk.slice());
  });
  d.push(bytes);
  d.end();
  return Buffer.concat(parts).toString('utf8');
}
