/**
 * The tool's own error types above the core. Pure modules (src/format) throw {@link InputError};
 * the CLI maps every error to one stderr line and an exit code in src/cli/main.ts.
 *
 * Exit codes: 0 done, 1 the operation failed, 2 usage/input error, 3 a guard failed.
 */

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_GUARD = 3;

export type ExitCode = typeof EXIT_OK | typeof EXIT_FAILED | typeof EXIT_USAGE | typeof EXIT_GUARD;

/** Where an error happened, when known: the file (as the caller named it) and the byte offset in it. */
export interface ErrorPlace {
  cause?: unknown;
  /** The file the error is about. */
  path?: string;
  /** The byte offset in that file. */
  offset?: bigint;
}

/**
 * Base class: every error the tool raises on purpose. `exitCode` decides the process status; `path`
 * and `offset` say where, when known (the message does not repeat the path: the CLI prints it
 * before the message).
 *
 * The hierarchy: {@link InputError} (exit 2), {@link GuardError} (exit 3), {@link OperationError}
 * (exit 1) with {@link ChangedUnderfoot} and {@link BrokenPipe}. The memory-map layer's own errors
 * are `MmapError` (src/mmap/errors.ts: a code such as an errno name or `ERR_TRUNCATED`).
 */
export class MmapxError extends Error {
  readonly exitCode: ExitCode;
  path: string | undefined;
  readonly offset: bigint | undefined;
  constructor(message: string, exitCode: ExitCode, options: ErrorPlace = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.path = options.path;
    this.offset = options.offset;
  }
}

/** Where in the input a problem sits: a token position (0-based) in a string, or a line (1-based) in a file. */
export interface InputLocation {
  /** The offending text, as the user wrote it. */
  token?: string;
  /** 0-based character position of the problem inside `token` (or inside the whole input). */
  position?: number;
  /** 1-based line number, for multi-line inputs such as patch files and dumps. */
  line?: number;
  /**
   * What is wrong, without the `bad WHAT "TOKEN":` prefix and without the position, so that a
   * caller that names the place itself (a patch file's line and column) can reuse the wording.
   */
  detail?: string;
}

/** Bad input (argument, number, range, hex data, patch file, dump): exit 2, nothing touched. */
export class InputError extends MmapxError {
  readonly location: InputLocation;
  constructor(message: string, location: InputLocation = {}) {
    super(message, EXIT_USAGE);
    this.location = location;
  }
}

/** A guard failed (expected bytes, hash, size or match count differ): exit 3, nothing touched. */
export class GuardError extends MmapxError {
  constructor(message: string, place: ErrorPlace = {}) {
    super(message, EXIT_GUARD, place);
  }
}

/** The operation itself failed (I/O, refused file type, journal present, ...): exit 1. */
export class OperationError extends MmapxError {
  /** errno name such as `EACCES`, when the failure came from the system. */
  readonly code: string | undefined;
  constructor(message: string, code?: string, options?: ErrorPlace) {
    super(message, EXIT_FAILED, options);
    this.code = code;
  }
}

/**
 * A range did not hold its expected bytes right before the write (another process changed the file
 * since it was read); nothing of its window was written. Exit 1.
 */
export class ChangedUnderfoot extends OperationError {
  override readonly offset: bigint;
  constructor(offset: bigint, path?: string) {
    super(`the file changed at 0x${offset.toString(16)} since it was read`, 'ERR_CHANGED', { offset, ...(path !== undefined && { path }) });
    this.offset = offset;
  }
}

/**
 * No room on the filesystem for bytes about to be written (ENOSPC, EDQUOT), found by reserving
 * their blocks before the first of them changed: nothing changed. Exit 1.
 */
export class NoRoom extends OperationError {
  constructor(what: string, path?: string) {
    super(`no space left on the filesystem for ${what}: nothing changed; free some space and run it again`, 'ENOSPC', path !== undefined ? { path } : {});
  }
}

/** The reader of the output went away (`| head`): the CLI exits quietly with status 0. */
export class BrokenPipe extends OperationError {
  constructor() {
    super('broken pipe', 'EPIPE');
  }
}
