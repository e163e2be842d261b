// Dumping a file (the engine of `mmapx hexdump`): the part of the file -s/-n ask for, read through
// read-only windows of a shared map (read(2) for a pseudo file), fed to the pure dump engine of
// src/format/dump, its output checked against the window it came from (pages that faulted because
// the file shrank read as zeros: nothing made of them goes out). The CLI drives it synchronously
// into standard output; `dump` gives the text as a Readable stream, byte-identical to the CLI's.
import { chunkArg, sourceArg } from '../format/args.js';
import { DUMP_BOOLEANS, optionsArg, pathArg, usableHighWaterMark } from './args.js';
import {
  type AddressRadix,
  createDumper,
  type DumpColors,
  type DumpFormat,
  type DumpMark,
  type DumpOptions,
  type DumpSink,
  type Dumper,
} from '../format/dump/index.js';
import { sectionStarts } from '../format/exe/locate.js';
import type { OpenImageOptions } from '../format/exe/index.js';
import { imageOf } from './image.js';
import { type Offset, resolveOffset, unresolvedAddress } from '../format/number.js';
import type { Range } from '../format/range.js';
import { pageSize, type Window } from '../mmap/index.js';
import { notePendingJournal, type OpenFile, openFile, openFileAsync, readableSize, readSpan, STDIN, shrankSinceOpen } from './files.js';
import { readWindows } from './mapped.js';
import { type AddressOptions, bindOffset } from './address.js';
import { toLength, toOffset } from './range.js';
import { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import type { EditContext } from './seams.js';
import { pullStream } from './stream.js';

export type { AddressRadix, DumpColors, DumpFormat };

/** Bytes of input the stream formats per step (a window is cut into these): bounds the text made at once. */
const STREAM_STEP = 64 * 1024;

/** Options of {@link dump}: what to dump, and how (each as the `mmapx hexdump` option named). */
export interface DumpFileOptions extends EditContext {
  /** Where to start (`-s`): negative counts back from the end; past the end dumps nothing, as hexdump and xxd do. */
  offset?: bigint | number | string;
  /** How many bytes (`-n`): past the end stops at the end. `0` prints nothing at all. */
  length?: bigint | number | string;
  /** Bytes per line (`-c`): see the `cols` of the dump engine for each format's range and default. */
  cols?: number;
  /** Bytes per group (`-g`), `xxd` and `hexyl`. */
  group?: number;
  /** Uppercase hex digits (`-u`). */
  upper?: boolean;
  /** `canonical`, `hexyl`, `od` and `hexdump-*`: `false` prints repeated lines instead of `*` (`-v`). */
  squeeze?: boolean;
  /** `od` only: od's `-t` types (`-t`), default `['x1z']`. */
  types?: readonly string[];
  /** `od` only: od's `-A` (`x`, `o`, `d` or `n`), default `x`. */
  addressRadix?: AddressRadix;
  /** `xxd` only: a `*` line for runs of zero lines (`-a`). */
  autoskip?: boolean;
  /** `c` only: the array's name (`--name`); by default derived from the path, as `xxd -i` does. */
  varName?: string;
  /** `canonical`, `xxd` and `hexyl`: colour per byte category (the CLI's colours are ANSI pairs). */
  colors?: DumpColors;
  /** `xxd` only: binary digits (`-b`, xxd -b). */
  bits?: boolean;
  /** `xxd` only: little-endian groups (`-e`, xxd -e). */
  littleEndian?: boolean;
  /** `xxd` only: decimal offsets (`-d`, xxd -d). */
  decimal?: boolean;
  /** `xxd` and `canonical`: added to the offsets shown, modulo 2^64 (`-o`, xxd -o). */
  displayOffset?: bigint;
  /** `xxd` and `canonical`: EBCDIC text column (`-E`, xxd -E). */
  ebcdic?: boolean;
  /** `c` only: upper-case name and `_LEN` (`-C`, xxd -C). */
  capitalize?: boolean;
  /** `hexyl` only: panels of 8 bytes per line (`--panels`, default 2). */
  panels?: number;
  /** `hexyl` only: `unicode` (default), `ascii` or `none` (`--border`). */
  border?: DumpOptions['border'];
  /** `hexyl` only: 2, 8, 10 or 16 (default) (`--base`). */
  base?: DumpOptions['base'];
  /** `hexyl` only: `big` (default) or `little`, the order within a group (`--endianness`). */
  endianness?: DumpOptions['endianness'];
  /** `hexyl` only: `default`, `ascii`, `cp437`, `cp1047` or `braille` (`--character-table`). */
  characterTable?: DumpOptions['characterTable'];
  /** Bytes the stream queues before it stops reading (Readable's `highWaterMark`). */
  highWaterMark?: number;
  /**
   * `canonical`, `xxd`, `od` and `hexdump-*` of an executable (ELF, PE, Mach-O): a line
   * `-- .text (VA 0x401000) --` before the line that holds each section's first byte, and one
   * before the first line for the section the dump starts in (`--annotate`). A file that is no
   * executable is an `ExeFormatError` (an InputError).
   */
  annotate?: boolean;
  /** With `annotate`: the slice of a fat Mach-O. */
  arch?: string;
}

/** What {@link openFileDump} needs: where (-s, -n) and the open. */
export interface FileDumpOptions extends EditContext {
  offset?: Offset | undefined;
  length?: bigint | undefined;
}

/**
 * An open file and the part of it to dump: `start` and `count` resolved as hexdump and xxd resolve
 * -s and -n. {@link run} (the CLI) or {@link steps} (the stream) feed it to a dumper.
 */
export class FileDump {
  /** The open file (locked until {@link close}). */
  readonly file: OpenFile;
  /**
   * The offset of the first byte dumped. Standard input read in order (a pipe) that ends before
   * -s has it moved back to its end once read, as a file's is at open (see {@link dumper}).
   */
  start: bigint;
  /** The bytes to dump; undefined for a pseudo file read to its end (only the read tells its length). */
  readonly count: bigint | undefined;
  /** `-n 0`: hexdump prints nothing at all (the dump engine alone would print canonical's offset line). */
  readonly nothing: boolean;
  /** Bytes dumped so far. */
  bytes = 0n;
  #current: Window | undefined;

  /**
   * Resolves -s (`offset`) and -n (`length`) against `file`. A symbolic -s is resolved in the
   * file's executable image; one that names a whole thing (`sym:main`, `sec:.rodata`, `seg:1`)
   * without -n dumps all of it.
   * @throws InputError for an offset before the start; an address that does not resolve.
   */
  constructor(file: OpenFile, offset: Offset | undefined, length: bigint | undefined, addresses: AddressOptions = {}) {
    this.file = file;
    if (offset?.address !== undefined) {
      const bound = bindOffset(file, offset, addresses);
      if (length === undefined && bound.size !== null) {
        if (bound.size === 0n && offset.address.kind === 'sym') {
          throw new InputError(`offset ${offset.text}: the symbol has no size (0 bytes up to the next symbol); give a length (-n)`, { token: offset.text });
        }
        length = bound.size;
      }
      offset = bound.offset;
    }
    const size = readableSize(file);
    if (size !== undefined) {
      // Like hexdump -s and xxd -s, a start past the end dumps nothing and is no error: canonical
      // prints the offset line of the end (hexdump -C), xxd and plain print nothing, c an empty
      // array (xxd -i). Before the start of the file stays an error (xxd: "cannot seek").
      const resolved = offset === undefined ? 0n : resolveOffset(offset, size, { allowPastEnd: true });
      this.start = resolved > size ? size : resolved;
      // Like xxd -l and hexdump -n, a length past the end stops at the end of the file.
      const avail = size - this.start;
      this.count = length === undefined || length > avail ? avail : length;
    } else {
      // A device or a pseudo file: -s and -n as a range, under the rule of every read command
      // (a device's range stops at the largest offset mmapx handles).
      const span = readSpan(file, dumpRange(offset, length));
      this.start = span.offset;
      this.count = span.length;
    }
    this.nothing = this.count === 0n && length === 0n;
  }

  /** The dump engine's options for this file: `options` with the start, and the name of a C array. */
  dumperOptions(options: Omit<DumpOptions, 'start'>): DumpOptions {
    const o: DumpOptions = { ...options, start: this.start };
    // Standard input has no name: only the entries, as xxd -i prints them for it.
    if (o.format === 'c' && o.name === undefined && this.file.path !== STDIN) o.name = this.file.path;
    // hexyl: an offset column as wide as the last offset needs, so that every line lines up.
    if (o.format === 'hexyl' && o.end === undefined && this.count !== undefined) o.end = this.start + this.count;
    return o;
  }

  /**
   * A dumper with `options` whose output goes to `sink`, each chunk only after the window it came
   * from was found intact (ERR_TRUNCATED otherwise).
   */
  dumper(options: DumpOptions, sink: DumpSink): Dumper {
    const make = (o: DumpOptions): Dumper =>
      createDumper(o, (chunk) => {
        this.#current?.assertIntact();
        sink(chunk);
      });
    if (this.file.stream === undefined) return make(options);
    // A pipe's -s past its end is found by reading: the dump starts where the input ended, as a
    // file's does (canonical prints that offset), so the dumper is made at its first bytes or end.
    make(options); // the options, checked now
    let made: Dumper | undefined;
    const real = (): Dumper => {
      made ??= make({ ...options, start: this.start });
      return made;
    };
    return { push: (bytes) => real().push(bytes), end: () => real().end() };
  }

  /**
   * Feeds the bytes to `dumper`, `step` bytes at a time (a whole window by default), yielding
   * after each; ends the dumper after the last. `progress` is told the bytes dumped per step.
   */
  *steps(dumper: Dumper, step?: number, progress?: (done: bigint) => void): Generator<void, void, undefined> {
    // A pseudo file's -n past its end stops at the end, as for a file.
    const clamp = (end: bigint): void => {
      this.start = end;
    };
    for (const w of readWindows(this.file, { offset: this.start, length: this.count }, { upTo: true, ...(this.file.stream !== undefined && { clamp }) })) {
      this.#current = w;
      const bytes = w.bytes as Uint8Array;
      const n = step ?? bytes.length;
      for (let at = 0; at < bytes.length; at += n) {
        const part = bytes.subarray(at, at + n);
        dumper.push(part);
        this.bytes += BigInt(part.length);
        progress?.(this.bytes);
        yield;
      }
    }
    this.#current = undefined;
    dumper.end();
  }

  /** The whole dump, window by window (the CLI): returns the bytes dumped. */
  run(dumper: Dumper, progress?: (done: bigint) => void): bigint {
    for (const _ of this.steps(dumper, undefined, progress));
    return this.bytes;
  }

  /**
   * The header lines of a dump of this file's executable image (see {@link DumpFileOptions.annotate}):
   * a mark per section start in the part dumped, and one at the start for the section under way.
   * @throws ExeFormatError when the file is not an executable.
   */
  sectionMarks(options: OpenImageOptions = {}): DumpMark[] {
    const image = imageOf(this.file, options);
    const end = this.start + (this.count ?? 0n);
    return sectionStarts(image, this.start, end).map((s) => ({ offset: s.offset, text: s.text }));
  }

  /** Closes the file (releasing its lock). */
  close(): void {
    this.file.close();
  }
}

/** -s and -n as the range they ask for, for {@link readSpan} (a device, a pseudo file). */
function dumpRange(offset: Offset | undefined, length: bigint | undefined): Range | undefined {
  if (offset === undefined && length === undefined) return undefined;
  const start = offset ?? { value: 0n, fromEnd: false, text: '0' };
  if (length === undefined) return { kind: 'span', text: `${start.text}..`, start, end: null };
  return { kind: 'length', text: `${start.text}:${length}`, start, length };
}

/**
 * Opens `path` for a dump (shared lock; `blocking` waits for it as the CLI does), resolves -s and
 * -n against it and loads the FFI (`clock` laps `open` and `ffi`). Errors close the file.
 */
export async function openFileDump(path: string, options: FileDumpOptions): Promise<FileDump> {
  const open = { write: false, force: options.force === true, ...(options.lockWait !== undefined && { lockWait: options.lockWait }) };
  const file = options.blocking ? openFile(path, open) : await openFileAsync(path, { ...open, ...(options.signal && { signal: options.signal }) });
  try {
    notePendingJournal(file.path, options.onPendingJournal);
    options.clock?.lap('open');
    const d = new FileDump(file, options.offset, options.length, options);
    pageSize(); // loads the FFI, timed on its own
    options.clock?.lap('ffi');
    return d;
  } catch (err) {
    file.close();
    throw err;
  }
}

/**
 * The dump of `path` in `format` as a Readable stream of text, byte-identical to what
 * `mmapx hexdump -f FORMAT` prints for the same options: `canonical` (hexdump -C), `xxd`, `plain`
 * (xxd -p), `c` (xxd -i), `json` (one object per line), `hexyl` (hexyl's view; `panels` is not
 * fitted to a terminal here: default 2), `od` or `hexdump-x|d|o|c|b`. The file is read through read-only
 * windows and formatted as the consumer reads (memory stays flat); it is held open under a shared
 * lock until the stream ends, fails or is destroyed. `path` `-` is standard input, as on the
 * command line (a pipe is read as it comes, blocking the thread while it waits: from a stream of
 * your own, use {@link dumpReadable}).
 *
 * Errors are stream errors: bad options (`InputError`, before the file is opened), the open and
 * the lock, and another process truncating the file meanwhile (`code === 'ERR_TRUNCATED'`, before
 * any text made from bytes past the new end).
 *
 * @example
 * ```ts
 * let text = '';
 * for await (const chunk of dump('fw.bin', 'xxd', { length: 64 })) text += chunk;
 * ```
 */
export function dump(path: string, format: DumpFormat, options: DumpFileOptions = {}): Readable {
  const progress = options?.progress;
  return pullStream(
    async () => {
      pathArg(path);
      optionsArg(options, DUMP_BOOLEANS);
      const engine = engineOptions(format, options); // checked before the file is opened
      const offset = options.offset === undefined ? undefined : toOffset(options.offset);
      const length = options.length === undefined ? undefined : toLength(options.length);
      const d = await openFileDump(path, { ...options, offset, length, blocking: false });
      let steps: Generator<void, void, undefined> | undefined;
      let out: ((chunk: Uint8Array) => void) | undefined;
      if (!d.nothing) {
        progress?.phase(`hexdump ${path}`, d.count ?? 0n);
        const o = d.dumperOptions(engine);
        if (options.annotate) {
          try {
            o.marks = d.sectionMarks(options.arch !== undefined ? { arch: options.arch } : {});
          } catch (err) {
            d.close();
            throw err;
          }
        }
        const dumper = d.dumper(o, (chunk) => out?.(chunk));
        steps = d.steps(dumper, STREAM_STEP, progress && ((done) => progress.update(Number(done))));
      }
      return {
        step(push) {
          if (steps === undefined) return false;
          out = push;
          try {
            return steps.next().done !== true;
          } catch (err) {
            throw shrankSinceOpen(d.file, err, 'read');
          } finally {
            out = undefined;
          }
        },
        close() {
          try {
            steps?.return();
          } catch {
            // The window's fault record: nothing more is read from it.
          } finally {
            d.close();
          }
        },
      };
    },
    { signal: options?.signal, highWaterMark: options?.highWaterMark },
  );
}

/** The dump engine's options of `options` (only those given), checked. @throws InputError */
function engineOptions(format: DumpFormat, options: DumpFileOptions): Omit<DumpOptions, 'start'> {
  const engine: Omit<DumpOptions, 'start'> = { format };
  for (const key of [
    'cols',
    'group',
    'upper',
    'squeeze',
    'autoskip',
    'varName',
    'colors',
    'bits',
    'littleEndian',
    'decimal',
    'displayOffset',
    'ebcdic',
    'capitalize',
    'panels',
    'border',
    'base',
    'endianness',
    'characterTable',
    'types',
    'addressRadix',
  ] as const) {
    if (options[key] !== undefined) (engine as Record<string, unknown>)[key] = options[key];
  }
  // An annotated dump takes marks: checked with none (the file gives them once it is open).
  createDumper({ ...engine, start: 0n, ...(options.annotate && { marks: [] }) }, () => {});
  return engine;
}

/**
 * The dump of the bytes `source` gives (a Readable, a socket, any async iterable of bytes) in
 * `format`, as a Readable stream of text: byte-identical to {@link dump} of a file holding the
 * same bytes, with the same options, however the bytes arrive (one at a time included). Formatted
 * as the bytes come and as the consumer reads: memory stays flat whatever the length. `offset`
 * skips bytes by reading them (negative is refused: the end is unknown until read); past the end,
 * the dump starts where the source ended, as a file's does; `length` stops reading there. Without
 * `varName`, `c` prints only the entries (as `xxd -i` does for standard input).
 * @throws InputError (a stream error) for bad options; the source's own errors end the stream.
 */
export function dumpReadable(source: AsyncIterable<Uint8Array | string>, format: DumpFormat, options: Omit<DumpFileOptions, keyof EditContext> = {}): Readable {
  async function* text(): AsyncGenerator<Buffer, void, undefined> {
    sourceArg(source);
    optionsArg(options, DUMP_BOOLEANS);
    const engine = engineOptions(format, options);
    const from = options.offset === undefined ? undefined : toOffset(options.offset);
    if (from?.fromEnd) throw new InputError(`offset ${from.text} counts from the end, but the end of a stream is only known by reading it`);
    if (from?.address !== undefined) throw unresolvedAddress(from.text);
    const skip = from?.value ?? 0n;
    let left = options.length === undefined ? undefined : toLength(options.length);
    if (left === 0n) return; // -n 0 prints nothing at all
    let out: Uint8Array[] = [];
    let pos = 0n;
    let dumper: Dumper | undefined;
    const make = (start: bigint): Dumper => createDumper({ ...engine, start }, (chunk) => out.push(Buffer.from(chunk)));
    const take = (): Buffer | undefined => {
      if (out.length === 0) return undefined;
      const b = Buffer.concat(out);
      out = [];
      return b;
    };
    for await (const chunk of source) {
      chunkArg(chunk);
      let bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (pos < skip) {
        const drop = skip - pos < BigInt(bytes.length) ? Number(skip - pos) : bytes.length;
        pos += BigInt(drop);
        bytes = bytes.subarray(drop);
        if (bytes.length === 0) continue;
      }
      if (left !== undefined && BigInt(bytes.length) > left) bytes = bytes.subarray(0, Number(left));
      dumper ??= make(pos);
      dumper.push(bytes);
      pos += BigInt(bytes.length);
      if (left !== undefined) left -= BigInt(bytes.length);
      const b = take();
      if (b !== undefined) yield b;
      if (left === 0n) break;
    }
    (dumper ?? make(pos)).end();
    const b = take();
    if (b !== undefined) yield b;
  }
  return Readable.from(text(), { objectMode: false, ...(usableHighWaterMark(options?.highWaterMark) && { highWaterMark: options.highWaterMark }) });
}
