// Checks of what a library caller passes to the pure readers and writers exported by mmapx/edit
// (patch texts, hex records, transforms, streams to hash or dump): a value of the wrong kind is an
// InputError naming it, not a TypeError from inside ("text.replace is not a function").
import { InputError } from '../errors.js';
import { describeValue } from './quote.js';

/** Text or bytes (a string, or a Uint8Array such as a Buffer). */
export function textArg(value: unknown, what: string): string | Uint8Array {
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  throw new InputError(`${what} must be a string or bytes (a Uint8Array or Buffer), not ${describeValue(value)}`);
}

/** Bytes (a Uint8Array such as a Buffer). */
export function bytesArg(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new InputError(`${what} must be bytes (a Uint8Array or Buffer), not ${describeValue(value)}`);
}

/** A string, or undefined when `optional`. */
export function stringArg(value: unknown, what: string, optional = false): string | undefined {
  if (typeof value === 'string' || (optional && value === undefined)) return value;
  throw new InputError(`${what} must be a string, not ${describeValue(value)}`);
}

/** An object (options, a sink), or undefined when `optional`. */
export function objectArg(value: unknown, what: string, optional = false): void {
  if (optional && value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`${what} must be an object, not ${describeValue(value)}`);
}

/** A source of chunks: an iterable or async iterable (an array of Buffers, a Readable, a generator, a string). */
export function sourceArg(value: unknown, what = 'the source'): void {
  if (typeof value === 'string') return;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    (typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function' ||
      typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function');
  if (!ok) throw new InputError(`${what} must be an iterable or async iterable of chunks (a Readable, an array of Buffers), not ${describeValue(value)}`);
}

/** A chunk a source gave: a string or bytes. */
export function chunkArg<T>(chunk: T, what = 'the source'): T {
  if (typeof chunk === 'string' || chunk instanceof Uint8Array) return chunk;
  throw new InputError(`${what} gave ${describeValue(chunk)}: its chunks must be strings or bytes (Uint8Array, Buffer)`);
}
