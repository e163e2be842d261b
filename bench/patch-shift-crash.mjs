#!/usr/bin/env node
// Crash safety of a patch with insert and delete statements, proved by killing (the long run; the
// suite has a short one, test/cli/patch-shift-crash.test.ts):
//
//   node bench/patch-shift-crash.mjs [TRIALS] [--size 1G] [--seed N] [--minutes M]   (build first)
//
// Each trial patches a file of --size pseudo-random bytes with two guarded hunks, a guarded delete
// of 4097 bytes and an insert of 5000 bytes (test/helpers/patch-shift-crash.mjs), kills `mmapx
// patch` with SIGKILL at a random instant (half uniform over a run, half after its journal is
// written), runs `mmapx recover`, and requires the original or the result, with no journal left.
// The summary counts where the kills landed and the outcomes; exit 1 on a failure. --minutes M
// starts no trial after M minutes (the summary then counts the trials run).
import { benchArgs, parseSize } from './args.mjs';
import { patchShiftCrashRun } from '../test/helpers/patch-shift-crash.mjs';

const args = process.argv.slice(2);
const { opt, trials } = benchArgs(args);
const minutes = opt('--minutes');
const size = parseSize(opt('--size', '1G'));
const seed = Number(opt('--seed', '1'));
console.log(`## ${trials} trials: a patch of 2 hunks, a delete of 4097 bytes and an insert of 5000 bytes on ${size} bytes (seed ${seed})`);
const r = await patchShiftCrashRun({
  trials,
  size,
  seed,
  log: (line) => console.log(line),
  ...(minutes !== undefined && { deadline: Date.now() + Number(minutes) * 60_000 }),
});
for (const [k, v] of Object.entries(r.tally).sort((a, b) => b[1] - a[1])) console.log(`${String(v).padStart(5)}  ${k}`);
for (const f of r.failures) console.log(`FAILURE after ${f.delayMs.toFixed(1)} ms: ${f.why}`);
console.log(
  r.failures.length === 0
    ? `\nall ${r.trials} trials: the original or the result after recover, no journal left`
    : `\n${r.failures.length} of ${r.trials} FAILED`,
);
process.exitCode = r.failures.length === 0 ? 0 : 1;
