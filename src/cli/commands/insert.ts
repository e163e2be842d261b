// mmapx insert FILE OFFSET [HEX...]: bytes inserted in place, the tail moved up (src/edit/shift.ts),
// journaled so that recover finishes it after a crash. The data comes from the sources of `write`
// (hex arguments, --text, --file, --stdin, --fill/--length, typed values). Several files only with
// --files-from LIST (then the arguments are OFFSET [HEX...]): the data is read once.
import { Timer } from '../../edit/timing.js';
import { parseOffset } from '../../format/number.js';
import type { Context, Result } from '../context.js';
import { eachFile, missingArgument, targets } from '../multi.js';
import { shiftOne, shiftOptions, shiftTotal } from '../shift.js';
import { readData, room, stdinSource } from './write.js';

export default async function insert(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const [first, second, rest] = args as [string | undefined, string | undefined, string[] | undefined];
  const all = [first, second, ...(rest ?? [])].filter((a): a is string => a !== undefined);
  const list = opts.filesFrom !== undefined;
  if (!list && first === undefined) throw missingArgument('file', 'insert');
  if (all.length < (list ? 1 : 2)) throw missingArgument('offset', 'insert');
  const named = list ? [] : [all[0]!];
  const offsetText = all[list ? 0 : 1]!;
  const hex = all.slice(list ? 1 : 2);
  const t = await targets('insert', named, opts, stdinSource(hex, opts));
  if (!t.several) ctx.path = t.files[0];
  const timer = new Timer();
  const offset = parseOffset(offsetText);
  const o = shiftOptions(opts);
  const data = await readData(hex, opts, room(t.files, offset, offsetText, true));
  try {
    timer.lap('parse');
    return await eachFile(
      ctx,
      t,
      (path) => shiftOne(ctx, path, offset, { kind: 'insert', data: data.data, source: data.source }, o, t.several ? new Timer() : timer),
      { total: shiftTotal('insert'), prefixSummary: true },
    );
  } finally {
    data.close?.();
  }
}
