// File write leases (Linux, fcntl F_SETLEASE). While a process holds a write lease on a file, an
// open(2) of that file by another process (and truncate(2) by its name, which opens it) breaks the
// lease and waits until the holder gives it up, or /proc/sys/fs/lease-break-time seconds at most.
// The kernel grants one only when no other descriptor of the file is open anywhere: nobody then
// holds the file open to cut it with ftruncate(2), to write it, or to have it mapped. Once granted,
// the file keeps its size until the lease is given up or its break times out.
//
// The break is announced with a signal, SIGIO unless F_SETSIG names another: SIGIO's default action
// ends the process, so the lease is taken with SIGURG, whose default action is to ignore it. Only
// the lease's state is read (F_GETLEASE: F_WRLCK while held, F_UNLCK once a break has begun).
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fdArg } from '../args.js';
import { constants, libc } from './libc.js';
import { WINDOWS } from './win32.js';

/** Seconds a lease break waits for the holder: /proc/sys/fs/lease-break-time; undefined where unreadable. */
export function leaseBreakSeconds(): number | undefined {
  try {
    const n = Number(readFileSync('/proc/sys/fs/lease-break-time', 'latin1').trim());
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Tries to take a write lease on the regular file open for writing at `fd`, without waiting.
 * False where the platform has no leases, and whenever the kernel refuses one (another descriptor
 * of the file is open, in this process or another; a filesystem without leases; leases disabled;
 * no permission): the caller then goes without.
 */
export function takeWriteLease(fd: number): boolean {
  fdArg(fd);
  // No leases on Windows; nobody can shrink a file there while it is mapped anyway.
  if (WINDOWS) return false;
  const c = constants();
  const urg = osConstants.signals.SIGURG;
  if (c.F_SETLEASE === undefined || c.F_SETSIG === undefined || c.F_WRLCK === undefined || urg === undefined) return false;
  const lc = libc();
  // The break's signal first: a break may begin the moment the lease is granted.
  if (lc.fcntlInt(fd, c.F_SETSIG, urg) !== 0) return false;
  if (lc.fcntlInt(fd, c.F_SETLEASE, c.F_WRLCK) === 0) return true;
  lc.fcntlInt(fd, c.F_SETSIG, 0);
  return false;
}

/** Whether the write lease on `fd` is still held whole: false once another process's open has begun to break it. */
export function holdsWriteLease(fd: number): boolean {
  fdArg(fd);
  if (WINDOWS) return false;
  const c = constants();
  if (c.F_GETLEASE === undefined) return false;
  return libc().fcntlInt(fd, c.F_GETLEASE, 0) === c.F_WRLCK;
}

/** Gives up the lease on `fd` (a waiting open goes on), and the break signal with it. Never throws. */
export function dropLease(fd: number): void {
  if (WINDOWS) return;
  const c = constants();
  if (c.F_SETLEASE === undefined || c.F_UNLCK === undefined || c.F_SETSIG === undefined) return;
  const lc = libc();
  lc.fcntlInt(fd, c.F_SETLEASE, c.F_UNLCK);
  lc.fcntlInt(fd, c.F_SETSIG, 0);
}
