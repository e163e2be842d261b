// mmapx cat FILE [RANGE] [-o OUT]: the raw bytes of a range (the whole file without one) on
// standard output or into a file: dd's skip/count without the arithmetic, head -c and tail -c with
// the range syntax of every other command. The file is read through read-only windows of a shared
// map and each slice is written straight from the map (no copy in between), so memory stays flat
// whatever the size.
//
// Decisions (see the manual): a range past the end of the file is an error (exit 2, nothing
// written), as for every RANGE in mmapx; a terminal on standard output is refused (exit 2) unless
// --force, since binary garbles it; --json needs -o (standard output carries the bytes), and the
// report then goes to standard output.
//
// If another process truncates the file meanwhile, the size is checked before each slice goes
// out, and a write the kernel could not complete from the map (EFAULT: the pages are gone; the
// kernel's copy gets an error, not a SIGBUS) is reported as the truncation it is: one
// ERR_TRUNCATED line, exit 1. Bytes already on standard output stay there (the last slice may
// hold zeros from past the new end if the cut came while it was written); no -o file is left (a
// device or FIFO given to -o keeps what it got, as standard output does: see outfile.ts).
//
// Devices and procfs/sysfs files (--force) follow the rule of every read command (files.ts
// readSpan): a device needs a range from its start; a pseudo file is read by read(2).
import { InputError } from '../../errors.js';
import { formatOffset } from '../../format/number.js';
import { parseRange } from '../../format/range.js';
import { pageSize } from '../../mmap/index.js';
import { terminalColumns } from '../../mmap/sys/terminal.js';
import type { Context, Result } from '../context.js';
import { openFile, readableSize, readSpan, shrankSinceOpen } from '../../edit/files.js';
import { assertCovers, readWindows } from '../../edit/mapped.js';
import { OutputFile, outputTarget, sameFile } from '../outfile.js';
import { BrokenPipe } from '../output.js';
import { throughput, Timer } from '../../edit/timing.js';

/** Bytes written per write(2): the granularity of the size check before each. */
const SLICE = 1024 * 1024;

export default async function cat(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const [path, rangeText] = args as [string, string | undefined];
  ctx.path = path;
  const timer = new Timer();
  const range = rangeText !== undefined ? parseRange(rangeText) : undefined;
  const target = outputTarget(opts.output); // `-o -` is standard output
  const json = ctx.globals.json;
  if (json && target === undefined) throw new InputError('--json needs -o FILE: without it, standard output carries the bytes');
  if (target === undefined && !opts.force && terminalColumns(ctx.streams.stdoutFd) !== undefined) {
    throw new InputError('refusing to write binary data to a terminal: redirect standard output (> FILE, | xxd), use -o FILE, or --force');
  }
  timer.lap('parse');

  const file = openFile(path, { write: false, force: !!opts.force, lockWait: ctx.lockWait });
  ctx.warnIfJournal(path);
  timer.lap('open');
  let out: OutputFile | undefined;
  try {
    const r = readSpan(file, range);
    if (target !== undefined && sameFile(target, file)) throw new InputError(`-o ${target} is the file being read`);
    pageSize(); // loads the FFI on first use, timed on its own
    timer.lap('ffi');
    if (target !== undefined) out = new OutputFile(target);
    if (out?.terminal && !opts.force) {
      throw new InputError(`refusing to write binary data to a terminal (-o ${target}): redirect standard output (> FILE, | xxd), use -o FILE, or --force`);
    }
    const sink = out ? (bytes: Uint8Array) => out!.write(bytes) : (bytes: Uint8Array) => ctx.stdout(bytes);
    // A device or a pseudo file (--force) has no size to check against.
    const covers = (end: bigint): void => {
      if (readableSize(file) !== undefined) assertCovers(file, end);
    };
    ctx.progress.phase(`cat ${path}`, r.length ?? 0n);
    let copied = 0n;
    for (const w of readWindows(file, r)) {
      ctx.progress.update(w.offset - r.offset); // once per window
      for (let at = 0; at < w.bytes.length; at += SLICE) {
        const slice = w.bytes.subarray(at, at + SLICE) as Uint8Array;
        const end = w.offset + BigInt(at + slice.length);
        covers(end);
        try {
          sink(slice);
          copied += BigInt(slice.length);
        } catch (err) {
          // EFAULT from a map whose pages were cut away is the truncation, not an output error.
          if (!(err instanceof BrokenPipe)) covers(end);
          throw err;
        }
      }
    }
    out?.finish();
    timer.lap('copy');
    // The bytes copied: the range, or all a pseudo file gave when read to its end.
    const length = copied;
    const where = `${formatOffset(r.offset)}..${formatOffset(r.offset + length)}`;
    return {
      summary: `copied ${length} byte${length === 1n ? '' : 's'} (${throughput(length, timer.phases.copy)}) of ${path} ${where}${target !== undefined ? ` to ${target}` : ''} ${timer.describe()}`,
      showSummary: !!opts.stats,
      json: { file: path, offset: r.offset, length, output: target ?? null, timings: timer.json() },
    };
  } catch (err) {
    out?.abandon();
    throw shrankSinceOpen(file, err, 'read');
  } finally {
    file.close();
  }
}
