/**
 * Symbolic addresses (`sym:main+4`, `sec:.text`, `seg:2`, `va:0x401000`, `rva:0x1000`) in the
 * offsets and ranges of the engine, resolved against the executable image of the open file they
 * apply to: every command and library call that takes an OFFSET or a RANGE binds it here, where
 * the file is open, and then resolves the plain offsets as before. Several files each resolve
 * their own symbols. The image is parsed only when a token is an address (see {@link imageOf}).
 */

import { InputError } from '../errors.js';
import type { AddressRef } from '../format/exe/address.js';
import { formatOffset, type Offset } from '../format/number.js';
import { describeSource, firstAddress, type Hunk, type Patch, type RangeOp, type ShiftStatement, type Source } from '../format/patch/model.js';
import { shown } from '../format/quote.js';
import { hasAddress, type Range } from '../format/range.js';
import type { OpenFile } from './files.js';
import { resolveFileAddress } from './image.js';

/** What the resolution of addresses takes besides the file. */
export interface AddressOptions {
  /** The slice of a fat/universal Mach-O (`arm64`, `x86_64`, ...), required when it has several. */
  arch?: string | undefined;
}

/** An offset resolved in `file`, and the size of what it names when it names a whole thing (`sym:NAME`, `sec:NAME`, `seg:N`). */
export interface BoundOffset {
  /** A plain offset (no address): the same object when `offset` was one. */
  readonly offset: Offset;
  /** The symbol's, section's or segment's size for an address without `+OFF`; null otherwise. */
  readonly size: bigint | null;
}

/**
 * `offset` with its symbolic address (if any) resolved in `file`'s executable image.
 *
 * @throws {InputError} (an `ExeFormatError` for the image): not an executable, a missing or
 *   ambiguous name (with candidates), an address without bytes in the file, a file that is no
 *   regular file (standard input, a device).
 */
export function bindOffset(file: OpenFile, offset: Offset, options: AddressOptions = {}): BoundOffset {
  const ref = offset.address;
  if (ref === undefined) return { offset, size: null };
  const r = resolveFileAddress(file, ref, options.arch === undefined ? {} : { arch: options.arch });
  return { offset: { value: r.offset, fromEnd: false, text: offset.text }, size: r.length };
}

/** The length of `range`, which names all of a thing (`sym:NAME`), once its start is resolved. */
function wholeLength(range: Range, size: bigint | null): bigint {
  if (size === null || (size === 0n && range.start.address?.kind === 'sym')) {
    throw new InputError(`range ${range.text}: it has no size (0 bytes up to the next symbol); write ${range.text}:LENGTH or ${range.text}..END`, {
      token: range.text,
    });
  }
  return size;
}

/**
 * `range` with its symbolic addresses (if any) resolved in `file`: a plain range for
 * `resolveRange` (the same object when it had none, and then nothing is parsed).
 *
 * @throws {InputError} as {@link bindOffset}; a whole-symbol range (`sym:NAME`) of a symbol whose
 *   size the file does not record (PE, Mach-O, assembler labels).
 */
export function bindRange(file: OpenFile, range: Range, options: AddressOptions = {}): Range {
  if (!hasAddress(range)) return range;
  const start = bindOffset(file, range.start, options);
  if (range.kind === 'length') {
    const length = range.whole ? wholeLength(range, start.size) : range.length;
    return { kind: 'length', text: range.text, start: start.offset, length };
  }
  const end = range.end === null ? null : bindOffset(file, range.end, options).offset;
  return { kind: 'span', text: range.text, start: start.offset, end };
}

/** {@link bindRange} for an optional range. */
export function bindOptionalRange(file: OpenFile, range: Range | undefined, options: AddressOptions = {}): Range | undefined {
  return range === undefined ? undefined : bindRange(file, range, options);
}

/** Runs `resolve`, naming `source` (`fix.patch line 3`, `--edit #1`) in its InputError. */
function from<T>(source: Source, resolve: () => T): T {
  try {
    return resolve();
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${describeSource(source)}: ${err.message}`, { ...err.location, line: source.line });
    throw err;
  }
}

/** The file offset of `ref` for a hunk or an insert: never before the start of the file. */
function placeOf(file: OpenFile, ref: AddressRef, source: Source, options: AddressOptions): bigint {
  return from(source, () => {
    const at = resolveFileAddress(file, ref, options.arch === undefined ? {} : { arch: options.arch });
    if (at.offset < 0n) throw new InputError(`${shown(ref.text)} is ${formatOffset(-at.offset)} bytes before the start of the file`, { token: ref.text });
    return at.offset;
  });
}

/**
 * `patch` with the symbolic addresses of its hunks (`at sym:check+0x12: ...`, `--edit
 * sym:f=...`), range statements (`fill sec:.data 00`, `copy ... to sym:g`) and shifts
 * (`insert sym:f: ...`, `delete sym:f`) resolved in `file`'s executable image: a plain patch for
 * the plan. The same object when it has none (nothing is parsed then).
 *
 * @throws {InputError} naming the patch line: an address that does not resolve (see {@link bindOffset}).
 */
export function bindPatch(file: OpenFile, patch: Patch, options: AddressOptions = {}): Patch {
  if (firstAddress(patch) === undefined) return patch;
  const hunks = patch.hunks.map((h): Hunk => {
    if (h.kind !== 'offset' || h.address === undefined) return h;
    const { address, ...rest } = h;
    return { ...rest, offset: placeOf(file, address, h.source, options) };
  });
  const ops = patch.ops?.map((o): RangeOp => {
    const range = from(o.source, () => bindRange(file, o.range, options));
    if (o.kind !== 'copy' || o.toAddress === undefined) return { ...o, range };
    const { toAddress, ...rest } = o;
    return { ...rest, range, to: placeOf(file, toAddress, o.source, options), toFromEnd: false };
  });
  const shifts = patch.shifts?.map((s): ShiftStatement => {
    if (s.kind === 'delete') return { ...s, range: from(s.source, () => bindRange(file, s.range, options)) };
    if (s.address === undefined) return s;
    const { address, ...rest } = s;
    return { ...rest, offset: placeOf(file, address, s.source, options), fromEnd: false };
  });
  return { ...patch, hunks, ...(ops && { ops }), ...(shifts && { shifts }) };
}
