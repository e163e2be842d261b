// Advisory whole-file locks with flock(2). A lock belongs to the open file description: it is
// released when the last descriptor of it is closed, and two opens of the same file (even in one
// process) contend. Only cooperating programs see it; it does not stop anyone from writing.
import { choiceArg, fdArg } from '../args.js';
import { sysError } from '../errors.js';
import { constants, libc } from './libc.js';

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
  const lc = libc();
  if (lc.flock(fd, constants().LOCK_UN) !== 0) throw sysError('flock', lc.errno());
}
