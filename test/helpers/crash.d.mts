// Types of test/helpers/crash.mjs, for the test suite's short crash run (test/cli/crash.test.ts).
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

export interface CrashRunMany {
  trials: number;
  files: number;
  size: number;
  hunks: number;
  grow: number;
  calibration: { wall: number; workAt: number };
  /** Trials killed while journals were in place. */
  withJournals: number;
  /** Outcome description -> number of trials. */
  tally: Record<string, number>;
  failures: { delayMs: number; ok: boolean; why?: string }[];
}

export function crashRunMany(options: {
  trials: number;
  files?: number;
  size?: number;
  hunks?: number;
  seed?: number;
  grow?: number;
  /** Keep going (up to 4 times `trials`) until this many trials were killed with journals in place. */
  hits?: number;
  dir?: string;
  log?: (line: string) => void;
}): Promise<CrashRunMany>;

/** A small deterministic PRNG (mulberry32) in [0, 1), so that a failing seed can be rerun. */
export function rng(seed: number): () => number;
