// mmapx copy FILE SRC_RANGE DST_OFFSET [--from OTHER]: bytes copied within the file (memmove
// semantics when source and destination overlap) or from another file, in place, guarded and
// journaled (the engine: copyRange in src/edit/rangeops.ts over src/edit/overwrite.ts). Several
// files only with --files-from LIST (then the arguments are SRC_RANGE DST_OFFSET).
import { copyRange } from '../../edit/rangeops.js';
import { parseOffset } from '../../format/number.js';
import { parseRange } from '../../format/range.js';
import type { Context, Result } from '../context.js';
import { runOverwrite, splitOperands } from '../overwrite.js';

export default async function copy(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const { files, rest } = splitOperands('copy', args, ['src-range', 'dst-offset'], opts.filesFrom !== undefined);
  const source = parseRange(rest[0]!);
  const dest = parseOffset(rest[1]!);
  const from = opts.from === undefined ? undefined : String(opts.from);
  return runOverwrite(ctx, 'copy', files, opts, 'copied', (path, o) => copyRange(path, source, dest.text, { ...o, ...(from !== undefined && { from }) }));
}
