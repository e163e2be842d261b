// A short SIGKILL run of `transform` with its default journal (version 4, rolled forward by
// recover) in the suite; the long one, on files of 1 GiB, is `node bench/transform-crash.mjs 200
// --size 1G`. Kill at random instants, recover, and require the original or the result, with no
// journal left. A range not aligned to pages, over several windows of 8 MiB.
import { describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { tmpDir } from '../helpers/tmp.js';
import { transformCrashRun } from '../helpers/transform-crash.mjs';

const dir = tmpDir('mmapx-xor-crash-');

describe('crash safety of transform (rolled forward)', () => {
  it('killed_transform_recovers_to_the_original_or_the_result (4 trials)', async () => {
    requireBuild();
    const size = 16 << 20;
    const r = await transformCrashRun({ trials: 4, size, offset: 1001, length: size - 2002, key: 'a55a3c', seed: 41, dir });
    expect(r.failures, JSON.stringify(r.failures)).toEqual([]);
    expect(Object.values(r.tally).reduce((a, b) => a + b, 0)).toBe(4);
  }, 90_000);
});
