// mmapx hexdump FILE: one streaming engine behind six dialects (hexdump -C, xxd, xxd -p, xxd -i,
// JSON, hexyl's view), fed from read-only maps in bounded windows so that memory stays flat for any file size
// (the file side: src/edit/dump.ts; the formatting: src/format/dump). This file adds the options,
// the colours, the --json object and the several-file output.
// FILE... (or --files-from LIST): the options are checked once, then each file is dumped on its
// own after a '==> PATH <==' header (src/cli/multi.ts runs the loop).
import { InputError } from '../../errors.js';
import {
  type AddressRadix,
  cIdentifier,
  createDumper,
  HEXYL_MAX_PANELS,
  MARKED_FORMATS,
  offsetDigitsFor,
  panelsToFit,
  type DumpColors,
  type DumpFormat,
  type DumpOptions,
  type HexylBase,
} from '../../format/dump/index.js';
import { type Offset, parseLength, parseNumber, parseOffset, scanNumber } from '../../format/number.js';
import { ansiPairs, type ColorMode, colorLevel, viewColumns } from '../color.js';
import { escapeTerminal, terminalColumns } from '../../mmap/sys/terminal.js';
import type { Context, Result } from '../context.js';
import { classify } from '../errors.js';
import { openFileDump } from '../../edit/dump.js';
import { readsInOrder, shrankSinceOpen } from '../../edit/files.js';
import { archOf } from '../image-info.js';
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
  /** -f hexyl: --panels as given (a count or auto), and the width of the terminal when known. */
  panels: number | 'auto' | undefined;
  columns: number | undefined;
  /** --annotate: a header line per section of an executable (and the --arch slice of a fat Mach-O). */
  annotate: boolean;
  arch: string | undefined;
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
function uniqueCName(names: { used: Set<string>; count: number }, path: string, given: string | undefined, capitalize: boolean): string {
  const base = cIdentifier(given === undefined ? path : `${given}_${names.count}`, capitalize);
  const len = capitalize ? '_LEN' : '_len';
  names.count++;
  let name = base;
  for (let n = 2; names.used.has(name) || names.used.has(`${name}${len}`); n++) name = `${base}_${n}`;
  names.used.add(name);
  names.used.add(`${name}${len}`);
  return name;
}

/** A C identifier's first character: what tells xxd's `-n NAME` from a length under `-f c`. */
const NAME_START = /^[A-Za-z_]/;

/**
 * xxd -o OFF: any number of the CLI syntax whose magnitude is below 2^64 (negative counts down
 * from 2^64, as xxd wraps it; `+N` is N).
 */
function displayOffset(text: string): bigint {
  const v = scanNumber(text, 'display offset');
  const limit = 1n << 64n;
  if (v <= -limit || v >= limit) throw new InputError(`display offset ${text} is out of range (-(2^64-1)..2^64-1)`, { token: text });
  return v;
}

function smallInt(text: unknown, what: string): number {
  const n = parseNumber(String(text), what);
  if (n < -1_000_000n || n > 1_000_000_000n) throw new InputError(`${what} ${String(text)} is out of range`, { token: String(text) });
  return Number(n);
}

/** hexyl's five byte categories, as ANSI colours. chalk is loaded only when colour is on. */
function palette(level: 1 | 2 | 3): Promise<DumpColors> {
  return ansiPairs(level, (c) => ({
    null: c.gray,
    asciiPrintable: c.cyan,
    asciiWhitespace: c.green,
    asciiOther: c.magenta,
    nonAscii: c.yellow,
  }));
}

function parsePanels(text: unknown): number | 'auto' | undefined {
  if (text === undefined) return undefined;
  const t = String(text);
  if (t === 'auto') return 'auto';
  const n = /^[0-9]+$/.test(t) ? Number(t) : Number.NaN;
  if (!(n >= 1 && n <= HEXYL_MAX_PANELS)) {
    throw new InputError(`invalid --panels '${t}' (a number from 1 to ${HEXYL_MAX_PANELS}, or auto)`, { token: t });
  }
  return n;
}

/** The value of an option that has an od spelling too (-s/-j, -n/-N): one of them, not both. */
function eitherOf(opts: Record<string, unknown>, key: string, flag: string, alias: string, od: string): unknown {
  if (opts[key] !== undefined && opts[alias] !== undefined) throw new InputError(`${flag} and ${od} mean the same: give one of them`);
  return opts[key] ?? opts[alias];
}

/** od and hexdump's one-letter formats: the od-like dialects. */
function odLike(format: DumpFormat): boolean {
  return format === 'od' || format.startsWith('hexdump-');
}

async function parseOptions(ctx: Context, opts: Record<string, unknown>): Promise<HexdumpOptions> {
  const given = String(opts.format ?? 'canonical') as DumpFormat;
  // --view is -f hexyl; another -f with it is a contradiction (-f canonical is the default).
  if (opts.view && given !== 'canonical' && given !== 'hexyl') throw new InputError(`--view is -f hexyl: it cannot be combined with -f ${given}`);
  const format: DumpFormat = opts.view ? 'hexyl' : given;
  const offsetText = eitherOf(opts, 'offset', '-s/--offset', 'skipBytes', '-j/--skip-bytes');
  const offset = offsetText !== undefined ? parseOffset(String(offsetText)) : undefined;
  // -n is the length, as hexdump's (-N as od's); under -f c a value that starts like a C
  // identifier (a length starts with a digit or '-') is xxd's -n NAME, the array name. -l/--len
  // is xxd's spelling of the length.
  const lengthGiven = eitherOf(opts, 'length', '-n/--length', 'readBytes', '-N/--read-bytes');
  let lengthText = lengthGiven !== undefined ? String(lengthGiven) : undefined;
  let nameText = opts.name !== undefined ? String(opts.name) : undefined;
  if (lengthText !== undefined && NAME_START.test(lengthText)) {
    if (format !== 'c') {
      throw new InputError(`-n ${lengthText}: a length must be a number (-n NAME names the array only with --format c)`, { token: lengthText });
    }
    if (nameText !== undefined) throw new InputError(`-n ${lengthText} and --name ${nameText} both name the array: give one`, { token: lengthText });
    nameText = lengthText;
    lengthText = undefined;
  }
  if (opts.len !== undefined) {
    if (lengthText !== undefined) throw new InputError('-l/--len and -n/--length both give the length: give one', { token: String(opts.len) });
    lengthText = String(opts.len);
  }
  const length = lengthText !== undefined ? parseLength(lengthText) : undefined;
  const cols = opts.cols !== undefined ? smallInt(opts.cols, 'columns') : undefined;
  const group = opts.group !== undefined ? smallInt(opts.group, 'group size') : undefined;
  const squeeze = opts.squeeze !== false;
  const autoskip = !!opts.autoskip;
  const name = nameText;
  const bits = !!opts.bits;
  const littleEndian = !!opts.littleEndian;
  const decimal = !!opts.decimal;
  const ebcdic = !!opts.ebcdic;
  const capitalize = !!opts.capitalize;
  const shift = opts.displayOffset !== undefined ? displayOffset(String(opts.displayOffset)) : undefined;
  // Flags that only some formats use, named as the user typed them.
  const only = (given: boolean, flag: string, ...wanted: DumpFormat[]) => {
    if (given && !wanted.includes(format)) throw new InputError(`${flag} only applies to --format ${wanted.join(' or ')}, not ${format}`);
  };
  if (!squeeze && format !== 'canonical' && format !== 'hexyl' && !odLike(format)) {
    throw new InputError(`-v/--no-squeeze only applies to --format canonical, hexyl, od or hexdump-*, not ${format}`);
  }
  const types = opts.type as string[] | undefined;
  const radix = opts.addressRadix as AddressRadix | undefined;
  const width = opts.width !== undefined ? smallInt(opts.width, 'width') : undefined;
  only(types !== undefined, '-t/--type', 'od');
  only(radix !== undefined, '-A/--address-radix', 'od');
  only(width !== undefined, '-w/--width', 'od');
  if (width !== undefined && cols !== undefined) throw new InputError('-w/--width and -c/--cols mean the same for od: give one of them');
  if (width !== undefined && width < 1) throw new InputError(`invalid width ${width} (must be at least 1)`, { token: String(opts.width) });
  only(autoskip, '-a/--autoskip', 'xxd');
  only(group !== undefined && format !== 'hexyl', '-g/--group', 'xxd');
  only(name !== undefined, '--name', 'c');
  only(bits, '-b/--bits', 'xxd');
  only(littleEndian, '-e/--little-endian', 'xxd');
  only(decimal, '-d/--decimal', 'xxd');
  only(capitalize, '-C/--capitalize', 'c');
  only(shift !== undefined, '-o/--display-offset', 'xxd', 'canonical');
  only(ebcdic, '-E/--ebcdic', 'xxd', 'canonical');
  if (bits && littleEndian) throw new InputError('-b/--bits and -e/--little-endian cannot be combined (xxd shows only the last one given)');
  for (const flag of ['panels', 'border', 'base', 'endianness', 'characterTable'] as const) {
    only(opts[flag] !== undefined, `--${flag === 'characterTable' ? 'character-table' : flag}`, 'hexyl');
  }
  const panels = parsePanels(opts.panels);
  // -R/--colorize (xxd's spelling of the policy) overrides the global --color for this command.
  const mode = (opts.colorize ?? ctx.globals.color) as ColorMode;
  // Asked by ioctl, not process.stdout.isTTY: touching process.stdout makes a pipe on fd 1
  // non-blocking, and the dump then waits on EAGAIN instead of blocking in write(2). On Windows
  // this turns the console's escape processing on (no colour in auto mode when it cannot).
  const level = colorLevel(mode, mode !== 'never' && escapeTerminal(ctx.streams.stdoutFd), ctx.env);
  // --json (global) is one object: {"offset","length","hex"} streamed, whatever the file size.
  const json = ctx.globals.json;
  const colored = format === 'canonical' || (format === 'xxd' && !littleEndian) || format === 'hexyl';
  const colors = !json && level > 0 && colored ? await palette(level as 1 | 2 | 3) : undefined;
  const upper = !!opts.upper;
  // Only the options the user gave: the engine refuses options its format does not use.
  const engine: Omit<DumpOptions, 'start'> = { format, upper, colors };
  if (cols !== undefined) engine.cols = cols;
  if (group !== undefined) engine.group = group;
  if (!squeeze) engine.squeeze = false;
  if (autoskip) engine.autoskip = true;
  if (name !== undefined) engine.varName = name;
  if (bits) engine.bits = true;
  if (littleEndian) engine.littleEndian = true;
  if (decimal) engine.decimal = true;
  if (ebcdic) engine.ebcdic = true;
  if (capitalize) engine.capitalize = true;
  if (shift !== undefined) engine.displayOffset = shift;
  if (opts.border !== undefined) engine.border = opts.border as DumpOptions['border'];
  if (opts.base !== undefined) engine.base = Number(opts.base) as HexylBase;
  if (opts.endianness !== undefined) engine.endianness = opts.endianness as DumpOptions['endianness'];
  if (opts.characterTable !== undefined) engine.characterTable = opts.characterTable as DumpOptions['characterTable'];
  if (types !== undefined) engine.types = types;
  if (radix !== undefined) engine.addressRadix = radix;
  if (width !== undefined) engine.cols = width;
  const columns = format === 'hexyl' ? viewColumns(ctx.env, terminalColumns(ctx.streams.stdoutFd)) : undefined;
  const annotate = !!opts.annotate;
  if (annotate && json) throw new InputError('--annotate adds header lines to a text dump: it does not combine with --json');
  if (annotate && !MARKED_FORMATS.includes(format)) {
    throw new InputError(`--annotate applies to --format ${MARKED_FORMATS.join(', ')}; not to ${format}`);
  }
  const arch = archOf(ctx);
  return { format, offset, length, engine, upper, force: !!opts.force, stats: !!opts.stats, json, panels, columns, annotate, arch };
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
    ...(ctx.arch !== undefined && { arch: ctx.arch }),
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
      if (job.annotate) options.marks = d.sectionMarks(job.arch !== undefined ? { arch: job.arch } : {});
      if (format === 'hexyl') options.panels = hexylPanels(job, options);
      if (job.cNames !== undefined) options.varName = uniqueCName(job.cNames, path, job.engine.varName, job.engine.capitalize === true);
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
    // hexdump -n 0 prints nothing at all (the engine alone would print the offset line); od -N 0
    // prints the address line, as the engine does.
    if (!json && d.nothing && format !== 'od') {
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

/**
 * -f hexyl: the panels of this file's lines: --panels N, or with auto as many as fit the terminal;
 * by default 2, fewer when the terminal is too narrow for them (as hexyl does). Without a known
 * width, auto and the default are 2.
 */
function hexylPanels(job: Job, options: DumpOptions): number {
  const { panels, columns } = job;
  if (typeof panels === 'number') return panels;
  if (columns === undefined) return 2;
  const fit = panelsToFit(columns, options.base ?? 16, options.group ?? 1, offsetDigitsFor(options.start, options.end));
  return panels === 'auto' ? fit : Math.min(2, fit);
}

/** The "length" key of the JSON object when it is known before the dump. */
function lengthKey(count: bigint | undefined): string {
  return count === undefined ? '' : `"length":${count},`;
}
