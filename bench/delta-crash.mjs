#!/usr/bin/env node
// Crash safety of deltas applied in place, proved by killing: a delta that shifts the whole file
// (an insertion at the start, pieces changed all over, a change of size) is applied through the
// built library and killed with SIGKILL at random instants, then `mmapx recover` runs; the file
// must be byte-identical to the original or to the target every time, and no journal may remain.
//
//   node bench/delta-crash.mjs [TRIALS] [--size 64M] [--seed N]   (build first)
//
// Half of the trials grow the file by 8 KiB, half shrink it by 8 KiB. The summary counts where
// the kills landed (journal absent / incomplete / complete; the file original, partly patched or
// patched before recover) and how many trials ended original and how many patched. Exit 1 on any failure.
import { benchArgs, parseSize } from './args.mjs';
import { deltaCrashRun } from '../test/helpers/delta-crash.mjs';

async function main() {
  const { opt, trials } = benchArgs(process.argv.slice(2));
  const size = parseSize(opt('--size', '64M'));
  const seed = Number(opt('--seed', '1'));
  let failed = 0;
  let original = 0;
  let patched = 0;
  for (const [i, grow] of [8192, -8192].entries()) {
    const n = Math.floor(trials / 2) + (i < trials % 2 ? 1 : 0);
    console.log(
      `\n## ${n} trials: ${size} bytes shifted by an insertion at the start, ${grow > 0 ? 'growing' : 'shrinking'} by ${Math.abs(grow)} (seed ${seed + i})`,
    );
    const r = await deltaCrashRun({ trials: n, size, seed: seed + i, grow, log: (s) => console.log(s) });
    for (const [k, v] of Object.entries(r.tally).sort((a, b) => b[1] - a[1])) console.log(`${String(v).padStart(5)}  ${k}`);
    for (const f of r.failures) console.log(`FAILURE after ${f.delayMs.toFixed(1)} ms: ${f.why}`);
    failed += r.failures.length;
    original += r.original;
    patched += r.patched;
  }
  console.log(
    failed === 0
      ? `\nall ${trials} trials: ${original} original and ${patched} patched after recover, none corrupt`
      : `\n${failed} FAILED (${original} original, ${patched} patched)`,
  );
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
