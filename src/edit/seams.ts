// What an engine operation is given from outside instead of reaching for the process: a progress
// sink, a clock for phase timings, cancellation, and the rules for opening the file. The CLI passes
// its progress line, its Timer and --wait/--force; library callers pass what they like, or nothing.

/** Where long operations report how far they got: the CLI's progress line, or a caller's callback. */
export interface ProgressSink {
  /** A phase starts: `label` (e.g. `hash fw.bin`) over `total` bytes. */
  phase(label: string, total: number | bigint): void;
  /** How many bytes of the phase are done (called once per window or chunk). */
  update(done: number): void;
}

/** A sink that ignores everything. */
export const NO_PROGRESS: ProgressSink = { phase() {}, update() {} };

/** Phase timings (the CLI's `Timer`): `lap(name)` ends the current phase under that name. */
export interface Clock {
  lap(name: string): void;
}

/** Options every engine operation on a file accepts. */
export interface EditContext {
  /** Accept devices and pseudo-filesystem files (never FIFOs, sockets or directories). */
  force?: boolean;
  /** Seconds to wait for a lock held by another process (default 2; 0 fails at once). */
  lockWait?: number;
  /** Progress of long phases. */
  progress?: ProgressSink;
  /** Phase timings. */
  clock?: Clock;
  /** Stops a lock wait, and long operations between windows (with the signal's reason). */
  signal?: AbortSignal;
  /**
   * Wait for locks by blocking the thread instead of with timers: for the CLI, where nothing else
   * runs. Library callers leave it off so the event loop keeps running.
   */
  blocking?: boolean;
  /**
   * Called by operations that only read, once the file is open and locked, when a journal of an
   * interrupted patch lies beside it (what they read may be half patched; `recover` restores it). Not called: no journal, or one that cannot be looked for.
   */
  onPendingJournal?: (file: string, journal: string) => void;
  /**
   * The slice of a fat/universal Mach-O (`arm64`, `x86_64`, ...) in which symbolic addresses
   * (`sym:`, `sec:`, `seg:`, `va:`) of offsets and ranges are resolved; needed only there.
   */
  arch?: string;
}
