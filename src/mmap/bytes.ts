// The bytes of a read-only map. Their pages are mapped without PROT_WRITE, so a write to them is a
// protection fault (SIGSEGV) that kills the process. The type offers no way to write, the way
// memmap2's `Mmap` derefs to `&[u8]`; at run time the mutating methods throw instead of faulting.
// What neither can stop (an index write from untyped code, a cast, a new view over `buffer`) is
// listed in the README.
import { MmapError } from './errors.js';

/**
 * A `Uint8Array` that can only be read, after TypeScript's `ReadonlyArray`: no `set`, `fill`,
 * `copyWithin`, `reverse`, `sort`, no index writes, and `subarray` stays read-only. Methods that
 * make a copy (`slice`, `map`, `filter`, `toSorted`, ...) return an ordinary `Uint8Array`.
 *
 * At run time it is a real `Uint8Array` (a subclass), so Node.js APIs that only read (hashing,
 * `Buffer.compare`, `fs.writeSync`, `TextDecoder`) accept it; TypeScript asks for a cast there
 * (`bytes as Uint8Array`), and such a cast is the promise that nothing will write through it.
 */
export interface ReadonlyUint8Array extends Iterable<number> {
  readonly [index: number]: number;
  readonly length: number;
  readonly byteLength: number;
  readonly byteOffset: number;
  /** The memory itself. A new view made over it is writable in type, and a write through it faults. */
  readonly buffer: ArrayBufferLike;
  readonly BYTES_PER_ELEMENT: number;
  at(index: number): number | undefined;
  entries(): IterableIterator<[number, number]>;
  keys(): IterableIterator<number>;
  values(): IterableIterator<number>;
  [Symbol.iterator](): IterableIterator<number>;
  every(predicate: (value: number, index: number, array: ReadonlyUint8Array) => unknown, thisArg?: unknown): boolean;
  some(predicate: (value: number, index: number, array: ReadonlyUint8Array) => unknown, thisArg?: unknown): boolean;
  filter(predicate: (value: number, index: number, array: ReadonlyUint8Array) => unknown, thisArg?: unknown): Uint8Array;
  find(predicate: (value: number, index: number, obj: ReadonlyUint8Array) => boolean, thisArg?: unknown): number | undefined;
  findIndex(predicate: (value: number, index: number, obj: ReadonlyUint8Array) => boolean, thisArg?: unknown): number;
  findLast(predicate: (value: number, index: number, array: ReadonlyUint8Array) => unknown, thisArg?: unknown): number | undefined;
  findLastIndex(predicate: (value: number, index: number, array: ReadonlyUint8Array) => unknown, thisArg?: unknown): number;
  forEach(callbackfn: (value: number, index: number, array: ReadonlyUint8Array) => void, thisArg?: unknown): void;
  includes(searchElement: number, fromIndex?: number): boolean;
  indexOf(searchElement: number, fromIndex?: number): number;
  lastIndexOf(searchElement: number, fromIndex?: number): number;
  join(separator?: string): string;
  map(callbackfn: (value: number, index: number, array: ReadonlyUint8Array) => number, thisArg?: unknown): Uint8Array;
  reduce(callbackfn: (previous: number, current: number, index: number, array: ReadonlyUint8Array) => number): number;
  reduce<U>(callbackfn: (previous: U, current: number, index: number, array: ReadonlyUint8Array) => U, initialValue: U): U;
  reduceRight(callbackfn: (previous: number, current: number, index: number, array: ReadonlyUint8Array) => number): number;
  reduceRight<U>(callbackfn: (previous: U, current: number, index: number, array: ReadonlyUint8Array) => U, initialValue: U): U;
  /** A copy, in ordinary (writable) memory. */
  slice(start?: number, end?: number): Uint8Array;
  /** A read-only view of part of the same memory, no copy. */
  subarray(begin?: number, end?: number): ReadonlyUint8Array;
  toReversed(): Uint8Array;
  toSorted(compareFn?: (a: number, b: number) => number): Uint8Array;
  with(index: number, value: number): Uint8Array;
  toLocaleString(): string;
  toString(): string;
}

function refused(method: string): MmapError {
  return new MmapError(
    'ERR_READ_ONLY',
    `${method}: the bytes of a read-only map cannot be written (the pages are mapped without write permission); use mapMut() or mapCopy() for writable bytes`,
  );
}

/**
 * The run-time class of {@link ReadonlyUint8Array}: the mutating methods throw ERR_READ_ONLY before
 * they touch memory. Copies (`slice`, `map`, ...) are ordinary Uint8Arrays (the species), and
 * `subarray` stays read-only.
 */
export class ReadOnlyBytes extends Uint8Array {
  static get [Symbol.species](): Uint8ArrayConstructor {
    return Uint8Array;
  }

  override set(_array: ArrayLike<number>, _offset?: number): never {
    throw refused('set');
  }

  override fill(_value: number, _start?: number, _end?: number): never {
    throw refused('fill');
  }

  override copyWithin(_target: number, _start: number, _end?: number): never {
    throw refused('copyWithin');
  }

  override reverse(): never {
    throw refused('reverse');
  }

  override sort(_compareFn?: (a: number, b: number) => number): never {
    throw refused('sort');
  }

  override subarray(begin?: number, end?: number): ReadOnlyBytes {
    const part = Uint8Array.prototype.subarray.call(this, begin, end);
    return new ReadOnlyBytes(part.buffer as ArrayBuffer, part.byteOffset, part.length);
  }
}
