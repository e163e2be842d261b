// Types of bench/crash.mjs, for the test suite's short crash run (test/cli/crash.test.ts).
export interface CrashTrial {
  delayMs: number;
  ok: boolean;
  why?: string;
  killed?: boolean;
  journal?: 'none' | 'incomplete' | 'complete';
  fileBefore?: 'original' | 'patched' | 'partly patched';
  fileAfter?: 'original' | 'patched' | 'CORRUPT';
}

export interface CrashRun {
  trials: number;
  size: number;
  hunks: number;
  grow: number;
  calibration: { wall: number; journalAt: number; timings: Record<string, number> };
  /** Outcome description -> number of trials. */
  tally: Record<string, number>;
  failures: CrashTrial[];
}

export function crashRun(options: {
  trials: number;
  size: number;
  hunks: number;
  seed?: number;
  dir?: string;
  grow?: number;
  log?: (line: string) => void;
}): Promise<CrashRun>;
