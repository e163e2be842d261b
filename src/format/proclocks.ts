// /proc/locks, parsed (proc(5)): who holds a lock on which file. Pure.
//
//   1: FLOCK  ADVISORY  WRITE 4242 fe:00:2146375 0 EOF
//   2: -> FLOCK  ADVISORY  WRITE 4243 fe:00:2146375 0 EOF      (a waiter, blocked on lock 2)
//   3: POSIX  ADVISORY  READ 4244 00:1a:77 0 EOF
// The device is major:minor in hex, the inode in decimal; OFD locks show pid -1.

export interface ProcLock {
  /** FLOCK, POSIX, OFDLCK, LEASE, DELEG. */
  type: string;
  /** READ, WRITE (or UNLCK/NONE for leases being broken). */
  access: string;
  pid: number;
  major: number;
  minor: number;
  inode: bigint;
  /** A process waiting for the lock, not holding it. */
  waiting: boolean;
}

export function parseProcLocks(text: string): ProcLock[] {
  const out: ProcLock[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 2 || !/^\d+:$/.test(f[0] as string)) continue;
    const waiting = f[1] === '->';
    const rest = waiting ? f.slice(2) : f.slice(1);
    // type, mode, access, pid, dev:ino, start, end
    if (rest.length < 5) continue;
    const [type, , access, pidText, id] = rest as [string, string, string, string, string];
    const m = /^([0-9a-f]+):([0-9a-f]+):(\d+)$/i.exec(id);
    const pid = Number(pidText);
    if (!m || !Number.isInteger(pid)) continue;
    out.push({ type, access, pid, major: parseInt(m[1] as string, 16), minor: parseInt(m[2] as string, 16), inode: BigInt(m[3] as string), waiting });
  }
  return out;
}

/**
 * Processes that hold a flock(2) lock on the file (device major:minor, inode), without waiters and
 * without `exclude`. Overlay filesystems may report another device than stat(2) does: if nothing
 * matches device and inode, holders of the same inode on any device are taken instead.
 */
export function flockHolders(locks: readonly ProcLock[], file: { major: number; minor: number; inode: bigint }, exclude?: number): number[] {
  const held = locks.filter((l) => l.type === 'FLOCK' && !l.waiting && l.pid > 0 && l.pid !== exclude && l.inode === file.inode);
  const exact = held.filter((l) => l.major === file.major && l.minor === file.minor);
  return [...new Set((exact.length > 0 ? exact : held).map((l) => l.pid))];
}
