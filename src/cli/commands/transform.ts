// mmapx transform FILE RANGE OP [ARG] [--unit UNIT]: a transform of src/format/transform.ts (xor,
// and, or, not, add, sub, rol, ror, shl, shr, swap16/32/64, bswap, reverse) applied to a range in
// place, guarded and journaled (the engine: transformRange in src/edit/rangeops.ts over
// src/edit/overwrite.ts). Several files only with --files-from LIST (then: RANGE OP [ARG]).
import { transformRange } from '../../edit/rangeops.js';
import { parseRange } from '../../format/range.js';
import { parseTransform } from '../../format/transform.js';
import type { Context, Result } from '../context.js';
import { runOverwrite, splitOperands } from '../overwrite.js';

export default async function transform(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const { files, rest } = splitOperands('transform', args, ['range', 'op', 'arg'], opts.filesFrom !== undefined, 1);
  const range = parseRange(rest[0]!);
  const t = parseTransform(rest[1]!, rest[2], opts.unit === undefined ? undefined : String(opts.unit));
  return runOverwrite(ctx, 'transform', files, opts, 'transformed', (path, o) => transformRange(path, range, t, o));
}
