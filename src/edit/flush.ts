// Flushing a range of a file: msync (or the start of write-back) in page-aligned pieces, with what
// the page cache says before and after.
import { optionsArg, pathArg } from './args.js';
import { cachestat, type CacheStat, MmapOptions, pageSize } from '../mmap/index.js';
import { targetRange, withFile } from './files.js';
import { bindOptionalRange } from './address.js';
import { type RangeOption, rangeOption } from './range.js';
import type { EditContext } from './seams.js';

/**
 * A big range is msynced in pieces of this many bytes, so that progress can follow the write-back;
 * the pieces are page-aligned in the file, so each page is synced exactly once.
 */
export const FLUSH_PIECE = 256 * 1024 * 1024;

export interface FlushOptions extends EditContext {
  /** The part of the file (default: all of it). */
  range?: RangeOption;
  /** Start the write-back and return (sync_file_range / MS_ASYNC) instead of waiting for it. */
  async?: boolean;
}

/** Page cache counts of the flushed pages (cachestat(2); absent where the kernel cannot say). */
export interface PageCounts {
  cached: bigint;
  dirty: bigint;
  writeback: bigint;
}

export interface FlushOutcome {
  /** The range asked for, resolved against the file's size. */
  range: { offset: bigint; length: bigint };
  /** What was synced: the whole pages around the range. */
  synced: { offset: bigint; length: number; pages: number };
  async: boolean;
  /** Page cache counts before and after, or null where cachestat(2) is not available. */
  before: PageCounts | null;
  after: PageCounts | null;
}

function counts(c: CacheStat | undefined): PageCounts | null {
  return c ? { cached: c.cache, dirty: c.dirty, writeback: c.writeback } : null;
}

/**
 * Writes the dirty pages of `range` of `path` back to the file (msync), or starts that write-back
 * with `async`. Holds a shared lock meanwhile (it changes no byte).
 */
export async function flushFile(path: string, options: FlushOptions = {}): Promise<FlushOutcome> {
  pathArg(path);
  optionsArg(options, ['async']);
  const { progress, clock } = options;
  return withFile(path, { ...options, write: true, lock: 'shared', access: 'read', ...(clock && { timer: clock }) }, (file) => {
    const r = targetRange(file, bindOptionalRange(file, rangeOption(options.range), options));
    const page = BigInt(pageSize());
    const first = r.offset - (r.offset % page);
    const pagesLen = r.length === 0n ? 0n : ((r.offset + r.length - first + page - 1n) / page) * page;
    const before = pagesLen > 0n ? cachestat(file.fd, first, pagesLen) : undefined;
    clock?.lap('cachestat');
    const map = new MmapOptions().offset(r.offset).len(r.length).mapMut({ fd: file.fd, path });
    clock?.lap('map');
    // View byte 0 is file offset r.offset, `lead` bytes into its page: the pieces end where the
    // file offset is a multiple of FLUSH_PIECE past `first` (view byte k * FLUSH_PIECE - lead).
    progress?.phase(`${options.async ? 'write-back' : 'flush'} ${path}`, map.length);
    const lead = Number(r.offset - first);
    let synced: { offset: bigint; length: number } | undefined;
    let at = 0;
    do {
      const end = Math.min(map.length, (Math.floor((at + lead) / FLUSH_PIECE) + 1) * FLUSH_PIECE - lead);
      const piece = options.async ? map.flushAsyncRange(at, end - at) : map.flushRange(at, end - at);
      synced = synced === undefined ? piece : { offset: synced.offset, length: synced.length + piece.length };
      at = end;
      progress?.update(at);
    } while (at < map.length);
    clock?.lap(options.async ? 'writeback' : 'msync');
    map.unmap();
    const after = pagesLen > 0n ? cachestat(file.fd, first, pagesLen) : undefined;
    clock?.lap('cachestat');
    return {
      range: { offset: r.offset, length: r.length },
      synced: { ...synced, pages: synced.length / Number(page) },
      async: !!options.async,
      before: counts(before),
      after: counts(after),
    };
  });
}
