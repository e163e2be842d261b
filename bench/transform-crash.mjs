#!/usr/bin/env node
// Crash safety of `mmapx transform` with its default journal (rolled forward by recover), proved
// by killing (the long run; the suite has a short one, test/cli/transform-crash.test.ts):
//
//   node bench/transform-crash.mjs [TRIALS] [--size 1G] [--seed N]   (build first)
//
// A file of --size pseudo-random bytes gets `transform FILE RANGE xor a55a3c` over all of it but
// its first and last 1001 bytes (windows of 8 MiB, not aligned to pages). Each trial kills the
// command with SIGKILL at a random instant (half uniform over a run, half after its journal is
// durable), runs `mmapx recover`, and requires the original or the result, with no journal left.
// The summary counts where the kills landed and the outcomes; exit 1 on a failure.
import { benchArgs, parseSize } from './args.mjs';
import { transformCrashRun } from '../test/helpers/transform-crash.mjs';

const args = process.argv.slice(2);
const { opt, trials } = benchArgs(args);
const size = parseSize(opt('--size', '1G'));
const seed = Number(opt('--seed', '1'));
console.log(`## ${trials} trials: transform xor over ${size - 2002} bytes at 1001 of ${size} bytes (seed ${seed})`);
const r = await transformCrashRun({
  trials,
  size,
  offset: 1001,
  length: size - 2002,
  key: 'a55a3c',
  seed,
  log: (line) => console.log(line),
  // One line per trial: a run cut short still shows how far it got.
  onTrial: (i, outcome) => console.log(`trial ${i + 1}: ${outcome}`),
});
for (const [k, v] of Object.entries(r.tally).sort((a, b) => b[1] - a[1])) console.log(`${String(v).padStart(5)}  ${k}`);
for (const f of r.failures) console.log(`FAILURE after ${f.delayMs.toFixed(1)} ms: ${f.why}`);
console.log(
  r.failures.length === 0 ? `\nall ${trials} trials: the original or the result after recover, no journal left` : `\n${r.failures.length} of ${trials} FAILED`,
);
process.exitCode = r.failures.length === 0 ? 0 : 1;
