// Per-OS constants, as data. Values come from the system headers (<sys/mman.h>, <fcntl.h>,
// <asm-generic/unistd.h>); Linux x86-64 and arm64 use the generic values. An OS or CPU that is not
// listed gets a clear "unsupported" error from `platformConstants`, never a guessed constant.

/**
 * madvise(2) advice that `advise()` takes: hints about how the pages will be used, which never
 * change what the map's bytes read (after memmap2's `Advice`). Which ones this kernel accepts:
 * `supportedAdvice()`.
 */
export type Advice =
  | 'normal'
  | 'random'
  | 'sequential'
  | 'willneed'
  | 'dontfork'
  | 'dofork'
  | 'mergeable'
  | 'unmergeable'
  | 'hugepage'
  | 'nohugepage'
  | 'dontdump'
  | 'dodump'
  | 'cold'
  | 'pageout'
  | 'populate_read'
  | 'populate_write';

/**
 * madvise(2) advice that can change or destroy the map's contents, taken only by
 * `uncheckedAdvise()` (after memmap2's `UncheckedAdvice`):
 * - `dontneed`: drops the pages; a private map (`mapCopy`, `mapAnon`) loses what was written to it
 *   (it reads the file's bytes, or zeros, again); a shared map reads the file again.
 * - `free`: lets the kernel drop the pages of a private anonymous map whenever it likes; what was
 *   written may read back as zeros (EINVAL on file maps).
 * - `remove`: frees the pages and the storage behind them (punches a hole in the file): the file's
 *   bytes read back as zeros, for every process. Needs a shared map of a descriptor open for writing.
 */
export type UncheckedAdvice = 'dontneed' | 'free' | 'remove';

/** The names of {@link Advice}, in a list. */
export const ADVICE: readonly Advice[] = [
  'normal',
  'random',
  'sequential',
  'willneed',
  'dontfork',
  'dofork',
  'mergeable',
  'unmergeable',
  'hugepage',
  'nohugepage',
  'dontdump',
  'dodump',
  'cold',
  'pageout',
  'populate_read',
  'populate_write',
];

/** The names of {@link UncheckedAdvice}, in a list. */
export const UNCHECKED_ADVICE: readonly UncheckedAdvice[] = ['dontneed', 'free', 'remove'];

export interface PlatformConstants {
  readonly os: 'linux' | 'darwin';
  /** Shared libraries to try, in order, for the C library. */
  readonly libc: readonly string[];
  readonly PROT_NONE: number;
  readonly PROT_READ: number;
  readonly PROT_WRITE: number;
  readonly PROT_EXEC: number;
  readonly MAP_SHARED: number;
  readonly MAP_PRIVATE: number;
  readonly MAP_FIXED: number;
  readonly MAP_ANONYMOUS: number;
  readonly MAP_NORESERVE: number;
  /** 0 where the OS has no such flag. */
  readonly MAP_POPULATE: number;
  /** Anonymous huge-page maps: MAP_HUGETLB, and the page size as log2 in the bits at MAP_HUGE_SHIFT (masked by MAP_HUGE_MASK). 0 where absent. */
  readonly MAP_HUGETLB: number;
  readonly MAP_HUGE_SHIFT: number;
  readonly MAP_HUGE_MASK: number;
  readonly MS_ASYNC: number;
  readonly MS_INVALIDATE: number;
  readonly MS_SYNC: number;
  /** undefined where the OS has no mremap(2). */
  readonly MREMAP_MAYMOVE: number | undefined;
  readonly MREMAP_FIXED: number | undefined;
  readonly MREMAP_DONTUNMAP: number | undefined;
  /** sync_file_range(2) flag that starts writeback; undefined where the call does not exist. */
  readonly SYNC_FILE_RANGE_WRITE: number | undefined;
  readonly F_GETFL: number;
  readonly F_DUPFD_CLOEXEC: number;
  /** fcntl(2) commands that read and set a pipe's capacity in bytes; undefined where absent (Linux only). */
  readonly F_GETPIPE_SZ: number | undefined;
  readonly F_SETPIPE_SZ: number | undefined;
  /**
   * fcntl(2) commands of file leases (set, get; the signal a lease break sends) and the lease
   * types F_WRLCK and F_UNLCK; undefined where absent (Linux only).
   */
  readonly F_SETLEASE: number | undefined;
  readonly F_GETLEASE: number | undefined;
  readonly F_SETSIG: number | undefined;
  readonly F_WRLCK: number | undefined;
  readonly F_UNLCK: number | undefined;
  readonly O_ACCMODE: number;
  readonly O_RDONLY: number;
  readonly O_WRONLY: number;
  readonly O_RDWR: number;
  /** flock(2) operations. */
  readonly LOCK_SH: number;
  readonly LOCK_EX: number;
  readonly LOCK_NB: number;
  readonly LOCK_UN: number;
  /** cachestat(2) syscall number (Linux >= 6.5); undefined where absent. */
  readonly SYS_cachestat: number | undefined;
  /** ioctl(2) request for a terminal's size (struct winsize). */
  readonly TIOCGWINSZ: number;
  readonly advice: Readonly<Partial<Record<Advice | UncheckedAdvice, number>>>;
}

const LINUX_GENERIC: Omit<PlatformConstants, 'libc'> = {
  os: 'linux',
  PROT_NONE: 0,
  PROT_READ: 1,
  PROT_WRITE: 2,
  PROT_EXEC: 4,
  MAP_SHARED: 0x01,
  MAP_PRIVATE: 0x02,
  MAP_FIXED: 0x10,
  MAP_ANONYMOUS: 0x20,
  MAP_NORESERVE: 0x4000,
  MAP_POPULATE: 0x8000,
  MAP_HUGETLB: 0x40000,
  MAP_HUGE_SHIFT: 26,
  MAP_HUGE_MASK: 0x3f,
  MS_ASYNC: 1,
  MS_INVALIDATE: 2,
  MS_SYNC: 4,
  MREMAP_MAYMOVE: 1,
  MREMAP_FIXED: 2,
  MREMAP_DONTUNMAP: 4,
  SYNC_FILE_RANGE_WRITE: 2,
  F_GETFL: 3,
  F_DUPFD_CLOEXEC: 1030,
  F_GETPIPE_SZ: 1032,
  F_SETPIPE_SZ: 1031,
  F_SETLEASE: 1024,
  F_GETLEASE: 1025,
  F_SETSIG: 10,
  F_WRLCK: 1,
  F_UNLCK: 2,
  O_ACCMODE: 3,
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  LOCK_SH: 1,
  LOCK_EX: 2,
  LOCK_NB: 4,
  LOCK_UN: 8,
  SYS_cachestat: 451,
  TIOCGWINSZ: 0x5413,
  advice: {
    normal: 0,
    random: 1,
    sequential: 2,
    willneed: 3,
    dontneed: 4,
    free: 8,
    remove: 9,
    dontfork: 10,
    dofork: 11,
    mergeable: 12,
    unmergeable: 13,
    hugepage: 14,
    nohugepage: 15,
    dontdump: 16,
    dodump: 17,
    cold: 20,
    pageout: 21,
    populate_read: 22,
    populate_write: 23,
  },
};

/** macOS (xnu <sys/mman.h>, <sys/fcntl.h>). Written down and unit-tested as data; not run here. */
export const DARWIN: PlatformConstants = {
  os: 'darwin',
  libc: ['libSystem.B.dylib'],
  PROT_NONE: 0,
  PROT_READ: 1,
  PROT_WRITE: 2,
  PROT_EXEC: 4,
  MAP_SHARED: 0x0001,
  MAP_PRIVATE: 0x0002,
  MAP_FIXED: 0x0010,
  MAP_ANONYMOUS: 0x1000,
  MAP_NORESERVE: 0x0040,
  MAP_POPULATE: 0,
  MAP_HUGETLB: 0,
  MAP_HUGE_SHIFT: 0,
  MAP_HUGE_MASK: 0,
  MS_ASYNC: 0x0001,
  MS_INVALIDATE: 0x0002,
  MS_SYNC: 0x0010,
  MREMAP_MAYMOVE: undefined,
  MREMAP_FIXED: undefined,
  MREMAP_DONTUNMAP: undefined,
  SYNC_FILE_RANGE_WRITE: undefined,
  F_GETFL: 3,
  F_DUPFD_CLOEXEC: 67,
  F_GETPIPE_SZ: undefined,
  F_SETPIPE_SZ: undefined,
  F_SETLEASE: undefined,
  F_GETLEASE: undefined,
  F_SETSIG: undefined,
  F_WRLCK: undefined,
  F_UNLCK: undefined,
  O_ACCMODE: 3,
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  LOCK_SH: 1,
  LOCK_EX: 2,
  LOCK_NB: 4,
  LOCK_UN: 8,
  SYS_cachestat: undefined,
  TIOCGWINSZ: 0x40087468,
  advice: { normal: 0, random: 1, sequential: 2, willneed: 3, dontneed: 4, free: 5, pageout: 10 },
};

/** musl names its C library per CPU; glibc uses one soname everywhere. */
const MUSL_ARCH: Readonly<Record<string, string>> = { x64: 'x86_64', arm64: 'aarch64' };

export const LINUX: Readonly<Record<string, PlatformConstants>> = Object.fromEntries(
  Object.entries(MUSL_ARCH).map(([arch, musl]) => [arch, { ...LINUX_GENERIC, libc: ['libc.so.6', `libc.musl-${musl}.so.1`] }]),
);

/**
 * The constants for an OS and CPU, or a reason why there are none.
 * Runtime support is Linux x64/arm64 (glibc or musl). macOS constants are kept as data, but macOS has
 * no mremap(2), on which safe protection changes rely, so it is reported unsupported at run time.
 */
export function platformConstants(platform: string, arch: string): { constants: PlatformConstants } | { unsupported: string } {
  if (platform === 'linux') {
    const c = LINUX[arch];
    return c ? { constants: c } : { unsupported: `Linux on ${arch} is not supported (x64 and arm64 are)` };
  }
  if (platform === 'darwin') {
    return { unsupported: 'macOS is not supported yet (no mremap(2); its constants are recorded but untested)' };
  }
  return { unsupported: `${platform} is not supported (Linux x64 and arm64 are)` };
}
