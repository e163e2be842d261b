// mmapx recover FILE: roll back a patch that was interrupted (crash, kill, power loss) from the
// journal it left beside the file, then remove the journal. See src/cli/journal.ts for the format
// and the rules: an incomplete journal is only removed (its patch never wrote); a journal that is
// a symlink, has other names, belongs to someone else or to another file is refused; a file that
// another program cut below its size before the patch gets back the journal's bytes below its
// end and keeps its size, and the summary says how much of the journal could not be restored.
// FILE... (or --files-from LIST): each file on its own (src/cli/multi.ts runs the loop), as after
// a several-file patch that was killed with the journals of a whole batch of files in place.
import { lstatSync, type Stats } from 'node:fs';
import { pageSize } from '../../mmap/index.js';
import type { Context, Result } from '../context.js';
import { fsError, openFile, shrankSinceOpen } from '../files.js';
import { journalPath, rollBack } from '../journal.js';
import { eachFile, files, type Tally, targets, took } from '../multi.js';
import { Timer } from '../timing.js';

export default async function recover(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const t = await targets('recover', (args[0] as string[] | undefined) ?? [], opts);
  const timer = new Timer();
  return eachFile(ctx, t, async (path) => recoverFile(ctx, path, opts, t.several ? new Timer() : timer), { total });
}

/** `recovered 2 files, 1 incomplete journal removed, 197 had nothing to recover, 0 failed in 12.30 ms` */
function total(t: Tally): string {
  const restored = (t.status.restored ?? 0) + (t.status['restored-cut'] ?? 0);
  const incomplete = t.status['incomplete-removed'] ?? 0;
  return (
    `recovered ${files(restored)}, ${incomplete} incomplete journal${incomplete === 1 ? '' : 's'} removed, ` +
    `${t.status.nothing ?? 0} had nothing to recover, ${t.failed} failed${took(t)}`
  );
}

async function recoverFile(ctx: Context, path: string, opts: Record<string, unknown>, timer: Timer): Promise<Result> {
  ctx.path = path;
  const jpath = journalPath(path);
  let journal: Stats | undefined;
  try {
    journal = lstatSync(jpath, { throwIfNoEntry: false });
  } catch (err) {
    throw fsError(err, `cannot check for a journal at ${jpath}`);
  }
  if (journal === undefined) {
    // Still say whether the file itself is there: "nothing to recover" for a missing file would mislead.
    openFile(path, { write: false, force: !!opts.force }).close();
    return {
      summary: `nothing to recover: no journal for ${path} ${timer.describe()}`,
      showSummary: true,
      json: { status: 'nothing', file: path, journal: null, timings: timer.json() },
    };
  }
  const file = openFile(path, { write: true, force: !!opts.force });
  timer.lap('open');
  try {
    // The lock waited for any mmapx still working on the file: a journal seen before it may have
    // been the one of a patch that has finished since.
    if (lstatSync(jpath, { throwIfNoEntry: false }) === undefined) {
      return {
        summary: `nothing to recover: the journal of ${path} is gone (the patch that wrote it finished) ${timer.describe()}`,
        showSummary: true,
        json: { status: 'nothing', file: path, journal: null, timings: timer.json() },
      };
    }
    pageSize(); // loads the FFI on first use, timed on its own
    timer.lap('ffi');
    const r = rollBack(jpath, file);
    timer.lap('restore');
    if (r.state === 'incomplete') {
      return {
        summary: `removed an incomplete journal (${r.reason}): the interrupted patch had not written anything, ${path} is unchanged ${timer.describe()}`,
        showSummary: true,
        json: { status: 'incomplete-removed', file: path, journal: jpath, reason: r.reason, timings: timer.json() },
      };
    }
    if (r.cut) {
      return {
        summary:
          `recovered ${path} as far as it reaches: another program had cut it to ${r.sizeFound} bytes (the journal expects ${r.header.sizeBefore} or ${r.header.sizeAfter}); ` +
          `restored ${r.ranges} range${r.ranges === 1 ? '' : 's'} (${r.bytes} byte${r.bytes === 1 ? '' : 's'}) below that end and verified them, ` +
          `dropped ${r.cut.bytes} journal byte${r.cut.bytes === 1 ? '' : 's'} at or past it; the size stays ${r.size} ${timer.describe()}`,
        showSummary: true,
        json: {
          status: 'restored-cut',
          file: path,
          journal: jpath,
          ranges: r.ranges,
          bytes: r.bytes,
          dropped: { records: r.cut.records, bytes: r.cut.bytes },
          sizeFound: r.sizeFound,
          size: r.size,
          timings: timer.json(),
        },
      };
    }
    const resized = r.sizeFound !== r.header.sizeBefore ? `, size ${r.sizeFound} -> ${r.header.sizeBefore}` : '';
    return {
      summary:
        `recovered ${path}: restored ${r.ranges} range${r.ranges === 1 ? '' : 's'} (${r.bytes} byte${r.bytes === 1 ? '' : 's'}) ` +
        `from the journal and verified them${resized}; the interrupted patch is rolled back ${timer.describe()}`,
      showSummary: true,
      json: {
        status: 'restored',
        file: path,
        journal: jpath,
        ranges: r.ranges,
        bytes: r.bytes,
        sizeFound: r.sizeFound,
        size: r.header.sizeBefore,
        timings: timer.json(),
      },
    };
  } catch (err) {
    throw shrankSinceOpen(file, err, 'written');
  } finally {
    file.close();
  }
}
