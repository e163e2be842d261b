// libc through koffi: one typed table, bound lazily on first use. Every function returns the raw
// C result; callers check it against the call's own failure value and only then read `errno()`.
import { MmapError } from '../errors.js';
import { type PlatformConstants, platformConstants } from './constants.js';
import { koffi } from './koffi.js';
import { WINDOWS, windowsMemoryInfo } from './win32.js';

/** A raw address. Only code under sys/ ever holds one. */
export type Address = bigint;

/** The C functions mmapx uses, with the JS types koffi converts to and from. */
export interface Libc {
  mmap(addr: Address | null, len: number, prot: number, flags: number, fd: number, off: bigint): Address;
  munmap(addr: Address, len: number): number;
  mprotect(addr: Address, len: number, prot: number): number;
  msync(addr: Address, len: number, flags: number): number;
  madvise(addr: Address, len: number, advice: number): number;
  mlock(addr: Address, len: number): number;
  munlock(addr: Address, len: number): number;
  /** `vec` receives one byte per page; bit 0 set = resident. */
  mincore(addr: Address, len: number, vec: Uint8Array): number;
  /** Linux only. */
  mremap(old: Address, oldLen: number, newLen: number, flags: number, newAddr: Address | null): Address;
  /** Linux only. */
  sync_file_range(fd: number, off: bigint, nbytes: bigint, flags: number): number;
  getpagesize(): number;
  /** fcntl with an int argument (F_GETFL, F_DUPFD_CLOEXEC). */
  fcntlInt(fd: number, cmd: number, arg: number): number;
  close(fd: number): number;
  /** flock(2): advisory whole-file lock of an open file description (LOCK_SH / LOCK_EX, | LOCK_NB). */
  flock(fd: number, op: number): number;
  /** sigaction(2) with the C library's struct sigaction as raw bytes (see sigbus-x64.ts for its layout). */
  sigaction(sig: number, act: Uint8Array | null, old: Uint8Array | null): number;
  /** cachestat(2) through syscall(2): range = [off, len], out = 5 counters. Linux >= 6.5. */
  cachestat(nr: number, fd: number, range: BigUint64Array, out: BigUint64Array): number;
  /** ioctl(2) whose argument is a pointer to 16-bit words (TIOCGWINSZ: struct winsize). */
  ioctlWords(fd: number, request: number, out: Uint16Array): number;
  /** lseek(2) (off_t is 64-bit on every supported platform): the new position, or -1. */
  lseek(fd: number, off: bigint, whence: number): bigint;
  /** fallocate(2), Linux only (elsewhere it fails with errno 0): 0 or -1. */
  fallocate(fd: number, mode: number, off: bigint, len: bigint): number;
  /** getrlimit(2) with struct rlimit as two 64-bit words: [current, maximum]. */
  getrlimit(resource: number, out: BigUint64Array): number;
  /** poll(2) on one struct pollfd held in 8 bytes (int fd; short events; short revents). */
  poll(fds: Uint8Array, nfds: number, timeout: number): number;
  /** errno of the last failed call on this thread. */
  errno(): number;
  /** A zero-copy ArrayBuffer over `len` bytes at `addr`. */
  view(addr: Address, len: number): ArrayBuffer;
}

/** mmap's failure value, `(void *)-1`. koffi returns pointers as BigInt, so it is not null. */
export const MAP_FAILED: Address = 0xffff_ffff_ffff_ffffn;

let bound: { libc: Libc; constants: PlatformConstants } | undefined;

/** The platform's constants, or an ERR_UNSUPPORTED_PLATFORM error. Does not load koffi. */
export function constants(): PlatformConstants {
  const found = platformConstants(process.platform, process.arch);
  if ('unsupported' in found) throw new MmapError('ERR_UNSUPPORTED_PLATFORM', found.unsupported);
  return found.constants;
}

/** Binds libc on first use. */
export function libc(): Libc {
  if (bound) return bound.libc;
  const c = constants();
  const k = koffi();
  let lib: ReturnType<typeof k.load> | undefined;
  const tried: string[] = [];
  for (const name of c.libc) {
    try {
      lib = k.load(name);
      break;
    } catch (err) {
      tried.push(`${name}: ${(err as Error).message}`);
    }
  }
  if (!lib) throw new MmapError('ERR_UNSUPPORTED_PLATFORM', `cannot load the C library (${tried.join('; ')})`);
  const fn = lib.func.bind(lib);
  const syscall = fn('long syscall(long nr, ...)');
  const fcntl = fn('int fcntl(int fd, int cmd, ...)');
  const ioctl = fn('int ioctl(int fd, unsigned long request, ...)');
  const table: Libc = {
    mmap: fn('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)'),
    munmap: fn('int munmap(void *addr, size_t len)'),
    mprotect: fn('int mprotect(void *addr, size_t len, int prot)'),
    msync: fn('int msync(void *addr, size_t len, int flags)'),
    madvise: fn('int madvise(void *addr, size_t len, int advice)'),
    mlock: fn('int mlock(void *addr, size_t len)'),
    munlock: fn('int munlock(void *addr, size_t len)'),
    mincore: fn('int mincore(void *addr, size_t len, uint8_t *vec)'),
    mremap: c.os === 'linux' ? fn('void *mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)') : () => MAP_FAILED,
    sync_file_range: c.os === 'linux' ? fn('int sync_file_range(int fd, int64_t off, int64_t nbytes, unsigned int flags)') : () => -1,
    getpagesize: fn('int getpagesize(void)'),
    fcntlInt: (fd, cmd, arg) => fcntl(fd, cmd, 'int', arg) as number,
    close: fn('int close(int fd)'),
    flock: fn('int flock(int fd, int op)'),
    sigaction: fn('int sigaction(int sig, const void *act, void *old)'),
    cachestat: (nr, fd, range, out) => Number(syscall(nr, 'int', fd, 'uint64_t *', range, 'uint64_t *', out, 'unsigned int', 0)),
    ioctlWords: (fd, request, out) => ioctl(fd, request, 'uint16_t *', out) as number,
    lseek: (() => {
      const lseek = fn('int64_t lseek(int fd, int64_t off, int whence)');
      return (fd: number, off: bigint, whence: number) => BigInt(lseek(fd, off, whence) as number | bigint);
    })(),
    fallocate: c.os === 'linux' ? fn('int fallocate(int fd, int mode, int64_t off, int64_t len)') : () => -1,
    getrlimit: fn('int getrlimit(int resource, uint64_t *rlim)'),
    poll: fn('int poll(void *fds, unsigned long nfds, int timeout)'),
    errno: () => k.errno(),
    view: (addr, len) => k.view(addr, len),
  };
  bound = { libc: table, constants: c };
  return table;
}

let cachedPageSize: number | undefined;

/**
 * The system page size (mapping offsets are aligned down to it). On Windows, views start at
 * multiples of the allocation granularity (64 KiB), which is therefore the unit of alignment there.
 */
export function pageSize(): number {
  cachedPageSize ??= WINDOWS ? windowsMemoryInfo().granularity : libc().getpagesize();
  return cachedPageSize;
}
