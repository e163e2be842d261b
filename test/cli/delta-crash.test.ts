// A short crash run of in-place delta application (the long one is `node bench/delta-crash.mjs
// 200`): a delta that shifts the whole file, applied through the built library, SIGKILLed at
// random instants; after `mmapx recover` the file is the original or the target, every time.
import { describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { deltaCrashRun } from '../helpers/delta-crash.mjs';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();

describe('crash safety of a delta applied in place', () => {
  it.each([[-4096, 3]])(
    'killed applications recover to the original or the target (size change %i, %i trials)',
    async (grow, trials) => {
      requireBuild();
      const r = await deltaCrashRun({ trials, size: 2 << 20, seed: 5 + grow, grow, dir });
      expect(r.failures, JSON.stringify(r.failures)).toEqual([]);
      expect(r.original + r.patched).toBe(trials);
    },
    60_000,
  );
});
