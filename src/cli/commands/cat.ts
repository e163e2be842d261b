// mmapx cat FILE [RANGE] [-o OUT]: the raw bytes of a range (the whole file without one) on
// standard output or into a file: dd's skip/count without the arithmetic, head -c and tail -c with
// the range syntax of every other command. The file is read through read-only windows of a shared
// map and each slice is written straight from the map (no copy in between), so memory stays flat
// whatever the size (the engine: src/edit/read.ts).
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
//
// --format ihex|srec writes the range as Intel HEX or S-records instead (src/edit/hexrec.ts, the
// encoders in src/format/hexrec): the same slices, each encoded as it comes, so the cost still
// follows the range. The first byte of the range has the address --base (default: its file
// offset, so that `cat fw.bin 0x4000:16` and `cat fw.bin` agree on every address). The output is
// text, so a terminal is no reason to refuse it.
import { InputError } from '../../errors.js';
import { formatOffset } from '../../format/number.js';
import { parseRange } from '../../format/range.js';
import { terminalColumns } from '../../mmap/sys/terminal.js';
import type { Context, Result } from '../context.js';
import { shrankSinceOpen } from '../../edit/files.js';
import { openRangeReader } from '../../edit/read.js';
import { OutputFile, outputTarget, sameFile } from '../outfile.js';
import { throughput, Timer } from '../../edit/timing.js';
import { parseNumber } from '../../format/number.js';
import { createHexEncoder, type HexRecordFormat } from '../../format/hexrec/index.js';
import { hexEncodeOptions } from '../../edit/hexrec.js';

/** The command line of cat, checked. */
interface CatOptions {
  path: string;
  /** The range as typed (checked here, before the file is opened). */
  range: string | undefined;
  /** -o PATH; undefined for standard output (also `-o -`). */
  target: string | undefined;
  force: boolean;
  stats: boolean;
  /** --format ihex|srec (undefined: the raw bytes). */
  records: HexRecordFormat | undefined;
  base: bigint | undefined;
  start: bigint | undefined;
}

/** --base or --start: a number (checked against 32 bits with the range). */
function addressOption(value: unknown, flag: string, records: HexRecordFormat | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  if (records === undefined) throw new InputError(`${flag} ${String(value)} only goes with --format ihex or --format srec`);
  return parseNumber(String(value), flag.slice(2));
}

function parseOptions(ctx: Context, args: unknown[], opts: Record<string, unknown>): CatOptions {
  const [path, range] = args as [string, string | undefined];
  if (range !== undefined) parseRange(range);
  const records = opts.format === 'ihex' || opts.format === 'srec' ? opts.format : undefined; // commander checked the choices
  const o: CatOptions = {
    path,
    range,
    target: outputTarget(opts.output),
    force: !!opts.force,
    stats: !!opts.stats,
    records,
    base: addressOption(opts.base, '--base', records),
    start: addressOption(opts.start, '--start', records),
  };
  if (ctx.globals.json && o.target === undefined) throw new InputError('--json needs -o FILE: without it, standard output carries the bytes');
  if (o.records === undefined && o.target === undefined && !o.force && terminalColumns(ctx.streams.stdoutFd) !== undefined) {
    throw new InputError('refusing to write binary data to a terminal: redirect standard output (> FILE, | xxd), use -o FILE, or --force');
  }
  return o;
}

export default async function cat(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  ctx.path = args[0] as string;
  const timer = new Timer();
  const { path, range, target, force, stats, records, base, start } = parseOptions(ctx, args, opts);
  timer.lap('parse');

  const reader = await openRangeReader(path, {
    range,
    force,
    lockWait: ctx.lockWait,
    ...(ctx.arch !== undefined && { arch: ctx.arch }),
    blocking: true,
    clock: timer,
    onPendingJournal: (f, j) => ctx.warnIfJournal(f, j),
  });
  let out: OutputFile | undefined;
  try {
    if (target !== undefined && sameFile(target, reader.file)) throw new InputError(`-o ${target} is the file being read`);
    if (target !== undefined) out = new OutputFile(target);
    if (out?.terminal && !force && records === undefined) {
      throw new InputError(`refusing to write binary data to a terminal (-o ${target}): redirect standard output (> FILE, | xxd), use -o FILE, or --force`);
    }
    const write = out ? (bytes: Uint8Array) => out!.write(bytes) : (bytes: Uint8Array) => ctx.stdout(bytes);
    // The records' encoder sits between the map and the output (checks addresses before any output).
    const encoder =
      records === undefined
        ? undefined
        : createHexEncoder(records, hexEncodeOptions(reader, { ...(base !== undefined && { base }), ...(start !== undefined && { start }) }, path), write);
    const sink = encoder ? (bytes: Uint8Array) => encoder.push(bytes) : write;
    ctx.progress.phase(`cat ${path}`, reader.length ?? 0n);
    // The bytes copied: the range, or all a pseudo file gave when read to its end.
    const length = reader.copyTo(sink, (done) => ctx.progress.update(done));
    encoder?.finish();
    out?.finish();
    timer.lap('copy');
    const where = `${formatOffset(reader.offset)}..${formatOffset(reader.offset + length)}`;
    const firstAddress = base ?? reader.offset;
    const as = records === undefined ? '' : ` as ${records === 'ihex' ? 'Intel HEX' : 'S-records'} at address ${formatOffset(firstAddress)}`;
    return {
      summary: `copied ${length} byte${length === 1n ? '' : 's'} (${throughput(length, timer.phases.copy)}) of ${path} ${where}${as}${target !== undefined ? ` to ${target}` : ''} ${timer.describe()}`,
      showSummary: stats,
      json: {
        file: path,
        offset: reader.offset,
        length,
        output: target ?? null,
        ...(records !== undefined && { format: records, base: firstAddress }),
        timings: timer.json(),
      },
    };
  } catch (err) {
    out?.abandon();
    throw shrankSinceOpen(reader.file, err, 'read');
  } finally {
    reader.close();
  }
}
