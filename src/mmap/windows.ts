// Scanning a file of any size with flat memory: map a bounded window, hand it out, unmap it, move on.
import { constants as bufferConstants } from 'node:buffer';
import type { BigIntStats } from 'node:fs';
import { endArg, fileArg, invalid, optionsArg, safeSizeArg, sizeArg } from './args.js';
import type { ReadonlyUint8Array } from './bytes.js';
import { MmapError } from './errors.js';
import { type FileLike, MmapOptions, type Size, mappableStat, statFd } from './mmap.js';
import { pageSize } from './sys/index.js';
import { shrankError } from './truncation.js';

/** One window of a scan: `bytes` are the file's bytes starting at file offset `offset`. */
export interface Window {
  readonly offset: bigint;
  /**
   * Valid until the scan moves to the next window; afterwards it is cut off from the file, as after
   * `unmap()`: it reads zeros (or what was written into it). Copy what you keep.
   */
  readonly bytes: ReadonlyUint8Array;
  /**
   * Throws ERR_TRUNCATED if a read of this window has faulted so far (the file shrank: those bytes
   * read as zeros). A consumer that emits output while it reads can call it before each write.
   */
  assertIntact(): void;
}

export interface WindowOptions {
  /** First file offset to scan (default 0). */
  offset?: Size;
  /** Bytes to scan (default: to the end of the file; required for a device). Past the end is an error. */
  length?: Size;
  /**
   * Bytes per window, at least 1, rounded up to whole pages (default 16 MiB); a window is at most
   * this plus `overlap`. A larger size than one view can have is capped, not refused: a window is
   * at most `buffer.constants.MAX_LENGTH` bytes (4 GiB on Node.js 20), overlap included.
   */
  windowSize?: Size;
  /** Bytes each window repeats from the end of the previous one, for matches that straddle windows. */
  overlap?: number;
  /** Pre-fault each window (MAP_POPULATE); default true, since a scan reads every byte. */
  populate?: boolean;
}

export const DEFAULT_WINDOW_SIZE = 16 * 1024 * 1024;

const OPTIONS = ['offset', 'length', 'windowSize', 'overlap', 'populate'] as const;

/**
 * Walks `[offset, offset+length)` of a file in read-only windows, mapping one at a time and unmapping
 * it when the consumer asks for the next (or stops early), so memory stays flat whatever the size.
 * Window edges after the first fall on page boundaries; each later window starts `overlap` bytes early.
 *
 * Another process may truncate the file during the scan. Before each window the file's size is
 * checked again, after each window (also when the consumer stops early) the mapping's fault record,
 * and after the last one the size once more: a window that found pages past the new end (which then
 * read as zeros, see `sigbusGuard()`) ends the scan with an error instead of a SIGBUS. Output made
 * from that window must be discarded.
 * @throws MmapError at the call: `ERR_INVALID_ARG` / `ERR_OUT_OF_RANGE` for bad arguments (an
 * unknown option too) and a range ending past 2^63-1; the errno for a descriptor that is not open
 * (EBADF) or names something that cannot be mapped (ENODEV for a FIFO or socket, EISDIR), as
 * `map()` does; `ERR_INVALID_ARG` for a device without `length`; `ERR_OUT_OF_RANGE` for a range
 * past the end of the file. While scanning: `ERR_TRUNCATED` when the file shrank under the scan
 * (naming the offset).
 */
export function windows(file: FileLike, options: WindowOptions = {}): Generator<Window, void, undefined> {
  // Checked here, at the call, not when the generator first runs.
  const { fd, path } = fileArg(file);
  const opts = optionsArg(options, 'options', OPTIONS, path);
  const start = opts.offset === undefined ? 0n : sizeArg(opts.offset, 'offset', path);
  const length = opts.length === undefined ? undefined : sizeArg(opts.length, 'length', path);
  if (length !== undefined) endArg(start, length, path);
  const windowSize = opts.windowSize === undefined ? BigInt(DEFAULT_WINDOW_SIZE) : sizeArg(opts.windowSize, 'windowSize', path);
  if (windowSize < 1n) throw new MmapError('ERR_OUT_OF_RANGE', `windowSize must be at least 1 (got ${windowSize})`, { path });
  const overlap = opts.overlap === undefined ? 0 : safeSizeArg(opts.overlap, 'overlap', path);
  if (opts.populate !== undefined && typeof opts.populate !== 'boolean') throw invalid('populate', 'a boolean', opts.populate, path);
  const page = BigInt(pageSize());
  // A window is one view: at most MAX_LENGTH bytes with the overlap, in whole pages.
  const most = ((BigInt(bufferConstants.MAX_LENGTH) - BigInt(overlap)) / page) * page;
  const rounded = ((windowSize + page - 1n) / page) * page;
  const win = rounded < most ? rounded : most;
  if (BigInt(overlap) >= win) {
    throw new MmapError(
      'ERR_OUT_OF_RANGE',
      `overlap ${overlap} must be smaller than the window (${win} bytes: windowSize ${windowSize} rounded up to whole pages${win < rounded ? ', capped so that a window fits one view' : ''})`,
      {
        path,
      },
    );
  }
  // What the descriptor is, now: not open (EBADF) or not mappable fails here, as map() does.
  const before = mappableStat(fd, path);
  // A device has no size fstat can tell: a given length is taken as is, and not re-checked.
  const device = before.isCharacterDevice() || before.isBlockDevice();
  if (device && length === undefined) throw new MmapError('ERR_INVALID_ARG', 'the size of a device is unknown: give length', { path });
  const size = device ? start + (length ?? 0n) : before.size;
  if (start > size) {
    throw new MmapError('ERR_OUT_OF_RANGE', `offset ${start} is outside the file (size ${size})`, { path, offset: start, length });
  }
  const scanned = length === undefined ? size - start : length;
  if (scanned > size - start) {
    throw new MmapError('ERR_OUT_OF_RANGE', `range offset ${start} length ${scanned} ends past the end of the file (size ${size})`, {
      path,
      offset: start,
      length: scanned,
    });
  }
  // An empty scan of a file maps nothing, so the kernel would never be asked: map the empty range
  // once, as map() does, so that a file that cannot be mapped (on procfs, whose sizes read 0) fails
  // here (ENODEV) instead of scanning as empty. (A device's empty range is taken as given.)
  if (scanned === 0n && !device) new MmapOptions().offset(start).len(0).map(file).unmap();
  return scan(file, fd, path, before, device, start, scanned, win, BigInt(overlap), opts.populate !== false);
}

function* scan(
  file: FileLike,
  fd: number,
  path: string | undefined,
  before: BigIntStats,
  device: boolean,
  start: bigint,
  length: bigint,
  win: bigint,
  overlap: bigint,
  populate: boolean,
): Generator<Window, void, undefined> {
  const page = BigInt(pageSize());
  const end = start + length;
  // `boundary` walks the non-overlapping window edges; each window reaches back `overlap` bytes.
  let boundary = start;
  while (boundary < end) {
    // The first window ends on a page boundary, so the later edges are aligned.
    const limit = boundary - (boundary % page) + win;
    const stop = limit < end ? limit : end;
    const from = boundary - overlap > start ? boundary - overlap : start;
    // Still the same file (a descriptor closed and reused would not be), and still long enough?
    const now = statFd(fd, path);
    if (now.dev !== before.dev || now.ino !== before.ino) {
      throw new MmapError('ERR_INVALID_ARG', 'the descriptor now refers to another file (closed and reused during the scan?)', { path });
    }
    if (!device && now.size < stop) throw shrankError(path, now.size, boundary);
    const opts = new MmapOptions().offset(from).len(stop - from);
    if (populate) opts.populate();
    const map = mapWindow(opts, file, fd, path, device, stop, boundary);
    try {
      yield { offset: from, bytes: map.bytes, assertIntact: () => map.assertIntact('read') };
    } finally {
      // Read the record, then give the window back; a fault makes whatever the consumer did with it void.
      map.unmap();
      map.assertIntact('read');
    }
    boundary = stop;
  }
  // The last window's tail may have read zeros past a new end without faulting.
  if (length > 0n && !device) {
    const after = statFd(fd, path).size;
    if (after < end) throw shrankError(path, after, end, 'end');
  }
}

/**
 * Maps one window. map() checks the size again: a file cut between the check above and that one
 * makes it refuse the range (ERR_OUT_OF_RANGE), which is the same truncation, reported as such.
 */
function mapWindow(opts: MmapOptions, file: FileLike, fd: number, path: string | undefined, device: boolean, stop: bigint, boundary: bigint) {
  try {
    return opts.map(file);
  } catch (err) {
    if (device || !(err instanceof MmapError) || err.code !== 'ERR_OUT_OF_RANGE') throw err;
    const now = statFd(fd, path).size;
    if (now < stop) throw shrankError(path, now, boundary);
    throw err;
  }
}
