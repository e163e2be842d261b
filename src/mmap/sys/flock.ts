// Advisory whole-file locks with flock(2). A lock belongs to the open file description: it is
// released when the last descriptor of it is closed, and two opens of the same file (even in one
// process) contend. Only cooperating programs see it; it does not stop anyone from writing.
//
// Windows has no advisory locks: its byte-range locks (LockFileEx) are mandatory, and a lock on
// the file's data would stop other programs from reading it. So, as SQLite does, the lock is taken
// on one byte far past the end of any file (LOCK_OFFSET): only programs that lock the same byte
// contend, and the data stays readable and writable by everyone. Like flock's, the lock belongs to
// the open file (the HANDLE) and goes away when it is closed.
import { choiceArg, fdArg } from '../args.js';
import { sysError } from '../errors.js';
import { constants, libc } from './libc.js';
import { LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY, WINDOWS, fileHandle, lastError, win32, win32Error } from './win32.js';

/** The byte Windows locks stand on: 2^62, past the end of any file NTFS can hold (2^44 bytes). */
const LOCK_OFFSET = 1n << 62n;

/** An OVERLAPPED naming the lock byte's offset (32 bytes: Offset at 16, OffsetHigh at 20). */
function lockOverlapped(): Uint8Array {
  const o = new Uint8Array(32);
  const dv = new DataView(o.buffer);
  dv.setUint32(16, Number(LOCK_OFFSET & 0xffff_ffffn), true);
  dv.setUint32(20, Number(LOCK_OFFSET >> 32n), true);
  return o;
}

/** ERROR_LOCK_VIOLATION (33) and ERROR_IO_PENDING (997): someone else holds it. */
const BUSY = [33, 997];
/** ERROR_NOT_LOCKED (158; Wine says ERROR_LOCK_VIOLATION, 33): nothing to unlock. */
const NOT_LOCKED = [158, 33];

/**
 * LockFileEx: shared or exclusive, never waiting. Windows locks do not convert: the one this handle
 * holds is given up first (flock's conversion is not atomic either).
 */
function tryLockWin32(fd: number, kind: LockKind): LockResult {
  const w = win32();
  const h = fileHandle(fd);
  w.UnlockFileEx(h, 0, 1, 0, lockOverlapped());
  const flags = LOCKFILE_FAIL_IMMEDIATELY | (kind === 'exclusive' ? LOCKFILE_EXCLUSIVE_LOCK : 0);
  if (w.LockFileEx(h, flags, 0, 1, 0, lockOverlapped()) !== 0) return 'locked';
  const err = lastError();
  if (BUSY.includes(err)) return 'busy';
  // ERROR_NOT_SUPPORTED (50), ERROR_INVALID_FUNCTION (1): a filesystem without locks.
  if (err === 50 || err === 1) return 'unsupported';
  throw win32Error('LockFileEx', err);
}

/** Shared: many holders (readers). Exclusive: one holder (writers). */
export type LockKind = 'shared' | 'exclusive';

/** `locked`: taken. `busy`: held by someone else. `unsupported`: the filesystem has no such locks. */
export type LockResult = 'locked' | 'busy' | 'unsupported';

/**
 * Tries once to take (or convert to) a lock of `kind` on `fd`, without waiting.
 * @throws MmapError for failures other than contention and filesystems without locks.
 */
export function tryLockFile(fd: number, kind: LockKind): LockResult {
  fdArg(fd);
  choiceArg(kind, 'kind', ['shared', 'exclusive'] as const);
  if (WINDOWS) return tryLockWin32(fd, kind);
  const c = constants();
  const lc = libc();
  if (lc.flock(fd, (kind === 'shared' ? c.LOCK_SH : c.LOCK_EX) | c.LOCK_NB) === 0) return 'locked';
  const err = sysError('flock', lc.errno());
  if (err.code === 'EWOULDBLOCK' || err.code === 'EAGAIN') return 'busy';
  // Some filesystems (and FUSE servers) do not implement flock.
  if (err.code === 'ENOLCK' || err.code === 'EOPNOTSUPP' || err.code === 'ENOTSUP' || err.code === 'EINVAL') return 'unsupported';
  throw err;
}

/** Releases a lock taken with {@link tryLockFile} (closing the descriptor does it too). */
export function unlockFile(fd: number): void {
  fdArg(fd);
  if (WINDOWS) {
    if (win32().UnlockFileEx(fileHandle(fd), 0, 1, 0, lockOverlapped()) === 0) {
      const err = lastError();
      if (!NOT_LOCKED.includes(err)) throw win32Error('UnlockFileEx', err);
    }
    return;
  }
  const lc = libc();
  if (lc.flock(fd, constants().LOCK_UN) !== 0) throw sysError('flock', lc.errno());
}
