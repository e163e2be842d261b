import { getSystemErrorMap } from 'node:util';

/** What an {@link MmapError} is about: errno names (`EACCES`, ...) for system-call failures, else one of these. */
export type MmapErrorCode =
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_UNMAPPED'
  | 'ERR_UNSUPPORTED_PLATFORM'
  /** The standalone executable could not load its native FFI module (e.g. only noexec directories). */
  | 'ERR_FFI_UNAVAILABLE'
  | 'ERR_VIEW_TOO_LARGE'
  | 'ERR_INVALID_ARG'
  /** The file shrank (or its pages could not be read) while mapped; see `MmapMut.fault()`. */
  | 'ERR_TRUNCATED'
  | (string & {});

export interface MmapErrorDetails {
  /** The system call that failed (`mmap`, `msync`, ...), if one did. */
  syscall?: string;
  /** errno value, if a system call failed. */
  errno?: number;
  /** The file, when the caller told us its path. */
  path?: string;
  /** Byte range involved (file offset for maps, view offset for flushes and advice). */
  offset?: bigint;
  length?: bigint;
  /** A plain-words explanation appended to the message, e.g. "the filesystem is mounted noexec". */
  hint?: string;
}

/**
 * The one error type of the core library. `message` is one line; the fields let callers compose
 * their own (the CLI prints `mmapx: <command>: <path>: <reason> (<code>)`).
 */
export class MmapError extends Error {
  readonly code: MmapErrorCode;
  readonly syscall: string | undefined;
  readonly errno: number | undefined;
  readonly path: string | undefined;
  readonly offset: bigint | undefined;
  readonly length: bigint | undefined;
  /** The message without path and code: what went wrong, in words. */
  readonly reason: string;

  constructor(code: MmapErrorCode, reason: string, details: MmapErrorDetails = {}) {
    const full = details.hint ? `${reason}: ${details.hint}` : reason;
    const where = details.path !== undefined ? `${details.path}: ` : '';
    const isErrno = /^E[A-Z0-9]+$/.test(code);
    super(`${where}${full}${isErrno ? ` (${code})` : ''}`);
    this.name = 'MmapError';
    this.code = code;
    this.reason = full;
    this.syscall = details.syscall;
    this.errno = details.errno;
    this.path = details.path;
    this.offset = details.offset;
    this.length = details.length;
  }

  /** True when `code` is an errno name from a failed system call. */
  get isSystemError(): boolean {
    return this.errno !== undefined;
  }
}

let errorMap: Map<number, [string, string]> | undefined;

/** errno → [name, description] using Node's own table (libuv names errors as negative numbers). */
export function describeErrno(errno: number): { name: string; description: string } {
  errorMap ??= getSystemErrorMap();
  const entry = errorMap.get(-errno);
  return entry ? { name: entry[0], description: entry[1] } : { name: `E${errno}`, description: `error ${errno}` };
}

/** An error for a failed system call: `mmap: permission denied, offset 0x1000 length 0x10`. */
export function sysError(syscall: string, errno: number, details: Omit<MmapErrorDetails, 'syscall' | 'errno'> = {}): MmapError {
  const { name, description } = describeErrno(errno);
  let reason = `${syscall}: ${description}`;
  if (details.offset !== undefined) reason += `, offset 0x${details.offset.toString(16)}`;
  if (details.length !== undefined) reason += ` length 0x${details.length.toString(16)}`;
  return new MmapError(name, reason, { ...details, syscall, errno });
}
