// The digest of a file or of a range of it, fed from read-only windows of a shared map (flat memory
// whatever the size, nothing copied; a pseudo-filesystem file through read(2), see readWindows).
// The CLI's `hash` drains {@link hashWindows} on its thread; {@link hashRange} is the library's
// call, which lets the event loop run between windows.
//
// If another process truncates the file meanwhile, the windows' checks (the size before each
// window, the SIGBUS guard's record after it, the size after the last) end with ERR_TRUNCATED: no
// digest of pages that read as zeros is given.
import { chunkArg, objectArg, sourceArg } from '../format/args.js';
import { describeValue } from '../format/quote.js';
import { optionsArg, pathArg } from './args.js';
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { InputError, OperationError } from '../errors.js';
import { type DigestAlgo, DIGEST_ALGOS, formatCrc32, isDigestAlgo } from '../format/digest.js';
import { type OpenFile, type ReadSpan, readSpan, withFile } from './files.js';
import { readWindows } from './mapped.js';
import { bindOptionalRange } from './address.js';
import { type RangeOption, rangeOption } from './range.js';
import type { EditContext } from './seams.js';
import { nextTurn } from './turn.js';

export type { DigestAlgo };
export { DIGEST_ALGOS };

/** A running digest: fed bytes in order, then asked once for its value. */
interface Digester {
  update(bytes: Uint8Array): void;
  /** Lower-case hex. */
  digest(): string;
}

/**
 * The digest of `algo` (crc32 needs Node 20.15 or 22.2, where zlib.crc32 arrived).
 * @throws OperationError with code `ERR_UNSUPPORTED` when this Node has no crc32.
 */
function digester(algo: DigestAlgo): Digester {
  if (algo === 'crc32') {
    const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
    if (crc32 === undefined) throw new OperationError(`crc32 needs Node 20.15 or newer (this is ${process.version})`, 'ERR_UNSUPPORTED');
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

/**
 * Fails now if this Node cannot compute `algorithm` (crc32 before Node 20.15): a caller checks it
 * before it opens anything.
 * @throws OperationError with code `ERR_UNSUPPORTED`.
 */
export function checkAlgorithm(algorithm: DigestAlgo): void {
  digester(algorithm);
}

/** What {@link hashWindows} hashed: the digest, and where (a pseudo file's length is what reading found). */
export interface HashResult {
  /** Lower-case hex (crc32: 8 digits). */
  readonly digest: string;
  readonly algorithm: DigestAlgo;
  /** The first byte hashed. */
  readonly offset: bigint;
  /** How many bytes were hashed. */
  readonly length: bigint;
}

/**
 * Hashes `span` of an open file window by window: yields the bytes hashed so far after each
 * window (so that a caller reports progress, or lets other work run), and returns the result.
 * The digester is made first: an algorithm this Node lacks fails before any byte is read.
 */
export function* hashWindows(file: OpenFile, span: ReadSpan, algorithm: DigestAlgo): Generator<bigint, HashResult, void> {
  const d = digester(algorithm);
  let done = 0n;
  for (const w of readWindows(file, span)) {
    d.update(w.bytes as Uint8Array);
    done += BigInt(w.bytes.length);
    yield done;
  }
  return { digest: d.digest(), algorithm, offset: span.offset, length: done };
}

/** What {@link hashStream} hashed. */
export interface StreamHash {
  /** Lower-case hex (crc32: 8 digits). */
  readonly digest: string;
  readonly algorithm: DigestAlgo;
  /** How many bytes the source gave. */
  readonly length: bigint;
}

/** Options of {@link hashStream}. */
export interface HashStreamOptions {
  /** `sha256` (default) or any of {@link DIGEST_ALGOS}. */
  algorithm?: DigestAlgo;
  /** Hears of the bytes hashed so far after each chunk. */
  onChunk?: (done: bigint) => void;
}

/**
 * The digest of everything `source` gives (a Readable, standard input, a generator of chunks),
 * chunk by chunk as it arrives: memory stays that of one chunk, whatever the length. A chunk is
 * hashed before the next is asked for, so a source may hand out views of one reused buffer.
 *
 * @throws InputError for an unknown algorithm; OperationError for crc32 on a Node without it;
 *   whatever the source throws.
 */
export async function hashStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: HashStreamOptions = {}): Promise<StreamHash> {
  sourceArg(source);
  objectArg(options, 'options', true);
  const algorithm = options.algorithm ?? 'sha256';
  if (!isDigestAlgo(algorithm)) throw new InputError(`unknown algorithm ${describeValue(algorithm)} (${DIGEST_ALGOS.join(', ')})`);
  const d = digester(algorithm);
  let length = 0n;
  for await (const chunk of source) {
    d.update(chunkArg(chunk));
    length += BigInt(chunk.length);
    options.onChunk?.(length);
  }
  return { digest: d.digest(), algorithm, length };
}

/** Options of {@link hashRange}. */
export interface HashRangeOptions extends EditContext {
  /** The bytes to hash (default: the whole file). */
  range?: RangeOption;
  /** `sha256` (default) or any of {@link DIGEST_ALGOS}. */
  algorithm?: DigestAlgo;
}

/**
 * The digest of a file, or of `options.range` of it, as lower-case hex (what `sha256sum` prints;
 * crc32 as 8 digits). The file is read through read-only windows under a shared lock; the event
 * loop runs between windows, `options.signal` stops the read between them, and
 * `options.progress` hears of each window.
 *
 * @throws InputError for an unknown algorithm or a range past the end of the file;
 *   OperationError when the file cannot be opened or read (ERR_TRUNCATED when another process cut
 *   it meanwhile), or crc32 on a Node without it.
 */
export async function hashRange(path: string, options: HashRangeOptions = {}): Promise<string> {
  pathArg(path);
  optionsArg(options);
  const algorithm = options.algorithm ?? 'sha256';
  if (!isDigestAlgo(algorithm)) throw new InputError(`unknown algorithm ${describeValue(algorithm)} (${DIGEST_ALGOS.join(', ')})`);
  const range = rangeOption(options.range);
  const access = {
    write: false,
    access: 'read' as const,
    force: options.force,
    lockWait: options.lockWait,
    signal: options.signal,
    blocking: options.blocking,
    timer: options.clock,
    onPendingJournal: options.onPendingJournal,
  };
  return withFile(path, access, async (file) => {
    const span = readSpan(file, bindOptionalRange(file, range, options));
    options.progress?.phase(`hash ${path}`, span.length ?? 0n);
    const run = hashWindows(file, span, algorithm);
    for (let step = run.next(); ; step = run.next()) {
      if (step.done) return step.value.digest;
      options.progress?.update(Number(step.value));
      await nextTurn(options.signal);
    }
  });
}
