// Standard input made into a file, for the commands that need the whole input and its size before
// they begin: diff (its patch starts with both sizes) and write (every check runs before the
// first byte is written, so the input must be complete: a producer that dies midway must leave
// the file as it was). A pipe's bytes are copied, as they come, into a temporary file that is
// unlinked at once (it disappears with its descriptor, also when the process is killed), then
// mapped like any file: memory stays flat whatever the size. A regular file needs no copy.
import { closeSync, fstatSync, mkdtempSync, openSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { fsError, type OpenFile, readsInOrder } from './files.js';
import { readWindows } from './mapped.js';

/** Options of {@link spooled}. */
export interface SpoolOptions {
  /** Where the temporary file goes (default: the system's, `$TMPDIR` or /tmp). */
  dir?: string;
  /** Most bytes taken: one more is an InputError made by `tooLong` (a write that cannot grow the file). */
  limit?: bigint;
  tooLong?: (limit: bigint) => InputError;
}

/**
 * `file` as a file with a size: itself when it has one (a file, standard input redirected from a
 * file), else (`readsInOrder`: a pipe, a pseudo file) its bytes read to their end into an unlinked
 * temporary file (named as `file`, closed with it: closing the result closes both). Reading stops
 * with an error past `options.limit`.
 * @throws InputError past the limit; OperationError when the temporary file cannot be made or
 *   written (ENOSPC), or the input cannot be read.
 */
export function spooled(file: OpenFile, options: SpoolOptions = {}): OpenFile {
  if (!readsInOrder(file)) return file;
  const base = options.dir ?? tmpdir();
  let fd: number;
  try {
    const dir = mkdtempSync(join(base, 'mmapx-spool-'));
    const path = join(dir, 'input');
    fd = openSync(path, 'wx+', 0o600);
    unlinkSync(path);
    rmdirSync(dir);
  } catch (err) {
    throw fsError(err, `cannot make a temporary file in ${base} for standard input (set TMPDIR)`);
  }
  try {
    let size = 0n;
    for (const w of readWindows(file, { offset: 0n, length: undefined })) {
      const bytes = w.bytes as Uint8Array;
      size += BigInt(bytes.length);
      if (options.limit !== undefined && size > options.limit) throw options.tooLong?.(options.limit) ?? new InputError(`standard input is longer than ${options.limit} bytes`);
      let done = 0;
      while (done < bytes.length) {
        try {
          done += writeSync(fd, bytes, done, bytes.length - done);
        } catch (err) {
          throw fsError(err, `cannot copy standard input to a temporary file in ${base}`);
        }
      }
    }
    const stat = fstatSync(fd, { bigint: true });
    const input = file;
    return {
      fd,
      path: file.path,
      stat,
      size: stat.size,
      close: () => {
        try {
          closeSync(fd);
        } finally {
          input.close();
        }
      },
    };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
