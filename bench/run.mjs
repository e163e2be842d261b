#!/usr/bin/env node
// mmapx benchmarks against the peer tools, measured in one run on this machine.
//   node bench/run.mjs                 all scenarios
//   node bench/run.mjs write startup   some of them
//   node bench/run.mjs --quick         fewer repetitions
//   node bench/run.mjs --json out.json also write the results as JSON
// Build first (npm run build). Each scenario prints a table and returns rows with ratios.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
const wanted = args.filter((a, i) => !a.startsWith('--') && (jsonAt < 0 || i !== jsonAt + 1));
const dir = join(ROOT, 'bench', 'scenarios');
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs'))
  .map((f) => f.slice(0, -4))
  .sort();
const chosen = wanted.length ? wanted : all;
for (const w of chosen) {
  if (!all.includes(w)) {
    console.error(`unknown scenario ${w}; known: ${all.join(', ')}`);
    process.exit(2);
  }
}
const results = { date: new Date().toISOString(), node: process.version, quick, scenarios: {} };
for (const name of chosen) {
  console.log(`\n## ${name}`);
  const mod = await import(join(dir, `${name}.mjs`));
  results.scenarios[name] = await mod.run({ quick });
}
if (jsonFile) {
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nresults written to ${jsonFile}`);
}
