// Range operations that overwrite bytes in place, each a producer for the engine in overwrite.ts
// (guards, dry run, undo journal, windows): `fill` (a repeating pattern), `copy` (memmove within
// the file, or from another file), `move` (copy, then fill what the source leaves behind),
// `transform` (a kernel of src/format/transform.ts applied to each window).
//
// None of them changes the file's size: a destination that ends past the end of the file is
// refused (InputError, nothing written); extend the file first (`mmapx write --grow`, truncate).
import { describeValue } from '../format/quote.js';
import { OVERWRITE_BOOLEANS, optionsArg, pathArg } from './args.js';
import { readSync, statSync } from 'node:fs';
import { InputError, OperationError } from '../errors.js';
import { formatOffset, resolveOffset } from '../format/number.js';
import { resolveRange } from '../format/range.js';
import type { Transform } from '../format/transform.js';
import type { Range } from '../format/range.js';
import { type AddressOptions, bindOffset, bindRange } from './address.js';
import { fsError, knownSize, type OpenFile, openFile } from './files.js';
import { type OverwriteOptions, type OverwriteOutcome, type OverwritePlan, overwriteRange, type WindowProducer } from './overwrite.js';
import { type Position, type RangeOption, rangeOption, toOffset } from './range.js';
import { rollsForward, transformInPlace } from './transform-run.js';

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Bytes as compact hex for an operation's name, long ones cut (`deadbeef`, `00112233…`). */
function hexText(b: Uint8Array): string {
  const h = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, 16)).toString('hex');
  return b.length > 16 ? `${h}…` : h;
}

function bytes(n: bigint | number): string {
  return `${n} byte${BigInt(n) === 1n ? '' : 's'}`;
}

/** The range of `spec` in `file` of `size` bytes (addresses resolved in its image), not empty, not past the end. */
function destination(file: OpenFile, spec: RangeOption, size: bigint, what: string, options: AddressOptions): { offset: bigint; length: bigint } {
  const r = resolveRange(bindRange(file, rangeOption(spec)!, options), size);
  // Named as resolved: `-0..` and `18..` of an 18-byte file are the same empty range.
  if (r.length === 0n) throw new InputError(`the ${what} range at ${formatOffset(r.offset)} is empty (0 bytes): nothing to do`);
  return r;
}

/** A producer of `pattern` repeated from the range's start (phase 0 is the pattern's first byte). */
export function patternProducer(pattern: Uint8Array): WindowProducer {
  const p = Buffer.from(pattern);
  const L = p.length;
  return {
    produce(phase, _current, out) {
      const k = phase % L;
      // Buffer.fill repeats its value from the start of `out`: rotate it so that out[0] is p[k].
      const rotated = k === 0 ? p : Buffer.concat([p.subarray(k), p.subarray(0, k)]);
      asBuffer(out).fill(rotated);
    },
  };
}

/** Options of {@link fillRange}. */
export type FillOptions = OverwriteOptions;

/**
 * Fills `range` of the file at `path` with `pattern` repeated, aligned to the range's start (the
 * range need not be a multiple of the pattern: the last repetition is cut). See overwriteRange for
 * the guards, the dry run and the journal.
 * @example await fillRange('disk.img', '0x1000:4K', Uint8Array.of(0xde, 0xad))
 * @throws InputError for an empty pattern or range, a range past the end of the file.
 */
export async function fillRange(path: string, range: RangeOption, pattern: Uint8Array, options: FillOptions = {}): Promise<OverwriteOutcome> {
  pathArg(path);
  optionsArg(options, OVERWRITE_BOOLEANS);
  if (!(pattern instanceof Uint8Array) || pattern.length === 0) throw new InputError('the fill pattern is empty: give at least one byte');
  const parsed = requiredRange(range);
  return overwriteRange(
    path,
    `fill ${hexText(pattern)}`,
    (file, size) => ({ ...destination(file, parsed, size, 'fill', options), producer: patternProducer(pattern) }),
    options,
  );
}

/** [at, at + out.length) of the file open at `fd` read into `out` (pread); ending early is an error. */
function preadFully(fd: number, path: string, out: Uint8Array, at: bigint): void {
  let done = 0;
  while (done < out.length) {
    let k: number;
    try {
      k = readSync(fd, out, done, out.length - done, at + BigInt(done));
    } catch (err) {
      throw fsError(err, `cannot read the source at ${formatOffset(at + BigInt(done))}`);
    }
    // Checked against its size under the lock: another program cut it meanwhile (exit 1, and no
    // InputError, which a journal being written would not pass on as it is).
    if (k === 0) throw new OperationError(`the source ${path} ended at ${formatOffset(at + BigInt(done))} while being copied (it shrank)`);
    done += k;
  }
}

/** Options of {@link copyRange}. */
export interface CopyOptions extends OverwriteOptions {
  /** Copy from this file instead of from the file itself (the same file, by device and inode, counts as itself). */
  from?: string;
}

/** Whether `path` names the file open as `file` (device and inode). */
function sameFile(path: string, file: OpenFile): boolean {
  try {
    const st = statSync(path, { bigint: true });
    return st.dev === file.stat.dev && st.ino === file.stat.ino;
  } catch {
    return false;
  }
}

/**
 * The plan of a copy of `length` bytes from `src` (of the file open at `fd`, the file itself when
 * `same`) to `dst`, and, for a move, `vacate` (the fill byte of the source bytes that the
 * destination does not cover). The overwritten range is the destination, or for a move the span
 * of source and destination together (bytes between two disjoint ones are read, never written).
 * Window order: memmove's (a destination above its source in the same file goes descending).
 */
function copyPlan(src: bigint, dst: bigint, length: bigint, source: { fd: number; path: string }, same: boolean, vacate?: number): OverwritePlan {
  const lo = vacate === undefined || dst < src ? dst : src;
  const hi = vacate === undefined ? dst + length : (dst > src ? dst : src) + length;
  const order = same && dst > src ? 'descending' : 'ascending';
  return {
    offset: lo,
    length: hi - lo,
    producer: {
      order,
      produce(phase, current, out) {
        const start = lo + BigInt(phase);
        const end = start + BigInt(out.length);
        if (vacate !== undefined) {
          // Bytes of neither range stay as they are; the source's bytes get the fill byte, and the
          // destination's (set next) win where the two overlap.
          asBuffer(current).copy(out);
          const vs = src > start ? src : start;
          const ve = src + length < end ? src + length : end;
          if (vs < ve) asBuffer(out).fill(vacate, Number(vs - start), Number(ve - start));
        }
        const ds = dst > start ? dst : start;
        const de = dst + length < end ? dst + length : end;
        if (ds < de) preadFully(source.fd, source.path, out.subarray(Number(ds - start), Number(de - start)), src + (ds - dst));
      },
    },
  };
}

/**
 * Copies the bytes of `source` (a range of the file, or of `options.from`) to `dest` of the file at
 * `path`, as memmove does: an overlapping destination gets the source's bytes as they were before
 * the copy. The destination must lie inside the file. See overwriteRange for guards (`expect`: the
 * bytes the destination holds now), the dry run and the journal.
 * @example await copyRange('fw.bin', '0x0:0x200', 0x1000)
 * @throws InputError for an empty source, a source or destination past an end.
 */
export async function copyRange(path: string, source: RangeOption, dest: Position, options: CopyOptions = {}): Promise<OverwriteOutcome> {
  pathArg(path);
  if (optionsArg(options, OVERWRITE_BOOLEANS).from !== undefined) pathArg(options.from, 'options.from');
  const parsed = requiredRange(source);
  const at = toOffset(dest);
  const from = options.from;
  return overwriteRange(
    path,
    `copy ${parsed.text}${from !== undefined ? ` of ${from}` : ''} -> ${at.text}`,
    (file, size) => {
      let src: OpenFile | undefined;
      const same = from === undefined || sameFile(from, file);
      try {
        if (!same) {
          try {
            src = openFile(from!, { write: false, force: options.force === true, lockWait: options.lockWait });
          } catch (err) {
            const e = fsError(err);
            throw new OperationError(`--from ${from}: ${e.message}`, e.code, { cause: err });
          }
        }
        let srcSize = size;
        if (src) {
          try {
            srcSize = knownSize(src);
          } catch (err) {
            // Said of the source, not of FILE (whose name leads the error line); a range does not help a device.
            const what =
              src.pseudo === undefined ? 'is a device, whose size is unknown: copy from a file (mmapx cat --force DEVICE RANGE -o FILE)' : fsError(err).message;
            throw new OperationError(`--from ${from}: ${what}`, undefined, { cause: err });
          }
        }
        const s = destination(src ?? file, parsed, srcSize, 'source', options);
        const d = resolveOffset(bindOffset(file, at, options).offset, size);
        if (d + s.length > size) {
          throw new InputError(
            `copying ${bytes(s.length)} to ${formatOffset(d)} ends past the end of the file (size ${formatOffset(size)}): copy never grows a file; extend it first (mmapx write --grow)`,
          );
        }
        const plan = copyPlan(s.offset, d, s.length, src ?? file, same);
        return { ...plan, ...(src && { close: () => src!.close() }) };
      } catch (err) {
        src?.close();
        throw err;
      }
    },
    options,
  );
}

/** Options of {@link moveRange}. */
export interface MoveOptions extends OverwriteOptions {
  /** The byte left in the source's bytes that the destination does not cover (default 0). */
  fill?: number;
}

/**
 * Moves the bytes of `source` to `dest` within the file at `path`: a memmove, then the source's
 * bytes that the destination does not cover are set to `options.fill` (default 0x00). The file
 * keeps its size. `expect` guards the span of source and destination together.
 * @example await moveRange('fw.bin', '0x100:16', 0x200, { fill: 0xff })
 * @throws InputError for an empty source, a destination past the end, a fill that is no byte.
 */
export async function moveRange(path: string, source: RangeOption, dest: Position, options: MoveOptions = {}): Promise<OverwriteOutcome> {
  pathArg(path);
  optionsArg(options, OVERWRITE_BOOLEANS);
  const parsed = requiredRange(source);
  const at = toOffset(dest);
  const fill = options.fill ?? 0;
  if (!Number.isInteger(fill) || fill < 0 || fill > 255) throw new InputError(`fill byte ${describeValue(fill)} is not a byte (0..255)`);
  return overwriteRange(
    path,
    `move ${parsed.text} -> ${at.text}`,
    (file, size) => {
      const s = destination(file, parsed, size, 'source', options);
      const d = resolveOffset(bindOffset(file, at, options).offset, size);
      if (d + s.length > size) {
        throw new InputError(
          `moving ${bytes(s.length)} to ${formatOffset(d)} ends past the end of the file (size ${formatOffset(size)}): move never grows a file`,
        );
      }
      return copyPlan(s.offset, d, s.length, file, true, fill);
    },
    options,
  );
}

/** Options of {@link transformRange}. */
export type TransformOptions = OverwriteOptions;

/**
 * Applies `transform` (from `parseTransform` of `mmapx/format`'s transform kernels: xor/and/or
 * with a repeating key, not, add/sub, rol/ror, shl/shr, byte swaps, bit reverse) to `range` of the
 * file at `path`, in place. The range must be a whole number of the transform's units; a key
 * repeats from the range's start. See overwriteRange for the guards, the dry run and the journal.
 * @example await transformRange('fw.bin', '0x100:64', parseTransform('xor', '5a'))
 * @throws InputError for an empty range, one past the end, or one that is no whole number of units.
 */
export async function transformRange(path: string, range: RangeOption, transform: Transform, options: TransformOptions = {}): Promise<OverwriteOutcome> {
  pathArg(path);
  optionsArg(options, OVERWRITE_BOOLEANS);
  // The journal keeps the spec, and recovery undoes what the spec says: no spec, no transform.
  if (
    typeof transform !== 'object' ||
    transform === null ||
    typeof transform.apply !== 'function' ||
    typeof transform.spec !== 'object' ||
    transform.spec === null
  ) {
    throw new InputError(`the transform must be one made by parseTransform(), not ${describeValue(transform)}`);
  }
  const parsed = requiredRange(range);
  const resolve = (size: bigint, file: OpenFile): { offset: bigint; length: bigint } => {
    const r = destination(file, parsed, size, 'transform', options);
    if (r.length % BigInt(transform.unit) !== 0n) {
      throw new InputError(
        `the range ${parsed.text} is ${bytes(r.length)}, not a whole number of ${transform.unit}-byte units (${transform.text}): ${r.length % BigInt(transform.unit)} left over`,
      );
    }
    return r;
  };
  // Without a guard, a dry run or a hash: pread, transform, pwrite, a journal that rolls forward
  // (src/edit/transform-run.ts). Otherwise the survey of overwrite.ts.
  if (rollsForward(transform, options)) return transformInPlace(path, transform, resolve, options);
  return overwriteRange(
    path,
    transform.text,
    (file, size) => {
      const r = resolve(size, file);
      return {
        ...r,
        producer: {
          produce(phase, current, out) {
            // Buffer#copy (a memmove): Uint8Array#set from a mapped view is several times slower.
            asBuffer(current).copy(out);
            transform.apply(out, phase);
          },
        },
      };
    },
    options,
  );
}

/** A range an operation cannot do without (undefined is not the whole file here). */
function requiredRange(range: RangeOption): Range {
  const r = rangeOption(range);
  if (r === undefined) throw new InputError('a range is required: a string such as "0x100:16" or { offset, length } / { offset, end }');
  return r;
}
