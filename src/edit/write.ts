// Bytes written in place at an offset through a shared map of only the pages the write touches
// (the cost does not depend on the file's size), with an optional guard (the bytes that must be
// there), growth of the file on request, and "already" when the file holds the bytes. The CLI's
// `write` calls {@link writeToFile} on the file it opened; {@link writeAt} is the library's call.
import { optionsArg, pathArg } from './args.js';
import { fstatSync, fsyncSync, ftruncateSync, readSync } from 'node:fs';
import { GuardError, InputError, OperationError } from '../errors.js';
import { formatHex } from '../format/data.js';
import { describeValue } from '../format/quote.js';
import { formatOffset, MAX_FILE_SIZE, MAX_FILE_SIZE_TEXT, type Offset, parseOffset, resolveOffset } from '../format/number.js';
import { bindOffset } from './address.js';
import { MmapOptions } from '../mmap/index.js';
import { shrankWhileWriting } from '../mmap/truncation.js';
import { assertCanGrow, assertSameFile, fsError, knownSize, type OpenFile, withFile } from './files.js';
import { refuseIfJournal } from './journal.js';
import { reserveRanges } from './mapped.js';
import type { Clock, EditContext } from './seams.js';

/** One byte repeated `length` times: written without a buffer of its size. */
export interface Fill {
  readonly fill: number;
  readonly length: number;
}

/**
 * `length` bytes of an open file from `offset`: another file, or standard input made one (the
 * CLI's --file and --stdin). They are read a window at a time as they are written, never held
 * whole; the file must keep them while the write runs.
 */
export interface FileBytes {
  readonly file: { readonly fd: number; readonly path: string };
  readonly offset: bigint;
  readonly length: number;
}

/** What to write: literal bytes, one byte repeated, or the bytes of another open file. */
export type WriteData = Uint8Array | Fill | FileBytes;

/**
 * Bytes of the file mapped (and of a {@link FileBytes} source read) at a time: a write of any
 * size keeps at most one window of each in memory.
 */
export const WRITE_WINDOW = 8 * 1024 * 1024;

/** How many bytes of the old and new contents an outcome quotes. */
export const QUOTED_BYTES = 64;

/** What {@link writeAt} did. */
export interface WriteOutcome {
  /** `written`: the bytes are in place now; `already`: the file held them, nothing was written. */
  readonly status: 'written' | 'already';
  /** The file, as the caller named it. */
  readonly path: string;
  /** Where the bytes went (absolute, resolved from an offset counted from the end). */
  readonly offset: bigint;
  /** How many bytes. */
  readonly length: number;
  /** The first bytes that were there before, up to {@link QUOTED_BYTES}; only those that existed (none past the old end). */
  readonly old: Uint8Array;
  /** The first bytes of the data, up to {@link QUOTED_BYTES}. */
  readonly new: Uint8Array;
  /** The file grew from this size to {@link grewTo} (the write ended past its end); null otherwise. */
  readonly grewFrom: bigint | null;
  readonly grewTo: bigint | null;
  /** The pages flushed to disk (msync), or null: nothing written, or `sync: false`. */
  readonly synced: { readonly offset: bigint; readonly length: number } | null;
}

/**
 * A guard of {@link writeAt} failed: the file does not hold `expected` at `offset` (it holds
 * `found`), or ends before the guard's end (`found` is then what is there, shorter). Nothing was
 * written; the file is byte-identical.
 */
export class WriteGuardError extends GuardError {
  override readonly offset: bigint;
  /** The bytes the guard asked for. */
  readonly expected: Uint8Array;
  /** The bytes the file holds there (up to its end). */
  readonly found: Uint8Array;
  /** `differs`: other bytes are there; `past-end`: the file ends before the guard's end. */
  readonly reason: 'differs' | 'past-end';
  /** The file's size, when the guard failed because the file ends before the guard's end. */
  readonly fileSize: bigint | undefined;
  constructor(path: string, offset: bigint, expected: Uint8Array, found: Uint8Array, reason: 'differs' | 'past-end', fileSize?: bigint) {
    super(
      reason === 'past-end'
        ? `expected ${formatHex(expected)} at ${formatOffset(offset)}: the file ends at ${formatOffset(fileSize ?? offset + BigInt(found.length))}`
        : `bytes at ${formatOffset(offset)} are ${formatHex(found, { max: 16 })}, expected ${formatHex(expected, { max: 16 })}; nothing written`,
      { path, offset },
    );
    this.offset = offset;
    this.expected = expected;
    this.found = found;
    this.reason = reason;
    this.fileSize = fileSize;
  }
}

/**
 * A write would end past the end of the file and growing it was not asked for (the CLI adds
 * "use --grow"). Nothing was written.
 */
export class PastEndError extends InputError {
  override readonly offset: bigint;
  readonly length: number;
  /** The file's size. */
  readonly size: bigint;
  constructor(path: string, offset: bigint, length: number, size: bigint) {
    super(`writing ${bytes(length)} at ${formatOffset(offset)} ends past the end of the file (size ${formatOffset(size)})`);
    this.path = path;
    this.offset = offset;
    this.length = length;
    this.size = size;
  }
}

function bytes(n: number): string {
  return `${n} byte${n === 1 ? '' : 's'}`;
}

/** Options of {@link writeToFile} (the engine's half of {@link WriteOptions}). */
export interface WriteFileOptions {
  /** The bytes that must be there now (as long as the data), or nothing is written. */
  expect?: Uint8Array;
  /** Extend the file when the write ends past its end (the new part reads as zeros first). */
  grow?: boolean;
  /** Flush the written pages (msync; fsync too when the file grew). Default true. */
  sync?: boolean;
  /** Phase timings: `grow`, `map`, `compare`, `write`, `msync`, `fsync`. */
  clock?: Clock;
  /** The slice of a fat Mach-O in which a symbolic `offset` (`sym:check+4`) is resolved. */
  arch?: string | undefined;
}

/** Options of {@link writeAt}. */
export interface WriteOptions extends WriteFileOptions, EditContext {}

/** How many bytes the data writes. */
export function dataLength(d: WriteData): number {
  return d.length;
}

/** The first `n` bytes of the data, for outcomes. */
function head(d: WriteData, n: number): Uint8Array {
  if (d instanceof Uint8Array) return d.subarray(0, n);
  if ('fill' in d) return new Uint8Array(Math.min(n, d.length)).fill(d.fill);
  return readSource(d, 0, Math.min(n, d.length), new Uint8Array(Math.min(n, d.length)));
}

/** [at, at + n) of a {@link FileBytes} source, read into `buf` (pread). @throws OperationError when it ends early. */
function readSource(d: FileBytes, at: number, n: number, buf: Uint8Array): Uint8Array {
  let done = 0;
  while (done < n) {
    let k: number;
    try {
      k = readSync(d.file.fd, buf, done, n - done, d.offset + BigInt(at + done));
    } catch (err) {
      throw fsError(err, `cannot read the data from ${d.file.path}`);
    }
    if (k === 0) throw new OperationError(`the data (${d.file.path}) ended at ${at + done} bytes of ${d.length} while being written`);
    done += k;
  }
  return buf.subarray(0, n);
}

/** The part [at, at + n) of the data: a view, a fill, or a source's bytes read into `buf`. */
function part(d: WriteData, at: number, n: number, buf: () => Uint8Array): Uint8Array | Fill {
  if (d instanceof Uint8Array) return d.subarray(at, at + n);
  if ('fill' in d) return { fill: d.fill, length: n };
  return readSource(d, at, n, buf());
}

function asBuffer(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** Whether `view` already holds the data, compared with built-ins (chunks of a pattern for fills). */
function holds(view: Uint8Array, d: Uint8Array | Fill): boolean {
  if (d instanceof Uint8Array) return asBuffer(view).equals(d);
  const chunk = Buffer.alloc(Math.min(d.length, 1 << 20), d.fill);
  for (let at = 0; at < d.length; at += chunk.length) {
    const n = Math.min(chunk.length, d.length - at);
    if (asBuffer(view).compare(chunk, 0, n, at, at + n) !== 0) return false;
  }
  return true;
}

/**
 * Checks what can be checked without the file: a fill byte is a byte, a length is positive and
 * safe, a guard is as long as the data.
 * @throws InputError.
 */
function checkData(data: WriteData, expect?: Uint8Array): void {
  dataArg(data);
  if (!(data instanceof Uint8Array) && !Number.isSafeInteger(data.length))
    throw new InputError(`${'fill' in data ? 'fill' : "the data's"} length ${data.length} is not a whole number of bytes`);
  if (expect !== undefined && !(expect instanceof Uint8Array)) {
    throw new InputError(`expect must be bytes (a Uint8Array or Buffer), not ${describeValue(expect)}`);
  }
  const length = dataLength(data);
  if (length === 0) throw new InputError('no bytes to write');
  if (expect && expect.length !== length) {
    throw new InputError(`the guard has ${expect.length} bytes but the data has ${length}: they must cover the same bytes`);
  }
}

/** The data of a public call ({@link writeAt}, insertBytes) is of a kind it takes. @throws InputError */
export function dataArg(data: WriteData): void {
  if (data instanceof Uint8Array) return;
  if (typeof data !== 'object' || data === null || !('fill' in data || 'file' in data)) {
    throw new InputError(`the data must be bytes (a Uint8Array or Buffer), { fill, length } or { file, offset, length }, not ${describeValue(data)}`);
  }
  if ('fill' in data) {
    if (!Number.isInteger(data.fill) || data.fill < 0 || data.fill > 255) throw new InputError(`fill byte ${describeValue(data.fill)} is not a byte (0..255)`);
  } else if (
    typeof data.file !== 'object' ||
    data.file === null ||
    !Number.isSafeInteger(data.file.fd) ||
    data.file.fd < 0 ||
    typeof data.offset !== 'bigint' ||
    data.offset < 0n
  ) {
    throw new InputError('the data { file, offset, length } needs file: { fd, path } with an open descriptor and offset: a bigint, 0 or more');
  }
  // How large it may be is for the operation to say (its message names the limit).
  if (typeof data.length !== 'number' || !Number.isInteger(data.length) || data.length < 0) {
    throw new InputError(`the data's length ${describeValue(data.length)} is not a whole number of bytes`);
  }
}

/**
 * Writes `data` at `offset` of a file opened for writing (and locked): the single-file write from
 * the open on. Refuses while a journal of an interrupted patch is beside the file; resolves an
 * offset counted from the end; grows the file when asked (and gives it its old size back if the
 * write then fails); compares the bytes there with the guard and with the data (`already`); writes
 * only bytes that differ; flushes. A file cut or replaced meanwhile is an error, not a success.
 *
 * @throws WriteGuardError (nothing written); PastEndError (nothing written); InputError for sizes
 *   past the largest mmapx handles; OperationError (journal, growth refused, I/O, ERR_TRUNCATED).
 */
export function writeToFile(file: OpenFile, where: Offset, data: WriteData, options: WriteFileOptions = {}): WriteOutcome {
  const { expect, clock } = options;
  const offset = bindOffset(file, where, options).offset;
  const path = file.path;
  const length = dataLength(data);
  let grewFrom: bigint | undefined;
  let grewTo: bigint | undefined;
  try {
    // Under the lock, not before it: a journal seen before taking it may be the one of a patch
    // that is running (and removes it when done); under it, it is one of an interrupted patch.
    refuseIfJournal(path);
    const size = file.size;
    let at: bigint;
    if (size === undefined) {
      if (offset.fromEnd) knownSize(file);
      at = offset.value;
      if (at + BigInt(length) > MAX_FILE_SIZE) {
        throw new InputError(`writing ${bytes(length)} at ${formatOffset(at)} ends past the largest offset mmapx handles (${MAX_FILE_SIZE_TEXT})`);
      }
    } else {
      at = resolveOffset(offset, size, { allowPastEnd: !!options.grow });
      const end = at + BigInt(length);
      if (end > size) {
        // No file can be given that size: refused first, whatever the flags.
        if (end > MAX_FILE_SIZE) {
          throw new InputError(
            `writing ${bytes(length)} at ${formatOffset(at)} would grow the file to ${formatOffset(end)} bytes, past the largest size mmapx gives a file (${MAX_FILE_SIZE_TEXT})`,
          );
        }
        if (expect) throw new WriteGuardError(path, at, expect, readExisting(file, at, size), 'past-end', size);
        if (!options.grow) throw new PastEndError(path, at, length, size);
      }
    }
    const end = at + BigInt(length);
    if (size !== undefined) {
      // Past the filesystem's largest file or `ulimit -f`: refused with the limit, nothing changed.
      if (end > size) assertCanGrow(file, end);
      // A full filesystem is found here, before the first byte changes: the blocks the write needs
      // past the end or in holes are reserved. Without room the write stopped half done, the bytes
      // it had written over inside the file lost (write --grow over the end of a full disk).
      reserveRanges(file, [{ offset: at, length }], size);
      if (end > size) {
        try {
          ftruncateSync(file.fd, Number(end));
        } catch (err) {
          throw fsError(err, `cannot extend the file to ${end} bytes`);
        }
        grewFrom = size;
        grewTo = end;
        clock?.lap('grow');
      }
    }

    // Map only the pages the write touches, a window at a time: the cost does not depend on the
    // file's size, and the memory used not on the data's.
    const spans: { at: number; n: number }[] = [];
    for (let o = 0; o < length; o += WRITE_WINDOW) spans.push({ at: o, n: Math.min(WRITE_WINDOW, length - o) });
    let scratch: Uint8Array | undefined;
    const buf = (): Uint8Array => {
      scratch ??= new Uint8Array(Math.min(WRITE_WINDOW, length));
      return scratch;
    };
    const window = (o: number, n: number) => new MmapOptions().offset(at + BigInt(o)).len(n);
    let old: Uint8Array | undefined;
    /** The file holds the data where the guard expected other bytes: nothing to write. */
    let heldInstead = false;
    if (expect) {
      // The guard, over every window before any is written: nothing changes when it fails.
      let expected = true;
      let already = true;
      let found: Uint8Array | undefined;
      for (const { at: o, n } of spans) {
        const map = window(o, n).map({ fd: file.fd, path });
        clock?.lap('map');
        try {
          const view = map.bytes as Uint8Array;
          old ??= Uint8Array.from(view.subarray(0, QUOTED_BYTES));
          const here = asBuffer(view).equals(expect.subarray(o, o + n));
          if (!here) found ??= Uint8Array.from(view);
          expected &&= here;
          if (already) already = holds(view, part(data, o, n, buf));
          // If the file shrank under the map, pages past its end read as zeros: the comparisons are void.
          map.assertIntact('read');
          clock?.lap('compare');
        } finally {
          map.unmap();
        }
      }
      // The file holds the data instead of the guard: already done (a grow is a change, as below).
      if (!expected) {
        if (already && grewTo === undefined) heldInstead = true;
        else throw new WriteGuardError(path, at, expect, found!, 'differs');
      }
    }
    let synced: { offset: bigint; length: number } | undefined;
    let wrote = false;
    if (!heldInstead) {
      for (const { at: o, n } of spans) {
        const map = window(o, n).mapMut({ fd: file.fd, path });
        clock?.lap('map');
        try {
          const view = map.bytes;
          old ??= Uint8Array.from(view.subarray(0, QUOTED_BYTES));
          const bytes = part(data, o, n, buf);
          // Bytes that already hold the data are left alone: zeros written over a grown (sparse)
          // part would only allocate blocks for them.
          const already = holds(view, bytes);
          map.assertIntact('read');
          clock?.lap('compare');
          if (already && grewTo === undefined) continue;
          wrote = true;
          if (!already) {
            if (bytes instanceof Uint8Array) view.set(bytes);
            else view.fill(bytes.fill);
            // Writes to pages past a new end went nowhere: fail before msync reports success.
            map.assertIntact('written');
            clock?.lap('write');
          }
          if (options.sync !== false) {
            const r = map.flushRange(0, n);
            synced =
              synced === undefined ? { offset: r.offset, length: r.length } : { offset: synced.offset, length: Number(r.offset - synced.offset) + r.length };
            clock?.lap('msync');
          }
        } finally {
          map.unmap();
        }
      }
      if (wrote && options.sync !== false && grewTo !== undefined) {
        // The new size is metadata: msync makes the bytes durable, fsync the size too.
        try {
          fsyncSync(file.fd);
        } catch (err) {
          throw fsError(err, 'cannot sync the grown file');
        }
        clock?.lap('fsync');
      }
    }
    // A grow is a change even when the data is what the new bytes read as (zeros).
    const status = wrote || grewTo !== undefined ? 'written' : 'already';
    // Cut after the write, or the file replaced: the bytes are not where the user will look.
    if (size !== undefined) {
      const now = fstatSync(file.fd, { bigint: true }).size;
      if (now < end) throw shrankWhileWriting(path, now, end);
    }
    assertSameFile(file);
    grewFrom = undefined; // the write happened (or was not needed): keep the new size
    // Only the bytes that existed before are old ones: past the old end the write grew the file.
    const existed = size === undefined || end <= size ? length : at >= size ? 0 : Number(size - at);
    const grew = size !== undefined && end > size;
    return {
      status,
      path,
      offset: at,
      length,
      old: (old ?? new Uint8Array(0)).subarray(0, Math.min(existed, QUOTED_BYTES)),
      new: head(data, QUOTED_BYTES),
      grewFrom: grew ? size : null,
      grewTo: grew ? end : null,
      synced: synced ? { offset: synced.offset, length: synced.length } : null,
    };
  } catch (err) {
    // A failure after the file was grown: give it its old size back (unless someone else changed
    // the size since: then it is theirs).
    if (grewFrom !== undefined) {
      try {
        if (fstatSync(file.fd, { bigint: true }).size === grewTo) ftruncateSync(file.fd, Number(grewFrom));
      } catch {
        // best effort; the original error is what the caller needs
      }
    }
    throw err;
  }
}

/** The bytes of [at, size) of a file, at most {@link QUOTED_BYTES} (a guard's `found` past the end). */
function readExisting(file: OpenFile, at: bigint, size: bigint): Uint8Array {
  if (at >= size) return new Uint8Array(0);
  const n = Number(size - at < BigInt(QUOTED_BYTES) ? size - at : BigInt(QUOTED_BYTES));
  const map = new MmapOptions().offset(at).len(n).map({ fd: file.fd, path: file.path });
  try {
    const bytes = Uint8Array.from(map.bytes);
    map.assertIntact('read');
    return bytes;
  } finally {
    map.unmap();
  }
}

/** An offset as {@link writeAt} takes it: negative (or -0) counts back from the end; text as the CLI's OFFSET. */
function toOffset(offset: number | bigint | string): Offset {
  if (typeof offset === 'string') return parseOffset(offset);
  if (typeof offset === 'number' && !Number.isSafeInteger(offset)) throw new InputError(`offset ${offset} is not a whole number of bytes`);
  if (typeof offset !== 'number' && typeof offset !== 'bigint') throw new InputError(`offset must be a number, bigint or string, not ${describeValue(offset)}`);
  const value = BigInt(offset);
  const fromEnd = value < 0n || Object.is(offset, -0);
  return { value, fromEnd, text: fromEnd && value === 0n ? '-0' : value.toString() };
}

/**
 * Writes `data` at `offset` of the file at `path`, in place, under an exclusive lock.
 *
 * - `offset`: bytes from the start; negative counts back from the end (`-4`: the last 4 bytes);
 *   or the CLI's OFFSET text, a symbolic address included (`'sym:check+0x12'`, `'va:0x401000'`).
 * - `data`: bytes, or `{ fill, length }` (one byte repeated, no buffer of that size).
 * - `expect`: the bytes that must be there now (same length), or nothing is written and a
 *   {@link WriteGuardError} says where and what was found; when the file already holds `data`
 *   instead, the outcome is `already`.
 * - `grow`: a write past the end extends the file (otherwise a {@link PastEndError}).
 * - `sync`: flush the pages (msync, plus fsync when the file grew); default true.
 *
 * Nothing is written when the file holds the data already (`status: 'already'`).
 *
 * @example
 * const r = await writeAt('fw.bin', 0x1f40, Uint8Array.of(0x90, 0x90), { expect: Uint8Array.of(0x74, 0x05) });
 *
 * @throws WriteGuardError, PastEndError (nothing written, file byte-identical); InputError for bad
 *   arguments; OperationError when the file cannot be opened, locked or written (a journal of an
 *   interrupted patch beside it included), or was cut meanwhile (ERR_TRUNCATED).
 */
export async function writeAt(path: string, offset: number | bigint | string, data: WriteData, options: WriteOptions = {}): Promise<WriteOutcome> {
  pathArg(path);
  optionsArg(options, ['grow', 'sync']);
  const at = toOffset(offset);
  checkData(data, options.expect);
  const access = {
    write: true,
    access: 'written' as const,
    force: options.force,
    lockWait: options.lockWait,
    signal: options.signal,
    blocking: options.blocking,
    timer: options.clock,
  };
  return withFile(path, access, (file) => writeToFile(file, at, data, options));
}
