// Several files in one run: `patch`, `find`, `info`, `hexdump` and `write` take more than one FILE
// (or `--files-from LIST`) and run their single-file code once per file, in this one process.
// Whatever the files share (the patch, the pattern, the data, the options) is parsed once by the
// command before the loop; each file then gets its own open, lock, maps, journal and report,
// exactly as a run on that file alone. A file that fails does not stop the others.
//
// The mode is chosen by the invocation, not by the count: with --files-from (even listing one
// path) or more than one FILE the output names each file and --json prints one array; otherwise
// the command's output is the single-file one, byte for byte. The exit status is the worst over
// the files, in the order 1 (failed) > 2 (usage or input) > 3 (guard) > 0; main.ts sets it.
//
// This is the rendering half: the files' results printed in the order given. What batches the
// files of a patch (journals of many files made durable by one commit) is the engine's, in
// src/edit/batch.ts; its results come back as Laters (src/edit/later.ts), printed when settled.
import { constants as bufferConstants } from 'node:buffer';
import { EXIT_FAILED, EXIT_GUARD, EXIT_OK, EXIT_USAGE, type ExitCode, InputError } from '../errors.js';
import { MmapError } from '../mmap/errors.js';
import { pageSize } from '../mmap/index.js';
import type { Context, Result } from './context.js';
import { fileReport } from './envelope.js';
import { classify, errorLine, oneLine } from './errors.js';
import { fsError, STDIN } from '../edit/files.js';
import { terminalColumns } from '../mmap/sys/terminal.js';
import { readInput } from './input.js';
import { refuseLossyLines } from './utf8.js';
import { BrokenPipe, jsonText } from './output.js';
import { type Batching, Later } from '../edit/later.js';
import { ms, now } from '../edit/timing.js';
import { shownPath } from '../format/quote.js';
import { plural } from '../format/units.js';
import { withoutBom } from '../format/bytes.js';

/** The files of one invocation. */
export interface Targets {
  readonly files: readonly string[];
  /** Several-file output (names per file, a JSON array): --files-from was given, or more than one FILE. */
  readonly several: boolean;
}

/**
 * The paths of a --files-from list: one per line, `\n` or `\r\n`, empty lines skipped. Nothing
 * else is special (spaces, quotes and `#` are part of the path), so a path with a newline cannot
 * be listed. `name` is the list as given, for errors.
 * @throws InputError (exit 2) for a NUL byte, which no path can hold.
 */
export function parseFileList(text: string, name: string): string[] {
  const paths: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const path = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (path === '') continue;
    if (path.includes('\0')) throw new InputError(`--files-from ${name} line ${i + 1}: a path cannot contain a NUL byte`, { line: i + 1 });
    paths.push(path);
  }
  return paths;
}

/**
 * Reads --files-from `arg` (`-`: standard input, waiting for a slow producer).
 * @param stdinUse what else of this invocation reads standard input (`--patch -`), if anything.
 * @throws InputError (exit 2) when the list cannot be read or standard input is taken or a terminal.
 */
async function readFileList(arg: string, stdinUse: string | undefined): Promise<string[]> {
  if (arg === '-' && stdinUse !== undefined) throw new InputError(`--files-from - and ${stdinUse} both read standard input: give one of them a file`);
  let text: string;
  try {
    const bytes = await readInput(arg, {
      what: 'the --files-from list',
      terminal: '--files-from - but standard input is a terminal: pipe the list in',
      fileLimit: bufferConstants.MAX_STRING_LENGTH, // it becomes one string
    });
    const body = withoutBom(bytes);
    refuseLossyLines(body, `--files-from ${arg}`);
    text = body.toString('utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const e = fsError(err);
    throw new InputError(`cannot read --files-from ${arg === '-' ? '- (standard input)' : arg}: ${e.message}${e.code ? ` (${e.code})` : ''}`);
  }
  return parseFileList(text, arg === '-' ? '-' : arg);
}

/** A required argument that is not there, in commander's words. */
export function missingArgument(name: string, command: string): InputError {
  return new InputError(`missing required argument '${name}' (see 'mmapx ${command} --help')`);
}

/**
 * The files to work on: the FILE arguments, then the paths listed by --files-from.
 * @param stdinUse what else reads standard input in this invocation, if anything (conflicts with `--files-from -`).
 * @throws InputError (exit 2) when there is no file at all, or the list cannot be read.
 */
export async function targets(command: string, files: readonly string[], opts: Record<string, unknown>, stdinUse?: string): Promise<Targets> {
  const list = opts.filesFrom === undefined ? undefined : String(opts.filesFrom);
  if (list === undefined && files.length === 0) throw missingArgument('file', command);
  // `-` (standard input) as a FILE: it can be read once, and not after a list read from it.
  const named = files.filter((f) => f === STDIN).length;
  if (named > 0 && list === STDIN) throw new InputError('--files-from - and the FILE - both read standard input: give one of them a file');
  if (named > 0 && stdinUse !== undefined) throw new InputError(`the FILE - and ${stdinUse} both read standard input: give one of them a file`);
  const all = list === undefined ? [...files] : [...files, ...(await readFileList(list, stdinUse))];
  if (all.length === 0) throw new InputError(`no files: --files-from ${list} lists no path, and no FILE was given`);
  if (all.filter((f) => f === STDIN).length > 1) throw new InputError('- (standard input) is given more than once: it can only be read once');
  return { files: all, several: list !== undefined || files.length > 1 };
}

/**
 * The FILE operands of a command that reads (hexdump): none, without --files-from, means standard
 * input (`-`) when it is not a terminal, as xxd and hexdump read it; on a terminal they stay none
 * (the usage error: a dump of what is typed is not what was meant).
 */
export function orStdin(files: readonly string[], opts: Record<string, unknown>): readonly string[] {
  if (files.length > 0 || opts.filesFrom !== undefined) return files;
  return terminalColumns(0) === undefined ? [STDIN] : files;
}

const RANK: Record<ExitCode, number> = { [EXIT_OK]: 0, [EXIT_GUARD]: 1, [EXIT_USAGE]: 2, [EXIT_FAILED]: 3 };

/** The worse of two statuses: 1 (failed) > 2 (usage or input) > 3 (guard) > 0. */
export function worse(a: ExitCode, b: ExitCode): ExitCode {
  return RANK[b] > RANK[a] ? b : a;
}

/** How the files of a several-file run ended, for the total line. */
export interface Tally {
  files: number;
  /** Files by their `status` (the --json key), successful ones only. */
  status: Record<string, number>;
  failed: number;
  ms: number;
}

export interface EachOptions {
  /** The total line printed on stderr after a several-file run (not with -q or --json). */
  total?: (t: Tally) => string;
  /** The command's summaries do not name the file: several-file runs put `PATH: ` in front. */
  prefixSummary?: boolean;
  /** For a command whose `run` hands back {@link Later} results (patch's batches: src/edit/batch.ts). */
  batch?: Batching;
}

/** `''` before the first block of output, `'\n'` before each later one (blank lines between files). */
export class Separator {
  #blocks = 0;
  next(): string {
    return this.#blocks++ === 0 ? '' : '\n';
  }
}

/** A file's outcome, waiting for its turn to be printed (`separated`: its JSON separator is out). */
type Outcome = { readonly path: string; readonly separated: boolean } & ({ readonly result: Result | Later<Result> } | { readonly error: unknown });

/**
 * Runs `run` on each file. One file: exactly the single-file command (its result goes back to main
 * as it is, errors included). Several: each file's output, summary and error line as it finishes,
 * or one JSON array of the per-file objects; the returned result carries the worst status.
 * `run` may print its own output: then it returns `printed` (in JSON mode, the whole array element).
 * It may also hand back a {@link Later} (with `options.batch`): that file and every file after it
 * are printed once it is settled.
 */
export async function eachFile(ctx: Context, t: Targets, run: (path: string) => Promise<Result | Later<Result>>, options: EachOptions = {}): Promise<Result> {
  if (!t.several) {
    ctx.path = t.files[0];
    const r = await run(t.files[0]!);
    if (!(r instanceof Later)) return r;
    options.batch?.settle();
    return r.take();
  }
  const started = now();
  // Loads the FFI once, before any output: if this machine cannot, that is one error, not one per file.
  pageSize();
  const json = ctx.globals.json;
  const tally: Tally = { files: 0, status: {}, failed: 0, ms: 0 };
  let worst: ExitCode = EXIT_OK;
  let elements = 0;
  const separate = (): void => {
    if (json) ctx.stdout(elements++ === 0 ? '[\n' : ',\n');
  };
  const report = (o: Outcome): void => {
    if (!o.separated) separate();
    tally.files++;
    let code: ExitCode;
    try {
      if ('error' in o) throw o.error;
      const r = o.result instanceof Later ? o.result.take() : o.result;
      code = r.exitCode ?? EXIT_OK;
      printFileResult(ctx, o.path, r, code, options);
      const status = r.json.status;
      if (code !== EXIT_OK) tally.failed++;
      else if (typeof status === 'string') tally.status[status] = (tally.status[status] ?? 0) + 1;
    } catch (err) {
      if (err instanceof BrokenPipe) throw err;
      code = printFileError(ctx, o.path, err);
      tally.failed++;
    }
    worst = worse(worst, code);
  };
  // Outcomes wait here while a file before them is not settled.
  const queue: Outcome[] = [];
  let next = 0;
  const drain = (): void => {
    while (next < queue.length) {
      const o = queue[next]!;
      if ('result' in o && o.result instanceof Later && !o.result.settled) break;
      next++;
      report(o);
    }
    if (next === queue.length) {
      queue.length = 0;
      next = 0;
    }
  };
  try {
    for (const path of t.files) {
      ctx.path = path;
      // With nothing waiting, the file's JSON element may begin before it runs (hexdump streams
      // its own); after a file that waits, it begins when its turn comes.
      const separated = queue.length === 0;
      if (separated) separate();
      try {
        queue.push({ path, separated, result: await run(path) });
      } catch (err) {
        if (err instanceof BrokenPipe) throw err;
        queue.push({ path, separated, error: err });
      }
      drain();
    }
    options.batch?.settle();
    drain();
  } catch (err) {
    options.batch?.abandon();
    throw err;
  }
  if (json) ctx.stdout('\n]\n');
  tally.ms = now() - started;
  if (options.total && !json && !ctx.globals.quiet) ctx.stderr(`${options.total(tally)}\n`);
  return { printed: true, showSummary: false, json: {}, exitCode: worst };
}

/** `3 files`, `1 file` */
export function files(n: number): string {
  return plural(n, 'file');
}

/** ` in 12.3 ms` of a tally. */
export function took(t: Tally): string {
  return ` in ${ms(t.ms)} ms`;
}

function printFileResult(ctx: Context, path: string, r: Result, code: ExitCode, options: EachOptions): void {
  const failed = r.error !== undefined && code !== EXIT_OK;
  if (ctx.globals.json) {
    if (!r.printed) {
      const error = failed ? { message: r.error!, code: r.errorCode ?? null, path } : undefined;
      ctx.stdout(jsonText(fileReport(path, ctx.command, code, r.json, ctx.warningsJson(path), error)));
    }
  } else if (!r.printed) {
    if (r.stdout) ctx.stdout(r.stdout);
    if (r.summary && r.showSummary && !ctx.globals.quiet) ctx.stderr(`${options.prefixSummary ? `${shownPath(path)}: ` : ''}${oneLine(r.summary, path)}\n`);
  }
  if (failed) ctx.stderr(`${errorLine({ exitCode: code, message: r.error!, code: r.errorCode }, ctx.command, path)}\n`);
}

/** A file's thrown error: its JSON element and its one stderr line; returns its status. */
function printFileError(ctx: Context, path: string, err: unknown): ExitCode {
  const report = classify(err);
  const where = err instanceof MmapError && err.path !== undefined ? err.path : path;
  if (ctx.globals.json) {
    const error = { message: report.message, code: report.code ?? null, path: where };
    ctx.stdout(jsonText(fileReport(path, ctx.command, report.exitCode, {}, ctx.warningsJson(path), error)));
  }
  ctx.stderr(`${errorLine(report, ctx.command, where)}\n`);
  if (ctx.globals.debug && err instanceof Error && err.stack) ctx.stderr(`${err.stack}\n`);
  return report.exitCode;
}
