// mmapx find FILE PATTERN [--text] [--count] [--max N] [--range R]: offsets of a byte pattern
// (hex with ?? and nibble wildcards, or text), scanned through read-only windows of a shared map
// with Buffer.indexOf, so memory stays flat and a file in the page cache is never copied.
// FILE... PATTERN (or --files-from LIST): the pattern is compiled once, each file scanned on its
// own, matches printed as PATH:0x1f40 (src/cli/multi.ts runs the loop).
//
// Exit status: 0 when something matched, 3 when nothing did (like grep's 1, but 1 is "the
// operation failed" here, so CI can tell "pattern absent" from "could not read the file").
//
// If another process truncates the file meanwhile, no offset found in a window that faulted or
// that the file no longer covers is printed: the command ends with one ERR_TRUNCATED line, exit 1
// (what was printed before came from windows checked whole). Scan threads report their faults
// through the same SIGBUS guard (see src/mmap/sys/sigbus.ts), and their chunks are checked alike.
import { InputError } from '../../errors.js';
import { parseHexPattern, parseTextData } from '../../format/data.js';
import { formatOffset, parseNumber } from '../../format/number.js';
import { formatPattern } from '../../format/patch/lex.js';
import { parseRange, type Range } from '../../format/range.js';
import { compilePattern, WindowScanner, type BytePattern, type CompiledPattern } from '../../format/search.js';
import { pageSize } from '../../mmap/index.js';
import type { Context, Result } from '../context.js';
import { openFile, readableSize, readSpan, shrankSinceOpen } from '../../edit/files.js';
import { assertCovers, readWindows } from '../../edit/mapped.js';
import { eachFile, missingArgument, targets } from '../multi.js';
import { SCAN_WINDOW, scanFile } from '../../edit/scan.js';
import { Timer } from '../../edit/timing.js';

function readPattern(text: string, asText: boolean): BytePattern {
  if (!asText) return parseHexPattern(text, { nibbles: true });
  const bytes = parseTextData(text);
  return { bytes, mask: new Uint8Array(bytes.length).fill(0xff) };
}

/** What every file of a run shares: the pattern, compiled once, and the options. */
interface Job {
  pattern: BytePattern;
  compiled: CompiledPattern;
  shownPattern: string;
  max: number | undefined;
  range: Range | undefined;
  several: boolean;
  opts: Record<string, unknown>;
}

export default async function find(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  // FILE... PATTERN: the last argument is the pattern (with --files-from, FILEs are optional).
  const operands = (args[0] as string[] | undefined) ?? [];
  const list = opts.filesFrom !== undefined;
  if (operands.length === 0) throw missingArgument(list ? 'pattern' : 'file', 'find');
  if (operands.length === 1 && !list) throw missingArgument('pattern', 'find');
  const patternText = operands[operands.length - 1]!;
  const t = await targets('find', operands.slice(0, -1), opts);
  if (!t.several) ctx.path = t.files[0];
  const timer = new Timer();
  const pattern = readPattern(patternText, !!opts.text);
  const shownPattern = opts.text ? JSON.stringify(patternText) : formatPattern(pattern.bytes, pattern.mask);
  let max: number | undefined;
  if (opts.max !== undefined) {
    const n = parseNumber(String(opts.max), 'max');
    if (n < 1n) throw new InputError(`--max ${String(opts.max)} must be at least 1`);
    max = n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
  }
  const range = opts.range !== undefined ? parseRange(String(opts.range)) : undefined;
  const compiled = compilePattern(pattern);
  timer.lap('parse');
  const job: Job = { pattern, compiled, shownPattern, max, range, several: t.several, opts };
  return eachFile(ctx, t, (path) => findIn(ctx, path, job, t.several ? new Timer() : timer));
}

/** Searches one file: the single-file command from the open on. */
async function findIn(ctx: Context, path: string, job: Job, timer: Timer): Promise<Result> {
  const { pattern, compiled, shownPattern, max, range, several, opts } = job;
  // Several files: every line names its file (grep -H).
  const prefix = several ? `${path}:` : '';
  const file = openFile(path, { write: false, force: !!opts.force, lockWait: ctx.lockWait });
  ctx.warnIfJournal(path);
  timer.lap('open');
  pageSize(); // loads the FFI on first use, timed on its own
  timer.lap('ffi');
  const countOnly = !!opts.count;
  const json = ctx.globals.json;
  try {
    // Devices and pseudo files (--force) follow the one rule of every read command (files.ts).
    const r = readSpan(file, range);
    const sized = readableSize(file) !== undefined;
    let scanned = r.length ?? 0n; // a pseudo file read to its end: what the read found
    // One more than --max, to tell "exactly N" from "N and more" (truncated).
    const scanner = new WindowScanner(compiled, max !== undefined ? { max: max + 1 } : {});
    const matches: bigint[] = [];
    let printed = 0;
    let total: number;
    const stream = !countOnly && !json;
    ctx.progress.phase(`find ${path}`, r.length ?? 0n);
    if (countOnly && max === undefined && file.pseudo === undefined && r.length !== undefined) {
      // A plain count: on every core (src/cli/scan.ts).
      total = scanFile(file, { offset: r.offset, length: r.length }, [pattern], [0], { workers: true, progress: (done) => ctx.progress.update(done) })[0]!.count;
    } else {
      const keep = (at: bigint): void => {
        if (max === undefined || matches.length + printed < max) matches.push(at);
      };
      for (const w of readWindows(file, r, { windowSize: SCAN_WINDOW })) {
        scanner.scan(w.bytes as Uint8Array, w.offset, countOnly ? undefined : keep);
        // Matches from pages past a new end (zeros) are void: check the window before using them.
        w.assertIntact();
        if (sized) assertCovers(file, w.offset + BigInt(w.bytes.length));
        if (r.length === undefined) scanned += BigInt(w.bytes.length);
        if (stream && matches.length > 0) {
          ctx.stdout(matches.map((m) => `${prefix}${formatOffset(m)}\n`).join(''));
          printed += matches.length;
          matches.length = 0;
        }
        if (scanner.done) break;
        ctx.progress.update(w.offset + BigInt(w.bytes.length) - r.offset); // once per window
      }
      total = scanner.count;
    }
    timer.lap('scan');
    const truncated = max !== undefined && total > max;
    const count = truncated ? max! : total;
    const found = count > 0;
    const stats = `${count} match${count === 1 ? '' : 'es'}${truncated ? ` (stopped at --max ${max})` : ''} of ${shownPattern} in ${formatOffset(r.offset)}..${formatOffset(r.offset + scanned)} of ${path} ${timer.describe()}`;
    const result: Result = {
      summary: stats,
      showSummary: !!opts.stats,
      json: {
        file: path,
        pattern: shownPattern,
        matches: countOnly ? null : matches,
        count,
        truncated,
        range: { offset: r.offset, length: scanned },
        timings: timer.json(),
      },
      ...(!found && { exitCode: 3 as const, error: `no match for ${shownPattern}` }),
    };
    if (countOnly) result.stdout = `${prefix}${count}\n`;
    if (stream && found) {
      // The offsets went out window by window; only the --stats line is left.
      if (opts.stats && !ctx.globals.quiet) ctx.stderr(`${stats}\n`);
      result.printed = true;
    }
    return result;
  } catch (err) {
    throw shrankSinceOpen(file, err, 'read');
  } finally {
    file.close();
  }
}
