// mmapx find FILE PATTERN [--text] [--count] [--max N] [--range R] [--align N]: offsets of a byte
// pattern (hex with ?? and nibble wildcards, text, or a typed value: TYPE:VALUE as the PATTERN, or
// FILE... --u32le VALUE and the other types of write), scanned by src/edit/find.ts. FILE... PATTERN
// (or --files-from LIST): the pattern is compiled once, each file scanned on its own, matches
// printed as PATH:0x1f40 (src/cli/multi.ts runs the loop).
//
// Exit status: 0 when something matched, 3 when nothing did (like grep's 1, but 1 is "the
// operation failed" here, so CI can tell "pattern absent" from "could not read the file").
// A file cut by another process meanwhile ends with one ERR_TRUNCATED line, exit 1 (what was
// printed before came from windows checked whole).
import { bindOptionalRange } from '../../edit/address.js';
import { readSpan, withFile } from '../../edit/files.js';
import { imageOf } from '../../edit/image.js';
import { type Location, locator, sectionPlace } from '../../format/exe/locate.js';
import { countOnThreads, type FindTally, findWindows } from '../../edit/find.js';
import { Timer } from '../../edit/timing.js';
import { EXIT_GUARD, InputError } from '../../errors.js';
import { encodeTyped, parseHexPattern, parseTextData, parseTypedToken, TYPED_TYPES, type TypedType } from '../../format/data.js';
import { formatOffset, parseNumber } from '../../format/number.js';
import { formatPattern } from '../../format/patch/lex.js';
import { parseRange, type Range } from '../../format/range.js';
import { type BytePattern, type CompiledPattern, compilePattern } from '../../format/search.js';
import type { Context, Result } from '../context.js';
import { archOf } from '../image-info.js';
import { eachFile, missingArgument, targets } from '../multi.js';

/** The command's options, made once from commander's values (and shared by every file of a run). */
interface FindOptions {
  readonly pattern: BytePattern;
  readonly compiled: CompiledPattern;
  /** The pattern as the output shows it. */
  readonly shownPattern: string;
  /** The pattern without its alignment, for --json (which has `align`). */
  readonly jsonPattern: string;
  readonly max: number | undefined;
  readonly range: Range | undefined;
  readonly count: boolean;
  readonly stats: boolean;
  readonly force: boolean;
  /** Several files: every line names its file (grep -H). */
  readonly several: boolean;
  /** --addr: each match also as sec:NAME+OFF and va:ADDR (executables). */
  readonly addr: boolean;
}

/** The typed-value option given (--u32le ...), if any; more than one, or one with --text, is refused. */
function typedOption(opts: Record<string, unknown>): TypedType | undefined {
  const typed = TYPED_TYPES.filter((t) => opts[t] !== undefined);
  if (typed.length > 1) throw new InputError(`give one value to find: ${typed.map((t) => `--${t}`).join(' and ')}`);
  if (typed.length === 1 && opts.text) throw new InputError(`--text and --${typed[0]} exclude each other: give one pattern`);
  return typed[0];
}

function parseOptions(patternText: string | undefined, several: boolean, opts: Record<string, unknown>): FindOptions {
  const typed = typedOption(opts);
  const exact = (bytes: Uint8Array): BytePattern => ({ bytes, mask: new Uint8Array(bytes.length).fill(0xff) });
  let pattern: BytePattern;
  let shownPattern: string;
  const token = typed === undefined && !opts.text ? parseTypedToken(patternText!) : undefined;
  if (typed !== undefined) {
    const value = String(opts[typed]);
    pattern = exact(encodeTyped(typed, value));
    shownPattern = `${typed}:${value}`;
  } else if (token !== undefined) {
    pattern = exact(token.bytes);
    shownPattern = `${token.type}:${token.value}`;
  } else if (opts.text) {
    pattern = exact(parseTextData(patternText!));
    shownPattern = JSON.stringify(patternText);
  } else {
    pattern = parseHexPattern(patternText!, { nibbles: true });
    shownPattern = formatPattern(pattern.bytes, pattern.mask);
  }
  const jsonPattern = shownPattern;
  if (opts.align !== undefined) {
    const n = parseNumber(String(opts.align), 'align');
    if (n < 1n || n > BigInt(Number.MAX_SAFE_INTEGER))
      throw new InputError(`--align ${String(opts.align)} must be ${n < 1n ? 'at least 1' : 'at most 2^53-1'}`);
    pattern = { ...pattern, align: Number(n) };
    shownPattern += ` (aligned to ${n})`;
  }
  let max: number | undefined;
  if (opts.max !== undefined) {
    const n = parseNumber(String(opts.max), 'max');
    if (n < 1n) throw new InputError(`--max ${String(opts.max)} must be at least 1`);
    max = n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
  }
  const range = opts.range !== undefined ? parseRange(String(opts.range)) : undefined;
  const compiled = compilePattern(pattern);
  const addr = !!opts.addr;
  if (addr && opts.count) throw new InputError('--addr tells where each match is; --count prints only how many: give one of them');
  return {
    pattern,
    compiled,
    shownPattern,
    jsonPattern,
    max,
    range,
    count: !!opts.count,
    stats: !!opts.stats,
    force: !!opts.force,
    several,
    addr,
  };
}

export default async function find(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  // FILE... PATTERN: the last argument is the pattern (with --files-from, FILEs are optional);
  // with a typed value (--u32le V) every argument is a FILE.
  const operands = (args[0] as string[] | undefined) ?? [];
  const list = opts.filesFrom !== undefined;
  const typed = typedOption(opts) !== undefined;
  if (!typed && operands.length === 0) throw missingArgument(list ? 'pattern' : 'file', 'find');
  if (!typed && operands.length === 1 && !list) throw missingArgument('pattern', 'find');
  const t = await targets('find', typed ? operands : operands.slice(0, -1), opts);
  if (!t.several) ctx.path = t.files[0];
  const timer = new Timer();
  const o = parseOptions(typed ? undefined : operands[operands.length - 1]!, t.several, opts);
  timer.lap('parse');
  return eachFile(ctx, t, (path) => findIn(ctx, path, o, t.several ? new Timer() : timer));
}

/** Searches one file: the single-file command from the open on. */
async function findIn(ctx: Context, path: string, o: FindOptions, timer: Timer): Promise<Result> {
  const prefix = o.several ? `${path}:` : '';
  // Offsets go out window by window, unless they are counted or go into the --json report.
  const stream = !o.count && !ctx.globals.json;
  const matches: bigint[] = [];
  // --addr: where each match is in the executable (sections, VAs), for the text and for --json.
  const places: Location[] = [];
  let locate: ((offset: bigint) => Location) | undefined;
  const line = (m: bigint): string => {
    if (locate === undefined) return `${prefix}${formatOffset(m)}\n`;
    const l = locate(m);
    const sec = sectionPlace(l);
    return sec === null ? `${prefix}${formatOffset(m)}\n` : `${prefix}${formatOffset(m)} sec:${sec}${l.va === null ? '' : ` va:${formatOffset(l.va)}`}\n`;
  };
  const opening = { write: false, force: o.force, lockWait: ctx.lockWait, blocking: true, access: 'read' as const, timer };
  const tally = await withFile(path, opening, (file): FindTally => {
    ctx.warnIfJournal(path);
    if (o.addr) {
      const arch = archOf(ctx);
      const l = locator(imageOf(file, arch !== undefined ? { arch } : {}));
      locate = (m) => l.locate(m);
    }
    const span = readSpan(file, bindOptionalRange(file, o.range, ctx));
    ctx.progress.phase(`find ${path}`, span.length ?? 0n);
    // A plain count: on every core.
    const counted = o.count && o.max === undefined ? countOnThreads(file, span, o.pattern, (done) => ctx.progress.update(done)) : undefined;
    if (counted) return counted;
    const run = findWindows(file, span, o.compiled, { ...(o.max !== undefined && { max: o.max }), count: o.count });
    for (let step = run.next(); ; step = run.next()) {
      if (step.done) return step.value;
      const batch = step.value;
      if (stream && batch.matches.length > 0) {
        ctx.stdout(batch.matches.map(line).join(''));
      } else if (!stream) {
        for (const m of batch.matches) matches.push(m);
        if (locate !== undefined) for (const m of batch.matches) places.push(locate(m));
      }
      ctx.progress.update(batch.scanned); // once per window
    }
  });
  timer.lap('scan');
  const { count, truncated } = tally;
  const found = count > 0;
  const stats = `${count} match${count === 1 ? '' : 'es'}${truncated ? ` (stopped at --max ${o.max})` : ''} of ${o.shownPattern} in ${formatOffset(tally.offset)}..${formatOffset(tally.offset + tally.length)} of ${path} ${timer.describe()}`;
  const result: Result = {
    summary: stats,
    showSummary: o.stats,
    json: {
      file: path,
      pattern: o.jsonPattern,
      matches: o.count ? null : matches,
      ...(o.addr && {
        addresses: places.map((l) => ({ offset: l.offset, section: l.section, sectionOffset: l.sectionOffset, va: l.va })),
      }),
      count,
      truncated,
      range: { offset: tally.offset, length: tally.length },
      align: o.pattern.align ?? 1,
      timings: timer.json(),
    },
    ...(!found && { exitCode: EXIT_GUARD, error: `no match for ${o.shownPattern}` }),
  };
  if (o.count) result.stdout = `${prefix}${count}\n`;
  if (stream && found) {
    // The offsets went out window by window; only the --stats line is left.
    if (o.stats && !ctx.globals.quiet) ctx.stderr(`${stats}\n`);
    result.printed = true;
  }
  return result;
}
