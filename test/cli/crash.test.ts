// A short crash run in the suite (the long one is `node bench/crash.mjs 200`): SIGKILL a patch
// of thousands of hunks at random instants, recover, and require the original or the patched file.
import { describe, expect, it } from 'vitest';
import { crashRun } from '../../bench/crash.mjs';
import { requireBuild } from '../helpers/child.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();

describe('crash safety', () => {
  it.each([
    [0, 5],
    [4096, 3],
    [-4096, 3],
  ])('killed_patches_recover_to_the_original_or_the_patched_file (size change %i, %i trials)', async (grow, trials) => {
    requireBuild();
    const r = await crashRun({ trials, size: 4 << 20, hunks: 2000, seed: 11 + grow, dir, grow });
    expect(r.failures, JSON.stringify(r.failures)).toEqual([]);
    expect(Object.values(r.tally).reduce((a, b) => a + b, 0)).toBe(trials);
  }, 60_000);
});
