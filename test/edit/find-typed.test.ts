// Typed find against a Python `struct` scan: every type of write, values planted at aligned and
// unaligned offsets of random files, the offsets of every match with and without an alignment,
// through the library's find (windows) and scanFile's search threads (chunk edges), all cases in
// one python3 process. Needs the build for the threads (dist/scan-worker.cjs).
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { find } from '../../src/edit/index.js';
import { scanFile } from '../../src/edit/scan.js';
import { encodeTyped, TYPED_TYPES, type TypedType, typedWidth } from '../../src/format/data.js';
import { requireBuild } from '../helpers/child.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-find-typed-');

/** Every match of the struct-packed value, overlapping, and those at multiples of the alignment. */
const PYTHON = `
import json, struct, sys
FMT = {'u8': 'B', 'i8': 'b', 'u16': 'H', 'i16': 'h', 'u32': 'I', 'i32': 'i', 'u64': 'Q', 'i64': 'q', 'f32': 'f', 'f64': 'd'}
out = []
for line in sys.stdin:
    c = json.loads(line)
    t = c['type']
    order = '>' if t.endswith('be') else '<'
    v = float(c['value']) if t[0] == 'f' else int(c['value'], 0)
    needle = struct.pack(order + FMT[t[:2] if t[1] == '8' else t[:3]], v)
    data = open(c['path'], 'rb').read()
    at, i = [], data.find(needle)
    while i >= 0:
        if i % c['align'] == 0: at.append(i)
        i = data.find(needle, i + 1)
    out.append(at)
print(json.dumps(out))
`;

interface Case {
  path: string;
  type: TypedType;
  value: string;
  align: number;
}

/** xorshift32: a failure can be replayed. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

/** A value of `type` as text Python's int(_, 0) or float() reads too. */
function randomValue(type: TypedType, next: (n: number) => number): string {
  if (type[0] === 'f') return [`${next(1000)}.5`, `-${next(100)}.25`, '0.0', '-0.0', `${next(9)}e-3`, '1e30'][next(6)]!;
  const bits = BigInt(typedWidth(type) * 8);
  const span = 1n << bits;
  let v = (BigInt(next(0x40000000)) * BigInt(next(0x40000000)) * BigInt(next(0x40000000))) % span;
  if (next(4) === 0) v = BigInt(next(3)); // small values: runs of zero bytes, overlapping matches
  if (type[0] === 'i') v -= span >> 1n;
  return next(2) === 0 ? v.toString() : `${v < 0n ? '-' : ''}0x${(v < 0n ? -v : v).toString(16)}`;
}

const python = spawnSync('python3', ['--version']).status === 0;
const cases: Case[] = [];
let expected: number[][] = [];

beforeAll(() => {
  if (!python) return;
  requireBuild();
  const next = rng(0x5eed1234);
  let n = 0;
  for (const type of TYPED_TYPES) {
    for (let k = 0; k < 4; k++) {
      const value = randomValue(type, next);
      const bytes = encodeTyped(type, value);
      // Random bytes of a small alphabet, the value planted at 12 offsets (aligned or not, some
      // overlapping), 1 to 3 KiB plus an odd tail.
      const size = 1024 * (1 + next(3)) + next(16);
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i++) data[i] = next(4) === 0 ? bytes[next(bytes.length)]! : next(256);
      for (let j = 0; j < 12; j++) {
        const at = next(2) === 0 ? next(size / 8) * 8 : next(size - bytes.length);
        data.set(bytes, Math.min(at, size - bytes.length));
      }
      const path = join(dir, `t${n++}.bin`);
      writeFileSync(path, data);
      for (const align of [1, typedWidth(type), 1 + next(8)]) cases.push({ path, type, value, align });
    }
  }
  const input = cases.map((c) => JSON.stringify(c)).join('\n');
  const run = spawnSync('python3', ['-c', PYTHON], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  expected = JSON.parse(run.stdout) as number[][];
});

describe('typed find', () => {
  it.skipIf(!python)('find(path, typed bytes, { align }) gives the offsets of a Python struct scan, with and without alignment', async () => {
    expect(expected).toHaveLength(cases.length);
    let matched = 0;
    for (const [i, c] of cases.entries()) {
      const got: number[] = [];
      const bytes = encodeTyped(c.type, c.value);
      for await (const at of find(c.path, bytes, c.align === 1 ? {} : { align: c.align })) got.push(Number(at));
      if (JSON.stringify(got) !== JSON.stringify(expected[i])) {
        throw new Error(`case ${i}: ${c.type}:${c.value} align ${c.align} in ${c.path}: got [${got}], Python [${expected[i]}]`);
      }
      matched += got.length;
    }
    // The planted values are found: the comparison is not one of empty lists.
    expect(matched).toBeGreaterThan(cases.length * 3);
  });

  it.skipIf(!python)('the search threads agree, with chunk edges at unaligned offsets', () => {
    // A sample of files (each call starts threads), all the alignments of a file in one call.
    const paths = [...new Set(cases.map((c) => c.path))].filter((_, k) => k % 12 === 5);
    let workerChunks = 0;
    for (const path of paths) {
      const mine = [...cases.entries()].filter(([, c]) => c.path === path);
      const patterns = mine.map(([, c]) => {
        const bytes = encodeTyped(c.type, c.value);
        return { bytes, mask: new Uint8Array(bytes.length).fill(0xff), align: c.align };
      });
      const fd = openSync(path, 'r');
      try {
        const length = BigInt(fstatSync(fd).size);
        const found = scanFile(
          { fd, path },
          { offset: 0n, length },
          patterns,
          patterns.map(() => 1000),
          {
            workers: true,
            threads: 2,
            chunk: 333,
            workersFirst: true,
            workerChunks: (k) => (workerChunks += k),
          },
        );
        mine.forEach(([i], k) => {
          expect({ case: i, count: found[k]!.count, at: found[k]!.at.map(Number) }).toEqual({ case: i, count: expected[i]!.length, at: expected[i] });
        });
      } finally {
        closeSync(fd);
      }
    }
    expect(workerChunks).toBeGreaterThan(0);
  });

  if (!python) it.skip('python3 is not installed: the typed find differential is skipped', () => {});
});
