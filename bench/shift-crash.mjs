#!/usr/bin/env node
// Crash safety of `mmapx insert` and `mmapx delete`, proved by killing (the long run; the suite
// has a short one, test/cli/shift-crash.test.ts):
//
//   node bench/shift-crash.mjs [TRIALS] [--size 1G] [--seed N]   (build first)
//
// The trials are split between four scenes on a file of --size pseudo-random bytes: a delete and
// an insert of 4097 bytes (below 1 MiB: every window staged in the journal), and a delete and an
// insert of 3 MiB + 1 (steps of the distance in one map per window, a mapped progress word). Each
// trial kills the command with SIGKILL at a random instant (half uniform over a run, half after
// its journal is durable), runs `mmapx recover`, and requires the original or the result, with no
// journal left. The summary counts where the kills landed and the outcomes; exit 1 on a failure.
import { benchArgs, parseSize } from './args.mjs';
import { shiftCrashRun } from '../test/helpers/shift-crash.mjs';

const args = process.argv.slice(2);
const { opt, trials } = benchArgs(args);
const size = parseSize(opt('--size', '1G'));
const seed = Number(opt('--seed', '1'));
const scenes = [
  { kind: 'delete', offset: 1001, distance: 4097 },
  { kind: 'insert', offset: 1001, distance: 4097 },
  { kind: 'delete', offset: 12345, distance: 3 * 1024 * 1024 + 1 },
  { kind: 'insert', offset: 12345, distance: 3 * 1024 * 1024 + 1 },
];
let failed = 0;
let done = 0;
for (const [i, s] of scenes.entries()) {
  const n = Math.floor(trials / scenes.length) + (i < trials % scenes.length ? 1 : 0);
  if (n === 0) continue;
  console.log(`\n## ${n} trials: ${s.kind} of ${s.distance} bytes at ${s.offset} in ${size} bytes (seed ${seed + i})`);
  const r = await shiftCrashRun({ trials: n, size, ...s, seed: seed + i, log: (line) => console.log(line) });
  for (const [k, v] of Object.entries(r.tally).sort((a, b) => b[1] - a[1])) console.log(`${String(v).padStart(5)}  ${k}`);
  for (const f of r.failures) console.log(`FAILURE after ${f.delayMs.toFixed(1)} ms: ${f.why}`);
  failed += r.failures.length;
  done += n;
}
console.log(failed === 0 ? `\nall ${done} trials: the original or the result after recover, no journal left` : `\n${failed} of ${done} FAILED`);
process.exitCode = failed === 0 ? 0 : 1;
