// mmapx write FILE OFFSET [HEX...]: bytes in place (src/edit/write.ts) through a shared map of only
// the pages touched. Several files only with --files-from LIST (then the arguments are OFFSET
// [HEX...]): the data is read once, each file written on its own (src/cli/multi.ts runs the loop).
import { statSync } from 'node:fs';
import { fsError, type OpenFile, readsInOrder, withFile } from '../../edit/files.js';
import { IN_MEMORY, openInput, spooled, takeInput } from '../../edit/spool.js';
import { terminalColumns } from '../../mmap/sys/terminal.js';
import { Timer } from '../../edit/timing.js';
import { dataLength, PastEndError, type WriteData, WriteGuardError, type WriteOutcome, writeToFile } from '../../edit/write.js';
import { GuardError, InputError, OperationError } from '../../errors.js';
import { encodeTyped, formatHex, parseHexData, parseTextData, TYPED_TYPES, type TypedType } from '../../format/data.js';
import { formatOffset, type Offset, parseLength, parseNumber, parseOffset } from '../../format/number.js';
import type { Context, Result } from '../context.js';
import { eachFile, files, missingArgument, type Tally, targets, took } from '../multi.js';

/** The data and where it came from (`hex arguments`, `--fill`...), for the report. */
export interface Data {
  readonly data: WriteData;
  readonly source: string;
  /** Releases what holds the data (--stdin, --file: the input or its temporary copy). */
  readonly close?: () => void;
}

/**
 * How much data the files can take, for an input read before any file is opened (--stdin,
 * --file): without --grow, the most bytes any of them holds from the offset on; an input longer
 * than that fails before it is read further (an endless pipe stops there). Undefined: no bound.
 */
interface Room {
  readonly limit: bigint | undefined;
  readonly files: readonly string[];
  readonly offsetText: string;
}

/** Whether `path` names the file `file` has open (the data is read from a file being written). */
function isFile(path: string, file: OpenFile): boolean {
  try {
    const st = statSync(path, { bigint: true });
    return st.dev === file.stat.dev && st.ino === file.stat.ino;
  } catch {
    return false;
  }
}

/** The {@link Room} of `files` at `offset`: statted now; the write checks again under its lock. */
export function room(files: readonly string[], offset: Offset, offsetText: string, grow: boolean): Room {
  if (grow) return { limit: undefined, files, offsetText };
  let limit: bigint | undefined;
  for (const f of files) {
    let size: bigint;
    try {
      size = statSync(f, { bigint: true }).size;
    } catch {
      continue; // the write says what is wrong with it
    }
    // An address (sym:...) counts as 0 here: an upper bound; the write resolves it in each file.
    const at = offset.fromEnd ? size + offset.value : offset.value; // value is negative: back from the end
    const left = at < 0n ? 0n : size - at < 0n ? 0n : size - at;
    if (limit === undefined || left > limit) limit = left;
  }
  return { limit, files, offsetText };
}

/**
 * The data of --stdin, `-` or --file PATH, taken whole before any file is touched but never held
 * whole in memory: a file is read where it is, a window at a time as it is written; a pipe is
 * copied into an unlinked temporary file first (src/edit/spool.ts), unless it is small. A source
 * that is one of the files being written is copied too (the write would overwrite what it reads).
 */
function streamed(arg: string, room: Room, take: bigint | undefined): { data: WriteData; close: () => void } {
  const name = arg === '-' ? 'standard input' : `--file ${arg}`;
  let input: OpenFile;
  try {
    input = openInput(arg);
  } catch (err) {
    if (err instanceof InputError) throw err;
    const e = fsError(err);
    throw new OperationError(`cannot read ${name}: ${e.message}`, e.code, { cause: err });
  }
  const tooLong = (limit: bigint): InputError =>
    new InputError(
      `the data (${name}) is longer than the ${limit} byte${limit === 1n ? '' : 's'} ${room.files.length === 1 ? 'the file holds' : 'the largest of the files holds'} from offset ${room.offsetText} on: use --grow to extend ${room.files.length === 1 ? 'it' : 'them'}; nothing was written`,
    );
  let taken: Uint8Array | OpenFile;
  try {
    // A device's bytes may never end (/dev/zero, /dev/urandom): with nothing else to bound them
    // (--grow, insert) they would fill the disk with the spooled copy. Such a source needs --length.
    if (take === undefined && room.limit === undefined && input.stat.isCharacterDevice()) {
      throw new InputError(`${name} is a character device, which may never end: give --length N to take its first N bytes`);
    }
    if (!readsInOrder(input) && room.files.some((f) => isFile(f, input))) input = spooled(input, { copy: true });
    taken = takeInput(input, {
      memory: IN_MEMORY,
      ...(room.limit !== undefined && { limit: room.limit, tooLong }),
      ...(take !== undefined && { take }),
    });
  } catch (err) {
    input.close();
    if (err instanceof InputError || err instanceof OperationError) throw err;
    throw fsError(err, `cannot read ${name}`);
  }
  if (taken instanceof Uint8Array) {
    if (taken.length === 0) throw new InputError(arg === '-' ? 'standard input was empty: nothing to write' : `--file ${arg} is empty: nothing to write`);
    return { data: taken, close: () => {} };
  }
  const file = taken;
  const length = file.size!;
  if (length > BigInt(Number.MAX_SAFE_INTEGER)) {
    file.close();
    throw new InputError(`the data (${name}) is too large`);
  }
  return { data: { file, offset: 0n, length: Number(length) }, close: () => file.close() };
}

/** Which data source reads standard input, if any: --stdin, `-` as the data, or --file -. */
export function stdinSource(hex: readonly string[], opts: Record<string, unknown>): string | undefined {
  if (opts.stdin) return '--stdin';
  if (hex.length === 1 && hex[0] === '-') return '-';
  if (opts.file === '-') return '--file -';
  return undefined;
}

/** The data of write's sources (also insert's). */
export async function readData(hex: string[], opts: Record<string, unknown>, room: Room): Promise<Data> {
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
  const streams = viaStdin !== undefined || opts.file !== undefined;
  if (opts.length !== undefined && opts.fill === undefined && !streams) throw new InputError('--length only goes with --fill, --file or --stdin');

  let bytes: Uint8Array;
  const source = sources[0] as string;
  if (streams) {
    if (viaStdin !== undefined && terminalColumns(0) !== undefined) {
      throw new InputError(`${viaStdin === '--stdin' ? '--stdin is' : `${viaStdin} but standard input is`} a terminal: pipe the data in`);
    }
    let take: bigint | undefined;
    if (opts.length !== undefined) {
      take = parseLength(String(opts.length));
      if (take === 0n) throw new InputError('--length 0: nothing to write');
      if (take > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(`--length ${String(opts.length)} is too large`);
    }
    return { ...streamed(viaStdin !== undefined ? '-' : String(opts.file), room, take), source };
  } else if (hex.length > 0) {
    bytes = parseHexData(hex);
  } else if (opts.text !== undefined) {
    bytes = parseTextData(String(opts.text));
  } else if (opts.fill !== undefined) {
    const byte = parseNumber(String(opts.fill), 'fill byte');
    if (byte < 0n || byte > 255n) throw new InputError(`fill byte ${String(opts.fill)} is not a byte (0..255)`, { token: String(opts.fill) });
    if (opts.length === undefined) throw new InputError('--fill needs --length N');
    const length = parseLength(String(opts.length));
    if (length === 0n) throw new InputError('--length 0: nothing to write');
    if (length > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(`--length ${String(opts.length)} is too large`);
    return { data: { fill: Number(byte), length: Number(length) }, source };
  } else {
    const t = typed[0] as TypedType;
    bytes = encodeTyped(t, String(opts[t]));
  }
  return { data: bytes, source };
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
  const o = await parseOptions(offsetText, hex, opts, t.files);
  try {
    timer.lap('parse');
    return await eachFile(ctx, t, (path) => writeFile(ctx, path, o, t.several ? new Timer() : timer), { total, prefixSummary: true });
  } finally {
    o.close?.();
  }
}

/** The command's options, made once from commander's values (and shared by every file of a run). */
interface WriteOptions extends Data {
  readonly offset: Offset;
  readonly expect: Uint8Array | undefined;
  readonly grow: boolean;
  readonly sync: boolean;
  readonly force: boolean;
}

/** Everything that can be checked without the file, checked first. */
async function parseOptions(offsetText: string, hex: string[], opts: Record<string, unknown>, files: readonly string[]): Promise<WriteOptions> {
  const offset = parseOffset(offsetText);
  const expect = opts.expect !== undefined ? parseHexData([String(opts.expect)]) : undefined;
  const grow = !!opts.grow;
  const data = await readData(hex, opts, room(files, offset, offsetText, grow));
  const length = dataLength(data.data);
  if (expect && expect.length !== length) {
    data.close?.();
    throw new InputError(`--expect has ${expect.length} bytes but the data has ${length}: they must cover the same bytes`);
  }
  return { ...data, offset, expect, grow, sync: opts.sync !== false, force: !!opts.force };
}

/** Writes the data into one file (the engine's writeToFile) and reports it. */
async function writeFile(ctx: Context, path: string, o: WriteOptions, timer: Timer): Promise<Result> {
  const opening = { write: true, force: o.force, lockWait: ctx.lockWait, blocking: true, access: 'written' as const, timer };
  let r: WriteOutcome;
  try {
    r = await withFile(path, opening, (file) =>
      writeToFile(file, o.offset, o.data, { expect: o.expect, grow: o.grow, sync: o.sync, clock: timer, arch: ctx.arch }),
    );
  } catch (err) {
    // The engine's words, with the flags that change the outcome.
    if (err instanceof PastEndError) throw new InputError(`${err.message}; use --grow to extend it`);
    if (err instanceof WriteGuardError && err.reason === 'past-end') {
      throw new GuardError(`--expect ${formatHex(err.expected)} at ${formatOffset(err.offset)}: the file ends at ${formatOffset(err.fileSize!)}`);
    }
    throw err;
  }
  return report(r, o.source, timer);
}

/** The summary line and the --json report of one file's write. */
function report(r: WriteOutcome, source: string, timer: Timer): Result {
  const { length } = r;
  const shown = (bytes: Uint8Array, more: boolean): string => `${formatHex(bytes.subarray(0, 8))}${more ? ' …' : ''}`;
  const where = `at ${formatOffset(r.offset)}`;
  const plural = length === 1 ? '' : 's';
  const change = `(${r.old.length === 0 ? 'past the end' : shown(r.old, r.old.length > 8)} -> ${shown(r.new, length > 8)})`;
  const summary =
    r.status === 'already'
      ? `already: ${length} byte${plural} ${where} are ${shown(r.new, length > 8)}, nothing written ${timer.describe()}`
      : `wrote ${length} byte${plural} ${where} ${change}${r.grewTo !== null ? `, file grown from ${r.grewFrom} to ${r.grewTo} bytes` : ''}${r.synced ? '' : ' (not synced)'} ${timer.describe()}`;
  return {
    summary,
    showSummary: true,
    json: {
      status: r.status,
      file: r.path,
      offset: r.offset,
      length,
      source,
      old: Buffer.from(r.old).toString('hex'),
      new: Buffer.from(r.new).toString('hex'),
      grewFrom: r.grewFrom,
      grewTo: r.grewTo,
      synced: r.synced,
      timings: timer.json(),
    },
  };
}
