// mmapx stamp FILE... --placeholder DATA --value DATA [--text] [--count N] [--pad 00|space]
// [--terminate]: a value written padded over every match of a placeholder (exactly N), guarded,
// journaled and idempotent (the engine: src/edit/stamp.ts over src/edit/patch.ts; several files
// in batches like patch, src/edit/batch.ts).
import type { PatchJob } from '../../edit/patch.js';
import { showBytes, type StampBytes, stampBytes, type StampOutcome, stampOutcome, stampPatch } from '../../edit/stamp.js';
import { Timer } from '../../edit/timing.js';
import { EXIT_GUARD, InputError } from '../../errors.js';
import { parseHexData, parseTextData } from '../../format/data.js';
import { parseNumber } from '../../format/number.js';
import { formatHex } from '../../format/patch/lex.js';
import type { Plan } from '../../format/patch/index.js';
import { plural } from '../../format/units.js';
import type { Context, Result } from '../context.js';
import { files, type Tally, targets, took } from '../multi.js';
import { eachPatched } from '../patched.js';
import { parseSha256 } from '../patch-sources.js';

/** Bytes of old/new shown per location in --json. */
const SHOWN = 256;

function data(opts: Record<string, unknown>, name: 'placeholder' | 'value'): Uint8Array {
  const v = opts[name];
  if (v === undefined) throw new InputError(`missing required option '--${name}' (see 'mmapx stamp --help')`);
  const text = String(v);
  try {
    return opts.text ? parseTextData(text) : parseHexData([text]);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`--${name}: ${err.message}${opts.text ? '' : ' (give --text for text)'}`);
    throw err;
  }
}

function parsePad(v: unknown): number {
  if (v === undefined) return 0;
  const t = String(v).toLowerCase();
  if (t === 'space') return 0x20;
  if (/^[0-9a-f]{2}$/.test(t)) return Number.parseInt(t, 16);
  throw new InputError(`--pad ${String(v)}: give 00, space, or one byte as two hex digits`);
}

function parseCount(v: unknown): number {
  if (v === undefined) return 1;
  const n = parseNumber(String(v), '--count');
  if (n < 1n || n > 1_000_000n) throw new InputError(`--count ${String(v)} must be 1 to 1000000`);
  return Number(n);
}

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

export default async function stamp(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const timer = new Timer();
  const s = stampBytes({
    placeholder: data(opts, 'placeholder'),
    value: data(opts, 'value'),
    count: parseCount(opts.count),
    pad: parsePad(opts.pad),
    terminate: !!opts.terminate,
  });
  const expectResult = opts.expectResultSha256 !== undefined ? parseSha256(String(opts.expectResultSha256), '--expect-result-sha256') : undefined;
  const t = await targets('stamp', (args[0] as string[] | undefined) ?? [], { filesFrom: opts.filesFrom });
  timer.lap('parse');
  let plan: Plan | undefined;
  const job: PatchJob = {
    patch: stampPatch(s),
    sources: ['stamp'],
    dryRun: !!opts.dryRun,
    journal: opts.journal !== false,
    hash: opts.hash === true,
    grow: false,
    truncate: false,
    expectResultSha256: expectResult,
    force: !!opts.force,
    lockWait: ctx.lockWait,
    blocking: true,
    signal: undefined,
    progress: ctx.progress,
    workers: true,
    onPlan: (p) => (plan = p),
  };
  const record = opts.record !== false;
  const total = (tally: Tally): string => {
    const rest = `${tally.status.already ?? 0} already stamped, ${tally.failed} failed${took(tally)}`;
    return job.dryRun ? `dry run: ${files(tally.status['dry-run'] ?? 0)} would be stamped, ${rest}` : `stamped ${files(tally.status.stamped ?? 0)}, ${rest}`;
  };
  const take = (): Plan | undefined => {
    const p = plan;
    plan = undefined;
    return p;
  };
  return eachPatched(
    ctx,
    t,
    job,
    timer,
    (path, fileTimer) => {
      // The plan of this file (patchOne and a batch's join plan it before they return).
      const p = take();
      return (outcome) => render(ctx, s, stampOutcome(path, s, outcome, p, { record }), fileTimer, t.several);
    },
    total,
  );
}

function render(ctx: Context, s: StampBytes, r: StampOutcome, timer: Timer, several: boolean): Result {
  const path = r.path;
  const p = r.patch;
  const locations = r.locations.map((l) => ({ offset: l.offset, old: hexOf(l.old.subarray(0, SHOWN)), new: hexOf(l.new.subarray(0, SHOWN)), state: l.state }));
  const json = {
    status: r.status,
    file: path,
    placeholder: hexOf(s.placeholder),
    value: hexOf(s.value),
    length: s.placeholder.length,
    count: s.count,
    dryRun: p.dryRun,
    locations,
    bytesChanged: p.status === 'applied' || p.status === 'dry-run' ? p.bytesChanged : 0,
    sha256: p.sha256,
    journal: p.status === 'applied' ? p.journal : null,
    record: r.record,
    timings: p.timings,
  };
  const name = (text: string): string => (several ? text.replace(/^(?=.)/gm, `${path}: `) : text);
  const where = (state?: 'apply' | 'already'): string =>
    r.locations
      .filter((l) => state === undefined || l.state === state)
      .map((l) => `0x${l.offset.toString(16)}`)
      .join(', ');
  const value = showBytes(s.value);
  switch (r.status) {
    case 'failed':
      return {
        stdout: name(`FAILED ${r.failure}\n`),
        showSummary: false,
        exitCode: EXIT_GUARD,
        error: `nothing written: ${r.failure}`,
        json: {
          ...json,
          failures: [r.failure],
          ...(r.found && { found: { value: hexOf(r.found.value), offsets: r.found.offsets } }),
        },
      };
    case 'already':
      return {
        summary: `already stamped: ${path} holds ${value} at ${where()}, nothing written ${timer.describe()}`,
        showSummary: true,
        json,
      };
    case 'dry-run': {
      const lines = r.locations.map(
        (l) => `0x${l.offset.toString(16)}: ${formatHex(l.old)} -> ${formatHex(l.new)}${l.state === 'already' ? ' (already)' : ''}`,
      );
      if (p.sha256?.before) lines.push(`sha256 before ${p.sha256.before}`);
      if (p.sha256?.after) lines.push(`sha256 after  ${p.sha256.after}`);
      return {
        stdout: name(`${lines.join('\n')}\n`),
        summary: `dry run: would stamp ${value} at ${where('apply')} of ${path}; the file is untouched ${timer.describe()}`,
        showSummary: true,
        json,
      };
    }
    case 'stamped':
      return {
        ...(!ctx.globals.quiet &&
          !ctx.globals.json && {
            summary:
              `stamped ${path}: ${value} at ${where('apply')} (${plural(s.placeholder.length, 'byte')} each)` +
              `${p.status === 'applied' && p.journal === null ? ' (no journal)' : ''}${r.record === null ? ' (no stamp record written)' : ''} ${timer.describe()}`,
          }),
        showSummary: true,
        json,
      };
  }
}
