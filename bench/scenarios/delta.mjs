// A delta applied in place costs what it changes (issue 17): a 1 MiB change in the middle of a
// 4 GiB file (256 MiB with --quick), made by `xdelta3 -e` (its default: lzma secondary
// compression), applied by `mmapx patch FILE DELTA` in place (journal, syncs: the defaults) vs
// `xdelta3 -d` writing the whole target to a new file, in the same interleaved run. The file flips
// between OLD and NEW: each mmapx run applies the forward or the backward delta, so every run
// really writes. Then the same with bsdiff/bspatch on a 64 MiB file (Debian's bsdiff needs about
// 17 times the file in memory and minutes to make a patch of a big one). Ratios are peer time /
// mmapx time (the target: at least 20x); the journal's size is read from mmapx's --json.
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { BIN, NODE, fmt, has, interleave, randomFile, scratch, table, warm } from '../lib.mjs';

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
  if (!has('xdelta3')) {
    console.log('skipped: xdelta3 is not installed');
    return { skipped: 'xdelta3 not installed' };
  }
  const dir = scratch();
  const result = { medianMs: {}, ratios: {}, journalBytes: {} };

  // 1. VCDIFF (xdelta3).
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
  const runs = quick ? 3 : 5;
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

  // 2. bsdiff, on a file bsdiff can diff.
  if (has('bsdiff') && has('bspatch')) {
    const bsize = 64 << 20;
    const bold = randomFile(dir, bsize, 'bold.bin');
    const bnew = changed(dir, bold, bsize, 1 << 20, 'bnew.bin');
    const bf = join(dir, 'forward.bsdiff');
    const bb = join(dir, 'backward.bsdiff');
    mustRun('bsdiff', [bold, bnew, bf]);
    mustRun('bsdiff', [bnew, bold, bb]);
    const bwork = join(dir, 'bwork.bin');
    copyFileSync(bold, bwork);
    const bjournal = applyChecked(bwork, bf, bnew);
    applyChecked(bwork, bb, bold);
    const bout = join(dir, 'bspatch-out.bin');
    const bmine = flipping('mmapx patch bsdiff (in place)', bwork, bf, bb);
    const bpeer = { name: 'bspatch (new file)', cmd: 'bspatch', args: [bold, bout, bf] };
    const bt = interleave([bmine, bpeer], runs, { warmup: 1 });
    console.log(`\n${bsize / 2 ** 20} MiB file, 1 MiB changed in the middle, bsdiff patch, median of ${runs} interleaved runs, warm cache`);
    table(
      [bmine, bpeer].map((c) => ({ case: c.name, median: fmt.ms(bt[c.name]), 'this / mmapx': c === bmine ? '' : fmt.ratio(bt[c.name] / bt[bmine.name]) })),
      ['case', 'median', 'this / mmapx'],
    );
    console.log(`journal: ${bjournal} bytes`);
    Object.assign(result.medianMs, bt);
    result.ratios['bspatch / mmapx'] = bt[bpeer.name] / bt[bmine.name];
    result.journalBytes.bsdiff = bjournal;
  } else {
    console.log('\nbsdiff part skipped: bsdiff/bspatch are not installed');
  }
  return result;
}
