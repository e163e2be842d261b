// Argument checks at the public boundary of the engine (`mmapx/edit`), as src/mmap/args.ts does for
// the core: a path that is no file name, options that are no object, or an option every operation
// takes (the EditContext) of the wrong kind is an InputError naming it, before anything is opened,
// not a TypeError from deep inside (`Cannot read properties of null`, `options.timer?.lap is not a
// function`) nor Node's own `ERR_INVALID_ARG_TYPE ... Received ...` wrapped as a failed operation.
import { InputError } from '../errors.js';
import { describeValue } from '../format/quote.js';

/** A file name: a non-empty string without NUL characters. */
export function pathArg(value: unknown, what = 'path'): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw new InputError(`${what} must be a file name (a non-empty string without NUL characters), not ${describeValue(value)}`);
  }
  return value;
}

/** `value[key]`, or an InputError when reading it throws (a getter, a Proxy). */
function read(value: object, key: string, what: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch (err) {
    throw new InputError(`${what}.${key} could not be read: ${err instanceof Error ? err.message : describeValue(err)}`);
  }
}

function hasMethods(value: unknown, names: readonly string[]): boolean {
  return typeof value === 'object' && value !== null && names.every((n) => typeof (value as Record<string, unknown>)[n] === 'function');
}

/**
 * The options object of a public call (undefined: none), with the options of {@link EditContext}
 * and `highWaterMark` checked when given. `booleans` names the call's own on/off options.
 * @throws InputError naming the option and what it got.
 */
export function optionsArg<T extends object>(value: T | undefined, booleans: readonly string[] = [], what = 'options'): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(`${what} must be an object, not ${describeValue(value)}`);
  }
  const bad = (key: string, expected: string, got: unknown): InputError => new InputError(`${what}.${key} must be ${expected}, not ${describeValue(got)}`);
  for (const key of ['force', 'blocking', ...booleans]) {
    const v = read(value, key, what);
    if (v !== undefined && typeof v !== 'boolean') throw bad(key, 'true or false', v);
  }
  const lockWait = read(value, 'lockWait', what);
  if (lockWait !== undefined && (typeof lockWait !== 'number' || !(lockWait >= 0) || lockWait === Number.POSITIVE_INFINITY)) {
    throw bad('lockWait', 'a number of seconds, 0 or more', lockWait);
  }
  const progress = read(value, 'progress', what);
  if (progress !== undefined && !hasMethods(progress, ['phase', 'update'])) throw bad('progress', 'an object with phase() and update()', progress);
  const clock = read(value, 'clock', what);
  if (clock !== undefined && !hasMethods(clock, ['lap'])) throw bad('clock', 'an object with lap()', clock);
  const signal = read(value, 'signal', what);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw bad('signal', 'an AbortSignal', signal);
  const hook = read(value, 'onPendingJournal', what);
  if (hook !== undefined && typeof hook !== 'function') throw bad('onPendingJournal', 'a function', hook);
  const arch = read(value, 'arch', what);
  if (arch !== undefined && typeof arch !== 'string') throw bad('arch', 'a string', arch);
  for (const key of ['expectSha256', 'expectResultSha256', 'name']) {
    const v = read(value, key, what);
    if (v !== undefined && typeof v !== 'string') throw bad(key, 'a string', v);
  }
  const expect = read(value, 'expect', what);
  if (expect !== undefined && !(expect instanceof Uint8Array)) throw bad('expect', 'bytes (a Uint8Array or Buffer)', expect);
  const hwm = read(value, 'highWaterMark', what);
  if (hwm !== undefined && !usableHighWaterMark(hwm)) throw bad('highWaterMark', 'a whole number of bytes, at least 1', hwm);
  return value;
}

/**
 * Whether a stream may be made with this `highWaterMark`. 0 is valid for Node's Readable, but a
 * stream read with `for await` then never asks for data (it hangs); other values Node refuses with
 * a TypeError of its own. A stream made without a bad one reports it as its error (optionsArg).
 */
export function usableHighWaterMark(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

/** The on/off options of the patch family (patchFile, patchFiles). */
export const PATCH_BOOLEANS = ['dryRun', 'journal', 'hash', 'grow', 'truncate', 'throwOnFailure', 'allowEmpty'] as const;
/** Of the range overwrites (fill, copy, move, transform). */
export const OVERWRITE_BOOLEANS = ['dryRun', 'journal', 'sync', 'hash', 'throwOnFailure'] as const;
/** Of insertBytes and deleteRange. */
export const SHIFT_BOOLEANS = ['dryRun', 'hash', 'journal', 'sync'] as const;
/** Of dump and dumpReadable. */
export const DUMP_BOOLEANS = ['upper', 'squeeze', 'autoskip', 'bits', 'littleEndian', 'decimal', 'ebcdic', 'capitalize', 'annotate'] as const;
