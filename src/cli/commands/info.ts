// mmapx info FILE [--range R]: what a file is, how much of it is in memory, where it lives, and
// which map modes work on it (tried for real on one page: the kernel is the judge).
// FILE... (or --files-from LIST): one block per file, a blank line between (src/cli/multi.ts).
import { constants as fsc, openSync, closeSync } from 'node:fs';
import { formatOffset } from '../../format/number.js';
import { parseRange, type Range, resolveRange } from '../../format/range.js';
import { describeErrno } from '../../mmap/errors.js';
import { cachestat, MmapError, MmapOptions, pageSize } from '../../mmap/index.js';
import type { Context, Result } from '../context.js';
import { fsError, openFile, shrankSinceOpen } from '../../edit/files.js';
import { mountOf } from '../../edit/mounts.js';
import { eachFile, Separator, targets } from '../multi.js';
import { Timer } from '../../edit/timing.js';

interface ModeCheck {
  ok: boolean;
  reason: string | null;
}

function tryMode(fn: () => { unmap(): void }): ModeCheck {
  try {
    fn().unmap();
    return { ok: true, reason: null };
  } catch (err) {
    if (err instanceof MmapError) {
      const why = err.errno !== undefined ? `${err.syscall}: ${describeErrno(err.errno).description} (${err.code})` : err.reason;
      return { ok: false, reason: why };
    }
    const e = fsError(err);
    return { ok: false, reason: `${e.message}${e.code ? ` (${e.code})` : ''}` };
  }
}

function typeName(st: import('node:fs').BigIntStats): string {
  if (st.isFile()) return 'regular file';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'other';
}

function human(n: bigint): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${n} bytes (${v.toFixed(v < 10 ? 2 : 1)} ${units[u]})`;
}

export default async function info(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const t = await targets('info', (args[0] as string[] | undefined) ?? [], opts);
  if (!t.several) ctx.path = t.files[0];
  const timer = new Timer();
  const range = opts.range !== undefined ? parseRange(String(opts.range)) : undefined;
  const separator = t.several ? new Separator() : undefined;
  return eachFile(ctx, t, (path) => inspect(ctx, path, range, separator, opts, t.several ? new Timer() : timer), { prefixSummary: true });
}

/** Inspects one file: the single-file command from the open on. */
async function inspect(ctx: Context, path: string, range: Range | undefined, separator: Separator | undefined, opts: Record<string, unknown>, timer: Timer): Promise<Result> {
  const file = openFile(path, { write: false, force: !!opts.force, lockWait: ctx.lockWait });
  ctx.warnIfJournal(path);
  timer.lap('open');
  pageSize(); // loads the FFI on first use, timed on its own
  timer.lap('ffi');
  try {
    const st = file.stat;
    const page = pageSize();
    const size = file.size;
    const r = size === undefined ? undefined : range ? resolveRange(range, size) : { offset: 0n, length: size };

    // Residency by mincore.
    let resident: number | null = null;
    let totalPages: number | null = null;
    if (r) {
      resident = 0;
      totalPages = 0;
      // Map 1 GiB windows that are never touched: mincore only needs the mapping.
      const step = BigInt(1 << 30);
      for (let off = r.offset; off < r.offset + r.length; ) {
        const aligned = off - (off % BigInt(page));
        const stop = aligned + step < r.offset + r.length ? aligned + step : r.offset + r.length;
        const m = new MmapOptions().offset(off).len(stop - off).map({ fd: file.fd, path });
        const res = m.residency();
        m.unmap();
        resident += res.resident;
        totalPages += res.pages.length;
        off = stop;
      }
    }
    timer.lap('mincore');
    const first = r ? r.offset - (r.offset % BigInt(page)) : 0n;
    const cs = r && r.length > 0n ? cachestat(file.fd, first, r.offset + r.length - first) : undefined;
    timer.lap('cachestat');
    const mount = mountOf(path, st);
    timer.lap('mountinfo');

    // Which map modes work: try each on one page (or an empty map), then unmap at once.
    const len = size === undefined ? BigInt(page) : size < BigInt(page) ? size : BigInt(page);
    const modes: Record<'r' | 'w' | 'x', ModeCheck> = {
      r: tryMode(() => new MmapOptions().len(len).map({ fd: file.fd, path })),
      w: tryMode(() => {
        let fd: number;
        try {
          fd = openSync(path, fsc.O_RDWR | fsc.O_NONBLOCK | fsc.O_NOCTTY);
        } catch (err) {
          throw fsError(err, 'open for writing');
        }
        try {
          return new MmapOptions().len(len).mapMut({ fd, path });
        } finally {
          closeSync(fd);
        }
      }),
      x: tryMode(() => new MmapOptions().len(len).mapExec({ fd: file.fd, path })),
    };
    if (!modes.x.ok && mount?.options.includes('noexec')) modes.x.reason = `${mount.mountPoint} is mounted noexec`;
    if (!modes.w.ok && mount?.options.includes('ro')) modes.w.reason = `${mount.mountPoint} is mounted read-only`;
    timer.lap('modes');

    const allocated = st.blocks * 512n;
    const lines: [string, string][] = [
      ['file', path],
      ['type', typeName(st)],
      ['size', size === undefined ? 'unknown (device)' : file.pseudo !== undefined ? `${human(size)} as fstat says (a ${file.pseudo} file: its contents exist when read)` : human(size)],
      ['allocated', `${human(allocated)} on disk${size !== undefined && allocated < size ? ' (sparse)' : ''}`],
      ['page size', `${page} bytes`],
    ];
    if (r && range) lines.push(['range', `${formatOffset(r.offset)}..${formatOffset(r.offset + r.length)} (${r.length} bytes)`]);
    if (resident !== null && totalPages !== null) {
      const pct = totalPages === 0 ? 100 : (100 * resident) / totalPages;
      lines.push(['resident', `${resident} of ${totalPages} pages (${pct.toFixed(pct === 100 || pct === 0 ? 0 : 1)}%) in the page cache`]);
    }
    lines.push(['dirty', cs ? `${cs.dirty} pages, ${cs.writeback} under write-back` : 'n/a (cachestat(2) needs Linux >= 6.5 and write access to the file)']);
    lines.push([
      'filesystem',
      mount ? `${mount.fsType} (${mount.source}) at ${mount.mountPoint}, ${mount.options.join(',')}` : 'unknown (/proc/self/mountinfo unreadable)',
    ]);
    const modeText = (['r', 'w', 'x'] as const).map((k) => `${k} ${modes[k].ok ? 'yes' : `no (${modes[k].reason})`}`).join(', ');
    lines.push(['map modes', modeText]);
    const width = Math.max(...lines.map(([k]) => k.length));
    const text = lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
    return {
      stdout: `${separator?.next() ?? ''}${text}\n`,
      summary: `info ${timer.describe()}`,
      showSummary: !!opts.stats,
      json: {
        file: path,
        type: typeName(st),
        size: size ?? null,
        allocated,
        pageSize: page,
        range: r ? { offset: r.offset, length: r.length } : null,
        residentPages: resident,
        totalPages,
        dirtyPages: cs ? cs.dirty : null,
        writebackPages: cs ? cs.writeback : null,
        filesystem: mount
          ? { type: mount.fsType, source: mount.source, mountPoint: mount.mountPoint, options: mount.options }
          : null,
        modes,
        timings: timer.json(),
      },
    };
  } catch (err) {
    throw shrankSinceOpen(file, err, 'read');
  } finally {
    file.close();
  }
}
