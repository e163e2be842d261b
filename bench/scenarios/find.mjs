// `mmapx find --count` over a file with ~10,000 occurrences of a 4-byte pattern (1 GiB; 256 MiB
// with --quick), warm cache, against `grep -c -a -F` (LC_ALL=C, grep's fastest mode) and a Python
// mmap.find counting loop. Ratios are peer time / mmapx time from the same interleaved run.
import { BIN, NODE, fmt, has, interleave, plantedFile, scratch, table, warm } from '../lib.mjs';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PATTERN = Buffer.from('c0ffee42', 'hex');
const PY_COUNT = `
import mmap, sys
with open(sys.argv[1], 'rb') as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
    p = bytes.fromhex(sys.argv[2]); n = 0; i = m.find(p)
    while i >= 0:
        n += 1; i = m.find(p, i + 1)
    print(n)
`;

export async function run({ quick }) {
  const size = quick ? 256 << 20 : 1 << 30;
  const count = 10_000;
  const dir = scratch();
  const file = plantedFile(dir, { size, count, pattern: PATTERN });
  warm(file);
  const got = spawnSync(NODE, [BIN, 'find', file, PATTERN.toString('hex'), '--count'], { encoding: 'utf8' }).stdout.trim();
  if (got !== String(count)) throw new Error(`mmapx find --count says ${got}, ${count} were planted`);
  const cases = [{ name: 'mmapx find --count', cmd: NODE, args: [BIN, 'find', file, PATTERN.toString('hex'), '--count'], capture: true }];
  // The pattern's bytes are not UTF-8, so grep reads them from a file (-f) rather than argv.
  const patFile = join(dir, 'pattern.bin');
  writeFileSync(patFile, PATTERN);
  if (has('grep'))
    cases.push({ name: 'grep -c -a -F (LC_ALL=C)', cmd: 'env', args: ['LC_ALL=C', 'grep', '-c', '-a', '-F', '-f', patFile, file], capture: true });
  if (has('python3')) cases.push({ name: 'python3 mmap.find loop', cmd: 'python3', args: ['-c', PY_COUNT, file, PATTERN.toString('hex')], capture: true });
  const runs = quick ? 5 : 11;
  const t = interleave(cases, runs);
  const mine = t['mmapx find --count'];
  const mib = size / 2 ** 20;
  const rows = cases.map((c) => ({
    case: c.name,
    median: fmt.ms(t[c.name]),
    throughput: fmt.mibs(mib / (t[c.name] / 1000)),
    'peer / mmapx': fmt.ratio(t[c.name] / mine),
  }));
  console.log(`${mib} MiB file, ${count} occurrences of ${PATTERN.toString('hex')}, median of ${runs} interleaved runs, warm cache`);
  table(rows, ['case', 'median', 'throughput', 'peer / mmapx']);
  const ratios = {};
  for (const c of cases.slice(1)) ratios[c.name] = t[c.name] / mine;
  return { size, count, runs, medianMs: t, ratios };
}
