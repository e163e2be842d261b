// mmapx fill FILE RANGE --pattern HEX: the range filled with the pattern repeated from its start,
// in place, guarded and journaled (the engine: fillRange in src/edit/rangeops.ts over
// src/edit/overwrite.ts). Several files only with --files-from LIST (then the argument is RANGE).
import { fillRange } from '../../edit/rangeops.js';
import { InputError } from '../../errors.js';
import { parseHexData } from '../../format/data.js';
import { parseRange } from '../../format/range.js';
import type { Context, Result } from '../context.js';
import { runOverwrite, splitOperands } from '../overwrite.js';

export default async function fill(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const { files, rest } = splitOperands('fill', args, ['range'], opts.filesFrom !== undefined);
  const range = parseRange(rest[0]!);
  if (opts.pattern === undefined) throw new InputError('--pattern HEX is required (the bytes to repeat, e.g. --pattern 00 or --pattern deadbeef)');
  const pattern = parseHexData([String(opts.pattern)]);
  if (pattern.length === 0) throw new InputError('--pattern is empty: give at least one byte');
  return runOverwrite(ctx, 'fill', files, opts, 'filled', (path, o) => fillRange(path, range, pattern, o));
}
