// mmapx hexdump FILE: one streaming engine behind five dialects (hexdump -C, xxd, xxd -p, xxd -i,
// JSON), fed from read-only maps in bounded windows so that memory stays flat for any file size.
// FILE... (or --files-from LIST): the options are checked once, then each file is dumped on its
// own after a '==> PATH <==' header (src/cli/multi.ts runs the loop).
import { InputError } from '../../errors.js';
import { cIdentifier, createDumper, type DumpColors, type DumpFormat, type DumpOptions } from '../../format/dump/index.js';
import { parseLength, parseNumber, parseOffset, resolveOffset } from '../../format/number.js';
import type { Range } from '../../format/range.js';
import { pageSize, type Window } from '../../mmap/index.js';
import { colorLevel } from '../color.js';
import type { Context, Result } from '../context.js';
import { classify } from '../errors.js';
import { openFile, readableSize, readSpan, shrankSinceOpen } from '../files.js';
import { warnIfJournal } from '../journal.js';
import { readWindows } from '../mapped.js';
import { eachFile, Separator, targets } from '../multi.js';
import { BrokenPipe, jsonText } from '../output.js';
import { throughput, Timer } from '../timing.js';

/** What every file of a run shares: the checked options (and the palette, loaded once). */
interface Job {
  format: DumpFormat;
  offset: ReturnType<typeof parseOffset> | undefined;
  length: bigint | undefined;
  /** The engine's options but the file's own (start, name, path). */
  options: Omit<DumpOptions, 'start'>;
  json: boolean;
  several: boolean;
  /** Blank lines between the files' dumps. */
  separator: Separator;
  opts: Record<string, unknown>;
  /** -f c with several files: the identifiers given out so far (each array and its `_len`). */
  cNames?: { used: Set<string>; count: number };
}

/**
 * The array name of the next file of a several-file `-f c` dump, unique in the output: `--name foo`
 * gives foo_0, foo_1, ... in the order of the files; otherwise the name derives from the path, and
 * paths that mangle to the same identifier (`a-b`, `a_b`, a file given twice) or to another's
 * `_len` get `_2`, `_3`, ... appended. A header of several arrays must compile.
 */
function uniqueCName(names: { used: Set<string>; count: number }, path: string, given: string | undefined): string {
  const base = cIdentifier(given === undefined ? path : `${given}_${names.count}`);
  names.count++;
  let name = base;
  for (let n = 2; names.used.has(name) || names.used.has(`${name}_len`); n++) name = `${base}_${n}`;
  names.used.add(name);
  names.used.add(`${name}_len`);
  return name;
}

function smallInt(text: unknown, what: string): number {
  const n = parseNumber(String(text), what);
  if (n < -1_000_000n || n > 1_000_000_000n) throw new InputError(`${what} ${String(text)} is out of range`, { token: String(text) });
  return Number(n);
}

/** hexyl's five byte categories, as ANSI colours. chalk is loaded only when colour is on. */
async function palette(level: 1 | 2 | 3): Promise<DumpColors> {
  const { Chalk } = await import('chalk');
  const c = new Chalk({ level });
  const pair = (style: (s: string) => string) => {
    const [open, close] = style('\0').split('\0') as [string, string];
    return { open, close };
  };
  return {
    null: pair(c.gray),
    asciiPrintable: pair(c.cyan),
    asciiWhitespace: pair(c.green),
    asciiOther: pair(c.magenta),
    nonAscii: pair(c.yellow),
  };
}

export default async function hexdump(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const t = await targets('hexdump', (args[0] as string[] | undefined) ?? [], opts);
  if (!t.several) ctx.path = t.files[0];
  const timer = new Timer();
  const format = String(opts.format ?? 'canonical') as DumpFormat;
  const offset = opts.offset !== undefined ? parseOffset(String(opts.offset)) : undefined;
  const length = opts.length !== undefined ? parseLength(String(opts.length)) : undefined;
  const cols = opts.cols !== undefined ? smallInt(opts.cols, 'columns') : undefined;
  const group = opts.group !== undefined ? smallInt(opts.group, 'group size') : undefined;
  // Flags that only one format uses, named as the user typed them.
  const only = (given: boolean, flag: string, wanted: DumpFormat) => {
    if (given && format !== wanted) throw new InputError(`${flag} only applies to --format ${wanted}, not ${format}`);
  };
  only(opts.squeeze === false, '-v/--no-squeeze', 'canonical');
  only(!!opts.autoskip, '-a/--autoskip', 'xxd');
  only(group !== undefined, '-g/--group', 'xxd');
  only(opts.name !== undefined, '--name', 'c');
  const level = colorLevel(ctx.globals.color, process.stdout.isTTY === true, ctx.env);
  // --json (global) is one object: {"offset","length","hex"} streamed, whatever the file size.
  const json = ctx.globals.json;
  const colors = !json && level > 0 && (format === 'canonical' || format === 'xxd') ? await palette(level as 1 | 2 | 3) : undefined;
  // Only the options the user gave: the engine refuses options its format does not use.
  const options: Omit<DumpOptions, 'start'> = { format, upper: !!opts.upper, colors };
  if (cols !== undefined) options.cols = cols;
  if (group !== undefined) options.group = group;
  if (opts.squeeze === false) options.squeeze = false;
  if (opts.autoskip) options.autoskip = true;
  if (opts.name !== undefined) options.varName = String(opts.name);
  // Several files: the options are checked once, before the first file (one error, not one per file).
  if (t.several && !json) createDumper({ ...options, start: 0n }, () => {});
  const job: Job = { format, offset, length, options, json, several: t.several, separator: new Separator(), opts };
  if (format === 'c' && t.several) job.cNames = { used: new Set(), count: 0 };
  return eachFile(ctx, t, (path) => dumpFile(ctx, path, job, t.several ? new Timer() : timer), { prefixSummary: true });
}

/** Dumps one file: the single-file command from the open on. */
async function dumpFile(ctx: Context, path: string, job: Job, timer: Timer): Promise<Result> {
  const { format, offset, length, json, several, opts } = job;
  const file = openFile(path, { write: false, force: !!opts.force });
  warnIfJournal(ctx, path);
  timer.lap('open');
  // Several files with --json: this file's array element was begun (and must be ended, also on an error).
  let begun = false;
  try {
    let start: bigint;
    /** Undefined: a pseudo file (--force) read to its end, whose length only the read tells. */
    let count: bigint | undefined;
    const size = readableSize(file);
    if (size !== undefined) {
      // Like hexdump -s and xxd -s, a start past the end dumps nothing and is no error: canonical
      // prints the offset line of the end (hexdump -C), xxd and plain print nothing, c an empty
      // array (xxd -i). Before the start of the file stays an error (xxd: "cannot seek").
      const resolved = offset === undefined ? 0n : resolveOffset(offset, size, { allowPastEnd: true });
      start = resolved > size ? size : resolved;
      // Like xxd -l and hexdump -n, a length past the end stops at the end of the file.
      const avail = size - start;
      count = length === undefined || length > avail ? avail : length;
    } else {
      // A device or a pseudo file: -s and -n as a range, under the rule of every read command
      // (a device's range stops at the largest offset mmapx handles).
      ({ offset: start, length: count } = readSpan(file, dumpRange(offset, length)));
    }
    pageSize(); // loads the FFI, timed on its own
    timer.lap('ffi');

    // Output made from a window whose pages faulted (the file shrank: they read as zeros) is not
    // printed: each chunk is checked against the current window first.
    let current: Window | undefined;
    // What goes before the dump (a JSON object's head, a '==> PATH <==' line). For a pseudo file
    // it goes out with the first bytes, or at the end: one whose end comes before -s fails before.
    let head = '';
    // A pseudo file's length is what the read finds (-n stops at its end): told after the hex.
    const shownCount = file.pseudo === undefined ? count : undefined;
    const begin = (): void => {
      if (head === '') return;
      ctx.stdout(head);
      head = '';
      if (json && several) begun = true;
    };
    const write = (chunk: Uint8Array) => {
      current?.assertIntact();
      begin();
      ctx.stdout(chunk);
    };
    let dumper: ReturnType<typeof createDumper>;
    const warned = json ? ctx.warningsJson(path).warnings : undefined;
    const warnings = warned ? `"warnings":${jsonText(warned)},` : '';
    if (json && several) {
      // ok and exitCode come last: they are known only at the end of the stream.
      head = `{"path":${jsonText(path)},"command":"hexdump","file":${jsonText(path)},"offset":${start},${lengthKey(shownCount)}${warnings}"hex":"`;
    } else if (json) {
      head = `{"command":"hexdump","ok":true,"file":${JSON.stringify(path)},"offset":${start},${lengthKey(shownCount)}${warnings}"hex":"`;
    }
    if (json) {
      // The plain dialect with one unbounded line is exactly the hex string; drop its newline.
      dumper = createDumper({ format: 'plain', start, cols: 0, upper: !!opts.upper }, (chunk) => {
        const n = chunk.length > 0 && chunk[chunk.length - 1] === 0x0a ? chunk.length - 1 : chunk.length;
        if (n > 0) write(chunk.subarray(0, n));
      });
    } else {
      const options: DumpOptions = { ...job.options, start };
      if (format === 'c') options.name = path;
      if (job.cNames !== undefined) options.varName = uniqueCName(job.cNames, path, job.options.varName);
      if (several && format === 'json') options.path = path;
      dumper = createDumper(options, write);
      // Several files: a header before each dump (as head and tail print them); c names its
      // arrays and json its lines after the path instead.
      if (several && format !== 'json') head = `${job.separator.next()}${format === 'c' ? '' : `==> ${path} <==\n`}`;
    }
    // A file's or a device's goes out now; a pseudo file's waits for its first bytes or its end.
    if (file.pseudo === undefined) begin();
    timer.lap('setup');
    let bytes = 0n;
    // hexdump -n 0 prints nothing at all (the engine alone would print the offset line).
    if (!json && count === 0n && length === 0n) begin();
    if (!json && count === 0n && length === 0n) return { showSummary: !!opts.stats, summary: `dumped 0 bytes ${timer.describe()}`, json: {} };
    ctx.progress.phase(`hexdump ${path}`, count ?? 0n);
    // A pseudo file's -n past its end stops at the end, as for a file.
    for (const w of readWindows(file, { offset: start, length: count }, { upTo: true })) {
      current = w;
      dumper.push(w.bytes as Uint8Array);
      bytes += BigInt(w.bytes.length);
      ctx.progress.update(bytes); // once per 16 MiB window
    }
    current = undefined;
    dumper.end();
    begin();
    timer.lap('dump');
    if (json) {
      // The length of a pseudo file read to its end comes after the hex: only now is it known.
      const tail = shownCount === undefined ? `,"length":${bytes}` : '';
      ctx.stdout(several ? `"${tail},"timings":${jsonText(timer.json())},"ok":true,"exitCode":0}` : `"${tail},"timings":${JSON.stringify(timer.json())}}\n`);
      return { showSummary: false, json: {}, printed: true };
    }
    return {
      summary: `dumped ${bytes} bytes (${throughput(bytes, timer.phases.dump)}) ${timer.describe()}`,
      showSummary: !!opts.stats,
      json: {},
      printed: false,
    };
  } catch (err) {
    const e = shrankSinceOpen(file, err, 'read');
    if (!begun || e instanceof BrokenPipe) throw e;
    // The element holds the hex of the windows checked whole; it ends with the error.
    const report = classify(e);
    const error = { message: report.message, code: report.code ?? null, path };
    ctx.stdout(`","ok":false,"exitCode":${report.exitCode},"error":${jsonText(error)}}`);
    return { showSummary: false, json: {}, printed: true, exitCode: report.exitCode, error: report.message, ...(report.code && { errorCode: report.code }) };
  } finally {
    file.close();
  }
}

/** -s and -n as the range they ask for, for {@link readSpan} (a device, a pseudo file). */
function dumpRange(offset: Job['offset'], length: bigint | undefined): Range | undefined {
  if (offset === undefined && length === undefined) return undefined;
  const start = offset ?? { value: 0n, fromEnd: false, text: '0' };
  if (length === undefined) return { kind: 'span', text: `${start.text}..`, start, end: null };
  return { kind: 'length', text: `${start.text}:${length}`, start, length };
}

/** The "length" key of the JSON object when it is known before the dump. */
function lengthKey(count: bigint | undefined): string {
  return count === undefined ? '' : `"length":${count},`;
}
