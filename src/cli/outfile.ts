// The file a command writes its output to with -o (diff's patch, cat's bytes): written under a
// temporary name beside the target and renamed over it at the end, so that a command that fails
// (bad input found late, a file cut under it) leaves no half-written output behind.
import { closeSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsError, type OpenFile } from './files.js';
import { writeAll } from './output.js';

export class OutputFile {
  readonly target: string;
  #fd: number | undefined;
  #tmp: string | undefined;

  /** Creates the temporary file (exclusively, mode 0644) in the target's directory. @throws OperationError */
  constructor(target: string) {
    this.target = target;
    const tmp = join(dirname(target), `.${basename(target)}.mmapx-tmp-${process.pid}`);
    try {
      this.#fd = openSync(tmp, 'wx', 0o644);
    } catch (err) {
      throw fsError(err, `cannot write ${target}`);
    }
    this.#tmp = tmp;
  }

  /** Appends `data`. @throws OperationError naming the target (ENOSPC, EIO...). */
  write(data: Uint8Array | string): void {
    if (this.#fd === undefined) throw new Error(`${this.target} is already closed`);
    try {
      writeAll(this.#fd, data);
    } catch (err) {
      throw fsError(err, `cannot write ${this.target}`);
    }
  }

  /** Closes the temporary file and renames it over the target. */
  finish(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
    try {
      renameSync(this.#tmp!, this.target);
    } catch (err) {
      throw fsError(err, `cannot write ${this.target}`);
    }
    this.#tmp = undefined;
  }

  /** On failure: closes and removes the temporary file; the target is left as it was. */
  abandon(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
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

/** Whether `path` names the file `file` has open (same device and inode): an output must not be an input. */
export function sameFile(path: string, file: OpenFile): boolean {
  try {
    const st = statSync(path, { bigint: true });
    return st.dev === file.stat.dev && st.ino === file.stat.ino;
  } catch {
    return false;
  }
}
