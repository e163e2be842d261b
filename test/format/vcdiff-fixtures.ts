// Source/target pairs for the VCDIFF tests, each with the ops of the edit that made it (so that the
// encoder can be tested without a matcher), and the xdelta3 runs they are compared with.
import { spawnSync } from 'node:child_process';
import type { DeltaOp } from '../../src/format/delta/model.js';
import { randomBytes, xorshift32 } from '../helpers/peers.js';

export const HAVE_XDELTA3 = !spawnSync('xdelta3', ['-V'], { stdio: 'ignore' }).error;

const WORDS = 'the of and to in is was for on that with as by at from this be are or an it which not have has were but all can'.split(' ');

/** Text-like bytes (words and numbers), compressible as delta data sections are. */
export function text(n: number, seed: number): Buffer {
  const next = xorshift32(seed);
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const r = next();
    const w = r % 7 === 0 ? String(r % 100_000) : WORDS[r % WORDS.length]!;
    parts.push(w);
    len += w.length + 1;
  }
  return Buffer.from(parts.join(seed % 2 === 0 ? ' ' : '\n')).subarray(0, n);
}

/** One edit: at source offset `at`, drop `del` bytes and put `ins` in their place. */
export interface Edit {
  readonly at: number;
  readonly del: number;
  readonly ins: Uint8Array;
}

export interface Pair {
  readonly name: string;
  readonly source: Buffer;
  readonly target: Buffer;
  /** The ops that make `target` from `source` (source copies of what is kept, data for what is new). */
  readonly ops: DeltaOp[];
}

/** The target and ops of `edits` (in increasing `at`, not overlapping) applied to `source`. */
export function edited(name: string, source: Buffer, edits: readonly Edit[]): Pair {
  const parts: Uint8Array[] = [];
  const ops: DeltaOp[] = [];
  let s = 0;
  let t = 0n;
  const keep = (to: number) => {
    if (to > s) {
      parts.push(source.subarray(s, to));
      ops.push({ kind: 'source', at: t, length: BigInt(to - s), from: BigInt(s) });
      t += BigInt(to - s);
    }
  };
  for (const e of edits) {
    keep(e.at);
    if (e.ins.length > 0) {
      parts.push(e.ins);
      ops.push({ kind: 'data', at: t, bytes: e.ins });
      t += BigInt(e.ins.length);
    }
    s = e.at + e.del;
  }
  keep(source.length);
  return { name, source, target: Buffer.concat(parts), ops };
}

/** The pairs: changed bytes, insertions, deletions, a shift at the start, a repeated pattern, an empty target, new text, new random bytes. */
export function pairs(): Pair[] {
  const src = text(80_000, 1);
  const next = xorshift32(7);
  const changes: Edit[] = [];
  for (let at = 500; at < src.length - 16; at += 900 + (next() % 600)) changes.push({ at, del: 4, ins: randomBytes(1 + (next() % 8), at) });
  // A repeated pattern: fills (RUN) and a copy of the target's own last 8 bytes, over and over.
  const pattern = Buffer.alloc(60_000);
  const repeatOps: DeltaOp[] = [{ kind: 'source', at: 0n, length: 1000n, from: 0n }];
  for (let i = 0; i < pattern.length; i += 1000) {
    const value = i % 3000 === 0 ? 0 : 0x41 + ((i / 1000) % 26);
    pattern.fill(value, i, i + 1000);
    repeatOps.push({ kind: 'fill', at: BigInt(1000 + i), length: 1000n, value });
  }
  const tail = Buffer.from('abcdefgh'.repeat(2000));
  repeatOps.push({ kind: 'data', at: 61_000n, bytes: tail.subarray(0, 8) });
  repeatOps.push({ kind: 'target', at: 61_008n, length: BigInt(tail.length - 8), from: 61_000n });
  const repeat: Pair = { name: 'repeat', source: src.subarray(0, 30_000), target: Buffer.concat([src.subarray(0, 1000), pattern, tail]), ops: repeatOps };
  return [
    edited('changed', src, changes),
    edited('insert', src, [
      { at: 100, del: 0, ins: text(3000, 11) },
      { at: 50_000, del: 0, ins: text(15_000, 12) },
      { at: 79_000, del: 0, ins: Buffer.from('tail') },
    ]),
    edited('delete', src, [
      { at: 0, del: 700, ins: new Uint8Array(0) },
      { at: 40_000, del: 15_000, ins: new Uint8Array(0) },
      { at: 70_000, del: 5000, ins: new Uint8Array(0) },
    ]),
    edited('shift', src, [{ at: 0, del: 0, ins: text(123, 5) }]),
    repeat,
    edited('empty', src.subarray(0, 5000), [{ at: 0, del: 5000, ins: new Uint8Array(0) }]),
    edited('new text', text(20_000, 3), [{ at: 10_000, del: 5000, ins: text(40_000, 4) }]),
    // Incompressible new bytes: lzma stores them as uncompressed LZMA2 chunks.
    edited('random', src, [{ at: 30_000, del: 0, ins: randomBytes(20_000, 99) }]),
  ];
}
