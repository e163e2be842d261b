export interface PatchShiftCrashResult {
  trials: number;
  tally: Record<string, number>;
  failures: { delayMs: number; why?: string }[];
}
export function patchShiftCrashRun(options: {
  trials: number;
  size: number;
  seed?: number;
  dir?: string;
  log?: (s: string) => void;
  /** No trial starts after this instant (ms since the epoch). */
  deadline?: number;
}): Promise<PatchShiftCrashResult>;
