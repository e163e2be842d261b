// Making the names in a directory durable (after a file was created, renamed or removed in it).
// POSIX does it with fsync(2) of the directory, which the engine does through node:fs. Windows has
// no such fsync, and Node.js cannot open a directory there: FlushFileBuffers of a directory handle
// is its form, done here.
import { WINDOWS, flushDirectoryWin32, lastError, win32, win32Error } from './win32.js';
import type { MmapError } from '../errors.js';

/**
 * Where the platform syncs directories its own way (Windows), does it: 'done' or 'unsupported' (the
 * filesystem or the access refuses: nothing more can be done, as with EINVAL from fsync), or the
 * error. `undefined` elsewhere: the caller fsyncs the directory.
 */
export function syncDirectoryNative(dir: string): 'done' | 'unsupported' | MmapError | undefined {
  if (!WINDOWS) return undefined;
  const err = flushDirectoryWin32(dir);
  if (err === 0) return 'done';
  // ERROR_INVALID_FUNCTION (1), ERROR_ACCESS_DENIED (5), ERROR_NOT_SUPPORTED (50), ERROR_INVALID_PARAMETER (87).
  if ([1, 5, 50, 87].includes(err)) return 'unsupported';
  return win32Error('FlushFileBuffers', err, { path: dir });
}

/**
 * Where the platform makes a rename durable its own way (Windows: MoveFileExW with
 * MOVEFILE_WRITE_THROUGH, which returns once the move is on the disk, and MOVEFILE_REPLACE_EXISTING),
 * renames `from` over `to`: 'done' or the error. `undefined` elsewhere: the caller renames and
 * fsyncs the directory.
 */
export function renameDurablyNative(from: string, to: string): 'done' | MmapError | undefined {
  if (!WINDOWS) return undefined;
  if (win32().MoveFileExW(from, to, 0x1 | 0x8) !== 0) return 'done';
  return win32Error('MoveFileExW', lastError(), { path: to });
}
