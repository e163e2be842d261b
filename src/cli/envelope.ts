// The one shape of --json reports: every command's object is built here, for one file, for each
// file of a several-file run, and for a failure thrown before a result existed.
import type { ExitCode } from '../errors.js';
import { EXIT_OK } from '../errors.js';
import type { Warning } from './context.js';

/** The `error` member of a failed report. */
export interface ReportError {
  message: string;
  /** The errno name or the tool's code, or null. */
  code: string | null;
  /** The file the error is about, or null. */
  path: string | null;
}

type Keys = Record<string, unknown>;
type Warnings = { warnings?: readonly Warning[] };

/**
 * A command's report: `command`, `ok`, the command's own keys, `warnings` (when any), then
 * `exitCode` and `error` when it failed.
 */
export function report(command: string | undefined, code: ExitCode, keys: Keys, warnings: Warnings, error?: ReportError): Keys {
  if (error === undefined) return { command, ok: code === EXIT_OK, ...keys, ...warnings };
  return { command, ok: code === EXIT_OK, ...keys, ...warnings, exitCode: code, error };
}

/** The report of a failure thrown before any result (usage errors included): no keys of the command's own. */
export function failureReport(command: string | undefined | null, code: ExitCode, warnings: Warnings, error: ReportError): Keys {
  return { command, ok: false, exitCode: code, ...warnings, error };
}

/** One file's element of a several-file report: `path` first and `exitCode` always. */
export function fileReport(path: string, command: string | undefined, code: ExitCode, keys: Keys, warnings: Warnings, error?: ReportError): Keys {
  return { path, command, ok: code === EXIT_OK, exitCode: code, ...keys, ...warnings, ...(error && { error }) };
}
