/**
 * The reference semantics of a {@link Delta}: applied to a source held in memory, into a new
 * target. Small inputs only (tests, `--info` checks of tiny files); the file applier is
 * src/edit/delta.ts, which must produce the same bytes in place.
 */

import { bytesArg, deltaArg } from '../args.js';
import { InputError } from '../../errors.js';
import type { Delta, DeltaCheck, DeltaOp } from './model.js';

function isCheck(x: DeltaOp | DeltaCheck): x is DeltaCheck {
  return 'algorithm' in x;
}

/** The bytes an op leaves at `[at, at + length)` of the target (source, and target so far). */
function opLength(op: DeltaOp): bigint {
  return op.kind === 'data' || op.kind === 'add' || op.kind === 'xor' ? BigInt(op.bytes.length) : op.length;
}

/**
 * Applies `delta` to `source` and returns the target. Window checks are not verified here (the
 * caller compares whole results); ops out of order or overlapping are an error.
 * @throws {InputError} for ops that go backwards, overlap, or copy target bytes not yet made.
 */
export function applyDeltaInMemory(source: Uint8Array, delta: Delta): Uint8Array {
  bytesArg(source, 'the source');
  delta = deltaArg(delta);
  const ops: DeltaOp[] = [];
  let end = 0n;
  for (const x of delta.ops()) {
    if (isCheck(x)) continue;
    if (x.at < end) throw new InputError(`delta op at ${x.at} goes back before ${end}`);
    ops.push(x);
    end = x.at + opLength(x);
  }
  const size = delta.targetSize ?? (end > BigInt(source.length) ? end : BigInt(source.length));
  if (end > size) throw new InputError(`delta ops end at ${end}, past the target size ${size}`);
  const target = new Uint8Array(Number(size));
  target.set(source.subarray(0, Math.min(source.length, target.length)));
  const src = (i: number): number => (i < source.length ? source[i]! : 0);
  for (const op of ops) {
    const at = Number(op.at);
    switch (op.kind) {
      case 'source':
        for (let i = 0; i < Number(op.length); i++) target[at + i] = src(Number(op.from) + i);
        break;
      case 'target': {
        if (op.from >= op.at) throw new InputError(`delta target copy at ${op.at} reads ahead from ${op.from}`);
        for (let i = 0; i < Number(op.length); i++) target[at + i] = target[Number(op.from) + i]!;
        break;
      }
      case 'data':
        target.set(op.bytes, at);
        break;
      case 'fill':
        target.fill(op.value, at, at + Number(op.length));
        break;
      case 'add':
        for (let i = 0; i < op.bytes.length; i++) target[at + i] = (src(Number(op.from) + i) + op.bytes[i]!) & 0xff;
        break;
      case 'xor':
        for (let i = 0; i < op.bytes.length; i++) target[at + i] = src(Number(op.from) + i) ^ op.bytes[i]!;
        break;
    }
  }
  return target;
}
