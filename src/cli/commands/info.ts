// mmapx info FILE [--range R]: what a file is, how much of it is in memory, where it lives, and
// which map modes work on it (src/edit/info.ts finds out; this renders it).
// FILE... (or --files-from LIST): one block per file, a blank line between (src/cli/multi.ts).
import { inspectFile, typeName } from '../../edit/info.js';
import { InputError } from '../../errors.js';
import { Timer } from '../../edit/timing.js';
import { formatOffset } from '../../format/number.js';
import { formatSize } from '../../format/units.js';
import { parseRange, type Range } from '../../format/range.js';
import type { Context, Result } from '../context.js';
import { eachFile, Separator, targets } from '../multi.js';
import { imageListing, listImage } from '../image-info.js';

interface InfoArgs {
  range: Range | undefined;
  force: boolean;
  stats: boolean;
}

function parseOptions(opts: Record<string, unknown>): InfoArgs {
  return { range: opts.range !== undefined ? parseRange(String(opts.range)) : undefined, force: opts.force === true, stats: opts.stats === true };
}

export default async function info(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const t = await targets('info', (args[0] as string[] | undefined) ?? [], opts);
  if (!t.several) ctx.path = t.files[0];
  const o = parseOptions(opts);
  const timer = new Timer();
  const separator = t.several ? new Separator() : undefined;
  // --sections, --segments, --symbols: what an executable contains (src/cli/image-info.ts).
  const listing = imageListing(ctx, opts);
  if (listing !== undefined) {
    if (o.range !== undefined) throw new InputError('--range counts page-cache residency; it does not combine with --sections, --segments or --symbols');
    return eachFile(ctx, t, (path) => listImage(ctx, path, listing, separator, t.several ? new Timer() : timer, o.stats), { prefixSummary: true });
  }
  return eachFile(ctx, t, (path) => inspect(ctx, path, o, separator, t.several ? new Timer() : timer), { prefixSummary: true });
}

/** Inspects one file and renders it. */
async function inspect(ctx: Context, path: string, o: InfoArgs, separator: Separator | undefined, timer: Timer): Promise<Result> {
  const range = o.range;
  const i = await inspectFile(path, {
    ...(range && { range }),
    force: o.force,
    ...(ctx.lockWait !== undefined && { lockWait: ctx.lockWait }),
    ...(ctx.arch !== undefined && { arch: ctx.arch }),
    blocking: true,
    clock: timer,
    onPendingJournal: (file, j) => ctx.warnIfJournal(file, j),
  });
  const { stat: st, size, range: r, modes, pageSize: page, residentPages: resident, totalPages, filesystem: fs } = i;
  const allocated = st.blocks * 512n;
  const lines: [string, string][] = [
    ['file', path],
    ['type', typeName(st)],
    [
      'size',
      i.stream !== undefined
        ? `unknown (standard input is ${i.stream}: only reading it to its end would tell, and info reads nothing)`
        : size === undefined
          ? 'unknown (device)'
          : i.pseudo !== undefined
            ? `${formatSize(size)} as fstat says (a ${i.pseudo} file: its contents exist when read)`
            : formatSize(size),
    ],
    ['allocated', `${formatSize(allocated)} on disk${size !== undefined && allocated < size ? ' (sparse)' : ''}`],
    ['page size', `${page} bytes`],
  ];
  if (r && range) lines.push(['range', `${formatOffset(r.offset)}..${formatOffset(r.offset + r.length)} (${r.length} bytes)`]);
  if (resident !== null && totalPages !== null) {
    const pct = totalPages === 0 ? 100 : (100 * resident) / totalPages;
    lines.push(['resident', `${resident} of ${totalPages} pages (${pct.toFixed(pct === 100 || pct === 0 ? 0 : 1)}%) in the page cache`]);
  } else if (r) {
    lines.push(['resident', 'n/a (this system does not tell which pages of a file are in memory: no mincore(2))']);
  }
  lines.push([
    'dirty',
    i.dirtyPages !== null
      ? `${i.dirtyPages} pages, ${i.writebackPages} under write-back`
      : 'n/a (cachestat(2) needs Linux >= 6.5 and write access to the file)',
  ]);
  lines.push([
    'filesystem',
    i.stream !== undefined
      ? `none (standard input is ${i.stream})`
      : fs
        ? `${fs.type} (${fs.source}) at ${fs.mountPoint}, ${fs.options.join(',')}`
        : 'unknown (/proc/self/mountinfo unreadable)',
  ]);
  const modeText = (['r', 'w', 'x'] as const).map((k) => `${k} ${modes[k].ok ? 'yes' : `no (${modes[k].reason})`}`).join(', ');
  lines.push(['map modes', i.stream !== undefined ? `none (standard input is ${i.stream}: it is read in order, never mapped)` : modeText]);
  const width = Math.max(...lines.map(([k]) => k.length));
  const text = lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
  return {
    stdout: `${separator?.next() ?? ''}${text}\n`,
    summary: `info ${timer.describe()}`,
    showSummary: o.stats,
    json: {
      file: path,
      type: typeName(st),
      size: size ?? null,
      allocated,
      pageSize: page,
      range: r ?? null,
      residentPages: resident,
      totalPages,
      dirtyPages: i.dirtyPages,
      writebackPages: i.writebackPages,
      filesystem: fs,
      modes,
      timings: timer.json(),
    },
  };
}
