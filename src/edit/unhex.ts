// A new file from a hex dump (`mmapx unhex`, the reverse of hexdump): the dump is read in chunks
// as it arrives and parsed line by line (src/format/unhex), and its bytes are written where its
// offsets say as soon as they are known, through one 1 MiB buffer, so memory stays flat whatever
// the size of the dump or of the file it describes.
//
// Where the bytes go is the sink's business: a new regular file is written at positions (pwrite),
// so a jump in the offsets, and a squeezed run of zero lines, leave a hole (a sparse file: nothing
// is written there), and its length is set at the end (a final offset line past the last byte, a
// hole at the end); anything else (standard output, a pipe, a device) is written in order, holes
// as zeros, and offsets that go back (xxd -r allows them, for a file) are an error there.
import { chunkArg, objectArg, sourceArg } from '../format/args.js';
import { describeValue } from '../format/quote.js';
import { ftruncateSync, writeSync } from 'node:fs';
import { InputError } from '../errors.js';
import { MAX_FILE_SIZE } from '../format/number.js';
import { hex } from '../format/patch/lex.js';
import { type DumpRun, type Radix, type UnhexFormat, UnhexParser, type UnhexParserOptions } from '../format/unhex/index.js';

/** Where the bytes of {@link unhex} go. Each call must consume its bytes before it returns (the buffer is reused). */
export interface UnhexSink {
  /** Appends bytes: the sink cannot seek (standard output, a pipe, a device). */
  write(bytes: Uint8Array): void;
  /**
   * Set for a new, empty regular file: bytes are written at their positions, holes are left
   * unwritten (sparse), and the length is set once at the end.
   */
  readonly seekable?: { writeAt(bytes: Uint8Array, position: number): void; setLength(length: number): void } | undefined;
}

/** The parser's options (format, radix, name), and where the bytes go and when to stop. */
export interface UnhexOptions extends UnhexParserOptions {
  /** Added to every offset of the dump (xxd -r -s); negative moves the bytes back. */
  readonly seek?: bigint | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface UnhexOutcome {
  /** The dialect read (undefined for a dump without a line that is not blank). */
  readonly format: UnhexFormat | undefined;
  /** The base its offsets were read in, for dialects with offsets. */
  readonly radix: Radix | undefined;
  /** The length of the output. */
  readonly length: bigint;
  /** Bytes the dump's lines give (squeezed runs included); the rest of the length are holes. */
  readonly data: bigint;
  /** Lines of the dump read. */
  readonly lines: number;
  /** The holes were left unwritten (a sparse file), not written as zeros. */
  readonly sparse: boolean;
}

const BUFFER = 1024 * 1024;
const ZEROS = new Uint8Array(BUFFER);

/** Buffers runs of bytes into big writes at their positions. */
class Writer {
  readonly #buf = new Uint8Array(BUFFER);
  #len = 0;
  /** Position of #buf[0]. */
  #at = 0;
  /** The end of everything placed so far. */
  end = 0;
  /** The end of what was written to the sink (holes excluded). */
  #written = 0;
  data = 0n;

  constructor(
    private readonly sink: UnhexSink,
    private readonly seek: bigint,
    private readonly name: string,
  ) {}

  put(run: DumpRun): void {
    const len = run.bytes.length;
    const total = BigInt(len) * run.repeat;
    const pos = run.offset + this.seek;
    const where = `${this.name} line ${run.line}`;
    if (pos < 0n)
      throw new InputError(`${where}: offset ${hex(run.offset)} with --seek ${hex(this.seek)} is before the start of the output`, { line: run.line });
    if (pos + total > MAX_FILE_SIZE)
      throw new InputError(`${where}: the data at ${hex(pos)} ends past the largest file size (2^53-1 bytes)`, { line: run.line });
    const p = Number(pos);
    const here = this.#at + this.#len;
    if (this.sink.seekable === undefined) {
      if (p < here) {
        throw new InputError(`${where}: offset ${hex(pos)} goes back (the output is at ${hex(here)}): only a file can be written out of order; use -o FILE`, {
          line: run.line,
        });
      }
      this.#zeros(p - here);
    } else if (p !== here) {
      this.flush();
      this.#at = p;
    }
    this.data += total;
    const end = p + Number(total);
    if (end > this.end) this.end = end;
    if (run.repeat > 1n && isZero(run.bytes)) {
      // A squeezed run of zero lines: a hole in a file, zeros elsewhere.
      if (this.sink.seekable !== undefined) {
        this.flush();
        this.#at = end;
      } else {
        this.#zeros(Number(total));
      }
      return;
    }
    for (let k = 0n; k < run.repeat; k++) this.#append(run.bytes);
  }

  #append(bytes: Uint8Array): void {
    if (this.#len + bytes.length > BUFFER) this.flush();
    if (bytes.length > BUFFER) {
      this.#out(bytes);
      return;
    }
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  /** Zeros written in order (a sink that cannot seek). */
  #zeros(n: number): void {
    if (n === 0) return;
    this.flush();
    for (let left = n; left > 0; left -= BUFFER) this.#out(ZEROS.subarray(0, Math.min(left, BUFFER)));
  }

  #out(bytes: Uint8Array): void {
    if (this.sink.seekable !== undefined) this.sink.seekable.writeAt(bytes, this.#at);
    else this.sink.write(bytes);
    this.#at += bytes.length;
    if (this.#at > this.#written) this.#written = this.#at;
  }

  flush(): void {
    if (this.#len === 0) return;
    const n = this.#len;
    this.#len = 0;
    this.#out(this.#buf.subarray(0, n));
  }

  /** Ends the output at `length`: a hole in a file, zeros elsewhere. */
  close(length: number): void {
    this.flush();
    if (this.sink.seekable !== undefined) {
      if (length > this.#written) this.sink.seekable.setLength(length);
    } else if (length > this.#at) {
      this.#zeros(length - this.#at);
    }
  }
}

/** Whether every byte is 0 (a squeezed zero line). */
function isZero(bytes: Uint8Array): boolean {
  return bytes.length <= BUFFER && Buffer.compare(bytes, ZEROS.subarray(0, bytes.length)) === 0;
}

/**
 * Writes the file a hex dump describes to `sink`: the dump's bytes where its offsets say (plus
 * `seek`), holes between them, and as long as the dump says (a final offset line, a C array's
 * `_len`). `input` is the dump in chunks of any size (a Readable, process.stdin, an array).
 *
 * @throws {InputError} (exit 2) naming the line and column of what the dump gets wrong, or a
 *   position before 0 or past 2^53-1; whatever the sink throws (a write error). The sink may
 *   have been given part of the output by then: a file should be written under a temporary
 *   name and kept only on success.
 */
export async function unhex(
  input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  sink: UnhexSink,
  options: UnhexOptions = {},
): Promise<UnhexOutcome> {
  sourceArg(input, 'the input');
  objectArg(sink, 'the sink');
  if (typeof sink.write !== 'function') throw new InputError(`the sink must have write(bytes), not ${describeValue(sink.write)}`);
  objectArg(options, 'options', true);
  const name = options.name ?? '-';
  const seek = options.seek ?? 0n;
  const writer = new Writer(sink, seek, name);
  const parser = new UnhexParser({ format: options.format, radix: options.radix, name }, (run) => writer.put(run));
  for await (const chunk of input) {
    options.signal?.throwIfAborted();
    parser.push(chunkArg(chunk, 'the input'));
  }
  const summary = parser.end();
  let length = writer.end;
  if (summary.end !== undefined && summary.end + seek > BigInt(length)) {
    const stated = summary.end + seek;
    if (stated > MAX_FILE_SIZE) throw new InputError(`${name}: the stated length ${hex(stated)} is past the largest file size (2^53-1 bytes)`);
    length = Number(stated);
  }
  writer.close(length);
  return { format: summary.format, radix: summary.radix, length: BigInt(length), data: writer.data, lines: summary.lines, sparse: sink.seekable !== undefined };
}

/**
 * A sink over a descriptor: positioned writes and a final ftruncate for a new regular file
 * (`sparse`), plain writes otherwise.
 */
export function fdSink(fd: number, sparse: boolean): UnhexSink {
  const writeOut = (bytes: Uint8Array, position: number | null): void => {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position === null ? null : position + done);
  };
  return {
    write: (bytes) => writeOut(bytes, null),
    seekable: sparse ? { writeAt: (bytes, position) => writeOut(bytes, position), setLength: (length) => ftruncateSync(fd, length) } : undefined,
  };
}
