#!/usr/bin/env node
// The long fuzz run: the suite's fuzz tests (test/fuzz.test.ts: every parser of untrusted input,
// and "an applied patch never writes outside its hunks") with RUNS iterations per property.
//   node bench/fuzz.mjs [RUNS] [SEED]     defaults: 100000 runs, a random seed (printed on failure)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './lib.mjs';

const runs = Number(process.argv[2] ?? 100_000);
const seed = process.argv[3];
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: node bench/fuzz.mjs [RUNS] [SEED]');
  process.exit(2);
}
const started = Date.now();
const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/fuzz.test.ts', '--testTimeout', '0'], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, MMAPX_FUZZ_RUNS: String(runs), ...(seed === undefined ? {} : { MMAPX_FUZZ_SEED: seed }) },
});
console.log(`fuzz: ${runs} runs per property in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(r.status ?? 1);
