// A short SIGKILL run of insert and delete in the suite (the long one, on files of 1 GiB, is
// `node bench/shift-crash.mjs 200 --size 1G`): kill the shift at random instants, recover, and
// require the original or the result, with no journal left. Distances below 1 MiB and not
// block-aligned: the steps go through the journal's staging slot, the path with the most states.
import { describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { shiftCrashRun } from '../helpers/shift-crash.mjs';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-shift-crash-');

describe('crash safety of insert and delete', () => {
  it.each([
    ['delete', 2],
    ['insert', 2],
  ] as const)(
    'killed_%s_recovers_to_the_original_or_the_result (%i trials)',
    async (kind, trials) => {
      requireBuild();
      const r = await shiftCrashRun({ trials, size: 12 << 20, kind, offset: 1001, distance: 4097, seed: kind === 'insert' ? 31 : 37, dir });
      expect(r.failures, JSON.stringify(r.failures)).toEqual([]);
      expect(r.method).toBe('copy');
      expect(Object.values(r.tally).reduce((a, b) => a + b, 0)).toBe(trials);
    },
    60_000,
  );
});
