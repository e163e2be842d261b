// mmapx hash FILE [--range R] [--algo sha256|sha1|md5|crc32] [--check HEX]: the digest of a file
// or of a range of it (src/edit/hash.ts), printed the way sha256sum prints it (`<hex>  <path>`)
// so that the two compare in scripts. --check makes it a guard for CI: exit 3 when the digest is
// another. A file cut by another process meanwhile ends with one ERR_TRUNCATED line, exit 1.
import { checkAlgorithm, hashWindows } from '../../edit/hash.js';
import { readSpan, withFile } from '../../edit/files.js';
import { throughput, Timer } from '../../edit/timing.js';
import { EXIT_GUARD, InputError, OperationError } from '../../errors.js';
import { checksumLine, type DigestAlgo, isDigestAlgo, parseExpectedDigest } from '../../format/digest.js';
import { formatOffset } from '../../format/number.js';
import { parseRange, type Range } from '../../format/range.js';
import type { Context, Result } from '../context.js';

/** The command's options, made once from commander's values. */
interface HashOptions {
  readonly path: string;
  readonly algo: DigestAlgo;
  readonly range: Range | undefined;
  /** --check: the digest the file must have. */
  readonly expected: string | undefined;
  readonly force: boolean;
  readonly stats: boolean;
}

function parseOptions(args: unknown[], opts: Record<string, unknown>): HashOptions {
  const [path] = args as [string];
  const algo = String(opts.algo ?? 'sha256');
  if (!isDigestAlgo(algo)) throw new InputError(`unknown algorithm ${algo}`); // commander checks the choices first
  return {
    path,
    algo,
    range: opts.range !== undefined ? parseRange(String(opts.range)) : undefined,
    expected: opts.check !== undefined ? parseExpectedDigest(String(opts.check), algo) : undefined,
    force: !!opts.force,
    stats: !!opts.stats,
  };
}

export default async function hash(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  ctx.path = args[0] as string;
  const timer = new Timer();
  const o = parseOptions(args, opts);
  try {
    checkAlgorithm(o.algo);
  } catch (err) {
    if (err instanceof OperationError && err.code === 'ERR_UNSUPPORTED') throw new OperationError(`--algo ${err.message}`);
    throw err;
  }
  timer.lap('parse');
  const { path, algo, expected } = o;
  const opening = { write: false, force: o.force, lockWait: ctx.lockWait, blocking: true, access: 'read' as const, timer };
  const r = await withFile(path, opening, (file) => {
    ctx.warnIfJournal(path);
    const span = readSpan(file, o.range);
    ctx.progress.phase(`hash ${path}`, span.length ?? 0n);
    const run = hashWindows(file, span, algo);
    for (let step = run.next(); ; step = run.next()) {
      if (step.done) return step.value;
      ctx.progress.update(step.value); // once per window
    }
  });
  timer.lap('hash');
  // The bytes hashed: the range, or all a pseudo file gave when read to its end.
  const { digest, length } = r;
  const where = `${formatOffset(r.offset)}..${formatOffset(r.offset + length)}`;
  const matched = expected === undefined ? null : expected === digest;
  return {
    stdout: checksumLine(digest, path),
    summary: `hashed ${length} byte${length === 1n ? '' : 's'} (${throughput(length, timer.phases.hash)}) of ${path} ${where} with ${algo} ${timer.describe()}`,
    showSummary: o.stats,
    json: { file: path, algo, digest, offset: r.offset, length, expected: expected ?? null, matched, timings: timer.json() },
    ...(matched === false && { exitCode: EXIT_GUARD, error: `${algo} of ${where} is ${digest}, expected ${expected}` }),
  };
}
