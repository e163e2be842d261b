// Truncation trials: a large file is cut by another process (this one) at a random moment while a
// command reads or writes it, many times. Every run must end either with exit 0 and the output that
// is right for the whole file or for the cut file (the cut came after, or before it looked), or with
// exit 1 and exactly one error line: never by a signal, never with wrong output.
//
// A case is one line: a name, the argv, what a good exit-0 output looks like and the error line;
// a case may also check more after a failed run (a patch: recover, then the file's bytes), and
// accept a run that saw only the cut file and legitimately said so with another status.
// The subject file is sparse (cheap at any size) with a 16-byte marker every `every` bytes that
// names its own offset, so a scanner can prove it read the right bytes (a page read as zeros where
// a marker was would show as a missing marker).
import { openSync, closeSync, ftruncateSync, truncateSync, writeSync } from 'node:fs';
import { expect } from 'vitest';
import { LIB } from './child.js';
import { BIN, type Run } from './cli.js';
import { start, sleep } from './procs.js';

export const MiB = 1 << 20;

/** The marker at `offset`: `mmapx@` and the offset as 10 hex digits. */
export function marker(offset: number): string {
  return `mmapx@${offset.toString(16).padStart(10, '0')}`;
}

/** Number of markers that lie wholly inside the first `size` bytes. */
export function markersIn(size: number, every: number): number {
  return size < 16 ? 0 : Math.floor((size - 16) / every) + 1;
}

/** Makes (or remakes) the subject: `size` bytes, sparse, a marker every `every` bytes. */
export function makeSubject(path: string, size: number, every: number): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, size);
    for (let at = 0; at + 16 <= size; at += every) writeSync(fd, marker(at), at, 'latin1');
  } finally {
    closeSync(fd);
  }
}

/** The two sizes a run may legitimately have seen. */
export interface Sizes {
  whole: number;
  cut: number;
  every: number;
}

export interface TruncationCase {
  name: string;
  /** argv of the built CLI for `path` (`mmapx` is implied, with `env` added to the pinned one), or any program. */
  argv(path: string, sizes: Sizes): { mmapx: string[]; env?: Record<string, string> } | { cmd: string; args: string[] };
  /** Asserts (with expect) that an exit-0 run printed (and left) what is right for the whole or the cut file. */
  ok(r: Run, path: string, sizes: Sizes): void;
  /** The one stderr line of an exit-1 run. */
  error(path: string): RegExp;
  /** Asserts what must also hold after an exit-1 run (output printed before the error, the file after recover). */
  failed?(r: Run, path: string, sizes: Sizes): void;
  /**
   * True when a run that did not exit 0 or 1 saw only the cut file, from the start, and said what
   * is right for that file (e.g. a patch whose offsets the cut file does not reach: exit 2 naming
   * exactly the cut size). Such a run is not a race; it is counted apart (`cutFirst`).
   */
  cutFirst?(r: Run, path: string, sizes: Sizes): boolean;
  /** Require at least one exit-1 run (the cut really landed mid-operation): for long operations. */
  mustFail?: boolean;
  /** The subject's size as a multiple of the size given (default 1). */
  scale?: number;
  /** Bytes between markers (default: the trials' `every`): more markers, more hunks for a patch. */
  every?: number;
}

export interface Tally {
  name: string;
  trials: number;
  ok: number;
  failed: number;
  /** Runs that saw only the cut file and ended as is right for it (see TruncationCase.cutFirst). */
  cutFirst: number;
  /** Distinct error lines seen, with counts (offsets and sizes replaced by N). */
  errors: Record<string, number>;
  /** Milliseconds an uncut run took, from which the cut delays are drawn. */
  runMs: number;
}

function launch(c: TruncationCase, path: string, sizes: Sizes) {
  const a = c.argv(path, sizes);
  return 'mmapx' in a ? start(process.execPath, [BIN, ...a.mmapx], 'mmapx', false, a.env) : start(a.cmd, a.args);
}

function judge(c: TruncationCase, r: Run, path: string, sizes: Sizes, tally: Tally): void {
  const where = `${c.name}, cut to ${sizes.cut}\n${r.dump}`;
  expect(r.signal, `ended by a signal: ${where}`).toBeNull();
  if (r.status === 0) {
    c.ok(r, path, sizes);
    tally.ok++;
    return;
  }
  if (r.status !== 1 && c.cutFirst?.(r, path, sizes)) {
    tally.cutFirst++;
    return;
  }
  expect(r.status, `neither 0 nor 1: ${where}`).toBe(1);
  const lines = r.stderr.split('\n');
  expect(lines.length === 2 && lines[1] === '', `one stderr line expected: ${where}`).toBe(true);
  expect(lines[0], where).toMatch(c.error(path));
  c.failed?.(r, path, sizes);
  tally.failed++;
  const shape = (lines[0] as string).replaceAll(path, 'FILE').replace(/0x[0-9a-f]+|\d+/g, 'N');
  tally.errors[shape] = (tally.errors[shape] ?? 0) + 1;
}

/**
 * Runs `trials` trials of `c` on a subject of `size` bytes in `dir`: one uncut run first (it must
 * succeed with the whole-file output, and times the command), then each trial cuts the file to a
 * random size after a random delay within that time (past the first fifth, which is mostly Node
 * starting). A case that must see a failure gets up to three times as many extra trials, cut
 * earlier and later, until it does.
 */
export async function truncationTrials(c: TruncationCase, opts: { dir: string; trials: number; size: number; every?: number }): Promise<Tally> {
  const every = c.every ?? opts.every ?? MiB;
  const size = Math.round(opts.size * (c.scale ?? 1));
  const path = `${opts.dir}/${c.name.replace(/\W+/g, '-')}.bin`;
  const tally: Tally = { name: c.name, trials: opts.trials, ok: 0, failed: 0, cutFirst: 0, errors: {}, runMs: 0 };
  try {
    makeSubject(path, size, every);
    const whole = { whole: size, cut: size, every };
    const t0 = performance.now();
    const first = await launch(c, path, whole).done;
    tally.runMs = performance.now() - t0;
    expect(first.status, first.dump).toBe(0);
    c.ok(first, path, whole);
    // The quickest whole run seen so far: the first one may have been slowed by a busy machine.
    let quickest = tally.runMs;
    const trial = async (from: number, span: number) => {
      makeSubject(path, size, every);
      const sizes = { whole: size, cut: Math.floor(Math.random() * size), every };
      const t = performance.now();
      const run = launch(c, path, sizes);
      await sleep((from + span * Math.random()) * quickest);
      truncateSync(path, sizes.cut);
      const r = await run.done;
      if (r.status === 0) quickest = Math.min(quickest, performance.now() - t); // a whole run
      judge(c, r, path, sizes, tally);
    };
    for (let i = 0; i < opts.trials; i++) await trial(0.2, 0.8);
    // No cut landed mid-operation yet: the runs got quicker than the first (cut earlier), or on a
    // loaded machine Node's start-up took most of the run and the cuts came before the reading
    // began (cut later). Up to three times as many more trials, through both windows in turn.
    const windows: [number, number][] = [
      [0.1, 0.4],
      [0.5, 0.5],
      [0.3, 0.4],
    ];
    for (let i = 0; c.mustFail && tally.failed === 0 && i < 3 * opts.trials; i++) {
      tally.trials++;
      const [from, span] = windows[i % windows.length] as [number, number];
      await trial(from, span);
    }
  } finally {
    try {
      truncateSync(path, 0);
    } catch {
      // already gone
    }
  }
  if (c.mustFail && opts.trials >= 4) {
    expect(tally.failed, `no trial of ${c.name} was cut mid-operation: ${JSON.stringify(tally)}`).toBeGreaterThan(0);
  }
  return tally;
}

/**
 * A scanner over the core's windows() (what hexdump and find are built on): counts and checks the
 * markers, prints `scanned SIZE bytes, N markers, 0 bad`, or one error line and exit 1.
 */
export const SCANNER = `
  import { openSync } from 'node:fs';
  import { windows } from ${JSON.stringify(LIB)};
  const path = process.argv[1];
  const needle = Buffer.from('mmapx@');
  let markers = 0, bad = 0, end = 0n;
  try {
    // Windows overlap by 15 bytes: a marker cut by one window's end is whole in the next, and a
    // whole one is never seen twice.
    for (const w of windows({ fd: openSync(path, 'r'), path }, { overlap: 15 })) {
      const b = Buffer.from(w.bytes.buffer, w.bytes.byteOffset, w.bytes.byteLength);
      for (let i = b.indexOf(needle); i >= 0 && i + 16 <= b.length; i = b.indexOf(needle, i + 1)) {
        if (b.toString('latin1', i + 6, i + 16) === (w.offset + BigInt(i)).toString(16).padStart(10, '0')) markers++;
        else bad++;
      }
      end = w.offset + BigInt(b.length);
    }
    console.log('scanned ' + end + ' bytes, ' + markers + ' markers, ' + bad + ' bad');
  } catch (e) {
    process.stderr.write('scan: ' + path + ': ' + (e.reason ?? e.message) + '\\n');
    process.exitCode = 1;
  }
`;
