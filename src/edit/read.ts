// Reading a range of a file as it is (the engine of `mmapx cat`): read-only windows of a shared map,
// handed out in slices of at most a MiB, the file's size checked before each slice goes out. A
// device needs a range from its start; a pseudo file (procfs, sysfs; `force`) is read by read(2)
// (see readSpan in files.ts). The CLI writes each slice straight from the map; `readRange` gives
// the bytes as a Readable stream (copied out of the map, pulled as the consumer reads).
import { optionsArg, pathArg } from './args.js';
import { BrokenPipe } from '../errors.js';
import { pageSize, type Window } from '../mmap/index.js';
import { notePendingJournal, type OpenFile, openFile, openFileAsync, readableSize, readSpan, shrankSinceOpen } from './files.js';
import { assertCovers, readWindows } from './mapped.js';
import type { Readable } from 'node:stream';
import type { Range } from '../format/range.js';
import { bindOptionalRange } from './address.js';
import { type RangeOption, rangeOption } from './range.js';
import type { EditContext } from './seams.js';
import { pullStream } from './stream.js';

/** Bytes handed out at a time (one write(2) of the CLI): the granularity of the size check before each. */
const SLICE = 1024 * 1024;

/** Options of {@link readRange}. */
export interface ReadRangeOptions extends EditContext {
  /** What to read (default: the whole file). Past the end of the file is an error (`InputError`). */
  range?: RangeOption;
  /** Bytes the stream queues before it stops reading (Readable's `highWaterMark`). */
  highWaterMark?: number;
}

/** What {@link openRangeReader} takes (the CLI's options are the API's). */
export type OpenReaderOptions = ReadRangeOptions;

/**
 * An open file and the span of it to read, handed out slice by slice. Slices are views of the map
 * (or of a pseudo file's read buffer), valid until the next call to {@link next}.
 */
export class RangeReader {
  /** The open file (locked until {@link close}). */
  readonly file: OpenFile;
  /** Where the read starts. */
  readonly offset: bigint;
  /** The bytes to read; undefined for a pseudo file read to its end. */
  readonly length: bigint | undefined;
  /** Bytes handed out so far. */
  copied = 0n;
  readonly #windows: Generator<Window, void, undefined>;
  #window: Window | undefined;
  #at = 0;
  /** The end of the last slice handed out. */
  #end = 0n;

  /** Resolves `range` against `file` (see readSpan). @throws InputError for a range past the end. */
  constructor(file: OpenFile, range: Range | undefined) {
    this.file = file;
    const span = readSpan(file, range);
    this.offset = span.offset;
    this.length = span.length;
    this.#windows = readWindows(file, span);
  }

  /** The next slice, checked against the file's size (ERR_TRUNCATED if it no longer covers it), or undefined at the end. */
  next(): Uint8Array | undefined {
    while (this.#window === undefined || this.#at >= this.#window.bytes.length) {
      const r = this.#windows.next();
      if (r.done) {
        this.#window = undefined;
        return undefined;
      }
      this.#window = r.value;
      this.#at = 0;
    }
    const w = this.#window;
    const slice = w.bytes.subarray(this.#at, this.#at + SLICE) as Uint8Array;
    this.#end = w.offset + BigInt(this.#at + slice.length);
    this.#at += slice.length;
    this.#covers();
    this.copied += BigInt(slice.length);
    return slice;
  }

  /**
   * After the last slice was used (copied): ERR_TRUNCATED if a read of it faulted (the file shrank
   * under the map: the bytes read as zeros) or the file no longer reaches its end.
   */
  verify(): void {
    this.#window?.assertIntact();
    this.#covers();
  }

  /**
   * Writes every slice to `sink` (the CLI: standard output or -o, straight from the map) and
   * returns the bytes written. `progress` is told the bytes done once per window. A write the
   * kernel could not complete from the map (EFAULT: its pages were cut away) is reported as the
   * truncation it is; a closed pipe stays {@link BrokenPipe}.
   */
  copyTo(sink: (bytes: Uint8Array) => void, progress?: (done: bigint) => void): bigint {
    let window: Window | undefined;
    for (let slice = this.next(); slice !== undefined; slice = this.next()) {
      if (this.#window !== window) {
        window = this.#window;
        progress?.(this.copied - BigInt(slice.length));
      }
      try {
        sink(slice);
      } catch (err) {
        if (!(err instanceof BrokenPipe)) this.#covers();
        throw err;
      }
    }
    return this.copied;
  }

  #covers(): void {
    // A device or a pseudo file (force) has no size to check against.
    if (readableSize(this.file) !== undefined) assertCovers(this.file, this.#end);
  }

  /** Unmaps the current window and closes the file (releasing its lock). */
  close(): void {
    try {
      this.#windows.return();
    } catch {
      // The window's fault record: nothing more is read from it.
    } finally {
      this.file.close();
    }
  }
}

/**
 * Opens `path` for reading (shared lock; `blocking` waits for it as the CLI does) and resolves the
 * range against it. Errors of the range close the file.
 */
export async function openRangeReader(path: string, options: OpenReaderOptions): Promise<RangeReader> {
  const range = rangeOption(options.range);
  const open = { write: false, force: options.force === true, ...(options.lockWait !== undefined && { lockWait: options.lockWait }) };
  const file = options.blocking ? openFile(path, open) : await openFileAsync(path, { ...open, ...(options.signal && { signal: options.signal }) });
  try {
    notePendingJournal(file.path, options.onPendingJournal);
    options.clock?.lap('open');
    const reader = new RangeReader(file, bindOptionalRange(file, range, options));
    pageSize(); // loads the FFI on first use, timed on its own
    options.clock?.lap('ffi');
    return reader;
  } catch (err) {
    file.close();
    throw err;
  }
}

/**
 * The bytes of a range of `path` (the whole file without `range`) as a Readable stream, read
 * through read-only windows of a shared map: memory stays flat whatever the size, and the file is
 * read only as fast as the consumer takes the bytes. The file is held open under a shared lock
 * (writers of mmapx wait) until the stream ends, fails or is destroyed.
 *
 * Errors are stream errors: the open and the lock (`OperationError`), a range past the end
 * (`InputError`), and another process truncating the file meanwhile: an error with
 * `code === 'ERR_TRUNCATED'` before any byte past the new end is handed out.
 *
 * @example
 * ```ts
 * const chunks = [];
 * for await (const chunk of readRange('fw.bin', { range: '0x100:64' })) chunks.push(chunk);
 * ```
 */
export function readRange(path: string, options: ReadRangeOptions = {}): Readable {
  const progress = options?.progress;
  return pullStream(
    async () => {
      pathArg(path);
      optionsArg(options);
      const reader = await openRangeReader(path, options);
      progress?.phase(`read ${path}`, reader.length ?? 0n);
      return {
        step(push) {
          try {
            const slice = reader.next();
            if (slice === undefined) return false;
            const copy = Buffer.from(slice);
            reader.verify(); // nothing read as zeros past a new end goes out
            push(copy, true);
            progress?.update(Number(reader.copied));
            return true;
          } catch (err) {
            throw shrankSinceOpen(reader.file, err, 'read');
          }
        },
        close: () => reader.close(),
      };
    },
    { signal: options?.signal, highWaterMark: options?.highWaterMark },
  );
}
