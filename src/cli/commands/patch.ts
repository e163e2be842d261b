// mmapx patch FILE [PATCH|-] [--edit SPEC]... [--find HEX --replace HEX [--all|--count N]]:
// guarded, idempotent, all-or-nothing binary patching (the engine: src/edit/patch.ts, and
// src/edit/batch.ts for several files). Also FILE... with --patch PATCH, --edit or --find (or
// --files-from LIST): the patch is read and parsed once, then each file is patched on its own in
// batches that share their syncs; src/cli/multi.ts prints the files' results in order.
//
// This file reads the patch's sources (the PATCH file or standard input, --edit, --find/--replace),
// hands the parsed patch to the engine, and renders each file's outcome as text or JSON.
import { constants as bufferConstants } from 'node:buffer';
import { PatchBatch } from '../../edit/batch.js';
import { fsError } from '../../edit/files.js';
import { Later } from '../../edit/later.js';
import { commit, Pending, type PatchFormat, type PatchJob, type PatchOutcome, parsePatch, prepare } from '../../edit/patch.js';
import { Timer } from '../../edit/timing.js';
import { EXIT_GUARD, InputError } from '../../errors.js';
import { parseNumber, parseOffset } from '../../format/number.js';
import {
  detectDumpLayout,
  findReplaceHunk,
  formatChangeListing,
  isEmptyPatch,
  looksLikeIps,
  looksLikePlainDump,
  mergePatches,
  parseEditSpec,
  type Patch,
} from '../../format/patch/index.js';
import type { Context, Result } from '../context.js';
import { readInput } from '../input.js';
import { eachFile, files, missingArgument, plural, type Tally, targets, took } from '../multi.js';

/** Bytes of old/new shown per change in --json. */
const SHOWN = 64;

/** The options of patch, made once from commander's values. */
interface PatchCliOptions {
  readonly patch: string | undefined;
  readonly filesFrom: string | undefined;
  /** --format as given (undefined: native, and none was given). */
  readonly format: PatchFormat | undefined;
  readonly seek: string | undefined;
  readonly edit: readonly string[];
  readonly find: readonly string[];
  readonly replace: readonly string[];
  readonly all: boolean;
  readonly count: string | undefined;
  readonly grow: boolean;
  readonly truncate: boolean;
  readonly allowEmpty: boolean;
  readonly dryRun: boolean;
  readonly expectResultSha256: string | undefined;
  readonly hash: boolean;
  readonly journal: boolean;
  readonly force: boolean;
  /** The inline sources given, for the ambiguity error: `--edit`, `--find/--replace`. */
  readonly inline: string | undefined;
}

function parseOptions(opts: Record<string, unknown>): PatchCliOptions {
  const text = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));
  const list = (v: unknown): readonly string[] => (v as string[] | undefined) ?? [];
  const inline = [opts.edit !== undefined && '--edit', (opts.find !== undefined || opts.replace !== undefined) && '--find/--replace'].filter(Boolean);
  return {
    patch: text(opts.patch),
    filesFrom: text(opts.filesFrom),
    format: opts.format as PatchFormat | undefined, // commander checked the choices
    seek: text(opts.seek),
    edit: list(opts.edit),
    find: list(opts.find),
    replace: list(opts.replace),
    all: !!opts.all,
    count: text(opts.count),
    grow: !!opts.grow,
    truncate: !!opts.truncate,
    allowEmpty: !!opts.allowEmpty,
    dryRun: !!opts.dryRun,
    expectResultSha256: text(opts.expectResultSha256),
    hash: opts.hash === true,
    journal: opts.journal !== false,
    force: !!opts.force,
    inline: inline.length ? inline.join(' and ') : undefined,
  };
}

async function readPatchFile(arg: string, format: PatchFormat): Promise<{ bytes: Buffer; name: string }> {
  const name = arg === '-' ? 'stdin' : arg;
  const input = {
    what: 'the patch',
    terminal: 'PATCH is - but standard input is a terminal: pipe the patch in',
    // Every format but IPS is text, and becomes one string.
    ...(format !== 'ips' && { fileLimit: bufferConstants.MAX_STRING_LENGTH }),
  };
  try {
    return { bytes: await readInput(arg, input), name };
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw fsError(err, arg === '-' ? 'cannot read the patch from standard input' : `cannot read the patch ${arg}`);
  }
}

/** Parses the patch file in `format`; a native parse error says when the text looks like another format. */
function parsePatchFile(bytes: Buffer, name: string, format: PatchFormat, seek: bigint): Patch {
  try {
    return parsePatch(bytes, { format, name, seek });
  } catch (err) {
    if (!(err instanceof InputError) || format !== 'native') throw err;
    const text = bytes.toString('utf8');
    const hint = looksLikeIps(bytes)
      ? ' (this looks like an IPS patch: use --format ips)'
      : looksLikePlainDump(text)
        ? ' (this looks like a plain hex dump, xxd -p: use --format plain --seek OFFSET)'
        : detectDumpLayout(text) !== undefined && !/^\s*(0x|find\b|size\b|sha256\b|#)/.test(text)
          ? ' (this looks like a hex dump: use --format xxd)'
          : '';
    throw hint ? new InputError(`${err.message}${hint}`, err.location) : err;
  }
}

/**
 * `--seek OFFSET`: where the bytes of a plain dump go (xxd -r -p -s), 0 without it; negative
 * counts from the end of the file. Only a plain dump has no offsets of its own.
 * @throws InputError for --seek without --format plain, a bad offset, or -0.
 */
function plainSeek(o: PatchCliOptions, format: PatchFormat): bigint {
  if (o.seek === undefined) return 0n;
  const text = o.seek;
  if (format !== 'plain') throw new InputError(`--seek ${text} only goes with --format plain: ${format === 'native' ? 'a native patch' : `an ${format} patch`} says where its bytes go`);
  const at = parseOffset(text);
  if (at.fromEnd && at.value === 0n) throw new InputError(`--seek ${text}: -0 is the end of the file, where no byte of the dump can go (the last byte is -1)`);
  return at.value;
}

/** The refusal of a patch file that asks for no change (see isEmptyPatch). */
function emptyPatch(arg: string, format: PatchFormat, bytes: Buffer): InputError {
  const what = bytes.length === 0 ? 'is empty' : format === 'ips' ? 'has no record' : 'has no hunk';
  const name = arg === '-' ? 'on standard input' : arg;
  return new InputError(`the patch ${name} ${what}: refusing a patch that changes nothing (a truncated download looks like this); --allow-empty accepts it`);
}

async function collectSources(patchArg: string | undefined, o: PatchCliOptions, several: boolean): Promise<{ patch: Patch; sources: string[] }> {
  const patches: Patch[] = [];
  const sources: string[] = [];
  const format = o.format ?? 'native';
  const seek = plainSeek(o, format);
  if (patchArg !== undefined) {
    const { bytes, name } = await readPatchFile(patchArg, format);
    const parsed = parsePatchFile(bytes, name, format, seek);
    if (isEmptyPatch(parsed) && !o.allowEmpty) throw emptyPatch(patchArg, format, bytes);
    patches.push(parsed);
    sources.push(format === 'native' ? name : `${name} (${format})`);
  } else if (o.format !== undefined) {
    throw new InputError(`--format ${format} describes a PATCH file, and none was given`);
  } else if (o.allowEmpty) {
    throw new InputError('--allow-empty describes a PATCH file, and none was given');
  }
  if (o.edit.length > 0) {
    patches.push({ hunks: o.edit.map((spec, i) => parseEditSpec(spec, i + 1)), guards: {} });
    sources.push(`--edit x${o.edit.length}`);
  }
  // Repeatable in pairs: the Nth --replace goes with the Nth --find; each pair is one hunk.
  const { find: finds, replace: replaces } = o;
  if (finds.length > 0 || replaces.length > 0) {
    if (finds.length === 0) throw new InputError('--replace needs --find');
    if (replaces.length === 0) throw new InputError('--find needs --replace (to only search, use mmapx find)');
    if (finds.length !== replaces.length) {
      throw new InputError(`--find and --replace go in pairs: ${finds.length} --find but ${replaces.length} --replace`);
    }
    let count: number | undefined;
    if (o.count !== undefined) {
      const n = parseNumber(o.count, 'count');
      if (n < 1n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(`--count ${o.count} must be ${n < 1n ? 'at least 1' : 'at most 2^53-1'}`);
      count = Number(n);
    }
    const expect = { all: o.all, ...(count !== undefined && { count }) };
    patches.push({ hunks: finds.map((find, i) => findReplaceHunk(find, replaces[i]!, expect, i + 1)), guards: {} });
    sources.push(finds.length > 1 ? `--find/--replace x${finds.length}` : '--find/--replace');
  } else if (o.all || o.count !== undefined) {
    throw new InputError(`${o.all ? '--all' : '--count'} only goes with --find/--replace`);
  }
  if (patches.length === 0) {
    throw new InputError(
      several
        ? 'nothing to apply: give --patch PATCH (or - for stdin), --edit, or --find/--replace (every argument is a FILE here)'
        : 'nothing to apply: give a PATCH file (or - for stdin), --edit, or --find/--replace',
    );
  }
  return { patch: mergePatches(patches), sources };
}

function parseSha256(text: string, what: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new InputError(`${what} must be 64 hex digits of SHA-256, not ${JSON.stringify(text.slice(0, 80))}`);
  return text.toLowerCase();
}

/**
 * Which arguments are FILEs and which one is the PATCH file. With --patch or --files-from every
 * argument is a FILE. Otherwise one argument is the FILE; two are FILE PATCH, unless --edit or
 * --find is given too: then the second could be either (a glob that matched two files), and that
 * is refused rather than guessed; three or more are FILEs, with --edit or --find.
 * @throws InputError (exit 2) for the ambiguous and the incomplete forms.
 */
export function patchOperands(
  args: readonly string[],
  opts: { patch?: string | undefined; filesFrom?: boolean; inline?: string | undefined },
): { files: string[]; patch: string | undefined } {
  if (opts.patch !== undefined || opts.filesFrom) return { files: [...args], patch: opts.patch };
  if (args.length === 0) throw missingArgument('file', 'patch');
  if (args.length === 1) return { files: [...args], patch: undefined };
  if (args.length === 2) {
    if (opts.inline === undefined) return { files: [args[0]!], patch: args[1] };
    throw new InputError(
      `two arguments with ${opts.inline}: is ${args[1]} a second FILE or a PATCH file? Give the patch file with --patch PATCH, or the files with --files-from LIST; nothing was changed`,
    );
  }
  if (opts.inline !== undefined) return { files: [...args], patch: undefined };
  throw new InputError(`${args.length} arguments and no --patch: give the patch file with --patch PATCH (every argument is then a FILE); nothing was changed`);
}

export default async function patch(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const timer = new Timer();
  const o = parseOptions(opts);
  const operands = patchOperands((args[0] as string[] | undefined) ?? [], { patch: o.patch, filesFrom: o.filesFrom !== undefined, inline: o.inline });
  // With --files-from a PATCH can only come from --patch.
  const t = await targets('patch', operands.files, { filesFrom: o.filesFrom }, operands.patch === '-' ? '--patch -' : undefined);
  // One file: errors about the patch name the file, as they always did.
  if (!t.several) ctx.path = t.files[0];
  const { patch: parsed, sources } = await collectSources(operands.patch, o, t.several);
  const expectResult = o.expectResultSha256 !== undefined ? parseSha256(o.expectResultSha256, '--expect-result-sha256') : undefined;
  timer.lap('parse');
  const job: PatchJob = {
    patch: parsed,
    sources,
    dryRun: o.dryRun,
    journal: o.journal,
    hash: o.hash,
    grow: o.grow,
    truncate: o.truncate,
    expectResultSha256: expectResult,
    force: o.force,
    lockWait: ctx.lockWait,
    blocking: true,
    signal: undefined,
    progress: ctx.progress,
    workers: true,
  };
  const show = (outcome: PatchOutcome, fileTimer: Timer): Result => render(ctx, outcome, fileTimer, t.several);
  const total = (tally: Tally) => totalLine(tally, job.dryRun);
  if (!t.several || job.dryRun) {
    return eachFile(
      ctx,
      t,
      async (path) => {
        ctx.path = path;
        const fileTimer = t.several ? new Timer() : timer;
        const p = await prepare(path, job, fileTimer);
        if (!(p instanceof Pending)) return show(p, fileTimer);
        commit([p]);
        return show(p.later.take(), fileTimer);
      },
      { total },
    );
  }
  const batch = new PatchBatch(job);
  return eachFile(
    ctx,
    t,
    async (path) => {
      ctx.path = path;
      const fileTimer = new Timer({ sumOfPhases: true });
      const r = await batch.join(path, fileTimer);
      return r instanceof Later ? r.map((outcome) => show(outcome, fileTimer)) : show(r, fileTimer);
    },
    { total, batch },
  );
}

/** `patched 998 files, 2 already applied, 0 failed in 123 ms` */
function totalLine(t: Tally, dryRun: boolean): string {
  const already = `${t.status.already ?? 0} already applied, ${t.failed} failed${took(t)}`;
  return dryRun ? `dry run: ${files(t.status['dry-run'] ?? 0)} would change, ${already}` : `patched ${files(t.status.applied ?? 0)}, ${already}`;
}

/** In a several-file run each line of a file's output names the file: `fw.bin: FAILED ...`. */
function named(text: string, path: string, several: boolean): string {
  return several ? text.replace(/^(?=.)/gm, `${path}: `) : text;
}

function short(hash: string | null | undefined): string {
  return hash == null ? '' : hash.slice(0, 12);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/** A file's outcome as the command prints it: text (stdout, summary, error line) and the --json object. */
function render(ctx: Context, r: PatchOutcome, timer: Timer, several: boolean): Result {
  const path = r.path;
  const base = { file: path, sources: r.sources, dryRun: r.dryRun, hunks: r.hunks, sizeBefore: r.sizeBefore, sizeAfter: r.sizeAfter };
  const c = r.hunks;
  const sha256 = r.sha256;
  const resize = r.sizeAfter !== r.sizeBefore ? `, size ${r.sizeBefore} -> ${r.sizeAfter}` : '';
  switch (r.status) {
    case 'failed': {
      if (r.guard !== 'hunks') {
        // One whole-file guard: a `sha256 before|after` line, or --expect-result-sha256.
        const message = r.guard === 'result-sha256' ? `--expect-result-sha256: ${r.failures[0]}` : r.failures[0]!;
        return {
          stdout: named(`FAILED ${message}\n`, path, several),
          showSummary: false,
          exitCode: EXIT_GUARD,
          error: `guard failed, nothing written: ${message}`,
          json: { status: 'failed', ...base, bytesChanged: 0, failures: [message], failedHunks: [], sha256, journal: null, timings: r.timings },
        };
      }
      const failedHunks = r.failedHunks.map((h) => ({
        source: h.source,
        offset: h.offset,
        expected: hex(h.expected),
        actual: hex(h.found),
        ...(h.match !== undefined && { match: h.match }),
      }));
      const more = r.failures.length > 1 ? ` (and ${r.failures.length - 1} more)` : '';
      return {
        stdout: named(r.failures.map((f) => `FAILED ${f}\n`).join(''), path, several),
        showSummary: false,
        exitCode: EXIT_GUARD,
        error: `${plural(r.failures.length, 'guard')} failed, nothing written: ${r.failures[0]!}${more}`,
        json: { status: 'failed', ...base, bytesChanged: 0, failures: r.failures, failedHunks, sha256: null, journal: null, timings: r.timings },
      };
    }
    case 'already':
      return {
        summary: `already applied: ${path} holds the new bytes of ${plural(c.total, 'hunk')}, nothing written${sha256?.before ? `; sha256 ${short(sha256.before)}…` : ''} ${timer.describe()}`,
        showSummary: true,
        json: { status: 'already', ...base, bytesChanged: 0, sha256, journal: null, timings: r.timings },
      };
    case 'dry-run': {
      const lines: string[] = [];
      const changes: Record<string, unknown>[] = [];
      for (const ch of r.changes) {
        for (const l of formatChangeListing(ch.offset, ch.old, ch.new, ch.source)) lines.push(l);
        changes.push({ source: ch.source, offset: ch.offset, length: ch.new.length, old: hex(ch.old.subarray(0, SHOWN)), new: hex(ch.new.subarray(0, SHOWN)) });
      }
      if (r.sizeAfter !== r.sizeBefore) {
        const how = r.sizeAfter > r.sizeBefore ? 'grown, zero-filled' : `truncated, ${r.sizeBefore - r.sizeAfter} bytes cut off`;
        lines.push(`size ${r.sizeBefore} -> ${r.sizeAfter} (${how})`);
      }
      if (sha256?.before) lines.push(`sha256 before ${sha256.before}`);
      if (sha256?.after) lines.push(`sha256 after  ${sha256.after}`);
      return {
        stdout: named(`${lines.join('\n')}\n`, path, several),
        summary: `dry run: ${plural(c.applied, 'hunk')} would change ${plural(r.bytesChanged, 'byte')} of ${path}${c.already ? ` (${c.already} already applied)` : ''}${resize}; the file is untouched ${timer.describe()}`,
        showSummary: true,
        json: { status: 'dry-run', ...base, bytesChanged: r.bytesChanged, sha256, journal: null, changes, timings: r.timings },
      };
    }
    case 'applied': {
      const hashText = sha256 ? `; sha256 ${short(sha256.before)}… -> ${short(sha256.after)}…` : '';
      return {
        // Only made when it is printed: a quiet run over 1,000 files formats none.
        ...(!ctx.globals.quiet &&
          !ctx.globals.json && {
            summary:
              `patched ${path}: ${plural(c.applied, 'hunk')} applied (${plural(r.bytesChanged, 'byte')} changed)` +
              `${c.already ? `, ${c.already} already applied` : ''}${resize}${hashText}` +
              `${r.journal ? '' : ' (no journal)'} ${timer.describe()}`,
          }),
        showSummary: true,
        json: {
          status: 'applied',
          ...base,
          bytesChanged: r.bytesChanged,
          bytesWritten: r.bytesWritten,
          windows: r.windows,
          synced: r.synced,
          sha256,
          journal: r.journal,
          timings: r.timings,
        },
      };
    }
  }
}
