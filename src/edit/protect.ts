// Mapping a file with a protection (ro, rw, exec, none) through the core and checking what the
// kernel says the mapping now is. Nothing mapped is ever executed.
import { optionsArg, pathArg } from './args.js';
import { InputError, OperationError } from '../errors.js';
import { describeValue } from '../format/quote.js';
import { type Mmap, MmapError, type MmapMut, type MmapNone, MmapOptions } from '../mmap/index.js';
import { targetRange, withFile } from './files.js';
import { mountOf } from './mounts.js';
import { rangePermissions } from '../mmap/sys/index.js';
import { bindOptionalRange } from './address.js';
import { type RangeOption, rangeOption } from './range.js';
import type { EditContext } from './seams.js';

export type ProtectMode = 'ro' | 'rw' | 'exec' | 'none';

/** What the system shows for a shared mapping in each mode (in /proc/self/maps's notation). */
const EXPECTED: Record<ProtectMode, string> = { ro: 'r--s', rw: 'rw-s', exec: 'r-xs', none: '---s' };

export interface ProtectOptions extends EditContext {
  /** The part of the file (default: all of it). */
  range?: RangeOption;
}

/** A mapping with the protection asked for, verified; held until {@link release} (or the callback returns). */
export interface Protected {
  range: { offset: bigint; length: bigint };
  /** The permissions the system shows (`r--s`, `rw-s`, `r-xs`, `---s`). */
  perms: string;
  /** Where they were read: `/proc/self/maps` (Linux) or `VirtualQuery` (Windows). */
  source: string;
  /** The mapping's address range in this process. */
  address: { start: bigint; end: bigint };
  /** Whether reading the first and last byte worked (null for `none` and empty ranges). */
  read: boolean | null;
}

/**
 * Maps `range` of `path` shared, changes its protection to `mode` through the core
 * (makeReadOnly, makeMut, makeExec, makeNone), checks what the system shows for it (/proc/self/maps, VirtualQuery) and, where the mode allows,
 * reads the first and last byte. `hold` runs while the mapping exists (for showing it to another
 * process); the mapping and the file are released when it returns.
 * @throws OperationError when the kernel refuses the mode (naming a noexec mount) or shows another one.
 */
export async function protectFile<T>(path: string, mode: ProtectMode, options: ProtectOptions, hold: (p: Protected) => T | Promise<T>): Promise<T> {
  pathArg(path);
  options = optionsArg(options);
  if (!(['ro', 'rw', 'exec', 'none'] as const).includes(mode)) throw new InputError(`mode must be 'ro', 'rw', 'exec' or 'none', not ${describeValue(mode)}`);
  if (typeof hold !== 'function') throw new InputError(`hold must be a function (it is called with the protected map), not ${describeValue(hold)}`);
  const { clock } = options;
  const open = {
    ...options,
    write: mode === 'rw',
    lock: 'shared' as const,
    access: 'read' as const,
    ...(clock && { timer: clock }),
    openError: (err: unknown) =>
      err instanceof OperationError && err.code === 'EACCES'
        ? new OperationError(`${err.message}: mode ${mode} needs ${mode === 'rw' ? 'read and write' : 'read'} permission`, 'EACCES', { path })
        : err,
  };
  const body = async (file: import('./files.js').OpenFile): Promise<T> => {
    const r = targetRange(file, bindOptionalRange(file, rangeOption(options.range), options));
    const initial = new MmapOptions().offset(r.offset).len(r.length).map({ fd: file.fd, path });
    clock?.lap('map');
    let map: Mmap | MmapMut | MmapNone;
    try {
      map = mode === 'ro' ? initial.makeReadOnly() : mode === 'rw' ? initial.makeMut() : mode === 'exec' ? initial.makeExec() : initial.makeNone();
    } catch (err) {
      initial.unmap();
      if (err instanceof MmapError && mode === 'exec' && (err.code === 'EACCES' || err.code === 'EPERM')) {
        const mount = mountOf(path, file.stat);
        if (mount?.options.includes('noexec')) {
          throw new OperationError(`cannot map it executable: ${mount.mountPoint} is mounted noexec`, err.code, { path });
        }
      }
      throw err;
    }
    clock?.lap('mprotect');
    try {
      const { start, end } = map.addressRange();
      const shown = rangePermissions(start, end);
      const perms = shown?.perms;
      if (shown === undefined || perms !== EXPECTED[mode]) {
        throw new OperationError(`the kernel shows the mapping as ${perms ?? 'absent'}, expected ${EXPECTED[mode]}`, undefined, { path });
      }
      // A read where the mode allows it proves the pages are really accessible. Never executed.
      let read: boolean | null = null;
      if (mode !== 'none' && map.length > 0) {
        const bytes = (map as Mmap | MmapMut).bytes;
        read = bytes[0] !== undefined && bytes[bytes.length - 1] !== undefined;
        map.assertIntact('read');
      }
      clock?.lap('verify');
      return await hold({ range: { offset: r.offset, length: r.length }, perms: shown.perms, source: shown.source, address: { start, end }, read });
    } finally {
      map.unmap();
    }
  };
  return withFile(path, open, body);
}
