// Reading a descriptor the way a filter does (standard input): where its position is, and a wait
// for data that works whatever the descriptor's flags. A pipe or socket on fd 0 may be
// non-blocking (libuv sets O_NONBLOCK on the shared file description when process.stdin is
// touched, and a parent may leave it so): read(2) then fails with EAGAIN while the producer is
// slow, and poll(2) is the wait that neither spins nor sleeps past the data.
import { fdArg } from '../args.js';
import { libc } from './libc.js';
import { pollOne } from './pipe.js';
import { WINDOWS, fileHandle } from './win32.js';

/** Same values on Linux and macOS. */
const SEEK_CUR = 1;
const POLLIN = 0x1;

/**
 * The position of `fd` (lseek(fd, 0, SEEK_CUR)), or undefined when it has none (a pipe, a socket,
 * a terminal: ESPIPE).
 */
export function descriptorPosition(fd: number): bigint | undefined {
  fdArg(fd);
  // Node.js on Windows keeps no position libuv would tell; reads at explicit positions do without.
  if (WINDOWS) {
    fileHandle(fd);
    return undefined;
  }
  const at = libc().lseek(fd, 0n, SEEK_CUR);
  return at < 0n ? undefined : at;
}

/**
 * Blocks the thread until `fd` has data to read, has reached its end, or failed (poll(2) for
 * POLLIN; any of those wakes it: the read that follows tells which). Interrupted calls are
 * retried.
 * @throws MmapError naming poll for its own failures (EBADF, ENOMEM).
 */
export function waitReadable(fd: number): void {
  pollOne(fd, POLLIN);
}
