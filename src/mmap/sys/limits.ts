// How large a file may become, asked without changing it. Two limits make ftruncate(2) and writes
// fail with EFBIG: the filesystem's largest file size (the kernel's s_maxbytes; on ext4 it depends
// on the inode's format) and the process's RLIMIT_FSIZE (`ulimit -f`). The second is getrlimit(2).
// No call returns the first, but lseek(2) to an offset fails with EINVAL exactly when the offset is
// past it (the kernel checks the same per-file limit), and moving a descriptor's position changes
// nothing in the file: so a probe with lseek tells whether a size fits, and a binary search finds
// the limit for the message. The descriptor's position is put back afterwards.
import { fdArg, sizeArg } from '../args.js';
import { sysError } from '../errors.js';
import { libc } from './libc.js';
import { WINDOWS, fileHandle } from './win32.js';

/** Same values on Linux and macOS. */
const SEEK_SET = 0;
const SEEK_CUR = 1;
const RLIMIT_FSIZE = 1;
const EINVAL = 22;
const EBADF = 9;
/** The largest off_t; RLIM_INFINITY is at least this on every supported platform. */
const OFF_MAX = (1n << 63n) - 1n;

/** The limit that keeps a file from reaching a size. */
export interface FileSizeLimit {
  /** The largest size the file may have, in bytes. */
  readonly bytes: bigint;
  /** Whose limit: the filesystem's largest file size, or the process's (`ulimit -f`, RLIMIT_FSIZE). */
  readonly by: 'filesystem' | 'process';
}

/**
 * The limit that keeps the file open on `fd` from having `size` bytes, or `undefined` when `size`
 * is within every limit this can see. Changes nothing: the filesystem's limit is probed with
 * lseek(2) (the descriptor's position is restored), the process's read with getrlimit(2). A
 * descriptor that cannot seek (a pipe, some pseudo files) has no filesystem limit here.
 *
 * @throws MmapError `ERR_INVALID_ARG` for a value that is no descriptor or size;
 *   `ERR_OUT_OF_RANGE` when `size` is negative or past 2^63-1 (no file can have it); `EBADF` for a
 *   descriptor that is not open.
 */
export function fileSizeLimit(fdValue: number, sizeValue: bigint | number): FileSizeLimit | undefined {
  const fd = fdArg(fdValue);
  const size = sizeArg(sizeValue, 'size');
  // Windows has neither RLIMIT_FSIZE nor this probe: its writes say ENOSPC or EFBIG themselves.
  // (A descriptor that is not open is still EBADF.)
  if (WINDOWS) {
    fileHandle(fd);
    return undefined;
  }
  const lc = libc();
  const rlimit = new BigUint64Array(2);
  const processLimit = lc.getrlimit(RLIMIT_FSIZE, rlimit) === 0 && rlimit[0]! < OFF_MAX ? rlimit[0]! : undefined;
  const filesystemLimit = largestSeekable(fd, size);
  const limits: FileSizeLimit[] = [];
  if (filesystemLimit !== undefined) limits.push({ bytes: filesystemLimit, by: 'filesystem' });
  if (processLimit !== undefined && processLimit < size) limits.push({ bytes: processLimit, by: 'process' });
  return limits.sort((a, b) => (a.bytes < b.bytes ? -1 : a.bytes > b.bytes ? 1 : 0))[0];
}

/**
 * When lseek(2) refuses `size` as a position of `fd` (EINVAL: past the filesystem's limit), the
 * largest position it accepts; `undefined` when it accepts `size` or cannot tell (ESPIPE, ...).
 */
function largestSeekable(fd: number, size: bigint): bigint | undefined {
  const lc = libc();
  const position = lc.lseek(fd, 0n, SEEK_CUR);
  if (position < 0n) {
    const errno = lc.errno();
    // Not open at all is the caller's mistake, not a file without a limit.
    if (errno === EBADF) throw sysError('lseek', errno);
    return undefined;
  }
  try {
    // true: accepted; false: refused (past the limit); undefined: another error, so no answer.
    const fits = (offset: bigint): boolean | undefined => {
      if (lc.lseek(fd, offset, SEEK_SET) >= 0n) return true;
      return lc.errno() === EINVAL ? false : undefined;
    };
    if (size <= position || fits(size) !== false) return undefined;
    // Invariant: `low` is accepted (the current position is), `high` is refused.
    let low = position;
    let high = size;
    while (high - low > 1n) {
      const mid = low + (high - low) / 2n;
      const ok = fits(mid);
      if (ok === undefined) return undefined;
      if (ok) low = mid;
      else high = mid;
    }
    return low;
  } finally {
    lc.lseek(fd, position, SEEK_SET);
  }
}
