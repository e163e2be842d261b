// mmapx flush FILE [--range R] [--async]: msync, and what the page cache says before and after.
import { formatOffset } from '../../format/number.js';
import { parseRange } from '../../format/range.js';
import { cachestat, type CacheStat, MmapOptions, pageSize } from '../../mmap/index.js';
import type { Context, Result } from '../context.js';
import { openFile, shrankSinceOpen, targetRange } from '../../edit/files.js';
import { Timer } from '../../edit/timing.js';

/**
 * A big range is msynced in pieces of this many bytes, so that the progress line can follow the
 * write-back; the pieces are page-aligned in the file, so each page is synced exactly once.
 */
export const FLUSH_PIECE = 256 * 1024 * 1024;

function counts(c: CacheStat | undefined) {
  return c ? { cached: c.cache, dirty: c.dirty, writeback: c.writeback } : null;
}

export default async function flush(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const [path] = args as [string];
  ctx.path = path;
  const timer = new Timer();
  const range = opts.range !== undefined ? parseRange(String(opts.range)) : undefined;
  const file = openFile(path, { write: true, force: !!opts.force, lockWait: ctx.lockWait, lock: 'shared' });
  timer.lap('open');
  pageSize(); // loads the FFI on first use, timed on its own
  timer.lap('ffi');
  try {
    const r = targetRange(file, range);
    const page = BigInt(pageSize());
    const first = r.offset - (r.offset % page);
    const pagesLen = r.length === 0n ? 0n : ((r.offset + r.length - first + page - 1n) / page) * page;
    const before = pagesLen > 0n ? cachestat(file.fd, first, pagesLen) : undefined;
    timer.lap('cachestat');
    const map = new MmapOptions().offset(r.offset).len(r.length).mapMut({ fd: file.fd, path });
    timer.lap('map');
    // View byte 0 is file offset r.offset, `lead` bytes into its page: the pieces end where the
    // file offset is a multiple of FLUSH_PIECE past `first` (view byte k * FLUSH_PIECE - lead).
    ctx.progress.phase(`${opts.async ? 'write-back' : 'flush'} ${path}`, map.length);
    const lead = Number(r.offset - first);
    let synced: { offset: bigint; length: number } | undefined;
    let at = 0;
    do {
      const end = Math.min(map.length, (Math.floor((at + lead) / FLUSH_PIECE) + 1) * FLUSH_PIECE - lead);
      const piece = opts.async ? map.flushAsyncRange(at, end - at) : map.flushRange(at, end - at);
      synced = synced === undefined ? piece : { offset: synced.offset, length: synced.length + piece.length };
      at = end;
      ctx.progress.update(at);
    } while (at < map.length);
    timer.lap(opts.async ? 'writeback' : 'msync');
    map.unmap();
    const after = pagesLen > 0n ? cachestat(file.fd, first, pagesLen) : undefined;
    timer.lap('cachestat');

    const pages = synced.length / Number(page);
    const span = `${formatOffset(synced.offset)}..${formatOffset(synced.offset + BigInt(synced.length))}`;
    const cache =
      before && after
        ? `dirty ${before.dirty} -> ${after.dirty}, writeback ${before.writeback} -> ${after.writeback} pages`
        : 'dirty/writeback n/a (cachestat(2) needs Linux >= 6.5 and write access to the file)';
    const summary =
      synced.length === 0
        ? `nothing to flush: the range is empty ${timer.describe()}`
        : `${opts.async ? 'started write-back of' : 'flushed'} ${span} (${pages} page${pages === 1 ? '' : 's'}) ${timer.describe()}; ${cache}`;
    return {
      summary,
      showSummary: true,
      json: {
        status: synced.length === 0 ? 'empty' : opts.async ? 'writeback-started' : 'flushed',
        file: path,
        async: !!opts.async,
        range: { offset: r.offset, length: r.length },
        synced: { offset: synced.offset, length: synced.length, pages },
        before: counts(before),
        after: counts(after),
        timings: timer.json(),
      },
    };
  } catch (err) {
    throw shrankSinceOpen(file, err, 'read');
  } finally {
    file.close();
  }
}
