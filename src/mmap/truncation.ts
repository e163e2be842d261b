// One error for "the file is shorter than the mapping": a fault the SIGBUS guard absorbed (see
// sys/sigbus.ts), or a size check that found the file shrunk before the next window was mapped.
import { fstatSync, statfsSync } from 'node:fs';
import { MmapError } from './errors.js';

/** What the mapping was for, in the message: "while being read" / "while being written". */
export type Access = 'read' | 'written';

function sizeNow(fd: number): bigint | undefined {
  if (fd < 0) return undefined;
  try {
    return fstatSync(fd, { bigint: true }).size;
  } catch {
    return undefined;
  }
}

const hex = (n: bigint): string => `0x${n.toString(16)}`;
const pages = (n: number): string => `${n} page${n === 1 ? '' : 's'}`;

/**
 * Whether the filesystem of the file (open on `fd`, else at `path`) has less than a page free for
 * this process (root may use the blocks reserved for it): a page of a sparse file written through a
 * map then has no block to go to, and the kernel raises SIGBUS as it does past the end of a file.
 * Undefined when it cannot be told.
 */
function filesystemFull(fd: number, path: string | undefined): boolean | undefined {
  const at = fd >= 0 ? `/proc/self/fd/${fd}` : path;
  if (at === undefined) return undefined;
  try {
    const st = statfsSync(at);
    const free = process.getuid?.() === 0 ? st.bfree : st.bavail;
    return free * st.bsize < 4096;
  } catch {
    return undefined;
  }
}

/**
 * ERR_TRUNCATED for an access at file offset `offset` that raised SIGBUS (absorbed by the guard: the
 * page read as zeros). The message names the offset and the file's size now. ENOSPC when the page
 * lies inside the file and its filesystem is full (a page of a sparse file that found no free block
 * faults the same way), naming the `count` of pages lost.
 */
export function faultError(fd: number, path: string | undefined, offset: bigint, access: Access, count = 1): MmapError {
  const size = sizeNow(fd);
  const details = { path, offset };
  if ((size === undefined || size > offset) && filesystemFull(fd, path)) {
    return new MmapError(
      'ENOSPC',
      access === 'written'
        ? `no space left on the filesystem for the pages written from offset ${hex(offset)} (${pages(count)}, SIGBUS): what was written to them was lost`
        : `no space left on the filesystem for the pages read from offset ${hex(offset)} (${pages(count)}, SIGBUS): they read as zeros`,
      details,
    );
  }
  if (size === undefined) {
    return new MmapError(
      'ERR_TRUNCATED',
      `the file shrank (or its filesystem was full) while being ${access} (fault at offset ${hex(offset)}, ${pages(count)})`,
      details,
    );
  }
  if (size <= offset) {
    return new MmapError('ERR_TRUNCATED', `the file shrank to ${size} bytes while being ${access} (fault at offset ${hex(offset)})`, details);
  }
  // The page is inside the file again: it was truncated and grown back, or the read failed (I/O error).
  return new MmapError(
    'ERR_TRUNCATED',
    `the page at offset ${hex(offset)} vanished while being ${access} (SIGBUS: the filesystem was full, the file was truncated and grown again, or an I/O error; it has ${size} bytes now)`,
    details,
  );
}

/**
 * ERR_TRUNCATED for a scan that finds the file shorter than the range it covers: before the window
 * at `at` (`next`), or after the last one, which ended at `at` (`end`): bytes between the new end and
 * the end of its page read as zeros without any fault, so only the size can tell.
 */
export function shrankError(path: string | undefined, size: bigint, at: bigint, where: 'next' | 'end' = 'next'): MmapError {
  const tail = where === 'next' ? `next offset ${hex(at)}` : `the scan ended at ${hex(at)}`;
  return new MmapError('ERR_TRUNCATED', `the file shrank to ${size} bytes while being read (${tail})`, { path, offset: at });
}

/** ERR_TRUNCATED for a write whose bytes the file no longer reaches: it ends at `end`, the file at `size`. */
export function shrankWhileWriting(path: string | undefined, size: bigint, end: bigint): MmapError {
  return new MmapError('ERR_TRUNCATED', `the file shrank to ${size} bytes while being written (the write ends at ${hex(end)})`, { path, offset: end });
}

/**
 * ERR_TRUNCATED for a file found at `size` bytes, shorter than the `opened` bytes an operation
 * started from: whatever it read past the new end read as zeros (or its range is gone).
 */
export function shrankSinceOpenError(path: string | undefined, size: bigint, opened: bigint, access: Access): MmapError {
  return new MmapError('ERR_TRUNCATED', `the file shrank to ${size} bytes while being ${access} (it had ${opened} when opened)`, { path });
}

/**
 * ERR_TRUNCATED for a flush of a map whose file shrank under it: an access faulted at file offset
 * `offset` (`fault`, `count` pages in all), so what was written to the pages past the new end went
 * to throw-away pages; or the flushed range ends at `offset` past the file's end (`end`), so the
 * page cache holds nothing of its bytes past that end to write back. Either way they are lost, and
 * the flush says so. ENOSPC instead when the faulting pages lie inside the file and its filesystem
 * is full: pages of a sparse file that found no free block fault the same way.
 */
export function lostWriteError(what: string, fd: number, path: string | undefined, offset: bigint, kind: 'fault' | 'end', count = 1): MmapError {
  const size = sizeNow(fd);
  if (kind === 'fault' && (size === undefined || size > offset) && filesystemFull(fd, path)) {
    return new MmapError(
      'ENOSPC',
      `${what}: no space left on the filesystem for ${pages(count)} of the map from offset ${hex(offset)}: what was written to them was lost, not flushed`,
      { path, offset },
    );
  }
  const shrank =
    size === undefined
      ? 'the file shrank or its filesystem ran out of space'
      : size <= offset
        ? `the file shrank to ${size} bytes`
        : `the file was cut or its filesystem ran out of space (it has ${size} bytes now)`;
  const where = kind === 'fault' ? `fault at offset ${hex(offset)}, ${pages(count)}` : `the flushed range ends at ${hex(offset)}`;
  return new MmapError('ERR_TRUNCATED', `${what}: ${shrank} under the map (${where}): bytes written past its end were lost, not flushed`, {
    path,
    offset: kind === 'fault' || size === undefined ? offset : size,
  });
}
