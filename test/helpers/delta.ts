// Hand-made deltas for the applier's tests (src/edit/delta.ts): a Delta from a list of ops, and
// random deltas of every op kind (backward and forward source copies, overlapping target copies,
// literals, fills, add and xor, gaps of identity) over a random source.
import { crc32 } from 'node:zlib';
import { adler32 } from '../../src/format/delta/adler32.js';
import { xorshift32 } from './peers.js';
import { type Delta, type DeltaCheck, type DeltaFormat, type DeltaOp, applyDeltaInMemory } from '../../src/format/delta/index.js';

export interface DeltaSpec {
  format?: DeltaFormat;
  sourceSize?: bigint;
  targetSize?: bigint;
  checks?: DeltaCheck[];
  /** Window checks, yielded before the first op at or after their `at`. */
  windows?: DeltaCheck[];
  metadata?: string;
  info?: [string, string][];
}

/** A Delta over fixed ops. */
export function deltaOf(ops: readonly DeltaOp[], spec: DeltaSpec = {}): Delta {
  return {
    format: spec.format ?? 'bps',
    ...(spec.sourceSize !== undefined && { sourceSize: spec.sourceSize }),
    ...(spec.targetSize !== undefined && { targetSize: spec.targetSize }),
    checks: spec.checks ?? [],
    ...(spec.metadata !== undefined && { metadata: spec.metadata }),
    ...(spec.info !== undefined && { info: spec.info }),
    *ops() {
      const windows = [...(spec.windows ?? [])];
      for (const op of ops) {
        while (windows.length > 0 && windows[0]!.at! <= op.at) yield windows.shift()!;
        yield op;
      }
      yield* windows;
    },
  };
}

/** The same delta with whole-file crc32 checks of `source` and of its target (BPS/UPS style). */
export function withCrcs(ops: readonly DeltaOp[], source: Uint8Array, spec: DeltaSpec = {}): { delta: Delta; target: Uint8Array } {
  const plain = deltaOf(ops, spec);
  const target = applyDeltaInMemory(source, plain);
  const delta = deltaOf(ops, {
    ...spec,
    sourceSize: BigInt(source.length),
    targetSize: BigInt(target.length),
    checks: [
      { algorithm: 'crc32', of: 'source', value: crc32(source) },
      { algorithm: 'crc32', of: 'target', value: crc32(target) },
    ],
  });
  return { delta, target };
}

/** VCDIFF style: adler32 window checks every `window` bytes of the target, and both sizes. */
export function withWindows(ops: readonly DeltaOp[], source: Uint8Array, window: number, spec: DeltaSpec = {}): { delta: Delta; target: Uint8Array } {
  const target = applyDeltaInMemory(source, deltaOf(ops, spec));
  const windows: DeltaCheck[] = [];
  for (let at = 0; at < target.length; at += window) {
    const len = Math.min(window, target.length - at);
    windows.push({ algorithm: 'adler32', of: 'window', at: BigInt(at), length: BigInt(len), value: adler32(target.subarray(at, at + len)) });
  }
  const delta = deltaOf(splitAt(ops, window), {
    format: 'vcdiff',
    ...spec,
    sourceSize: BigInt(source.length),
    targetSize: BigInt(target.length),
    windows,
  });
  return { delta, target };
}

/** Ops cut at multiples of `window` (VCDIFF's ops never cross a window); a target copy reaching before its window stays whole. */
function splitAt(ops: readonly DeltaOp[], window: number): DeltaOp[] {
  const out: DeltaOp[] = [];
  const w = BigInt(window);
  for (const op of ops) {
    const len = op.kind === 'data' || op.kind === 'add' || op.kind === 'xor' ? BigInt(op.bytes.length) : op.length;
    let at = op.at;
    const end = op.at + len;
    while (at < end) {
      const cut = (at / w + 1n) * w;
      const e = cut < end ? cut : end;
      const k = at - op.at;
      const n = e - at;
      switch (op.kind) {
        case 'data':
          out.push({ kind: 'data', at, bytes: op.bytes.subarray(Number(k), Number(k + n)) });
          break;
        case 'add':
        case 'xor':
          out.push({ kind: op.kind, at, from: op.from + k, bytes: op.bytes.subarray(Number(k), Number(k + n)) });
          break;
        case 'fill':
          out.push({ kind: 'fill', at, length: n, value: op.value });
          break;
        case 'source':
          out.push({ kind: 'source', at, length: n, from: op.from + k });
          break;
        case 'target':
          out.push({ kind: 'target', at, length: n, from: op.from + k });
          break;
      }
      at = e;
    }
  }
  return out;
}

/** Deterministic numbers in [0, 1) (peers.ts's xorshift32): a failure names the seed that reproduces it. */
export function prng(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 4294967296;
}

export function randomBytes(n: number, rand: () => number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

/**
 * Random ops over a source of `sourceSize` bytes making a target of `targetSize`: every kind,
 * source copies backward and forward (and past the source's end), target copies that overlap
 * themselves, add/xor at their own offset with mostly zero bytes (bsdiff's shape), and gaps.
 */
export function randomOps(sourceSize: number, targetSize: number, rand: () => number): DeltaOp[] {
  const ops: DeltaOp[] = [];
  const int = (n: number) => Math.floor(rand() * n);
  let at = 0;
  while (at < targetSize) {
    if (rand() < 0.15) {
      at += int(64); // a gap: identity
      continue;
    }
    const len = Math.min(targetSize - at, 1 + int(rand() < 0.2 ? 2048 : 64));
    const a = BigInt(at);
    const k = int(7);
    if (k === 0) ops.push({ kind: 'data', at: a, bytes: randomBytes(len, rand) });
    else if (k === 1) ops.push({ kind: 'fill', at: a, length: BigInt(len), value: int(256) });
    else if (k === 2) ops.push({ kind: 'source', at: a, length: BigInt(len), from: BigInt(int(sourceSize + 16)) });
    else if (k === 3 && at > 0) {
      const from = rand() < 0.5 ? Math.max(0, at - 1 - int(8)) : int(at);
      ops.push({ kind: 'target', at: a, length: BigInt(len), from: BigInt(from) });
    } else {
      const bytes = new Uint8Array(len);
      for (let i = 0; i < len; i++) if (rand() < 0.2) bytes[i] = int(256);
      const from = rand() < 0.5 ? a : BigInt(int(sourceSize + 16));
      ops.push({ kind: k === 4 ? 'xor' : 'add', at: a, from, bytes });
    }
    at += len;
  }
  return ops;
}
