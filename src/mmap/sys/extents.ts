// Shifting a file's tail by moving extents instead of bytes: fallocate(2) with
// FALLOC_FL_COLLAPSE_RANGE (remove [offset, offset + length) and pull the rest down) or
// FALLOC_FL_INSERT_RANGE (open a hole of `length` zeros at `offset`, pushing the rest up). Linux,
// on filesystems that support them (ext4, xfs, f2fs...), and only for an offset and length that
// are multiples of the filesystem's block size; the size changes with the shift, in one call.
import { constants, libc } from './libc.js';
import { WINDOWS } from './win32.js';

const FALLOC_FL_COLLAPSE_RANGE = 0x08;
const FALLOC_FL_INSERT_RANGE = 0x20;

/**
 * Moves the tail of the file open on `fd` by whole extents: `collapse` deletes [offset, offset +
 * length), `insert` inserts `length` zero bytes at `offset`. Returns 0 when done, otherwise the
 * errno (the file is unchanged then): EOPNOTSUPP (the filesystem cannot), EINVAL (not aligned to
 * its blocks, or a range it refuses), ENOSYS (no such call), 0x10000 where the platform has no
 * fallocate at all; the caller moves bytes instead.
 */
export function shiftExtents(fd: number, mode: 'collapse' | 'insert', offset: bigint, length: bigint): number {
  if (WINDOWS || constants().os !== 'linux') return 0x10000;
  const lc = libc();
  const r = lc.fallocate(fd, mode === 'collapse' ? FALLOC_FL_COLLAPSE_RANGE : FALLOC_FL_INSERT_RANGE, offset, length);
  if (r === 0) return 0;
  return lc.errno() || 0x10000;
}
