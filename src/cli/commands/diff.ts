// mmapx diff OLD NEW [-o PATCH] [--format native|cmp|ips|side|bps|ups|ips32|vcdiff]: the guarded
// native patch that turns OLD into NEW (old and new bytes per hunk, nearby changes coalesced, the
// size change as `size before` / `size after`), GNU `cmp -l` lines, an IPS patch, the side-by-side
// view of the lines that differ (-U context lines, -c bytes per side; --json lists the runs of
// differing bytes instead), or a delta patch (BPS, UPS, IPS32, VCDIFF: src/edit/delta-diff.ts; BPS
// and VCDIFF find moved and shifted data). Both files are compared
// window by window through read-only maps, so memory stays flat; the patch is streamed out (the
// engine: src/edit/diff.ts; this file adds the options, -o, --json and the summary).
//
// Exit status 0 whether or not the files differ (unlike cmp and diff: 1 means "failed" here);
// the output and --json's `identical` tell.
//
// If another process truncates either file meanwhile, nothing computed from a window that faulted
// or that the file no longer covers is written out: one ERR_TRUNCATED line naming that file, exit 1,
// and no -o file is left behind.
import { InputError } from '../../errors.js';
import { SIDE_MAX_COLS, SIDE_MAX_CONTEXT } from '../../format/patch/side.js';
import { escapeTerminal, terminalColumns } from '../../mmap/sys/terminal.js';
import { ansiPairs, colorLevel, viewColumns } from '../color.js';
import { parseNumber } from '../../format/number.js';
import { formatCrc32 } from '../../format/digest.js';
import { hex } from '../../format/patch/lex.js';
import type { Context, Result } from '../context.js';
import { type DiffFormat, type DiffRun, IpsLimitError, openFileDiff, type SideColors } from '../../edit/diff.js';
import { type DeltaSummary, isDeltaDiffFormat } from '../../edit/delta-diff.js';
import { OutputFile, outputTarget, sameFile } from '../outfile.js';
import { Timer } from '../../edit/timing.js';

/** The command line of diff, checked. */
interface DiffOptions {
  oldPath: string;
  newPath: string;
  format: DiffFormat;
  /** -o PATH; undefined for standard output (also `-o -`). */
  target: string | undefined;
  coalesce: number;
  sha256: boolean;
  force: boolean;
  stats: boolean;
  json: boolean;
  /** --format side: -c (undefined: from the terminal's width), -U. */
  cols: number | undefined;
  context: number;
}

/** A small integer option. */
function intOption(text: unknown, flag: string, min: number, max: number): number {
  const n = parseNumber(String(text), flag);
  if (n < BigInt(min) || n > BigInt(max)) throw new InputError(`${flag} ${String(text)} must be ${min}..${max}`, { token: String(text) });
  return Number(n);
}

function parseOptions(ctx: Context, args: unknown[], opts: Record<string, unknown>): DiffOptions {
  const [oldPath, newPath] = args as [string, string];
  const format = (opts.format ?? 'native') as DiffFormat;
  const target = outputTarget(opts.output); // `-o -` is standard output
  if (format !== 'side') {
    if (opts.context !== undefined) throw new InputError(`-U/--context only applies to --format side, not ${format}`);
    if (opts.cols !== undefined) throw new InputError(`-c/--cols only applies to --format side, not ${format}`);
  } else if (opts.coalesce !== undefined) throw new InputError('--coalesce does not apply to --format side');
  const context = opts.context !== undefined ? intOption(opts.context, '-U/--context', 0, SIDE_MAX_CONTEXT) : 3;
  const cols = opts.cols !== undefined ? intOption(opts.cols, '-c/--cols', 1, SIDE_MAX_COLS) : undefined;
  let coalesce = 8;
  if (opts.coalesce !== undefined) {
    const n = parseNumber(String(opts.coalesce), 'coalesce');
    if (n < 0n || n > 1_000_000n) throw new InputError(`--coalesce ${String(opts.coalesce)} must be 0..1000000`);
    coalesce = Number(n);
  }
  const json = ctx.globals.json;
  const binary = format === 'ips' || isDeltaDiffFormat(format);
  if (binary && json && target === undefined) throw new InputError(`--format ${format} with --json needs -o PATCH (the patch is binary)`);
  if (isDeltaDiffFormat(format)) {
    if (opts.coalesce !== undefined && format !== 'ips32') throw new InputError(`--coalesce does not apply to --format ${format}`);
    if (target === undefined && terminalColumns(ctx.streams.stdoutFd) !== undefined) {
      throw new InputError(`--format ${format} writes a binary patch: give -o PATCH or redirect standard output`);
    }
  }
  if (format !== 'native' && opts.sha256) throw new InputError(`--sha256 guards only exist in the native format, not --format ${format}`);
  return { oldPath, newPath, format, target, coalesce, sha256: !!opts.sha256, force: !!opts.force, stats: !!opts.stats, json, cols, context };
}

/** OLD's differing bytes in red, NEW's in green. chalk is loaded only when colour is on. */
function sidePalette(level: 1 | 2 | 3): Promise<SideColors> {
  return ansiPairs(level, (c) => ({ old: c.red.bold, new: c.green.bold }));
}

/** The width the view fits when -c is not given ($COLUMNS, else the terminal's): see viewColumns. */
function viewWidth(ctx: Context, target: string | undefined): number | undefined {
  return viewColumns(ctx.env, target === undefined ? terminalColumns(ctx.streams.stdoutFd) : undefined);
}

/** A run for --json: offsets as numbers. */
function runJson(r: DiffRun): Record<string, unknown> {
  return { offset: r.offset, length: r.length, old: r.old, new: r.new };
}

/** Where the patch goes: stdout, an {@link OutputFile} (-o: see outfile.ts for each kind of path), or memory (--json). */
class Output {
  readonly #file: OutputFile | undefined;
  readonly #ctx: Context;
  readonly #keep: boolean;
  #parts: (string | Uint8Array)[] = [];
  #pending = 0;
  readonly kept: (string | Uint8Array)[] = [];

  constructor(ctx: Context, target: string | undefined, keep: boolean) {
    this.#ctx = ctx;
    this.#keep = keep;
    this.#file = target !== undefined ? new OutputFile(target) : undefined;
  }

  /** `transient`: the engine reuses `data` after the call: written at once (after what is pending), or copied to be kept. */
  write(data: string | Uint8Array, transient: boolean): void {
    if (this.#keep) {
      this.kept.push(transient && typeof data !== 'string' ? data.slice() : data);
      return;
    }
    if (transient && typeof data !== 'string') {
      this.flush();
      this.#send(data);
      return;
    }
    this.#parts.push(data);
    this.#pending += data.length;
    if (this.#pending >= 1024 * 1024) this.flush();
  }

  flush(): void {
    if (this.#parts.length === 0) return;
    const all = this.#parts.every((p) => typeof p === 'string')
      ? this.#parts.join('')
      : Buffer.concat(this.#parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    this.#parts = [];
    this.#pending = 0;
    this.#send(all);
  }

  #send(data: string | Uint8Array): void {
    if (this.#file === undefined) this.#ctx.stdout(data);
    else this.#file.write(data);
  }

  /** Flushes, and puts a file output in place. */
  finish(): void {
    this.flush();
    this.#file?.finish();
  }

  /** On failure: no half-written output file is left behind. */
  abandon(): void {
    this.#file?.abandon();
  }
}

/** `12 ops: 3 copies (1000 bytes), 2 fills (40 bytes), 7 literals (99 bytes)`: the ops of a delta patch. */
function deltaWhat(d: DeltaSummary): string {
  const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;
  const parts = d.sourceOps > 0 || d.indexBytes > 0 ? [`${n(d.sourceOps, 'copy', 'copies')} (${n(d.copied, 'byte')})`] : [];
  if (d.targetOps > 0) parts.push(`${n(d.targetOps, 'repeat')} (${n(d.targetCopied, 'byte')})`);
  if (d.fillOps > 0) parts.push(`${n(d.fillOps, 'fill')} (${n(d.filled, 'byte')})`);
  if (d.xorOps > 0) parts.push(`${n(d.xorOps, 'xor run')} (${n(d.added, 'byte')})`);
  else parts.push(`${n(d.dataOps, 'literal')} (${n(d.added, 'byte')})`);
  return `${n(d.ops, 'op')}: ${parts.join(', ')}`;
}

/** The --json keys of a delta patch. */
function deltaJson(d: DeltaSummary, bytes: number): Record<string, unknown> {
  return {
    patchBytes: bytes,
    ops: d.ops,
    sourceOps: d.sourceOps,
    targetOps: d.targetOps,
    fillOps: d.fillOps,
    dataOps: d.dataOps,
    xorOps: d.xorOps,
    bytesCopied: d.copied,
    bytesUnchanged: d.unchanged,
    bytesRepeated: d.targetCopied,
    bytesFilled: d.filled,
    bytesAdded: d.added,
    crc32: d.crc32 === undefined ? null : { old: formatCrc32(d.crc32.source), new: formatCrc32(d.crc32.target) },
    indexBytes: d.indexBytes,
  };
}

/** The engine's IPS limit in the words of the command line. */
function ipsLimitMessage(e: IpsLimitError): string {
  return e.change === 'truncate'
    ? `--format ips cannot truncate to ${e.size} bytes: its truncation size ends at ${hex(0xffffffn)} (16 MiB); use the native format`
    : `--format ips cannot grow a file to ${e.size} bytes: its offsets end at ${hex(0xffffffn)} (16 MiB); use the native format`;
}

export default async function diff(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  ctx.path = args[0] as string;
  const timer = new Timer();
  const o = parseOptions(ctx, args, opts);
  const { oldPath, newPath, format, target, json } = o;
  timer.lap('parse');

  const side = format === 'side';
  // The view goes to -o, or to standard output without --json (--json lists the runs instead).
  const text = !side || target !== undefined || !json;
  // escapeTerminal: a terminal, and on Windows a console whose escape processing is on (turned on here).
  const mode = ctx.globals.color;
  const level = side && text ? colorLevel(mode, target === undefined && mode !== 'never' && escapeTerminal(ctx.streams.stdoutFd), ctx.env) : 0;
  const colors = level > 0 ? await sidePalette(level as 1 | 2 | 3) : undefined;
  const d = await openFileDiff(oldPath, newPath, {
    format,
    ...(side && {
      ...(o.cols !== undefined ? { cols: o.cols } : { width: viewWidth(ctx, target) }),
      context: o.context,
      text,
      ...(colors && { colors }),
    }),
    coalesce: o.coalesce,
    sha256: o.sha256,
    force: o.force,
    lockWait: ctx.lockWait,
    blocking: true,
    clock: timer,
    onPendingJournal: (f, j) => ctx.warnIfJournal(f, j),
  });
  let out: Output | undefined;
  try {
    if (target !== undefined && (sameFile(target, d.a) || sameFile(target, d.b))) {
      throw new InputError(`-o ${target} is one of the files being compared`);
    }
    d.preflight();
    out = new Output(ctx, target, json && target === undefined);
    const found = d.run((data, transient) => out!.write(data, transient), ctx.progress);
    timer.lap('compare');
    out.finish();
    timer.lap('output');
    const { sizeOld: sizeA, sizeNew: sizeB, identical, hunks = 0, bytesChanged: changed = 0, eof, sha256 } = found;
    const runCount = found.runCount ?? 0;
    const what =
      format === 'cmp'
        ? `${found.bytes === 0 ? 'no' : 'some'} differing bytes`
        : side
          ? `${runCount} run${runCount === 1 ? '' : 's'} of differing bytes, ${changed} byte${changed === 1 ? '' : 's'}`
          : `${hunks} hunk${hunks === 1 ? '' : 's'}, ${changed} byte${changed === 1 ? '' : 's'} changed`;
    const delta = found.delta;
    const patchSize = delta ? `, ${format} patch of ${found.bytes} byte${found.bytes === 1 ? '' : 's'}` : '';
    const summary = `${identical ? 'identical' : delta ? deltaWhat(delta) : what}${patchSize}${sizeA !== sizeB ? `, size ${sizeA} -> ${sizeB}` : ''}${target ? `, written to ${target}` : ''} ${timer.describe()}`;
    const keptText =
      json && format !== 'ips' && !isDeltaDiffFormat(format) && !side
        ? out.kept.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString())).join('')
        : undefined;
    if (eof && !json && !ctx.globals.quiet) ctx.stderr(`mmapx: diff: ${eof}\n`);
    return {
      summary,
      showSummary: o.stats,
      json: {
        old: oldPath,
        new: newPath,
        format,
        sizeOld: sizeA,
        sizeNew: sizeB,
        identical,
        ...(format !== 'cmp' && !side && !delta && { hunks, bytesChanged: changed }),
        ...(delta && deltaJson(delta, found.bytes)),
        ...(side && {
          ...(found.hunks !== undefined && { hunks }),
          bytesChanged: changed,
          runCount,
          runs: (found.runs ?? []).map(runJson),
          runsTruncated: runCount > (found.runs?.length ?? 0),
        }),
        ...(eof !== undefined && { eof }),
        sha256,
        output: target ?? null,
        ...(keptText !== undefined && target === undefined && { patch: keptText }),
        timings: timer.json(),
      },
    };
  } catch (err) {
    out?.abandon();
    throw err instanceof IpsLimitError ? new InputError(ipsLimitMessage(err)) : err;
  } finally {
    d.close();
  }
}
