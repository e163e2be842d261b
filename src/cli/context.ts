// What every command gets: the global options, where output goes, and what to name in errors.
import type { Command } from 'commander';
import { journalWords, pendingJournal } from '../edit/journal.js';
import type { ExitCode } from '../errors.js';
import { shownPath } from '../format/quote.js';
import { oneLine } from './errors.js';
import type { ColorMode } from './color.js';
import { type Streams, writeAll } from './output.js';
import { Progress } from './progress.js';

export interface GlobalOptions {
  json: boolean;
  quiet: boolean;
  color: ColorMode;
  debug: boolean;
  /** False with --no-progress (absent: on, where the terminal allows it). */
  progress?: boolean;
}

/**
 * Something the user should know about a file the command read, though the command did its work:
 * a line on stderr as it is found, and an entry of `warnings` in the --json report.
 */
export interface Warning {
  /** What kind: `PENDING_JOURNAL` (an interrupted patch's journal is beside the file). */
  readonly code: string;
  readonly file: string;
  readonly message: string;
  /** The journal's path, for `PENDING_JOURNAL`. */
  readonly journal?: string;
}

export class Context {
  readonly globals: GlobalOptions;
  readonly streams: Streams;
  readonly env: NodeJS.ProcessEnv;
  /** The subcommand being run, for error lines (`mmapx: write: ...`). */
  command: string | undefined;
  /** The file the command works on, once known, for error lines. */
  path: string | undefined;
  /** Seconds to wait for a file locked by another process (--wait), for every file opened. */
  lockWait: number | undefined;
  /** The slice of a fat Mach-O in which symbolic addresses are resolved (--arch). */
  arch: string | undefined;
  /** The commander program, for commands that describe it (completion). */
  program: Command | undefined;
  /** Prints a result the way main does; for commands that must speak before they finish. */
  emit: (r: Result) => void = () => {};
  /**
   * The progress line of long operations (see progress.ts); main sets it up once the options are
   * known. It is erased before anything else is written to stderr (and to stdout on the same
   * terminal), so errors and summaries always start on a clean line.
   */
  progress: Progress = Progress.off();
  /** Warnings given so far (see {@link warn}), for the --json report. */
  readonly warnings: Warning[] = [];

  constructor(globals: GlobalOptions, streams: Streams, env: NodeJS.ProcessEnv) {
    this.globals = globals;
    this.streams = streams;
    this.env = env;
  }

  stdout(data: Uint8Array | string): void {
    this.progress.clearForStdout();
    writeAll(this.streams.stdoutFd, data);
  }

  stderr(data: Uint8Array | string): void {
    this.progress.clear();
    writeAll(this.streams.stderrFd, data);
  }

  /**
   * Prints `mmapx: <command>: <file>: warning: <message>` on stderr now (also with -q and --json,
   * like an error line) and keeps the warning for the --json report. The same warning about the
   * same file (listed twice) is given once.
   */
  warn(w: Warning): void {
    if (this.warnings.some((o) => o.code === w.code && o.file === w.file)) return;
    this.warnings.push(w);
    const where = [this.command, w.file === undefined ? undefined : shownPath(w.file)].filter((p) => p !== undefined).join(': ');
    this.stderr(`mmapx: ${where}: warning: ${oneLine(w.message, w.file)}\n`);
  }

  /**
   * For commands that only read `file`, after they opened it: warns when a journal of an
   * interrupted patch is beside it (what they read may be half patched), saying what restores it.
   * As the engine's `onPendingJournal`: `(file, journal) => ctx.warnIfJournal(file, journal)`.
   */
  warnIfJournal(file: string, j = pendingJournal(file)): void {
    if (j === undefined) return;
    const w = journalWords(j);
    this.warn({
      code: 'PENDING_JOURNAL',
      file,
      journal: j,
      message: `a journal of an interrupted ${w.what} exists (${j}): the file may be ${w.state}; 'mmapx recover ${file}' ${w.recover}`,
    });
  }

  /** The warnings about `file` (all of them without it), as the --json report's `warnings`, or nothing. */
  warningsJson(file?: string): { warnings?: Warning[] } {
    const list = file === undefined ? this.warnings : this.warnings.filter((w) => w.file === file);
    return list.length > 0 ? { warnings: list } : {};
  }
}

/**
 * What a command hands back to main: the result of an inspection (stdout), the one-line summary
 * of a mutation or of --stats (stderr), the --json object, and the exit status when it is not 0.
 */
export interface Result {
  stdout?: string;
  summary?: string;
  /** Print the summary on stderr: always for mutations (unless -q), with --stats for inspections. */
  showSummary: boolean;
  json: Record<string, unknown>;
  exitCode?: ExitCode;
  /**
   * With a non-zero `exitCode`: the one error line's message. main prints it on stderr as
   * `mmapx: <command>: <path>: <message>` (also with -q and --json, like any error), and --json
   * adds `exitCode` and `error` to the report, so a command can fail and still report (patch
   * lists every failed guard).
   */
  error?: string;
  /** The errno name or the tool's code of that error, when there is one (`(ENOENT)` in the line). */
  errorCode?: string;
  /** The command already printed its output (e.g. `protect --hold` before it waits). */
  printed?: boolean;
}
