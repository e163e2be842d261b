// The one owner of raw addresses. Every mapping goes through `Mapping.map` (one wrapper around
// mmap(2)), every protection change through `Mapping#protect`, every resize through
// `Mapping#remap`, and every retirement through `retire`. Addresses never leave this file except as
// diagnostic numbers (`addressRange`) and through `address()`, which serves `MmapRaw` (a map that
// hands no view out, made for code that passes the address to other FFI).
//
// Views. koffi's ArrayBuffers over mapped memory cannot be detached, and touching one after munmap
// kills the process with SIGSEGV. So once a view has been handed out, its address range stays
// mapped until that ArrayBuffer is garbage-collected: on unmap the file mapping is replaced by an
// inert placeholder (anonymous private zero pages, MAP_FIXED over the same range: the file is
// released, and a stale view reads zeros; what is written through it lands in those private pages,
// reads back through that view, and reaches neither the file nor any other map), and a
// FinalizationRegistry gives the range back once neither the owner nor the view is alive. (A
// read-only placeholder would make a stale write a SIGSEGV; writes cannot be made to vanish.)
//
// Truncation. Every file mapping registers its address range with the SIGBUS guard (sigbus.ts), so
// that a page found past the end of a file that shrank reads zeros instead of killing the process;
// `fault()` tells the caller it happened and where. A range leaves the guard when it stops being
// backed by the file (placeholder) or is unmapped; its last record stays readable through `fault()`.
//
// Counting. A mapping dropped without retire() is given back only by the FinalizationRegistry, that
// is after a garbage collection and between event-loop turns: a synchronous loop that drops its maps
// would reach the kernel's limit of mappings per process (vm.max_map_count) and then fail, or leave
// V8 itself unable to map memory (SIGABRT). So a new range is refused with ERR_TOO_MANY_MAPS once the
// process holds three quarters of that limit. The kernel's count (the lines of /proc/self/maps) is
// read only now and then: each of our mmap, mremap and munmap calls changes it by one at most, so it
// is read again only after as many calls as there was room left at the last reading. (Placeholders
// next to each other merge into one kernel mapping, so a loop that unmaps maps whose views are still
// alive is not refused; a loop that drops its maps is.)
import { type Stats, fstatSync, readFileSync } from 'node:fs';
import { choiceArg, endArg, fdArg, sizeArg } from '../args.js';
import { MmapError, sysError } from '../errors.js';
import { lostWriteError } from '../truncation.js';
import { ADVICE, type Advice, UNCHECKED_ADVICE, type UncheckedAdvice } from './constants.js';
import { type Address, MAP_FAILED, constants, libc, pageSize } from './libc.js';
import { WINDOWS, handleAccess } from './win32.js';
import { type MappedFile, MappingBase, type MappingParts, type Protection, type RangeState, rangeRegistry, roundUp } from './mapping-base.js';
import { type RangeFault, faultedRangeError, guardRange, maxMapCount, moveGuardedRange, rangeFault, unguardRange } from './sigbus.js';

export type { MappedFile, Protection } from './mapping-base.js';

/** What one mmap(2) call asks for. */
export interface MapRequest {
  /** Open file descriptor, or -1 for an anonymous mapping. */
  fd: number;
  /** File offset of the first exposed byte, any alignment (0 for anonymous maps). */
  offset: bigint;
  /** Bytes exposed by the view; may be 0. */
  length: number;
  prot: Protection;
  /** MAP_SHARED (writes reach the file) or MAP_PRIVATE (copy-on-write). */
  shared: boolean;
  populate?: boolean;
  /** Anonymous maps only: huge pages (MAP_HUGETLB) of 2^bits bytes, 0 for the system's default size. */
  huge?: number;
  /**
   * The file `fd` refers to (from fstat at map time): the map keeps no descriptor of its own, and
   * uses the caller's `fd` later (to start write-back, to check the file's size) only while that
   * number still refers to this file. `kind` tells what sync_file_range(2) accepts.
   */
  file?: MappedFile;
  /** For error messages only. */
  path?: string;
}

/** Page-cache counters of a file range from cachestat(2), in pages. */
export interface CacheStat {
  cache: bigint;
  dirty: bigint;
  writeback: bigint;
  evicted: bigint;
  recentlyEvicted: bigint;
}

/** Which pages of a mapping are resident (mincore). */
export interface Residency {
  pageSize: number;
  /** Offset of the first page's first byte relative to the view (0 or negative: pages are aligned). */
  firstPage: number;
  /** One entry per page, 1 when the page is in memory. */
  pages: Uint8Array;
  /** Number of resident pages. */
  resident: number;
}

/** The kernel-side state of one mapped range (see RangeState). */
interface Resource extends RangeState {
  /** The page size of this mapping: the system's, or the huge page size. */
  unit: number;
  /** Slot of the range in the SIGBUS guard, or -1 (anonymous, unguarded, or no longer file-backed). */
  slot: number;
  /** What the guard had recorded when the range left it. */
  fault: RangeFault | undefined;
}

/** Takes the range out of the SIGBUS guard, keeping its record. */
function unguard(res: Resource): void {
  if (res.slot < 0) return;
  res.fault = unguardRange(res.slot) ?? res.fault;
  res.slot = -1;
}

/** A mapping's fault: where (file offset, or view offset for anonymous maps) and how many pages. */
export interface MapFault {
  offset: bigint;
  count: number;
}

/** Address ranges mapped by this module instance and not yet unmapped (inert placeholders included). */
let liveRanges = 0;
let rangeBudget: { budget: number; limit: number } | undefined;
/** Our mmap/mremap/munmap calls since the kernel's count was last read, and how many may follow before it is read again. */
let callsSinceCount = 0;
let callsAllowed: number | undefined;

/** Mappings of this process now (lines of /proc/self/maps); undefined where that cannot be read. */
function processMappings(): number | undefined {
  let text: Buffer;
  try {
    text = readFileSync('/proc/self/maps');
  } catch {
    return undefined;
  }
  let lines = 0;
  for (let at = text.indexOf(10); at >= 0; at = text.indexOf(10, at + 1)) lines++;
  return lines;
}

/** One of our calls that may change the process's number of mappings by one. */
function counted(delta: 1 | -1): void {
  liveRanges += delta;
  callsSinceCount++;
}

/**
 * How many ranges may be mapped at once: three quarters of vm.max_map_count (read once, on first
 * need), leaving the rest to V8, Node.js and the host program; 65530, the kernel's default, where
 * it cannot be read.
 */
function budget(): { budget: number; limit: number } {
  if (rangeBudget === undefined) {
    const limit = maxMapCount();
    rangeBudget = { budget: Math.floor((limit * 3) / 4), limit };
  }
  return rangeBudget;
}

/** Refuses a new range once the budget is spent, before the kernel or V8 runs out. */
function reserveRange(path: string | undefined): void {
  const { budget: most, limit } = budget();
  callsAllowed ??= most;
  if (callsSinceCount < callsAllowed) return;
  const now = processMappings() ?? liveRanges;
  if (now < most) {
    callsSinceCount = 0;
    callsAllowed = most - now;
    return;
  }
  throw new MmapError(
    'ERR_TOO_MANY_MAPS',
    `too many maps: the process has ${now} mappings (${liveRanges} of them mmapx maps still alive), the most it allows itself is ${most} (3/4 of vm.max_map_count ${limit}); ` +
      'call unmap() on each map when done with it, or declare it with `using`: a map dropped without unmap() is released only by garbage collection, between event-loop turns',
    { path },
  );
}

function release(res: Resource): void {
  if (res.freed || res.ownerAlive || res.viewAlive) return;
  res.freed = true;
  unguard(res);
  // INVARIANT: nothing in JS can reach [addr, addr+mapLen) any more: owner and view are gone.
  if (libc().munmap(res.addr, res.mapLen) === 0) counted(-1);
}

const registry = rangeRegistry<Resource>(release);

function protBits(prot: Protection): number {
  const c = constants();
  switch (prot) {
    case 'none':
      return c.PROT_NONE;
    case 'r':
      return c.PROT_READ;
    case 'rw':
      return c.PROT_READ | c.PROT_WRITE;
    case 'rx':
      return c.PROT_READ | c.PROT_EXEC;
  }
}

/**
 * Why mmap(2) or mprotect(2) refused protection `prot`, in words people understand: the one
 * diagnosis for mapping with a protection (`mapExec`) and changing to it (`makeExec`).
 * An executable mapping of a file on a noexec mount is EPERM from mmap but EACCES from mprotect
 * (the map lost VM_MAYEXEC when it was made); a map that exists was made from a readable
 * descriptor, so EACCES from mprotect is never "not open for reading".
 */
function protectionHint(syscall: 'mmap' | 'mprotect', code: string, prot: Protection, shared: boolean, fileBacked: boolean): string | undefined {
  if (prot === 'rx' && fileBacked && (code === 'EPERM' || (code === 'EACCES' && syscall === 'mprotect'))) {
    return 'executable mappings are refused: the filesystem is mounted noexec, or a security policy forbids it';
  }
  if (code === 'EACCES') {
    if (!fileBacked) return undefined;
    if (prot === 'rw' && shared) return 'a shared writable map needs the file open for reading and writing';
    return syscall === 'mmap' ? 'the file is not open for reading' : undefined;
  }
  if (code === 'EPERM' && prot === 'rx') return 'executable memory is refused by a security policy';
  if (code === 'ENODEV') {
    return 'this kind of file cannot be memory-mapped (directory, FIFO, socket, procfs/sysfs or other special file)';
  }
  if (code === 'ENOMEM') return 'not enough memory or address space for the mapping';
  if (code === 'EOVERFLOW') return 'the offset is too large for this file';
  return undefined;
}

function memlockHint(): string {
  try {
    const line = readFileSync('/proc/self/limits', 'latin1')
      .split('\n')
      .find((l) => l.startsWith('Max locked memory'));
    const soft = line?.slice(26).trim().split(/\s+/)[0];
    if (soft) return `RLIMIT_MEMLOCK allows ${soft === 'unlimited' ? 'unlimited' : `${soft} bytes`} of locked memory (see ulimit -l)`;
  } catch {
    // fall through
  }
  return 'the locked-memory limit (RLIMIT_MEMLOCK, see ulimit -l) refused it';
}

/** The system's default huge page size (Hugepagesize in /proc/meminfo), read once; undefined where there is none. */
let defaultHugePage: number | null | undefined;

function systemHugePage(): number | undefined {
  if (defaultHugePage === undefined) {
    defaultHugePage = null;
    try {
      const kib = /^Hugepagesize:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'latin1'))?.[1];
      if (kib !== undefined) defaultHugePage = Number(kib) * 1024;
    } catch {
      // no procfs: unknown
    }
  }
  return defaultHugePage ?? undefined;
}

/** mmap flags and page size for huge pages of 2^bits bytes (0: the system's default size). */
function hugePage(bits: number): { flags: number; size: number } {
  const c = constants();
  if (c.MAP_HUGETLB === 0) throw new MmapError('ERR_UNSUPPORTED_PLATFORM', `huge pages (MAP_HUGETLB) are not available on ${process.platform}`);
  const size = bits === 0 ? systemHugePage() : 2 ** bits;
  if (size === undefined) {
    throw new MmapError('ERR_UNSUPPORTED_PLATFORM', 'this system reports no huge page size (no Hugepagesize in /proc/meminfo): huge pages are not available');
  }
  return { flags: c.MAP_HUGETLB | ((bits & c.MAP_HUGE_MASK) << c.MAP_HUGE_SHIFT), size };
}

/** Why a huge-page map was refused, in words: usually no huge pages are reserved. */
function hugePageHint(code: string, size: number): string | undefined {
  const kib = size / 1024;
  const where = `/sys/kernel/mm/hugepages/hugepages-${kib}kB/nr_hugepages`;
  if (code === 'ENOMEM') {
    return `no free huge pages of ${kib} KiB: the system has to reserve them first (vm.nr_hugepages, or ${where}); or map without huge()`;
  }
  if (code === 'EINVAL') return `huge pages of ${kib} KiB are not supported here (the sizes available are listed in /sys/kernel/mm/hugepages)`;
  return undefined;
}

/** A live mapping. Exposes `length` bytes starting `delta` bytes into the page-aligned mapping. */
export class Mapping extends MappingBase<Resource> {
  private constructor(parts: MappingParts<Resource>) {
    super(parts, registry);
  }

  protected rawView(addr: Address, length: number): ArrayBuffer {
    return libc().view(addr, length);
  }

  /**
   * Maps `req.length` bytes at file offset `req.offset` (any alignment: the mapping starts at the
   * page boundary below it). Ranges must have been checked by the caller.
   * @throws MmapError with the errno name and a hint when mmap(2) fails.
   */
  static map(req: MapRequest): Mapping {
    const c = constants();
    const lc = libc();
    const page = pageSize();
    const delta = req.fd < 0 ? 0 : Number(req.offset % BigInt(page));
    const huge = req.huge !== undefined && req.fd < 0 ? hugePage(req.huge) : undefined;
    // Huge-page maps are made, resized and unmapped in whole huge pages.
    const unit = huge?.size ?? page;
    // mmap(2) rejects a zero length with EINVAL. Like memmap2 we then map one page anyway: an empty
    // file or range gets a real mapping that is never touched, and files that cannot be mapped at
    // all (procfs, FIFOs, directories) still fail here, with the kernel's own error.
    const mapLen = roundUp(Math.max(req.length + delta, 1), unit);
    reserveRange(req.path);
    let flags = req.shared ? c.MAP_SHARED : c.MAP_PRIVATE;
    if (req.fd < 0) flags |= c.MAP_ANONYMOUS;
    if (req.populate) flags |= c.MAP_POPULATE;
    if (huge) flags |= huge.flags;
    const addr = lc.mmap(null, mapLen, protBits(req.prot), flags, req.fd, req.offset - BigInt(delta));
    if (addr === MAP_FAILED) {
      const err = lc.errno();
      const e = sysError('mmap', err, { path: req.path, offset: req.offset, length: BigInt(req.length) });
      const hint = huge ? hugePageHint(e.code, huge.size) : protectionHint('mmap', e.code, req.prot, req.shared, req.fd >= 0);
      throw hint ? sysError('mmap', err, { path: req.path, offset: req.offset, length: BigInt(req.length), hint }) : e;
    }
    // INVARIANT: [addr, addr+mapLen) is ours from here until `release` or `retire` frees it.
    counted(1);
    // INVARIANT: a file range is guarded from before any view of it exists until it is unmapped or replaced.
    const slot = req.fd >= 0 ? guardRange(addr, mapLen, protBits(req.prot)) : -1;
    const res: Resource = { addr, mapLen, unit, ownerAlive: true, viewAlive: false, freed: false, slot, fault: undefined };
    const file = req.fd < 0 ? undefined : req.file;
    return new Mapping({
      res,
      delta,
      length: req.length,
      fileOffset: req.fd < 0 ? -1n : req.offset,
      prot: req.prot,
      shared: req.shared,
      path: req.path,
      source: req.fd,
      file,
    });
  }

  /** Whether the SIGBUS guard covers the range now (see MapBase#guarded). */
  get guarded(): boolean {
    return this.res.slot >= 0;
  }

  /**
   * Whether the SIGBUS guard absorbed a fault in this mapping (a page found past the end of the
   * file, which then read as zeros), and where: the file offset of the first such access. Also
   * answers after the mapping was retired. Undefined when nothing happened or the guard is off.
   */
  fault(): MapFault | undefined {
    const res = this.res;
    const f = res.slot >= 0 ? rangeFault(res.slot) : res.fault;
    if (f === undefined) return undefined;
    const fromView = f.first - res.addr - BigInt(this.delta);
    return { offset: (this.fileOffsetValue < 0n ? 0n : this.fileOffsetValue) + fromView, count: f.count };
  }

  /** The page-aligned span [start, start+len) of the mapping that covers view bytes [offset, offset+length). */
  #pages(offset: number, length: number): { start: number; len: number } {
    return this.pages(offset, length, pageSize());
  }

  /**
   * msync(2) of view bytes [offset, offset+length), widened to whole pages.
   * `async` uses MS_ASYNC and, for maps of regular files and block devices on Linux whose descriptor
   * is still open, also starts writeback with sync_file_range(2): since Linux 2.6.19 MS_ASYNC alone
   * does nothing there (the kernel writes the dirty pages back on its own schedule). Other files
   * (character devices) and maps whose descriptor was closed get MS_ASYNC alone.
   * @returns the file (or view, for anonymous maps) range actually synced.
   */
  flush(offset: number, length: number, async: boolean): { offset: bigint; length: number } {
    const res = this.live('flush');
    this.checkRange('flush', offset, length);
    // A page found past the end of a file that shrank (or that the filesystem had no room for) was
    // replaced by a zero page: what was written there never reaches the file, and msync would report
    // success for the rest.
    const what = async ? 'flushAsync' : 'flush';
    const fd = this.fileOffsetValue >= 0n ? this.fileFd() : -1;
    const lost = this.fault();
    if (lost && this.fileOffsetValue >= 0n) throw lostWriteError(what, fd, this.pathValue, lost.offset, 'fault', lost.count);
    // Bytes past a new end inside its last page, or written before the cut, vanish without a fault.
    if (this.shared && fd >= 0 && length > 0 && this.file?.kind === 'file') {
      const end = this.fileOffsetValue + BigInt(offset + length);
      let size: bigint | undefined;
      try {
        size = fstatSync(fd, { bigint: true }).size;
      } catch {
        size = undefined; // msync reports what goes wrong with the descriptor's file
      }
      if (size !== undefined && size < end) throw lostWriteError(what, fd, this.pathValue, end, 'end');
    }
    const c = constants();
    const lc = libc();
    const span = this.#pages(offset, length);
    const base = this.fileOffsetValue < 0n ? 0n : this.fileOffsetValue;
    const synced = { offset: base - BigInt(this.delta) + BigInt(span.start), length: length === 0 ? 0 : span.len };
    if (length === 0) return synced;
    if (lc.msync(res.addr + BigInt(span.start), span.len, async ? c.MS_ASYNC : c.MS_SYNC) !== 0) {
      throw sysError('msync', lc.errno(), { path: this.pathValue, offset: BigInt(offset), length: BigInt(length) });
    }
    // sync_file_range refuses anything but regular files, block devices and directories (ESPIPE).
    const writable = this.file?.kind === 'file' || this.file?.kind === 'block';
    if (async && this.shared && writable && fd >= 0 && c.SYNC_FILE_RANGE_WRITE !== undefined) {
      if (lc.sync_file_range(fd, synced.offset, BigInt(span.len), c.SYNC_FILE_RANGE_WRITE) !== 0) {
        const err = sysError('sync_file_range', lc.errno(), { path: this.pathValue, offset: synced.offset, length: BigInt(span.len) });
        // The write-back starts later without it; what is reported is only what went wrong with the data.
        if (err.code !== 'ESPIPE' && err.code !== 'EINVAL' && err.code !== 'EBADF') throw err;
      }
    }
    return synced;
  }

  /**
   * madvise(2) over the pages covering view bytes [offset, offset+length). Which names are safe to
   * give is decided by the caller (MapBase.advise / uncheckedAdvise); here only whether the
   * platform has it.
   */
  advise(advice: Advice | UncheckedAdvice, offset: number, length: number): void {
    const res = this.live('advise');
    this.checkRange('advise', offset, length);
    const value = adviceValue(advice);
    if (value === undefined) {
      throw new MmapError('ERR_UNSUPPORTED_PLATFORM', `advice '${advice}' is not available on ${process.platform}`, { path: this.pathValue });
    }
    const span = this.#pages(offset, length);
    const lc = libc();
    if (lc.madvise(res.addr + BigInt(span.start), span.len, value) !== 0) {
      throw sysError('madvise', lc.errno(), { path: this.pathValue, offset: BigInt(offset), length: BigInt(length) });
    }
  }

  /** mlock(2) / munlock(2) of view bytes [offset, offset+length). */
  lock(offset: number, length: number, lock: boolean): void {
    const res = this.live(lock ? 'lock' : 'unlock');
    this.checkRange(lock ? 'lock' : 'unlock', offset, length);
    if (length === 0) return;
    const lc = libc();
    const addr = res.addr + BigInt(this.delta + offset);
    if ((lock ? lc.mlock(addr, length) : lc.munlock(addr, length)) !== 0) {
      const err = lc.errno();
      const probe = sysError(lock ? 'mlock' : 'munlock', err);
      const hint = lock && (probe.code === 'ENOMEM' || probe.code === 'EPERM' || probe.code === 'EAGAIN') ? memlockHint() : undefined;
      throw sysError(lock ? 'mlock' : 'munlock', err, { path: this.pathValue, offset: BigInt(offset), length: BigInt(length), hint });
    }
  }

  /** mincore(2): which pages covering the view are resident. */
  residency(): Residency {
    const res = this.live('residency');
    const page = pageSize();
    const span = this.#pages(0, this.length);
    const count = this.length === 0 ? 0 : span.len / page;
    const pages = new Uint8Array(count);
    if (count > 0) {
      const lc = libc();
      if (lc.mincore(res.addr + BigInt(span.start), span.len, pages) !== 0) {
        throw sysError('mincore', lc.errno(), { path: this.pathValue });
      }
    }
    let resident = 0;
    for (let i = 0; i < count; i++) {
      // Only bit 0 is defined; the others are reserved.
      pages[i] = (pages[i] as number) & 1;
      resident += pages[i] as number;
    }
    return { pageSize: page, firstPage: -this.delta, pages, resident };
  }

  /**
   * A new mapping of the same memory with protection `prot`; this one is retired.
   * If no view was handed out, the pages change protection in place. Otherwise the pages move to a new
   * address (mremap MREMAP_DONTUNMAP, Linux >= 5.7 anonymous, >= 5.13 file maps) and the old range
   * gets an inert placeholder, so the old view can never write through the new protection or fault.
   * On failure this mapping stays as it was.
   */
  protect(prot: Protection): Mapping {
    const res = this.live('protect');
    // Its pages are no longer all the file's (and no longer one kernel mapping, which mremap needs).
    if (this.fault()) throw faultedRangeError('protect', this.pathValue);
    const c = constants();
    const lc = libc();
    const bits = protBits(prot);
    let next: Resource;
    if (!res.viewAlive) {
      if (lc.mprotect(res.addr, res.mapLen, bits) !== 0) throw this.#protectError(lc.errno(), prot);
      next = { ...res };
      moveGuardedRange(next.slot, next.addr, next.mapLen, bits);
      // Ownership of the range and of the guard slot moves to `next`.
      res.ownerAlive = false;
      res.freed = true;
      res.slot = -1;
    } else {
      if (c.MREMAP_DONTUNMAP === undefined || c.MREMAP_MAYMOVE === undefined || c.MREMAP_FIXED === undefined) {
        throw new MmapError('ERR_UNSUPPORTED_PLATFORM', 'protection change of a viewed mapping needs mremap(2)');
      }
      reserveRange(this.pathValue);
      const moved = lc.mremap(res.addr, res.mapLen, res.mapLen, c.MREMAP_MAYMOVE | c.MREMAP_DONTUNMAP, null);
      if (moved === MAP_FAILED) {
        const err = lc.errno();
        throw sysError('mremap', err, {
          path: this.pathValue,
          hint: 'changing the protection of a mapping whose bytes were viewed needs Linux >= 5.13 (MREMAP_DONTUNMAP)',
        });
      }
      // INVARIANT: the pages now live at `moved`; [addr, addr+mapLen) is still mapped but empty.
      counted(1);
      if (lc.mprotect(moved, res.mapLen, bits) !== 0) {
        const err = lc.errno();
        this.#moveBack(res, moved);
        throw this.#protectError(err, prot);
      }
      // The guard slot follows the pages to their new address; the placeholder needs none.
      const slot = res.slot;
      res.slot = -1;
      this.#placeholder(res);
      next = { addr: moved, mapLen: res.mapLen, unit: res.unit, ownerAlive: true, viewAlive: false, freed: false, slot, fault: undefined };
      moveGuardedRange(slot, moved, res.mapLen, bits);
      res.ownerAlive = false;
    }
    this.markRetired();
    return new Mapping(this.parts(next, { prot }));
  }

  /**
   * The mapped file's size now, read through the descriptor the map was made from while it still
   * refers to the same file; undefined for anonymous maps and devices, null when that descriptor
   * is closed or reused for another file.
   */
  #fileSizeNow(): bigint | undefined | null {
    if (this.fileOffsetValue < 0n || this.file === undefined || this.file.kind !== 'file' || this.source < 0) return undefined;
    try {
      const st = fstatSync(this.source, { bigint: true });
      if (st.dev === this.file.dev && st.ino === this.file.ino) return st.size;
    } catch {
      // closed
    }
    return null;
  }

  /**
   * A mapping of `length` bytes from the same start (mremap(2)); this one is retired. With no view
   * handed out the pages are resized where they are, or moved when `mayMove` allows and the
   * addresses after them are taken. Once a view exists its range must stay mapped until the view
   * is collected, so the pages move (MREMAP_DONTUNMAP) and are resized at their new address, and the
   * old range gets the inert placeholder: that needs `mayMove`. A file map never grows past the
   * file's end. On failure this mapping stays as it was.
   */
  remap(length: number, mayMove: boolean): Mapping {
    const res = this.live('remap');
    if (this.fault()) throw faultedRangeError('remap', this.pathValue);
    const c = constants();
    const lc = libc();
    if (c.MREMAP_MAYMOVE === undefined || c.MREMAP_DONTUNMAP === undefined || c.MREMAP_FIXED === undefined) {
      throw new MmapError('ERR_UNSUPPORTED_PLATFORM', `remap needs mremap(2), which ${process.platform} does not have`);
    }
    if (length > this.length) {
      const size = this.#fileSizeNow();
      if (size === null) {
        throw new MmapError(
          'ERR_INVALID_ARG',
          `remap: cannot grow a map of a file that no open descriptor refers to any more (it was made from fd ${this.source}): keep the file open to grow its map`,
          { path: this.pathValue },
        );
      }
      if (size !== undefined && this.fileOffsetValue + BigInt(length) > size) {
        throw new MmapError('ERR_OUT_OF_RANGE', `remap: range offset ${this.fileOffsetValue} length ${length} ends past the end of the file (size ${size})`, {
          path: this.pathValue,
          offset: this.fileOffsetValue,
          length: BigInt(length),
        });
      }
    }
    const mapLen = roundUp(Math.max(length + this.delta, 1), res.unit);
    const bits = protBits(this.prot);
    const hint = mayMove ? undefined : 'the addresses after the map are taken: allow the map to move with { mayMove: true }';
    let next: Resource;
    if (!res.viewAlive) {
      const addr = mapLen === res.mapLen ? res.addr : lc.mremap(res.addr, res.mapLen, mapLen, mayMove ? c.MREMAP_MAYMOVE : 0, null);
      if (addr === MAP_FAILED) throw this.#remapError(lc.errno(), length, hint);
      next = { ...res, addr, mapLen };
      moveGuardedRange(next.slot, addr, mapLen, bits);
      // Ownership of the range and of the guard slot moves to `next`.
      res.ownerAlive = false;
      res.freed = true;
      res.slot = -1;
    } else {
      if (!mayMove) {
        throw new MmapError(
          'ERR_INVALID_ARG',
          "remap: this map's bytes were viewed, and a view's memory stays mapped until the view is collected, so the map can only be resized by moving it: pass { mayMove: true } (the old view is then cut off, as after unmap())",
          { path: this.pathValue },
        );
      }
      reserveRange(this.pathValue);
      const moved = lc.mremap(res.addr, res.mapLen, res.mapLen, c.MREMAP_MAYMOVE | c.MREMAP_DONTUNMAP, null);
      if (moved === MAP_FAILED) {
        throw this.#remapError(lc.errno(), length, 'resizing a mapping whose bytes were viewed needs Linux >= 5.13 (MREMAP_DONTUNMAP)');
      }
      // INVARIANT: the pages now live at `moved`; [addr, addr+mapLen) is still mapped but empty.
      counted(1);
      const resized = mapLen === res.mapLen ? moved : lc.mremap(moved, res.mapLen, mapLen, c.MREMAP_MAYMOVE, null);
      if (resized === MAP_FAILED) {
        const err = lc.errno();
        this.#moveBack(res, moved);
        throw this.#remapError(err, length, undefined);
      }
      // The guard slot follows the pages to their new address; the placeholder needs none.
      const slot = res.slot;
      res.slot = -1;
      this.#placeholder(res);
      next = { addr: resized, mapLen, unit: res.unit, ownerAlive: true, viewAlive: false, freed: false, slot, fault: undefined };
      moveGuardedRange(slot, resized, mapLen, bits);
      res.ownerAlive = false;
    }
    this.markRetired();
    return new Mapping(this.parts(next, { length }));
  }

  /**
   * After a MREMAP_DONTUNMAP move whose next step failed: puts the pages back at `res.addr`, where
   * the old view expects them (replacing the empty range the move left). If even that fails, the
   * moved pages are dropped, the old range gets the inert placeholder and this mapping retires.
   */
  #moveBack(res: Resource, moved: Address): void {
    const c = constants();
    const lc = libc();
    // Only reached after a move, so mremap's flags exist on this platform.
    if (lc.mremap(moved, res.mapLen, res.mapLen, c.MREMAP_MAYMOVE! | c.MREMAP_FIXED!, res.addr) === MAP_FAILED) {
      if (lc.munmap(moved, res.mapLen) === 0) counted(-1);
      this.#placeholder(res);
      this.markBroken();
    } else {
      counted(-1); // moved back over the old range: one range again
    }
  }

  #remapError(errno: number, length: number, hint: string | undefined): MmapError {
    const probe = sysError('mremap', errno);
    return sysError('mremap', errno, {
      path: this.pathValue,
      length: BigInt(length),
      hint: probe.code === 'ENOMEM' ? (hint ?? 'not enough memory or address space for the mapping') : undefined,
    });
  }

  #protectError(errno: number, prot: Protection): MmapError {
    const probe = sysError('mprotect', errno);
    const hint = protectionHint('mprotect', probe.code, prot, this.shared, this.fileOffsetValue >= 0n);
    return sysError('mprotect', errno, { path: this.pathValue, hint });
  }

  /** Replaces the range with anonymous zero pages: the file is released and stale views become inert. */
  #placeholder(res: Resource): void {
    const c = constants();
    const flags = c.MAP_PRIVATE | c.MAP_FIXED | c.MAP_ANONYMOUS | c.MAP_NORESERVE;
    // INVARIANT: MAP_FIXED over our own range, so it cannot clobber anyone else's memory. Should it
    // fail (address-space limits), the old mapping simply stays (and stays guarded) until the view
    // is collected.
    if (libc().mmap(res.addr, res.mapLen, c.PROT_READ | c.PROT_WRITE, flags, -1, 0n) !== MAP_FAILED) unguard(res);
  }

  /** munmap: retires the mapping. Idempotent. A view handed out earlier is cut off (see the placeholder). */
  retire(): void {
    if (this.retired) return;
    this.markRetired();
    const res = this.res;
    res.ownerAlive = false;
    if (res.viewAlive) {
      this.#placeholder(res);
    } else {
      release(res);
    }
  }
}

/** The platform's number for an advice name; undefined where it has none. */
function adviceValue(advice: Advice | UncheckedAdvice): number | undefined {
  const table = constants().advice;
  return Object.hasOwn(table, advice) ? table[advice] : undefined;
}

/**
 * Whether this kernel accepts `advice` (after memmap2's `Advice::is_supported`): madvise(2) of an
 * empty range checks the advice and nothing else, so it answers without touching any memory.
 * False for a name the platform has no number for.
 * @throws MmapError `ERR_INVALID_ARG` for a name that is neither an {@link Advice} nor an {@link UncheckedAdvice}.
 */
export function isAdviceSupported(advice: Advice | UncheckedAdvice): boolean {
  choiceArg(advice, 'advice', [...ADVICE, ...UNCHECKED_ADVICE]);
  // Windows has no madvise: no advice at all.
  if (WINDOWS) return false;
  const value = adviceValue(advice);
  return value !== undefined && libc().madvise(0n, 0, value) === 0;
}

/** The advice names this kernel accepts: those `advise()` takes, and those `uncheckedAdvise()` takes. */
export function supportedAdvice(): { advise: Advice[]; uncheckedAdvise: UncheckedAdvice[] } {
  return { advise: ADVICE.filter(isAdviceSupported), uncheckedAdvise: UNCHECKED_ADVICE.filter(isAdviceSupported) };
}

/**
 * Starts write-back of all of a file's dirty pages without waiting for it: sync_file_range(2) with
 * SYNC_FILE_RANGE_WRITE over the whole file, or over `length` bytes at `offset` when given (0: to
 * the end). An fsync that follows then finds the data on its way; started on many files before the
 * first fsync, their block allocations join one journal commit.
 * Returns false where the call does not exist or fails (the fsync that follows does the work then).
 */
export function startWriteback(fd: number, offset = 0n, length = 0n): boolean {
  if (WINDOWS) return false;
  const flag = constants().SYNC_FILE_RANGE_WRITE;
  if (flag === undefined) return false;
  return libc().sync_file_range(fd, offset, length, flag) === 0;
}

/**
 * Access mode of an open descriptor, from fcntl(F_GETFL).
 * @throws MmapError ERR_INVALID_ARG for anything but a descriptor number; EBADF for a closed one.
 */
export function fdAccessMode(fd: number): 'r' | 'w' | 'rw' {
  fdArg(fd);
  if (WINDOWS) return handleAccess(fd);
  const c = constants();
  const lc = libc();
  const fl = lc.fcntlInt(fd, c.F_GETFL, 0);
  if (fl < 0) throw sysError('fcntl', lc.errno());
  const mode = fl & c.O_ACCMODE;
  return mode === c.O_RDWR ? 'rw' : mode === c.O_WRONLY ? 'w' : 'r';
}

/**
 * cachestat(2) (Linux >= 6.5) for a file range, in pages; `undefined` where the kernel or OS lacks it,
 * or refuses it (it answers only callers that could write the file).
 * A length of 0 means "to the end of the file".
 * @throws MmapError `ERR_INVALID_ARG` / `ERR_OUT_OF_RANGE` for a bad descriptor value, offset or
 *   length, or a range that ends past 2^63-1; `EBADF` for a closed descriptor; `ESPIPE` for a FIFO
 *   or socket (no page cache: the kernel would answer zeros).
 */
export function cachestat(fd: number, offset: bigint | number, length: bigint | number): CacheStat | undefined {
  fdArg(fd);
  const from = sizeArg(offset, 'offset');
  const count = sizeArg(length, 'length');
  endArg(from, count);
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).errno;
    if (typeof errno !== 'number') throw err;
    throw sysError('fstat', Math.abs(errno));
  }
  if (st.isFIFO() || st.isSocket()) {
    throw new MmapError('ESPIPE', `cachestat: a ${st.isFIFO() ? 'FIFO' : 'socket'} has no page cache`, { offset: from, length: count });
  }
  if (WINDOWS) return undefined;
  const c = constants();
  if (c.SYS_cachestat === undefined) return undefined;
  const lc = libc();
  const out = new BigUint64Array(5);
  if (lc.cachestat(c.SYS_cachestat, fd, new BigUint64Array([from, count]), out) !== 0) {
    const err = sysError('cachestat', lc.errno());
    // Missing before Linux 6.5; refused (EPERM) for files the caller could not write, since 6.x.
    if (err.code === 'ENOSYS' || err.code === 'EOPNOTSUPP' || err.code === 'EPERM' || err.code === 'EACCES') return undefined;
    throw err;
  }
  const [cache, dirty, writeback, evicted, recentlyEvicted] = out as unknown as [bigint, bigint, bigint, bigint, bigint];
  return { cache, dirty, writeback, evicted, recentlyEvicted };
}
