// mmapx hash FILE [--range R] [--algo sha256|sha1|md5|crc32] [--check HEX]: the digest of a file
// or of a range of it, fed from read-only windows of a shared map (flat memory whatever the size,
// nothing copied), printed the way sha256sum prints it (`<hex>  <path>`) so that the two compare
// in scripts. --check makes it a guard for CI: exit 3 when the digest is another.
//
// If another process truncates the file meanwhile, the windows' checks (the size before each
// window, the SIGBUS guard's record after it, the size after the last) end the command with one
// ERR_TRUNCATED line, exit 1: no digest of pages that read as zeros is printed.
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { InputError, OperationError } from '../../errors.js';
import { checksumLine, type DigestAlgo, formatCrc32, isDigestAlgo, parseExpectedDigest } from '../../format/digest.js';
import { formatOffset } from '../../format/number.js';
import { parseRange } from '../../format/range.js';
import { pageSize } from '../../mmap/index.js';
import type { Context, Result } from '../context.js';
import { openFile, readSpan, shrankSinceOpen } from '../../edit/files.js';
import { readWindows } from '../../edit/mapped.js';
import { throughput, Timer } from '../../edit/timing.js';

interface Digester {
  update(bytes: Uint8Array): void;
  /** Lower-case hex. */
  digest(): string;
}

function digester(algo: DigestAlgo): Digester {
  if (algo === 'crc32') {
    // zlib.crc32 arrived in Node 20.15 and 22.2 (package.json's engines ask for those).
    const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
    if (crc32 === undefined) throw new OperationError(`--algo crc32 needs Node 20.15 or newer (this is ${process.version})`);
    let value = 0;
    return {
      update: (bytes) => {
        value = crc32(bytes, value);
      },
      digest: () => formatCrc32(value),
    };
  }
  const h = createHash(algo);
  return {
    update: (bytes) => {
      h.update(bytes);
    },
    digest: () => h.digest('hex'),
  };
}

export default async function hash(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const [path] = args as [string];
  ctx.path = path;
  const timer = new Timer();
  const algo = String(opts.algo ?? 'sha256');
  if (!isDigestAlgo(algo)) throw new InputError(`unknown algorithm ${algo}`); // commander checks the choices first
  const range = opts.range !== undefined ? parseRange(String(opts.range)) : undefined;
  const expected = opts.check !== undefined ? parseExpectedDigest(String(opts.check), algo) : undefined;
  const d = digester(algo);
  timer.lap('parse');

  const file = openFile(path, { write: false, force: !!opts.force, lockWait: ctx.lockWait });
  ctx.warnIfJournal(path);
  timer.lap('open');
  try {
    const r = readSpan(file, range);
    pageSize(); // loads the FFI on first use, timed on its own
    timer.lap('ffi');
    ctx.progress.phase(`hash ${path}`, r.length ?? 0n);
    let done = 0n;
    for (const w of readWindows(file, r)) {
      d.update(w.bytes as Uint8Array);
      done += BigInt(w.bytes.length);
      ctx.progress.update(done); // once per window
    }
    const digest = d.digest();
    timer.lap('hash');
    // The bytes hashed: the range, or all a pseudo file gave when read to its end.
    const length = done;
    const where = `${formatOffset(r.offset)}..${formatOffset(r.offset + length)}`;
    const matched = expected === undefined ? null : expected === digest;
    return {
      stdout: checksumLine(digest, path),
      summary: `hashed ${length} byte${length === 1n ? '' : 's'} (${throughput(length, timer.phases.hash)}) of ${path} ${where} with ${algo} ${timer.describe()}`,
      showSummary: !!opts.stats,
      json: {
        file: path,
        algo,
        digest,
        offset: r.offset,
        length,
        expected: expected ?? null,
        matched,
        timings: timer.json(),
      },
      ...(matched === false && { exitCode: 3 as const, error: `${algo} of ${where} is ${digest}, expected ${expected}` }),
    };
  } catch (err) {
    throw shrankSinceOpen(file, err, 'read');
  } finally {
    file.close();
  }
}
