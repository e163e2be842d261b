// Inputs taken whole before a command begins, without holding them in memory: diff's piped side
// (its patch starts with both sizes) and write's data (--stdin, --file: every check runs before
// the first byte is written, so the input must be complete first, and a producer that dies midway
// leaves the file as it was). A file with a size is used where it is; a pipe's bytes are copied,
// as they come, into a temporary file that is unlinked at once (it disappears with its
// descriptor, also when the process is killed) and then read like any file. Memory stays flat
// whatever the size; a small input (up to a MiB) simply stays in memory.
import { closeSync, constants as fsc, fstatSync, mkdtempSync, openSync, readSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, OperationError } from '../errors.js';
import { fsError, type OpenFile, readsInOrder, STDIN, stdinFile } from './files.js';
import { readWindows } from './mapped.js';

/** Inputs up to this size are kept in memory rather than in a temporary file. */
export const IN_MEMORY = 1024 * 1024;

/** Options of {@link takeInput} and {@link spooled}. */
export interface SpoolOptions {
  /** Where the temporary file goes (default: the system's, `$TMPDIR` or /tmp). */
  dir?: string;
  /** Most bytes taken: one more fails with the error `tooLong` makes (a write that cannot grow its file). */
  limit?: bigint;
  tooLong?: (limit: bigint) => InputError;
  /** Keep an input of at most this many bytes in memory (default 0: always a file). */
  memory?: number;
  /** Copy a file with a size too (the data of a write into that same file). */
  copy?: boolean;
  /**
   * Take exactly the first this many bytes and stop reading there (write's `--length` with
   * `--file`/`--stdin`: the way to take a piece of an endless source such as /dev/zero). An
   * input that ends sooner is an error.
   */
  take?: bigint;
}

/**
 * Opens an input that is only read, without a lock: `-` is standard input (see stdinFile: a
 * regular file at its start is used in place, anything else is read in order), any other path is
 * opened as cat opens it (a FIFO waits for its writer); a regular file with a size is used in
 * place, anything else (a FIFO, a device, a procfs file) is read in order.
 * @throws InputError for a terminal on standard input; the open's error (an OperationError).
 */
export function openInput(arg: string): OpenFile {
  if (arg === STDIN) return stdinFile({ write: false }).file;
  let fd: number;
  try {
    fd = openSync(arg, fsc.O_RDONLY | fsc.O_NOCTTY);
  } catch (err) {
    throw fsError(err);
  }
  try {
    const stat = fstatSync(fd, { bigint: true });
    if (stat.isDirectory()) throw new OperationError('is a directory', 'EISDIR');
    const sized = stat.isFile() && stat.size > 0n;
    return { fd, path: arg, stat, size: sized ? stat.size : undefined, ...(!sized && { stream: 'a file without a size' }), close: () => closeSync(fd) };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * The whole of `file`, taken before anything is done with it: its bytes when they fit in
 * `options.memory` (then `file` is closed), else a file with a size: `file` itself when it has one,
 * or its bytes read to their end into an unlinked temporary file (named as `file`; closing it
 * closes both). Reading stops with an error past `options.limit`.
 * @throws InputError past the limit; OperationError when the temporary file cannot be made or
 *   written (ENOSPC), or the input cannot be read.
 */
export function takeInput(file: OpenFile, options: SpoolOptions = {}): Uint8Array | OpenFile {
  const memory = options.memory ?? 0;
  const over = (n: bigint): void => {
    if (options.limit !== undefined && n > options.limit) {
      throw options.tooLong?.(options.limit) ?? new InputError(`${file.path} is longer than ${options.limit} bytes`);
    }
  };
  const take = options.take;
  const short = (n: bigint): InputError =>
    new InputError(`${file.path === STDIN ? 'standard input' : file.path} ended after ${n} byte${n === 1n ? '' : 's'}; --length asked for ${take}`);
  if (!readsInOrder(file) && !options.copy) {
    if (take !== undefined && (file.size ?? 0n) < take) throw short(file.size ?? 0n);
    const size = take ?? file.size ?? 0n;
    over(size);
    if (size <= BigInt(memory)) {
      try {
        return readWhole(file, Number(size));
      } finally {
        file.close();
      }
    }
    return take === undefined ? file : { ...file, size };
  }
  const held: Uint8Array[] = [];
  let size = 0n;
  let fd: number | undefined;
  const base = options.dir ?? tmpdir();
  const put = (bytes: Uint8Array): void => {
    let done = 0;
    while (done < bytes.length) {
      try {
        done += writeSync(fd!, bytes, done, bytes.length - done);
      } catch (err) {
        throw fsError(err, `cannot copy ${file.path === STDIN ? 'standard input' : file.path} to a temporary file in ${base}`);
      }
    }
  };
  try {
    const all = readsInOrder(file) ? { offset: 0n, length: take } : { offset: 0n, length: take ?? file.size ?? 0n };
    for (const w of readWindows(file, all, { upTo: true })) {
      const bytes = w.bytes as Uint8Array;
      size += BigInt(bytes.length);
      over(size);
      if (fd === undefined && size <= BigInt(memory)) {
        held.push(bytes.slice());
        continue;
      }
      if (fd === undefined) {
        fd = temporaryFile(base);
        for (const h of held) put(h);
        held.length = 0;
      }
      put(bytes);
    }
    if (take !== undefined && size < take) throw short(size);
    if (fd === undefined) {
      file.close();
      return held.length === 1 ? held[0]! : Buffer.concat(held);
    }
    const stat = fstatSync(fd, { bigint: true });
    const tmp = fd;
    return {
      fd: tmp,
      path: file.path,
      stat,
      size: stat.size,
      close: () => {
        try {
          closeSync(tmp);
        } finally {
          file.close();
        }
      },
    };
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    throw err;
  }
}

/** {@link takeInput} always as a file with a size (diff maps both sides); `copy` copies one that has a size too. */
export function spooled(file: OpenFile, options: Omit<SpoolOptions, 'memory'> = {}): OpenFile {
  return takeInput(file, { ...options, memory: -1 }) as OpenFile;
}

/** A new file in `base`, already unlinked: only its descriptor holds it. */
function temporaryFile(base: string): number {
  try {
    const dir = mkdtempSync(join(base, 'mmapx-spool-'));
    const path = join(dir, 'input');
    const fd = openSync(path, 'wx+', 0o600);
    unlinkSync(path);
    rmdirSync(dir);
    return fd;
  } catch (err) {
    throw fsError(err, `cannot make a temporary file in ${base} for the input (set TMPDIR)`);
  }
}

/** The `n` bytes of a sized file, by pread. */
function readWhole(file: OpenFile, n: number): Uint8Array {
  const buf = Buffer.allocUnsafe(n);
  let done = 0;
  while (done < n) {
    const k = readSync(file.fd, buf, done, n - done, done);
    if (k === 0) break;
    done += k;
  }
  return buf.subarray(0, done);
}
