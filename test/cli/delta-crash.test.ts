// A short crash run of in-place delta application (the long one is `node bench/delta-crash.mjs
// 200 --format all`): for each format a real patch file (ips32, ups, bps, vcdiff from the
// project's encoders; bsdiff from Debian's `bsdiff`) applied by `mmapx patch FILE PATCH`, and a
// hand-made delta that shifts the whole file applied through the built library, SIGKILLed at random
// instants; after `mmapx recover` the file is the original or the target, every time, and no
// journal is left.
import { describe, expect, it } from 'vitest';
import { requireBuild } from '../helpers/child.js';
import { DELTA_CRASH_FORMATS, deltaCrashRun, deltaFormatCrashRun, haveBsdiff } from '../helpers/delta-crash.mjs';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir();
const HAVE_BSDIFF = haveBsdiff();
if (!HAVE_BSDIFF) console.warn('NOTICE: bsdiff not installed (Debian package bsdiff): the bsdiff crash trial is SKIPPED');

describe('crash safety of a delta applied in place', () => {
  it.each([[-4096, 2]])(
    'killed applications through the library recover to the original or the target (size change %i, %i trials)',
    async (grow, trials) => {
      requireBuild();
      const r = await deltaCrashRun({ trials, size: 1 << 20, seed: 5 + grow, grow, dir });
      expect(r.failures, JSON.stringify(r.failures)).toEqual([]);
      expect(r.original + r.patched).toBe(trials);
    },
    60_000,
  );

  // Growing for half of the formats, shrinking for the others; the kill lands uniformly in a run.
  it.each(DELTA_CRASH_FORMATS.map((format, i) => [format, i % 2 === 0 ? 4096 : -4096] as const))(
    'a killed `mmapx patch FILE PATCH` of a %s patch recovers to the original or the target (size change %i)',
    async (format, grow) => {
      if (format === 'bsdiff' && !HAVE_BSDIFF) return;
      requireBuild();
      const r = await deltaFormatCrashRun({ format, trials: 1, size: 256 << 10, seed: 11, grow, calibrations: 1, dir });
      expect(r.failures, JSON.stringify(r.failures)).toEqual([]);
      expect(r.original + r.patched).toBe(1);
    },
    60_000,
  );
});
