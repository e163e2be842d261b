// mmapx move FILE SRC_RANGE DST_OFFSET [--fill BYTE]: bytes moved within the file (a memmove, then
// the source bytes the destination does not cover set to BYTE, default 00), in place, guarded and
// journaled (the engine: moveRange in src/edit/rangeops.ts over src/edit/overwrite.ts). Several
// files only with --files-from LIST (then the arguments are SRC_RANGE DST_OFFSET).
import { moveRange } from '../../edit/rangeops.js';
import { InputError } from '../../errors.js';
import { parseNumber, parseOffset } from '../../format/number.js';
import { parseRange } from '../../format/range.js';
import type { Context, Result } from '../context.js';
import { runOverwrite, splitOperands } from '../overwrite.js';

export default async function move(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const { files, rest } = splitOperands('move', args, ['src-range', 'dst-offset'], opts.filesFrom !== undefined);
  const source = parseRange(rest[0]!);
  const dest = parseOffset(rest[1]!);
  let fill = 0;
  if (opts.fill !== undefined) {
    const text = String(opts.fill);
    const v = /^[0-9a-fA-F]{2}$/.test(text) ? BigInt(`0x${text}`) : parseNumber(text, 'fill byte');
    if (v < 0n || v > 255n) throw new InputError(`--fill ${text} is not a byte (00..ff)`, { token: text });
    fill = Number(v);
  }
  return runOverwrite(ctx, 'move', files, opts, 'moved', (path, o) => moveRange(path, source, dest.text, { ...o, fill }));
}
