// mmapx patch FILE [PATCH|-] [--edit SPEC]... [--find HEX --replace HEX [--all|--count N]]:
// guarded, idempotent, all-or-nothing binary patching (the engine: src/edit/patch.ts, and
// src/edit/batch.ts for several files). Also FILE... with --patch PATCH, --edit or --find (or
// --files-from LIST): the patch is read and parsed once, then each file is patched on its own in
// batches that share their syncs; src/cli/multi.ts prints the files' results in order.
//
// This file takes the patch from its sources (src/cli/patch-sources.ts: the PATCH file or standard
// input, --edit, --find/--replace), hands it to the engine, and renders each file's outcome as
// text or JSON.
import { constants as bufferConstants } from 'node:buffer';
import type { PatchJob, PatchOutcome, PatchShift } from '../../edit/patch.js';
import { Timer } from '../../edit/timing.js';
import { EXIT_GUARD } from '../../errors.js';
import { formatChangeListing } from '../../format/patch/index.js';
import type { Context, Result } from '../context.js';
import { plural } from '../../format/units.js';
import { type Tally, targets } from '../multi.js';
import { eachPatched, named, totalLine } from '../patched.js';
import { collectSources, parseOptions, parseSha256, patchOperands, readPatchFile } from '../patch-sources.js';
import { DELTA_FORMAT_NAMES, DELTA_MAGIC_BYTES, detectDelta, isDeltaFormat } from '../../format/delta/formats.js';
import { readHead } from '../input.js';
import { InputError } from '../../errors.js';
import { deltaInfo, patchDelta } from './patch-delta.js';

/** Bytes of old/new shown per change in --json. */
const SHOWN = 64;

export default async function patch(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const timer = new Timer();
  const o = parseOptions(opts);
  const list = (args[0] as string[] | undefined) ?? [];
  if (o.info) return deltaInfo(ctx, list, o);
  const operands = patchOperands(list, { patch: o.patch, filesFrom: o.filesFrom !== undefined, inline: o.inline });
  // With --files-from a PATCH can only come from --patch.
  const t = await targets('patch', operands.files, { filesFrom: o.filesFrom }, operands.patch === '-' ? '--patch -' : undefined);
  // One file: errors about the patch name the file, as they always did.
  if (!t.several) ctx.path = t.files[0];
  // A delta (src/cli/commands/patch-delta.ts): by --format, by --out, or by its magic without --format.
  let preread: { bytes: Buffer; name: string } | undefined;
  if (isDeltaFormat(o.format) || o.out !== undefined) {
    if (operands.patch === undefined)
      throw new InputError(`${o.out !== undefined ? '--out' : `--format ${o.format}`} applies a DELTA file, and none was given`);
    if (o.format !== undefined && !isDeltaFormat(o.format))
      throw new InputError(`--out goes with a delta (--format ${DELTA_FORMAT_NAMES.join('|')}), not a ${o.format} patch`);
    return patchDelta(ctx, t, operands.patch, o, o.format, timer);
  }
  if (o.format === undefined && operands.patch !== undefined) {
    // A regular file shows a delta's magic in its first bytes. A pipe or a device is read whole
    // first (its bytes cannot be read twice), and a text patch from it is parsed from those bytes.
    const head = readHead(operands.patch, DELTA_MAGIC_BYTES);
    if (head === undefined) preread = await readPatchFile(operands.patch, 'binary');
    const found = detectDelta(head ?? preread!.bytes);
    if (found !== undefined) return patchDelta(ctx, t, operands.patch, o, found, timer, preread);
    if (preread !== undefined && preread.bytes.length > bufferConstants.MAX_STRING_LENGTH) {
      throw new InputError(
        `the patch ${preread.name} has ${preread.bytes.length} bytes: more than a text patch can hold, and no delta's magic (give --format)`,
      );
    }
  }
  if (o.reverse) throw new InputError('--reverse applies a UPS delta backwards: it does not go with a text patch, --edit or --find');
  const { patch: parsed, sources } = await collectSources(operands.patch, o, t.several, preread);
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
    arch: ctx.arch,
    blocking: true,
    signal: undefined,
    progress: ctx.progress,
    workers: true,
  };
  const total = (tally: Tally) => totalLine(tally, job.dryRun);
  return eachPatched(ctx, t, job, timer, (_path, fileTimer) => (outcome) => render(ctx, outcome, fileTimer, t.several), total);
}

function short(hash: string | null | undefined): string {
  return hash == null ? '' : hash.slice(0, 12);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/** `insert at 0x10: 4 bytes (de ad be ef)` / `delete 0x20..0x30: 16 bytes (00 11 ...)`: one line of a dry run. */
function shiftLine(s: PatchShift): string {
  const bytes = s.kind === 'insert' ? s.new : s.old;
  const shown = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
    .toString('hex')
    .replace(/(..)(?=.)/g, '$1 ');
  const more = BigInt(bytes.length) < s.length ? ' ...' : '';
  const where = s.kind === 'insert' ? `insert at 0x${s.offset.toString(16)}` : `delete 0x${s.offset.toString(16)}..0x${(s.offset + s.length).toString(16)}`;
  return `${s.source}: ${where}: ${plural(Number(s.length), 'byte')} (${shown}${more})`;
}

/** `, 1 insert and 2 deletes` for the summary. */
function shiftsText(shifts: readonly PatchShift[] | undefined): string {
  if (!shifts || shifts.length === 0) return '';
  const ins = shifts.filter((s) => s.kind === 'insert').length;
  const del = shifts.length - ins;
  return `, ${[ins > 0 ? plural(ins, 'insert') : '', del > 0 ? plural(del, 'delete') : ''].filter(Boolean).join(' and ')}`;
}

/** The `shifts` key of the JSON: each insert or delete with its first bytes (64 at most) in hex. */
function shiftsJson(shifts: readonly PatchShift[] | undefined): { shifts?: Record<string, unknown>[] } {
  if (!shifts) return {};
  return {
    shifts: shifts.map((s) => ({
      source: s.source,
      kind: s.kind,
      offset: s.offset,
      length: s.length,
      old: hex(s.old.subarray(0, SHOWN)),
      new: hex(s.new.subarray(0, SHOWN)),
    })),
  };
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
      // Only what is printed is made, the listing for text or the changes for --json: a dry run
      // of a million hunks holds it in memory until it is written.
      const json = ctx.globals.json;
      const lines: string[] = [];
      const changes: Record<string, unknown>[] = [];
      for (const ch of r.changes) {
        // join: one flat string per change (its rows, grown by +=, are trees of small pieces).
        if (!json) lines.push(formatChangeListing(ch.offset, ch.old, ch.new, ch.source).join('\n'));
        else
          changes.push({
            source: ch.source,
            offset: ch.offset,
            length: ch.new.length,
            old: hex(ch.old.subarray(0, SHOWN)),
            new: hex(ch.new.subarray(0, SHOWN)),
          });
      }
      if (r.sizeAfter !== r.sizeBefore && r.shifts) lines.push(`size ${r.sizeBefore} -> ${r.sizeAfter} (the inserts and deletes)`);
      else if (r.sizeAfter !== r.sizeBefore) {
        const how = r.sizeAfter > r.sizeBefore ? 'grown, zero-filled' : `truncated, ${r.sizeBefore - r.sizeAfter} bytes cut off`;
        lines.push(`size ${r.sizeBefore} -> ${r.sizeAfter} (${how})`);
      }
      for (const sh of r.shifts ?? []) lines.push(shiftLine(sh));
      if (sha256?.before) lines.push(`sha256 before ${sha256.before}`);
      if (sha256?.after) lines.push(`sha256 after  ${sha256.after}`);
      return {
        stdout: named(`${lines.join('\n')}\n`, path, several),
        summary: `dry run: ${plural(c.applied, 'hunk')} would change ${plural(r.bytesChanged, 'byte')} of ${path}${c.already ? ` (${c.already} already applied)` : ''}${shiftsText(r.shifts)}${resize}; the file is untouched ${timer.describe()}`,
        showSummary: true,
        json: { status: 'dry-run', ...base, bytesChanged: r.bytesChanged, sha256, journal: null, changes, ...shiftsJson(r.shifts), timings: r.timings },
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
              `${c.already ? `, ${c.already} already applied` : ''}${shiftsText(r.shifts)}${resize}${hashText}` +
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
          ...shiftsJson(r.shifts),
          timings: r.timings,
        },
      };
    }
  }
}
