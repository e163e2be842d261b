// The Win32 backend of `Mapping`: the same surface as mapping.ts (the POSIX backend), over file
// mapping objects (sections). Every view goes through `Win32Mapping.map` (CreateFileMappingW, then
// MapViewOfFile), every protection change through `protect`, every retirement through `retire`.
//
// Offsets. A view starts at a multiple of the allocation granularity (64 KiB), not of the page
// size: the view starts below the requested offset and the bytes before it are hidden (`delta`).
//
// Views. As on POSIX, koffi's ArrayBuffers cannot be detached, and touching one after
// UnmapViewOfFile is an access violation. So once a view has been handed out, its address range
// stays valid until that ArrayBuffer is garbage-collected: on unmap the file view is replaced by an
// inert placeholder (the view is unmapped and private zero pages are committed at the same address
// with VirtualAlloc; JavaScript runs on one thread, and nothing here allocates in between). A stale
// view then reads zeros and its writes reach nothing. A FinalizationRegistry gives the range back.
//
// Protection changes. A view whose bytes were handed out keeps its range; the new protection gets
// a new view of the same section (its pages are the same memory), and the old range gets the
// placeholder. With no view out, the pages change protection in place (VirtualProtect).
//
// What Windows does not have: mremap (remap), madvise advice, mincore residency, and the SIGBUS of
// a truncated file (Windows refuses to shrink a file while a view of it exists: ERROR_USER_MAPPED_FILE).
import { MmapError } from '../errors.js';
import type { Advice, UncheckedAdvice } from './constants.js';
import type { MapFault, MapRequest, Residency } from './mapping.js';
import { MappingBase, type MappingParts, type Protection, type RangeState, rangeRegistry, roundUp } from './mapping-base.js';
import {
  type Address,
  FILE_MAP_COPY,
  FILE_MAP_EXECUTE,
  FILE_MAP_READ,
  FILE_MAP_WRITE,
  INVALID_HANDLE_VALUE,
  MEM_COMMIT,
  MEM_RELEASE,
  MEM_RESERVE,
  PAGE_EXECUTE_READ,
  PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY,
  PAGE_NOACCESS,
  PAGE_READONLY,
  PAGE_READWRITE,
  PAGE_WRITECOPY,
  fileHandle,
  lastError,
  win32,
  win32Error,
  windowsMemoryInfo,
} from './win32.js';

/** A section (file mapping object) shared by the views made of it; closed when the last one lets go. */
interface Section {
  handle: Address;
  refs: number;
  /** The protection the section was created with: which views it allows. */
  protect: number;
}

function dropSection(section: Section): void {
  section.refs--;
  if (section.refs === 0) win32().CloseHandle(section.handle);
}

/** The state of one view's address range (see RangeState; mapLen counts from the granularity boundary). */
interface Resource extends RangeState {
  /** The range is the VirtualAlloc placeholder, not a view. */
  placeholder: boolean;
  /** The section, held while the owner is alive (a new protection maps a new view of it). */
  section: Section | undefined;
  /** The file offset the view starts at (a multiple of the allocation granularity). */
  start: bigint;
}

/**
 * Address ranges held now: views, and placeholders whose stale view is not collected yet. Each
 * holds at least 64 KiB of address space (the allocation granularity), and placeholders never merge
 * as they do on Linux; a synchronous loop keeps them all (a FinalizationRegistry runs between
 * event-loop turns only). Wine runs out of address space for views near 40,000 of them, and V8
 * then aborts; so a new range is refused with ERR_TOO_MANY_MAPS past RANGE_BUDGET (1 GiB of
 * address space), as on Linux past 3/4 of vm.max_map_count.
 */
let liveRanges = 0;
const RANGE_BUDGET = 16_384;

function reserveRange(path: string | undefined): void {
  if (liveRanges < RANGE_BUDGET) return;
  throw new MmapError(
    'ERR_TOO_MANY_MAPS',
    `too many maps: ${liveRanges} views and placeholders of unmapped views are alive, the most this process allows itself on Windows is ${RANGE_BUDGET}; ` +
      "call unmap() on each map when done with it, or declare it with `using`, and let go of a map's bytes: a view's memory is released only by garbage collection, between event-loop turns",
    { path },
  );
}

function release(res: Resource): void {
  if (res.freed || res.ownerAlive || res.viewAlive) return;
  res.freed = true;
  liveRanges--;
  // INVARIANT: nothing in JS can reach [addr, addr+mapLen) any more: owner and view are gone.
  if (res.placeholder) win32().VirtualFree(res.addr, 0, MEM_RELEASE);
  else win32().UnmapViewOfFile(res.addr);
}

const registry = rangeRegistry<Resource>(release, (res) => {
  if (res.section) dropSection(res.section);
  res.section = undefined;
});

/** The page protection of a view with protection `prot` (private file views are copy-on-write). */
function pageProtection(prot: Protection, copy: boolean): number {
  switch (prot) {
    case 'none':
      return PAGE_NOACCESS;
    case 'r':
      return PAGE_READONLY;
    case 'rw':
      return copy ? PAGE_WRITECOPY : PAGE_READWRITE;
    case 'rx':
      return PAGE_EXECUTE_READ;
  }
}

const EXECUTABLE = [PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY];
const WRITABLE = [PAGE_READWRITE, PAGE_EXECUTE_READWRITE];

/**
 * MapViewOfFile's access for views of a section: the most the section allows, so that later
 * protection changes (VirtualProtect, which cannot exceed the view's access) can happen in place.
 * A private view is copy-on-write whatever the section.
 */
function viewAccess(section: Section, copy: boolean): number {
  const exec = EXECUTABLE.includes(section.protect) ? FILE_MAP_EXECUTE : 0;
  if (copy) return FILE_MAP_COPY | exec;
  return (WRITABLE.includes(section.protect) ? FILE_MAP_WRITE : FILE_MAP_READ) | exec;
}

/** Why a view of `section` cannot take protection `prot`, or undefined when it can. */
function refusal(section: Section, prot: Protection, copy: boolean): string | undefined {
  if (prot === 'rw' && !copy && !WRITABLE.includes(section.protect)) return 'a shared writable map needs the file open for reading and writing';
  if (prot === 'rx' && !EXECUTABLE.includes(section.protect)) {
    return 'executable views need the file opened with execute access, which Node.js does not ask for';
  }
  return undefined;
}

/**
 * The section protections to try, most capable first (so that later protection changes can map
 * views the section allows), ending with the least that `prot` needs. A read-only handle cannot
 * back a writable section, and a handle opened without execute access cannot back an executable
 * one: CreateFileMappingW refuses with ERROR_ACCESS_DENIED, and the next one is tried.
 */
function sectionProtections(prot: Protection, anonymous: boolean, copy: boolean): number[] {
  if (anonymous) return [PAGE_EXECUTE_READWRITE, PAGE_READWRITE];
  if (prot === 'rx') return copy ? [PAGE_EXECUTE_WRITECOPY, PAGE_EXECUTE_READ] : [PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_READ];
  if (prot === 'rw') return copy ? [PAGE_EXECUTE_WRITECOPY, PAGE_WRITECOPY, PAGE_READONLY] : [PAGE_EXECUTE_READWRITE, PAGE_READWRITE];
  return copy ? [PAGE_EXECUTE_WRITECOPY, PAGE_WRITECOPY, PAGE_READONLY] : [PAGE_EXECUTE_READWRITE, PAGE_READWRITE, PAGE_EXECUTE_READ, PAGE_READONLY];
}

function hintFor(code: string, prot: Protection, shared: boolean): string | undefined {
  if (code === 'EACCES') {
    if (prot === 'rw' && shared) return 'a shared writable map needs the file open for reading and writing';
    if (prot === 'rx') return 'executable views need a file opened with execute access';
    return 'the file is not open for reading';
  }
  if (code === 'ENOMEM') return 'not enough memory or address space for the mapping';
  if (code === 'ENODEV') return 'this kind of file cannot be memory-mapped';
  return undefined;
}

const UNSUPPORTED_ADVICE = 'madvise advice is not available on Windows';

/** A live view. Exposes `length` bytes starting `delta` bytes into the granularity-aligned view. */
export class Win32Mapping extends MappingBase<Resource> {
  private constructor(parts: MappingParts<Resource>) {
    super(parts, registry);
  }

  protected rawView(addr: Address, length: number): ArrayBuffer {
    return win32().view(addr, length);
  }

  /**
   * Maps `req.length` bytes at file offset `req.offset` (any alignment: the view starts at the
   * allocation granularity boundary below it). Ranges must have been checked by the caller.
   * @throws MmapError with the errno name and a hint when CreateFileMappingW or MapViewOfFile fails.
   */
  static map(req: MapRequest): Win32Mapping {
    if (req.huge !== undefined) throw new MmapError('ERR_UNSUPPORTED_PLATFORM', 'huge pages are not available on win32');
    const w = win32();
    const { pageSize, granularity } = windowsMemoryInfo();
    const anonymous = req.fd < 0;
    const copy = !anonymous && !req.shared;
    const delta = anonymous ? 0 : Number(req.offset % BigInt(granularity));
    // An empty file cannot back a section (ERROR_FILE_INVALID), and a zero-length view means "to the
    // end of the file". Like memmap2, an empty range gets a real (anonymous, never touched) mapping.
    const empty = req.length === 0;
    const start = anonymous || empty ? 0n : req.offset - BigInt(delta);
    const details = { path: req.path, offset: req.offset, length: BigInt(req.length) };
    const mapLen = roundUp(Math.max(req.length + delta, 1), pageSize);
    const handle = anonymous || empty ? INVALID_HANDLE_VALUE : fileHandle(req.fd, req.path);
    reserveRange(req.path);
    let section: Section | undefined;
    let error = 0;
    // A pagefile-backed section is sized by the call; a file's section by the file.
    const size = anonymous || empty ? BigInt(mapLen) : 0n;
    for (const protect of sectionProtections(req.prot, anonymous || empty, copy)) {
      const h = w.CreateFileMappingW(handle, null, protect, Number(size >> 32n), Number(size & 0xffff_ffffn), null);
      if (h !== 0n) {
        section = { handle: h, refs: 1, protect };
        break;
      }
      error = lastError();
      if (error !== 5) break;
    }
    if (!section) {
      const e = win32Error('CreateFileMappingW', error, details);
      throw win32Error('CreateFileMappingW', error, { ...details, hint: hintFor(e.code, req.prot, req.shared) });
    }
    const why = refusal(section, req.prot, copy && !empty);
    if (why !== undefined) {
      dropSection(section);
      throw win32Error('CreateFileMappingW', 5, { ...details, hint: why });
    }
    const access = viewAccess(section, copy && !empty);
    const addr = w.MapViewOfFile(section.handle, access, Number(start >> 32n), Number(start & 0xffff_ffffn), empty ? mapLen : req.length + delta);
    if (addr === 0n) {
      const err = lastError();
      dropSection(section);
      const e = win32Error('MapViewOfFile', err, details);
      throw win32Error('MapViewOfFile', err, { ...details, hint: hintFor(e.code, req.prot, req.shared) });
    }
    // INVARIANT: [addr, addr+mapLen) is ours from here until `release` or `retire` frees it.
    liveRanges++;
    const res: Resource = { addr, mapLen, ownerAlive: true, viewAlive: false, freed: false, placeholder: false, section, start };
    const file = anonymous ? undefined : req.file;
    const m = new Win32Mapping({
      res,
      delta,
      length: req.length,
      fileOffset: anonymous ? -1n : req.offset,
      prot: req.prot,
      shared: req.shared,
      path: req.path,
      source: req.fd,
      file,
    });
    try {
      m.#virtualProtect(res, pageProtection(req.prot, copy && !empty), req.prot);
    } catch (err) {
      m.retire();
      throw err;
    }
    return m;
  }

  /** Windows has no SIGBUS guard to be in: a mapped file cannot shrink there. */
  get guarded(): boolean {
    return false;
  }

  /** Never a fault: Windows refuses to shrink a file that has a view (ERROR_USER_MAPPED_FILE). */
  fault(): MapFault | undefined {
    return undefined;
  }

  /**
   * The span of the view that covers view bytes [offset, offset+length), in units of the
   * allocation granularity (what `pageSize()` reports on Windows) and within the view.
   */
  #pages(offset: number, length: number): { start: number; len: number } {
    return this.pages(offset, length, windowsMemoryInfo().granularity);
  }

  /**
   * FlushViewOfFile of view bytes [offset, offset+length), widened to whole pages: it starts
   * writing the dirty pages to the file. A synchronous flush of a shared file view then waits for
   * the file's data to reach the disk with FlushFileBuffers (as memmap2 does), through the
   * caller's descriptor while it still refers to the file.
   * @returns the file (or view, for anonymous maps) range flushed.
   */
  flush(offset: number, length: number, async: boolean): { offset: bigint; length: number } {
    const res = this.live('flush');
    this.checkRange('flush', offset, length);
    const span = this.#pages(offset, length);
    const base = this.fileOffsetValue < 0n ? 0n : this.fileOffsetValue;
    const synced = { offset: base - BigInt(this.delta) + BigInt(span.start), length: length === 0 ? 0 : span.len };
    if (length === 0) return synced;
    const w = win32();
    const details = { path: this.pathValue, offset: BigInt(offset), length: BigInt(length) };
    if (w.FlushViewOfFile(res.addr + BigInt(span.start), Math.min(span.len, res.mapLen - span.start)) === 0)
      throw win32Error('FlushViewOfFile', lastError(), details);
    if (!async && this.shared && this.fileOffsetValue >= 0n && this.prot === 'rw') {
      const fd = this.fileFd();
      if (fd >= 0 && w.FlushFileBuffers(fileHandle(fd, this.pathValue)) === 0) throw win32Error('FlushFileBuffers', lastError(), details);
    }
    return synced;
  }

  advise(advice: Advice | UncheckedAdvice, offset: number, length: number): void {
    this.live('advise');
    this.checkRange('advise', offset, length);
    throw new MmapError('ERR_UNSUPPORTED_PLATFORM', `advice '${advice}' is not available on win32 (${UNSUPPORTED_ADVICE})`, { path: this.pathValue });
  }

  /** VirtualLock / VirtualUnlock of view bytes [offset, offset+length). */
  lock(offset: number, length: number, lock: boolean): void {
    const res = this.live(lock ? 'lock' : 'unlock');
    this.checkRange(lock ? 'lock' : 'unlock', offset, length);
    if (length === 0) return;
    const w = win32();
    const addr = res.addr + BigInt(this.delta + offset);
    if ((lock ? w.VirtualLock(addr, length) : w.VirtualUnlock(addr, length)) === 0) {
      const err = lastError();
      throw win32Error(lock ? 'VirtualLock' : 'VirtualUnlock', err, {
        path: this.pathValue,
        offset: BigInt(offset),
        length: BigInt(length),
        hint: lock ? "the process's working set is too small to lock that many pages (SetProcessWorkingSetSize)" : undefined,
      });
    }
  }

  residency(): Residency {
    this.live('residency');
    throw new MmapError('ERR_UNSUPPORTED_PLATFORM', 'residency (mincore) is not available on win32', { path: this.pathValue });
  }

  /** VirtualProtect of the whole view at `res` to page protection `protect` (for `prot`). */
  #virtualProtect(res: Resource, protect: number, prot: Protection): void {
    const old = new Uint32Array(1);
    if (win32().VirtualProtect(res.addr, res.mapLen, protect, old) === 0) {
      const err = lastError();
      const e = win32Error('VirtualProtect', err);
      throw win32Error('VirtualProtect', err, { path: this.pathValue, hint: hintFor(e.code, prot, this.shared) });
    }
  }

  /**
   * A new mapping of the same memory with protection `prot`; this one is retired. With no view
   * handed out, the pages change protection in place; otherwise a new view of the same section
   * takes the new protection and the old range gets the inert placeholder. On failure this mapping
   * stays as it was.
   */
  protect(prot: Protection): Win32Mapping {
    const res = this.live('protect');
    const section = res.section;
    if (!section) throw new MmapError('ERR_UNMAPPED', 'protect: the mapping has no section any more', { path: this.pathValue });
    const w = win32();
    const copy = this.fileOffsetValue >= 0n && !this.shared && this.length > 0;
    const why = refusal(section, prot, copy);
    if (why !== undefined) throw win32Error('VirtualProtect', 5, { path: this.pathValue, hint: why });
    let next: Resource;
    if (!res.viewAlive) {
      this.#virtualProtect(res, pageProtection(prot, copy), prot);
      next = { ...res };
      // Ownership of the range and of the section moves to `next`.
      res.ownerAlive = false;
      res.freed = true;
      res.section = undefined;
    } else {
      reserveRange(this.pathValue);
      const addr = w.MapViewOfFile(
        section.handle,
        viewAccess(section, copy),
        Number(res.start >> 32n),
        Number(res.start & 0xffff_ffffn),
        this.length + this.delta,
      );
      if (addr === 0n) {
        const err = lastError();
        const e = win32Error('MapViewOfFile', err);
        throw win32Error('MapViewOfFile', err, { path: this.pathValue, hint: hintFor(e.code, prot, this.shared) });
      }
      liveRanges++;
      next = { addr, mapLen: res.mapLen, ownerAlive: true, viewAlive: false, freed: false, placeholder: false, section, start: res.start };
      const old = new Uint32Array(1);
      if (copy) {
        // A private view's written pages are its own: the new view starts as a copy of them.
        // INVARIANT: both ranges are mapped and mapLen long; the old one is made readable first.
        if (this.prot === 'none') w.VirtualProtect(res.addr, res.mapLen, PAGE_READONLY, old);
        new Uint8Array(w.view(addr, res.mapLen)).set(new Uint8Array(w.view(res.addr, res.mapLen)));
      }
      if (w.VirtualProtect(addr, res.mapLen, pageProtection(prot, copy), old) === 0) {
        const err = lastError();
        w.UnmapViewOfFile(addr);
        liveRanges--;
        throw win32Error('VirtualProtect', err, { path: this.pathValue });
      }
      this.#placeholder(res);
      res.section = undefined;
      res.ownerAlive = false;
    }
    this.markRetired();
    return new Win32Mapping(this.parts(next, { prot }));
  }

  remap(_length: number, _mayMove: boolean): Win32Mapping {
    this.live('remap');
    throw new MmapError('ERR_UNSUPPORTED_PLATFORM', 'remap needs mremap(2), which win32 does not have', { path: this.pathValue });
  }

  /**
   * Replaces the view with private zero pages at the same address: the file is released and a stale
   * view becomes inert. Should the address be taken in between (another thread), the view is mapped
   * back there copy-on-write, so that a stale view still never faults.
   */
  #placeholder(res: Resource): void {
    const w = win32();
    const section = res.section;
    if (w.UnmapViewOfFile(res.addr) === 0) return;
    // INVARIANT: the range was ours a moment ago; nothing in this thread allocated since.
    if (w.VirtualAlloc(res.addr, res.mapLen, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) === res.addr) {
      res.placeholder = true;
      return;
    }
    if (section) w.MapViewOfFileEx(section.handle, FILE_MAP_COPY, Number(res.start >> 32n), Number(res.start & 0xffff_ffffn), res.mapLen, res.addr);
  }

  /** Retires the mapping. Idempotent. A view handed out earlier is cut off (see the placeholder). */
  retire(): void {
    if (this.retired) return;
    this.markRetired();
    const res = this.res;
    res.ownerAlive = false;
    if (res.viewAlive) this.#placeholder(res);
    if (res.section) dropSection(res.section);
    res.section = undefined;
    release(res);
  }
}
