// Shifting a file's tail by moving extents instead of bytes: fallocate(2) with
// FALLOC_FL_COLLAPSE_RANGE (remove [offset, offset + length) and pull the rest down) or
// FALLOC_FL_INSERT_RANGE (open a hole of `length` zeros at `offset`, pushing the rest up). Linux,
// on filesystems that support them (ext4, xfs, f2fs...), and only for an offset and length that
// are multiples of the filesystem's block size; the size changes with the shift, in one call.
// And reserving the blocks of a range before writing it (fallocate mode 0, or
// FALLOC_FL_KEEP_SIZE past the end), so that a full filesystem says so before anything changes.
import { constants, libc } from './libc.js';
import { WINDOWS } from './win32.js';

const FALLOC_FL_COLLAPSE_RANGE = 0x08;
const FALLOC_FL_INSERT_RANGE = 0x20;
const FALLOC_FL_KEEP_SIZE = 0x01;

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

/** errnos of fallocate(2) that mean "no room" (Linux numbers): ENOSPC, EDQUOT. */
const NO_ROOM = new Set([28, 122]);

/**
 * Reserves blocks for [offset, offset + length) of the file open on `fd`, so that writing there
 * later cannot fail for want of space: fallocate(2) mode 0 (the file grows to cover the range), or
 * with `keepSize` FALLOC_FL_KEEP_SIZE (holes inside the file get blocks that read as zeros, blocks
 * past the end are kept there: the bytes and the size do not change). `no room`: ENOSPC or EDQUOT
 * (with `keepSize` the bytes and size are still unchanged); `unsupported`: the filesystem cannot,
 * or any other answer, or a platform without fallocate (Windows allocates a file's blocks when it
 * grows): the caller writes without a reservation.
 */
export function reserveSpace(fd: number, offset: bigint, length: bigint, keepSize: boolean): 'reserved' | 'no room' | 'unsupported' {
  if (length <= 0n) return 'reserved';
  if (WINDOWS || constants().os !== 'linux') return 'unsupported';
  const lc = libc();
  if (lc.fallocate(fd, keepSize ? FALLOC_FL_KEEP_SIZE : 0, offset, length) === 0) return 'reserved';
  return NO_ROOM.has(lc.errno()) ? 'no room' : 'unsupported';
}
