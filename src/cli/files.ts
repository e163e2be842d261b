// Opening the file a command works on: the right access mode, the checks that refuse files that
// must not be mapped, and errors that say what is wrong in one line.
import { type BigIntStats, closeSync, constants as fsc, fstatSync, openSync, statfsSync, statSync } from 'node:fs';
import { OperationError } from '../errors.js';
import { MAX_FILE_SIZE } from '../format/number.js';
import { type Range, type ResolvedRange, resolveRange } from '../format/range.js';
import { MmapError, describeErrno } from '../mmap/errors.js';
import { fileSizeLimit } from '../mmap/index.js';
import { shrankSinceOpenError } from '../mmap/truncation.js';
import { type LockKind, lockFile } from './lock.js';

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
}

export interface OpenFile {
  readonly fd: number;
  readonly path: string;
  readonly stat: BigIntStats;
  /** The file size; undefined for devices opened with --force. */
  readonly size: bigint | undefined;
  close(): void;
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
 * @throws OperationError (exit 1) naming the problem, or who holds the lock.
 */
export function openFile(path: string, options: OpenOptions): OpenFile {
  const flags = (options.write ? fsc.O_RDWR : fsc.O_RDONLY) | fsc.O_NONBLOCK | fsc.O_NOCTTY; // libuv adds O_CLOEXEC
  let fd: number;
  try {
    fd = openSync(path, flags);
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
    if (!k) {
      const fsType = filesystemType(path, stat.dev);
      const pseudo = fsType === undefined ? undefined : PSEUDO_FS.get(fsType);
      if (pseudo && !options.force) {
        throw new OperationError(`is on ${pseudo}: its files cannot be memory-mapped (use --force to try anyway)`);
      }
    }
    options.beforeLock?.(stat);
    lockFile(fd, stat, options.lock ?? (options.write ? 'exclusive' : 'shared'));
    return {
      fd,
      path,
      stat,
      size: k ? undefined : stat.size,
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

/**
 * What a command with `--range` works on: the range resolved against the file, or the whole file.
 * A device (opened with --force) has no size fstat can tell: a range that counts from the start
 * only (`OFFSET:LENGTH`, `START..END`) is then taken as is; one that needs the end is refused.
 */
export function targetRange(file: OpenFile, range: Range | undefined): ResolvedRange {
  const fromStart = range !== undefined && !range.start.fromEnd && (range.kind === 'length' || (range.end !== null && !range.end.fromEnd));
  const device = fromStart && file.size === undefined;
  const size = device ? MAX_FILE_SIZE : knownSize(file);
  return range ? resolveRange(range, size, { sizeIsLimit: device }) : { offset: 0n, length: size };
}

/** The size, or an error for devices opened with --force (whose size fstat cannot tell). */
export function knownSize(file: OpenFile): bigint {
  if (file.size === undefined) throw new OperationError('the size of a device is unknown here: give an explicit length or range');
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
