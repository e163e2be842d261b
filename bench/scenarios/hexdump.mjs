// `mmapx hexdump` against xxd, hexdump -C, od and hexyl on the same files, warm page cache, output to
// /dev/null, in one run: 256 MiB of random bytes for every format (target: each >= 3x xxd), coloured
// canonical against `hexyl --color=always` (>= 10x), 256 MiB mostly zero for the squeezed canonical
// format against od (>= 1x), and the peak RSS of dumping a 16 GiB sparse file (< 100 MiB).
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { BENCH_ENV, BIN, NODE, fmt, has, median, runOnce, scratch, table } from '../lib.mjs';

function timeRuns(cmd, args, runs) {
  const xs = [];
  for (let i = 0; i < runs; i++) xs.push(runOnce(cmd, args));
  return median(xs);
}

export async function run({ quick }) {
  const dir = scratch();
  const MiB = 1024 * 1024;
  const size = (quick ? 64 : 256) * MiB;
  const random = join(dir, 'random.bin');
  const zeros = join(dir, 'mostly-zero.bin');
  const buf = Buffer.alloc(size);
  randomFillSync(buf);
  writeFileSync(random, buf);
  buf.fill(0);
  for (let i = 0; i < size; i += 1 << 20) buf.writeUInt32LE(0xdeadbeef, i); // a non-zero line every MiB
  writeFileSync(zeros, buf);
  readFileSync(random); // warm the page cache
  readFileSync(zeros);
  const runs = quick ? 1 : 3;
  // The slow peers get a slice of the same bytes, and their rate is scaled: same MiB/s.
  const slice = join(dir, 'random-slice.bin');
  writeFileSync(slice, readFileSync(random).subarray(0, 16 * MiB));
  const mibs = (bytes, ms) => bytes / MiB / (ms / 1000);

  const rows = [];
  const rate = {};
  const measure = (name, cmd, args, bytes, n = runs) => {
    const ms = timeRuns(cmd, args, n);
    rate[name] = mibs(bytes, ms);
    rows.push({ case: name, 'MiB/s': fmt.mibs(rate[name]) });
  };
  const mm = (file, ...args) => [BIN, 'hexdump', file, ...args];
  if (has('xxd')) {
    measure('xxd', 'xxd', [random], size);
    measure('xxd -p', 'xxd', ['-p', random], size);
    measure('xxd -i', 'xxd', ['-i', slice], 16 * MiB, 1);
  }
  if (has('hexdump')) measure('hexdump -C', 'hexdump', ['-C', slice], 16 * MiB, 1);
  if (has('hexyl')) measure('hexyl --color=always', 'hexyl', ['--color=always', slice], 16 * MiB, 1);
  measure('mmapx canonical', NODE, mm(random), size);
  measure('mmapx canonical coloured', NODE, [BIN, '--color', 'always', 'hexdump', random], size);
  measure('mmapx xxd', NODE, mm(random, '-f', 'xxd'), size);
  measure('mmapx plain', NODE, mm(random, '-f', 'plain'), size);
  measure('mmapx c', NODE, mm(random, '-f', 'c'), size);
  measure('mmapx json', NODE, mm(random, '-f', 'json'), size);
  if (has('od')) measure('od (mostly zero)', 'od', [zeros], size);
  if (has('hexdump')) measure('hexdump -C (mostly zero)', 'hexdump', ['-C', zeros], size, 1);
  measure('mmapx canonical (mostly zero)', NODE, mm(zeros), size);
  table(rows, ['case', 'MiB/s']);

  const ratios = {};
  const ratio = (label, a, b, target) => {
    if (rate[a] === undefined || rate[b] === undefined) return;
    ratios[label] = rate[a] / rate[b];
    console.log(`${label}: ${fmt.ratio(ratios[label])} (target >= ${target}x)`);
  };
  console.log('');
  for (const f of ['canonical', 'xxd', 'plain', 'c', 'json']) ratio(`mmapx ${f} / xxd`, `mmapx ${f}`, 'xxd', 3);
  ratio('mmapx canonical coloured / hexyl --color=always', 'mmapx canonical coloured', 'hexyl --color=always', 10);
  ratio('mmapx canonical (mostly zero) / od', 'mmapx canonical (mostly zero)', 'od (mostly zero)', 1);

  let rssMiB;
  if (!quick && has('/usr/bin/time')) {
    const sparse = join(dir, 'sparse16g.bin');
    const fd = openSync(sparse, 'w');
    ftruncateSync(fd, 16 * 1024 ** 3);
    closeSync(fd);
    const r = spawnSync('/usr/bin/time', ['-f', '%M', NODE, BIN, 'hexdump', sparse], { encoding: 'utf8', env: BENCH_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    rssMiB = Number(r.stderr.trim().split('\n').pop()) / 1024;
    console.log(`peak RSS dumping a 16 GiB sparse file: ${rssMiB.toFixed(0)} MiB (target < 100 MiB)`);
  }
  return { sizeMiB: size / MiB, mibPerSecond: rate, ratios, peakRssMiB16GiBSparse: rssMiB ?? null };
}
