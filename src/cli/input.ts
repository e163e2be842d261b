// Whole inputs the CLI holds in memory: a patch file, a --files-from list, write's data (--stdin,
// --file, `-`). `-` is standard input. Every one of them is read here, so that each waits for a
// slow producer the same way and the same limits apply.
//
// Standard input is read according to what fd 0 is (fstat):
//  - a pipe or a socket: through process.stdin, a libuv stream that waits for data (epoll) whether
//    the descriptor is blocking or not. A synchronous read(2) of fd 0 fails with EAGAIN as soon as
//    the pipe is empty when the descriptor is non-blocking, and it is whenever process.stdin was
//    touched first (libuv sets O_NONBLOCK on the file description, which the producer's side of a
//    shell pipe shares) or a parent process left it so. Retrying on EAGAIN would spin.
//  - a terminal: refused; the data is meant to be piped in.
//  - anything else (a regular file `< file`, a device `< /dev/zero`): read(2) from the current
//    position; these never wait.
// A closed fd 0 is reopened as /dev/null by Node at start-up, so a closed stdin reads as empty and
// each consumer says what it expected.
//
// Limits: a regular file's size is known before reading, and its whole content is read into one
// buffer of that size (up to FILE_LIMIT, refused by its size before reading). A pipe, socket or
// device can produce without end (`yes |`, `< /dev/zero`), and so can a file that reports size 0
// (procfs), so at most STREAM_LIMIT bytes are read from them; more is an input error before
// anything is done.
import { closeSync, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { InputError } from '../errors.js';

/** Most bytes read from a source of unknown size: a pipe, a socket or a device (256 MiB). */
const STREAM_LIMIT = 256 * 1024 * 1024;
/** Most bytes read from a regular file (2 GiB, what Node.js itself reads into one buffer). */
const FILE_LIMIT = 2 * 1024 * 1024 * 1024;

export interface InputOptions {
  /** What the input is, in messages: `the patch`, `the --files-from list`, `the data`. */
  readonly what: string;
  /** The one-line error when `-` is given and standard input is a terminal (a default names `what`). */
  readonly terminal?: string;
  /** Limits in bytes; the defaults are {@link STREAM_LIMIT} and {@link FILE_LIMIT}. */
  readonly streamLimit?: number;
  readonly fileLimit?: number;
}

const CHUNK = 1024 * 1024;
/** One read(2) asks for at most this much (Node.js refuses lengths of 2 GiB and more). */
const MAX_READ = 1024 * 1024 * 1024;

/** `256 MiB`, `2 GiB`, or bytes when not a whole number of either. */
function size(n: number): string {
  if (n % MAX_READ === 0) return `${n / MAX_READ} GiB`;
  return n % CHUNK === 0 ? `${n / CHUNK} MiB` : `${n} bytes`;
}

function tooLarge(source: string, opts: InputOptions, limit: number, stream: boolean): InputError {
  const how = stream ? 'more than that is not read from a pipe or a device: give a regular file' : 'it is read into memory whole';
  return new InputError(`${opts.what} (${source}) is larger than ${size(limit)}: ${how}`);
}

/** Bytes collected in chunks, refused past `limit` as soon as they get there. */
class Collector {
  readonly #chunks: Buffer[] = [];
  #length = 0;

  constructor(
    readonly limit: number,
    readonly fail: () => InputError,
  ) {}

  add(chunk: Buffer): void {
    this.#length += chunk.length;
    if (this.#length > this.limit) throw this.fail();
    this.#chunks.push(chunk);
  }

  bytes(): Buffer {
    return this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#length);
  }
}

/**
 * Reads `fd` from its current position to the end with read(2). A regular file is read into one
 * buffer of its size (if it grows meanwhile, the rest comes in chunks).
 * @throws the read's own error, or InputError past the limit.
 */
function readFd(fd: number, st: Stats, source: string, opts: InputOptions): Buffer {
  // A regular file the kernel says is empty may not be (procfs): its size is as unknown as a pipe's.
  const sized = st.isFile() && st.size > 0;
  const limit = sized ? (opts.fileLimit ?? FILE_LIMIT) : (opts.streamLimit ?? STREAM_LIMIT);
  if (sized && st.size > limit) throw tooLarge(source, opts, limit, false);
  const all = new Collector(limit, () => tooLarge(source, opts, limit, !sized));
  let size = sized ? st.size : CHUNK;
  for (;;) {
    const buf = Buffer.allocUnsafe(Math.min(size, limit + 1));
    let n = 0;
    while (n < buf.length) {
      const k = readSync(fd, buf, n, Math.min(buf.length - n, MAX_READ), null);
      if (k === 0) break;
      n += k;
    }
    if (n > 0) all.add(buf.subarray(0, n));
    if (n < buf.length) return all.bytes();
    size = CHUNK;
  }
}

/** Reads standard input as a stream that waits for data, to its end. */
async function readStream(source: string, opts: InputOptions): Promise<Buffer> {
  const limit = opts.streamLimit ?? STREAM_LIMIT;
  const all = new Collector(limit, () => tooLarge(source, opts, limit, true));
  // Leaving the loop by a throw destroys the stream, so nothing keeps the process alive.
  for await (const chunk of process.stdin) all.add(chunk as Buffer);
  return all.bytes();
}

/**
 * Reads a whole input: `-` is standard input, anything else a path (a FIFO path waits for its
 * writer, as cat does).
 * @throws InputError (exit 2) when standard input is a terminal or the input is over its limit;
 *   the system's error (an `ErrnoException`) when it cannot be opened or read, for the caller to
 *   word and classify.
 */
export async function readInput(arg: string, opts: InputOptions): Promise<Buffer> {
  if (arg !== '-') {
    const fd = openSync(arg, 'r');
    try {
      return readFd(fd, fstatSync(fd), arg, opts);
    } finally {
      closeSync(fd);
    }
  }
  const st = fstatSync(0);
  if (st.isFIFO() || st.isSocket()) return readStream('standard input', opts);
  if (st.isCharacterDevice()) {
    const { isatty } = await import('node:tty');
    if (isatty(0)) throw new InputError(opts.terminal ?? `standard input is a terminal: pipe ${opts.what} in`);
  }
  return readFd(0, st, 'standard input', opts);
}

/**
 * The first `length` bytes of `arg` when it is a regular file of known size; undefined for `-`, a
 * FIFO, a device or a file the kernel says is empty (procfs), which must be read whole to be looked
 * at. A path that is not a FIFO is checked before it is opened, so that a FIFO's writer is never
 * waited for and its bytes are never consumed here.
 */
export function readHead(arg: string, length: number): Buffer | undefined {
  if (arg === '-') return undefined;
  let st: Stats;
  try {
    st = statSync(arg);
  } catch {
    return undefined;
  }
  if (!st.isFile() || st.size === 0) return undefined;
  let fd: number;
  try {
    fd = openSync(arg, 'r');
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(length);
    return head.subarray(0, readSync(fd, head, 0, length, 0));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
