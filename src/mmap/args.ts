// Argument checks at the library's public boundary. Everything a caller passes is checked here,
// before any system call, so that a wrong argument is one MmapError (ERR_INVALID_ARG for a wrong
// kind of value, ERR_OUT_OF_RANGE for a number out of its range) naming the argument and the path
// when one was given, and never an error of Node's own (ERR_INVALID_ARG_TYPE, a TypeError).
import { MmapError } from './errors.js';

/** Largest file offset (off_t is 64-bit signed). */
export const MAX_OFFSET = 2n ** 63n - 1n;
/** Largest descriptor the kernel hands out (an int). */
const MAX_FD = 2 ** 31 - 1;

/** A short, printable rendering of a bad value for a message: `-1`, `1.5`, `"3"`, `null`, `an object`. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'function') return 'a function';
  return Array.isArray(value) ? 'an array' : 'an object';
}

export function invalid(what: string, expected: string, value: unknown, path?: string): MmapError {
  return new MmapError('ERR_INVALID_ARG', `${what} must be ${expected} (got ${shown(value)})`, { path });
}

/** A descriptor: an integer from 0 to 2^31-1. */
export function fdArg(value: unknown, path?: string, what = 'fd'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_FD) {
    throw invalid(what, 'an open file descriptor (an integer >= 0)', value, path);
  }
  return value;
}

/** The path of a `{ fd, path }` file, as a string; undefined when absent. */
function pathArg(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString();
  if (value instanceof URL) return value.pathname;
  throw invalid('path', 'a string, Buffer or URL', value);
}

/** A file: a descriptor, or `{ fd, path? }`. */
export function fileArg(file: unknown, what = 'file'): { fd: number; path: string | undefined } {
  if (typeof file === 'number') return { fd: fdArg(file, undefined, what === 'file' ? 'fd' : what), path: undefined };
  if (typeof file !== 'object' || file === null) {
    throw invalid(what, 'a file descriptor or an object { fd, path? }', file);
  }
  const path = pathArg((file as { path?: unknown }).path);
  return { fd: fdArg((file as { fd?: unknown }).fd, path, `${what}.fd`), path };
}

/**
 * A byte count or offset: a non-negative safe integer or bigint, at most `max` (2^63-1: what a
 * file offset can be).
 */
export function sizeArg(value: unknown, what: string, path?: string, max = MAX_OFFSET): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n) throw new MmapError('ERR_OUT_OF_RANGE', `${what} must not be negative (got ${value})`, { path });
    if (value > max) throw new MmapError('ERR_OUT_OF_RANGE', `${what} ${value} is too large (at most ${max})`, { path });
    return value;
  }
  if (typeof value !== 'number') throw invalid(what, 'a number or bigint', value, path);
  if (Number.isInteger(value) && value > Number.MAX_SAFE_INTEGER) {
    throw new MmapError('ERR_OUT_OF_RANGE', `${what} ${value} is past 2^53 and not exact as a number: pass a bigint`, { path });
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new MmapError('ERR_OUT_OF_RANGE', `${what} must be a non-negative integer (got ${value})`, { path });
  }
  if (BigInt(value) > max) throw new MmapError('ERR_OUT_OF_RANGE', `${what} ${value} is too large (at most ${max})`, { path });
  return BigInt(value);
}

/**
 * A range of a file, `length` bytes at `offset` (both checked by {@link sizeArg}): its end must be a
 * file offset too, at most 2^63-1. Without this check an end past it would wrap (a device accepts
 * such offsets, and a 64-bit sum in the kernel overflows).
 */
export function endArg(offset: bigint, length: bigint, path?: string, what = 'range'): bigint {
  if (length > MAX_OFFSET - offset) {
    throw new MmapError('ERR_OUT_OF_RANGE', `${what} offset ${offset} length ${length} ends past ${MAX_OFFSET}, the largest file offset (2^63-1)`, {
      path,
      offset,
      length,
    });
  }
  return offset + length;
}

/** A byte count or offset that must also fit a JS number exactly. */
export function safeSizeArg(value: unknown, what: string, path?: string): number {
  return Number(sizeArg(value, what, path, BigInt(Number.MAX_SAFE_INTEGER)));
}

/** One of `choices`. */
export function choiceArg<T extends string>(value: unknown, what: string, choices: readonly T[], path?: string): T {
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw invalid(what, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, value, path);
}

/** A plain object of options, or undefined; with `known`, a key not among them (a typo) is refused. */
export function optionsArg(value: unknown, what = 'options', known?: readonly string[], path?: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(what, 'an object', value, path);
  if (known) {
    const unknown = Object.keys(value).find((key) => !known.includes(key));
    if (unknown !== undefined) {
      throw new MmapError('ERR_INVALID_ARG', `${what} has no option ${shown(unknown)} (known: ${known.join(', ')})`, { path });
    }
  }
  return value as Record<string, unknown>;
}
