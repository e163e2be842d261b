import { describe, expect, it } from 'vitest';
import { memoizedOps } from '../../src/format/delta/memo.js';
import type { DeltaCheck, DeltaOp } from '../../src/format/delta/model.js';

/** A decoder that hands out views of one reused buffer, as the bsdiff decoder does, and counts its walks. */
function decoder(chunks: number, size: number) {
  const state = { walks: 0 };
  const scratch = new Uint8Array(size);
  const decode = function* (): Generator<DeltaOp | DeltaCheck> {
    state.walks++;
    for (let i = 0; i < chunks; i++) {
      scratch.fill(i + 1);
      yield { kind: 'data', at: BigInt(i * size), bytes: scratch };
      yield { kind: 'source', at: BigInt(i * size + size), length: 0n, from: 0n };
    }
  };
  return { state, decode };
}

/** Each op as text, taken as it is yielded (a view of a reused buffer changes after). */
function summary(ops: Iterable<DeltaOp | DeltaCheck>): string[] {
  const out: string[] = [];
  for (const x of ops)
    out.push('bytes' in x ? `${x.kind}@${x.at}:${[...new Set(x.bytes)].join(',')}` : `${'kind' in x ? x.kind : 'check'}@${'at' in x ? x.at : ''}`);
  return out;
}

describe('memoizedOps', () => {
  it('decodes once: later walks replay the first complete one, with the bytes it had then', () => {
    const { state, decode } = decoder(3, 4);
    const ops = memoizedOps(decode, 1 << 20);
    const first = summary(ops());
    expect(first).toEqual(['data@0:1', 'source@4', 'data@4:2', 'source@8', 'data@8:3', 'source@12']);
    expect(summary(ops())).toEqual(first);
    expect(summary(ops())).toEqual(first);
    expect(state.walks).toBe(1);
  });

  it('keeps nothing from a walk that stops early or carries more than the limit', () => {
    const early = decoder(3, 4);
    const ops = memoizedOps(early.decode, 1 << 20);
    for (const x of ops()) if (x) break;
    expect(summary(ops())).toHaveLength(6);
    expect(early.state.walks).toBe(2);
    expect(summary(ops())).toHaveLength(6);
    expect(early.state.walks).toBe(2);

    const big = decoder(3, 4);
    const capped = memoizedOps(big.decode, 8);
    expect(summary(capped())).toEqual(summary(capped()));
    expect(big.state.walks).toBe(2);
  });

  it('a walk that fails keeps nothing and the next one decodes again', () => {
    let walks = 0;
    const ops = memoizedOps(function* () {
      walks++;
      yield { kind: 'data', at: 0n, bytes: new Uint8Array([1]) } as DeltaOp;
      throw new Error('corrupt');
    }, 1 << 20);
    expect(() => [...ops()]).toThrow('corrupt');
    expect(() => [...ops()]).toThrow('corrupt');
    expect(walks).toBe(2);
  });
});
