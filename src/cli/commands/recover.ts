// mmapx recover FILE: roll back a patch that was interrupted (crash, kill, power loss) from the
// journal it left beside the file, then remove the journal. See src/cli/journal.ts for the format
// and the rules: an incomplete journal is only removed (its patch never wrote); a journal that is
// a symlink, has other names, belongs to someone else or to another file is refused; a file that
// another program cut below its size before the patch gets back the journal's bytes below its
// end and keeps its size, and the summary says how much of the journal could not be restored.
import { lstatSync } from 'node:fs';
import { pageSize } from '../../mmap/index.js';
import type { Context, Result } from '../context.js';
import { fsError, openFile, shrankSinceOpen } from '../files.js';
import { journalPath, rollBack } from '../journal.js';
import { Timer } from '../timing.js';

export default async function recover(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const [path] = args as [string];
  ctx.path = path;
  const timer = new Timer();
  const jpath = journalPath(path);
  try {
    lstatSync(jpath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(err, `cannot check for a journal at ${jpath}`);
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
