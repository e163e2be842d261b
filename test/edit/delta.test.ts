// The in-place delta applier (src/edit/delta.ts) as a library user calls it, on hand-made deltas
// (test/helpers/delta.ts): every op kind, backward and forward copies, overlapping target copies,
// a shift of the whole file, grow and shrink, checks verified before and after writing, "already
// applied", wrong sources (exit 3, the file byte-identical), --out, the journal and recover.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyDelta, type DeltaOutcome } from '../../src/edit/delta.js';
import { journalPath } from '../../src/edit/journal.js';
import { applyDeltaInMemory } from '../../src/format/delta/index.js';
import { deltaOf, prng, randomBytes, randomOps, withCrcs, withWindows } from '../helpers/delta.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-delta-');
let n = 0;
function file(bytes: Uint8Array): string {
  const p = join(dir, `d${n++}.bin`);
  writeFileSync(p, bytes);
  return p;
}
const same = (p: string, want: Uint8Array) => expect(Buffer.compare(readFileSync(p), Buffer.from(want))).toBe(0);

describe('applyDelta in place', () => {
  it('random deltas of every op kind give what the in-memory reference gives, in small chunks, with and without the cache', async () => {
    const rand = prng(7);
    for (let t = 0; t < 60; t++) {
      const sourceSize = 1 + Math.floor(rand() * 6000);
      const targetSize = 1 + Math.floor(rand() * 6000);
      const source = randomBytes(sourceSize, rand);
      const ops = randomOps(sourceSize, targetSize, rand);
      const kind = t % 3;
      const made = kind === 0 ? withCrcs(ops, source) : kind === 1 ? withWindows(ops, source, 1024) : undefined;
      const delta = made?.delta ?? deltaOf(ops, { targetSize: BigInt(targetSize), sourceSize: BigInt(sourceSize) });
      const target = made?.target ?? applyDeltaInMemory(source, delta);
      const p = file(source);
      const r = await applyDelta(p, delta, { chunk: 64 + (t % 5) * 37, recent: t % 2 === 0 ? 0 : 512 });
      same(p, target);
      expect(existsSync(journalPath(p))).toBe(false);
      expect(r.sizeAfter).toBe(BigInt(target.length));
      if (made) expect((await applyDelta(p, delta)).status).toBe('already');
    }
  });
});
