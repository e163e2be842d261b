// What `mmapx insert` and `mmapx delete` share: their options made once from commander's values,
// the run over one file (the engine's shiftFile, src/edit/shift.ts) and its report.
import { withFile } from '../edit/files.js';
import { type ShiftOutcome, shiftFile } from '../edit/shift.js';
import type { Timer } from '../edit/timing.js';
import type { WriteData } from '../edit/write.js';
import { formatHex, parseHexData } from '../format/data.js';
import { formatOffset, type Offset } from '../format/number.js';
import type { Range } from '../format/range.js';
import type { Context, Result } from './context.js';
import { files, type Tally, took } from './multi.js';
import { parseSha256 } from './patch-sources.js';

/** The options of insert and delete, shared by every file of a run. */
export interface ShiftCliOptions {
  readonly expect: Uint8Array | undefined;
  readonly dryRun: boolean;
  readonly hash: boolean;
  readonly journal: boolean;
  readonly expectResultSha256: string | undefined;
  readonly force: boolean;
}

export function shiftOptions(opts: Record<string, unknown>): ShiftCliOptions {
  return {
    expect: opts.expect !== undefined ? parseHexData([String(opts.expect)]) : undefined,
    dryRun: !!opts.dryRun,
    hash: opts.hash === true,
    journal: opts.journal !== false,
    expectResultSha256: opts.expectResultSha256 !== undefined ? parseSha256(String(opts.expectResultSha256), '--expect-result-sha256') : undefined,
    force: !!opts.force,
  };
}

/** Inserts or deletes in one file and reports it. */
export async function shiftOne(
  ctx: Context,
  path: string,
  where: Offset | Range,
  what: { kind: 'insert'; data: WriteData; source: string } | { kind: 'delete' },
  o: ShiftCliOptions,
  timer: Timer,
): Promise<Result> {
  const opening = { write: !o.dryRun, force: o.force, lockWait: ctx.lockWait, blocking: true, access: 'written' as const, timer };
  const r = await withFile(path, opening, (file) =>
    shiftFile(file, where, what.kind === 'insert' ? { kind: 'insert', data: what.data } : { kind: 'delete' }, {
      ...(o.expect && { expect: o.expect }),
      dryRun: o.dryRun,
      hash: o.hash,
      journal: o.journal,
      ...(o.expectResultSha256 !== undefined && { expectResultSha256: o.expectResultSha256 }),
      clock: timer,
      progress: ctx.progress,
      ...(ctx.arch !== undefined && { arch: ctx.arch }),
    }),
  );
  return report(r, what.kind === 'insert' ? what.source : undefined, timer);
}

function report(r: ShiftOutcome, source: string | undefined, timer: Timer): Result {
  const shown = (bytes: Uint8Array, more: boolean): string => (bytes.length === 0 ? 'nothing' : `${formatHex(bytes.subarray(0, 8))}${more ? ' …' : ''}`);
  const n = `${r.length} byte${r.length === 1n ? '' : 's'}`;
  const what = r.kind === 'insert' ? `insert ${n} (${shown(r.new, r.length > 8n)})` : `delete ${n} (${shown(r.old, r.length > 8n)})`;
  const dry = r.status === 'dry-run';
  const how =
    r.method === 'none'
      ? 'no tail to move'
      : `${r.moved} tail byte${r.moved === 1n ? '' : 's'} ${r.method === 'extents' ? (dry ? 'to move by extents' : 'moved by extents') : dry ? 'to copy' : 'copied'}`;
  const hashes = r.hashes ? `; sha256 ${r.hashes.before ? `${r.hashes.before} -> ` : 'after '}${r.hashes.after}` : '';
  const verb = r.status === 'dry-run' ? `dry run: would ${what}` : `${r.kind === 'insert' ? 'inserted' : 'deleted'} ${n}`;
  const shownBytes = r.status === 'dry-run' ? '' : ` (${shown(r.kind === 'insert' ? r.new : r.old, r.length > 8n)})`;
  const summary = `${verb}${shownBytes} at ${formatOffset(r.offset)}, ${how}, size ${r.sizeBefore} -> ${r.sizeAfter}${hashes}${r.status !== 'dry-run' && r.journal === null ? ' (no journal)' : ''} ${timer.describe()}`;
  return {
    summary,
    showSummary: true,
    json: {
      status: r.status,
      file: r.path,
      kind: r.kind,
      offset: r.offset,
      length: r.length,
      ...(source !== undefined && { source }),
      sizeBefore: r.sizeBefore,
      sizeAfter: r.sizeAfter,
      moved: r.moved,
      method: r.method,
      old: Buffer.from(r.old).toString('hex'),
      new: Buffer.from(r.new).toString('hex'),
      sha256Before: r.hashes?.before ?? null,
      sha256After: r.hashes?.after ?? null,
      journal: r.journal,
      timings: timer.json(),
    },
  };
}

/** `inserted into 3 files, 0 failed in 12 ms` */
export function shiftTotal(kind: 'insert' | 'delete'): (t: Tally) => string {
  return (t) => {
    const done = (t.status.inserted ?? 0) + (t.status.deleted ?? 0);
    const dry = t.status['dry-run'] ?? 0;
    return `${kind === 'insert' ? 'inserted into' : 'deleted from'} ${files(done)}${dry ? `, ${dry} dry run${dry === 1 ? '' : 's'}` : ''}, ${t.failed} failed${took(t)}`;
  };
}
