export interface TransformCrashResult {
  trials: number;
  tally: Record<string, number>;
  failures: { delayMs: number; why?: string }[];
}
export function transformCrashRun(options: {
  trials: number;
  size: number;
  offset: number;
  length: number;
  key?: string;
  seed?: number;
  dir?: string;
  log?: (s: string) => void;
  onTrial?: (i: number, outcome: string) => void;
}): Promise<TransformCrashResult>;
