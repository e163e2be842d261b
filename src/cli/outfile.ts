// The file a command writes its output to with -o (diff's patch, cat's bytes). What happens depends
// on what the path names, after following symlinks (a symlink itself is never replaced):
// - a regular file, or nothing yet: the output is written under a temporary name beside the file
//   (beside the symlink's target, for a symlink) and renamed over it at the end, so that a command
//   that fails (bad input found late, a file cut under it) leaves no half-written output behind.
//   An existing file keeps its mode and owner (the temporary file takes them before the rename).
// - a character or block device, or a FIFO: written directly, as a shell's `>` would (a device is
//   not a file to replace: renaming over /dev/null would destroy it). A FIFO's open waits for a
//   reader. A failure part-way leaves what was written, as on standard output. The process's own
//   standard output or error (`/dev/stdout`, `/proc/self/fd/2`), whatever it is, even a socket
//   that no open(2) can reach, is written through its descriptor.
// - `-`: standard output (see {@link outputTarget}).
// A directory or a socket is refused.
import { type BigIntStats, closeSync, constants as fsc, fstatSync, ftruncateSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { basename, dirname, join } from 'node:path';
import { OperationError } from '../errors.js';
import { fsError, type OpenFile } from '../edit/files.js';
import { keepIdentity, locateOutput, sideName, tmpSuffix } from '../edit/outplace.js';
import { BrokenPipe, writeAll } from './output.js';

/** The path of `-o VALUE`, or undefined for none and for `-`, which means standard output. */
export function outputTarget(value: unknown): string | undefined {
  return value === undefined || value === '-' ? undefined : String(value);
}

export class OutputFile {
  readonly target: string;
  /** The output is a terminal (`-o /dev/tty`). */
  readonly terminal: boolean;
  #fd: number | undefined;
  /** `#fd` is the process's standard output or error: written to, never closed. */
  #borrowed = false;
  #tmp: string | undefined;
  /** The file the temporary one is renamed over (a symlink's target, not the link). */
  readonly #final: string;

  /**
   * Opens the output: a device or FIFO directly; otherwise a temporary file (exclusively, mode
   * 0644, or the existing file's mode and owner) in the directory of the file it will replace.
   * @throws OperationError (a directory, a socket, a file whose owner cannot be kept, open errors).
   */
  constructor(target: string) {
    this.target = target;
    const { stat, path } = locateOutput(target);
    this.#final = path;
    if (stat !== undefined && !stat.isFile()) {
      if (stat.isDirectory()) throw new OperationError(`cannot write ${target}: is a directory`, 'EISDIR');
      const own = standardStream(stat);
      if (own !== undefined) {
        this.#fd = own;
        this.#borrowed = true;
      } else if (stat.isSocket()) {
        throw new OperationError(`cannot write ${target}: is a socket`, 'ENXIO');
      } else {
        try {
          this.#fd = openSync(target, fsc.O_WRONLY | fsc.O_NOCTTY);
        } catch (err) {
          throw fsError(err, `cannot write ${target}`);
        }
      }
      this.terminal = isatty(this.#fd);
      return;
    }
    this.terminal = false;
    const tmp = join(dirname(path), sideName(basename(path), tmpSuffix()));
    try {
      this.#fd = openSync(tmp, 'wx', stat === undefined ? 0o644 : 0o600);
    } catch (err) {
      throw fsError(err, `cannot write ${target}`);
    }
    this.#tmp = tmp;
    if (stat !== undefined) {
      try {
        keepIdentity(this.#fd, stat);
      } catch (err) {
        this.abandon();
        throw fsError(err, `cannot write ${target}: cannot give the new contents its owner ${stat.uid}:${stat.gid} and mode`);
      }
    }
  }

  /**
   * Appends `data`. @throws OperationError naming the target (ENOSPC, EIO...); BrokenPipe when the
   * reader of a pipe or FIFO went away (a quiet end, as on standard output).
   */
  write(data: Uint8Array | string): void {
    if (this.#fd === undefined) throw new Error(`${this.target} is already closed`);
    try {
      writeAll(this.#fd, data);
    } catch (err) {
      if (err instanceof BrokenPipe) throw err;
      throw fsError(err, `cannot write ${this.target}`);
    }
  }

  /**
   * The output is a new regular file (written under a temporary name): it can be written at
   * positions with {@link writeAt}, leaving holes, and sized with {@link setLength}.
   */
  get seekable(): boolean {
    return this.#tmp !== undefined;
  }

  /** Writes `data` at `position` of the temporary file ({@link seekable} outputs only). @throws OperationError naming the target. */
  writeAt(data: Uint8Array, position: number): void {
    if (this.#fd === undefined || this.#tmp === undefined) throw new Error(`${this.target} cannot be written at a position`);
    try {
      for (let done = 0; done < data.length; ) done += writeSync(this.#fd, data, done, data.length - done, position + done);
    } catch (err) {
      throw fsError(err, `cannot write ${this.target}`);
    }
  }

  /** Sets the length of the temporary file ({@link seekable} outputs only): past the data, a hole. */
  setLength(length: number): void {
    if (this.#fd === undefined || this.#tmp === undefined) throw new Error(`${this.target} cannot be sized`);
    try {
      ftruncateSync(this.#fd, length);
    } catch (err) {
      throw fsError(err, `cannot write ${this.target}`);
    }
  }

  /** Closes the output; a temporary file is renamed over the target. */
  finish(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      if (!this.#borrowed) closeSync(fd);
      if (this.#tmp !== undefined) renameSync(this.#tmp, this.#final);
    } catch (err) {
      throw fsError(err, `cannot write ${this.target}`);
    }
    this.#tmp = undefined;
  }

  /** On failure: closes, and removes the temporary file; a replaced target is left as it was. */
  abandon(): void {
    if (this.#fd !== undefined && !this.#borrowed) closeSync(this.#fd);
    this.#fd = undefined;
    if (this.#tmp !== undefined) {
      try {
        unlinkSync(this.#tmp);
      } catch {
        // nothing to clean
      }
    }
    this.#tmp = undefined;
  }
}

/** The descriptor, 1 or 2, of the process's own standard output or error when `stat` is that file. */
function standardStream(stat: BigIntStats): number | undefined {
  for (const fd of [1, 2]) {
    try {
      const st = fstatSync(fd, { bigint: true });
      if (st.dev === stat.dev && st.ino === stat.ino) return fd;
    } catch {
      // not open
    }
  }
  return undefined;
}

/** Whether `path` names the file `file` has open (same device and inode): an output must not be an input. */
export function sameFile(path: string, file: OpenFile): boolean {
  try {
    const st = statSync(path, { bigint: true });
    return st.dev === file.stat.dev && st.ino === file.stat.ino;
  } catch {
    return false;
  }
}

/**
 * Whether the path `target` names the input `input` (device and inode, links followed); `-` is
 * standard input, when it is a regular file (`< FILE`). False when either is missing.
 */
export function samePath(target: string, input: string): boolean {
  try {
    const st = statSync(target, { bigint: true });
    const si = input === '-' ? fstatSync(0, { bigint: true }) : statSync(input, { bigint: true });
    return (input !== '-' || si.isFile()) && st.dev === si.dev && st.ino === si.ino;
  } catch {
    return false;
  }
}
