// mmapx flush FILE [--range R] [--async]: msync, and what the page cache says before and after
// (the work is src/edit/flush.ts; this renders it).
import { flushFile } from '../../edit/flush.js';
import { Timer } from '../../edit/timing.js';
import { formatOffset } from '../../format/number.js';
import { parseRange, type Range } from '../../format/range.js';
import type { Context, Result } from '../context.js';
import { plural } from '../../format/units.js';

interface FlushArgs {
  path: string;
  range: Range | undefined;
  async: boolean;
  force: boolean;
}

function parseOptions(args: unknown[], opts: Record<string, unknown>): FlushArgs {
  return {
    path: args[0] as string,
    range: opts.range !== undefined ? parseRange(String(opts.range)) : undefined,
    async: opts.async === true,
    force: opts.force === true,
  };
}

export default async function flush(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  ctx.path = args[0] as string; // named in errors, those of the options included
  const o = parseOptions(args, opts);
  const { path } = o;
  const timer = new Timer();
  const out = await flushFile(path, {
    ...(o.range && { range: o.range }),
    async: o.async,
    force: o.force,
    ...(ctx.lockWait !== undefined && { lockWait: ctx.lockWait }),
    ...(ctx.arch !== undefined && { arch: ctx.arch }),
    blocking: true,
    progress: ctx.progress,
    clock: timer,
  });
  const { synced, before, after } = out;
  const span = `${formatOffset(synced.offset)}..${formatOffset(synced.offset + BigInt(synced.length))}`;
  const cache =
    before && after
      ? `dirty ${before.dirty} -> ${after.dirty}, writeback ${before.writeback} -> ${after.writeback} pages`
      : 'dirty/writeback n/a (cachestat(2) needs Linux >= 6.5 and write access to the file)';
  const summary =
    synced.length === 0
      ? `nothing to flush: the range is empty ${timer.describe()}`
      : `${o.async ? 'started write-back of' : 'flushed'} ${span} (${plural(synced.pages, 'page')}) ${timer.describe()}; ${cache}`;
  return {
    summary,
    showSummary: true,
    json: {
      status: synced.length === 0 ? 'empty' : o.async ? 'writeback-started' : 'flushed',
      file: path,
      async: o.async,
      range: out.range,
      synced,
      before,
      after,
      timings: timer.json(),
    },
  };
}
