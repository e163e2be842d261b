// Writing to a pipe the way a filter does (standard output): a wait for room that works whatever the
// descriptor's flags, and a larger pipe for large output. A pipe on fd 1 may be non-blocking
// (libuv sets O_NONBLOCK on the shared file description when process.stdout is touched, and a
// parent may leave it so): write(2) then fails with EAGAIN while the reader is behind, and poll(2)
// is the wait that neither spins nor sleeps past the moment the reader made room. A pipe holds
// 64 KiB by default on Linux: a writer of megabytes then stops and wakes its reader every 64 KiB.
// F_SETPIPE_SZ grows it (up to /proc/sys/fs/pipe-max-size, 1 MiB by default, for an unprivileged
// process), so that one large write goes through in one piece.
import { fdArg } from '../args.js';
import { sysError } from '../errors.js';
import { constants, libc } from './libc.js';
import { WINDOWS } from './win32.js';

/** Same values on Linux and macOS. */
const POLLOUT = 0x4;
const EINTR = 4;

/**
 * Blocks the thread until `fd` can take more bytes, or failed (poll(2) for POLLOUT; POLLERR and
 * POLLHUP wake it too: the write that follows tells which). Interrupted calls are retried.
 * @throws MmapError naming poll for its own failures (EBADF, ENOMEM).
 */
export function waitWritable(fd: number): void {
  pollOne(fd, POLLOUT);
}

/**
 * Blocks the thread until poll(2) reports any of `events` (or an error or hang-up) on `fd`;
 * interrupted calls are retried. On Windows, which has no poll(2) on a pipe's descriptor, a short
 * pause (the caller retries its read or write). Exported for input.ts.
 * @throws MmapError naming poll for its own failures (EBADF, ENOMEM).
 */
export function pollOne(fd: number, events: number): void {
  fdArg(fd);
  if (WINDOWS) {
    pause();
    return;
  }
  const lc = libc();
  // struct pollfd: int fd; short events; short revents (8 bytes, native byte order).
  const pfd = new Uint8Array(8);
  new Int32Array(pfd.buffer, 0, 1)[0] = fd;
  new Int16Array(pfd.buffer, 4, 2)[0] = events;
  for (;;) {
    if (lc.poll(pfd, 1, -1) >= 0) return;
    const errno = lc.errno();
    if (errno !== EINTR) throw sysError('poll', errno);
  }
}

/**
 * The capacity in bytes of the pipe open on `fd` (F_GETPIPE_SZ), or undefined when `fd` is no pipe
 * or the platform cannot tell.
 */
export function pipeCapacity(fd: number): number | undefined {
  fdArg(fd);
  if (WINDOWS) return undefined;
  const get = constants().F_GETPIPE_SZ;
  if (get === undefined) return undefined;
  const n = libc().fcntlInt(fd, get, 0);
  return n > 0 ? n : undefined;
}

/**
 * Grows the pipe open on `fd` to hold at least `bytes` (F_SETPIPE_SZ; the kernel rounds up to a
 * power of two pages), never shrinks it, and returns its capacity afterwards; undefined when `fd`
 * is no pipe or the platform has no such call. A refusal (EPERM past the system's limit for an
 * unprivileged process, or past the user's quota of pipe pages) leaves the pipe as it was: its
 * capacity is returned.
 */
export function growPipe(fd: number, bytes: number): number | undefined {
  const now = pipeCapacity(fd);
  if (now === undefined) return undefined;
  const set = constants().F_SETPIPE_SZ;
  if (set === undefined || now >= bytes) return now;
  const n = libc().fcntlInt(fd, set, bytes);
  return n > 0 ? n : now;
}

/** Windows has no poll(2) on a pipe's descriptor: a short sleep stands for the wait. */
function pause(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
}
