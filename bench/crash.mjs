#!/usr/bin/env node
// Crash safety, proved by killing: `mmapx patch` with thousands of hunks on a large file is
// killed with SIGKILL at random instants (before, during and after its journal is written, and
// while it writes), then `mmapx recover` runs; the file must be byte-identical to the original or
// to the fully patched file, every time, and no journal may remain.
//
//   node bench/crash.mjs [TRIALS] [--size 64M] [--hunks 20000] [--seed N]   (build first)
//
// The trials are split between a patch that keeps the size, one that grows the file and one that
// truncates it. Half of the kill instants are uniform over a whole run, half fall between the
// start of the journal and the end of the run (the phases of a calibration run's --json timings).
// The summary counts where the kills landed (journal absent / incomplete / complete, file
// original / partly patched / patched before recover) and the outcomes. Exit 1 on any failure.
//
//   node bench/crash.mjs --files 200 [TRIALS] [--size 8K] [--hunks 16] [--seed N]
//
// Several files: one `mmapx patch --files-from LIST -p PATCH` over 200 small files (committed in
// batches: journals written, synced together, files written, synced together, journals removed)
// is killed at random instants, then one `mmapx recover --files-from LIST` runs. Before recover,
// every file must be the original, the patched file, or hold a complete journal (the invariant of
// the batches); after it, every file must be the original or the patched file, with no journal.
import { benchArgs, parseSize } from './args.mjs';
import { crashRun, crashRunMany } from '../test/helpers/crash.mjs';

async function main() {
  const args = process.argv.slice(2);
  const { opt, trials } = benchArgs(args);
  const many = opt('--files', undefined);
  const size = parseSize(opt('--size', many ? '8K' : '64M'));
  const hunks = parseSize(opt('--hunks', many ? '16' : '20000'));
  const seed = Number(opt('--seed', '1'));
  let failed = 0;
  if (many) {
    const files = Number(many);
    // Half of the trials on a patch that keeps the size, half on one that grows the files.
    for (const [i, grow] of [0, 4096].entries()) {
      const n = Math.floor(trials / 2) + (i < trials % 2 ? 1 : 0);
      console.log(`\n## ${n} trials: ${files} files of ${size} bytes, ${hunks} hunks each${grow ? `, growing by ${grow}` : ''} (seed ${seed + i})`);
      const r = await crashRunMany({ trials: n, files, size, hunks, seed: seed + i, grow, log: (s) => console.log(s) });
      for (const [k, v] of Object.entries(r.tally).sort((a, b) => b[1] - a[1])) console.log(`${String(v).padStart(5)}  ${k}`);
      for (const f of r.failures) console.log(`FAILURE after ${f.delayMs.toFixed(1)} ms: ${f.why}`);
      failed += r.failures.length;
    }
    console.log(failed === 0 ? `\nall ${trials} trials: every file was the original or the patched file after recover` : `\n${failed} FAILED`);
    process.exitCode = failed === 0 ? 0 : 1;
    return;
  }
  // A third of the trials each on a patch that keeps the size, grows the file, shrinks it.
  const kinds = [0, 8192, -8192];
  for (const [i, grow] of kinds.entries()) {
    const n = Math.floor(trials / 3) + (i < trials % 3 ? 1 : 0);
    const what = grow > 0 ? `, growing by ${grow}` : grow < 0 ? `, shrinking by ${-grow}` : '';
    console.log(`\n## ${n} trials: ${hunks} hunks on ${size} bytes${what} (seed ${seed})`);
    const r = await crashRun({ trials: n, size, hunks, seed: seed + i, grow, log: (s) => console.log(s) });
    for (const [k, v] of Object.entries(r.tally).sort((a, b) => b[1] - a[1])) console.log(`${String(v).padStart(5)}  ${k}`);
    for (const f of r.failures) console.log(`FAILURE after ${f.delayMs.toFixed(1)} ms: ${f.why}`);
    failed += r.failures.length;
  }
  console.log(failed === 0 ? `\nall ${trials} trials: the file was the original or the patched file after recover` : `\n${failed} FAILED`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
