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
  /** Too many maps are alive at once: `unmap()` (or `using`) the ones you are done with. */
  | 'ERR_TOO_MANY_MAPS'
  /** A mutating method was called on the bytes of a read-only map. */
  | 'ERR_READ_ONLY'
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
 * Marks MmapError instances. A registered symbol, so that every copy of the class in a process (the
 * CommonJS and ES module builds, a bundled copy, another version) recognises the others' errors.
 */
const BRAND: unique symbol = Symbol.for('mmapx.MmapError') as never;

/**
 * The one error type of the core library. `message` is one line; the fields let callers compose
 * their own (the CLI prints `mmapx: <command>: <path>: <reason> (<code>)`).
 *
 * `err instanceof MmapError` holds for errors made by any copy of mmapx loaded in the process
 * (`import` and `require` of the package, a bundle), since it checks a brand, not the prototype.
 */
export class MmapError extends Error {
  /** True for errors made by any copy of this class, whichever module instance made them. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof (a subclass keeps the usual rule)
    if (this !== MmapError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

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
Object.defineProperty(MmapError.prototype, BRAND, { value: true });

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
