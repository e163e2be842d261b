// Checks of what a library caller passes to the pure readers and writers exported by mmapx/edit
// (patch texts, hex records, transforms, streams to hash or dump): a value of the wrong kind is an
// InputError naming it, not a TypeError from inside ("text.replace is not a function").
import { InputError } from '../errors.js';
import type { Delta, DeltaCheck, DeltaFormat, DeltaOp } from './delta/model.js';
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

const DELTA_FORMATS: readonly DeltaFormat[] = ['ips32', 'ups', 'bps', 'vcdiff', 'bsdiff'];
const OP_KINDS = ['source', 'target', 'data', 'fill', 'add', 'xor'];

function offsetField(value: unknown, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > 2n ** 63n - 1n) {
    throw new InputError(`${what} must be a bigint from 0 to 2^63-1, not ${describeValue(value)}`);
  }
}

/** One item a Delta's ops() yields: a DeltaOp or a DeltaCheck of the right shape. */
function deltaItem(x: unknown, n: number): DeltaOp | DeltaCheck {
  const where = `delta op ${n}`;
  if (typeof x !== 'object' || x === null) throw new InputError(`${where} must be an op or a check object, not ${describeValue(x)}`);
  const item = x as Record<string, unknown>;
  if ('algorithm' in item) {
    if (item.algorithm !== 'crc32' && item.algorithm !== 'adler32')
      throw new InputError(`${where}: algorithm must be 'crc32' or 'adler32', not ${describeValue(item.algorithm)}`);
    if (!['source', 'target', 'patch', 'window'].includes(item.of as string))
      throw new InputError(`${where}: of must be source, target, patch or window, not ${describeValue(item.of)}`);
    if (!Number.isSafeInteger(item.value)) throw new InputError(`${where}: value must be a whole number, not ${describeValue(item.value)}`);
    if (item.at !== undefined) offsetField(item.at, `${where}: at`);
    if (item.length !== undefined) offsetField(item.length, `${where}: length`);
    return x as DeltaCheck;
  }
  if (!OP_KINDS.includes(item.kind as string)) throw new InputError(`${where}: kind must be one of ${OP_KINDS.join(', ')}, not ${describeValue(item.kind)}`);
  offsetField(item.at, `${where}: at`);
  if (item.kind === 'source' || item.kind === 'target' || item.kind === 'fill') offsetField(item.length, `${where}: length`);
  if (item.kind === 'source' || item.kind === 'target' || item.kind === 'add' || item.kind === 'xor') offsetField(item.from, `${where}: from`);
  if (item.kind === 'data' || item.kind === 'add' || item.kind === 'xor') bytesArg(item.bytes, `${where}: bytes`);
  if (item.kind === 'fill' && !(Number.isInteger(item.value) && (item.value as number) >= 0 && (item.value as number) <= 255)) {
    throw new InputError(`${where}: value must be a byte (0..255), not ${describeValue(item.value)}`);
  }
  return x as DeltaOp;
}

/**
 * A Delta given by a library caller (parseDelta's, or one built by hand), checked: its fields, and
 * each item its ops() yields as the applier takes it. @throws InputError naming what is wrong.
 */
export function deltaArg(delta: unknown): Delta {
  if (typeof delta !== 'object' || delta === null || typeof (delta as Delta).ops !== 'function') {
    throw new InputError(`the delta must be a parsed Delta (from parseDelta), not ${describeValue(delta)}`);
  }
  const d = delta as Delta;
  if (!DELTA_FORMATS.includes(d.format)) throw new InputError(`the delta's format must be one of ${DELTA_FORMATS.join(', ')}, not ${describeValue(d.format)}`);
  if (!Array.isArray(d.checks)) throw new InputError(`the delta's checks must be an array, not ${describeValue(d.checks)}`);
  d.checks.forEach((c, i) => {
    if (!('algorithm' in (typeof c === 'object' && c !== null ? c : {})))
      throw new InputError(`the delta's check ${i} must be a check object, not ${describeValue(c)}`);
    deltaItem(c, i);
  });
  if (d.sourceSize !== undefined) offsetField(d.sourceSize, "the delta's sourceSize");
  if (d.targetSize !== undefined) offsetField(d.targetSize, "the delta's targetSize");
  return {
    ...d,
    ops: function* () {
      const items = d.ops();
      if (typeof items !== 'object' || items === null || typeof (items as Iterable<unknown>)[Symbol.iterator] !== 'function') {
        throw new InputError(`the delta's ops() must return an iterable, not ${describeValue(items)}`);
      }
      let n = 0;
      for (const x of items) yield deltaItem(x, n++);
    },
  };
}
