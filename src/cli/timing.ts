// Phase timings for summaries and --json: `in 0.21 ms: map 0.05, write 0.01, msync 0.12`.

/** Milliseconds from a monotonic clock (process.hrtime: the global `performance` loads perf_hooks, ~1 ms). */
function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export class Timer {
  readonly #start = now();
  #last = this.#start;
  readonly phases: Record<string, number> = {};

  /** Ends the current phase under `name` (phases with the same name add up). */
  lap(name: string): void {
    const t = now();
    this.phases[name] = (this.phases[name] ?? 0) + (t - this.#last);
    this.#last = t;
  }

  /** Moves `ms` of the phase `from` into the phase `to` (a sub-phase measured inside it, e.g. msync in write). */
  split(from: string, to: string, ms: number): void {
    const take = Math.min(ms, this.phases[from] ?? 0);
    this.phases[from] = (this.phases[from] ?? 0) - take;
    this.phases[to] = (this.phases[to] ?? 0) + take;
  }

  /** Milliseconds since the timer started. */
  total(): number {
    return now() - this.#start;
  }

  /** `in 0.21 ms: open 0.02, map 0.05` */
  describe(): string {
    const parts = Object.entries(this.phases).map(([k, v]) => `${k} ${ms(v)}`);
    return `in ${ms(this.total())} ms${parts.length ? `: ${parts.join(', ')}` : ''}`;
  }

  /** Numbers for --json: each phase and the total, in milliseconds. */
  json(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.phases)) out[k] = round(v);
    out.total = round(this.total());
    return out;
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Milliseconds with two decimals, or three significant digits below 0.01. */
export function ms(v: number): string {
  return v >= 0.01 || v === 0 ? v.toFixed(2) : v.toPrecision(2);
}
