// Where a command's new output goes (cat, unhex, diff -o; patch --out), and the names of the files
// it keeps beside another one (temporary outputs, journals, stamp records' temporaries).
//
// An output path is followed to what it names: a symlink, through any number of links, to its
// target (the link itself is never replaced; a dangling one creates its target), so that the
// temporary file is made beside the file it will be renamed over. A side file's name is built
// from the name of the file it belongs to, and must itself fit in NAME_MAX (255 bytes on Linux,
// macOS and the BSDs): a name that is valid but too long to take a prefix and a suffix gets a
// hash of itself instead (the journal's rule since its first version).
import { createHash } from 'node:crypto';
import { type BigIntStats, fchmodSync, fchownSync, fstatSync, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { OperationError } from '../errors.js';
import { fsError } from './files.js';

const NAME_MAX = 255;

/**
 * The name of a file kept beside the file named `name`: `.NAME` + `suffix` when that fits in
 * NAME_MAX bytes, otherwise `suffix` + `.` + 32 hex digits of sha256(NAME) (also hidden: every
 * suffix starts with `.`).
 */
export function sideName(name: string, suffix: string): string {
  const plain = `.${name}${suffix}`;
  return Buffer.byteLength(plain) <= NAME_MAX ? plain : `${suffix}.${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

/** The suffix of this process's temporary output beside a file (renamed over it at the end). */
export function tmpSuffix(): string {
  return `.mmapx-tmp-${process.pid}`;
}

/**
 * Where `target` leads: its status after following symlinks (undefined when nothing is there
 * yet) and the path of the file itself, for a temporary file beside it and the rename over it.
 * @throws OperationError naming `cannot write TARGET` (ELOOP, EACCES, ENAMETOOLONG...).
 */
export function locateOutput(target: string): { stat: BigIntStats | undefined; path: string } {
  const fail = (err: unknown) => fsError(err, `cannot write ${target}`);
  let stat: BigIntStats | undefined;
  try {
    stat = statSync(target, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fail(err);
  }
  if (stat !== undefined) {
    if (!stat.isFile()) return { stat, path: target }; // opened by its path: the kernel follows the links
    try {
      return { stat, path: realpathSync.native(target) };
    } catch (err) {
      throw fail(err);
    }
  }
  // Nothing there: a new file, or a symlink to a missing one (created where the link points).
  let path = target;
  for (let hops = 0; ; hops++) {
    let link: string;
    try {
      if (!lstatSync(path).isSymbolicLink()) return { stat: undefined, path };
      link = readlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { stat: undefined, path };
      throw fail(err);
    }
    if (hops === 40) throw new OperationError(`cannot write ${target}: too many levels of symbolic links`, 'ELOOP');
    try {
      path = resolve(realpathSync.native(dirname(path)), link);
    } catch (err) {
      throw fail(err);
    }
  }
}

/** Gives the temporary file `fd` the owner and mode of the file it replaces (owner first: chown clears set-id bits). */
export function keepIdentity(fd: number, old: BigIntStats): void {
  const now = fstatSync(fd, { bigint: true });
  if (now.uid !== old.uid || now.gid !== old.gid) fchownSync(fd, Number(old.uid), Number(old.gid));
  fchmodSync(fd, Number(old.mode & 0o7777n));
}
