// Differential tests: the od dialect against the installed GNU od, and the hexdump-x|d|o|c|b
// formats against util-linux `hexdump -x -d -o -c -b`, byte for byte. The engine runs in-process
// on bytes pushed in windows cut at random points; the peer runs once per option set over the
// whole corpus (a shell loop), its outputs cut apart at a marker line no od or hexdump line can
// be. Skipped, with a notice, where a tool is missing.
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { dumpBytes, type Opts } from '../helpers/dump.js';
import { randomBytes as seeded, same } from '../helpers/peers.js';

/** Deterministic bytes (xorshift32, seed 1 unless given), so that failures reproduce. */
const randomBytes = (n: number, seed = 1): Buffer => seeded(n, seed);

const has = (cmd: string, args: string[]): boolean => !spawnSync(cmd, args, { stdio: 'ignore' }).error;
const HAVE_OD = has('od', ['--version']);
const HAVE_HEXDUMP = has('hexdump', ['--version']);
if (!HAVE_OD) console.warn('NOTICE: od not installed; differential tests against od are SKIPPED');
if (!HAVE_HEXDUMP) console.warn('NOTICE: hexdump not installed; differential tests against hexdump -x/-d/-o/-c/-b are SKIPPED');

const MARK = '@@mmapx-end-of-output@@';
const dir = mkdtempSync(join(tmpdir(), 'mmapx-od-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Random cut points for `n` bytes (deterministic). */
function cutsFor(n: number, seed: number): number[] {
  const r = randomBytes(6, seed + 1);
  return Array.from(r, (v, i) => Math.floor((((v * 257 + i * 31) % 1000) / 1000) * (n + 1)));
}

/** Runs of equal lines (for squeezing at widths 8, 16 and 32), unique lines between, and a tail. */
function runs(n: number, seed: number): Buffer {
  const parts: Buffer[] = [];
  let len = 0;
  let k = 0;
  while (len < n) {
    const kind = (seed + k++) % 4;
    const period = [8, 16, 32, 16][kind]!;
    const line = kind === 3 ? Buffer.alloc(period) : randomBytes(period, seed * 7 + k);
    const count = 1 + ((seed * 13 + k * 5) % 6);
    for (let c = 0; c < count; c++) parts.push(line);
    parts.push(randomBytes(1 + ((seed + k) % 20), k));
    len += period * count + 1 + ((seed + k) % 20);
  }
  return Buffer.concat(parts).subarray(0, n);
}

// One peer process per file and option set: the corpus is chosen so that every tail length
// modulo 8 and 16 and every squeezing case occurs, with as few files as that takes.
const SIZES = [0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 100, 255, 256, 257, 511, 777, 1000];
const RUN_SIZES = [40, 97, 160, 333, 641, 1000];
/** Every byte value twice (all the names and escapes of -t a and -t c), then runs of equal lines. */
const everyByte = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i))]);
const corpus: { name: string; bytes: Buffer }[] = [
  ...SIZES.map((n) => ({ name: `r${n}.bin`, bytes: randomBytes(n, n + 3) })),
  ...RUN_SIZES.map((n, i) => ({ name: `s${n}.bin`, bytes: runs(n, i + 1) })),
  { name: 'every.bin', bytes: everyByte },
  { name: 'zeros.bin', bytes: Buffer.alloc(999) },
];

beforeAll(() => {
  for (const c of corpus) writeFileSync(join(dir, c.name), c.bytes);
});

/** One spawn of a shell that runs every command line in turn (plain words, no quoting needed); the outputs in order. */
function peerRuns(lines: string[][]): Buffer[] {
  for (const w of lines.flat()) if (!/^[\w.=-]+$/.test(w)) throw new Error(`not a plain word: ${w}`);
  const script = lines.map((l) => `${l.join(' ')} || exit 1; printf '%s\\n' '${MARK}'`).join('\n');
  const r = spawnSync('sh', ['-c', script], { cwd: dir, env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${script.slice(0, 200)}: status ${r.status}: ${r.stderr}`);
  const outs = r.stdout.toString('latin1').split(`${MARK}\n`);
  expect(outs.pop()).toBe('');
  expect(outs.length).toBe(lines.length);
  return outs.map((s) => Buffer.from(s, 'latin1'));
}

/** A peer command line and our output for the same bytes. */
interface Run {
  line: string[];
  ours: Buffer;
}

/** Runs every peer command line in one spawn and compares each output with ours. */
function compareRuns(runs: Run[]): void {
  const outs = peerRuns(runs.map((r) => r.line));
  runs.forEach((r, i) => {
    same(r.ours, outs[i]!, r.line.join(' '));
  });
}

/** A few files with odd tails, runs and every byte value: for the option sets that vary the layout only. */
const SMALL = ['r1.bin', 'r7.bin', 'r33.bin', 's333.bin', 'every.bin'];

/** One option set on the corpus (or the files named): the peer's command lines and our outputs. */
function runsFor(cmd: string, args: string[], opts: Opts, names?: string[]): Run[] {
  const files = names === undefined ? corpus : corpus.filter((c) => names.includes(c.name));
  return files.map((c, i) => ({ line: [cmd, ...args, c.name], ours: dumpBytes(opts, c.bytes, cutsFor(c.bytes.length, i)) }));
}

/** Compare one option set on the corpus (or the files named); returns the number of files compared. */
function compareAll(cmd: string, args: string[], opts: Opts, names?: string[]): number {
  const runs = runsFor(cmd, args, opts, names);
  compareRuns(runs);
  return runs.length;
}

/** od's -t list as our options: several -t become several types. */
function od(types: string[], extra: { radix?: 'x' | 'o' | 'd' | 'n'; width?: number; v?: boolean } = {}): [string[], Opts] {
  const args = [`-A${extra.radix ?? 'x'}`, ...types.map((t) => `-t${t}`)];
  const opts: Opts = { format: 'od', types };
  if (extra.radix) opts.addressRadix = extra.radix;
  if (extra.width) {
    args.push(`-w${extra.width}`);
    opts.cols = extra.width;
  }
  if (extra.v) {
    args.push('-v');
    opts.squeeze = false;
  }
  return [args, opts];
}

describe.skipIf(!HAVE_OD)('od dialect against GNU od', () => {
  it('the default: od -A x -t x1z, with and without -v, on sizes 0..1000 and runs of equal lines', () => {
    let n = compareAll('od', ['-A', 'x', '-t', 'x1z', '-v'], { format: 'od', squeeze: false });
    n += compareAll('od', ['-A', 'x', '-t', 'x1z'], { format: 'od' });
    expect(n).toBe(2 * corpus.length);
  });

  it('every integer type and size in one block, every radix, squeezed and -v, on the whole corpus', { timeout: 120_000 }, () => {
    const sets: [string[], 'x' | 'o' | 'd' | 'n', number | undefined, boolean][] = [
      [['x1', 'x2', 'x4', 'x8', 'o1', 'o2', 'o4', 'o8'], 'o', undefined, false],
      [['d1', 'd2', 'd4', 'd8', 'u1', 'u2', 'u4', 'u8'], 'd', undefined, true],
      [['c', 'a', 'x2z'], 'n', 8, false],
    ];
    const runs: Run[] = [];
    for (const [types, radix, width, v] of sets) {
      const [args, opts] = od(types, { radix, ...(width && { width }), v });
      runs.push(...runsFor('od', args, opts));
    }
    compareRuns(runs);
  });

  it('single types (their own padding), letter sizes and z', () => {
    const runs: Run[] = [];
    for (const t of ['x2', 'o4', 'd8', 'u1', 'c', 'a', 'x', 'xL', 'dC', 'az']) {
      const [args, opts] = od([t]);
      runs.push(...runsFor('od', args, opts, SMALL));
    }
    compareRuns(runs);
  });

  it('several types per block (one line each, aligned), every address radix', () => {
    const sets: [string[], 'x' | 'o' | 'd' | 'n'][] = [
      [['x2', 'c', 'x1z'], 'x'],
      [['d1', 'u2', 'o4', 'x8', 'a'], 'o'],
      [['x8z', 'd2'], 'd'],
      [['o2d4', 'cx1'], 'n'],
      [['c', 'x1z'], 'd'],
      [['u4', 'x1'], 'n'],
    ];
    const runs: Run[] = [];
    for (const [types, radix] of sets) {
      const [args, opts] = od(types, { radix });
      runs.push(...runsFor('od', args, opts, SMALL));
    }
    compareRuns(runs);
  });

  it('-w: widths from 1 to 64 that are multiples of the largest unit', () => {
    const cases: [string[], number, boolean][] = [
      [['x1z'], 1, false],
      [['x1z'], 3, true],
      [['c', 'x1'], 7, false],
      [['x1z'], 32, false],
      [['x2', 'c'], 6, false],
      [['x4'], 12, true],
      [['d8', 'x1z'], 24, false],
      [['o2', 'u1', 'a'], 64, false],
    ];
    const runs: Run[] = [];
    for (const [types, width, v] of cases) {
      const [args, opts] = od(types, { width, v });
      runs.push(...runsFor('od', args, opts, SMALL));
    }
    compareRuns(runs);
  });

  it('-j and -N: addresses are absolute, the tail is cut where -N ends', () => {
    const runs: Run[] = [];
    const bytes = corpus.find((c) => c.name === 's1000.bin')!.bytes;
    for (const [j, n] of [
      [0, 0],
      [1, 5],
      [3, 100],
      [17, 33],
      [100, 900],
      [999, 1],
      [1000, 10],
      [250, 333],
    ] as const) {
      for (const [args, opts] of [od(['x1z']), od(['x2', 'c'], { radix: 'd' }), od(['o4'], { radix: 'o', v: true })]) {
        runs.push({
          line: ['od', ...args, '-j', String(j), '-N', String(n), 's1000.bin'],
          ours: dumpBytes({ ...opts, start: BigInt(j) }, bytes.subarray(j, j + n), [n >> 1]),
        });
      }
    }
    compareRuns(runs);
  });
});

describe.skipIf(!HAVE_HEXDUMP)('hexdump-x|d|o|c|b against hexdump -x -d -o -c -b', () => {
  it('each format, squeezed and with -v, on sizes 0..1000 and runs of equal lines', { timeout: 120_000 }, () => {
    const runs: Run[] = [];
    for (const letter of ['x', 'd', 'o', 'c', 'b'] as const) {
      const format = `hexdump-${letter}` as const;
      runs.push(...runsFor('hexdump', [`-${letter}`], { format }));
      // -v is one code path for all five: the whole corpus for two, the small one for the others.
      const names = letter === 'x' || letter === 'c' ? undefined : SMALL;
      runs.push(...runsFor('hexdump', [`-${letter}`, '-v'], { format, squeeze: false }, names));
    }
    expect(runs.length).toBe(7 * corpus.length + 3 * SMALL.length);
    compareRuns(runs);
  });

  it('-s and -n: offsets are absolute, odd tails zero-filled', () => {
    const runs: Run[] = [];
    const bytes = corpus.find((c) => c.name === 's641.bin')!.bytes;
    for (const [s, n] of [
      [1, 5],
      [3, 100],
      [17, 33],
      [300, 341],
      [640, 1],
      [641, 10],
    ] as const) {
      for (const letter of ['x', 'd', 'o', 'c', 'b'] as const) {
        const line = ['hexdump', `-${letter}`, '-s', String(s), '-n', String(n), 's641.bin'];
        runs.push({ line, ours: dumpBytes({ format: `hexdump-${letter}`, start: BigInt(s) }, bytes.subarray(s, s + n), [n >> 1]) });
      }
    }
    compareRuns(runs);
  });
});

// Addresses at and above 2^32: a sparse file lets the peers seek there for real.
describe.skipIf(!HAVE_OD || !HAVE_HEXDUMP)('od and hexdump-* beyond 4 GiB', () => {
  it('od -j and hexdump -s across 2^32: the address widens, continuation lines do not', () => {
    const G4 = 2 ** 32;
    const sparse = join(dir, 'sparse.bin');
    const fd = openSync(sparse, 'w');
    ftruncateSync(fd, G4 + 4096);
    writeSync(fd, randomBytes(250, 9), 0, 250, G4 - 100);
    writeSync(fd, Buffer.alloc(64, 0x41), 0, 64, G4 + 300);
    closeSync(fd);
    const read = (at: number, n: number): Buffer => {
      const b = Buffer.alloc(n);
      const r = openSync(sparse, 'r');
      readSync(r, b, 0, n, at);
      closeSync(r);
      return b;
    };
    const runs: Run[] = [];
    for (const [s, n] of [
      [G4 - 200, 700],
      [G4 - 3, 70],
      [G4, 33],
    ] as const) {
      const bytes = read(s, n);
      for (const [args, opts] of [od(['x1z']), od(['x2', 'c'], { radix: 'o' }), od(['d4', 'a'], { radix: 'd' })]) {
        runs.push({ line: ['od', ...args, '-j', String(s), '-N', String(n), 'sparse.bin'], ours: dumpBytes({ ...opts, start: BigInt(s) }, bytes, [n >> 1]) });
      }
      for (const letter of ['x', 'c'] as const) {
        const line = ['hexdump', `-${letter}`, '-s', String(s), '-n', String(n), 'sparse.bin'];
        runs.push({ line, ours: dumpBytes({ format: `hexdump-${letter}`, start: BigInt(s) }, bytes, [n >> 1]) });
      }
    }
    compareRuns(runs);
  });
});

describe('od options are checked', () => {
  const bad = (opts: Opts, text: RegExp) => {
    expect(() => dumpBytes(opts, Buffer.from('abc'))).toThrow(InputError);
    expect(() => dumpBytes(opts, Buffer.from('abc'))).toThrow(text);
  };
  it('rejects unknown types, sizes, floating point, bad widths and radixes, and od options elsewhere', () => {
    bad({ format: 'od', types: ['x3'] }, /size 3/);
    bad({ format: 'od', types: ['f4'] }, /floating-point/);
    bad({ format: 'od', types: ['q'] }, /invalid od type/);
    bad({ format: 'od', types: [] }, /non-empty/);
    bad({ format: 'od', types: ['x2'], cols: 5 }, /multiple of 2/);
    bad({ format: 'od', cols: 65537 }, /up to 65536/);
    bad({ format: 'od', addressRadix: 'z' as 'x' }, /radix/);
    bad({ format: 'xxd', types: ['x1'] }, /only to the od format/);
    bad({ format: 'canonical', addressRadix: 'd' }, /only to the od format/);
    bad({ format: 'hexdump-x', cols: 8 }, /fixed 16/);
  });

  it('-u writes the hex digits of x types in upper case (addresses stay lower case)', () => {
    const out = dumpBytes({ format: 'od', types: ['x1', 'x2'], upper: true, start: 0xabn }, Buffer.from([0xab, 0xcd, 0xef])).toString();
    expect(out).toBe('0000ab AB CD EF\n        CDAB  00EF\n0000ae\n');
  });
});
