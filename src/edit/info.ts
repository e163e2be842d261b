// What a file is, how much of it is in memory, where it lives, and which map modes work on it
// (tried for real on one page: the kernel is the judge).
import { optionsArg, pathArg } from './args.js';
import { type BigIntStats, closeSync, constants as fsc } from 'node:fs';
import { resolveRange } from '../format/range.js';
import { describeErrno } from '../mmap/errors.js';
import { cachestat, MmapError, MmapOptions, pageSize } from '../mmap/index.js';
import { fsError, openNonBlocking, STDIN, withFile } from './files.js';
import { mountOf } from './mounts.js';
import { bindOptionalRange } from './address.js';
import { type RangeOption, rangeOption } from './range.js';
import type { EditContext } from './seams.js';

/** Whether a map mode works on the file, and the kernel's reason when it does not. */
export interface ModeCheck {
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

export function typeName(st: BigIntStats): string {
  if (st.isFile()) return 'regular file';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'other';
}

export interface InfoOptions extends EditContext {
  /** The part of the file that residency and dirty pages are counted for (default: all of it). */
  range?: RangeOption;
}

/** What {@link inspectFile} finds. */
export interface FileInfo {
  stat: BigIntStats;
  /** The size (undefined for a device, whose size fstat does not give). */
  size: bigint | undefined;
  /** The pseudo filesystem the file is on (procfs...), when it is (then only with `force`). */
  pseudo: string | undefined;
  /**
   * Standard input (`-`) that is no file to map: what it is (`a pipe`...). Nothing is read from
   * it: its size stays unknown, no page of it is in a map, and no map mode applies.
   */
  stream: string | undefined;
  pageSize: number;
  /** The range counted, resolved (undefined for a device). */
  range: { offset: bigint; length: bigint } | undefined;
  /** Pages of the range in the page cache (mincore), and how many pages the range spans. */
  residentPages: number | null;
  totalPages: number | null;
  /** cachestat(2) counts, where the kernel gives them. */
  dirtyPages: bigint | null;
  writebackPages: bigint | null;
  filesystem: { type: string; source: string; mountPoint: string; options: string[] } | null;
  /** Which map modes work: read, write, execute. */
  modes: Record<'r' | 'w' | 'x', ModeCheck>;
}

/** Inspects one file (see {@link FileInfo}). */
export async function inspectFile(path: string, options: InfoOptions = {}): Promise<FileInfo> {
  pathArg(path);
  optionsArg(options);
  const { clock } = options;
  return withFile(path, { ...options, write: false, access: 'read', ...(clock && { timer: clock }) }, (file) => {
    const st = file.stat;
    const page = pageSize();
    const size = file.size;
    const range = bindOptionalRange(file, rangeOption(options.range), options);
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
        const m = new MmapOptions()
          .offset(off)
          .len(stop - off)
          .map({ fd: file.fd, path });
        let res: ReturnType<typeof m.residency>;
        try {
          res = m.residency();
        } catch (err) {
          m.unmap();
          // A system that cannot tell which pages are in memory (Windows: no mincore): n/a.
          if (!(err instanceof MmapError && err.code === 'ERR_UNSUPPORTED_PLATFORM')) throw err;
          resident = null;
          totalPages = null;
          break;
        }
        m.unmap();
        resident += res.resident;
        totalPages = (totalPages ?? 0) + res.pages.length;
        off = stop;
      }
    }
    clock?.lap('mincore');
    const first = r ? r.offset - (r.offset % BigInt(page)) : 0n;
    const cs = r && r.length > 0n ? cachestat(file.fd, first, r.offset + r.length - first) : undefined;
    clock?.lap('cachestat');
    // Standard input has no path of its own: /dev/fd/0 leads to what it is.
    const where = path === STDIN ? '/dev/fd/0' : path;
    const mount = file.stream === undefined ? mountOf(where, st) : undefined;
    clock?.lap('mountinfo');

    // Which map modes work: try each on one page (or an empty map), then unmap at once.
    const len = size === undefined ? BigInt(page) : size < BigInt(page) ? size : BigInt(page);
    const never = { ok: false, reason: `standard input is ${file.stream}: it is read in order, never mapped` };
    const modes: Record<'r' | 'w' | 'x', ModeCheck> =
      file.stream !== undefined
        ? { r: never, w: { ...never }, x: { ...never } }
        : {
            r: tryMode(() => new MmapOptions().len(len).map({ fd: file.fd, path })),
            w: tryMode(() => {
              let fd: number;
              try {
                fd = openNonBlocking(where, fsc.O_RDWR | fsc.O_NOCTTY);
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
    clock?.lap('modes');

    return {
      stat: st,
      size,
      pseudo: file.pseudo,
      stream: file.stream,
      pageSize: page,
      range: r ? { offset: r.offset, length: r.length } : undefined,
      residentPages: resident,
      totalPages,
      dirtyPages: cs ? cs.dirty : null,
      writebackPages: cs ? cs.writeback : null,
      filesystem: mount ? { type: mount.fsType, source: mount.source, mountPoint: mount.mountPoint, options: mount.options } : null,
      modes,
    };
  });
}
