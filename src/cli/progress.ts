// The progress line of long operations: `hash fw.bin: 1.2 GiB of 2.0 GiB (60%), 850 MiB/s, 0:01
// left` on stderr, redrawn in place, only on a terminal and never with --json, -q or --no-progress.
//
// Our own small module rather than a progress-bar package: those redraw from timers (setInterval)
// and write through process.stderr's stream, and every scan here is synchronous (windows of a map,
// Atomics.wait for scan threads), so a timer would never fire until the work is done. Here the
// scan loops call `update` once per window or chunk (never per byte); it reads the clock and
// returns unless a redraw is due, so a quiet line costs one clock read per window. It also keeps
// the bundle and the start-up as they are (koffi stays the only runtime dependency): whether
// stderr is a terminal, and its width, come from one ioctl through the FFI (src/mmap/sys), asked
// at the first phase, not from node:tty, whose import alone costs a few ms at every start.
//
// The line only appears once the operation has run `delayMs` (no flicker for quick commands), is
// redrawn at most every `intervalMs`, never wider than the terminal (so it never wraps), and is
// erased (`\r` + clear to end of line) before anything else goes to stderr (errors, summaries),
// before stdout output when stdout is the same terminal, and at the end.
import { now } from '../edit/timing.js';
import { formatBytes } from '../format/units.js';
import { escapeTerminal, terminalColumns } from '../mmap/sys/terminal.js';

export { formatBytes };

/** Milliseconds before the line first shows (MMAPX_PROGRESS_DELAY_MS overrides it). */
const PROGRESS_DELAY_MS = 300;
/** At most one redraw per this many milliseconds (10 per second). */
const PROGRESS_INTERVAL_MS = 100;

const ERASE = '\r\x1b[K';

/**
 * Whether progress may show, as far as options and environment tell: not turned off
 * (`--no-progress`), no --json or -q, a terminal that is not `dumb`, and MMAPX_NO_PROGRESS unset
 * or empty. Pure. (That stderr is a terminal at all is asked later: see {@link ProgressOptions}.)
 */
export function progressWanted(opts: { progress?: boolean; json: boolean; quiet: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (opts.progress === false || opts.json || opts.quiet) return false;
  if (env.TERM === 'dumb') return false;
  return env.MMAPX_NO_PROGRESS === undefined || env.MMAPX_NO_PROGRESS === '';
}

/** `0:07`, `12:34`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Columns `text` may take: one per ASCII character, two for anything else (wide characters). */
function columnsOf(text: string): number {
  let n = 0;
  for (const ch of text) n += ch.charCodeAt(0) < 0x80 ? 1 : 2;
  return n;
}

/**
 * The text of the line, at most `width - 1` columns (the last column would make some terminals
 * wrap): `LABEL: DONE of TOTAL (P%), RATE/s, T left`. What does not fit goes from the end (time
 * left, then rate); then the label loses its start (`...d/fw.bin`), then the percentage goes.
 * Control characters of the label (a file name can hold any) show as `?`. Pure.
 */
export function progressLine(label: string, done: number, total: number, elapsedMs: number, width: number): string {
  const max = Math.max(1, width - 1);
  const name = label.replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
  const d = Math.min(done, total);
  const fields = [`${formatBytes(d)} of ${formatBytes(total)}`];
  if (total > 0) fields.push(` (${Math.floor((d / total) * 100)}%)`);
  const rate = elapsedMs > 0 ? d / (elapsedMs / 1000) : 0;
  if (rate > 0) fields.push(`, ${formatBytes(rate)}/s`, `, ${formatDuration((total - d) / rate)} left`);
  const minPct = Math.min(fields.length, 2);
  for (let n = fields.length; n >= 1; n--) {
    const tail = fields.slice(0, n).join('');
    if (columnsOf(`${name}: ${tail}`) <= max) return `${name}: ${tail}`;
    if (n > minPct) continue;
    // Counts (and percentage) are left: the label gives up its start, keeping at least 3 characters.
    const chars = [...name];
    while (chars.length > 3 && columnsOf(`...${chars.join('')}: ${tail}`) > max) chars.shift();
    const line = `...${chars.join('')}: ${tail}`;
    if (columnsOf(line) <= max) return line;
  }
  return fields[0]!.slice(0, max);
}

export interface ProgressOptions {
  /** Writes to stderr, synchronously. */
  write: (text: string) => void;
  /**
   * The width of the terminal on stderr in columns (0: it does not say, 80 is used), or undefined
   * when stderr is not a terminal: then nothing ever shows. Asked at the first phase and at each
   * redraw (the line follows a resize).
   */
  columns: () => number | undefined;
  /** Whether stdout is a terminal too (then the line is erased before stdout output); asked once. */
  stdoutIsTTY: () => boolean;
  delayMs?: number;
  intervalMs?: number;
  /** Milliseconds from a monotonic clock (tests give their own). */
  now?: () => number;
}

/**
 * The progress line of one command. An operation names a phase and its size in bytes
 * ({@link phase}), then reports how far it got once per window or chunk ({@link update}). A
 * disabled one ({@link Progress.off}) does nothing, cheaply.
 */
export class Progress {
  #on: boolean;
  #checked = false;
  #stdoutIsTTY = false;
  readonly #opts: ProgressOptions | undefined;
  readonly #now: () => number;
  readonly #interval: number;
  /** Not before this time: the initial delay, then one interval after each redraw. */
  #next: number;
  #label = '';
  #total = 0;
  #done = 0;
  #phaseStart = 0;
  #shown = false;

  private constructor(opts: ProgressOptions | undefined) {
    this.#opts = opts;
    this.#on = opts !== undefined;
    this.#now = opts?.now ?? now;
    this.#interval = opts?.intervalMs ?? PROGRESS_INTERVAL_MS;
    this.#next = this.#on ? this.#now() + (opts?.delayMs ?? PROGRESS_DELAY_MS) : Infinity;
  }

  /** A progress line that never shows. */
  static off(): Progress {
    return new Progress(undefined);
  }

  /** A progress line written through `opts.write`; the initial delay counts from now. */
  static on(opts: ProgressOptions): Progress {
    return new Progress(opts);
  }

  /** Whether the line is on the terminal now. */
  get shown(): boolean {
    return this.#shown;
  }

  /** Starts a phase: `label` (e.g. `hash fw.bin`) over `total` bytes. A shown line moves on to it at once. */
  phase(label: string, total: number | bigint): void {
    if (!this.#on) return;
    if (!this.#checked) {
      this.#checked = true;
      if (this.#opts!.columns() === undefined) {
        this.#on = false;
        this.#next = Infinity;
        return;
      }
      this.#stdoutIsTTY = this.#opts!.stdoutIsTTY();
    }
    this.#label = label;
    this.#total = Number(total);
    this.#done = 0;
    this.#phaseStart = this.#now();
    if (this.#shown) this.#draw(this.#phaseStart);
  }

  /** `done` bytes of the phase are done. Redraws when due; otherwise one clock read. */
  update(done: number | bigint): void {
    if (!this.#on) return;
    this.#done = Number(done);
    const t = this.#now();
    if (t >= this.#next) this.#draw(t);
  }

  /** Erases the line (before other stderr output); the next due {@link update} draws it again. */
  clear(): void {
    if (!this.#shown) return;
    this.#shown = false;
    this.#write(ERASE);
  }

  /** Erases the line before stdout output, if stdout is the same terminal. */
  clearForStdout(): void {
    if (this.#shown && this.#stdoutIsTTY) this.clear();
  }

  /** Erases the line and draws no more. */
  end(): void {
    this.clear();
    this.#next = Infinity;
  }

  #draw(t: number): void {
    const opts = this.#opts!;
    const cols = opts.columns() ?? 0;
    const line = progressLine(this.#label, this.#done, this.#total, t - this.#phaseStart, cols > 0 ? cols : 80);
    this.#shown = true;
    this.#next = t + this.#interval;
    this.#write(`\r${line}\x1b[K`);
  }

  /** A progress line never fails the command: when stderr cannot take it, there is no more of it. */
  #write(text: string): void {
    try {
      this.#opts!.write(text);
    } catch {
      this.#shown = false;
      this.#next = Infinity;
    }
  }
}

/**
 * The progress line for a command run with these global options, on fds 1 and 2, or one that
 * never shows (see {@link progressWanted}; whether stderr is a terminal is asked at the first
 * phase, once the FFI is loaded anyway).
 */
export function createProgress(opts: { progress?: boolean; json: boolean; quiet: boolean }, env: NodeJS.ProcessEnv, write: (text: string) => void): Progress {
  if (!progressWanted(opts, env)) return Progress.off();
  const delay = Number.parseInt(env.MMAPX_PROGRESS_DELAY_MS ?? '', 10);
  return Progress.on({
    write,
    // The line is drawn with `\r` and `\x1b[K`: only on a terminal that renders escapes (on
    // Windows, a console whose escape processing is on, or turned on here).
    columns: () => (escapeTerminal(2) ? terminalColumns(2) : undefined),
    stdoutIsTTY: () => terminalColumns(1) !== undefined,
    delayMs: Number.isFinite(delay) && delay >= 0 ? delay : PROGRESS_DELAY_MS,
  });
}
