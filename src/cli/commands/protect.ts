// mmapx protect FILE ro|rw|exec|none: map, change the protection through the core, and check what
// the kernel says the mapping now is (src/edit/protect.ts); --hold keeps it for other processes.
import { protectFile, type ProtectMode } from '../../edit/protect.js';
import { Timer } from '../../edit/timing.js';
import { InputError } from '../../errors.js';
import { formatOffset, parseSeconds } from '../../format/number.js';
import { parseRange, type Range } from '../../format/range.js';
import type { Context, Result } from '../context.js';

interface ProtectArgs {
  path: string;
  mode: ProtectMode;
  range: Range | undefined;
  /** Seconds to hold the mapping (Infinity: until a signal), or undefined. */
  hold: number | undefined;
  force: boolean;
}

/** The longest delay a Node.js timer takes (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function parseHold(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (value === true) return Infinity;
  const s = parseSeconds(String(value));
  if (s === undefined || s <= 0) throw new InputError(`--hold ${String(value)}: give a number of seconds above 0`, { token: String(value) });
  return s;
}

function parseOptions(args: unknown[], opts: Record<string, unknown>): ProtectArgs {
  return {
    path: args[0] as string,
    mode: args[1] as ProtectMode,
    range: opts.range !== undefined ? parseRange(String(opts.range)) : undefined,
    hold: parseHold(opts.hold),
    force: opts.force === true,
  };
}

/** Catches SIGINT/SIGTERM now; resolves on one of them or after the timeout. */
function hold(seconds: number): Promise<string> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (why: string) => {
      clearTimeout(timer);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(why);
    };
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    // A timer takes at most MAX_TIMER_MS (about 24.8 days): a longer one fires at once, with a
    // warning on stderr. So a long hold re-arms until its end; an endless one ticks rarely.
    const end = Date.now() + seconds * 1000;
    const arm = (): NodeJS.Timeout | undefined => {
      const left = end - Date.now();
      if (left <= 0) {
        done('timeout');
        return undefined;
      }
      return setTimeout(
        () => {
          timer = arm();
        },
        Math.min(left, MAX_TIMER_MS),
      );
    };
    timer = arm();
  });
}

export default async function protect(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  ctx.path = args[0] as string; // named in errors, those of the options included
  const o = parseOptions(args, opts);
  const { path, mode } = o;
  const timer = new Timer();
  const options = {
    ...(o.range && { range: o.range }),
    force: o.force,
    ...(ctx.lockWait !== undefined && { lockWait: ctx.lockWait }),
    ...(ctx.arch !== undefined && { arch: ctx.arch }),
    blocking: true,
    clock: timer,
  };
  return protectFile(path, mode, options, async (p): Promise<Result> => {
    const { start, end } = p.address;
    const span = `${formatOffset(p.range.offset)}..${formatOffset(p.range.offset + p.range.length)}`;
    const addr = `${start.toString(16)}-${end.toString(16)}`;
    const line = `${path} ${span} mapped ${p.perms} at ${addr} (checked in ${p.source}${p.read ? ', read ok' : ''}) ${timer.describe()}`;
    const json = {
      status: 'protected',
      file: path,
      mode,
      range: p.range,
      perms: p.perms,
      address: { start: `0x${start.toString(16)}`, end: `0x${end.toString(16)}` },
      pid: process.pid,
      read: p.read,
      timings: timer.json(),
    };
    if (o.hold === undefined) return { stdout: `${line}\n`, summary: line, showSummary: false, json };
    // Catch the signals before speaking: whoever reads the line may signal at once.
    const released = hold(o.hold);
    // Speak first, so that another process can look at the mapping while we hold it.
    const until = Number.isFinite(o.hold) ? `for ${o.hold} s or until` : 'until';
    ctx.emit({
      stdout: `${line}\nholding: pid ${process.pid} keeps ${addr} ${p.perms} ${until} SIGINT/SIGTERM\n`,
      showSummary: false,
      json: { ...json, holding: true, holdSeconds: Number.isFinite(o.hold) ? o.hold : null },
    });
    const why = await released;
    if (!ctx.globals.json) ctx.stderr(`released after ${why}\n`);
    return { showSummary: false, json: {}, printed: true };
  });
}
