// Where the next data of a file is: lseek(2) with SEEK_DATA, so that a scan comparing two sparse
// files can step over the holes they share (both read as zeros there) instead of faulting in and
// comparing pages of zeros. Filesystems without hole tracking answer "data" everywhere (Linux's
// generic SEEK_DATA), which only costs the scan its shortcut.
import { constants, libc } from './libc.js';

const SEEK_SET = 0;
const SEEK_CUR = 1;
/** ENXIO: no data at or after the offset (a hole up to the end, or the offset is past the end). */
const ENXIO = 6;

/**
 * The offset of the first byte at or after `offset` that is not in a hole; `'end'` when there is
 * none (the file is a hole from `offset` to its end); `undefined` when the system cannot tell
 * (no SEEK_DATA, or another error): then every byte counts as data. The descriptor's position is
 * left as it was.
 */
export function nextData(fd: number, offset: bigint): bigint | 'end' | undefined {
  try {
    const lc = libc();
    const seekData = constants().os === 'darwin' ? 4 : 3;
    const position = lc.lseek(fd, 0n, SEEK_CUR);
    if (position < 0n) return undefined;
    try {
      const at = lc.lseek(fd, offset, seekData);
      if (at >= 0n) return at;
      return lc.errno() === ENXIO ? 'end' : undefined;
    } finally {
      lc.lseek(fd, position, SEEK_SET);
    }
  } catch {
    return undefined;
  }
}
