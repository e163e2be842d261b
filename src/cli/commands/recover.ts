// mmapx recover FILE: roll back a patch that was interrupted (crash, kill, power loss) from the
// journal it left beside the file, then remove the journal (the engine: src/edit/recover.ts).
// FILE... (or --files-from LIST): each file on its own (src/cli/multi.ts runs the loop), as after
// a several-file patch that was killed with the journals of a whole batch of files in place.
import type { RecoverReport } from '../../edit/recover.js';
import { recoverFile } from '../../edit/recover.js';
import { Timer } from '../../edit/timing.js';
import type { Context, Result } from '../context.js';
import { formatOffset } from '../../format/number.js';
import { plural } from '../../format/units.js';
import { eachFile, files, type Tally, targets, took } from '../multi.js';

/** The options of recover, made once from commander's values. */
interface RecoverOptions {
  readonly files: readonly string[];
  readonly filesFrom: string | undefined;
  readonly force: boolean;
}

/** recover's options from commander's values: the one place they are read and typed. */
function parseOptions(args: unknown[], opts: Record<string, unknown>): RecoverOptions {
  return {
    files: (args[0] as string[] | undefined) ?? [],
    filesFrom: opts.filesFrom === undefined ? undefined : String(opts.filesFrom),
    force: opts.force === true,
  };
}

export default async function recover(ctx: Context, args: unknown[], rawOpts: Record<string, unknown>): Promise<Result> {
  const o = parseOptions(args, rawOpts);
  const t = await targets('recover', o.files, { filesFrom: o.filesFrom });
  const timer = new Timer();
  return eachFile(
    ctx,
    t,
    async (path) => {
      ctx.path = path;
      const each = t.several ? new Timer() : timer;
      const r = await recoverFile(path, { force: o.force, lockWait: ctx.lockWait, blocking: true }, each);
      return render(r, each);
    },
    { total },
  );
}

/** `recovered 2 files, 1 incomplete journal removed, 197 had nothing to recover, 0 failed in 12.30 ms` */
function total(t: Tally): string {
  const restored = (t.status.restored ?? 0) + (t.status['restored-cut'] ?? 0) + (t.status.completed ?? 0);
  const incomplete = t.status['incomplete-removed'] ?? 0;
  return (
    `recovered ${files(restored)}, ${incomplete} incomplete journal${incomplete === 1 ? '' : 's'} removed, ` +
    `${t.status.nothing ?? 0} had nothing to recover, ${t.failed} failed${took(t)}`
  );
}

function render(r: RecoverReport, timer: Timer): Result {
  const path = r.path;
  const timings = r.timings;
  switch (r.status) {
    case 'nothing':
      return {
        summary:
          r.reason === 'none'
            ? `nothing to recover: no journal for ${path} ${timer.describe()}`
            : `nothing to recover: the journal of ${path} is gone (the patch that wrote it finished) ${timer.describe()}`,
        showSummary: true,
        json: { status: 'nothing', file: path, journal: null, timings },
      };
    case 'incomplete-removed':
      return {
        summary: `removed an incomplete journal (${r.reason}): the interrupted patch had not written anything, ${path} is unchanged ${timer.describe()}`,
        showSummary: true,
        json: { status: 'incomplete-removed', file: path, journal: r.journal, reason: r.reason, timings },
      };
    case 'restored-cut': {
      const dropped = r.dropped!;
      return {
        summary:
          `recovered ${path} as far as it reaches: another program had cut it to ${r.sizeFound} bytes (the journal expects ${r.sizeBefore} or ${r.sizeAfter}); ` +
          `restored ${plural(r.ranges, 'range')} (${plural(r.bytes, 'byte')}) below that end and verified them, ` +
          `dropped ${dropped.bytes} journal byte${dropped.bytes === 1 ? '' : 's'} at or past it; the size stays ${r.size} ${timer.describe()}`,
        showSummary: true,
        json: {
          status: 'restored-cut',
          file: path,
          journal: r.journal,
          ranges: r.ranges,
          bytes: r.bytes,
          dropped,
          sizeFound: r.sizeFound,
          size: r.size,
          timings,
        },
      };
    }
    case 'completed': {
      const resized = r.sizeFound !== r.size ? `, size ${r.sizeFound} -> ${r.size}` : '';
      return {
        summary:
          r.kind === 'patch'
            ? `recovered ${path}: finished the interrupted patch (rolled forward: ${r.stages!.finished} of ${plural(r.stages!.total, 'insert or delete', 'inserts and deletes')} had finished, ` +
              `${plural(Number(r.remaining), 'tail byte')} of the next still to move${resized}) ${timer.describe()}`
            : `recovered ${path}: finished the interrupted ${r.kind} of ${plural(Number(r.length), 'byte')} at ${formatOffset(r.offset)} ` +
              `(rolled forward, ${plural(Number(r.remaining), r.kind === 'transform' ? 'byte' : 'tail byte')} still to ${r.kind === 'transform' ? 'transform' : 'move'}${resized}) ${timer.describe()}`,
        showSummary: true,
        json: {
          status: 'completed',
          file: path,
          journal: r.journal,
          kind: r.kind,
          offset: r.offset,
          length: r.length,
          remaining: r.remaining,
          ...(r.stages && { stages: r.stages }),
          sizeFound: r.sizeFound,
          size: r.size,
          timings,
        },
      };
    }
    case 'restored': {
      const resized = r.sizeFound !== r.sizeBefore ? `, size ${r.sizeFound} -> ${r.sizeBefore}` : '';
      return {
        summary:
          `recovered ${path}: restored ${plural(r.ranges, 'range')} (${plural(r.bytes, 'byte')}) ` +
          `from the journal and verified them${resized}; the interrupted patch is rolled back ${timer.describe()}`,
        showSummary: true,
        json: { status: 'restored', file: path, journal: r.journal, ranges: r.ranges, bytes: r.bytes, sizeFound: r.sizeFound, size: r.size, timings },
      };
    }
  }
}
