// A short SIGKILL run of a patch with insert and delete statements in the suite (the long one:
// `node bench/patch-shift-crash.mjs 200 --size 1G`): two hunks, a delete and an insert on a file
// of 12 MiB, killed at random instants, then `mmapx recover`: the original or the result, with no
// journal left.
import { describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { patchShiftCrashRun } from '../helpers/patch-shift-crash.mjs';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-pshift-crash-');

describe('crash safety of a patch with inserts and deletes', () => {
  it('killed_patch_recovers_to_the_original_or_the_result (4 trials)', async () => {
    requireBuild();
    const r = await patchShiftCrashRun({ trials: 4, size: 12 << 20, seed: 15, dir });
    expect(r.failures, JSON.stringify(r.failures)).toEqual([]);
    expect(Object.values(r.tally).reduce((a, b) => a + b, 0)).toBe(4);
  }, 60_000);
});
