// A delta applied in place costs what it changes (issue 17): a 1 MiB change in the middle of a big
// file, applied by `mmapx patch FILE DELTA` in place (journal, syncs: the defaults) vs the peer
// writing the whole target to a new file, in the same interleaved run. The file flips between OLD
// and NEW: each mmapx run applies the forward or the backward delta, so every run really writes.
// Ratios are peer time / mmapx time (the issue's target: at least 20x); the journal's size is read
// from mmapx's --json, peak RSS from GNU time where installed.
//
// 1. VCDIFF: a 4 GiB file (256 MiB with --quick), deltas made by `xdelta3 -e` (its default: lzma
//    secondary compression), vs `xdelta3 -d`.
// 2. bsdiff: Debian's bsdiff cannot diff big files (it needs ~17 times the file in memory and
//    minutes), so the BSDIFF40 patches are made here from the format: control triples (x, 0, 0)
//    of at most 1 GiB, a diff block of NEW minus OLD (zeros but the changed MiB) compressed by the
//    `bzip2` command from a pipe, an empty extra block; bspatch must rebuild NEW from it before
//    anything is timed. Debian's bspatch reads the old file with one read(), which Linux caps at
//    2 GiB - 4 KiB (0x7ffff000): the file is that size (256 MiB with --quick), and a probe with a
//    sparse old file shows bspatch working at that size and failing at 2 GiB.
//    The old file and the patches are cached in .cache/bench-delta/ (a few GB; delete at will).
//
// MMAPX_BENCH_DELTA_ONLY=vcdiff or =bsdiff runs one part.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { BENCH_ENV, BIN, NODE, ROOT, fmt, has, interleave, randomFile, scratch, table, warm } from '../lib.mjs';

/** NEW: a copy of OLD with `length` random bytes at its middle. */
function changed(dir, old, size, length, name) {
  const path = join(dir, name);
  copyFileSync(old, path);
  const fd = openSync(path, 'r+');
  const bytes = Buffer.alloc(length);
  randomFillSync(bytes);
  writeSync(fd, bytes, 0, length, Math.floor(size / 2));
  closeSync(fd);
  return path;
}

function mustRun(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r;
}

/** The same bytes? (Compared by cmp, which stops at the first difference.) */
function same(a, b) {
  return spawnSync('cmp', ['-s', a, b]).status === 0;
}

/** A case that applies `forward` to `work` when it holds OLD and `backward` when it holds NEW. */
function flipping(name, work, forward, backward) {
  const c = { name, cmd: NODE, args: [] };
  let atOld = true;
  c.before = () => {
    c.args = [BIN, '-q', 'patch', work, atOld ? forward : backward];
    atOld = !atOld;
  };
  return c;
}

/**
 * Applies `delta` to `work` once (untimed), checks the result against `expect`, and returns the
 * size of the journal mmapx reports.
 */
function applyChecked(work, delta, expect) {
  const r = mustRun(NODE, [BIN, '--json', 'patch', work, delta]);
  if (!same(work, expect)) throw new Error(`mmapx patch ${delta} did not give ${expect}`);
  const j = JSON.parse(r.stdout);
  const journal = j.journal ?? j.files?.[0]?.journal ?? j.results?.[0]?.journal;
  return typeof journal?.bytes === 'number' ? journal.bytes : null;
}

export async function run({ quick }) {
  const only = process.env.MMAPX_BENCH_DELTA_ONLY;
  const dir = scratch();
  const result = { medianMs: {}, ratios: {}, journalBytes: {}, peakRssMiB: {} };
  const runs = quick ? 3 : 5;
  if (only !== 'bsdiff') {
    if (has('xdelta3')) vcdiffPart({ quick, dir, runs, result });
    else console.log('VCDIFF part skipped: xdelta3 is not installed');
  }
  if (only !== 'vcdiff') {
    if (has('bspatch') && has('bzip2')) bsdiffPart({ quick, dir, runs, result });
    else console.log('\nbsdiff part skipped: bspatch or bzip2 is not installed');
  }
  return result;
}

/** 1. VCDIFF (xdelta3). */
function vcdiffPart({ quick, dir, runs, result }) {
  const size = quick ? 256 << 20 : 4 * 1024 ** 3;
  const old = randomFile(dir, size, 'old.bin');
  const neu = changed(dir, old, size, 1 << 20, 'new.bin');
  const forward = join(dir, 'forward.vcdiff');
  const backward = join(dir, 'backward.vcdiff');
  mustRun('xdelta3', ['-e', '-f', '-s', old, neu, forward]);
  mustRun('xdelta3', ['-e', '-f', '-s', neu, old, backward]);
  const work = join(dir, 'work.bin');
  copyFileSync(old, work);
  // Correctness first: mmapx's result is NEW, then OLD again.
  const journal = applyChecked(work, forward, neu);
  applyChecked(work, backward, old);
  warm(old);
  warm(work);
  const out = join(dir, 'xdelta3-out.bin');
  const mine = flipping('mmapx patch (in place)', work, forward, backward);
  const peer = { name: 'xdelta3 -d (new file)', cmd: 'xdelta3', args: ['-d', '-f', '-s', old, forward, out] };
  const t = interleave([mine, peer], runs, { warmup: 1 });
  rmSync(out, { force: true });
  console.log(
    `${size / 2 ** 20} MiB file, 1 MiB changed in the middle, xdelta3 delta of ${statSync(forward).size} bytes, median of ${runs} interleaved runs, warm cache`,
  );
  table(
    [mine, peer].map((c) => ({ case: c.name, median: fmt.ms(t[c.name]), 'this / mmapx': c === mine ? '' : fmt.ratio(t[c.name] / t[mine.name]) })),
    ['case', 'median', 'this / mmapx'],
  );
  console.log(`journal: ${journal} bytes (the original of the changed bytes); target: xdelta3 / mmapx >= 20x`);
  Object.assign(result.medianMs, t);
  result.ratios['xdelta3 -d / mmapx'] = t[peer.name] / t[mine.name];
  result.journalBytes.vcdiff = journal;
  rmSync(work, { force: true });
  rmSync(neu, { force: true });
  rmSync(old, { force: true });
}

/** `v` as bsdiff's `off`: 8 bytes little-endian, the sign in the top bit. */
function off(v) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v < 0n ? -v | (1n << 63n) : v);
  return b;
}

/** `bzip2 -9` of `input`, in memory. */
function bzip2(input) {
  const r = spawnSync('bzip2', ['-9', '-c'], { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`bzip2: ${r.stderr}`);
  return r.stdout;
}

/**
 * Writes a BSDIFF40 patch to `path` that turns a file of `size` bytes into the same file with the
 * bytes `diff` added (mod 256) at `at`: control triples (x, 0, 0) with x <= 1 GiB, the diff block
 * (zeros, `diff` at `at`) compressed by `bzip2` from a pipe, never held whole, and an empty extra block.
 */
function craftBsdiff(path, size, at, diff, dir) {
  const ctrl = [];
  for (let left = size; left > 0; left -= Math.min(left, 2 ** 30)) ctrl.push(off(BigInt(Math.min(left, 2 ** 30))), off(0n), off(0n));
  const ctrlBz = bzip2(Buffer.concat(ctrl));
  const diffPath = join(dir, 'diff.bin');
  writeFileSync(diffPath, diff);
  const diffBzPath = join(dir, 'diff.bz2');
  const zeros = (n) => `head -c ${n} /dev/zero`;
  const r = spawnSync('sh', ['-c', `{ ${zeros(at)}; cat "$1"; ${zeros(size - at - diff.length)}; } | bzip2 -9 > "$2"`, 'sh', diffPath, diffBzPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`bzip2 of the diff block: ${r.stderr}`);
  const diffBz = readFileSync(diffBzPath);
  rmSync(diffPath);
  rmSync(diffBzPath);
  const header = Buffer.concat([Buffer.from('BSDIFF40'), off(BigInt(ctrlBz.length)), off(BigInt(diffBz.length)), off(BigInt(size))]);
  writeFileSync(`${path}.tmp`, Buffer.concat([header, ctrlBz, diffBz, bzip2(Buffer.alloc(0))]));
  renameSync(`${path}.tmp`, path);
}

/** `length` bytes of `path` at `at`. */
function readAt(path, at, length) {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(length);
  readSync(fd, b, 0, length, at);
  closeSync(fd);
  return b;
}

/**
 * The cached OLD file of `size` random bytes, the 1 MiB that NEW has in its middle, and the
 * forward and backward BSDIFF40 patches between them (made once).
 */
function bsdiffFiles(size, dir) {
  const cache = join(ROOT, '.cache', 'bench-delta');
  mkdirSync(cache, { recursive: true });
  const name = (what) => join(cache, `${what}-${size}`);
  const old = name('old.bin');
  const change = name('change.bin');
  const forward = name('forward.bsdiff');
  const backward = name('backward.bsdiff');
  const at = Math.floor(size / 2);
  if (![old, change, forward, backward].every((p) => existsSync(p))) {
    console.log(`making ${cache}: a ${size}-byte file and two patches (once; bzip2 takes a while)`);
    renameSync(randomFile(dir, size, 'old.tmp'), old);
    const bytes = Buffer.alloc(1 << 20);
    randomFillSync(bytes);
    const before = readAt(old, at, bytes.length);
    const add = Buffer.alloc(bytes.length);
    const sub = Buffer.alloc(bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      add[i] = bytes[i] - before[i];
      sub[i] = before[i] - bytes[i];
    }
    craftBsdiff(forward, size, at, add, dir);
    craftBsdiff(backward, size, at, sub, dir);
    writeFileSync(change, bytes);
  }
  return { old, change, forward, backward, at };
}

/** Peak RSS in MiB of `cmd args` (GNU time's %M), or undefined without GNU time. */
function peakRss(cmd, args) {
  const r = spawnSync('time', ['-f', '%M', cmd, ...args], { env: BENCH_ENV, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return Number(r.stderr.trim().split('\n').pop()) / 1024;
}

/**
 * Does Debian's bspatch read an old file of `size` bytes? A sparse file and a 1-byte patch: bspatch
 * reads the whole old file whatever the patch.
 */
function bspatchReads(dir, size) {
  const old = join(dir, 'probe-old.bin');
  const patch = join(dir, 'probe.bsdiff');
  const out = join(dir, 'probe-out.bin');
  writeFileSync(old, '');
  truncateSync(old, size);
  const ctrl = bzip2(Buffer.concat([off(1n), off(0n), off(0n)]));
  const diff = bzip2(Buffer.alloc(1));
  writeFileSync(
    patch,
    Buffer.concat([Buffer.from('BSDIFF40'), off(BigInt(ctrl.length)), off(BigInt(diff.length)), off(1n), ctrl, diff, bzip2(Buffer.alloc(0))]),
  );
  const r = spawnSync('bspatch', [old, out, patch], { encoding: 'utf8' });
  rmSync(old);
  rmSync(patch);
  rmSync(out, { force: true });
  // Its message names the file and strerror(errno) of a short read, which is 'Success'.
  return { ok: r.status === 0, message: r.stderr.trim().replaceAll(old, 'OLD') };
}

/** 2. bsdiff: a 1 MiB change in the largest file Debian's bspatch handles. */
function bsdiffPart({ quick, dir, runs, result }) {
  const limit = 2 ** 31 - 4096;
  const size = quick ? 256 << 20 : limit;
  const over = bspatchReads(dir, 2 ** 31);
  const under = bspatchReads(dir, limit);
  console.log(
    `\nbspatch with a sparse old file of 2 GiB - 4 KiB: ${under.ok ? 'works' : `fails (${under.message})`}; of 2 GiB: ${over.ok ? 'works' : `fails (${over.message})`}`,
  );
  const f = bsdiffFiles(size, dir);
  const neu = join(dir, 'bnew.bin');
  copyFileSync(f.old, neu);
  const fd = openSync(neu, 'r+');
  writeSync(fd, readFileSync(f.change), 0, 1 << 20, f.at);
  closeSync(fd);
  // bspatch accepts the patches: OLD -> NEW -> OLD.
  const bout = join(dir, 'bspatch-out.bin');
  mustRun('bspatch', [f.old, bout, f.forward]);
  if (!same(bout, neu)) throw new Error(`bspatch ${f.forward} did not give NEW`);
  mustRun('bspatch', [neu, bout, f.backward]);
  if (!same(bout, f.old)) throw new Error(`bspatch ${f.backward} did not give OLD`);
  const work = join(dir, 'bwork.bin');
  copyFileSync(f.old, work);
  const journal = applyChecked(work, f.forward, neu);
  applyChecked(work, f.backward, f.old);
  rmSync(neu);
  warm(f.old);
  warm(work);
  const mine = flipping('mmapx patch bsdiff (in place)', work, f.forward, f.backward);
  const peer = { name: 'bspatch (new file)', cmd: 'bspatch', args: [f.old, bout, f.forward] };
  const t = interleave([mine, peer], runs, { warmup: 1 });
  // Peak RSS: one more run of each (mmapx: the forward patch, the file holds OLD again after an even number of runs).
  mine.before();
  const rss = { [mine.name]: peakRss(mine.cmd, mine.args), [peer.name]: peakRss(peer.cmd, peer.args) };
  console.log(
    `${size} bytes (${(size / 2 ** 20).toFixed(0)} MiB), 1 MiB changed in the middle, BSDIFF40 patch of ${statSync(f.forward).size} bytes, median of ${runs} interleaved runs, warm cache`,
  );
  table(
    [mine, peer].map((c) => ({
      case: c.name,
      median: fmt.ms(t[c.name]),
      'peak RSS': rss[c.name] === undefined ? 'n/a' : `${rss[c.name].toFixed(0)} MiB`,
      'this / mmapx': c === mine ? '' : fmt.ratio(t[c.name] / t[mine.name]),
    })),
    ['case', 'median', 'peak RSS', 'this / mmapx'],
  );
  console.log(`journal: ${journal} bytes; target: bspatch / mmapx >= 20x`);
  rmSync(bout, { force: true });
  rmSync(work, { force: true });
  Object.assign(result.medianMs, t);
  result.ratios['bspatch / mmapx'] = t[peer.name] / t[mine.name];
  result.journalBytes.bsdiff = journal;
  for (const [k, v] of Object.entries(rss)) if (v !== undefined) result.peakRssMiB[k] = v;
}
