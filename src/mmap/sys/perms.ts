// What the system says a range of this process's memory is: its permissions in /proc/self/maps's
// notation (`r--s`: read, no write, no execute, shared), read from /proc/self/maps on Linux and
// from VirtualQuery on Windows. For `protect`, which checks the mapping it made with the system
// rather than trusting its own bookkeeping.
import { readFileSync } from 'node:fs';
import {
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  WINDOWS,
  win32,
} from './win32.js';

/** The permissions of an address range, and where they were read. */
export interface RangePermissions {
  /** `r--s`, `rw-s`, `r-xs`, `---s` (`p` instead of `s` for a private mapping). */
  perms: string;
  /** Where the answer came from, for people: `/proc/self/maps` or `VirtualQuery`. */
  source: string;
}

// <winnt.h>: MEM_MAPPED (a view of a section), page protections.
const MEM_MAPPED = 0x40000;
const PERMS: ReadonlyMap<number, string> = new Map([
  [PAGE_NOACCESS, '---'],
  [PAGE_READONLY, 'r--'],
  [PAGE_READWRITE, 'rw-'],
  [PAGE_WRITECOPY, 'rw-'],
  [PAGE_EXECUTE_READ, 'r-x'],
  [PAGE_EXECUTE_READWRITE, 'rwx'],
  [PAGE_EXECUTE_WRITECOPY, 'rwx'],
]);
/** Protections that are copy-on-write: the view is private. */
const COPY = [PAGE_WRITECOPY, PAGE_EXECUTE_WRITECOPY];

/**
 * The permissions the system shows for exactly [start, end) as one mapping (one line of
 * /proc/self/maps, one region of VirtualQuery with the same protection throughout), or
 * undefined when it shows no such mapping.
 */
export function rangePermissions(start: bigint, end: bigint): RangePermissions | undefined {
  if (WINDOWS) {
    // MEMORY_BASIC_INFORMATION (48 bytes): BaseAddress 0, RegionSize 24, State 32, Protect 36, Type 40.
    const mbi = new Uint8Array(48);
    if (win32().VirtualQuery(start, mbi, mbi.length) === 0) return undefined;
    const dv = new DataView(mbi.buffer);
    const base = dv.getBigUint64(0, true);
    const size = dv.getBigUint64(24, true);
    const protect = dv.getUint32(36, true) & 0xff;
    const perms = PERMS.get(protect);
    if (base !== start || size < end - start || perms === undefined) return undefined;
    const shared = dv.getUint32(40, true) === MEM_MAPPED && !COPY.includes(protect);
    return { perms: `${perms}${shared ? 's' : 'p'}`, source: 'VirtualQuery' };
  }
  const prefix = `${start.toString(16)}-${end.toString(16)} `;
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'latin1');
  } catch {
    return undefined;
  }
  const line = maps.split('\n').find((l) => l.startsWith(prefix));
  const perms = line?.split(' ')[1];
  return perms === undefined ? undefined : { perms, source: '/proc/self/maps' };
}
