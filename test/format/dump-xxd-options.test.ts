// Differential tests of xxd's output options (-b -e -d -o -E -C -c0 -n, and their combinations
// with -c -g -u -a -s -l) against the installed xxd, byte for byte. The engine runs in-process;
// xxd runs in batches, many invocations per spawn of sh (test/helpers/peers.ts), so the suite
// stays cheap. Skipped, with a notice, without xxd.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type Opts, dumpBytes } from '../helpers/dump.js';
import { type PeerRun, peerBatch, randomBytes, same } from '../helpers/peers.js';

const HAVE_XXD = !spawnSync('xxd', ['-v'], { stdio: 'ignore' }).error;
if (!HAVE_XXD) console.warn('NOTICE: xxd not installed; differential tests of the xxd options are SKIPPED');

const dir = mkdtempSync(join(tmpdir(), 'mmapx-xxdopt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Odd sizes 0..1000: random bytes, with runs of zeros (autoskip) and every byte value (text columns). */
const SIZES = [0, 1, 2, 3, 4, 5, 6, 7, 9, 13, 15, 16, 17, 31, 33, 47, 63, 64, 65, 97, 127, 255, 256, 257, 300, 511, 777, 1000];
function corpusFile(n: number): Buffer {
  const b = randomBytes(n, n * 31 + 5);
  if (n > 200) b.fill(0, 60, 60 + Math.min(130, n - 80));
  if (n >= 600) for (let i = 0; i < 256; i++) b[340 + i] = i;
  return b;
}
const corpus = new Map<number, Buffer>();
for (const n of SIZES) corpus.set(n, corpusFile(n));
let written = false;
function writeCorpus(): void {
  if (written) return;
  for (const [n, b] of corpus) writeFileSync(join(dir, `c${n}.bin`), b);
  written = true;
}

/** Run `xxd ARGS FILE` for every case in one spawn of sh (cwd: the temp dir); results in order. */
function xxdBatch(cases: readonly { args: readonly string[]; file: string }[]): PeerRun[] {
  return peerBatch(
    'xxd',
    cases.map((c) => [...c.args, c.file]),
    dir,
  );
}

/** Random window cuts for `n` bytes (deterministic). */
function cutsFor(n: number, seed: number): number[] {
  return Array.from(randomBytes(4, seed + 1), (v) => Math.floor((v / 256) * (n + 1)));
}

/** A batch of xxd runs is one test: on a loaded machine it may take longer than the default 30 s. */
const BATCH_TIMEOUT = 120_000;

/** An option set: the engine's options and xxd's arguments for the same dump. */
type Case = readonly [Opts, readonly string[]];

// Every option, alone and with the options xxd combines it with.
const CASES: Case[] = [
  // -b: bits, 6 per line, groups of 1; with -c -g -u -a -E -d.
  [{ format: 'xxd', bits: true }, ['-b']],
  [{ format: 'xxd', bits: true, cols: 0 }, ['-b', '-c0']],
  ...[1, 5, 7, 8, 13, 32, 256].map((c): Case => [{ format: 'xxd', bits: true, cols: c }, ['-b', `-c${c}`]]),
  ...[0, 2, 3, 7, 100].map((g): Case => [{ format: 'xxd', bits: true, group: g }, ['-b', '-g', String(g)]]),
  [{ format: 'xxd', bits: true, cols: 10, group: 4 }, ['-b', '-c10', '-g4']],
  [{ format: 'xxd', bits: true, upper: true }, ['-b', '-u']],
  [{ format: 'xxd', bits: true, autoskip: true }, ['-b', '-a']],
  [{ format: 'xxd', bits: true, ebcdic: true, decimal: true }, ['-b', '-E', '-d']],
  // -e: little-endian groups of 4 (powers of 2), odd tails; with -u -a -E -d -o. A line length
  // that is not a multiple of the group, or a group clamped to such a line, puts hex digits on
  // the text column, and xxd prints what it overwrote: so must we.
  [{ format: 'xxd', littleEndian: true }, ['-e']],
  [{ format: 'xxd', littleEndian: true, cols: 0 }, ['-e', '-c0']],
  ...[1, 2, 4, 8, 16, 0].map((g): Case => [{ format: 'xxd', littleEndian: true, group: g }, ['-e', '-g', String(g)]]),
  ...(
    [
      [8, 2],
      [8, 8],
      [12, 4],
      [32, 8],
      [2, 2],
      [1, 1],
      [256, 256],
      [24, 8],
      [10, 2],
      [10, 4],
      [6, 8],
      [12, 0],
      [3, -1],
      [7, 4],
      [13, 8],
      [255, 256],
    ] as const
  ).map(([c, g]): Case => [{ format: 'xxd', littleEndian: true, cols: c, group: g }, ['-e', `-c${c}`, '-g', String(g)]]),
  [{ format: 'xxd', littleEndian: true, upper: true, autoskip: true }, ['-e', '-u', '-a']],
  [{ format: 'xxd', littleEndian: true, ebcdic: true, decimal: true, displayOffset: 0x1000n }, ['-e', '-E', '-d', '-o', '0x1000']],
  // -d: decimal offsets; with -c -g -u -a, and -o below 0 (printed negative, as %08ld).
  [{ format: 'xxd', decimal: true }, ['-d']],
  [{ format: 'xxd', decimal: true, cols: 7, group: 3, upper: true }, ['-d', '-c7', '-g3', '-u']],
  [{ format: 'xxd', decimal: true, autoskip: true }, ['-d', '-a']],
  [{ format: 'xxd', decimal: true, displayOffset: -300n }, ['-d', '-o', '-300']],
  [{ format: 'xxd', decimal: true, displayOffset: (1n << 63n) - 40n }, ['-d', '-o', String((1n << 63n) - 40n)]],
  // The decimal field widens as the offsets pass a power of 10 (from 8 digits on).
  [{ format: 'xxd', decimal: true, displayOffset: 99_999_500n }, ['-d', '-o', '99999500']],
  [{ format: 'xxd', decimal: true, displayOffset: 999_999_999_999_999_500n, cols: 256 }, ['-d', '-o', '999999999999999500', '-c256']],
  [{ format: 'xxd', decimal: true, displayOffset: 9_999_999_700n, cols: 3, bits: true }, ['-d', '-o', '9999999700', '-c3', '-b']],
  // -o: added to the offsets, modulo 2^64 (negative wraps), with -c and -a.
  [{ format: 'xxd', displayOffset: 0x10n }, ['-o', '0x10']],
  [{ format: 'xxd', displayOffset: -5n }, ['-o', '-5']],
  [{ format: 'xxd', displayOffset: 5n }, ['-o', '+5']],
  [{ format: 'xxd', displayOffset: (1n << 64n) - 0x100n, cols: 32 }, ['-o', '0xffffffffffffff00', '-c32']],
  [{ format: 'xxd', displayOffset: 0xfffffff0n, autoskip: true, cols: 9 }, ['-o', '0xfffffff0', '-a', '-c9']],
  // -E: EBCDIC text column; with -g -u -c.
  [{ format: 'xxd', ebcdic: true }, ['-E']],
  [{ format: 'xxd', ebcdic: true, group: 1, upper: true, cols: 20 }, ['-E', '-g1', '-u', '-c20']],
  // -c0: the default line of each format.
  [{ format: 'xxd', cols: 0 }, ['-c0']],
  [{ format: 'plain', cols: 0 }, ['-p', '-c0']],
  [{ format: 'c', cols: 0, name: 'FILE' }, ['-i', '-c0']],
  // -C and -n NAME (-i).
  [{ format: 'c', name: 'FILE', capitalize: true }, ['-i', '-C']],
  [{ format: 'c', name: 'FILE', varName: 'my_arr', capitalize: true, upper: true }, ['-i', '-C', '-n', 'my_arr', '-u']],
  [{ format: 'c', name: 'FILE', varName: 'x-9.y', cols: 5 }, ['-i', '-n', 'x-9.y', '-c5']],
];

describe.skipIf(!HAVE_XXD)('xxd options against xxd', () => {
  it(
    'every option and combination, on corpus sizes 0..1000 (windows split at random)',
    () => {
      writeCorpus();
      // Each case on 0, 1000 and six other sizes, taken in turn, so that every size meets many
      // cases and every case many sizes (an xxd run costs a process: keep their number moderate).
      const jobs: { opts: Opts; args: readonly string[]; n: number }[] = [];
      const others = SIZES.filter((n) => n !== 0 && n !== 1000);
      for (const [c, [opts, args]] of CASES.entries()) {
        const sizes = [0, 1000, ...Array.from({ length: 6 }, (_, k) => others[(c * 6 + k) % others.length]!)];
        for (const n of sizes) jobs.push({ opts, args, n });
      }
      const runs = xxdBatch(jobs.map((j) => ({ args: j.args, file: `c${j.n}.bin` })));
      let compared = 0;
      for (const [i, j] of jobs.entries()) {
        expect(runs[i]!.status, `xxd ${j.args.join(' ')} c${j.n}.bin`).toBe(0);
        const bytes = corpus.get(j.n)!;
        const opts: Opts = j.opts.name === 'FILE' ? { ...j.opts, name: `c${j.n}.bin` } : j.opts;
        same(dumpBytes(opts, bytes, cutsFor(j.n, i)), runs[i]!.stdout, `xxd ${j.args.join(' ')} (n=${j.n})`);
        compared++;
      }
      expect(compared).toBe(CASES.length * 8);
    },
    BATCH_TIMEOUT,
  );

  it(
    '-s and -l with -b -e -d -o -E: shown offsets are the start (plus -o)',
    () => {
      writeCorpus();
      const file = corpus.get(1000)!;
      const ranges = [
        [1, 100],
        [5, 17],
        [7, 1],
        [250, 333],
        [999, 5],
      ] as const;
      const jobs: { opts: Opts; args: string[] }[] = [];
      for (const [s, l] of ranges) {
        for (const [opts, args] of [
          [{ format: 'xxd', bits: true }, ['-b']],
          [{ format: 'xxd', littleEndian: true, group: 8, cols: 16 }, ['-e', '-g8']],
          [{ format: 'xxd', decimal: true, displayOffset: -3n }, ['-d', '-o', '-3']],
          [{ format: 'xxd', displayOffset: 0x100000000n, ebcdic: true }, ['-o', '0x100000000', '-E']],
        ] as const) {
          jobs.push({ opts: { ...opts, start: BigInt(s) }, args: [...args, '-s', String(s), '-l', String(l)] });
        }
      }
      const runs = xxdBatch(jobs.map((j) => ({ args: j.args, file: 'c1000.bin' })));
      for (const [i, j] of jobs.entries()) {
        const s = Number(j.opts.start);
        const l = Number(j.args[j.args.indexOf('-l') + 1]);
        same(dumpBytes(j.opts, file.subarray(s, s + l), cutsFor(l, i)), runs[i]!.stdout, `xxd ${j.args.join(' ')}`);
      }
    },
    BATCH_TIMEOUT,
  );

  it(
    'random bytes, lengths, -c -g and option sets (fast-check, one batch per run)',
    () => {
      const arb = fc.record({
        bytes: fc.uint8Array({ maxLength: 700 }),
        kind: fc.constantFrom('bits', 'le', 'plain'),
        cols: fc.integer({ min: 0, max: 40 }),
        group: fc.integer({ min: -1, max: 45 }),
        upper: fc.boolean(),
        autoskip: fc.boolean(),
        decimal: fc.boolean(),
        ebcdic: fc.boolean(),
        display: fc.oneof(fc.constant(undefined), fc.bigInt({ min: -(1n << 40n), max: 1n << 40n })),
        cuts: fc.array(fc.nat(), { maxLength: 4 }),
      });
      const samples = fc.sample(arb, { numRuns: 100, seed: 19 });
      const jobs: { opts: Opts; args: string[]; bytes: Buffer; cuts: number[] }[] = [];
      for (const [i, x] of samples.entries()) {
        const opts: Opts = { format: 'xxd', cols: x.cols, group: x.group, upper: x.upper, autoskip: x.autoskip, decimal: x.decimal, ebcdic: x.ebcdic };
        const args = [`-c${x.cols}`, '-g', String(x.group)];
        if (x.kind === 'bits') {
          opts.bits = true;
          args.push('-b');
        } else if (x.kind === 'le') {
          // A power-of-2 group (or one clamped to the line), any line length: the refusals are tested elsewhere.
          const cols = x.cols;
          const g = x.group > (cols || 16) || x.group < 1 ? x.group : 2 ** (x.group % 5);
          opts.cols = cols;
          opts.group = g;
          opts.littleEndian = true;
          args.splice(0, 3, `-c${cols}`, '-g', String(g), '-e');
        }
        for (const [on, flag] of [
          [x.upper, '-u'],
          [x.autoskip, '-a'],
          [x.decimal, '-d'],
          [x.ebcdic, '-E'],
        ] as const) {
          if (on) args.push(flag);
        }
        if (x.display !== undefined) {
          opts.displayOffset = x.display;
          args.push('-o', String(x.display));
        }
        const bytes = Buffer.from(x.bytes);
        // Zero lines among the random ones, for -a.
        if (bytes.length > 64) bytes.fill(0, 20, 20 + (bytes.length >> 2));
        writeFileSync(join(dir, `r${i}.bin`), bytes);
        jobs.push({ opts, args, bytes, cuts: x.cuts.map((c) => c % (bytes.length + 1)) });
      }
      const runs = xxdBatch(jobs.map((j, i) => ({ args: j.args, file: `r${i}.bin` })));
      for (const [i, j] of jobs.entries()) {
        expect(runs[i]!.status, `xxd ${j.args.join(' ')}`).toBe(0);
        same(dumpBytes(j.opts, j.bytes, j.cuts), runs[i]!.stdout, `xxd ${j.args.join(' ')} r${i}.bin`);
      }
    },
    BATCH_TIMEOUT,
  );

  it('what xxd refuses (-e with a group size not a power of 2) is refused', () => {
    writeCorpus();
    const refused = xxdBatch([{ args: ['-e', '-g3'], file: 'c64.bin' }]);
    expect(refused[0]!.status).not.toBe(0);
    const bytes = corpus.get(64)!;
    expect(() => dumpBytes({ format: 'xxd', littleEndian: true, group: 3 }, bytes)).toThrow(/power of 2/);
    // -b with -e: xxd keeps only the last; the library refuses the pair.
    expect(() => dumpBytes({ format: 'xxd', littleEndian: true, bits: true }, bytes)).toThrow(/cannot be combined/);
  });
});

describe('options beyond xxd: -o and -E with the canonical format', () => {
  it('-o shifts every shown offset (final line included) and nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.bigInt({ min: 1n, max: 1n << 40n }), fc.bigInt({ min: 0n, max: 1n << 40n }), (b, start, d) => {
        expect(dumpBytes({ format: 'canonical', start, displayOffset: d }, b).toString()).toBe(
          dumpBytes({ format: 'canonical', start: start + d }, b).toString(),
        );
      }),
      { numRuns: 100 },
    );
  });

  it.skipIf(!HAVE_XXD)('-E: the canonical text column is xxd -E -c16 text column', () => {
    writeCorpus();
    const runs = xxdBatch([{ args: ['-E', '-c16'], file: 'c1000.bin' }]);
    const xxdText = runs[0]!.stdout
      .toString('latin1')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.slice(51));
    const ours = dumpBytes({ format: 'canonical', ebcdic: true, squeeze: false }, corpus.get(1000)!)
      .toString('latin1')
      .split('\n')
      .filter((l) => l.includes('|'))
      .map((l) => l.slice(l.indexOf('|') + 1, -1));
    expect(ours).toEqual(xxdText);
  });
});
