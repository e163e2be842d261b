#!/usr/bin/env node
// Crash safety of deltas applied in place, proved by killing. For each format (ips32, ups, bps,
// vcdiff, bsdiff) a real patch file from OLD to NEW is made (the project's encoders; Debian's
// `bsdiff` for bsdiff) and `mmapx patch FILE PATCH` (the built CLI) is killed with SIGKILL at random
// instants, then `mmapx recover FILE` runs; the file must be byte-identical to OLD or NEW every
// time, and no journal may remain. BPS, VCDIFF and bsdiff pairs shift the whole file (4 KiB
// inserted at the start) with changes all over; IPS32 and UPS cannot move bytes: changes
// scattered over the whole file. `--format library` is the older run through the built library
// (a hand-made delta handed as ops to applyDelta).
//
//   node bench/delta-crash.mjs [TRIALS] [--size 64M] [--format F|all|library] [--seed N]   (build first)
//
// TRIALS per format (default 200; --format all, the default, runs every format). Half of the
// trials grow the file by 8 KiB, half shrink it by 8 KiB. The summary counts, per format, where the
// kills landed (journal left or not; the file original, partly patched or patched before recover)
// and how many trials ended original, how many patched, and the failures. Exit 1 on any failure.
import { benchArgs, parseSize } from './args.mjs';
import { scratch } from '../test/helpers/base.mjs';
import { DELTA_CRASH_FORMATS, deltaCrashRun, deltaFormatCrashRun, haveBsdiff } from '../test/helpers/delta-crash.mjs';

async function main() {
  const { opt, trials } = benchArgs(process.argv.slice(2));
  const size = parseSize(opt('--size', '64M'));
  const seed = Number(opt('--seed', '1'));
  const which = opt('--format', 'all');
  const formats = which === 'all' ? DELTA_CRASH_FORMATS : which.split(',');
  const bad = formats.find((f) => f !== 'library' && !DELTA_CRASH_FORMATS.includes(f));
  if (bad !== undefined) {
    console.error(`delta-crash: --format ${bad}: one of ${DELTA_CRASH_FORMATS.join(', ')}, all, library`);
    process.exitCode = 2;
    return;
  }
  const dir = scratch('mmapx-delta-crash-');
  const summary = [];
  for (const format of formats) {
    if (format === 'bsdiff' && !haveBsdiff()) {
      console.log('\n## bsdiff: SKIPPED, the bsdiff command is not installed (Debian package bsdiff)');
      summary.push({ format, skipped: true });
      continue;
    }
    const s = { format, original: 0, patched: 0, failed: 0 };
    for (const [i, grow] of [8192, -8192].entries()) {
      const n = Math.floor(trials / 2) + (i < trials % 2 ? 1 : 0);
      if (n === 0) continue;
      console.log(`\n## ${format}: ${n} trials, ${size} bytes ${grow > 0 ? 'growing' : 'shrinking'} by ${Math.abs(grow)} (seed ${seed + i})`);
      const log = (line) => console.log(line);
      const r =
        format === 'library'
          ? await deltaCrashRun({ trials: n, size, seed: seed + i, grow, dir, log })
          : await deltaFormatCrashRun({ format, trials: n, size, seed: seed + i, grow, dir, log });
      for (const [k, v] of Object.entries(r.tally).sort((a, b) => b[1] - a[1])) console.log(`${String(v).padStart(5)}  ${k}`);
      for (const f of r.failures) console.log(`FAILURE after ${f.delayMs.toFixed(1)} ms: ${f.why}`);
      s.failed += r.failures.length;
      s.original += r.original;
      s.patched += r.patched;
    }
    summary.push(s);
  }
  console.log(`\n## summary: ${trials} trials per format, ${size} bytes`);
  console.log('format    original  patched  failed');
  for (const s of summary) {
    if (s.skipped) console.log(`${s.format.padEnd(9)} skipped (bsdiff not installed)`);
    else console.log(`${s.format.padEnd(9)} ${String(s.original).padStart(8)} ${String(s.patched).padStart(8)} ${String(s.failed).padStart(7)}`);
  }
  const failed = summary.reduce((n, s) => n + (s.failed ?? 0), 0);
  console.log(failed === 0 ? 'none corrupt, no journal left' : `${failed} FAILED`);
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
