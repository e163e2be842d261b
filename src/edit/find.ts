// Offsets of a byte pattern (literal bytes, or hex with `??` and nibble wildcards), scanned through
// read-only windows of a shared map with Buffer.indexOf, so memory stays flat and a file in the page
// cache is never copied. The CLI's `find` drains {@link findWindows} (or, for a plain count of a
// big file, {@link countOnThreads}) on its thread; {@link find} is the library's async iterator,
// which lets the event loop run between windows.
//
// If another process truncates the file meanwhile, no offset found in a window that faulted or
// that the file no longer covers is given: the scan ends with ERR_TRUNCATED (what was given before
// came from windows checked whole). Scan threads report their faults through the same SIGBUS
// guard (see src/mmap/sys/sigbus.ts), and their chunks are checked alike.
import { describeValue } from '../format/quote.js';
import { optionsArg, pathArg } from './args.js';
import { InputError } from '../errors.js';
import { parseHexPattern } from '../format/data.js';
import { compilePattern, type BytePattern, type CompiledPattern, WindowScanner } from '../format/search.js';
import { pageSize } from '../mmap/index.js';
import { type OpenFile, openFile, openFileAsync, readableSize, type ReadSpan, readSpan, readsInOrder, shrankSinceOpen } from './files.js';
import { assertCovers, readWindows } from './mapped.js';
import { bindOptionalRange } from './address.js';
import { type RangeOption, rangeOption } from './range.js';
import { SCAN_WINDOW, sampleFrequencies, scanFile } from './scan.js';
import type { EditContext } from './seams.js';
import { nextTurn } from './turn.js';

export type { BytePattern };

/**
 * What to look for: literal bytes; a {@link BytePattern} (`(byte & mask[i]) === bytes[i]` at each
 * position); or hex text as the CLI takes it, where `??` is any byte and `7?` / `?7` fix one
 * nibble (`'74 ?? 8b 45'`). For text, pass its bytes (`Buffer.from('MMAPX')`).
 */
export type FindPattern = string | Uint8Array | BytePattern;

/**
 * The pattern as bytes and mask.
 * @throws InputError for bad hex text, an empty pattern, or bytes and mask of different lengths.
 */
function toBytePattern(pattern: FindPattern): BytePattern {
  if (typeof pattern === 'string') return parseHexPattern(pattern, { nibbles: true });
  const p = pattern instanceof Uint8Array ? { bytes: pattern, mask: new Uint8Array(pattern.length).fill(0xff) } : pattern;
  if (typeof p !== 'object' || p === null || !(p.bytes instanceof Uint8Array) || !(p.mask instanceof Uint8Array)) {
    throw new InputError(`the pattern must be hex text, bytes (a Uint8Array) or { bytes, mask }, not ${describeValue(pattern)}`);
  }
  if (p.bytes.length === 0) throw new InputError('the pattern is empty: give at least one byte');
  if (p.mask.length !== p.bytes.length) throw new InputError(`the pattern has ${p.bytes.length} bytes but its mask ${p.mask.length}`);
  if (!(p.align === undefined || (Number.isSafeInteger(p.align) && p.align >= 1))) {
    throw new InputError(`the pattern's align ${p.align} must be a whole number, at least 1`);
  }
  return p;
}

/** The matches one window gave, and how far the scan got. */
export interface FindBatch {
  /** Match offsets (absolute, increasing), up to the run's `max` in all; empty when counting. */
  readonly matches: readonly bigint[];
  /** Bytes of the span scanned so far. */
  readonly scanned: bigint;
}

/** How a scan ended. */
export interface FindTally {
  /** Matches found, at most `max`. */
  readonly count: number;
  /** More than `max` matches exist (the scan stopped at `max`). */
  readonly truncated: boolean;
  /** The first byte scanned. */
  readonly offset: bigint;
  /** How many bytes were scanned (a pseudo file's: what reading found; less than the span when stopped at `max`: the span). */
  readonly length: bigint;
}

/**
 * Scans `span` of an open file for `pattern` window by window, yielding each window's matches
 * (kept unless `count`, and never more than `max` in all), and returns the tally. One match more
 * than `max` is looked for, to tell "exactly max" from "max and more".
 */
export function* findWindows(
  file: OpenFile,
  span: ReadSpan,
  pattern: CompiledPattern,
  options: { max?: number; count?: boolean } = {},
): Generator<FindBatch, FindTally, void> {
  const { max } = options;
  const sized = readableSize(file) !== undefined;
  // A file's first 64 KiB (read by the scan anyway) say which byte of the pattern is rarest here:
  // the needle starts there (see compilePattern). A pipe's bytes are read once, by the scan.
  if (sized && !readsInOrder(file) && span.length !== undefined) {
    const frequencies = sampleFrequencies(file, span.offset, span.length, 1, 64 * 1024);
    if (frequencies !== undefined) pattern = compilePattern(pattern, frequencies);
  }
  let scanned = span.length ?? 0n; // a pseudo file read to its end: what the read found
  let read = 0n;
  const scanner = new WindowScanner(pattern, max !== undefined ? { max: max + 1 } : {});
  let kept = 0;
  let matches: bigint[] = [];
  const keep = options.count
    ? undefined
    : (at: bigint): void => {
        if (max === undefined || kept < max) {
          matches.push(at);
          kept++;
        }
      };
  for (const w of readWindows(file, span, { windowSize: SCAN_WINDOW })) {
    scanner.scan(w.bytes as Uint8Array, w.offset, keep);
    // Matches from pages past a new end (zeros) are void: check the window before using them.
    w.assertIntact();
    if (sized) assertCovers(file, w.offset + BigInt(w.bytes.length));
    read = w.offset + BigInt(w.bytes.length) - span.offset;
    if (span.length === undefined) scanned = read;
    yield { matches, scanned: read };
    matches = [];
    if (scanner.done) break;
  }
  const truncated = max !== undefined && scanner.count > max;
  return { count: truncated ? max : scanner.count, truncated, offset: span.offset, length: scanned };
}

/**
 * Counts the matches of `pattern` in `span` of a file with a known size on every core (see
 * scan.ts): chunks shared by this thread, which blocks until the count is done, and worker threads.
 * Undefined for a file without a known size (a device, a pseudo file), which {@link findWindows}
 * counts.
 */
export function countOnThreads(file: OpenFile, span: ReadSpan, pattern: BytePattern, progress?: (done: bigint) => void): FindTally | undefined {
  if (readsInOrder(file) || span.length === undefined) return undefined;
  const [m] = scanFile(file, { offset: span.offset, length: span.length }, [pattern], [0], { workers: true, ...(progress && { progress }) });
  return { count: m!.count, truncated: false, offset: span.offset, length: span.length };
}

/** Options of {@link find}. */
export interface FindOptions extends EditContext {
  /** Where to look (default: the whole file); a match lies entirely inside it. */
  range?: RangeOption;
  /** Stop after this many matches (at least 1). */
  max?: number;
  /**
   * Only matches that start at a multiple of this many bytes from the start of the file (at
   * least 1; default: the pattern's own `align`, else 1).
   */
  align?: number;
}

/**
 * The offsets where `pattern` matches in the file (overlapping matches included), in increasing
 * order, as an async iterator. The file is opened and locked (shared) on the first `next()` and
 * closed when the iteration ends, however it ends (`break` included). The file is scanned through
 * read-only windows; the event loop runs between windows, `options.signal` stops the scan between
 * them, and `options.progress` hears of each window.
 *
 * @example
 * for await (const at of find('fw.bin', 'de ad ?? ef', { max: 10 })) console.log(at);
 *
 * @throws InputError for a bad pattern, `max` or `align` below 1, or a range past the end of the file;
 *   OperationError when the file cannot be opened or read (ERR_TRUNCATED when another process cut
 *   it meanwhile).
 */
export async function* find(path: string, pattern: FindPattern, options: FindOptions = {}): AsyncGenerator<bigint, void, undefined> {
  pathArg(path);
  optionsArg(options);
  // Everything that can be checked without the file is checked first.
  const { max, signal, align } = options;
  if (max !== undefined && !(Number.isSafeInteger(max) && max >= 1)) throw new InputError(`max ${describeValue(max)} must be a whole number, at least 1`);
  if (align !== undefined && !(Number.isSafeInteger(align) && align >= 1))
    throw new InputError(`align ${describeValue(align)} must be a whole number, at least 1`);
  const compiled = compilePattern({ ...toBytePattern(pattern), ...(align !== undefined && { align }) });
  const range = rangeOption(options.range);
  const opening = { write: false, force: options.force, lockWait: options.lockWait, signal };
  const file = options.blocking ? openFile(path, opening) : await openFileAsync(path, opening);
  try {
    options.clock?.lap('open');
    pageSize(); // loads the FFI
    options.clock?.lap('ffi');
    const span = readSpan(file, bindOptionalRange(file, range, options));
    options.progress?.phase(`find ${path}`, span.length ?? 0n);
    for (const batch of findWindows(file, span, compiled, max !== undefined ? { max } : {})) {
      for (const at of batch.matches) yield at;
      options.progress?.update(Number(batch.scanned));
      await nextTurn(signal);
    }
    options.clock?.lap('scan');
  } catch (err) {
    throw shrankSinceOpen(file, err, 'read');
  } finally {
    file.close();
  }
}
