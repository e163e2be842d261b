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

/** The formats of real patch files the harness makes and kills the application of. */
export type DeltaCrashFormat = 'ips32' | 'ups' | 'bps' | 'vcdiff' | 'bsdiff';
export const DELTA_CRASH_FORMATS: readonly DeltaCrashFormat[];

/** Whether Debian's `bsdiff` command is installed (it makes the bsdiff patches). */
export function haveBsdiff(): boolean;

export interface DeltaFormatCrashRun {
  format: DeltaCrashFormat;
  trials: number;
  size: number;
  grow: number;
  patchBytes: number;
  calibration: { wall: number; journalAt: number; timings: Record<string, number> };
  /** Outcome description -> number of trials. */
  tally: Record<string, number>;
  /** Trials that ended with the original file (OLD), and with the target (NEW), after recover. */
  original: number;
  patched: number;
  failures: { delayMs: number; ok: boolean; why?: string }[];
}

export function deltaFormatCrashRun(options: {
  format: DeltaCrashFormat;
  trials: number;
  size: number;
  seed?: number;
  grow?: number;
  /** Calibration runs; the fastest times the kills (default 3). */
  calibrations?: number;
  dir?: string;
  log?: (line: string) => void;
}): Promise<DeltaFormatCrashRun>;
