export interface ShiftCrashResult {
  trials: number;
  method: string;
  tally: Record<string, number>;
  failures: { delayMs: number; why?: string }[];
}
export function shiftCrashRun(options: {
  trials: number;
  size: number;
  kind: 'insert' | 'delete';
  offset: number;
  distance: number;
  seed?: number;
  dir?: string;
  log?: (s: string) => void;
}): Promise<ShiftCrashResult>;
