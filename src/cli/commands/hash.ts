// mmapx hash [FILE...] [--range R] [--algo A] [--check HEX]: the digest of each file, or of a range
// of it (src/edit/hash.ts), printed the way sha256sum prints it (`<hex>  <path>`) so that the two
// compare in scripts. `-` (or no FILE, when standard input is not a terminal) is standard input,
// hashed as it streams in. --check makes it a guard for CI: exit 3 when a digest is another. A file
// cut by another process meanwhile ends with one ERR_TRUNCATED line, exit 1. Several files (or
// --files-from) run through src/cli/multi.ts: a file that fails does not stop the others.
//
// `-c SUMFILE` (--check-file) is `sha256sum -c`: the lines of SUMFILE (src/format/digest.ts
// parses them) name files and their digests; each is hashed and reported `NAME: OK`, `FAILED` or
// `FAILED open or read`, with sha256sum's closing WARNING lines and its exit status (1 when
// anything did not match or could not be read).
import { checkAlgorithm, hashRange, hashWindows } from '../../edit/hash.js';
import { bindOptionalRange } from '../../edit/address.js';
import { readSpan, withFile } from '../../edit/files.js';
import { throughput, Timer } from '../../edit/timing.js';
import { EXIT_FAILED, EXIT_GUARD, EXIT_OK, InputError, OperationError } from '../../errors.js';
import {
  AMBIGUOUS,
  checkedName,
  checksumLine,
  type DigestAlgo,
  digestHexLength,
  isDigestAlgo,
  parseExpectedDigest,
  parseSumLine,
  type SumEntry,
  type SumReading,
  type SumTally,
  sumFileLines,
  sumWarnings,
  tagName,
} from '../../format/digest.js';
import { withoutBom } from '../../format/bytes.js';
import { formatOffset } from '../../format/number.js';
import { parseRange, type Range } from '../../format/range.js';
import type { Context, Result } from '../context.js';
import { classify, errorLine } from '../errors.js';
import { readInput } from '../input.js';
import { refuseLossyLines } from '../utf8.js';
import { eachFile, targets } from '../multi.js';
import { jsonLine } from '../output.js';

/** The command's options, made once from commander's values. */
interface HashOptions {
  readonly algo: DigestAlgo;
  readonly range: Range | undefined;
  /** --check: the digest (or a prefix of it) every file must have. */
  readonly expected: string | undefined;
  readonly force: boolean;
  readonly stats: boolean;
}

/** The options that only mean something with -c, as they are named in errors. */
const CHECK_ONLY = [
  ['status', '--status'],
  ['strict', '--strict'],
  ['warn', '--warn'],
  ['ignoreMissing', '--ignore-missing'],
] as const;

/** The options -c does not take. */
const NOT_WITH_CHECK = [
  ['range', '--range'],
  ['check', '--check'],
  ['filesFrom', '--files-from'],
  ['stats', '--stats'],
] as const;

const NO_RANGE = '--range needs a file: standard input (-) is read once, from where it stands';

function algoOf(opts: Record<string, unknown>): DigestAlgo {
  const algo = String(opts.algo ?? 'sha256');
  if (!isDigestAlgo(algo)) throw new InputError(`unknown algorithm ${algo}`); // commander checks the choices first
  try {
    checkAlgorithm(algo);
  } catch (err) {
    if (err instanceof OperationError && err.code === 'ERR_UNSUPPORTED') throw new OperationError(`--algo ${err.message}`);
    throw err;
  }
  return algo;
}

export default async function hash(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const files = ((args[0] as string[] | undefined) ?? []).slice();
  // Errors of the options name the file of a one-file run (several: none of them).
  if (opts.checkFile === undefined && files.length === 1) ctx.path = files[0];
  const timer = new Timer();
  const algo = algoOf(opts);
  if (opts.checkFile !== undefined) {
    for (const [key, flag] of NOT_WITH_CHECK)
      if (opts[key] !== undefined && opts[key] !== false) throw new InputError(`${flag} does not apply to -c/--check-file`);
    return checkSums(ctx, [String(opts.checkFile), ...files], opts.algo === undefined ? undefined : algo, {
      status: !!opts.status,
      strict: !!opts.strict,
      warn: !!opts.warn,
      ignoreMissing: !!opts.ignoreMissing,
      force: !!opts.force,
    });
  }
  for (const [key, flag] of CHECK_ONLY) if (opts[key]) throw new InputError(`${flag} only applies with -c/--check-file SUMFILE`);
  const o: HashOptions = {
    algo,
    range: opts.range !== undefined ? parseRange(String(opts.range)) : undefined,
    expected: opts.check !== undefined ? parseExpectedDigest(String(opts.check), algo, { prefix: true }) : undefined,
    force: !!opts.force,
    stats: !!opts.stats,
  };
  // As sha256sum: no FILE is standard input (unless it is a terminal: then FILE is missing).
  if (files.length === 0 && opts.filesFrom === undefined && !(await stdinIsTerminal())) files.push('-');
  // `-` once per run, and not with `--files-from -`, as for every command that reads (targets).
  const t = await targets('hash', files, opts);
  ctx.path = t.several ? undefined : t.files[0];
  // Checked once, before the first file: a several-file run does not print half its lines first.
  if (o.range !== undefined && t.files.includes('-')) throw new InputError(NO_RANGE);
  timer.lap('parse');
  return eachFile(ctx, t, (path) => hashOne(ctx, path, o, t.several ? new Timer() : timer), { prefixSummary: true });
}

async function stdinIsTerminal(): Promise<boolean> {
  const { isatty } = await import('node:tty');
  return isatty(0);
}

/** One FILE (or `-`): its line, summary and --json keys, and the --check verdict. */
async function hashOne(ctx: Context, path: string, o: HashOptions, timer: Timer): Promise<Result> {
  const { algo, expected } = o;
  let digest: string;
  let offset = 0n;
  let length: bigint;
  // `-` too: the engine reads standard input where it stands (a pipe by read(2) as it comes).
  {
    const opening = { write: false, force: o.force, lockWait: ctx.lockWait, blocking: true, access: 'read' as const, timer };
    const r = await withFile(path, opening, (file) => {
      ctx.warnIfJournal(path);
      const span = readSpan(file, bindOptionalRange(file, o.range, ctx));
      ctx.progress.phase(`hash ${path}`, span.length ?? 0n);
      const run = hashWindows(file, span, algo);
      for (let step = run.next(); ; step = run.next()) {
        if (step.done) return step.value;
        ctx.progress.update(step.value); // once per window
      }
    });
    ({ digest, offset, length } = r);
  }
  timer.lap('hash');
  // The bytes hashed: the range, or all a pseudo file or standard input gave when read to its end.
  const where = `${formatOffset(offset)}..${formatOffset(offset + length)}`;
  const prefix = expected !== undefined && expected.length < digestHexLength(algo);
  const matched = expected === undefined ? null : digest.startsWith(expected);
  if (matched && prefix) {
    ctx.warn({
      code: 'PREFIX_MATCH',
      file: path,
      message: `matched on a ${expected.length}-digit prefix of the ${algo} (${expected}), not on the whole digest`,
    });
  }
  const source = path === '-' ? 'standard input' : path;
  return {
    stdout: checksumLine(digest, path),
    summary: `hashed ${length} byte${length === 1n ? '' : 's'} (${throughput(length, timer.phases.hash)}) of ${source} ${where} with ${algo} ${timer.describe()}`,
    showSummary: o.stats,
    json: { file: path, algo, digest, offset, length, expected: expected ?? null, prefix, matched, timings: timer.json() },
    ...(matched === false && {
      exitCode: EXIT_GUARD,
      error: `${algo} of ${where} is ${digest}, expected ${prefix ? `${expected}... (a ${expected!.length}-digit prefix)` : expected}`,
    }),
  };
}

/** sha256sum -c's flags. */
interface CheckFlags {
  /** No output at all: the status says it (errors and "no properly formatted lines" still print). */
  readonly status: boolean;
  /** Malformed lines make the status 1. */
  readonly strict: boolean;
  /** A line on stderr for each malformed line. */
  readonly warn: boolean;
  /** A listed file that does not exist is skipped, not a failure. */
  readonly ignoreMissing: boolean;
  /** --force: listed devices and pseudo-filesystem files are read too. */
  readonly force: boolean;
}

/** One line of a checksum file: an entry to check, or a malformed line (its number). */
type SumLine = { readonly number: number; readonly entry: SumEntry } | { readonly number: number; readonly malformed: true };

/** A checksum file as read: its lines, or why it could not be read. */
type SumFile = { readonly name: string; readonly lines: SumLine[] } | { readonly name: string; readonly error: unknown };

/** What one checked line came to, for --json. */
interface Checked {
  sumFile: string;
  line: number;
  file: string;
  algo: DigestAlgo;
  expected: string;
  digest: string | null;
  status: 'ok' | 'failed' | 'unreadable' | 'missing';
  error?: { message: string; code: string | null };
}

/**
 * Reads and parses every checksum file before any file is hashed, so that a line whose algorithm
 * cannot be told is a usage error before any output (the files themselves are small text).
 */
async function readSumFiles(names: readonly string[], algo: DigestAlgo | undefined): Promise<SumFile[]> {
  const reading: SumReading = {};
  const out: SumFile[] = [];
  const stdinUsers = names.filter((n) => n === '-').length;
  if (stdinUsers > 1) throw new InputError('-c - given twice: standard input can be read once');
  for (const name of names) {
    let text: string;
    try {
      const bytes = await readInput(name, { what: 'the checksum file', terminal: '-c - but standard input is a terminal: pipe the checksum lines in' });
      const body = withoutBom(bytes);
      refuseLossyLines(body, label(name));
      text = body.toString('utf8');
    } catch (err) {
      if (err instanceof InputError) throw err;
      out.push({ name, error: err });
      continue;
    }
    const lines: SumLine[] = [];
    for (const { line, number } of sumFileLines(text)) {
      const entry = parseSumLine(line, algo, reading);
      if (entry === AMBIGUOUS) {
        throw new InputError(`${label(name)} line ${number}: a 128-digit digest is sha512 or blake2b512: say which with --algo`, {
          line: number,
        });
      }
      // A checksum file read from standard input cannot also name it (as in sha256sum).
      if (entry === undefined || (name === '-' && entry.path === '-')) lines.push({ number, malformed: true });
      else lines.push({ number, entry });
    }
    out.push({ name, lines });
  }
  return out;
}

/** The digest of a listed file (`-`: standard input). */
async function digestOf(ctx: Context, path: string, algorithm: DigestAlgo, force: boolean): Promise<string> {
  return hashRange(path, {
    algorithm,
    force,
    lockWait: ctx.lockWait,
    blocking: true,
    progress: ctx.progress,
    onPendingJournal: (file, journal) => ctx.warnIfJournal(file, journal),
  });
}

/**
 * `sha256sum -c SUMFILE...`: every listed file hashed and reported in the order listed, then per
 * checksum file the WARNING lines; status 1 when a digest differed, a file could not be read, a
 * checksum file had no properly formatted line (or with --strict any malformed line), or with
 * --ignore-missing no file was verified. The text goes out as it is found; --json is one object.
 */
async function checkSums(ctx: Context, names: string[], algo: DigestAlgo | undefined, flags: CheckFlags): Promise<Result> {
  const timer = new Timer();
  const sumFiles = await readSumFiles(names, algo);
  timer.lap('parse');
  const json = ctx.globals.json;
  const quiet = ctx.globals.quiet;
  const text = !json && !flags.status;
  const say = (line: string): void => {
    if (text) ctx.stdout(line);
  };
  const fail = (path: string, message: string, code?: string): void => {
    if (!json) ctx.stderr(`${errorLine({ exitCode: EXIT_FAILED, message, code }, ctx.command, path)}\n`);
  };
  let good = true;
  const results: Checked[] = [];
  const malformed: { sumFile: string; line: number }[] = [];
  const unreadableSums: { sumFile: string; message: string; code: string | null }[] = [];
  const totals: SumTally = { entries: 0, malformed: 0, unreadable: 0, failed: 0, ok: 0, missing: 0 };
  for (const sum of sumFiles) {
    if ('error' in sum) {
      const report = classify(sum.error);
      fail(sum.name, report.message, report.code);
      unreadableSums.push({ sumFile: sum.name, message: report.message, code: report.code ?? null });
      good = false;
      continue;
    }
    const t: SumTally = { entries: 0, malformed: 0, unreadable: 0, failed: 0, ok: 0, missing: 0 };
    for (const l of sum.lines) {
      if ('malformed' in l) {
        t.malformed++;
        malformed.push({ sumFile: sum.name, line: l.number });
        const what = algo === undefined ? '' : `${tagName(algo) ?? algo.toUpperCase()} `;
        if (flags.warn && text) ctx.stderr(`mmapx: hash: ${label(sum.name)}: ${l.number}: improperly formatted ${what}checksum line\n`);
        continue;
      }
      t.entries++;
      const e = l.entry;
      const checked: Checked = { sumFile: sum.name, line: l.number, file: e.path, algo: e.algo, expected: e.digest, digest: null, status: 'ok' };
      results.push(checked);
      ctx.path = e.path;
      try {
        checked.digest = await digestOf(ctx, e.path, e.algo, flags.force);
      } catch (err) {
        const report = classify(err);
        if (report.exitCode === EXIT_FAILED && report.code === 'ENOENT' && flags.ignoreMissing) {
          checked.status = 'missing';
          t.missing++;
          continue;
        }
        if (err instanceof InputError) throw err; // standard input a terminal: the invocation's error
        checked.status = 'unreadable';
        checked.error = { message: report.message, code: report.code ?? null };
        t.unreadable++;
        fail(checkedName(e.path), report.message, report.code); // one line, whatever the name holds
        say(`${checkedName(e.path)}: FAILED open or read\n`);
        continue;
      }
      if (checked.digest === e.digest) {
        t.ok++;
        if (!quiet) say(`${checkedName(e.path)}: OK\n`);
      } else {
        checked.status = 'failed';
        t.failed++;
        say(`${checkedName(e.path)}: FAILED\n`);
      }
    }
    ctx.path = undefined;
    for (const k of Object.keys(totals) as (keyof SumTally)[]) totals[k] += t[k];
    if (t.entries === 0) {
      // Said also with --status, as sha256sum does.
      if (!json) ctx.stderr(`mmapx: hash: ${label(sum.name)}: no properly formatted checksum lines found\n`);
      good = false;
      continue;
    }
    if (text) for (const w of sumWarnings(t)) ctx.stderr(`mmapx: hash: ${w}\n`);
    if (flags.ignoreMissing && t.ok + t.failed + t.unreadable === 0) {
      if (!json && !flags.status) ctx.stderr(`mmapx: hash: ${label(sum.name)}: no file was verified\n`);
      good = false;
    }
    if (t.failed > 0 || t.unreadable > 0 || (flags.strict && t.malformed > 0)) good = false;
  }
  timer.lap('hash');
  const exitCode = good ? EXIT_OK : EXIT_FAILED;
  if (json) {
    const keys = {
      sumFiles: names,
      algo: algo ?? null,
      results,
      malformed,
      unreadableSumFiles: unreadableSums,
      counts: { ok: totals.ok, failed: totals.failed, unreadable: totals.unreadable, missing: totals.missing, malformed: totals.malformed },
      timings: timer.json(),
    };
    const error = good ? undefined : { message: checkFailure(totals, unreadableSums.length), code: null, path: null };
    ctx.stdout(jsonLine({ command: ctx.command, ok: good, ...keys, ...ctx.warningsJson(), ...(error && { exitCode, error }) }));
  }
  return { printed: true, showSummary: false, json: {}, exitCode };
}

/** A checksum file as messages name it. */
function label(name: string): string {
  return name === '-' ? 'standard input' : name;
}

/** The --json error message of a check that did not pass. */
function checkFailure(t: SumTally, unreadableSums: number): string {
  const parts = sumWarnings(t).map((w) => w.replace(/^WARNING: /, ''));
  if (unreadableSums > 0) parts.push(`${unreadableSums} checksum file${unreadableSums === 1 ? '' : 's'} could not be read`);
  if (t.entries === 0 || parts.length === 0) parts.push('no properly formatted checksum lines found, or no file was verified');
  return parts.join('; ');
}
