// What the two mapping backends share: POSIX mmap(2) (mapping.ts) and Win32 sections
// (win32-mapping.ts). Both hand out zero-copy views whose address range must stay valid until the
// view is garbage-collected, so both keep the same record of a range (owner alive, view alive,
// freed) and give it back through a FinalizationRegistry once neither is alive; both check ranges,
// expose the same getters and make views the same way. What differs (mapping, flushing, protection
// changes, the inert placeholder, how a range is given back) stays in each backend.
import { fstatSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { ReadOnlyBytes } from '../bytes.js';
import { MmapError } from '../errors.js';
import type { Address } from './libc.js';

/** Page protections a mapping can have. */
export type Protection = 'none' | 'r' | 'rw' | 'rx';

/** Which file a map was made from: its device and inode, and what kind of file it is. */
export interface MappedFile {
  dev: bigint;
  ino: bigint;
  kind: 'file' | 'block' | 'char';
}

/**
 * The state of one mapped address range, shared between its owner and the registry. It never
 * references the owner or the view, so that both can be collected.
 */
export interface RangeState {
  addr: Address;
  /** Bytes of the range (whole pages, from the page or granularity boundary below the first byte). */
  mapLen: number;
  ownerAlive: boolean;
  viewAlive: boolean;
  freed: boolean;
}

type Held<R> = { res: R; kind: 'owner' | 'view' };

/**
 * The registry that gives a range back once neither its owner nor its view is alive: `ownerGone`
 * runs when the owner was dropped without retire() (before the release), `release` when both are
 * gone (it checks `freed`, `ownerAlive` and `viewAlive` itself: retire() calls it too).
 */
export function rangeRegistry<R extends RangeState>(release: (res: R) => void, ownerGone?: (res: R) => void): FinalizationRegistry<Held<R>> {
  return new FinalizationRegistry<Held<R>>(({ res, kind }) => {
    if (kind === 'view') {
      res.viewAlive = false;
    } else {
      // The owner was dropped without unmap(); a view still in use keeps the range alive.
      res.ownerAlive = false;
      ownerGone?.(res);
    }
    release(res);
  });
}

/** `n` rounded up to a multiple of `unit`. */
export function roundUp(n: number, unit: number): number {
  return Math.ceil(n / unit) * unit;
}

/** What a mapping is made of, as both backends' constructors take it. */
export interface MappingParts<R extends RangeState> {
  res: R;
  /** Bytes between the start of the range and the first exposed byte. */
  delta: number;
  /** Bytes exposed by the view. */
  length: number;
  /** File offset of the first exposed byte; -1n for anonymous maps. */
  fileOffset: bigint;
  prot: Protection;
  shared: boolean;
  path: string | undefined;
  /** The descriptor the map was made from (-1 for anonymous maps); used only while it refers to `file`. */
  source: number;
  file: MappedFile | undefined;
}

/**
 * One live mapping of either backend: `length` bytes exposed `delta` bytes into the range `res`.
 * Subclasses make the ranges and change them; this class keeps the parts, checks ranges and makes
 * the view.
 */
export abstract class MappingBase<R extends RangeState> {
  protected readonly res: R;
  protected readonly delta: number;
  protected readonly fileOffsetValue: bigint;
  protected readonly prot: Protection;
  protected readonly shared: boolean;
  protected readonly pathValue: string | undefined;
  protected readonly source: number;
  protected readonly file: MappedFile | undefined;
  readonly #length: number;
  readonly #registry: FinalizationRegistry<Held<R>>;
  #view: Uint8Array | undefined;
  #retired = false;

  protected constructor(parts: MappingParts<R>, registry: FinalizationRegistry<Held<R>>) {
    this.res = parts.res;
    this.delta = parts.delta;
    this.#length = parts.length;
    this.fileOffsetValue = parts.fileOffset;
    this.prot = parts.prot;
    this.shared = parts.shared;
    this.pathValue = parts.path;
    this.source = parts.source;
    this.file = parts.file;
    this.#registry = registry;
    registry.register(this, { res: parts.res, kind: 'owner' }, this);
  }

  /** The parts of this mapping, for its successor after a protection change or a resize. */
  protected parts(res: R, changes: { length?: number; prot?: Protection } = {}): MappingParts<R> {
    return {
      res,
      delta: this.delta,
      length: changes.length ?? this.#length,
      fileOffset: this.fileOffsetValue,
      prot: changes.prot ?? this.prot,
      shared: this.shared,
      path: this.pathValue,
      source: this.source,
      file: this.file,
    };
  }

  /** An ArrayBuffer over `length` bytes at `addr` (koffi's view of raw memory). */
  protected abstract rawView(addr: Address, length: number): ArrayBuffer;

  get length(): number {
    return this.#length;
  }

  get protection(): Protection {
    return this.prot;
  }

  get retired(): boolean {
    return this.#retired;
  }

  /** File offset of the first byte (-1n for anonymous maps). */
  get fileOffset(): bigint {
    return this.fileOffsetValue;
  }

  /** The path given for error messages. */
  get path(): string | undefined {
    return this.pathValue;
  }

  /** The descriptor the map was made from (-1 for anonymous maps); it may have been closed since. */
  get sourceFd(): number {
    return this.source;
  }

  /**
   * The caller's descriptor if it is still open on the mapped file (same device and inode as when
   * the map was made), else -1: the caller may have closed it, and the number may since refer to
   * another file. One fstat.
   */
  fileFd(): number {
    const f = this.file;
    if (f === undefined || this.source < 0) return -1;
    try {
      const st = fstatSync(this.source, { bigint: true });
      return st.dev === f.dev && st.ino === f.ino ? this.source : -1;
    } catch {
      return -1;
    }
  }

  /** The range, unless the mapping was retired (then ERR_UNMAPPED naming `what`). */
  protected live(what: string): R {
    if (this.#retired) {
      throw new MmapError('ERR_UNMAPPED', `${what}: the mapping was unmapped or replaced by a protection change`, { path: this.pathValue });
    }
    return this.res;
  }

  /**
   * Marks the mapping retired: no view from it any more, and the registry forgets its owner (the
   * caller has handed the range on, or gives it back).
   */
  protected markRetired(): void {
    this.#retired = true;
    this.#view = undefined;
    this.#registry.unregister(this);
  }

  /**
   * Marks the mapping retired after a failure that left its range as the inert placeholder: the
   * registry still gives the range back once the owner and any view are collected.
   */
  protected markBroken(): void {
    this.#retired = true;
  }

  /**
   * The exposed bytes, zero-copy: a {@link ReadOnlyBytes} unless the pages are writable. Created
   * once; stays safe to touch after the mapping is retired.
   */
  view(): Uint8Array {
    if (this.#view) return this.#view;
    const res = this.live('bytes');
    if (this.#length === 0) {
      this.#view = this.prot === 'rw' ? new Uint8Array(0) : new ReadOnlyBytes(0);
      return this.#view;
    }
    if (this.#length > bufferConstants.MAX_LENGTH) {
      throw new MmapError(
        'ERR_VIEW_TOO_LARGE',
        `a view of ${this.#length} bytes is larger than this Node.js allows (${bufferConstants.MAX_LENGTH}); map a smaller window with offset and len`,
        { path: this.pathValue },
      );
    }
    const ab = this.rawView(res.addr + BigInt(this.delta), this.#length);
    // INVARIANT: from here on [addr, addr+mapLen) stays valid (the file's pages or the inert
    // placeholder) until `ab` is collected.
    res.viewAlive = true;
    this.#registry.register(ab, { res, kind: 'view' });
    this.#view = this.prot === 'rw' ? new Uint8Array(ab) : new ReadOnlyBytes(ab);
    return this.#view;
  }

  /** Diagnostic only: the range's addresses (as /proc/self/maps shows it on Linux). */
  addressRange(): { start: bigint; end: bigint } {
    const res = this.live('addressRange');
    return { start: res.addr, end: res.addr + BigInt(res.mapLen) };
  }

  /** The address of the first exposed byte, for a map that hands it to other FFI (`MmapRaw`). */
  address(): Address {
    return this.live('address').addr + BigInt(this.delta);
  }

  /** Checks `offset`/`length` (relative to the view) in overflow-safe form. */
  protected checkRange(what: string, offset: number, length: number): void {
    const n = this.#length;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset > n || length > n - offset) {
      throw new MmapError('ERR_OUT_OF_RANGE', `${what}: range offset ${offset} length ${length} is outside the mapping (length ${n})`, {
        path: this.pathValue,
        offset: BigInt(offset),
        length: BigInt(length),
      });
    }
  }

  /**
   * The span [start, start+len) of the range, in whole units of `page` bytes, that covers view
   * bytes [offset, offset+length).
   */
  protected pages(offset: number, length: number, page: number): { start: number; len: number } {
    const first = this.delta + offset;
    const start = first - (first % page);
    return { start, len: roundUp(first + length - start, page) };
  }
}
