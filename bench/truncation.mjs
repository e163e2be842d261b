#!/usr/bin/env node
// Truncation trials at scale: the cases of test/cli/truncation.test.ts (a windows() scanner,
// write --fill, protect, hexdump, find, find --count on two threads, patch --find/--replace --all,
// a native patch of 4096 hunks, diff, cat to a pipe and to -o, hash), each run TRIALS times
// while this process cuts the file at a random moment. Every run must end with exit 0 and the
// right output or exit 1 and one error line (after which a patch's file is recovered and
// checked); one run ended by a signal (SIGBUS) fails the whole thing.
//   node bench/truncation.mjs [TRIALS] [SIZE_MIB]     defaults: 200 trials, 256 MiB
// Build first (npm run build). Prints one tally per case: {"ok":..,"failed":..,"cutFirst":..,"errors":{..}}.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './lib.mjs';

const trials = Number(process.argv[2] ?? 200);
const sizeMiB = Number(process.argv[3] ?? 256);
if (!Number.isInteger(trials) || trials < 1 || !Number.isFinite(sizeMiB) || sizeMiB <= 0) {
  console.error('usage: node bench/truncation.mjs [TRIALS] [SIZE_MIB]');
  process.exit(2);
}
const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/cli/truncation.test.ts'], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, MMAPX_TRUNCATION_TRIALS: String(trials), MMAPX_TRUNCATION_SIZE: String(Math.round(sizeMiB * 1024 * 1024)) },
});
process.exit(r.status ?? 1);
