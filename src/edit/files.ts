// Opening the file a command works on: the right access mode, the checks that refuse files that
// must not be mapped, and errors that say what is wrong in one line.
import { type BigIntStats, closeSync, constants as fsc, fstatSync, openSync, statfsSync, statSync } from 'node:fs';
import { InputError, OperationError } from '../errors.js';
import { MAX_FILE_SIZE, unresolvedAddress } from '../format/number.js';
import { hasAddress, type Range, type ResolvedRange, resolveRange } from '../format/range.js';
import { MmapError, describeErrno } from '../mmap/errors.js';
import { fileSizeLimit, pageSize as pageSizeLoaded, unlockFile } from '../mmap/index.js';
// Internal to the engine, not the memmap2 API: where fd 0 stands, and whether it is a terminal.
import { leaseBreakSeconds } from '../mmap/sys/index.js';
import { descriptorPosition } from '../mmap/sys/input.js';
import { terminalColumns } from '../mmap/sys/terminal.js';
import { shrankSinceOpenError } from '../mmap/truncation.js';
import { pendingJournal } from './journal.js';
import { DEFAULT_LOCK_WAIT, type LockKind, lockFile, lockFileAsync, sleep } from './lock.js';

/** statfs f_type values of pseudo filesystems whose files look regular but are not data. */
const PSEUDO_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'procfs'],
  [0x62656572, 'sysfs'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroupfs'],
  [0x63677270, 'cgroup2fs'],
  [0x6165676c, 'pstorefs'],
  [0xcafe4a11, 'bpffs'],
  [0x42494e4d, 'binfmt_misc'],
  [0x1cd1, 'devpts'],
  [0xde5e81e4, 'efivarfs'],
]);

export interface OpenOptions {
  /** Open read-write (mutating commands). */
  write: boolean;
  /** Accept devices and pseudo-filesystem files (never FIFOs, sockets or directories). */
  force?: boolean;
  /**
   * The advisory lock held until close (see lock.ts): by default exclusive when `write`, shared
   * otherwise. Commands that open for writing but change no byte (flush, protect rw) say `shared`.
   */
  lock?: LockKind;
  /** Called with the file's status after the checks, before the lock is taken. */
  beforeLock?: (stat: BigIntStats) => void;
  /** Seconds to wait for a lock held by another process (the CLI's --wait); 0 fails at once. Default {@link DEFAULT_LOCK_WAIT}. */
  lockWait?: number;
}

export interface OpenFile {
  readonly fd: number;
  readonly path: string;
  readonly stat: BigIntStats;
  /** The file size; undefined for devices opened with --force. */
  readonly size: bigint | undefined;
  /**
   * The pseudo filesystem (`procfs`, `sysfs`...) of a file opened there with --force. Its bytes
   * exist only when read(2) makes them, and its fstat size (0, 4096) says nothing of them: read
   * commands read it (see {@link readSpan} and `readWindows`), never map it or trust `size`.
   */
  readonly pseudo?: string;
  /**
   * Standard input (`-`) when it is no file to map: what it is, for messages (`a pipe`, `a
   * socket`, `a character device`, `a file read from its current position`...). Its bytes are read
   * in order with read(2), as a pseudo file's (see `readWindows`), waiting for a slow producer; its
   * size is only known at its end.
   */
  readonly stream?: string;
  close(): void;
}

/** The name that means standard input wherever a command reads a FILE. */
export const STDIN = '-';

/** Whether `file`'s bytes come by read(2), in order, and only the read tells where they end (a pseudo file, a piped standard input). */
export function readsInOrder(file: OpenFile): boolean {
  return file.pseudo !== undefined || file.stream !== undefined;
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

function kind(st: BigIntStats): string | undefined {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return undefined;
}

/** Turns an open(2)/fstat(2) failure into one line with the errno name. */
export function fsError(err: unknown, what = ''): OperationError {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const errno = typeof e?.errno === 'number' ? -e.errno : undefined;
  const text = errno !== undefined ? describeErrno(errno).description : (e?.message ?? String(err));
  let message = what ? `${what}: ${text}` : text;
  if (code === 'EISDIR') message = what ? `${what}: is a directory` : 'is a directory';
  if (code === 'EROFS') message += ' (the file is on a read-only filesystem)';
  if (code === 'ETXTBSY') message += ' (the file is a running program)';
  return new OperationError(message, code, { cause: err });
}

/** statfs f_type by device: a run over 1,000 files on one filesystem asks once. */
const fsTypes = new Map<bigint, number>();

/** The statfs f_type of the filesystem holding `path` (device `dev`), or undefined if statfs fails. */
function filesystemType(path: string, dev: bigint): number | undefined {
  let type = fsTypes.get(dev);
  if (type !== undefined) return type;
  try {
    type = Number(statfsSync(path).type);
  } catch {
    return undefined;
  }
  fsTypes.set(dev, type);
  return type;
}

/**
 * Opens `path` for a command. Refuses directories, FIFOs and sockets always, devices and files on
 * procfs/sysfs-like filesystems unless `force`. Never blocks on a FIFO (O_NONBLOCK at open).
 * Then takes the command's advisory lock, waiting up to --wait seconds for other mmapx processes.
 * `-` ({@link STDIN}) is standard input, for commands that only read (see stdinFile).
 * @throws OperationError (exit 1) naming the problem, or who holds the lock.
 */
export function openFile(path: string, options: OpenOptions): OpenFile {
  const { file, lock } = path === STDIN ? stdinFile(options) : { file: openUnlocked(path, options), lock: true };
  if (!lock) return file;
  try {
    lockFile(file.fd, file.stat, lockKind(options), options.lockWait ?? DEFAULT_LOCK_WAIT);
    return restated(file);
  } catch (err) {
    file.close();
    throw err;
  }
}

/**
 * The file's status taken again once its lock is held: another mmapx that held the lock while this
 * one waited may have changed the size meanwhile (a `write --grow` that another write waited for
 * had been refused as past the end of the empty file it saw before the wait).
 */
function restated(file: OpenFile): OpenFile {
  const stat = fstatSync(file.fd, { bigint: true });
  return { ...file, stat, size: file.size === undefined ? undefined : stat.size };
}

/**
 * {@link openFile} for library callers: the wait for a lock held by another process uses timers
 * (the event loop keeps running) and ends early when `signal` aborts.
 */
export async function openFileAsync(path: string, options: OpenOptions & { signal?: AbortSignal }): Promise<OpenFile> {
  const { file, lock } = path === STDIN ? stdinFile(options) : { file: openUnlocked(path, options), lock: true };
  if (!lock) return file;
  try {
    await lockFileAsync(file.fd, file.stat, lockKind(options), options.lockWait ?? DEFAULT_LOCK_WAIT, options.signal);
    return restated(file);
  } catch (err) {
    file.close();
    throw err instanceof OperationError || err instanceof MmapError || (options.signal?.aborted && err === options.signal.reason) ? err : fsError(err);
  }
}

function lockKind(options: OpenOptions): LockKind {
  return options.lock ?? (options.write ? 'exclusive' : 'shared');
}

/** What a standard input that is no file to map is, in messages; undefined for a regular file. */
function streamKind(st: BigIntStats): string | undefined {
  if (st.isFIFO()) return 'a pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return st.isFile() ? undefined : 'a special file';
}

/**
 * Standard input (fd 0, named `-`) as an open file for a command that only reads it, not yet
 * locked. A regular file at its start (`< FILE`) is the file itself: mapped and sized as if named
 * (and locked, shared, by the caller: `lock` is true); anything else is read in order with read(2)
 * (`stream`): a pipe, a socket, a device, a pseudo-filesystem file, or a regular file whose
 * position is not at its start (the shell or a previous reader left it there: what follows is the
 * input). No --force is needed: the input was handed over, and nothing is mapped that should not
 * be. fd 0 is never closed (closing the file releases its lock only).
 * @throws InputError (exit 2) for a terminal (the data is meant to be piped in) and for a command
 *   that would change it; OperationError for a directory.
 */
export function stdinFile(options: OpenOptions): { file: OpenFile; lock: boolean } {
  const fd = 0;
  if (options.write) throw new InputError('- (standard input) is only read: a command that changes a file needs its name (a file called - is ./-)');
  let stat: BigIntStats;
  try {
    stat = fstatSync(fd, { bigint: true });
  } catch (err) {
    throw fsError(err, 'cannot read standard input');
  }
  if (stat.isDirectory()) throw new OperationError('cannot read standard input: is a directory', 'EISDIR');
  if (stat.isCharacterDevice() && terminalColumns(fd) !== undefined) {
    throw new InputError('standard input is a terminal: pipe the data in (or redirect it: < FILE)');
  }
  let stream = streamKind(stat);
  if (stream === undefined) {
    const fsType = filesystemType('/dev/fd/0', stat.dev);
    const pseudo = fsType === undefined ? undefined : PSEUDO_FS.get(fsType);
    if (pseudo !== undefined) stream = `a ${pseudo} file`;
    else if (descriptorPosition(fd) !== 0n) stream = 'a file read from its current position';
  }
  if (stream !== undefined) return { file: { fd, path: STDIN, stat, size: undefined, stream, close: () => {} }, lock: false };
  options.beforeLock?.(stat);
  const close = (): void => {
    try {
      unlockFile(fd);
    } catch {
      // a filesystem without locks: nothing was held
    }
  };
  return { file: { fd, path: STDIN, stat, size: stat.size, close }, lock: true };
}

/**
 * open(2) with O_NONBLOCK, which never waits on a FIFO. A regular file under another process's
 * write lease (mmapx holds one while it writes a patch's hunks, src/mmap/sys/lease.ts; file
 * servers take them too) makes such an open fail with EWOULDBLOCK once it has begun the lease's
 * break: the holder then gives the lease up (mmapx within a millisecond, others within
 * /proc/sys/fs/lease-break-time seconds), and the open is tried again, still without blocking.
 */
export function openNonBlocking(path: string, flags: number): number {
  let deadline: number | undefined;
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      return openSync(path, flags | fsc.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      deadline ??= Date.now() + ((leaseBreakSeconds() ?? 45) + 1) * 1000;
      if (Date.now() > deadline) throw err;
      sleep(pause);
    }
  }
}

/** Opens and checks the file (everything {@link openFile} does but the lock). */
function openUnlocked(path: string, options: OpenOptions): OpenFile {
  const flags = (options.write ? fsc.O_RDWR : fsc.O_RDONLY) | fsc.O_NOCTTY; // libuv adds O_CLOEXEC
  let fd: number;
  try {
    fd = openNonBlocking(path, flags);
  } catch (err) {
    // open(2) on a socket fails with ENXIO; say what the file is instead.
    if ((err as NodeJS.ErrnoException).code === 'ENXIO' && isSocket(path)) {
      throw new OperationError('is a socket: it has no bytes to map', 'ENODEV');
    }
    throw fsError(err);
  }
  try {
    const stat = fstatSync(fd, { bigint: true });
    const k = kind(stat);
    if (k === 'a directory') throw new OperationError('is a directory', 'EISDIR');
    if (k === 'a FIFO' || k === 'a socket') throw new OperationError(`is ${k}: it has no bytes to map`, 'ENODEV');
    if (k && !options.force) {
      throw new OperationError(`is ${k}: refusing to map it without --force`);
    }
    let pseudo: string | undefined;
    if (!k) {
      const fsType = filesystemType(path, stat.dev);
      pseudo = fsType === undefined ? undefined : PSEUDO_FS.get(fsType);
      if (pseudo && !options.force) {
        throw new OperationError(`is on ${pseudo}: its files cannot be memory-mapped (use --force to try anyway)`);
      }
    }
    options.beforeLock?.(stat);
    return {
      fd,
      path,
      stat,
      size: k ? undefined : stat.size,
      ...(pseudo !== undefined && { pseudo }),
      close: () => closeSync(fd),
    };
  } catch (err) {
    closeSync(fd);
    throw err instanceof OperationError || err instanceof MmapError ? err : fsError(err);
  }
}

/**
 * Fails if `file.path` no longer names the file that was opened (renamed over, or deleted): after a
 * mutation, the change would be invisible there.
 * @throws OperationError (exit 1).
 */
export function assertSameFile(file: OpenFile): void {
  let now: BigIntStats | undefined;
  try {
    now = statSync(file.path, { bigint: true });
  } catch {
    now = undefined;
  }
  if (now?.dev !== file.stat.dev || now.ino !== file.stat.ino) {
    throw new OperationError('the file was replaced or deleted while being written: the bytes went to the old file');
  }
}

/**
 * A command resolves its range against the size it saw at open. If the core then finds that range
 * past the end of the file, another process truncated it in between: an operation failure (exit 1,
 * ERR_TRUNCATED), not a usage error. Any other error is returned as it is. For `catch` blocks:
 * `throw shrankSinceOpen(file, err, 'read')`.
 */
export function shrankSinceOpen(file: OpenFile, err: unknown, access: 'read' | 'written'): unknown {
  if (!(err instanceof MmapError) || err.code !== 'ERR_OUT_OF_RANGE' || file.size === undefined) return err;
  let now: bigint;
  try {
    now = fstatSync(file.fd, { bigint: true }).size;
  } catch {
    return err;
  }
  if (now >= file.size) return err;
  return shrankSinceOpenError(file.path, now, file.size, access);
}

/** What a read command reads: `length` bytes from `offset`, or with `length` undefined, up to the end that reading finds. */
export interface ReadSpan {
  readonly offset: bigint;
  readonly length: bigint | undefined;
}

/**
 * The one rule for the part of a file a command reads, given its range (undefined: all of it).
 * A file with a size: the range resolved against it (past the end is an error). A file whose size
 * fstat cannot tell, a device or a pseudo-filesystem file opened with --force:
 * - a range that counts from the start only (`OFFSET:LENGTH`, `START..END`) is taken as is; a
 *   device is read up to its end, a pseudo file up to its end or the range's, whichever comes
 *   first (`readWindows` in mapped.ts says which ends are errors);
 * - a pseudo file without a range, or with `START..`, is read to its end;
 * - a range that needs the end (`-64..`, `..-1`) is refused, and so is a device without a range
 *   or with `START..` (a device may have no end).
 * Read commands (cat, hash, hexdump, find) call {@link readSpan}; commands that map the file
 * (flush, protect) call {@link targetRange}, where a pseudo file has its fstat size.
 * @throws InputError for a range past the end of a sized file; OperationError (exit 1) when the
 *   range needs a size nobody can tell.
 */
export function readSpan(file: OpenFile, range: Range | undefined): ReadSpan {
  return span(file, range, readableSize(file));
}

/** The size a read command can trust: undefined for a device and for a pseudo file (whose fstat size says nothing). */
export function readableSize(file: OpenFile): bigint | undefined {
  return readsInOrder(file) ? undefined : file.size;
}

/** {@link readSpan} for commands that map the range (flush, protect): a pseudo file keeps its fstat size. */
export function targetRange(file: OpenFile, range: Range | undefined): ResolvedRange {
  const r = span(file, range, file.size);
  if (r.length === undefined) throw unknownSize(file); // only a pseudo file has no end yet, and it has a size here
  return { offset: r.offset, length: r.length };
}

function span(file: OpenFile, range: Range | undefined, size: bigint | undefined): ReadSpan {
  if (hasAddress(range)) throw unresolvedAddress(range!.text); // the caller binds it first (address.ts)
  if (size !== undefined) return range ? resolveRange(range, size) : { offset: 0n, length: size };
  const toEnd = range === undefined || (range.kind === 'span' && range.end === null);
  const fromEnd = range !== undefined && (range.start.fromEnd || (range.kind === 'span' && range.end !== null && range.end.fromEnd));
  if (fromEnd) throw unknownSize(file, range);
  if (toEnd) {
    if (!readsInOrder(file)) throw unknownSize(file);
    return { offset: range === undefined ? 0n : range.start.value, length: undefined };
  }
  // Counted from the start: checked against the largest file offset, and then against what is there.
  return resolveRange(range!, MAX_FILE_SIZE, { sizeIsLimit: true });
}

/** Why a command cannot have the size of `file` (a device, or a pseudo file). */
function unknownSize(file: OpenFile, range?: Range): OperationError | InputError {
  if (file.stream !== undefined) {
    // A pipe's end is where the producer stops: a range from the end cannot be found in one pass.
    return new InputError(
      `${range === undefined ? 'this command needs the size' : `range ${range.text} counts from the end`}, but standard input is ${file.stream}: its end is only known by reading it; give a range from the start, or pipe it through tail -c N`,
    );
  }
  if (file.pseudo === undefined) return new OperationError('the size of a device is unknown here: give an explicit length or range');
  if (range !== undefined) {
    return new OperationError(
      `range ${range.text} counts from the end, but the size of a ${file.pseudo} file is only known by reading it: give a range from the start (OFFSET:LENGTH, START..END, START..)`,
    );
  }
  return new OperationError(
    `is on ${file.pseudo}: its size is only known by reading it to the end, which this command cannot do; copy it first (mmapx cat --force FILE > COPY)`,
  );
}

/** The size, or an error for devices and pseudo-filesystem files opened with --force (whose size fstat cannot tell). */
export function knownSize(file: OpenFile): bigint {
  if (file.size === undefined || readsInOrder(file)) throw unknownSize(file);
  return file.size;
}

/**
 * Refuses, before anything changes, to grow `file` to `size` bytes past the largest file its
 * filesystem holds or the process's file size limit (`ulimit -f`): ftruncate would fail there with
 * EFBIG, and everything before it (planning, hashing the would-be result) would be work for
 * nothing. Sizes past 2^53-1 (MAX_FILE_SIZE) are refused earlier, as input errors.
 * @throws OperationError (exit 1, EFBIG) naming the limit.
 */
export function assertCanGrow(file: OpenFile, size: bigint): void {
  const limit = fileSizeLimit(file.fd, size);
  if (limit === undefined) return;
  const whose = limit.by === 'filesystem' ? 'its filesystem holds files of at most' : 'the file size limit of this process (ulimit -f) is';
  throw new OperationError(`cannot grow the file to ${size} bytes: ${whose} ${limit.bytes} bytes`, 'EFBIG');
}

/** What {@link withFile} needs besides {@link OpenOptions}. */
export interface WithFileOptions extends OpenOptions {
  /** Laps `open` after the open and lock, and `ffi` once the FFI is loaded (the CLI's timings). */
  timer?: { lap(name: string): void };
  /** How the body touches the file, for the error when another process truncated it meanwhile. */
  access: 'read' | 'written';
  /** Stops a wait for another process's lock (library callers). */
  signal?: AbortSignal;
  /**
   * Wait for a lock by blocking the thread (the CLI, where nothing else runs) rather than with
   * timers (library callers: the event loop keeps running). Default false.
   */
  blocking?: boolean;
  /** For operations that only read: report a pending journal through this (see EditContext). */
  onPendingJournal?: ((file: string, journal: string) => void) | undefined;
  /** Rewords an error of the open (e.g. EACCES naming the access the operation needs). */
  openError?: (err: unknown) => unknown;
}

/**
 * The skeleton of every operation on one file: open and lock it (see {@link openFile}), load the
 * FFI (timed on its own, so that a later phase means its system call), run `body`, turn an
 * out-of-range error from a file that shrank meanwhile into ERR_TRUNCATED, and close the file
 * whatever happened.
 */
export async function withFile<T>(path: string, options: WithFileOptions, body: (file: OpenFile) => T | Promise<T>): Promise<T> {
  let file: OpenFile;
  try {
    file = options.blocking ? openFile(path, options) : await openFileAsync(path, options);
  } catch (err) {
    throw options.openError ? options.openError(err) : err;
  }
  try {
    notePendingJournal(path, options.onPendingJournal);
    options.timer?.lap('open');
    pageSizeLoaded();
    options.timer?.lap('ffi');
    return await body(file);
  } catch (err) {
    throw shrankSinceOpen(file, err, options.access);
  } finally {
    file.close();
  }
}

/**
 * For operations that only read, right after the open (the lock held): tells `hook` about a journal
 * of an interrupted patch beside the file (see EditContext.onPendingJournal). Nothing without a hook.
 */
export function notePendingJournal(path: string, hook: ((file: string, journal: string) => void) | undefined): void {
  if (hook === undefined || path === STDIN) return;
  const j = pendingJournal(path);
  if (j !== undefined) hook(path, j);
}
