#!/usr/bin/env node
// Two `mmapx patch` processes started together on one file, with overlapping hunks, many rounds.
// mmapx's advisory lock makes them take turns (the second waits up to --wait seconds, then plans
// against what the first left), so the file must end as one of the two serial orders leaves it,
// never a mix, with the statuses of that order. Both serial orders are computed first, by running
// the two patches one after the other on the original. With --wait 0 the second may instead fail
// at once, `locked by another mmapx (pid N)` naming the first: the file is then what the first
// alone makes of it.
//
//   node bench/concurrent.mjs [ROUNDS] [--size 32M]      (build first; ROUNDS per scenario and wait)
//
// Scenarios: an unguarded hunk and a guarded one that overlap (in one order the guard fails, exit 3;
// in the other both apply); two guarded hunks with the same old bytes (the second fails, exit 3).
// Prints a tally per scenario and wait; exits 1 on any round that matches no serial order.
import { SCENARIOS, concurrentRounds } from '../test/helpers/concurrent.mjs';

async function main() {
  const args = process.argv.slice(2);
  const i = args.indexOf('--size');
  const size = i >= 0 ? Number(/^(\d+)M$/i.exec(args[i + 1])?.[1] ?? Number.NaN) * 1048576 : 32 << 20;
  const rounds = Number(args.find((a, k) => /^\d+$/.test(a) && args[k - 1] !== '--size') ?? 100);
  if (!Number.isFinite(size) || !Number.isInteger(rounds) || rounds < 1) {
    console.error('usage: node bench/concurrent.mjs [ROUNDS] [--size 32M]');
    process.exit(2);
  }
  let failed = 0;
  for (const scenario of Object.keys(SCENARIOS)) {
    for (const wait of [undefined, 0]) {
      const r = await concurrentRounds({ scenario, rounds, size, wait });
      console.log(`\n## ${scenario}, --wait ${r.wait}: ${rounds} rounds on ${size} bytes`);
      for (const [k, o] of Object.entries(r.orders)) console.log(`  serial ${k}: statuses ${o.status.join('/')}`);
      for (const [k, v] of Object.entries(r.tally).sort((x, y) => y[1] - x[1])) console.log(`${String(v).padStart(5)}  ${k}`);
      for (const f of r.failures) console.log(`FAILURE in round ${f.round}: ${f.problems.join('; ')}`);
      failed += r.failures.length;
    }
  }
  console.log(failed === 0 ? '\nevery round matched a serial order' : `\n${failed} rounds FAILED`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
