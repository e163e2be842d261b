// Types of test/helpers/delta-crash.mjs, for the suite's short run (test/cli/delta-crash.test.ts).
export interface DeltaCrashRun {
  trials: number;
  size: number;
  grow: number;
  calibration: { wall: number; journalAt: number; timings: Record<string, number>; journal: number };
  /** Outcome description -> number of trials. */
  tally: Record<string, number>;
  /** Trials that ended with the original file, and with the target, after recover. */
  original: number;
  patched: number;
  failures: { delayMs: number; ok: boolean; why?: string }[];
}

export function deltaCrashRun(options: {
  trials: number;
  size: number;
  seed?: number;
  grow?: number;
  dir?: string;
  log?: (line: string) => void;
}): Promise<DeltaCrashRun>;
