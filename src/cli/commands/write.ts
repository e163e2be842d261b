// mmapx write FILE OFFSET [HEX...]: bytes in place through a shared map of only the pages touched.
// Several files only with --files-from LIST (then the arguments are OFFSET [HEX...]): the data is
// read once, each file written on its own (src/cli/multi.ts runs the loop).
import { fstatSync, fsyncSync, ftruncateSync } from 'node:fs';
import { GuardError, InputError } from '../../errors.js';
import { encodeTyped, formatHex, parseHexData, parseTextData, TYPED_TYPES, type TypedType } from '../../format/data.js';
import { formatOffset, MAX_FILE_SIZE, MAX_FILE_SIZE_TEXT, parseLength, parseNumber, parseOffset, resolveOffset } from '../../format/number.js';
import { MmapOptions, pageSize } from '../../mmap/index.js';
import type { Context, Result } from '../context.js';
import { assertCanGrow, assertSameFile, fsError, knownSize, openFile, shrankSinceOpen } from '../../edit/files.js';
import { readInput } from '../input.js';
import { refuseIfJournal } from '../../edit/journal.js';
import { eachFile, files, missingArgument, type Tally, targets, took } from '../multi.js';
import { shrankWhileWriting } from '../../mmap/truncation.js';
import { Timer } from '../../edit/timing.js';

/** Bytes to write: literal bytes, or one byte repeated (which never needs a buffer of its size). */
type Data = { kind: 'bytes'; bytes: Uint8Array; source: string } | { kind: 'fill'; byte: number; length: number; source: string };

const SHOWN = 64;

function dataLength(d: Data): number {
  return d.kind === 'bytes' ? d.bytes.length : d.length;
}

/** The first `n` bytes of the data, for summaries. */
function head(d: Data, n: number): Uint8Array {
  return d.kind === 'bytes' ? d.bytes.subarray(0, n) : new Uint8Array(Math.min(n, d.length)).fill(d.byte);
}

/** Which data source reads standard input, if any: --stdin, `-` as the data, or --file -. */
function stdinSource(hex: readonly string[], opts: Record<string, unknown>): string | undefined {
  if (opts.stdin) return '--stdin';
  if (hex.length === 1 && hex[0] === '-') return '-';
  if (opts.file === '-') return '--file -';
  return undefined;
}

async function readData(hex: string[], opts: Record<string, unknown>): Promise<Data> {
  const sources: string[] = [];
  const viaStdin = stdinSource(hex, opts);
  if (hex.length > 0) sources.push(viaStdin === '-' ? '- (standard input)' : 'hex arguments');
  if (opts.text !== undefined) sources.push('--text');
  if (opts.file !== undefined) sources.push('--file');
  if (opts.stdin) sources.push('--stdin');
  if (opts.fill !== undefined) sources.push('--fill');
  const typed = TYPED_TYPES.filter((t) => opts[t] !== undefined);
  for (const t of typed) sources.push(`--${t}`);
  if (sources.length === 0) {
    throw new InputError('no data: give hex bytes, or one of --text, --file, --stdin, --fill, --u8 ... --f64le');
  }
  if (sources.length > 1) throw new InputError(`conflicting data sources: ${sources.join(' and ')}; give exactly one`);
  if (opts.length !== undefined && opts.fill === undefined) throw new InputError('--length only goes with --fill');

  let bytes: Uint8Array;
  const source = sources[0] as string;
  if (viaStdin !== undefined) {
    const terminal = `${viaStdin === '--stdin' ? '--stdin is' : `${viaStdin} but standard input is`} a terminal: pipe the data in`;
    try {
      bytes = await readInput('-', { what: 'the data', terminal });
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw fsError(err, 'cannot read standard input');
    }
    if (bytes.length === 0) throw new InputError('standard input was empty: nothing to write');
  } else if (hex.length > 0) {
    bytes = parseHexData(hex);
  } else if (opts.text !== undefined) {
    bytes = parseTextData(String(opts.text));
  } else if (opts.file !== undefined) {
    try {
      bytes = await readInput(String(opts.file), { what: 'the data' });
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw fsError(err, `cannot read --file ${String(opts.file)}`);
    }
    if (bytes.length === 0) throw new InputError(`--file ${String(opts.file)} is empty: nothing to write`);
  } else if (opts.fill !== undefined) {
    const byte = parseNumber(String(opts.fill), 'fill byte');
    if (byte < 0n || byte > 255n) throw new InputError(`fill byte ${String(opts.fill)} is not a byte (0..255)`, { token: String(opts.fill) });
    if (opts.length === undefined) throw new InputError('--fill needs --length N');
    const length = parseLength(String(opts.length));
    if (length === 0n) throw new InputError('--length 0: nothing to write');
    if (length > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(`--length ${String(opts.length)} is too large`);
    return { kind: 'fill', byte: Number(byte), length: Number(length), source };
  } else {
    const t = typed[0] as TypedType;
    bytes = encodeTyped(t, String(opts[t]));
  }
  return { kind: 'bytes', bytes, source };
}

function asBuffer(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** Whether `view` already holds the data, compared with built-ins (chunks of a pattern for fills). */
function holds(view: Uint8Array, d: Data): boolean {
  if (d.kind === 'bytes') return asBuffer(view).equals(d.bytes);
  const chunk = Buffer.alloc(Math.min(d.length, 1 << 20), d.byte);
  for (let at = 0; at < d.length; at += chunk.length) {
    const n = Math.min(chunk.length, d.length - at);
    if (asBuffer(view).compare(chunk, 0, n, at, at + n) !== 0) return false;
  }
  return true;
}

/** What every file of a run shares: the data (read once), where it goes, the guard. */
interface Job {
  data: Data;
  offset: ReturnType<typeof parseOffset>;
  expect: Uint8Array | undefined;
  opts: Record<string, unknown>;
  lockWait: number | undefined;
}

/** FILE OFFSET [HEX...], or with --files-from OFFSET [HEX...]: an OFFSET or HEX could be a file name too. */
function operands(args: unknown[], list: boolean): { files: string[]; offsetText: string; hex: string[] } {
  const [first, second, rest] = args as [string | undefined, string | undefined, string[] | undefined];
  const all = [first, second, ...(rest ?? [])].filter((a): a is string => a !== undefined);
  if (list) {
    if (all.length === 0) throw missingArgument('offset', 'write');
    return { files: [], offsetText: all[0]!, hex: all.slice(1) };
  }
  if (first === undefined) throw missingArgument('file', 'write');
  if (second === undefined) throw missingArgument('offset', 'write');
  return { files: [first], offsetText: second, hex: rest ?? [] };
}

/** `wrote 998 files, 2 already held the bytes, 0 failed in 12.3 ms` */
function total(t: Tally): string {
  return `wrote ${files(t.status.written ?? 0)}, ${t.status.already ?? 0} already held the bytes, ${t.failed} failed${took(t)}`;
}

export default async function write(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const { files: named, offsetText, hex } = operands(args, opts.filesFrom !== undefined);
  const t = await targets('write', named, opts, stdinSource(hex, opts));
  if (!t.several) ctx.path = t.files[0];
  const timer = new Timer();
  // Everything that can be checked without the file is checked first.
  const data = await readData(hex, opts);
  const offset = parseOffset(offsetText);
  const expect = opts.expect !== undefined ? parseHexData([String(opts.expect)]) : undefined;
  const length = dataLength(data);
  if (expect && expect.length !== length) {
    throw new InputError(`--expect has ${expect.length} bytes but the data has ${length}: they must cover the same bytes`);
  }
  timer.lap('parse');
  const job: Job = { data, offset, expect, opts, lockWait: ctx.lockWait };
  return eachFile(ctx, t, (path) => writeFile(path, job, t.several ? new Timer() : timer), { total, prefixSummary: true });
}

/** Writes the job's data into one file: the single-file command from the open on. */
async function writeFile(path: string, job: Job, timer: Timer): Promise<Result> {
  const { data, offset, expect, opts, lockWait } = job;
  const length = dataLength(data);
  const file = openFile(path, { write: true, force: !!opts.force, lockWait });
  timer.lap('open');
  pageSize(); // loads the FFI on first use; timed on its own so that "map" means the mmap call
  timer.lap('ffi');
  let grewFrom: bigint | undefined;
  let grewTo: bigint | undefined;
  try {
    // Under the lock, not before it: a journal seen before taking it may be the one of a patch
    // that is running (and removes it when done); under it, it is one of an interrupted patch.
    refuseIfJournal(path);
    const size = file.size;
    let at: bigint;
    if (size === undefined) {
      if (offset.fromEnd) knownSize(file);
      at = offset.value;
      if (at + BigInt(length) > MAX_FILE_SIZE) {
        throw new InputError(
          `writing ${length} byte${length === 1 ? '' : 's'} at ${formatOffset(at)} ends past the largest offset mmapx handles (${MAX_FILE_SIZE_TEXT})`,
        );
      }
    } else {
      at = resolveOffset(offset, size, { allowPastEnd: !!opts.grow });
      const end = at + BigInt(length);
      if (end > size) {
        // No file can be given that size: refused first, whatever the flags.
        if (end > MAX_FILE_SIZE) {
          throw new InputError(
            `writing ${length} byte${length === 1 ? '' : 's'} at ${formatOffset(at)} would grow the file to ${formatOffset(end)} bytes, past the largest size mmapx gives a file (${MAX_FILE_SIZE_TEXT})`,
          );
        }
        if (expect) {
          throw new GuardError(`--expect ${formatHex(expect)} at ${formatOffset(at)}: the file ends at ${formatOffset(size)}`);
        }
        if (!opts.grow) {
          throw new InputError(
            `writing ${length} byte${length === 1 ? '' : 's'} at ${formatOffset(at)} ends past the end of the file (size ${formatOffset(size)}); use --grow to extend it`,
          );
        }
      }
    }
    const end = at + BigInt(length);
    if (size !== undefined && end > size) {
      // Past the filesystem's largest file or `ulimit -f`: refused with the limit, nothing changed.
      assertCanGrow(file, end);
      try {
        ftruncateSync(file.fd, Number(end));
      } catch (err) {
        throw fsError(err, `cannot extend the file to ${end} bytes`);
      }
      grewFrom = size;
      grewTo = end;
      timer.lap('grow');
    }

    // Map only the pages the write touches: the cost does not depend on the file's size.
    const map = new MmapOptions().offset(at).len(length).mapMut({ fd: file.fd, path });
    timer.lap('map');
    let status: 'written' | 'already';
    let old: Uint8Array;
    let synced: { offset: bigint; length: number } | undefined;
    try {
      const view = map.bytes;
      old = Uint8Array.from(view.subarray(0, SHOWN));
      const expected = expect === undefined || asBuffer(view).equals(expect);
      const already = holds(view, data);
      // If the file shrank under the map, pages past its end read as zeros: the comparisons are void.
      map.assertIntact('read');
      if (!expected && expect) {
        if (already) {
          status = 'already';
        } else {
          throw new GuardError(
            `bytes at ${formatOffset(at)} are ${formatHex(view, { max: 16 })}, expected ${formatHex(expect, { max: 16 })}; nothing written`,
          );
        }
      } else {
        // A grow is a change even when the data is what the new bytes read as (zeros).
        status = already && grewTo === undefined ? 'already' : 'written';
      }
      timer.lap('compare');
      if (status === 'written') {
        // Bytes that already hold the data are left alone: zeros written over a grown (sparse)
        // part would only allocate blocks for them.
        if (!already) {
          if (data.kind === 'bytes') view.set(data.bytes);
          else view.fill(data.byte);
          // Writes to pages past a new end went nowhere: fail before msync reports success.
          map.assertIntact('written');
          timer.lap('write');
        }
        if (opts.sync !== false) {
          synced = map.flushRange(0, length);
          timer.lap('msync');
          if (grewTo !== undefined) {
            // The new size is metadata: msync makes the bytes durable, fsync the size too.
            try {
              fsyncSync(file.fd);
            } catch (err) {
              throw fsError(err, 'cannot sync the grown file');
            }
            timer.lap('fsync');
          }
        }
      }
    } finally {
      map.unmap();
    }
    // Cut after the write, or the file replaced: the bytes are not where the user will look.
    if (size !== undefined) {
      const now = fstatSync(file.fd, { bigint: true }).size;
      if (now < end) throw shrankWhileWriting(path, now, end);
    }
    assertSameFile(file);
    grewFrom = undefined; // the write happened (or was not needed): keep the new size
    const shownNew = head(data, SHOWN);
    // Only the bytes that existed before are old ones: past the old end the write grew the file.
    const existed = size === undefined || at + BigInt(length) <= size ? length : at >= size ? 0 : Number(size - at);
    old = old.subarray(0, Math.min(existed, SHOWN));
    const change = `(${existed === 0 ? 'past the end' : `${formatHex(old.subarray(0, 8))}${existed > 8 ? ' …' : ''}`} -> ${formatHex(shownNew.subarray(0, 8))}${length > 8 ? ' …' : ''})`;
    const where = `at ${formatOffset(at)}`;
    const plural = length === 1 ? '' : 's';
    const summary =
      status === 'already'
        ? `already: ${length} byte${plural} ${where} are ${formatHex(shownNew.subarray(0, 8))}${length > 8 ? ' …' : ''}, nothing written ${timer.describe()}`
        : `wrote ${length} byte${plural} ${where} ${change}${size !== undefined && at + BigInt(length) > size ? `, file grown from ${size} to ${at + BigInt(length)} bytes` : ''}${synced ? '' : ' (not synced)'} ${timer.describe()}`;
    return {
      summary,
      showSummary: true,
      json: {
        status,
        file: path,
        offset: at,
        length,
        source: data.source,
        old: Buffer.from(old.subarray(0, Math.min(length, SHOWN))).toString('hex'),
        new: Buffer.from(shownNew).toString('hex'),
        grewFrom: size !== undefined && at + BigInt(length) > size ? size : null,
        grewTo: size !== undefined && at + BigInt(length) > size ? at + BigInt(length) : null,
        synced: synced ? { offset: synced.offset, length: synced.length } : null,
        timings: timer.json(),
      },
    };
  } catch (err) {
    // A failure after --grow extended the file: give it its old size back (unless someone else
    // changed the size since: then it is theirs).
    if (grewFrom !== undefined) {
      try {
        if (fstatSync(file.fd, { bigint: true }).size === grewTo) ftruncateSync(file.fd, Number(grewFrom));
      } catch {
        // best effort; the original error is what the user needs
      }
    }
    throw shrankSinceOpen(file, err, 'written');
  } finally {
    file.close();
  }
}
