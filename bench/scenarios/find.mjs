// `mmapx find --count` over 1 GiB (256 MiB with --quick), warm cache, against `grep -c -a -F`
// (LC_ALL=C, grep's fastest mode, output to a file) for several patterns of 4 to 16 bytes (issue
// 13: at least 1.5x grep for any of them), and a Python mmap.find counting loop for the first:
// - random data, patterns drawn at random (4, 8 and 16 bytes) and de ad be ef, each planted 10,000
//   times; a wildcard pattern (mmapx only: grep -F has none);
// - adversarial data (pages of zeros, of 0x41 and of random bytes, mostly zeros): 00 00 00 00 and
//   41 41 41 41 (repeated bytes in a file full of them: hundreds of millions of overlapping
//   matches), 00 00 c0 ff ee (a common first byte, planted 10,000 times).
// Ratios are peer time / mmapx time from the same interleaved run. For one random and one
// repeated-byte pattern the same command also runs with MMAPX_THREADS=2 (a second scan thread,
// which find starts only from 1.25 GiB on), to show whether it would pay here. Then the scan phase (the
// `scan` timing of --json, start-up excluded) as a rate, against the memory read bandwidth
// measured in the same run: a memcmp (Buffer.compare) pass over the mapped file, one thread, two
// maps of the same pages in lockstep (so each byte comes from memory once), faults included as
// in the scan.
import { randomBytes, randomFillSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_ENV, BIN, NODE, ROOT, fmt, has, interleave, median, scratch, table, warm } from '../lib.mjs';

const PY_COUNT = `
import mmap, sys
with open(sys.argv[1], 'rb') as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
    p = bytes.fromhex(sys.argv[2]); n = 0; i = m.find(p)
    while i >= 0:
        n += 1; i = m.find(p, i + 1)
    print(n)
`;

/** A pattern drawn at random that does not start or end with a byte of the adversarial file's kinds. */
function drawn(n) {
  for (;;) {
    const p = randomBytes(n);
    if (p[0] !== 0 && p[0] !== 0x41 && p[0] !== 0x0a) return p;
  }
}

/**
 * Writes `size` bytes built by `fill(view, blockIndex)` per 16 MiB block, then `count` copies of
 * each of `plant` at random places (never overlapping one another); returns the path.
 */
function build(dir, name, size, fill, plant, count) {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  const block = 16 << 20;
  const buf = Buffer.alloc(block);
  const blocks = Math.ceil(size / block);
  for (let b = 0; b < blocks; b++) {
    const view = buf.subarray(0, Math.min(block, size - b * block));
    fill(view, b);
    // Evenly spaced slots with jitter, one pattern after another: no copy overlaps another.
    const per = Math.round(((b + 1) * count) / blocks) - Math.round((b * count) / blocks);
    const slot = Math.floor(view.length / Math.max(1, per * plant.length));
    for (let k = 0; k < per * plant.length; k++) {
      const p = plant[k % plant.length];
      p.copy(view, k * slot + Math.floor(Math.random() * (slot - p.length)));
    }
    writeSync(fd, view);
  }
  closeSync(fd);
  return path;
}

/** Pages of zeros (70%), of 0x41 (15%) and of random bytes (15%). */
function adversarial(view) {
  randomFillSync(view);
  for (let at = 0; at < view.length; at += 4096) {
    const r = view[at] / 256;
    if (r < 0.7) view.fill(0, at, at + 4096);
    else if (r < 0.85) view.fill(0x41, at, at + 4096);
  }
}

export async function run({ quick }) {
  const size = quick ? 256 << 20 : 1 << 30;
  const count = 10_000;
  const dir = scratch();
  const mib = size / 2 ** 20;
  const random = [drawn(4), drawn(8), drawn(16), Buffer.from('deadbeef', 'hex')];
  const randomFile = build(dir, 'random.bin', size, (v) => randomFillSync(v), random, count);
  const commonFirst = Buffer.from('0000c0ffee', 'hex');
  const advFile = build(dir, 'adversarial.bin', size, adversarial, [commonFirst], count);
  warm(randomFile);
  warm(advFile);
  const patterns = [
    ...random.map((p, i) => ({ label: `random ${p.length} B ${p.toString('hex')}`, file: randomFile, hex: p.toString('hex'), bytes: p, threadsRow: i === 0 })),
    { label: 'wildcard de ad ?? ef (mmapx only)', file: randomFile, hex: 'dead??ef' },
    { label: 'repeated 00000000 (mostly-zero file)', file: advFile, hex: '00000000', bytes: Buffer.alloc(4), threadsRow: true },
    { label: 'repeated 41414141 (mostly-zero file)', file: advFile, hex: '41414141', bytes: Buffer.alloc(4, 0x41) },
    { label: 'common first byte 0000c0ffee', file: advFile, hex: '0000c0ffee', bytes: commonFirst },
  ];
  const runs = quick ? 3 : 7;
  const rows = [];
  const ratios = {};
  const scanMs = {};
  for (const [i, p] of patterns.entries()) {
    const mine = { name: 'mmapx', cmd: NODE, args: [BIN, 'find', p.file, p.hex, '--count'], capture: true };
    const cases = [mine];
    if (p.bytes && has('grep')) {
      // The bytes are not UTF-8: grep reads them from a file (-f); its count goes to a file.
      const patFile = join(dir, `pattern${i}.bin`);
      writeFileSync(patFile, p.bytes);
      cases.push({ name: 'grep', cmd: 'sh', args: ['-c', `LC_ALL=C grep -c -a -F -f ${patFile} ${p.file} > ${dir}/grep.out; true`] });
    }
    if (i === 0 && has('python3')) cases.push({ name: 'python', cmd: 'python3', args: ['-c', PY_COUNT, p.file, p.hex], capture: true });
    // Whether a second scan thread would pay at this size (find uses one below 1.25 GiB): the same
    // command with MMAPX_THREADS=2, for one random and one repeated-byte pattern.
    if (p.threadsRow) cases.push({ ...mine, name: 'two', env: { ...BENCH_ENV, MMAPX_THREADS: '2' } });
    const t = interleave(cases, runs, { warmup: 1 });
    // The scan phase alone, from --json (same build, same file, right after).
    const scans = [];
    let found;
    for (let k = 0; k < 3; k++) {
      const r = spawnSync(NODE, [BIN, '--json', 'find', p.file, p.hex, '--count'], { encoding: 'utf8' });
      const j = JSON.parse(r.stdout);
      found = j.count;
      scans.push(j.timings.scan);
    }
    scanMs[p.label] = median(scans);
    const row = {
      pattern: p.label,
      matches: String(found),
      mmapx: fmt.ms(t.mmapx),
      scan: `${fmt.ms(scanMs[p.label])} (${fmt.mibs(mib / (scanMs[p.label] / 1000))})`,
    };
    if (t.grep !== undefined) {
      ratios[`grep / mmapx: ${p.label}`] = t.grep / t.mmapx;
      Object.assign(row, { grep: fmt.ms(t.grep), 'grep / mmapx': fmt.ratio(t.grep / t.mmapx) });
    }
    if (t.two !== undefined) {
      ratios[`one thread / two threads: ${p.label}`] = t.mmapx / t.two;
      console.log(`${p.label}: MMAPX_THREADS=2 ${fmt.ms(t.two)} against ${fmt.ms(t.mmapx)} (one thread's time / two threads': ${fmt.ratio(t.mmapx / t.two)})`);
    }
    if (t.python !== undefined) {
      ratios['python3 mmap.find loop / mmapx'] = t.python / t.mmapx;
      console.log(`python3 mmap.find loop: ${fmt.ms(t.python)}, ${fmt.ratio(t.python / t.mmapx)} mmapx's time`);
    }
    rows.push(row);
  }
  console.log(`${mib} MiB files, median of ${runs} interleaved runs, warm cache (target: grep / mmapx >= 1.5x)`);
  table(rows, ['pattern', 'matches', 'mmapx', 'scan', 'grep', 'grep / mmapx']);

  // Memory read bandwidth: memcmp of the mapped file against a second map of it.
  const lib = pathToFileURL(join(ROOT, 'dist', 'lib', 'index.mjs')).href;
  const bw = spawnSync(
    NODE,
    [
      '--input-type=module',
      '-e',
      `import { windows } from ${JSON.stringify(lib)};
       import { openSync } from 'node:fs';
       const fd = openSync(process.argv[1], 'r');
       const f = { fd, path: process.argv[1] };
       const ms = [];
       for (let k = 0; k < 5; k++) {
         const t0 = performance.now();
         const a = windows(f, { windowSize: 256 << 20 });
         const b = windows(f, { windowSize: 256 << 20 });
         for (let x = a.next(), y = b.next(); !x.done; x = a.next(), y = b.next()) {
           const u = Buffer.from(x.value.bytes.buffer, x.value.bytes.byteOffset, x.value.bytes.length);
           if (Buffer.compare(u, y.value.bytes) !== 0) throw new Error('differ');
         }
         ms.push(performance.now() - t0);
       }
       ms.sort((p, q) => p - q);
       console.log(ms[2]);`,
      randomFile,
    ],
    { encoding: 'utf8' },
  );
  const memMs = Number(bw.stdout.trim());
  const memRate = mib / (memMs / 1000);
  console.log(`\nmemory read bandwidth (memcmp over the mapped file, one thread): ${fmt.mibs(memRate)}`);
  const scanVsMemory = {};
  for (const p of patterns) {
    scanVsMemory[p.label] = mib / (scanMs[p.label] / 1000) / memRate;
    console.log(`scan phase / memory bandwidth, ${p.label}: ${(100 * scanVsMemory[p.label]).toFixed(0)}% (target >= 80%)`);
  }
  return { size, count, runs, ratios, scanMs, memoryMiBps: memRate, scanVsMemory };
}
