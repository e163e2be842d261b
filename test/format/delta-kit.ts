// Helpers of the delta format tests (IPS32, UPS, BPS): byte building, collecting an encoder's
// pieces, a reference varint written from the format description, and the hostile-patch battery.
import * as zlib from 'node:zlib';
import { expect } from 'vitest';
import type { Delta, DeltaCheck, DeltaOp } from '../../src/format/delta/index.js';
import { randomBytes, xorshift32 } from '../helpers/peers.js';
import { inputErrorOf } from './expect-input-error.js';

/** The bytes given as numbers, ASCII strings and arrays, one after the other. */
export function bytesOf(...parts: (number | string | Uint8Array | readonly number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (const c of p) out.push(c.charCodeAt(0));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

/** The pieces of an encoder, joined. */
export function collect(pieces: Iterable<Uint8Array>): Uint8Array {
  return Uint8Array.from(Buffer.concat([...pieces]));
}

/** The ops of a delta, its checks left out. */
export function opsOf(delta: Delta): DeltaOp[] {
  return [...delta.ops()].filter((x): x is DeltaOp => !('algorithm' in x));
}

/** zlib's CRC-32 (node:zlib, not the module under test's fallback) as 4 little-endian bytes. */
export function crcLe(bytes: Uint8Array): number[] {
  const v = zlib.crc32(bytes);
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}

/** A UPS/BPS body followed by its trailer: source CRC, target CRC, and the patch CRC of all before. */
export function seal(body: Uint8Array, source: Uint8Array, target: Uint8Array): Uint8Array {
  const withFiles = bytesOf(body, crcLe(source), crcLe(target));
  return bytesOf(withFiles, crcLe(withFiles));
}

/** `patch` with its last 4 bytes (the patch CRC) recomputed, so that checks past the CRC are reached. */
export function reseal(patch: Uint8Array): Uint8Array {
  const head = patch.subarray(0, Math.max(0, patch.length - 4));
  return bytesOf(head, crcLe(head));
}

/**
 * The UPS/BPS varint, written from the description (byuu's): 7 bits a byte, low first, the last
 * byte flagged by 0x80, one subtracted after each byte that is not the last.
 */
export function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const x = Number(v & 0x7fn);
    v >>= 7n;
    if (v === 0n) {
      out.push(0x80 | x);
      return out;
    }
    out.push(x);
    v -= 1n;
  }
}

/** Decodes and walks every op (where decoding is lazy, errors surface while walking). */
export function drain(decode: () => Delta): Delta {
  const delta = decode();
  for (const _ of delta.ops());
  return delta;
}

/** `NAME byte 0x..: ...`, one line (inputErrorOf checks the line). */
export function expectPlaced(fn: () => unknown, name: string): string {
  const e = inputErrorOf(fn);
  expect(e.message).toMatch(new RegExp(`^${name.replace('.', '\\.')} byte 0x[0-9a-f]+: `));
  return e.message;
}

/** Either a clean result or an InputError: never another exception. */
export function inputErrorOrOk(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    inputErrorOf(fn);
    return false;
  }
}

/** The checks of a delta by what they cover. */
export function checkOf(delta: Delta, of: DeltaCheck['of']): number | undefined {
  return delta.checks.find((c) => c.of === of)?.value;
}

/** Byte equality through Buffer.equals (vitest's deep equality is slow on large typed arrays). */
export function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.length);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.length);
  if (!a.equals(b)) expect(a.toString('hex'), what).toBe(b.toString('hex'));
}

/** The source's byte at `i`, zero past its end (the model's reading). */
const at = (b: Uint8Array, i: number): number => (i < b.length ? b[i]! : 0);

/** A plain differ for the tests: each run of target bytes that differ from the source as a data op. */
export function diffOps(source: Uint8Array, target: Uint8Array): DeltaOp[] {
  const ops: DeltaOp[] = [];
  let i = 0;
  while (i < target.length) {
    if (target[i] === at(source, i)) {
      i++;
      continue;
    }
    let j = i;
    while (j < target.length && target[j] !== at(source, j)) j++;
    ops.push({ kind: 'data', at: BigInt(i), bytes: target.slice(i, j) });
    i = j;
  }
  return ops;
}

/** Source XOR target over the larger of the two (zeros past each one's end), as one op per 50 bytes. */
export function xorOps(source: Uint8Array, target: Uint8Array): DeltaOp[] {
  const n = Math.max(source.length, target.length);
  const ops: DeltaOp[] = [];
  for (let s = 0; s < n; s += 50) {
    const bytes = Uint8Array.from({ length: Math.min(50, n - s) }, (_, k) => at(source, s + k) ^ at(target, s + k));
    ops.push({ kind: 'xor', at: BigInt(s), from: BigInt(s), bytes });
  }
  return ops;
}

/** A target made from `source` by a few random edits: changed runs, insertions, deletions, runs of one byte. */
export function mutate(source: Uint8Array, seed: number): Uint8Array {
  const next = xorshift32(seed);
  let t = Buffer.from(source);
  const edits = next() % 5;
  for (let e = 0; e < edits; e++) {
    const pos = t.length === 0 ? 0 : next() % t.length;
    const len = 1 + (next() % 30);
    const k = next() % 4;
    if (k === 0) t = Buffer.concat([t.subarray(0, pos), randomBytes(len, next()), t.subarray(pos)]);
    else if (k === 1) t = Buffer.concat([t.subarray(0, pos), t.subarray(pos + len)]);
    else if (k === 2) t.fill(next() & 0xff, pos, Math.min(t.length, pos + len));
    else randomBytes(len, next()).copy(t, pos);
  }
  return Uint8Array.from(t);
}
