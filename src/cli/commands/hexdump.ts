// mmapx hexdump FILE: one streaming engine behind five dialects (hexdump -C, xxd, xxd -p, xxd -i,
// JSON), fed from read-only maps in bounded windows so that memory stays flat for any file size
// (the file side: src/edit/dump.ts; the formatting: src/format/dump). This file adds the options,
// the colours, the --json object and the several-file output.
// FILE... (or --files-from LIST): the options are checked once, then each file is dumped on its
// own after a '==> PATH <==' header (src/cli/multi.ts runs the loop).
import { InputError } from '../../errors.js';
import { cIdentifier, createDumper, type DumpColors, type DumpFormat, type DumpOptions } from '../../format/dump/index.js';
import { type Offset, parseLength, parseNumber, parseOffset } from '../../format/number.js';
import { colorLevel } from '../color.js';
import type { Context, Result } from '../context.js';
import { classify } from '../errors.js';
import { openFileDump } from '../../edit/dump.js';
import { readsInOrder, shrankSinceOpen } from '../../edit/files.js';
import { eachFile, orStdin, Separator, targets } from '../multi.js';
import { BrokenPipe, jsonText } from '../output.js';
import { throughput, Timer } from '../../edit/timing.js';

/** The command line of hexdump, checked: what every file of a run shares. */
interface HexdumpOptions {
  format: DumpFormat;
  offset: Offset | undefined;
  length: bigint | undefined;
  /** The engine's options but the file's own (start, name, path). */
  engine: Omit<DumpOptions, 'start'>;
  upper: boolean;
  force: boolean;
  stats: boolean;
  json: boolean;
}

/** What the files of a several-file run share besides the options. */
interface Job extends HexdumpOptions {
  several: boolean;
  /** Blank lines between the files' dumps. */
  separator: Separator;
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

async function parseOptions(ctx: Context, opts: Record<string, unknown>): Promise<HexdumpOptions> {
  const format = String(opts.format ?? 'canonical') as DumpFormat;
  const offset = opts.offset !== undefined ? parseOffset(String(opts.offset)) : undefined;
  const length = opts.length !== undefined ? parseLength(String(opts.length)) : undefined;
  const cols = opts.cols !== undefined ? smallInt(opts.cols, 'columns') : undefined;
  const group = opts.group !== undefined ? smallInt(opts.group, 'group size') : undefined;
  const squeeze = opts.squeeze !== false;
  const autoskip = !!opts.autoskip;
  const name = opts.name !== undefined ? String(opts.name) : undefined;
  // Flags that only one format uses, named as the user typed them.
  const only = (given: boolean, flag: string, wanted: DumpFormat) => {
    if (given && format !== wanted) throw new InputError(`${flag} only applies to --format ${wanted}, not ${format}`);
  };
  only(!squeeze, '-v/--no-squeeze', 'canonical');
  only(autoskip, '-a/--autoskip', 'xxd');
  only(group !== undefined, '-g/--group', 'xxd');
  only(name !== undefined, '--name', 'c');
  const level = colorLevel(ctx.globals.color, process.stdout.isTTY === true, ctx.env);
  // --json (global) is one object: {"offset","length","hex"} streamed, whatever the file size.
  const json = ctx.globals.json;
  const colors = !json && level > 0 && (format === 'canonical' || format === 'xxd') ? await palette(level as 1 | 2 | 3) : undefined;
  const upper = !!opts.upper;
  // Only the options the user gave: the engine refuses options its format does not use.
  const engine: Omit<DumpOptions, 'start'> = { format, upper, colors };
  if (cols !== undefined) engine.cols = cols;
  if (group !== undefined) engine.group = group;
  if (!squeeze) engine.squeeze = false;
  if (autoskip) engine.autoskip = true;
  if (name !== undefined) engine.varName = name;
  return { format, offset, length, engine, upper, force: !!opts.force, stats: !!opts.stats, json };
}

export default async function hexdump(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  // No FILE (and no --files-from): standard input when it is piped or redirected, as xxd and hexdump read it.
  const t = await targets('hexdump', orStdin((args[0] as string[] | undefined) ?? [], opts), opts);
  if (!t.several) ctx.path = t.files[0];
  const timer = new Timer();
  const o = await parseOptions(ctx, opts);
  // Several files: the options are checked once, before the first file (one error, not one per file).
  if (t.several && !o.json) createDumper({ ...o.engine, start: 0n }, () => {});
  const job: Job = { ...o, several: t.several, separator: new Separator() };
  if (o.format === 'c' && t.several) job.cNames = { used: new Set(), count: 0 };
  return eachFile(ctx, t, (path) => dumpFile(ctx, path, job, t.several ? new Timer() : timer), { prefixSummary: true });
}

/** Dumps one file: the single-file command from the open on. */
async function dumpFile(ctx: Context, path: string, job: Job, timer: Timer): Promise<Result> {
  const { format, json, several } = job;
  const d = await openFileDump(path, {
    offset: job.offset,
    length: job.length,
    force: job.force,
    lockWait: ctx.lockWait,
    blocking: true,
    clock: timer,
    onPendingJournal: (f, j) => ctx.warnIfJournal(f, j),
  });
  // Several files with --json: this file's array element was begun (and must be ended, also on an error).
  let begun = false;
  try {
    // What goes before the dump (a JSON object's head, a '==> PATH <==' line). For a pseudo file
    // it goes out with the first bytes, or at the end: one whose end comes before -s fails before.
    // (A function for a JSON head: a pipe's offset is known once -s was read past.)
    let head: string | (() => string) = '';
    // A pseudo file's or a pipe's length is what the read finds (-n stops at its end): told after the hex.
    const inOrder = readsInOrder(d.file);
    const shownCount = inOrder ? undefined : d.count;
    const begin = (): void => {
      const text = typeof head === 'function' ? head() : head;
      if (text === '') return;
      ctx.stdout(text);
      head = '';
      if (json && several) begun = true;
    };
    let dumper: ReturnType<typeof d.dumper>;
    const warned = json ? ctx.warningsJson(path).warnings : undefined;
    const warnings = warned ? `"warnings":${jsonText(warned)},` : '';
    if (json && several) {
      // ok and exitCode come last: they are known only at the end of the stream.
      head = () => `{"path":${jsonText(path)},"command":"hexdump","file":${jsonText(path)},"offset":${d.start},${lengthKey(shownCount)}${warnings}"hex":"`;
    } else if (json) {
      head = () => `{"command":"hexdump","ok":true,"file":${JSON.stringify(path)},"offset":${d.start},${lengthKey(shownCount)}${warnings}"hex":"`;
    }
    if (json) {
      // The plain dialect with one unbounded line is exactly the hex string; drop its newline.
      dumper = d.dumper({ format: 'plain', start: d.start, cols: 0, upper: job.upper }, (chunk) => {
        const n = chunk.length > 0 && chunk[chunk.length - 1] === 0x0a ? chunk.length - 1 : chunk.length;
        if (n === 0) return;
        begin();
        ctx.stdout(chunk.subarray(0, n));
      });
    } else {
      const options = d.dumperOptions(job.engine);
      if (job.cNames !== undefined) options.varName = uniqueCName(job.cNames, path, job.engine.varName);
      if (several && format === 'json') options.path = path;
      dumper = d.dumper(options, (chunk) => {
        begin();
        ctx.stdout(chunk);
      });
      // Several files: a header before each dump (as head and tail print them); c names its
      // arrays and json its lines after the path instead.
      if (several && format !== 'json') head = `${job.separator.next()}${format === 'c' ? '' : `==> ${path} <==\n`}`;
    }
    // A file's or a device's goes out now; a pseudo file's waits for its first bytes or its end.
    if (!inOrder) begin();
    timer.lap('setup');
    // hexdump -n 0 prints nothing at all (the engine alone would print the offset line).
    if (!json && d.nothing) {
      begin();
      return { showSummary: job.stats, summary: `dumped 0 bytes ${timer.describe()}`, json: {} };
    }
    ctx.progress.phase(`hexdump ${path}`, d.count ?? 0n);
    const bytes = d.run(dumper, (done) => ctx.progress.update(done)); // once per 16 MiB window
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
      showSummary: job.stats,
      json: {},
      printed: false,
    };
  } catch (err) {
    const e = shrankSinceOpen(d.file, err, 'read');
    if (!begun || e instanceof BrokenPipe) throw e;
    // The element holds the hex of the windows checked whole; it ends with the error.
    const report = classify(e);
    const error = { message: report.message, code: report.code ?? null, path };
    ctx.stdout(`","ok":false,"exitCode":${report.exitCode},"error":${jsonText(error)}}`);
    return { showSummary: false, json: {}, printed: true, exitCode: report.exitCode, error: report.message, ...(report.code && { errorCode: report.code }) };
  } finally {
    d.close();
  }
}

/** The "length" key of the JSON object when it is known before the dump. */
function lengthKey(count: bigint | undefined): string {
  return count === undefined ? '' : `"length":${count},`;
}
