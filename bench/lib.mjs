// Shared helpers for the benchmarks: timing whole commands, tables, temporary files.
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export { BENCH_ENV, BIN, NODE, ROOT, scratch } from '../test/helpers/base.mjs';
import { BENCH_ENV } from '../test/helpers/base.mjs';

export function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs a command once; returns wall milliseconds. Output goes to /dev/null unless `capture`
 * (stdout is then a pipe: GNU grep notices a /dev/null stdout and stops at the first match).
 */
export function runOnce(cmd, args, { input, shell = false, capture = false, env = BENCH_ENV } = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    stdio: [input === undefined ? 'ignore' : 'pipe', capture ? 'pipe' : 'ignore', 'pipe'],
    input,
    shell,
    env,
    maxBuffer: 1 << 30,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times several commands with interleaved runs (A B C A B C ...), so that noise on a shared
 * machine hits all of them alike. Returns the median milliseconds of each, by name.
 */
export function interleave(cases, runs, { warmup = 2 } = {}) {
  const times = Object.fromEntries(cases.map((c) => [c.name, []]));
  for (let i = 0; i < warmup + runs; i++) {
    for (const c of cases) {
      c.before?.();
      const ms = runOnce(c.cmd, c.args, c);
      if (i >= warmup) times[c.name].push(ms);
    }
  }
  return Object.fromEntries(cases.map((c) => [c.name, median(times[c.name])]));
}

/** Prints rows as an aligned table. */
export function table(rows, columns) {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells) =>
    cells
      .map((v, i) => String(v ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(columns.map((c) => r[c])));
}

export const fmt = {
  ms: (v) => `${v.toFixed(1)} ms`,
  ratio: (v) => `${v.toFixed(2)}x`,
  mibs: (v) => `${v.toFixed(0)} MiB/s`,
};

/**
 * Writes `size` bytes of random data with `count` copies of `pattern` planted at random places
 * (never overlapping) and no other occurrence; returns the path. Random data is the worst case
 * for a memchr-based search: every byte value is equally common.
 */
export function plantedFile(dir, { size, count, pattern, name = 'planted.bin' }) {
  const path = join(dir, name);
  const block = 16 << 20;
  const fd = openSync(path, 'w');
  const buf = Buffer.alloc(block);
  const blocks = Math.ceil(size / block);
  let planted = 0;
  for (let b = 0; b < blocks; b++) {
    const len = Math.min(block, size - b * block);
    const view = buf.subarray(0, len);
    randomFillSync(view);
    for (let i = view.indexOf(pattern); i >= 0; i = view.indexOf(pattern)) view[i] ^= 0x01;
    const here = Math.round(((b + 1) * count) / blocks) - planted;
    // Evenly spaced slots with random jitter: copies never overlap and never straddle a block edge.
    const slot = Math.floor(len / Math.max(1, here));
    for (let k = 0; k < here; k++) pattern.copy(view, k * slot + Math.floor(Math.random() * (slot - pattern.length)));
    planted += here;
    writeSync(fd, view);
  }
  closeSync(fd);
  return path;
}

/** Writes `size` random bytes to `dir/name` in 16 MiB blocks; returns the path. */
export function randomFile(dir, size, name = 'random.bin') {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  const buf = Buffer.alloc(16 << 20);
  for (let done = 0; done < size; ) {
    const view = buf.subarray(0, Math.min(buf.length, size - done));
    randomFillSync(view);
    writeSync(fd, view);
    done += view.length;
  }
  closeSync(fd);
  return path;
}

/** Reads a file once so that the timed runs find it in the page cache. */
export function warm(path) {
  spawnSync('sh', ['-c', `cat "${path}" > /dev/null`]);
}
