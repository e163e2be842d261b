// Types of test/helpers/concurrent.mjs, for the suite's short run (test/cli/concurrent.test.ts).
export interface SerialOrder {
  /** Exit status of each patch (by its index) in this order. */
  status: number[];
  hash: string;
}

export interface ConcurrentRun {
  scenario: string;
  wait: number | 'default';
  rounds: number;
  orders: Record<string, SerialOrder>;
  /** Outcome ('first then second', 'second then first', 'first locked out', ...) -> rounds. */
  tally: Record<string, number>;
  failures: { round: number; problems: string[] }[];
}

export const SCENARIOS: Record<string, (original: Buffer) => [string[], string[]]>;

export function concurrentRounds(options: { scenario: string; rounds: number; size?: number; wait?: number; dir?: string }): Promise<ConcurrentRun>;
