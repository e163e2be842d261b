// mmapx unhex [DUMP|-] [-o FILE]: a new file from a hex dump (xxd -r, and the dumps xxd -r cannot
// read: hexdump -C whole, xxd -i arrays, od, xxd -b). The engine (src/edit/unhex.ts) reads the
// dump in chunks and writes as it goes; this file picks the input and the output.
//
// Decisions (see the manual): the dump is DUMP, or standard input for `-` or no argument (not a
// terminal). Without -o the bytes go to standard output (a terminal is refused unless --force, as
// cat does), holes as zeros; with -o a regular file is written under a temporary name with its
// holes left sparse and renamed over the target at the end (src/cli/outfile.ts), so a dump found
// bad half-way leaves no file (standard output keeps what it got). --json needs -o.
// Errors in the dump name its line and column: `mmapx: unhex: fw.hex line 3, col 14: ...`
// (exit 2).
import { createReadStream, fstatSync, openSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { isatty } from 'node:tty';
import { InputError } from '../../errors.js';
import { fsError } from '../../edit/files.js';
import { throughput, Timer } from '../../edit/timing.js';
import { type UnhexSink, unhex } from '../../edit/unhex.js';
import { parseNumber } from '../../format/number.js';
import { type Radix, UNHEX_FORMAT_NAMES, type UnhexFormat } from '../../format/unhex/index.js';
import { terminalColumns } from '../../mmap/sys/terminal.js';
import type { Context, Result } from '../context.js';
import { OutputFile, outputTarget } from '../outfile.js';

const CHUNK = 1024 * 1024;

interface UnhexArgs {
  /** The dump's path, or undefined for standard input. */
  dump: string | undefined;
  target: string | undefined;
  format: UnhexFormat | undefined;
  radix: Radix | undefined;
  seek: bigint;
  force: boolean;
  stats: boolean;
}

function parseOptions(ctx: Context, args: unknown[], opts: Record<string, unknown>): UnhexArgs {
  const [arg] = args as [string | undefined];
  const o: UnhexArgs = {
    dump: arg === undefined || arg === '-' ? undefined : arg,
    target: outputTarget(opts.output),
    format: opts.format as UnhexFormat | undefined,
    radix: opts.radix === undefined ? undefined : (Number(opts.radix) as Radix),
    seek: opts.seek === undefined ? 0n : parseNumber(String(opts.seek), 'seek'),
    force: !!opts.force,
    stats: !!opts.stats,
  };
  if (ctx.globals.json && o.target === undefined) throw new InputError('--json needs -o FILE: without it, standard output carries the bytes');
  if (o.target === undefined && !o.force && terminalColumns(ctx.streams.stdoutFd) !== undefined) {
    throw new InputError('refusing to write binary data to a terminal: redirect standard output (> FILE), use -o FILE, or --force');
  }
  if (o.dump === undefined && isatty(0)) {
    throw new InputError(
      arg === undefined ? 'no DUMP given and standard input is a terminal: name a dump file or pipe one in' : 'standard input is a terminal: pipe the dump in',
    );
  }
  return o;
}

/**
 * The dump as a stream of chunks: a file by its path, or standard input (a pipe waits for data);
 * `file`: it is a regular file (named, or `< FILE`), which -o must not replace.
 */
function openDump(path: string | undefined): { input: Readable; dev: bigint; ino: bigint; file: boolean } {
  if (path === undefined) {
    const st = fstatSync(0, { bigint: true });
    const input = st.isFIFO() || st.isSocket() ? process.stdin : createReadStream('', { fd: 0, autoClose: false, highWaterMark: CHUNK });
    return { input, dev: st.dev, ino: st.ino, file: st.isFile() };
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw fsError(err, `cannot read ${path}`);
  }
  const st = fstatSync(fd, { bigint: true });
  if (st.isDirectory()) throw new InputError(`${path} is a directory, not a dump`);
  return { input: createReadStream('', { fd, highWaterMark: CHUNK }), dev: st.dev, ino: st.ino, file: st.isFile() };
}

/** Whether `target` is the dump itself (replacing it would lose it). */
function isSameFile(target: string, dev: bigint, ino: bigint): boolean {
  try {
    const st = statSync(target, { bigint: true });
    return st.dev === dev && st.ino === ino;
  } catch {
    return false;
  }
}

export default async function unhexCommand(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const timer = new Timer();
  const o = parseOptions(ctx, args, opts);
  const name = o.dump ?? 'standard input';
  const { input, dev, ino, file: dumpIsFile } = openDump(o.dump);
  let out: OutputFile | undefined;
  try {
    if (o.target !== undefined && dumpIsFile && isSameFile(o.target, dev, ino)) {
      throw new InputError(`-o ${o.target} is the dump being read${o.dump === undefined ? ' (standard input)' : ''}`);
    }
    if (o.target !== undefined) out = new OutputFile(o.target);
    if (out?.terminal && !o.force) {
      throw new InputError(`refusing to write binary data to a terminal (-o ${o.target}): redirect standard output (> FILE), use -o FILE, or --force`);
    }
    timer.lap('open');
    const file = out;
    const sink: UnhexSink = file
      ? {
          write: (bytes) => file.write(bytes),
          seekable: file.seekable ? { writeAt: (bytes, position) => file.writeAt(bytes, position), setLength: (length) => file.setLength(length) } : undefined,
        }
      : { write: (bytes) => ctx.stdout(bytes) };
    const outcome = await unhex(input, sink, { format: o.format, radix: o.radix, seek: o.seek, name });
    out?.finish();
    timer.lap('unhex');
    const what = outcome.format === undefined ? 'empty dump' : `${UNHEX_FORMAT_NAMES[outcome.format]} dump`;
    const holes = outcome.length - outcome.data;
    const holeText = holes > 0n ? `, ${holes} in holes${outcome.sparse ? ' (sparse)' : ' (zeros)'}` : '';
    return {
      summary: `wrote ${outcome.length} byte${outcome.length === 1n ? '' : 's'} (${throughput(outcome.length, timer.phases.unhex)}) from ${name} (${what}, ${outcome.lines} line${outcome.lines === 1 ? '' : 's'})${holeText}${o.target !== undefined ? ` to ${o.target}` : ''} ${timer.describe()}`,
      showSummary: o.stats,
      json: {
        dump: o.dump ?? '-',
        output: o.target ?? null,
        format: outcome.format ?? null,
        radix: outcome.radix ?? null,
        length: outcome.length,
        data: outcome.data,
        lines: outcome.lines,
        sparse: outcome.sparse,
        seek: o.seek,
        timings: timer.json(),
      },
    };
  } catch (err) {
    out?.abandon();
    throw err;
  } finally {
    input.destroy();
  }
}
