// Differential tests: the dump engine against the installed xxd and `hexdump -C`, byte for byte.
// The peers read the same bytes from a temp file; the engine gets them pushed in windows (often
// split at random points). Skipped, with a notice, where a tool is missing.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { dumpBytes } from '../helpers/dump.js';
import { randomBytes as seeded, same, shellBatch } from '../helpers/peers.js';

/** Deterministic bytes (xorshift32, seed 1 unless given), so that failures reproduce. */
const randomBytes = (n: number, seed = 1): Buffer => seeded(n, seed);

const has = (cmd: string, args: string[]): boolean => {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error;
};
const HAVE_XXD = has('xxd', ['-v']);
const HAVE_HEXDUMP = has('hexdump', ['--version']);
if (!HAVE_XXD) console.warn('NOTICE: xxd not installed; differential tests against xxd are SKIPPED');
if (!HAVE_HEXDUMP) console.warn('NOTICE: hexdump not installed; differential tests against hexdump -C are SKIPPED');

const dir = mkdtempSync(join(tmpdir(), 'mmapx-dump-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run a peer on `bytes` written to `file` (relative to the temp dir, as typed on its command line). */
function peer(cmd: string, args: string[], bytes?: Uint8Array, file = 'in.bin'): Buffer {
  if (bytes) writeFileSync(join(dir, file), bytes);
  const r = spawnSync(cmd, [...args, file], { cwd: dir, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} ${file}: status ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The engine's output for `bytes` pushed in windows cut at `cuts` (positions in 0..length). */
const ours = dumpBytes;

/** One run of a peer: its arguments (the file is appended), the bytes of its file, and our output for them. */
interface PeerCase {
  args: readonly string[];
  /** Written to a directory of the case's own under `file`'s name; without it, the peer reads `file` in the temp dir. */
  bytes?: Uint8Array;
  /** As typed on the peer's command line (default in.bin). */
  file?: string;
  /** Our output, made when it is compared (outputs of large inputs are not all held at once). */
  ours: () => Buffer;
  what: string;
}

/**
 * Checks every case against `cmd`, byte for byte, running the peer for all of them in one spawn
 * of sh (a spawn per run costs more than most runs: this file makes thousands).
 */
function against(cmd: string, cases: readonly PeerCase[]): void {
  const runs = shellBatch(
    cases.map((c, k) => {
      const file = c.file ?? 'in.bin';
      if (c.bytes === undefined) return { argv: [cmd, ...c.args, file] };
      const sub = `case-${k}`;
      mkdirSync(join(dir, sub), { recursive: true });
      writeFileSync(join(dir, sub, file), c.bytes);
      return { argv: [cmd, ...c.args, file], in: sub };
    }),
    dir,
  );
  for (const [k, c] of cases.entries()) {
    const r = runs[k]!;
    if (r.status !== 0) throw new Error(`${cmd} ${c.args.join(' ')} ${c.file ?? 'in.bin'}: status ${r.status} (${c.what})`);
    same(c.ours(), r.stdout, c.what);
  }
}

/** Random cut points for `n` bytes (deterministic). */
function cutsFor(n: number, seed: number): number[] {
  const r = randomBytes(8, seed);
  return Array.from(r.subarray(0, 3 + (seed % 5)), (v, i) => Math.floor((((v * 257 + i * 31) % 1000) / 1000) * (n + 1)));
}

const zeros = (n: number) => Buffer.alloc(n);
const repeatedBlocks = (n: number) => {
  const block = Buffer.from('ABCDEFGHIJKLMNOP');
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = block[i % 16]!;
  return b;
};
/** Every byte value, then text with every control character and runs that repeat. */
const controlText = (): Buffer => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const text = Buffer.from('line one\tTAB\r\nvertical\vform\ffeed\x00nul\x1bESC\x7fDEL  spaces  \n'.repeat(5), 'latin1');
  return Buffer.concat([all, text, zeros(64), all]);
};

const datasets: Record<string, (n: number) => Buffer> = {
  random: (n) => randomBytes(n, n + 7),
  zeros,
  repeated: repeatedBlocks,
  // Random lines with runs of zero lines and of repeated lines among them.
  mixed: (n) => {
    const b = randomBytes(n, n + 3);
    for (let i = 0; i + 16 <= n; i += 16) {
      const kind = b[i]! % 4;
      if (kind === 0) b.fill(0, i, i + 16);
      else if (kind === 1 && i >= 16) b.copy(b, i, i - 16, i);
    }
    return b;
  },
};

describe.skipIf(!HAVE_XXD)('xxd dialects against xxd', () => {
  it('xxd, every length 0..70, windows split at random', () => {
    const cases: PeerCase[] = [];
    for (let n = 0; n <= 70; n++) {
      for (const [name, make] of Object.entries(datasets)) {
        const bytes = make(n);
        cases.push({ args: [], bytes, ours: () => ours({ format: 'xxd' }, bytes, cutsFor(n, n)), what: `xxd ${name} n=${n}` });
      }
    }
    against('xxd', cases);
  });

  it('xxd -p and xxd -i, every length 0..70', () => {
    const cases: PeerCase[] = [];
    for (let n = 0; n <= 70; n++) {
      const bytes = datasets.random!(n);
      cases.push({ args: ['-p'], bytes, ours: () => ours({ format: 'plain' }, bytes, cutsFor(n, n)), what: `xxd -p n=${n}` });
      cases.push({ args: ['-i'], bytes, ours: () => ours({ format: 'c', name: 'in.bin' }, bytes, cutsFor(n, n + 1)), what: `xxd -i n=${n}` });
    }
    against('xxd', cases);
  });

  it('sizes up to 2 MiB: random, zeros, repeated blocks, mixed, control text', () => {
    const sizes = [1000, 4096, 65536 + 17, (1 << 20) + 9, (2 << 20) + 5];
    // One batch per size: the outputs of the 2 MiB inputs are large.
    for (const n of sizes) {
      const cases: PeerCase[] = [];
      for (const [name, make] of Object.entries(datasets)) {
        const bytes = make(n);
        const cuts = cutsFor(n, n);
        cases.push({ args: [], bytes, ours: () => ours({ format: 'xxd' }, bytes, cuts), what: `xxd ${name} n=${n}` });
        cases.push({ args: ['-a'], bytes, ours: () => ours({ format: 'xxd', autoskip: true }, bytes, cuts), what: `xxd -a ${name} n=${n}` });
        if (name === 'random' || name === 'mixed') {
          cases.push({ args: ['-p'], bytes, ours: () => ours({ format: 'plain' }, bytes, cuts), what: `xxd -p ${name} n=${n}` });
          cases.push({ args: ['-i'], bytes, ours: () => ours({ format: 'c', name: 'in.bin' }, bytes, cuts), what: `xxd -i ${name} n=${n}` });
        }
      }
      against('xxd', cases);
    }
    const text = controlText();
    against(
      'xxd',
      (
        [
          [{ format: 'xxd' }, []],
          [{ format: 'xxd', group: 1, upper: true }, ['-g1', '-u']],
          [{ format: 'plain' }, ['-p']],
          [{ format: 'c', name: 'in.bin' }, ['-i']],
        ] as const
      ).map(([opts, args]) => ({ args, bytes: text, ours: () => ours(opts, text, [100, 333]), what: `control text ${args.join(' ')}` })),
    );
  });

  it('-c and -g combinations, -u', () => {
    const bytes = Buffer.concat([randomBytes(300, 99), zeros(100), randomBytes(77, 5)]);
    writeFileSync(join(dir, 'in.bin'), bytes);
    const cases: PeerCase[] = [];
    for (const cols of [0, 1, 2, 3, 4, 5, 7, 8, 12, 16, 17, 31, 32, 64, 100, 255, 256]) {
      for (const group of [undefined, -1, 0, 1, 2, 3, 4, 5, 8, 16, 300]) {
        for (const upper of [false, true]) {
          const args = [`-c${cols}`, ...(group === undefined ? [] : ['-g', String(group)]), ...(upper ? ['-u'] : [])];
          cases.push({ args, ours: () => ours({ format: 'xxd', cols, group, upper }, bytes, [cols * 3 + 1]), what: `xxd ${args.join(' ')}` });
        }
      }
    }
    against('xxd', cases);
  });

  it('-a (autoskip): runs of 0..6 zero lines at the start, middle and end, with -c', () => {
    const cases: PeerCase[] = [];
    for (const cols of [16, 4, 7, 1]) {
      for (let run = 0; run <= 6; run++) {
        for (const tail of [0, 1, cols]) {
          const line = (v: number) => Buffer.alloc(cols, v);
          const shapes = [
            Buffer.concat([...Array.from({ length: run }, () => line(0)), line(0x41), line(0x42).subarray(0, tail)]),
            Buffer.concat([line(0x41), ...Array.from({ length: run }, () => line(0)), line(0x42).subarray(0, tail)]),
            Buffer.concat([line(0x41), ...Array.from({ length: run }, () => line(0)), zeros(tail)]),
          ];
          for (const [i, bytes] of shapes.entries()) {
            cases.push({
              args: ['-a', `-c${cols}`],
              bytes,
              ours: () => ours({ format: 'xxd', cols, autoskip: true }, bytes, cutsFor(bytes.length, run + i)),
              what: `xxd -a -c${cols} run=${run} tail=${tail} shape=${i}`,
            });
          }
        }
      }
    }
    against('xxd', cases);
  });

  it('-a on random structures of zero and non-zero lines (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 })), { maxLength: 40 }),
        fc.integer({ min: 0, max: 19 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (cols, lines, tail, cutSeeds) => {
          const parts = lines.map((v) => Buffer.alloc(cols, v === 0 ? 0 : v));
          const bytes = Buffer.concat([...parts, randomBytes(tail % cols, tail)]);
          const cuts = cutSeeds.map((s) => s % (bytes.length + 1));
          same(ours({ format: 'xxd', cols, autoskip: true }, bytes, cuts), peer('xxd', ['-a', `-c${cols}`], bytes), `xxd -a -c${cols}`);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('-s and -l: offsets are absolute', () => {
    const file = randomBytes(70000, 11);
    writeFileSync(join(dir, 'in.bin'), file);
    const cases: PeerCase[] = [];
    for (const [s, l] of [
      [1, 100],
      [5, 20],
      [15, 1],
      [16, 33],
      [17, 4096],
      [4095, 70000 - 4095],
      [65537, 100],
    ] as const) {
      const bytes = file.subarray(s, s + l);
      for (const [opts, args] of [
        [{ format: 'xxd' }, []],
        [{ format: 'xxd', cols: 7, group: 3 }, ['-c7', '-g3']],
        [{ format: 'plain' }, ['-p']],
        [{ format: 'c', name: 'in.bin' }, ['-i']],
      ] as const) {
        cases.push({
          args: [...args, '-s', String(s), '-l', String(l)],
          ours: () => ours({ ...opts, start: BigInt(s) }, bytes, [3]),
          what: `xxd -s ${s} -l ${l} ${args.join(' ')}`,
        });
      }
    }
    against('xxd', cases);
  });

  it('-p with -c (0 = one line, no upper limit) and -u', () => {
    const bytes = randomBytes(1000, 3);
    const cases: PeerCase[] = [];
    for (const cols of [0, 1, 2, 29, 30, 31, 256, 257, 999, 1000, 5000]) {
      for (const upper of [false, true]) {
        const args = ['-p', `-c${cols}`, ...(upper ? ['-u'] : [])];
        cases.push({ args, bytes, ours: () => ours({ format: 'plain', cols, upper }, bytes, [500]), what: `xxd ${args.join(' ')}` });
      }
    }
    cases.push({
      args: ['-p', '-c0'],
      bytes: Buffer.alloc(0),
      ours: () => ours({ format: 'plain', cols: 0 }, Buffer.alloc(0)),
      what: 'xxd -p -c0 of empty input',
    });
    against('xxd', cases);
  });

  it('-i: names from the path as typed, -n, -C, -c, -u', () => {
    const bytes = randomBytes(40, 8);
    const cases: PeerCase[] = [];
    for (const file of ['in.bin', '9li-ves.bin', './x.y', 'é.bin', 'a b+c']) {
      cases.push({ args: ['-i'], bytes, file, ours: () => ours({ format: 'c', name: file }, bytes), what: `xxd -i ${file}` });
      cases.push({ args: ['-i', '-C'], bytes, file, ours: () => ours({ format: 'c', name: file, capitalize: true }, bytes), what: `xxd -i -C ${file}` });
    }
    for (const varName of ['my-name', '9lives', 'x']) {
      cases.push({ args: ['-i', '-n', varName], bytes, ours: () => ours({ format: 'c', name: 'in.bin', varName }, bytes), what: `xxd -i -n ${varName}` });
    }
    for (const cols of [0, 1, 2, 11, 12, 13, 40, 300]) {
      for (const upper of [false, true]) {
        const args = ['-i', `-c${cols}`, ...(upper ? ['-u'] : [])];
        cases.push({ args, bytes, ours: () => ours({ format: 'c', name: 'in.bin', cols, upper }, bytes, [7]), what: `xxd ${args.join(' ')}` });
      }
    }
    cases.push({ args: ['-i'], bytes: Buffer.alloc(0), ours: () => ours({ format: 'c', name: 'in.bin' }, Buffer.alloc(0)), what: 'xxd -i of an empty file' });
    against('xxd', cases);
    // Without a name, only the entries, as `xxd -i < file`.
    const r = spawnSync('xxd', ['-i'], { input: bytes });
    same(ours({ format: 'c' }, bytes), r.stdout, 'xxd -i on stdin');
  });

  it('any window split gives the same output as xxd (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.constantFrom(1, 3, 8, 16, 17, 32),
        fc.constantFrom(0, 1, 2, 4),
        (bytes, cutSeeds, cols, group) => {
          const cuts = cutSeeds.map((s) => s % (bytes.length + 1));
          const args = [`-c${cols}`, '-g', String(group)];
          same(ours({ format: 'xxd', cols, group }, bytes, cuts), peer('xxd', args, bytes), `xxd ${args.join(' ')}`);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe.skipIf(!HAVE_HEXDUMP)('canonical against hexdump -C', () => {
  it('every length 0..70, windows split at random', () => {
    const cases: PeerCase[] = [];
    for (let n = 0; n <= 70; n++) {
      for (const [name, make] of Object.entries(datasets)) {
        const bytes = make(n);
        cases.push({ args: ['-C'], bytes, ours: () => ours({ format: 'canonical' }, bytes, cutsFor(n, n)), what: `hexdump -C ${name} n=${n}` });
      }
    }
    against('hexdump', cases);
  });

  it('sizes up to 2 MiB, squeezed and with -v', () => {
    const cases: PeerCase[] = [];
    for (const n of [1000, 4096, 65536 + 17, (1 << 20) + 9]) {
      for (const [name, make] of Object.entries(datasets)) {
        const bytes = make(n);
        const cuts = cutsFor(n, n);
        cases.push({ args: ['-C'], bytes, ours: () => ours({ format: 'canonical' }, bytes, cuts), what: `hexdump -C ${name} n=${n}` });
        if (name !== 'random') {
          cases.push({
            args: ['-C', '-v'],
            bytes,
            ours: () => ours({ format: 'canonical', squeeze: false }, bytes, cuts),
            what: `hexdump -C -v ${name} n=${n}`,
          });
        }
      }
    }
    // 2 MiB: hexdump is slow on random data (a few MiB/s), so one random and the cheap ones.
    const n = (2 << 20) + 5;
    for (const name of ['random', 'zeros', 'repeated', 'mixed']) {
      const bytes = datasets[name]!(n);
      cases.push({ args: ['-C'], bytes, ours: () => ours({ format: 'canonical' }, bytes, cutsFor(n, 2)), what: `hexdump -C ${name} n=${n}` });
    }
    const text = controlText();
    cases.push({ args: ['-C'], bytes: text, ours: () => ours({ format: 'canonical' }, text, [5, 200]), what: 'control text' });
    against('hexdump', cases);
  });

  it('-s and -n: offsets are absolute', () => {
    const file = datasets.mixed!(70000);
    writeFileSync(join(dir, 'in.bin'), file);
    const cases: PeerCase[] = [];
    for (const [s, l] of [
      [1, 100],
      [3, 5],
      [15, 1],
      [16, 33],
      [17, 4096],
      [4095, 70000 - 4095],
      [65537, 100],
    ] as const) {
      const bytes = file.subarray(s, s + l);
      cases.push({
        args: ['-C', '-s', String(s), '-n', String(l)],
        ours: () => ours({ format: 'canonical', start: BigInt(s) }, bytes, [7]),
        what: `hexdump -C -s ${s} -n ${l}`,
      });
    }
    against('hexdump', cases);
  });

  it('squeezing on random structures of repeated lines, at random start offsets (fast-check)', () => {
    const blocks = [zeros(16), repeatedBlocks(16), randomBytes(16, 4)];
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 0, max: 40 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.boolean(),
        (kinds, tail, start, cutSeeds, squeeze) => {
          const body = Buffer.concat([...kinds.map((k, i) => (k === 3 ? randomBytes(16, i + 1) : blocks[k]!)), randomBytes(tail, tail + 1)]);
          const file = Buffer.concat([randomBytes(start, 77), body]);
          writeFileSync(join(dir, 'in.bin'), file);
          const cuts = cutSeeds.map((c) => c % (body.length + 1));
          const args = ['-C', '-s', String(start), ...(squeeze ? [] : ['-v'])];
          same(ours({ format: 'canonical', start: BigInt(start), squeeze }, body, cuts), peer('hexdump', args), `hexdump ${args.join(' ')}`);
        },
      ),
      { numRuns: 60 },
    );
  });
});

// Offsets at and above 2^32: a sparse file lets both peers seek there for real.
describe.skipIf(!HAVE_XXD || !HAVE_HEXDUMP)('offsets beyond 4 GiB', () => {
  const G4 = 2 ** 32;
  const sparse = join(dir, 'sparse.bin');
  const size = G4 + 65536;
  const marks: [number, Buffer][] = [
    [G4 - 300, randomBytes(250, 1)],
    [G4 - 7, Buffer.from('across the 4 GiB line')],
    [G4 + 1000, repeatedBlocks(100)],
  ];
  const setup = () => {
    const fd = openSync(sparse, 'w');
    ftruncateSync(fd, size);
    for (const [at, data] of marks) writeSync(fd, data, 0, data.length, at);
    closeSync(fd);
  };
  const read = (at: number, n: number): Buffer => {
    const fd = openSync(sparse, 'r');
    const b = Buffer.alloc(n);
    readSync(fd, b, 0, n, at);
    closeSync(fd);
    return b;
  };

  it('xxd and hexdump -C across 2^32 (the offset field widens and shifts the line)', () => {
    setup();
    for (const [s, l] of [
      [G4 - 1000, 3000],
      [G4 - 16, 40],
      [G4 - 3, 70],
      [G4, 33],
      [G4 + 5, 2000],
    ] as const) {
      const bytes = read(s, l);
      const cuts = cutsFor(l, s % 1000);
      same(
        ours({ format: 'canonical', start: BigInt(s) }, bytes, cuts),
        peer('hexdump', ['-C', '-s', String(s), '-n', String(l)], undefined, 'sparse.bin'),
        `hexdump -C -s ${s}`,
      );
      for (const [opts, args] of [
        [{ format: 'xxd' }, []],
        [{ format: 'xxd', autoskip: true }, ['-a']],
        [{ format: 'xxd', cols: 5, group: 2, upper: true }, ['-c5', '-g2', '-u']],
        [{ format: 'plain' }, ['-p']],
      ] as const) {
        same(
          ours({ ...opts, start: BigInt(s) }, bytes, cuts),
          peer('xxd', [...args, '-s', String(s), '-l', String(l)], undefined, 'sparse.bin'),
          `xxd ${args.join(' ')} -s ${s}`,
        );
      }
    }
  });

  it('xxd -o: far offsets (2^40, just below 2^63) shift the line as xxd does', () => {
    const bytes = controlText().subarray(0, 100);
    for (const o of [2n ** 40n - 32n, 2n ** 63n - 64n, 0xabcdef12345n]) {
      same(ours({ format: 'xxd', start: o }, bytes, [50]), peer('xxd', ['-o', `0x${o.toString(16)}`], bytes), `xxd -o ${o}`);
    }
  });
});
