// Every failure becomes one line: `mmapx: <command>: <path>: <message> (<ERRNO>)`, and an exit code.
import { EXIT_FAILED, EXIT_USAGE, type ExitCode, MmapxError } from '../errors.js';
import { shownPath } from '../format/quote.js';
import { MmapError } from '../mmap/errors.js';

export interface ErrorReport {
  exitCode: ExitCode;
  /** The message without `mmapx: command: path:` and without the code. */
  message: string;
  /** errno name or the tool's own code, when there is one. */
  code: string | undefined;
  /** About this machine, not the command's file (the FFI cannot load): printed as `mmapx: <message>`. */
  environment?: boolean;
}

function errnoName(code: string | undefined): string | undefined {
  return code && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** Classifies any thrown value. Unknown errors are exit 1 with their message (the stack needs --debug). */
export function classify(err: unknown): ErrorReport {
  if (err instanceof MmapError) {
    // Range errors of the core are the caller's input; system-call failures are operation failures.
    const exitCode = err.code === 'ERR_OUT_OF_RANGE' || err.code === 'ERR_INVALID_ARG' ? EXIT_USAGE : EXIT_FAILED;
    if (err.code === 'ERR_FFI_UNAVAILABLE') return { exitCode, message: err.reason, code: undefined, environment: true };
    return { exitCode, message: err.reason, code: errnoName(err.code) };
  }
  if (err instanceof MmapxError) {
    const code = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
    return { exitCode: err.exitCode, message: err.message, code: errnoName(code) };
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && typeof e.message === 'string') {
    // Node's fs errors: "ENOENT: no such file or directory, open 'x'" -> "no such file or directory".
    const m = /^[A-Z0-9]+: ([^,]+)(,|$)/.exec(e.message);
    return { exitCode: EXIT_FAILED, message: m ? (m[1] as string) : e.message, code: errnoName(e.code) };
  }
  return { exitCode: EXIT_FAILED, message: err instanceof Error ? err.message : String(err), code: undefined };
}

/**
 * `text` made one line for stderr: `path` (a file name may hold a newline or an escape sequence)
 * escaped wherever it appears, any other line break and the spaces around it made one space
 * (commander's messages wrap), and what is left of the controls escaped.
 */
export function oneLine(text: string, path?: string): string {
  const named = path !== undefined && shownPath(path) !== path ? text.split(path).join(shownPath(path)) : text;
  return shownPath(named.replace(/\s*\n\s*/g, ' '));
}

/** `mmapx: write: fw.bin: permission denied (EACCES)` */
export function errorLine(report: ErrorReport, command: string | undefined, path: string | undefined): string {
  const parts = ['mmapx'];
  if (command && !report.environment) parts.push(command);
  if (path !== undefined && !report.environment) parts.push(shownPath(path));
  const msg = oneLine(report.message, path);
  const withCode = report.code && !msg.endsWith(`(${report.code})`) ? `${msg} (${report.code})` : msg;
  return `${parts.join(': ')}: ${withCode}`;
}
