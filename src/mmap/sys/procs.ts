// What another process runs, for messages and for telling whether a journal's writer is still at
// work: /proc/PID/cmdline and /proc/PID/comm on Linux. Windows has no /proc (and under Wine the
// /proc that a Windows process can read is the Linux host's, whose pids are not Windows pids):
// there the answer is "cannot tell".
import { readFileSync } from 'node:fs';
import { WINDOWS, underWine } from './win32.js';

/**
 * The words of process `pid`'s command line: null when they cannot be read (the process is gone,
 * or hidden), undefined where the system does not tell (Windows).
 */
export function processCommandLine(pid: number): string[] | null | undefined {
  if (WINDOWS) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
  } catch {
    return null;
  }
}

/** The short name of process `pid` (/proc/PID/comm), or undefined when it cannot be read or the system does not tell. */
export function processName(pid: number): string | undefined {
  if (WINDOWS) return undefined;
  try {
    return readFileSync(`/proc/${pid}/comm`, 'latin1').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether files' birth times can be trusted to stay what they were at creation. Wine reports the
 * time of the last change as a file's creation time (on Linux filesystems), so there they cannot.
 */
export function birthTimesKept(): boolean {
  return !(WINDOWS && underWine());
}
