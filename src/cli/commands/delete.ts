// mmapx delete FILE RANGE: a range removed in place, the tail moved down and the file truncated
// (src/edit/shift.ts), journaled so that recover finishes it after a crash. Several files only
// with --files-from LIST (then the argument is the RANGE).
import { Timer } from '../../edit/timing.js';
import { InputError } from '../../errors.js';
import { parseRange } from '../../format/range.js';
import type { Context, Result } from '../context.js';
import { eachFile, missingArgument, targets } from '../multi.js';
import { shiftOne, shiftOptions, shiftTotal } from '../shift.js';

export default async function del(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const all = (args as (string | undefined)[]).filter((a): a is string => a !== undefined);
  const list = opts.filesFrom !== undefined;
  if (!list && all.length === 0) throw missingArgument('file', 'delete');
  if (all.length < (list ? 1 : 2)) throw missingArgument('range', 'delete');
  if (all.length > (list ? 1 : 2)) throw new InputError(`too many arguments: delete takes ${list ? 'RANGE (with --files-from)' : 'FILE RANGE'}`);
  const t = await targets('delete', list ? [] : [all[0]!], opts);
  if (!t.several) ctx.path = t.files[0];
  const timer = new Timer();
  const range = parseRange(all[list ? 0 : 1]!);
  const o = shiftOptions(opts);
  timer.lap('parse');
  return eachFile(ctx, t, (path) => shiftOne(ctx, path, range, { kind: 'delete' }, o, t.several ? new Timer() : timer), {
    total: shiftTotal('delete'),
    prefixSummary: true,
  });
}
