// mmapx protect FILE ro|rw|exec|none: map, change the protection through the core, and check what
// the kernel says the mapping now is. Nothing mapped is ever executed.
import { readFileSync } from 'node:fs';
import { InputError, OperationError } from '../../errors.js';
import { formatOffset } from '../../format/number.js';
import { parseRange } from '../../format/range.js';
import { type Mmap, MmapError, type MmapMut, type MmapNone, MmapOptions, pageSize } from '../../mmap/index.js';
import type { Context, Result } from '../context.js';
import { openFile, shrankSinceOpen, targetRange } from '../files.js';
import { mountOf } from '../mounts.js';
import { Timer } from '../timing.js';

type Mode = 'ro' | 'rw' | 'exec' | 'none';

/** What /proc/self/maps shows for a shared mapping in each mode. */
const EXPECTED: Record<Mode, string> = { ro: 'r--s', rw: 'rw-s', exec: 'r-xs', none: '---s' };

/** The permissions field of the /proc/self/maps line for [start, end). */
function kernelPerms(start: bigint, end: bigint): string | undefined {
  const prefix = `${start.toString(16)}-${end.toString(16)} `;
  const line = readFileSync('/proc/self/maps', 'latin1')
    .split('\n')
    .find((l) => l.startsWith(prefix));
  return line?.split(' ')[1];
}

function parseHold(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (value === true) return Infinity;
  const s = Number(value);
  if (!Number.isFinite(s) || s <= 0) throw new InputError(`--hold ${String(value)}: give a number of seconds above 0`, { token: String(value) });
  return s;
}

/** Catches SIGINT/SIGTERM now; resolves on one of them or after the timeout. */
function hold(seconds: number): Promise<string> {
  return new Promise((resolve) => {
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
    const timer = Number.isFinite(seconds) ? setTimeout(() => done('timeout'), seconds * 1000) : setInterval(() => {}, 1 << 30);
  });
}

export default async function protect(ctx: Context, args: unknown[], opts: Record<string, unknown>): Promise<Result> {
  const [path, mode] = args as [string, Mode];
  ctx.path = path;
  const timer = new Timer();
  const range = opts.range !== undefined ? parseRange(String(opts.range)) : undefined;
  const holdFor = parseHold(opts.hold);
  let file: ReturnType<typeof openFile>;
  try {
    file = openFile(path, { write: mode === 'rw', force: !!opts.force, lock: 'shared' });
  } catch (err) {
    if (err instanceof OperationError && err.code === 'EACCES') {
      throw new OperationError(`${err.message}: mode ${mode} needs ${mode === 'rw' ? 'read and write' : 'read'} permission`, 'EACCES');
    }
    throw err;
  }
  timer.lap('open');
  pageSize(); // loads the FFI on first use, timed on its own
  timer.lap('ffi');
  try {
    const r = targetRange(file, range);
    const initial = new MmapOptions().offset(r.offset).len(r.length).map({ fd: file.fd, path });
    timer.lap('map');
    let map: Mmap | MmapMut | MmapNone;
    try {
      map =
        mode === 'ro' ? initial.makeReadOnly() : mode === 'rw' ? initial.makeMut() : mode === 'exec' ? initial.makeExec() : initial.makeNone();
    } catch (err) {
      initial.unmap();
      if (err instanceof MmapError && mode === 'exec' && (err.code === 'EACCES' || err.code === 'EPERM')) {
        const mount = mountOf(path, file.stat);
        if (mount?.options.includes('noexec')) {
          throw new OperationError(`cannot map it executable: ${mount.mountPoint} is mounted noexec`, err.code);
        }
      }
      throw err;
    }
    timer.lap('mprotect');
    try {
      const { start, end } = map.addressRange();
      const perms = kernelPerms(start, end);
      if (perms !== EXPECTED[mode]) {
        throw new OperationError(`the kernel shows the mapping as ${perms ?? 'absent'}, expected ${EXPECTED[mode]}`);
      }
      // A read where the mode allows it proves the pages are really accessible. Never executed.
      let readOk: boolean | null = null;
      if (mode !== 'none' && map.length > 0) {
        const bytes = (map as Mmap | MmapMut).bytes;
        readOk = bytes[0] !== undefined && bytes[bytes.length - 1] !== undefined;
        map.assertIntact('read');
      }
      timer.lap('verify');
      const span = `${formatOffset(r.offset)}..${formatOffset(r.offset + r.length)}`;
      const addr = `${start.toString(16)}-${end.toString(16)}`;
      const line = `${path} ${span} mapped ${perms} at ${addr} (checked in /proc/self/maps${readOk ? ', read ok' : ''}) ${timer.describe()}`;
      const json = {
        status: 'protected',
        file: path,
        mode,
        range: { offset: r.offset, length: r.length },
        perms,
        address: { start: `0x${start.toString(16)}`, end: `0x${end.toString(16)}` },
        pid: process.pid,
        read: readOk,
        timings: timer.json(),
      };
      if (holdFor === undefined) return { stdout: `${line}\n`, summary: line, showSummary: false, json };
      // Catch the signals before speaking: whoever reads the line may signal at once.
      const released = hold(holdFor);
      // Speak first, so that another process can look at the mapping while we hold it.
      const until = Number.isFinite(holdFor) ? `for ${holdFor} s or until` : 'until';
      ctx.emit({
        stdout: `${line}\nholding: pid ${process.pid} keeps ${addr} ${perms} ${until} SIGINT/SIGTERM\n`,
        showSummary: false,
        json: { ...json, holding: true, holdSeconds: Number.isFinite(holdFor) ? holdFor : null },
      });
      const why = await released;
      if (!ctx.globals.json) ctx.stderr(`released after ${why}\n`);
      return { showSummary: false, json: {}, printed: true };
    } finally {
      map.unmap();
    }
  } catch (err) {
    throw shrankSinceOpen(file, err, 'read');
  } finally {
    file.close();
  }
}
