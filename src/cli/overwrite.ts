// What `fill`, `copy`, `move` and `transform` share: their operands with and without --files-from,
// the guard and journal options (parsed once for every file), the loop over the files, and the
// rendering of an overwrite's outcome (src/edit/overwrite.ts) as text and --json.
import type { OverwriteOptions, OverwriteOutcome } from '../edit/overwrite.js';
import { Timer } from '../edit/timing.js';
import { EXIT_GUARD, InputError } from '../errors.js';
import { formatHex, parseHexData } from '../format/data.js';
import { formatOffset } from '../format/number.js';
import { formatChangeListing } from '../format/patch/index.js';
import { plural } from '../format/units.js';
import type { Context, Result } from './context.js';
import { eachFile, files, missingArgument, type Tally, targets, took } from './multi.js';
import { parseSha256 } from './patch-sources.js';

/**
 * FILE ARG... or, with --files-from, ARG... (an ARG could be a file name too): the files named and
 * the other operands, `names` of which are required.
 */
export function splitOperands(command: string, args: unknown[], names: readonly string[], list: boolean, optional = 0): { files: string[]; rest: string[] } {
  const all = args.flat().filter((a): a is string => typeof a === 'string');
  const files = list ? [] : all.slice(0, 1);
  const rest = list ? all : all.slice(1);
  if (!list && files.length === 0) throw missingArgument('file', command);
  if (rest.length < names.length - optional) throw missingArgument(names[rest.length]!, command);
  if (rest.length > names.length) {
    throw new InputError(
      `too many arguments: ${JSON.stringify(rest[names.length])}${list ? '' : ` (several files only through --files-from; see 'mmapx ${command} --help')`}`,
    );
  }
  return { files, rest };
}

/** The engine options every file of a run gets, from commander's values (checked once). */
export function overwriteOptions(ctx: Context, opts: Record<string, unknown>): OverwriteOptions {
  return {
    dryRun: opts.dryRun === true,
    journal: opts.journal !== false,
    sync: opts.sync !== false,
    hash: opts.hash === true,
    ...(opts.expect !== undefined && { expect: parseHexData([String(opts.expect)]) }),
    ...(opts.expectSha256 !== undefined && { expectSha256: parseSha256(String(opts.expectSha256), '--expect-sha256') }),
    ...(opts.expectResultSha256 !== undefined && { expectResultSha256: parseSha256(String(opts.expectResultSha256), '--expect-result-sha256') }),
    force: opts.force === true,
    ...(ctx.lockWait !== undefined && { lockWait: ctx.lockWait }),
    ...(ctx.arch !== undefined && { arch: ctx.arch }),
    blocking: true,
    progress: ctx.progress,
  };
}

/**
 * Runs `run` on each target file (FILE, or those of --files-from), reporting each outcome. `verb`
 * names what was done in summaries (`filled`, `copied`).
 */
export async function runOverwrite(
  ctx: Context,
  command: string,
  named: readonly string[],
  opts: Record<string, unknown>,
  verb: string,
  run: (path: string, options: OverwriteOptions) => Promise<OverwriteOutcome>,
): Promise<Result> {
  const t = await targets(command, named, opts);
  if (!t.several) ctx.path = t.files[0];
  const base = overwriteOptions(ctx, opts);
  const timer = new Timer();
  timer.lap('parse');
  const total = (tally: Tally): string =>
    `${base.dryRun ? 'dry run: ' : ''}${verb} ${files(tally.status[base.dryRun ? 'dry-run' : 'applied'] ?? 0)}, ${tally.status.already ?? 0} already done, ${tally.failed} failed${took(tally)}`;
  return eachFile(
    ctx,
    t,
    async (path) => {
      ctx.path = path;
      const fileTimer = t.several ? new Timer() : timer;
      const r = await run(path, { ...base, clock: fileTimer });
      return render(r, verb, fileTimer);
    },
    { total, prefixSummary: true },
  );
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

/** The summary, listing and --json report of one file's overwrite. */
export function render(r: OverwriteOutcome, verb: string, timer: Timer): Result {
  const where = `${formatOffset(r.offset)}:${r.length}`;
  const json = {
    status: r.status,
    file: r.path,
    op: r.op,
    offset: r.offset,
    length: r.length,
    size: r.size,
    dryRun: r.dryRun,
    bytesChanged: r.bytesChanged,
    change: r.change && { offset: r.change.offset, old: hex(r.change.old), new: hex(r.change.new) },
    sha256: r.sha256,
    bytesWritten: r.bytesWritten,
    windows: r.windows,
    synced: r.synced,
    journal: r.journal,
    failure: r.failure && {
      guard: r.failure.guard,
      message: r.failure.message,
      ...(r.failure.offset !== undefined && { offset: r.failure.offset }),
      ...(r.failure.expected !== undefined && { expected: hex(r.failure.expected) }),
      ...(r.failure.found !== undefined && { found: hex(r.failure.found) }),
    },
    timings: timer.json(),
  };
  const hashText = r.sha256 ? `; sha256 ${r.sha256.before?.slice(0, 12)}… -> ${r.sha256.after?.slice(0, 12)}…` : '';
  switch (r.status) {
    case 'failed': {
      const what = r.failure?.guard === 'expect' ? '--expect' : r.failure?.guard === 'sha256' ? '--expect-sha256' : '--expect-result-sha256';
      const message = `${what}: ${r.failure?.message ?? 'a guard failed'}`;
      return { stdout: `FAILED ${message}\n`, showSummary: false, exitCode: EXIT_GUARD, error: `guard failed, nothing written: ${message}`, json };
    }
    case 'already':
      return { summary: `already: ${where} of ${r.path} holds the result of ${r.op}, nothing written${hashText} ${timer.describe()}`, showSummary: true, json };
    case 'dry-run': {
      const lines = r.change ? formatChangeListing(r.change.offset, r.change.old, r.change.new, `${r.op} (first change)`) : [];
      if (r.sha256?.before) lines.push(`sha256 before ${r.sha256.before}`);
      if (r.sha256?.after) lines.push(`sha256 after  ${r.sha256.after}`);
      return {
        stdout: lines.length ? `${lines.join('\n')}\n` : '',
        summary: `dry run: ${r.op} would change ${plural(r.bytesChanged, 'byte')} of ${where} of ${r.path}; the file is untouched ${timer.describe()}`,
        showSummary: true,
        json,
      };
    }
    case 'applied': {
      const first = r.change
        ? ` (first at ${formatOffset(r.change.offset)}: ${formatHex(r.change.old.subarray(0, 8))} -> ${formatHex(r.change.new.subarray(0, 8))})`
        : '';
      return {
        summary: `${verb} ${where} of ${r.path}: ${r.op}, ${plural(r.bytesChanged, 'byte')} changed${first}${hashText}${r.journal ? '' : ' (no journal)'} ${timer.describe()}`,
        showSummary: true,
        json,
      };
    }
  }
}
