// A short crash run in the suite (the long one is `node bench/crash.mjs 200`): SIGKILL a patch
// of thousands of hunks at random instants, recover, and require the original or the patched file.
// And the same for one patch run over 200 small files, committed in batches (the long one is
// `node bench/crash.mjs --files 200 100`): before recover every file is the original, the patched
// file, or has a complete journal; after one `recover --files-from`, each is original or patched.
import { describe, expect, it } from 'vitest';
import { crashRun, crashRunMany } from '../helpers/crash.mjs';
import { requireBuild } from '../helpers/child.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();

describe('crash safety', () => {
  it.each([
    [0, 5],
    [4096, 3],
    [-4096, 3],
  ])(
    'killed_patches_recover_to_the_original_or_the_patched_file (size change %i, %i trials)',
    async (grow, trials) => {
      requireBuild();
      const r = await crashRun({ trials, size: 4 << 20, hunks: 2000, seed: 11 + grow, dir, grow });
      expect(r.failures, JSON.stringify(r.failures)).toEqual([]);
      expect(Object.values(r.tally).reduce((a, b) => a + b, 0)).toBe(trials);
    },
    60_000,
  );
});

describe('crash safety of a several-file patch', () => {
  it.each([
    [0, 4],
    [4096, 2],
  ])(
    'killed_several_file_patches_leave_every_file_original_patched_or_journaled_and_recover_restores_each (size change %i, %i trials)',
    async (grow, trials) => {
      requireBuild();
      const r = await crashRunMany({ trials, files: 200, size: 8192, hunks: 8, seed: 21 + grow, grow, hits: 2, dir });
      expect(r.failures, JSON.stringify(r.failures)).toEqual([]);
      // Kills that landed while journals were in place: the states the batches are about.
      expect(r.withJournals, JSON.stringify(r.tally)).toBeGreaterThanOrEqual(1);
    },
    120_000,
  );
});
