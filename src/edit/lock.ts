// Advisory locks among mmapx processes. Every command holds a flock(2) lock on its file from open
// to close: shared for commands that do not change bytes (info, flush, protect in every mode, and
// the scanners), exclusive for commands that do (write; patch and recover too). So two writers never
// interleave, and no reader scans a file that another mmapx is rewriting. A command that finds the
// file locked the other way polls for up to --wait seconds (DEFAULT_LOCK_WAIT), then fails with one
// line naming the holder from /proc/locks. The lock is advisory: other programs are not stopped
// (their truncations are what the SIGBUS guard and the size checks are for). Filesystems without
// flock support are used unlocked.
import { type BigIntStats, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { OperationError } from '../errors.js';
import { now } from './timing.js';
import { flockHolders, parseProcLocks } from '../format/proclocks.js';
import { type LockKind, tryLockFile } from '../mmap/sys/flock.js';
import { processCommandLine, processName } from '../mmap/sys/index.js';
import { devNumbers } from './mounts.js';

export type { LockKind };

/** Seconds a command waits for a lock held by another mmapx, unless --wait says otherwise. */
export const DEFAULT_LOCK_WAIT = 2;

/** Blocks the thread for `ms` milliseconds. */
export function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function holders(stat: BigIntStats): number[] {
  try {
    const locks = parseProcLocks(readFileSync('/proc/locks', 'latin1'));
    return flockHolders(locks, { ...devNumbers(stat.dev), inode: stat.ino }, process.pid);
  } catch {
    return [];
  }
}

/** mmapx's own processes run `mmapx`, `mmapx.js`, `mmapx-linux-x64`...: a command line word starting so. */
function isMmapx(pid: number): boolean {
  return processCommandLine(pid)?.some((arg) => basename(arg).startsWith('mmapx')) ?? false;
}

function comm(pid: number): string | undefined {
  return processName(pid);
}

/** `locked by another mmapx (pid 4242)`, `locked by another process (pid 77: flock)`. */
export function describeHolders(pids: readonly number[], mmapx: (pid: number) => boolean, name: (pid: number) => string | undefined): string {
  if (pids.length === 0) return 'locked by another process';
  const all = pids.every(mmapx);
  const list = pids.map((p) => (all || name(p) === undefined ? `${p}` : `${p}: ${name(p)}`)).join(', ');
  return `locked by another ${all ? 'mmapx' : 'process'} (pid${pids.length > 1 ? 's' : ''} ${list})`;
}

/**
 * The polling of a lock held by someone else, shared by the blocking and the async take: yields the
 * milliseconds to pause before the next try, returns once the lock is taken, and throws once the
 * wait is over.
 */
function* attempts(fd: number, stat: BigIntStats, kind: LockKind, waitSeconds: number): Generator<number, void, undefined> {
  const deadline = now() + waitSeconds * 1000;
  let pause = 5;
  for (;;) {
    if (tryLockFile(fd, kind) !== 'busy') return;
    const left = deadline - now();
    if (left <= 0) break;
    yield Math.min(pause, left);
    pause = Math.min(pause * 2, 100);
  }
  const pids = holders(stat);
  // Nobody in /proc/locks: the holder let go between the last try and the look. One more try then,
  // rather than a failure that names no one.
  if (pids.length === 0 && tryLockFile(fd, kind) !== 'busy') return;
  const who = describeHolders(pids, isMmapx, comm);
  throw new OperationError(waitSeconds > 0 ? `${who}: still locked after waiting ${waitSeconds} s (see --wait)` : who);
}

/**
 * Takes a `kind` lock on the open file `fd`, waiting up to `waitSeconds` for other holders, blocking
 * the thread while it waits (the CLI: nothing else runs). Held until the descriptor is closed.
 * @throws OperationError (exit 1) naming who holds the lock, when it is still held after the wait.
 */
export function lockFile(fd: number, stat: BigIntStats, kind: LockKind, waitSeconds = DEFAULT_LOCK_WAIT): void {
  for (const pause of attempts(fd, stat, kind, waitSeconds)) sleep(pause);
}

/**
 * {@link lockFile} for library callers: waits with timers, so the event loop keeps running, and
 * stops waiting as soon as `signal` aborts (rejecting with the signal's reason).
 */
export async function lockFileAsync(fd: number, stat: BigIntStats, kind: LockKind, waitSeconds = DEFAULT_LOCK_WAIT, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  for (const pause of attempts(fd, stat, kind, waitSeconds)) {
    await new Promise<void>((done, fail) => {
      const stop = () => {
        clearTimeout(timer);
        fail(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', stop);
        done();
      }, pause);
      signal?.addEventListener('abort', stop, { once: true });
    });
  }
}
