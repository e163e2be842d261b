// Phase timings for summaries and --json: `in 0.21 ms: map 0.05, write 0.01, msync 0.12`.

/** Milliseconds from a monotonic clock (process.hrtime: the global `performance` loads perf_hooks, ~1 ms). */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export class Timer {
  readonly #start = now();
  #last = this.#start;
  /** The total is the sum of the phases, not the time since the start (see the constructor). */
  readonly #sum: boolean;
  readonly phases: Record<string, number> = {};

  /**
   * `sumOfPhases`: for work that is interleaved with other work (a file of a several-file patch
   * waits while the rest of its batch is planned), the total is the sum of the phases, and time
   * between them that {@link resume} skips belongs to no phase.
   */
  constructor(opts: { sumOfPhases?: boolean } = {}) {
    this.#sum = opts.sumOfPhases === true;
  }

  /** Ends the current phase under `name` (phases with the same name add up). */
  lap(name: string): void {
    const t = now();
    this.phases[name] = (this.phases[name] ?? 0) + (t - this.#last);
    this.#last = t;
  }

  /** Adds `ms` measured elsewhere (a share of work done for several files at once) to `name`; the next phase starts now. */
  add(name: string, ms: number): void {
    this.phases[name] = (this.phases[name] ?? 0) + ms;
    this.#last = now();
  }

  /** The next phase starts now: the time since the last one belongs to no phase. */
  resume(): void {
    this.#last = now();
  }

  /** Moves `ms` of the phase `from` into the phase `to` (a sub-phase measured inside it, e.g. msync in write). */
  split(from: string, to: string, ms: number): void {
    const take = Math.min(ms, this.phases[from] ?? 0);
    this.phases[from] = (this.phases[from] ?? 0) - take;
    this.phases[to] = (this.phases[to] ?? 0) + take;
  }

  /** Milliseconds since the timer started (the sum of the phases with `sumOfPhases`). */
  total(): number {
    if (!this.#sum) return now() - this.#start;
    let t = 0;
    for (const k in this.phases) t += this.phases[k]!;
    return t;
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

/**
 * `850 MiB/s`: `bytes` over the milliseconds of the phase that moved them (the copy, the hash,
 * the dump), not over the whole run: start-up, opening and mapping are not throughput.
 */
export function throughput(bytes: bigint | number, phaseMs: number | undefined): string {
  const seconds = (phaseMs ?? 0) / 1000;
  const rate = seconds > 0 ? Number(bytes) / 1048576 / seconds : 0;
  return `${rate.toFixed(0)} MiB/s`;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Milliseconds with two decimals, or three significant digits below 0.01. */
export function ms(v: number): string {
  return v >= 0.01 || v === 0 ? v.toFixed(2) : v.toPrecision(2);
}
