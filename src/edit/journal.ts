// The undo journal that makes `mmapx patch` all-or-nothing across crashes, and `mmapx recover`.
//
// Where: `.NAME.mmapx-journal` in the directory of the file (after resolving symlinks, so that
// every path to the file finds it); a NAME too long for that gets `.mmapx-journal.<32 hex of
// sha256(NAME)>` instead.
//
// Format, version 1 (all integers unsigned little-endian):
//
//   header, 64 bytes
//     0   8  magic "MMAPXJNL"
//     8   4  version = 1
//     12  4  header length = 64
//     16  8  st_dev of the file
//     24  8  st_ino of the file
//     32  8  size before the patch
//     40  8  size after the patch
//     48  8  pid of the writer (recover refuses while that process is an mmapx still running)
//     56  8  creation time, ms since the epoch (0 = unknown; recover refuses a file born after it)
//   records, any number
//     0   8  file offset
//     8   4  n = length (1 .. 64 MiB)
//     12  n  the file's bytes there before the patch
//   trailer, 56 bytes, written last
//     0   8  magic "MMAPXEND"
//     8   8  number of records
//     16  8  length of header + records in bytes
//     24  32 SHA-256 of header + records
//
// Version 2 is the journal of an insert or delete (src/edit/shift.ts has its layout): the same
// header, then the operation (kind, offset, distance, the inserted bytes), a trailer over them,
// and the shift's progress (two checksummed slots and a word stored per step). It is not undone
// but rolled forward: `recover` finishes the shift from the recorded progress. readJournal reads
// version 1 only and refuses any other version by name; recover tells version 2 by its header.
//
// Version 4 is the journal of a transform without a guard (src/edit/transform-run.ts has its
// layout): the same header, the operation (range, the transform's text, window), a trailer, two
// progress slots and a staging slot of one window. Rolled forward too: `recover` finishes it.
//
// Protocol: the journal is created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, written in full,
// fsynced, and its directory fsynced, before the first byte of the file changes (growth
// included). Then the file is resized and written through maps, fdatasynced, and the journal is
// unlinked and the directory fsynced again. So a journal without a valid trailer is one whose
// patch never touched the file; a journal with one holds every original byte the patch may have
// overwritten (and the bytes a shrink cut off), and restoring them gives the original file back.
// A patch over several files does each step for a batch of files at once (see patch.ts): every
// journal of the batch is written, then all are fsynced and their directories once each, before
// the first file changes; the journals go only after every file of the batch is fdatasynced.
// Each file's own order is the one above, so the same holds for each.
//
// A file that another program truncated (mmapx's locks are advisory: a plain `truncate` is not
// stopped) cannot be given back whole: the bytes it cut off, outside the patch's hunks, are in
// no journal. Recover's rule for a file found shorter than its size before the patch (and not at
// the size the patch gives it): the cut stands. Every journal byte below the current end is put
// back, the bytes at or past it are not, and the size is left as found; the result is the
// original file as the other program cut it, and recover says how many journal bytes it dropped.
// Nothing is ever written past the current end in that case. A file found longer than both
// recorded sizes was changed by someone else: refused, as is one of another identity or one born
// after the journal was written (a new file that reuses the inode number).
import { createHash } from 'node:crypto';
import {
  type BigIntStats,
  closeSync,
  constants as fsc,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, resolve, sep } from 'node:path';
import { NoRoom, OperationError } from '../errors.js';
import { formatOffset } from '../format/number.js';
import { MmapError } from '../mmap/index.js';
import { shrankError } from '../mmap/truncation.js';
import { birthTimesKept, processCommandLine, renameDurablyNative, reserveSpace, startWriteback, syncDirectoryNative } from '../mmap/sys/index.js';
import { fsError } from './files.js';
import { sideName } from './outplace.js';
import { equalBytes, type FileRef, writeRanges } from './mapped.js';

const MAGIC = Buffer.from('MMAPXJNL', 'latin1');
/** What every journal version's trailer starts with. */
export const END_MAGIC = Buffer.from('MMAPXEND', 'latin1');
const VERSION = 1;
/** The length of every journal version's header (see writeJournalHeader) and trailer. */
export const HEADER_LENGTH = 64;
export const TRAILER_LENGTH = 56;
const RECORD_HEAD = 12;
/** Records longer than this are split (bounded buffers when reading them back). */
const MAX_RECORD = 64 * 1024 * 1024;
const SUFFIX = '.mmapx-journal';

/** What a journal says about its file. */
export interface JournalHeader {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly sizeBefore: bigint;
  readonly sizeAfter: bigint;
  /** The process that wrote it (0 when unknown). */
  readonly pid?: number;
  /** When it was written, ms since the epoch (0 when unknown). */
  readonly created?: number;
}

/** Original bytes at a file offset. */
export interface JournalRecord {
  readonly offset: bigint;
  readonly bytes: Uint8Array;
}

/** The journal's path for `file`: beside the file itself (symlinks resolved). */
export function journalPath(file: string): string {
  let real: string;
  try {
    real = realpathSync.native(file);
  } catch {
    real = resolve(file);
  }
  const name = basename(real);
  const short = sideName(name, SUFFIX);
  // `real` is absolute and normalized: its directory and the name join without path.join's work,
  // with the platform's separator (a root directory, `/` or `C:\`, already ends with it).
  const dir = dirname(real);
  return dir.endsWith(sep) ? `${dir}${short}` : `${dir}${sep}${short}`;
}

/**
 * What the journal at `j` undoes or finishes, read from its header: `insert` or `delete` for a
 * shift's journal (version 2, see shift.ts), `transform` for a transform that rolls forward
 * (version 4, transform-run.ts), `patch` for one of saved bytes (version 1: patch, stamp, fill,
 * copy, move, a guarded transform), for a patch with shifts (version 3, patchshift.ts) and for
 * anything unreadable. Only read on the way to an
 * error or a warning, so that it names what was interrupted and what `recover` will do.
 */
export function journalKind(j: string): 'patch' | 'insert' | 'delete' | 'transform' {
  let fd: number | undefined;
  try {
    fd = openSync(j, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
    const head = Buffer.alloc(68);
    if (readSync(fd, head, 0, head.length, 0) < head.length || !head.subarray(0, 8).equals(MAGIC)) return 'patch';
    // Version 4: a transform that rolls forward (src/edit/transform-run.ts).
    if (head.readUInt32LE(8) === 4) return 'transform';
    if (head.readUInt32LE(8) !== 2) return 'patch';
    const kind = head.readUInt32LE(64);
    return kind === 1 ? 'insert' : kind === 2 ? 'delete' : 'patch';
  } catch {
    return 'patch';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The version in the header of the journal at `j` (0 when it cannot be read). */
export function journalVersion(j: string): number {
  let fd: number | undefined;
  try {
    fd = openSync(j, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
    const head = Buffer.alloc(12);
    if (readSync(fd, head, 0, head.length, 0) < head.length || !head.subarray(0, 8).equals(MAGIC)) return 0;
    return head.readUInt32LE(8);
  } catch {
    return 0;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The words of a refusal or warning about the journal `j`: what was interrupted, what state the
 * file may be in, and what `recover` does with it.
 */
export function journalWords(j: string): { what: string; state: string; recover: string } {
  if (journalVersion(j) === 3) {
    // A patch with inserts or deletes (src/edit/patchshift.ts): overwrites first, then shifts.
    return {
      what: 'patch with inserts or deletes',
      state: 'half patched or half shifted',
      recover: 'restores it if its shifts had not begun, and finishes the patch if they had',
    };
  }
  const kind = journalKind(j);
  if (kind === 'transform') return { what: 'transform', state: 'half transformed', recover: 'finishes the transform' };
  return kind === 'patch'
    ? { what: 'patch', state: 'half patched', recover: 'restores it' }
    : { what: kind, state: 'half shifted', recover: `finishes the ${kind}` };
}

/**
 * Refuses to let a mutating command touch `file` while a journal of an interrupted patch exists
 * (its bytes may be half patched): exit 1, naming the journal and what to run. `j` is the
 * journal's path when the caller has it already.
 */
export function refuseIfJournal(file: string, j = journalPath(file)): void {
  try {
    // No exception for the usual answer (none): a patch over many files asks once per file.
    if (lstatSync(j, { throwIfNoEntry: false }) === undefined) return;
  } catch (err) {
    throw fsError(err, `cannot check for a journal at ${j}`);
  }
  const w = journalWords(j);
  throw new OperationError(
    `a journal of an interrupted ${w.what} exists (${j}): the file may be ${w.state}; run 'mmapx recover ${file}' first${w.what === 'patch' ? '' : ` (it ${w.recover})`}`,
  );
}

/**
 * For commands that only read `file`, after they opened it (and so hold its shared lock): a
 * journal beside it is one of an interrupted patch, since a patch that runs holds the exclusive
 * lock until its journal is gone. What they read may then be half patched. Returns the journal's
 * path when there is one (the caller warns, and says what restores it); a journal that cannot be
 * looked for is not reported.
 */
export function pendingJournal(file: string): string | undefined {
  try {
    const j = journalPath(file);
    return lstatSync(j, { throwIfNoEntry: false }) === undefined ? undefined : j;
  } catch {
    return undefined;
  }
}

/** fsync of a directory, so that a created or removed name is durable. */
export function syncDirectory(dir: string): void {
  // Windows: FlushFileBuffers of the directory's handle, done by the core.
  const native = syncDirectoryNative(dir);
  if (native === 'done' || native === 'unsupported') return;
  if (native !== undefined) throw new OperationError(`cannot sync the directory ${dir}: ${native.reason}`, native.code, { path: dir });
  let fd: number;
  try {
    fd = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  } catch (err) {
    throw fsError(err, `cannot open the directory ${dir} to sync it`);
  }
  try {
    fsyncSync(fd);
  } catch (err) {
    // Some filesystems cannot sync a directory; there is nothing more to do there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw fsError(err, `cannot sync the directory ${dir}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Renames `from` over `to` and makes the new name durable: fsync of the directory, or on Windows a
 * write-through move (MoveFileExW), where a directory cannot be fsynced.
 * @throws the rename's error (an ErrnoException, or MmapError on Windows), or syncDirectory's.
 */
export function renameDurably(from: string, to: string): void {
  const native = renameDurablyNative(from, to);
  if (native === 'done') return;
  if (native !== undefined) throw native;
  renameSync(from, to);
  syncDirectory(dirname(to));
}

/** The write buffer of {@link createJournal}, made on first use. */
let journalBlock: Buffer | undefined;

/** A journal written in full but not durable yet: its descriptor stays open for the fsync. */
export interface JournalFile {
  readonly path: string;
  readonly fd: number;
  readonly records: number;
  /** The journal's size in bytes. */
  readonly bytes: number;
}

function writeFully(fd: number, b: Uint8Array): void {
  for (let done = 0; done < b.length; ) done += writeSync(fd, b, done, b.length - done);
}

/**
 * Writes a journal in full: created exclusively (never through a symlink), mode 0600, records in
 * the given order (split at {@link MAX_RECORD}), trailer last. It is not durable yet: the caller
 * fsyncs it and its directory before the first byte of the file changes ({@link writeJournal}
 * does both for one journal, {@link syncJournals} for many at once), or discards it with
 * {@link discardJournal}. On failure the partial journal is removed again.
 *
 * @throws OperationError when the journal cannot be created (it exists, or the directory is not
 *   writable: the message says to use --no-journal) or written.
 */
export function createJournal(path: string, header: JournalHeader, records: Iterable<JournalRecord>): JournalFile {
  const fd = createJournalFd(path, 'patch', 'undo journal', fsc.O_WRONLY);
  const hash = createHash('sha256');
  let length = 0;
  let count = 0;
  // Header, records and trailer are gathered into one buffer of about 1 MiB, hashed and written
  // in big calls: a small journal is one write, and a patch of 100,000 small hunks a few, not
  // 200,000. The buffer is made once per process (a patch over 1,000 files writes 1,000
  // journals; this function never runs twice at once).
  journalBlock ??= Buffer.allocUnsafe(1024 * 1024);
  const block = journalBlock;
  let used = 0;
  const flush = (): void => {
    const b = block.subarray(0, used);
    hash.update(b);
    writeFully(fd, b);
    used = 0;
  };
  const put = (b: Uint8Array): void => {
    length += b.length;
    if (used + b.length > block.length) flush();
    if (b.length > block.length) {
      hash.update(b);
      writeFully(fd, b);
      return;
    }
    block.set(b, used);
    used += b.length;
  };
  try {
    const head = block.subarray(0, HEADER_LENGTH).fill(0);
    writeJournalHeader(head, VERSION, header);
    used = HEADER_LENGTH;
    length = HEADER_LENGTH;
    for (const r of records) {
      for (let at = 0; at < r.bytes.length; at += MAX_RECORD) {
        const part = r.bytes.subarray(at, Math.min(r.bytes.length, at + MAX_RECORD));
        if (used + RECORD_HEAD > block.length) flush();
        block.writeBigUInt64LE(r.offset + BigInt(at), used);
        block.writeUInt32LE(part.length, used + 8);
        used += RECORD_HEAD;
        length += RECORD_HEAD;
        put(part); // copied (or written) right away: the caller's bytes may be a window's view
        count++;
      }
    }
    // The trailer goes out with the last records; its checksum covers everything before it.
    if (used + TRAILER_LENGTH > block.length) flush();
    hash.update(block.subarray(0, used));
    END_MAGIC.copy(block, used);
    block.writeBigUInt64LE(BigInt(count), used + 8);
    block.writeBigUInt64LE(BigInt(length), used + 16);
    hash.digest().copy(block, used + 24);
    writeFully(fd, block.subarray(0, used + TRAILER_LENGTH));
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // the original error matters more
    }
    // A read of the file that failed (it shrank: ERR_TRUNCATED) is the file's problem, not the journal's.
    throw err instanceof OperationError || err instanceof MmapError ? err : fsError(err, `cannot write the journal ${path}`);
  }
  return { path, fd, records: count, bytes: length + TRAILER_LENGTH };
}

/**
 * Writes a journal in full and makes it durable: {@link createJournal}, then fsync of the journal
 * and of its directory. On failure the journal is removed again.
 *
 * @returns the number of records and the journal's size in bytes.
 * @throws OperationError as {@link createJournal}, or when the journal cannot be synced.
 */
export function writeJournal(path: string, header: JournalHeader, records: Iterable<JournalRecord>): { records: number; bytes: number } {
  const j = createJournal(path, header, records);
  const failed = syncJournals([j]).get(j);
  if (failed !== undefined) throw failed;
  return { records: j.records, bytes: j.bytes };
}

/**
 * Makes journals written by {@link createJournal} durable, all together, and closes them: starts
 * the write-back of every journal (when there are several), fsyncs each, then fsyncs each distinct
 * directory once. On ext4 the first fsync commits the one journal transaction that holds every
 * journal's creation and block allocation, so the others only wait for their own data. A
 * journal that cannot be synced (nor its directory) is removed again (see {@link discardJournal})
 * and its error returned; the others are durable.
 *
 * @returns the error of each journal that failed (none: an empty map).
 */
export function syncJournals(journals: readonly JournalFile[]): Map<JournalFile, OperationError> {
  const failed = new Map<JournalFile, OperationError>();
  if (journals.length > 1) for (const j of journals) startWriteback(j.fd);
  for (const j of journals) {
    try {
      fsyncSync(j.fd);
    } catch (err) {
      failed.set(j, fsError(err, `cannot write the journal ${j.path}`));
    } finally {
      closeSync(j.fd);
    }
  }
  syncDirectories(
    journals.filter((j) => !failed.has(j)),
    (j) => j.path,
    (j, err) => failed.set(j, err),
  );
  for (const j of failed.keys()) discardJournal(j.path);
  return failed;
}

/**
 * Syncs the directory of each item's path once (the directory of many journals is synced once
 * for all of them); `failed` hears of every item in a directory that could not be synced.
 */
export function syncDirectories<T>(items: readonly T[], pathOf: (item: T) => string, failed: (item: T, err: OperationError) => void): void {
  const dirs = new Map<string, T[]>();
  for (const item of items) {
    const dir = dirname(pathOf(item));
    const list = dirs.get(dir);
    if (list) list.push(item);
    else dirs.set(dir, [item]);
  }
  for (const [dir, list] of dirs) {
    try {
      syncDirectory(dir);
    } catch (err) {
      const e = err instanceof OperationError ? err : fsError(err, `cannot sync the directory ${dir}`);
      for (const item of list) failed(item, e);
    }
  }
}

/**
 * Gives a journal's staging slot (`length` bytes at `at`) its blocks before the file changes, so
 * that a full filesystem fails the edit before its first step and not in the middle (where
 * `recover` would need the same room): fallocate where the filesystem can, otherwise zeros
 * written there (a slot is at most a window).
 * @throws NoRoom when there is no room (the caller's journal is discarded by its own clean-up).
 */
export function reserveJournalSlot(fd: number, at: number, length: number): void {
  const r = reserveSpace(fd, BigInt(at), BigInt(length), false);
  if (r === 'reserved') return;
  if (r === 'no room') throw new NoRoom(`the journal's staging slot (${length} bytes)`);
  const zeros = Buffer.alloc(Math.min(length, 1024 * 1024));
  for (let done = 0; done < length; ) done += writeSync(fd, zeros, 0, Math.min(zeros.length, length - done), at + done);
}

/**
 * Removes a journal whose file was never touched (its patch gave up before the first write) and
 * syncs the directory, so that no crash brings back a journal that a later change of the file
 * would be rolled back to. Errors are ignored: the caller reports the failure that made it give
 * up, and the file is untouched either way.
 */
export function discardJournal(path: string): void {
  try {
    unlinkSync(path);
    syncDirectory(dirname(path));
  } catch {
    // nothing more to do
  }
}

/** Removes a journal whose work is done (or undone) and makes the removal durable. */
export function removeJournal(path: string): void {
  unlinkJournal(path);
  syncDirectory(dirname(path));
}

/** Closes the open journal `j` and removes it durably: its edit is complete and synced. */
export function finishJournal(j: { readonly path: string; readonly fd: number }): void {
  closeSync(j.fd);
  removeJournal(j.path);
}

/** Removes a journal whose work is done, without syncing its directory (the caller does, once for many). */
export function unlinkJournal(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    throw fsError(err, `cannot remove the journal ${path}`);
  }
}

/** A journal as read back: complete (valid trailer and checksum), or incomplete (never used). */
export type JournalContents =
  | { readonly state: 'complete'; readonly header: JournalHeader; readonly records: number; readonly bytes: number; read(): Iterable<JournalRecord> }
  | { readonly state: 'incomplete'; readonly reason: string; readonly header?: JournalHeader };

function readFully(fd: number, length: number, position: number): Buffer {
  const b = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, b, done, length - done, position + done);
    if (n === 0) throw new OperationError(`the journal ended early at byte ${position + done}`);
    done += n;
  }
  return b;
}

/** Reads restored bytes back from the file; it ending early means another program cut it meanwhile. */
function readBack(file: FileRef, length: number, position: bigint): Buffer {
  const b = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(file.fd, b, done, length - done, position + BigInt(done));
    if (n === 0) throw shrankError(file.path, fstatSync(file.fd, { bigint: true }).size, position + BigInt(done));
    done += n;
  }
  return b;
}

/**
 * Writes the 64 bytes every journal version starts with into `head`: the magic, `version`, the
 * header's length (64), the file's device and inode, its sizes before and after, this process's
 * pid and the time now (integers unsigned little-endian).
 */
export function writeJournalHeader(head: Buffer, version: number, h: Pick<JournalHeader, 'dev' | 'ino' | 'sizeBefore' | 'sizeAfter'>): void {
  MAGIC.copy(head, 0);
  head.writeUInt32LE(version, 8);
  head.writeUInt32LE(HEADER_LENGTH, 12);
  head.writeBigUInt64LE(h.dev, 16);
  head.writeBigUInt64LE(h.ino, 24);
  head.writeBigUInt64LE(h.sizeBefore, 32);
  head.writeBigUInt64LE(h.sizeAfter, 40);
  head.writeBigUInt64LE(BigInt(process.pid), 48);
  head.writeBigUInt64LE(BigInt(Date.now()), 56);
}

/** The fields of the 64 bytes {@link writeJournalHeader} writes (any version). */
export function parseHeader(head: Buffer): JournalHeader & { readonly pid: number; readonly created: number } {
  return {
    dev: head.readBigUInt64LE(16),
    ino: head.readBigUInt64LE(24),
    sizeBefore: head.readBigUInt64LE(32),
    sizeAfter: head.readBigUInt64LE(40),
    pid: Number(head.readBigUInt64LE(48)),
    created: Number(head.readBigUInt64LE(56)),
  };
}

/**
 * True when `pid` is a running process whose command line mentions mmapx (pids get reused). Where
 * the system does not say what a process runs (Windows), a running process counts: better a
 * recover that waits than one that rolls back a patch under its writer.
 */
export function mmapxRunning(pid: number | undefined): boolean {
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const words = processCommandLine(pid);
  if (words === undefined) return true;
  return words?.join('\0').includes('mmapx') ?? false;
}

/**
 * Creates the journal at `path` beside the file it protects: exclusively (never over another
 * edit's), mode 0600, no symlink followed. `edit` names the command in the error of a directory
 * that cannot take it ("a transform keeps its journal beside the file"), `kept` what it keeps.
 * @throws OperationError: one appeared meanwhile (run recover), or it cannot be created (the
 *   message says to make the directory writable or use --no-journal).
 */
export function createJournalFd(path: string, edit: string, kept = 'journal', flags: number = fsc.O_RDWR): number {
  try {
    return openSync(path, flags | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new OperationError(`a journal appeared at ${path} (another edit is running, or was interrupted): run 'mmapx recover' on the file first`);
    }
    const e = fsError(err, `cannot create the journal ${path}`);
    throw new OperationError(`${e.message}; a ${edit} keeps its ${kept} beside the file: make the directory writable, or use --no-journal`, e.code, {
      cause: err,
    });
  }
}

/** What a journal's header says of the process and file it was written by and for. */
export interface JournalOwner {
  readonly pid: number;
  readonly dev: bigint;
  readonly ino: bigint;
  /** Its creation time in ms (0: unknown). */
  readonly created: number;
}

/**
 * Refuses a journal that recover must not act on: the `edit` that wrote it still runs, it was
 * written for another file, or for an earlier file with the same inode number (this one was born
 * after it). Returns the file's stat.
 * @throws OperationError naming the reason; the journal stays.
 */
export function assertJournalOwns(path: string, owner: JournalOwner, fd: number, edit: string): BigIntStats {
  if (mmapxRunning(owner.pid)) {
    throw new OperationError(`the ${edit} that wrote the journal ${path} (pid ${owner.pid}) is still running: let it finish, or stop it first`);
  }
  const st = fstatSync(fd, { bigint: true });
  if (st.dev !== owner.dev || st.ino !== owner.ino) {
    throw new OperationError(
      `the journal ${path} was written for another file (device ${owner.dev} inode ${owner.ino}; this one is device ${st.dev} inode ${st.ino}): refusing it`,
    );
  }
  if (owner.created && st.birthtimeMs > 0n && st.birthtimeMs > BigInt(owner.created) + 1n && birthTimesKept()) {
    throw new OperationError(`the journal ${path} is older than this file: it belongs to an earlier file with the same inode number; refusing it`);
  }
  return st;
}

/**
 * Reads and validates the journal open at `fd` (`name` for messages).
 *
 * @throws OperationError for a file that is not an mmapx journal, of an unknown version, or whose
 *   trailer is present but whose contents do not match it (damaged: nothing is decided for you).
 */
export function readJournal(fd: number, name: string): JournalContents {
  const size = Number(fstatSync(fd).size);
  const magicPart = readFully(fd, Math.min(size, MAGIC.length), 0);
  if (!MAGIC.subarray(0, magicPart.length).equals(magicPart)) {
    throw new OperationError(`${name} is not an mmapx journal (no MMAPXJNL magic): leaving it alone`);
  }
  if (size < HEADER_LENGTH) return { state: 'incomplete', reason: `it ends after ${size} bytes, inside its header` };
  const head = readFully(fd, HEADER_LENGTH, 0);
  const version = head.readUInt32LE(8);
  if (version !== VERSION || head.readUInt32LE(12) !== HEADER_LENGTH) {
    throw new OperationError(`${name} is an mmapx journal of version ${version}, which this mmapx does not know (it knows versions 1 to 4)`);
  }
  const header = parseHeader(head);
  if (size < HEADER_LENGTH + TRAILER_LENGTH) return { state: 'incomplete', reason: 'it has no trailer', header };
  const trailer = readFully(fd, TRAILER_LENGTH, size - TRAILER_LENGTH);
  if (!trailer.subarray(0, 8).equals(END_MAGIC)) return { state: 'incomplete', reason: 'it has no trailer', header };
  const count = Number(trailer.readBigUInt64LE(8));
  const length = Number(trailer.readBigUInt64LE(16));
  const digest = trailer.subarray(24, 56).toString('hex');
  const damaged = (why: string): OperationError =>
    new OperationError(`${name} is damaged (${why}): it cannot be trusted to restore the file; inspect the file, then remove the journal by hand`);
  if (length !== size - TRAILER_LENGTH) throw damaged(`its trailer says ${length} bytes of records, the file holds ${size - TRAILER_LENGTH}`);
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(1024 * 1024);
  for (let at = 0; at < length; ) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, length - at), at);
    if (n === 0) throw damaged('it ended while being read');
    hash.update(chunk.subarray(0, n));
    at += n;
  }
  if (hash.digest('hex') !== digest) throw damaged('its checksum does not match');
  // Walk the records once to check their framing before anything is written.
  let pos = HEADER_LENGTH;
  let seen = 0;
  while (pos < length) {
    if (length - pos < RECORD_HEAD) throw damaged(`a record header is cut at byte ${pos}`);
    const rh = readFully(fd, RECORD_HEAD, pos);
    const n = rh.readUInt32LE(8);
    if (n === 0 || n > MAX_RECORD || length - pos - RECORD_HEAD < n) throw damaged(`record ${seen + 1} has a bad length ${n}`);
    pos += RECORD_HEAD + n;
    seen++;
  }
  if (seen !== count) throw damaged(`it holds ${seen} records, its trailer says ${count}`);
  return {
    state: 'complete',
    header,
    records: count,
    bytes: size,
    *read(): Generator<JournalRecord> {
      let p = HEADER_LENGTH;
      while (p < length) {
        const rh = readFully(fd, RECORD_HEAD, p);
        const offset = rh.readBigUInt64LE(0);
        const n = rh.readUInt32LE(8);
        yield { offset, bytes: readFully(fd, n, p + RECORD_HEAD) };
        p += RECORD_HEAD + n;
      }
    },
  };
}

/** What a restore did. */
export interface RestoreReport {
  ranges: number;
  bytes: number;
  /** The file's size before the restore. */
  sizeFound: bigint;
  /** The file's size after it: the journal's size before, or `sizeFound` when the file had been cut. */
  size: bigint;
  /** Set when another program had cut the file (see the rule at the top): what could not be restored. */
  cut?: { records: number; bytes: number };
}

/**
 * Puts the original bytes back: grows the file back first if the patch shrank it, writes every
 * record through shared maps (flushed with fdatasync), reads each back with pread and compares,
 * truncates what the patch grew, and fsyncs. Idempotent: running it again after a crash gives the same file.
 *
 * With `cutAt` (a file another program cut to that size, below the size before the patch), the
 * size is left alone and only the journal's bytes below `cutAt` are restored; the rest is counted
 * in the report's `cut`.
 *
 * @throws OperationError when a record does not read back as written; ERR_TRUNCATED when the file
 *   shrinks while it is being restored.
 */
export function restoreRecords(file: FileRef, header: JournalHeader, records: Iterable<JournalRecord>, sizeFound: bigint, cutAt?: bigint): RestoreReport {
  const limit = cutAt ?? header.sizeBefore;
  const report: RestoreReport = {
    ranges: 0,
    bytes: 0,
    sizeFound,
    size: cutAt ?? header.sizeBefore,
    ...(cutAt !== undefined && { cut: { records: 0, bytes: 0 } }),
  };
  if (cutAt === undefined && sizeFound < header.sizeBefore) ftruncateSync(file.fd, Number(header.sizeBefore));
  const batch: { offset: bigint; bytes: Uint8Array; length: number }[] = [];
  let batchBytes = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    batch.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    writeRanges(file, batch, { sync: 'start' });
    fdatasyncSync(file.fd);
    for (const r of batch) {
      const back = readBack(file, r.length, r.offset);
      if (!equalBytes(back, r.bytes)) {
        throw new OperationError(`restoring ${r.length} bytes at ${formatOffset(r.offset)}: they do not read back as written`);
      }
      report.ranges++;
      report.bytes += r.length;
    }
    batch.length = 0;
    batchBytes = 0;
  };
  for (const r of records) {
    if (r.offset + BigInt(r.bytes.length) > header.sizeBefore) {
      throw new OperationError(`the journal has a record at ${formatOffset(r.offset)} past the original size ${header.sizeBefore}`);
    }
    // Never past the limit: with a cut file, that is its current end.
    const keep = r.offset >= limit ? 0 : limit - r.offset < BigInt(r.bytes.length) ? Number(limit - r.offset) : r.bytes.length;
    if (keep < r.bytes.length && report.cut) {
      report.cut.records++;
      report.cut.bytes += r.bytes.length - keep;
    }
    if (keep === 0) continue;
    batch.push({ offset: r.offset, bytes: r.bytes.subarray(0, keep), length: keep });
    batchBytes += keep;
    if (batchBytes >= MAX_RECORD) flush();
  }
  flush();
  if (cutAt === undefined && sizeFound > header.sizeBefore) ftruncateSync(file.fd, Number(header.sizeBefore));
  fsyncSync(file.fd);
  return report;
}

/**
 * Opens a journal for reading (`write`: and writing, for a shift journal's progress), refusing what
 * must not be trusted: a symlink, a file with other names, another user's file.
 */
export function openJournal(path: string, write = false): { fd: number; close(): void } {
  let fd: number;
  try {
    fd = openSync(path, (write ? fsc.O_RDWR : fsc.O_RDONLY) | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new OperationError(`the journal ${path} is a symbolic link: refusing to follow it (remove it by hand)`);
    }
    throw fsError(err, `cannot open the journal ${path}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new OperationError(`the journal ${path} is not a regular file: refusing it (remove it by hand)`);
    if (st.nlink !== 1) throw new OperationError(`the journal ${path} has ${st.nlink} hard links: refusing it (a journal has exactly one name)`);
    const uid = process.geteuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new OperationError(`the journal ${path} belongs to uid ${st.uid}, not to you (uid ${uid}): refusing it`);
    }
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return { fd, close: () => closeSync(fd) };
}

/** What {@link rollBack} found and did. */
export type RollBackReport =
  | { readonly state: 'incomplete'; readonly reason: string }
  | ({ readonly state: 'restored'; readonly header: JournalHeader; readonly records: number } & RestoreReport);

/**
 * Restores `file` from the journal at `path` and removes the journal: the one procedure behind
 * `mmapx recover` and behind a patch that fails after writing its journal. An incomplete journal
 * (its patch never wrote) is only removed. A file that another program cut below its size before
 * the patch gets the journal's bytes below its end back and keeps its size (the rule at the top),
 * unless `opts.cut` is false (a patch rolling itself back refuses that: recover must say what it did).
 *
 * @throws OperationError, leaving the journal in place, when the journal must not be trusted
 *   (see {@link openJournal}, {@link readJournal}) or belongs to another file (device and inode,
 *   born after the journal, or longer than both recorded sizes).
 */
export function rollBack(path: string, file: FileRef, opts: { cut?: boolean } = {}): RollBackReport {
  const j = openJournal(path);
  let report: RollBackReport;
  try {
    const contents = readJournal(j.fd, path);
    const writer = contents.header?.pid;
    if (mmapxRunning(writer)) {
      throw new OperationError(`the patch that wrote the journal ${path} (pid ${writer}) is still running: let it finish, or stop it first`);
    }
    if (contents.state === 'incomplete') {
      report = { state: 'incomplete', reason: contents.reason };
    } else {
      const h = contents.header;
      const st = fstatSync(file.fd, { bigint: true });
      if (st.dev !== h.dev || st.ino !== h.ino) {
        throw new OperationError(
          `the journal ${path} was written for another file (device ${h.dev} inode ${h.ino}; this one is device ${st.dev} inode ${st.ino}): refusing it`,
        );
      }
      // Birth times are coarse (a clock tick) and never later than the creation they stamp; the
      // journal's time is taken after its file existed. A file born later is another file.
      if (h.created && st.birthtimeMs > 0n && st.birthtimeMs > BigInt(h.created) + 1n && birthTimesKept()) {
        throw new OperationError(
          `the journal ${path} was written at ${new Date(h.created).toISOString()}, before this file was created (${new Date(Number(st.birthtimeMs)).toISOString()}): it belongs to an earlier file with the same inode number; refusing it`,
        );
      }
      const largest = h.sizeBefore > h.sizeAfter ? h.sizeBefore : h.sizeAfter;
      const cut = st.size < h.sizeBefore && st.size !== h.sizeAfter;
      if (st.size > largest || (cut && opts.cut === false)) {
        throw new OperationError(
          `the file is ${st.size} bytes, but the journal ${path} expects ${h.sizeBefore} (before the patch) or ${h.sizeAfter} (after it): refusing it`,
        );
      }
      report = { state: 'restored', header: h, records: contents.records, ...restoreRecords(file, h, contents.read(), st.size, cut ? st.size : undefined) };
    }
  } finally {
    j.close();
  }
  removeJournal(path);
  return report;
}
