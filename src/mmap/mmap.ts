// memmap2's API in TypeScript: MmapOptions chooses flags, Mmap / MmapMut own one mapping each.
// All system calls go through sys/Mapping; this layer checks ranges and picks the protection.
import { fstatSync } from 'node:fs';
import { choiceArg, endArg, fileArg, invalid, safeSizeArg, sizeArg } from './args.js';
import type { ReadonlyUint8Array } from './bytes.js';
import { MmapError, sysError } from './errors.js';
import {
  ADVICE,
  type Advice,
  type MapFault,
  type MappedFile,
  Mapping,
  type Protection,
  type Residency,
  UNCHECKED_ADVICE,
  type UncheckedAdvice,
} from './sys/index.js';
import { type Access, faultError } from './truncation.js';

/** An open file: a descriptor, or an object carrying one (optionally with a path for error messages). */
export type FileLike = number | { readonly fd: number; readonly path?: string | Buffer | URL };

/** A byte count or offset. bigint is exact beyond 2^53. */
export type Size = number | bigint;

/** How {@link Mmap.remap} (and the other maps' `remap`) may resize a map, after memmap2's `RemapOptions`. */
export interface RemapOptions {
  /**
   * Allow the map to move to another address when it cannot be resized where it is (MREMAP_MAYMOVE).
   * Default false: resized in place or not at all (ENOMEM). A map whose `bytes` were viewed can only
   * be resized by moving, and needs it.
   */
  mayMove?: boolean;
}

/** A part of a mapping, relative to its first byte. */
export interface ByteRange {
  offset: Size;
  length: Size;
}

/** fstat(2) of a descriptor checked by fileArg; a failure (EBADF: not open) is an MmapError with its errno. */
export function statFd(fd: number, path: string | undefined) {
  try {
    return fstatSync(fd, { bigint: true });
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).errno;
    if (typeof errno !== 'number') throw err;
    // Node reports errno negated (libuv's convention).
    throw sysError('fstat', Math.abs(errno), { path });
  }
}

/**
 * fstat(2) of a descriptor that is to be mapped, or an error for things that cannot be mapped
 * (directories; FIFOs and sockets are ENODEV, as mmap(2) says). One check for `map()` and `windows()`.
 */
export function mappableStat(fd: number, path: string | undefined) {
  const st = statFd(fd, path);
  if (st.isDirectory()) throw new MmapError('EISDIR', 'cannot map a directory', { path });
  if (st.isFIFO()) throw new MmapError('ENODEV', 'cannot map a FIFO', { path });
  if (st.isSocket()) throw new MmapError('ENODEV', 'cannot map a socket', { path });
  return st;
}

/**
 * Size of what `fd` refers to (undefined for devices), and which file it is (for the later checks
 * that the caller's descriptor still refers to it: write-back, `remap`); an error for things that
 * cannot be mapped.
 */
function mappableFile(fd: number, path: string | undefined): { size: bigint | undefined; file: MappedFile } {
  const st = mappableStat(fd, path);
  const kind = st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : 'file';
  return { size: kind === 'file' ? st.size : undefined, file: { dev: st.dev, ino: st.ino, kind } };
}

/**
 * Builder for mappings, after memmap2's `MmapOptions`: set `offset`, `len`, `populate`, then map.
 *
 * Safety: a file mapping shows the file's current contents. If another process truncates the file
 * while it is mapped, touching the bytes past the new end raises SIGBUS, which kills every mmap
 * program. On Linux x86-64 and arm64 mmapx absorbs that fault inside its own mappings (see `sigbusGuard()`):
 * the page reads as zeros, what is written to it stays in that page of this process and never
 * reaches the file, and `fault()` / `assertIntact()` report it, so check them after using the bytes
 * (a flush of a mutable map checks by itself). Elsewhere the process still dies by SIGBUS.
 */
export class MmapOptions {
  #offset = 0n;
  #len: bigint | undefined;
  #populate = false;
  #huge: number | undefined;

  /** File offset of the first mapped byte. Any value: the map starts at the page below it. */
  offset(n: Size): this {
    this.#offset = sizeArg(n, 'offset');
    return this;
  }

  /** Number of bytes to map. Defaults to the rest of the file (required for devices and `mapAnon`). */
  len(n: Size): this {
    this.#len = sizeArg(n, 'len');
    return this;
  }

  /** Pre-fault the pages (MAP_POPULATE): reads ahead for files, allocates for anonymous maps. */
  populate(): this {
    this.#populate = true;
    return this;
  }

  /**
   * Anonymous maps only (`mapAnon`): back the memory with huge pages (MAP_HUGETLB), of 2^`pageBits`
   * bytes (21: 2 MiB, 30: 1 GiB on x86-64), or of the system's default size when omitted. The map
   * is made in whole huge pages. Linux hands out only huge pages reserved beforehand (vm.nr_hugepages,
   * /sys/kernel/mm/hugepages): without them `mapAnon` fails with ENOMEM, saying so. File maps refuse
   * it (memmap2 ignores it there): a file on hugetlbfs is mapped with huge pages by itself.
   */
  huge(pageBits?: number): this {
    // Huge pages run from 64 KiB (arm64) to 16 GiB (ppc64); 2^40 leaves room and keeps sizes exact.
    if (pageBits !== undefined && (typeof pageBits !== 'number' || !Number.isInteger(pageBits) || pageBits < 13 || pageBits > 40)) {
      throw invalid('pageBits', 'the log2 of a huge page size, an integer from 13 to 40 (21: 2 MiB)', pageBits);
    }
    this.#huge = pageBits ?? 0;
    return this;
  }

  #request(file: FileLike, prot: Protection, shared: boolean) {
    const { fd, path } = fileArg(file);
    if (this.#huge !== undefined) {
      throw new MmapError('ERR_INVALID_ARG', 'huge() applies to anonymous maps (mapAnon); a file on hugetlbfs is mapped with huge pages by itself', { path });
    }
    const { size, file: mapped } = mappableFile(fd, path);
    const offset = this.#offset;
    let len = this.#len;
    if (size !== undefined) {
      // Overflow-safe form, as memmap2 checks it.
      if (offset > size) {
        throw new MmapError('ERR_OUT_OF_RANGE', `offset ${offset} is past the end of the file (size ${size})`, {
          path,
          offset,
          length: len,
        });
      }
      if (len === undefined) len = size - offset;
      else if (len > size - offset) {
        throw new MmapError('ERR_OUT_OF_RANGE', `range offset ${offset} length ${len} ends past the end of the file (size ${size})`, {
          path,
          offset,
          length: len,
        });
      }
    } else if (len === undefined) {
      throw new MmapError('ERR_INVALID_ARG', 'the size of a device is unknown: give len', { path });
    }
    // A device takes any offset; the range must still end at a file offset (no wrap past 2^63-1).
    endArg(offset, len, path);
    return Mapping.map({
      fd,
      offset,
      length: safeSizeArg(len, 'len', path),
      prot,
      shared,
      populate: this.#populate,
      file: mapped,
      path,
    });
  }

  /** Read-only shared map (PROT_READ, MAP_SHARED). */
  map(file: FileLike): Mmap {
    return new Mmap(this.#request(file, 'r', true));
  }

  /** Read + execute shared map. Fails with EPERM on a noexec mount. Nothing here ever executes it. */
  mapExec(file: FileLike): Mmap {
    return new Mmap(this.#request(file, 'rx', true));
  }

  /** Writable shared map: writes reach the file. Needs the file open read-write. */
  mapMut(file: FileLike): MmapMut {
    return new MmapMut(this.#request(file, 'rw', true));
  }

  /** Private copy-on-write map: writable, but writes never reach the file. */
  mapCopy(file: FileLike): MmapMut {
    return new MmapMut(this.#request(file, 'rw', false));
  }

  /** Private read-only map. */
  mapCopyReadOnly(file: FileLike): Mmap {
    return new Mmap(this.#request(file, 'r', false));
  }

  /** Anonymous private zero-filled memory of `len` bytes (0 if unset); see {@link huge}. */
  mapAnon(): MmapMut {
    const length = safeSizeArg(this.#len ?? 0n, 'len');
    return new MmapMut(Mapping.map({ fd: -1, offset: 0n, length, prot: 'rw', shared: false, populate: this.#populate, huge: this.#huge }));
  }

  /**
   * Writable shared map with no view: its `address` and `length`, for code that hands the memory
   * to other FFI (memmap2's `map_raw`). Needs the file open read-write.
   */
  mapRaw(file: FileLike): MmapRaw {
    return new MmapRaw(this.#request(file, 'rw', true));
  }

  /** Read-only shared map with no view (memmap2's `map_raw_read_only`); see {@link mapRaw}. */
  mapRawReadOnly(file: FileLike): MmapRaw {
    return new MmapRaw(this.#request(file, 'r', true));
  }
}

/**
 * What every mapping can do, whatever its protection.
 *
 * Release: a map holds kernel resources (an address range; never a file descriptor: the caller's
 * may be closed at once) until `unmap()`. Call it when done, or declare the map with `using` (it is `Disposable`). A map dropped
 * without it is released only after garbage collection, between event-loop turns, so a synchronous
 * loop that drops its maps fails with ERR_TOO_MANY_MAPS once too many are alive.
 */
abstract class MapBase implements Disposable {
  /** @internal */
  protected readonly m: Mapping;

  /** @internal Use {@link MmapOptions} (or `Mmap.map`, `MmapMut.mapMut`, `MmapMut.mapAnon`). */
  constructor(m: Mapping) {
    if (!(m instanceof Mapping)) {
      throw new MmapError(
        'ERR_INVALID_ARG',
        `maps are made by MmapOptions, Mmap.map(), MmapMut.mapMut() or MmapMut.mapAnon(), not with new ${new.target.name}()`,
      );
    }
    this.m = m;
  }

  /** Number of bytes mapped (as requested; the pages around them are not exposed). */
  get length(): number {
    return this.m.length;
  }

  /** True when nothing is mapped (empty file or `len(0)`). */
  get isEmpty(): boolean {
    return this.m.length === 0;
  }

  /** False after `unmap()` or a protection change. */
  get isMapped(): boolean {
    return !this.m.retired;
  }

  /**
   * Whether the SIGBUS guard covers this map now, so that a truncation under it is absorbed and
   * reported by {@link fault} instead of killing the process. False for anonymous maps (nothing to
   * guard), after `unmap()`, where the guard is off (see `sigbusGuard().reason`), and for a file map
   * made while every slot of the guard was taken (`sigbusGuard().unguarded` counts those): the guard
   * has one slot per mapping the process may have (vm.max_map_count), so that takes maps made
   * around the library's back, or more than a million.
   */
  get guarded(): boolean {
    return this.m.guarded;
  }

  /** Current protection: `r`, `rw`, `rx` or `none`. */
  get protection(): Protection {
    return this.m.protection;
  }

  /**
   * madvise(2) for the whole map or a range of it (widened to whole pages): a hint about how the
   * pages will be used, which never changes what the bytes read. Advice that can discard data
   * (`dontneed`, `free`, `remove`) is refused here with `ERR_INVALID_ARG`: see {@link uncheckedAdvise}.
   * Which advice this kernel accepts: `supportedAdvice()`.
   * @throws MmapError `ERR_INVALID_ARG` for a name that is not an {@link Advice}; `ERR_OUT_OF_RANGE`
   *   for a range outside the map; the errno of madvise(2) (EINVAL: the kernel lacks that advice).
   */
  advise(advice: Advice, range?: ByteRange): void {
    const path = this.m.path;
    if (typeof advice === 'string' && (UNCHECKED_ADVICE as readonly string[]).includes(advice)) {
      throw new MmapError(
        'ERR_INVALID_ARG',
        `advise('${advice}') is refused: that advice can discard the map's data (${DISCARDS[advice as UncheckedAdvice]}); call uncheckedAdvise('${advice}') if that is what you mean`,
        { path },
      );
    }
    choiceArg(advice, 'advice', ADVICE, path);
    const { offset, length } = rangeOf(this.m, range);
    this.m.advise(advice, offset, length);
  }

  /**
   * madvise(2) with advice that can change or destroy the map's contents (after memmap2's
   * `unchecked_advise`), for the whole map or a range (widened to whole pages):
   * - `dontneed`: drops the pages; a private map (`mapCopy`, `mapAnon`) loses what was written to
   *   it and reads the file's bytes (or zeros) again; a shared map reads the file again.
   * - `free`: a private anonymous map's pages may be dropped whenever the kernel likes, and then read
   *   as zeros (EINVAL on file maps).
   * - `remove`: frees the pages and the file's storage behind them (punches a hole): the file's bytes
   *   read back as zeros, for every process, even through a read-only map of a descriptor opened
   *   for writing.
   * What was read from the bytes before stays valid; what they hold afterwards is the kernel's.
   * @throws MmapError `ERR_INVALID_ARG` for any other name (use {@link advise} for hints); as `advise`.
   */
  uncheckedAdvise(advice: UncheckedAdvice, range?: ByteRange): void {
    const path = this.m.path;
    if (typeof advice === 'string' && (ADVICE as readonly string[]).includes(advice)) {
      throw new MmapError('ERR_INVALID_ARG', `uncheckedAdvise('${advice}'): that advice keeps the data; call advise('${advice}')`, { path });
    }
    choiceArg(advice, 'advice', UNCHECKED_ADVICE, path);
    const { offset, length } = rangeOf(this.m, range);
    this.m.advise(advice, offset, length);
  }

  /** mlock(2): keep the pages (or a range) in memory. Fails with a clear message when RLIMIT_MEMLOCK refuses. */
  lock(range?: ByteRange): void {
    const { offset, length } = rangeOf(this.m, range);
    this.m.lock(offset, length, true);
  }

  /** munlock(2). */
  unlock(range?: ByteRange): void {
    const { offset, length } = rangeOf(this.m, range);
    this.m.lock(offset, length, false);
  }

  /** mincore(2): which of the mapping's pages are resident in memory. */
  residency(): Residency {
    return this.m.residency();
  }

  /**
   * Whether another process truncated the file under this mapping while it was in use: the file
   * offset of the first access that found no file there (that page then read as zeros, and writes
   * to it never reached the file) and how many pages were affected. Also answers after `unmap()`.
   * Undefined when nothing happened, for anonymous maps, and where the SIGBUS guard is off.
   */
  fault(): MapFault | undefined {
    return this.m.fault();
  }

  /**
   * Throws if {@link fault} reports anything: call it after reading or writing the bytes, before
   * trusting what was read (or flushing what was written).
   * @throws MmapError `ERR_TRUNCATED`, naming the file offset and the file's size now (a page inside
   * the file that faulted names its causes: a full filesystem, a truncation and regrowth, an I/O
   * error); `ENOSPC` when the page lies inside the file and its filesystem is full (a page of a
   * sparse file written on a full disk), naming the offset and the count of pages lost.
   */
  assertIntact(access: Access = 'read'): void {
    choiceArg(access, 'access', ['read', 'written'] as const, this.m.path);
    const f = this.m.fault();
    if (f) throw faultError(this.m.fileFd(), this.m.path, f.offset, access, f.count);
  }

  /** For diagnostics: the page-aligned address range as /proc/self/maps shows it. */
  addressRange(): { start: bigint; end: bigint } {
    return this.m.addressRange();
  }

  /**
   * Unmaps at once (the file is released). Idempotent. A `bytes` view taken earlier stays safe to
   * touch, but is cut off from the file: its range now holds private zero pages of this process
   * (until the view is garbage-collected), so it reads zeros, and what is written into it stays
   * there, seen by that stale view only, and never reaches the file or any other map.
   */
  unmap(): void {
    this.m.retire();
  }

  /** `using map = ...` unmaps when the block ends: the same as {@link unmap}. */
  [Symbol.dispose](): void {
    this.m.retire();
  }
}

/**
 * mremap(2): `m` resized to `newLength` bytes from the same file offset; `m` is retired (its old
 * `bytes` view, if any, is cut off as after `unmap()`). The `remap` of every kind of map.
 */
function remapped(m: Mapping, newLength: Size, options: RemapOptions | undefined): Mapping {
  const length = safeSizeArg(newLength, 'newLength', m.path);
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw invalid('options', 'an object { mayMove? }', options, m.path);
  }
  const mayMove = options?.mayMove ?? false;
  if (typeof mayMove !== 'boolean') throw invalid('options.mayMove', 'a boolean', mayMove, m.path);
  return m.remap(length, mayMove);
}

/** What each destructive advice does to the data, for the refusal of `advise`. */
const DISCARDS: Readonly<Record<UncheckedAdvice, string>> = {
  dontneed: 'a private map loses what was written to it',
  free: 'a private map may read zeros where it was written',
  remove: "it punches a hole in the file: the file's bytes read back as zeros",
};

/** A range argument, checked: the whole map when absent. (Whether it lies inside the map, Mapping checks.) */
function rangeOf(m: Mapping, range: ByteRange | undefined): { offset: number; length: number } {
  if (range === undefined) return { offset: 0, length: m.length };
  if (typeof range !== 'object' || range === null) throw invalid('range', 'an object { offset, length }', range, m.path);
  return { offset: safeSizeArg(range.offset, 'offset', m.path), length: safeSizeArg(range.length, 'length', m.path) };
}

/** The flushes of the maps whose pages may be written (MmapMut, MmapRaw). */
abstract class FlushableMap extends MapBase {
  /**
   * msync(MS_SYNC) of the whole map: returns when the data is on disk.
   * @throws MmapError `ERR_TRUNCATED` naming the file offset and the count of pages lost, before
   * syncing anything, when the file shrank under the map (see {@link fault}): what was written past
   * the new end was lost. `ENOSPC` instead when the faulting pages lie inside the file and its
   * filesystem is full: pages of a sparse file that found no free block, whose writes were lost too.
   */
  flush(): void {
    this.m.flush(0, this.m.length, false);
  }

  /**
   * Starts writing the whole map back without waiting. On Linux MS_ASYNC alone does nothing, so for
   * maps of regular files and block devices this also calls sync_file_range(SYNC_FILE_RANGE_WRITE)
   * on the mapped file range, through the descriptor the map was made from, if it is still open on
   * that file (a map keeps none of its own). Otherwise (a character device, or a descriptor closed
   * since) it is msync(MS_ASYNC) alone, and the kernel writes the pages back on its own schedule.
   * @throws MmapError as {@link flush} does.
   */
  flushAsync(): void {
    this.m.flush(0, this.m.length, true);
  }

  /**
   * msync(MS_SYNC) of `length` bytes at `offset` (relative to the map; any alignment, widened to pages).
   * @returns the file range actually synced (page-aligned).
   * @throws MmapError `ERR_OUT_OF_RANGE` (with `offset` and `length`) for a range outside the map;
   * `ERR_TRUNCATED` as {@link flush} does.
   */
  flushRange(offset: Size, length: Size): { offset: bigint; length: number } {
    const r = rangeOf(this.m, { offset, length });
    return this.m.flush(r.offset, r.length, false);
  }

  /** Asynchronous {@link flushRange}; see {@link flushAsync}. */
  flushAsyncRange(offset: Size, length: Size): { offset: bigint; length: number } {
    const r = rangeOf(this.m, { offset, length });
    return this.m.flush(r.offset, r.length, true);
  }
}

/** A read-only (or read-execute) mapping, after memmap2's `Mmap`. */
export class Mmap extends MapBase {
  /** Maps the whole file read-only. */
  static map(file: FileLike): Mmap {
    return new MmapOptions().map(file);
  }

  /**
   * The mapped bytes, zero-copy and read-only. The type has no way to write; at run time `set`,
   * `fill`, `copyWithin`, `reverse` and `sort` throw ERR_READ_ONLY. What still faults (SIGSEGV, as
   * in C): an index write from untyped code or through a cast, and a new view over `buffer`.
   */
  get bytes(): ReadonlyUint8Array {
    return this.m.view() as ReadonlyUint8Array;
  }

  /** Makes the pages writable (needs a read-write descriptor for shared maps). Retires this object. */
  makeMut(): MmapMut {
    return new MmapMut(this.m.protect('rw'));
  }

  /** Makes the pages read + execute. Retires this object. */
  makeExec(): Mmap {
    return new Mmap(this.m.protect('rx'));
  }

  /** Makes the pages read-only (e.g. after `makeExec`). Retires this object. */
  makeReadOnly(): Mmap {
    return new Mmap(this.m.protect('r'));
  }

  /**
   * mremap(2): this map resized to `newLength` bytes from the same file offset, as a new object;
   * this one is retired (its `bytes` view, if taken, is cut off as after {@link unmap}). Resized in
   * place unless `options.mayMove` lets it move; a map whose bytes were viewed must move. A file
   * map cannot grow past the end of the file (ERR_OUT_OF_RANGE): grow the file first, and keep a
   * descriptor of it open. Linux only.
   */
  remap(newLength: Size, options?: RemapOptions): Mmap {
    return new Mmap(remapped(this.m, newLength, options));
  }

  /** Makes the pages inaccessible (PROT_NONE). Retires this object. */
  makeNone(): MmapNone {
    return new MmapNone(this.m.protect('none'));
  }
}

/** A writable mapping, after memmap2's `MmapMut`. */
export class MmapMut extends FlushableMap {
  /** Maps the whole file read-write, shared. */
  static mapMut(file: FileLike): MmapMut {
    return new MmapOptions().mapMut(file);
  }

  /** Anonymous zero-filled memory. */
  static mapAnon(len: Size): MmapMut {
    return new MmapOptions().len(len).mapAnon();
  }

  /**
   * The mapped bytes, zero-copy and writable.
   *
   * Workers: this memory cannot be handed to a Worker. Transferring `bytes.buffer` in postMessage
   * throws DataCloneError on Node.js 22 and later, and sends a copy on Node.js 20 (the map keeps its
   * bytes; what the worker writes goes to its copy). To share a file map, map the same file range in
   * the worker (post the path, or the descriptor number: descriptors belong to the process): shared
   * maps of one file see each other's writes. For memory that is not a file, use a SharedArrayBuffer.
   */
  get bytes(): Uint8Array {
    return this.m.view();
  }

  /** Resizes the map (mremap); see {@link RemapOptions}. Retires this object. */
  remap(newLength: Size, options?: RemapOptions): MmapMut {
    return new MmapMut(remapped(this.m, newLength, options));
  }

  /**
   * Makes the pages read-only. Retires this object: its old `bytes` view is cut off as after
   * {@link unmap} (reads zeros, keeps its own writes, never reaches the file or the new map).
   */
  makeReadOnly(): Mmap {
    return new Mmap(this.m.protect('r'));
  }

  /** Makes the pages read + execute. Retires this object. */
  makeExec(): Mmap {
    return new Mmap(this.m.protect('rx'));
  }

  /** Makes the pages inaccessible (PROT_NONE). Retires this object. */
  makeNone(): MmapNone {
    return new MmapNone(this.m.protect('none'));
  }
}

/** A mapping with no access (PROT_NONE): no bytes, but it can be given a protection again. */
export class MmapNone extends MapBase {
  makeReadOnly(): Mmap {
    return new Mmap(this.m.protect('r'));
  }

  makeMut(): MmapMut {
    return new MmapMut(this.m.protect('rw'));
  }

  makeExec(): Mmap {
    return new Mmap(this.m.protect('rx'));
  }

  /** Resizes the map (mremap); see {@link RemapOptions}. Retires this object. */
  remap(newLength: Size, options?: RemapOptions): MmapNone {
    return new MmapNone(remapped(this.m, newLength, options));
  }
}

/**
 * A map that hands out no view, after memmap2's `MmapRaw`: its {@link address} and `length` are for
 * code that passes the memory to other FFI (a C library through koffi, a native addon). Made by
 * {@link MmapOptions.mapRaw} (read-write) or {@link MmapOptions.mapRawReadOnly}.
 *
 * The caller's duty: the address is valid only while this object is mapped. `unmap()`, `remap()`
 * and garbage collection of this object (keep a reference while foreign code holds the address)
 * unmap it at once, and foreign code that touches it afterwards crashes the process (SIGSEGV):
 * mmapx cannot cut off memory it never handed out as a view. Reads past the end of a file that
 * shrank are absorbed by the SIGBUS guard as for other maps (see `fault()`).
 */
export class MmapRaw extends FlushableMap {
  /** Maps the whole file read-write, shared, with no view (memmap2's `MmapRaw::map_raw`). */
  static mapRaw(file: FileLike): MmapRaw {
    return new MmapOptions().mapRaw(file);
  }

  /** The address of the first mapped byte (which need not be page-aligned: see `offset`). */
  get address(): bigint {
    return this.m.address();
  }

  /** Resizes the map (mremap); see {@link RemapOptions}. Retires this object: read `address` again. */
  remap(newLength: Size, options?: RemapOptions): MmapRaw {
    return new MmapRaw(remapped(this.m, newLength, options));
  }
}
