/**
 * Ops decoded once, replayed after: the applier walks a delta's ops twice (a plan that checks and
 * finds what differs, then the writes), and a bsdiff's ops come out of a bzip2 decoder that runs
 * at tens of MB/s in JavaScript over a diff block as long as the whole target. The first complete
 * walk keeps what it yields, its bytes copied (decoders hand out views of reused buffers), as long
 * as they add up to at most `maxBytes`; later walks replay it. A walk that stops early, fails, or
 * yields more than that keeps nothing, and the next one decodes again.
 */

import type { DeltaCheck, DeltaOp } from './model.js';

/** Bytes an op carries (the rest of an op is a few numbers). */
function carried(x: DeltaOp | DeltaCheck): number {
  return 'bytes' in x ? x.bytes.length : 0;
}

function copied(x: DeltaOp | DeltaCheck): DeltaOp | DeltaCheck {
  return 'bytes' in x ? { ...x, bytes: x.bytes.slice() } : x;
}

/** `decode` (a fresh walk of the ops each call), with the first complete walk kept for later calls. */
export function memoizedOps(decode: () => Iterable<DeltaOp | DeltaCheck>, maxBytes: number): () => Iterable<DeltaOp | DeltaCheck> {
  let kept: (DeltaOp | DeltaCheck)[] | undefined;
  return function* ops() {
    if (kept !== undefined) {
      yield* kept;
      return;
    }
    let record: (DeltaOp | DeltaCheck)[] | undefined = [];
    let bytes = 0;
    for (const x of decode()) {
      if (record !== undefined) {
        bytes += carried(x);
        if (bytes > maxBytes) record = undefined;
        else record.push(copied(x));
      }
      yield x;
    }
    if (record !== undefined) kept = record;
  };
}
